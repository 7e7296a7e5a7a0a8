/*
 * On-call rotations: who is on call for a role at a given time.
 *
 * A rotation has a time zone and one or more layers. A layer cycles through
 * its members in order, handing over at a local wall-clock time ("09:00")
 * every shift_hours hours, counting from a start date. Shift boundaries are
 * computed on the local wall clock, so a daily 09:00 hand-off stays at 09:00
 * across daylight-saving changes. A layer may be restricted to a weekly
 * window (days and from..to local times; to <= from wraps past midnight).
 * Where several layers are active, the later layer wins. The layers together
 * must cover every minute of the week: oncall_check_coverage() names the
 * first gap otherwise.
 *
 * Overrides put a member on call from..to (UTC instants), on top of the
 * layers. Overrides of one rotation must not overlap each other.
 *
 * Time zones are read from the system tz database (TZif files, RFC 8536,
 * including the POSIX TZ rule in the footer for times past the last
 * transition). oncall_tz_load() is the only function here that does I/O;
 * everything else is pure. A NULL zone means UTC.
 */
#ifndef SIRT_CORE_ONCALL_H
#define SIRT_CORE_ONCALL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define ONCALL_MAX_LAYERS 8
#define ONCALL_MAX_MEMBERS 50
#define ONCALL_TZ_NAME_MAX 64
#define ONCALL_MEMBER_ID_MAX 64

/* ---- time zones ---- */
struct oncall_tz;

/* True for a syntactically acceptable IANA name ("Europe/Berlin", "UTC"). */
bool oncall_tz_name_ok(const char *name);
/* Loads /usr/share/zoneinfo/<name> (or $SIRT_ZONEINFO/<name>); SIRT_EINVAL for a
 * bad or unknown name. "UTC" always works (NULL zone). */
int oncall_tz_load(const char *name, struct oncall_tz **out) WUR;
/* Parses TZif data; SIRT_EINVAL when malformed. */
int oncall_tz_parse(const unsigned char *buf, size_t len, struct oncall_tz **out) WUR;
void oncall_tz_free(struct oncall_tz *tz);
/* Seconds east of UTC in effect at instant t. */
int32_t oncall_tz_offset(const struct oncall_tz *tz, int64_t t);
/* The UTC instant of a local wall-clock time (seconds since the local epoch);
 * in a DST gap, the instant the same distance after the gap's start. */
int64_t oncall_tz_to_utc(const struct oncall_tz *tz, int64_t wall);

/* ---- rotations ---- */
struct oncall_layer {
	char name[64];
	int nmembers;
	char members[ONCALL_MAX_MEMBERS][ONCALL_MEMBER_ID_MAX]; /* member ids, in order */
	int64_t start_day;  /* local civil day (days since 1970-01-01) of the first shift */
	int handoff_min;    /* local minutes after midnight */
	int shift_hours;
	bool restricted;
	unsigned days;      /* bit 0 = Monday ... bit 6 = Sunday */
	int from_min, to_min;
};

struct oncall_rotation {
	int nlayers;
	struct oncall_layer layers[ONCALL_MAX_LAYERS];
	const struct oncall_tz *tz; /* borrowed; NULL = UTC */
};

struct oncall_override {
	const char *member;
	int64_t start, end; /* [start, end) */
};

/*
 * Parses and validates a layers array:
 *   [{"name": "...", "members": ["<id>", ...], "start": "YYYY-MM-DD",
 *     "handoff": "HH:MM", "shift_hours": 1..672,
 *     "restrict": {"days": ["mon", ...], "from": "HH:MM", "to": "HH:MM"}}]
 * Unknown fields are rejected. Errors go to *errors as {"field","message"}
 * with paths below `prefix` (e.g. "layers[0].handoff").
 */
int oncall_layers_parse(json_t *layers, const char *prefix, struct oncall_rotation *out,
			json_t **errors) WUR;
/* 0 when the layers cover the whole week; SIRT_EINVAL and the first gap
 * ("Monday 18:00 to Tuesday 08:00 (local time) is not covered by any layer"). */
int oncall_check_coverage(const struct oncall_rotation *r, char *why, size_t whylen) WUR;
/* 0, or SIRT_ECONFLICT with *a < *b the first two overrides that overlap. */
int oncall_overrides_check(const struct oncall_override *o, size_t n, size_t *a, size_t *b) WUR;

struct oncall_answer {
	const char *member;  /* points into the rotation or the override */
	int layer;           /* -1 for an override */
	int override_index;  /* -1 unless an override */
	int64_t from, until; /* the shift (or override) in UTC */
};

/* Who is on call at t: an override covering t wins, else the last active
 * layer. SIRT_ENOTFOUND when nobody is (a gap: only when coverage failed). */
int oncall_who(const struct oncall_rotation *r, const struct oncall_override *o, size_t no,
	       int64_t t, struct oncall_answer *out) WUR;

/* "HH:MM" (00:00..24:00) to minutes; -1 if malformed. */
int oncall_parse_hhmm(const char *s);

#endif
