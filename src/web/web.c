#include "web/web.h"

#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "http/routes.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/static.h"

extern int (*resp_problem_html_hook)(struct req *r, int status, const char *title,
				     const char *detail);

void web_time_fields(json_t *obj, const char *key, int64_t t)
{
	char iso[ISO8601_LEN], disp[40];
	time_format_iso8601(t, iso);
	snprintf(disp, sizeof(disp), "%.10s %.5s UTC", iso, iso + 11);
	char k[96];
	json_object_set_new(obj, key, json_string(iso));
	snprintf(k, sizeof(k), "%s_display", key);
	json_object_set_new(obj, k, json_string(disp));
}

json_t *web_base_model(struct req *r, const char *nav, const char *title)
{
	json_t *m = json_object();
	json_t *page = json_object();
	const char *base = r->app && r->app->cfg.base_url ? r->app->cfg.base_url : "";
	json_object_set_new(page, "url", json_sprintf("%s%s", base, r->path));
	char iso[ISO8601_LEN], disp[40];
	time_format_iso8601(time_now(), iso);
	snprintf(disp, sizeof(disp), "%.10s %.5s UTC", iso, iso + 11);
	json_object_set_new(page, "now_iso", json_string(iso));
	json_object_set_new(page, "now_display", json_string(disp));
	json_object_set_new(page, "version", json_string(SIRT_VERSION));
	if (nav)
		json_object_set_new(page, "nav", json_string(nav));
	if (title)
		json_object_set_new(page, "title", json_string(title));
	json_object_set_new(m, "page", page);
	if (r->authenticated) {
		json_object_set_new(m, "user",
				    json_pack("{s:s, s:s, s:b}", "email", r->who.email ? r->who.email : "",
					      "display_name",
					      r->who.display_name ? r->who.display_name : "", "is_admin",
					      r->who.role == ROLE_ADMIN));
		json_object_set_new(m, "org", json_pack("{s:s, s:s}", "name",
							r->who.org_name ? r->who.org_name : "",
							"slug", r->who.org_uid ? r->who.org_uid : ""));
	}
	if (r->csrf_token)
		json_object_set_new(m, "csrf", json_string(r->csrf_token));
	return m;
}

int web_render(struct req *r, int status, void (*render)(struct strbuf *, json_t *), json_t *model)
{
	sb_reset(&r->out);
	render(&r->out, model);
	json_decref(model);
	if (sb_status(&r->out) != 0) {
		sb_reset(&r->out);
		r->status = 500;
		r->content_type = "text/plain; charset=utf-8";
		sb_puts(&r->out, "the page is too large to render\n");
		return 0;
	}
	r->status = status;
	r->content_type = "text/html; charset=utf-8";
	return 0;
}

bool web_local_path(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\')
		return false;
	for (const char *p = next; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\' || (unsigned char)*p == 0x7f)
			return false;
	return strlen(next) < 1024;
}

static int html_error(struct req *r, int status, const char *title, const char *detail)
{
	json_t *m = web_base_model(r, NULL, title);
	json_object_set_new(m, "error", json_pack("{s:i, s:s, s:s, s:s}", "status", status, "title",
						  title, "message", detail ? detail : "",
						  "request_id", r->request_id));
	return web_render(r, status, tmpl_error, m);
}

static int h_static(struct req *r)
{
	const struct static_asset *a = static_find(r->path);
	if (!a) {
		r->route = NULL; /* plain problem, not an HTML page, for a missing asset */
		return resp_problem(r, 404, NULL, "no such file", NULL);
	}
	resp_header(r, "ETag", a->etag);
	resp_header(r, "Cache-Control", "public, max-age=3600");
	const char *inm = req_header(r, "If-None-Match");
	if (inm && strcmp(inm, a->etag) == 0)
		return resp_text(r, 304, NULL, "", 0);
	return resp_text(r, 200, a->content_type, (const char *)a->data, a->len);
}

static void __attribute__((constructor)) web_install_hooks(void)
{
	resp_problem_html_hook = html_error;
}

const struct route web_static_routes[] = {
	{"GET", "/static/{file}", PERM_PUBLIC, BODY_NONE, 0, h_static, NULL,
	 "Stylesheet, script and icons, served by sirt itself", "web", NULL, ROUTE_NOLOG | ROUTE_HTML},
};
ROUTES_COUNT(web_static);
