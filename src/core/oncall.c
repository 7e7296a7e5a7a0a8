#include "core/oncall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define TZIF_MAX (1 << 20)
#define WEEK_MIN (7 * 1440)

/* A POSIX TZ rule "STDoff[DST[off][,start[/time],end[/time]]]" (M format). */
struct tz_rule {
	bool valid;
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	int sm, sw, sd, stime; /* start: month, week, weekday (0 = Sunday), seconds */
	int em, ew, ed, etime;
};

struct oncall_tz {
	size_t ntrans;
	int64_t *trans;
	unsigned char *idx;
	size_t ntypes;
	int32_t *utoff;
	struct tz_rule rule;
};

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const day_long[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
				       "Friday", "Saturday", "Sunday"};

static uint32_t be32(const unsigned char *p);
static int64_t be64(const unsigned char *p);
static const char *parse_name(const char *s);
static const char *parse_offset(const char *s, int32_t *out);
static const char *parse_date(const char *s, int *m, int *w, int *d, int *t);
static int64_t rule_transition(int64_t year, int m, int w, int d, int t, int32_t off);
static int32_t rule_offset(const struct tz_rule *r, int64_t t);
static int64_t floordiv(int64_t a, int64_t b);
static int weekday_mon0(int64_t day);
static bool window_active(const struct oncall_layer *l, int64_t wall);
static void add_err(json_t **errors, const char *prefix, const char *path, const char *msg);

/* ---------------- time zones ---------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

bool oncall_tz_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > ONCALL_TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
		return false;
	const char *seg = name;
	for (const char *p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == seg || (p - seg == 2 && seg[0] == '.' && seg[1] == '.') ||
			    seg[0] == '.' || seg[0] == '-')
				return false;
			if (!*p)
				break;
			seg = p + 1;
			continue;
		}
		char c = *p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '+' || c == '.'))
			return false;
	}
	return true;
}

int oncall_tz_load(const char *name, struct oncall_tz **out)
{
	*out = NULL;
	if (!oncall_tz_name_ok(name))
		return SIRT_EINVAL;
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
		return 0;
	const char *dir = getenv("SIRT_ZONEINFO");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return SIRT_EINVAL;
	unsigned char *buf = xmalloc(TZIF_MAX);
	size_t len = fread(buf, 1, TZIF_MAX, f);
	bool err = ferror(f) || len == TZIF_MAX;
	fclose(f);
	int rc = err ? SIRT_EINVAL : oncall_tz_parse(buf, len, out);
	free(buf);
	return rc;
}

static const char *parse_name(const char *s)
{
	if (*s == '<') {
		const char *e = strchr(s, '>');
		return e ? e + 1 : NULL;
	}
	const char *p = s;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds (POSIX sign: as written). */
static const char *parse_offset(const char *s, int32_t *out)
{
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	int32_t v = 0;
	for (int part = 0; part < 3; part++) {
		if (*s < '0' || *s > '9')
			return NULL;
		int x = 0, nd = 0;
		while (*s >= '0' && *s <= '9' && nd < 3) {
			x = x * 10 + (*s++ - '0');
			nd++;
		}
		v += x * (part == 0 ? 3600 : part == 1 ? 60 : 1);
		if (*s != ':' || part == 2)
			break;
		s++;
	}
	*out = sign * v;
	return s;
}

static const char *parse_date(const char *s, int *m, int *w, int *d, int *t)
{
	if (*s != 'M')
		return NULL; /* Jn and n forms are not used by the tz database's zones */
	char *e;
	long mm = strtol(s + 1, &e, 10);
	if (*e != '.')
		return NULL;
	long ww = strtol(e + 1, &e, 10);
	if (*e != '.')
		return NULL;
	long dd = strtol(e + 1, &e, 10);
	if (mm < 1 || mm > 12 || ww < 1 || ww > 5 || dd < 0 || dd > 6)
		return NULL;
	*m = (int)mm;
	*w = (int)ww;
	*d = (int)dd;
	*t = 7200;
	s = e;
	if (*s == '/') {
		int32_t tt;
		s = parse_offset(s + 1, &tt);
		if (!s)
			return NULL;
		*t = tt;
	}
	return s;
}

static void parse_rule(const char *s, struct tz_rule *r)
{
	memset(r, 0, sizeof(*r));
	int32_t off;
	if (!(s = parse_name(s)) || !(s = parse_offset(s, &off)))
		return;
	r->std_off = -off;
	if (!*s) {
		r->valid = true;
		return;
	}
	if (!(s = parse_name(s)))
		return;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = parse_offset(s, &off)))
			return;
		r->dst_off = -off;
	}
	if (*s != ',' || !(s = parse_date(s + 1, &r->sm, &r->sw, &r->sd, &r->stime)) || *s != ',' ||
	    !(s = parse_date(s + 1, &r->em, &r->ew, &r->ed, &r->etime)) || *s)
		return;
	r->has_dst = true;
	r->valid = true;
}

int oncall_tz_parse(const unsigned char *buf, size_t len, struct oncall_tz **out)
{
	*out = NULL;
	if (len < 44 || memcmp(buf, "TZif", 4) != 0)
		return SIRT_EINVAL;
	int version = buf[4] ? buf[4] - '0' : 1;
	const unsigned char *h = buf;
	size_t tsize = 4;
	for (int pass = 0; pass < 2; pass++) {
		if ((size_t)(h - buf) + 44 > len)
			return SIRT_EINVAL;
		uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28),
			 timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
		if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || leap > 10000 ||
		    charcnt > 100000 || isut > 256 || isstd > 256)
			return SIRT_EINVAL;
		size_t body = timecnt * tsize + timecnt + typecnt * 6 + charcnt +
			      leap * (tsize + 4) + isstd + isut;
		const unsigned char *d = h + 44;
		if ((size_t)(d - buf) + body > len)
			return SIRT_EINVAL;
		if (version >= 2 && pass == 0) {
			h = d + body; /* skip the 32-bit data; use the 64-bit block */
			tsize = 8;
			continue;
		}
		struct oncall_tz *tz = xcalloc(1, sizeof(*tz));
		tz->ntrans = timecnt;
		tz->trans = xcalloc(timecnt + 1, sizeof(int64_t));
		tz->idx = xcalloc(timecnt + 1, 1);
		tz->ntypes = typecnt;
		tz->utoff = xcalloc(typecnt, sizeof(int32_t));
		for (uint32_t i = 0; i < timecnt; i++)
			tz->trans[i] = tsize == 8 ? be64(d + i * 8) : (int32_t)be32(d + i * 4);
		const unsigned char *ip = d + timecnt * tsize;
		for (uint32_t i = 0; i < timecnt; i++) {
			if (ip[i] >= typecnt) {
				oncall_tz_free(tz);
				return SIRT_EINVAL;
			}
			tz->idx[i] = ip[i];
		}
		const unsigned char *tp = ip + timecnt;
		for (uint32_t i = 0; i < typecnt; i++)
			tz->utoff[i] = (int32_t)be32(tp + i * 6);
		if (tsize == 8) {
			const unsigned char *f = d + body;
			if ((size_t)(f - buf) < len && *f == '\n') {
				const unsigned char *e = memchr(f + 1, '\n', len - (size_t)(f + 1 - buf));
				if (e && e - f - 1 < 128) {
					char rule[128];
					memcpy(rule, f + 1, (size_t)(e - f - 1));
					rule[e - f - 1] = '\0';
					parse_rule(rule, &tz->rule);
				}
			}
		}
		*out = tz;
		return 0;
	}
	return SIRT_EINVAL;
}

void oncall_tz_free(struct oncall_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->utoff);
	free(tz);
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The UTC instant of the rule's transition in year, local time t with offset off. */
static int64_t rule_transition(int64_t year, int m, int w, int d, int t, int32_t off)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t first = time_days_from_civil(year, (unsigned)m, 1);
	int dow1 = (int)(((first + 4) % 7 + 7) % 7); /* 0 = Sunday; 1970-01-01 was a Thursday */
	int day = 1 + (d - dow1 + 7) % 7 + (w - 1) * 7;
	int len = mdays[m - 1] + (m == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0));
	while (day > len)
		day -= 7;
	return (first + day - 1) * 86400 + t - off;
}

static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
	if (!r->has_dst)
		return r->std_off;
	int64_t y;
	unsigned mo, dd;
	time_civil_from_days(floordiv(t + r->std_off, 86400), &y, &mo, &dd);
	int64_t start = rule_transition(y, r->sm, r->sw, r->sd, r->stime, r->std_off);
	int64_t end = rule_transition(y, r->em, r->ew, r->ed, r->etime, r->dst_off);
	bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? r->dst_off : r->std_off;
}

int32_t oncall_tz_offset(const struct oncall_tz *tz, int64_t t)
{
	if (!tz)
		return 0;
	if (tz->ntrans == 0 || t < tz->trans[0]) {
		if (tz->ntrans == 0 && tz->rule.valid)
			return rule_offset(&tz->rule, t);
		return tz->utoff[0];
	}
	if (t >= tz->trans[tz->ntrans - 1] && tz->rule.valid)
		return rule_offset(&tz->rule, t);
	size_t lo = 0, hi = tz->ntrans; /* last transition <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->utoff[tz->idx[lo]];
}

int64_t oncall_tz_to_utc(const struct oncall_tz *tz, int64_t wall)
{
	if (!tz)
		return wall;
	int64_t u = wall - oncall_tz_offset(tz, wall);
	int64_t u2 = wall - oncall_tz_offset(tz, u);
	if (wall - oncall_tz_offset(tz, u2) == u2)
		return u2;
	return u; /* in a gap: the instant the same distance after the gap's start */
}

/* ---------------- rotations ---------------- */

int oncall_parse_hhmm(const char *s)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

static void add_err(json_t **errors, const char *prefix, const char *path, const char *msg)
{
	char f[256];
	snprintf(f, sizeof(f), "%s%s", prefix, path);
	validate_add(errors, f, msg);
}

static bool only_keys(json_t *o, const char *const *keys, const char *prefix, const char *path,
		      json_t **errors)
{
	bool ok = true;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		const char *const *p = keys;
		while (*p && strcmp(*p, k) != 0)
			p++;
		if (!*p) {
			char f[256];
			snprintf(f, sizeof(f), "%s.%s", path, k);
			add_err(errors, prefix, f, "unknown field");
			ok = false;
		}
	}
	return ok;
}

int oncall_layers_parse(json_t *layers, const char *prefix, struct oncall_rotation *out,
			json_t **errors)
{
	static const char *const layer_keys[] = {"name", "members", "start", "handoff",
						 "shift_hours", "restrict", NULL};
	static const char *const restrict_keys[] = {"days", "from", "to", NULL};
	json_t *errs = NULL;
	memset(out, 0, sizeof(*out));
	char p[128], f[160];
	if (!json_is_array(layers) || json_array_size(layers) == 0 ||
	    json_array_size(layers) > ONCALL_MAX_LAYERS) {
		snprintf(f, sizeof(f), "must be an array of 1 to %d layers", ONCALL_MAX_LAYERS);
		add_err(&errs, prefix, "", f);
		*errors = errs;
		return SIRT_EINVAL;
	}
	size_t i;
	json_t *l;
	json_array_foreach(layers, i, l) {
		struct oncall_layer *ly = &out->layers[i];
		snprintf(p, sizeof(p), "[%zu]", i);
		if (!json_is_object(l)) {
			add_err(&errs, prefix, p, "must be an object");
			continue;
		}
		only_keys(l, layer_keys, prefix, p, &errs);
		json_t *v = json_object_get(l, "name");
		snprintf(f, sizeof(f), "%s.name", p);
		if (v && (!json_is_string(v) || json_string_length(v) == 0 ||
			  json_string_length(v) >= sizeof(ly->name) ||
			  !text_is_single_line(json_string_value(v))))
			add_err(&errs, prefix, f, "must be a single-line string of 1 to 63 characters");
		else
			snprintf(ly->name, sizeof(ly->name), "%s",
				 v ? json_string_value(v) : (i == 0 ? "primary" : "layer"));
		v = json_object_get(l, "members");
		snprintf(f, sizeof(f), "%s.members", p);
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > ONCALL_MAX_MEMBERS) {
			add_err(&errs, prefix, f, "must list 1 to 50 team member ids, in rotation order");
		} else {
			size_t j;
			json_t *m;
			json_array_foreach(v, j, m) {
				snprintf(f, sizeof(f), "%s.members[%zu]", p, j);
				if (!json_is_string(m) || json_string_length(m) == 0 ||
				    json_string_length(m) >= ONCALL_MEMBER_ID_MAX) {
					add_err(&errs, prefix, f, "must be a team member id");
					continue;
				}
				snprintf(ly->members[j], ONCALL_MEMBER_ID_MAX, "%s", json_string_value(m));
			}
			ly->nmembers = (int)json_array_size(v);
		}
		v = json_object_get(l, "start");
		snprintf(f, sizeof(f), "%s.start", p);
		int64_t t;
		if (!json_is_string(v) || time_parse_date(json_string_value(v), &t) < 0)
			add_err(&errs, prefix, f, "must be the local date of the first shift, YYYY-MM-DD");
		else
			ly->start_day = floordiv(t, 86400);
		v = json_object_get(l, "handoff");
		snprintf(f, sizeof(f), "%s.handoff", p);
		int hm = json_is_string(v) ? oncall_parse_hhmm(json_string_value(v)) : -1;
		if (hm < 0 || hm >= 1440)
			add_err(&errs, prefix, f, "must be a local time HH:MM from 00:00 to 23:59");
		else
			ly->handoff_min = hm;
		v = json_object_get(l, "shift_hours");
		snprintf(f, sizeof(f), "%s.shift_hours", p);
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 672)
			add_err(&errs, prefix, f, "must be a whole number of hours from 1 to 672 (4 weeks)");
		else
			ly->shift_hours = (int)json_integer_value(v);
		json_t *r = json_object_get(l, "restrict");
		if (r && !json_is_null(r)) {
			snprintf(f, sizeof(f), "%s.restrict", p);
			if (!json_is_object(r)) {
				add_err(&errs, prefix, f, "must be an object with days, from and to");
				continue;
			}
			only_keys(r, restrict_keys, prefix, f, &errs);
			ly->restricted = true;
			json_t *days = json_object_get(r, "days");
			snprintf(f, sizeof(f), "%s.restrict.days", p);
			if (!days) {
				ly->days = 0x7f;
			} else if (!json_is_array(days) || json_array_size(days) == 0 ||
				   json_array_size(days) > 7) {
				add_err(&errs, prefix, f, "must list days: mon, tue, wed, thu, fri, sat, sun");
			} else {
				size_t j;
				json_t *d;
				json_array_foreach(days, j, d) {
					int k = 0;
					while (k < 7 && !(json_is_string(d) &&
							  strcmp(json_string_value(d), day_names[k]) == 0))
						k++;
					snprintf(f, sizeof(f), "%s.restrict.days[%zu]", p, j);
					if (k == 7)
						add_err(&errs, prefix, f,
							"must be one of mon, tue, wed, thu, fri, sat, sun");
					else if (ly->days & (1u << k))
						add_err(&errs, prefix, f, "is listed twice");
					else
						ly->days |= 1u << k;
				}
			}
			json_t *fr = json_object_get(r, "from"), *to = json_object_get(r, "to");
			ly->from_min = json_is_string(fr) ? oncall_parse_hhmm(json_string_value(fr)) : -1;
			ly->to_min = json_is_string(to) ? oncall_parse_hhmm(json_string_value(to)) : -1;
			snprintf(f, sizeof(f), "%s.restrict.from", p);
			if (ly->from_min < 0 || ly->from_min >= 1440)
				add_err(&errs, prefix, f, "must be a local time HH:MM from 00:00 to 23:59");
			snprintf(f, sizeof(f), "%s.restrict.to", p);
			if (ly->to_min < 0)
				add_err(&errs, prefix, f, "must be a local time HH:MM from 00:00 to 24:00");
			else if (ly->to_min == ly->from_min)
				add_err(&errs, prefix, f, "must differ from restrict.from");
		}
	}
	out->nlayers = (int)json_array_size(layers);
	*errors = errs;
	return errs ? SIRT_EINVAL : 0;
}

static int weekday_mon0(int64_t day)
{
	return (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
}

/* Is the layer's window open at minute m of weekday d (0 = Monday)? */
static bool window_at(const struct oncall_layer *l, int d, int m)
{
	if (!l->restricted)
		return true;
	if (l->from_min < l->to_min)
		return (l->days >> d & 1u) && m >= l->from_min && m < l->to_min;
	/* wraps past midnight: from..24:00 on the day, 00:00..to on the next */
	int prev = (d + 6) % 7;
	return ((l->days >> d & 1u) && m >= l->from_min) || ((l->days >> prev & 1u) && m < l->to_min);
}

static bool window_active(const struct oncall_layer *l, int64_t wall)
{
	int64_t day = floordiv(wall, 86400);
	int m = (int)((wall - day * 86400) / 60);
	return window_at(l, weekday_mon0(day), m);
}

int oncall_check_coverage(const struct oncall_rotation *r, char *why, size_t whylen)
{
	bool cov[WEEK_MIN];
	memset(cov, 0, sizeof(cov));
	for (int i = 0; i < r->nlayers; i++)
		for (int m = 0; m < WEEK_MIN; m++)
			if (!cov[m] && window_at(&r->layers[i], m / 1440, m % 1440))
				cov[m] = true;
	int c = 0;
	while (c < WEEK_MIN && !cov[c])
		c++;
	if (c == WEEK_MIN) {
		snprintf(why, whylen, "no layer is ever active");
		return SIRT_EINVAL;
	}
	/* from a covered minute, walk the week to the first gap and its end */
	int k = 0;
	while (k < WEEK_MIN && cov[(c + k) % WEEK_MIN])
		k++;
	if (k == WEEK_MIN)
		return 0;
	int start = (c + k) % WEEK_MIN, end = start;
	while (!cov[end])
		end = (end + 1) % WEEK_MIN;
	snprintf(why, whylen,
		 "%s %02d:%02d to %s %02d:%02d (local time) is not covered by any layer",
		 day_long[start / 1440], start % 1440 / 60, start % 60, day_long[end / 1440],
		 end % 1440 / 60, end % 60);
	return SIRT_EINVAL;
}

int oncall_overrides_check(const struct oncall_override *o, size_t n, size_t *a, size_t *b)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (o[i].start < o[j].end && o[j].start < o[i].end) {
				*a = i;
				*b = j;
				return SIRT_ECONFLICT;
			}
	return 0;
}

int oncall_who(const struct oncall_rotation *r, const struct oncall_override *o, size_t no,
	       int64_t t, struct oncall_answer *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < no; i++)
		if (t >= o[i].start && t < o[i].end) {
			out->member = o[i].member;
			out->layer = -1;
			out->override_index = (int)i;
			out->from = o[i].start;
			out->until = o[i].end;
			return 0;
		}
	int64_t wall = t + oncall_tz_offset(r->tz, t);
	for (int i = r->nlayers - 1; i >= 0; i--) {
		const struct oncall_layer *l = &r->layers[i];
		if (!window_active(l, wall) || l->nmembers == 0)
			continue;
		int64_t anchor = l->start_day * 86400 + (int64_t)l->handoff_min * 60;
		int64_t len = (int64_t)l->shift_hours * 3600;
		int64_t k = floordiv(wall - anchor, len);
		int idx = (int)(((k % l->nmembers) + l->nmembers) % l->nmembers);
		out->member = l->members[idx];
		out->layer = i;
		out->override_index = -1;
		out->from = oncall_tz_to_utc(r->tz, anchor + k * len);
		out->until = oncall_tz_to_utc(r->tz, anchor + (k + 1) * len);
		return 0;
	}
	return SIRT_ENOTFOUND;
}
