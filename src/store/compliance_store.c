#include "store/compliance_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/incident_metrics.h"
#include "core/lifecycle.h"
#include "store/action_store.h"
#include "store/compliance_inputs.h"
#include "store/qreview_store.h"
#include "store/review_common.h"
#include "util/timeutil.h"

#define YEAR (365 * 86400)

static void ref_set(struct comp_ref *r, const char *label, const char *id, int64_t at)
{
	snprintf(r->label, sizeof(r->label), "%s", label ? label : "");
	snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
	r->at = at;
}

/* Runs sql (uid, label[, at]) and fills up to COMP_REFS_MAX refs; *count gets all rows. */
static int refs_query(struct db *db, const char *sql, int n, const struct db_val *p,
		      struct comp_ref *refs, int *count)
{
	struct db_res *r;
	int rc = db_query(db, &r, sql, n, p);
	if (rc < 0)
		return rc;
	*count = 0;
	while (db_next(r)) {
		if (*count < COMP_REFS_MAX)
			ref_set(&refs[*count], rs_text(r, 1), rs_text(r, 0),
				db_ncols(r) > 2 && !db_isnull(r, 2) ? db_int(r, 2) : 0);
		(*count)++;
	}
	db_res_free(r);
	return 0;
}

static int max_of(struct db *db, const char *sql, int64_t org_id, int64_t *out)
{
	struct db_res *r;
	int rc = db_query(db, &r, sql, 1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	*out = 0;
	if (db_next(r) && !db_isnull(r, 0))
		*out = db_int(r, 0);
	db_res_free(r);
	return 0;
}

/*
 * The compliance status is read on every dashboard load, and verifying the
 * audit chain reads all of it: a cost that grows with the trail. Here the
 * result is remembered per organisation for AUDIT_MEMO_SECONDS, so the whole
 * chain is read at most once a minute per organisation and process.
 * `sirt audit verify` and GET /api/v1/audit/verify always read all of it now.
 */
#define AUDIT_MEMO_SECONDS 60
#define AUDIT_MEMO_SLOTS 64

static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int64_t org_id;
	int64_t at_us; /* monotonic; 0 = empty */
	struct audit_verify_result res;
} memo[AUDIT_MEMO_SLOTS];

static int audit_verify_memo(struct db *db, int64_t org_id, struct audit_verify_result *out)
{
	int64_t now = time_mono_us();
	int slot = 0;
	pthread_mutex_lock(&memo_lock);
	for (int i = 0; i < AUDIT_MEMO_SLOTS; i++) {
		if (memo[i].at_us && memo[i].org_id == org_id) {
			if (now - memo[i].at_us < (int64_t)AUDIT_MEMO_SECONDS * 1000000) {
				*out = memo[i].res;
				pthread_mutex_unlock(&memo_lock);
				return 0;
			}
			slot = i;
			break;
		}
		if (memo[i].at_us < memo[slot].at_us)
			slot = i; /* the oldest (or an empty) slot is replaced */
	}
	pthread_mutex_unlock(&memo_lock);
	int rc = audit_verify_db(db, org_id, out);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&memo_lock);
	memo[slot].org_id = org_id;
	memo[slot].at_us = time_mono_us();
	memo[slot].res = *out;
	pthread_mutex_unlock(&memo_lock);
	return 0;
}

int compliance_gather(struct db *db, int64_t org_id, int64_t now, struct compliance_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->now = now;
	int rc;
	struct plan_facts pf;
	struct team_facts tf;
	struct notification_facts nf;
	struct evidence_facts ef;
	struct review_policy pol;
	if ((rc = compliance_plan_facts(db, org_id, &pf)) < 0 ||
	    (rc = compliance_team_facts(db, org_id, now, &tf)) < 0 ||
	    (rc = compliance_notification_facts(db, org_id, now, &nf)) < 0 ||
	    (rc = compliance_evidence_facts(db, org_id, &ef)) < 0 ||
	    (rc = compliance_review_policy(db, org_id, &pol)) < 0)
		return rc;
	f->plan_data = pf.data;
	f->plan_approved = pf.approved;
	f->plan_approved_at = pf.approved_at;
	f->plan_next_review_due = pf.next_review_due;
	memcpy(f->plan_version_id, pf.version_id, sizeof(f->plan_version_id));
	memcpy(f->plan_version_label, pf.version_label, sizeof(f->plan_version_label));
	f->plan_has_roles = pf.has_roles;
	f->plan_has_team_contacts = pf.has_team_contacts;
	f->plan_has_communication = pf.has_communication;
	f->plan_has_procedures = pf.has_procedures;
	f->plan_has_reporting = pf.has_reporting;
	f->team_data = tf.data;
	f->team_members = tf.members;
	f->team_without_contact = tf.without_contact;
	f->training_expired = tf.training_expired;
	f->training_missing = tf.training_missing;
	f->training_expiring_soon = tf.training_expiring_soon;
	f->notify_data = nf.data;
	f->notifications_late = nf.late;
	memcpy(f->late_refs, nf.late_refs, sizeof(f->late_refs));
	f->notifications_due_soon = nf.due_soon;
	f->evidence_data = ef.data;
	f->last_evidence_pack_at = ef.last_pack_at;

	/* severities that need a review, as bound parameters ($2..$5; NULL = unused) */
	struct db_val sev[SEVERITY_RANK_MAX];
	for (int i = 0; i < SEVERITY_RANK_MAX; i++)
		sev[i] = pol.required[i + 1] ? DB_TEXT(severity_name(i + 1)) : DB_NULL();
	rc = refs_query(db,
			"SELECT uid, key FROM incidents i WHERE org_id = $1 AND status = 'closed'"
			" AND severity IN ($2, $3, $4, $5) AND COALESCE(closed_at, updated_at) >= $6"
			" AND NOT EXISTS (SELECT 1 FROM pir_reviews p WHERE p.incident_id = i.id"
			"  AND p.status IN ('published','superseded'))"
			" ORDER BY COALESCE(closed_at, updated_at) DESC, id DESC",
			6, DBV(DB_INT(org_id), sev[0], sev[1], sev[2], sev[3], DB_INT(now - YEAR)),
			f->no_review_refs, &f->closed_without_review);
	if (rc < 0)
		return rc;
	int64_t n = 0;
	rc = db_query_int(db, &n,
			  "SELECT count(*) FROM incidents i WHERE org_id = $1 AND status = 'resolved'"
			  " AND severity IN ($2, $3, $4, $5) AND NOT EXISTS (SELECT 1 FROM pir_reviews p"
			  "  WHERE p.incident_id = i.id AND p.status IN ('published','superseded'))",
			  5, DBV(DB_INT(org_id), sev[0], sev[1], sev[2], sev[3]));
	if (rc < 0)
		return rc;
	f->awaiting_review = (int)n;
	rc = refs_query(db,
			"SELECT uid, key FROM incidents WHERE org_id = $1 AND status IN ('resolved','closed')"
			" AND COALESCE(resolution, '') = '' AND updated_at >= $2"
			" ORDER BY updated_at DESC, id DESC",
			2, DBV(DB_INT(org_id), DB_INT(now - YEAR)), f->no_resolution_refs,
			&f->without_resolution);
	if (rc < 0)
		return rc;
	rc = refs_query(db,
			"SELECT uid, key FROM incidents WHERE org_id = $1 AND status = 'new'"
			" AND acknowledged_at IS NULL AND created_at < $2 ORDER BY created_at, id",
			2, DBV(DB_INT(org_id), DB_INT(now - 86400)), f->unack_refs,
			&f->unacknowledged);
	if (rc < 0)
		return rc;

	if ((rc = max_of(db, "SELECT max(published_at) FROM pir_reviews WHERE org_id = $1"
			     " AND status IN ('published','superseded')",
			 org_id, &f->last_review_published_at)) < 0 ||
	    (rc = max_of(db, "SELECT max(held_at) FROM exercises WHERE org_id = $1 AND status = 'held'",
			 org_id, &f->last_exercise_held_at)) < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT min(scheduled_at) FROM exercises WHERE org_id = $1 AND status = 'planned'"
		      " AND scheduled_at >= $2",
		      2, DBV(DB_INT(org_id), DB_INT(now)));
	if (rc < 0)
		return rc;
	if (db_next(r) && !db_isnull(r, 0))
		f->next_exercise_at = db_int(r, 0);
	db_res_free(r);
	rc = db_query(db, &r,
		      "SELECT plan_linked_at, plan_version_label FROM action_items WHERE org_id = $1"
		      " AND plan_linked_at IS NOT NULL ORDER BY plan_linked_at DESC LIMIT 1",
		      1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (db_next(r)) {
		f->last_plan_link_at = db_int(r, 0);
		snprintf(f->last_plan_link_label, sizeof(f->last_plan_link_label), "%s",
			 rs_text(r, 1));
	}
	db_res_free(r);

	/* organisational changes with no completed plan review: neither their own
	 * review nor any plan review done on a later day than the change */
	rc = refs_query(db,
			"SELECT q.uid, c.title, q.due_date FROM org_changes c"
			" JOIN quality_reviews q ON q.org_change_id = c.id"
			" WHERE c.org_id = $1 AND q.status <> 'done'"
			" AND NOT EXISTS (SELECT 1 FROM quality_reviews d WHERE d.org_id = c.org_id"
			"  AND d.subject = 'plan' AND d.status = 'done' AND d.reviewed_on > c.changed_on)"
			" ORDER BY q.due_date, c.id",
			1, DBV(DB_INT(org_id)), f->org_change_refs, &f->org_changes_unreviewed);
	if (rc < 0)
		return rc;
	if ((rc = qreview_facts(db, org_id, f->qr)) < 0)
		return rc;

	json_t *items = NULL;
	int64_t overdue = 0;
	if ((rc = actions_overdue(db, org_id, now, COMP_REFS_MAX, &items, &overdue)) < 0)
		return rc;
	f->actions_overdue = (int)overdue;
	size_t i;
	json_t *a;
	json_array_foreach(items, i, a) {
		int64_t due = 0;
		if (time_parse_date(json_string_value(json_object_get(a, "due_date")), &due) < 0)
			due = 0;
		ref_set(&f->overdue_refs[i], json_string_value(json_object_get(a, "title")),
			json_string_value(json_object_get(a, "id")), due);
	}
	json_decref(items);

	int64_t t[4] = {0};
	if ((rc = max_of(db, "SELECT max(reviewed_on) FROM quality_reviews WHERE org_id = $1"
			     " AND status = 'done'", org_id, &t[0])) < 0 ||
	    (rc = max_of(db, "SELECT max(done_at) FROM action_items WHERE org_id = $1", org_id,
			 &t[1])) < 0)
		return rc;
	t[2] = f->last_review_published_at;
	t[3] = f->last_exercise_held_at;
	for (int k = 0; k < 4; k++)
		if (t[k] > f->newest_record_at && t[k] <= now + 300)
			f->newest_record_at = t[k];

	struct audit_verify_result av;
	rc = audit_verify_memo(db, org_id, &av);
	if (rc < 0)
		return rc;
	f->audit_checked = true;
	f->audit_ok = av.ok;
	snprintf(f->audit_problem, sizeof(f->audit_problem), "%s", av.problem);
	return 0;
}

int compliance_mapping_get(struct db *db, int64_t org_id, json_t **doc, bool *custom,
			   int64_t *version)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT document, version FROM compliance_mappings WHERE org_id = $1",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	*doc = NULL;
	*custom = false;
	*version = 0;
	if (db_next(r)) {
		*doc = json_loads(rs_text(r, 0), JSON_REJECT_DUPLICATES, NULL);
		*custom = *doc != NULL;
		*version = db_int(r, 1);
	}
	db_res_free(r);
	if (!*doc)
		*doc = json_loads(compliance_builtin_mapping(), JSON_REJECT_DUPLICATES, NULL);
	return *doc ? 0 : SIRT_EDB;
}

int compliance_mapping_put(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			   const json_t *doc, const char *by, int64_t now)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = db_exec(db,
			 "INSERT INTO compliance_mappings(org_id, document, updated_by, updated_at, version)"
			 " VALUES ($1, $2, $3, $4, 1) ON CONFLICT (org_id) DO UPDATE SET"
			 " document = excluded.document, updated_by = excluded.updated_by,"
			 " updated_at = excluded.updated_at, version = compliance_mappings.version + 1",
			 4, DBV(DB_INT(org_id), DB_TEXT(text), DB_TEXT(by ? by : ""), DB_INT(now)));
	free(text);
	if (rc < 0)
		return rc;
	json_t *ids = json_array();
	size_t i;
	json_t *fw;
	json_array_foreach(json_object_get(doc, "frameworks"), i, fw)
		json_array_append(ids, json_object_get(fw, "id"));
	json_t *d = json_pack("{s:o}", "frameworks", ids);
	rc = audit_append(db, ac, org_id, "compliance.mapping.update", "compliance_mapping", "org", d);
	json_decref(d);
	return rc;
}

int compliance_mapping_reset(struct db *db, const struct audit_ctx *ac, int64_t org_id)
{
	int rc = db_exec(db, "DELETE FROM compliance_mappings WHERE org_id = $1", 1,
			 DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	return audit_append(db, ac, org_id, "compliance.mapping.reset", "compliance_mapping", "org",
			    NULL);
}

int compliance_status(struct db *db, int64_t org_id, int64_t now, const char *framework,
		      json_t **out)
{
	struct compliance_facts f;
	json_t *doc = NULL;
	bool custom;
	int64_t version;
	int rc = compliance_gather(db, org_id, now, &f);
	if (rc < 0)
		return rc;
	if ((rc = compliance_mapping_get(db, org_id, &doc, &custom, &version)) < 0)
		return rc;
	json_t *o = compliance_evaluate(doc, &f, framework);
	json_decref(doc);
	char ts[ISO8601_LEN];
	time_format_iso8601(now, ts);
	json_object_set_new(o, "generated_at", json_string(ts));
	json_object_set_new(o, "mapping", json_string(custom ? "custom" : "builtin"));
	/* which inputs are still missing (areas not yet installed) */
	json_t *inputs = json_pack("{s:b, s:b, s:b, s:b}", "plan", f.plan_data, "team", f.team_data,
				   "notifications", f.notify_data, "evidence_packs", f.evidence_data);
	json_object_set_new(o, "inputs", inputs);
	*out = o;
	return 0;
}

/* ---------------- metrics ---------------- */

static void notify_cb(int year, int month, const char *severity, int64_t sum, int64_t n,
		      void *arg)
{
	struct im_row row = {.year = year, .month = month, .severity = severity};
	row.sum[IM_NOTIFY] = sum;
	row.n[IM_NOTIFY] = n;
	im_add(arg, &row);
}

int metrics_incidents(struct db *db, int64_t org_id, int64_t from, int64_t to, const char *bucket,
		      json_t **out)
{
	struct im_agg *agg;
	int rc = im_new(from, to, bucket, &agg);
	if (rc < 0)
		return rc;
	/* one grouped scan over incidents_org_period_id; each interval counted only
	 * when both ends are known and in order, rejected ones left out */
	const char *month = db_is_postgres(db)
		? "to_char(to_timestamp(COALESCE(detected_at, created_at)) AT TIME ZONE 'UTC', 'YYYY-MM')"
		: "strftime('%Y-%m', COALESCE(detected_at, created_at), 'unixepoch')";
#define IV(a, b)                                                                              \
	" sum(CASE WHEN status <> 'rejected' AND " a " >= " b " THEN " a " - " b " END),"      \
	" sum(CASE WHEN status <> 'rejected' AND " a " >= " b " THEN 1 ELSE 0 END)"
	char sql[2048];
	snprintf(sql, sizeof(sql),
		 "SELECT %s AS period, severity, COALESCE(category, ''), count(*),"
		 " sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END),"
		 IV("acknowledged_at", "detected_at") ","
		 IV("contained_at", "detected_at") ","
		 IV("resolved_at", "detected_at") ","
		 IV("detected_at", "occurred_at")
		 " FROM incidents WHERE org_id = $1"
		 " AND COALESCE(detected_at, created_at) >= $2 AND COALESCE(detected_at, created_at) < $3"
		 " GROUP BY 1, 2, 3",
		 month);
#undef IV
	struct db_res *r;
	rc = db_query(db, &r, sql, 3, DBV(DB_INT(org_id), DB_INT(from), DB_INT(to)));
	if (rc < 0) {
		im_free(agg);
		return rc;
	}
	while (db_next(r)) {
		struct im_row row = {0};
		const char *p = rs_text(r, 0);
		if (strlen(p) != 7 || sscanf(p, "%4d-%2d", &row.year, &row.month) != 2)
			continue;
		row.severity = rs_text(r, 1);
		row.category = rs_text(r, 2);
		row.count = db_int(r, 3);
		row.rejected = db_isnull(r, 4) ? 0 : db_int(r, 4);
		for (int m = 0; m < 4; m++) {
			row.sum[m] = db_isnull(r, 5 + 2 * m) ? 0 : db_int(r, 5 + 2 * m);
			row.n[m] = db_isnull(r, 6 + 2 * m) ? 0 : db_int(r, 6 + 2 * m);
		}
		im_add(agg, &row);
	}
	db_res_free(r);
	rc = compliance_notify_metrics(db, org_id, from, to, notify_cb, agg);
	if (rc < 0) {
		im_free(agg);
		return rc;
	}
	*out = im_result(agg);
	im_free(agg);
	return 0;
}
