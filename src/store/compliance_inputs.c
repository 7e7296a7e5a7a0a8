/*
 * The adapters of compliance_inputs.h. Until the plan, team, notification
 * and evidence areas are merged their tables do not exist and every adapter
 * answers "no data". The queries below are written against the schema those
 * areas were expected to have (names in the table probes); at merge, check
 * each probe and query against the real migrations (marked MERGE).
 */
#include "store/compliance_inputs.h"

#include <stdio.h>
#include <string.h>

#include "store/review_common.h"

int compliance_plan_facts(struct db *db, int64_t org_id, struct plan_facts *out)
{
	memset(out, 0, sizeof(*out));
	/* MERGE: plan_versions(org_id, uid, label, status, approved_at,
	 * next_review_due, sections JSON, revision_reason). */
	static const char *const cols[] = {"org_id", "uid", "label", "status", "approved_at",
					   "next_review_due", NULL};
	if (!rs_table_exists(db, "plan_versions", cols))
		return 0;
	out->data = true;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT uid, label, approved_at, next_review_due FROM plan_versions"
			  " WHERE org_id = $1 AND status = 'approved'"
			  " ORDER BY approved_at DESC LIMIT 1",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (db_next(r)) {
		out->approved = true;
		snprintf(out->version_id, sizeof(out->version_id), "%s", rs_text(r, 0));
		snprintf(out->version_label, sizeof(out->version_label), "%s", rs_text(r, 1));
		out->approved_at = db_isnull(r, 2) ? 0 : db_int(r, 2);
		out->next_review_due = db_isnull(r, 3) ? 0 : db_int(r, 3);
		/* MERGE: derive from the version's sections once their shape is known. */
		out->has_roles = out->has_team_contacts = out->has_communication =
			out->has_procedures = out->has_reporting = true;
	}
	db_res_free(r);
	return 0;
}

int compliance_plan_current(struct db *db, int64_t org_id, char id[40], char label[64])
{
	struct plan_facts p;
	id[0] = label[0] = '\0';
	int rc = compliance_plan_facts(db, org_id, &p);
	if (rc < 0)
		return rc;
	snprintf(id, 40, "%s", p.version_id);
	snprintf(label, 64, "%s", p.version_label);
	return 0;
}

int compliance_team_facts(struct db *db, int64_t org_id, int64_t now, struct team_facts *out)
{
	memset(out, 0, sizeof(*out));
	/* MERGE: team_members(org_id, id, email, phone, active) and
	 * training_records(org_id, member_id, completed_at, expires_at). */
	static const char *const mcols[] = {"org_id", "id", "email", "phone", "active", NULL};
	static const char *const tcols[] = {"org_id", "member_id", "expires_at", NULL};
	if (!rs_table_exists(db, "team_members", mcols) ||
	    !rs_table_exists(db, "training_records", tcols))
		return 0;
	out->data = true;
	struct db_res *r;
	int rc = db_query(
		db, &r,
		"SELECT count(*),"
		" sum(CASE WHEN COALESCE(m.email, '') = '' AND COALESCE(m.phone, '') = '' THEN 1 ELSE 0 END),"
		" sum(CASE WHEN t.latest IS NULL THEN 1 ELSE 0 END),"
		" sum(CASE WHEN t.latest IS NOT NULL AND t.latest < $2 THEN 1 ELSE 0 END),"
		" sum(CASE WHEN t.latest IS NOT NULL AND t.latest >= $2 AND t.latest < $3 THEN 1 ELSE 0 END)"
		" FROM team_members m LEFT JOIN (SELECT member_id, max(expires_at) AS latest"
		"  FROM training_records WHERE org_id = $1 GROUP BY member_id) t ON t.member_id = m.id"
		" WHERE m.org_id = $1 AND m.active = 1",
		3, DBV(DB_INT(org_id), DB_INT(now), DB_INT(now + 30 * 86400)));
	if (rc < 0)
		return rc;
	if (db_next(r)) {
		out->members = (int)db_int(r, 0);
		out->without_contact = db_isnull(r, 1) ? 0 : (int)db_int(r, 1);
		out->training_missing = db_isnull(r, 2) ? 0 : (int)db_int(r, 2);
		out->training_expired = db_isnull(r, 3) ? 0 : (int)db_int(r, 3);
		out->training_expiring_soon = db_isnull(r, 4) ? 0 : (int)db_int(r, 4);
	}
	db_res_free(r);
	return 0;
}

int compliance_notification_facts(struct db *db, int64_t org_id, int64_t now,
				  struct notification_facts *out)
{
	memset(out, 0, sizeof(*out));
	/* MERGE: incident_clocks(org_id, incident_id, name, deadline_at,
	 * submitted_at), one row per running regulatory clock stage. */
	static const char *const cols[] = {"org_id", "incident_id", "name", "deadline_at",
					   "submitted_at", NULL};
	if (!rs_table_exists(db, "incident_clocks", cols))
		return 0;
	out->data = true;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT i.uid, i.key, c.name FROM incident_clocks c"
			  " JOIN incidents i ON i.id = c.incident_id"
			  " WHERE c.org_id = $1 AND c.deadline_at IS NOT NULL AND"
			  " ((c.submitted_at IS NOT NULL AND c.submitted_at > c.deadline_at)"
			  "  OR (c.submitted_at IS NULL AND c.deadline_at < $2))"
			  " ORDER BY c.deadline_at",
			  2, DBV(DB_INT(org_id), DB_INT(now)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		if (out->late < COMP_REFS_MAX) {
			struct comp_ref *ref = &out->late_refs[out->late];
			snprintf(ref->id, sizeof(ref->id), "%s", rs_text(r, 0));
			snprintf(ref->label, sizeof(ref->label), "%s %s", rs_text(r, 1), rs_text(r, 2));
		}
		out->late++;
	}
	db_res_free(r);
	int64_t n = 0;
	rc = db_query_int(db, &n,
			  "SELECT count(*) FROM incident_clocks WHERE org_id = $1 AND submitted_at IS NULL"
			  " AND deadline_at >= $2 AND deadline_at < $3",
			  3, DBV(DB_INT(org_id), DB_INT(now), DB_INT(now + 86400)));
	if (rc < 0)
		return rc;
	out->due_soon = (int)n;
	return 0;
}

int compliance_first_notified_at(struct db *db, int64_t org_id, int64_t incident_id, int64_t *at)
{
	*at = 0;
	static const char *const cols[] = {"org_id", "incident_id", "submitted_at", NULL};
	if (!rs_table_exists(db, "incident_clocks", cols))
		return 0;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT min(submitted_at) FROM incident_clocks"
			  " WHERE org_id = $1 AND incident_id = $2",
			  2, DBV(DB_INT(org_id), DB_INT(incident_id)));
	if (rc < 0)
		return rc;
	if (db_next(r) && !db_isnull(r, 0))
		*at = db_int(r, 0);
	db_res_free(r);
	return 0;
}

int compliance_notify_metrics(struct db *db, int64_t org_id, int64_t from, int64_t to,
			      notify_metric_cb cb, void *arg)
{
	static const char *const cols[] = {"org_id", "incident_id", "submitted_at", NULL};
	if (!rs_table_exists(db, "incident_clocks", cols))
		return 0;
	const char *month = db_is_postgres(db)
		? "to_char(to_timestamp(COALESCE(i.detected_at, i.created_at)) AT TIME ZONE 'UTC', 'YYYY-MM')"
		: "strftime('%Y-%m', COALESCE(i.detected_at, i.created_at), 'unixepoch')";
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT %s, i.severity, sum(n.first - COALESCE(i.aware_at, i.detected_at)), count(*)"
		 " FROM incidents i JOIN (SELECT incident_id, min(submitted_at) AS first"
		 "  FROM incident_clocks WHERE org_id = $1 AND submitted_at IS NOT NULL"
		 "  GROUP BY incident_id) n ON n.incident_id = i.id"
		 " WHERE i.org_id = $1 AND COALESCE(i.detected_at, i.created_at) >= $2"
		 " AND COALESCE(i.detected_at, i.created_at) < $3 AND i.status <> 'rejected'"
		 " AND COALESCE(i.aware_at, i.detected_at) IS NOT NULL"
		 " AND n.first >= COALESCE(i.aware_at, i.detected_at)"
		 " GROUP BY 1, 2",
		 month);
	struct db_res *r;
	int rc = db_query(db, &r, sql, 3, DBV(DB_INT(org_id), DB_INT(from), DB_INT(to)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		const char *m = rs_text(r, 0);
		int y = 0, mo = 0;
		if (strlen(m) == 7 && sscanf(m, "%4d-%2d", &y, &mo) == 2)
			cb(y, mo, rs_text(r, 1), db_int(r, 2), db_int(r, 3), arg);
	}
	db_res_free(r);
	return 0;
}

int compliance_evidence_facts(struct db *db, int64_t org_id, struct evidence_facts *out)
{
	memset(out, 0, sizeof(*out));
	/* MERGE: evidence_packs(org_id, created_at). */
	static const char *const cols[] = {"org_id", "created_at", NULL};
	if (!rs_table_exists(db, "evidence_packs", cols))
		return 0;
	out->data = true;
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT max(created_at) FROM evidence_packs WHERE org_id = $1", 1,
			  DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (db_next(r) && !db_isnull(r, 0))
		out->last_pack_at = db_int(r, 0);
	db_res_free(r);
	return 0;
}

int compliance_review_policy(struct db *db, int64_t org_id, struct review_policy *out)
{
	memset(out, 0, sizeof(*out));
	out->required[severity_rank("critical")] = true;
	out->required[severity_rank("high")] = true;
	out->signoffs = 1;
	/* MERGE: plan_versions(review_severities TEXT JSON array,
	 * review_signoffs INTEGER) of the approved version, when the plan
	 * defines them. */
	static const char *const cols[] = {"org_id", "status", "approved_at", "review_severities",
					   "review_signoffs", NULL};
	if (!rs_table_exists(db, "plan_versions", cols))
		return 0;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT review_severities, review_signoffs FROM plan_versions"
			  " WHERE org_id = $1 AND status = 'approved' ORDER BY approved_at DESC LIMIT 1",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (db_next(r)) {
		json_t *sev = db_isnull(r, 0) ? NULL : json_loads(db_text(r, 0), 0, NULL);
		if (json_is_array(sev)) {
			memset(out->required, 0, sizeof(out->required));
			size_t i;
			json_t *x;
			json_array_foreach(sev, i, x) {
				int rank = severity_rank(json_string_value(x));
				if (rank > 0)
					out->required[rank] = true;
			}
		}
		json_decref(sev);
		if (!db_isnull(r, 1) && db_int(r, 1) >= 1 && db_int(r, 1) <= 10)
			out->signoffs = (int)db_int(r, 1);
	}
	db_res_free(r);
	return 0;
}
