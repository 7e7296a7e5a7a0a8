/*
 * Human incident keys: PREFIX-YYYY-NNNN, e.g. INC-2026-0042.
 *   prefix   1..16 characters, upper-case letters, digits and inner hyphens,
 *            starting with a letter; configurable per organisation.
 *   year     four digits, 1970..9999.
 *   sequence 1..999999999999, zero-padded to at least four digits; a longer
 *            sequence has no leading zero, so every key has exactly one
 *            spelling.
 * Parsing accepts the prefix in any case and returns it upper-cased.
 */
#ifndef SIRT_CORE_INCIDENT_KEY_H
#define SIRT_CORE_INCIDENT_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

#define INCIDENT_KEY_PREFIX_MAX 16
#define INCIDENT_KEY_SEQ_MAX 999999999999LL
/* prefix + '-' + year + '-' + 12 digits + NUL */
#define INCIDENT_KEY_MAX (INCIDENT_KEY_PREFIX_MAX + 1 + 4 + 1 + 12 + 1)

struct incident_key {
	char prefix[INCIDENT_KEY_PREFIX_MAX + 1];
	int year;
	int64_t seq;
};

bool incident_key_prefix_valid(const char *prefix);
/* Writes the key into out (outsz >= INCIDENT_KEY_MAX is always enough).
 * SIRT_EINVAL for a bad prefix, year or sequence; SIRT_ETOOBIG if out is too
 * small. */
int incident_key_format(char *out, size_t outsz, const char *prefix, int year, int64_t seq) WUR;
/* Parses a key. If want_prefix is not NULL the key's prefix must equal it
 * (case-insensitively). SIRT_EINVAL if the text is not a key. */
int incident_key_parse(const char *s, const char *want_prefix, struct incident_key *out) WUR;

#endif
