/*
 * A per-request arena: everything a request allocates through it dies with
 * the request in one arena_free(). Anything that must outlive the request is
 * allocated with x* and has an explicit _new/_free pair instead.
 */
#ifndef SIRT_ARENA_H
#define SIRT_ARENA_H

#include <stddef.h>
#include "err.h"

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t used_total;
};

void arena_init(struct arena *a);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) PRINTF(2, 3);

#endif
