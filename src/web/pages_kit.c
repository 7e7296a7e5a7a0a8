/* Helpers shared by the admin, account, alerts and review pages: see pages_kit.h. */
#include "web/pages_kit.h"

#include <stdio.h>
#include <string.h>

#include "api/validate.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "web/web.h"

#define FLASH_COOKIE "sirt_flash"
#define FLASH_MAX 300

static int hexval(char c);
static char *form_decode(struct arena *a, const char *s, size_t n);
static void flash_cookie(struct req *r, const char *value, int max_age);
static void flash_take(struct req *r, json_t *model);

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
	flash_take(r, m);
	return m;
}

/* Form text goes into JSON view models, which need valid UTF-8: bytes of a
 * broken sequence become '?'. */
static char *utf8_clean(struct req *r, const char *s, size_t n)
{
	char *t = arena_strndup(&r->arena, s, n);
	if (!text_is_utf8(t, n))
		for (char *p = t; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	return t;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

const char *kit_field(struct req *r, const char *name)
{
	const char *v = req_form(r, name);
	if (!v)
		return NULL;
	while (blank(*v))
		v++;
	size_t n = strlen(v);
	while (n > 0 && blank(v[n - 1]))
		n--;
	return n ? utf8_clean(r, v, n) : NULL;
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
	return utf8_clean(r, t, strlen(t));
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

static void flash_cookie(struct req *r, const char *value, int max_age)
{
	resp_header(r, "Set-Cookie",
		    arena_printf(&r->arena,
				 FLASH_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
				 value, max_age, r->tls ? "; Secure" : ""));
}

int kit_done(struct req *r, const char *kind, const char *text, const char *location)
{
	struct strbuf v;
	sb_init(&v, 4 * FLASH_MAX);
	sb_printf(&v, "%c.", kind && !strcmp(kind, "error")     ? 'e'
			     : kind && !strcmp(kind, "warning") ? 'w'
								: 'o');
	size_t n = strlen(text);
	if (n > FLASH_MAX) { /* cut at a UTF-8 boundary */
		n = FLASH_MAX;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	escape_url_query(&v, text, n);
	if (sb_status(&v) == 0)
		flash_cookie(r, arena_strdup(&r->arena, sb_str(&v)), 60);
	sb_free(&v);
	return resp_redirect(r, location);
}

static void flash_take(struct req *r, json_t *model)
{
	const char *c = req_cookie(r, FLASH_COOKIE);
	if (!c || !*c)
		return;
	flash_cookie(r, "", 0);
	size_t n = strlen(c);
	if (n < 3 || c[1] != '.' || n > 4 * FLASH_MAX)
		return;
	const char *kind = c[0] == 'e' ? "error" : c[0] == 'w' ? "warning" : "ok";
	char *t = arena_alloc(&r->arena, n), *o = t;
	for (const char *p = c + 2; *p; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	json_t *text = json_string(t); /* NULL for invalid UTF-8: no message then */
	if (text)
		json_object_set_new(model, "flash", json_pack("{s:s, s:o}", "kind", kind, "text", text));
}

json_t *kit_time(int64_t t)
{
	if (t == 0)
		return json_null();
	char iso[ISO8601_LEN], text[40];
	time_format_iso8601(t, iso);
	snprintf(text, sizeof(text), "%.10s %.5s UTC", iso, iso + 11);
	return json_pack("{s:s, s:s}", "iso", iso, "text", text);
}

json_t *kit_time_iso(json_t *iso)
{
	int64_t t;
	if (!json_is_string(iso) || time_parse_iso8601(json_string_value(iso), &t) < 0 || t == 0)
		return json_null();
	return kit_time(t);
}

void kit_times(json_t *obj, const char *const *keys)
{
	char k[80];
	for (; *keys; keys++) {
		snprintf(k, sizeof(k), "%s_t", *keys);
		json_object_set_new(obj, k, kit_time_iso(json_object_get(obj, *keys)));
	}
}

bool kit_can(const struct req *r, enum perm p)
{
	return r->authenticated && role_grants(r->who.role, p) && scope_allows(r->who.scope, p);
}

const char *kit_label(struct req *r, const char *value)
{
	if (!value || !*value)
		return "";
	char *t = arena_strdup(&r->arena, value);
	for (char *p = t; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (t[0] >= 'a' && t[0] <= 'z')
		t[0] = (char)(t[0] - 'a' + 'A');
	return t;
}

json_t *kit_options(struct req *r, const char *const *list)
{
	json_t *a = json_array();
	for (; *list; list++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "value", *list, "label",
						   kit_label(r, *list)));
	return a;
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
