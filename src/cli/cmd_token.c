#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/token.h"
#include "cli/cli.h"
#include "util/timeutil.h"

struct token_job {
	const char *email;
	const char *org;
	struct token_new t;
	struct audit_ctx ac;
	char token[TOKEN_LEN + 1];
	char uid[37];
	char why[256];
};

static int token_tx(struct db *db, void *arg)
{
	struct token_job *j = arg;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT u.id, m.org_id, o.name, u.disabled FROM users u"
			  " JOIN memberships m ON m.user_id = u.id JOIN orgs o ON o.id = m.org_id"
			  " WHERE u.email = $1 AND (CAST($2 AS TEXT) IS NULL OR o.name = $2)",
			  2, DBV(DB_TEXT(j->email), DB_TEXT(j->org)));
	if (rc < 0)
		return rc;
	int n = 0;
	bool disabled = false;
	while (db_next(r)) {
		j->t.user_id = db_int(r, 0);
		j->t.org_id = db_int(r, 1);
		disabled = db_int(r, 3) != 0;
		n++;
	}
	db_res_free(r);
	if (n == 0) {
		snprintf(j->why, sizeof(j->why), "no user %s%s%s", j->email,
			 j->org ? " in organisation " : "", j->org ? j->org : "");
		return SIRT_ENOTFOUND;
	}
	if (n > 1) {
		snprintf(j->why, sizeof(j->why), "%s belongs to several organisations: name one with --org",
			 j->email);
		return SIRT_EINVAL;
	}
	if (disabled) {
		snprintf(j->why, sizeof(j->why), "user %s is disabled", j->email);
		return SIRT_EPERM;
	}
	rc = token_insert(db, &j->t, j->token, j->uid);
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s}", "name", j->t.name, "scope", scope_name(j->t.scope));
	rc = audit_append(db, &j->ac, j->t.org_id, "token.create", "token", j->uid, d);
	json_decref(d);
	return rc;
}

static int token_create(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *email = NULL, *name = "cli", *scope = "write",
		   *expires = NULL, *org = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"email", "EMAIL", "the user the token acts as (required)", &email, NULL},
		{"org", "NAME", "organisation, when the user belongs to several", &org, NULL},
		{"name", "NAME", "a name to recognise the token by (default cli)", &name, NULL},
		{"scope", "SCOPE", "read, write or admin (default write)", &scope, NULL},
		{"expires", "DAYS", "days until the token expires (default never)", &expires, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt token create --email EMAIL [OPTIONS]",
		      "Creates an API token and prints only the token on standard output.\n"
		      "Store it: it cannot be shown again. Use it as 'Authorization: Bearer TOKEN'.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	if (!email) {
		fprintf(stderr, "sirt: --email is required\n");
		return 2;
	}
	struct token_job j = {.org = org, .ac = {.actor = cli_actor()}};
	char lower[256];
	snprintf(lower, sizeof(lower), "%s", email);
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	j.email = lower;
	j.t.name = name;
	if (!*name || strlen(name) > 100) {
		fprintf(stderr, "sirt: --name must be 1 to 100 characters\n");
		return 2;
	}
	j.t.scope = scope_parse(scope);
	if (j.t.scope == SCOPE_NONE) {
		fprintf(stderr, "sirt: --scope must be read, write or admin\n");
		return 2;
	}
	if (expires)
		j.t.expires_at = time_now() + 86400 * cli_long("expires", expires, 1, 3650);
	struct config cfg;
	cli_config(&cfg, config, db);
	struct store *st = cli_store(&cfg);
	char err[512];
	int applied;
	if (store_migrate(st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		store_close(st);
		return 1;
	}
	int rc = store_tx(st, token_tx, &j);
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", j.why[0] ? j.why : sirt_strerror(rc));
		return 1;
	}
	printf("%s\n", j.token);
	return 0;
}

static int token_list_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *email = NULL, *org = NULL;
	bool json = false, all = false;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"email", "EMAIL", "only this user's tokens", &email, NULL},
		{"org", "NAME", "only this organisation's tokens", &org, NULL},
		{"all", NULL, "include revoked and expired tokens", NULL, &all},
		{"json", NULL, "one JSON object per line", NULL, &json},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt token list [OPTIONS]",
		      "Lists API tokens (never their secret): id, name, scope, owner, last use.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	char lower[256] = "";
	if (email) {
		snprintf(lower, sizeof(lower), "%s", email);
		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	struct config cfg;
	cli_config(&cfg, config, db);
	struct store *st = cli_store(&cfg);
	char err[512];
	int applied;
	if (store_migrate(st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		store_close(st);
		return 1;
	}
	struct db *d = store_reader(st);
	struct db_res *r;
	int64_t now = time_now();
	int rc = d ? db_query(d, &r,
			      "SELECT t.uid, t.name, t.scope, u.email, o.name, t.created_at,"
			      " t.expires_at, t.last_used_at, t.revoked_at FROM api_tokens t"
			      " JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = t.org_id"
			      " WHERE (CAST($1 AS TEXT) IS NULL OR u.email = $1)"
			      " AND (CAST($2 AS TEXT) IS NULL OR o.name = $2 OR o.slug = $2)"
			      " AND ($3 = 1 OR (t.revoked_at IS NULL AND"
			      " (t.expires_at IS NULL OR t.expires_at > $4)))"
			      " ORDER BY t.id",
			      4, DBV(DB_TEXT(email ? lower : NULL), DB_TEXT(org), DB_INT(all ? 1 : 0),
				     DB_INT(now)))
		   : SIRT_EUNAVAIL;
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", sirt_strerror(rc));
		store_close(st);
		return 1;
	}
	if (!json)
		printf("%-36s %-16s %-6s %-28s %-20s %s\n", "ID", "NAME", "SCOPE", "USER",
		       "LAST USED", "STATE");
	while (db_next(r)) {
		char last[ISO8601_LEN] = "never", exp[ISO8601_LEN] = "", cre[ISO8601_LEN];
		time_format_iso8601(db_int(r, 5), cre);
		if (!db_isnull(r, 7))
			time_format_iso8601(db_int(r, 7), last);
		if (!db_isnull(r, 6))
			time_format_iso8601(db_int(r, 6), exp);
		const char *state = !db_isnull(r, 8)				 ? "revoked"
				    : !db_isnull(r, 6) && db_int(r, 6) <= now ? "expired"
										: "active";
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "id",
					      db_text(r, 0), "name", db_text(r, 1), "scope",
					      db_text(r, 2), "user", db_text(r, 3), "org",
					      db_text(r, 4), "created_at", cre, "state", state,
					      "expires_at", exp[0] ? exp : NULL, "last_used_at",
					      db_isnull(r, 7) ? NULL : last);
			char *s = json_dumps(o, JSON_COMPACT);
			printf("%s\n", s);
			free(s);
			json_decref(o);
		} else {
			printf("%-36s %-16s %-6s %-28s %-20s %s\n", db_text(r, 0), db_text(r, 1),
			       db_text(r, 2), db_text(r, 3), last, state);
		}
	}
	db_res_free(r);
	store_close(st);
	config_free(&cfg);
	return 0;
}

struct revoke_job {
	const char *uid;
	struct audit_ctx ac;
};

static int revoke_tx(struct db *db, void *arg)
{
	struct revoke_job *j = arg;
	int64_t org = 0;
	int rc = db_query_int(db, &org, "SELECT org_id FROM api_tokens WHERE uid = $1", 1,
			      DBV(DB_TEXT(j->uid)));
	if (rc < 0)
		return rc;
	return token_revoke(db, &j->ac, org, 0, j->uid);
}

static int token_revoke_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt token revoke [OPTIONS] ID",
		      "Revokes an API token at once (ID from sirt token list).", opts, &rest) < 0)
		return 2;
	if (rest != argc - 1) {
		fprintf(stderr, "Usage: sirt token revoke [OPTIONS] ID\n");
		return 2;
	}
	struct config cfg;
	cli_config(&cfg, config, db);
	struct store *st = cli_store(&cfg);
	char err[512];
	int applied;
	if (store_migrate(st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		store_close(st);
		return 1;
	}
	struct revoke_job j = {.uid = argv[rest], .ac = {.actor = cli_actor()}};
	int rc = store_tx(st, revoke_tx, &j);
	store_close(st);
	config_free(&cfg);
	if (rc == SIRT_ENOTFOUND) {
		fprintf(stderr, "sirt: no token %s\n", argv[rest]);
		return 1;
	}
	if (rc == SIRT_ECONFLICT) {
		fprintf(stderr, "sirt: token %s is already revoked\n", argv[rest]);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", sirt_strerror(rc));
		return 1;
	}
	printf("Revoked token %s\n", argv[rest]);
	return 0;
}

int cmd_token(int argc, char **argv)
{
	const char *usage = "Usage: sirt token create|list|revoke ...\n\n"
			    "Manages API tokens. Run 'sirt token VERB --help' for the options.\n";
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return token_create(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return token_list_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "revoke"))
		return token_revoke_cmd(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s", usage);
		return 0;
	}
	fprintf(stderr, "%s", usage);
	return 2;
}
