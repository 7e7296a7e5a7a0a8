/*
 * Regulatory notification clocks. A clock definition is data (JSON, parsed
 * strictly by clock_def_parse); this module computes each stage's deadline
 * from an incident's trigger times and the earlier stages' submissions, and
 * the state of each stage at a given time. Pure: no I/O, no global state.
 *
 * Definition (every field not marked optional is required; unknown fields
 * are errors):
 *   {
 *     "key": "nis2_art23",               [a-z0-9_], 1..64
 *     "name": "NIS2 Article 23",         1..200 bytes
 *     "reference": "...",                optional, legal citation, <= 500
 *     "description": "...",              optional, <= 2000
 *     "status": "in_force"|"proposed"|"template",   optional, default in_force
 *     "trigger": "became_aware",         became_aware | classified_major |
 *                                        materiality_determined | discovered |
 *                                        ransom_paid | detected | custom
 *     "custom_trigger": "...",           required iff trigger is custom: what
 *                                        the user records to start the clock
 *     "calendar": {                      optional; for business days and for
 *       "weekend": ["saturday","sunday"],   the local day boundary
 *       "holidays": ["2026-12-25", ...],     (<= 400 dates)
 *       "utc_offset": "+01:00"            a fixed offset; DST is not modelled
 *     },
 *     "stages": [ {                      1..16 stages, in order
 *       "key": "early_warning",          unique within the clock
 *       "name": "Early warning",
 *       "recipient": "CSIRT or competent authority",
 *       "deadline": OFFSET,
 *       "no_later_than": OFFSET,         optional: the deadline is the earlier
 *                                        of the two (DORA's initial report)
 *       "without_undue_delay": true,     optional: the law says "without undue
 *                                        delay"; the offset is sirt's target
 *       "note": "..."                    optional, <= 2000
 *     } ]
 *   }
 *   OFFSET = {
 *     "after": "trigger" | a trigger name | "stage",
 *     "stage": "notification",           iff after == "stage": an EARLIER stage
 *     "anchor": "submission"|"deadline", iff after == "stage" (default
 *                                        submission)
 *     "amount": 72,                      1..10000 (units: hours <= 87600,
 *                                        calendar_days <= 3650,
 *                                        business_days <= 1000, months <= 120)
 *     "unit": "hours"|"calendar_days"|"business_days"|"months",
 *     "at": "same_time"|"end_of_day"     optional, business_days only
 *   }
 *
 * Arithmetic (all in the calendar's local time, a fixed UTC offset):
 *   hours          t + amount * 3600.
 *   calendar_days  the same time of day, amount days later.
 *   months         the same day and time, amount months later; a day that
 *                  does not exist is clamped to the month's last day
 *                  (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year).
 *   business_days  the day of the trigger does not count, whether or not it
 *                  is a business day; the deadline falls on the amount-th
 *                  business day after it (skipping weekend days and
 *                  holidays). With "at": "same_time" (the default) it is at
 *                  the trigger's time of day: conservative, and the reading
 *                  of "within N business days" that never shows a late filing
 *                  as on time. With "end_of_day" it is 23:59:59 local on that
 *                  day; SEC Form 8-K uses it, since its four business days
 *                  end with the fourth business day.
 *
 * A stage anchored on an earlier stage's submission counts from that
 * submission when it is recorded, and until then from that stage's deadline;
 * such a deadline is marked provisional.
 */
#ifndef SIRT_CORE_CLOCK_H
#define SIRT_CORE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"
#include "util/strbuf.h"

enum clock_trigger {
	CLOCK_TRIG_BECAME_AWARE,
	CLOCK_TRIG_CLASSIFIED_MAJOR,
	CLOCK_TRIG_MATERIALITY_DETERMINED,
	CLOCK_TRIG_DISCOVERED,
	CLOCK_TRIG_RANSOM_PAID,
	CLOCK_TRIG_DETECTED,
	CLOCK_TRIG_CUSTOM,
	CLOCK_TRIG_COUNT
};

enum clock_unit {
	CLOCK_UNIT_HOURS,
	CLOCK_UNIT_CALENDAR_DAYS,
	CLOCK_UNIT_BUSINESS_DAYS,
	CLOCK_UNIT_MONTHS,
};

enum clock_def_status {
	CLOCK_IN_FORCE,
	CLOCK_PROPOSED,
	CLOCK_TEMPLATE,
};

#define CLOCK_MAX_STAGES 16
#define CLOCK_MAX_HOLIDAYS 400
#define CLOCK_JSON_MAX (64 * 1024)

struct clock_calendar {
	unsigned weekend_mask;  /* bit d set: weekday d (0 = Monday) is a weekend day */
	int32_t utc_offset;     /* seconds east of UTC */
	size_t nholidays;
	int64_t *holidays;      /* days since 1970-01-01 (local), sorted, unique */
};

struct clock_offset {
	bool from_stage;            /* else from a trigger */
	enum clock_trigger trigger; /* !from_stage */
	size_t stage;               /* from_stage: index of an earlier stage */
	bool from_submission;       /* from_stage: submission (else deadline) */
	int64_t amount;
	enum clock_unit unit;
	bool end_of_day;            /* business_days only */
};

struct clock_stage {
	char *key;
	char *name;
	char *recipient;
	char *note; /* may be NULL */
	struct clock_offset deadline;
	bool has_no_later_than;
	struct clock_offset no_later_than;
	bool without_undue_delay;
};

struct clock_def {
	char *key;
	char *name;
	char *reference;   /* may be NULL */
	char *description; /* may be NULL */
	enum clock_def_status status;
	enum clock_trigger trigger;
	char *custom_trigger; /* NULL unless trigger is custom */
	struct clock_calendar calendar;
	size_t nstages;
	struct clock_stage *stages;
};

const char *clock_trigger_name(enum clock_trigger t);
/* The trigger for a name, or -1. */
int clock_trigger_parse(const char *name);
const char *clock_unit_name(enum clock_unit u);

/* Parses a definition. On success *out is a new definition (clock_def_free).
 * On failure SIRT_EINVAL (or SIRT_ETOOBIG over CLOCK_JSON_MAX) and *why names
 * the field by its path, e.g. "stages[1].deadline.unit: must be one of hours,
 * calendar_days, business_days, months". */
int clock_def_parse(const char *json, size_t len, struct clock_def **out, struct strbuf *why) WUR;
void clock_def_free(struct clock_def *d);

/* Calendar arithmetic, exposed for tests and for callers that show dates. */
bool clock_is_business_day(const struct clock_calendar *cal, int64_t local_day);
/* t plus amount units by the rules above. */
int64_t clock_add(const struct clock_calendar *cal, int64_t t, int64_t amount,
		  enum clock_unit unit, bool end_of_day);

/* What is known about one incident that runs this clock. */
struct clock_inputs {
	int64_t trigger_at[CLOCK_TRIG_COUNT]; /* 0 = has not happened */
	const int64_t *submitted_at;          /* per stage, 0 = none; NULL = none */
	const bool *not_required;             /* per stage; NULL = all required */
};

enum clock_stage_status {
	CLOCK_STAGE_NOT_STARTED, /* the trigger it counts from has not happened */
	CLOCK_STAGE_PENDING,
	CLOCK_STAGE_DUE_SOON,    /* within the lead time of the deadline */
	CLOCK_STAGE_OVERDUE,     /* deadline passed, nothing submitted: breached */
	CLOCK_STAGE_MET,         /* submitted at or before the deadline */
	CLOCK_STAGE_LATE,        /* submitted after the deadline */
	CLOCK_STAGE_NOT_REQUIRED,/* decided not to be needed */
};

const char *clock_stage_status_name(enum clock_stage_status s);

struct clock_stage_result {
	bool known;            /* the deadline could be computed */
	int64_t deadline;
	bool provisional;      /* counts from an earlier stage's deadline, not its
				* (not yet recorded) submission */
	bool by_no_later_than; /* the no_later_than constraint decided it */
	bool passed_at_start;  /* the deadline was already past when the stage's
				* clock started (DORA classified late) */
	enum clock_stage_status status;
	int64_t time_left;     /* deadline - now, negative when overdue; 0 if !known */
};

/* The status of a single stage at now: lead is how long before the deadline
 * a stage counts as due soon. A deadline at exactly now is still pending or
 * due soon; a submission at exactly the deadline is met. */
enum clock_stage_status clock_stage_status_at(bool known, int64_t deadline, int64_t submitted_at,
					      bool not_required, int64_t now, int64_t lead);

/* Computes every stage of d into out[0..d->nstages). */
void clock_compute(const struct clock_def *d, const struct clock_inputs *in, int64_t now,
		   int64_t lead, struct clock_stage_result *out);

/* The definitions sirt ships (clock_builtin.c): JSON text, NULL-terminated. */
extern const char *const clock_builtin_json[];
size_t clock_builtin_count(void);
/* Parses the built-in with this key; SIRT_ENOTFOUND if there is none. */
int clock_builtin_load(const char *key, struct clock_def **out) WUR;

#endif
