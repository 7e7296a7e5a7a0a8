/* sirt user add|list|disable|enable|passwd */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/passwd.h"
#include "auth/perm.h"
#include "core/contact.h"
#include "cli/cli_trust.h"
#include "core/password.h"
#include "store/account_store.h"
#include "util/timeutil.h"

#define DB_OPTS                                                                          \
	{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL}, \
	{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL}

struct user_job {
	struct audit_ctx ac;
	const char *email;
	const char *org;
	const char *role;
	int64_t expires_at;
	struct user_new nu;
	bool disable;
	const char *hash;
	bool created;
	bool existed_member;
	char why[256];
};

static int find_org(struct db *db, struct user_job *j, int64_t *org_id)
{
	if (j->org) {
		int rc = org_find_any(db, j->org, org_id);
		if (rc == SIRT_ENOTFOUND)
			snprintf(j->why, sizeof(j->why), "no organisation '%s' (see sirt org list)",
				 j->org);
		return rc;
	}
	int64_t n = 0;
	int rc = db_query_int(db, &n, "SELECT count(*) FROM orgs", 0, NULL);
	if (rc < 0)
		return rc;
	if (n != 1) {
		snprintf(j->why, sizeof(j->why),
			 n ? "there are several organisations: name one with --org"
			   : "there is no organisation yet: run sirt init or sirt org add");
		return SIRT_EINVAL;
	}
	return db_query_int(db, org_id, "SELECT id FROM orgs", 0, NULL);
}

static int add_tx(struct db *db, void *arg)
{
	struct user_job *j = arg;
	int64_t org_id, user_id;
	int rc = find_org(db, j, &org_id);
	if (rc < 0)
		return rc;
	rc = user_find(db, j->email, &user_id);
	j->created = rc == SIRT_ENOTFOUND;
	j->nu.audit_org = org_id;
	if (j->created)
		rc = user_create(db, &j->ac, &j->nu, &user_id, NULL);
	if (rc < 0)
		return rc;
	int64_t n = 0;
	rc = db_query_int(db, &n, "SELECT count(*) FROM memberships WHERE org_id = $1 AND user_id = $2",
			  2, DBV(DB_INT(org_id), DB_INT(user_id)));
	if (rc < 0)
		return rc;
	j->existed_member = n > 0;
	if (!j->created && j->nu.superadmin &&
	    (rc = db_exec(db, "UPDATE users SET superadmin = 1 WHERE id = $1", 1,
			  DBV(DB_INT(user_id)))) < 0)
		return rc;
	return membership_set(db, &j->ac, org_id, user_id, j->role, j->expires_at);
}

static int user_add(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *email = NULL, *org = NULL, *role = NULL,
		   *expires = NULL, *display = NULL, *tz = NULL;
	bool superadmin = false, pw_stdin = false;
	const struct opt opts[] = {
		DB_OPTS,
		{"email", "EMAIL", "the user's e-mail address, their sign-in name (required)", &email, NULL},
		{"org", "NAME", "organisation (name or slug; needed when there are several)", &org, NULL},
		{"role", "ROLE", "admin, manager, responder, viewer or auditor (required)", &role, NULL},
		{"expires", "DATE", "last day of access, YYYY-MM-DD (required for auditors)", &expires, NULL},
		{"display-name", "NAME", "name shown to others", &display, NULL},
		{"time-zone", "TZ", "IANA time zone, e.g. Europe/Paris (default UTC)", &tz, NULL},
		{"superadmin", NULL, "installation administrator: may create organisations", NULL, &superadmin},
		{"password-stdin", NULL, "read the password from standard input", NULL, &pw_stdin},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt user add --email EMAIL --role ROLE [OPTIONS]",
		      "Adds a user to an organisation, creating the account if it is new (an\n"
		      "existing account keeps its password; its role here is set). The password of\n"
		      "a new account comes from SIRT_PASSWORD, or standard input with\n"
		      "--password-stdin, or is generated and printed once.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	char lower[EMAIL_MAX + 2];
	if (!email || !role) {
		fprintf(stderr, "sirt: --email and --role are required\n");
		return 2;
	}
	if (!cli_email(email, lower, sizeof(lower))) {
		fprintf(stderr, "sirt: --email '%s' is not a valid e-mail address\n", email);
		return 2;
	}
	if (role_parse(role) == ROLE_NONE) {
		fprintf(stderr, "sirt: --role must be admin, manager, responder, viewer or auditor\n");
		return 2;
	}
	struct user_job j = {.ac = {.actor = cli_actor()}, .email = lower, .org = org, .role = role};
	if (expires)
		j.expires_at = cli_expiry_date("expires", expires);
	if (!strcmp(role, "auditor") && !expires) {
		fprintf(stderr, "sirt: an auditor's access ends on a set date: give --expires YYYY-MM-DD\n");
		return 2;
	}
	if (display && (strlen(display) > DISPLAY_NAME_MAX || strpbrk(display, "\r\n\t"))) {
		fprintf(stderr, "sirt: --display-name must be one line of at most %d characters\n",
			DISPLAY_NAME_MAX);
		return 2;
	}
	if (tz && !time_zone_valid(tz)) {
		fprintf(stderr, "sirt: --time-zone '%s' is not a known time zone (e.g. Europe/Paris)\n", tz);
		return 2;
	}
	char pw[PASSWORD_MAX_BYTES + 2] = "";
	bool generated = false;
	if (getenv("SIRT_PASSWORD") || pw_stdin) {
		if (cli_read_password(pw, sizeof(pw), "New password: ") < 0) {
			fprintf(stderr, "sirt: no password given (SIRT_PASSWORD or standard input)\n");
			return 2;
		}
		struct strbuf why;
		sb_init(&why, 512);
		if (password_check(pw, lower, &why) < 0) {
			fprintf(stderr, "sirt: %s\n", sb_str(&why));
			sb_free(&why);
			return 2;
		}
		sb_free(&why);
	} else {
		passwd_generate(pw, 20);
		generated = true;
	}
	char hash[PASSWD_HASH_MAX];
	if (passwd_hash(pw, hash) < 0) {
		fprintf(stderr, "sirt: cannot hash the password (out of memory)\n");
		return 1;
	}
	j.nu = (struct user_new){.email = lower, .display_name = display, .time_zone = tz,
				 .password_hash = hash, .superadmin = superadmin};
	struct config cfg;
	struct store *st = cli_open(&cfg, config, db);
	int rc = store_tx(st, add_tx, &j);
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", j.why[0] ? j.why : sirt_strerror(rc));
		sodium_memzero(pw, sizeof(pw));
		return 1;
	}
	printf("%s %s: %s%s\n", j.created ? "Created" : "Updated", lower,
	       j.existed_member ? "role set to " : "added as ", role);
	if (j.created && generated)
		printf("Password: %s\n(shown once: hand it over safely)\n", pw);
	else if (!j.created)
		printf("The existing account's password was not changed (sirt user passwd).\n");
	sodium_memzero(pw, sizeof(pw));
	return 0;
}

static int user_list(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL;
	bool json = false;
	const struct opt opts[] = {
		DB_OPTS,
		{"org", "NAME", "only this organisation's members", &org, NULL},
		{"json", NULL, "one JSON object per line", NULL, &json},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt user list [OPTIONS]",
		      "Lists accounts with their organisations and roles.", opts, &rest) < 0 ||
	    rest != argc)
		return 2;
	struct config cfg;
	struct store *st = cli_open(&cfg, config, db);
	struct db *d = store_reader(st);
	struct db_res *r;
	int rc = d ? db_query(d, &r,
			      "SELECT u.email, u.display_name, u.disabled, u.superadmin, o.name, m.role,"
			      " m.expires_at, u.uid FROM users u"
			      " LEFT JOIN memberships m ON m.user_id = u.id"
			      " LEFT JOIN orgs o ON o.id = m.org_id"
			      " WHERE CAST($1 AS TEXT) IS NULL OR o.name = $1 OR o.slug = $1"
			      " ORDER BY u.email, o.name",
			      1, DBV(DB_TEXT(org)))
		   : SIRT_EUNAVAIL;
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", sirt_strerror(rc));
		store_close(st);
		return 1;
	}
	if (!json)
		printf("%-32s %-22s %-12s %-10s %s\n", "EMAIL", "ORGANISATION", "ROLE", "STATE",
		       "EXPIRES");
	while (db_next(r)) {
		char exp[ISO8601_LEN] = "-";
		if (!db_isnull(r, 6))
			time_format_iso8601(db_int(r, 6), exp);
		const char *state = db_int(r, 2) ? "disabled" : db_int(r, 3) ? "superadmin" : "active";
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:b, s:b}", "id",
					      db_text(r, 7), "email", db_text(r, 0), "display_name",
					      db_text(r, 1), "org", db_text(r, 4), "role", db_text(r, 5),
					      "disabled", db_int(r, 2) != 0, "superadmin",
					      db_int(r, 3) != 0);
			json_object_set_new(o, "expires_at",
					    db_isnull(r, 6) ? json_null() : json_string(exp));
			char *s = json_dumps(o, JSON_COMPACT);
			printf("%s\n", s);
			free(s);
			json_decref(o);
		} else {
			printf("%-32s %-22s %-12s %-10s %s\n", db_text(r, 0),
			       db_text(r, 4) ? db_text(r, 4) : "-", db_text(r, 5) ? db_text(r, 5) : "-",
			       state, exp);
		}
	}
	db_res_free(r);
	store_close(st);
	config_free(&cfg);
	return 0;
}

static int state_tx(struct db *db, void *arg)
{
	struct user_job *j = arg;
	int64_t user_id;
	int rc = user_find(db, j->email, &user_id);
	if (rc == SIRT_ENOTFOUND)
		snprintf(j->why, sizeof(j->why), "no user %s", j->email);
	if (rc < 0)
		return rc;
	if (j->hash) {
		rc = user_set_password(db, &j->ac, user_id, j->hash);
		if (rc < 0)
			return rc;
		/* a new password ends the sessions the old one opened */
		return db_exec(db,
			       "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1"
			       " AND revoked_at IS NULL",
			       2, DBV(DB_INT(user_id), DB_INT(time_now())));
	}
	return user_set_disabled(db, &j->ac, user_id, j->disable);
}

static int user_state(int argc, char **argv, const char *verb)
{
	const char *db = NULL, *config = NULL;
	const struct opt opts[] = {DB_OPTS, {NULL}};
	char usage[64], lower[EMAIL_MAX + 2];
	snprintf(usage, sizeof(usage), "sirt user %s EMAIL", verb);
	const char *about = !strcmp(verb, "disable")
				    ? "Disables an account: its sessions end and its tokens stop working at once."
			    : !strcmp(verb, "enable")
				    ? "Enables a disabled account again (its tokens work again; it must sign in)."
				    : "Sets an account's password, read from SIRT_PASSWORD or standard input\n"
				      "(never from the command line). Its sessions end.";
	int rest;
	if (cli_parse(argc, argv, usage, about, opts, &rest) < 0)
		return 2;
	if (rest != argc - 1) {
		fprintf(stderr, "Usage: %s\n", usage);
		return 2;
	}
	if (!cli_email(argv[rest], lower, sizeof(lower))) {
		fprintf(stderr, "sirt: '%s' is not a valid e-mail address\n", argv[rest]);
		return 2;
	}
	struct user_job j = {.ac = {.actor = cli_actor()}, .email = lower,
			     .disable = !strcmp(verb, "disable")};
	char hash[PASSWD_HASH_MAX];
	if (!strcmp(verb, "passwd")) {
		char pw[PASSWORD_MAX_BYTES + 2];
		if (cli_read_password(pw, sizeof(pw), "New password: ") < 0) {
			fprintf(stderr, "sirt: no password given (SIRT_PASSWORD or standard input)\n");
			return 2;
		}
		struct strbuf why;
		sb_init(&why, 512);
		int prc = password_check(pw, lower, &why);
		if (prc < 0)
			fprintf(stderr, "sirt: %s\n", sb_str(&why));
		sb_free(&why);
		int hrc = prc < 0 ? 0 : passwd_hash(pw, hash);
		sodium_memzero(pw, sizeof(pw));
		if (prc < 0)
			return 2;
		if (hrc < 0) {
			fprintf(stderr, "sirt: cannot hash the password (out of memory)\n");
			return 1;
		}
		j.hash = hash;
	}
	struct config cfg;
	struct store *st = cli_open(&cfg, config, db);
	int rc = store_tx(st, state_tx, &j);
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", j.why[0] ? j.why : sirt_strerror(rc));
		return 1;
	}
	printf("%s: %s\n", lower,
	       !strcmp(verb, "passwd") ? "password changed" : j.disable ? "disabled" : "enabled");
	return 0;
}

int cmd_user(int argc, char **argv)
{
	const char *usage = "Usage: sirt user add|list|disable|enable|passwd ...\n\n"
			    "Manages user accounts. Run 'sirt user VERB --help' for the options.\n";
	if (argc < 2) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	const char *v = argv[1];
	if (!strcmp(v, "add"))
		return user_add(argc - 1, argv + 1);
	if (!strcmp(v, "list"))
		return user_list(argc - 1, argv + 1);
	if (!strcmp(v, "disable") || !strcmp(v, "enable") || !strcmp(v, "passwd"))
		return user_state(argc - 1, argv + 1, v);
	if (!strcmp(v, "--help") || !strcmp(v, "-h")) {
		printf("%s", usage);
		return 0;
	}
	fprintf(stderr, "sirt: unknown user command '%s'\n%s", v, usage);
	return 2;
}
