/* Alert intake: storing, de-duplicating and routing one request (see intake.h). */
#include "intake/intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/alert_store.h"
#include "store/incident_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static int store_firing(struct db *db, struct intake_job *j, struct intake_item *it);
static int store_resolved(struct db *db, struct intake_job *j, struct intake_item *it);
static int route(struct db *db, struct intake_job *j, struct intake_item *it);
static int open_incident(struct db *db, struct intake_job *j, struct intake_item *it,
			 int64_t *id, char *uid, size_t uidlen);
static int incident_state(struct db *db, int64_t id, char *uid, size_t uidlen, char *key,
			  size_t keylen, bool *open);
static char *entities_json(const struct alert *a);
static void find_duplicates(struct intake_job *j);
static void build_bulk(struct intake_job *j);
static int store_bulk(struct db *db, struct intake_job *j);
static bool status_open(const char *s);

static const char *const outcome_names[] = {"created",   "updated",
					     "resolved",  "duplicate",
					     "recorded_resolved"};
#define N_OUTCOMES (sizeof(outcome_names) / sizeof(outcome_names[0]))

const char *intake_outcome_name(enum intake_outcome o)
{
	return (size_t)o < N_OUTCOMES ? outcome_names[o] : "?";
}

static bool status_open(const char *s)
{
	return s && strcmp(s, "resolved") != 0 && strcmp(s, "closed") != 0 &&
	       strcmp(s, "rejected") != 0;
}

static char *entities_json(const struct alert *a)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < a->n_entities; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "kind",
						     alert_entity_kind_name(a->entities[i].kind),
						     "value", a->entities[i].value));
	char *s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

static char *dump_or(const json_t *j, const char *fallback, size_t flags)
{
	char *s = j ? json_dumps(j, flags | JSON_ENCODE_ANY) : NULL;
	return s ? s : xstrdup(fallback);
}

struct fp_ref {
	const char *fp;
	size_t idx;
};

static int fp_cmp(const void *x, const void *y)
{
	const struct fp_ref *a = x, *b = y;
	int c = strcmp(a->fp, b->fp);
	return c ? c : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

/* dup_of[i] = the previous alert of the batch with the same fingerprint. */
static void find_duplicates(struct intake_job *j)
{
	struct fp_ref *v = xmalloc((j->n ? j->n : 1) * sizeof(*v));
	for (size_t i = 0; i < j->n; i++) {
		v[i].fp = j->items[i].a->fingerprint;
		v[i].idx = i;
		j->items[i].dup_of = -1;
	}
	qsort(v, j->n, sizeof(*v), fp_cmp);
	for (size_t i = 1; i < j->n; i++)
		if (strcmp(v[i].fp, v[i - 1].fp) == 0)
			j->items[v[i].idx].dup_of = (int)v[i - 1].idx;
	free(v);
}

/*
 * PostgreSQL pays a round trip and a parse per statement: the firing alerts
 * whose fingerprint is unique in the batch go in one INSERT ... SELECT FROM
 * json_to_recordset(...) ON CONFLICT. The rest (resolutions, fingerprints
 * repeated within the batch) go one by one, in order; they touch other rows.
 */
static void build_bulk(struct intake_job *j)
{
	bool *later = xcalloc(j->n ? j->n : 1, sizeof(bool));
	for (size_t i = 0; i < j->n; i++)
		if (j->items[i].dup_of >= 0)
			later[j->items[i].dup_of] = true;
	/* in fingerprint order: concurrent batches then lock rows in the same order */
	struct fp_ref *order = xmalloc((j->n ? j->n : 1) * sizeof(*order));
	for (size_t i = 0; i < j->n; i++) {
		order[i].fp = j->items[i].a->fingerprint;
		order[i].idx = i;
	}
	qsort(order, j->n, sizeof(*order), fp_cmp);
	json_t *arr = json_array();
	for (size_t k = 0; k < j->n; k++) {
		size_t i = order[k].idx;
		struct intake_item *it = &j->items[i];
		const struct alert *a = it->a;
		if (a->status != ALERT_FIRING || it->dup_of >= 0 || later[i])
			continue;
		it->in_bulk = true;
		json_t *o = json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s,"
				      " s:s, s:s?, s:s?}",
				      "i", (json_int_t)i, "source", a->source, "source_ref",
				      a->source_id, "fingerprint", a->fingerprint, "title", a->title,
				      "description", a->description, "severity",
				      alert_severity_name(a->severity), "starts_at",
				      (json_int_t)it->starts_at, "first_seen", (json_int_t)it->first_seen,
				      "last_seen", (json_int_t)it->last_seen, "entities", it->entities,
				      "labels", it->labels, "annotations", it->annotations, "link",
				      a->link, "group_key", it->rule ? it->group_key : NULL);
		if (it->rule)
			json_object_set_new(o, "rule_id", json_integer(it->rule->id));
		json_array_append_new(arr, o);
	}
	j->bulk_json = json_array_size(arr) ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	free(order);
	free(later);
}

static int store_bulk(struct db *db, struct intake_job *j)
{
	struct db_res *r;
	int rc = db_query(
		db, &r,
		"INSERT INTO alerts(org_id, source, intake_source_id, source_ref, fingerprint, title,"
		" description, severity, status, starts_at, first_seen, last_seen, received_at,"
		" updated_at, count, entities, labels, annotations, link, payload_index,"
		" first_payload_id, payload_id, group_key, rule_id)"
		" SELECT CAST($1 AS BIGINT), x.source, CAST($2 AS BIGINT), x.source_ref, x.fingerprint,"
		" x.title, x.description, x.severity, 'firing', x.starts_at, x.first_seen,"
		" x.last_seen, CAST($3 AS BIGINT), CAST($3 AS BIGINT), 1, x.entities, x.labels,"
		" x.annotations, x.link, x.i, CAST($4 AS BIGINT), CAST($4 AS BIGINT), x.group_key,"
		" x.rule_id"
		" FROM json_to_recordset(CAST($5 AS json)) AS x(i bigint, source text,"
		" source_ref text, fingerprint text, title text, description text, severity text,"
		" starts_at bigint, first_seen bigint, last_seen bigint, entities text, labels text,"
		" annotations text, link text, group_key text, rule_id bigint)"
		" ON CONFLICT (org_id, source, fingerprint) WHERE status = 'firing' DO UPDATE SET"
		" count = alerts.count + CASE WHEN excluded.starts_at = alerts.starts_at THEN 0 ELSE 1 END,"
		" first_seen = CASE WHEN excluded.first_seen < alerts.first_seen"
		"   THEN excluded.first_seen ELSE alerts.first_seen END,"
		" last_seen = CASE WHEN excluded.last_seen > alerts.last_seen"
		"   THEN excluded.last_seen ELSE alerts.last_seen END,"
		" starts_at = excluded.starts_at, title = excluded.title,"
		" description = excluded.description, severity = excluded.severity,"
		" source_ref = excluded.source_ref, intake_source_id = excluded.intake_source_id,"
		" entities = excluded.entities, labels = excluded.labels,"
		" annotations = excluded.annotations, link = excluded.link,"
		" payload_index = excluded.payload_index,"
		" payload_id = excluded.payload_id, updated_at = excluded.updated_at"
		" RETURNING id, first_payload_id, incident_id, payload_index",
		5,
		DBV(DB_INT(j->org_id), DB_INT(j->source_id), DB_INT(j->now), DB_INT(j->payload_id),
		    DB_TEXT(j->bulk_json)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		int64_t idx = db_int(r, 3);
		if (idx < 0 || (size_t)idx >= j->n)
			continue;
		struct intake_item *it = &j->items[idx];
		it->id = db_int(r, 0);
		it->incident_id = db_isnull(r, 2) ? 0 : db_int(r, 2);
		it->created_firing = db_int(r, 1) == j->payload_id;
		it->outcome = it->created_firing ? INTAKE_CREATED : INTAKE_UPDATED;
	}
	db_res_free(r);
	for (size_t i = 0; i < j->n; i++) {
		struct intake_item *it = &j->items[i];
		if (!it->in_bulk)
			continue;
		if (!it->id)
			return SIRT_EDB;
		if (it->created_firing && it->rule && it->rule->action != RULE_RECORD &&
		    (rc = route(db, j, it)) < 0)
			return rc;
	}
	return 0;
}

void intake_prepare(struct intake_job *j)
{
	const struct alert_batch *b = j->batch;
	j->n = b->n;
	j->items = xcalloc(b->n ? b->n : 1, sizeof(*j->items));
	for (size_t i = 0; i < b->n; i++) {
		const struct alert *a = &b->items[i];
		struct intake_item *it = &j->items[i];
		it->a = a;
		it->entities = entities_json(a);
		it->labels = dump_or(a->labels, "{}", JSON_COMPACT | JSON_SORT_KEYS);
		it->annotations = dump_or(a->annotations, "{}", JSON_COMPACT | JSON_SORT_KEYS);
		/* Unknown times: the arrival time stands in. */
		it->starts_at = a->starts_at ? a->starts_at : j->now;
		it->first_seen = a->first_seen ? a->first_seen : it->starts_at;
		it->ends_at = a->status == ALERT_RESOLVED ? (a->ends_at ? a->ends_at : j->now) : 0;
		it->last_seen = a->last_seen ? a->last_seen
					     : (a->status == ALERT_RESOLVED ? it->ends_at : j->now);
		if (it->last_seen < it->first_seen)
			it->last_seen = it->first_seen;
		if (a->status == ALERT_FIRING) {
			it->rule = rule_first_match(j->rules, j->nrules, a);
			if (it->rule) {
				json_t *label;
				rule_group_key(it->rule, a, it->group_key, &label);
				it->group_label = dump_or(label, "{}", JSON_COMPACT | JSON_SORT_KEYS);
				json_decref(label);
			}
		}
	}
	find_duplicates(j);
	if (j->bulk)
		build_bulk(j);
}

void intake_job_free(struct intake_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct intake_item *it = &j->items[i];
		free(it->entities);
		free(it->labels);
		free(it->annotations);
		free(it->group_label);
	}
	free(j->items);
	free(j->bulk_json);
	j->bulk_json = NULL;
	j->items = NULL;
	j->n = 0;
}

/* ---- the transaction ---- */

int intake_store_batch(struct db *db, void *arg)
{
	struct intake_job *j = arg;
	struct db_res *r;
	/* This function may run more than once: reset every result. */
	j->payload_id = 0;
	j->replay_of = 0;
	for (size_t i = 0; i < j->n; i++) {
		struct intake_item *it = &j->items[i];
		it->id = 0;
		it->created_firing = false;
		it->incident_id = 0;
		it->incident_key[0] = '\0';
		it->incident_opened = false;
	}
	/* The payload row, unless the same body came within the window (a replay). */
	int rc = db_query_int(
		db, &j->payload_id,
		"INSERT INTO alert_payloads(org_id, intake_source_id, kind, digest, received_at,"
		" request_id, client_addr, content_type, alert_count, group_key, body)"
		" SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT), CAST($3 AS TEXT), CAST($4 AS TEXT),"
		" CAST($5 AS BIGINT), CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS TEXT),"
		" CAST($9 AS BIGINT), CAST($10 AS TEXT), CAST($11 AS TEXT)"
		" WHERE NOT EXISTS (SELECT 1 FROM alert_payloads WHERE org_id = $1 AND digest = $4"
		" AND received_at >= $12) RETURNING id",
		12,
		DBV(DB_INT(j->org_id), DB_INT(j->source_id), DB_TEXT(j->kind), DB_TEXT(j->digest),
		    DB_INT(j->now), DB_TEXT(j->ac.request_id ? j->ac.request_id : ""),
		    DB_TEXT(j->ac.client_addr ? j->ac.client_addr : ""), DB_TEXT(j->content_type),
		    DB_INT((int64_t)j->n), DB_TEXT(j->batch->group_key), DB_TEXT(j->body),
		    DB_INT(j->now - INTAKE_REPLAY_WINDOW)));
	if (rc == SIRT_ENOTFOUND) {
		rc = db_query(db, &r,
			      "SELECT id, received_at FROM alert_payloads WHERE org_id = $1"
			      " AND digest = $2 AND received_at >= $3 ORDER BY id LIMIT 1",
			      3, DBV(DB_INT(j->org_id), DB_TEXT(j->digest),
				     DB_INT(j->now - INTAKE_REPLAY_WINDOW)));
		if (rc < 0)
			return rc;
		if (db_next(r)) {
			j->replay_of = db_int(r, 0);
			j->replay_at = db_int(r, 1);
		}
		db_res_free(r);
		return j->replay_of ? SIRT_ECONFLICT : SIRT_EDB;
	}
	if (rc < 0)
		return rc;
	if (j->touch_source) {
		rc = db_exec(db, "UPDATE intake_sources SET last_used_at = $2 WHERE id = $1", 2,
			     DBV(DB_INT(j->source_id), DB_INT(j->now)));
		if (rc < 0)
			return rc;
	}
	if (j->bulk_json && (rc = store_bulk(db, j)) < 0)
		return rc;
	for (size_t i = 0; i < j->n; i++) {
		struct intake_item *it = &j->items[i];
		if (it->in_bulk)
			continue;
		rc = it->a->status == ALERT_FIRING ? store_firing(db, j, it)
						   : store_resolved(db, j, it);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int store_firing(struct db *db, struct intake_job *j, struct intake_item *it)
{
	const struct alert *a = it->a;
	struct db_res *r;
	int rc = db_query(
		db, &r,
		"INSERT INTO alerts(org_id, source, intake_source_id, source_ref, fingerprint, title,"
		" description, severity, status, starts_at, first_seen, last_seen, received_at,"
		" updated_at, count, entities, labels, annotations, link, payload_index, first_payload_id,"
		" payload_id, group_key, rule_id)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'firing', $9, $10, $11, $12, $12, 1, $13,"
		" $14, $15, $16, $17, $18, $18, $19, $20)"
		" ON CONFLICT (org_id, source, fingerprint) WHERE status = 'firing' DO UPDATE SET"
		" count = alerts.count + CASE WHEN excluded.starts_at = alerts.starts_at THEN 0 ELSE 1 END,"
		" first_seen = CASE WHEN excluded.first_seen < alerts.first_seen"
		"   THEN excluded.first_seen ELSE alerts.first_seen END,"
		" last_seen = CASE WHEN excluded.last_seen > alerts.last_seen"
		"   THEN excluded.last_seen ELSE alerts.last_seen END,"
		" starts_at = excluded.starts_at, title = excluded.title,"
		" description = excluded.description, severity = excluded.severity,"
		" source_ref = excluded.source_ref, intake_source_id = excluded.intake_source_id,"
		" entities = excluded.entities, labels = excluded.labels,"
		" annotations = excluded.annotations, link = excluded.link, payload_index = excluded.payload_index,"
		" payload_id = excluded.payload_id, updated_at = excluded.updated_at"
		" RETURNING id, first_payload_id, count, incident_id, starts_at",
		20,
		DBV(DB_INT(j->org_id), DB_TEXT(a->source), DB_INT(j->source_id),
		    DB_TEXT(a->source_id), DB_TEXT(a->fingerprint), DB_TEXT(a->title),
		    DB_TEXT(a->description), DB_TEXT(alert_severity_name(a->severity)),
		    DB_INT(it->starts_at), DB_INT(it->first_seen), DB_INT(it->last_seen),
		    DB_INT(j->now), DB_TEXT(it->entities), DB_TEXT(it->labels),
		    DB_TEXT(it->annotations), DB_TEXT(a->link), DB_INT(it - j->items),
		    DB_INT(j->payload_id), DB_TEXT(it->rule ? it->group_key : NULL),
		    it->rule ? DB_INT(it->rule->id) : DB_NULL()));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_EDB;
	}
	it->id = db_int(r, 0);
	bool inserted = db_int(r, 1) == j->payload_id && db_int(r, 2) == 1;
	it->incident_id = db_isnull(r, 3) ? 0 : db_int(r, 3);
	db_res_free(r);
	/* Inserted by an earlier alert of this same batch? Then it is a repeat. */
	for (int k = it->dup_of; inserted && k >= 0; k = j->items[k].dup_of)
		if (j->items[k].created_firing)
			inserted = false;
	if (inserted) {
		it->outcome = INTAKE_CREATED;
		it->created_firing = true;
		if (it->rule && it->rule->action != RULE_RECORD)
			return route(db, j, it);
		return 0;
	}
	it->outcome = INTAKE_UPDATED;
	return 0;
}

static int store_resolved(struct db *db, struct intake_job *j, struct intake_item *it)
{
	const struct alert *a = it->a;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "UPDATE alerts SET status = 'resolved', ends_at = $4, resolved_at = $5,"
			  " updated_at = $5, last_seen = CASE WHEN $6 > last_seen THEN $6 ELSE last_seen END,"
			  " title = $7, description = $8, severity = $9, entities = $10, labels = $11,"
			  " annotations = $12, link = $13, payload_index = $14, payload_id = $15,"
			  " intake_source_id = $16"
			  " WHERE org_id = $1 AND source = $2 AND fingerprint = $3 AND status = 'firing'"
			  " RETURNING id, incident_id, rule_id",
			  16,
			  DBV(DB_INT(j->org_id), DB_TEXT(a->source), DB_TEXT(a->fingerprint),
			      DB_INT(it->ends_at), DB_INT(j->now), DB_INT(it->last_seen),
			      DB_TEXT(a->title), DB_TEXT(a->description),
			      DB_TEXT(alert_severity_name(a->severity)), DB_TEXT(it->entities),
			      DB_TEXT(it->labels), DB_TEXT(it->annotations), DB_TEXT(a->link),
			      DB_INT(it - j->items), DB_INT(j->payload_id), DB_INT(j->source_id)));
	if (rc < 0)
		return rc;
	if (db_next(r)) {
		it->id = db_int(r, 0);
		it->incident_id = db_isnull(r, 1) ? 0 : db_int(r, 1);
		int64_t rule_id = db_isnull(r, 2) ? 0 : db_int(r, 2);
		db_res_free(r);
		it->outcome = INTAKE_RESOLVED;
		if (!it->incident_id)
			return 0;
		bool note = true;
		for (size_t k = 0; k < j->nrules; k++)
			if (j->rules[k].id == rule_id)
				note = j->rules[k].resolve_note;
		char uid[64], key[64];
		bool open;
		rc = incident_state(db, it->incident_id, uid, sizeof(uid), key, sizeof(key), &open);
		if (rc < 0)
			return rc;
		snprintf(it->incident_key, sizeof(it->incident_key), "%s", key);
		if (!note)
			return 0;
		char text[1400];
		snprintf(text, sizeof(text), "Alert %lld resolved (%s): %.1024s",
			 (long long)it->id, a->source, a->title);
		return intake_timeline_note(db, &j->ac, j->org_id, it->incident_id, uid, text);
	}
	db_res_free(r);
	int64_t id;
	rc = db_query_int(db, &id,
			  "SELECT id FROM alerts WHERE org_id = $1 AND source = $2 AND fingerprint = $3"
			  " AND status = 'resolved' AND starts_at = $4 LIMIT 1",
			  4, DBV(DB_INT(j->org_id), DB_TEXT(a->source), DB_TEXT(a->fingerprint),
				 DB_INT(it->starts_at)));
	if (rc == 0) {
		it->id = id;
		it->outcome = INTAKE_DUPLICATE;
		return 0;
	}
	if (rc != SIRT_ENOTFOUND)
		return rc;
	rc = db_query_int(
		db, &it->id,
		"INSERT INTO alerts(org_id, source, intake_source_id, source_ref, fingerprint, title,"
		" description, severity, status, starts_at, ends_at, first_seen, last_seen,"
		" received_at, updated_at, resolved_at, count, entities, labels, annotations, link,"
		" payload_index, first_payload_id, payload_id)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'resolved', $9, $10, $11, $12, $13, $13,"
		" $13, 1, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
		19,
		DBV(DB_INT(j->org_id), DB_TEXT(a->source), DB_INT(j->source_id),
		    DB_TEXT(a->source_id), DB_TEXT(a->fingerprint), DB_TEXT(a->title),
		    DB_TEXT(a->description), DB_TEXT(alert_severity_name(a->severity)),
		    DB_INT(it->starts_at), DB_INT(it->ends_at), DB_INT(it->first_seen),
		    DB_INT(it->last_seen), DB_INT(j->now), DB_TEXT(it->entities),
		    DB_TEXT(it->labels), DB_TEXT(it->annotations), DB_TEXT(a->link),
		    DB_INT(it - j->items), DB_INT(j->payload_id)));
	if (rc < 0)
		return rc;
	it->outcome = INTAKE_RECORDED_RESOLVED;
	return 0;
}

static int incident_state(struct db *db, int64_t id, char *uid, size_t uidlen, char *key,
			  size_t keylen, bool *open)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT uid, key, status FROM incidents WHERE id = $1", 1,
			  DBV(DB_INT(id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	*open = false;
	if (db_next(r)) {
		snprintf(uid, uidlen, "%s", db_text(r, 0));
		snprintf(key, keylen, "%s", db_text(r, 1));
		*open = status_open(db_text(r, 2));
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

/* Copies s into out (size n) on one line, cut at a UTF-8 boundary. */
static void one_line(char *out, size_t n, const char *s)
{
	size_t o = 0;
	for (; *s && o + 1 < n; s++)
		out[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
	while (o > 0 && ((unsigned char)out[o] & 0xC0) == 0x80 && *s)
		o--; /* do not end inside a multi-byte character */
	if (*s)
		while (o > 0 && ((unsigned char)out[o] & 0xC0) == 0x80)
			o--;
	out[o] = '\0';
}

static int open_incident(struct db *db, struct intake_job *j, struct intake_item *it,
			 int64_t *id, char *uid, size_t uidlen)
{
	const struct alert *a = it->a;
	const struct intake_rule *rule = it->rule;
	char title[201];
	one_line(title, sizeof(title), a->title);
	if (strspn(title, " ") == strlen(title))
		snprintf(title, sizeof(title), "Alert from %s", a->source);
	struct strbuf desc;
	sb_init(&desc, 1 << 20);
	if (a->description[0])
		sb_printf(&desc, "%s\n\n", a->description);
	sb_printf(&desc, "Opened from %s alert %lld by intake rule '%s'.", a->source,
		  (long long)it->id, rule->name);
	if (a->link)
		sb_printf(&desc, "\n\nSource: %s", a->link);
	struct incident_new in = {
		.org_id = j->org_id,
		.title = title,
		.description = sb_status(&desc) == 0 ? sb_str(&desc) : "",
		.severity = rule_incident_severity(rule, a),
		.detected_at = it->first_seen,
		.created_by = j->ac.actor,
		.category = rule->category, /* may be NULL; a category brings its playbook */
		.source = "alert",
	};
	json_t *rec = NULL;
	int rc = incident_create(db, &j->ac, &in, &rec);
	sb_free(&desc);
	if (rc < 0) {
		json_decref(rec);
		return rc == SIRT_EINVAL ? SIRT_EDB : rc;
	}
	snprintf(uid, uidlen, "%s", json_string_value(json_object_get(rec, "id")));
	snprintf(it->incident_key, sizeof(it->incident_key), "%s",
		 json_string_value(json_object_get(rec, "key")));
	json_decref(rec);
	struct incident_ref ref;
	rc = incident_lookup(db, j->org_id, uid, &ref);
	if (rc < 0)
		return rc == SIRT_ENOTFOUND ? SIRT_EDB : rc;
	*id = ref.id;
	it->incident_opened = true;
	return 0;
}

/* Joins a new alert to its group's incident, or opens one (see rules.h). */
static int route(struct db *db, struct intake_job *j, struct intake_item *it)
{
	const struct intake_rule *rule = it->rule;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "INSERT INTO alert_groups(org_id, group_key, rule_id, label, first_seen,"
			  " last_seen, alert_count) VALUES ($1, $2, $3, $4, $5, $5, 1)"
			  " ON CONFLICT (org_id, group_key) DO UPDATE SET"
			  " alert_count = alert_groups.alert_count + 1,"
			  " first_seen = CASE WHEN alert_groups.last_seen < $6"
			  "   THEN excluded.first_seen ELSE alert_groups.first_seen END,"
			  " incident_id = CASE WHEN alert_groups.last_seen < $6"
			  "   THEN NULL ELSE alert_groups.incident_id END,"
			  " last_seen = excluded.last_seen"
			  " RETURNING id, incident_id",
			  6,
			  DBV(DB_INT(j->org_id), DB_TEXT(it->group_key), DB_INT(rule->id),
			      DB_TEXT(it->group_label), DB_INT(j->now),
			      DB_INT(j->now - rule->group_window)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_EDB;
	}
	int64_t group_id = db_int(r, 0);
	int64_t inc = db_isnull(r, 1) ? 0 : db_int(r, 1);
	db_res_free(r);
	char uid[64] = "", key[64] = "";
	bool open = false;
	if (inc) {
		rc = incident_state(db, inc, uid, sizeof(uid), key, sizeof(key), &open);
		if (rc < 0 && rc != SIRT_ENOTFOUND)
			return rc;
	}
	char text[1400];
	if (open) {
		snprintf(it->incident_key, sizeof(it->incident_key), "%s", key);
		snprintf(text, sizeof(text), "Alert %lld (%s) joined by intake rule '%.100s': %.1024s",
			 (long long)it->id, it->a->source, rule->name, it->a->title);
	} else if (rule->action == RULE_OPEN) {
		rc = open_incident(db, j, it, &inc, uid, sizeof(uid));
		if (rc < 0)
			return rc;
		rc = db_exec(db, "UPDATE alert_groups SET incident_id = $2 WHERE id = $1", 2,
			     DBV(DB_INT(group_id), DB_INT(inc)));
		if (rc < 0)
			return rc;
		snprintf(text, sizeof(text),
			 "Opened from alert %lld (%s) by intake rule '%.100s': %.1024s",
			 (long long)it->id, it->a->source, rule->name, it->a->title);
	} else {
		return 0; /* attach, but the group has no open incident: record only */
	}
	it->incident_id = inc;
	rc = db_exec(db, "UPDATE alerts SET incident_id = $2 WHERE id = $1", 2,
		     DBV(DB_INT(it->id), DB_INT(inc)));
	if (rc == 0)
		rc = intake_timeline_note(db, &j->ac, j->org_id, inc, uid, text);
	if (rc == 0)
		rc = intake_indicators_add(db, &j->ac, j->org_id, inc, uid, it->id, it->entities);
	return rc;
}

json_t *intake_result_json(const struct intake_job *j)
{
	size_t counts[N_OUTCOMES] = {0};
	json_t *alerts = json_array();
	json_t *opened = json_array();
	for (size_t i = 0; i < j->n; i++) {
		const struct intake_item *it = &j->items[i];
		counts[it->outcome]++;
		json_t *o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)it->id, "fingerprint",
				      it->a->fingerprint, "outcome",
				      intake_outcome_name(it->outcome));
		json_object_set_new(o, "incident",
				    it->incident_key[0] ? json_string(it->incident_key) : json_null());
		json_array_append_new(alerts, o);
		if (it->incident_opened)
			json_array_append_new(opened, json_string(it->incident_key));
	}
	json_t *res = json_object();
	json_object_set_new(res, "payload_id", json_integer(j->payload_id));
	json_object_set_new(res, "received", json_integer((json_int_t)j->n));
	for (size_t k = 0; k < N_OUTCOMES; k++)
		json_object_set_new(res, outcome_names[k], json_integer((json_int_t)counts[k]));
	json_object_set_new(res, "truncated", json_integer(j->batch->truncated));
	json_object_set_new(res, "incidents_opened", opened);
	json_object_set_new(res, "alerts", alerts);
	return res;
}

/* ---- dry run ---- */

int intake_dry_run(struct db *db, struct intake_job *j, json_t **out)
{
	json_t *results = json_array();
	json_t *res = json_object();
	int rc = 0;
	int64_t replay = 0;
	/* group keys opened earlier in this payload */
	char **opened = xcalloc(j->n ? j->n : 1, sizeof(char *));
	size_t nopened = 0;
	rc = db_query_int(db, &replay,
			  "SELECT id FROM alert_payloads WHERE org_id = $1 AND digest = $2"
			  " AND received_at >= $3 ORDER BY id LIMIT 1",
			  3, DBV(DB_INT(j->org_id), DB_TEXT(j->digest),
				 DB_INT(j->now - INTAKE_REPLAY_WINDOW)));
	if (rc == SIRT_ENOTFOUND)
		rc = 0;
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < j->n && rc == 0; i++) {
		struct intake_item *it = &j->items[i];
		const struct alert *a = it->a;
		json_t *o = json_object();
		json_array_append_new(results, o);
		json_object_set_new(o, "index", json_integer((json_int_t)i));
		json_object_set_new(o, "fingerprint", json_string(a->fingerprint));
		json_object_set_new(o, "title", json_string(a->title));
		json_object_set_new(o, "severity", json_string(alert_severity_name(a->severity)));
		json_object_set_new(o, "status", json_string(alert_status_name(a->status)));
		json_object_set_new(o, "entities", json_loads(it->entities, 0, NULL));
		struct db_res *r;
		rc = db_query(db, &r,
			      "SELECT a.id, a.starts_at, a.status, i.key FROM alerts a"
			      " LEFT JOIN incidents i ON i.id = a.incident_id"
			      " WHERE a.org_id = $1 AND a.source = $2 AND a.fingerprint = $3"
			      " AND (a.status = 'firing' OR a.starts_at = $4)"
			      " ORDER BY CASE WHEN a.status = 'firing' THEN 0 ELSE 1 END, a.id DESC"
			      " LIMIT 1",
			      4, DBV(DB_INT(j->org_id), DB_TEXT(a->source), DB_TEXT(a->fingerprint),
				     DB_INT(it->starts_at)));
		if (rc < 0)
			break;
		int64_t existing = 0;
		bool firing = false;
		const char *outcome;
		json_t *inc = json_null();
		if (db_next(r)) {
			existing = db_int(r, 0);
			firing = strcmp(db_text(r, 2), "firing") == 0;
			if (db_text(r, 3))
				inc = json_string(db_text(r, 3));
		}
		bool earlier = it->dup_of >= 0;
		db_res_free(r);
		if (a->status == ALERT_FIRING)
			outcome = firing || earlier ? "update" : "create";
		else
			outcome = firing ? "resolve" : existing ? "duplicate" : "record_resolved";
		json_object_set_new(o, "outcome", json_string(outcome));
		json_object_set_new(o, "alert", existing ? json_integer(existing) : json_null());
		json_object_set_new(o, "rule", it->rule ? json_string(it->rule->name) : json_null());
		const char *action = "record";
		if (strcmp(outcome, "create") == 0 && it->rule) {
			json_object_set_new(o, "group_key", json_string(it->group_key));
			json_object_set_new(o, "group", json_loads(it->group_label, 0, NULL));
			json_decref(inc);
			inc = json_null();
			action = "record";
			if (it->rule->action != RULE_RECORD) {
				bool in_batch = false;
				for (size_t k = 0; k < nopened; k++)
					if (strcmp(opened[k], it->group_key) == 0)
						in_batch = true;
				int64_t gi = 0;
				char key[64] = "", uid[64];
				bool open = false;
				if (!in_batch) {
					rc = db_query_int(db, &gi,
							  "SELECT incident_id FROM alert_groups WHERE org_id = $1"
							  " AND group_key = $2 AND incident_id IS NOT NULL"
							  " AND last_seen >= $3",
							  3, DBV(DB_INT(j->org_id), DB_TEXT(it->group_key),
								 DB_INT(j->now - it->rule->group_window)));
					if (rc == SIRT_ENOTFOUND)
						rc = 0;
					if (rc < 0)
						break;
					if (gi)
						rc = incident_state(db, gi, uid, sizeof(uid), key,
								    sizeof(key), &open);
					if (rc < 0)
						break;
				}
				if (in_batch) {
					action = "attach";
					inc = json_string("(opened by an earlier alert of this payload)");
				} else if (open) {
					action = "attach";
					inc = json_string(key);
				} else if (it->rule->action == RULE_OPEN) {
					action = "open";
					opened[nopened++] = it->group_key;
					json_object_set_new(
						o, "new_incident",
						json_pack("{s:s, s:s?}", "severity",
							  rule_incident_severity(it->rule, a),
							  "category", it->rule->category));
				}
			}
		}
		json_object_set_new(o, "action", json_string(action));
		json_object_set_new(o, "incident", inc);
	}
out:
	free(opened);
	if (rc < 0) {
		json_decref(res);
		json_decref(results);
		return rc;
	}
	json_object_set_new(res, "source", json_string(j->kind));
	json_object_set_new(res, "received", json_integer((json_int_t)j->n));
	json_object_set_new(res, "replay_of", replay ? json_integer(replay) : json_null());
	json_object_set_new(res, "alerts", results);
	*out = res;
	return 0;
}

/* ---- by hand ---- */

int intake_attach(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t alert_id,
		  const char *incident_ref, const char *who)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT incident_id, title, source, entities FROM alerts"
			  " WHERE org_id = $1 AND id = $2",
			  2, DBV(DB_INT(org_id), DB_INT(alert_id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	int64_t cur = db_isnull(r, 0) ? 0 : db_int(r, 0);
	char *title = xstrdup(db_text(r, 1));
	char *source = xstrdup(db_text(r, 2));
	char *entities = xstrdup(db_text(r, 3));
	db_res_free(r);
	int64_t inc = 0;
	char *uid = NULL, *key = NULL;
	rc = alert_store_find_incident(db, org_id, incident_ref, &inc, &uid, &key);
	if (rc == SIRT_ENOTFOUND)
		rc = SIRT_EINVAL; /* the alert exists; the named incident does not */
	if (rc < 0)
		goto out;
	if (cur == inc)
		goto out; /* already there */
	if (cur) {
		rc = SIRT_ECONFLICT;
		goto out;
	}
	rc = db_exec(db, "UPDATE alerts SET incident_id = $3 WHERE org_id = $1 AND id = $2", 3,
		     DBV(DB_INT(org_id), DB_INT(alert_id), DB_INT(inc)));
	if (rc < 0)
		goto out;
	char text[1400];
	snprintf(text, sizeof(text), "Alert %lld (%s) attached by %.100s: %.1024s",
		 (long long)alert_id, source, who, title);
	rc = intake_timeline_note(db, ac, org_id, inc, uid, text);
	if (rc == 0)
		rc = intake_indicators_add(db, ac, org_id, inc, uid, alert_id, entities);
	if (rc == 0) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)alert_id);
		json_t *d = json_pack("{s:s, s:s}", "incident", key, "incident_id", uid);
		rc = audit_append(db, ac, org_id, "alert.attach", "alert", id, d);
		json_decref(d);
	}
out:
	free(title);
	free(source);
	free(entities);
	free(uid);
	free(key);
	return rc;
}

int intake_detach(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t alert_id,
		  const char *who)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT a.incident_id, a.title, a.source, i.uid, i.key FROM alerts a"
			  " LEFT JOIN incidents i ON i.id = a.incident_id"
			  " WHERE a.org_id = $1 AND a.id = $2",
			  2, DBV(DB_INT(org_id), DB_INT(alert_id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	if (db_isnull(r, 0)) {
		db_res_free(r);
		return SIRT_ECONFLICT;
	}
	int64_t inc = db_int(r, 0);
	char *title = xstrdup(db_text(r, 1));
	char *source = xstrdup(db_text(r, 2));
	char *uid = xstrdup(db_text(r, 3));
	char *key = xstrdup(db_text(r, 4));
	db_res_free(r);
	rc = db_exec(db, "UPDATE alerts SET incident_id = NULL WHERE org_id = $1 AND id = $2", 2,
		     DBV(DB_INT(org_id), DB_INT(alert_id)));
	if (rc == 0) {
		char text[1400];
		snprintf(text, sizeof(text), "Alert %lld (%s) detached by %.100s: %.1024s",
			 (long long)alert_id, source, who, title);
		rc = intake_timeline_note(db, ac, org_id, inc, uid, text);
	}
	if (rc == 0) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)alert_id);
		json_t *d = json_pack("{s:s, s:s}", "incident", key, "incident_id", uid);
		rc = audit_append(db, ac, org_id, "alert.detach", "alert", id, d);
		json_decref(d);
	}
	free(title);
	free(source);
	free(uid);
	free(key);
	return rc;
}

/* ---- seams to other modules ---- */

/* The note lands on the incident's timeline as a system entry. */
int intake_timeline_note(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 int64_t incident_id, const char *incident_uid, const char *text)
{
	json_t *d = json_pack("{s:s}", "origin", "alert intake");
	int rc = incident_timeline_system(db, ac, org_id, incident_id, text, d);
	json_decref(d);
	return rc;
}

/* An alert entity kind as an indicator type, or NULL when it has none. */
static const char *indicator_type_of(const char *kind)
{
	static const struct {
		const char *kind, *type;
	} map[] = {
		{"ip", "ip"},		    {"domain", "domain"},
		{"host", "domain"},	    {"url", "url"},
		{"email", "email"},	    {"mailbox", "email"},
		{"account", "account"},	    {"file_hash_md5", "md5"},
		{"file_hash_sha1", "sha1"}, {"file_hash_sha256", "sha256"},
		{"file_name", "file_name"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (kind && strcmp(map[i].kind, kind) == 0)
			return map[i].type;
	return NULL;
}

/*
 * An alert's entities become the incident's indicators (de-duplicated by
 * the indicator store). An entity that is not a valid indicator of its type
 * (a bare host name is not a domain) stays on the alert only.
 */
int intake_indicators_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			  int64_t incident_id, const char *incident_uid, int64_t alert_id,
			  const char *entities)
{
	(void)incident_id;
	json_t *ents = entities ? json_loads(entities, 0, NULL) : NULL;
	size_t i;
	json_t *e;
	int rc = 0;
	char desc[64];
	snprintf(desc, sizeof(desc), "from alert %lld", (long long)alert_id);
	json_array_foreach(ents, i, e) {
		const char *type = indicator_type_of(json_string_value(json_object_get(e, "kind")));
		const char *value = json_string_value(json_object_get(e, "value"));
		if (!type || !value)
			continue;
		struct indicator_new in = {.type = type, .value = value, .description = desc};
		json_t *out = NULL;
		bool created;
		rc = incident_indicator_add(db, ac, org_id, incident_uid, &in, &out, &created);
		json_decref(out);
		if (rc == SIRT_EINVAL)
			rc = 0;
		if (rc < 0)
			break;
	}
	json_decref(ents);
	return rc;
}
