/*
 * Shared plumbing of the HTML pages: the common view model every page
 * template reads (page, user, org, csrf — see src/web/templates/README.md),
 * rendering into the response, and the HTML error page.
 */
#ifndef SIRT_WEB_H
#define SIRT_WEB_H

#include <jansson.h>

#include "http/http.h"

/* A new view model with page.*, user, org and csrf filled in; nav is the
 * navigation item to mark current, title the page title. */
json_t *web_base_model(struct req *r, const char *nav, const char *title);
/* Renders `render(model)` as the response with `status`; takes the model's reference. */
int web_render(struct req *r, int status, void (*render)(struct strbuf *, json_t *), json_t *model);
/* A time as RFC 3339 and as display text, for <time datetime> elements. */
void web_time_fields(json_t *obj, const char *key, int64_t t);
/* True when `next` is a safe local path to redirect to after sign-in. */
bool web_local_path(const char *next);

#endif
