/* Post-incident review revisions; see review_store.h. */
#include "store/review_store.h"

#include <stdio.h>
#include <string.h>

#include "core/lifecycle.h"
#include "core/review.h"
#include "store/action_store.h"
#include "store/compliance_inputs.h"
#include "util/rand.h"
#include "util/timeutil.h"

struct rv_row {
	int64_t id;
	char uid[40];
	int revision;
	char status[16];
	json_t *content;
	json_t *facts; /* NULL until published */
	char author[256];
	int required_signoffs;
	int64_t created_at, updated_at, submitted_at, published_at, superseded_at;
	int64_t version;
};

#define RV_COLS                                                                               \
	"id, uid, revision, status, content, facts, author, required_signoffs, created_at,"    \
	" updated_at, submitted_at, published_at, superseded_at, version"

static int load_row(struct db *db, int64_t org_id, int64_t incident_id, int revision,
		    bool published_only, struct rv_row *out);
static void row_free(struct rv_row *r);
static int live_facts(struct db *db, int64_t org_id, const struct rs_incident *inc, int64_t now,
		      json_t **out);
static int candidates(struct db *db, int64_t org_id, const struct rs_incident *inc,
		      json_t **out);
static int build_json(struct db *db, int64_t org_id, const struct rs_incident *inc,
		      const struct rv_row *row, int64_t now, json_t **out);
static int open_latest(struct db *db, int64_t org_id, const char *ref, struct rs_incident *inc,
		       struct rv_row *row, struct op_result *res);

static int64_t iz(const struct db_res *r, int c)
{
	return db_isnull(r, c) ? 0 : db_int(r, c);
}

static void row_free(struct rv_row *r)
{
	json_decref(r->content);
	json_decref(r->facts);
	r->content = r->facts = NULL;
}

static int load_row(struct db *db, int64_t org_id, int64_t incident_id, int revision,
		    bool published_only, struct rv_row *out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " RV_COLS " FROM pir_reviews WHERE org_id = $1 AND incident_id = $2"
			  " AND ($3 = 0 OR revision = $3) AND ($4 = 0 OR status = 'published')"
			  " ORDER BY revision DESC LIMIT 1",
			  4, DBV(DB_INT(org_id), DB_INT(incident_id), DB_INT(revision),
				 DB_INT(published_only ? 1 : 0)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		memset(out, 0, sizeof(*out));
		out->id = db_int(r, 0);
		snprintf(out->uid, sizeof(out->uid), "%s", rs_text(r, 1));
		out->revision = (int)db_int(r, 2);
		snprintf(out->status, sizeof(out->status), "%s", rs_text(r, 3));
		out->content = rs_json(r, 4, true);
		out->facts = db_isnull(r, 5) ? NULL : rs_json(r, 5, true);
		snprintf(out->author, sizeof(out->author), "%s", rs_text(r, 6));
		out->required_signoffs = (int)db_int(r, 7);
		out->created_at = iz(r, 8);
		out->updated_at = iz(r, 9);
		out->submitted_at = iz(r, 10);
		out->published_at = iz(r, 11);
		out->superseded_at = iz(r, 12);
		out->version = db_int(r, 13);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

static int live_facts(struct db *db, int64_t org_id, const struct rs_incident *inc, int64_t now,
		      json_t **out)
{
	struct review_times t = inc->times;
	int rc = compliance_first_notified_at(db, org_id, inc->id, &t.notified_at);
	if (rc < 0)
		return rc;
	json_t *ij = rs_incident_json(inc);
	*out = review_facts_json(&t, ij, now);
	json_decref(ij);
	json_object_set_new(*out, "frozen", json_false());
	return 0;
}

/* One sentence for an audit entry about the incident. */
static void describe(const char *action, json_t *details, char *out, size_t n)
{
	if (!strcmp(action, "incident.create")) {
		snprintf(out, n, "Incident opened (severity %s)",
			 json_string_value(json_object_get(details, "severity"))
				 ? json_string_value(json_object_get(details, "severity"))
				 : "?");
		return;
	}
	const char *to = json_string_value(json_object_get(details, "to"));
	const char *from = json_string_value(json_object_get(details, "from"));
	if (to && from) {
		snprintf(out, n, "Status changed from %s to %s", from, to);
		return;
	}
	const char *text = json_string_value(json_object_get(details, "text"));
	if (text) {
		snprintf(out, n, "%s", text);
		return;
	}
	if (!strcmp(action, "incident.update")) {
		size_t o = (size_t)snprintf(out, n, "Updated");
		const char *k;
		json_t *v;
		bool first = true;
		json_object_foreach(details, k, v) {
			if (o >= n)
				break;
			o += (size_t)snprintf(out + o, n - o, "%s%s", first ? ": " : ", ", k);
			first = false;
		}
		return;
	}
	snprintf(out, n, "%s", action);
}

static int candidates(struct db *db, int64_t org_id, const struct rs_incident *inc, json_t **out)
{
	json_t *arr = json_array();
	static const char *const names[] = {"occurred_at", "detected_at", "aware_at",
					    "acknowledged_at", "contained_at", "resolved_at",
					    "closed_at"};
	static const char *const texts[] = {"Incident began", "Incident detected",
					    "Became aware of the incident", "Incident acknowledged",
					    "Incident contained", "Incident resolved",
					    "Incident closed"};
	const int64_t vals[] = {inc->times.occurred_at, inc->times.detected_at, inc->times.aware_at,
				inc->times.acknowledged_at, inc->times.contained_at,
				inc->times.resolved_at, inc->times.closed_at};
	char ts[ISO8601_LEN], src[64];
	for (int i = 0; i < 7; i++) {
		if (!vals[i])
			continue;
		time_format_iso8601(vals[i], ts);
		snprintf(src, sizeof(src), "record:%s", names[i]);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "at", ts, "actor", "",
						     "text", texts[i], "source", src));
	}
	/* The incident's timeline: actions, decisions and communications that no
	 * later entry corrects. */
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT t.id, COALESCE(t.occurred_at, t.recorded_at), t.author, t.text"
			  " FROM incident_timeline t WHERE t.org_id = $1 AND t.incident_id = $2"
			  " AND t.kind IN ('action','decision','communication')"
			  " AND NOT EXISTS (SELECT 1 FROM incident_timeline c WHERE c.corrects = t.id)"
			  " ORDER BY t.id LIMIT 500",
			  2, DBV(DB_INT(org_id), DB_INT(inc->id)));
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	while (db_next(r)) {
		time_format_iso8601(db_int(r, 1), ts);
		snprintf(src, sizeof(src), "timeline:%lld", (long long)db_int(r, 0));
		const char *author = rs_text(r, 2);
		if (!strncmp(author, "user:", 5))
			author += 5;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "at", ts, "actor", author,
						     "text", rs_text(r, 3), "source", src));
	}
	db_res_free(r);
	/* The audit trail of the incident, less what the timeline shows already. */
	rc = db_query(db, &r,
		      "SELECT seq, ts, actor, action, details FROM audit_log WHERE org_id = $1"
		      " AND object_type = 'incident' AND object_id = $2"
		      " AND action NOT LIKE 'incident.timeline%' ORDER BY seq LIMIT 300",
		      2, DBV(DB_INT(org_id), DB_TEXT(inc->uid)));
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	while (db_next(r)) {
		json_t *d = json_loads(rs_text(r, 4), 0, NULL);
		char text[300];
		describe(rs_text(r, 3), d, text, sizeof(text));
		json_decref(d);
		time_format_iso8601(db_int(r, 1), ts);
		snprintf(src, sizeof(src), "audit:%lld", (long long)db_int(r, 0));
		/* "user:a@b", "token:<id>(a@b)": show the person */
		const char *actor = rs_text(r, 2);
		const char *open = strchr(actor, '(');
		size_t alen = strlen(actor);
		json_t *who;
		if (open && alen && actor[alen - 1] == ')')
			who = json_stringn(open + 1, (size_t)(actor + alen - 1 - (open + 1)));
		else
			who = json_string(!strncmp(actor, "user:", 5) ? actor + 5 : actor);
		json_array_append_new(arr, json_pack("{s:s, s:o, s:s, s:s}", "at", ts, "actor", who,
						     "text", text, "source", src));
	}
	db_res_free(r);
	/* chronological: RFC 3339 UTC strings sort as times */
	size_t n = json_array_size(arr);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			json_t *a = json_array_get(arr, j - 1), *b = json_array_get(arr, j);
			if (strcmp(json_string_value(json_object_get(a, "at")),
				   json_string_value(json_object_get(b, "at"))) <= 0)
				break;
			json_incref(a);
			json_array_set(arr, j - 1, b);
			json_array_set_new(arr, j, a);
		}
	*out = arr;
	return 0;
}

static int signoffs_json(struct db *db, int64_t review_id, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT reviewer, name, comment, signed_at FROM pir_signoffs"
			  " WHERE review_id = $1 ORDER BY signed_at, reviewer",
			  1, DBV(DB_INT(review_id)));
	if (rc < 0)
		return rc;
	*out = json_array();
	while (db_next(r))
		json_array_append_new(*out, json_pack("{s:s, s:s, s:s, s:o}", "reviewer",
						      rs_text(r, 0), "name", rs_text(r, 1), "comment",
						      rs_text(r, 2), "signed_at", rs_time(r, 3)));
	db_res_free(r);
	return 0;
}

static json_t *t_or_null(int64_t t)
{
	if (!t)
		return json_null();
	char b[ISO8601_LEN];
	time_format_iso8601(t, b);
	return json_string(b);
}

static int build_json(struct db *db, int64_t org_id, const struct rs_incident *inc,
		      const struct rv_row *row, int64_t now, json_t **out)
{
	json_t *o = json_object(), *facts = NULL, *so = NULL, *items = NULL, *uids = NULL,
	       *cands = NULL, *missing = NULL;
	int rc;
	json_object_set_new(o, "id", json_string(row->uid));
	json_object_set_new(o, "incident", rs_incident_json(inc));
	json_object_set_new(o, "revision", json_integer(row->revision));
	json_object_set_new(o, "status", json_string(row->status));
	json_object_set_new(o, "author", json_string(row->author));
	static const char *const text_keys[] = {"summary", "went_well", "went_badly", NULL};
	for (const char *const *k = text_keys; *k; k++) {
		json_t *v = json_object_get(row->content, *k);
		json_object_set_new(o, *k, v ? json_incref(v) : json_string(""));
	}
	static const char *const arr_keys[] = {"actions_taken", "recommendations", NULL};
	for (const char *const *k = arr_keys; *k; k++) {
		json_t *v = json_object_get(row->content, *k);
		json_object_set_new(o, *k, v ? json_incref(v) : json_array());
	}
	static const char *const obj_keys[] = {"root_cause", "impact", NULL};
	for (const char *const *k = obj_keys; *k; k++) {
		json_t *v = json_object_get(row->content, *k);
		json_object_set_new(o, *k, v ? json_incref(v) : json_object());
	}
	if (row->facts) {
		facts = json_incref(row->facts);
	} else if ((rc = live_facts(db, org_id, inc, now, &facts)) < 0) {
		goto fail;
	}
	json_object_set_new(o, "facts", facts);
	facts = NULL;
	if ((rc = signoffs_json(db, row->id, &so)) < 0)
		goto fail;
	json_object_set_new(o, "signoffs", so);
	so = NULL;
	json_object_set_new(o, "required_signoffs", json_integer(row->required_signoffs));
	review_missing_sections(row->content, &missing);
	json_object_set_new(o, "missing_sections", missing);
	missing = NULL;
	/* action items raised from any revision of this incident's review */
	struct db_res *r;
	if ((rc = db_query(db, &r, "SELECT uid FROM pir_reviews WHERE org_id = $1 AND incident_id = $2",
			   2, DBV(DB_INT(org_id), DB_INT(inc->id)))) < 0)
		goto fail;
	uids = json_array();
	while (db_next(r))
		json_array_append_new(uids, json_string(rs_text(r, 0)));
	db_res_free(r);
	if ((rc = action_list_for_sources(db, org_id, "review", uids, now, &items)) < 0)
		goto fail;
	json_object_set_new(o, "action_items", items);
	items = NULL;
	if (strcmp(row->status, "published") != 0 && strcmp(row->status, "superseded") != 0) {
		if ((rc = candidates(db, org_id, inc, &cands)) < 0)
			goto fail;
		json_object_set_new(o, "candidates", cands);
		cands = NULL;
	}
	json_object_set_new(o, "created_at", t_or_null(row->created_at));
	json_object_set_new(o, "updated_at", t_or_null(row->updated_at));
	json_object_set_new(o, "submitted_at", t_or_null(row->submitted_at));
	json_object_set_new(o, "published_at", t_or_null(row->published_at));
	json_object_set_new(o, "superseded_at", t_or_null(row->superseded_at));
	json_object_set_new(o, "version", json_integer(row->version));
	json_decref(uids);
	*out = o;
	return 0;
fail:
	json_decref(o);
	json_decref(facts);
	json_decref(so);
	json_decref(items);
	json_decref(uids);
	json_decref(cands);
	json_decref(missing);
	return rc;
}

int review_get(struct db *db, int64_t org_id, const char *ref, int revision, int64_t now,
	       json_t **out)
{
	struct rs_incident inc;
	struct rv_row row = {0};
	int rc = rs_incident_find(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	rc = load_row(db, org_id, inc.id, revision, false, &row);
	if (rc < 0)
		return rc;
	rc = build_json(db, org_id, &inc, &row, now, out);
	row_free(&row);
	return rc;
}

int review_get_published(struct db *db, int64_t org_id, const char *ref, int64_t now,
			 json_t **out)
{
	struct rs_incident inc;
	struct rv_row row = {0};
	int rc = rs_incident_find(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	rc = load_row(db, org_id, inc.id, 0, true, &row);
	if (rc < 0)
		return rc;
	rc = build_json(db, org_id, &inc, &row, now, out);
	row_free(&row);
	return rc;
}

int review_revisions(struct db *db, int64_t org_id, const char *ref, json_t **out)
{
	struct rs_incident inc;
	int rc = rs_incident_find(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT uid, revision, status, author, created_at, submitted_at, published_at,"
		      " superseded_at FROM pir_reviews WHERE org_id = $1 AND incident_id = $2"
		      " ORDER BY revision",
		      2, DBV(DB_INT(org_id), DB_INT(inc.id)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	while (db_next(r))
		json_array_append_new(
			arr, json_pack("{s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o}", "id", rs_text(r, 0),
				       "revision", (json_int_t)db_int(r, 1), "status", rs_text(r, 2),
				       "author", rs_text(r, 3), "created_at", rs_time(r, 4),
				       "submitted_at", rs_time(r, 5), "published_at", rs_time(r, 6),
				       "superseded_at", rs_time(r, 7)));
	db_res_free(r);
	*out = json_pack("{s:o, s:o}", "incident", rs_incident_json(&inc), "items", arr);
	return 0;
}

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
}

int review_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		  const struct review_actor *who, const json_t *content, int64_t now,
		  struct op_result *res, json_t **out)
{
	struct rs_incident inc;
	struct rv_row prev = {0}, row = {0};
	json_t *base = NULL;
	char *text = NULL;
	int rc = rs_incident_find(db, org_id, ref, &inc);
	if (rc < 0)
		return op_fail(res, rc, "no such incident");
	rc = load_row(db, org_id, inc.id, 0, false, &prev);
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		return rc;
	bool have_prev = rc == 0;
	if (have_prev && (!strcmp(prev.status, "draft") || !strcmp(prev.status, "in_review"))) {
		rc = op_fail(res, SIRT_ECONFLICT,
			     "revision %d of this review is %s; edit it with PATCH instead of starting"
			     " another",
			     prev.revision, !strcmp(prev.status, "draft") ? "a draft" : "in review");
		goto out;
	}
	if (have_prev) {
		/* the next revision starts from the newest published one */
		struct rv_row pub = {0};
		rc = load_row(db, org_id, inc.id, 0, true, &pub);
		if (rc < 0)
			goto out;
		base = json_deep_copy(pub.content);
		row_free(&pub);
	} else {
		base = json_object();
		json_t *c;
		if ((rc = candidates(db, org_id, &inc, &c)) < 0)
			goto out;
		json_object_set_new(base, "actions_taken", c);
	}
	if (content)
		review_content_merge(base, content);
	struct review_policy pol;
	if ((rc = compliance_review_policy(db, org_id, &pol)) < 0)
		goto out;
	int revision = have_prev ? prev.revision + 1 : 1;
	char uid[37];
	rand_uuid(uid);
	text = dump(base);
	rc = db_exec(db,
		     "INSERT INTO pir_reviews(uid, org_id, incident_id, revision, status, content,"
		     " author, required_signoffs, created_at, updated_at, version)"
		     " VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $8, 1)",
		     8,
		     DBV(DB_TEXT(uid), DB_INT(org_id), DB_INT(inc.id), DB_INT(revision),
			 DB_TEXT(text), DB_TEXT(who->email ? who->email : ""), DB_INT(pol.signoffs),
			 DB_INT(now)));
	if (rc < 0) {
		if (db_last_was_constraint(db))
			rc = op_fail(res, SIRT_ECONFLICT,
				     "another revision of this review was started at the same time");
		goto out;
	}
	json_t *d = json_pack("{s:s, s:i}", "incident", inc.key, "revision", revision);
	rc = audit_append(db, ac, org_id, "review.create", "review", uid, d);
	json_decref(d);
	if (rc < 0)
		goto out;
	if ((rc = load_row(db, org_id, inc.id, revision, false, &row)) < 0)
		goto out;
	rc = build_json(db, org_id, &inc, &row, now, out);
out:
	free(text);
	json_decref(base);
	row_free(&prev);
	row_free(&row);
	return rc;
}

/* The incident and its newest revision, which must be draft or in_review. */
static int open_latest(struct db *db, int64_t org_id, const char *ref, struct rs_incident *inc,
		       struct rv_row *row, struct op_result *res)
{
	int rc = rs_incident_find(db, org_id, ref, inc);
	if (rc < 0)
		return op_fail(res, rc, "no such incident");
	rc = load_row(db, org_id, inc->id, 0, false, row);
	if (rc == SIRT_ENOTFOUND)
		return op_fail(res, rc,
			       "this incident has no review yet; POST /api/v1/incidents/%s/review"
			       " starts one",
			       inc->key);
	if (rc < 0)
		return rc;
	if (!strcmp(row->status, "published") || !strcmp(row->status, "superseded"))
		return op_fail(res, SIRT_ECONFLICT,
			       "revision %d is published and cannot change; POST"
			       " /api/v1/incidents/%s/review to start revision %d",
			       row->revision, inc->key, row->revision + 1);
	return 0;
}

static int reload(struct db *db, int64_t org_id, const struct rs_incident *inc, int revision,
		  int64_t now, json_t **out)
{
	struct rv_row row = {0};
	int rc = load_row(db, org_id, inc->id, revision, false, &row);
	if (rc == 0)
		rc = build_json(db, org_id, inc, &row, now, out);
	row_free(&row);
	return rc;
}

int review_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		  int64_t expect_version, const json_t *patch, int64_t now, struct op_result *res,
		  json_t **out)
{
	struct rs_incident inc;
	struct rv_row row = {0};
	char *text = NULL;
	int rc = open_latest(db, org_id, ref, &inc, &row, res);
	if (rc < 0)
		goto out;
	if (expect_version && expect_version != row.version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	review_content_merge(row.content, patch);
	text = dump(row.content);
	bool back_to_draft = !strcmp(row.status, "in_review");
	if (back_to_draft &&
	    (rc = db_exec(db, "DELETE FROM pir_signoffs WHERE review_id = $1", 1,
			  DBV(DB_INT(row.id)))) < 0)
		goto out;
	rc = db_exec(db,
		     "UPDATE pir_reviews SET content = $3, status = 'draft', submitted_at = NULL,"
		     " updated_at = $4, version = version + 1"
		     " WHERE id = $1 AND version = $2 AND status IN ('draft','in_review')",
		     4, DBV(DB_INT(row.id), DB_INT(row.version), DB_TEXT(text), DB_INT(now)));
	if (rc < 0)
		goto out;
	if (db_last_changes(db) != 1) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	json_t *sections = json_array();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)patch, k, v)
		json_array_append_new(sections, json_string(k));
	json_t *d = json_pack("{s:s, s:i, s:o, s:b}", "incident", inc.key, "revision", row.revision,
			      "sections", sections, "returned_to_draft", back_to_draft);
	rc = audit_append(db, ac, org_id, "review.update", "review", row.uid, d);
	json_decref(d);
	if (rc < 0)
		goto out;
	rc = reload(db, org_id, &inc, row.revision, now, out);
out:
	free(text);
	row_free(&row);
	return rc;
}

static int missing_to_errors(const json_t *content, const char *when, struct op_result *res)
{
	json_t *missing;
	int n = review_missing_sections(content, &missing);
	if (n > 0) {
		size_t i;
		json_t *m;
		char msg[160];
		snprintf(msg, sizeof(msg), "is empty; it is required before the review can be %s",
			 when);
		json_array_foreach(missing, i, m)
			op_field(res, json_string_value(m), msg);
		struct strbuf sb;
		sb_init(&sb, 1000);
		sb_printf(&sb, "%d required section%s empty: ", n, n == 1 ? " is" : "s are");
		json_array_foreach(missing, i, m)
			sb_printf(&sb, "%s%s", i ? ", " : "", json_string_value(m));
		snprintf(res->why, sizeof(res->why), "%s", sb_str(&sb));
		sb_free(&sb);
	}
	json_decref(missing);
	return n > 0 ? SIRT_EINVAL : 0;
}

int review_submit(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		  int64_t now, struct op_result *res, json_t **out)
{
	struct rs_incident inc;
	struct rv_row row = {0};
	int rc = open_latest(db, org_id, ref, &inc, &row, res);
	if (rc < 0)
		goto out;
	if (strcmp(row.status, "draft") != 0) {
		rc = op_fail(res, SIRT_ECONFLICT, "revision %d is already in review", row.revision);
		goto out;
	}
	if ((rc = missing_to_errors(row.content, "submitted", res)) < 0)
		goto out;
	struct review_policy pol;
	if ((rc = compliance_review_policy(db, org_id, &pol)) < 0)
		goto out;
	rc = db_exec(db,
		     "UPDATE pir_reviews SET status = 'in_review', submitted_at = $2, updated_at = $2,"
		     " required_signoffs = $3, version = version + 1 WHERE id = $1 AND status = 'draft'",
		     3, DBV(DB_INT(row.id), DB_INT(now), DB_INT(pol.signoffs)));
	if (rc < 0)
		goto out;
	json_t *d = json_pack("{s:s, s:i}", "incident", inc.key, "revision", row.revision);
	rc = audit_append(db, ac, org_id, "review.submit", "review", row.uid, d);
	json_decref(d);
	if (rc < 0)
		goto out;
	rc = reload(db, org_id, &inc, row.revision, now, out);
out:
	row_free(&row);
	return rc;
}

int review_signoff(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		   const struct review_actor *who, const char *comment, int64_t now,
		   struct op_result *res, json_t **out)
{
	struct rs_incident inc;
	struct rv_row row = {0};
	int rc = open_latest(db, org_id, ref, &inc, &row, res);
	if (rc < 0)
		goto out;
	if (strcmp(row.status, "in_review") != 0) {
		rc = op_fail(res, SIRT_ECONFLICT,
			     "revision %d is a draft; submit it for review before signing off",
			     row.revision);
		goto out;
	}
	if (!who->email || !*who->email) {
		rc = op_fail(res, SIRT_EPERM, "sign-off needs a named user");
		goto out;
	}
	int64_t have = 0;
	if ((rc = db_query_int(db, &have,
			       "SELECT count(*) FROM pir_signoffs WHERE review_id = $1 AND reviewer = $2",
			       2, DBV(DB_INT(row.id), DB_TEXT(who->email)))) < 0)
		goto out;
	if (have) {
		rc = op_fail(res, SIRT_ECONFLICT, "%s has already signed off revision %d",
			     who->email, row.revision);
		goto out;
	}
	rc = db_exec(db,
		     "INSERT INTO pir_signoffs(review_id, org_id, reviewer, name, comment, signed_at)"
		     " VALUES ($1, $2, $3, $4, $5, $6)",
		     6,
		     DBV(DB_INT(row.id), DB_INT(org_id), DB_TEXT(who->email),
			 DB_TEXT(who->name ? who->name : ""), DB_TEXT(comment ? comment : ""),
			 DB_INT(now)));
	if (rc < 0)
		goto out;
	json_t *d = json_pack("{s:s, s:i, s:s}", "incident", inc.key, "revision", row.revision,
			      "reviewer", who->email);
	rc = audit_append(db, ac, org_id, "review.signoff", "review", row.uid, d);
	json_decref(d);
	if (rc < 0)
		goto out;
	rc = reload(db, org_id, &inc, row.revision, now, out);
out:
	row_free(&row);
	return rc;
}

int review_publish(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		   int64_t now, struct op_result *res, json_t **out)
{
	struct rs_incident inc;
	struct rv_row row = {0};
	json_t *facts = NULL;
	char *text = NULL;
	int rc = open_latest(db, org_id, ref, &inc, &row, res);
	if (rc < 0)
		goto out;
	if (strcmp(row.status, "in_review") != 0) {
		rc = op_fail(res, SIRT_ECONFLICT,
			     "revision %d is a draft; submit it and have it signed off first",
			     row.revision);
		goto out;
	}
	if ((rc = missing_to_errors(row.content, "published", res)) < 0)
		goto out;
	struct review_policy pol;
	if ((rc = compliance_review_policy(db, org_id, &pol)) < 0)
		goto out;
	int need = pol.signoffs > row.required_signoffs ? pol.signoffs : row.required_signoffs;
	int64_t total = 0, others = 0;
	if ((rc = db_query_int(db, &total, "SELECT count(*) FROM pir_signoffs WHERE review_id = $1",
			       1, DBV(DB_INT(row.id)))) < 0)
		goto out;
	if ((rc = db_query_int(db, &others,
			       "SELECT count(*) FROM pir_signoffs WHERE review_id = $1 AND reviewer <> $2",
			       2, DBV(DB_INT(row.id), DB_TEXT(row.author)))) < 0)
		goto out;
	if (total < need) {
		char msg[200];
		snprintf(msg, sizeof(msg), "needs %d sign-off%s before publishing, has %lld", need,
			 need == 1 ? "" : "s", (long long)total);
		rc = op_field(res, "signoffs", msg);
		snprintf(res->why, sizeof(res->why), "the review %s", msg);
		goto out;
	}
	if (others == 0) {
		rc = op_field(res, "signoffs",
			      "must include someone other than the author: the author cannot be the"
			      " only sign-off");
		snprintf(res->why, sizeof(res->why),
			 "the author (%s) cannot be the only sign-off; another reviewer must sign off",
			 row.author);
		goto out;
	}
	if ((rc = live_facts(db, org_id, &inc, now, &facts)) < 0)
		goto out;
	json_object_set_new(facts, "frozen", json_true());
	text = dump(facts);
	rc = db_exec(db,
		     "UPDATE pir_reviews SET status = 'superseded', superseded_at = $3"
		     " WHERE org_id = $1 AND incident_id = $2 AND status = 'published'",
		     3, DBV(DB_INT(org_id), DB_INT(inc.id), DB_INT(now)));
	if (rc < 0)
		goto out;
	rc = db_exec(db,
		     "UPDATE pir_reviews SET status = 'published', facts = $2, published_at = $3,"
		     " updated_at = $3, required_signoffs = $4, version = version + 1"
		     " WHERE id = $1 AND status = 'in_review'",
		     4, DBV(DB_INT(row.id), DB_TEXT(text), DB_INT(now), DB_INT(need)));
	if (rc < 0)
		goto out;
	json_t *d = json_pack("{s:s, s:i, s:I}", "incident", inc.key, "revision", row.revision,
			      "signoffs", (json_int_t)total);
	rc = audit_append(db, ac, org_id, "review.publish", "review", row.uid, d);
	json_decref(d);
	if (rc < 0)
		goto out;
	rc = reload(db, org_id, &inc, row.revision, now, out);
out:
	free(text);
	json_decref(facts);
	row_free(&row);
	return rc;
}

int review_required_and_missing(struct db *db, int64_t org_id, int64_t incident_id, bool *missing)
{
	*missing = false;
	struct rs_incident inc;
	int rc = rs_incident_by_id(db, org_id, incident_id, &inc);
	if (rc < 0)
		return rc;
	struct review_policy pol;
	if ((rc = compliance_review_policy(db, org_id, &pol)) < 0)
		return rc;
	int rank = severity_rank(inc.severity);
	if (rank < 1 || !pol.required[rank])
		return 0;
	int64_t n = 0;
	rc = db_query_int(db, &n,
			  "SELECT count(*) FROM pir_reviews WHERE org_id = $1 AND incident_id = $2"
			  " AND status = 'published'",
			  2, DBV(DB_INT(org_id), DB_INT(incident_id)));
	if (rc < 0)
		return rc;
	*missing = n == 0;
	return 0;
}
