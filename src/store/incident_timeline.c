/*
 * An incident's timeline: append-only entries (the table's triggers refuse
 * UPDATE and DELETE). People write action, note, decision and communication
 * entries; sirt writes "system" entries for every field change, transition,
 * task and indicator change. A correction is a new entry whose `corrects`
 * names the entry it corrects; the old one then lists it in `corrected_by`.
 */
#include "store/incident_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/category.h"
#include "core/lifecycle.h"
#include "store/incident_internal.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define TIMELINE_TEXT_MAX 20000

static json_t *entry_json(const struct db_res *r);

#define ENTRY_COLS                                                                        \
	"t.id, t.kind, t.text, t.author, t.recorded_at, t.occurred_at, t.corrects, t.details," \
	" COALESCE(t.occurred_at, t.recorded_at)"

static json_t *entry_json(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_int(r, 0)));
	json_object_set_new(o, "kind", json_string(db_text(r, 1)));
	json_object_set_new(o, "text", json_string(db_text(r, 2)));
	json_object_set_new(o, "author", json_string(db_text(r, 3)));
	json_object_set_new(o, "recorded_at", incident_time_json(r, 4));
	json_object_set_new(o, "occurred_at", incident_time_json(r, 5));
	json_object_set_new(o, "corrects", db_isnull(r, 6) ? json_null() : json_integer(db_int(r, 6)));
	json_t *d = json_loads(db_text(r, 7), 0, NULL);
	json_object_set_new(o, "details", json_is_object(d) ? d : json_object());
	if (d && !json_is_object(d))
		json_decref(d);
	json_object_set_new(o, "corrected_by", json_array());
	return o;
}

static int insert_entry(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			int64_t incident_id, const char *kind, const char *text, int64_t occurred_at,
			int64_t corrects, json_t *details, int64_t *id)
{
	char author[300];
	char *d = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	/* SQLite keys its full-text index in incident order (incident_fts.c) */
	struct db_res *r;
	int rc = db_query(
		db, &r,
		db_is_postgres(db)
			? "INSERT INTO incident_timeline(org_id, incident_id, kind, text, author, recorded_at,"
			  " occurred_at, corrects, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
			  " RETURNING id, 0"
			: "INSERT INTO incident_timeline(org_id, incident_id, kind, text, author, recorded_at,"
			  " occurred_at, corrects, details, search_key) VALUES ($1, $2, $3, $4, $5, $6, $7,"
			  " $8, $9, " INCIDENT_SEARCH_KEY("incident_timeline", 2) ") RETURNING id, search_key",
		9,
		DBV(DB_INT(org_id), DB_INT(incident_id), DB_TEXT(kind), DB_TEXT(text),
		    DB_TEXT(incident_author(ac, author, sizeof(author))), DB_INT(time_now()),
		    occurred_at ? DB_INT(occurred_at) : DB_NULL(), corrects ? DB_INT(corrects) : DB_NULL(),
		    DB_TEXT(d ? d : "{}")));
	free(d);
	if (rc < 0)
		return rc;
	int64_t key = 0;
	if (db_next(r)) {
		*id = db_int(r, 0);
		key = db_int(r, 1);
	} else {
		rc = SIRT_EDB;
	}
	db_res_free(r);
	if (rc == 0)
		rc = incident_fts_timeline(db, key, text);
	return rc;
}

int incident_timeline_system(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			     int64_t incident_id, const char *text, json_t *details)
{
	int64_t id;
	return insert_entry(db, ac, org_id, incident_id, "system", text, 0, 0, details, &id);
}

int incident_timeline_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			  const char *ref, const struct timeline_new *t, json_t **out)
{
	struct incident_ref inc;
	json_t *errors = NULL;
	*out = NULL;
	int rc = incident_lookup(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	if (!enum_contains(timeline_kinds, t->kind))
		incident_error_add(&errors, "kind", "must be one of: action, note, decision, communication");
	if (incident_blank(t->text))
		incident_error_add(&errors, "text", t->text ? "must not be blank" : "is required");
	incident_check_text(&errors, "text", t->text, TIMELINE_TEXT_MAX, true);
	int64_t now = time_now();
	if (t->occurred_at && t->occurred_at > now + LIFECYCLE_CLOCK_SKEW)
		incident_error_add(&errors, "occurred_at", "is in the future");
	if (t->corrects) {
		int64_t n;
		rc = db_query_int(db, &n,
				  "SELECT count(*) FROM incident_timeline WHERE id = $1 AND incident_id = $2",
				  2, DBV(DB_INT(t->corrects), DB_INT(inc.id)));
		if (rc < 0)
			goto fail;
		if (n == 0)
			incident_error_add(&errors, "corrects", "is not an entry of this incident's timeline");
	}
	if (errors) {
		*out = errors;
		return SIRT_EINVAL;
	}
	int64_t id;
	rc = insert_entry(db, ac, org_id, inc.id, t->kind, t->text, t->occurred_at, t->corrects, NULL,
			  &id);
	if (rc < 0)
		goto fail;
	json_t *det = json_pack("{s:s, s:I, s:s}", "key", inc.key, "entry", (json_int_t)id, "kind",
				t->kind);
	if (t->corrects)
		json_object_set_new(det, "corrects", json_integer(t->corrects));
	rc = audit_append(db, ac, org_id, "incident.timeline.add", "incident", inc.uid, det);
	json_decref(det);
	if (rc < 0)
		goto fail;
	struct db_res *r;
	rc = db_query(db, &r, "SELECT " ENTRY_COLS " FROM incident_timeline t WHERE t.id = $1", 1,
		      DBV(DB_INT(id)));
	if (rc < 0)
		goto fail;
	if (db_next(r))
		*out = entry_json(r);
	db_res_free(r);
	return *out ? 0 : SIRT_EDB;
fail:
	json_decref(errors);
	return rc;
}

int incident_timeline_list(struct db *db, int64_t org_id, const char *ref, int64_t after, int limit,
			   json_t **items, int64_t *next_after)
{
	struct incident_ref inc;
	int rc = incident_lookup(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	*next_after = 0;
	/* keyset on (when, id): "after" is the last entry's id, whose key we look up */
	int64_t after_when = 0;
	if (after) {
		rc = db_query_int(db, &after_when,
				  "SELECT COALESCE(occurred_at, recorded_at) FROM incident_timeline"
				  " WHERE id = $1 AND incident_id = $2",
				  2, DBV(DB_INT(after), DB_INT(inc.id)));
		if (rc == SIRT_ENOTFOUND)
			return SIRT_EINVAL;
		if (rc < 0)
			return rc;
	}
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT " ENTRY_COLS " FROM incident_timeline t WHERE t.incident_id = $1"
		      " AND (CAST($2 AS BIGINT) = 0 OR COALESCE(t.occurred_at, t.recorded_at) > $3"
		      "  OR (COALESCE(t.occurred_at, t.recorded_at) = $3 AND t.id > $2))"
		      " ORDER BY COALESCE(t.occurred_at, t.recorded_at), t.id LIMIT $4",
		      4, DBV(DB_INT(inc.id), DB_INT(after), DB_INT(after_when), DB_INT(limit + 1)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int n = 0;
	while (db_next(r)) {
		if (n == limit) {
			*next_after = json_integer_value(json_object_get(json_array_get(arr, n - 1), "id"));
			break;
		}
		json_array_append_new(arr, entry_json(r));
		n++;
	}
	db_res_free(r);
	/* corrected_by: the later entries that correct these */
	rc = db_query(db, &r,
		      "SELECT corrects, id FROM incident_timeline WHERE incident_id = $1"
		      " AND corrects IS NOT NULL ORDER BY id",
		      1, DBV(DB_INT(inc.id)));
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	while (db_next(r)) {
		size_t i;
		json_t *e;
		json_array_foreach(arr, i, e) {
			if (json_integer_value(json_object_get(e, "id")) == db_int(r, 0))
				json_array_append_new(json_object_get(e, "corrected_by"),
						      json_integer(db_int(r, 1)));
		}
	}
	db_res_free(r);
	*items = arr;
	return 0;
}
