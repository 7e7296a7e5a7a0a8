/*
 * Writing JSON text straight into a strbuf, for the hot read paths (the
 * incident list and record) where building jansson objects only to dump
 * them cost more than the database work. The output is what jansson's
 * json_dumps(JSON_COMPACT) writes for the same values, byte for byte.
 */
#ifndef SIRT_JSONW_H
#define SIRT_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "util/strbuf.h"

/* A JSON string (s is UTF-8); NULL writes null. */
void jw_string(struct strbuf *sb, const char *s);
/* `"key":` preceded by a comma unless first. key needs no escaping. */
void jw_key(struct strbuf *sb, const char *key, bool first);
void jw_int(struct strbuf *sb, int64_t v);
/* An RFC 3339 UTC time, or null when unset. */
void jw_time(struct strbuf *sb, int64_t t, bool unset);

#endif
