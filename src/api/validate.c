#include "api/validate.h"

#include <string.h>

#include "util/strbuf.h"
#include "util/timeutil.h"

#define DEFAULT_STRING_MAX 500
#define DEFAULT_TEXT_MAX 100000
#define DEFAULT_ARRAY_MAX 100

void validate_add(json_t **errors, const char *field, const char *message)
{
	if (!*errors)
		*errors = json_array();
	json_array_append_new(*errors, json_pack("{s:s, s:s}", "field", field, "message", message));
}

bool text_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	while (p < e) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		int n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || e - p <= n)
			return false;
		for (int i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n + 1;
	}
	return true;
}

bool text_is_single_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool text_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static const char *kind_name(enum field_kind k)
{
	switch (k) {
	case F_STRING: case F_TEXT: case F_ENUM: return "a string";
	case F_TIME: return "an RFC 3339 date-time string with offset";
	case F_DATE: return "a YYYY-MM-DD date string";
	case F_INT: return "an integer";
	case F_BOOL: return "true or false";
	case F_STRINGS: return "an array of strings";
	case F_OBJECT: return "an object";
	case F_ARRAY: return "an array";
	}
	return "a value";
}

static void check_field(const struct field_spec *f, json_t *v, json_t **errors)
{
	char msg[600];
	if (json_is_null(v)) {
		if (!f->nullable)
			validate_add(errors, f->name, f->required ? "is required and may not be null"
								  : "may not be null");
		return;
	}
	switch (f->kind) {
	case F_STRING:
	case F_TEXT:
	case F_TIME:
	case F_DATE:
	case F_ENUM: {
		if (!json_is_string(v)) {
			snprintf(msg, sizeof(msg), "must be %s", kind_name(f->kind));
			validate_add(errors, f->name, msg);
			return;
		}
		const char *s = json_string_value(v);
		size_t max = f->max ? f->max : f->kind == F_TEXT ? DEFAULT_TEXT_MAX : DEFAULT_STRING_MAX;
		if (strlen(s) != json_string_length(v)) {
			validate_add(errors, f->name, "must not contain NUL characters");
		} else if (utf8_len(s) > max) {
			snprintf(msg, sizeof(msg), "must be at most %zu characters", max);
			validate_add(errors, f->name, msg);
		} else if (f->kind == F_TEXT ? !text_ok(s) : !text_is_single_line(s)) {
			validate_add(errors, f->name, "contains control characters");
		} else if (f->kind == F_TIME) {
			int64_t t;
			if (time_parse_iso8601(s, &t) < 0)
				validate_add(errors, f->name,
					     "must be an RFC 3339 date-time with offset, e.g. 2026-03-01T14:30:00Z");
		} else if (f->kind == F_DATE) {
			int64_t t;
			if (time_parse_date(s, &t) < 0)
				validate_add(errors, f->name, "must be a date as YYYY-MM-DD");
		} else if (f->kind == F_ENUM) {
			for (const char *const *e = f->values; *e; e++)
				if (strcmp(*e, s) == 0)
					return;
			struct strbuf sb;
			sb_init(&sb, 500);
			sb_puts(&sb, "must be one of: ");
			for (const char *const *e = f->values; *e; e++)
				sb_printf(&sb, "%s%s", e == f->values ? "" : ", ", *e);
			validate_add(errors, f->name, sb_str(&sb));
			sb_free(&sb);
		}
		return;
	}
	case F_INT:
		if (!json_is_integer(v))
			validate_add(errors, f->name, "must be an integer");
		return;
	case F_BOOL:
		if (!json_is_boolean(v))
			validate_add(errors, f->name, "must be true or false");
		return;
	case F_OBJECT:
		if (!json_is_object(v))
			validate_add(errors, f->name, "must be an object");
		return;
	case F_ARRAY:
	case F_STRINGS: {
		if (!json_is_array(v)) {
			snprintf(msg, sizeof(msg), "must be %s", kind_name(f->kind));
			validate_add(errors, f->name, msg);
			return;
		}
		size_t max = f->max ? f->max : DEFAULT_ARRAY_MAX;
		if (json_array_size(v) > max) {
			snprintf(msg, sizeof(msg), "must have at most %zu items", max);
			validate_add(errors, f->name, msg);
			return;
		}
		if (f->kind == F_STRINGS) {
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x) {
				if (!json_is_string(x) || json_string_length(x) == 0 ||
				    json_string_length(x) > DEFAULT_STRING_MAX ||
				    !text_is_single_line(json_string_value(x))) {
					snprintf(msg, sizeof(msg),
						 "item %zu must be a non-empty single-line string of at most %d characters",
						 i, DEFAULT_STRING_MAX);
					validate_add(errors, f->name, msg);
					return;
				}
			}
		}
		return;
	}
	}
}

int validate_body(json_t *obj, const struct field_spec *spec, json_t **errors)
{
	*errors = NULL;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		const struct field_spec *f = spec;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (!f->name) {
			char msg[128];
			snprintf(msg, sizeof(msg), "unknown field");
			validate_add(errors, key, msg);
			continue;
		}
		check_field(f, v, errors);
	}
	for (const struct field_spec *f = spec; f->name; f++)
		if (f->required && !json_object_get(obj, f->name))
			validate_add(errors, f->name, "is required");
	return *errors ? SIRT_EINVAL : 0;
}

json_t *validate_schema(const struct field_spec *spec)
{
	json_t *props = json_object(), *req = json_array();
	for (const struct field_spec *f = spec; f->name; f++) {
		json_t *p = json_object();
		switch (f->kind) {
		case F_STRING: case F_TEXT:
			json_object_set_new(p, "type", json_string("string"));
			break;
		case F_TIME:
			json_object_set_new(p, "type", json_string("string"));
			json_object_set_new(p, "format", json_string("date-time"));
			break;
		case F_DATE:
			json_object_set_new(p, "type", json_string("string"));
			json_object_set_new(p, "format", json_string("date"));
			break;
		case F_ENUM: {
			json_object_set_new(p, "type", json_string("string"));
			json_t *e = json_array();
			for (const char *const *x = f->values; *x; x++)
				json_array_append_new(e, json_string(*x));
			json_object_set_new(p, "enum", e);
			break;
		}
		case F_INT: json_object_set_new(p, "type", json_string("integer")); break;
		case F_BOOL: json_object_set_new(p, "type", json_string("boolean")); break;
		case F_OBJECT: json_object_set_new(p, "type", json_string("object")); break;
		case F_ARRAY: json_object_set_new(p, "type", json_string("array")); break;
		case F_STRINGS:
			json_object_set_new(p, "type", json_string("array"));
			json_object_set_new(p, "items", json_pack("{s:s}", "type", "string"));
			break;
		}
		if (f->nullable) {
			json_t *t = json_object_get(p, "type");
			json_object_set_new(p, "type", json_pack("[O, s]", t, "null"));
		}
		if (f->doc)
			json_object_set_new(p, "description", json_string(f->doc));
		json_object_set_new(props, f->name, p);
		if (f->required)
			json_array_append_new(req, json_string(f->name));
	}
	json_t *s = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props,
			      "additionalProperties", 0);
	if (json_array_size(req))
		json_object_set_new(s, "required", req);
	else
		json_decref(req);
	return s;
}
