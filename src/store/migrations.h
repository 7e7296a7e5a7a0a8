#ifndef SIRT_MIGRATIONS_H
#define SIRT_MIGRATIONS_H

/*
 * Versioned schema migrations, one .sql file per version and backend in
 * src/store/migrations/{sqlite,postgres}/NNNN_name.sql, embedded into the
 * binary at build time. Version ranges by area keep parallel work apart:
 * 1-9 foundation, 10-19 trust, 20-29 incident log, 30-39 plan and team,
 * 40-49 notifications and clocks, 50-59 reviews and exercises, 60-69 web,
 * 70-79 evidence, 80-89 alerts.
 */
struct migration {
	const char *backend; /* "sqlite" or "postgres" */
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif
