/* Helpers shared by the programme pages: see pages_prog.h. */
#include "web/pages_prog.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/plan_store.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "web/web.h"

#define MD_HTML_MAX (512 * 1024)

json_t *prog_model(struct req *r, const char *nav, const char *title)
{
	json_t *m = web_base_model(r, nav, title);
	pages_flash_take(r, m);
	json_object_set_new(m, "can_manage", json_boolean(pages_can(r, PERM_MANAGE)));
	json_object_set_new(m, "can_respond", json_boolean(pages_can(r, PERM_RESPOND)));
	return m;
}

const char *prog_path(struct req *r, const char *prefix, const char *seg, const char *suffix)
{
	struct strbuf sb;
	sb_init(&sb, 4096);
	sb_puts(&sb, prefix);
	if (seg)
		escape_url_path(&sb, seg, strlen(seg));
	if (suffix)
		sb_puts(&sb, suffix);
	const char *p = arena_strdup(&r->arena, sb_status(&sb) == 0 ? sb_str(&sb) : prefix);
	sb_free(&sb);
	return p;
}

void prog_time(struct req *r, json_t *o, const char *field)
{
	char name[96];
	snprintf(name, sizeof(name), "%s_t", field);
	json_object_set_new(o, name, pages_time_json(pages_zone(r), json_object_get(o, field)));
}

void prog_label(struct req *r, json_t *o, const char *field, const char *kind)
{
	char name[96];
	snprintf(name, sizeof(name), "%s_label", field);
	const char *v = json_string_value(json_object_get(o, field));
	json_object_set_new(o, name, json_string(pages_label(r, kind, v)));
}

json_t *prog_markdown(const char *md)
{
	if (!md || !*md)
		return json_null();
	char *html = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8);
	/* safe mode empties unsafe link targets: drop the empty attribute
	 * (an <a> without href is valid HTML, href="" is not) */
	if (html) {
		char *o = html;
		for (const char *p = html; *p;) {
			if (!strncmp(p, "<a href=\"\"", 10)) {
				memcpy(o, "<a", 2);
				o += 2;
				p += 10;
			} else {
				*o++ = *p++;
			}
		}
		*o = '\0';
	}
	json_t *v = html && strlen(html) < MD_HTML_MAX ? json_string(html) : NULL;
	free(html);
	return v ? v : json_null();
}

int prog_done(struct req *r, const char *loc, const char *kind, const char *flash)
{
	if (flash)
		pages_flash_set(r, kind ? kind : "ok", flash);
	return resp_redirect(r, loc);
}

json_t *prog_errors(json_t *list)
{
	return list ? pages_errors(list) : json_object();
}

const char *prog_raw(struct req *r, const char *name)
{
	const char *v = req_form(r, name);
	return v ? v : "";
}

void prog_today(char out[16])
{
	char iso[ISO8601_LEN];
	time_format_iso8601(time_now(), iso);
	snprintf(out, 16, "%.10s", iso);
}

char *prog_lf(char *s)
{
	char *o = s;
	for (const char *p = s; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*o++ = *p;
	*o = '\0';
	return s;
}

const char *prog_textarea(struct req *r, const char *name)
{
	const char *v = pages_field(r, name);
	return v ? prog_lf(arena_strdup(&r->arena, v)) : NULL;
}

int prog_plan_versions(struct req *r, struct db *db, const char *key, json_t **out)
{
	char uid[37];
	*out = json_array();
	int rc = plan_find(db, r->who.org_id, uid);
	if (rc == SIRT_ENOTFOUND)
		return 0;
	json_t *items = NULL;
	if (rc == 0)
		rc = plan_version_list(db, r->who.org_id, uid, &items);
	if (rc < 0)
		return rc;
	size_t i;
	json_t *v;
	json_array_foreach(items, i, v) {
		json_t *o = json_pack("{s:O, s:O}", key, json_object_get(v, "label"), "status",
				      json_object_get(v, "status"));
		prog_label(r, o, "status", NULL);
		json_array_append_new(*out, o);
	}
	json_decref(items);
	return 0;
}
