/* sirt org add|list */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_trust.h"
#include "store/account_store.h"

struct org_job {
	struct audit_ctx ac;
	const char *name;
	const char *admin;
	int64_t id;
	char uid[37];
	char why[256];
};

static int add_tx(struct db *db, void *arg)
{
	struct org_job *j = arg;
	int64_t admin_id = 0;
	if (j->admin) {
		int rc = user_find(db, j->admin, &admin_id);
		if (rc == SIRT_ENOTFOUND)
			snprintf(j->why, sizeof(j->why), "no user %s (create it with sirt user add)",
				 j->admin);
		if (rc < 0)
			return rc;
	}
	int rc = org_create(db, &j->ac, j->name, &j->id, j->uid);
	if (rc == SIRT_ECONFLICT)
		snprintf(j->why, sizeof(j->why), "an organisation named '%s' exists", j->name);
	if (rc == 0 && admin_id)
		rc = membership_set(db, &j->ac, j->id, admin_id, "admin", 0);
	return rc;
}

static int org_add(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *admin = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"admin", "EMAIL", "an existing user to make its admin", &admin, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt org add [OPTIONS] NAME",
		      "Creates an organisation (a tenant, strictly separated from the others).\n"
		      "Add its people with sirt user add --org NAME.",
		      opts, &rest) < 0)
		return 2;
	if (rest != argc - 1) {
		fprintf(stderr, "Usage: sirt org add [OPTIONS] NAME\n");
		return 2;
	}
	const char *name = argv[rest];
	if (!*name || strlen(name) > ORG_NAME_MAX || strpbrk(name, "\r\n\t") ||
	    strspn(name, " ") == strlen(name)) {
		fprintf(stderr, "sirt: the name must be one line of 1 to %d characters\n",
			ORG_NAME_MAX);
		return 2;
	}
	char lower[300];
	if (admin && !cli_email(admin, lower, sizeof(lower))) {
		fprintf(stderr, "sirt: --admin '%s' is not a valid e-mail address\n", admin);
		return 2;
	}
	struct org_job j = {.ac = {.actor = cli_actor()}, .name = name, .admin = admin ? lower : NULL};
	struct config cfg;
	struct store *st = cli_open(&cfg, config, db);
	int rc = store_tx(st, add_tx, &j);
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", j.why[0] ? j.why : sirt_strerror(rc));
		return 1;
	}
	printf("Created organisation %s (id %s)\n", name, j.uid);
	return 0;
}

static int org_list_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL;
	bool json = false;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"json", NULL, "one JSON object per line", NULL, &json},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt org list [OPTIONS]", "Lists the organisations.", opts,
		      &rest) < 0 || rest != argc)
		return 2;
	struct config cfg;
	struct store *st = cli_open(&cfg, config, db);
	struct db *d = store_reader(st);
	json_t *items = NULL;
	int rc = d ? org_list(d, 0, &items) : SIRT_EUNAVAIL;
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", sirt_strerror(rc));
		return 1;
	}
	if (!json)
		printf("%-30s %-24s %s\n", "NAME", "SLUG", "ID");
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o) {
		if (json) {
			char *s = json_dumps(o, JSON_COMPACT);
			printf("%s\n", s);
			free(s);
		} else {
			printf("%-30s %-24s %s\n", json_string_value(json_object_get(o, "name")),
			       json_string_value(json_object_get(o, "slug")),
			       json_string_value(json_object_get(o, "id")));
		}
	}
	json_decref(items);
	return 0;
}

int cmd_org(int argc, char **argv)
{
	const char *usage = "Usage: sirt org add|list ...\n\n"
			    "Manages organisations. Run 'sirt org VERB --help' for the options.\n";
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return org_add(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return org_list_cmd(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s", usage);
		return 0;
	}
	fprintf(stderr, "%s", usage);
	return 2;
}
