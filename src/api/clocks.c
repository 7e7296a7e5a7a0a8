/*
 * Regulatory clocks through the API: definitions per organisation
 * (/api/v1/clock-definitions, a preview that computes deadlines for given
 * trigger times), the clocks of an incident, the decisions that start them
 * and the submissions that end their stages.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/clock.h"
#include "http/routes.h"
#include "store/clock_store.h"
#include "store/notify_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const outcomes[] = {"submitted", "not_required", NULL};

static const struct field_spec def_fields[] = {
	{"definition", F_OBJECT, true, false, 0, NULL, "the clock definition (core/clock.h format)"},
	{"reminders", F_ARRAY, false, false, 8, NULL, "hours before each deadline to remind"},
	{NULL},
};

static const struct field_spec preview_fields[] = {
	{"key", F_STRING, false, false, 64, NULL, "a definition of this organisation"},
	{"definition", F_OBJECT, false, false, 0, NULL, "or a definition given inline"},
	{"triggers", F_OBJECT, true, false, 0, NULL,
	 "trigger name -> RFC 3339 time, e.g. {\"became_aware\": \"...\"}"},
	{"now", F_TIME, false, false, 0, NULL, "compute the statuses at this time (default now)"},
	{NULL},
};

static const struct field_spec apply_fields[] = {
	{"definition", F_STRING, true, false, 64, NULL, "definition key, e.g. gdpr_art33"},
	{NULL},
};

static const struct field_spec decision_fields[] = {
	{"decision", F_STRING, true, false, 64, NULL,
	 "became_aware, classified_major, materiality_determined, discovered, ransom_paid,"
	 " detected, or a custom clock's key"},
	{"decided_at", F_TIME, false, false, 0, NULL, "when it was decided (default now)"},
	{"decided_by", F_STRING, false, false, 200, NULL, "who decided (default you)"},
	{"note", F_TEXT, false, false, 2000, NULL, "why"},
	{NULL},
};

static const struct field_spec submission_fields[] = {
	{"stage", F_STRING, true, false, 64, NULL, "the stage's key"},
	{"outcome", F_ENUM, false, false, 0, outcomes, "submitted (default) or not_required"},
	{"submitted_at", F_TIME, false, false, 0, NULL, "when (default now)"},
	{"authority", F_STRING, false, false, 200, NULL, "to whom it was submitted"},
	{"reference", F_STRING, false, false, 200, NULL, "the authority's reference"},
	{"submitted_by", F_STRING, false, false, 200, NULL, "who submitted or decided (default you)"},
	{"evidence_id", F_STRING, false, false, 64, NULL, "an evidence attachment id"},
	{"justification", F_TEXT, false, false, 4000, NULL, "required when late"},
	{"decision", F_TEXT, false, false, 4000, NULL, "required for not_required: why"},
	{NULL},
};

struct seed_job {
	int64_t org_id;
};

static int seed_tx(struct db *db, void *arg)
{
	return clock_defs_seed(db, ((struct seed_job *)arg)->org_id);
}

/* Copies the built-ins into the organisation on first use. */
static struct db *seeded_db(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return NULL;
	if (clock_defs_seeded(db, r->who.org_id))
		return db;
	struct seed_job j = {r->who.org_id};
	int rc = store_tx(r->app->store, seed_tx, &j);
	if (rc < 0) {
		api_store_error(r, NULL, rc, "adding the built-in clocks");
		return NULL;
	}
	return db;
}

/* Accepts "gdpr-art33" for "gdpr_art33". */
static char *norm_key(struct req *r, const char *k)
{
	char *s = arena_strdup(&r->arena, k);
	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

static int h_def_list(struct req *r)
{
	struct db *db = seeded_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = clock_def_list(db, r->who.org_id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing clock definitions");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_def_get(struct req *r)
{
	struct db *db = seeded_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = clock_def_get(db, r->who.org_id, norm_key(r, req_param(r, "key")), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such clock definition", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the clock definition");
	api_etag(r, json_integer_value(json_object_get(o, "version")));
	return resp_json(r, 200, o);
}

static int def_put(struct req *r, bool create)
{
	int64_t version = 0;
	if (!create && api_if_match(r, &version) < 0)
		return 0;
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, def_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct clock_def_job j = {.org_id = r->who.org_id, .create = create,
			    .key = create ? NULL : norm_key(r, req_param(r, "key")),
			    .def = json_object_get(body, "definition"),
			    .rem = json_object_get(body, "reminders"), .version = version,
			    .ac = req_audit_ctx(r)};
	sb_init(&j.why, 4096);
	int rc = store_tx(r->app->store, clock_def_put_tx, &j);
	json_decref(body);
	if (rc == SIRT_EINVAL || rc == SIRT_ETOOBIG) {
		errors = NULL;
		const char *w = sb_str(&j.why);
		validate_add(&errors, strncmp(w, "reminders", 9) ? "definition" : "reminders", w);
		sb_free(&j.why);
		return api_invalid(r, errors);
	}
	sb_free(&j.why);
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL, "a clock definition with this key exists already",
				    NULL);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such clock definition", NULL);
	if (rc == SIRT_EPRECOND)
		return resp_problem(r, 412, NULL, "the definition was changed since you read it",
				    NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "saving the clock definition");
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	return resp_json(r, create ? 201 : 200, j.out);
}

static int h_def_create(struct req *r)
{
	return def_put(r, true);
}

static int h_def_put(struct req *r)
{
	return def_put(r, false);
}

struct del_job {
	int64_t org_id;
	const char *key;
	struct audit_ctx ac;
};

static int del_tx(struct db *db, void *arg)
{
	struct del_job *j = arg;
	return clock_def_delete(db, &j->ac, j->org_id, j->key);
}

static int h_def_delete(struct req *r)
{
	struct del_job j = {r->who.org_id, norm_key(r, req_param(r, "key")), req_audit_ctx(r)};
	int rc = store_tx(r->app->store, del_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such clock definition", NULL);
	if (rc == SIRT_EPERM)
		return resp_problem(r, 409, NULL,
				    "a built-in definition cannot be deleted (edit it instead)", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "deleting the clock definition");
	return resp_text(r, 204, NULL, "", 0);
}

/* Reads {"trigger": time, ...} into trig; sends 422 and returns -1 if bad. */
static int read_triggers(struct req *r, json_t *obj, int64_t *trig)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		int t = clock_trigger_parse(k);
		int64_t at;
		json_t *errors = NULL;
		if (t < 0)
			validate_add(&errors, "triggers", "unknown trigger name");
		else if (!json_is_string(v) || time_parse_iso8601(json_string_value(v), &at) < 0)
			validate_add(&errors, "triggers", "each value is an RFC 3339 date-time");
		if (errors) {
			api_invalid(r, errors);
			return -1;
		}
		trig[t] = at;
	}
	return 0;
}

static int h_preview(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, preview_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	int64_t trig[CLOCK_TRIG_COUNT] = {0};
	int64_t now = time_now();
	const char *nows = json_string_value(json_object_get(body, "now"));
	if (nows)
		(void)!time_parse_iso8601(nows, &now);
	if (read_triggers(r, json_object_get(body, "triggers"), trig) < 0) {
		json_decref(body);
		return 0;
	}
	char *js = NULL;
	json_t *inline_def = json_object_get(body, "definition");
	const char *key = json_string_value(json_object_get(body, "key"));
	if (inline_def) {
		js = json_dumps(inline_def, JSON_COMPACT);
	} else if (key) {
		struct db *db = seeded_db(r);
		if (!db) {
			json_decref(body);
			return 0;
		}
		json_t *d;
		int rc = clock_def_get(db, r->who.org_id, norm_key(r, key), &d);
		if (rc < 0) {
			json_decref(body);
			return rc == SIRT_ENOTFOUND
				       ? resp_problem(r, 404, NULL, "no such clock definition", NULL)
				       : api_store_error(r, db, rc, "reading the definition");
		}
		js = json_dumps(json_object_get(d, "definition"), JSON_COMPACT);
		json_decref(d);
	}
	json_decref(body);
	if (!js) {
		errors = NULL;
		validate_add(&errors, "key", "give a definition key or an inline definition");
		return api_invalid(r, errors);
	}
	struct strbuf why;
	sb_init(&why, 4096);
	json_t *o = clock_preview_json(js, trig, now, &why);
	free(js);
	if (!o) {
		errors = NULL;
		validate_add(&errors, "definition", sb_str(&why));
		sb_free(&why);
		return api_invalid(r, errors);
	}
	sb_free(&why);
	return resp_json(r, 200, o);
}

/* ---- per incident ---- */

static int incident_of(struct req *r, struct db *db, int64_t *id)
{
	int rc = notify_incident_id(db, r->who.org_id, req_param(r, "id"), id);
	if (rc == SIRT_ENOTFOUND)
		resp_problem(r, 404, NULL, "no such incident", NULL);
	else if (rc < 0)
		api_store_error(r, db, rc, "reading the incident");
	return rc;
}

static int h_clock_list(struct req *r)
{
	struct db *db = api_db(r);
	int64_t id;
	if (!db || incident_of(r, db, &id) < 0)
		return 0;
	json_t *items;
	int rc = clock_list(db, r->who.org_id, id, time_now(), &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing clocks");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_clock_get(struct req *r)
{
	struct db *db = api_db(r);
	int64_t id;
	if (!db || incident_of(r, db, &id) < 0)
		return 0;
	json_t *o;
	int rc = clock_get(db, r->who.org_id, id, req_param(r, "cid"), time_now(), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such clock on this incident", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the clock");
	return resp_json(r, 200, o);
}

struct apply_job {
	int64_t org_id;
	const char *incident_uid;
	const char *key;
	bool rules;
	struct audit_ctx ac;
	int applied;
	json_t *out;
};

static int apply_tx(struct db *db, void *arg)
{
	struct apply_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	int64_t id;
	int rc = notify_incident_id(db, j->org_id, j->incident_uid, &id);
	if (rc < 0)
		return rc == SIRT_ENOTFOUND ? SIRT_EPERM : rc; /* tell incident from definition */
	if (j->rules) {
		rc = clock_rules_apply(db, &j->ac, j->org_id, id, &j->applied);
		if (rc == 0)
			rc = clock_list(db, j->org_id, id, time_now(), &j->out);
		return rc;
	}
	return clock_apply(db, &j->ac, j->org_id, id, j->key, "manual", NULL, time_now(), &j->out);
}

static int h_clock_apply(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, apply_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct apply_job j = {.org_id = r->who.org_id, .incident_uid = req_param(r, "id"),
			      .key = norm_key(r, json_string_value(json_object_get(body, "definition"))),
			      .ac = req_audit_ctx(r)};
	json_decref(body);
	int rc = store_tx(r->app->store, apply_tx, &j);
	if (rc == SIRT_EPERM)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 422, NULL, "no such clock definition", NULL);
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL, "this clock runs on the incident already", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "applying the clock");
	resp_header(r, "Location",
		    arena_printf(&r->arena, "/api/v1/incidents/%s/clocks/%s", j.incident_uid,
				 json_string_value(json_object_get(j.out, "id"))));
	return resp_json(r, 201, j.out);
}

static int h_clock_rules(struct req *r)
{
	struct apply_job j = {.org_id = r->who.org_id, .incident_uid = req_param(r, "id"),
			      .rules = true, .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, apply_tx, &j);
	if (rc == SIRT_EPERM)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "applying the clock rules");
	return resp_json(r, 200, json_pack("{s:i, s:o}", "applied", j.applied, "items", j.out));
}

struct decision_job {
	int64_t org_id;
	const char *incident_uid;
	const char *decision, *decided_by, *note, *recorded_by;
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
	int rc = notify_incident_id(db, j->org_id, j->incident_uid, &id);
	if (rc < 0)
		return rc;
	return clock_decision_add(db, &j->ac, j->org_id, id, j->decision, j->decided_at,
				  j->decided_by, j->note, j->recorded_by, &j->out);
}

static bool decision_name_ok(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return *s != '\0';
}

static int h_decision_add(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, decision_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	const char *who = r->who.email ? r->who.email : r->who.actor;
	struct decision_job j = {
		.org_id = r->who.org_id, .incident_uid = req_param(r, "id"),
		.decision = json_string_value(json_object_get(body, "decision")),
		.decided_by = json_string_value(json_object_get(body, "decided_by")),
		.note = json_string_value(json_object_get(body, "note")),
		.recorded_by = who, .decided_at = time_now(), .ac = req_audit_ctx(r)};
	if (!j.decided_by)
		j.decided_by = who;
	const char *at = json_string_value(json_object_get(body, "decided_at"));
	if (at)
		(void)!time_parse_iso8601(at, &j.decided_at);
	errors = NULL;
	if (!decision_name_ok(j.decision))
		validate_add(&errors, "decision", "a trigger name or a clock key: a-z, 0-9 and _");
	if (j.decided_at > time_now() + 300)
		validate_add(&errors, "decided_at", "must not be in the future");
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	int rc = store_tx(r->app->store, decision_tx, &j);
	json_decref(body);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "recording the decision");
	return resp_json(r, 201, j.out);
}

static int h_decision_list(struct req *r)
{
	struct db *db = api_db(r);
	int64_t id;
	if (!db || incident_of(r, db, &id) < 0)
		return 0;
	json_t *items;
	int rc = clock_decision_list(db, r->who.org_id, id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing decisions");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

struct sub_job {
	int64_t org_id;
	const char *incident_uid, *clock_uid;
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
	int rc = notify_incident_id(db, j->org_id, j->incident_uid, &id);
	if (rc < 0)
		return rc;
	return clock_submission_add(db, &j->ac, j->org_id, id, j->clock_uid, &j->in, time_now(),
				    &j->out, &j->why);
}

static int h_submission_add(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, submission_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	const char *who = r->who.email ? r->who.email : r->who.actor;
	struct sub_job j = {.org_id = r->who.org_id, .incident_uid = req_param(r, "id"),
			    .clock_uid = req_param(r, "cid"), .ac = req_audit_ctx(r)};
#define S(f) json_string_value(json_object_get(body, f))
	j.in.stage = S("stage");
	j.in.outcome = S("outcome") ? S("outcome") : "submitted";
	j.in.authority = S("authority");
	j.in.reference = S("reference");
	j.in.submitted_by = S("submitted_by") ? S("submitted_by") : who;
	j.in.evidence_id = S("evidence_id");
	j.in.justification = S("justification");
	j.in.decision = S("decision");
	j.in.recorded_by = who;
	j.in.submitted_at = time_now();
	if (S("submitted_at"))
		(void)!time_parse_iso8601(S("submitted_at"), &j.in.submitted_at);
#undef S
	if (j.in.submitted_at > time_now() + 300) {
		json_decref(body);
		errors = NULL;
		validate_add(&errors, "submitted_at", "must not be in the future");
		return api_invalid(r, errors);
	}
	sb_init(&j.why, 4096);
	int rc = store_tx(r->app->store, sub_tx, &j);
	json_decref(body);
	if (rc == SIRT_EINVAL) {
		errors = NULL;
		const char *w = sb_str(&j.why);
		size_t fl = strcspn(w, ":");
		char *field = arena_strndup(&r->arena, w, fl);
		validate_add(&errors, field, w[fl] ? w + fl + 2 : w);
		sb_free(&j.why);
		return api_invalid(r, errors);
	}
	sb_free(&j.why);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident or clock", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "recording the submission");
	return resp_json(r, 201, j.out);
}

const struct route api_clocks_routes[] = {
	{"GET", "/api/v1/clock-definitions", PERM_READ, BODY_NONE, 0, h_def_list, NULL,
	 "Clock definitions of the organisation (built-ins included)", "clocks", NULL, 0},
	{"POST", "/api/v1/clock-definitions", PERM_MANAGE, BODY_JSON, 0, h_def_create, NULL,
	 "Add a clock definition (e.g. a customer contract)", "clocks", def_fields, 0},
	{"GET", "/api/v1/clock-definitions/{key}", PERM_READ, BODY_NONE, 0, h_def_get, NULL,
	 "Read a clock definition", "clocks", NULL, 0},
	{"PUT", "/api/v1/clock-definitions/{key}", PERM_MANAGE, BODY_JSON, 0, h_def_put, NULL,
	 "Replace a clock definition (honours If-Match)", "clocks", def_fields, 0},
	{"DELETE", "/api/v1/clock-definitions/{key}", PERM_MANAGE, BODY_NONE, 0, h_def_delete, NULL,
	 "Delete an organisation's own clock definition", "clocks", NULL, 0},
	{"POST", "/api/v1/clock-preview", PERM_READ, BODY_JSON, 0, h_preview, NULL,
	 "Compute a definition's deadlines for given trigger times", "clocks", preview_fields, 0},
	{"GET", "/api/v1/incidents/{id}/clocks", PERM_READ, BODY_NONE, 0, h_clock_list, NULL,
	 "The incident's clocks with each stage's deadline, status and time left", "clocks", NULL,
	 0},
	{"POST", "/api/v1/incidents/{id}/clocks", PERM_RESPOND, BODY_JSON, 0, h_clock_apply, NULL,
	 "Apply a clock to the incident", "clocks", apply_fields, 0},
	{"POST", "/api/v1/incidents/{id}/clock-rules", PERM_RESPOND, BODY_NONE, 0, h_clock_rules,
	 NULL, "Apply the clocks the rules call for (personal data -> GDPR Art. 33)", "clocks",
	 NULL, 0},
	{"GET", "/api/v1/incidents/{id}/clocks/{cid}", PERM_READ, BODY_NONE, 0, h_clock_get, NULL,
	 "One clock of the incident", "clocks", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/clocks/{cid}/submissions", PERM_RESPOND, BODY_JSON, 0,
	 h_submission_add, NULL, "Record a submission (or that a stage is not required)", "clocks",
	 submission_fields, 0},
	{"GET", "/api/v1/incidents/{id}/decisions", PERM_READ, BODY_NONE, 0, h_decision_list, NULL,
	 "Decisions recorded on the incident", "clocks", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/decisions", PERM_RESPOND, BODY_JSON, 0, h_decision_add,
	 NULL, "Record a decision that starts clocks (e.g. classified_major)", "clocks",
	 decision_fields, 0},
};
ROUTES_COUNT(api_clocks);
