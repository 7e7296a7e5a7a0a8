/*
 * Helpers shared by the HTML page handlers (src/web/pages_*.c): times in the
 * user's zone, form values, labels for enumerations, the flash message that
 * survives one redirect, and field errors.
 *
 * Times: the server renders every time in the signed-in user's time zone
 * (users.time_zone, see pages_tz.h) as
 *   <time datetime="UTC RFC 3339" title="… UTC" data-tz>2026-03-04 18:43 CET</time>
 * so pages read the same with or without JavaScript, on paper and in
 * screenshots; app.js leaves <time data-tz> alone and the UTC time is on
 * hover. Form inputs (datetime-local, date) are read in the same zone.
 *
 * Flash: pages_flash_set() puts one message in a short-lived cookie
 * (sirt_flash, HttpOnly, SameSite=Strict, 60 s) on the redirect after a
 * successful POST; pages_flash_take() shows it on the next page and clears
 * it. The text is escaped by the template like any other value.
 */
#ifndef SIRT_PAGES_H
#define SIRT_PAGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "web/pages_tz.h"

#define PAGES_FORM_MAX (64 * 1024)

/* The user's zone (UTC when unset or unknown). */
const struct tz *pages_zone(const struct req *r);
/* {iso, utc, text, date, time, zone} for t in z; JSON null for t == 0. */
json_t *pages_time(const struct tz *z, int64_t t);
/* The same for an RFC 3339 string (a record field); null for null/invalid. */
json_t *pages_time_json(const struct tz *z, json_t *iso);
/* "YYYY-MM-DDTHH:MM" for a datetime-local input; "" for t == 0. */
void pages_local_input(const struct tz *z, int64_t t, char out[24]);
/* Reads "YYYY-MM-DDTHH:MM[:SS]" (or with a space) as a wall-clock time in z.
 * SIRT_EINVAL when malformed. */
int pages_parse_local(const struct tz *z, const char *s, int64_t *out) WUR;
/* Reads "YYYY-MM-DD" as the start (or, with end_of_day, the last second) of
 * that day in z. */
int pages_parse_day(const struct tz *z, const char *s, bool end_of_day, int64_t *out) WUR;

/* A human label for an enumeration value ("false_positive" -> "False
 * positive", "amber+strict" -> "TLP:AMBER+STRICT" for kind "tlp"). Static or
 * arena memory. kind may be NULL. */
const char *pages_label(struct req *r, const char *kind, const char *value);
/* [{value, label}] for a NULL-terminated list. */
json_t *pages_options(struct req *r, const char *kind, const char *const *list);

/* A form field with surrounding white space removed; NULL when absent or blank. */
/* The signed-in user's role and token scope both grant p (to show or hide forms). */
bool pages_can(const struct req *r, enum perm p);
const char *pages_field(struct req *r, const char *name);
/* s itself when it is valid UTF-8, else a copy with the bad bytes as '?'. */
const char *pages_utf8_clean(struct req *r, const char *s);
/* A comma- or newline-separated list as a JSON array of trimmed, non-empty strings. */
json_t *pages_list(const char *s);
/* Field errors [{field, message}] as {field: message}; new reference. */
json_t *pages_errors(json_t *errors);

void pages_flash_set(struct req *r, const char *kind, const char *text);
void pages_flash_take(struct req *r, json_t *model);

/* The first `max` bytes of s at a UTF-8 boundary, with "…" when cut. */
const char *pages_excerpt(struct req *r, const char *s, size_t max);

#endif
