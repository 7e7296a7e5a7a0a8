/* Strict UTF-8 checking (no overlong forms, no surrogates, nothing above
 * U+10FFFF), shared by the validators in src/core. */
#ifndef SIRT_CORE_UTF8_H
#define SIRT_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True if s[0..n) is valid UTF-8; *ncp (may be NULL) gets the number of code
 * points. */
bool utf8_valid(const char *s, size_t n, size_t *ncp);

#endif
