/*
 * JSON intake shared by the alert parsers: the size and depth ceilings
 * (checked on the raw bytes before jansson allocates anything), typed field
 * getters that produce "which field, what was wrong" messages, and the
 * computed-fingerprint hash.
 */
#include "alert_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static int check_depth(const char *src, const char *body, size_t len, struct strbuf *err);
static int load_one(const char *src, const char *p, size_t len, size_t flags, json_t **out,
		    size_t *used, size_t base, struct strbuf *err);

void alert_errf(struct strbuf *err, const char *source, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	sb_reset(err);
	sb_printf(err, "%s: ", source);
	va_start(ap, fmt);
	sb_vprintf(err, fmt, ap);
	va_end(ap);
}

const char *alert_json_type(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

const char *alert_path(char *buf, size_t size, const char *where, const char *key)
{
	snprintf(buf, size, "%s%s%s", where, *where ? "." : "", key);
	return buf;
}

/* Counts brackets outside strings; jansson's own limit is far too high. */
static int check_depth(const char *src, const char *body, size_t len, struct strbuf *err)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char c = body[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > ALERT_MAX_DEPTH) {
				alert_errf(err, src,
					   "JSON nested deeper than %d levels (at byte %zu)",
					   ALERT_MAX_DEPTH, i);
				return SIRT_EINVAL;
			}
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

static int load_one(const char *src, const char *p, size_t len, size_t flags, json_t **out,
		    size_t *used, size_t base, struct strbuf *err)
{
	json_error_t je;
	json_t *j = json_loadb(p, len, flags | JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		alert_errf(err, src, "not valid JSON: %s (line %d, column %d, byte %zu)", je.text,
			   je.line, je.column, base + (je.position > 0 ? (size_t)je.position : 0));
		return SIRT_EINVAL;
	}
	*out = j;
	if (used)
		*used = je.position > 0 ? (size_t)je.position : 0;
	return 0;
}

int alert_json_load(const char *src, const char *body, size_t len, bool multi, json_t **out,
		    struct strbuf *err)
{
	*out = NULL;
	if (!body || len == 0) {
		alert_errf(err, src, "empty body");
		return SIRT_EINVAL;
	}
	if (len > ALERT_MAX_PAYLOAD) {
		alert_errf(err, src, "payload of %zu bytes exceeds the limit of %zu bytes", len,
			   ALERT_MAX_PAYLOAD);
		return SIRT_ETOOBIG;
	}
	int rc = check_depth(src, body, len, err);
	if (rc < 0)
		return rc;
	if (!multi)
		return load_one(src, body, len, 0, out, NULL, 0, err);

	json_t *all = json_array();
	size_t off = 0;
	for (;;) {
		while (off < len && (body[off] == ' ' || body[off] == '\t' || body[off] == '\n' ||
				     body[off] == '\r'))
			off++;
		if (off >= len)
			break;
		json_t *j;
		size_t used;
		rc = load_one(src, body + off, len - off, JSON_DISABLE_EOF_CHECK, &j, &used, off,
			      err);
		if (rc < 0) {
			json_decref(all);
			return rc;
		}
		json_array_append_new(all, j);
		if (used == 0) {
			/* jansson always reports what it consumed; never loop in place */
			json_decref(all);
			alert_errf(err, src, "not valid JSON at byte %zu", off);
			return SIRT_EINVAL;
		}
		off += used;
	}
	if (json_array_size(all) == 0) {
		json_decref(all);
		alert_errf(err, src, "empty body");
		return SIRT_EINVAL;
	}
	*out = all;
	return 0;
}

static json_t *get(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

static int absent(const char *src, const char *where, const char *key, bool required,
		  struct strbuf *err)
{
	char path[256];
	if (!required)
		return 0;
	alert_errf(err, src, "%s: required field missing",
		   alert_path(path, sizeof(path), where, key));
	return SIRT_EINVAL;
}

static int wrong(const char *src, const char *where, const char *key, const char *want,
		 const json_t *got, struct strbuf *err)
{
	char path[256];
	alert_errf(err, src, "%s: expected %s, got %s", alert_path(path, sizeof(path), where, key),
		   want, alert_json_type(got));
	return SIRT_EINVAL;
}

int aj_string(const char *src, const json_t *obj, const char *where, const char *key,
	      bool required, const char **out, struct strbuf *err)
{
	json_t *v = get(obj, key);
	*out = NULL;
	if (!v)
		return absent(src, where, key, required, err);
	if (!json_is_string(v))
		return wrong(src, where, key, "string", v, err);
	*out = json_string_value(v);
	return 0;
}

int aj_object(const char *src, const json_t *obj, const char *where, const char *key,
	      bool required, json_t **out, struct strbuf *err)
{
	json_t *v = get(obj, key);
	*out = NULL;
	if (!v)
		return absent(src, where, key, required, err);
	if (!json_is_object(v))
		return wrong(src, where, key, "object", v, err);
	*out = v;
	return 0;
}

int aj_array(const char *src, const json_t *obj, const char *where, const char *key,
	     bool required, json_t **out, struct strbuf *err)
{
	json_t *v = get(obj, key);
	*out = NULL;
	if (!v)
		return absent(src, where, key, required, err);
	if (!json_is_array(v))
		return wrong(src, where, key, "array", v, err);
	*out = v;
	return 0;
}

int aj_integer(const char *src, const json_t *obj, const char *where, const char *key,
	       bool required, json_int_t *out, bool *present, struct strbuf *err)
{
	json_t *v = get(obj, key);
	*out = 0;
	if (present)
		*present = false;
	if (!v)
		return absent(src, where, key, required, err);
	if (!json_is_integer(v))
		return wrong(src, where, key, "integer", v, err);
	*out = json_integer_value(v);
	if (present)
		*present = true;
	return 0;
}

int aj_time(const char *src, const json_t *obj, const char *where, const char *key,
	    bool required, int64_t *out, struct strbuf *err)
{
	const char *s;
	char path[256];
	*out = 0;
	int rc = aj_string(src, obj, where, key, required, &s, err);
	if (rc < 0 || !s)
		return rc;
	if (alert_time_parse(s, out) < 0) {
		alert_errf(err, src, "%s: not an RFC 3339 timestamp: \"%.64s\"",
			   alert_path(path, sizeof(path), where, key), s);
		return SIRT_EINVAL;
	}
	return 0;
}

int aj_expect_object(const char *src, const json_t *j, const char *where, struct strbuf *err)
{
	if (json_is_object(j))
		return 0;
	alert_errf(err, src, "%s: expected object, got %s", *where ? where : "document",
		   alert_json_type(j));
	return SIRT_EINVAL;
}

static void fp_netstring(struct alert_fp *fp, const char *s, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "%zu:", len);
	crypto_hash_sha256_update(&fp->st, (const unsigned char *)head, (unsigned long long)n);
	crypto_hash_sha256_update(&fp->st, (const unsigned char *)s, len);
	crypto_hash_sha256_update(&fp->st, (const unsigned char *)",", 1);
}

void alert_fp_init(struct alert_fp *fp, const char *source)
{
	crypto_hash_sha256_init(&fp->st);
	fp_netstring(fp, source, strlen(source));
}

void alert_fp_add(struct alert_fp *fp, const char *field)
{
	if (!field)
		field = "";
	fp_netstring(fp, field, strlen(field));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void alert_fp_add_object(struct alert_fp *fp, const json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	const char *key;
	json_t *v;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	json_object_foreach((json_t *)obj, key, v)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, keys[i]);
		alert_fp_add(fp, keys[i]);
		alert_fp_add(fp, json_is_string(v) ? json_string_value(v) : "");
	}
	free(keys);
}

void alert_fp_finish(struct alert_fp *fp, struct alert *a)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	crypto_hash_sha256_final(&fp->st, h);
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(h); i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[sizeof(hex) - 1] = '\0';
	free(a->fingerprint);
	a->fingerprint = xstrdup(hex);
}

static json_t *at_path(json_t *root, const char *path)
{
	char key[64];
	while (root && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		root = json_object_get(root, key);
		path += n + (dot ? 1 : 0);
	}
	return root;
}

int alert_parse_documents(const char *src, const char *body, size_t len, const char *list_path,
			  alert_item_fn parse_one, struct alert_batch *out, struct strbuf *err)
{
	json_t *root = NULL, *list = NULL, *item;
	char where[48];
	const char *name = "";
	size_t i;
	alert_batch_init(out, src);
	int rc = alert_json_load(src, body, len, false, &root, err);
	if (rc < 0)
		return rc;
	rc = SIRT_EINVAL;
	if (json_is_array(root)) {
		list = root;
	} else if (json_is_object(root) && json_is_array(at_path(root, list_path))) {
		list = at_path(root, list_path);
		name = list_path;
	}
	if (list) {
		size_t n = json_array_size(list);
		if (n == 0) {
			alert_errf(err, src, "%s: empty array", *name ? name : "document");
			goto fail;
		}
		if ((rc = alert_batch_check_count(out, n, err)) < 0)
			goto fail;
		rc = SIRT_EINVAL;
		json_array_foreach(list, i, item) {
			snprintf(where, sizeof(where), "%s[%zu]", name, i);
			if (parse_one(out, item, where, err) < 0)
				goto fail;
		}
	} else if (parse_one(out, root, "", err) < 0) {
		goto fail;
	}
	json_decref(root);
	return 0;
fail:
	alert_batch_clear(out);
	json_decref(root);
	return rc;
}
