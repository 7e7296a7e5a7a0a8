#include "cli/cli_trust.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/contact.h"
#include "util/timeutil.h"

struct store *cli_open(struct config *cfg, const char *config_file, const char *db)
{
	cli_config(cfg, config_file, db);
	struct store *st = cli_store(cfg);
	char err[512];
	int applied;
	if (store_migrate(st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		store_close(st);
		exit(1);
	}
	return st;
}

int cli_read_password(char *out, size_t outlen, const char *prompt)
{
	const char *env = getenv("SIRT_PASSWORD");
	if (env && *env) {
		if (strlen(env) >= outlen)
			return -1;
		snprintf(out, outlen, "%s", env);
		return 0;
	}
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else {
			tty = false;
		}
	}
	bool got = fgets(out, (int)outlen, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!got)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return *out ? 0 : -1;
}

bool cli_email(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);
	if (n >= outlen)
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	return email_valid(out);
}

int64_t cli_expiry_date(const char *opt, const char *date)
{
	int64_t t;
	if (time_parse_date(date, &t) < 0) {
		fprintf(stderr, "sirt: --%s must be a date as YYYY-MM-DD\n", opt);
		exit(2);
	}
	if (t + 86400 <= time_now()) {
		fprintf(stderr, "sirt: --%s %s is in the past\n", opt, date);
		exit(2);
	}
	return t + 86400;
}
