/*
 * Helpers shared by the programme pages (pages_plan.c, pages_team.c,
 * pages_exercises.c, pages_qreviews.c, pages_actions.c): the page model
 * with the flash message and what the user may do, paths with an escaped
 * segment, times and dates for display, Markdown through cmark (safe mode),
 * and the redirect after a successful POST.
 *
 * View-model conventions: a time field "x" (RFC 3339) gets "x_t" =
 * pages_time() ({iso, utc, text, ...}); an enumeration "x" gets "x_label";
 * HTML that sirt made (cmark output) is in members named "*_html", the only
 * ones templates insert with {{raw}}.
 */
#ifndef SIRT_PAGES_PROG_H
#define SIRT_PAGES_PROG_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http.h"
#include "web/pages.h"

/* web_base_model + flash + can_manage / can_respond. */
json_t *prog_model(struct req *r, const char *nav, const char *title);
/* prefix + escaped segment + suffix, in the arena. */
const char *prog_path(struct req *r, const char *prefix, const char *seg, const char *suffix);
/* o[field + "_t"] = the time of the RFC 3339 string o[field] in the user's zone. */
void prog_time(struct req *r, json_t *o, const char *field);
/* o[field + "_label"] = pages_label(kind, o[field]). */
void prog_label(struct req *r, json_t *o, const char *field, const char *kind);
/* Markdown as safe HTML (cmark, raw HTML and unsafe links dropped); null when empty. */
json_t *prog_markdown(const char *md);
/* 303 to loc with a flash message (kind ok unless given). */
int prog_done(struct req *r, const char *loc, const char *kind, const char *flash);
/* {field: message} from [{field, message}] (NULL gives {}); new reference. */
json_t *prog_errors(json_t *list);
/* A form field as given (not trimmed), "" when absent. */
const char *prog_raw(struct req *r, const char *name);
/* The organisation's plan versions for a <select>: [{key: "v3", status,
 * status_label}], where key is the member name the template reads ("value"
 * or "label"); an empty array without a plan. */
int prog_plan_versions(struct req *r, struct db *db, const char *key, json_t **out) WUR;
/* Browsers send textarea line ends as CRLF: the text with LF only, in place. */
char *prog_lf(char *s);
/* pages_field() with LF line ends (multi-line text); NULL when blank. */
const char *prog_textarea(struct req *r, const char *name);
/* Today's date (UTC) as YYYY-MM-DD. */
void prog_today(char out[16]);

#endif
