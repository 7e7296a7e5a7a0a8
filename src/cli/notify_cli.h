/* Shared by cmd_notify.c and cmd_clock.c: the database and organisation a
 * notification or clock command works on. */
#ifndef SIRT_NOTIFY_CLI_H
#define SIRT_NOTIFY_CLI_H

#include <jansson.h>
#include <stdint.h>

#include "cli/cli.h"

struct notify_cli {
	struct config cfg;
	struct store *st;
	int64_t org_id;
	char org_name[128];
};

/* Opens the store (applying migrations) and finds the organisation: --org
 * NAME, or the only one. Prints the problem and returns -1 on failure. */
int notify_cli_open(struct notify_cli *c, const char *config, const char *db, const char *org);
void notify_cli_close(struct notify_cli *c);
/* Prints v as indented JSON and releases it. */
void notify_cli_print(json_t *v);

#endif
