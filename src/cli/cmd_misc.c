/* sirt migrate, sirt backup, sirt version */
#include <microhttpd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "cli/cli.h"

int cmd_migrate(int argc, char **argv)
{
	const char *db = NULL, *config = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt migrate [OPTIONS]",
		      "Applies pending schema migrations, each in its own transaction.", opts,
		      &rest) < 0 || rest != argc)
		return 2;
	struct config cfg;
	cli_config(&cfg, config, db);
	struct store *st = cli_store(&cfg);
	char err[512];
	int applied = 0;
	int rc = store_migrate(st, &applied, err, sizeof(err));
	int64_t v = 0;
	if (rc == 0)
		rc = store_schema_version(st, &v);
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", err[0] ? err : sirt_strerror(rc));
		return 1;
	}
	printf("applied %d migration%s; schema version %lld\n", applied, applied == 1 ? "" : "s",
	       (long long)v);
	return 0;
}

int cmd_backup(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *out = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"out", "FILE", "where to write the copy (must not exist)", &out, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt backup --out FILE [OPTIONS]",
		      "Writes a consistent copy of a SQLite database with SQLite's online backup\n"
		      "API while sirt keeps running. For PostgreSQL, use pg_dump.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	struct config cfg;
	cli_config(&cfg, config, db);
	if (db_url_is_postgres(cfg.db)) {
		fprintf(stderr, "sirt: backups of a PostgreSQL database are made with PostgreSQL's own"
				" tools, e.g.\n  pg_dump --format=custom --file=sirt.dump '%s'\n"
				"and restored with pg_restore.\n", cfg.db);
		config_free(&cfg);
		return 1;
	}
	if (!out) {
		fprintf(stderr, "sirt: --out FILE is required\n");
		return 2;
	}
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "sirt: %s already exists; refusing to overwrite it\n", out);
		return 1;
	}
	struct store *st = cli_store(&cfg);
	char err[512] = "";
	struct db *d = store_reader(st);
	int rc = d ? db_sqlite_backup(d, out, err, sizeof(err)) : SIRT_EUNAVAIL;
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		unlink(out);
		fprintf(stderr, "sirt: backup failed: %s\n", err[0] ? err : sirt_strerror(rc));
		return 1;
	}
	printf("backup written to %s\n", out);
	return 0;
}

int cmd_version(int argc, char **argv)
{
	const struct opt opts[] = {{NULL}};
	int rest;
	if (argc > 1 && cli_parse(argc, argv, "sirt version", "Prints the version of sirt and of"
			      " the libraries it runs on.", opts, &rest) < 0)
		return 2;
	printf("sirt %s\n", SIRT_VERSION);
	printf("  sqlite %s, libpq %d, libmicrohttpd %s, jansson %s, libsodium %s\n",
	       sqlite3_libversion(), PQlibVersion(), MHD_get_version(), jansson_version_str(),
	       sodium_version_string());
	return 0;
}
