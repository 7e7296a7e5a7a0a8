/*
 * The evidence pack's data sources (see pack_sources.h). Big sources are
 * read by keyset pages of PAGE rows: PostgreSQL results are held whole in
 * memory by libpq, so one query over 100,000 incidents would not be
 * bounded; pages are.
 */
#include "store/compliance_store.h"
#include "export/pack_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/incident_store.h"
#include "store/plan_store.h"
#include "store/team_store.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define PAGE 500

static json_t *tjson(int64_t t);
static int64_t parse_time(json_t *v);
static json_t *text_or_null(struct db_res *r, int col);
static json_t *parsed(const char *s);
static int nullable_max(struct db *db, int64_t *out, const char *sql, int64_t org, int64_t at);

bool pack_table_exists(struct db *db, const char *table)
{
	int64_t n = 0;
	int rc;
	if (db_is_postgres(db))
		rc = db_query_int(db, &n,
				  "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = $1"
				  " AND table_schema = current_schema()",
				  1, DBV(DB_TEXT(table)));
	else
		rc = db_query_int(db, &n,
				  "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
				  1, DBV(DB_TEXT(table)));
	return rc == 0 && n > 0;
}

static json_t *tjson(int64_t t)
{
	if (!t)
		return json_null();
	char b[ISO8601_LEN];
	time_format_iso8601(t, b);
	return json_string(b);
}

static int64_t parse_time(json_t *v)
{
	int64_t t = 0;
	if (json_is_string(v) && time_parse_iso8601(json_string_value(v), &t) < 0)
		t = 0;
	return t;
}

static json_t *text_or_null(struct db_res *r, int col)
{
	return db_isnull(r, col) ? json_null() : json_string(db_text(r, col));
}

static json_t *parsed(const char *s)
{
	json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
	return j ? j : json_null();
}

static int nullable_max(struct db *db, int64_t *out, const char *sql, int64_t org, int64_t at)
{
	struct db_res *r;
	*out = 0;
	int rc = db_query(db, &r, sql, 2, DBV(DB_INT(org), DB_INT(at)));
	if (rc < 0)
		return rc;
	if (db_next(r) && !db_isnull(r, 0))
		*out = db_int(r, 0);
	db_res_free(r);
	return 0;
}

/* ---------------- plan ---------------- */

int pack_src_plan(struct db *db, int64_t org_id, int64_t at, json_t **in_force, json_t **versions,
		  json_t **attestations)
{
	*in_force = *versions = *attestations = NULL;
	char uid[37];
	int rc = plan_find(db, org_id, uid);
	if (rc < 0)
		return rc;
	rc = plan_version_list(db, org_id, uid, versions);
	if (rc < 0)
		return rc;
	size_t i;
	json_t *v;
	const char *label = NULL;
	json_array_foreach(*versions, i, v) {
		int64_t approved = parse_time(json_object_get(v, "approved_at"));
		int64_t superseded = parse_time(json_object_get(v, "superseded_at"));
		if (approved && approved <= at && (!superseded || superseded > at)) {
			label = json_string_value(json_object_get(v, "label"));
			break;
		}
	}
	if (!label)
		return 0;
	rc = plan_version_get(db, org_id, uid, label, in_force);
	if (rc < 0)
		return rc;
	struct plan_err err = {0};
	if (plan_attestations(db, org_id, uid, label, attestations, &err) < 0)
		*attestations = NULL; /* shown as "not available"; not fatal */
	plan_err_reset(&err);
	return 0;
}

/* ---------------- team ---------------- */

int pack_src_team(struct db *db, int64_t org_id, json_t **members)
{
	int rc = team_member_list(db, org_id, true, members);
	if (rc < 0)
		return rc;
	size_t i;
	json_t *m;
	json_array_foreach(*members, i, m) {
		const char *uid = json_string_value(json_object_get(m, "id"));
		if (!uid)
			continue;
		json_t *tr = NULL;
		rc = team_training_list(db, org_id, uid, &tr);
		if (rc < 0)
			return rc;
		json_object_set_new(m, "trainings", tr);
		struct db_res *r;
		rc = db_query(db, &r,
			      "SELECT v.created_at, v.created_by, v.expires_at, v.answered_at, v.answer,"
			      " v.correction FROM contact_verifications v JOIN team_members t ON"
			      " t.id = v.member_id WHERE v.org_id = $1 AND t.uid = $2"
			      " ORDER BY v.created_at, v.id",
			      2, DBV(DB_INT(org_id), DB_TEXT(uid)));
		if (rc < 0)
			return rc;
		json_t *vs = json_array();
		while (db_next(r))
			json_array_append_new(
				vs, json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "sent_at",
					      tjson(db_int(r, 0)), "sent_by", db_text(r, 1),
					      "expires_at", tjson(db_int(r, 2)), "answered_at",
					      db_isnull(r, 3) ? json_null() : tjson(db_int(r, 3)),
					      "answer", text_or_null(r, 4), "correction",
					      text_or_null(r, 5)));
		db_res_free(r);
		json_object_set_new(m, "verifications", vs);
	}
	return 0;
}

/* ---------------- incidents ---------------- */

int pack_src_incidents(struct db *db, int64_t org_id, int64_t from, int64_t to,
		       pack_incident_fn fn, void *arg)
{
	bool reviews = pack_table_exists(db, "pir_reviews");
	const char *sql =
		reviews ? "SELECT i.id, i.uid, i.key, i.title, i.description, i.severity, i.status,"
			  " i.category, i.resolution, i.resolution_summary,"
			  " COALESCE(i.detected_at, i.created_at) AS t, i.created_at, i.resolved_at,"
			  " i.closed_at, CASE WHEN EXISTS (SELECT 1 FROM pir_reviews r"
			  " WHERE r.incident_id = i.id AND r.status = 'published') THEN 1 ELSE 0 END"
			  " FROM incidents i WHERE i.org_id = $1"
			  " AND COALESCE(i.detected_at, i.created_at) BETWEEN $2 AND $3"
			  " AND (COALESCE(i.detected_at, i.created_at) > $4"
			  "      OR (COALESCE(i.detected_at, i.created_at) = $4 AND i.id > $5))"
			  " ORDER BY t, i.id LIMIT 500"
			: "SELECT i.id, i.uid, i.key, i.title, i.description, i.severity, i.status,"
			  " i.category, i.resolution, i.resolution_summary,"
			  " COALESCE(i.detected_at, i.created_at) AS t, i.created_at, i.resolved_at,"
			  " i.closed_at, 0"
			  " FROM incidents i WHERE i.org_id = $1"
			  " AND COALESCE(i.detected_at, i.created_at) BETWEEN $2 AND $3"
			  " AND (COALESCE(i.detected_at, i.created_at) > $4"
			  "      OR (COALESCE(i.detected_at, i.created_at) = $4 AND i.id > $5))"
			  " ORDER BY t, i.id LIMIT 500";
	int64_t last_t = from - 1, last_id = 0;
	for (;;) {
		struct db_res *r;
		int rc = db_query(db, &r, sql, 5,
				  DBV(DB_INT(org_id), DB_INT(from), DB_INT(to), DB_INT(last_t),
				      DB_INT(last_id)));
		if (rc < 0)
			return rc;
		int n = 0;
		while (db_next(r)) {
			struct pack_incident in = {
				.id = db_int(r, 0),
				.uid = db_text(r, 1),
				.key = db_text(r, 2),
				.title = db_text(r, 3),
				.description = db_text(r, 4),
				.severity = db_text(r, 5),
				.status = db_text(r, 6),
				.category = db_text(r, 7),
				.resolution = db_text(r, 8),
				.resolution_summary = db_text(r, 9),
				.detected_at = db_int(r, 10),
				.created_at = db_int(r, 11),
				.resolved_at = db_isnull(r, 12) ? 0 : db_int(r, 12),
				.closed_at = db_isnull(r, 13) ? 0 : db_int(r, 13),
				.has_review = db_int(r, 14) != 0,
			};
			last_t = in.detected_at;
			last_id = in.id;
			n++;
			rc = fn(&in, arg);
			if (rc < 0) {
				db_res_free(r);
				return rc;
			}
		}
		db_res_free(r);
		if (n < PAGE)
			return 0;
	}
}

int pack_src_incident_report(struct db *db, int64_t org_id, const char *key, json_t **record,
			     json_t **timeline, json_t **review)
{
	*record = *timeline = *review = NULL;
	int rc = incident_get(db, org_id, key, record);
	if (rc < 0)
		return rc;
	*timeline = json_array();
	int64_t after = 0;
	for (int guard = 0; guard < 200; guard++) {
		json_t *items = NULL;
		int64_t next = 0;
		rc = incident_timeline_list(db, org_id, key, after, 200, &items, &next);
		if (rc < 0)
			return rc;
		json_array_extend(*timeline, items);
		json_decref(items);
		if (!next)
			break;
		after = next;
	}
	if (!pack_table_exists(db, "pir_reviews"))
		return 0;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT rv.id, rv.content, rv.facts, rv.published_at, rv.revision, rv.author"
		      " FROM pir_reviews rv JOIN incidents i ON i.id = rv.incident_id"
		      " WHERE rv.org_id = $1 AND i.org_id = $1 AND i.key = $2 AND rv.status = 'published'"
		      " ORDER BY rv.revision DESC LIMIT 1",
		      2, DBV(DB_INT(org_id), DB_TEXT(key)));
	if (rc < 0)
		return rc;
	int64_t rid = 0;
	if (db_next(r)) {
		rid = db_int(r, 0);
		*review = json_pack("{s:o, s:o, s:o, s:I, s:s}", "content", parsed(db_text(r, 1)),
				    "facts", parsed(db_text(r, 2)), "published_at",
				    tjson(db_isnull(r, 3) ? 0 : db_int(r, 3)), "revision",
				    (json_int_t)db_int(r, 4), "author", db_text(r, 5));
	}
	db_res_free(r);
	if (!rid || !pack_table_exists(db, "pir_signoffs"))
		return 0;
	rc = db_query(db, &r,
		      "SELECT reviewer, name, comment, signed_at FROM pir_signoffs"
		      " WHERE review_id = $1 AND org_id = $2 ORDER BY signed_at",
		      2, DBV(DB_INT(rid), DB_INT(org_id)));
	if (rc < 0)
		return rc;
	json_t *so = json_array();
	while (db_next(r))
		json_array_append_new(so, json_pack("{s:s, s:s, s:s, s:o}", "reviewer", db_text(r, 0),
						    "name", db_text(r, 1), "comment", db_text(r, 2),
						    "signed_at", tjson(db_int(r, 3))));
	db_res_free(r);
	json_object_set_new(*review, "signoffs", so);
	return 0;
}

/* ---------------- exercises, quality reviews, action items ---------------- */

int pack_src_exercises(struct db *db, int64_t org_id, int64_t from, int64_t to, json_t **items)
{
	*items = NULL;
	if (!pack_table_exists(db, "exercises"))
		return SIRT_ENOTFOUND;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, uid, kind, title, scheduled_at, status, held_at, scenario,"
			  " objectives, findings, lessons_learned, facilitator, observations,"
			  " duration_minutes, plan_version_label FROM exercises WHERE org_id = $1"
			  " AND COALESCE(held_at, scheduled_at) BETWEEN $2 AND $3"
			  " ORDER BY COALESCE(held_at, scheduled_at), id LIMIT 1000",
			  3, DBV(DB_INT(org_id), DB_INT(from), DB_INT(to)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	while (db_next(r)) {
		json_t *o = json_pack(
			"{s:I, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:o}",
			"_id", (json_int_t)db_int(r, 0), "id", db_text(r, 1), "kind", db_text(r, 2),
			"title", db_text(r, 3), "scheduled_at", tjson(db_int(r, 4)), "status",
			db_text(r, 5), "held_at", tjson(db_isnull(r, 6) ? 0 : db_int(r, 6)), "scenario",
			db_text(r, 7), "objectives", parsed(db_text(r, 8)), "findings",
			parsed(db_text(r, 9)), "lessons_learned", db_text(r, 10), "facilitator",
			db_text(r, 11), "observations", db_text(r, 12), "duration_minutes",
			db_isnull(r, 13) ? json_null() : json_integer(db_int(r, 13)),
			"plan_version", text_or_null(r, 14));
		json_array_append_new(arr, o);
	}
	db_res_free(r);
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		json_t *ps = json_array();
		if (pack_table_exists(db, "exercise_participants")) {
			rc = db_query(db, &r,
				      "SELECT name, email, role, attended FROM exercise_participants"
				      " WHERE exercise_id = $1 AND org_id = $2 ORDER BY seq",
				      2,
				      DBV(DB_INT(json_integer_value(json_object_get(x, "_id"))),
					  DB_INT(org_id)));
			if (rc < 0) {
				json_decref(ps);
				json_decref(arr);
				return rc;
			}
			while (db_next(r))
				json_array_append_new(
					ps, json_pack("{s:s, s:s, s:s, s:b}", "name", db_text(r, 0),
						      "email", db_text(r, 1) ? db_text(r, 1) : "", "role",
						      db_text(r, 2), "attended", db_int(r, 3) != 0));
			db_res_free(r);
		}
		json_object_set_new(x, "participants", ps);
		json_object_del(x, "_id");
	}
	*items = arr;
	return 0;
}

int pack_src_quality_reviews(struct db *db, int64_t org_id, int64_t from, int64_t to,
			     json_t **items)
{
	*items = NULL;
	if (!pack_table_exists(db, "quality_reviews"))
		return SIRT_ENOTFOUND;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT uid, subject, reason, due_date, status, reviewer, reviewed_on,"
			  " outcome, notes, changes FROM quality_reviews WHERE org_id = $1"
			  " AND COALESCE(reviewed_on, due_date) BETWEEN $2 AND $3"
			  " ORDER BY COALESCE(reviewed_on, due_date), id LIMIT 1000",
			  3, DBV(DB_INT(org_id), DB_INT(from), DB_INT(to)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	while (db_next(r))
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:s, s:o}", "id",
				       db_text(r, 0), "subject", db_text(r, 1), "reason", db_text(r, 2),
				       "due_date", tjson(db_int(r, 3)), "status", db_text(r, 4),
				       "reviewer", db_text(r, 5), "reviewed_on",
				       tjson(db_isnull(r, 6) ? 0 : db_int(r, 6)), "outcome",
				       text_or_null(r, 7), "notes", db_text(r, 8), "changes",
				       parsed(db_text(r, 9))));
	db_res_free(r);
	*items = arr;
	return 0;
}

int pack_src_action_items(struct db *db, int64_t org_id, int64_t from, int64_t to,
			  json_t **items)
{
	*items = NULL;
	if (!pack_table_exists(db, "action_items"))
		return SIRT_ENOTFOUND;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT uid, source_type, source_id, title, owner, due_date, priority, status,"
			  " done_at, plan_version_label, created_at FROM action_items WHERE org_id = $1"
			  " AND ((created_at BETWEEN $2 AND $3) OR (created_at <= $3 AND status IN"
			  " ('open','in_progress'))) ORDER BY due_date, id LIMIT 5000",
			  3, DBV(DB_INT(org_id), DB_INT(from), DB_INT(to)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	while (db_next(r))
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o}", "id",
				       db_text(r, 0), "source_type", db_text(r, 1), "source_id",
				       db_text(r, 2), "title", db_text(r, 3), "owner", db_text(r, 4),
				       "due_date", tjson(db_int(r, 5)), "priority", db_text(r, 6),
				       "status", db_text(r, 7), "done_at",
				       tjson(db_isnull(r, 8) ? 0 : db_int(r, 8)), "plan_version",
				       text_or_null(r, 9), "created_at", tjson(db_int(r, 10))));
	db_res_free(r);
	*items = arr;
	return 0;
}

int pack_src_last_exercise(struct db *db, int64_t org_id, int64_t at, int64_t *held_at)
{
	*held_at = 0;
	if (!pack_table_exists(db, "exercises"))
		return SIRT_ENOTFOUND;
	return nullable_max(db, held_at,
			    "SELECT MAX(held_at) FROM exercises WHERE org_id = $1 AND status = 'held'"
			    " AND held_at <= $2",
			    org_id, at);
}

int pack_src_last_quality_review(struct db *db, int64_t org_id, int64_t at, int64_t *reviewed_on)
{
	*reviewed_on = 0;
	if (!pack_table_exists(db, "quality_reviews"))
		return SIRT_ENOTFOUND;
	return nullable_max(db, reviewed_on,
			    "SELECT MAX(reviewed_on) FROM quality_reviews WHERE org_id = $1"
			    " AND status = 'done' AND reviewed_on <= $2",
			    org_id, at);
}

int pack_src_compliance(struct db *db, int64_t org_id, int64_t now, const char *framework,
			json_t **out)
{
	/* computed by the reviews area: met / at_risk / not_met with reasons */
	*out = NULL;
	return compliance_status(db, org_id, now, framework, out);
}

/* ---------------- notifications and clocks ---------------- */

const char *const pack_notify_cols[PACK_NOTIFY_COLS] = {
	"sent_at", "incident", "channel", "kind", "event", "subject", "status",
};

int pack_src_notifications(struct db *db, int64_t org_id, int64_t from, int64_t to,
			   pack_row_fn fn, void *arg)
{
	if (!pack_table_exists(db, "outbox"))
		return SIRT_ENOTFOUND;
	int64_t last = 0;
	for (;;) {
		struct db_res *r;
		int rc = db_query(
			db, &r,
			"SELECT o.id, COALESCE(o.sent_at, o.updated_at), i.key, o.channel_name,"
			" o.channel_kind, o.event, o.subject, o.status FROM outbox o"
			" LEFT JOIN incidents i ON i.id = o.incident_id"
			" WHERE o.org_id = $1 AND o.status IN ('sent','failed')"
			" AND COALESCE(o.sent_at, o.updated_at) BETWEEN $2 AND $3 AND o.id > $4"
			" ORDER BY o.id LIMIT 500",
			4, DBV(DB_INT(org_id), DB_INT(from), DB_INT(to), DB_INT(last)));
		if (rc < 0)
			return rc;
		int n = 0;
		while (db_next(r)) {
			char at[ISO8601_LEN];
			time_format_iso8601(db_int(r, 1), at);
			const char *cols[PACK_NOTIFY_COLS] = {
				at,		 db_text(r, 2) ? db_text(r, 2) : "",
				db_text(r, 3), db_text(r, 4),
				db_text(r, 5), db_text(r, 6),
				db_text(r, 7),
			};
			last = db_int(r, 0);
			n++;
			rc = fn(arg, cols);
			if (rc < 0) {
				db_res_free(r);
				return rc;
			}
		}
		db_res_free(r);
		if (n < PAGE)
			return 0;
	}
}

const char *const pack_submit_cols[PACK_SUBMIT_COLS] = {
	"incident", "clock", "stage", "recipient", "deadline", "submitted_at", "authority_reference",
	"status", "submitted_by",
};

/* The trigger times of one incident (the rule of store/clock_store.h: the
 * latest recorded decision of a name wins; became_aware falls back to
 * aware_at, detected_at, created_at; detected to detected_at, created_at;
 * discovered to aware_at, detected_at, created_at). */
static int clock_triggers(struct db *db, int64_t org_id, int64_t incident_id, int64_t aware,
			  int64_t detected, int64_t created, const char *custom_key,
			  int64_t trig[CLOCK_TRIG_COUNT])
{
	memset(trig, 0, sizeof(int64_t) * CLOCK_TRIG_COUNT);
	trig[CLOCK_TRIG_BECAME_AWARE] = aware ? aware : detected ? detected : created;
	trig[CLOCK_TRIG_DETECTED] = detected ? detected : created;
	trig[CLOCK_TRIG_DISCOVERED] = trig[CLOCK_TRIG_BECAME_AWARE];
	if (!pack_table_exists(db, "incident_decisions"))
		return 0;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT decision, decided_at FROM incident_decisions WHERE org_id = $1"
			  " AND incident_id = $2 ORDER BY id",
			  2, DBV(DB_INT(org_id), DB_INT(incident_id)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		const char *d = db_text(r, 0);
		int t = clock_trigger_parse(d);
		if (custom_key && !strcmp(d, custom_key))
			t = CLOCK_TRIG_CUSTOM;
		if (t >= 0 && t < CLOCK_TRIG_COUNT)
			trig[t] = db_int(r, 1);
	}
	db_res_free(r);
	return 0;
}

struct clock_row {
	int64_t id, incident_id, aware, detected, created;
	char *key, *definition;
};

static int one_clock(struct db *db, int64_t org_id, const struct clock_row *c, int64_t now,
		     pack_row_fn fn, void *arg)
{
	struct strbuf why;
	sb_init(&why, 4096);
	struct clock_def *d = NULL;
	int rc = clock_def_parse(c->definition, strlen(c->definition), &d, &why);
	sb_free(&why);
	if (rc < 0)
		return 0; /* a definition this version cannot read is left out */
	struct clock_inputs in = {0};
	rc = clock_triggers(db, org_id, c->incident_id, c->aware, c->detected, c->created,
			    d->custom_trigger, in.trigger_at);
	int64_t *sub = xcalloc(d->nstages, sizeof(*sub));
	bool *notreq = xcalloc(d->nstages, sizeof(*notreq));
	char **who = xcalloc(d->nstages, sizeof(*who));
	char **ref = xcalloc(d->nstages, sizeof(*ref));
	struct clock_stage_result *res = xcalloc(d->nstages, sizeof(*res));
	struct db_res *r = NULL;
	if (rc == 0)
		rc = db_query(db, &r,
			      "SELECT stage, outcome, submitted_at, authority, reference, submitted_by"
			      " FROM clock_submissions WHERE clock_id = $1 AND org_id = $2"
			      " ORDER BY submitted_at, id",
			      2, DBV(DB_INT(c->id), DB_INT(org_id)));
	if (rc == 0) {
		while (db_next(r)) {
			for (size_t i = 0; i < d->nstages; i++) {
				if (strcmp(d->stages[i].key, db_text(r, 0)) || sub[i] || notreq[i])
					continue;
				if (!strcmp(db_text(r, 1), "not_required"))
					notreq[i] = true;
				else
					sub[i] = db_int(r, 2);
				who[i] = xstrdup(db_text(r, 5));
				ref[i] = xasprintf("%s%s%s", db_text(r, 3),
						   *db_text(r, 4) ? " " : "", db_text(r, 4));
			}
		}
		db_res_free(r);
		in.submitted_at = sub;
		in.not_required = notreq;
		clock_compute(d, &in, now, 0, res);
		char key[64] = "";
		struct db_res *k;
		if (db_query(db, &k, "SELECT key FROM incidents WHERE id = $1", 1,
			     DBV(DB_INT(c->incident_id))) == 0) {
			if (db_next(k))
				snprintf(key, sizeof(key), "%s", db_text(k, 0));
			db_res_free(k);
		}
		for (size_t i = 0; i < d->nstages && rc == 0; i++) {
			char dl[ISO8601_LEN] = "", sa[ISO8601_LEN] = "";
			if (res[i].known)
				time_format_iso8601(res[i].deadline, dl);
			if (sub[i])
				time_format_iso8601(sub[i], sa);
			const char *cols[PACK_SUBMIT_COLS] = {
				key, d->name, d->stages[i].name, d->stages[i].recipient, dl, sa,
				ref[i] ? ref[i] : "", clock_stage_status_name(res[i].status),
				who[i] ? who[i] : "",
			};
			rc = fn(arg, cols);
		}
	}
	for (size_t i = 0; i < d->nstages; i++) {
		free(who[i]);
		free(ref[i]);
	}
	free(who);
	free(ref);
	free(sub);
	free(notreq);
	free(res);
	clock_def_free(d);
	return rc;
}

int pack_src_submissions(struct db *db, int64_t org_id, int64_t from, int64_t to,
			 pack_row_fn fn, void *arg)
{
	/*
	 * Stage statuses are computed, never stored (store/clock_store.h). This
	 * follows clock_store's rules with the core engine; at merge it may as
	 * well walk clock_list() per incident.
	 */
	if (!pack_table_exists(db, "incident_clocks") || !pack_table_exists(db, "clock_submissions"))
		return SIRT_ENOTFOUND;
	int64_t last = 0, now = time_now();
	for (;;) {
		struct db_res *r;
		int rc = db_query(db, &r,
				  "SELECT c.id, c.incident_id, i.aware_at, i.detected_at, i.created_at,"
				  " c.definition_key, c.definition FROM incident_clocks c"
				  " JOIN incidents i ON i.id = c.incident_id"
				  " WHERE c.org_id = $1 AND i.org_id = $1"
				  " AND COALESCE(i.detected_at, i.created_at) BETWEEN $2 AND $3"
				  " AND c.id > $4 ORDER BY c.id LIMIT 100",
				  4, DBV(DB_INT(org_id), DB_INT(from), DB_INT(to), DB_INT(last)));
		if (rc < 0)
			return rc;
		/* copy the page: one_clock queries the same connection */
		struct clock_row rows[100];
		int n = 0;
		while (db_next(r) && n < 100) {
			rows[n] = (struct clock_row){
				.id = db_int(r, 0),
				.incident_id = db_int(r, 1),
				.aware = db_isnull(r, 2) ? 0 : db_int(r, 2),
				.detected = db_isnull(r, 3) ? 0 : db_int(r, 3),
				.created = db_int(r, 4),
				.key = xstrdup(db_text(r, 5)),
				.definition = xstrdup(db_text(r, 6)),
			};
			n++;
		}
		db_res_free(r);
		for (int i = 0; i < n; i++) {
			if (rc == 0)
				rc = one_clock(db, org_id, &rows[i], now, fn, arg);
			last = rows[i].id;
			free(rows[i].key);
			free(rows[i].definition);
		}
		if (rc < 0)
			return rc;
		if (n < 100)
			return 0;
	}
}

/* ---------------- audit ---------------- */

int pack_src_audit(struct db *db, int64_t org_id, int64_t from, int64_t to, pack_audit_fn fn,
		   void *arg)
{
	int64_t last = 0;
	for (;;) {
		struct db_res *r;
		int rc = db_query(db, &r,
				  "SELECT seq, ts, actor, action, object_type, object_id, details,"
				  " request_id, client_addr, prev_hash, hash FROM audit_log"
				  " WHERE org_id = $1 AND ts BETWEEN $2 AND $3 AND seq > $4"
				  " ORDER BY seq LIMIT 500",
				  4, DBV(DB_INT(org_id), DB_INT(from), DB_INT(to), DB_INT(last)));
		if (rc < 0)
			return rc;
		int n = 0;
		while (db_next(r)) {
			struct audit_entry e = {
				.org_id = org_id,
				.seq = db_int(r, 0),
				.ts = db_int(r, 1),
				.actor = db_text(r, 2),
				.action = db_text(r, 3),
				.object_type = db_text(r, 4),
				.object_id = db_text(r, 5),
				.details = db_text(r, 6),
				.request_id = db_text(r, 7),
				.client_addr = db_text(r, 8),
				.prev_hash = db_text(r, 9),
			};
			last = e.seq;
			n++;
			rc = fn(&e, db_text(r, 10), arg);
			if (rc < 0) {
				db_res_free(r);
				return rc;
			}
		}
		db_res_free(r);
		if (n < PAGE)
			return 0;
	}
}

int pack_src_audit_verify(struct db *db, int64_t org_id, struct audit_verify_result *out)
{
	return audit_verify_db(db, org_id, out);
}

int pack_src_checkpoint(struct db *db, int64_t org_id, json_t **out)
{
	*out = NULL;
	if (!pack_table_exists(db, "audit_checkpoints"))
		return SIRT_ENOTFOUND;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT seq, hash, ts, public_key, signature FROM audit_checkpoints"
			  " WHERE org_id = $1 ORDER BY seq DESC, id DESC LIMIT 1",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (db_next(r))
		*out = json_pack("{s:s, s:I, s:I, s:s, s:o, s:s, s:s}", "format",
				 "sirt-audit-checkpoint/1", "org_id", (json_int_t)org_id, "seq",
				 (json_int_t)db_int(r, 0), "hash", db_text(r, 1), "ts",
				 tjson(db_int(r, 2)), "public_key", db_text(r, 3), "signature",
				 db_text(r, 4));
	db_res_free(r);
	return *out ? 0 : SIRT_ENOTFOUND;
}
