/*
 * Turning input files into sirt incident records (JSON objects keyed by the
 * incidents table's column names, see import_store.h), and the import of a
 * whole file: parse and check everything first, then write in one
 * transaction, so a file is imported entirely or not at all (unless the
 * caller asks to skip bad rows).
 *
 * CSV: a header row, then one incident per row. A column mapping says which
 * header column fills which record field ("title=Summary,severity=Sev"); with
 * no mapping, header names that are record field names map to themselves
 * (so sirt's own CSV export imports back). Values:
 *   times      RFC 3339, "YYYY-MM-DD HH:MM[:SS]" (taken as UTC) or YYYY-MM-DD
 *   lists      affected_systems, affected_customers, data_types, tags:
 *              separated by ";" (or "," when there is no ";")
 *   booleans   personal_data: yes/no, true/false, 1/0, y/n, x/empty
 *   enums      case-insensitive (severity, status, impact_*, tlp, ...)
 * Identity: the mapped external_ref column, else "sha256:" + the hash of the
 * row's mapped values, so importing the same file again creates nothing.
 */
#ifndef SIRT_IMPORT_MAP_H
#define SIRT_IMPORT_MAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define IMPORT_MAX_FIELDS 40

struct csv_map {
	int n;
	const char *field[IMPORT_MAX_FIELDS];  /* record field */
	char *column[IMPORT_MAX_FIELDS];       /* header name (owned) */
};

/* "field=Column,field=Column" (Column may be quoted "..." to hold commas).
 * On error SIRT_EINVAL and a message in err. */
int csv_map_parse(const char *spec, struct csv_map *m, char *err, size_t errlen) WUR;
/* A mapping file: one "field = Column" per line, '#' comments. */
int csv_map_load(const char *path, struct csv_map *m, char *err, size_t errlen) WUR;
void csv_map_free(struct csv_map *m);
/* True if name is a field a CSV column can fill. */
bool import_field_known(const char *name);

/*
 * Checks a record (from any source) before it is written: required fields,
 * enumerations, lengths, times (not in the future, resolved not before
 * detected...). Adds {"field","message"} objects to *errors (created when
 * needed) and returns SIRT_EINVAL when anything is wrong.
 */
int import_record_check(json_t *rec, int64_t now, json_t **errors) WUR;

/* One rejected row or file. */
struct import_reject {
	char where[256];   /* "file.csv:12" or "file.json" */
	char field[64];
	char message[512];
};

struct import_result {
	int64_t created;
	int64_t existing;  /* already imported earlier (same external_ref) */
	int64_t rejected;
	json_t *rejects;   /* array of {"where","field","message"} */
	json_t *created_ids; /* array of incident ids (capped at 10000) */
};

void import_result_init(struct import_result *res);
void import_result_free(struct import_result *res);
json_t *import_result_json(const struct import_result *res);

/*
 * The records of one CSV file (data, len). name labels the rejects. With
 * skip_bad, bad rows are reported and left out; without it, one bad row
 * rejects the file (*records empty). A file-level problem (encoding, quoting,
 * missing columns) always rejects the whole file.
 */
int import_csv_records(const char *name, const char *data, size_t len, const struct csv_map *m,
		       bool skip_bad, int64_t now, json_t **records,
		       struct import_result *res) WUR;
/* The records of one VERIS file: a JSON object, or JSON lines of objects.
 * Each record carries its document in "_veris". */
int import_veris_records(const char *name, const char *data, size_t len, bool skip_bad,
			 int64_t now, json_t **records, struct import_result *res) WUR;

struct store;
struct audit_ctx;
/*
 * Writes records for org_id in one transaction (all or nothing): a record
 * whose external_ref the organisation already has counts as existing and is
 * not written again. format ("csv", "veris") goes into the audit entries.
 */
int import_write(struct store *st, const struct audit_ctx *ac, int64_t org_id, json_t *records,
		 const char *format, const char *created_by, struct import_result *res) WUR;

#endif
