/*
 * Indicators of compromise on an incident, normalised by src/core/indicator.h
 * and de-duplicated per incident on (type, canonical value): adding one the
 * incident has already widens its first/last seen instead. indicator_lookup()
 * answers "where else did we see this?" across the organisation.
 */
#include "store/incident_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/category.h"
#include "core/indicator.h"
#include "core/lifecycle.h"
#include "store/incident_internal.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define IND_DESCRIPTION_MAX 2000

#define IND_COLS                                                                    \
	"x.id, x.type, x.value, x.tlp, x.description, x.first_seen, x.last_seen,"  \
	" x.created_at, x.updated_at, x.created_by"

static json_t *ind_json(const struct db_res *r, int base)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_int(r, base + 0)));
	json_object_set_new(o, "type", json_string(db_text(r, base + 1)));
	json_object_set_new(o, "value", json_string(db_text(r, base + 2)));
	json_object_set_new(o, "tlp", json_string(db_text(r, base + 3)));
	json_object_set_new(o, "description", json_string(db_text(r, base + 4)));
	json_object_set_new(o, "first_seen", incident_time_json(r, base + 5));
	json_object_set_new(o, "last_seen", incident_time_json(r, base + 6));
	json_object_set_new(o, "created_at", incident_time_json(r, base + 7));
	json_object_set_new(o, "updated_at", incident_time_json(r, base + 8));
	json_object_set_new(o, "created_by", json_string(db_text(r, base + 9)));
	return o;
}

static int ind_get(struct db *db, int64_t incident_id, int64_t id, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT " IND_COLS " FROM incident_indicators x"
				  " WHERE x.id = $1 AND x.incident_id = $2",
			  2, DBV(DB_INT(id), DB_INT(incident_id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*out = ind_json(r, 0);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int incident_indicator_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			   const char *ref, const struct indicator_new *in, json_t **out,
			   bool *created)
{
	struct incident_ref inc;
	json_t *errors = NULL;
	char *canon = NULL;
	struct strbuf why;
	sb_init(&why, 512);
	*out = NULL;
	*created = false;
	int rc = incident_lookup(db, org_id, ref, &inc);
	if (rc < 0)
		goto out;
	if (!in->type || !indicator_type_valid(in->type)) {
		struct strbuf m;
		sb_init(&m, 500);
		sb_puts(&m, "must be one of: ");
		enum_join(indicator_types, &m);
		incident_error_add(&errors, "type", sb_str(&m));
		sb_free(&m);
	} else if (!in->value) {
		incident_error_add(&errors, "value", "is required");
	} else if (indicator_normalise(in->type, in->value, &canon, &why) < 0) {
		incident_error_add(&errors, "value", sb_str(&why));
	}
	if (in->tlp && !tlp_valid(in->tlp))
		incident_error_add(&errors, "tlp", "must be one of: clear, green, amber, amber+strict, red");
	incident_check_text(&errors, "description", in->description, IND_DESCRIPTION_MAX, true);
	int64_t now = time_now();
	int64_t first = in->first_seen ? in->first_seen : in->last_seen ? in->last_seen : now;
	int64_t last = in->last_seen ? in->last_seen : in->first_seen ? in->first_seen : now;
	if (first > now + LIFECYCLE_CLOCK_SKEW)
		incident_error_add(&errors, "first_seen", "is in the future");
	if (last > now + LIFECYCLE_CLOCK_SKEW)
		incident_error_add(&errors, "last_seen", "is in the future");
	else if (last < first)
		incident_error_add(&errors, "last_seen", "is before first_seen");
	if (errors) {
		*out = errors;
		errors = NULL;
		rc = SIRT_EINVAL;
		goto out;
	}
	char author[300];
	int64_t id;
	rc = db_query_int(db, &id,
			  "SELECT id FROM incident_indicators WHERE incident_id = $1 AND type = $2"
			  " AND value = $3",
			  3, DBV(DB_INT(inc.id), DB_TEXT(in->type), DB_TEXT(canon)));
	if (rc == SIRT_ENOTFOUND) {
		rc = db_query_int(
			db, &id,
			db_is_postgres(db)
				? "INSERT INTO incident_indicators(org_id, incident_id, type, value, tlp,"
				  " description, first_seen, last_seen, created_at, updated_at, created_by)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id"
				: "INSERT INTO incident_indicators(org_id, incident_id, type, value, tlp,"
				  " description, first_seen, last_seen, created_at, updated_at, created_by,"
				  " search_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, "
				  INCIDENT_SEARCH_KEY("incident_indicators", 2) ") RETURNING id",
			10,
			DBV(DB_INT(org_id), DB_INT(inc.id), DB_TEXT(in->type), DB_TEXT(canon),
			    DB_TEXT(in->tlp ? in->tlp : inc.tlp), DB_TEXT(in->description ? in->description : ""),
			    DB_INT(first), DB_INT(last), DB_INT(now),
			    DB_TEXT(incident_author(ac, author, sizeof(author)))));
		*created = true;
		if (rc == 0)
			rc = incident_fts_indicator(db, id, NULL, NULL, canon,
						    in->description ? in->description : "");
	} else if (rc == 0) {
		json_t *old = NULL;
		if (in->description) {
			rc = ind_get(db, inc.id, id, &old);
			if (rc == 0)
				rc = incident_fts_indicator(
					db, id, canon, json_string_value(json_object_get(old, "description")),
					canon, in->description);
			json_decref(old);
			if (rc < 0)
				goto out;
		}
		/* seen again: widen the window; a repeat without last_seen means "now" */
		int64_t seen = in->last_seen ? in->last_seen : now;
		rc = db_exec(db,
			     "UPDATE incident_indicators SET"
			     " first_seen = CASE WHEN $2 < first_seen THEN $2 ELSE first_seen END,"
			     " last_seen = CASE WHEN $3 > last_seen THEN $3 ELSE last_seen END,"
			     " tlp = COALESCE($4, tlp), description = COALESCE($5, description),"
			     " updated_at = $6 WHERE id = $1",
			     6, DBV(DB_INT(id), DB_INT(first), DB_INT(seen), DB_TEXT(in->tlp),
				    DB_TEXT(in->description), DB_INT(now)));
	}
	if (rc < 0)
		goto out;
	rc = ind_get(db, inc.id, id, out);
	if (rc < 0)
		goto out;
	char text[600];
	snprintf(text, sizeof(text), "Indicator %s %s: %.400s", *created ? "added" : "seen again",
		 in->type, canon);
	json_t *det = json_pack("{s:s, s:I, s:s, s:s}", "key", inc.key, "indicator", (json_int_t)id,
				"type", in->type, "value", canon);
	rc = incident_timeline_system(db, ac, org_id, inc.id, text, det);
	if (rc == 0)
		rc = audit_append(db, ac, org_id, *created ? "incident.indicator.add"
							  : "incident.indicator.seen",
				  "incident", inc.uid, det);
	json_decref(det);
out:
	if (rc < 0 && rc != SIRT_EINVAL) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(errors);
	free(canon);
	sb_free(&why);
	return rc;
}

int incident_indicator_list(struct db *db, int64_t org_id, const char *ref, json_t **items)
{
	struct incident_ref inc;
	int rc = incident_lookup(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r, "SELECT " IND_COLS " FROM incident_indicators x WHERE x.incident_id = $1"
			      " ORDER BY x.id", 1, DBV(DB_INT(inc.id)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	while (db_next(r))
		json_array_append_new(arr, ind_json(r, 0));
	db_res_free(r);
	*items = arr;
	return 0;
}

int incident_indicator_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			      const char *ref, int64_t indicator_id)
{
	struct incident_ref inc;
	json_t *cur = NULL;
	int rc = incident_lookup(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	rc = ind_get(db, inc.id, indicator_id, &cur);
	if (rc < 0)
		return rc;
	/* the index entry first: it is found by the row's search key */
	rc = incident_fts_indicator(db, indicator_id, json_string_value(json_object_get(cur, "value")),
				    json_string_value(json_object_get(cur, "description")), NULL, NULL);
	if (rc == 0)
		rc = db_exec(db, "DELETE FROM incident_indicators WHERE id = $1 AND incident_id = $2", 2,
			     DBV(DB_INT(indicator_id), DB_INT(inc.id)));
	if (rc < 0)
		goto out;
	char text[600];
	snprintf(text, sizeof(text), "Indicator removed: %s %.400s",
		 json_string_value(json_object_get(cur, "type")),
		 json_string_value(json_object_get(cur, "value")));
	json_t *det = json_pack("{s:s, s:I, s:O}", "key", inc.key, "indicator",
				(json_int_t)indicator_id, "removed", cur);
	rc = incident_timeline_system(db, ac, org_id, inc.id, text, det);
	if (rc == 0)
		rc = audit_append(db, ac, org_id, "incident.indicator.delete", "incident", inc.uid, det);
	json_decref(det);
out:
	json_decref(cur);
	return rc;
}

int indicator_lookup(struct db *db, int64_t org_id, const char *value, const char *type,
		     int limit, json_t **items)
{
	/* The candidate canonical forms: under the given type, or every type
	 * the value is valid for (an address is also a valid file name...). */
	const char *cands[16];
	char *owned[16] = {0};
	int n = 0;
	struct strbuf why;
	sb_init(&why, 512);
	for (const char *const *t = indicator_types; *t && n < 8; t++) {
		if (type && strcmp(type, *t) != 0)
			continue;
		char *canon = NULL;
		sb_reset(&why);
		if (indicator_normalise(*t, value, &canon, &why) == 0) {
			bool dup = false;
			for (int i = 0; i < n; i++)
				dup |= strcmp(cands[i], canon) == 0;
			if (dup) {
				free(canon);
				continue;
			}
			owned[n] = canon;
			cands[n++] = canon;
		}
	}
	sb_free(&why);
	json_t *arr = json_array();
	int rc = 0;
	if (n == 0)
		goto out;
	while (n < 8)
		cands[n++] = NULL; /* IN ($2..$9): NULL matches nothing */
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT " IND_COLS ", i.uid, i.key, i.title, i.status, i.severity"
		      " FROM incident_indicators x JOIN incidents i ON i.id = x.incident_id"
		      " WHERE x.org_id = $1 AND x.value IN ($2, $3, $4, $5, $6, $7, $8, $9)"
		      " AND (CAST($10 AS TEXT) IS NULL OR x.type = $10)"
		      " ORDER BY x.last_seen DESC, x.id DESC LIMIT $11",
		      11,
		      DBV(DB_INT(org_id), DB_TEXT(cands[0]), DB_TEXT(cands[1]), DB_TEXT(cands[2]),
			  DB_TEXT(cands[3]), DB_TEXT(cands[4]), DB_TEXT(cands[5]), DB_TEXT(cands[6]),
			  DB_TEXT(cands[7]), DB_TEXT(type), DB_INT(limit)));
	if (rc < 0)
		goto out;
	while (db_next(r)) {
		json_t *inc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", db_text(r, 10), "key",
					db_text(r, 11), "title", db_text(r, 12), "status",
					db_text(r, 13), "severity", db_text(r, 14));
		json_array_append_new(arr, json_pack("{s:o, s:o}", "incident", inc, "indicator",
						     ind_json(r, 0)));
	}
	db_res_free(r);
out:
	for (int i = 0; i < 16; i++)
		free(owned[i]);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*items = arr;
	return 0;
}
