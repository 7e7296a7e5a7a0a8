/*
 * Compliance status and incident metrics from the database: gathers the
 * facts (src/core/compliance.h) in a handful of indexed queries, stores the
 * per-organisation control mapping, and runs the one grouped metrics query.
 */
#ifndef SIRT_COMPLIANCE_STORE_H
#define SIRT_COMPLIANCE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/compliance.h"
#include "store/db.h"

int compliance_gather(struct db *db, int64_t org_id, int64_t now, struct compliance_facts *f) WUR;
/* The organisation's mapping, or the built-in one (*custom false). */
int compliance_mapping_get(struct db *db, int64_t org_id, json_t **doc, bool *custom,
			   int64_t *version) WUR;
/* doc must be validated (compliance_mapping_validate). */
int compliance_mapping_put(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			   const json_t *doc, const char *by, int64_t now) WUR;
/* Back to the built-in mapping. */
int compliance_mapping_reset(struct db *db, const struct audit_ctx *ac, int64_t org_id) WUR;
/* {"generated_at","mapping":"builtin"|"custom","summary",...,"frameworks",...} */
int compliance_status(struct db *db, int64_t org_id, int64_t now, const char *framework,
		      json_t **out) WUR;

/* Incident metrics for [from, to); bucket month|quarter|year. */
int metrics_incidents(struct db *db, int64_t org_id, int64_t from, int64_t to, const char *bucket,
		      json_t **out) WUR;

#endif
