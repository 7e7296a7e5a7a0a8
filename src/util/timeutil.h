/*
 * Times in sirt are int64 seconds since the Unix epoch, UTC, everywhere in
 * memory and in the database. At the edges they are ISO 8601 / RFC 3339 with
 * an explicit offset ("2026-12-03T17:43:00Z" or "...+01:00").
 */
#ifndef SIRT_TIMEUTIL_H
#define SIRT_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define ISO8601_LEN 32 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL, with room to spare */

/* Parses RFC 3339 (date-time with offset; fractional seconds are dropped).
 * A bare date-time without offset is rejected: its meaning is ambiguous. */
int time_parse_iso8601(const char *s, int64_t *out) WUR;
/* Parses YYYY-MM-DD as midnight UTC. */
int time_parse_date(const char *s, int64_t *out) WUR;
void time_format_iso8601(int64_t t, char out[ISO8601_LEN]);
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
void time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* The clock sirt reads; tests may set SIRT_FAKE_NOW (epoch seconds or ISO 8601)
 * or SIRT_FAKE_NOW_FILE (a file holding such a time, re-read on every call). */
int64_t time_now(void);
/* Monotonic time in microseconds, for latency measurements. */
int64_t time_mono_us(void);

#endif
