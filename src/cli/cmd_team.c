/* sirt team: the response team roster, training gaps and who is on call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/team_store.h"
#include "util/timeutil.h"

static int64_t team_org(struct db *db, const char *name)
{
	struct db_res *r;
	if (db_query(db, &r, "SELECT id FROM orgs WHERE CAST($1 AS TEXT) IS NULL OR name = $1", 1,
		     DBV(DB_TEXT(name))) < 0) {
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
	if (n != 1) {
		fprintf(stderr, "sirt: %s\n", n ? "there are several organisations: name one with --org"
						: "no such organisation (run sirt init)");
		exit(n ? 2 : 1);
	}
	return id;
}

int cmd_team(int argc, char **argv)
{
	static const char usage[] =
		"Usage: sirt team list|gaps|oncall [OPTIONS]\n\n"
		"  list     team members with roles, contact details and training state\n"
		"  gaps     members whose training is missing, expired or expiring\n"
		"  oncall   who is on call for each role now (or --at TIME)\n\n"
		"Changes are made through the API (/api/v1/team, /api/v1/oncall) or the web UI.\n";
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "list") && strcmp(sub, "gaps") && strcmp(sub, "oncall")) {
		fprintf(stderr, "sirt: unknown team command '%s'\n\n%s", sub, usage);
		return 2;
	}
	const char *dbu = NULL, *config = NULL, *org = NULL, *at = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &dbu, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"org", "NAME", "organisation (default: the only one)", &org, NULL},
		{"at", "TIME", "oncall, gaps: at this RFC 3339 time instead of now", &at, NULL},
		{NULL},
	};
	int rest;
	char head[64];
	snprintf(head, sizeof(head), "sirt team %s [OPTIONS]", sub);
	if (cli_parse(argc - 1, argv + 1, head, usage, opts, &rest) < 0 || rest != argc - 1)
		return 2;
	int64_t t = time_now();
	if (at && time_parse_iso8601(at, &t) < 0) {
		fprintf(stderr, "sirt: --at must be an RFC 3339 time, e.g. 2026-03-01T09:00:00Z\n");
		return 2;
	}
	struct config cfg;
	cli_config(&cfg, config, dbu);
	struct store *st = cli_store(&cfg);
	char err[512];
	int applied;
	if (store_migrate(st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		store_close(st);
		return 1;
	}
	struct db *db = store_reader(st);
	if (!db) {
		fprintf(stderr, "sirt: the database is unreachable\n");
		store_close(st);
		return 1;
	}
	int64_t org_id = team_org(db, org);
	json_t *o = NULL;
	int rc;
	if (!strcmp(sub, "list")) {
		json_t *items = NULL;
		rc = team_member_list(db, org_id, false, &items);
		if (rc == 0)
			o = json_pack("{s:o}", "items", items);
	} else if (!strcmp(sub, "gaps")) {
		rc = team_training_gaps(db, org_id, t, &o);
	} else {
		rc = oncall_now(db, org_id, t, &o);
	}
	if (rc == 0) {
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			printf("%s\n", s);
		free(s);
	}
	json_decref(o);
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: team %s failed: %s\n", sub, sirt_strerror(rc));
		return 1;
	}
	return 0;
}
