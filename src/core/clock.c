#include "core/clock.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

#define PATH_MAX_LEN 96

static int64_t floor_div(int64_t a, int64_t b);
static int days_in_month(int64_t y, unsigned m);
static bool holiday(const struct clock_calendar *cal, int64_t day);
static int cmp_i64(const void *a, const void *b);
static int check_fields(json_t *obj, const char *path, const char *const *allowed,
			struct strbuf *why);
static int get_str(json_t *obj, const char *path, const char *name, bool required, size_t max,
		   char **out, struct strbuf *why);
static int get_bool(json_t *obj, const char *path, const char *name, bool *out,
		    struct strbuf *why);
static int parse_calendar(json_t *obj, struct clock_calendar *cal, struct strbuf *why);
static int parse_offset(json_t *obj, const char *path, const struct clock_def *d, size_t self,
			struct clock_offset *o, struct strbuf *why);
static int parse_stage(json_t *obj, size_t i, struct clock_def *d, struct strbuf *why);
static int parse_def(json_t *root, struct clock_def *d, struct strbuf *why);
static bool key_ok(const char *k);
static bool anchor_time(const struct clock_offset *o, const struct clock_inputs *in,
			const struct clock_stage_result *done, int64_t *t, bool *prov);

static const char *const trigger_names[CLOCK_TRIG_COUNT] = {
	"became_aware", "classified_major", "materiality_determined", "discovered",
	"ransom_paid",  "detected",         "custom",
};

static const char *const unit_names[] = {"hours", "calendar_days", "business_days", "months"};
static const int64_t unit_max[] = {87600, 3650, 1000, 120};

static const char *const weekday_names[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

static const char *const status_names[] = {
	"not_started", "pending", "due_soon", "overdue", "met", "late", "not_required",
};

const char *clock_trigger_name(enum clock_trigger t)
{
	return (unsigned)t < CLOCK_TRIG_COUNT ? trigger_names[t] : NULL;
}

int clock_trigger_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < CLOCK_TRIG_COUNT; i++)
		if (strcmp(name, trigger_names[i]) == 0)
			return i;
	return -1;
}

const char *clock_unit_name(enum clock_unit u)
{
	return (unsigned)u <= CLOCK_UNIT_MONTHS ? unit_names[u] : NULL;
}

const char *clock_stage_status_name(enum clock_stage_status s)
{
	return (unsigned)s <= CLOCK_STAGE_NOT_REQUIRED ? status_names[s] : NULL;
}

/* ---- calendar arithmetic ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int days_in_month(int64_t y, unsigned m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

static bool holiday(const struct clock_calendar *cal, int64_t day)
{
	size_t lo = 0, hi = cal->nholidays;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->holidays[mid] == day)
			return true;
		if (cal->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool clock_is_business_day(const struct clock_calendar *cal, int64_t local_day)
{
	/* 1970-01-01 was a Thursday: weekday 3 when Monday is 0 */
	int64_t wd = local_day + 3 - floor_div(local_day + 3, 7) * 7;
	if (cal->weekend_mask & (1u << wd))
		return false;
	return !holiday(cal, local_day);
}

int64_t clock_add(const struct clock_calendar *cal, int64_t t, int64_t amount,
		  enum clock_unit unit, bool end_of_day)
{
	int64_t off = cal->utc_offset;
	int64_t local = t + off;
	int64_t day = floor_div(local, 86400);
	int64_t tod = local - day * 86400;

	switch (unit) {
	case CLOCK_UNIT_HOURS:
		return t + amount * 3600;
	case CLOCK_UNIT_CALENDAR_DAYS:
		return t + amount * 86400;
	case CLOCK_UNIT_MONTHS: {
		int64_t y;
		unsigned m, d;
		time_civil_from_days(day, &y, &m, &d);
		int64_t mi = y * 12 + (m - 1) + amount;
		int64_t y2 = floor_div(mi, 12);
		unsigned m2 = (unsigned)(mi - y2 * 12) + 1;
		unsigned dim = (unsigned)days_in_month(y2, m2);
		unsigned d2 = d > dim ? dim : d;
		return time_days_from_civil(y2, m2, d2) * 86400 + tod - off;
	}
	case CLOCK_UNIT_BUSINESS_DAYS: {
		/* bounded even for a calendar with no business day at all */
		int64_t guard = amount * 7 + (int64_t)cal->nholidays + 7;
		for (int64_t n = 0; n < amount && guard > 0; guard--) {
			day++;
			if (clock_is_business_day(cal, day))
				n++;
		}
		return day * 86400 + (end_of_day ? 86399 : tod) - off;
	}
	}
	return t;
}

/* ---- status ---- */

enum clock_stage_status clock_stage_status_at(bool known, int64_t deadline, int64_t submitted_at,
					      bool not_required, int64_t now, int64_t lead)
{
	if (not_required)
		return CLOCK_STAGE_NOT_REQUIRED;
	if (submitted_at)
		return !known || submitted_at <= deadline ? CLOCK_STAGE_MET : CLOCK_STAGE_LATE;
	if (!known)
		return CLOCK_STAGE_NOT_STARTED;
	if (now > deadline)
		return CLOCK_STAGE_OVERDUE;
	if (deadline - now <= lead)
		return CLOCK_STAGE_DUE_SOON;
	return CLOCK_STAGE_PENDING;
}

static bool anchor_time(const struct clock_offset *o, const struct clock_inputs *in,
			const struct clock_stage_result *done, int64_t *t, bool *prov)
{
	*prov = false;
	if (!o->from_stage) {
		*t = in->trigger_at[o->trigger];
		return *t != 0;
	}
	if (o->from_submission && in->submitted_at && in->submitted_at[o->stage]) {
		*t = in->submitted_at[o->stage];
		return true;
	}
	if (!done[o->stage].known)
		return false;
	*t = done[o->stage].deadline;
	*prov = o->from_submission || done[o->stage].provisional;
	return true;
}

void clock_compute(const struct clock_def *d, const struct clock_inputs *in, int64_t now,
		   int64_t lead, struct clock_stage_result *out)
{
	for (size_t i = 0; i < d->nstages; i++) {
		const struct clock_stage *s = &d->stages[i];
		struct clock_stage_result *r = &out[i];
		int64_t start, t2;
		bool prov, prov2;

		memset(r, 0, sizeof(*r));
		if (anchor_time(&s->deadline, in, out, &start, &prov)) {
			const struct clock_offset *o = &s->deadline;
			r->known = true;
			r->deadline = clock_add(&d->calendar, start, o->amount, o->unit, o->end_of_day);
			r->provisional = prov;
			if (s->has_no_later_than && anchor_time(&s->no_later_than, in, out, &t2, &prov2)) {
				const struct clock_offset *o2 = &s->no_later_than;
				int64_t d2 = clock_add(&d->calendar, t2, o2->amount, o2->unit,
						       o2->end_of_day);
				if (d2 < r->deadline) {
					r->deadline = d2;
					r->by_no_later_than = true;
					r->provisional = prov2;
				}
			}
			r->passed_at_start = r->deadline < start;
			r->time_left = r->deadline - now;
		}
		int64_t sub = in->submitted_at ? in->submitted_at[i] : 0;
		bool nr = in->not_required ? in->not_required[i] : false;
		r->status = clock_stage_status_at(r->known, r->deadline, sub, nr, now, lead);
	}
}

/* ---- parsing ---- */

static int check_fields(json_t *obj, const char *path, const char *const *allowed,
			struct strbuf *why)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(k, allowed[i]) == 0;
		if (!ok) {
			sb_printf(why, "%s%sunknown field '%.64s'", path, *path ? ": " : "", k);
			return SIRT_EINVAL;
		}
	}
	return 0;
}

static int get_str(json_t *obj, const char *path, const char *name, bool required, size_t max,
		   char **out, struct strbuf *why)
{
	json_t *v = json_object_get(obj, name);
	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		sb_printf(why, "%s%s%s: is required", path, *path ? "." : "", name);
		return SIRT_EINVAL;
	}
	if (!json_is_string(v)) {
		sb_printf(why, "%s%s%s: must be a string", path, *path ? "." : "", name);
		return SIRT_EINVAL;
	}
	size_t n = json_string_length(v);
	if (n == 0 || n > max) {
		sb_printf(why, "%s%s%s: must be 1 to %zu bytes long", path, *path ? "." : "", name,
			  max);
		return SIRT_EINVAL;
	}
	if (strlen(json_string_value(v)) != n) {
		sb_printf(why, "%s%s%s: contains a NUL character", path, *path ? "." : "", name);
		return SIRT_EINVAL;
	}
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_bool(json_t *obj, const char *path, const char *name, bool *out,
		    struct strbuf *why)
{
	json_t *v = json_object_get(obj, name);
	*out = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		sb_printf(why, "%s%s%s: must be true or false", path, *path ? "." : "", name);
		return SIRT_EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int parse_calendar(json_t *obj, struct clock_calendar *cal, struct strbuf *why)
{
	static const char *const fields[] = {"weekend", "holidays", "utc_offset", NULL};
	cal->weekend_mask = (1u << 5) | (1u << 6);
	cal->utc_offset = 0;
	if (!obj)
		return 0;
	if (!json_is_object(obj)) {
		sb_puts(why, "calendar: must be an object");
		return SIRT_EINVAL;
	}
	if (check_fields(obj, "calendar", fields, why) < 0)
		return SIRT_EINVAL;

	json_t *we = json_object_get(obj, "weekend");
	if (we) {
		if (!json_is_array(we) || json_array_size(we) > 6) {
			sb_puts(why, "calendar.weekend: must be an array of at most 6 weekday names");
			return SIRT_EINVAL;
		}
		cal->weekend_mask = 0;
		size_t i;
		json_t *v;
		json_array_foreach(we, i, v) {
			int wd = -1;
			for (int k = 0; k < 7 && json_is_string(v); k++)
				if (strcmp(json_string_value(v), weekday_names[k]) == 0)
					wd = k;
			if (wd < 0) {
				sb_printf(why, "calendar.weekend[%zu]: must be a weekday name in lower "
					  "case (monday ... sunday)", i);
				return SIRT_EINVAL;
			}
			if (cal->weekend_mask & (1u << wd)) {
				sb_printf(why, "calendar.weekend[%zu]: %s is listed twice", i,
					  weekday_names[wd]);
				return SIRT_EINVAL;
			}
			cal->weekend_mask |= 1u << wd;
		}
	}

	json_t *hol = json_object_get(obj, "holidays");
	if (hol) {
		if (!json_is_array(hol) || json_array_size(hol) > CLOCK_MAX_HOLIDAYS) {
			sb_printf(why, "calendar.holidays: must be an array of at most %d dates",
				  CLOCK_MAX_HOLIDAYS);
			return SIRT_EINVAL;
		}
		size_t n = json_array_size(hol), i;
		json_t *v;
		cal->holidays = xcalloc(n ? n : 1, sizeof(int64_t));
		json_array_foreach(hol, i, v) {
			int64_t t;
			if (!json_is_string(v) || time_parse_date(json_string_value(v), &t) < 0) {
				sb_printf(why, "calendar.holidays[%zu]: must be a date YYYY-MM-DD", i);
				return SIRT_EINVAL;
			}
			cal->holidays[i] = t / 86400;
		}
		cal->nholidays = n;
		qsort(cal->holidays, n, sizeof(int64_t), cmp_i64);
		for (i = 1; i < n; i++) {
			if (cal->holidays[i] == cal->holidays[i - 1]) {
				char buf[ISO8601_LEN];
				time_format_iso8601(cal->holidays[i] * 86400, buf);
				buf[10] = '\0';
				sb_printf(why, "calendar.holidays: %s is listed twice", buf);
				return SIRT_EINVAL;
			}
		}
	}

	json_t *off = json_object_get(obj, "utc_offset");
	if (off) {
		const char *s = json_is_string(off) ? json_string_value(off) : "";
		int h = 0, m = 0;
		bool ok = strcmp(s, "Z") == 0;
		if (!ok && strlen(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':') {
			ok = true;
			for (int k = 1; k < 6; k++)
				if (k != 3 && (s[k] < '0' || s[k] > '9'))
					ok = false;
			if (ok) {
				h = (s[1] - '0') * 10 + (s[2] - '0');
				m = (s[4] - '0') * 10 + (s[5] - '0');
				ok = m < 60 && (h < 14 || (h == 14 && m == 0));
			}
		}
		if (!ok) {
			sb_puts(why, "calendar.utc_offset: must be Z or +HH:MM / -HH:MM within 14 "
				"hours");
			return SIRT_EINVAL;
		}
		cal->utc_offset = (h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
	}
	return 0;
}

static int parse_offset(json_t *obj, const char *path, const struct clock_def *d, size_t self,
			struct clock_offset *o, struct strbuf *why)
{
	static const char *const fields[] = {"after", "stage", "anchor", "amount", "unit", "at",
					     NULL};
	char *after = NULL, *stage = NULL, *anchor = NULL, *unit = NULL, *at = NULL;
	int rc = SIRT_EINVAL;

	memset(o, 0, sizeof(*o));
	if (!json_is_object(obj)) {
		sb_printf(why, "%s: must be an object", path);
		return SIRT_EINVAL;
	}
	if (check_fields(obj, path, fields, why) < 0)
		return SIRT_EINVAL;
	if (get_str(obj, path, "after", true, 64, &after, why) < 0 ||
	    get_str(obj, path, "stage", false, 64, &stage, why) < 0 ||
	    get_str(obj, path, "anchor", false, 64, &anchor, why) < 0 ||
	    get_str(obj, path, "unit", true, 64, &unit, why) < 0 ||
	    get_str(obj, path, "at", false, 64, &at, why) < 0)
		goto out;

	if (strcmp(after, "stage") == 0) {
		o->from_stage = true;
		if (!stage) {
			sb_printf(why, "%s.stage: is required when after is \"stage\"", path);
			goto out;
		}
		size_t k;
		for (k = 0; k < self; k++)
			if (strcmp(d->stages[k].key, stage) == 0)
				break;
		if (k == self) {
			sb_printf(why, "%s.stage: '%.64s' is not an earlier stage of this clock", path,
				  stage);
			goto out;
		}
		o->stage = k;
		o->from_submission = true;
		if (anchor && strcmp(anchor, "deadline") == 0) {
			o->from_submission = false;
		} else if (anchor && strcmp(anchor, "submission") != 0) {
			sb_printf(why, "%s.anchor: must be submission or deadline", path);
			goto out;
		}
	} else {
		if (stage || anchor) {
			sb_printf(why, "%s.%s: only allowed when after is \"stage\"", path,
				  stage ? "stage" : "anchor");
			goto out;
		}
		if (strcmp(after, "trigger") == 0) {
			o->trigger = d->trigger;
		} else {
			int t = clock_trigger_parse(after);
			if (t < 0) {
				sb_printf(why, "%s.after: must be trigger, stage or one of became_aware, "
					  "classified_major, materiality_determined, discovered, "
					  "ransom_paid, detected, custom", path);
				goto out;
			}
			o->trigger = (enum clock_trigger)t;
		}
	}

	int u = -1;
	for (int k = 0; k <= CLOCK_UNIT_MONTHS; k++)
		if (strcmp(unit, unit_names[k]) == 0)
			u = k;
	if (u < 0) {
		sb_printf(why, "%s.unit: must be one of hours, calendar_days, business_days, months",
			  path);
		goto out;
	}
	o->unit = (enum clock_unit)u;

	json_t *amt = json_object_get(obj, "amount");
	if (!amt) {
		sb_printf(why, "%s.amount: is required", path);
		goto out;
	}
	if (!json_is_integer(amt) || json_integer_value(amt) < 1 ||
	    json_integer_value(amt) > unit_max[u]) {
		sb_printf(why, "%s.amount: must be a whole number from 1 to %lld for %s", path,
			  (long long)unit_max[u], unit_names[u]);
		goto out;
	}
	o->amount = json_integer_value(amt);

	if (at) {
		if (o->unit != CLOCK_UNIT_BUSINESS_DAYS) {
			sb_printf(why, "%s.at: only allowed with business_days", path);
			goto out;
		}
		if (strcmp(at, "end_of_day") == 0) {
			o->end_of_day = true;
		} else if (strcmp(at, "same_time") != 0) {
			sb_printf(why, "%s.at: must be same_time or end_of_day", path);
			goto out;
		}
	}
	rc = 0;
out:
	free(after);
	free(stage);
	free(anchor);
	free(unit);
	free(at);
	return rc;
}

static bool key_ok(const char *k)
{
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return true;
}

static int parse_stage(json_t *obj, size_t i, struct clock_def *d, struct strbuf *why)
{
	static const char *const fields[] = {"key",	      "name", "recipient", "deadline",
					     "no_later_than", "without_undue_delay", "note", NULL};
	struct clock_stage *s = &d->stages[i];
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN];

	snprintf(path, sizeof(path), "stages[%zu]", i);
	if (!json_is_object(obj)) {
		sb_printf(why, "%s: must be an object", path);
		return SIRT_EINVAL;
	}
	if (check_fields(obj, path, fields, why) < 0 ||
	    get_str(obj, path, "key", true, 64, &s->key, why) < 0 ||
	    get_str(obj, path, "name", true, 200, &s->name, why) < 0 ||
	    get_str(obj, path, "recipient", true, 200, &s->recipient, why) < 0 ||
	    get_str(obj, path, "note", false, 2000, &s->note, why) < 0 ||
	    get_bool(obj, path, "without_undue_delay", &s->without_undue_delay, why) < 0)
		return SIRT_EINVAL;
	if (!key_ok(s->key)) {
		sb_printf(why, "%s.key: only a-z, 0-9 and _ are allowed", path);
		return SIRT_EINVAL;
	}
	for (size_t k = 0; k < i; k++) {
		if (strcmp(d->stages[k].key, s->key) == 0) {
			sb_printf(why, "%s.key: '%s' is used by stages[%zu] too", path, s->key, k);
			return SIRT_EINVAL;
		}
	}
	json_t *dl = json_object_get(obj, "deadline");
	if (!dl) {
		sb_printf(why, "%s.deadline: is required", path);
		return SIRT_EINVAL;
	}
	snprintf(sub, sizeof(sub), "%s.deadline", path);
	if (parse_offset(dl, sub, d, i, &s->deadline, why) < 0)
		return SIRT_EINVAL;
	json_t *nlt = json_object_get(obj, "no_later_than");
	if (nlt) {
		snprintf(sub, sizeof(sub), "%s.no_later_than", path);
		if (parse_offset(nlt, sub, d, i, &s->no_later_than, why) < 0)
			return SIRT_EINVAL;
		s->has_no_later_than = true;
	}
	return 0;
}

static int parse_def(json_t *root, struct clock_def *d, struct strbuf *why)
{
	static const char *const fields[] = {"key",	"name",		  "reference", "description",
					     "status",	"trigger",	  "custom_trigger",
					     "calendar", "stages",	  NULL};
	char *status = NULL, *trigger = NULL;
	int rc = SIRT_EINVAL;

	if (!json_is_object(root)) {
		sb_puts(why, "a clock definition must be a JSON object");
		return SIRT_EINVAL;
	}
	if (check_fields(root, "", fields, why) < 0 ||
	    get_str(root, "", "key", true, 64, &d->key, why) < 0 ||
	    get_str(root, "", "name", true, 200, &d->name, why) < 0 ||
	    get_str(root, "", "reference", false, 500, &d->reference, why) < 0 ||
	    get_str(root, "", "description", false, 2000, &d->description, why) < 0 ||
	    get_str(root, "", "status", false, 32, &status, why) < 0 ||
	    get_str(root, "", "trigger", true, 64, &trigger, why) < 0 ||
	    get_str(root, "", "custom_trigger", false, 200, &d->custom_trigger, why) < 0)
		goto out;
	if (!key_ok(d->key)) {
		sb_puts(why, "key: only a-z, 0-9 and _ are allowed");
		goto out;
	}
	d->status = CLOCK_IN_FORCE;
	if (status) {
		if (strcmp(status, "proposed") == 0) {
			d->status = CLOCK_PROPOSED;
		} else if (strcmp(status, "template") == 0) {
			d->status = CLOCK_TEMPLATE;
		} else if (strcmp(status, "in_force") != 0) {
			sb_puts(why, "status: must be in_force, proposed or template");
			goto out;
		}
	}
	int t = clock_trigger_parse(trigger);
	if (t < 0) {
		sb_puts(why, "trigger: must be one of became_aware, classified_major, "
			"materiality_determined, discovered, ransom_paid, detected, custom");
		goto out;
	}
	d->trigger = (enum clock_trigger)t;
	if (d->trigger == CLOCK_TRIG_CUSTOM && !d->custom_trigger) {
		sb_puts(why, "custom_trigger: is required when trigger is custom");
		goto out;
	}
	if (d->trigger != CLOCK_TRIG_CUSTOM && d->custom_trigger) {
		sb_puts(why, "custom_trigger: only allowed when trigger is custom");
		goto out;
	}
	if (parse_calendar(json_object_get(root, "calendar"), &d->calendar, why) < 0)
		goto out;

	json_t *stages = json_object_get(root, "stages");
	if (!stages) {
		sb_puts(why, "stages: is required");
		goto out;
	}
	if (!json_is_array(stages) || json_array_size(stages) < 1 ||
	    json_array_size(stages) > CLOCK_MAX_STAGES) {
		sb_printf(why, "stages: must be an array of 1 to %d stages", CLOCK_MAX_STAGES);
		goto out;
	}
	d->stages = xcalloc(json_array_size(stages), sizeof(struct clock_stage));
	for (size_t i = 0; i < json_array_size(stages); i++) {
		d->nstages = i + 1; /* so clock_def_free frees what was parsed */
		if (parse_stage(json_array_get(stages, i), i, d, why) < 0)
			goto out;
	}
	rc = 0;
out:
	free(status);
	free(trigger);
	return rc;
}

int clock_def_parse(const char *json, size_t len, struct clock_def **out, struct strbuf *why)
{
	json_error_t err;
	*out = NULL;
	if (len > CLOCK_JSON_MAX) {
		sb_printf(why, "a clock definition may be at most %d bytes", CLOCK_JSON_MAX);
		return SIRT_ETOOBIG;
	}
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		sb_printf(why, "invalid JSON at line %d, column %d: %s", err.line, err.column,
			  err.text);
		return SIRT_EINVAL;
	}
	struct clock_def *d = xcalloc(1, sizeof(*d));
	int rc = parse_def(root, d, why);
	json_decref(root);
	if (rc < 0) {
		clock_def_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void clock_def_free(struct clock_def *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nstages; i++) {
		free(d->stages[i].key);
		free(d->stages[i].name);
		free(d->stages[i].recipient);
		free(d->stages[i].note);
	}
	free(d->stages);
	free(d->calendar.holidays);
	free(d->key);
	free(d->name);
	free(d->reference);
	free(d->description);
	free(d->custom_trigger);
	free(d);
}

size_t clock_builtin_count(void)
{
	size_t n = 0;
	while (clock_builtin_json[n])
		n++;
	return n;
}

int clock_builtin_load(const char *key, struct clock_def **out)
{
	*out = NULL;
	for (size_t i = 0; clock_builtin_json[i]; i++) {
		struct strbuf why;
		struct clock_def *d;
		sb_init(&why, 4096);
		int rc = clock_def_parse(clock_builtin_json[i], strlen(clock_builtin_json[i]), &d,
					 &why);
		if (rc < 0)
			fatal("built-in clock %zu does not parse: %s", i, sb_str(&why));
		sb_free(&why);
		if (strcmp(d->key, key) == 0) {
			*out = d;
			return 0;
		}
		clock_def_free(d);
	}
	return SIRT_ENOTFOUND;
}
