/*
 * The incident record: JSON <-> struct incident_new, validation, create,
 * read, update and lifecycle transitions. Listing and search are in
 * incident_search.c; timeline, tasks and indicators in their own files.
 *
 * Create, update and transition all end in the same place: a complete
 * struct incident_new (for an update: the stored record with the patch laid
 * over it) checked by check_record() and resolve_refs(), so a rule holds the
 * same way whichever path writes the record, imports included.
 */
#include "store/incident_store.h"
#include "store/plan_store.h"
#include "store/review_store.h"

#include <ctype.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/category.h"
#include "core/incident_key.h"
#include "core/lifecycle.h"
#include "core/utf8.h"
#include "notify/rules.h"
#include "store/incident_internal.h"
#include "util/jsonw.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DESCRIPTION_MAX 100000
#define SUMMARY_MAX 10000
#define SHORT_MAX 200
#define ITEM_MAX 500
#define TAG_MAX 64

/* Everything resolved against the database for one record. */
struct resolved {
	int64_t commander_id;
	int64_t duplicate_id;
	json_t *assignee_ids; /* arrays of integers */
	json_t *related_ids;
};

#define blank incident_blank
#define check_text incident_check_text
static void check_enum(json_t **errors, const char *field, const char *s, const char *const *list);
static void check_list(json_t **errors, const char *field, json_t *a, size_t itemmax);
static void check_record(const struct incident_new *in, int64_t now, json_t **errors);
static int resolve_refs(struct db *db, const struct incident_new *in, int64_t self_id,
			struct resolved *rs, json_t **errors);
static void resolved_free(struct resolved *rs);
static int write_sets(struct db *db, int64_t org_id, int64_t incident_id, const struct incident_new *in,
		      const struct resolved *rs, bool is_new, bool tags, bool assignees, bool related);
static char *list_text(json_t *a);

/* ---------------------------------------------------------------- columns */

/* The SELECT list of a full record; the numbers are the REC_* indices. */
#define REC_COLS_COMMON                                                                           \
	"i.id, i.uid, i.key, i.title, i.description, i.severity, i.status, i.detected_at,"       \
	" i.created_at, i.updated_at, i.version, i.created_by, i.category, i.attack_vector,"      \
	" i.veris_action, i.resolution, i.resolution_summary, i.root_cause_category,"             \
	" i.occurred_at, i.aware_at, i.acknowledged_at, i.contained_at, i.resolved_at,"           \
	" i.closed_at, i.reporter, (SELECT cu.email FROM users cu WHERE cu.id = i.commander_id)," \
	" i.affected_systems, i.affected_customers, i.data_types, i.personal_data,"               \
	" i.impact_functional, i.impact_information, i.impact_recoverability, i.tlp,"             \
	" i.plan_version, i.reject_reason,"                                                       \
	" (SELECT di.key FROM incidents di WHERE di.id = i.duplicate_of), i.source,"              \
	" i.external_ref, i.playbook_category,"

#define RELATED_IDS                                                                     \
	"SELECT l.to_id FROM incident_links l WHERE l.from_id = i.id AND l.kind = 'related'" \
	" UNION SELECT l2.from_id FROM incident_links l2 WHERE l2.to_id = i.id AND l2.kind = 'related'"

/* Most incidents have no assignees, tags or related incidents: an EXISTS
 * probe of the index is much cheaper than the ordered sub-select that builds
 * the JSON array, which opens a sorter even for no rows. */
static const char rec_cols_sqlite[] =
	REC_COLS_COMMON
	" CASE WHEN EXISTS (SELECT 1 FROM incident_assignees a WHERE a.incident_id = i.id) THEN"
	" (SELECT json_group_array(email) FROM (SELECT u.email FROM incident_assignees a"
	"  JOIN users u ON u.id = a.user_id WHERE a.incident_id = i.id ORDER BY u.email))"
	" ELSE '[]' END,"
	" CASE WHEN EXISTS (SELECT 1 FROM incident_tags t WHERE t.incident_id = i.id) THEN"
	" (SELECT json_group_array(tag) FROM (SELECT t.tag FROM incident_tags t"
	"  WHERE t.incident_id = i.id ORDER BY t.tag)) ELSE '[]' END,"
	" CASE WHEN EXISTS (SELECT 1 FROM incident_links l WHERE l.from_id = i.id"
	"  AND l.kind = 'related') OR EXISTS (SELECT 1 FROM incident_links l WHERE l.to_id = i.id"
	"  AND l.kind = 'related') THEN"
	" (SELECT json_group_array(key) FROM (SELECT r.key FROM incidents r WHERE r.id IN ("
	RELATED_IDS ") ORDER BY r.key)) ELSE '[]' END";

static const char rec_cols_pg[] =
	REC_COLS_COMMON
	" (SELECT COALESCE(json_agg(u.email ORDER BY u.email), '[]') FROM incident_assignees a"
	"  JOIN users u ON u.id = a.user_id WHERE a.incident_id = i.id),"
	" (SELECT COALESCE(json_agg(t.tag ORDER BY t.tag), '[]') FROM incident_tags t"
	"  WHERE t.incident_id = i.id),"
	" (SELECT COALESCE(json_agg(r.key ORDER BY r.key), '[]') FROM incidents r WHERE r.id IN ("
	RELATED_IDS "))";

enum {
	REC_ID, REC_UID, REC_KEY, REC_TITLE, REC_DESCRIPTION, REC_SEVERITY, REC_STATUS,
	REC_DETECTED, REC_CREATED, REC_UPDATED, REC_VERSION, REC_CREATED_BY, REC_CATEGORY,
	REC_ATTACK_VECTOR, REC_VERIS_ACTION, REC_RESOLUTION, REC_RESOLUTION_SUMMARY,
	REC_ROOT_CAUSE, REC_OCCURRED, REC_AWARE, REC_ACKNOWLEDGED, REC_CONTAINED, REC_RESOLVED,
	REC_CLOSED, REC_REPORTER, REC_COMMANDER, REC_SYSTEMS, REC_CUSTOMERS, REC_DATA_TYPES,
	REC_PERSONAL, REC_IMPACT_F, REC_IMPACT_I, REC_IMPACT_R, REC_TLP, REC_PLAN_VERSION,
	REC_REJECT_REASON, REC_DUPLICATE_OF, REC_SOURCE, REC_EXTERNAL_REF, REC_PLAYBOOK,
	REC_ASSIGNEES, REC_TAGS, REC_RELATED,
};

const char *incident_record_cols(struct db *db)
{
	return db_is_postgres(db) ? rec_cols_pg : rec_cols_sqlite;
}

json_t *incident_time_json(const struct db_res *r, int col)
{
	if (db_isnull(r, col))
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(db_int(r, col), buf);
	return json_string(buf);
}

/* A JSON array column (stored JSON text or SQLite's json_group_array()),
 * written as it is; anything else as []. */
static void array_col(struct strbuf *sb, const struct db_res *r, int col)
{
	const char *s = db_text(r, col);
	size_t n = s ? strlen(s) : 0;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		sb_append(sb, s, n);
	else
		sb_append(sb, "[]", 2);
}

static void time_col(struct strbuf *sb, const struct db_res *r, int col)
{
	jw_time(sb, db_int(r, col), db_isnull(r, col));
}

void incident_row_write(struct strbuf *sb, const struct db_res *r)
{
	static const struct {
		const char *key;
		int col;
		char kind; /* s(tring) t(ime) a(rray) b(ool) i(nteger) */
	} f[] = {
		{"id", REC_UID, 's'},
		{"key", REC_KEY, 's'},
		{"title", REC_TITLE, 's'},
		{"description", REC_DESCRIPTION, 's'},
		{"severity", REC_SEVERITY, 's'},
		{"status", REC_STATUS, 's'},
		{"category", REC_CATEGORY, 's'},
		{"attack_vector", REC_ATTACK_VECTOR, 's'},
		{"veris_action", REC_VERIS_ACTION, 's'},
		{"resolution", REC_RESOLUTION, 's'},
		{"resolution_summary", REC_RESOLUTION_SUMMARY, 's'},
		{"root_cause_category", REC_ROOT_CAUSE, 's'},
		{"occurred_at", REC_OCCURRED, 't'},
		{"detected_at", REC_DETECTED, 't'},
		{"aware_at", REC_AWARE, 't'},
		{"acknowledged_at", REC_ACKNOWLEDGED, 't'},
		{"contained_at", REC_CONTAINED, 't'},
		{"resolved_at", REC_RESOLVED, 't'},
		{"closed_at", REC_CLOSED, 't'},
		{"reporter", REC_REPORTER, 's'},
		{"commander", REC_COMMANDER, 's'},
		{"assignees", REC_ASSIGNEES, 'a'},
		{"affected_systems", REC_SYSTEMS, 'a'},
		{"affected_customers", REC_CUSTOMERS, 'a'},
		{"data_types", REC_DATA_TYPES, 'a'},
		{"personal_data", REC_PERSONAL, 'b'},
		{"impact_functional", REC_IMPACT_F, 's'},
		{"impact_information", REC_IMPACT_I, 's'},
		{"impact_recoverability", REC_IMPACT_R, 's'},
		{"tlp", REC_TLP, 's'},
		{"tags", REC_TAGS, 'a'},
		{"related", REC_RELATED, 'a'},
		{"plan_version", REC_PLAN_VERSION, 's'},
		{"reject_reason", REC_REJECT_REASON, 's'},
		{"duplicate_of", REC_DUPLICATE_OF, 's'},
		{"source", REC_SOURCE, 's'},
		{"external_ref", REC_EXTERNAL_REF, 's'},
		{"created_at", REC_CREATED, 't'},
		{"updated_at", REC_UPDATED, 't'},
		{"created_by", REC_CREATED_BY, 's'},
		{"version", REC_VERSION, 'i'},
	};
	sb_putc(sb, '{');
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		jw_key(sb, f[k].key, k == 0);
		switch (f[k].kind) {
		case 's': jw_string(sb, db_text(r, f[k].col)); break;
		case 't': time_col(sb, r, f[k].col); break;
		case 'a': array_col(sb, r, f[k].col); break;
		case 'b': sb_puts(sb, db_int(r, f[k].col) ? "true" : "false"); break;
		default: jw_int(sb, db_int(r, f[k].col)); break;
		}
	}
	sb_putc(sb, '}');
}

json_t *incident_row_json(const struct db_res *r)
{
	struct strbuf sb;
	sb_init(&sb, SB_DEFAULT_MAX);
	incident_row_write(&sb, r);
	json_t *o = sb_status(&sb) == 0 ? json_loads(sb_str(&sb), 0, NULL) : NULL;
	sb_free(&sb);
	return o ? o : json_object();
}

/* ---------------------------------------------------------------- lookups */

static bool looks_like_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* "uid = $2" or "key = $2" with the key upper-cased into buf. */
const char *incident_ref_cond(const char *ref, char *buf, size_t len, const char **val)
{
	if (looks_like_uuid(ref)) {
		*val = ref;
		return "i.uid = $2";
	}
	snprintf(buf, len, "%s", ref);
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	*val = buf;
	return "i.key = $2";
}

int incident_lookup(struct db *db, int64_t org_id, const char *ref, struct incident_ref *out)
{
	if (!ref || !*ref || strlen(ref) > 64)
		return SIRT_ENOTFOUND;
	char buf[72], sql[256];
	const char *val;
	const char *cond = incident_ref_cond(ref, buf, sizeof(buf), &val);
	snprintf(sql, sizeof(sql),
		 "SELECT i.id, i.uid, i.key, i.status, i.tlp, i.version FROM incidents i"
		 " WHERE i.org_id = $1 AND %s", cond);
	struct db_res *r;
	int rc = db_query(db, &r, sql, 2, DBV(DB_INT(org_id), DB_TEXT(val)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		memset(out, 0, sizeof(*out));
		out->id = db_int(r, 0);
		snprintf(out->uid, sizeof(out->uid), "%s", db_text(r, 1));
		snprintf(out->key, sizeof(out->key), "%s", db_text(r, 2));
		snprintf(out->status, sizeof(out->status), "%s", db_text(r, 3));
		snprintf(out->tlp, sizeof(out->tlp), "%s", db_text(r, 4));
		out->version = db_int(r, 5);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int incident_member(struct db *db, int64_t org_id, const char *email, int64_t *user_id)
{
	if (!email || !*email || strlen(email) > 254)
		return SIRT_ENOTFOUND;
	char lower[256];
	size_t i = 0;
	for (; email[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)email[i]);
	lower[i] = '\0';
	return db_query_int(db, user_id,
			    "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id"
			    " WHERE m.org_id = $1 AND u.email = $2",
			    2, DBV(DB_INT(org_id), DB_TEXT(lower)));
}

static char *sqls_get[2][2]; /* [postgres][by key] */

static void build_get_sql(void)
{
	const char *cols[2] = {rec_cols_sqlite, rec_cols_pg};
	const char *cond[2] = {"i.uid = $2", "i.key = $2"};
	for (int b = 0; b < 2; b++)
		for (int k = 0; k < 2; k++)
			sqls_get[b][k] = xasprintf("SELECT %s FROM incidents i WHERE i.org_id = $1 AND %s",
						   cols[b], cond[k]);
}

/* Runs the record query; *res is positioned on the row, or SIRT_ENOTFOUND. */
static int get_row(struct db *db, int64_t org_id, const char *ref, struct db_res **res)
{
	if (!ref || !*ref || strlen(ref) > 64)
		return SIRT_ENOTFOUND;
	char buf[72];
	const char *val;
	const char *cond = incident_ref_cond(ref, buf, sizeof(buf), &val);
	/* the four statements (backend x by uid or key), built once */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_get_sql);
	const char *sql = sqls_get[db_is_postgres(db)][strcmp(cond, "i.uid = $2") != 0];
	int rc = db_query(db, res, sql, 2, DBV(DB_INT(org_id), DB_TEXT(val)));
	if (rc < 0)
		return rc;
	if (!db_next(*res)) {
		db_res_free(*res);
		return SIRT_ENOTFOUND;
	}
	return 0;
}

int incident_get(struct db *db, int64_t org_id, const char *ref, json_t **out)
{
	struct db_res *r;
	int rc = get_row(db, org_id, ref, &r);
	if (rc < 0)
		return rc;
	*out = incident_row_json(r);
	db_res_free(r);
	return 0;
}

int incident_get_text(struct db *db, int64_t org_id, const char *ref, struct strbuf *out,
		      int64_t *version)
{
	struct db_res *r;
	int rc = get_row(db, org_id, ref, &r);
	if (rc < 0)
		return rc;
	incident_row_write(out, r);
	*version = db_int(r, REC_VERSION);
	db_res_free(r);
	return sb_status(out) < 0 ? SIRT_ETOOBIG : 0;
}

const char *incident_author(const struct audit_ctx *ac, char *buf, size_t len)
{
	const char *a = ac && ac->actor ? ac->actor : "system";
	if (strncmp(a, "user:", 5) == 0) {
		snprintf(buf, len, "%s", a + 5);
		return buf;
	}
	const char *open = strchr(a, '(');
	size_t n = strlen(a);
	if (strncmp(a, "token:", 6) == 0 && open && n && a[n - 1] == ')') {
		snprintf(buf, len, "%.*s", (int)(a + n - 1 - open - 1), open + 1);
		return buf;
	}
	snprintf(buf, len, "%s", a);
	return buf;
}

/* ---------------------------------------------------------------- JSON in */

static const char *str_field(json_t *obj, const char *name, json_t **errors)
{
	json_t *v = json_object_get(obj, name);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		incident_error_add(errors, name, "must be a string");
		return NULL;
	}
	return json_string_value(v);
}

static int64_t time_field(json_t *obj, const char *name, json_t **errors)
{
	json_t *v = json_object_get(obj, name);
	if (!v || json_is_null(v))
		return 0;
	int64_t t;
	if (!json_is_string(v) || time_parse_iso8601(json_string_value(v), &t) < 0) {
		incident_error_add(errors, name,
				   "must be an RFC 3339 date-time with offset, e.g. 2026-03-01T14:30:00Z");
		return 0;
	}
	return t;
}

static json_t *array_field(json_t *obj, const char *name, json_t **errors)
{
	json_t *v = json_object_get(obj, name);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_array(v)) {
		incident_error_add(errors, name, "must be an array of strings");
		return NULL;
	}
	return v;
}

void incident_new_from_json(json_t *obj, struct incident_new *in, json_t **errors)
{
	in->title = str_field(obj, "title", errors);
	in->description = str_field(obj, "description", errors);
	in->severity = str_field(obj, "severity", errors);
	in->status = str_field(obj, "status", errors);
	in->category = str_field(obj, "category", errors);
	in->attack_vector = str_field(obj, "attack_vector", errors);
	in->veris_action = str_field(obj, "veris_action", errors);
	in->resolution = str_field(obj, "resolution", errors);
	in->resolution_summary = str_field(obj, "resolution_summary", errors);
	in->root_cause_category = str_field(obj, "root_cause_category", errors);
	in->occurred_at = time_field(obj, "occurred_at", errors);
	in->detected_at = time_field(obj, "detected_at", errors);
	in->aware_at = time_field(obj, "aware_at", errors);
	in->acknowledged_at = time_field(obj, "acknowledged_at", errors);
	in->contained_at = time_field(obj, "contained_at", errors);
	in->resolved_at = time_field(obj, "resolved_at", errors);
	in->closed_at = time_field(obj, "closed_at", errors);
	in->reporter = str_field(obj, "reporter", errors);
	in->commander = str_field(obj, "commander", errors);
	in->assignees = array_field(obj, "assignees", errors);
	in->affected_systems = array_field(obj, "affected_systems", errors);
	in->affected_customers = array_field(obj, "affected_customers", errors);
	in->data_types = array_field(obj, "data_types", errors);
	json_t *pd = json_object_get(obj, "personal_data");
	if (pd && !json_is_null(pd) && !json_is_boolean(pd))
		incident_error_add(errors, "personal_data", "must be true or false");
	in->personal_data = json_is_true(pd);
	in->impact_functional = str_field(obj, "impact_functional", errors);
	in->impact_information = str_field(obj, "impact_information", errors);
	in->impact_recoverability = str_field(obj, "impact_recoverability", errors);
	in->tlp = str_field(obj, "tlp", errors);
	in->tags = array_field(obj, "tags", errors);
	in->related = array_field(obj, "related", errors);
	in->plan_version = str_field(obj, "plan_version", errors);
	in->reject_reason = str_field(obj, "reject_reason", errors);
	in->duplicate_of = str_field(obj, "duplicate_of", errors);
	in->source = str_field(obj, "source", errors);
	in->external_ref = str_field(obj, "external_ref", errors);
}

/* ---------------------------------------------------------------- checks */

void incident_error_add(json_t **errors, const char *field, const char *message)
{
	if (!*errors)
		*errors = json_array();
	json_array_append_new(*errors, json_pack("{s:s, s:s}", "field", field, "message", message));
}

bool incident_blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

void incident_check_text(json_t **errors, const char *field, const char *s, size_t max, bool multi)
{
	if (!s)
		return;
	size_t ncp;
	char msg[128];
	if (!utf8_valid(s, strlen(s), &ncp)) {
		incident_error_add(errors, field, "is not valid UTF-8");
		return;
	}
	if (ncp > max) {
		snprintf(msg, sizeof(msg), "must be at most %zu characters", max);
		incident_error_add(errors, field, msg);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool allowed = multi && (*p == '\n' || *p == '\r' || *p == '\t');
		if ((*p < 0x20 && !allowed) || *p == 0x7f) {
			incident_error_add(errors, field, "contains control characters");
			return;
		}
	}
}

static void check_enum(json_t **errors, const char *field, const char *s, const char *const *list)
{
	if (!s || enum_contains(list, s))
		return;
	struct strbuf sb;
	sb_init(&sb, 2000);
	sb_puts(&sb, "must be one of: ");
	enum_join(list, &sb);
	incident_error_add(errors, field, sb_str(&sb));
	sb_free(&sb);
}

static void check_list(json_t **errors, const char *field, json_t *a, size_t itemmax)
{
	if (!a)
		return;
	char msg[160];
	if (json_array_size(a) > INCIDENT_LIST_MAX) {
		snprintf(msg, sizeof(msg), "must have at most %d items", INCIDENT_LIST_MAX);
		incident_error_add(errors, field, msg);
		return;
	}
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x) {
		const char *s = json_string_value(x);
		if (!s || blank(s) || strlen(s) != json_string_length(x)) {
			snprintf(msg, sizeof(msg), "item %zu must be a non-blank string", i);
			incident_error_add(errors, field, msg);
			return;
		}
		json_t *sub = NULL;
		check_text(&sub, field, s, itemmax, false);
		if (sub) {
			snprintf(msg, sizeof(msg), "item %zu %s", i,
				 json_string_value(json_object_get(json_array_get(sub, 0), "message")));
			json_decref(sub);
			incident_error_add(errors, field, msg);
			return;
		}
	}
}

static void times_of(const struct incident_new *in, struct incident_times *t)
{
	t->occurred_at = in->occurred_at;
	t->detected_at = in->detected_at;
	t->became_aware_at = in->aware_at;
	t->acknowledged_at = in->acknowledged_at;
	t->contained_at = in->contained_at;
	t->resolved_at = in->resolved_at;
	t->closed_at = in->closed_at;
}

/* lifecycle.h names awareness became_aware_at; the record calls it aware_at. */
void incident_check_times(const struct incident_new *in, int64_t now, json_t **errors)
{
	struct incident_times t;
	times_of(in, &t);
	const char *field = NULL;
	struct strbuf why;
	sb_init(&why, 512);
	if (lifecycle_check_times(&t, now, &field, &why) < 0) {
		struct strbuf msg;
		sb_init(&msg, 512);
		const char *s = sb_str(&why);
		const char *hit;
		while ((hit = strstr(s, "became_aware_at"))) {
			sb_append(&msg, s, (size_t)(hit - s));
			sb_puts(&msg, "aware_at");
			s = hit + strlen("became_aware_at");
		}
		sb_puts(&msg, s);
		incident_error_add(errors, strcmp(field, "became_aware_at") == 0 ? "aware_at" : field,
				   sb_str(&msg));
		sb_free(&msg);
	}
	sb_free(&why);
}

static void check_record(const struct incident_new *in, int64_t now, json_t **errors)
{
	if (blank(in->title))
		incident_error_add(errors, "title", in->title ? "must not be blank" : "is required");
	check_text(errors, "title", in->title, INCIDENT_TITLE_MAX, false);
	check_text(errors, "description", in->description, DESCRIPTION_MAX, true);
	if (!in->severity)
		incident_error_add(errors, "severity", "is required");
	else if (!severity_valid(in->severity))
		incident_error_add(errors, "severity", "must be one of: critical, high, medium, low");
	if (in->status && !lifecycle_status_valid(in->status))
		incident_error_add(errors, "status",
				   "must be one of: new, triage, containment, eradication, recovery,"
				   " resolved, closed, rejected");
	check_enum(errors, "category", in->category, incident_categories);
	check_enum(errors, "attack_vector", in->attack_vector, attack_vectors);
	check_enum(errors, "veris_action", in->veris_action, veris_actions);
	check_enum(errors, "resolution", in->resolution, incident_resolutions);
	check_text(errors, "resolution_summary", in->resolution_summary, SUMMARY_MAX, true);
	check_enum(errors, "root_cause_category", in->root_cause_category, root_cause_categories);
	check_text(errors, "reporter", in->reporter, SHORT_MAX, false);
	check_list(errors, "assignees", in->assignees, 254);
	check_list(errors, "affected_systems", in->affected_systems, ITEM_MAX);
	check_list(errors, "affected_customers", in->affected_customers, ITEM_MAX);
	check_list(errors, "data_types", in->data_types, ITEM_MAX);
	check_enum(errors, "impact_functional", in->impact_functional, impact_functional_levels);
	check_enum(errors, "impact_information", in->impact_information, impact_information_levels);
	check_enum(errors, "impact_recoverability", in->impact_recoverability,
		   impact_recoverability_levels);
	check_enum(errors, "tlp", in->tlp, tlp_levels);
	check_list(errors, "tags", in->tags, TAG_MAX);
	check_list(errors, "related", in->related, 64);
	check_text(errors, "plan_version", in->plan_version, 100, false);
	check_enum(errors, "reject_reason", in->reject_reason, reject_reasons);
	check_enum(errors, "source", in->source, incident_sources);
	check_text(errors, "external_ref", in->external_ref, SHORT_MAX, false);
	bool rejected = in->status && strcmp(in->status, "rejected") == 0;
	if (in->reject_reason && !rejected)
		incident_error_add(errors, "reject_reason", "is only for a rejected incident");
	if (rejected && !in->reject_reason)
		incident_error_add(errors, "reject_reason",
				   "a rejected incident needs false_positive or duplicate");
	if (in->duplicate_of && !(in->reject_reason && strcmp(in->reject_reason, "duplicate") == 0))
		incident_error_add(errors, "duplicate_of", "is only for an incident rejected as duplicate");
	if (in->reject_reason && strcmp(in->reject_reason, "duplicate") == 0 && !in->duplicate_of)
		incident_error_add(errors, "duplicate_of", "a duplicate needs the original's key");
	incident_check_times(in, now, errors);
}

/* A sorted array without repeats: e-mails and tags lower-cased, keys upper-cased. */
json_t *incident_norm_set(json_t *a, int mode)
{
	json_t *out = json_array();
	if (!a)
		return out;
	size_t n = json_array_size(a);
	char **v = xcalloc(n ? n : 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (!s)
			continue;
		while (isspace((unsigned char)*s))
			s++;
		char *c = xstrdup(s);
		size_t l = strlen(c);
		while (l && isspace((unsigned char)c[l - 1]))
			c[--l] = '\0';
		for (char *p = c; *p; p++)
			*p = (char)(mode == NORM_UPPER ? toupper((unsigned char)*p)
						       : tolower((unsigned char)*p));
		v[k++] = c;
	}
	qsort(v, k, sizeof(*v), incident_strcmp_p);
	for (size_t i = 0; i < k; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			json_array_append_new(out, json_string(v[i]));
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free(v);
	return out;
}

int incident_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int resolve_refs(struct db *db, const struct incident_new *in, int64_t self_id,
			struct resolved *rs, json_t **errors)
{
	int rc;
	memset(rs, 0, sizeof(*rs));
	rs->assignee_ids = json_array();
	rs->related_ids = json_array();
	if (in->commander) {
		rc = incident_member(db, in->org_id, in->commander, &rs->commander_id);
		if (rc == SIRT_ENOTFOUND)
			incident_error_add(errors, "commander",
					   "is not the e-mail of a member of this organisation");
		else if (rc < 0)
			return rc;
	}
	size_t i;
	json_t *x;
	json_array_foreach(in->assignees, i, x) {
		int64_t uid;
		rc = incident_member(db, in->org_id, json_string_value(x), &uid);
		if (rc == SIRT_ENOTFOUND) {
			char msg[320];
			snprintf(msg, sizeof(msg), "%s is not a member of this organisation",
				 json_string_value(x));
			incident_error_add(errors, "assignees", msg);
			continue;
		}
		if (rc < 0)
			return rc;
		json_array_append_new(rs->assignee_ids, json_integer(uid));
	}
	json_array_foreach(in->related, i, x) {
		struct incident_ref ref;
		rc = incident_lookup(db, in->org_id, json_string_value(x), &ref);
		if (rc == SIRT_ENOTFOUND || (rc == 0 && ref.id == self_id)) {
			char msg[200];
			snprintf(msg, sizeof(msg), "%.64s is not another incident of this organisation",
				 json_string_value(x));
			incident_error_add(errors, "related", msg);
			continue;
		}
		if (rc < 0)
			return rc;
		json_array_append_new(rs->related_ids, json_integer(ref.id));
	}
	if (in->duplicate_of) {
		struct incident_ref ref;
		rc = incident_lookup(db, in->org_id, in->duplicate_of, &ref);
		if (rc == SIRT_ENOTFOUND || (rc == 0 && ref.id == self_id))
			incident_error_add(errors, "duplicate_of",
					   "is not another incident of this organisation");
		else if (rc < 0)
			return rc;
		else
			rs->duplicate_id = ref.id;
	}
	return 0;
}

static void resolved_free(struct resolved *rs)
{
	json_decref(rs->assignee_ids);
	json_decref(rs->related_ids);
}

static char *list_text(json_t *a)
{
	if (!a)
		return xstrdup("[]");
	char *s = json_dumps(a, JSON_COMPACT);
	if (!s)
		return xstrdup("[]");
	char *c = xstrdup(s);
	free(s);
	return c;
}

/* Replaces the tags, assignees and related links (the ones asked for);
 * on a new incident (is_new) there is nothing to remove first. */
static int write_sets(struct db *db, int64_t org_id, int64_t incident_id, const struct incident_new *in,
		      const struct resolved *rs, bool is_new, bool tags, bool assignees, bool related)
{
	int rc;
	size_t i;
	json_t *x;
	if (tags) {
		rc = is_new ? 0
			    : db_exec(db, "DELETE FROM incident_tags WHERE incident_id = $1", 1,
				      DBV(DB_INT(incident_id)));
		if (rc < 0)
			return rc;
		json_t *set = incident_norm_set(in->tags, NORM_LOWER);
		json_array_foreach(set, i, x) {
			rc = db_exec(db, "INSERT INTO incident_tags(org_id, incident_id, tag) VALUES ($1, $2, $3)",
				     3, DBV(DB_INT(org_id), DB_INT(incident_id), DB_TEXT(json_string_value(x))));
			if (rc < 0) {
				json_decref(set);
				return rc;
			}
		}
		json_decref(set);
	}
	if (assignees) {
		rc = is_new ? 0
			    : db_exec(db, "DELETE FROM incident_assignees WHERE incident_id = $1", 1,
				      DBV(DB_INT(incident_id)));
		if (rc < 0)
			return rc;
		json_array_foreach(rs->assignee_ids, i, x) {
			rc = db_exec(db, "INSERT INTO incident_assignees(incident_id, user_id) VALUES ($1, $2)"
				     " ON CONFLICT DO NOTHING",
				     2, DBV(DB_INT(incident_id), DB_INT(json_integer_value(x))));
			if (rc < 0)
				return rc;
		}
	}
	if (related) {
		rc = is_new ? 0
			    : db_exec(db, "DELETE FROM incident_links WHERE kind = 'related' AND"
					  " (from_id = $1 OR to_id = $1)", 1, DBV(DB_INT(incident_id)));
		if (rc < 0)
			return rc;
		json_array_foreach(rs->related_ids, i, x) {
			rc = db_exec(db, "INSERT INTO incident_links(org_id, from_id, to_id, kind, created_at)"
				     " VALUES ($1, $2, $3, 'related', $4) ON CONFLICT DO NOTHING",
				     4, DBV(DB_INT(org_id), DB_INT(incident_id), DB_INT(json_integer_value(x)),
					    DB_INT(time_now())));
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static struct db_val time_val(int64_t t)
{
	return t ? DB_INT(t) : DB_NULL();
}

/* ---------------------------------------------------------------- create */

int incident_create(struct db *db, const struct audit_ctx *ac, const struct incident_new *in,
		    json_t **out)
{
	int64_t now = time_now();
	json_t *errors = NULL;
	struct resolved rs = {0};
	char *systems = NULL, *customers = NULL, *dtypes = NULL;
	*out = NULL;
	check_record(in, now, &errors);
	int rc = resolve_refs(db, in, 0, &rs, &errors);
	if (rc < 0)
		goto fail;
	if (errors) {
		*out = errors;
		errors = NULL;
		rc = SIRT_EINVAL;
		goto fail;
	}
	if (in->external_ref) {
		int64_t other;
		rc = db_query_int(db, &other,
				  "SELECT id FROM incidents WHERE org_id = $1 AND external_ref = $2", 2,
				  DBV(DB_INT(in->org_id), DB_TEXT(in->external_ref)));
		if (rc == 0) {
			char uid[40];
			struct db_res *r;
			rc = db_query(db, &r, "SELECT uid FROM incidents WHERE id = $1", 1, DBV(DB_INT(other)));
			if (rc < 0)
				goto fail;
			snprintf(uid, sizeof(uid), "%s", db_next(r) ? db_text(r, 0) : "");
			db_res_free(r);
			rc = incident_get(db, in->org_id, uid, out);
			if (rc == 0)
				rc = SIRT_ECONFLICT;
			goto fail;
		}
		if (rc != SIRT_ENOTFOUND)
			goto fail;
	}
	int64_t y;
	unsigned m, d;
	time_civil_from_days(now / 86400, &y, &m, &d);
	int64_t seq;
	rc = db_query_int(db, &seq,
			  "INSERT INTO incident_counters(org_id, year, next_seq) VALUES ($1, $2, 2)"
			  " ON CONFLICT (org_id, year) DO UPDATE"
			  " SET next_seq = incident_counters.next_seq + 1 RETURNING next_seq - 1",
			  2, DBV(DB_INT(in->org_id), DB_INT(y)));
	if (rc < 0)
		goto fail;
	char prefix[32] = "INC";
	struct db_res *r;
	rc = db_query(db, &r, "SELECT key_prefix FROM orgs WHERE id = $1", 1, DBV(DB_INT(in->org_id)));
	if (rc < 0)
		goto fail;
	if (db_next(r))
		snprintf(prefix, sizeof(prefix), "%s", db_text(r, 0));
	db_res_free(r);
	char key[INCIDENT_KEY_MAX], uid[37];
	if (incident_key_format(key, sizeof(key), prefix, (int)y, seq) < 0)
		snprintf(key, sizeof(key), "INC-%04d-%04" PRId64, (int)y, seq);
	rand_uuid(uid);
	systems = list_text(in->affected_systems);
	customers = list_text(in->affected_customers);
	dtypes = list_text(in->data_types);
	const char *status = in->status ? in->status : "new";
	bool playbook = in->category && lifecycle_status_is_open(status);
	/* Each incident records the IR plan version in force when it was opened. */
	struct plan_ref plan;
	const char *plan_version = in->plan_version;
	if (!plan_version) {
		rc = plan_in_force(db, in->org_id, &plan);
		if (rc == 0)
			plan_version = plan.label;
		else if (rc != SIRT_ENOTFOUND)
			goto fail;
	}
	int64_t id;
	rc = db_query_int(
		db, &id,
		"INSERT INTO incidents(uid, org_id, key, title, description, severity, status,"
		" detected_at, created_at, updated_at, version, created_by, category, attack_vector,"
		" veris_action, resolution, resolution_summary, root_cause_category, occurred_at,"
		" aware_at, acknowledged_at, contained_at, resolved_at, closed_at, reporter,"
		" commander_id, affected_systems, affected_customers, data_types, personal_data,"
		" impact_functional, impact_information, impact_recoverability, tlp, plan_version,"
		" reject_reason, duplicate_of, source, external_ref, playbook_category)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1, $10, $11, $12, $13, $14, $15, $16,"
		" $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33,"
		" $34, $35, $36, $37, $38) RETURNING id",
		38,
		DBV(DB_TEXT(uid), DB_INT(in->org_id), DB_TEXT(key), DB_TEXT(in->title),
		    DB_TEXT(in->description ? in->description : ""), DB_TEXT(in->severity),
		    DB_TEXT(status), time_val(in->detected_at), DB_INT(now),
		    DB_TEXT(in->created_by ? in->created_by : ""), DB_TEXT(in->category),
		    DB_TEXT(in->attack_vector), DB_TEXT(in->veris_action), DB_TEXT(in->resolution),
		    DB_TEXT(in->resolution_summary ? in->resolution_summary : ""),
		    DB_TEXT(in->root_cause_category), time_val(in->occurred_at), time_val(in->aware_at),
		    time_val(in->acknowledged_at), time_val(in->contained_at),
		    time_val(in->resolved_at), time_val(in->closed_at),
		    DB_TEXT(in->reporter ? in->reporter : ""),
		    rs.commander_id ? DB_INT(rs.commander_id) : DB_NULL(), DB_TEXT(systems),
		    DB_TEXT(customers), DB_TEXT(dtypes), DB_INT(in->personal_data ? 1 : 0),
		    DB_TEXT(in->impact_functional), DB_TEXT(in->impact_information),
		    DB_TEXT(in->impact_recoverability), DB_TEXT(in->tlp ? in->tlp : "amber"),
		    DB_TEXT(plan_version), DB_TEXT(in->reject_reason),
		    rs.duplicate_id ? DB_INT(rs.duplicate_id) : DB_NULL(),
		    DB_TEXT(in->source ? in->source : "manual"), DB_TEXT(in->external_ref),
		    playbook ? DB_TEXT(in->category) : DB_NULL()));
	if (rc < 0)
		goto fail;
	rc = incident_fts_record(db, id, NULL, NULL, in->title, in->description);
	if (rc < 0)
		goto fail;
	rc = write_sets(db, in->org_id, id, in, &rs, true, true, true, true);
	if (rc < 0)
		goto fail;
	if (rs.duplicate_id) {
		rc = db_exec(db, "INSERT INTO incident_links(org_id, from_id, to_id, kind, created_at)"
			     " VALUES ($1, $2, $3, 'duplicate_of', $4) ON CONFLICT DO NOTHING",
			     4, DBV(DB_INT(in->org_id), DB_INT(id), DB_INT(rs.duplicate_id), DB_INT(now)));
		if (rc < 0)
			goto fail;
	}
	json_t *det = json_pack("{s:s, s:s, s:s, s:s}", "key", key, "title", in->title, "severity",
				in->severity, "status", status);
	rc = incident_timeline_system(db, ac, in->org_id, id, "Incident created", det);
	if (rc == 0)
		rc = audit_append(db, ac, in->org_id, "incident.create", "incident", uid, det);
	json_decref(det);
	if (rc < 0)
		goto fail;
	if (playbook) {
		rc = incident_tasks_from_playbook(db, ac, in->org_id, id, in->category);
		if (rc < 0)
			goto fail;
	}
	/* Notification rules: tell who the plan names, apply its regulatory
	 * clocks, schedule escalation — in this transaction (notify/rules.h). */
	rc = notify_rules_incident_event(db, ac, in->org_id, id, "incident.created", NULL);
	if (rc < 0)
		goto fail;
	if (in->out_id_only)
		*out = json_pack("{s:s}", "id", uid);
	else
		rc = incident_get(db, in->org_id, uid, out);
fail:
	json_decref(errors);
	resolved_free(&rs);
	free(systems);
	free(customers);
	free(dtypes);
	return rc;
}

int incident_cursor_parse(const char *s, int64_t *created, int64_t *id)
{
	/* "<created>.<id>", both decimal */
	char *end;
	if (!s || !*s || strlen(s) > 40)
		return SIRT_EINVAL;
	long long c = strtoll(s, &end, 10);
	if (end == s || *end != '.' || c < 0)
		return SIRT_EINVAL;
	const char *p = end + 1;
	long long i = strtoll(p, &end, 10);
	if (end == p || *end || i <= 0)
		return SIRT_EINVAL;
	*created = c;
	*id = i;
	return 0;
}

/* ---------------------------------------------------------------- update */

/* Fields a PATCH may set (lifecycle times only as corrections of a set value). */
static const char *const patchable[] = {
	"title", "description", "severity", "category", "attack_vector", "veris_action",
	"resolution", "resolution_summary", "root_cause_category", "occurred_at", "detected_at",
	"aware_at", "acknowledged_at", "contained_at", "resolved_at", "closed_at", "reporter",
	"commander", "assignees", "affected_systems", "affected_customers", "data_types",
	"personal_data", "impact_functional", "impact_information", "impact_recoverability", "tlp",
	"tags", "related", "plan_version", NULL,
};
static const char *const lifecycle_set[] = {"acknowledged_at", "contained_at", "resolved_at",
					    "closed_at", NULL};

/* Writes every record column of `in` over row id (expected at version). */
static int write_record(struct db *db, int64_t id, int64_t version, const struct incident_new *in,
			const struct resolved *rs, const char *playbook_category, int64_t now)
{
	char *systems = list_text(in->affected_systems);
	char *customers = list_text(in->affected_customers);
	char *dtypes = list_text(in->data_types);
	int rc = db_exec(
		db,
		"UPDATE incidents SET title = $3, description = $4, severity = $5, status = $6,"
		" detected_at = $7, category = $8, attack_vector = $9, veris_action = $10,"
		" resolution = $11, resolution_summary = $12, root_cause_category = $13,"
		" occurred_at = $14, aware_at = $15, acknowledged_at = $16, contained_at = $17,"
		" resolved_at = $18, closed_at = $19, reporter = $20, commander_id = $21,"
		" affected_systems = $22, affected_customers = $23, data_types = $24,"
		" personal_data = $25, impact_functional = $26, impact_information = $27,"
		" impact_recoverability = $28, tlp = $29, plan_version = $30, reject_reason = $31,"
		" duplicate_of = $32, playbook_category = $33, updated_at = $34, version = version + 1"
		" WHERE id = $1 AND version = $2",
		34,
		DBV(DB_INT(id), DB_INT(version), DB_TEXT(in->title),
		    DB_TEXT(in->description ? in->description : ""), DB_TEXT(in->severity),
		    DB_TEXT(in->status), time_val(in->detected_at), DB_TEXT(in->category),
		    DB_TEXT(in->attack_vector), DB_TEXT(in->veris_action), DB_TEXT(in->resolution),
		    DB_TEXT(in->resolution_summary ? in->resolution_summary : ""),
		    DB_TEXT(in->root_cause_category), time_val(in->occurred_at), time_val(in->aware_at),
		    time_val(in->acknowledged_at), time_val(in->contained_at),
		    time_val(in->resolved_at), time_val(in->closed_at),
		    DB_TEXT(in->reporter ? in->reporter : ""),
		    rs->commander_id ? DB_INT(rs->commander_id) : DB_NULL(), DB_TEXT(systems),
		    DB_TEXT(customers), DB_TEXT(dtypes), DB_INT(in->personal_data ? 1 : 0),
		    DB_TEXT(in->impact_functional), DB_TEXT(in->impact_information),
		    DB_TEXT(in->impact_recoverability), DB_TEXT(in->tlp ? in->tlp : "amber"),
		    DB_TEXT(in->plan_version), DB_TEXT(in->reject_reason),
		    rs->duplicate_id ? DB_INT(rs->duplicate_id) : DB_NULL(),
		    DB_TEXT(playbook_category), DB_INT(now)));
	free(systems);
	free(customers);
	free(dtypes);
	if (rc == 0 && db_last_changes(db) != 1)
		rc = SIRT_EPRECOND; /* changed by someone else between read and write */
	return rc;
}

static bool is_long_field(const char *k)
{
	return !strcmp(k, "description") || !strcmp(k, "resolution_summary");
}

/* "severity: low → high; description changed" */
static void describe_changes(json_t *changes, struct strbuf *sb)
{
	const char *k;
	json_t *c;
	bool first = true;
	json_object_foreach(changes, k, c) {
		if (!strcmp(k, "status"))
			continue; /* said by the transition's own text */
		json_t *from = json_object_get(c, "from"), *to = json_object_get(c, "to");
		sb_puts(sb, first ? "" : "; ");
		first = false;
		if (is_long_field(k) || json_is_array(to) || json_is_array(from)) {
			sb_printf(sb, "%s changed", k);
			continue;
		}
		char *f = json_is_null(from) ? NULL : json_dumps(from, JSON_ENCODE_ANY);
		char *t = json_is_null(to) ? NULL : json_dumps(to, JSON_ENCODE_ANY);
		sb_printf(sb, "%s: %s → %s", k, f ? f : "(none)", t ? t : "(none)");
		free(f);
		free(t);
	}
}

/* Applies fields of `changes` over a copy of cur, checks and writes it. */
static int apply_record(struct db *db, const struct audit_ctx *ac, int64_t org_id, json_t *cur,
			int64_t id, json_t *merged, json_t *changes, const char *action,
			const char *timeline_text, json_t *extra, json_t **out)
{
	json_t *errors = NULL;
	struct resolved rs = {0};
	struct incident_new in = {.org_id = org_id};
	int64_t now = time_now();
	int rc;
	incident_new_from_json(merged, &in, &errors);
	check_record(&in, now, &errors);
	rc = resolve_refs(db, &in, id, &rs, &errors);
	if (rc < 0)
		goto out;
	if (errors) {
		*out = errors;
		errors = NULL;
		rc = SIRT_EINVAL;
		goto out;
	}
	/* the playbook of the first category an open incident gets */
	struct db_res *r;
	rc = db_query(db, &r, "SELECT playbook_category FROM incidents WHERE id = $1", 1, DBV(DB_INT(id)));
	if (rc < 0)
		goto out;
	char pb[64] = "";
	if (db_next(r) && db_text(r, 0))
		snprintf(pb, sizeof(pb), "%s", db_text(r, 0));
	db_res_free(r);
	bool playbook = !pb[0] && in.category && lifecycle_status_is_open(in.status);
	rc = write_record(db, id, json_integer_value(json_object_get(cur, "version")), &in, &rs,
			  playbook ? in.category : pb[0] ? pb : NULL, now);
	if (rc < 0)
		goto out;
	if (json_object_get(changes, "title") || json_object_get(changes, "description")) {
		rc = incident_fts_record(db, id, json_string_value(json_object_get(cur, "title")),
					 json_string_value(json_object_get(cur, "description")),
					 in.title, in.description ? in.description : "");
		if (rc < 0)
			goto out;
	}
	rc = write_sets(db, org_id, id, &in, &rs, false, json_object_get(changes, "tags") != NULL,
			json_object_get(changes, "assignees") != NULL,
			json_object_get(changes, "related") != NULL);
	if (rc < 0)
		goto out;
	const char *uid = json_string_value(json_object_get(cur, "id"));
	json_t *det = json_pack("{s:O}", "changes", changes);
	if (extra)
		json_object_update(det, extra);
	struct strbuf text;
	sb_init(&text, 4096);
	if (timeline_text)
		sb_puts(&text, timeline_text);
	struct strbuf what;
	sb_init(&what, 4096);
	describe_changes(changes, &what);
	if (what.len)
		sb_printf(&text, timeline_text ? " (%s)" : "Changed %s", sb_str(&what));
	sb_free(&what);
	if (sb_status(&text) < 0) {
		sb_reset(&text);
		sb_puts(&text, timeline_text ? timeline_text : "Changed fields");
	}
	rc = incident_timeline_system(db, ac, org_id, id, sb_str(&text), det);
	sb_free(&text);
	if (rc == 0)
		rc = audit_append(db, ac, org_id, action, "incident", uid, det);
	json_decref(det);
	if (rc < 0)
		goto out;
	if (playbook) {
		rc = incident_tasks_from_playbook(db, ac, org_id, id, in.category);
		if (rc < 0)
			goto out;
	}
	/* Notification rules for updates and transitions: status, assignment,
	 * clocks, escalation (notify/rules.h), in this transaction. */
	rc = notify_rules_incident_event(db, ac, org_id, id, action, changes);
	if (rc < 0)
		goto out;
	rc = incident_get(db, org_id, uid, out);
out:
	json_decref(errors);
	resolved_free(&rs);
	return rc;
}

static int internal_id(struct db *db, int64_t org_id, const char *uid, int64_t *id)
{
	return db_query_int(db, id, "SELECT id FROM incidents WHERE org_id = $1 AND uid = $2", 2,
			    DBV(DB_INT(org_id), DB_TEXT(uid)));
}

int incident_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		    int64_t expect_version, json_t *patch, json_t **out)
{
	json_t *cur = NULL, *changes = NULL, *merged = NULL, *errors = NULL;
	*out = NULL;
	int rc = incident_get(db, org_id, ref, &cur);
	if (rc < 0)
		return rc;
	int64_t version = json_integer_value(json_object_get(cur, "version"));
	if (expect_version && version != expect_version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	changes = json_object();
	merged = json_deep_copy(cur);
	const char *k;
	json_t *nv;
	json_object_foreach(patch, k, nv) {
		if (!strcmp(k, "status")) {
			incident_error_add(&errors, k,
					   "changes only through POST /api/v1/incidents/{id}/transitions");
			continue;
		}
		if (!enum_contains(patchable, k)) {
			incident_error_add(&errors, k, "cannot be changed");
			continue;
		}
		json_t *ov = json_object_get(cur, k);
		json_t *v = json_incref(nv);
		if (!strcmp(k, "tags") || !strcmp(k, "assignees") || !strcmp(k, "related")) {
			json_decref(v);
			v = json_is_array(nv) ? incident_norm_set(nv, strcmp(k, "related") ? NORM_LOWER
										: NORM_UPPER)
					      : json_is_null(nv) ? json_array() : json_incref(nv);
		}
		if (!strcmp(k, "commander") && json_is_string(nv)) {
			json_t *one = json_pack("[O]", nv);
			json_t *n1 = incident_norm_set(one, NORM_LOWER);
			json_decref(v);
			v = json_incref(json_array_get(n1, 0));
			json_decref(one);
			json_decref(n1);
		}
		if (enum_contains(lifecycle_set, k) && (json_is_null(ov) || json_is_null(v)) &&
		    !json_equal(ov, v)) {
			incident_error_add(&errors, k,
					   "is set by transitions; only a recorded time may be corrected");
			json_decref(v);
			continue;
		}
		/* times compare by instant, not spelling */
		int64_t a, b;
		bool same = json_equal(v, ov) ||
			    (json_is_string(v) && json_is_string(ov) && strstr(k, "_at") &&
			     time_parse_iso8601(json_string_value(v), &a) == 0 &&
			     time_parse_iso8601(json_string_value(ov), &b) == 0 && a == b);
		if (!same) {
			json_object_set_new(changes, k, json_pack("{s:O, s:O}", "from", ov, "to", v));
			json_object_set(merged, k, v);
		}
		json_decref(v);
	}
	if (errors) {
		*out = errors;
		errors = NULL;
		rc = SIRT_EINVAL;
		goto out;
	}
	if (json_object_size(changes) == 0) {
		*out = cur;
		cur = NULL;
		rc = 0;
		goto out;
	}
	int64_t id;
	rc = internal_id(db, org_id, json_string_value(json_object_get(cur, "id")), &id);
	if (rc < 0)
		goto out;
	rc = apply_record(db, ac, org_id, cur, id, merged, changes, "incident.update", NULL, NULL, out);
out:
	json_decref(cur);
	json_decref(changes);
	json_decref(merged);
	json_decref(errors);
	return rc;
}

/* ---------------------------------------------------------------- lifecycle */

static int64_t json_time(json_t *rec, const char *k)
{
	int64_t t = 0;
	const char *s = json_string_value(json_object_get(rec, k));
	if (s && time_parse_iso8601(s, &t) < 0)
		t = 0;
	return t;
}

static void set_time(json_t *rec, const char *k, int64_t t)
{
	if (!t) {
		json_object_set_new(rec, k, json_null());
		return;
	}
	char buf[ISO8601_LEN];
	time_format_iso8601(t, buf);
	json_object_set_new(rec, k, json_string(buf));
}

/* Records in `changes` each field that differs between cur and merged. */
static void diff_fields(json_t *cur, json_t *merged, json_t *changes, const char *const *keys)
{
	for (; *keys; keys++) {
		json_t *a = json_object_get(cur, *keys), *b = json_object_get(merged, *keys);
		if (!json_equal(a, b))
			json_object_set_new(changes, *keys, json_pack("{s:O, s:O}", "from", a, "to", b));
	}
}

int incident_transition(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
			int64_t expect_version, const struct incident_transition_req *t,
			json_t **out)
{
	static const char *const tracked[] = {
		"status", "acknowledged_at", "contained_at", "resolved_at", "closed_at", "resolution",
		"resolution_summary", "root_cause_category", "reject_reason", "duplicate_of", NULL,
	};
	json_t *cur = NULL, *merged = NULL, *changes = NULL, *errors = NULL;
	struct strbuf why;
	sb_init(&why, 1024);
	*out = NULL;
	int rc = incident_get(db, org_id, ref, &cur);
	if (rc < 0)
		goto out;
	if (expect_version && json_integer_value(json_object_get(cur, "version")) != expect_version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	const char *from = json_string_value(json_object_get(cur, "status"));
	const char *reject = t->reject_reason;
	if (t->to && !strcmp(t->to, "rejected") && !reject) {
		/* {"to": "rejected", "reason": "duplicate", "duplicate_of": ...} works too */
		if (enum_contains(reject_reasons, t->reason))
			reject = t->reason;
		else if (t->duplicate_of)
			reject = "duplicate";
	}
	struct lifecycle_transition lt = {.from = from, .to = t->to, .reject_reason = reject,
					  .duplicate_of = t->duplicate_of, .reason = t->reason};
	rc = lifecycle_check_transition(&lt, &why);
	if (rc < 0) {
		const char *field = "to";
		if (rc == SIRT_EINVAL && lifecycle_status_valid(t->to)) {
			if (!strcmp(t->to, "rejected"))
				field = enum_contains(reject_reasons, reject) ? "duplicate_of" : "reject_reason";
			else
				field = "reason";
		}
		incident_error_add(&errors, field, sb_str(&why));
		goto fail_errors;
	}
	int64_t now = time_now();
	int64_t at = t->at ? t->at : now;
	if (at > now + LIFECYCLE_CLOCK_SKEW) {
		incident_error_add(&errors, "at", "is in the future");
		rc = SIRT_EINVAL;
		goto fail_errors;
	}
	merged = json_deep_copy(cur);
	if (t->resolution)
		json_object_set_new(merged, "resolution", json_string(t->resolution));
	if (t->resolution_summary)
		json_object_set_new(merged, "resolution_summary", json_string(t->resolution_summary));
	if (t->root_cause_category)
		json_object_set_new(merged, "root_cause_category", json_string(t->root_cause_category));
	if (!strcmp(t->to, "closed")) {
		struct close_policy pol;
		close_policy_default(&pol);
		const char *res = json_string_value(json_object_get(merged, "resolution"));
		const char *root = json_string_value(json_object_get(merged, "root_cause_category"));
		const char *sev = json_string_value(json_object_get(cur, "severity"));
		/* High and critical incidents (or what the plan names) need a
		 * published post-incident review before they close. */
		int64_t iid;
		bool review_missing = false;
		rc = internal_id(db, org_id, json_string_value(json_object_get(cur, "id")), &iid);
		if (rc == 0)
			rc = review_required_and_missing(db, org_id, iid, &review_missing);
		if (rc < 0)
			goto out;
		if (review_missing && severity_rank(sev) > 0)
			pol.review_required_for_severity[severity_rank(sev)] = true;
		struct incident_close_facts cf = {.status = from, .severity = sev,
						  .resolution = res, .root_cause_category = root,
						  .review_published = !review_missing, .policy = &pol};
		sb_reset(&why);
		rc = lifecycle_check_close(&cf, &why);
		if (rc < 0) {
			if (pol.require_resolution && blank(res))
				incident_error_add(&errors, "resolution", "is required to close an incident");
			if (pol.require_root_cause && blank(root))
				incident_error_add(&errors, "root_cause_category",
						   "is required to close an incident");
			if (review_missing)
				incident_error_add(&errors, "review",
						   "a published post-incident review is required to close"
						   " this incident (see /api/v1/incidents/{id}/review)");
			if (!errors)
				incident_error_add(&errors, "to", sb_str(&why));
			goto fail_errors;
		}
	}
	struct lifecycle_times lt_cur = {
		.acknowledged_at = json_time(cur, "acknowledged_at"),
		.contained_at = json_time(cur, "contained_at"),
		.resolved_at = json_time(cur, "resolved_at"),
		.closed_at = json_time(cur, "closed_at"),
	};
	unsigned mask = lifecycle_stamps(from, t->to, &lt_cur);
	lifecycle_apply_stamps(mask, at, &lt_cur);
	set_time(merged, "acknowledged_at", lt_cur.acknowledged_at);
	set_time(merged, "contained_at", lt_cur.contained_at);
	set_time(merged, "resolved_at", lt_cur.resolved_at);
	set_time(merged, "closed_at", lt_cur.closed_at);
	json_object_set_new(merged, "status", json_string(t->to));
	if (!strcmp(t->to, "rejected")) {
		json_object_set_new(merged, "reject_reason", json_string(reject));
		json_object_set_new(merged, "duplicate_of", t->duplicate_of && !strcmp(reject, "duplicate")
								  ? json_string(t->duplicate_of)
								  : json_null());
		if (json_is_null(json_object_get(merged, "resolution")))
			json_object_set_new(merged, "resolution", json_string(reject));
	} else if (!strcmp(from, "rejected")) {
		const char *old = json_string_value(json_object_get(cur, "reject_reason"));
		const char *res = json_string_value(json_object_get(merged, "resolution"));
		if (old && res && !strcmp(old, res) && !t->resolution)
			json_object_set_new(merged, "resolution", json_null());
		json_object_set_new(merged, "reject_reason", json_null());
		json_object_set_new(merged, "duplicate_of", json_null());
	}
	changes = json_object();
	diff_fields(cur, merged, changes, tracked);
	int64_t id;
	rc = internal_id(db, org_id, json_string_value(json_object_get(cur, "id")), &id);
	if (rc < 0)
		goto out;
	struct strbuf text;
	sb_init(&text, 2048);
	sb_printf(&text, "Status %s → %s", from, t->to);
	if (reject && !strcmp(t->to, "rejected"))
		sb_printf(&text, " as %s", reject);
	if (t->duplicate_of && !strcmp(t->to, "rejected"))
		sb_printf(&text, " of %.64s", t->duplicate_of);
	if (t->reason && !blank(t->reason) && !enum_contains(reject_reasons, t->reason))
		sb_printf(&text, ": %.1000s", t->reason);
	json_t *extra = json_pack("{s:s, s:s, s:s?}", "from", from, "to", t->to, "reason", t->reason);
	rc = apply_record(db, ac, org_id, cur, id, merged, changes, "incident.transition",
			  sb_str(&text), extra, out);
	json_decref(extra);
	sb_free(&text);
	if (rc < 0)
		goto out;
	/* the duplicate link follows duplicate_of */
	if (!strcmp(t->to, "rejected") && t->duplicate_of && !strcmp(reject, "duplicate")) {
		struct incident_ref orig;
		if (incident_lookup(db, org_id, t->duplicate_of, &orig) == 0)
			rc = db_exec(db, "INSERT INTO incident_links(org_id, from_id, to_id, kind, created_at)"
				     " VALUES ($1, $2, $3, 'duplicate_of', $4) ON CONFLICT DO NOTHING",
				     4, DBV(DB_INT(org_id), DB_INT(id), DB_INT(orig.id), DB_INT(now)));
	} else if (!strcmp(from, "rejected")) {
		rc = db_exec(db, "DELETE FROM incident_links WHERE from_id = $1 AND kind = 'duplicate_of'",
			     1, DBV(DB_INT(id)));
	}
	goto out;
fail_errors:
	if (rc == 0)
		rc = SIRT_EINVAL;
	*out = errors;
	errors = NULL;
out:
	json_decref(cur);
	json_decref(merged);
	json_decref(changes);
	json_decref(errors);
	sb_free(&why);
	return rc;
}
