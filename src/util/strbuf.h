/*
 * A growable string with a hard ceiling. Appends never fail loudly: the first
 * failure (ceiling reached) is remembered and every later append is a no-op,
 * so a caller builds a whole document and checks sb_status() once.
 * The buffer is always NUL-terminated. Owned by whoever called sb_init();
 * release with sb_free() or take the bytes with sb_steal().
 */
#ifndef SIRT_STRBUF_H
#define SIRT_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include "err.h"

#define SB_DEFAULT_MAX ((size_t)64 << 20)

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	size_t max;
	int err;
};

void sb_init(struct strbuf *sb, size_t max);
void sb_free(struct strbuf *sb);
char *sb_steal(struct strbuf *sb, size_t *len);
void sb_reset(struct strbuf *sb);
void sb_append(struct strbuf *sb, const void *p, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) PRINTF(2, 3);
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
int sb_status(const struct strbuf *sb) WUR;
static inline const char *sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

#endif
