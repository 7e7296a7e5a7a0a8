/*
 * Notification rules: who hears about what, read from the IR plan in force.
 *
 * Event-driven rules run INSIDE the transaction that makes the change (the
 * incident store calls notify_rules_incident_event() from its create,
 * update and transition paths), so a message is queued in the outbox
 * exactly when the change commits:
 *
 *   incident.created         the severity's `notify` list (plan severity
 *                            targets) plus commander and assignees; also
 *                            applies the plan's regulatory clocks and
 *                            schedules the escalation path (escalation.h)
 *   incident.status_changed  the severity's `notify` list, commander and
 *                            assignees; leaving `new` stops escalation
 *   incident.assigned        the new commander and the added assignees
 *   (category, severity or personal data changed: clocks applied again)
 *
 * Time-based rules run in the delivery worker (notify_rules_scan), each
 * notice once across all nodes (table notify_marks): task.overdue (open
 * incident tasks past due_at, to the assignee) and action.overdue (review
 * action items past their due date, to the owner). Clock reminders and
 * breach notices (clock_store.c) take their recipients from the plan's
 * reporting requirement for the clock (notify_rules_clock_recipients).
 *
 * Wording: a template of the plan's communication section whose key is
 * the rule's template key (incident_created, status_changed, assigned,
 * escalation, task_overdue, action_overdue, clock_reminder, clock_breach);
 * for incident.created without one, the first template of the party of kind
 * incident_team; else a built-in wording. Placeholders are {{name}} or
 * {{incident.name}}, filled in by notify_render() — values only, never
 * markup — and unknown ones become "(not set)".
 */
#ifndef SIRT_NOTIFY_RULES_H
#define SIRT_NOTIFY_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "util/err.h"
#include "util/strbuf.h"

struct store;

/* How a value is escaped into its place. */
enum notify_esc {
	NOTIFY_ESC_TEXT, /* plain text (e-mail body): control characters but \n and \t dropped */
	NOTIFY_ESC_LINE, /* one line (subjects): every control character becomes a space */
	NOTIFY_ESC_JSON, /* inside a JSON string: JSON-encoded */
};

/* Renders tmpl with {{name}} placeholders from vars (an object of strings;
 * "incident.key" looks up "key"). A value is at most 4000 bytes. Never fails:
 * overlong output is cut by out's ceiling (check sb_status). */
void notify_render(const char *tmpl, json_t *vars, enum notify_esc esc, struct strbuf *out);

/* Cuts s to at most max bytes on a UTF-8 character boundary (in place). */
void notify_utf8_cut(char *s, size_t max);

/* The hook of the incident store (see above). action: "incident.created",
 * "incident.update" or "incident.transition"; changes: {field: {from, to}}
 * (NULL for created). */
int notify_rules_incident_event(struct db *db, const struct audit_ctx *ac, int64_t org_id,
				int64_t incident_id, const char *action, json_t *changes) WUR;

/* The worker's periodic pass over the time-based rules. */
int notify_rules_scan(struct store *st, int64_t now) WUR;

/*
 * Resolves plan keys (roles and communication parties) to e-mail addresses,
 * appended without duplicates to the array emails. With oncall_first, a
 * role resolves to the member on call for it at time `at` when there is
 * one, else to every active member holding the role; without, to every
 * active member holding it. A party resolves to its contact when that is an
 * e-mail address. who (may be NULL) gets one {key, kind, source, emails[]}
 * per key, for display.
 */
int notify_resolve(struct db *db, int64_t org_id, json_t *keys, int64_t at, bool oncall_first,
		   json_t *emails, json_t *who) WUR;

/* The template of the plan in force with this key (a new object {subject?,
 * body, party, key}), or NULL. For "incident_created" falls back to the
 * incident_team party's first template. */
json_t *notify_plan_template(struct db *db, int64_t org_id, const char *key);

/* Template variables of an incident (a new object of strings). */
json_t *notify_incident_vars(struct db *db, int64_t org_id, int64_t incident_id);

/* Queues one rule message: renders template key tkey (or the defaults)
 * with vars, and enqueues it for every channel matching event. recipients:
 * array of addresses, empty = the channels' own. */
int notify_rules_send(struct db *db, int64_t org_id, int64_t incident_id, const char *idem_key,
		      const char *event, const char *tkey, json_t *vars, const char *def_subject,
		      const char *def_body, json_t *recipients, json_t *data, int64_t not_before) WUR;

/* For clock reminders and breach notices: the owner role's members of the
 * plan's reporting requirement for clock `definition_key` (a JSON array
 * text, or NULL to use the channels' own) and the party to be notified
 * ("supervisory authority"), or NULL. Caller frees both. */
int notify_rules_clock_recipients(struct db *db, int64_t org_id, const char *definition_key,
				  char **recipients, char **party) WUR;

/* What the plan in force implies, for GET /api/v1/notification-rules. */
int notify_rules_describe(struct db *db, int64_t org_id, int64_t now, json_t **out) WUR;

#endif
