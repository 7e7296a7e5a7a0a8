#include "cli/cli.h"

#include <pwd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

static void print_help(const char *usage, const char *about, const struct opt *opts)
{
	printf("Usage: %s\n\n%s\n\nOptions:\n", usage, about);
	for (const struct opt *o = opts; o->name; o++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		printf("  %-26s %s\n", left, o->help);
	}
	printf("  %-26s %s\n", "--help", "show this help");
}

int cli_parse(int argc, char **argv, const char *usage, const char *about, const struct opt *opts,
	      int *rest)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(a, "--", 2) != 0)
			break;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_help(usage, about, opts);
			exit(0);
		}
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		const struct opt *o = opts;
		while (o->name && (strlen(o->name) != nl || strncmp(o->name, name, nl) != 0))
			o++;
		if (!o->name) {
			fprintf(stderr, "sirt: unknown option '%s' (see --help)\n", a);
			return -1;
		}
		if (!o->arg) {
			if (eq) {
				fprintf(stderr, "sirt: option --%s takes no value\n", o->name);
				return -1;
			}
			*o->flag = true;
			continue;
		}
		if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			fprintf(stderr, "sirt: option --%s needs a value (%s)\n", o->name, o->arg);
			return -1;
		}
	}
	*rest = i;
	return 0;
}

void cli_config(struct config *cfg, const char *config_file, const char *db)
{
	char err[512];
	config_defaults(cfg);
	if (!config_file)
		config_file = getenv("SIRT_CONFIG");
	if (config_file && *config_file && config_load_file(cfg, config_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: config: %s\n", err);
		exit(2);
	}
	if (config_load_env(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: environment: %s\n", err);
		exit(2);
	}
	if (db) {
		free(cfg->db);
		cfg->db = xstrdup(db);
	}
	if (!cfg->db)
		cfg->db = xasprintf("sqlite:%s/sirt.db", cfg->data_dir);
}

struct store *cli_store(const struct config *cfg)
{
	char err[512];
	struct store *st = NULL;
	if (!db_url_is_postgres(cfg->db)) {
		/* Make the data directory of a default SQLite path. */
		const char *p = cfg->db;
		if (strncmp(p, "sqlite:", 7) == 0)
			p += 7;
		const char *slash = strrchr(p, '/');
		if (slash && slash != p) {
			char *dir = xstrndup(p, (size_t)(slash - p));
			if (access(dir, F_OK) != 0 && mkdir(dir, 0700) != 0) {
				fprintf(stderr, "sirt: cannot create directory %s\n", dir);
				free(dir);
				exit(1);
			}
			free(dir);
		}
	}
	if (store_open(cfg->db, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		exit(1);
	}
	return st;
}

const char *cli_actor(void)
{
	static char actor[128];
	if (!actor[0]) {
		struct passwd *pw = getpwuid(getuid());
		snprintf(actor, sizeof(actor), "cli:%s", pw ? pw->pw_name : "unknown");
	}
	return actor;
}

long cli_long(const char *opt, const char *value, long min, long max)
{
	char *end;
	long v = strtol(value, &end, 10);
	if (end == value || *end || v < min || v > max) {
		fprintf(stderr, "sirt: --%s must be a whole number from %ld to %ld\n", opt, min, max);
		exit(2);
	}
	return v;
}
