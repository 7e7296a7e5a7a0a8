/* Helpers shared by the admin, account, alerts and review pages: see pages_kit.h. */
#include "web/pages_kit.h"

#include <stdio.h>
#include <string.h>

#include "api/validate.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "web/pages.h"
#include "web/web.h"


static int hexval(char c);
static char *form_decode(struct arena *a, const char *s, size_t n);

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* application/x-www-form-urlencoded: '+' is a space, %XX a byte. */
static char *form_decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

json_t *kit_model(struct req *r, const char *nav, const char *title)
{
	json_t *m = web_base_model(r, nav, title);
	pages_flash_take(r, m);
	return m;
}

const char *kit_field(struct req *r, const char *name)
{
	return pages_field(r, name);
}

const char *kit_text(struct req *r, const char *name)
{
	const char *v = req_form(r, name);
	if (!v)
		return NULL;
	char *t = arena_strdup(&r->arena, v), *o = t;
	for (const char *p = v; *p; p++)
		if (*p != '\r')
			*o++ = *p;
	*o = '\0';
	return pages_utf8_clean(r, t);
}

json_t *kit_field_all(struct req *r, const char *name)
{
	json_t *a = json_array();
	if (!r->body)
		return a;
	size_t nl = strlen(name);
	const char *p = r->body, *end = r->body + r->body_len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));
		if (eq) {
			char *key = form_decode(&r->arena, p, (size_t)(eq - p));
			if (strlen(key) == nl && memcmp(key, name, nl) == 0) {
				json_t *v = json_string(
					form_decode(&r->arena, eq + 1, (size_t)(fe - eq - 1)));
				if (v) /* invalid UTF-8 is dropped */
					json_array_append_new(a, v);
			}
		}
		p = fe + 1;
	}
	return a;
}

int kit_done(struct req *r, const char *kind, const char *text, const char *location)
{
	pages_flash_set(r, kind, text);
	return resp_redirect(r, location);
}

/* Times on these pages are shown in the user's time zone, like every page. */
json_t *kit_time(struct req *r, int64_t t)
{
	return pages_time(pages_zone(r), t);
}

json_t *kit_time_iso(struct req *r, json_t *iso)
{
	return pages_time_json(pages_zone(r), iso);
}

void kit_times(struct req *r, json_t *obj, const char *const *keys)
{
	char k[80];
	for (; *keys; keys++) {
		snprintf(k, sizeof(k), "%s_t", *keys);
		json_object_set_new(obj, k, kit_time_iso(r, json_object_get(obj, *keys)));
	}
}

const char *kit_label(struct req *r, const char *value)
{
	return pages_label(r, NULL, value);
}

json_t *kit_options(struct req *r, const char *const *list)
{
	return pages_options(r, NULL, list);
}

int kit_day_end(const char *date, int64_t *out)
{
	int64_t t;
	if (!date || strlen(date) != 10 || time_parse_date(date, &t) < 0)
		return SIRT_EINVAL;
	*out = t + 86400;
	return 0;
}

const char *kit_who(const struct req *r)
{
	if (r->who.display_name && *r->who.display_name)
		return r->who.display_name;
	return r->who.email ? r->who.email : "";
}
