#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's civil-date algorithms (public domain facts about the
 * proleptic Gregorian calendar). */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : dm[m - 1];
}

static int parse_date_part(const char *s, int *y, int *mo, int *d)
{
	if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, mo) || s[7] != '-' ||
	    !digits(s + 8, 2, d))
		return SIRT_EINVAL;
	if (*y < 1970 || *y > 9999 || *mo < 1 || *mo > 12 || *d < 1 ||
	    *d > days_in_month(*y, *mo))
		return SIRT_EINVAL;
	return 0;
}

int time_parse_date(const char *s, int64_t *out)
{
	int y, mo, d;
	if (!s || strlen(s) != 10 || parse_date_part(s, &y, &mo, &d) < 0)
		return SIRT_EINVAL;
	*out = time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400;
	return 0;
}

int time_parse_iso8601(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec;
	if (!s || strlen(s) < 20 || strlen(s) > 40)
		return SIRT_EINVAL;
	if (parse_date_part(s, &y, &mo, &d) < 0)
		return SIRT_EINVAL;
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return SIRT_EINVAL;
	if (h > 23 || mi > 59 || sec > 60)
		return SIRT_EINVAL;
	if (sec == 60)
		sec = 59;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return SIRT_EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return SIRT_EINVAL;
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return SIRT_EINVAL;
	}
	if (*p != '\0')
		return SIRT_EINVAL;
	*out = time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
	       sec - off;
	return 0;
}

void time_format_iso8601(int64_t t, char out[ISO8601_LEN])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;
	int64_t y;
	unsigned m, d;
	time_civil_from_days(days, &y, &m, &d);
	snprintf(out, ISO8601_LEN, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

/* Epoch seconds or RFC 3339 text; false if neither. */
static bool parse_fake(const char *s, int64_t *out)
{
	if (time_parse_iso8601(s, out) == 0)
		return true;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		return false;
	*out = v;
	return true;
}

/*
 * TEST ONLY. SIRT_FAKE_NOW fixes the clock for a whole process;
 * SIRT_FAKE_NOW_FILE names a file holding the time (epoch seconds or
 * RFC 3339, one line), read on every call, so a test can move a running
 * server's clock forward. Neither is ever set in production.
 */
int64_t time_now(void)
{
	int64_t t;
	const char *fake = getenv("SIRT_FAKE_NOW");
	if (fake && *fake && parse_fake(fake, &t))
		return t;
	const char *file = getenv("SIRT_FAKE_NOW_FILE");
	if (file && *file) {
		FILE *f = fopen(file, "r");
		if (f) {
			char line[64];
			bool ok = fgets(line, sizeof(line), f) != NULL;
			fclose(f);
			if (ok) {
				line[strcspn(line, "\r\n")] = '\0';
				if (parse_fake(line, &t))
					return t;
			}
		}
	}
	return (int64_t)time(NULL);
}

int64_t time_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
