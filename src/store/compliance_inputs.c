/*
 * The adapters of compliance_inputs.h. The plan and team areas are
 * installed: their facts come from plan_in_force(), the sections of the
 * version in force, team_training_gaps() and the team tables. The
 * notification and evidence areas are not merged yet: those adapters probe
 * for the tables they expect and answer "no data" until they exist; their
 * queries (marked MERGE) must be pointed at the real schema at merge.
 */
#include "store/compliance_inputs.h"

#include <stdio.h>
#include <string.h>

#include "store/plan_store.h"
#include "store/review_common.h"
#include "store/team_store.h"

/* Whether a section of the version has content: its structured list is
 * non-empty (or, for an unstructured section, its body is not blank). */
static bool section_filled(const char *key, const char *data, const char *body)
{
	static const char *const lists[][2] = {{"roles", "roles"},
					       {"communication", "parties"},
					       {"procedures", "phases"},
					       {"playbooks", "playbooks"},
					       {"reporting", "requirements"}};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (strcmp(lists[i][0], key) != 0)
			continue;
		json_t *d = data ? json_loads(data, 0, NULL) : NULL;
		bool ok = json_array_size(json_object_get(d, lists[i][1])) > 0;
		json_decref(d);
		return ok;
	}
	return body && strspn(body, " \t\r\n") != strlen(body);
}

int compliance_plan_facts(struct db *db, int64_t org_id, struct plan_facts *out)
{
	memset(out, 0, sizeof(*out));
	out->data = true; /* the plan area (migration 0030) is installed */
	struct plan_ref ref;
	int rc = plan_in_force(db, org_id, &ref);
	if (rc == SIRT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	out->approved = true;
	out->approved_at = ref.approved_at;
	out->next_review_due = ref.next_review_due;
	snprintf(out->version_id, sizeof(out->version_id), "%s", ref.version_uid);
	snprintf(out->version_label, sizeof(out->version_label), "%s", ref.label);
	struct db_res *r;
	rc = db_query(db, &r, "SELECT key, data, body FROM plan_sections WHERE version_id = $1", 1,
		      DBV(DB_INT(ref.version_id)));
	if (rc < 0)
		return rc;
	bool playbooks = false;
	while (db_next(r)) {
		const char *key = rs_text(r, 0);
		bool filled = section_filled(key, db_text(r, 1), db_text(r, 2));
		if (!strcmp(key, "roles"))
			out->has_roles = filled;
		else if (!strcmp(key, "communication"))
			out->has_communication = filled;
		else if (!strcmp(key, "procedures"))
			out->has_procedures = filled;
		else if (!strcmp(key, "playbooks"))
			playbooks = filled;
		else if (!strcmp(key, "reporting"))
			out->has_reporting = filled;
	}
	db_res_free(r);
	/* procedures by phase AND steps by incident type (control 25) */
	out->has_procedures = out->has_procedures && playbooks;
	/* the response team with contact details lives in the team tables */
	int64_t n = 0;
	rc = db_query_int(db, &n,
			  "SELECT count(*) FROM team_members WHERE org_id = $1 AND active = 1"
			  " AND (COALESCE(email, '') <> '' OR COALESCE(phone, '') <> '')",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	out->has_team_contacts = n > 0;
	return 0;
}

int compliance_plan_current(struct db *db, int64_t org_id, char id[40], char label[64])
{
	id[0] = label[0] = '\0';
	struct plan_ref ref;
	int rc = plan_in_force(db, org_id, &ref);
	if (rc == SIRT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	snprintf(id, 40, "%s", ref.version_uid);
	snprintf(label, 64, "%s", ref.label);
	return 0;
}

int compliance_team_facts(struct db *db, int64_t org_id, int64_t now, struct team_facts *out)
{
	memset(out, 0, sizeof(*out));
	out->data = true; /* the team area (migration 0031) is installed */
	json_t *gaps;
	int rc = team_training_gaps(db, org_id, now, &gaps);
	if (rc < 0)
		return rc;
	json_t *sum = json_object_get(gaps, "summary");
	out->members = (int)json_integer_value(json_object_get(sum, "members"));
	out->training_missing = (int)json_integer_value(json_object_get(sum, "missing"));
	out->training_expired = (int)json_integer_value(json_object_get(sum, "expired"));
	out->training_expiring_soon =
		(int)json_integer_value(json_object_get(sum, "expiring_within_30_days"));
	json_decref(gaps);
	int64_t n = 0;
	rc = db_query_int(db, &n,
			  "SELECT count(*) FROM team_members WHERE org_id = $1 AND active = 1"
			  " AND COALESCE(email, '') = '' AND COALESCE(phone, '') = ''",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	out->without_contact = (int)n;
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
	/* Evidence packs built (src/export/pack*.c); only complete ones count. */
	static const char *const cols[] = {"org_id", "created_at", "status", NULL};
	if (!rs_table_exists(db, "evidence_packs", cols))
		return 0;
	out->data = true;
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT max(created_at) FROM evidence_packs WHERE org_id = $1 AND status = 'ready'", 1,
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
	/* The plan (0030) has no setting for this yet: high and critical need a
	 * published review, with one sign-off. MERGE: read it from the plan once
	 * the plan document gains one. */
	memset(out, 0, sizeof(*out));
	out->required[severity_rank("critical")] = true;
	out->required[severity_rank("high")] = true;
	out->signoffs = 1;
	return 0;
}
