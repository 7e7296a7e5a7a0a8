/*
 * sirt alert list|show and sirt intake source|rule|dry-run: the alert intake
 * from the command line, straight on the database (like `sirt token`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert.h"
#include "cli/cli.h"
#include "intake/intake.h"
#include "store/alert_store.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define COMMON_OPTS(db, config, org)                                                       \
	{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},  \
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},   \
		{"org", "NAME", "organisation (default: the only one)", &org, NULL}

struct ctx {
	struct config cfg;
	struct store *st;
	int64_t org_id;
};

static int open_ctx(struct ctx *c, const char *config, const char *db, const char *org)
{
	char err[512];
	int applied;
	cli_config(&c->cfg, config, db);
	c->st = cli_store(&c->cfg);
	if (store_migrate(c->st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		return 1;
	}
	struct db *d = store_reader(c->st);
	struct db_res *r;
	if (!d || db_query(d, &r, "SELECT id FROM orgs WHERE CAST($1 AS TEXT) IS NULL OR name = $1",
			   1, DBV(DB_TEXT(org))) < 0) {
		fprintf(stderr, "sirt: cannot read organisations: %s\n", d ? db_errmsg(d) : "");
		return 1;
	}
	int n = 0;
	while (db_next(r)) {
		c->org_id = db_int(r, 0);
		n++;
	}
	db_res_free(r);
	if (n == 1)
		return 0;
	if (n == 0)
		fprintf(stderr, "sirt: %s%s\n", org ? "no organisation named " : "no organisation yet; run sirt init",
			org ? org : "");
	else
		fprintf(stderr, "sirt: there are several organisations: name one with --org\n");
	return 1;
}

static void close_ctx(struct ctx *c)
{
	store_close(c->st);
	config_free(&c->cfg);
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
}

static int report(int rc, const char *what, const char *detail)
{
	if (rc == 0)
		return 0;
	fprintf(stderr, "sirt: %s: %s\n", what, detail && *detail ? detail : sirt_strerror(rc));
	return 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "sirt: cannot open %s\n", path);
		return NULL;
	}
	struct strbuf sb;
	sb_init(&sb, ALERT_MAX_PAYLOAD + 1);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	if (f != stdin)
		fclose(f);
	if (sb_status(&sb) != 0) {
		fprintf(stderr, "sirt: %s: larger than %zu bytes\n", path, ALERT_MAX_PAYLOAD);
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb, len);
}

/* ---- sirt alert ---- */

static int alert_list(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *status = NULL, *source = NULL,
		   *severity = NULL, *q = NULL, *incident = NULL, *limit = NULL;
	bool json = false;
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"status", "STATUS", "firing or resolved", &status, NULL},
		{"source", "SOURCE", "alertmanager, grafana, ...", &source, NULL},
		{"severity", "SEVERITY", "critical, high, medium, low, info", &severity, NULL},
		{"q", "TEXT", "words in the title", &q, NULL},
		{"incident", "ID|KEY", "alerts of one incident", &incident, NULL},
		{"limit", "N", "at most N alerts (default 50)", &limit, NULL},
		{"json", NULL, "print JSON", NULL, &json},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt alert list [OPTIONS]", "Lists alerts, newest first.", opts,
		      &rest) < 0 || rest != argc)
		return 2;
	struct alert_filter f = {.status = status, .source = source, .severity = severity, .q = q,
				 .limit = limit ? (int)cli_long("limit", limit, 1, 10000) : 50};
	struct ctx c = {0};
	if (open_ctx(&c, config, db, org)) {
		close_ctx(&c);
		return 1;
	}
	struct db *d = store_reader(c.st);
	int rc = 0;
	if (incident)
		rc = alert_store_find_incident(d, c.org_id, incident, &f.incident_id, NULL, NULL);
	json_t *items = NULL;
	int64_t next;
	if (rc == 0)
		rc = alert_store_list(d, c.org_id, &f, &items, &next);
	if (rc == 0 && json) {
		print_json(items);
	} else if (rc == 0) {
		size_t i;
		json_t *a;
		printf("%-8s %-9s %-8s %-12s %6s %-12s %s\n", "ID", "STATUS", "SEVERITY", "SOURCE",
		       "COUNT", "INCIDENT", "TITLE");
		json_array_foreach(items, i, a) {
			json_t *inc = json_object_get(a, "incident");
			printf("%-8lld %-9s %-8s %-12s %6lld %-12s %s\n",
			       (long long)json_integer_value(json_object_get(a, "id")),
			       json_string_value(json_object_get(a, "status")),
			       json_string_value(json_object_get(a, "severity")),
			       json_string_value(json_object_get(a, "source")),
			       (long long)json_integer_value(json_object_get(a, "count")),
			       inc && !json_is_null(inc)
				       ? json_string_value(json_object_get(inc, "key"))
				       : "-",
			       json_string_value(json_object_get(a, "title")));
		}
	}
	json_decref(items);
	close_ctx(&c);
	return report(rc, "listing alerts", rc == SIRT_ENOTFOUND ? "no such incident" : NULL);
}

static int alert_show(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL;
	const struct opt opts[] = {COMMON_OPTS(db, config, org), {NULL}};
	int rest;
	if (cli_parse(argc, argv, "sirt alert show [OPTIONS] ID",
		      "Prints one alert as JSON, with its raw form and the request body it came in.",
		      opts, &rest) < 0 || rest != argc - 1)
		return 2;
	int64_t id;
	if (alert_id_parse(argv[rest], &id) < 0) {
		fprintf(stderr, "sirt: '%s' is not an alert id\n", argv[rest]);
		return 2;
	}
	struct ctx c = {0};
	if (open_ctx(&c, config, db, org)) {
		close_ctx(&c);
		return 1;
	}
	json_t *o = NULL;
	int rc = alert_store_get(store_reader(c.st), c.org_id, id, true, &o);
	if (rc == 0)
		print_json(o);
	json_decref(o);
	close_ctx(&c);
	return report(rc, "alert", rc == SIRT_ENOTFOUND ? "no such alert" : NULL);
}

int cmd_alert(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return alert_list(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return alert_show(argc - 1, argv + 1);
	FILE *f = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout
										    : stderr;
	fprintf(f, "Usage: sirt alert list [OPTIONS]\n       sirt alert show ID\n\n"
		   "Lists and shows received alerts. Run 'sirt alert list --help' for the options.\n");
	return f == stdout ? 0 : 2;
}

/* ---- sirt intake ---- */

struct write_job {
	int op; /* 0 source add, 1 rotate, 2 rule add, 3 rule delete, 4 source delete */
	int64_t org_id;
	const char *a, *b;
	json_t *body;
	struct audit_ctx ac;
	json_t *out;
	char err[256];
};

static int write_tx(struct db *db, void *arg)
{
	struct write_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	j->err[0] = '\0';
	switch (j->op) {
	case 0: return intake_source_create(db, &j->ac, j->org_id, j->a, j->b, j->ac.actor, &j->out);
	case 1: return intake_source_rotate(db, &j->ac, j->org_id, j->a, &j->out);
	case 2:
		return intake_rule_create(db, &j->ac, j->org_id, j->body, &j->out, j->err,
					  sizeof(j->err));
	case 3: return intake_rule_delete(db, &j->ac, j->org_id, j->a);
	default: return intake_source_delete(db, &j->ac, j->org_id, j->a);
	}
}

static int run_write(struct ctx *c, struct write_job *j)
{
	j->org_id = c->org_id;
	j->ac.actor = cli_actor();
	j->ac.request_id = "";
	j->ac.client_addr = "";
	return store_tx(c->st, write_tx, j);
}

static int source_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *name = NULL, *kind = NULL;
	const char *sub = argc >= 2 ? argv[1] : "";
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"name", "NAME", "the source's name (add)", &name, NULL},
		{"kind", "KIND", "alertmanager, grafana, sentinel, defender, splunk, wazuh, elastic,"
				 " generic (add)", &kind, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc - 1, argv + 1,
		      "sirt intake source add --name NAME --kind KIND | list | rotate NAME | delete NAME",
		      "Manages the senders allowed to post alerts. add and rotate print the secret\n"
		      "on standard output; it cannot be shown again.",
		      opts, &rest) < 0)
		return 2;
	rest++; /* cli_parse saw argv + 1 */
	bool add = !strcmp(sub, "add"), list = !strcmp(sub, "list"), rot = !strcmp(sub, "rotate"),
	     del = !strcmp(sub, "delete");
	if ((!add && !list && !rot && !del) || ((add || list) && rest != argc) ||
	    ((rot || del) && rest != argc - 1)) {
		fprintf(stderr, "Usage: sirt intake source add --name NAME --kind KIND | list |"
				" rotate NAME | delete NAME\n");
		return 2;
	}
	if (add && (!name || !kind || !alert_source_valid(kind) || !intake_source_name_valid(name))) {
		fprintf(stderr, "sirt: add needs --name (1-100 characters) and --kind (one of"
				" alertmanager, grafana, sentinel, defender, splunk, wazuh, elastic,"
				" generic)\n");
		return 2;
	}
	struct ctx c = {0};
	if (open_ctx(&c, config, db, org)) {
		close_ctx(&c);
		return 1;
	}
	int rc;
	if (list) {
		json_t *items = NULL;
		rc = intake_source_list(store_reader(c.st), c.org_id, &items);
		size_t i;
		json_t *s;
		if (rc == 0)
			printf("%-24s %-13s %-8s %-21s %s\n", "NAME", "KIND", "ENABLED", "LAST USED",
			       "URL");
		json_array_foreach(items, i, s) {
			json_t *lu = json_object_get(s, "last_used_at");
			printf("%-24s %-13s %-8s %-21s %s\n",
			       json_string_value(json_object_get(s, "name")),
			       json_string_value(json_object_get(s, "kind")),
			       json_is_true(json_object_get(s, "enabled")) ? "yes" : "no",
			       json_is_string(lu) ? json_string_value(lu) : "never",
			       json_string_value(json_object_get(s, "url")));
		}
		json_decref(items);
	} else {
		struct write_job j = {.op = add ? 0 : rot ? 1 : 4, .a = add ? name : argv[rest],
				      .b = kind};
		rc = run_write(&c, &j);
		if (rc == 0 && !del) {
			printf("%s\n", json_string_value(json_object_get(j.out, "secret")));
			fprintf(stderr, "sirt: post %s payloads to %s with 'Authorization: Bearer"
					" <secret>'\n",
				json_string_value(json_object_get(j.out, "kind")),
				json_string_value(json_object_get(j.out, "url")));
		}
		json_decref(j.out);
	}
	close_ctx(&c);
	return report(rc, "intake source",
		      rc == SIRT_ENOTFOUND   ? "no such source"
		      : rc == SIRT_ECONFLICT ? "a source with that name exists already"
					     : NULL);
}

static int rule_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL;
	const char *sub = argc >= 2 ? argv[1] : "";
	const struct opt opts[] = {COMMON_OPTS(db, config, org), {NULL}};
	int rest;
	if (cli_parse(argc - 1, argv + 1,
		      "sirt intake rule list | show NAME | add FILE | delete NAME",
		      "Manages routing rules. add reads a rule as JSON (as for POST\n"
		      "/api/v1/intake/rules) from FILE, or standard input with '-'.",
		      opts, &rest) < 0)
		return 2;
	rest++;
	bool list = !strcmp(sub, "list"), show = !strcmp(sub, "show"), add = !strcmp(sub, "add"),
	     del = !strcmp(sub, "delete");
	if ((!list && !show && !add && !del) || (list && rest != argc) ||
	    (!list && rest != argc - 1)) {
		fprintf(stderr, "Usage: sirt intake rule list | show NAME | add FILE | delete NAME\n");
		return 2;
	}
	struct ctx c = {0};
	if (open_ctx(&c, config, db, org)) {
		close_ctx(&c);
		return 1;
	}
	int rc;
	const char *detail = NULL;
	struct write_job j = {.op = add ? 2 : 3, .a = list ? NULL : argv[rest]};
	if (list || show) {
		json_t *o = NULL;
		rc = list ? intake_rule_list(store_reader(c.st), c.org_id, &o)
			  : intake_rule_get(store_reader(c.st), c.org_id, argv[rest], &o);
		if (rc == 0)
			print_json(o);
		json_decref(o);
	} else {
		if (add) {
			size_t len;
			char *text = read_file(argv[rest], &len);
			json_error_t e;
			j.body = text ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &e) : NULL;
			free(text);
			if (!j.body || !json_is_object(j.body)) {
				fprintf(stderr, "sirt: %s: not a JSON object\n", argv[rest]);
				json_decref(j.body);
				close_ctx(&c);
				return 2;
			}
		}
		rc = run_write(&c, &j);
		if (rc == 0 && add)
			print_json(j.out);
		detail = j.err[0] ? j.err : NULL;
		json_decref(j.out);
		json_decref(j.body);
	}
	close_ctx(&c);
	return report(rc, "rule", rc == SIRT_ENOTFOUND ? "no such rule" : detail);
}

static int dry_run_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *source = NULL;
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"source", "KIND", "the payload's format (alertmanager, grafana, ...)", &source, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt intake dry-run --source KIND FILE",
		      "Shows what intake would do with the payload in FILE ('-' for standard\n"
		      "input): per alert the de-duplication outcome, the matching rule, the\n"
		      "action and the incident. Writes nothing.",
		      opts, &rest) < 0 || rest != argc - 1)
		return 2;
	if (!source || !alert_source_valid(source)) {
		fprintf(stderr, "sirt: --source must be one of alertmanager, grafana, sentinel,"
				" defender, splunk, wazuh, elastic, generic\n");
		return 2;
	}
	size_t len;
	char *body = read_file(argv[rest], &len);
	if (!body)
		return 1;
	struct alert_batch batch;
	alert_batch_init(&batch, source);
	struct strbuf err;
	sb_init(&err, 4096);
	int rc = alert_parse(source, body, len, &batch, &err);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", err.len ? sb_str(&err) : "malformed payload");
		sb_free(&err);
		alert_batch_free(&batch);
		free(body);
		return 1;
	}
	sb_free(&err);
	struct ctx c = {0};
	if (open_ctx(&c, config, db, org)) {
		close_ctx(&c);
		alert_batch_free(&batch);
		free(body);
		return 1;
	}
	struct intake_job j = {.org_id = c.org_id, .kind = source, .batch = &batch,
			       .now = time_now()};
	sha256_hex(j.digest, body, len);
	struct db *d = store_reader(c.st);
	json_t *out = NULL;
	rc = intake_rules_load(d, c.org_id, &j.rules, &j.nrules);
	if (rc == 0) {
		intake_prepare(&j);
		rc = intake_dry_run(d, &j, &out);
	}
	if (rc == 0)
		print_json(out);
	json_decref(out);
	intake_job_free(&j);
	intake_rules_free(j.rules, j.nrules);
	alert_batch_free(&batch);
	free(body);
	close_ctx(&c);
	return report(rc, "dry-run", NULL);
}

int cmd_intake(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "source"))
		return source_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "rule"))
		return rule_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "dry-run"))
		return dry_run_cmd(argc - 1, argv + 1);
	FILE *f = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout
										    : stderr;
	fprintf(f, "Usage: sirt intake source add --name NAME --kind KIND | list | rotate NAME |"
		   " delete NAME\n"
		   "       sirt intake rule list | show NAME | add FILE | delete NAME\n"
		   "       sirt intake dry-run --source KIND FILE\n\n"
		   "Configures alert intake: the senders, the routing rules, and a dry run.\n");
	return f == stdout ? 0 : 2;
}
