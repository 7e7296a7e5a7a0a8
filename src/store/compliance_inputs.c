/*
 * The adapters of compliance_inputs.h. The plan and team areas are
 * installed: their facts come from plan_in_force(), the sections of the
 * version in force, team_training_gaps() and the team tables. The
 * notification facts come from the regulatory clocks (clock_list() and
 * clock_submissions). The evidence area is not merged yet: that adapter
 * probes for the table it expects and answers "no data" until it exists;
 * its query (marked MERGE) must be pointed at the real schema at merge.
 */
#include "store/compliance_inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/clock_store.h"
#include "store/plan_store.h"
#include "store/review_common.h"
#include "store/team_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

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

/*
 * Regulatory clocks (migration 0041): deadlines are not stored but computed
 * by the clock engine from each applied clock's definition snapshot, the
 * incident's trigger times and the submissions, so the facts come from
 * clock_list() per incident with a clock. A stage counts as late when it
 * ended late or is overdue now; due soon when its deadline is within 24
 * hours and nothing was submitted.
 */
int compliance_notification_facts(struct db *db, int64_t org_id, int64_t now,
				  struct notification_facts *out)
{
	memset(out, 0, sizeof(*out));
	out->data = true; /* the clocks area (migration 0041) is installed */
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT DISTINCT c.incident_id, i.uid, i.key FROM incident_clocks c"
			  " JOIN incidents i ON i.id = c.incident_id WHERE c.org_id = $1"
			  " ORDER BY c.incident_id",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	struct inc {
		int64_t id;
		char uid[40], key[64];
	} *incs = NULL;
	size_t n = 0;
	while (db_next(r)) {
		incs = xrealloc(incs, (n + 1) * sizeof(*incs));
		incs[n].id = db_int(r, 0);
		snprintf(incs[n].uid, sizeof(incs[n].uid), "%s", rs_text(r, 1));
		snprintf(incs[n].key, sizeof(incs[n].key), "%s", rs_text(r, 2));
		n++;
	}
	db_res_free(r);
	for (size_t k = 0; k < n && rc == 0; k++) {
		json_t *clocks = NULL;
		rc = clock_list(db, org_id, incs[k].id, now, &clocks);
		size_t i, j;
		json_t *c, *st;
		json_array_foreach(clocks, i, c) {
			json_array_foreach(json_object_get(c, "stages"), j, st) {
				const char *status = json_string_value(json_object_get(st, "status"));
				int64_t dl = 0;
				const char *d = json_string_value(json_object_get(st, "deadline"));
				if (!status || !d || time_parse_iso8601(d, &dl) < 0)
					continue;
				if (!strcmp(status, "late") || !strcmp(status, "overdue")) {
					if (out->late < COMP_REFS_MAX) {
						struct comp_ref *ref = &out->late_refs[out->late];
						snprintf(ref->id, sizeof(ref->id), "%s", incs[k].uid);
						snprintf(ref->label, sizeof(ref->label), "%s %s: %s",
							 incs[k].key,
							 json_string_value(json_object_get(c, "name")),
							 json_string_value(json_object_get(st, "name")));
					}
					out->late++;
				} else if ((!strcmp(status, "pending") || !strcmp(status, "due_soon")) &&
					   dl >= now && dl < now + 86400) {
					out->due_soon++;
				}
			}
		}
		json_decref(clocks);
	}
	free(incs);
	return rc;
}

/* The first submission to an authority recorded on any of its clocks
 * ("not required" decisions are not notifications). */
int compliance_first_notified_at(struct db *db, int64_t org_id, int64_t incident_id, int64_t *at)
{
	*at = 0;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT min(s.submitted_at) FROM clock_submissions s"
			  " JOIN incident_clocks c ON c.id = s.clock_id"
			  " WHERE c.org_id = $1 AND c.incident_id = $2 AND s.outcome = 'submitted'",
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
	const char *month = db_is_postgres(db)
		? "to_char(to_timestamp(COALESCE(i.detected_at, i.created_at)) AT TIME ZONE 'UTC', 'YYYY-MM')"
		: "strftime('%Y-%m', COALESCE(i.detected_at, i.created_at), 'unixepoch')";
	char sql[1200];
	snprintf(sql, sizeof(sql),
		 "SELECT %s, i.severity, sum(n.first - COALESCE(i.aware_at, i.detected_at)), count(*)"
		 " FROM incidents i JOIN (SELECT c.incident_id, min(s.submitted_at) AS first"
		 "  FROM clock_submissions s JOIN incident_clocks c ON c.id = s.clock_id"
		 "  WHERE c.org_id = $1 AND s.outcome = 'submitted'"
		 "  GROUP BY c.incident_id) n ON n.incident_id = i.id"
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
