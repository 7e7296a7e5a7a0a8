/*
 * The incident page's sections that other page modules fill (evidence,
 * deadlines, communications, review) and what they need from the incident
 * page itself. pages_incidents.c calls pages_incident_parts() while it
 * builds the page's model; the POST handlers of those sections re-render the
 * page with their errors through pages_incident_show().
 *
 * Failed-form state (the `state` object) carries one member per form, each
 * {form: {...what was typed}, errors: {field: message}}: evidence_form,
 * handover_form (+ id), clock_apply_form, decision_form, submission_form
 * (+ clock). pages_incident_parts() copies them into the model.
 */
#ifndef SIRT_WEB_PAGES_PARTS_H
#define SIRT_WEB_PAGES_PARTS_H

#include <jansson.h>

#include "http/http.h"
#include "store/db.h"
#include "web/pages.h"

/* Renders the incident page (pages_incidents.c); takes state's reference. */
int pages_incident_show(struct req *r, const char *ref, json_t *state, int status);

/* Adds evidence, clocks, communications and review to the page model m. A
 * section whose store cannot be read shows that instead of failing the page. */
void pages_incident_parts(struct req *r, struct db *db, const struct tz *z, json_t *rec,
			  json_t *state, json_t *m);
/* The deadlines section (pages_clocks.c). */
void pages_clocks_incident_part(struct req *r, struct db *db, const struct tz *z, json_t *rec,
				json_t *state, json_t *m);

/* The dashboard's panels: deadlines at risk (pages_clocks.c), overdue items
 * and compliance (pages_compliance.c). */
void pages_dashboard_deadlines(struct req *r, struct db *db, const struct tz *z, json_t *m);
void pages_dashboard_panels(struct req *r, struct db *db, const struct tz *z, json_t *m);

/* "1.4 MB", "512 bytes" (arena memory). */
const char *pages_bytes(struct req *r, int64_t n);
/* "2h 13m left", "overdue by 4m" for a deadline (arena memory). */
const char *pages_countdown(struct req *r, int64_t deadline, int64_t now);
/* {form, errors} state for a failed part: errors is taken. */
json_t *pages_part_state(const char *part, json_t *form, json_t *errors);
/* A string field of a form, "" when absent (for echoing). */
json_t *pages_echo(struct req *r, const char *const *names);

#endif
