/*
 * sirt review | action | exercise | qreview | compliance | metrics: the
 * post-incident review area from the command line. They work on the
 * database directly (like `sirt token`), through the same store functions
 * as the API, with the audit actor cli:<login>. Output is text for people
 * or --json for scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/compliance.h"
#include "core/review.h"
#include "store/action_store.h"
#include "store/compliance_store.h"
#include "store/exercise_store.h"
#include "store/qreview_store.h"
#include "store/review_store.h"
#include "util/timeutil.h"

#define COMMON_OPTS(db, config, org)                                                          \
	{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},     \
	{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},              \
	{"org", "NAME", "organisation (needed when there are several)", &org, NULL}

struct session {
	struct config cfg;
	struct store *st;
	struct db *db;
	int64_t org_id;
};

/* Opens the store and finds the organisation; prints why and returns -1. */
static int open_session(struct session *s, const char *config, const char *db, const char *org)
{
	memset(s, 0, sizeof(*s));
	cli_config(&s->cfg, config, db);
	s->st = cli_store(&s->cfg);
	char err[512];
	int applied;
	if (store_migrate(s->st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		goto fail;
	}
	s->db = store_reader(s->st);
	if (!s->db) {
		fprintf(stderr, "sirt: the database is unreachable\n");
		goto fail;
	}
	struct db_res *r;
	if (db_query(s->db, &r,
		     "SELECT id, name FROM orgs WHERE CAST($1 AS TEXT) IS NULL OR name = $1 ORDER BY id",
		     1, DBV(DB_TEXT(org))) < 0) {
		fprintf(stderr, "sirt: %s\n", db_errmsg(s->db));
		goto fail;
	}
	int n = 0;
	while (db_next(r)) {
		s->org_id = db_int(r, 0);
		n++;
	}
	db_res_free(r);
	if (n == 0) {
		fprintf(stderr, org ? "sirt: no organisation %s\n" : "sirt: no organisation yet; run"
			" sirt init%s\n", org ? org : "");
		goto fail;
	}
	if (n > 1) {
		fprintf(stderr, "sirt: there are several organisations: name one with --org\n");
		goto fail;
	}
	return 0;
fail:
	if (s->st)
		store_close(s->st);
	config_free(&s->cfg);
	return -1;
}

static void close_session(struct session *s)
{
	store_close(s->st);
	config_free(&s->cfg);
}

static void print_json(json_t *v)
{
	char *t = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", t ? t : "null");
	free(t);
}

static const char *js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static int fail_rc(int rc, const char *what)
{
	fprintf(stderr, "sirt: %s: %s\n", what, sirt_strerror(rc));
	return 1;
}

static void print_op_errors(const struct op_result *res, int rc)
{
	if (res->why[0])
		fprintf(stderr, "sirt: %s\n", res->why);
	else
		fprintf(stderr, "sirt: %s\n", sirt_strerror(rc));
	size_t i;
	json_t *e;
	json_array_foreach(res->errors, i, e)
		fprintf(stderr, "  %s: %s\n", js(e, "field"), js(e, "message"));
}

/* ---------------- sirt review ---------------- */

int cmd_review(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *incident = NULL, *format = "markdown",
		   *revision = NULL;
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"incident", "ID", "the incident's id or key (required)", &incident, NULL},
		{"format", "FMT", "markdown (default) or json", &format, NULL},
		{"revision", "N", "a revision (default the newest)", &revision, NULL},
		{NULL},
	};
	const char *usage = "sirt review show|revisions --incident ID [OPTIONS]";
	if (argc < 2 || (strcmp(argv[1], "show") && strcmp(argv[1], "revisions"))) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("Usage: %s\n\nShows an incident's post-incident review (show) or its"
			       " revisions.\nRun 'sirt review show --help' for the options.\n", usage);
			return 0;
		}
		fprintf(stderr, "Usage: %s\n", usage);
		return 2;
	}
	bool show = !strcmp(argv[1], "show");
	int rest;
	if (cli_parse(argc - 1, argv + 1, usage,
		      "show prints the review as Markdown (or JSON); revisions lists its revisions.",
		      opts, &rest) < 0 || rest != argc - 1)
		return 2;
	if (!incident) {
		fprintf(stderr, "sirt: --incident is required\n");
		return 2;
	}
	if (strcmp(format, "markdown") && strcmp(format, "json")) {
		fprintf(stderr, "sirt: --format must be markdown or json\n");
		return 2;
	}
	int rev = revision ? (int)cli_long("revision", revision, 1, 100000) : 0;
	struct session s;
	if (open_session(&s, config, db, org) < 0)
		return 1;
	json_t *o = NULL;
	int rc = show ? review_get(s.db, s.org_id, incident, rev, time_now(), &o)
		      : review_revisions(s.db, s.org_id, incident, &o);
	int ret = 0;
	if (rc == SIRT_ENOTFOUND) {
		fprintf(stderr, "sirt: no such incident, or it has no review%s\n",
			rev ? " revision" : " yet");
		ret = 1;
	} else if (rc < 0) {
		ret = fail_rc(rc, "reading the review");
	} else if (!show || !strcmp(format, "json")) {
		print_json(o);
	} else {
		struct strbuf md;
		sb_init(&md, SB_DEFAULT_MAX);
		review_render_markdown(o, &md);
		fputs(sb_str(&md), stdout);
		sb_free(&md);
	}
	json_decref(o);
	close_session(&s);
	return ret;
}

/* ---------------- sirt action ---------------- */

struct action_job {
	bool create;
	struct action_new in;
	const char *uid;
	json_t *patch;
	int64_t org_id;
	struct audit_ctx ac;
	int64_t now;
	struct op_result res;
	json_t *out;
};

static int action_tx(struct db *db, void *arg)
{
	struct action_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	if (j->create)
		return action_create(db, &j->ac, &j->in, j->now, &j->res, &j->out);
	return action_update(db, &j->ac, j->org_id, j->uid, 0, j->patch, j->now, &j->res, &j->out);
}

static void print_action_line(const json_t *a)
{
	printf("%-36s  %-10s  %-11s  %-8s  %s%s  %s — %s\n", js(a, "id"), js(a, "due_date"),
	       js(a, "status"), js(a, "priority"),
	       json_is_true(json_object_get(a, "overdue")) ? "OVERDUE " : "", js(a, "owner"),
	       js(a, "title"), js(json_object_get(a, "source"), "type"));
}

int cmd_action(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *status = NULL, *source_type = NULL,
		   *source = NULL, *title = NULL, *owner = NULL, *due = NULL, *priority = NULL,
		   *id = NULL, *note = NULL, *plan_id = NULL, *plan_label = NULL;
	bool overdue = false, as_json = false;
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"json", NULL, "print JSON", NULL, &as_json},
		{"overdue", NULL, "list: only overdue items", NULL, &overdue},
		{"status", "S", "list: open, in_progress, done or wont_do", &status, NULL},
		{"source-type", "T", "add: review, exercise or quality_review", &source_type, NULL},
		{"source", "ID", "add: the review (or incident), exercise or quality review", &source,
		 NULL},
		{"title", "TEXT", "add: what must be done", &title, NULL},
		{"owner", "WHO", "add: a user's e-mail or a team member's name", &owner, NULL},
		{"due", "DATE", "add: due date YYYY-MM-DD", &due, NULL},
		{"priority", "P", "add: low, medium, high or critical", &priority, NULL},
		{"id", "ID", "done: the action item", &id, NULL},
		{"note", "TEXT", "done: how the fix was verified", &note, NULL},
		{"plan-version-id", "ID", "done/add: the plan revision it caused", &plan_id, NULL},
		{"plan-version-label", "LABEL", "its label", &plan_label, NULL},
		{NULL},
	};
	const char *usage = "sirt action list|add|done [OPTIONS]";
	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "add") && strcmp(argv[1], "done"))) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("Usage: %s\n\nLists, adds and completes action items.\nRun 'sirt action"
			       " list --help' for the options.\n", usage);
			return 0;
		}
		fprintf(stderr, "Usage: %s\n", usage);
		return 2;
	}
	const char *verb = argv[1];
	int rest;
	if (cli_parse(argc - 1, argv + 1, usage,
		      "list: action items by due date. add: a new item (owner and due date required).\n"
		      "done: completes an item (a verification note is required).",
		      opts, &rest) < 0 || rest != argc - 1)
		return 2;
	struct action_job j = {.ac = {.actor = cli_actor(), .request_id = "", .client_addr = ""},
			       .now = time_now()};
	if (!strcmp(verb, "add")) {
		const char *missing = !source_type ? "--source-type" : !source ? "--source"
				    : !title ? "--title" : !owner ? "--owner" : !due ? "--due" : NULL;
		if (missing) {
			fprintf(stderr, "sirt: %s is required\n", missing);
			return 2;
		}
		if (time_parse_date(due, &j.in.due_date) < 0) {
			fprintf(stderr, "sirt: --due must be a date as YYYY-MM-DD\n");
			return 2;
		}
		if (strcmp(source_type, "review") && strcmp(source_type, "exercise") &&
		    strcmp(source_type, "quality_review")) {
			fprintf(stderr, "sirt: --source-type must be review, exercise or quality_review\n");
			return 2;
		}
		if (priority && strcmp(priority, "low") && strcmp(priority, "medium") &&
		    strcmp(priority, "high") && strcmp(priority, "critical")) {
			fprintf(stderr, "sirt: --priority must be low, medium, high or critical\n");
			return 2;
		}
		j.create = true;
		j.in = (struct action_new){.source_type = source_type, .source_ref = source,
					   .title = title, .owner = owner, .due_date = j.in.due_date,
					   .priority = priority, .plan_version_id = plan_id,
					   .plan_version_label = plan_label, .created_by = cli_actor()};
	} else if (!strcmp(verb, "done")) {
		if (!id || !note) {
			fprintf(stderr, "sirt: --id and --note are required\n");
			return 2;
		}
		j.uid = id;
		j.patch = json_pack("{s:s, s:s}", "status", "done", "verification_note", note);
		if (plan_id)
			json_object_set_new(j.patch, "plan_version_id", json_string(plan_id));
		if (plan_label)
			json_object_set_new(j.patch, "plan_version_label", json_string(plan_label));
	}
	struct session s;
	if (open_session(&s, config, db, org) < 0) {
		json_decref(j.patch);
		return 1;
	}
	int ret = 0, rc;
	if (!strcmp(verb, "list")) {
		struct action_filter f = {.status = status, .overdue = overdue, .now = j.now,
					  .limit = 200};
		json_t *items;
		char *next = NULL;
		rc = action_list(s.db, s.org_id, &f, &items, &next);
		free(next);
		if (rc < 0) {
			ret = fail_rc(rc, "listing action items");
		} else {
			if (as_json) {
				print_json(items);
			} else {
				size_t i;
				json_t *a;
				json_array_foreach(items, i, a)
					print_action_line(a);
			}
			json_decref(items);
		}
	} else {
		j.org_id = s.org_id;
		j.in.org_id = s.org_id;
		rc = store_tx(s.st, action_tx, &j);
		if (rc < 0) {
			print_op_errors(&j.res, rc);
			ret = 1;
		} else if (as_json) {
			print_json(j.out);
		} else {
			print_action_line(j.out);
		}
	}
	op_free(&j.res);
	json_decref(j.out);
	json_decref(j.patch);
	close_session(&s);
	return ret;
}

/* ---------------- sirt exercise ---------------- */

int cmd_exercise(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *since = NULL, *status = NULL;
	bool as_json = false;
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"json", NULL, "print JSON", NULL, &as_json},
		{"status", "S", "list: planned, held or cancelled", &status, NULL},
		{"since", "DATE", "attendance: since this date (default a year ago)", &since, NULL},
		{NULL},
	};
	const char *usage = "sirt exercise list|attendance [OPTIONS]";
	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "attendance"))) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("Usage: %s\n\nLists exercises, or who attended them.\n", usage);
			return 0;
		}
		fprintf(stderr, "Usage: %s\n", usage);
		return 2;
	}
	bool list = !strcmp(argv[1], "list");
	int rest;
	if (cli_parse(argc - 1, argv + 1, usage,
		      "list: exercises, newest first. attendance: attended held exercises.", opts,
		      &rest) < 0 || rest != argc - 1)
		return 2;
	int64_t from = time_now() - 366 * 86400;
	if (since && time_parse_date(since, &from) < 0) {
		fprintf(stderr, "sirt: --since must be a date as YYYY-MM-DD\n");
		return 2;
	}
	struct session s;
	if (open_session(&s, config, db, org) < 0)
		return 1;
	json_t *items = NULL;
	char *next = NULL;
	struct exercise_filter f = {.status = status, .limit = 200};
	int rc = list ? exercise_list(s.db, s.org_id, &f, &items, &next)
		      : exercise_attendance(s.db, s.org_id, from, &items);
	free(next);
	int ret = 0;
	if (rc < 0) {
		ret = fail_rc(rc, "reading exercises");
	} else if (as_json) {
		print_json(items);
	} else {
		size_t i;
		json_t *e;
		json_array_foreach(items, i, e) {
			if (list)
				printf("%-36s  %s  %-10s  %-9s  %s\n", js(e, "id"), js(e, "scheduled_at"),
				       js(e, "kind"), js(e, "status"), js(e, "title"));
			else
				printf("%s  %-30s  %-30s  %s\n", js(e, "held_at"), js(e, "name"),
				       js(e, "email"), js(e, "exercise_title"));
		}
	}
	json_decref(items);
	close_session(&s);
	return ret;
}

/* ---------------- sirt qreview ---------------- */

int cmd_qreview(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL;
	bool as_json = false, overdue = false;
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"json", NULL, "print JSON", NULL, &as_json},
		{"overdue", NULL, "list: only overdue reviews", NULL, &overdue},
		{NULL},
	};
	const char *usage = "sirt qreview schedule|list [OPTIONS]";
	if (argc < 2 || (strcmp(argv[1], "schedule") && strcmp(argv[1], "list"))) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("Usage: %s\n\nShows the quality-review schedule per subject, or the"
			       " reviews.\n", usage);
			return 0;
		}
		fprintf(stderr, "Usage: %s\n", usage);
		return 2;
	}
	bool sched = !strcmp(argv[1], "schedule");
	int rest;
	if (cli_parse(argc - 1, argv + 1, usage,
		      "schedule: cadence, last review and next due date per subject.\n"
		      "list: quality reviews by due date.",
		      opts, &rest) < 0 || rest != argc - 1)
		return 2;
	struct session s;
	if (open_session(&s, config, db, org) < 0)
		return 1;
	int64_t now = time_now();
	json_t *o = NULL;
	char *next = NULL;
	struct qreview_filter f = {.overdue = overdue, .now = now, .limit = 200};
	int rc = sched ? qreview_schedule(s.db, s.org_id, now, &o)
		       : qreview_list(s.db, s.org_id, &f, &o, &next);
	free(next);
	int ret = 0;
	if (rc < 0) {
		ret = fail_rc(rc, "reading quality reviews");
	} else if (as_json) {
		print_json(o);
	} else if (sched) {
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(o, "subjects"), i, x) {
			json_int_t late = json_integer_value(json_object_get(x, "days_overdue"));
			printf("%-10s  every %4lld days  last %-10s  next %-10s  %s\n", js(x, "subject"),
			       (long long)json_integer_value(json_object_get(x, "cadence_days")),
			       js(x, "last_reviewed_on"), js(x, "next_due"),
			       json_is_true(json_object_get(x, "overdue"))
				       ? (late ? "OVERDUE" : "OVERDUE (never reviewed)")
				       : "ok");
		}
	} else {
		size_t i;
		json_t *x;
		json_array_foreach(o, i, x)
			printf("%-36s  %-9s  due %s  %-6s  %-22s  %s\n", js(x, "id"), js(x, "subject"),
			       js(x, "due_date"), js(x, "status"), js(x, "reason"),
			       json_is_true(json_object_get(x, "overdue")) ? "OVERDUE" : "");
	}
	json_decref(o);
	close_session(&s);
	return ret;
}

/* ---------------- sirt compliance ---------------- */

int cmd_compliance(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *framework = NULL;
	bool as_json = false;
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"framework", "ID", "only this framework (m365, soc2, iso27001, ...)", &framework,
		 NULL},
		{"json", NULL, "print JSON", NULL, &as_json},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt compliance [OPTIONS]",
		      "Shows each control as met, at_risk or not_met, with the reasons.\n"
		      "Exits 0 when every control is met, 3 otherwise.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	struct session s;
	if (open_session(&s, config, db, org) < 0)
		return 1;
	json_t *o = NULL;
	int rc = compliance_status(s.db, s.org_id, time_now(), framework, &o);
	close_session(&s);
	if (rc < 0)
		return fail_rc(rc, "computing the compliance status");
	if (framework && json_array_size(json_object_get(o, "frameworks")) == 0) {
		fprintf(stderr, "sirt: no framework %s in the control mapping\n", framework);
		json_decref(o);
		return 1;
	}
	if (as_json) {
		print_json(o);
	} else {
		size_t i, k, m;
		json_t *fw, *c, *reason;
		json_array_foreach(json_object_get(o, "frameworks"), i, fw) {
			printf("%s\n", js(fw, "name"));
			json_array_foreach(json_object_get(fw, "controls"), k, c) {
				printf("  %-8s %-8s %s\n", js(c, "id"), js(c, "status"), js(c, "title"));
				json_array_foreach(json_object_get(c, "reasons"), m, reason)
					printf("           - %s\n", js(reason, "text"));
			}
		}
	}
	json_t *sum = json_object_get(o, "summary");
	int ret = json_integer_value(json_object_get(sum, "not_met")) +
				  json_integer_value(json_object_get(sum, "at_risk")) ? 3 : 0;
	json_decref(o);
	return ret;
}

/* ---------------- sirt metrics ---------------- */

int cmd_metrics(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *from = NULL, *to = NULL,
		   *bucket = "month";
	const struct opt opts[] = {
		COMMON_OPTS(db, config, org),
		{"from", "DATE", "start (YYYY-MM-DD; default 12 months before --to)", &from, NULL},
		{"to", "DATE", "end, inclusive (YYYY-MM-DD; default today)", &to, NULL},
		{"bucket", "B", "month (default), quarter or year", &bucket, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt metrics [OPTIONS]",
		      "Prints incident metrics as JSON: MTTA, MTTC, MTTR, MTTD and time to notify by\n"
		      "severity and period, and counts by category, severity and month.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	int64_t t_to = time_now(), t_from;
	if (to) {
		if (time_parse_date(to, &t_to) < 0) {
			fprintf(stderr, "sirt: --to must be a date as YYYY-MM-DD\n");
			return 2;
		}
		t_to += 86400;
	}
	if (from) {
		if (time_parse_date(from, &t_from) < 0) {
			fprintf(stderr, "sirt: --from must be a date as YYYY-MM-DD\n");
			return 2;
		}
	} else {
		t_from = t_to - 365 * 86400;
	}
	if (t_from >= t_to) {
		fprintf(stderr, "sirt: --from must be before --to\n");
		return 2;
	}
	struct session s;
	if (open_session(&s, config, db, org) < 0)
		return 1;
	json_t *o = NULL;
	int rc = metrics_incidents(s.db, s.org_id, t_from, t_to, bucket, &o);
	close_session(&s);
	if (rc == SIRT_EINVAL) {
		fprintf(stderr, "sirt: --bucket must be month, quarter or year, with at most 600"
				" periods\n");
		return 2;
	}
	if (rc < 0)
		return fail_rc(rc, "computing metrics");
	print_json(o);
	json_decref(o);
	return 0;
}
