#include "core/lifecycle.h"

#include <stddef.h>
#include <string.h>

/* What kind of move a table cell allows. */
enum move {
	NO = 0,
	FWD,    /* forward, no reason needed */
	BACK,   /* back among containment/eradication/recovery, reason needed */
	CLOSE,  /* resolved -> closed */
	REJECT, /* -> rejected, reject reason needed */
	REOPEN, /* resolved/closed/rejected -> triage/containment, reason needed */
};

static bool blank(const char *s);
static int status_of(const char *name);

static const char *const status_names[LC_STATUS_COUNT] = {
	"new", "triage", "containment", "eradication", "recovery", "resolved", "closed", "rejected",
};

/* The whole lifecycle: moves[from][to]. */
static const unsigned char moves[LC_STATUS_COUNT][LC_STATUS_COUNT] = {
	/*                 new  triage  contain ERADIC  RECOV   resolv  closed  rejected */
	[LC_NEW]         = {NO, FWD,    FWD,    FWD,    FWD,    FWD,    NO,     REJECT},
	[LC_TRIAGE]      = {NO, NO,     FWD,    FWD,    FWD,    FWD,    NO,     REJECT},
	[LC_CONTAINMENT] = {NO, NO,     NO,     FWD,    FWD,    FWD,    NO,     REJECT},
	[LC_ERADICATION] = {NO, NO,     BACK,   NO,     FWD,    FWD,    NO,     NO},
	[LC_RECOVERY]    = {NO, NO,     BACK,   BACK,   NO,     FWD,    NO,     NO},
	[LC_RESOLVED]    = {NO, REOPEN, REOPEN, NO,     NO,     NO,     CLOSE,  NO},
	[LC_CLOSED]      = {NO, REOPEN, REOPEN, NO,     NO,     NO,     NO,     NO},
	[LC_REJECTED]    = {NO, REOPEN, REOPEN, NO,     NO,     NO,     NO,     NO},
};

static const char *const severity_names[SEVERITY_RANK_MAX + 1] = {
	NULL, "low", "medium", "high", "critical",
};

static bool blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static int status_of(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < LC_STATUS_COUNT; i++)
		if (strcmp(name, status_names[i]) == 0)
			return i;
	return -1;
}

const char *lifecycle_status_name(enum lifecycle_status s)
{
	return (unsigned)s < LC_STATUS_COUNT ? status_names[s] : NULL;
}

int lifecycle_status_parse(const char *name)
{
	return status_of(name);
}

bool lifecycle_status_valid(const char *name)
{
	return status_of(name) >= 0;
}

bool lifecycle_status_is_open(const char *name)
{
	int s = status_of(name);
	return s >= 0 && s < LC_RESOLVED;
}

bool lifecycle_can_transition(const char *from, const char *to)
{
	int f = status_of(from), t = status_of(to);
	return f >= 0 && t >= 0 && moves[f][t] != NO;
}

bool lifecycle_is_reopen(const char *from, const char *to)
{
	int f = status_of(from), t = status_of(to);
	return f >= 0 && t >= 0 && moves[f][t] == REOPEN;
}

bool lifecycle_is_step_back(const char *from, const char *to)
{
	int f = status_of(from), t = status_of(to);
	return f >= 0 && t >= 0 && moves[f][t] == BACK;
}

int lifecycle_check_transition(const struct lifecycle_transition *t, struct strbuf *why)
{
	int f = status_of(t->from), to = status_of(t->to);
	if (f < 0) {
		sb_printf(why, "unknown status '%s'", t->from ? t->from : "");
		return SIRT_EINVAL;
	}
	if (to < 0) {
		sb_printf(why, "unknown status '%s'", t->to ? t->to : "");
		return SIRT_EINVAL;
	}
	switch (moves[f][to]) {
	case NO:
		if (f == to)
			sb_printf(why, "the incident is already %s", status_names[f]);
		else if (to == LC_REJECTED)
			sb_printf(why, "an incident in %s cannot be rejected (only from new, triage or "
				  "containment)", status_names[f]);
		else if (to == LC_CLOSED)
			sb_printf(why, "an incident in %s cannot be closed; resolve it first",
				  status_names[f]);
		else
			sb_printf(why, "cannot move an incident from %s to %s", status_names[f],
				  status_names[to]);
		return SIRT_ECONFLICT;
	case REJECT:
		if (!t->reject_reason || (strcmp(t->reject_reason, "false_positive") != 0 &&
					  strcmp(t->reject_reason, "duplicate") != 0)) {
			sb_puts(why, "rejecting needs reject_reason false_positive or duplicate");
			return SIRT_EINVAL;
		}
		if (strcmp(t->reject_reason, "duplicate") == 0 && blank(t->duplicate_of)) {
			sb_puts(why, "rejecting as a duplicate needs duplicate_of, the other incident");
			return SIRT_EINVAL;
		}
		return 0;
	case REOPEN:
		if (blank(t->reason)) {
			sb_printf(why, "reopening a %s incident needs a reason", status_names[f]);
			return SIRT_EINVAL;
		}
		return 0;
	case BACK:
		if (blank(t->reason)) {
			sb_printf(why, "moving back from %s to %s needs a reason", status_names[f],
				  status_names[to]);
			return SIRT_EINVAL;
		}
		return 0;
	default:
		return 0;
	}
}

unsigned lifecycle_stamps(const char *from, const char *to, const struct lifecycle_times *cur)
{
	int f = status_of(from), t = status_of(to);
	unsigned m = 0;
	if (f < 0 || t < 0 || moves[f][t] == NO)
		return 0;
	if (f == LC_NEW && cur->acknowledged_at == 0)
		m |= LC_SET_ACKNOWLEDGED;
	if (moves[f][t] == REOPEN) {
		if (cur->resolved_at)
			m |= LC_CLEAR_RESOLVED;
		if (cur->closed_at)
			m |= LC_CLEAR_CLOSED;
		return m;
	}
	if (t >= LC_ERADICATION && t <= LC_CLOSED && cur->contained_at == 0)
		m |= LC_SET_CONTAINED;
	if (t == LC_RESOLVED)
		m |= LC_SET_RESOLVED;
	if (t == LC_CLOSED || t == LC_REJECTED)
		m |= LC_SET_CLOSED;
	return m;
}

void lifecycle_apply_stamps(unsigned mask, int64_t now, struct lifecycle_times *t)
{
	if (mask & LC_SET_ACKNOWLEDGED)
		t->acknowledged_at = now;
	if (mask & LC_SET_CONTAINED)
		t->contained_at = now;
	if (mask & LC_SET_RESOLVED)
		t->resolved_at = now;
	if (mask & LC_SET_CLOSED)
		t->closed_at = now;
	if (mask & LC_CLEAR_RESOLVED)
		t->resolved_at = 0;
	if (mask & LC_CLEAR_CLOSED)
		t->closed_at = 0;
}

int severity_rank(const char *name)
{
	if (!name)
		return -1;
	for (int i = 1; i <= SEVERITY_RANK_MAX; i++)
		if (strcmp(name, severity_names[i]) == 0)
			return i;
	return -1;
}

bool severity_valid(const char *name)
{
	return severity_rank(name) > 0;
}

const char *severity_name(int rank)
{
	return rank >= 1 && rank <= SEVERITY_RANK_MAX ? severity_names[rank] : NULL;
}

void close_policy_default(struct close_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->require_resolution = true;
	p->require_root_cause = true;
}

int lifecycle_check_close(const struct incident_close_facts *f, struct strbuf *why)
{
	struct close_policy def;
	const struct close_policy *p = f->policy;
	int n = 0;

	if (!p) {
		close_policy_default(&def);
		p = &def;
	}
	if (!f->status || strcmp(f->status, "resolved") != 0) {
		sb_printf(why, "only a resolved incident can be closed (status is %s)",
			  f->status ? f->status : "unknown");
		return SIRT_ECONFLICT;
	}
	if (p->require_resolution && blank(f->resolution)) {
		sb_puts(why, "resolution is required");
		n++;
	}
	if (p->require_root_cause && blank(f->root_cause_category)) {
		sb_printf(why, "%sroot_cause_category is required", n ? "; " : "");
		n++;
	}
	int rank = severity_rank(f->severity);
	if (rank > 0 && p->review_required_for_severity[rank] && !f->review_published) {
		sb_printf(why, "%sa %s incident needs a published post-incident review",
			  n ? "; " : "", severity_names[rank]);
		n++;
	}
	return n ? SIRT_EINVAL : 0;
}

struct time_field {
	const char *name;
	int64_t v;
};

/* Pairs (earlier, later) that must be ordered when both are set; indices into
 * the field array built in lifecycle_check_times. */
enum { T_OCC, T_DET, T_AWARE, T_ACK, T_CONT, T_RES, T_CLOSED, T_COUNT };
static const unsigned char order_rules[][2] = {
	{T_OCC, T_DET},  {T_DET, T_AWARE}, {T_OCC, T_AWARE}, {T_DET, T_ACK},
	{T_DET, T_CONT}, {T_OCC, T_CONT},  {T_DET, T_RES},   {T_OCC, T_RES},
	{T_RES, T_CLOSED}, {T_DET, T_CLOSED},
};

int lifecycle_check_times(const struct incident_times *t, int64_t now, const char **field,
			  struct strbuf *why)
{
	const struct time_field f[T_COUNT] = {
		[T_OCC] = {"occurred_at", t->occurred_at},
		[T_DET] = {"detected_at", t->detected_at},
		[T_AWARE] = {"became_aware_at", t->became_aware_at},
		[T_ACK] = {"acknowledged_at", t->acknowledged_at},
		[T_CONT] = {"contained_at", t->contained_at},
		[T_RES] = {"resolved_at", t->resolved_at},
		[T_CLOSED] = {"closed_at", t->closed_at},
	};
	for (int i = 0; i < T_COUNT; i++) {
		if (f[i].v && f[i].v > now + LIFECYCLE_CLOCK_SKEW) {
			*field = f[i].name;
			sb_printf(why, "%s is in the future", f[i].name);
			return SIRT_EINVAL;
		}
	}
	for (size_t i = 0; i < sizeof(order_rules) / sizeof(order_rules[0]); i++) {
		const struct time_field *a = &f[order_rules[i][0]], *b = &f[order_rules[i][1]];
		if (a->v && b->v && b->v < a->v) {
			*field = b->name;
			sb_printf(why, "%s is before %s", b->name, a->name);
			return SIRT_EINVAL;
		}
	}
	return 0;
}
