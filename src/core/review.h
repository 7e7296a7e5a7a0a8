/*
 * Post-incident reviews (incident reports): the rules that need no I/O.
 *
 * A review's content is a JSON object with these sections:
 *   summary          Markdown text
 *   actions_taken    [{"at": RFC 3339 or null, "actor": "...", "text": "...",
 *                      "source": "audit:<seq>" | "record:<field>" | "manual"}]
 *   root_cause       {"method": five_whys|fishbone|fault_tree|other,
 *                     "root_cause": text, "contributing_factors": [text],
 *                     "category": one of review_root_cause_categories}
 *   impact           {"people_affected", "customers_affected", "records_affected",
 *                     "duration_minutes", "downtime_minutes", "estimated_cost": int,
 *                     "currency", "data_types": [..], "systems": [..],
 *                     "regulatory", "contractual", "notes": text,
 *                     "functional": none|low|medium|high,
 *                     "information": none|privacy|proprietary|integrity,
 *                     "recoverability": regular|supplemented|extended|not_recoverable}
 *   went_well, went_badly   Markdown text
 *   recommendations  [text]
 *
 * Facts are what sirt knows about the incident (lifecycle times and the
 * measures derived from them); they are computed when read and frozen into
 * the revision when it is published.
 */
#ifndef SIRT_CORE_REVIEW_H
#define SIRT_CORE_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

extern const char *const review_methods[];
extern const char *const review_root_cause_categories[];
extern const char *const review_impact_functional[];
extern const char *const review_impact_information[];
extern const char *const review_impact_recoverability[];

/* Lifecycle times of the incident; 0 = not set. */
struct review_times {
	int64_t occurred_at;
	int64_t detected_at;
	int64_t aware_at;
	int64_t acknowledged_at;
	int64_t contained_at;
	int64_t resolved_at;
	int64_t closed_at;
	int64_t notified_at; /* first notification sent (0 = none or unknown) */
};

/* Derived measures in seconds; -1 = cannot be computed (a time is missing
 * or they are out of order). */
struct review_measures {
	int64_t time_to_detect;      /* detected - occurred */
	int64_t time_to_acknowledge; /* acknowledged - detected */
	int64_t time_to_contain;     /* contained - detected */
	int64_t time_to_resolve;     /* resolved - detected */
	int64_t time_to_notify;      /* notified - aware (detected when aware is unknown) */
	int64_t duration;            /* resolved - occurred (detected when occurred is unknown) */
};

void review_compute_measures(const struct review_times *t, struct review_measures *m);

/* The facts object: {"times": {...}, "measures": {..._seconds}, "computed_at"}.
 * incident: borrowed {"key","title","severity","status",...} copied in. */
json_t *review_facts_json(const struct review_times *t, const json_t *incident, int64_t now);

/* Validates the shape of a (partial) content object from a client: unknown
 * members, wrong types, lengths, enumerations. Appends {"field","message"} to
 * *errors (created when NULL). Returns 0 or SIRT_EINVAL. */
int review_content_check(const json_t *content, json_t **errors) WUR;

/* The required sections that are empty, as field paths appended to *missing
 * (a new array): "summary", "actions_taken", "root_cause.method",
 * "root_cause.root_cause", "root_cause.category", "impact.functional",
 * "impact.information", "impact.recoverability", "went_well", "went_badly",
 * "recommendations". Returns how many. */
int review_missing_sections(const json_t *content, json_t **missing);

/* Merges a validated patch into content (objects merged one level deep,
 * null removes a member). */
void review_content_merge(json_t *content, const json_t *patch);

/* Renders a review record (as the API returns it) as Markdown. User text is
 * Markdown already and is copied in; single-line values have Markdown
 * metacharacters escaped. Check sb_status(). */
void review_render_markdown(const json_t *review, struct strbuf *out);

/* "2 h 05 min", "3 d 4 h", "45 s"; "–" for a negative value. */
void review_format_duration(int64_t secs, char *out, size_t n);

#endif
