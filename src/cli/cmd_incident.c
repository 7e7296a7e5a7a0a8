/*
 * sirt incident list|show|create|transition: thin wrappers over the incident
 * store, for scripts and for the terminal. Output is a readable table or
 * record, or with --json exactly what the API returns. `import` and `export`
 * live in cmd_incident_io.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/account_store.h"
#include "store/incident_store.h"
#include "util/timeutil.h"

/* The common options and the opened store. */
struct inc_ctx {
	const char *db;
	const char *config;
	const char *org;
	bool json;
	struct config cfg;
	struct store *st;
	int64_t org_id;
};

static int ctx_open(struct inc_ctx *c)
{
	cli_config(&c->cfg, c->config, c->db);
	c->st = cli_store(&c->cfg);
	char err[512];
	int applied;
	if (store_migrate(c->st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		return 1;
	}
	struct db *db = store_reader(c->st);
	if (!db) {
		fprintf(stderr, "sirt: the database is unreachable\n");
		return 1;
	}
	if (c->org) {
		int rc = org_find(db, c->org, &c->org_id);
		if (rc == SIRT_ENOTFOUND) {
			fprintf(stderr, "sirt: no organisation named '%s'\n", c->org);
			return 2;
		}
		if (rc < 0) {
			fprintf(stderr, "sirt: %s\n", db_errmsg(db));
			return 1;
		}
		return 0;
	}
	int64_t n = 0;
	if (db_query_int(db, &n, "SELECT count(*) FROM orgs", 0, NULL) < 0 || n != 1) {
		fprintf(stderr, "sirt: %s: name one with --org\n",
			n == 0 ? "there is no organisation yet (run sirt init)"
			       : "there are several organisations");
		return 2;
	}
	if (db_query_int(db, &c->org_id, "SELECT id FROM orgs", 0, NULL) < 0)
		return 1;
	return 0;
}

static void ctx_close(struct inc_ctx *c)
{
	if (c->st)
		store_close(c->st);
	config_free(&c->cfg);
}

static void print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		printf("%s\n", s);
	free(s);
}

/* "2026-03-01 14:30" from an RFC 3339 UTC string, or "-". */
static const char *short_time(json_t *v, char *buf, size_t len)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) < 16)
		return "-";
	snprintf(buf, len, "%.10s %.5s", s, s + 11);
	return buf;
}

/* Prints field errors ({"field","message"} array) to stderr. */
static void print_errors(json_t *errors, const char *fallback)
{
	size_t i;
	json_t *e;
	if (!json_is_array(errors) || json_array_size(errors) == 0) {
		fprintf(stderr, "sirt: %s\n", fallback);
		return;
	}
	json_array_foreach(errors, i, e)
		fprintf(stderr, "sirt: %s: %s\n", json_string_value(json_object_get(e, "field")),
			json_string_value(json_object_get(e, "message")));
}

#define COMMON_OPTS(c)                                                                            \
	{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &(c).db, NULL},   \
	{"config", "FILE", "configuration file; env SIRT_CONFIG", &(c).config, NULL},             \
	{"org", "NAME", "organisation (needed when there are several)", &(c).org, NULL},          \
	{"json", NULL, "print JSON (as the API returns it)", NULL, &(c).json}

/* ---- list ---- */

static int inc_list(int argc, char **argv)
{
	struct inc_ctx c = {0};
	struct incident_filter f = {0};
	const char *limit = NULL, *order = NULL, *pd = NULL;
	const struct opt opts[] = {
		COMMON_OPTS(c),
		{"status", "STATUS", "only this status", &f.status, NULL},
		{"severity", "SEVERITY", "only this severity", &f.severity, NULL},
		{"category", "CATEGORY", "only this category", &f.category, NULL},
		{"tag", "TAG", "only incidents with this tag", &f.tag, NULL},
		{"assignee", "EMAIL", "only incidents assigned to this member", &f.assignee, NULL},
		{"commander", "EMAIL", "only incidents this member commands", &f.commander, NULL},
		{"personal-data", "yes|no", "only incidents with (or without) personal data", &pd, NULL},
		{"q", "WORDS", "full-text search", &f.q, NULL},
		{"sort", "FIELD", "created_at (default), detected_at, resolved_at, updated_at", &f.sort, NULL},
		{"order", "asc|desc", "sort direction (default desc)", &order, NULL},
		{"limit", "N", "at most N incidents (default 50, up to 200)", &limit, NULL},
		{"cursor", "CURSOR", "the next page (printed after a full page)", &f.cursor, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt incident list [OPTIONS]",
		      "Lists incidents, newest first: the incident log.", opts, &rest) < 0 ||
	    rest != argc)
		return 2;
	f.limit = limit ? (int)cli_long("limit", limit, 1, 200) : 50;
	f.ascending = order && !strcmp(order, "asc");
	if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
		fprintf(stderr, "sirt: --order must be asc or desc\n");
		return 2;
	}
	f.personal_data = !pd ? PD_ANY : !strcmp(pd, "yes") ? PD_YES : PD_NO;
	char why[200];
	if (incident_filter_check(&f, why, sizeof(why)) < 0) {
		fprintf(stderr, "sirt: %s\n", why);
		return 2;
	}
	int ret = ctx_open(&c);
	if (ret) {
		ctx_close(&c);
		return ret;
	}
	json_t *items;
	char *next = NULL;
	int rc = incident_list(store_reader(c.st), c.org_id, &f, &items, &next);
	if (rc < 0) {
		fprintf(stderr, "sirt: listing incidents: %s\n", sirt_strerror(rc));
		ctx_close(&c);
		return 1;
	}
	if (c.json) {
		json_t *o = json_pack("{s:o, s:s?}", "items", items, "next_cursor", next);
		print_json(o);
		json_decref(o);
	} else {
		printf("%-16s %-9s %-12s %-17s %-16s %s\n", "KEY", "SEVERITY", "STATUS", "DETECTED",
		       "RESOLUTION", "TITLE");
		size_t i;
		json_t *x;
		json_array_foreach(items, i, x) {
			char t[32];
			const char *res = json_string_value(json_object_get(x, "resolution"));
			printf("%-16s %-9s %-12s %-17s %-16s %.70s\n",
			       json_string_value(json_object_get(x, "key")),
			       json_string_value(json_object_get(x, "severity")),
			       json_string_value(json_object_get(x, "status")),
			       short_time(json_object_get(x, "detected_at"), t, sizeof(t)), res ? res : "-",
			       json_string_value(json_object_get(x, "title")));
		}
		if (next)
			printf("(more: --cursor %s)\n", next);
		json_decref(items);
	}
	free(next);
	ctx_close(&c);
	return 0;
}

/* The incident may come first ("show INC-2026-0001 --json"): take it and
 * leave the options for cli_parse (which skips argv[0]). */
static int take_ref(int *argc, char ***argv, const char **ref)
{
	if (*argc >= 2 && (*argv)[1][0] != '-') {
		*ref = (*argv)[1];
		(*argv)++;
		(*argc)--;
	}
	return 0;
}

/* ---- show ---- */

static int inc_show(int argc, char **argv)
{
	struct inc_ctx c = {0};
	const struct opt opts[] = {COMMON_OPTS(c), {NULL}};
	const char *ref = NULL;
	int rest;
	if (take_ref(&argc, &argv, &ref) < 0 ||
	    cli_parse(argc, argv, "sirt incident show KEY|ID [OPTIONS]",
		      "Shows one incident with its timeline, tasks and indicators.", opts, &rest) < 0)
		return 2;
	if (rest == argc - 1 && !ref)
		ref = argv[rest];
	else if (rest != argc || !ref) {
		fprintf(stderr, "sirt: name one incident by key or id\n");
		return 2;
	}
	int ret = ctx_open(&c);
	if (ret) {
		ctx_close(&c);
		return ret;
	}
	struct db *db = store_reader(c.st);
	json_t *rec = NULL, *tl = NULL, *tasks = NULL, *inds = NULL;
	int64_t next;
	int rc = incident_get(db, c.org_id, ref, &rec);
	if (rc == 0)
		rc = incident_timeline_list(db, c.org_id, ref, 0, 1000, &tl, &next);
	if (rc == 0)
		rc = incident_task_list(db, c.org_id, ref, &tasks);
	if (rc == 0)
		rc = incident_indicator_list(db, c.org_id, ref, &inds);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s: %s\n", ref,
			rc == SIRT_ENOTFOUND ? "no such incident" : sirt_strerror(rc));
		ret = 1;
		goto out;
	}
	if (c.json) {
		json_t *o = json_pack("{s:O, s:O, s:O, s:O}", "incident", rec, "timeline", tl, "tasks",
				      tasks, "indicators", inds);
		print_json(o);
		json_decref(o);
		goto out;
	}
	printf("%s  %s\n\n", json_string_value(json_object_get(rec, "key")),
	       json_string_value(json_object_get(rec, "title")));
	const char *k;
	json_t *v;
	json_object_foreach(rec, k, v) {
		if (!strcmp(k, "title") || !strcmp(k, "key") || json_is_null(v) ||
		    (json_is_array(v) && json_array_size(v) == 0) ||
		    (json_is_string(v) && !*json_string_value(v)))
			continue;
		char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		printf("  %-22s %s\n", k, s ? s : json_string_value(v));
		free(s);
	}
	size_t i;
	json_t *x;
	printf("\nTimeline\n");
	json_array_foreach(tl, i, x) {
		char t[32];
		json_t *when = json_object_get(x, "occurred_at");
		printf("  %s  %-13s %-24s %s\n",
		       short_time(json_is_null(when) ? json_object_get(x, "recorded_at") : when, t,
				  sizeof(t)),
		       json_string_value(json_object_get(x, "kind")),
		       json_string_value(json_object_get(x, "author")),
		       json_string_value(json_object_get(x, "text")));
	}
	printf("\nTasks\n");
	json_array_foreach(tasks, i, x) {
		const char *a = json_string_value(json_object_get(x, "assignee"));
		printf("  %-4lld %-12s %-24s %s\n", (long long)json_integer_value(json_object_get(x, "id")),
		       json_string_value(json_object_get(x, "status")), a ? a : "-",
		       json_string_value(json_object_get(x, "title")));
	}
	printf("\nIndicators\n");
	json_array_foreach(inds, i, x)
		printf("  %-10s %-8s %s\n", json_string_value(json_object_get(x, "type")),
		       json_string_value(json_object_get(x, "tlp")),
		       json_string_value(json_object_get(x, "value")));
out:
	json_decref(rec);
	json_decref(tl);
	json_decref(tasks);
	json_decref(inds);
	ctx_close(&c);
	return ret;
}

/* ---- create ---- */

struct create_job {
	struct incident_new in;
	struct audit_ctx ac;
	json_t *out;
};

static int create_tx(struct db *db, void *arg)
{
	struct create_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_create(db, &j->ac, &j->in, &j->out);
}

static int parse_time_opt(const char *opt, const char *v, int64_t *out)
{
	*out = 0;
	if (!v)
		return 0;
	if (time_parse_iso8601(v, out) < 0) {
		fprintf(stderr, "sirt: --%s must be an RFC 3339 date-time, e.g. 2026-03-01T14:30:00Z\n",
			opt);
		return -1;
	}
	return 0;
}

static int inc_create(int argc, char **argv)
{
	struct inc_ctx c = {0};
	struct create_job j = {.ac = {.actor = cli_actor()}};
	const char *detected = NULL, *occurred = NULL, *tag = NULL;
	const struct opt opts[] = {
		COMMON_OPTS(c),
		{"title", "TEXT", "short summary (required)", &j.in.title, NULL},
		{"severity", "SEVERITY", "critical, high, medium or low (required)", &j.in.severity, NULL},
		{"description", "TEXT", "what is known so far", &j.in.description, NULL},
		{"category", "CATEGORY", "incident type (brings its playbook's tasks)", &j.in.category, NULL},
		{"detected-at", "TIME", "when it was detected (RFC 3339)", &detected, NULL},
		{"occurred-at", "TIME", "when it happened (RFC 3339)", &occurred, NULL},
		{"commander", "EMAIL", "incident commander (a member)", &j.in.commander, NULL},
		{"reporter", "TEXT", "who reported it", &j.in.reporter, NULL},
		{"tlp", "TLP", "clear, green, amber (default), amber+strict, red", &j.in.tlp, NULL},
		{"tag", "TAG", "one tag", &tag, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt incident create --title TEXT --severity SEVERITY [OPTIONS]",
		      "Opens an incident and prints it.", opts, &rest) < 0 || rest != argc)
		return 2;
	if (!j.in.title || !j.in.severity) {
		fprintf(stderr, "sirt: --title and --severity are required\n");
		return 2;
	}
	if (parse_time_opt("detected-at", detected, &j.in.detected_at) < 0 ||
	    parse_time_opt("occurred-at", occurred, &j.in.occurred_at) < 0)
		return 2;
	json_t *tags = tag ? json_pack("[s]", tag) : NULL;
	j.in.tags = tags;
	int ret = ctx_open(&c);
	if (ret)
		goto out;
	j.in.org_id = c.org_id;
	j.in.created_by = cli_actor();
	int rc = store_tx(c.st, create_tx, &j);
	if (rc < 0) {
		print_errors(rc == SIRT_EINVAL ? j.out : NULL, sirt_strerror(rc));
		ret = 1;
		goto out;
	}
	if (c.json)
		print_json(j.out);
	else
		printf("%s  %s\n", json_string_value(json_object_get(j.out, "key")),
		       json_string_value(json_object_get(j.out, "id")));
out:
	json_decref(j.out);
	json_decref(tags);
	ctx_close(&c);
	return ret;
}

/* ---- transition ---- */

struct transition_job {
	int64_t org_id;
	const char *ref;
	struct incident_transition_req t;
	struct audit_ctx ac;
	json_t *out;
};

static int transition_tx(struct db *db, void *arg)
{
	struct transition_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_transition(db, &j->ac, j->org_id, j->ref, 0, &j->t, &j->out);
}

static int inc_transition(int argc, char **argv)
{
	struct inc_ctx c = {0};
	struct transition_job j = {.ac = {.actor = cli_actor()}};
	const char *at = NULL;
	const struct opt opts[] = {
		COMMON_OPTS(c),
		{"to", "STATUS", "the new status (required)", &j.t.to, NULL},
		{"reason", "TEXT", "why (needed to reopen or step back)", &j.t.reason, NULL},
		{"reject-reason", "REASON", "false_positive or duplicate", &j.t.reject_reason, NULL},
		{"duplicate-of", "KEY", "the original, for a duplicate", &j.t.duplicate_of, NULL},
		{"resolution", "RESOLUTION", "set the resolution (closing needs one)", &j.t.resolution, NULL},
		{"root-cause", "CATEGORY", "set the root-cause category (closing needs one)",
		 &j.t.root_cause_category, NULL},
		{"at", "TIME", "when it happened (default now)", &at, NULL},
		{NULL},
	};
	int rest;
	if (take_ref(&argc, &argv, &j.ref) < 0 ||
	    cli_parse(argc, argv, "sirt incident transition KEY|ID --to STATUS [OPTIONS]",
		      "Moves an incident through its lifecycle.", opts, &rest) < 0)
		return 2;
	if (rest == argc - 1 && !j.ref)
		j.ref = argv[rest];
	else if (rest != argc)
		j.ref = NULL;
	if (!j.ref || !j.t.to) {
		fprintf(stderr, "sirt: name one incident and --to STATUS\n");
		return 2;
	}
	if (parse_time_opt("at", at, &j.t.at) < 0)
		return 2;
	int ret = ctx_open(&c);
	if (ret)
		goto out;
	j.org_id = c.org_id;
	int rc = store_tx(c.st, transition_tx, &j);
	if (rc < 0) {
		print_errors(j.out, rc == SIRT_ENOTFOUND ? "no such incident" : sirt_strerror(rc));
		ret = 1;
		goto out;
	}
	if (c.json)
		print_json(j.out);
	else
		printf("%s  %s\n", json_string_value(json_object_get(j.out, "key")),
		       json_string_value(json_object_get(j.out, "status")));
out:
	json_decref(j.out);
	ctx_close(&c);
	return ret;
}

/* ---- dispatcher ---- */

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct subcommand subs[] = {
	{"list", inc_list, "list and search incidents (the incident log)"},
	{"show", inc_show, "show one incident with its timeline, tasks and indicators"},
	{"create", inc_create, "open an incident"},
	{"transition", inc_transition, "move an incident through its lifecycle"},
	{"import", cmd_incident_import, "import incidents from CSV or VERIS files"},
	{"export", cmd_incident_export, "export the incident log as CSV, JSON lines or VERIS"},
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sirt incident SUBCOMMAND [OPTIONS]\n\nSubcommands:\n");
	for (const struct subcommand *s = subs; s->name; s++)
		fprintf(f, "  %-11s %s\n", s->name, s->help);
	fprintf(f, "\nRun 'sirt incident SUBCOMMAND --help' for its options.\n");
}

int cmd_incident(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (const struct subcommand *s = subs; s->name; s++)
		if (!strcmp(s->name, argv[1]))
			return s->fn(argc - 1, argv + 1);
	fprintf(stderr, "sirt: unknown subcommand 'incident %s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
