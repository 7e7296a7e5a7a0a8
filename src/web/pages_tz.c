/*
 * TZif reader (RFC 8536) and POSIX TZ rules, for showing times in the
 * user's zone without touching the process-wide TZ. See pages_tz.h.
 */
#include "web/pages_tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

#define TZ_NAME_MAX 64
#define TZ_FILE_MAX (256 * 1024)
#define TZ_TIMECNT_MAX 20000
#define TZ_CHARCNT_MAX 4096

struct tz_type {
	int32_t utoff;
	bool isdst;
	char abbr[TZ_ABBR_MAX];
};

struct tz_date {
	char kind;     /* 'M', 'J' or 'n' */
	int a, b, c;   /* M: month, week, weekday; J/n: day in a */
	int32_t time;  /* seconds after local midnight */
};

struct tz_rule {
	struct tz_type std, dst;
	bool has_dst;
	struct tz_date start, end;
};

struct tz {
	char name[TZ_NAME_MAX + 1];
	int64_t *trans;
	unsigned char *idx;
	struct tz_type *types;
	int timecnt, typecnt;
	bool has_rule;
	struct tz_rule rule;
};

static const struct tz_type *type_at(const struct tz *z, int64_t t);
static bool rule_parse(const char *s, struct tz_rule *r);

static struct tz tz_utc = {
	.name = "UTC",
	.has_rule = true,
	.rule = {.std = {.utoff = 0, .abbr = "UTC"}},
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz *cache[TZ_CACHE_MAX];
static int cache_len;

bool tz_name_valid(const char *name)
{
	if (!name || !*name || strlen(name) > TZ_NAME_MAX || name[0] == '/')
		return false;
	const char *seg = name;
	for (const char *p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);
			if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && !memcmp(seg, "..", 2)))
				return false;
			if (*p == '\0')
				return true;
			seg = p + 1;
			continue;
		}
		char c = *p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '+'))
			return false;
	}
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static bool header(const unsigned char *p, size_t len, char *version, struct tzif_counts *c)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	*version = (char)p[4];
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chars = be32(p + 40);
	return c->type >= 1 && c->type <= 256 && c->time <= TZ_TIMECNT_MAX &&
	       c->chars <= TZ_CHARCNT_MAX && c->leap <= 1000 && c->isut <= c->type &&
	       c->isstd <= c->type;
}

static size_t block_len(const struct tzif_counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) +
	       c->isstd + c->isut;
}

struct tz *tz_parse(const char *name, const unsigned char *data, size_t len)
{
	char version;
	struct tzif_counts c;
	if (!header(data, len, &version, &c))
		return NULL;
	const unsigned char *p = data + 44;
	size_t tsize = 4, rest = len - 44;
	if (block_len(&c, 4) > rest)
		return NULL;
	if (version >= '2') {
		/* skip the 32-bit block; the 64-bit header and block follow */
		size_t skip = block_len(&c, 4);
		p += skip;
		rest -= skip;
		if (!header(p, rest, &version, &c))
			return NULL;
		p += 44;
		rest -= 44;
		tsize = 8;
		if (block_len(&c, 8) > rest)
			return NULL;
	}
	struct tz *z = xcalloc(1, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name ? name : "");
	z->timecnt = (int)c.time;
	z->typecnt = (int)c.type;
	z->trans = xcalloc(c.time ? c.time : 1, sizeof(int64_t));
	z->idx = xcalloc(c.time ? c.time : 1, 1);
	z->types = xcalloc(c.type, sizeof(struct tz_type));
	for (uint32_t i = 0; i < c.time; i++)
		z->trans[i] = tsize == 8 ? be64(p + i * 8) : (int64_t)(int32_t)be32(p + i * 4);
	p += c.time * tsize;
	for (uint32_t i = 0; i < c.time; i++) {
		z->idx[i] = p[i];
		if (p[i] >= c.type || (i > 0 && z->trans[i] <= z->trans[i - 1]))
			goto bad;
	}
	p += c.time;
	const unsigned char *chars = p + c.type * 6;
	for (uint32_t i = 0; i < c.type; i++) {
		const unsigned char *t = p + i * 6;
		z->types[i].utoff = (int32_t)be32(t);
		z->types[i].isdst = t[4] != 0;
		unsigned di = t[5];
		if (di >= c.chars || z->types[i].utoff < -25 * 3600 || z->types[i].utoff > 26 * 3600)
			goto bad;
		size_t k = 0;
		while (di + k < c.chars && chars[di + k] && k + 1 < TZ_ABBR_MAX) {
			z->types[i].abbr[k] = (char)chars[di + k];
			k++;
		}
		z->types[i].abbr[k] = '\0';
	}
	p += block_len(&c, tsize) - c.time * tsize - c.time;
	rest -= block_len(&c, tsize);
	if (tsize == 8 && rest >= 2 && p[0] == '\n') {
		const unsigned char *e = memchr(p + 1, '\n', rest - 1);
		if (e && e - p - 1 < 128) {
			char footer[128];
			memcpy(footer, p + 1, (size_t)(e - p - 1));
			footer[e - p - 1] = '\0';
			z->has_rule = footer[0] && rule_parse(footer, &z->rule);
		}
	}
	return z;
bad:
	tz_free(z);
	return NULL;
}

void tz_free(struct tz *z)
{
	if (!z || z == &tz_utc)
		return;
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z);
}

/* ---- POSIX TZ rule: std offset [dst [offset] [,start[/time],end[/time]]] ---- */

static const char *parse_abbr(const char *s, char out[TZ_ABBR_MAX])
{
	size_t n = 0;
	if (*s == '<') {
		s++;
		while (*s && *s != '>') {
			if (n + 1 < TZ_ABBR_MAX)
				out[n++] = *s;
			s++;
		}
		if (*s != '>')
			return NULL;
		s++;
	} else {
		while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
			if (n + 1 < TZ_ABBR_MAX)
				out[n++] = *s;
			s++;
		}
	}
	out[n] = '\0';
	return n >= 3 ? s : NULL;
}

static const char *parse_num(const char *s, int max, int *out)
{
	if (*s < '0' || *s > '9')
		return NULL;
	int v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return NULL;
	}
	*out = v;
	return s;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 extension) */
static const char *parse_hms(const char *s, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!(s = parse_num(s, 167, &h)))
		return NULL;
	if (*s == ':' && !(s = parse_num(s + 1, 59, &m)))
		return NULL;
	if (*s == ':' && !(s = parse_num(s + 1, 59, &sec)))
		return NULL;
	*out = sign * (h * 3600 + m * 60 + sec);
	return s;
}

static const char *parse_date(const char *s, struct tz_date *d)
{
	d->time = 7200;
	if (*s == 'M') {
		d->kind = 'M';
		if (!(s = parse_num(s + 1, 12, &d->a)) || *s != '.' ||
		    !(s = parse_num(s + 1, 5, &d->b)) || *s != '.' ||
		    !(s = parse_num(s + 1, 6, &d->c)) || d->a < 1 || d->b < 1)
			return NULL;
	} else if (*s == 'J') {
		d->kind = 'J';
		if (!(s = parse_num(s + 1, 365, &d->a)) || d->a < 1)
			return NULL;
	} else {
		d->kind = 'n';
		if (!(s = parse_num(s, 365, &d->a)))
			return NULL;
	}
	if (*s == '/' && !(s = parse_hms(s + 1, &d->time)))
		return NULL;
	return s;
}

static bool rule_parse(const char *s, struct tz_rule *r)
{
	int32_t off;
	memset(r, 0, sizeof(*r));
	if (!(s = parse_abbr(s, r->std.abbr)) || !(s = parse_hms(s, &off)))
		return false;
	r->std.utoff = -off; /* POSIX offsets are west-positive */
	if (!*s)
		return true;
	if (!(s = parse_abbr(s, r->dst.abbr)))
		return false;
	r->has_dst = true;
	r->dst.isdst = true;
	r->dst.utoff = r->std.utoff + 3600;
	if (*s && *s != ',') {
		if (!(s = parse_hms(s, &off)))
			return false;
		r->dst.utoff = -off;
	}
	if (*s != ',')
		return false; /* no rule given: the historical default is not worth guessing */
	if (!(s = parse_date(s + 1, &r->start)) || *s != ',' || !(s = parse_date(s + 1, &r->end)))
		return false;
	return *s == '\0';
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_len(int64_t y, int m)
{
	static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The local time (seconds since the epoch, as if UTC) the rule date falls on in year y. */
static int64_t rule_local(const struct tz_date *d, int64_t y)
{
	int64_t days;
	if (d->kind == 'M') {
		int64_t first = time_days_from_civil(y, (unsigned)d->a, 1);
		int wday = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
		int day = 1 + (d->c - wday + 7) % 7 + (d->b - 1) * 7;
		while (day > month_len(y, d->a))
			day -= 7;
		days = first + day - 1;
	} else if (d->kind == 'J') {
		days = time_days_from_civil(y, 1, 1) + d->a - 1 + (is_leap(y) && d->a >= 60);
	} else {
		days = time_days_from_civil(y, 1, 1) + d->a;
	}
	return days * 86400 + d->time;
}

static const struct tz_type *rule_type(const struct tz_rule *r, int64_t t)
{
	if (!r->has_dst)
		return &r->std;
	int64_t y;
	unsigned m, d;
	time_civil_from_days(floor_div(t + r->std.utoff, 86400), &y, &m, &d);
	int64_t start = rule_local(&r->start, y) - r->std.utoff;
	int64_t end = rule_local(&r->end, y) - r->dst.utoff;
	bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? &r->dst : &r->std;
}

static const struct tz_type *type_at(const struct tz *z, int64_t t)
{
	if (z->timecnt == 0)
		return z->has_rule ? rule_type(&z->rule, t) : &z->types[0];
	if (t < z->trans[0])
		return &z->types[0];
	if (t >= z->trans[z->timecnt - 1] && z->has_rule)
		return rule_type(&z->rule, t);
	int lo = 0, hi = z->timecnt - 1; /* largest i with trans[i] <= t */
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &z->types[z->idx[lo]];
}

void tz_local(const struct tz *z, int64_t t, struct tz_local *out)
{
	const struct tz_type *ty = type_at(z ? z : &tz_utc, t);
	int64_t local = t + ty->utoff;
	int64_t days = floor_div(local, 86400), secs = local - days * 86400;
	time_civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (unsigned)(secs / 3600);
	out->minute = (unsigned)(secs / 60 % 60);
	out->second = (unsigned)(secs % 60);
	out->utoff = ty->utoff;
	if (ty->abbr[0] && ty->abbr[0] != '-' && ty->abbr[0] != '+') {
		snprintf(out->abbr, sizeof(out->abbr), "%s", ty->abbr);
	} else {
		int32_t o = ty->utoff < 0 ? -ty->utoff : ty->utoff;
		if (o % 3600)
			snprintf(out->abbr, sizeof(out->abbr), "%c%02d%02d", ty->utoff < 0 ? '-' : '+',
				 o / 3600, o / 60 % 60);
		else
			snprintf(out->abbr, sizeof(out->abbr), "%c%02d", ty->utoff < 0 ? '-' : '+',
				 o / 3600);
	}
}

int64_t tz_from_local(const struct tz *z, int64_t year, unsigned month, unsigned day,
		      unsigned hour, unsigned minute, unsigned second)
{
	if (!z)
		z = &tz_utc;
	int64_t local = time_days_from_civil(year, month, day) * 86400 + hour * 3600 +
			minute * 60 + second;
	int64_t t = local - type_at(z, local)->utoff;
	t = local - type_at(z, t)->utoff;
	/* in a gap neither offset maps back: take the later offset's reading */
	int64_t t2 = local - type_at(z, t)->utoff;
	return t2 < t ? t2 : t;
}

/* ---- the cache ---- */

static struct tz *load(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = xmalloc(TZ_FILE_MAX);
	size_t n = fread(buf, 1, TZ_FILE_MAX, f);
	fclose(f);
	struct tz *z = n < TZ_FILE_MAX ? tz_parse(name, buf, n) : NULL;
	free(buf);
	return z;
}

const struct tz *tz_get(const char *name)
{
	if (!name || !*name || !strcmp(name, "UTC") || !strcmp(name, "Etc/UTC") ||
	    !tz_name_valid(name))
		return &tz_utc;
	const struct tz *found = NULL;
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < cache_len && !found; i++)
		if (!strcmp(cache[i]->name, name))
			found = cache[i];
	if (!found && cache_len < TZ_CACHE_MAX) {
		struct tz *z = load(name);
		if (z) {
			cache[cache_len++] = z;
			found = z;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return found ? found : &tz_utc;
}

const char *tz_name(const struct tz *z)
{
	return z ? z->name : "UTC";
}
