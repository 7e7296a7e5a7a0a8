/*
 * The `sirt` command. Each subcommand is a function in its own file
 * (cmd_<name>.c) listed in main.c's table; they share the option parser and
 * the configuration loading here.
 */
#ifndef SIRT_CLI_H
#define SIRT_CLI_H

#include <stdbool.h>

#include "app/config.h"
#include "store/store.h"

struct opt {
	const char *name;   /* long name without "--" */
	const char *arg;    /* NULL for a flag, else the argument's name for help */
	const char *help;
	const char **value; /* where an argument goes */
	bool *flag;         /* where a flag goes */
};

/* Parses argv (after the subcommand name). Prints help and exits 0 on
 * --help; prints an error and returns -1 on a bad option. Non-option
 * arguments are left in argv[*rest..argc). */
int cli_parse(int argc, char **argv, const char *usage, const char *about, const struct opt *opts,
	      int *rest);

/* Builds the configuration: defaults < --config/SIRT_CONFIG file < SIRT_*
 * environment < the given --db (may be NULL). Exits 2 with a message on error. */
void cli_config(struct config *cfg, const char *config_file, const char *db);
/* Opens the store for cfg->db; exits 1 with a message on failure. */
struct store *cli_store(const struct config *cfg);
/* The audit actor for CLI actions: "cli:<login name>". */
const char *cli_actor(void);
/* Reads an integer option; exits 2 with a message if malformed. */
long cli_long(const char *opt, const char *value, long min, long max);

int cmd_serve(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_team(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_channel(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_clock(int argc, char **argv);
int cmd_incident(int argc, char **argv);
/* sirt incident import|export (cmd_incident_io.c); argv[0] is "import"/"export". */
int cmd_evidence(int argc, char **argv);
/* sirt incident import|export (cmd_incident_io.c) */
int cmd_incident_import(int argc, char **argv);
int cmd_incident_export(int argc, char **argv);
int cmd_alert(int argc, char **argv);
int cmd_intake(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_action(int argc, char **argv);
int cmd_exercise(int argc, char **argv);
int cmd_qreview(int argc, char **argv);
int cmd_compliance(int argc, char **argv);
int cmd_metrics(int argc, char **argv);

#endif
