/*
 * Allocation wrappers: running out of memory is fatal, so callers carry no
 * NULL checks. fatal() is for broken invariants and start-up only.
 */
#ifndef SIRT_XALLOC_H
#define SIRT_XALLOC_H

#include <stddef.h>
#include "err.h"

void fatal(const char *fmt, ...) PRINTF(1, 2) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);

#endif
