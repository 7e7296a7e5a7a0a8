#include "store/qreview_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/contact.h"
#include "store/action_store.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define QR_COLS                                                                              \
	"q.id, q.uid, q.subject, q.reason, q.due_date, q.status, q.reviewer, q.reviewed_on,"  \
	" q.outcome, q.notes, q.changes, q.created_by, q.created_at, q.updated_at, q.version,"\
	" c.uid, c.title"

static const char *sv(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t today(int64_t now)
{
	return now - now % 86400;
}

static json_t *row_json(const struct db_res *r, int64_t now)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(rs_text(r, 1)));
	json_object_set_new(o, "subject", json_string(rs_text(r, 2)));
	json_object_set_new(o, "reason", json_string(rs_text(r, 3)));
	json_object_set_new(o, "due_date", rs_date(r, 4));
	json_object_set_new(o, "status", json_string(rs_text(r, 5)));
	json_object_set_new(o, "reviewer", json_string(rs_text(r, 6)));
	json_object_set_new(o, "reviewed_on", rs_date(r, 7));
	json_object_set_new(o, "outcome", db_isnull(r, 8) ? json_null() : json_string(rs_text(r, 8)));
	json_object_set_new(o, "notes", json_string(rs_text(r, 9)));
	json_object_set_new(o, "changes", rs_json(r, 10, false));
	bool open = !strcmp(rs_text(r, 5), "open");
	int64_t due = db_int(r, 4);
	bool overdue = open && due + 86400 <= now;
	json_object_set_new(o, "overdue", json_boolean(overdue));
	json_object_set_new(o, "days_overdue", json_integer(overdue ? (now - due) / 86400 : 0));
	if (db_isnull(r, 15))
		json_object_set_new(o, "org_change", json_null());
	else
		json_object_set_new(o, "org_change", json_pack("{s:s, s:s}", "id", rs_text(r, 15),
							       "title", rs_text(r, 16)));
	json_object_set_new(o, "created_by", json_string(rs_text(r, 11)));
	json_object_set_new(o, "created_at", rs_time(r, 12));
	json_object_set_new(o, "updated_at", rs_time(r, 13));
	json_object_set_new(o, "version", json_integer(db_int(r, 14)));
	return o;
}

int qreview_get(struct db *db, int64_t org_id, const char *uid, int64_t now, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " QR_COLS " FROM quality_reviews q"
			  " LEFT JOIN org_changes c ON c.id = q.org_change_id"
			  " WHERE q.org_id = $1 AND q.uid = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	json_t *o = NULL;
	if (db_next(r))
		o = row_json(r, now);
	db_res_free(r);
	if (!o)
		return SIRT_ENOTFOUND;
	json_t *items, *uids = json_pack("[s]", uid);
	rc = action_list_for_sources(db, org_id, "quality_review", uids, now, &items);
	json_decref(uids);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	json_object_set_new(o, "action_items", items);
	*out = o;
	return 0;
}

static int insert_qr(struct db *db, int64_t org_id, const char *subject, const char *reason,
		     int64_t org_change_id, int64_t due, const char *reviewer, const char *notes,
		     const char *created_by, int64_t now, char uid[37])
{
	rand_uuid(uid);
	return db_exec(db,
		       "INSERT INTO quality_reviews(uid, org_id, subject, reason, org_change_id,"
		       " due_date, status, reviewer, notes, created_by, created_at, updated_at, version)"
		       " VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $10, 1)",
		       10,
		       DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(subject), DB_TEXT(reason),
			   org_change_id ? DB_INT(org_change_id) : DB_NULL(), DB_INT(due),
			   DB_TEXT(reviewer ? reviewer : ""), DB_TEXT(notes ? notes : ""),
			   DB_TEXT(created_by ? created_by : ""), DB_INT(now)));
}

int qreview_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, const json_t *b,
		   const char *created_by, int64_t now, struct op_result *res, json_t **out)
{
	int64_t due = 0;
	if (time_parse_date(sv(b, "due_date"), &due) < 0)
		return op_field(res, "due_date", "must be a date as YYYY-MM-DD");
	char uid[37];
	const char *reason = sv(b, "reason") ? sv(b, "reason") : "scheduled";
	int rc = insert_qr(db, org_id, sv(b, "subject"), reason, 0, due, sv(b, "reviewer"),
			   sv(b, "notes"), created_by, now, uid);
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s, s:s}", "subject", sv(b, "subject"), "reason", reason,
			      "due_date", sv(b, "due_date"));
	rc = audit_append(db, ac, org_id, "quality_review.create", "quality_review", uid, d);
	json_decref(d);
	if (rc < 0)
		return rc;
	return qreview_get(db, org_id, uid, now, out);
}

int qreview_list(struct db *db, int64_t org_id, const struct qreview_filter *f, json_t **items,
		 char **next_cursor)
{
	struct strbuf sql;
	sb_init(&sql, 4096);
	sb_puts(&sql, "SELECT " QR_COLS " FROM quality_reviews q"
		      " LEFT JOIN org_changes c ON c.id = q.org_change_id WHERE q.org_id = $1");
	if (f->subject)
		sb_puts(&sql, " AND q.subject = $2");
	if (f->status)
		sb_puts(&sql, " AND q.status = $3");
	if (f->overdue)
		sb_puts(&sql, " AND q.status = 'open' AND q.due_date <= $4");
	if (f->cursor_id)
		sb_puts(&sql, " AND (q.due_date < $5 OR (q.due_date = $5 AND q.id < $6))");
	sb_puts(&sql, " ORDER BY q.due_date DESC, q.id DESC LIMIT $7");
	struct db_res *r;
	int rc = db_query(db, &r, sb_str(&sql), 7,
			  DBV(DB_INT(org_id), DB_TEXT(f->subject), DB_TEXT(f->status),
			      DB_INT(f->now - 86400), DB_INT(f->cursor_due), DB_INT(f->cursor_id),
			      DB_INT(f->limit + 1)));
	sb_free(&sql);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int n = 0;
	int64_t ld = 0, li = 0;
	*next_cursor = NULL;
	while (db_next(r)) {
		if (n == f->limit) {
			*next_cursor = xasprintf("%lld.%lld", (long long)ld, (long long)li);
			break;
		}
		json_array_append_new(arr, row_json(r, f->now));
		ld = db_int(r, 4);
		li = db_int(r, 0);
		n++;
	}
	db_res_free(r);
	*items = arr;
	return 0;
}

static bool blank(const char *s)
{
	return !s || strspn(s, " \t\r\n") == strlen(s);
}

/* Checks every change of a changes_required outcome; all problems at once. */
static int check_changes(const json_t *changes, int64_t now, struct op_result *res)
{
	size_t i;
	json_t *c;
	char f[64];
	int rc = 0;
	json_array_foreach(changes, i, c) {
		int64_t due;
		snprintf(f, sizeof(f), "changes[%zu].title", i);
		if (blank(sv(c, "title")))
			rc = op_field(res, f, "is required");
		snprintf(f, sizeof(f), "changes[%zu].owner", i);
		if (blank(sv(c, "owner")))
			rc = op_field(res, f, "is required: every change needs an owner");
		else if (strchr(sv(c, "owner"), '@') && !email_valid(sv(c, "owner")))
			rc = op_field(res, f, "is not a valid e-mail address");
		snprintf(f, sizeof(f), "changes[%zu].due_date", i);
		if (!sv(c, "due_date"))
			rc = op_field(res, f, "is required: every change needs a due date");
		else if (time_parse_date(sv(c, "due_date"), &due) < 0)
			rc = op_field(res, f, "must be a date as YYYY-MM-DD");
	}
	return rc;
}

int qreview_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		   int64_t expect_version, const json_t *patch, const char *actor_email,
		   int64_t now, struct op_result *res, json_t **out)
{
	json_t *cur = NULL, *changes = NULL;
	char *chtext = NULL;
	int rc = qreview_get(db, org_id, uid, now, &cur);
	if (rc < 0)
		return rc;
	int64_t version = json_integer_value(json_object_get(cur, "version"));
	if (expect_version && expect_version != version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	const char *old_status = sv(cur, "status");
	if (strcmp(old_status, "open") != 0) {
		rc = op_fail(res, SIRT_ECONFLICT, "this quality review is %s and cannot change; open"
			     " a new one", old_status);
		goto out;
	}
	const char *status = sv(patch, "status") ? sv(patch, "status") : old_status;
	const char *reviewer = sv(patch, "reviewer") ? sv(patch, "reviewer") : sv(cur, "reviewer");
	const char *outcome = json_object_get(patch, "outcome") ? sv(patch, "outcome") : sv(cur, "outcome");
	const char *ron = json_object_get(patch, "reviewed_on") ? sv(patch, "reviewed_on")
								: sv(cur, "reviewed_on");
	json_t *chg = json_object_get(patch, "changes");
	if (!chg)
		chg = json_object_get(cur, "changes");
	int64_t reviewed_on = 0, due = 0;
	if (ron && time_parse_date(ron, &reviewed_on) < 0)
		op_field(res, "reviewed_on", "must be a date as YYYY-MM-DD");
	if (reviewed_on > today(now))
		op_field(res, "reviewed_on", "must not be in the future");
	if (sv(patch, "due_date") && time_parse_date(sv(patch, "due_date"), &due) < 0)
		op_field(res, "due_date", "must be a date as YYYY-MM-DD");
	if (!strcmp(status, "done")) {
		if (blank(reviewer))
			op_field(res, "reviewer", "is required to complete a quality review");
		if (!outcome)
			op_field(res, "outcome",
				 "is required to complete a quality review (pass or changes_required)");
		if (!ron)
			reviewed_on = today(now);
		if (outcome && !strcmp(outcome, "changes_required") && json_array_size(chg) == 0)
			op_field(res, "changes", "must list at least one change when the outcome is"
				 " changes_required");
	}
	if (json_array_size(chg))
		check_changes(chg, now, res);
	if (res->errors) {
		rc = SIRT_EINVAL;
		goto out;
	}
	changes = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)patch, k, v)
		if (!json_equal(v, json_object_get(cur, k) ? json_object_get(cur, k) : json_null()))
			json_object_set_new(changes, k, json_pack("{s:O?, s:O}", "from",
								  json_object_get(cur, k), "to", v));
	if (json_object_size(changes) == 0) {
		*out = cur;
		cur = NULL;
		rc = 0;
		goto out;
	}
	chtext = json_dumps(chg ? chg : json_array(), JSON_COMPACT);
	json_t *oc = json_object_get(patch, "outcome");
	rc = db_exec(db,
		     "UPDATE quality_reviews SET status = $3, reviewer = $4,"
		     " reviewed_on = CAST($5 AS BIGINT),"
		     " outcome = CASE WHEN $6 = 1 THEN CAST($7 AS TEXT) WHEN $6 = 2 THEN NULL ELSE outcome END,"
		     " notes = COALESCE($8, notes), changes = $9,"
		     " due_date = CASE WHEN $10 = 1 THEN CAST($11 AS BIGINT) ELSE due_date END,"
		     " updated_at = $12, version = version + 1"
		     " WHERE org_id = $1 AND uid = $2 AND version = $13",
		     13,
		     DBV(DB_INT(org_id), DB_TEXT(uid), DB_TEXT(status),
			 DB_TEXT(reviewer ? reviewer : ""),
			 reviewed_on ? DB_INT(reviewed_on) : DB_NULL(),
			 DB_INT(!oc ? 0 : json_is_null(oc) ? 2 : 1), DB_TEXT(json_string_value(oc)),
			 DB_TEXT(sv(patch, "notes")), DB_TEXT(chtext), DB_INT(due ? 1 : 0),
			 DB_INT(due), DB_INT(now), DB_INT(version)));
	if (rc < 0)
		goto out;
	if (db_last_changes(db) != 1) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	if (!strcmp(status, "done") && outcome && !strcmp(outcome, "changes_required")) {
		/* each change becomes an action item, in this transaction */
		size_t i;
		json_t *c;
		json_array_foreach(chg, i, c) {
			struct action_new an = {
				.org_id = org_id, .source_type = "quality_review", .source_ref = uid,
				.title = sv(c, "title"), .description = sv(c, "description"),
				.owner = sv(c, "owner"), .priority = sv(c, "priority"),
				.plan_version_id = sv(c, "plan_version_id"),
				.plan_version_label = sv(c, "plan_version_label"),
				.created_by = actor_email};
			if (time_parse_date(sv(c, "due_date"), &an.due_date) < 0) {
				rc = SIRT_EINVAL;
				goto out;
			}
			json_t *item;
			if ((rc = action_create(db, ac, &an, now, res, &item)) < 0)
				goto out;
			json_decref(item);
		}
	}
	rc = audit_append(db, ac, org_id, "quality_review.update", "quality_review", uid, changes);
	if (rc < 0)
		goto out;
	rc = qreview_get(db, org_id, uid, now, out);
out:
	free(chtext);
	json_decref(cur);
	json_decref(changes);
	return rc;
}

int qreview_facts(struct db *db, int64_t org_id, struct comp_qr_facts qr[QR_SUBJECT_COUNT])
{
	for (int s = 0; s < QR_SUBJECT_COUNT; s++) {
		memset(&qr[s], 0, sizeof(qr[s]));
		qr[s].cadence_days = qr_default_cadence_days(s);
	}
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT subject, every_days FROM quality_review_cadence WHERE org_id = $1", 1,
			  DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		int s = qr_subject_parse(rs_text(r, 0));
		if (s >= 0)
			qr[s].cadence_days = (int)db_int(r, 1);
	}
	db_res_free(r);
	rc = db_query(db, &r,
		      "SELECT subject, max(CASE WHEN status = 'done' THEN reviewed_on END),"
		      " min(CASE WHEN status = 'open' THEN due_date END)"
		      " FROM quality_reviews WHERE org_id = $1 GROUP BY subject",
		      1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		int s = qr_subject_parse(rs_text(r, 0));
		if (s < 0)
			continue;
		qr[s].last_done_at = db_isnull(r, 1) ? 0 : db_int(r, 1);
		qr[s].open_due = db_isnull(r, 2) ? 0 : db_int(r, 2);
	}
	db_res_free(r);
	/* the open review that is due first, for the link */
	rc = db_query(db, &r,
		      "SELECT subject, uid FROM quality_reviews WHERE org_id = $1 AND status = 'open'"
		      " ORDER BY due_date DESC",
		      1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		int s = qr_subject_parse(rs_text(r, 0));
		if (s >= 0)
			snprintf(qr[s].open_id, sizeof(qr[s].open_id), "%s", rs_text(r, 1));
	}
	db_res_free(r);
	return 0;
}

int qreview_schedule(struct db *db, int64_t org_id, int64_t now, json_t **out)
{
	struct comp_qr_facts qr[QR_SUBJECT_COUNT];
	int rc = qreview_facts(db, org_id, qr);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	char d[16];
	for (int s = 0; s < QR_SUBJECT_COUNT; s++) {
		const struct comp_qr_facts *q = &qr[s];
		int64_t due = q->last_done_at ? q->last_done_at + (int64_t)q->cadence_days * 86400 : 0;
		if (q->open_due && (!due || q->open_due < due))
			due = q->open_due;
		json_t *o = json_pack("{s:s, s:s, s:i}", "subject", qr_subject_name(s), "label",
				      qr_subject_label(s), "cadence_days", q->cadence_days);
		if (q->last_done_at) {
			rs_date_str(q->last_done_at, d);
			json_object_set_new(o, "last_reviewed_on", json_string(d));
		} else {
			json_object_set_new(o, "last_reviewed_on", json_null());
		}
		if (due) {
			rs_date_str(due, d);
			json_object_set_new(o, "next_due", json_string(d));
		} else {
			json_object_set_new(o, "next_due", json_null());
		}
		/* never reviewed and nothing scheduled counts as overdue now */
		bool overdue = !due || due + 86400 <= now;
		json_object_set_new(o, "overdue", json_boolean(overdue));
		json_object_set_new(o, "days_overdue",
				    json_integer(due && overdue ? (now - due) / 86400 : 0));
		json_object_set_new(o, "open_review", q->open_id[0] ? json_string(q->open_id)
								    : json_null());
		json_array_append_new(arr, o);
	}
	*out = json_pack("{s:o}", "subjects", arr);
	return 0;
}

int qreview_set_cadence(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const json_t *body)
{
	const char *k;
	json_t *v;
	int rc = 0;
	json_object_foreach((json_t *)body, k, v) {
		rc = db_exec(db,
			     "INSERT INTO quality_review_cadence(org_id, subject, every_days)"
			     " VALUES ($1, $2, $3) ON CONFLICT (org_id, subject)"
			     " DO UPDATE SET every_days = excluded.every_days",
			     3, DBV(DB_INT(org_id), DB_TEXT(k), DB_INT(json_integer_value(v))));
		if (rc < 0)
			return rc;
	}
	return audit_append(db, ac, org_id, "quality_review.cadence", "org", "cadence",
			    (json_t *)body);
}

int org_change_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, const json_t *b,
		      const char *recorded_by, int64_t now, struct op_result *res, json_t **out)
{
	int64_t on = 0;
	if (time_parse_date(sv(b, "changed_on"), &on) < 0)
		return op_field(res, "changed_on", "must be a date as YYYY-MM-DD");
	char uid[37], qr_uid[37];
	rand_uuid(uid);
	struct db_res *r;
	int rc = db_query(db, &r,
			  "INSERT INTO org_changes(uid, org_id, title, description, kind, changed_on,"
			  " recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
			  8,
			  DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(sv(b, "title")),
			      DB_TEXT(sv(b, "description") ? sv(b, "description") : ""),
			      DB_TEXT(sv(b, "kind") ? sv(b, "kind") : "other"), DB_INT(on),
			      DB_TEXT(recorded_by ? recorded_by : ""), DB_INT(now)));
	if (rc < 0)
		return rc;
	int64_t id = db_next(r) ? db_int(r, 0) : 0;
	db_res_free(r);
	if (!id)
		return SIRT_EDB;
	int64_t base = on > today(now) ? on : today(now);
	int64_t due = base + (int64_t)ORG_CHANGE_REVIEW_DAYS * 86400;
	char notes[400];
	snprintf(notes, sizeof(notes), "Plan review after the organisational change: %s",
		 sv(b, "title"));
	if ((rc = insert_qr(db, org_id, "plan", "organisational_change", id, due, NULL, notes,
			    recorded_by, now, qr_uid)) < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s, s:s}", "title", sv(b, "title"), "changed_on",
			      sv(b, "changed_on"), "quality_review", qr_uid);
	rc = audit_append(db, ac, org_id, "org_change.create", "org_change", uid, d);
	json_decref(d);
	if (rc < 0)
		return rc;
	json_t *q;
	if ((rc = qreview_get(db, org_id, qr_uid, now, &q)) < 0)
		return rc;
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", uid, "title", sv(b, "title"),
			 "description", sv(b, "description") ? sv(b, "description") : "", "kind",
			 sv(b, "kind") ? sv(b, "kind") : "other", "changed_on", sv(b, "changed_on"),
			 "quality_review", q);
	return 0;
}

int org_change_list(struct db *db, int64_t org_id, int limit, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT c.uid, c.title, c.description, c.kind, c.changed_on, c.recorded_by,"
			  " c.created_at, q.uid, q.status, q.due_date FROM org_changes c"
			  " LEFT JOIN quality_reviews q ON q.org_change_id = c.id"
			  " WHERE c.org_id = $1 ORDER BY c.changed_on DESC, c.id DESC LIMIT $2",
			  2, DBV(DB_INT(org_id), DB_INT(limit)));
	if (rc < 0)
		return rc;
	*items = json_array();
	while (db_next(r)) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "id", rs_text(r, 0),
				      "title", rs_text(r, 1), "description", rs_text(r, 2), "kind",
				      rs_text(r, 3), "changed_on", rs_date(r, 4), "recorded_by",
				      rs_text(r, 5), "created_at", rs_time(r, 6));
		if (db_isnull(r, 7))
			json_object_set_new(o, "quality_review", json_null());
		else
			json_object_set_new(o, "quality_review",
					    json_pack("{s:s, s:s, s:o}", "id", rs_text(r, 7), "status",
						      rs_text(r, 8), "due_date", rs_date(r, 9)));
		json_array_append_new(*items, o);
	}
	db_res_free(r);
	return 0;
}
