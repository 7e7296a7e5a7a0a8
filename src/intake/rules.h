/*
 * Routing rules for incoming alerts: pure functions, no I/O.
 *
 * A rule is data (stored in intake_rules, edited through the API): a match
 * object, an action and a grouping. Rules are ordered; the first enabled rule
 * whose match holds decides what happens to a NEW alert:
 *
 *   open    attach to the open incident of the alert's group if there is one
 *           within the window, else open a new incident (category, severity)
 *   attach  attach to the open incident of the alert's group, else record
 *   record  store the alert only
 *
 * No rule matching means record. Match conditions (all given ones must hold;
 * {} matches everything), each value a string or an array meaning "any of":
 *
 *   source          alert source names (alertmanager, grafana, ...)
 *   severity        alert severities (critical, high, medium, low, info)
 *   min_severity    one severity: that or worse
 *   labels          {"name": "value" | ["v1","v2"]}: label equals one of them
 *   title_contains  case-insensitive (ASCII) substrings, any of them
 *   entity_kinds    entity kinds (host, ip, account, ...), any of them present
 *
 * group_by lists the fields whose values make the group key: "source",
 * "fingerprint", "title", "severity", "labels.<name>", "entities.<kind>".
 * An empty list groups by fingerprint.
 */
#ifndef SIRT_INTAKE_RULES_H
#define SIRT_INTAKE_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "alerts/alert.h"
#include "util/err.h"

#define RULE_MAX_GROUP_BY 8
#define RULE_MAX_WINDOW (30 * 86400)
#define RULE_MAX_LIST 64     /* values in one match condition */
#define RULE_MAX_VALUE 256   /* bytes in one match value */

enum rule_action { RULE_RECORD = 0, RULE_OPEN, RULE_ATTACH };

struct intake_rule {
	int64_t id;
	char *uid;
	char *name;
	json_t *match;        /* validated match object (owned reference) */
	enum rule_action action;
	char *category;       /* NULL: none */
	char *severity;       /* incident severity; NULL: from the alert */
	json_t *group_by;     /* array of strings (owned reference) */
	int64_t group_window; /* seconds */
	bool resolve_note;
};

const char *rule_action_name(enum rule_action a);
int rule_action_parse(const char *s, enum rule_action *out) WUR;

/*
 * Checks a match object; on failure returns SIRT_EINVAL with a message
 * naming the field ("match.labels.env: expected a string or an array of
 * strings").
 */
int rule_match_check(const json_t *match, char *err, size_t errlen) WUR;
/* Checks a group_by array likewise. */
int rule_group_by_check(const json_t *group_by, char *err, size_t errlen) WUR;
/* Checks an incident category: 1-64 of [a-z0-9_-]. */
bool rule_category_valid(const char *s);

bool rule_matches(const struct intake_rule *r, const struct alert *a);
/* The first matching rule of n, or NULL. */
const struct intake_rule *rule_first_match(const struct intake_rule *rules, size_t n,
					   const struct alert *a);

/*
 * The group key: SHA-256 hex over the rule uid and each group_by field's
 * name and value. *label (if label) gets a new object field -> value for
 * display.
 */
void rule_group_key(const struct intake_rule *r, const struct alert *a, char key[65],
		    json_t **label);

/* The incident severity for an alert under rule r (info becomes low). */
const char *rule_incident_severity(const struct intake_rule *r, const struct alert *a);

void rule_free(struct intake_rule *r);

#endif
