/* sirt clock ...: regulatory clock definitions, previews and the clocks of an
 * incident, from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/notify_cli.h"
#include "core/clock.h"
#include "store/clock_store.h"
#include "store/notify_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct seed_job {
	int64_t org_id;
};

static int seed_tx(struct db *db, void *arg)
{
	return clock_defs_seed(db, ((struct seed_job *)arg)->org_id);
}

/* "became_aware=2026-03-02T08:00:00Z,classified_major=..." */
static int parse_triggers(const char *s, int64_t *trig)
{
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, ",");
		char *item = xstrndup(p, n);
		char *eq = strchr(item, '=');
		int t = -1;
		int64_t at = 0;
		if (eq) {
			*eq = '\0';
			t = clock_trigger_parse(item);
		}
		int rc = t >= 0 ? time_parse_iso8601(eq + 1, &at) : SIRT_EINVAL;
		if (rc < 0) {
			fprintf(stderr, "sirt: --trigger: expected NAME=RFC3339-TIME, got '%s'\n", item);
			free(item);
			return -1;
		}
		trig[t] = at;
		free(item);
		p += n + (p[n] == ',');
	}
	return 0;
}

int cmd_clock(int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";
	if (strcmp(sub, "defs") && strcmp(sub, "show") && strcmp(sub, "preview") &&
	    strcmp(sub, "list")) {
		bool help = !strcmp(sub, "--help") || !strcmp(sub, "-h");
		fprintf(help ? stdout : stderr,
			"Usage: sirt clock defs | show KEY | preview [--trigger N=T,...] KEY |"
			" list INCIDENT\n\n"
			"Regulatory notification clocks: the definitions of the organisation,\n"
			"one definition, its deadlines for given trigger times, or the clocks\n"
			"running on an incident (by id or key, e.g. INC-2026-0007).\n");
		return help ? 0 : 2;
	}
	const char *db = NULL, *config = NULL, *org = NULL, *triggers = NULL, *now_s = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database; env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"org", "NAME", "organisation (default: the only one)", &org, NULL},
		{"trigger", "N=T,...", "preview: trigger times, e.g. became_aware=2026-03-02T08:00:00Z",
		 &triggers, NULL},
		{"now", "TIME", "preview: compute statuses at this time", &now_s, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc - 1, argv + 1, "sirt clock defs|show|preview|list [OPTIONS] [ARG]",
		      "Regulatory notification clocks.", opts, &rest) < 0)
		return 2;
	rest++;
	bool needs_arg = strcmp(sub, "defs") != 0;
	if ((needs_arg && rest != argc - 1) || (!needs_arg && rest != argc))
		return 2;
	int64_t trig[CLOCK_TRIG_COUNT] = {0};
	int64_t now = time_now();
	if (triggers && parse_triggers(triggers, trig) < 0)
		return 2;
	if (now_s && time_parse_iso8601(now_s, &now) < 0) {
		fprintf(stderr, "sirt: --now must be an RFC 3339 time\n");
		return 2;
	}
	struct notify_cli c;
	if (notify_cli_open(&c, config, db, org) < 0)
		return 1;
	struct seed_job sj = {c.org_id};
	int rc = store_tx(c.st, seed_tx, &sj);
	json_t *out = NULL;
	struct db *d = store_reader(c.st);
	const char *what = NULL;
	if (rc == 0 && !d)
		rc = SIRT_EUNAVAIL;
	if (rc < 0) {
		/* nothing */
	} else if (!strcmp(sub, "defs")) {
		rc = clock_def_list(d, c.org_id, &out);
	} else if (!strcmp(sub, "show") || !strcmp(sub, "preview")) {
		char *key = xstrdup(argv[rest]);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		rc = clock_def_get(d, c.org_id, key, &out);
		free(key);
		what = "no such clock definition";
		if (rc == 0 && !strcmp(sub, "preview")) {
			char *js = json_dumps(json_object_get(out, "definition"), JSON_COMPACT);
			json_decref(out);
			struct strbuf why;
			sb_init(&why, 4096);
			out = clock_preview_json(js, trig, now, &why);
			free(js);
			if (!out) {
				fprintf(stderr, "sirt: %s\n", sb_str(&why));
				rc = SIRT_EINVAL;
			}
			sb_free(&why);
		}
	} else {
		int64_t id;
		rc = db_query_int(d, &id,
				  "SELECT id FROM incidents WHERE org_id = $1 AND (uid = $2 OR key = $2)",
				  2, DBV(DB_INT(c.org_id), DB_TEXT(argv[rest])));
		what = "no such incident";
		if (rc == 0)
			rc = clock_list(d, c.org_id, id, now, &out);
	}
	notify_cli_close(&c);
	if (rc < 0) {
		if (rc != SIRT_EINVAL)
			fprintf(stderr, "sirt: %s\n",
				rc == SIRT_ENOTFOUND && what ? what : sirt_strerror(rc));
		json_decref(out);
		return 1;
	}
	notify_cli_print(out);
	return 0;
}
