/* sirt channel ..., sirt outbox ...: notification channels and the outbox
 * from the command line, straight on the database (like sirt token). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/notify_cli.h"
#include "notify/notify.h"
#include "notify/worker.h"
#include "store/notify_store.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define STDIN_MAX 65536

int notify_cli_open(struct notify_cli *c, const char *config, const char *db, const char *org)
{
	memset(c, 0, sizeof(*c));
	cli_config(&c->cfg, config, db);
	c->st = cli_store(&c->cfg);
	char err[512];
	int applied;
	const char *why = NULL;
	if (store_migrate(c->st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		goto fail;
	}
	if (notify_init(&c->cfg, &why) < 0) {
		fprintf(stderr, "sirt: %s\n", why);
		goto fail;
	}
	struct db *d = store_reader(c->st);
	struct db_res *r;
	if (!d || db_query(d, &r,
			   "SELECT id, name FROM orgs WHERE CAST($1 AS TEXT) IS NULL OR name = $1"
			   " ORDER BY id LIMIT 2",
			   1, DBV(DB_TEXT(org))) < 0) {
		fprintf(stderr, "sirt: cannot read the organisations\n");
		goto fail;
	}
	int n = 0;
	while (db_next(r)) {
		c->org_id = db_int(r, 0);
		snprintf(c->org_name, sizeof(c->org_name), "%s", db_text(r, 1));
		n++;
	}
	db_res_free(r);
	if (n == 1)
		return 0;
	fprintf(stderr, n ? "sirt: there are several organisations: name one with --org\n"
			  : "sirt: no such organisation (run sirt init first)\n");
fail:
	notify_cli_close(c);
	return -1;
}

void notify_cli_close(struct notify_cli *c)
{
	if (c->st)
		store_close(c->st);
	c->st = NULL;
	config_free(&c->cfg);
}

void notify_cli_print(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	json_decref(v);
	if (s)
		printf("%s\n", s);
	free(s);
}

/* ---- sirt channel ---- */

struct add_job {
	int64_t org_id;
	struct channel_input in;
	struct audit_ctx ac;
	json_t *out, *errors;
};

static int add_tx(struct db *db, void *arg)
{
	struct add_job *j = arg;
	json_decref(j->out);
	json_decref(j->errors);
	j->out = j->errors = NULL;
	return channel_create(db, &j->ac, j->org_id, &j->in, &j->out, &j->errors);
}

static json_t *read_stdin_json(void)
{
	struct strbuf b;
	sb_init(&b, STDIN_MAX);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		sb_append(&b, buf, n);
	json_error_t e;
	json_t *v = sb_status(&b) == 0 ? json_loads(sb_str(&b), JSON_REJECT_DUPLICATES, &e) : NULL;
	if (b.buf)
		sodium_memzero(b.buf, b.len);
	sb_free(&b);
	return v;
}

static int channel_add(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *name = NULL, *kind = NULL,
		   *cfgjson = NULL, *events = NULL;
	bool secrets_stdin = false, disabled = false;
	const struct opt opts[] = {
		{"db", "URL", "database; env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"org", "NAME", "organisation (default: the only one)", &org, NULL},
		{"name", "NAME", "channel name (required)", &name, NULL},
		{"kind", "KIND", "email, teams, slack or webhook (required)", &kind, NULL},
		{"settings", "JSON", "the channel's config object, e.g. '{\"url\": ...}'", &cfgjson, NULL},
		{"events", "LIST", "comma-separated event patterns (default *)", &events, NULL},
		{"secrets-stdin", NULL, "read the secrets object (JSON) from standard input",
		 NULL, &secrets_stdin},
		{"disabled", NULL, "create it disabled", NULL, &disabled},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt channel add --name NAME --kind KIND [OPTIONS]",
		      "Adds a notification channel. Secrets (SMTP password, webhook URL or\n"
		      "signing secret) are read from standard input so they stay out of the\n"
		      "process list and shell history; they are stored encrypted.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	if (!name || !kind) {
		fprintf(stderr, "sirt: --name and --kind are required\n");
		return 2;
	}
	json_error_t e;
	json_t *cj = cfgjson ? json_loads(cfgjson, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (cfgjson && !json_is_object(cj)) {
		fprintf(stderr, "sirt: --settings must be a JSON object\n");
		json_decref(cj);
		return 2;
	}
	json_t *sj = secrets_stdin ? read_stdin_json() : NULL;
	if (secrets_stdin && !json_is_object(sj)) {
		fprintf(stderr, "sirt: standard input must hold a JSON object of secrets\n");
		json_decref(cj);
		json_decref(sj);
		return 2;
	}
	json_t *ev = NULL;
	if (events) {
		ev = json_array();
		for (const char *p = events; *p;) {
			size_t n = strcspn(p, ",");
			if (n) {
				char *t = xstrndup(p, n);
				json_array_append_new(ev, json_string(t));
				free(t);
			}
			p += n + (p[n] == ',');
		}
	}
	struct notify_cli c;
	int ret = 1;
	if (notify_cli_open(&c, config, db, org) < 0)
		goto out;
	struct add_job j = {.org_id = c.org_id, .ac = {.actor = cli_actor()}};
	j.in = (struct channel_input){.name = name, .kind = kind, .config = cj, .secrets = sj,
				      .events = ev, .enabled = !disabled};
	int rc = store_tx(c.st, add_tx, &j);
	notify_cli_close(&c);
	if (rc == SIRT_EINVAL && j.errors) {
		size_t i;
		json_t *v;
		json_array_foreach(j.errors, i, v)
			fprintf(stderr, "sirt: %s: %s\n",
				json_string_value(json_object_get(v, "field")),
				json_string_value(json_object_get(v, "message")));
	} else if (rc == SIRT_ECONFLICT) {
		fprintf(stderr, "sirt: a channel named %s exists already\n", name);
	} else if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", sirt_strerror(rc));
	} else {
		notify_cli_print(j.out);
		j.out = NULL;
		ret = 0;
	}
	json_decref(j.out);
	json_decref(j.errors);
out:
	json_decref(cj);
	json_decref(sj);
	json_decref(ev);
	return ret;
}

static int channel_list_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database; env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"org", "NAME", "organisation (default: the only one)", &org, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt channel list [OPTIONS]",
		      "Lists the notification channels as JSON (secrets are never shown).", opts,
		      &rest) < 0 || rest != argc)
		return 2;
	struct notify_cli c;
	if (notify_cli_open(&c, config, db, org) < 0)
		return 1;
	json_t *items = NULL;
	struct db *d = store_reader(c.st);
	int rc = d ? channel_list(d, c.org_id, &items) : SIRT_EUNAVAIL;
	notify_cli_close(&c);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", sirt_strerror(rc));
		return 1;
	}
	notify_cli_print(items);
	return 0;
}

static int channel_test_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database; env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"org", "NAME", "organisation (default: the only one)", &org, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt channel test [OPTIONS] CHANNEL-ID",
		      "Sends a test message through the channel now and reports the outcome\n"
		      "(the SSRF guard and notify-allow apply as in the server).",
		      opts, &rest) < 0 || rest != argc - 1)
		return 2;
	struct notify_cli c;
	if (notify_cli_open(&c, config, db, org) < 0)
		return 1;
	struct channel_full ch;
	const char *why = NULL;
	struct db *d = store_reader(c.st);
	int rc = d ? channel_load(d, c.org_id, 0, argv[rest], &ch, &why) : SIRT_EUNAVAIL;
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", why ? why : rc == SIRT_ENOTFOUND ? "no such channel"
								      : sirt_strerror(rc));
		notify_cli_close(&c);
		return 1;
	}
	char uid[37], rnd[17];
	rand_uuid(uid);
	rand_hex(rnd, 8);
	char *key = xasprintf("test:%s:%s", ch.uid, rnd);
	struct notify_channel nc = {.uid = ch.uid, .name = ch.name, .kind = ch.kind,
				    .config = ch.config, .secrets = ch.secrets};
	struct notify_message m = {.uid = uid, .idem_key = key, .event = "channel.test",
				   .subject = "sirt test message",
				   .body = "This is a test message from sirt: the channel works.",
				   .payload = "{}", .org_name = c.org_name, .created_at = time_now()};
	struct notify_result res;
	notify_deliver(notify_settings(), &nc, &m, &res);
	channel_full_free(&ch);
	notify_cli_close(&c);
	free(key);
	if (!res.ok) {
		fprintf(stderr, "sirt: the test message failed: %s\n", res.error);
		return 1;
	}
	printf("sent (reply %ld)\n", res.status);
	return 0;
}

int cmd_channel(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return channel_add(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return channel_list_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "test"))
		return channel_test_cmd(argc - 1, argv + 1);
	FILE *f = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout
										       : stderr;
	fprintf(f, "Usage: sirt channel add|list|test [OPTIONS]\n\n"
		   "Manages notification channels (e-mail, Teams, Slack, signed webhooks).\n"
		   "Run 'sirt channel SUBCOMMAND --help' for the options.\n");
	return f == stdout ? 0 : 2;
}

/* ---- sirt outbox ---- */

struct retry_job {
	int64_t org_id;
	const char *uid;
	struct audit_ctx ac;
	json_t *out;
};

static int retry_tx(struct db *db, void *arg)
{
	struct retry_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return outbox_retry(db, &j->ac, j->org_id, j->uid, &j->out);
}

int cmd_outbox(int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "retry") &&
	    strcmp(sub, "run")) {
		bool help = !strcmp(sub, "--help") || !strcmp(sub, "-h");
		fprintf(help ? stdout : stderr,
			"Usage: sirt outbox list [--status S] | show ID | retry ID | run\n\n"
			"The notification outbox: list messages, show one with its attempts,\n"
			"send a failed one again, or deliver what is due once (run).\n");
		return help ? 0 : 2;
	}
	const char *db = NULL, *config = NULL, *org = NULL, *status = NULL, *limit = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database; env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"org", "NAME", "organisation (default: the only one)", &org, NULL},
		{"status", "S", "list: pending, sent, failed or cancelled", &status, NULL},
		{"limit", "N", "list: at most N messages (default 50)", &limit, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc - 1, argv + 1, "sirt outbox list|show|retry|run [OPTIONS] [ID]",
		      "Shows and retries queued notifications.", opts, &rest) < 0)
		return 2;
	rest++; /* index into argv */
	if (status && strcmp(status, "pending") && strcmp(status, "sent") &&
	    strcmp(status, "failed") && strcmp(status, "cancelled")) {
		fprintf(stderr, "sirt: --status must be pending, sent, failed or cancelled\n");
		return 2;
	}
	bool needs_id = !strcmp(sub, "show") || !strcmp(sub, "retry");
	if ((needs_id && rest != argc - 1) || (!needs_id && rest != argc))
		return 2;
	struct notify_cli c;
	if (notify_cli_open(&c, config, db, org) < 0)
		return 1;
	int rc;
	json_t *out = NULL;
	if (!strcmp(sub, "run")) {
		rc = notify_worker_run_once(c.st);
		if (rc >= 0)
			printf("handled %d message%s\n", rc, rc == 1 ? "" : "s");
	} else if (!strcmp(sub, "retry")) {
		struct retry_job j = {.org_id = c.org_id, .uid = argv[rest],
				      .ac = {.actor = cli_actor()}};
		rc = store_tx(c.st, retry_tx, &j);
		out = j.out;
	} else {
		struct db *d = store_reader(c.st);
		if (!d) {
			rc = SIRT_EUNAVAIL;
		} else if (!strcmp(sub, "show")) {
			rc = outbox_get(d, c.org_id, argv[rest], &out);
		} else {
			struct outbox_filter f = {.status = status,
						  .limit = limit ? (int)cli_long("limit", limit, 1, 200)
								 : 50};
			int64_t next;
			rc = outbox_list(d, c.org_id, &f, &out, &next);
		}
	}
	notify_cli_close(&c);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", rc == SIRT_ENOTFOUND   ? "no such notification"
					      : rc == SIRT_ECONFLICT ? "only a failed or pending message can be retried"
								     : sirt_strerror(rc));
		json_decref(out);
		return 1;
	}
	if (out)
		notify_cli_print(out);
	return 0;
}
