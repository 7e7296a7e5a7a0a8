/*
 * The incident lifecycle: statuses, the allowed transitions, the lifecycle
 * timestamps that transitions set, the rules for closing, severities, and the
 * ordering rules for an incident's timestamps. Pure functions, no I/O.
 *
 * Statuses, in order: new, triage, containment, eradication, recovery,
 * resolved, closed; and rejected (false positive or duplicate).
 *
 * Transitions (the table in lifecycle.c is the authority):
 *   - forward among the active phases new..recovery, skipping phases allowed;
 *     any active phase may go straight to resolved (a quick fix);
 *   - backward among containment, eradication, recovery (re-infection,
 *     containment failed): allowed, needs a reason;
 *   - resolved -> closed (subject to lifecycle_check_close);
 *   - new, triage, containment -> rejected, with reason false_positive or
 *     duplicate (duplicate needs the other incident);
 *   - reopening: resolved, closed, rejected -> triage or containment, needs
 *     a reason;
 *   - nothing goes back to new; no status transitions to itself.
 *
 * Timestamps (0 means "not set"; see lifecycle_stamps()):
 *   acknowledged_at  set once, the first time the incident leaves new (to
 *                    anything, rejected included: someone looked at it).
 *   contained_at     set once, the first time the incident moves past
 *                    containment: to eradication, recovery, resolved or closed.
 *                    Entering containment starts containment; it does not
 *                    achieve it. Never set by rejected.
 *   resolved_at      set each time the incident enters resolved.
 *   closed_at        set each time the incident enters closed or rejected
 *                    (both end the record).
 *   Reopening clears resolved_at and closed_at; acknowledged_at and
 *   contained_at keep their first values (MTTA and MTTC measure the first
 *   response).
 */
#ifndef SIRT_CORE_LIFECYCLE_H
#define SIRT_CORE_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>
#include "util/err.h"
#include "util/strbuf.h"

enum lifecycle_status {
	LC_NEW,
	LC_TRIAGE,
	LC_CONTAINMENT,
	LC_ERADICATION,
	LC_RECOVERY,
	LC_RESOLVED,
	LC_CLOSED,
	LC_REJECTED,
	LC_STATUS_COUNT
};

/* "new" ... "rejected"; NULL for an out-of-range value. */
const char *lifecycle_status_name(enum lifecycle_status s);
/* The status for a name, or -1. Exact, lower-case match. */
int lifecycle_status_parse(const char *name);
bool lifecycle_status_valid(const char *name);
/* Open means not resolved, closed or rejected. */
bool lifecycle_status_is_open(const char *name);

/* Whether the table allows from -> to at all (reasons are not checked here). */
bool lifecycle_can_transition(const char *from, const char *to);
/* from is resolved, closed or rejected and to is open. */
bool lifecycle_is_reopen(const char *from, const char *to);
/* to is earlier than from among containment, eradication, recovery. */
bool lifecycle_is_step_back(const char *from, const char *to);

struct lifecycle_transition {
	const char *from;
	const char *to;
	const char *reject_reason; /* to == rejected: "false_positive" | "duplicate" */
	const char *duplicate_of;  /* reject_reason == duplicate: the other incident */
	const char *reason;        /* reopen or step back: free text, not blank */
};

/* Checks a whole transition including its reasons. 0, SIRT_EINVAL (a bad or
 * missing name or reason) or SIRT_ECONFLICT (the table forbids it); *why
 * gets one sentence naming the problem. */
int lifecycle_check_transition(const struct lifecycle_transition *t, struct strbuf *why) WUR;

/* Timestamps the lifecycle sets; 0 means not set. */
struct lifecycle_times {
	int64_t acknowledged_at;
	int64_t contained_at;
	int64_t resolved_at;
	int64_t closed_at;
};

enum {
	LC_SET_ACKNOWLEDGED = 1 << 0,
	LC_SET_CONTAINED = 1 << 1,
	LC_SET_RESOLVED = 1 << 2,
	LC_SET_CLOSED = 1 << 3,
	LC_CLEAR_RESOLVED = 1 << 4,
	LC_CLEAR_CLOSED = 1 << 5,
};

/* Which timestamps the transition from -> to sets or clears, given the
 * current ones (a mask of LC_SET_* and LC_CLEAR_*). 0 for unknown statuses. */
unsigned lifecycle_stamps(const char *from, const char *to, const struct lifecycle_times *cur);
/* Applies a mask from lifecycle_stamps() at time now. */
void lifecycle_apply_stamps(unsigned mask, int64_t now, struct lifecycle_times *t);

/* Severities: critical, high, medium, low. */
#define SEVERITY_RANK_MAX 4
/* critical 4, high 3, medium 2, low 1; -1 for anything else. */
int severity_rank(const char *name);
bool severity_valid(const char *name);
/* The name for a rank 1..4, or NULL. */
const char *severity_name(int rank);

/* What the organisation's plan demands before an incident may close. */
struct close_policy {
	bool require_resolution;
	bool require_root_cause;
	/* index: severity rank (1..4); true -> a published post-incident review
	 * is needed. */
	bool review_required_for_severity[SEVERITY_RANK_MAX + 1];
};

/* Resolution and root cause required, no review required (the default until
 * reviews exist). */
void close_policy_default(struct close_policy *p);

struct incident_close_facts {
	const char *status;              /* current status; must be resolved */
	const char *severity;
	const char *resolution;          /* NULL or blank = missing */
	const char *root_cause_category; /* NULL or blank = missing */
	bool review_published;
	const struct close_policy *policy; /* NULL = close_policy_default() */
};

/* 0 if the incident may close; SIRT_ECONFLICT if its status is not resolved;
 * SIRT_EINVAL listing every missing item in *why ("resolution is required;
 * root_cause_category is required"). */
int lifecycle_check_close(const struct incident_close_facts *f, struct strbuf *why) WUR;

/* An incident's timestamps; 0 means not set. */
struct incident_times {
	int64_t occurred_at;
	int64_t detected_at;
	int64_t became_aware_at;
	int64_t acknowledged_at;
	int64_t contained_at;
	int64_t resolved_at;
	int64_t closed_at;
};

#define LIFECYCLE_CLOCK_SKEW 300 /* seconds a timestamp may lie in the future */

/*
 * Checks, in this order, for the set fields only:
 *   none is later than now + LIFECYCLE_CLOCK_SKEW;
 *   occurred_at <= detected_at <= became_aware_at (and occurred <= aware);
 *   acknowledged_at, contained_at, resolved_at >= detected_at;
 *   contained_at, resolved_at >= occurred_at;
 *   closed_at >= resolved_at, closed_at >= detected_at.
 * Resolution may come before awareness (a controller may learn that personal
 * data was involved only after the fix), so that pair is not checked.
 * On failure returns SIRT_EINVAL, *field names the offending field (for an
 * ordering problem, the later one of the pair, e.g. "detected_at" when it is
 * before occurred_at) and *why says what is wrong.
 */
int lifecycle_check_times(const struct incident_times *t, int64_t now, const char **field,
			  struct strbuf *why) WUR;

#endif
