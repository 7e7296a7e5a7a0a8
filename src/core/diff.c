#include "core/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct span {
	const char *p;
	size_t len;
};

static size_t split(const char *s, struct span **out);
static bool span_eq(const struct span *x, const struct span *y);
static void push(struct diff_result *d, size_t *cap, enum diff_op op, const struct span *s);

/* Lines of s; a trailing "\n" does not start an empty last line. */
static size_t split(const char *s, struct span **out)
{
	size_t n = 0, cap = 16;
	struct span *v = xmalloc(cap * sizeof(*v));
	while (*s && n <= DIFF_MAX_LINES) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (n == cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].p = s;
		v[n].len = len;
		n++;
		s += len + (nl ? 1 : 0);
	}
	*out = v;
	return n;
}

static bool span_eq(const struct span *x, const struct span *y)
{
	return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

static void push(struct diff_result *d, size_t *cap, enum diff_op op, const struct span *s)
{
	if (d->n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		d->lines = xrealloc(d->lines, *cap * sizeof(*d->lines));
	}
	d->lines[d->n].op = op;
	d->lines[d->n].text = s->p;
	d->lines[d->n].len = s->len;
	d->n++;
	if (op == DIFF_ADD)
		d->added++;
	else if (op == DIFF_DEL)
		d->deleted++;
}

int diff_lines(const char *a, const char *b, struct diff_result *out)
{
	memset(out, 0, sizeof(*out));
	out->minimal = true;
	struct span *la, *lb;
	size_t na = split(a ? a : "", &la), nb = split(b ? b : "", &lb);
	if (na > DIFF_MAX_LINES || nb > DIFF_MAX_LINES) {
		free(la);
		free(lb);
		return SIRT_ETOOBIG;
	}
	size_t cap = 0;
	size_t pre = 0;
	while (pre < na && pre < nb && span_eq(&la[pre], &lb[pre]))
		pre++;
	size_t suf = 0;
	while (suf < na - pre && suf < nb - pre && span_eq(&la[na - 1 - suf], &lb[nb - 1 - suf]))
		suf++;
	for (size_t i = 0; i < pre; i++)
		push(out, &cap, DIFF_SAME, &la[i]);
	const struct span *ma = la + pre, *mb = lb + pre;
	size_t n = na - pre - suf, m = nb - pre - suf;
	if (n && m && (n + 1) * (m + 1) <= DIFF_MAX_CELLS) {
		/* t[i][j] = LCS length of ma[i..n) and mb[j..m) */
		size_t w = m + 1;
		uint32_t *t = xcalloc((n + 1) * w, sizeof(*t));
		for (size_t i = n; i-- > 0;)
			for (size_t j = m; j-- > 0;)
				t[i * w + j] = span_eq(&ma[i], &mb[j])
						       ? t[(i + 1) * w + j + 1] + 1
						       : (t[(i + 1) * w + j] >= t[i * w + j + 1]
								  ? t[(i + 1) * w + j]
								  : t[i * w + j + 1]);
		size_t i = 0, j = 0;
		while (i < n && j < m) {
			if (span_eq(&ma[i], &mb[j])) {
				push(out, &cap, DIFF_SAME, &ma[i]);
				i++;
				j++;
			} else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) {
				push(out, &cap, DIFF_DEL, &ma[i++]);
			} else {
				push(out, &cap, DIFF_ADD, &mb[j++]);
			}
		}
		for (; i < n; i++)
			push(out, &cap, DIFF_DEL, &ma[i]);
		for (; j < m; j++)
			push(out, &cap, DIFF_ADD, &mb[j]);
		free(t);
	} else {
		if (n && m)
			out->minimal = false;
		for (size_t i = 0; i < n; i++)
			push(out, &cap, DIFF_DEL, &ma[i]);
		for (size_t j = 0; j < m; j++)
			push(out, &cap, DIFF_ADD, &mb[j]);
	}
	for (size_t i = na - suf; i < na; i++)
		push(out, &cap, DIFF_SAME, &la[i]);
	free(la);
	free(lb);
	return 0;
}

void diff_free(struct diff_result *d)
{
	free(d->lines);
	d->lines = NULL;
	d->n = 0;
}

char diff_op_char(enum diff_op op)
{
	return op == DIFF_ADD ? '+' : op == DIFF_DEL ? '-' : ' ';
}
