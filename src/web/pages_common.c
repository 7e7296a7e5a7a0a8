/* Helpers shared by the page handlers: see pages.h. */
#include "api/validate.h"
#include "web/pages.h"

#include <stdio.h>
#include <string.h>

#include "util/timeutil.h"
#include "web/escape.h"

#define FLASH_COOKIE "sirt_flash"
#define FLASH_MAX 300

static int hexval(char c);

const struct tz *pages_zone(const struct req *r)
{
	return tz_get(r->authenticated ? r->who.time_zone : NULL);
}

json_t *pages_time(const struct tz *z, int64_t t)
{
	if (t == 0)
		return json_null();
	char iso[ISO8601_LEN], utc[40], text[64], date[16], hm[8];
	time_format_iso8601(t, iso);
	snprintf(utc, sizeof(utc), "%.10s %.5s UTC", iso, iso + 11);
	struct tz_local l;
	tz_local(z, t, &l);
	snprintf(date, sizeof(date), "%04lld-%02u-%02u", (long long)l.year, l.month, l.day);
	snprintf(hm, sizeof(hm), "%02u:%02u", l.hour, l.minute);
	snprintf(text, sizeof(text), "%s %s %s", date, hm, l.abbr);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "iso", iso, "utc", utc, "text", text,
			 "date", date, "time", hm, "zone", l.abbr);
}

json_t *pages_time_json(const struct tz *z, json_t *iso)
{
	int64_t t;
	if (!json_is_string(iso) || time_parse_iso8601(json_string_value(iso), &t) < 0 || t == 0)
		return json_null();
	return pages_time(z, t);
}

void pages_local_input(const struct tz *z, int64_t t, char out[24])
{
	out[0] = '\0';
	if (t == 0)
		return;
	struct tz_local l;
	tz_local(z, t, &l);
	snprintf(out, 24, "%04lld-%02u-%02uT%02u:%02u", (long long)l.year, l.month, l.day, l.hour,
		 l.minute);
}

static bool digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool parse_ymd(const char *s, unsigned *y, unsigned *m, unsigned *d)
{
	if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, m) || s[7] != '-' ||
	    !digits(s + 8, 2, d))
		return false;
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (*y < 1900 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 || *d > mdays[*m - 1])
		return false;
	bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	return !(*m == 2 && *d == 29 && !leap);
}

int pages_parse_local(const struct tz *z, const char *s, int64_t *out)
{
	unsigned y, mo, d, h, mi, sec = 0;
	if (!s || strlen(s) < 16 || !parse_ymd(s, &y, &mo, &d) || (s[10] != 'T' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || h > 23 || mi > 59)
		return SIRT_EINVAL;
	const char *rest = s + 16;
	if (*rest == ':') {
		if (!digits(rest + 1, 2, &sec) || sec > 59)
			return SIRT_EINVAL;
		rest += 3;
		if (*rest == '.') /* browsers may send fractions */
			for (rest++; *rest >= '0' && *rest <= '9'; rest++)
				;
	}
	if (*rest)
		return SIRT_EINVAL;
	*out = tz_from_local(z, y, mo, d, h, mi, sec);
	return 0;
}

int pages_parse_day(const struct tz *z, const char *s, bool end_of_day, int64_t *out)
{
	unsigned y, m, d;
	if (!s || strlen(s) != 10 || !parse_ymd(s, &y, &m, &d))
		return SIRT_EINVAL;
	*out = tz_from_local(z, y, m, d, 0, 0, 0);
	if (end_of_day) {
		int64_t days = time_days_from_civil(y, m, d) + 1;
		int64_t ny;
		unsigned nm, nd;
		time_civil_from_days(days, &ny, &nm, &nd);
		*out = tz_from_local(z, ny, nm, nd, 0, 0, 0) - 1;
	}
	return 0;
}

/* ---- labels ---- */

static const struct {
	const char *value, *label;
} special[] = {
	{"ip", "IP address"},
	{"cidr", "Network (CIDR)"},
	{"url", "URL"},
	{"email", "E-mail address"},
	{"md5", "MD5 hash"},
	{"sha1", "SHA-1 hash"},
	{"sha256", "SHA-256 hash"},
	{"file_name", "File name"},
	{"denial_of_service", "Denial of service"},
	{"external_removable_media", "External/removable media"},
	{"loss_or_theft", "Loss or theft of equipment"},
	{"weak_or_stolen_credentials", "Weak or stolen credentials"},
	{"in_progress", "In progress"},
	{"not_recoverable", "Not recoverable"},
	{"no_action_needed", "No action needed"},
};

const char *pages_label(struct req *r, const char *kind, const char *value)
{
	if (!value || !*value)
		return "";
	if (kind && !strcmp(kind, "tlp")) {
		char *t = arena_printf(&r->arena, "TLP:%s", value);
		for (char *p = t + 4; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		return t;
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(special[i].value, value))
			return special[i].label;
	char *t = arena_strdup(&r->arena, value);
	for (char *p = t; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (t[0] >= 'a' && t[0] <= 'z')
		t[0] = (char)(t[0] - 'a' + 'A');
	return t;
}

json_t *pages_options(struct req *r, const char *kind, const char *const *list)
{
	json_t *a = json_array();
	for (; *list; list++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "value", *list, "label",
						   pages_label(r, kind, *list)));
	return a;
}

/* ---- forms ---- */

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Form text goes into JSON view models, which need valid UTF-8: bytes of a
 * broken sequence become '?'. */
const char *pages_utf8_clean(struct req *r, const char *s)
{
	if (text_is_utf8(s, strlen(s)))
		return s;
	char *t = arena_strdup(&r->arena, s);
	for (char *p = t; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return t;
}

const char *pages_field(struct req *r, const char *name)
{
	const char *v = req_form(r, name);
	if (!v)
		return NULL;
	while (space(*v))
		v++;
	size_t n = strlen(v);
	while (n > 0 && space(v[n - 1]))
		n--;
	return n ? pages_utf8_clean(r, arena_strndup(&r->arena, v, n)) : NULL;
}

json_t *pages_list(const char *s)
{
	json_t *a = json_array();
	if (!s)
		return a;
	while (*s) {
		size_t n = strcspn(s, ",\n");
		const char *b = s, *e = s + n;
		while (b < e && space(*b))
			b++;
		while (e > b && space(e[-1]))
			e--;
		if (e > b) {
			json_t *v = json_stringn(b, (size_t)(e - b));
			if (v)
				json_array_append_new(a, v);
		}
		s += n;
		if (*s)
			s++;
	}
	return a;
}

json_t *pages_errors(json_t *errors)
{
	json_t *o = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));
		const char *m = json_string_value(json_object_get(e, "message"));
		if (!f || !m || json_object_get(o, f))
			continue;
		/* the store's messages follow the field name ("is required ..."):
		 * next to a labelled field they read better as a sentence */
		if (!strncmp(m, "is ", 3) || !strncmp(m, "must ", 5) || !strncmp(m, "cannot ", 7))
			json_object_set_new(o, f, json_sprintf("This field %s%s", m,
							       m[strlen(m) - 1] == '.' ? "" : "."));
		else
			json_object_set_new(o, f, json_string(m));
	}
	return o;
}

const char *pages_excerpt(struct req *r, const char *s, size_t max)
{
	if (!s)
		return "";
	size_t n = strlen(s);
	if (n <= max)
		return s;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return arena_printf(&r->arena, "%.*s…", (int)max, s);
}

/* ---- flash ---- */

static void set_cookie(struct req *r, const char *value, int max_age)
{
	resp_header(r, "Set-Cookie",
		    arena_printf(&r->arena, FLASH_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
				 value, max_age, r->tls ? "; Secure" : ""));
}

void pages_flash_set(struct req *r, const char *kind, const char *text)
{
	struct strbuf v;
	sb_init(&v, 4 * FLASH_MAX);
	sb_printf(&v, "%c.", kind && !strcmp(kind, "error") ? 'e' : kind && !strcmp(kind, "warning") ? 'w' : 'o');
	size_t n = strlen(text);
	if (n > FLASH_MAX) { /* cut at a UTF-8 boundary */
		n = FLASH_MAX;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	escape_url_query(&v, text, n);
	if (sb_status(&v) == 0)
		set_cookie(r, arena_strdup(&r->arena, sb_str(&v)), 60);
	sb_free(&v);
}

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

void pages_flash_take(struct req *r, json_t *model)
{
	const char *c = req_cookie(r, FLASH_COOKIE);
	if (!c || !*c)
		return;
	set_cookie(r, "", 0);
	if (strlen(c) < 3 || c[1] != '.' || strlen(c) > 4 * FLASH_MAX)
		return;
	const char *kind = c[0] == 'e' ? "error" : c[0] == 'w' ? "warning" : "ok";
	char *t = arena_alloc(&r->arena, strlen(c)), *o = t;
	for (const char *p = c + 2; *p; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	json_t *text = json_string(t); /* NULL for invalid UTF-8: then no message */
	if (text)
		json_object_set_new(model, "flash", json_pack("{s:s, s:o}", "kind", kind, "text", text));
}

bool pages_can(const struct req *r, enum perm p)
{
	return r->authenticated && role_grants(r->who.role, p) && scope_allows(r->who.scope, p);
}
