/*
 * The incident log's import and export in the database.
 *
 * Import writes the full record (every column of 0020_incident_record.sql)
 * from a validated JSON record whose keys are the column names (times as
 * RFC 3339 strings, list columns as arrays, personal_data a boolean, plus
 * "tags"), with its audit entry "incident.import", in the caller's
 * transaction. An incident's identity for re-imports is (org, external_ref):
 * a record whose external_ref is already there is not created again.
 *
 * Export reads an organisation's incidents in keyset pages (ascending id),
 * so a caller streams any number of them in bounded memory.
 */
#ifndef SIRT_IMPORT_STORE_H
#define SIRT_IMPORT_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"

/* True in *exists when org_id has an incident with this external_ref. */
int import_exists(struct db *db, int64_t org_id, const char *external_ref, bool *exists) WUR;
/*
 * Creates the incident. record must have passed import_record_check()
 * (src/export/import_map.h) or veris_to_record(); veris_doc (may be NULL)
 * is the VERIS document it came from, kept for export. uid_out gets the new
 * incident's id. SIRT_ECONFLICT when external_ref is already taken.
 */
int import_create_incident(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			   json_t *record, json_t *veris_doc, const char *created_by,
			   const char *format, char uid_out[37]) WUR;

/* The organisation called name (NULL: the only one; SIRT_EINVAL if several). */
int import_find_org(struct db *db, const char *name, int64_t *org_id, char *org_name,
		    size_t org_name_len) WUR;
int export_count(struct db *db, int64_t org_id, int64_t *n) WUR;
/*
 * Up to limit records with id > after_id, ascending; *rows is a new array of
 * records (key, id, all columns, tags, commander e-mail, created/updated);
 * with want_veris each carries "_veris" (the original document) when it has
 * one. *last_id is the id of the last row (unchanged when none).
 */
int export_page(struct db *db, int64_t org_id, int64_t after_id, int limit, bool want_veris,
		json_t **rows, int64_t *last_id) WUR;

#endif
