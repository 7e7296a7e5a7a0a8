/*
 * Small helpers shared by the administration, account, alerts and review
 * pages (pages_admin.c, pages_account.c, pages_alerts.c, pages_review.c).
 *
 * Flash: kit_done() puts one message in the short-lived cookie sirt_flash
 * (HttpOnly, SameSite=Strict, 60 s; "<k>.<url-encoded text>", the same
 * format the incident pages use) and answers 303 to the page to show;
 * kit_model() takes it back into the next page's model and clears it. The
 * text is escaped by the template like any other value.
 *
 * Secrets shown once (a generated password, a new API token, an intake
 * secret) never travel in a cookie or a URL: the POST that creates them
 * answers 200 with the page itself.
 */
#ifndef SIRT_PAGES_KIT_H
#define SIRT_PAGES_KIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "web/pages.h"

#define KIT_FORM_MAX (256 * 1024)

/* web_base_model() plus the flash message of the previous request. */
json_t *kit_model(struct req *r, const char *nav, const char *title);
/* A form field with surrounding blanks removed; NULL when absent or blank. */
const char *kit_field(struct req *r, const char *name);
/* A form field as sent (NULL when absent); carriage returns dropped. */
const char *kit_text(struct req *r, const char *name);
/* Every value of a repeated form field (checkboxes), as a new array. */
json_t *kit_field_all(struct req *r, const char *name);
/* Flash message + 303 See Other to location. */
int kit_done(struct req *r, const char *kind, const char *text, const char *location);
/* pages_time() in the user's zone: {iso, utc, text, ...}; null for 0. */
json_t *kit_time(struct req *r, int64_t t);
/* The same from an RFC 3339 string member; null when absent or invalid. */
json_t *kit_time_iso(struct req *r, json_t *iso);
/* Replaces every RFC 3339 string member named in keys (NULL-terminated)
 * of obj by kit_time_iso() of it under "<key>_t". */
void kit_times(struct req *r, json_t *obj, const char *const *keys);
/* "Firing" from "firing": a label for an enumeration value (arena). */
const char *kit_label(struct req *r, const char *value);
/* [{value, label}] for a NULL-terminated list. */
json_t *kit_options(struct req *r, const char *const *list);
/* A whole date (YYYY-MM-DD) to the end of that day UTC; SIRT_EINVAL. */
int kit_day_end(const char *date, int64_t *out) WUR;
/* The audit actor name for a person: display name or e-mail. */
const char *kit_who(const struct req *r);

#endif
