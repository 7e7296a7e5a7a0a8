/* Helpers shared by the account and audit commands (cmd_user, cmd_org,
 * cmd_token, cmd_audit). */
#ifndef SIRT_CLI_TRUST_H
#define SIRT_CLI_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"

/* Loads the configuration, opens the store and applies migrations; exits 1
 * with a message on failure. */
struct store *cli_open(struct config *cfg, const char *config_file, const char *db);
/* A new password: SIRT_PASSWORD if set, else one line from standard input
 * (echo off on a terminal). Never from argv. 0, or -1 when none was given. */
int cli_read_password(char *out, size_t outlen, const char *prompt);
/* Lower-cases an e-mail into out; false when it is not a valid address. */
bool cli_email(const char *in, char *out, size_t outlen);
/* "YYYY-MM-DD" -> the end of that day (access ends then); exits 2 if bad. */
int64_t cli_expiry_date(const char *opt, const char *date);

#endif
