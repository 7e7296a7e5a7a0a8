/*
 * Allow-list validation of JSON request bodies. A handler declares its
 * fields once; validate_body() rejects unknown fields, wrong types, missing
 * required fields, over-long strings and values outside an enumeration, and
 * reports every offending field at once. The same declarations describe the
 * request bodies in the OpenAPI document.
 */
#ifndef SIRT_VALIDATE_H
#define SIRT_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum field_kind {
	F_STRING,   /* single-line text: no control characters */
	F_TEXT,     /* multi-line text */
	F_INT,
	F_BOOL,
	F_TIME,     /* RFC 3339 date-time with offset */
	F_DATE,     /* YYYY-MM-DD */
	F_ENUM,     /* one of values[] */
	F_STRINGS,  /* array of single-line strings */
	F_OBJECT,   /* any JSON object (validated by the handler) */
	F_ARRAY,    /* any JSON array (validated by the handler) */
};

struct field_spec {
	const char *name;      /* NULL ends the list */
	enum field_kind kind;
	bool required;
	bool nullable;         /* JSON null allowed (clears the value) */
	size_t max;            /* max length (strings) or items (arrays); 0 = default */
	const char *const *values; /* F_ENUM, NULL-terminated */
	const char *doc;       /* one line for the OpenAPI document */
};

/* On failure returns SIRT_EINVAL and a new array of {"field","message"}. */
int validate_body(json_t *obj, const struct field_spec *spec, json_t **errors) WUR;
/* Adds a field error to *errors (created if NULL). */
void validate_add(json_t **errors, const char *field, const char *message);
/* JSON Schema of a field list, for OpenAPI. */
json_t *validate_schema(const struct field_spec *spec);
bool text_is_single_line(const char *s);
bool text_is_utf8(const char *s, size_t len);

#endif
