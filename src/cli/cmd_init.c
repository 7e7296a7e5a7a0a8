#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/passwd.h"
#include "core/contact.h"
#include "core/password.h"
#include "cli/cli.h"
#include "store/account_store.h"
#include "store/plan_store.h"
#include "util/xalloc.h"

struct init_job {
	const char *org;
	const char *email;
	const char *hash;
	bool force;
	bool existed;
	struct audit_ctx ac;
};

static int init_tx(struct db *db, void *arg)
{
	struct init_job *j = arg;
	int64_t n = 0, org_id = 0, user_id = 0;
	int rc = db_query_int(db, &n, "SELECT count(*) FROM orgs", 0, NULL);
	if (rc < 0)
		return rc;
	j->existed = n > 0;
	if (n > 0 && !j->force)
		return SIRT_ECONFLICT;
	rc = org_find(db, j->org, &org_id);
	if (rc == SIRT_ENOTFOUND)
		rc = org_create(db, &j->ac, j->org, &org_id, NULL);
	if (rc < 0)
		return rc;
	rc = user_find(db, j->email, &user_id);
	if (rc == SIRT_ENOTFOUND) {
		struct user_new u = {.email = j->email, .display_name = "Administrator",
				     .password_hash = j->hash, .superadmin = true,
				     .audit_org = org_id};
		rc = user_create(db, &j->ac, &u, &user_id, NULL);
	} else if (rc == 0) {
		rc = user_set_password(db, &j->ac, user_id, j->hash);
		/* the installation's admin: enabled and allowed to create organisations */
		if (rc == 0)
			rc = db_exec(db, "UPDATE users SET superadmin = 1, disabled = 0 WHERE id = $1",
				     1, DBV(DB_INT(user_id)));
	}
	if (rc < 0)
		return rc;
	rc = membership_set(db, &j->ac, org_id, user_id, "admin", 0);
	if (rc < 0)
		return rc;
	/* issue 5: the starter incident response plan as a first draft (idempotent) */
	return plan_init_starter(db, &j->ac, org_id);
}

int cmd_init(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = "Default", *email = "admin@example.com";
	bool force = false;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"org", "NAME", "name of the first organisation (default Default)", &org, NULL},
		{"admin-email", "EMAIL", "the admin's e-mail (default admin@example.com)", &email, NULL},
		{"force", NULL, "run even if the database is already initialised: ensures the"
				" organisation and admin exist and resets the admin's password", NULL, &force},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt init [OPTIONS]",
		      "Creates the schema, the first organisation and its admin account.\n"
		      "The admin password is taken from SIRT_ADMIN_PASSWORD or generated and\n"
		      "printed once. The admin is the installation administrator (superadmin):\n"
		      "the only account that may create further organisations at first.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	char lower[256];
	size_t el = strlen(email);
	if (el >= sizeof(lower) || !email_valid(email)) {
		fprintf(stderr, "sirt: --admin-email '%s' is not a valid e-mail address\n", email);
		return 2;
	}
	for (size_t i = 0; i <= el; i++)
		lower[i] = (char)tolower((unsigned char)email[i]);
	if (!*org || strlen(org) > 200) {
		fprintf(stderr, "sirt: --org must be 1 to 200 characters\n");
		return 2;
	}
	const char *pw = getenv("SIRT_ADMIN_PASSWORD");
	char gen[21];
	bool generated = false;
	if (pw && *pw) {
		struct strbuf why;
		sb_init(&why, 512);
		if (password_check(pw, lower, &why) < 0) {
			fprintf(stderr, "sirt: SIRT_ADMIN_PASSWORD: %s\n", sb_str(&why));
			sb_free(&why);
			return 2;
		}
		sb_free(&why);
	} else {
		passwd_generate(gen, 20);
		pw = gen;
		generated = true;
	}
	char hash[PASSWD_HASH_MAX];
	if (passwd_hash(pw, hash) < 0) {
		fprintf(stderr, "sirt: cannot hash the password (out of memory)\n");
		return 1;
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
	struct init_job j = {.org = org, .email = lower, .hash = hash, .force = force,
			     .ac = {.actor = cli_actor()}};
	int rc = store_tx(st, init_tx, &j);
	store_close(st);
	config_free(&cfg);
	if (rc == SIRT_ECONFLICT && j.existed) {
		fprintf(stderr, "sirt: the database is already initialised; use --force to ensure the"
				" organisation and admin exist and reset the admin's password\n");
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "sirt: init failed: %s\n", sirt_strerror(rc));
		return 1;
	}
	printf("Organisation: %s\nAdmin:        %s\n", org, lower);
	if (generated)
		printf("Password:     %s\n(shown once: store it now, or set SIRT_ADMIN_PASSWORD)\n", gen);
	else
		printf("Password:     (from SIRT_ADMIN_PASSWORD)\n");
	return 0;
}
