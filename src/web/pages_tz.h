/*
 * Time zones for the web pages: times are shown in the signed-in user's
 * IANA zone (users.time_zone, e.g. "Europe/Berlin").
 *
 * Why not localtime_r: it reads the process-wide TZ, and setenv("TZ") is not
 * thread-safe, while pages render on many threads at once. So sirt reads the
 * compiled zone files itself (RFC 8536 TZif, versions 1-4, from
 * /usr/share/zoneinfo or $TZDIR): the transition table, and the POSIX TZ
 * rule in the footer for times after the last transition. A zone is loaded
 * once and kept for the life of the process (immutable after loading, so
 * lookups need no lock); at most TZ_CACHE_MAX zones are kept. An unknown or
 * malformed zone is UTC.
 */
#ifndef SIRT_PAGES_TZ_H
#define SIRT_PAGES_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define TZ_CACHE_MAX 512
#define TZ_ABBR_MAX 16

struct tz;

struct tz_local {
	int64_t year;
	unsigned month, day, hour, minute, second; /* month 1..12 */
	int32_t utoff;                             /* seconds east of UTC */
	char abbr[TZ_ABBR_MAX];                    /* "CET", "+0530", "UTC" */
};

/* True for a name that may name a zone file: [A-Za-z0-9_+-] segments joined
 * by '/', no "." or ".." segment, at most 64 bytes. */
bool tz_name_valid(const char *name);
/* The zone (cached); UTC for NULL, "", an invalid name or an unreadable file.
 * Never NULL. */
const struct tz *tz_get(const char *name);
/* The canonical name ("UTC" for the fallback). */
const char *tz_name(const struct tz *z);
/* Parses a TZif file in memory; NULL when it is malformed. Free with tz_free
 * (tz_get's zones are never freed). */
struct tz *tz_parse(const char *name, const unsigned char *data, size_t len);
void tz_free(struct tz *z);

/* The local time of t in zone z. */
void tz_local(const struct tz *z, int64_t t, struct tz_local *out);
/* The UTC time for a local wall-clock time in z (a time in a DST gap moves
 * forward, an ambiguous one takes the earlier instant). */
int64_t tz_from_local(const struct tz *z, int64_t year, unsigned month, unsigned day,
		      unsigned hour, unsigned minute, unsigned second);

#endif
