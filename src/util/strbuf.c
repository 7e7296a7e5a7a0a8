#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void sb_init(struct strbuf *sb, size_t max)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->max = max ? max : SB_DEFAULT_MAX;
	sb->err = 0;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->err = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *sb_steal(struct strbuf *sb, size_t *len)
{
	char *p = sb->buf ? sb->buf : xstrdup("");
	if (len)
		*len = sb->len;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

static int grow(struct strbuf *sb, size_t extra)
{
	if (sb->err)
		return -1;
	if (extra > sb->max || sb->len > sb->max - extra) {
		sb->err = SIRT_ETOOBIG;
		return -1;
	}
	size_t need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	sb->buf = xrealloc(sb->buf, cap);
	sb->cap = cap;
	return 0;
}

void sb_append(struct strbuf *sb, const void *p, size_t n)
{
	if (grow(sb, n) < 0)
		return;
	if (n)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void sb_putc(struct strbuf *sb, char c)
{
	sb_append(sb, &c, 1);
}

void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		sb->err = SIRT_EINVAL;
		return;
	}
	if (grow(sb, (size_t)n) < 0)
		return;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

int sb_status(const struct strbuf *sb)
{
	return sb->err;
}
