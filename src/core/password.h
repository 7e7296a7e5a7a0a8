/*
 * Password policy, checked when a password is set or changed (NIST SP
 * 800-63B style: length and a block list rather than composition rules).
 *   - at least PASSWORD_MIN_CHARS characters, counted as UTF-8 code points;
 *   - at most PASSWORD_MAX_BYTES bytes (the hash input stays bounded);
 *   - valid UTF-8;
 *   - not a single character repeated;
 *   - not equal to the whole e-mail address and, when the part before its '@'
 *     has PASSWORD_LOCAL_MIN or more characters, not containing that part
 *     (case-insensitively; shorter local parts like "jo" would forbid too
 *     much);
 *   - not on the built-in list of the commonest passwords (case-insensitive).
 *     The list holds only entries of 12 or more characters: shorter common
 *     passwords already fail the length rule.
 */
#ifndef SIRT_CORE_PASSWORD_H
#define SIRT_CORE_PASSWORD_H

#include <stdbool.h>
#include "util/err.h"
#include "util/strbuf.h"

#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_BYTES 1024
#define PASSWORD_LOCAL_MIN 4

/* 0 if pw is acceptable for the account with this e-mail (may be NULL);
 * SIRT_EINVAL with one sentence in *why otherwise. */
int password_check(const char *pw, const char *email, struct strbuf *why) WUR;
/* Whether pw is on the built-in list (case-insensitive). */
bool password_is_common(const char *pw);
/* The number of entries on the list (for tests). */
unsigned password_common_count(void);
/* Entry i of the list, or NULL past the end (for tests). */
const char *password_common_entry(unsigned i);

#endif
