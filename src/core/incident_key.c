#include "core/incident_key.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool prefix_ok(const char *p, size_t n, bool any_case);

static bool prefix_ok(const char *p, size_t n, bool any_case)
{
	if (n == 0 || n > INCIDENT_KEY_PREFIX_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (any_case && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		bool letter = c >= 'A' && c <= 'Z', digit = c >= '0' && c <= '9';
		if (i == 0 && !letter)
			return false;
		if (c == '-' && i == n - 1)
			return false;
		if (!letter && !digit && c != '-')
			return false;
	}
	return true;
}

bool incident_key_prefix_valid(const char *prefix)
{
	return prefix && prefix_ok(prefix, strlen(prefix), false);
}

int incident_key_format(char *out, size_t outsz, const char *prefix, int year, int64_t seq)
{
	if (!incident_key_prefix_valid(prefix) || year < 1970 || year > 9999 || seq < 1 ||
	    seq > INCIDENT_KEY_SEQ_MAX)
		return SIRT_EINVAL;
	int n = snprintf(out, outsz, "%s-%04d-%04lld", prefix, year, (long long)seq);
	if (n < 0 || (size_t)n >= outsz)
		return SIRT_ETOOBIG;
	return 0;
}

int incident_key_parse(const char *s, const char *want_prefix, struct incident_key *out)
{
	if (!s)
		return SIRT_EINVAL;
	size_t len = strlen(s);
	if (len >= INCIDENT_KEY_MAX)
		return SIRT_EINVAL;
	const char *dash2 = strrchr(s, '-');
	if (!dash2 || dash2 - s < 6 || dash2[-5] != '-')
		return SIRT_EINVAL;
	const char *dash1 = dash2 - 5;
	size_t plen = (size_t)(dash1 - s);
	if (!prefix_ok(s, plen, true))
		return SIRT_EINVAL;
	int year = 0;
	for (int i = 1; i <= 4; i++) {
		if (dash1[i] < '0' || dash1[i] > '9')
			return SIRT_EINVAL;
		year = year * 10 + (dash1[i] - '0');
	}
	if (year < 1970)
		return SIRT_EINVAL;
	const char *d = dash2 + 1;
	size_t dlen = strlen(d);
	if (dlen < 4 || dlen > 12 || (dlen > 4 && d[0] == '0'))
		return SIRT_EINVAL;
	int64_t seq = 0;
	for (size_t i = 0; i < dlen; i++) {
		if (d[i] < '0' || d[i] > '9')
			return SIRT_EINVAL;
		seq = seq * 10 + (d[i] - '0');
	}
	if (seq < 1)
		return SIRT_EINVAL;
	if (want_prefix && (strlen(want_prefix) != plen || strncasecmp(s, want_prefix, plen) != 0))
		return SIRT_EINVAL;
	for (size_t i = 0; i < plen; i++) {
		char c = s[i];
		out->prefix[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	out->prefix[plen] = '\0';
	out->year = year;
	out->seq = seq;
	return 0;
}
