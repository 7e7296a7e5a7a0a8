#include "store/clock_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/db_json.h"
#include "notify/outbox.h"
#include "notify/rules.h"
#include "store/plan_store.h"
#include "store/store.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DEFAULT_REMINDERS "[24,4,1]"
#define SCAN_MAX 1000

/* Everything known about one applied clock, computed at one instant. */
struct clock_eval {
	struct clock_def *def;
	struct clock_inputs in;
	int64_t submitted[CLOCK_MAX_STAGES];
	bool not_required[CLOCK_MAX_STAGES];
	struct clock_stage_result res[CLOCK_MAX_STAGES];
	int64_t leads[CLOCK_REMINDERS_MAX];
	size_t nleads;
};

static json_t *time_json(int64_t t);
static void fmt_left(int64_t s, char *out, size_t n);
static int load_triggers(struct db *db, int64_t incident_id, const struct clock_def *d,
			 int64_t *trig);
static int eval_clock(struct db *db, int64_t incident_id, int64_t clock_id, const char *def_json,
		      const char *reminders, int64_t now, struct clock_eval *e);
static void eval_free(struct clock_eval *e);
static json_t *clock_json(struct db *db, const struct db_res *r, int64_t now);
static bool name_ok(const char *s);
static char *canon(json_t *v);

static json_t *time_json(int64_t t)
{
	if (!t)
		return json_null();
	char b[ISO8601_LEN];
	time_format_iso8601(t, b);
	return json_string(b);
}

static char *canon(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!s)
		fatal("json_dumps failed");
	return s;
}

static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

/* "2d 3h 4m", "-5h 10m" */
static void fmt_left(int64_t s, char *out, size_t n)
{
	const char *sign = s < 0 ? "-" : "";
	int64_t a = s < 0 ? -s : s;
	int64_t d = a / 86400, h = a / 3600 % 24, m = a / 60 % 60;
	if (d)
		snprintf(out, n, "%s%lldd %lldh %lldm", sign, (long long)d, (long long)h,
			 (long long)m);
	else if (h)
		snprintf(out, n, "%s%lldh %lldm", sign, (long long)h, (long long)m);
	else
		snprintf(out, n, "%s%lldm", sign, (long long)m);
}

const char *clock_reminders_check(json_t *reminders)
{
	if (!json_is_array(reminders) || json_array_size(reminders) > CLOCK_REMINDERS_MAX)
		return "reminders must be a list of at most 8 lead times in hours";
	size_t i;
	json_t *v;
	json_array_foreach(reminders, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 8760)
			return "each reminder is a whole number of hours from 1 to 8760";
	}
	return NULL;
}

/* ------------------------------------------------------------ definitions */

bool clock_defs_seeded(struct db *db, int64_t org_id)
{
	int64_t n = 0;
	if (db_query_int(db, &n,
			 "SELECT COUNT(*) FROM clock_definitions WHERE org_id = $1 AND builtin = 1",
			 1, DBV(DB_INT(org_id))) < 0)
		return false;
	return n >= (int64_t)clock_builtin_count();
}

int clock_defs_seed(struct db *db, int64_t org_id)
{
	int64_t now = time_now();
	for (size_t i = 0; clock_builtin_json[i]; i++) {
		struct clock_def *d;
		struct strbuf why;
		sb_init(&why, 0);
		const char *js = clock_builtin_json[i];
		int rc = clock_def_parse(js, strlen(js), &d, &why);
		sb_free(&why);
		if (rc < 0)
			fatal("built-in clock %zu does not parse", i);
		json_error_t e;
		json_t *o = json_loads(js, 0, &e);
		char *c = canon(o);
		json_decref(o);
		char uid[37];
		rand_uuid(uid);
		rc = db_exec(db,
			     "INSERT INTO clock_definitions(uid, org_id, key, definition, reminders,"
			     " builtin, created_at, updated_at, version)"
			     " VALUES ($1, $2, $3, $4, $5, 1, $6, $6, 1)"
			     " ON CONFLICT (org_id, key) DO NOTHING",
			     6,
			     DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(d->key), DB_TEXT(c),
				 DB_TEXT(DEFAULT_REMINDERS), DB_INT(now)));
		free(c);
		clock_def_free(d);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static json_t *def_row(const struct db_res *r)
{
	json_error_t e;
	json_t *def = json_loads(db_text(r, 1), 0, &e);
	json_t *rem = json_loads(db_text(r, 2), 0, &e);
	json_t *o = json_object();
	json_object_set_new(o, "key", json_string(db_text(r, 0)));
	json_object_set_new(o, "name", json_incref(json_object_get(def, "name")));
	json_object_set_new(o, "status", json_string(json_object_get(def, "status")
							 ? json_string_value(json_object_get(def, "status"))
							 : "in_force"));
	json_object_set_new(o, "trigger", json_incref(json_object_get(def, "trigger")));
	json_object_set_new(o, "builtin", json_boolean(db_int(r, 3) != 0));
	json_object_set_new(o, "reminders", rem ? rem : json_array());
	json_object_set_new(o, "definition", def ? def : json_null());
	json_object_set_new(o, "updated_at", time_json(db_int(r, 4)));
	json_object_set_new(o, "version", json_integer(db_int(r, 5)));
	return o;
}

#define DEF_COLS "key, definition, reminders, builtin, updated_at, version"

int clock_def_list(struct db *db, int64_t org_id, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " DEF_COLS " FROM clock_definitions WHERE org_id = $1"
			  " ORDER BY builtin DESC, key",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	*items = json_array();
	while (db_next(r))
		json_array_append_new(*items, def_row(r));
	db_res_free(r);
	return 0;
}

int clock_def_get(struct db *db, int64_t org_id, const char *key, json_t **out)
{
	return db_query_one_json(db, def_row, out,
				 "SELECT " DEF_COLS " FROM clock_definitions WHERE org_id = $1 AND key = $2",
				 2, DBV(DB_INT(org_id), DB_TEXT(key)));
}

int clock_def_put(struct db *db, const struct audit_ctx *ac, int64_t org_id, bool create,
		  const char *key, json_t *definition, json_t *reminders, int64_t expect_version,
		  json_t **out, struct strbuf *why)
{
	char *js = canon(definition);
	struct clock_def *d = NULL;
	int rc = clock_def_parse(js, strlen(js), &d, why);
	if (rc < 0)
		goto out;
	if (key && strcmp(key, d->key) != 0) {
		sb_puts(why, "definition.key: must stay the key in the URL");
		rc = SIRT_EINVAL;
		goto out;
	}
	const char *rw = reminders ? clock_reminders_check(reminders) : NULL;
	if (rw) {
		sb_puts(why, rw);
		rc = SIRT_EINVAL;
		goto out;
	}
	char *rs = reminders ? canon(reminders) : NULL;
	int64_t now = time_now();
	struct db_res *r;
	rc = db_query(db, &r, "SELECT id, version FROM clock_definitions WHERE org_id = $1 AND key = $2",
		      2, DBV(DB_INT(org_id), DB_TEXT(d->key)));
	if (rc < 0) {
		free(rs);
		goto out;
	}
	bool exists = db_next(r);
	int64_t version = exists ? db_int(r, 1) : 0;
	db_res_free(r);
	if (create && exists) {
		rc = SIRT_ECONFLICT;
	} else if (!create && !exists) {
		rc = SIRT_ENOTFOUND;
	} else if (!create && expect_version && expect_version != version) {
		rc = SIRT_EPRECOND;
	} else if (create) {
		char uid[37];
		rand_uuid(uid);
		rc = db_exec(db,
			     "INSERT INTO clock_definitions(uid, org_id, key, definition, reminders,"
			     " builtin, created_at, updated_at, version)"
			     " VALUES ($1, $2, $3, $4, $5, 0, $6, $6, 1)",
			     6,
			     DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(d->key), DB_TEXT(js),
				 DB_TEXT(rs ? rs : DEFAULT_REMINDERS), DB_INT(now)));
	} else {
		rc = db_exec(db,
			     "UPDATE clock_definitions SET definition = $3,"
			     " reminders = COALESCE($4, reminders), updated_at = $5,"
			     " version = version + 1 WHERE org_id = $1 AND key = $2",
			     5,
			     DBV(DB_INT(org_id), DB_TEXT(d->key), DB_TEXT(js), DB_TEXT(rs),
				 DB_INT(now)));
	}
	free(rs);
	if (rc < 0)
		goto out;
	json_t *det = json_pack("{s:s}", "name", d->name);
	rc = audit_append(db, ac, org_id, create ? "clock_definition.create" : "clock_definition.update",
			  "clock_definition", d->key, det);
	json_decref(det);
	if (rc == 0)
		rc = clock_def_get(db, org_id, d->key, out);
out:
	free(js);
	clock_def_free(d);
	return rc;
}

int clock_def_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *key)
{
	int64_t builtin;
	int rc = db_query_int(db, &builtin,
			      "SELECT builtin FROM clock_definitions WHERE org_id = $1 AND key = $2",
			      2, DBV(DB_INT(org_id), DB_TEXT(key)));
	if (rc < 0)
		return rc;
	if (builtin)
		return SIRT_EPERM;
	rc = db_exec(db, "DELETE FROM clock_definitions WHERE org_id = $1 AND key = $2", 2,
		     DBV(DB_INT(org_id), DB_TEXT(key)));
	if (rc < 0)
		return rc;
	return audit_append(db, ac, org_id, "clock_definition.delete", "clock_definition", key,
			    NULL);
}

/* ------------------------------------------------------------ evaluation */

static int load_triggers(struct db *db, int64_t incident_id, const struct clock_def *d,
			 int64_t *trig)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT aware_at, detected_at, created_at FROM incidents WHERE id = $1", 1,
			  DBV(DB_INT(incident_id)));
	if (rc < 0)
		return rc;
	int64_t aware = 0, detected = 0, created = 0;
	if (db_next(r)) {
		aware = db_isnull(r, 0) ? 0 : db_int(r, 0);
		detected = db_isnull(r, 1) ? 0 : db_int(r, 1);
		created = db_int(r, 2);
	}
	db_res_free(r);
	int64_t dec[CLOCK_TRIG_COUNT] = {0};
	rc = db_query(db, &r,
		      "SELECT decision, decided_at FROM incident_decisions WHERE incident_id = $1"
		      " ORDER BY id",
		      1, DBV(DB_INT(incident_id)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		const char *name = db_text(r, 0);
		int t = clock_trigger_parse(name);
		if (t >= 0 && t != CLOCK_TRIG_CUSTOM)
			dec[t] = db_int(r, 1);
		else if (d && d->trigger == CLOCK_TRIG_CUSTOM && !strcmp(name, d->key))
			dec[CLOCK_TRIG_CUSTOM] = db_int(r, 1);
	}
	db_res_free(r);
	int64_t first_aware = aware ? aware : detected ? detected : created;
	for (int t = 0; t < CLOCK_TRIG_COUNT; t++)
		trig[t] = dec[t];
	if (!trig[CLOCK_TRIG_BECAME_AWARE])
		trig[CLOCK_TRIG_BECAME_AWARE] = first_aware;
	if (!trig[CLOCK_TRIG_DETECTED])
		trig[CLOCK_TRIG_DETECTED] = detected ? detected : created;
	if (!trig[CLOCK_TRIG_DISCOVERED])
		trig[CLOCK_TRIG_DISCOVERED] = first_aware;
	return 0;
}

static void eval_free(struct clock_eval *e)
{
	clock_def_free(e->def);
	e->def = NULL;
}

static int stage_index(const struct clock_def *d, const char *key)
{
	for (size_t i = 0; i < d->nstages; i++)
		if (!strcmp(d->stages[i].key, key))
			return (int)i;
	return -1;
}

static int eval_clock(struct db *db, int64_t incident_id, int64_t clock_id, const char *def_json,
		      const char *reminders, int64_t now, struct clock_eval *e)
{
	memset(e, 0, sizeof(*e));
	struct strbuf why;
	sb_init(&why, 0);
	int rc = clock_def_parse(def_json, strlen(def_json), &e->def, &why);
	sb_free(&why);
	if (rc < 0)
		return SIRT_EDB; /* a stored definition always parsed once */
	rc = load_triggers(db, incident_id, e->def, e->in.trigger_at);
	if (rc < 0)
		goto fail;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT stage, outcome, submitted_at FROM clock_submissions WHERE clock_id = $1"
		      " ORDER BY submitted_at, id",
		      1, DBV(DB_INT(clock_id)));
	if (rc < 0)
		goto fail;
	while (db_next(r)) {
		int i = stage_index(e->def, db_text(r, 0));
		if (i < 0)
			continue;
		if (!strcmp(db_text(r, 1), "not_required"))
			e->not_required[i] = true;
		else if (!e->submitted[i])
			e->submitted[i] = db_int(r, 2); /* the first submission counts */
	}
	db_res_free(r);
	json_error_t je;
	json_t *rem = json_loads(reminders ? reminders : DEFAULT_REMINDERS, 0, &je);
	size_t k;
	json_t *v;
	json_array_foreach(rem, k, v) {
		if (e->nleads < CLOCK_REMINDERS_MAX)
			e->leads[e->nleads++] = json_integer_value(v) * 3600;
	}
	json_decref(rem);
	int64_t lead = 0;
	for (size_t i = 0; i < e->nleads; i++)
		if (e->leads[i] > lead)
			lead = e->leads[i];
	e->in.submitted_at = e->submitted;
	e->in.not_required = e->not_required;
	clock_compute(e->def, &e->in, now, lead, e->res);
	return 0;
fail:
	eval_free(e);
	return rc;
}

#define CLOCK_COLS                                                                        \
	"c.id, c.uid, c.incident_id, c.definition_key, c.definition, c.reminders,"        \
	" c.applied_by, c.applied_at, c.applied_how, c.rule, c.done"

static json_t *clock_json(struct db *db, const struct db_res *r, int64_t now)
{
	struct clock_eval e;
	int64_t clock_id = db_int(r, 0);
	if (eval_clock(db, db_int(r, 2), clock_id, db_text(r, 4), db_text(r, 5), now, &e) < 0)
		return NULL;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_text(r, 1)));
	json_object_set_new(o, "definition", json_string(db_text(r, 3)));
	json_object_set_new(o, "name", json_string(e.def->name));
	json_object_set_new(o, "reference",
			    e.def->reference ? json_string(e.def->reference) : json_null());
	json_object_set_new(o, "definition_status",
			    json_string(e.def->status == CLOCK_PROPOSED   ? "proposed"
					: e.def->status == CLOCK_TEMPLATE ? "template"
									  : "in_force"));
	json_object_set_new(o, "trigger", json_string(clock_trigger_name(e.def->trigger)));
	json_object_set_new(o, "trigger_at", time_json(e.in.trigger_at[e.def->trigger]));
	json_object_set_new(o, "applied_by", json_string(db_text(r, 6)));
	json_object_set_new(o, "applied_at", time_json(db_int(r, 7)));
	json_object_set_new(o, "applied_how", json_string(db_text(r, 8)));
	json_object_set_new(o, "rule", db_isnull(r, 9) ? json_null() : json_string(db_text(r, 9)));
	json_t *rem = json_array();
	for (size_t i = 0; i < e.nleads; i++)
		json_array_append_new(rem, json_integer(e.leads[i] / 3600));
	json_object_set_new(o, "reminders", rem);
	/* the submissions, grouped per stage below */
	json_t *subs = json_object();
	struct db_res *s;
	if (db_query(db, &s,
		     "SELECT uid, stage, outcome, submitted_at, authority, reference, submitted_by,"
		     " evidence_id, justification, decision, recorded_by FROM clock_submissions"
		     " WHERE clock_id = $1 ORDER BY submitted_at, id",
		     1, DBV(DB_INT(clock_id))) == 0) {
		while (db_next(s)) {
			json_t *a = json_object_get(subs, db_text(s, 1));
			if (!a) {
				a = json_array();
				json_object_set_new(subs, db_text(s, 1), a);
			}
			json_t *x = json_object();
			json_object_set_new(x, "id", json_string(db_text(s, 0)));
			json_object_set_new(x, "outcome", json_string(db_text(s, 2)));
			json_object_set_new(x, "at", time_json(db_int(s, 3)));
			json_object_set_new(x, "authority", json_string(db_text(s, 4)));
			json_object_set_new(x, "reference", json_string(db_text(s, 5)));
			json_object_set_new(x, "by", json_string(db_text(s, 6)));
			json_object_set_new(x, "evidence_id", db_isnull(s, 7)
								      ? json_null()
								      : json_string(db_text(s, 7)));
			json_object_set_new(x, "justification", json_string(db_text(s, 8)));
			json_object_set_new(x, "decision", json_string(db_text(s, 9)));
			json_object_set_new(x, "recorded_by", json_string(db_text(s, 10)));
			json_array_append_new(a, x);
		}
		db_res_free(s);
	}
	json_t *stages = json_array();
	bool all_done = true;
	const char *overall = "pending";
	for (size_t i = 0; i < e.def->nstages; i++) {
		const struct clock_stage *st = &e.def->stages[i];
		const struct clock_stage_result *res = &e.res[i];
		json_t *x = json_object();
		json_object_set_new(x, "key", json_string(st->key));
		json_object_set_new(x, "name", json_string(st->name));
		json_object_set_new(x, "recipient", json_string(st->recipient));
		json_object_set_new(x, "status", json_string(clock_stage_status_name(res->status)));
		json_object_set_new(x, "deadline", res->known ? time_json(res->deadline) : json_null());
		json_object_set_new(x, "provisional", json_boolean(res->provisional));
		json_object_set_new(x, "by_no_later_than", json_boolean(res->by_no_later_than));
		json_object_set_new(x, "passed_at_start", json_boolean(res->passed_at_start));
		json_object_set_new(x, "without_undue_delay", json_boolean(st->without_undue_delay));
		bool open = res->status == CLOCK_STAGE_PENDING || res->status == CLOCK_STAGE_DUE_SOON ||
			    res->status == CLOCK_STAGE_OVERDUE;
		if (res->known && open) {
			char b[48];
			fmt_left(res->time_left, b, sizeof(b));
			json_object_set_new(x, "time_left_seconds", json_integer(res->time_left));
			json_object_set_new(x, "time_left", json_string(b));
		} else {
			json_object_set_new(x, "time_left_seconds", json_null());
			json_object_set_new(x, "time_left", json_null());
		}
		json_object_set_new(x, "submitted_at", time_json(e.submitted[i]));
		json_t *sa = json_object_get(subs, st->key);
		json_object_set_new(x, "submissions", sa ? json_incref(sa) : json_array());
		if (st->note)
			json_object_set_new(x, "note", json_string(st->note));
		json_array_append_new(stages, x);
		if (res->status != CLOCK_STAGE_MET && res->status != CLOCK_STAGE_LATE &&
		    res->status != CLOCK_STAGE_NOT_REQUIRED)
			all_done = false;
		if (res->status == CLOCK_STAGE_OVERDUE)
			overall = "overdue";
		else if (res->status == CLOCK_STAGE_DUE_SOON && strcmp(overall, "overdue"))
			overall = "due_soon";
	}
	json_decref(subs);
	json_object_set_new(o, "status", json_string(all_done ? "complete" : overall));
	json_object_set_new(o, "stages", stages);
	eval_free(&e);
	return o;
}

int clock_list(struct db *db, int64_t org_id, int64_t incident_id, int64_t now, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " CLOCK_COLS " FROM incident_clocks c WHERE c.org_id = $1"
			  " AND c.incident_id = $2 ORDER BY c.id",
			  2, DBV(DB_INT(org_id), DB_INT(incident_id)));
	if (rc < 0)
		return rc;
	*items = json_array();
	while (db_next(r)) {
		json_t *o = clock_json(db, r, now);
		if (o)
			json_array_append_new(*items, o);
	}
	db_res_free(r);
	return 0;
}

int clock_get(struct db *db, int64_t org_id, int64_t incident_id, const char *uid, int64_t now,
	      json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " CLOCK_COLS " FROM incident_clocks c WHERE c.org_id = $1"
			  " AND c.incident_id = $2 AND c.uid = $3",
			  3, DBV(DB_INT(org_id), DB_INT(incident_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*out = clock_json(db, r, now);
		rc = *out ? 0 : SIRT_EDB;
	}
	db_res_free(r);
	return rc;
}

/* ------------------------------------------------------------ applying */

int clock_apply(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t incident_id,
		const char *key, const char *how, const char *rule, int64_t now, json_t **out)
{
	int rc = clock_defs_seed(db, org_id);
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT definition, reminders FROM clock_definitions WHERE org_id = $1"
		      " AND key = $2",
		      2, DBV(DB_INT(org_id), DB_TEXT(key)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	char *def = xstrdup(db_text(r, 0)), *rem = xstrdup(db_text(r, 1));
	db_res_free(r);
	int64_t exists;
	rc = db_query_int(db, &exists,
			  "SELECT id FROM incident_clocks WHERE incident_id = $1 AND definition_key = $2",
			  2, DBV(DB_INT(incident_id), DB_TEXT(key)));
	if (rc == 0)
		rc = SIRT_ECONFLICT;
	else if (rc == SIRT_ENOTFOUND)
		rc = 0;
	char uid[37];
	rand_uuid(uid);
	if (rc == 0)
		rc = db_exec(db,
			     "INSERT INTO incident_clocks(uid, org_id, incident_id, definition_key,"
			     " definition, reminders, applied_by, applied_at, applied_how, rule, done)"
			     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)",
			     10,
			     DBV(DB_TEXT(uid), DB_INT(org_id), DB_INT(incident_id), DB_TEXT(key),
				 DB_TEXT(def), DB_TEXT(rem), DB_TEXT(ac->actor), DB_INT(now),
				 DB_TEXT(how), DB_TEXT(rule)));
	free(def);
	free(rem);
	if (rc < 0)
		return rc;
	char *inc_uid = NULL;
	if (db_query(db, &r, "SELECT uid FROM incidents WHERE id = $1", 1,
		     DBV(DB_INT(incident_id))) == 0) {
		if (db_next(r))
			inc_uid = xstrdup(db_text(r, 0));
		db_res_free(r);
	}
	json_t *d = json_pack("{s:s, s:s, s:s?, s:s?}", "definition", key, "how", how, "rule", rule,
			      "incident", inc_uid);
	free(inc_uid);
	rc = audit_append(db, ac, org_id, "clock.apply", "clock", uid, d);
	json_decref(d);
	if (rc == 0 && out)
		rc = clock_get(db, org_id, incident_id, uid, now, out);
	return rc;
}

/* The built-in rules, used while no plan is in force: an incident field
 * that, when true, applies a clock. */
static const struct {
	const char *rule;
	const char *column_sql; /* SELECT returning 0/1 for incident $1 */
	const char *definition;
} clock_rules[] = {
	{"personal_data", "SELECT personal_data FROM incidents WHERE id = $1", "gdpr_art33"},
};

/* Applies one clock by rule; running already or deleted definitions are skipped. */
static int apply_by_rule(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 int64_t incident_id, const char *key, const char *rule, int *n)
{
	int rc = clock_apply(db, ac, org_id, incident_id, key, "rule", rule, time_now(), NULL);
	if (rc == SIRT_ECONFLICT || rc == SIRT_ENOTFOUND)
		return 0; /* running already, or the organisation deleted it */
	if (rc == 0)
		(*n)++;
	return rc;
}

int clock_rules_apply(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		      int64_t incident_id, int *applied)
{
	int n = 0;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT category, severity, personal_data FROM incidents"
			  " WHERE id = $1 AND org_id = $2",
			  2, DBV(DB_INT(incident_id), DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	char *category = db_text(r, 0) ? xstrdup(db_text(r, 0)) : NULL;
	char *severity = xstrdup(db_text(r, 1));
	bool pd = db_int(r, 2) != 0;
	db_res_free(r);
	/* the plan in force says which regulatory clocks apply (its reporting
	 * requirements by category, severity and personal data) */
	json_t *reqs = NULL;
	rc = plan_reporting(db, org_id, category, severity, pd, &reqs);
	if (rc == 0) {
		size_t i;
		json_t *x;
		json_array_foreach(reqs, i, x) {
			const char *key = json_string_value(json_object_get(x, "clock"));
			if (key && (rc = apply_by_rule(db, ac, org_id, incident_id, key,
						       "plan_reporting", &n)) < 0)
				break;
		}
	} else if (rc == SIRT_ENOTFOUND) {
		rc = 0;
		for (size_t i = 0; i < sizeof(clock_rules) / sizeof(clock_rules[0]) && rc == 0; i++) {
			int64_t v = 0;
			rc = db_query_int(db, &v, clock_rules[i].column_sql, 1,
					  DBV(DB_INT(incident_id)));
			if (rc == 0 && v)
				rc = apply_by_rule(db, ac, org_id, incident_id,
						   clock_rules[i].definition, clock_rules[i].rule, &n);
		}
	}
	json_decref(reqs);
	free(category);
	free(severity);
	if (rc < 0)
		return rc;
	if (applied)
		*applied = n;
	return 0;
}

/* ------------------------------------------------------------ decisions */

static json_t *decision_row(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_text(r, 0)));
	json_object_set_new(o, "decision", json_string(db_text(r, 1)));
	json_object_set_new(o, "decided_at", time_json(db_int(r, 2)));
	json_object_set_new(o, "decided_by", json_string(db_text(r, 3)));
	json_object_set_new(o, "note", json_string(db_text(r, 4)));
	json_object_set_new(o, "recorded_by", json_string(db_text(r, 5)));
	json_object_set_new(o, "recorded_at", time_json(db_int(r, 6)));
	return o;
}

#define DECISION_COLS "uid, decision, decided_at, decided_by, note, recorded_by, created_at"

int clock_decision_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       int64_t incident_id, const char *decision, int64_t decided_at,
		       const char *decided_by, const char *note, const char *recorded_by,
		       json_t **out)
{
	if (!name_ok(decision))
		return SIRT_EINVAL;
	char uid[37];
	rand_uuid(uid);
	int64_t now = time_now();
	int rc = db_exec(db,
			 "INSERT INTO incident_decisions(uid, org_id, incident_id, decision,"
			 " decided_at, decided_by, note, recorded_by, created_at)"
			 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			 9,
			 DBV(DB_TEXT(uid), DB_INT(org_id), DB_INT(incident_id), DB_TEXT(decision),
			     DB_INT(decided_at), DB_TEXT(decided_by), DB_TEXT(note ? note : ""),
			     DB_TEXT(recorded_by), DB_INT(now)));
	if (rc < 0)
		return rc;
	char at[ISO8601_LEN];
	time_format_iso8601(decided_at, at);
	json_t *d = json_pack("{s:s, s:s, s:s}", "decision", decision, "decided_at", at,
			      "decided_by", decided_by);
	rc = audit_append(db, ac, org_id, "incident.decision", "decision", uid, d);
	json_decref(d);
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r, "SELECT " DECISION_COLS " FROM incident_decisions WHERE uid = $1", 1,
		      DBV(DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	if (db_next(r))
		*out = decision_row(r);
	db_res_free(r);
	return 0;
}

int clock_decision_list(struct db *db, int64_t org_id, int64_t incident_id, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " DECISION_COLS " FROM incident_decisions WHERE org_id = $1"
			  " AND incident_id = $2 ORDER BY decided_at, id",
			  2, DBV(DB_INT(org_id), DB_INT(incident_id)));
	if (rc < 0)
		return rc;
	*items = json_array();
	while (db_next(r))
		json_array_append_new(*items, decision_row(r));
	db_res_free(r);
	return 0;
}

/* ------------------------------------------------------------ submissions */

int clock_submission_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 int64_t incident_id, const char *clock_uid,
			 const struct clock_submission_in *in, int64_t now, json_t **out,
			 struct strbuf *why)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, definition, reminders FROM incident_clocks WHERE org_id = $1"
			  " AND incident_id = $2 AND uid = $3",
			  3, DBV(DB_INT(org_id), DB_INT(incident_id), DB_TEXT(clock_uid)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	int64_t clock_id = db_int(r, 0);
	char *def = xstrdup(db_text(r, 1)), *rem = xstrdup(db_text(r, 2));
	db_res_free(r);
	struct clock_eval e;
	rc = eval_clock(db, incident_id, clock_id, def, rem, now, &e);
	if (rc < 0)
		goto out_free;
	int i = stage_index(e.def, in->stage);
	bool nr = !strcmp(in->outcome, "not_required");
	if (i < 0) {
		sb_puts(why, "stage: this clock has no such stage; its stages are");
		for (size_t k = 0; k < e.def->nstages; k++)
			sb_printf(why, "%s %s", k ? "," : "", e.def->stages[k].key);
		rc = SIRT_EINVAL;
	} else if (e.res[i].status == CLOCK_STAGE_NOT_REQUIRED) {
		sb_puts(why, "stage: was already decided not to be required");
		rc = SIRT_EINVAL;
	} else if (nr && (!in->decision || !*in->decision)) {
		sb_puts(why, "decision: say why the stage is not required (and who decided, in"
			     " submitted_by)");
		rc = SIRT_EINVAL;
	} else if (!nr && e.res[i].status == CLOCK_STAGE_NOT_STARTED) {
		sb_printf(why, "stage: its clock has not started (record the decision %s first)",
			  clock_trigger_name(e.def->trigger));
		rc = SIRT_EINVAL;
	} else if (!nr && e.res[i].known && in->submitted_at > e.res[i].deadline &&
		   !e.submitted[i] && (!in->justification || !*in->justification)) {
		char dl[ISO8601_LEN];
		time_format_iso8601(e.res[i].deadline, dl);
		sb_printf(why, "justification: required, the submission is after the deadline %s"
			       " (the authority expects the reasons for the delay)", dl);
		rc = SIRT_EINVAL;
	}
	eval_free(&e);
	if (rc < 0)
		goto out_free;
	char uid[37];
	rand_uuid(uid);
	rc = db_exec(db,
		     "INSERT INTO clock_submissions(uid, org_id, clock_id, stage, outcome,"
		     " submitted_at, authority, reference, submitted_by, evidence_id, justification,"
		     " decision, recorded_by, created_at)"
		     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
		     14,
		     DBV(DB_TEXT(uid), DB_INT(org_id), DB_INT(clock_id), DB_TEXT(in->stage),
			 DB_TEXT(in->outcome), DB_INT(in->submitted_at),
			 DB_TEXT(in->authority ? in->authority : ""),
			 DB_TEXT(in->reference ? in->reference : ""), DB_TEXT(in->submitted_by),
			 DB_TEXT(in->evidence_id), DB_TEXT(in->justification ? in->justification : ""),
			 DB_TEXT(in->decision ? in->decision : ""), DB_TEXT(in->recorded_by),
			 DB_INT(now)));
	if (rc < 0)
		goto out_free;
	json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "clock", clock_uid, "stage", in->stage,
			      "outcome", in->outcome, "by", in->submitted_by);
	rc = audit_append(db, ac, org_id, "clock.submission", "clock_submission", uid, d);
	json_decref(d);
	if (rc < 0)
		goto out_free;
	/* A clock whose every stage has ended needs no more checks. */
	rc = eval_clock(db, incident_id, clock_id, def, rem, now, &e);
	if (rc < 0)
		goto out_free;
	bool done = true;
	for (size_t k = 0; k < e.def->nstages; k++)
		if (e.res[k].status != CLOCK_STAGE_MET && e.res[k].status != CLOCK_STAGE_LATE &&
		    e.res[k].status != CLOCK_STAGE_NOT_REQUIRED)
			done = false;
	eval_free(&e);
	rc = db_exec(db, "UPDATE incident_clocks SET done = $2 WHERE id = $1", 2,
		     DBV(DB_INT(clock_id), DB_INT(done)));
	if (rc == 0)
		rc = clock_get(db, org_id, incident_id, clock_uid, now, out);
out_free:
	free(def);
	free(rem);
	return rc;
}

/* ------------------------------------------------------------ preview */

json_t *clock_preview_json(const char *definition_json, const int64_t *trigger_at, int64_t now,
			   struct strbuf *why)
{
	struct clock_def *d;
	if (clock_def_parse(definition_json, strlen(definition_json), &d, why) < 0)
		return NULL;
	struct clock_inputs in = {0};
	memcpy(in.trigger_at, trigger_at, sizeof(in.trigger_at));
	struct clock_stage_result res[CLOCK_MAX_STAGES];
	clock_compute(d, &in, now, 0, res);
	json_t *stages = json_array();
	for (size_t i = 0; i < d->nstages; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "key", json_string(d->stages[i].key));
		json_object_set_new(x, "name", json_string(d->stages[i].name));
		json_object_set_new(x, "recipient", json_string(d->stages[i].recipient));
		json_object_set_new(x, "deadline",
				    res[i].known ? time_json(res[i].deadline) : json_null());
		json_object_set_new(x, "provisional", json_boolean(res[i].provisional));
		json_object_set_new(x, "by_no_later_than", json_boolean(res[i].by_no_later_than));
		json_object_set_new(x, "status", json_string(clock_stage_status_name(res[i].status)));
		json_array_append_new(stages, x);
	}
	json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "key", d->key, "name", d->name, "trigger",
			      clock_trigger_name(d->trigger), "stages", stages);
	clock_def_free(d);
	return o;
}

/* ------------------------------------------------------------ alerts */

struct alert {
	int64_t org_id, clock_id, incident_id;
	char clock_uid[40];
	char stage[80];
	char alert[24];
	char definition_key[80];
	char *subject, *body, *payload;
	const char *event;
};

struct alert_job {
	struct alert *a;
};

static int alert_tx(struct db *db, void *arg)
{
	struct alert *a = ((struct alert_job *)arg)->a;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "INSERT INTO clock_alerts(clock_id, stage, alert, created_at)"
			  " VALUES ($1, $2, $3, $4) ON CONFLICT (clock_id, stage, alert) DO NOTHING",
			  4,
			  DBV(DB_INT(a->clock_id), DB_TEXT(a->stage), DB_TEXT(a->alert),
			      DB_INT(time_now())));
	if (rc < 0)
		return rc;
	int64_t changed = db_changes(r);
	db_res_free(r);
	if (!changed)
		return 0; /* another node raised it */
	/* the plan's reporting requirement for this clock names who acts on it */
	char *rcpt = NULL, *party = NULL;
	rc = notify_rules_clock_recipients(db, a->org_id, a->definition_key, &rcpt, &party);
	if (rc < 0)
		return rc;
	char *body = party ? xasprintf("%sTo be notified: %s\n", a->body, party) : NULL;
	char *key = xasprintf("clock.%s:%s:%s", a->alert, a->clock_uid, a->stage);
	struct outbox_msg m = {.org_id = a->org_id, .incident_id = a->incident_id,
			       .idem_key = key, .event = a->event, .subject = a->subject,
			       .body = body ? body : a->body, .payload = a->payload,
			       .recipients = rcpt};
	rc = outbox_enqueue(db, &m);
	free(key);
	free(body);
	free(rcpt);
	free(party);
	return rc;
}

static void alert_free(struct alert *a)
{
	free(a->subject);
	free(a->body);
	free(a->payload);
}

int clock_scan_alerts(struct store *st, int64_t now)
{
	struct db *db = store_reader(st);
	if (!db)
		return SIRT_EUNAVAIL;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT c.id, c.uid, c.incident_id, c.definition, c.reminders, c.org_id,"
			  " i.key, i.title, c.definition_key FROM incident_clocks c"
			  " JOIN incidents i ON i.id = c.incident_id WHERE c.done = 0"
			  " ORDER BY c.id LIMIT $1",
			  1, DBV(DB_INT(SCAN_MAX)));
	if (rc < 0)
		return rc;
	struct alert *todo = NULL;
	size_t n = 0, cap = 0;
	struct {
		int64_t id, incident_id, org_id;
		char uid[40];
		char *def, *rem, *key, *title;
	} *cl = NULL;
	size_t ncl = 0, capcl = 0;
	while (db_next(r)) {
		if (ncl == capcl) {
			capcl = capcl ? capcl * 2 : 16;
			cl = xrealloc(cl, capcl * sizeof(*cl));
		}
		cl[ncl].id = db_int(r, 0);
		snprintf(cl[ncl].uid, sizeof(cl[ncl].uid), "%s", db_text(r, 1));
		cl[ncl].incident_id = db_int(r, 2);
		cl[ncl].def = xstrdup(db_text(r, 3));
		cl[ncl].rem = xstrdup(db_text(r, 4));
		cl[ncl].org_id = db_int(r, 5);
		cl[ncl].key = xstrdup(db_text(r, 6));
		cl[ncl].title = xstrdup(db_text(r, 7));
		ncl++;
	}
	db_res_free(r);
	for (size_t c = 0; c < ncl && rc == 0; c++) {
		struct clock_eval e;
		if (eval_clock(db, cl[c].incident_id, cl[c].id, cl[c].def, cl[c].rem, now, &e) < 0)
			continue;
		for (size_t i = 0; i < e.def->nstages; i++) {
			const struct clock_stage_result *res = &e.res[i];
			if (!res->known)
				continue;
			char alert[24] = "";
			if (res->status == CLOCK_STAGE_OVERDUE) {
				snprintf(alert, sizeof(alert), "breach");
			} else if (res->status == CLOCK_STAGE_PENDING ||
				   res->status == CLOCK_STAGE_DUE_SOON) {
				int64_t best = 0;
				for (size_t k = 0; k < e.nleads; k++)
					if (now >= res->deadline - e.leads[k] &&
					    (!best || e.leads[k] < best))
						best = e.leads[k];
				if (best)
					snprintf(alert, sizeof(alert), "remind_%lldh",
						 (long long)(best / 3600));
			}
			if (!alert[0])
				continue;
			int64_t seen = 0;
			rc = db_query_int(db, &seen,
					  "SELECT COUNT(*) FROM clock_alerts WHERE clock_id = $1 AND"
					  " stage = $2 AND alert = $3",
					  3, DBV(DB_INT(cl[c].id), DB_TEXT(e.def->stages[i].key),
						 DB_TEXT(alert)));
			if (rc < 0)
				break;
			if (seen)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				todo = xrealloc(todo, cap * sizeof(*todo));
			}
			struct alert *a = &todo[n++];
			memset(a, 0, sizeof(*a));
			a->org_id = cl[c].org_id;
			a->clock_id = cl[c].id;
			a->incident_id = cl[c].incident_id;
			snprintf(a->clock_uid, sizeof(a->clock_uid), "%s", cl[c].uid);
			snprintf(a->stage, sizeof(a->stage), "%s", e.def->stages[i].key);
			snprintf(a->alert, sizeof(a->alert), "%s", alert);
			snprintf(a->definition_key, sizeof(a->definition_key), "%s", e.def->key);
			char dl[ISO8601_LEN], left[48];
			time_format_iso8601(res->deadline, dl);
			fmt_left(res->time_left, left, sizeof(left));
			bool breach = !strcmp(alert, "breach");
			a->event = breach ? "clock.breach" : "clock.reminder";
			if (breach)
				a->subject = xasprintf("Deadline missed: %s — %s for %s (due %s)",
						       e.def->stages[i].name, e.def->name,
						       cl[c].key, dl);
			else
				a->subject = xasprintf("Reminder: %s — %s for %s due in %s",
						       e.def->stages[i].name, e.def->name,
						       cl[c].key, left);
			a->body = xasprintf(
				"Incident %s: %s\nClock: %s\nStage: %s, to %s\nDeadline: %s (%s)\n%s%s",
				cl[c].key, cl[c].title, e.def->name, e.def->stages[i].name,
				e.def->stages[i].recipient, dl,
				breach ? "passed without a submission" : left,
				breach ? "Record the submission with the reasons for the delay, or"
					 " record that it is not required.\n"
				       : "",
				e.def->stages[i].note ? e.def->stages[i].note : "");
			json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "clock", cl[c].uid,
					      "definition", e.def->key, "stage",
					      e.def->stages[i].key, "alert", alert, "deadline", dl,
					      "time_left_seconds", (json_int_t)res->time_left);
			a->payload = canon(p);
			json_decref(p);
		}
		eval_free(&e);
	}
	for (size_t c = 0; c < ncl; c++) {
		free(cl[c].def);
		free(cl[c].rem);
		free(cl[c].key);
		free(cl[c].title);
	}
	free(cl);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0) {
			struct alert_job j = {.a = &todo[i]};
			rc = store_tx(st, alert_tx, &j);
		}
		alert_free(&todo[i]);
	}
	free(todo);
	return rc;
}

int clock_def_put_tx(struct db *db, void *arg)
{
	struct clock_def_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	sb_reset(&j->why);
	int rc = clock_defs_seed(db, j->org_id);
	if (rc < 0)
		return rc;
	return clock_def_put(db, &j->ac, j->org_id, j->create, j->key, j->def, j->rem, j->version,
			     &j->out, &j->why);
}
