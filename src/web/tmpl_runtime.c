#include "web/tmpl_runtime.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "web/escape.h"

static const char *value_text(const json_t *v, char *buf, size_t size, size_t *len);
static bool all_digits(const char *s);

const struct tmpl_entry *tmpl_find(const char *name)
{
	for (size_t i = 0; i < tmpl_count; i++)
		if (strcmp(tmpl_all[i].name, name) == 0)
			return &tmpl_all[i];
	return NULL;
}

void tmpl_scope_root(struct tmpl_scope *s, json_t *model)
{
	memset(s, 0, sizeof(*s));
	s->cur = model;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

json_t *tmpl_lookup(const struct tmpl_scope *s, const struct tmpl_path *p)
{
	if (p->root) {
		while (s->parent)
			s = s->parent;
	}
	for (int i = 0; i < p->up && s; i++)
		s = s->parent;
	if (!s)
		return NULL;
	switch (p->at) {
	case TMPL_AT_NONE:
		break;
	case TMPL_AT_INDEX:
		return s->index_json;
	case TMPL_AT_FIRST:
		return s->array ? json_boolean(s->index == 0) : NULL;
	case TMPL_AT_LAST:
		return s->array ? json_boolean(s->index + 1 == s->count) : NULL;
	}
	json_t *v = s->cur;
	for (int i = 0; i < p->nseg && v; i++) {
		if (json_is_object(v))
			v = json_object_get(v, p->segs[i]);
		else if (json_is_array(v) && all_digits(p->segs[i]))
			v = json_array_get(v, strtoul(p->segs[i], NULL, 10));
		else
			v = NULL;
	}
	return v;
}

bool tmpl_truthy(const json_t *v)
{
	if (!v)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_TRUE:
		return true;
	case JSON_FALSE:
	case JSON_NULL:
		return false;
	}
	return false;
}

/* The text a scalar renders as; "" for missing, null, arrays and objects. */
static const char *value_text(const json_t *v, char *buf, size_t size, size_t *len)
{
	const char *s = "";
	if (!v) {
		*len = 0;
		return s;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = buf;
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.15g", json_real_value(v));
		s = buf;
		break;
	case JSON_TRUE:
		s = "true";
		break;
	case JSON_FALSE:
		s = "false";
		break;
	default:
		break;
	}
	*len = strlen(s);
	return s;
}

bool tmpl_eq(const json_t *a, const json_t *b)
{
	char ba[32], bb[32];
	size_t la, lb;
	const char *sa = value_text(a, ba, sizeof(ba), &la);
	const char *sb = value_text(b, bb, sizeof(bb), &lb);
	return la == lb && memcmp(sa, sb, la) == 0;
}

bool tmpl_eq_str(const json_t *a, const char *s)
{
	char buf[32];
	size_t len;
	const char *t = value_text(a, buf, sizeof(buf), &len);
	return len == strlen(s) && memcmp(t, s, len) == 0;
}

size_t tmpl_length(const json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : 0;
}

void tmpl_loop_begin(struct tmpl_scope *loop, const struct tmpl_scope *parent, json_t *array)
{
	memset(loop, 0, sizeof(*loop));
	loop->parent = parent;
	loop->array = array;
	loop->count = json_array_size(array);
	loop->index_json = json_integer(0);
}

void tmpl_loop_at(struct tmpl_scope *loop, size_t i)
{
	loop->index = i;
	loop->cur = json_array_get(loop->array, i);
	json_integer_set(loop->index_json, (json_int_t)i);
}

void tmpl_loop_end(struct tmpl_scope *loop)
{
	json_decref(loop->index_json);
	loop->index_json = NULL;
}

void tmpl_put(struct strbuf *out, enum tmpl_esc esc, const json_t *v)
{
	char buf[32];
	size_t len;
	const char *s;
	if (esc == TMPL_ESC_JSON) {
		if (escape_json_script(out, v) < 0)
			sb_puts(out, "null");
		return;
	}
	s = value_text(v, buf, sizeof(buf), &len);
	switch (esc) {
	case TMPL_ESC_HTML:
		escape_html(out, s, len);
		break;
	case TMPL_ESC_ATTR:
		escape_attr(out, s, len);
		break;
	case TMPL_ESC_QUERY:
		escape_url_query(out, s, len);
		break;
	case TMPL_ESC_PATH:
		escape_url_path(out, s, len);
		break;
	case TMPL_ESC_RAW:
		sb_append(out, s, len);
		break;
	case TMPL_ESC_JSON:
		break;
	}
}
