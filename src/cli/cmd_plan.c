/* sirt plan: read the incident response plan, export it, create the starter plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/plan_doc.h"
#include "store/plan_store.h"
#include "util/xalloc.h"

struct plan_cli {
	const char *db, *config, *org, *version, *format;
	struct config cfg;
	struct store *st;
	int64_t org_id;
};

/* The organisation: --org NAME, or the only one. Exits on failure. */
static int64_t resolve_org(struct db *db, const char *name)
{
	struct db_res *r;
	if (db_query(db, &r, "SELECT id, name FROM orgs WHERE CAST($1 AS TEXT) IS NULL OR name = $1"
			     " ORDER BY id",
		     1, DBV(DB_TEXT(name))) < 0) {
		fprintf(stderr, "sirt: database error: %s\n", db_errmsg(db));
		exit(1);
	}
	int64_t id = 0;
	int n = 0;
	while (db_next(r)) {
		id = db_int(r, 0);
		n++;
	}
	db_res_free(r);
	if (n == 0) {
		fprintf(stderr, "sirt: %s\n", name ? "no such organisation" : "no organisation: run sirt init");
		exit(1);
	}
	if (n > 1) {
		fprintf(stderr, "sirt: there are several organisations: name one with --org\n");
		exit(2);
	}
	return id;
}

static struct db *open_db(struct plan_cli *c)
{
	cli_config(&c->cfg, c->config, c->db);
	c->st = cli_store(&c->cfg);
	char err[512];
	int applied;
	if (store_migrate(c->st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		exit(1);
	}
	struct db *db = store_reader(c->st);
	if (!db) {
		fprintf(stderr, "sirt: the database is unreachable\n");
		exit(1);
	}
	c->org_id = resolve_org(db, c->org);
	return db;
}

static void close_db(struct plan_cli *c)
{
	store_close(c->st);
	config_free(&c->cfg);
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		printf("%s\n", s);
	free(s);
}

struct starter_job {
	int64_t org;
	struct audit_ctx ac;
	json_t *out;
	bool created;
};

static int starter_tx(struct db *db, void *arg)
{
	struct starter_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	struct plan_actor who = {.actor = j->ac.actor};
	return plan_create_starter(db, &j->ac, j->org, &who, &j->out, &j->created);
}

int cmd_plan(int argc, char **argv)
{
	static const char usage[] =
		"Usage: sirt plan show|versions|export|starter [OPTIONS]\n\n"
		"  show       the plan: version in force, open version, review state\n"
		"  versions   every version with its status and approvals\n"
		"  export     one version as a complete document (--version vN, --format markdown|html)\n"
		"  starter    create the starter plan unless the organisation has one\n\n"
		"Editing, review and approval are done through the API (/api/v1/plans) or the web UI,\n"
		"by named people.\n";
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	struct plan_cli c = {.format = "markdown"};
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &c.db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &c.config, NULL},
		{"org", "NAME", "organisation (default: the only one)", &c.org, NULL},
		{"version", "VERSION", "export: v3, 3 or an id (default: in force, else the newest)",
		 &c.version, NULL},
		{"format", "FORMAT", "export: markdown (default) or html", &c.format, NULL},
		{NULL},
	};
	if (strcmp(sub, "show") && strcmp(sub, "versions") && strcmp(sub, "export") &&
	    strcmp(sub, "starter")) {
		fprintf(stderr, "sirt: unknown plan command '%s'\n\n%s", sub, usage);
		return 2;
	}
	int rest;
	char head[64];
	snprintf(head, sizeof(head), "sirt plan %s [OPTIONS]", sub);
	if (cli_parse(argc - 1, argv + 1, head, usage, opts, &rest) < 0 || rest != argc - 1)
		return 2;
	if (strcmp(c.format, "markdown") && strcmp(c.format, "html")) {
		fprintf(stderr, "sirt: --format must be markdown or html\n");
		return 2;
	}
	struct db *db = open_db(&c);
	int rc = 0;
	if (!strcmp(sub, "starter")) {
		struct starter_job j = {.org = c.org_id, .ac = {.actor = cli_actor()}};
		rc = store_tx(c.st, starter_tx, &j);
		if (rc == 0) {
			printf("%s\n", j.created ? "Created the starter plan as draft v1."
						 : "The organisation already has a plan; nothing changed.");
			print_json(j.out);
		}
		json_decref(j.out);
		goto out;
	}
	char uid[37];
	rc = plan_find(db, c.org_id, uid);
	if (rc == SIRT_ENOTFOUND) {
		fprintf(stderr, "sirt: the organisation has no plan yet: run 'sirt plan starter'\n");
		close_db(&c);
		return 1;
	}
	json_t *o = NULL;
	if (rc == 0 && !strcmp(sub, "show"))
		rc = plan_get(db, c.org_id, uid, &o);
	else if (rc == 0 && !strcmp(sub, "versions"))
		rc = plan_version_list(db, c.org_id, uid, &o);
	if (o) {
		print_json(o);
		json_decref(o);
	}
	if (rc == 0 && !strcmp(sub, "export")) {
		char vref[40];
		if (c.version) {
			snprintf(vref, sizeof(vref), "%s", c.version);
		} else {
			struct plan_ref pr;
			if (plan_in_force(db, c.org_id, &pr) == 0) {
				snprintf(vref, sizeof(vref), "%s", pr.label);
			} else {
				int64_t n = 1;
				if (db_query_int(db, &n, "SELECT MAX(number) FROM plan_versions WHERE org_id = $1",
						 1, DBV(DB_INT(c.org_id))) < 0)
					n = 1;
				snprintf(vref, sizeof(vref), "v%lld", (long long)n);
			}
		}
		json_t *v = NULL;
		rc = plan_version_get(db, c.org_id, uid, vref, &v);
		if (rc == SIRT_ENOTFOUND) {
			fprintf(stderr, "sirt: no version %s\n", vref);
			close_db(&c);
			return 1;
		}
		if (rc == 0) {
			struct strbuf sb;
			sb_init(&sb, 32 << 20);
			if (!strcmp(c.format, "html"))
				rc = plan_doc_html(v, &sb);
			else {
				plan_doc_markdown(v, &sb);
				rc = sb_status(&sb);
			}
			if (rc == 0)
				fwrite(sb_str(&sb), 1, sb.len, stdout);
			sb_free(&sb);
		}
		json_decref(v);
	}
out:
	close_db(&c);
	if (rc < 0) {
		fprintf(stderr, "sirt: plan %s failed: %s\n", sub, sirt_strerror(rc));
		return 1;
	}
	return 0;
}
