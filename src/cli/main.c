/* sirt: the command-line entry point; dispatches to cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{"serve", cmd_serve, "run the web server and API"},
	{"init", cmd_init, "create the schema, the first organisation and its admin"},
	{"migrate", cmd_migrate, "apply pending database migrations"},
	{"incident", cmd_incident, "work with incidents (incident list|show|create|transition|import|export)"},
	{"channel", cmd_channel, "notification channels (channel add|list|test)"},
	{"outbox", cmd_outbox, "the notification outbox (outbox list|show|retry|run)"},
	{"clock", cmd_clock, "regulatory clocks (clock defs|show|preview|list)"},
	{"plan", cmd_plan, "the incident response plan (plan show|versions|export|starter)"},
	{"team", cmd_team, "the response team (team list|gaps|oncall)"},
	{"token", cmd_token, "manage API tokens (token create|list|revoke)"},
	{"user", cmd_user, "manage users (user add|list|disable|enable|passwd)"},
	{"org", cmd_org, "manage organisations (org add|list)"},
	{"audit", cmd_audit, "audit trail (audit verify|export|checkpoint|key)"},
	{"review", cmd_review, "show a post-incident review (review show --incident ID)"},
	{"action", cmd_action, "list, add and complete action items"},
	{"exercise", cmd_exercise, "list exercises and attendance"},
	{"qreview", cmd_qreview, "quality-review schedule and list"},
	{"compliance", cmd_compliance, "status of each control, with reasons"},
	{"metrics", cmd_metrics, "incident metrics (MTTA, MTTC, MTTR) as JSON"},
	{"evidence", cmd_evidence, "the auditor's evidence pack (evidence export|verify|key)"},
	{"backup", cmd_backup, "write a consistent copy of a SQLite database"},
	{"alert", cmd_alert, "list and show received alerts (alert list|show)"},
	{"intake", cmd_intake, "configure alert intake (intake source|rule|dry-run)"},
	{"version", cmd_version, "print the version"},
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sirt COMMAND [OPTIONS]\n\n"
		   "sirt — security incident response tracker.\n\nCommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-11s %s\n", c->name, c->help);
	fprintf(f, "\nRun 'sirt COMMAND --help' for a command's options.\n"
		   "Every command that touches the database takes --db URL (or SIRT_DB):\n"
		   "  sqlite:PATH, a plain PATH, or postgres://USER@HOST:PORT/DBNAME\n");
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "sirt: libsodium failed to initialise\n");
		return 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "sirt: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
