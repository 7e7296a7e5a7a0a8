#include "export/incident_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/csv.h"
#include "export/veris.h"
#include "store/import_store.h"

/* CSV columns, in order: the auditor's log columns first. */
static const char *const csv_cols[] = {
	"key", "id", "title", "description", "severity", "status", "resolution",
	"resolution_summary", "category", "attack_vector", "veris_action",
	"root_cause_category", "occurred_at", "detected_at", "aware_at", "acknowledged_at",
	"contained_at", "resolved_at", "closed_at", "reporter", "commander", "affected_systems",
	"affected_customers", "data_types", "personal_data", "impact_functional",
	"impact_information", "impact_recoverability", "tlp", "plan_version", "reject_reason",
	"tags", "source", "external_ref", "created_at", "updated_at", "created_by", NULL};

int export_format_parse(const char *s, enum export_format *out)
{
	if (!s)
		return SIRT_EINVAL;
	if (!strcmp(s, "csv"))
		*out = EXPORT_CSV;
	else if (!strcmp(s, "jsonl"))
		*out = EXPORT_JSONL;
	else if (!strcmp(s, "veris"))
		*out = EXPORT_VERIS;
	else
		return SIRT_EINVAL;
	return 0;
}

const char *export_content_type(enum export_format f)
{
	return f == EXPORT_CSV ? "text/csv; charset=utf-8; header=present"
			       : "application/x-ndjson";
}

const char *export_extension(enum export_format f)
{
	return f == EXPORT_CSV ? "csv" : f == EXPORT_JSONL ? "jsonl" : "veris.jsonl";
}

void export_iter_init(struct export_iter *it, enum export_format fmt, int64_t org_id,
		      const char *org_name)
{
	memset(it, 0, sizeof(*it));
	it->fmt = fmt;
	it->org_id = org_id;
	snprintf(it->org_name, sizeof(it->org_name), "%s", org_name ? org_name : "");
}

void export_csv_header(struct strbuf *out)
{
	for (int i = 0; csv_cols[i]; i++)
		csv_put_cell(out, csv_cols[i], i == 0, false);
	csv_end_row(out);
}

void export_csv_row(struct strbuf *out, json_t *rec)
{
	struct strbuf cell;
	sb_init(&cell, 1 << 20);
	for (int i = 0; csv_cols[i]; i++) {
		json_t *v = json_object_get(rec, csv_cols[i]);
		sb_reset(&cell);
		if (json_is_string(v)) {
			sb_puts(&cell, json_string_value(v));
		} else if (json_is_boolean(v)) {
			sb_puts(&cell, json_is_true(v) ? "yes" : "no");
		} else if (json_is_integer(v)) {
			sb_printf(&cell, "%lld", (long long)json_integer_value(v));
		} else if (json_is_array(v)) {
			size_t k;
			json_t *x;
			json_array_foreach(v, k, x)
				sb_printf(&cell, "%s%s", k ? "; " : "", json_string_value(x) ? json_string_value(x) : "");
		}
		csv_put_cell(out, sb_str(&cell), i == 0, true);
	}
	csv_end_row(out);
	sb_free(&cell);
}

static int next_page(struct export_iter *it, struct db *db, json_t **rows)
{
	*rows = NULL;
	if (it->done)
		return 0;
	int64_t last;
	int rc = export_page(db, it->org_id, it->after_id, EXPORT_PAGE, it->fmt == EXPORT_VERIS,
			     rows, &last);
	if (rc < 0)
		return rc;
	it->after_id = last;
	if (json_array_size(*rows) < EXPORT_PAGE)
		it->done = true;
	it->count += (int64_t)json_array_size(*rows);
	return (int)json_array_size(*rows);
}

int export_iter_docs(struct export_iter *it, struct db *db, json_t **docs)
{
	json_t *rows;
	int n = next_page(it, db, &rows);
	if (n < 0)
		return n;
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		if (it->fmt == EXPORT_VERIS) {
			json_t *orig = json_incref(json_object_get(r, "_veris"));
			json_object_del(r, "_veris");
			json_array_append_new(out, veris_from_record(r, orig, it->org_name));
			json_decref(orig);
		} else {
			json_array_append(out, r);
		}
	}
	json_decref(rows);
	*docs = out;
	return n;
}

int export_iter_next(struct export_iter *it, struct db *db, struct strbuf *out)
{
	if (!it->started) {
		it->started = true;
		if (it->fmt == EXPORT_CSV)
			export_csv_header(out);
	}
	if (it->fmt == EXPORT_CSV) {
		json_t *rows;
		int n = next_page(it, db, &rows);
		if (n <= 0)
			return n;
		size_t i;
		json_t *r;
		json_array_foreach(rows, i, r)
			export_csv_row(out, r);
		json_decref(rows);
		return n;
	}
	json_t *docs;
	int n = export_iter_docs(it, db, &docs);
	if (n <= 0) {
		json_decref(docs);
		return n;
	}
	size_t i;
	json_t *d;
	json_array_foreach(docs, i, d) {
		char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		if (s) {
			sb_puts(out, s);
			sb_putc(out, '\n');
		}
		free(s);
	}
	json_decref(docs);
	return n;
}
