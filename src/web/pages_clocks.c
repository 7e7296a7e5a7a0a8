/*
 * Regulatory clocks in the pages: the incident page's deadlines section
 * (each clock's stages with deadline, status and a live countdown; apply a
 * definition, record a decision, record a submission), the dashboard's
 * deadlines at risk, and the clock definitions administration
 * (/admin/clocks: list, add or edit a definition as JSON with the parser's
 * precise errors, preview deadlines for given trigger times).
 *
 * Deadlines are computed by the store (core/clock.h) at the time of the
 * request; the page writes the server's countdown text inside
 * <span data-deadline="..."> and app.js keeps it running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "core/category.h"
#include "core/clock.h"
#include "http/routes.h"
#include "store/clock_store.h"
#include "store/incident_store.h"
#include "store/notify_store.h"
#include "store/store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "web/pages.h"
#include "web/pages_parts.h"
#include "web/web.h"

#define DASH_INCIDENTS 200   /* open incidents with running clocks scanned */
#define DASH_SOON (24 * 3600)
#define DASH_MAX 12

static const char *const decisions[] = {"became_aware", "classified_major",
					"materiality_determined", "discovered", "ransom_paid",
					"detected", NULL};
static const char *const outcomes[] = {"submitted", "not_required", NULL};

static bool stage_live(const char *st)
{
	return st && (!strcmp(st, "pending") || !strcmp(st, "due_soon") || !strcmp(st, "overdue"));
}

/* Display fields for the stages of a clock (or of a preview). */
static void stages_view(struct req *r, const struct tz *z, json_t *stages, int64_t now)
{
	size_t i;
	json_t *s;
	json_array_foreach(stages, i, s) {
		const char *st = json_string_value(json_object_get(s, "status"));
		json_object_set_new(s, "status_label", json_string(pages_label(r, NULL, st)));
		json_t *dl = json_object_get(s, "deadline");
		json_object_set_new(s, "deadline_t", pages_time_json(z, dl));
		int64_t t;
		if (stage_live(st) && json_is_string(dl) &&
		    time_parse_iso8601(json_string_value(dl), &t) == 0) {
			json_object_set_new(s, "live", json_true());
			json_object_set_new(s, "countdown", json_string(pages_countdown(r, t, now)));
		}
		size_t k;
		json_t *x;
		json_array_foreach(json_object_get(s, "submissions"), k, x) {
			json_object_set_new(x, "at_t", pages_time_json(z, json_object_get(x, "at")));
			json_object_set_new(x, "outcome_label", json_string(pages_label(
				r, NULL, json_string_value(json_object_get(x, "outcome")))));
		}
	}
}

static struct db *seeded(struct req *r, struct db *db);

struct seed_job {
	int64_t org_id;
};

static int seed_tx(struct db *db, void *arg)
{
	return clock_defs_seed(db, ((struct seed_job *)arg)->org_id);
}

/* The organisation's definitions include the built-ins (copied on first use). */
static struct db *seeded(struct req *r, struct db *db)
{
	if (clock_defs_seeded(db, r->who.org_id))
		return db;
	struct seed_job j = {r->who.org_id};
	return store_tx(r->app->store, seed_tx, &j) == 0 ? db : NULL;
}

/* ------------------------------------------------------------ incident page */

void pages_clocks_incident_part(struct req *r, struct db *db, const struct tz *z, json_t *rec,
				json_t *state, json_t *m)
{
	json_t *sec = json_object();
	json_object_set_new(m, "clocks", sec);
	static const char *const parts[] = {"clock_apply_form", "decision_form", "submission_form",
					    NULL};
	for (int i = 0; parts[i]; i++)
		if (json_object_get(state, parts[i]))
			json_object_set(m, parts[i], json_object_get(state, parts[i]));
	int64_t iid, now = time_now();
	json_t *items = NULL, *defs = NULL, *decs = NULL;
	const char *uid = json_string_value(json_object_get(rec, "id"));
	if (!uid || notify_incident_id(db, r->who.org_id, uid, &iid) < 0 ||
	    clock_list(db, r->who.org_id, iid, now, &items) < 0) {
		json_object_set_new(sec, "unavailable", json_true());
		return;
	}
	json_t *running = json_object();
	size_t i;
	json_t *c;
	json_array_foreach(items, i, c) {
		json_object_set_new(running, json_string_value(json_object_get(c, "definition")),
				    json_true());
		const char *st = json_string_value(json_object_get(c, "status"));
		json_object_set_new(c, "status_label", json_string(pages_label(r, NULL, st)));
		json_object_set_new(c, "trigger_label", json_string(pages_label(
			r, NULL, json_string_value(json_object_get(c, "trigger")))));
		json_object_set_new(c, "trigger_at_t",
				    pages_time_json(z, json_object_get(c, "trigger_at")));
		json_object_set_new(c, "applied_at_t",
				    pages_time_json(z, json_object_get(c, "applied_at")));
		json_t *stages = json_object_get(c, "stages");
		stages_view(r, z, stages, now);
		json_t *opts = json_array();
		size_t k;
		json_t *s;
		json_array_foreach(stages, k, s)
			json_array_append_new(opts, json_pack("{s:O, s:O}", "value",
							      json_object_get(s, "key"), "label",
							      json_object_get(s, "name")));
		json_object_set_new(c, "stage_options", opts);
	}
	json_object_set_new(sec, "items", items);
	/* definitions not yet running, for the apply form */
	json_t *avail = json_array();
	json_t *dec_opts = pages_options(r, NULL, decisions);
	if (seeded(r, db) && clock_def_list(db, r->who.org_id, &defs) == 0) {
		json_t *d;
		json_array_foreach(defs, i, d) {
			const char *key = json_string_value(json_object_get(d, "key"));
			if (!key)
				continue;
			if (!strcmp(json_string_value(json_object_get(d, "trigger")) ?: "", "custom"))
				json_array_append_new(
					dec_opts, json_pack("{s:s, s:s+}", "value", key, "label",
							    "Custom: ",
							    json_string_value(json_object_get(d, "name")) ?: key));
			if (json_object_get(running, key))
				continue;
			json_array_append_new(avail, json_pack("{s:s, s:O}", "value", key, "label",
							       json_object_get(d, "name")));
		}
		json_decref(defs);
	}
	json_decref(running);
	json_object_set_new(sec, "definitions", avail);
	json_object_set_new(sec, "decision_options", dec_opts);
	json_object_set_new(sec, "outcomes", pages_options(r, NULL, outcomes));
	if (clock_decision_list(db, r->who.org_id, iid, &decs) == 0) {
		json_t *d;
		json_array_foreach(decs, i, d) {
			json_object_set_new(d, "decided_at_t",
					    pages_time_json(z, json_object_get(d, "decided_at")));
			json_object_set_new(d, "decision_label", json_string(pages_label(
				r, NULL, json_string_value(json_object_get(d, "decision")))));
		}
		json_object_set_new(sec, "decisions", decs);
	}
}

static int back(struct req *r, const char *text)
{
	pages_flash_set(r, "ok", text);
	struct strbuf loc;
	sb_init(&loc, 4096);
	sb_puts(&loc, "/incidents/");
	const char *key = req_param(r, "key");
	escape_url_path(&loc, key, strlen(key));
	sb_puts(&loc, "#clocks");
	int ret = resp_redirect(r, arena_strdup(&r->arena, sb_status(&loc) == 0 ? sb_str(&loc) : "/"));
	sb_free(&loc);
	return ret;
}

/* The incident's uid (arena) from the {key} parameter; NULL with a 404 sent. */
static const char *incident_uid(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return NULL;
	json_t *rec;
	int rc = incident_get(db, r->who.org_id, req_param(r, "key"), &rec);
	if (rc == SIRT_ENOTFOUND) {
		resp_problem(r, 404, "No such incident",
			     "There is no incident with this key in your organisation.", NULL);
		return NULL;
	}
	if (rc < 0) {
		api_store_error(r, db, rc, "reading the incident");
		return NULL;
	}
	const char *uid = arena_strdup(&r->arena, json_string_value(json_object_get(rec, "id")));
	json_decref(rec);
	return uid;
}

struct apply_job {
	int64_t org_id;
	const char *uid, *key;
	struct audit_ctx ac;
	json_t *out;
};

static int apply_tx(struct db *db, void *arg)
{
	struct apply_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	int64_t id;
	int rc = notify_incident_id(db, j->org_id, j->uid, &id);
	if (rc == 0)
		rc = clock_defs_seed(db, j->org_id);
	if (rc < 0)
		return rc;
	return clock_apply(db, &j->ac, j->org_id, id, j->key, "manual", NULL, time_now(), &j->out);
}

static int h_apply(struct req *r)
{
	struct apply_job j = {.org_id = r->who.org_id, .uid = incident_uid(r),
			      .key = pages_field(r, "definition"), .ac = req_audit_ctx(r)};
	if (!j.uid)
		return 0;
	const char *err = NULL;
	int rc = 0;
	if (!j.key)
		err = "Choose a clock.";
	else if ((rc = store_tx(r->app->store, apply_tx, &j)) == SIRT_ENOTFOUND)
		err = "There is no such clock definition.";
	else if (rc == SIRT_ECONFLICT)
		err = "This clock runs on the incident already.";
	if (err)
		return pages_incident_show(
			r, req_param(r, "key"),
			pages_part_state("clock_apply_form", pages_echo(r, (const char *const[]){"definition", NULL}),
					 json_pack("{s:s}", "definition", err)),
			422);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "applying the clock");
	const char *name = arena_strdup(&r->arena, json_string_value(json_object_get(j.out, "name")) ?: j.key);
	json_decref(j.out);
	return back(r, arena_printf(&r->arena, "%s applied; its deadlines are running.", name));
}

struct decision_job {
	int64_t org_id;
	const char *uid, *decision, *decided_by, *note;
	int64_t decided_at;
	struct audit_ctx ac;
	json_t *out;
};

static int decision_tx(struct db *db, void *arg)
{
	struct decision_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	int64_t id;
	int rc = notify_incident_id(db, j->org_id, j->uid, &id);
	if (rc < 0)
		return rc;
	return clock_decision_add(db, &j->ac, j->org_id, id, j->decision, j->decided_at,
				  j->decided_by, j->note, j->decided_by, &j->out);
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

static const char *const decision_fields[] = {"decision", "decided_at", "note", NULL};

static int h_decision(struct req *r)
{
	const char *who = r->who.email ? r->who.email : r->who.actor;
	struct decision_job j = {.org_id = r->who.org_id, .uid = incident_uid(r),
				 .decision = pages_field(r, "decision"), .decided_by = who,
				 .note = pages_field(r, "note"), .decided_at = time_now(),
				 .ac = req_audit_ctx(r)};
	if (!j.uid)
		return 0;
	json_t *errors = json_object();
	if (!name_ok(j.decision))
		json_object_set_new(errors, "decision", json_string("Choose what was decided."));
	const char *at = pages_field(r, "decided_at");
	if (at && pages_parse_local(pages_zone(r), at, &j.decided_at) < 0)
		json_object_set_new(errors, "decided_at", json_string("Give a date and time."));
	else if (j.decided_at > time_now() + 300)
		json_object_set_new(errors, "decided_at", json_string("This time is in the future."));
	if (j.note && strlen(j.note) > 2000)
		json_object_set_new(errors, "note", json_string("At most 2000 characters."));
	if (json_object_size(errors))
		return pages_incident_show(
			r, req_param(r, "key"),
			pages_part_state("decision_form", pages_echo(r, decision_fields), errors), 422);
	json_decref(errors);
	int rc = store_tx(r->app->store, decision_tx, &j);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "recording the decision");
	json_decref(j.out);
	return back(r, arena_printf(&r->arena, "Decision recorded: %s.",
				    pages_label(r, NULL, j.decision)));
}

struct sub_job {
	int64_t org_id;
	const char *uid, *clock_uid;
	struct clock_submission_in in;
	struct audit_ctx ac;
	json_t *out;
	struct strbuf why;
};

static int sub_tx(struct db *db, void *arg)
{
	struct sub_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	sb_reset(&j->why);
	int64_t id;
	int rc = notify_incident_id(db, j->org_id, j->uid, &id);
	if (rc < 0)
		return rc;
	return clock_submission_add(db, &j->ac, j->org_id, id, j->clock_uid, &j->in, time_now(),
				    &j->out, &j->why);
}

static const char *const sub_fields[] = {"stage", "outcome", "submitted_at", "authority",
					 "reference", "justification", "decision", NULL};

static int h_submission(struct req *r)
{
	const char *who = r->who.email ? r->who.email : r->who.actor;
	struct sub_job j = {.org_id = r->who.org_id, .uid = incident_uid(r),
			    .clock_uid = req_param(r, "cid"), .ac = req_audit_ctx(r)};
	if (!j.uid)
		return 0;
	j.in.stage = pages_field(r, "stage");
	j.in.outcome = pages_field(r, "outcome");
	if (!j.in.outcome)
		j.in.outcome = "submitted";
	j.in.authority = pages_field(r, "authority");
	j.in.reference = pages_field(r, "reference");
	j.in.justification = pages_field(r, "justification");
	j.in.decision = pages_field(r, "decision");
	j.in.submitted_by = who;
	j.in.recorded_by = who;
	j.in.submitted_at = time_now();
	json_t *errors = json_object();
	if (!j.in.stage)
		json_object_set_new(errors, "stage", json_string("Choose the stage."));
	if (strcmp(j.in.outcome, "submitted") && strcmp(j.in.outcome, "not_required"))
		json_object_set_new(errors, "outcome", json_string("Choose submitted or not required."));
	const char *at = pages_field(r, "submitted_at");
	if (at && pages_parse_local(pages_zone(r), at, &j.in.submitted_at) < 0)
		json_object_set_new(errors, "submitted_at", json_string("Give a date and time."));
	else if (j.in.submitted_at > time_now() + 300)
		json_object_set_new(errors, "submitted_at", json_string("This time is in the future."));
	static const struct {
		const char *f;
		size_t max;
	} lim[] = {{"authority", 200}, {"reference", 200}, {"justification", 4000},
		   {"decision", 4000}};
	for (size_t k = 0; k < sizeof(lim) / sizeof(lim[0]); k++) {
		const char *v = pages_field(r, lim[k].f);
		if (v && strlen(v) > lim[k].max)
			json_object_set_new(errors, lim[k].f,
					    json_string(arena_printf(&r->arena, "At most %zu characters.",
								     lim[k].max)));
	}
	int rc = 0;
	if (!json_object_size(errors)) {
		sb_init(&j.why, 4096);
		rc = store_tx(r->app->store, sub_tx, &j);
		if (rc == SIRT_EINVAL) {
			/* "field: message" from the store */
			const char *w = sb_str(&j.why);
			size_t fl = strcspn(w, ":");
			char *field = arena_strndup(&r->arena, w, fl);
			const char *msg = w[fl] ? w + fl + 2 : w;
			if (!enum_contains(sub_fields, field))
				field = "stage";
			json_object_set_new(errors, field,
					    json_string(arena_printf(&r->arena, "%c%s",
								     msg[0] >= 'a' && msg[0] <= 'z'
									     ? msg[0] - 'a' + 'A'
									     : msg[0],
								     msg[0] ? msg + 1 : "")));
		}
		sb_free(&j.why);
	}
	if (json_object_size(errors)) {
		json_decref(j.out);
		json_t *state = pages_part_state("submission_form", pages_echo(r, sub_fields), errors);
		json_object_set_new(json_object_get(state, "submission_form"), "clock",
				    json_string(j.clock_uid));
		return pages_incident_show(r, req_param(r, "key"), state, 422);
	}
	json_decref(errors);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "Not found", "There is no such clock on this incident.",
				    NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "recording the submission");
	json_decref(j.out);
	return back(r, !strcmp(j.in.outcome, "not_required")
			       ? "Recorded: this stage is not required."
			       : "Submission recorded.");
}

/* ------------------------------------------------------------ dashboard */

void pages_dashboard_deadlines(struct req *r, struct db *db, const struct tz *z, json_t *m)
{
	json_t *sec = json_object();
	json_object_set_new(m, "deadlines", sec);
	struct db_res *res;
	int rc = db_query(db, &res,
			  "SELECT DISTINCT i.id, i.key, i.title, i.severity FROM incident_clocks c"
			  " JOIN incidents i ON i.id = c.incident_id WHERE c.done = 0 AND"
			  " c.org_id = $1 AND i.org_id = $1 AND i.status NOT IN"
			  " ('resolved', 'closed', 'rejected') ORDER BY i.id DESC LIMIT $2",
			  2, DBV(DB_INT(r->who.org_id), DB_INT(DASH_INCIDENTS)));
	if (rc < 0) {
		json_object_set_new(sec, "unavailable", json_true());
		return;
	}
	struct inc {
		int64_t id;
		char *key, *title, *sev;
	} *incs = arena_alloc(&r->arena, DASH_INCIDENTS * sizeof(*incs));
	size_t n = 0;
	while (db_next(res) && n < DASH_INCIDENTS) {
		incs[n++] = (struct inc){db_int(res, 0), arena_strdup(&r->arena, db_text(res, 1)),
					 arena_strdup(&r->arena, db_text(res, 2)),
					 arena_strdup(&r->arena, db_text(res, 3))};
	}
	db_res_free(res);
	int64_t now = time_now();
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *clocks;
		if (clock_list(db, r->who.org_id, incs[i].id, now, &clocks) < 0)
			continue;
		size_t k;
		json_t *c;
		json_array_foreach(clocks, k, c) {
			size_t q;
			json_t *s;
			json_array_foreach(json_object_get(c, "stages"), q, s) {
				const char *st = json_string_value(json_object_get(s, "status"));
				int64_t t;
				if (!stage_live(st) ||
				    time_parse_iso8601(json_string_value(json_object_get(s, "deadline")) ?: "", &t) < 0 ||
				    t - now > DASH_SOON)
					continue;
				json_array_append_new(
					list, json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:s, s:o, s:s, s:I, s:b}",
							"key", incs[i].key, "title", incs[i].title,
							"severity", incs[i].sev, "severity_label",
							pages_label(r, NULL, incs[i].sev), "clock",
							json_object_get(c, "name"), "stage",
							json_object_get(s, "name"), "status", st,
							"status_label", pages_label(r, NULL, st),
							"deadline_t", pages_time(z, t), "countdown",
							pages_countdown(r, t, now), "at", (json_int_t)t,
							"overdue", t < now));
			}
		}
		json_decref(clocks);
	}
	/* soonest (most overdue) first */
	size_t cnt = json_array_size(list);
	for (size_t a = 1; a < cnt; a++)
		for (size_t b = a; b > 0; b--) {
			json_t *x = json_array_get(list, b - 1), *y = json_array_get(list, b);
			if (json_integer_value(json_object_get(x, "at")) <=
			    json_integer_value(json_object_get(y, "at")))
				break;
			json_incref(x);
			json_array_set(list, b - 1, y);
			json_array_set_new(list, b, x);
		}
	json_object_set_new(sec, "total", json_integer((json_int_t)cnt));
	while (json_array_size(list) > DASH_MAX)
		json_array_remove(list, DASH_MAX);
	json_object_set_new(sec, "items", list);
}

/* ------------------------------------------------------------ administration */

static json_t *defs_model(struct req *r, const char *title)
{
	json_t *m = web_base_model(r, "admin", title);
	pages_flash_take(r, m);
	json_object_set_new(m, "zone", json_string(tz_name(pages_zone(r))));
	return m;
}

static int h_admin_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *defs;
	if (!seeded(r, db))
		return api_store_error(r, NULL, SIRT_EUNAVAIL, "adding the built-in clocks");
	int rc = clock_def_list(db, r->who.org_id, &defs);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing clock definitions");
	const struct tz *z = pages_zone(r);
	size_t i;
	json_t *d;
	json_array_foreach(defs, i, d) {
		json_t *def = json_object_get(d, "definition");
		json_object_set_new(d, "stage_count",
				    json_integer((json_int_t)json_array_size(json_object_get(def, "stages"))));
		json_object_set(d, "reference", json_object_get(def, "reference"));
		json_object_set_new(d, "trigger_label", json_string(pages_label(
			r, NULL, json_string_value(json_object_get(d, "trigger")))));
		json_object_set_new(d, "status_label", json_string(pages_label(
			r, NULL, json_string_value(json_object_get(d, "status")))));
		json_object_set_new(d, "updated_at_t", pages_time_json(z, json_object_get(d, "updated_at")));
		json_object_del(d, "definition");
	}
	json_t *m = defs_model(r, "Clock definitions");
	json_object_set_new(m, "definitions", defs);
	return web_render(r, 200, tmpl_admin_clocks, m);
}

static const char *const example_def =
	"{\n"
	"  \"key\": \"customer_contract\",\n"
	"  \"name\": \"Customer contract: notify within 24 hours\",\n"
	"  \"reference\": \"Master services agreement, clause 12.3\",\n"
	"  \"trigger\": \"became_aware\",\n"
	"  \"stages\": [\n"
	"    {\n"
	"      \"key\": \"notification\",\n"
	"      \"name\": \"Notify the customer\",\n"
	"      \"recipient\": \"Customer security contact\",\n"
	"      \"deadline\": {\"after\": \"trigger\", \"amount\": 24, \"unit\": \"hours\"}\n"
	"    }\n"
	"  ]\n"
	"}\n";

/* The edit page: form {definition, reminders}, errors, preview. */
static int edit_page(struct req *r, json_t *def_row, json_t *form, json_t *errors, json_t *extra,
		     int status)
{
	bool create = def_row == NULL;
	const char *key = create ? NULL : json_string_value(json_object_get(def_row, "key"));
	json_t *m = defs_model(r, create ? "New clock definition" : arena_printf(&r->arena, "Clock %s", key));
	json_object_set_new(m, "create", json_boolean(create));
	if (def_row) {
		json_object_set(m, "def", def_row);
		json_t *def = json_object_get(def_row, "definition");
		const char *trig = json_string_value(json_object_get(def, "trigger"));
		/* the triggers a preview may need: the clock's own and those stages count from */
		json_t *trigs = json_array();
		for (int t = 0; t < CLOCK_TRIG_COUNT; t++) {
			const char *tn = clock_trigger_name(t);
			bool used = trig && !strcmp(trig, tn);
			size_t i;
			json_t *s;
			json_array_foreach(json_object_get(def, "stages"), i, s) {
				const char *a = json_string_value(
					json_object_get(json_object_get(s, "deadline"), "after"));
				const char *b = json_string_value(
					json_object_get(json_object_get(s, "no_later_than"), "after"));
				used = used || (a && !strcmp(a, tn)) || (b && !strcmp(b, tn));
			}
			if (!used)
				continue;
			const char *v = req_query(r, tn);
			json_array_append_new(trigs, json_pack("{s:s, s:s, s:s}", "name", tn, "label",
							       pages_label(r, NULL, tn), "value",
							       v ? v : ""));
		}
		json_object_set_new(m, "triggers", trigs);
	}
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", errors ? errors : json_object());
	if (extra) {
		json_object_update(m, extra);
		json_decref(extra);
	}
	return web_render(r, status, tmpl_admin_clock_edit, m);
}

static json_t *row_form(json_t *row)
{
	char *js = json_dumps(json_object_get(row, "definition"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *rem = json_dumps(json_object_get(row, "reminders"), JSON_COMPACT);
	json_t *f = json_pack("{s:s, s:s}", "definition", js ? js : "", "reminders", rem ? rem : "");
	free(js);
	free(rem);
	/* reminders as "24, 4, 1" */
	const char *rs = json_string_value(json_object_get(f, "reminders"));
	if (rs && rs[0] == '[') {
		char *t = strdup(rs + 1);
		size_t n = strlen(t);
		if (n && t[n - 1] == ']')
			t[n - 1] = '\0';
		for (char *p = t; *p; p++)
			if (*p == ',')
				*p = ' ';
		json_object_set_new(f, "reminders", json_string(t));
		free(t);
	}
	return f;
}

/* Preview deadlines for the trigger times in the query (user's zone). */
static void add_preview(struct req *r, json_t *row, json_t *m)
{
	int64_t trig[CLOCK_TRIG_COUNT] = {0};
	bool any = false;
	json_t *perr = json_object();
	for (int t = 0; t < CLOCK_TRIG_COUNT; t++) {
		const char *v = req_query(r, clock_trigger_name(t));
		if (!v || !*v)
			continue;
		if (pages_parse_local(pages_zone(r), v, &trig[t]) < 0)
			json_object_set_new(perr, clock_trigger_name(t), json_string("Give a date and time."));
		else
			any = true;
	}
	json_object_set_new(m, "preview_errors", perr);
	if (!any)
		return;
	char *js = json_dumps(json_object_get(row, "definition"), JSON_COMPACT);
	struct strbuf why;
	sb_init(&why, 4096);
	json_t *p = js ? clock_preview_json(js, trig, time_now(), &why) : NULL;
	free(js);
	sb_free(&why);
	if (!p)
		return;
	stages_view(r, pages_zone(r), json_object_get(p, "stages"), time_now());
	json_object_set_new(m, "preview", p);
}

static int load_def(struct req *r, struct db *db, json_t **row)
{
	int rc = clock_def_get(db, r->who.org_id, req_param(r, "key"), row);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such clock definition",
				    "Your organisation has no clock definition with this key.", NULL),
		       rc;
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the clock definition"), rc;
	return 0;
}

static int h_admin_new(struct req *r)
{
	return edit_page(r, NULL, json_pack("{s:s, s:s}", "definition", example_def, "reminders", "24 4 1"),
			 NULL, NULL, 200);
}

static int h_admin_edit(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	if (!seeded(r, db))
		return api_store_error(r, NULL, SIRT_EUNAVAIL, "adding the built-in clocks");
	json_t *row;
	if (load_def(r, db, &row) < 0)
		return 0;
	json_t *extra = json_object();
	add_preview(r, row, extra);
	int ret = edit_page(r, row, row_form(row), NULL, extra, 200);
	json_decref(row);
	return ret;
}

/* "24, 4 1" -> [24, 4, 1]; NULL when malformed. */
static json_t *parse_reminders(const char *s)
{
	json_t *a = json_array();
	while (s && *s) {
		while (*s == ' ' || *s == ',' || *s == '\t')
			s++;
		if (!*s)
			break;
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s || v < 0 || v > 100000) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_integer(v));
		s = end;
	}
	return a;
}

static const char *const def_form_fields[] = {"definition", "reminders", "version", NULL};

static int def_save(struct req *r, bool create)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *row = NULL;
	if (!create && load_def(r, db, &row) < 0)
		return 0;
	const char *text = pages_field(r, "definition");
	const char *rem = pages_field(r, "reminders");
	const char *ver = pages_field(r, "version");
	json_t *errors = json_object();
	json_error_t jerr;
	json_t *def = NULL, *rems = NULL;
	if (!text)
		json_object_set_new(errors, "definition", json_string("Write the definition as JSON."));
	else if (strlen(text) > CLOCK_JSON_MAX)
		json_object_set_new(errors, "definition", json_string("At most 64 KiB of JSON."));
	else if (!(def = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, &jerr)) ||
		 !json_is_object(def))
		json_object_set_new(errors, "definition",
				    json_string(def ? "The definition must be a JSON object."
						    : arena_printf(&r->arena,
								   "Not valid JSON: %s (line %d, column %d).",
								   jerr.text, jerr.line, jerr.column)));
	if (!(rems = parse_reminders(rem)))
		json_object_set_new(errors, "reminders",
				    json_string("Hours before each deadline, as numbers: 24, 4, 1."));
	struct clock_def_job j = {.org_id = r->who.org_id, .create = create,
			    .key = create ? NULL : json_string_value(json_object_get(row, "key")),
			    .def = def, .rem = rems, .ac = req_audit_ctx(r)};
	if (ver)
		j.version = strtoll(ver, NULL, 10);
	int rc = 0;
	sb_init(&j.why, 4096);
	if (!json_object_size(errors)) {
		rc = store_tx(r->app->store, clock_def_put_tx, &j);
		if (rc == SIRT_EINVAL || rc == SIRT_ETOOBIG) {
			const char *w = sb_str(&j.why);
			json_object_set_new(errors, strncmp(w, "reminders", 9) ? "definition" : "reminders",
					    json_string(w));
		} else if (rc == SIRT_ECONFLICT) {
			json_object_set_new(errors, "definition",
					    json_string("A definition with this key exists already; choose"
							" another key."));
		} else if (rc == SIRT_EPRECOND) {
			json_object_set_new(errors, "definition",
					    json_string("Someone changed this definition since you opened it."
							" Reload the page to see their version."));
		}
	}
	sb_free(&j.why);
	json_decref(def);
	json_decref(rems);
	if (json_object_size(errors)) {
		json_decref(j.out);
		int ret = edit_page(r, row, pages_echo(r, def_form_fields), errors, NULL, 422);
		json_decref(row);
		return ret;
	}
	json_decref(errors);
	json_decref(row);
	if (rc < 0) {
		json_decref(j.out);
		return api_store_error(r, NULL, rc, "saving the clock definition");
	}
	const char *key = arena_strdup(&r->arena, json_string_value(json_object_get(j.out, "key")) ?: "");
	json_decref(j.out);
	pages_flash_set(r, "ok", arena_printf(&r->arena, "Clock definition %s saved.", key));
	struct strbuf loc;
	sb_init(&loc, 4096);
	sb_puts(&loc, "/admin/clocks/");
	escape_url_path(&loc, key, strlen(key));
	int ret = resp_redirect(r, arena_strdup(&r->arena, sb_status(&loc) == 0 ? sb_str(&loc) : "/admin/clocks"));
	sb_free(&loc);
	return ret;
}

static int h_admin_create(struct req *r)
{
	return def_save(r, true);
}

static int h_admin_update(struct req *r)
{
	return def_save(r, false);
}

#define FORM BODY_FORM, PAGES_FORM_MAX
const struct route pages_clocks_routes[] = {
	{"POST", "/incidents/{key}/clocks", PERM_RESPOND, FORM, h_apply, NULL,
	 "Apply a regulatory clock to an incident (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/decisions", PERM_RESPOND, FORM, h_decision, NULL,
	 "Record a decision that starts clocks (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/clocks/{cid}/submissions", PERM_RESPOND, FORM, h_submission,
	 NULL, "Record a submission for a clock's stage (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/admin/clocks", PERM_MANAGE, BODY_NONE, 0, h_admin_list, NULL,
	 "Clock definitions page", "web", NULL, ROUTE_HTML},
	{"GET", "/admin/clocks/new", PERM_MANAGE, BODY_NONE, 0, h_admin_new, NULL,
	 "New clock definition form", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/clocks/new", PERM_MANAGE, FORM, h_admin_create, NULL,
	 "Add a clock definition (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/admin/clocks/{key}", PERM_MANAGE, BODY_NONE, 0, h_admin_edit, NULL,
	 "Edit a clock definition; preview its deadlines", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/clocks/{key}", PERM_MANAGE, FORM, h_admin_update, NULL,
	 "Save a clock definition (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_clocks);
