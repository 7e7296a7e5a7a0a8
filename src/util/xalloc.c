#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sirt: fatal: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(70);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		fatal("out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		fatal("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("bad format");
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

const char *sirt_strerror(int err)
{
	switch (err) {
	case SIRT_OK: return "ok";
	case SIRT_EINVAL: return "invalid input";
	case SIRT_ENOTFOUND: return "not found";
	case SIRT_ECONFLICT: return "conflict";
	case SIRT_EDB: return "database error";
	case SIRT_EUNAVAIL: return "database unavailable";
	case SIRT_EIO: return "input/output error";
	case SIRT_EPERM: return "permission denied";
	case SIRT_ETOOBIG: return "too large";
	case SIRT_EAUTH: return "authentication required";
	case SIRT_EPRECOND: return "precondition failed";
	case SIRT_ETHROTTLE: return "too many attempts";
	}
	return "unknown error";
}
