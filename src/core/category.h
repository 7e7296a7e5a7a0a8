/*
 * The enumerations of the incident record, in one place: the API validates
 * against them, the store re-checks them, the docs list them. Every list is
 * NULL-terminated and in a stable order (the order the UI offers them).
 *
 *   category            sirt's incident types, one playbook each
 *   attack vector       NIST SP 800-61r2 / CISA Federal Incident Notification
 *                       Guidelines attack vectors
 *   VERIS action        the top-level VERIS action categories
 *   resolution          how an incident ended
 *   root-cause category what made it possible
 *   impact scales       NIST SP 800-61r2 tables 3-2..3-4 (functional,
 *                       information, recoverability)
 *   TLP                 Traffic Light Protocol 2.0
 * and the small lists of sub-records: timeline entry kinds, task statuses,
 * incident sources and reject reasons.
 */
#ifndef SIRT_CORE_CATEGORY_H
#define SIRT_CORE_CATEGORY_H

#include <stdbool.h>

#include "util/strbuf.h"

extern const char *const incident_categories[];
extern const char *const attack_vectors[];
extern const char *const veris_actions[];
extern const char *const incident_resolutions[];
extern const char *const root_cause_categories[];
extern const char *const impact_functional_levels[];
extern const char *const impact_information_levels[];
extern const char *const impact_recoverability_levels[];
extern const char *const tlp_levels[];
extern const char *const incident_sources[];
extern const char *const reject_reasons[];
/* Kinds a person may write; "system" entries are written by sirt itself. */
extern const char *const timeline_kinds[];
extern const char *const task_statuses[];

/* Exact, case-sensitive membership; false for NULL. */
bool enum_contains(const char *const *list, const char *s);
/* Appends "a, b, c" to sb. */
void enum_join(const char *const *list, struct strbuf *sb);

static inline bool category_valid(const char *s)
{
	return enum_contains(incident_categories, s);
}

static inline bool tlp_valid(const char *s)
{
	return enum_contains(tlp_levels, s);
}

/* open and in_progress count as not finished. */
bool task_status_is_finished(const char *s);

#endif
