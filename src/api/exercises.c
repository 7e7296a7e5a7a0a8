/* /api/v1/exercises: tabletop, simulation and full-scale exercises. */
#include <stdlib.h>
#include <string.h>

#include "api/review_api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "http/routes.h"
#include "store/exercise_store.h"
#include "util/timeutil.h"

static const char *const kinds[] = {"tabletop", "simulation", "full_scale", NULL};
static const char *const statuses[] = {"planned", "held", "cancelled", NULL};

#define EX_FIELDS(req)                                                                        \
	{"kind", F_ENUM, req, false, 0, kinds, "tabletop, simulation or full_scale"},          \
	{"title", F_STRING, req, false, 200, NULL, "a name for the exercise"},                \
	{"scheduled_at", F_TIME, req, false, 0, NULL, "when it takes (or took) place"},       \
	{"duration_minutes", F_INT, false, true, 0, NULL, "how long it lasts"},               \
	{"status", F_ENUM, false, false, 0, statuses, "planned (default), held or cancelled"},\
	{"scenario", F_TEXT, false, false, 50000, NULL, "the scenario (Markdown)"},            \
	{"objectives", F_STRINGS, false, false, 50, NULL, "what the exercise tests"},          \
	{"injects", F_ARRAY, false, false, 200, NULL,                                          \
	 "[{at (RFC 3339) or offset_minutes, text}] events fed to the players"},              \
	{"participants", F_ARRAY, false, false, 200, NULL,                                     \
	 "[{name, email, role, attended}] (attendance counts as training)"},                  \
	{"observations", F_TEXT, false, false, 50000, NULL, "what was observed (Markdown)"},   \
	{"findings", F_STRINGS, false, false, 100, NULL, "findings, one per item"},            \
	{"lessons_learned", F_TEXT, false, false, 50000, NULL, "lessons learned (Markdown)"},  \
	{"facilitator", F_STRING, false, false, 200, NULL, "who ran it"},                     \
	{"plan_version_id", F_STRING, false, true, 64, NULL, "the plan version exercised"},   \
	{"plan_version_label", F_STRING, false, true, 100, NULL, "its label"}

static const struct field_spec create_fields[] = {EX_FIELDS(true), {NULL}};
static const struct field_spec patch_fields[] = {EX_FIELDS(false), {NULL}};

static const struct field_spec participant_fields[] = {
	{"name", F_STRING, true, false, 200, NULL, NULL},
	{"email", F_STRING, false, true, 254, NULL, NULL},
	{"role", F_STRING, false, false, 100, NULL, NULL},
	{"attended", F_BOOL, false, false, 0, NULL, NULL},
	{NULL},
};
static const struct field_spec inject_fields[] = {
	{"at", F_TIME, false, false, 0, NULL, NULL},
	{"offset_minutes", F_INT, false, false, 0, NULL, NULL},
	{"text", F_TEXT, true, false, 5000, NULL, NULL},
	{NULL},
};

static bool blank(const char *s)
{
	return !s || strspn(s, " \t\r\n") == strlen(s);
}

/* Items of an array of objects against a spec; errors named "key[i].field". */
static void check_items(json_t *arr, const char *key, const struct field_spec *spec,
			json_t **errors)
{
	size_t i;
	json_t *x;
	char path[96];
	json_array_foreach(arr, i, x) {
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		if (!json_is_object(x)) {
			validate_add(errors, path, "must be an object");
			continue;
		}
		json_t *e = NULL;
		if (validate_body(x, spec, &e) < 0) {
			size_t k;
			json_t *m;
			json_array_foreach(e, k, m) {
				char p2[160];
				snprintf(p2, sizeof(p2), "%s.%s", path,
					 json_string_value(json_object_get(m, "field")));
				validate_add(errors, p2, json_string_value(json_object_get(m, "message")));
			}
			json_decref(e);
			continue;
		}
		if (!strcmp(key, "participants")) {
			const char *em = json_string_value(json_object_get(x, "email"));
			snprintf(path + strlen(path), sizeof(path) - strlen(path), ".email");
			if (em && !email_valid(em))
				validate_add(errors, path, "is not a valid e-mail address");
			if (blank(json_string_value(json_object_get(x, "name")))) {
				snprintf(path, sizeof(path), "%s[%zu].name", key, i);
				validate_add(errors, path, "must not be blank");
			}
		} else {
			if (!json_object_get(x, "at") && !json_object_get(x, "offset_minutes")) {
				snprintf(path + strlen(path), sizeof(path) - strlen(path), ".at");
				validate_add(errors, path, "an inject needs a time: at or offset_minutes");
			}
		}
	}
}

static int check_body(struct req *r, json_t *body, const struct field_spec *spec)
{
	json_t *errors = NULL;
	if (validate_body(body, spec, &errors) == 0) {
		check_items(json_object_get(body, "participants"), "participants",
			    participant_fields, &errors);
		check_items(json_object_get(body, "injects"), "injects", inject_fields, &errors);
		json_t *t = json_object_get(body, "title");
		if (t && blank(json_string_value(t)))
			validate_add(&errors, "title", "must not be blank");
		json_t *d = json_object_get(body, "duration_minutes");
		if (json_is_integer(d) && (json_integer_value(d) < 1 || json_integer_value(d) > 100000))
			validate_add(&errors, "duration_minutes", "must be from 1 to 100000");
	}
	if (errors)
		return api_invalid(r, errors), -1;
	return 0;
}

struct ex_job {
	bool create;
	int64_t org_id;
	const char *uid;
	const char *by;
	int64_t version;
	json_t *body;
	struct audit_ctx ac;
	int64_t now;
	struct op_result res;
	json_t *out;
};

static int ex_tx(struct db *db, void *arg)
{
	struct ex_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	if (j->create)
		return exercise_create(db, &j->ac, j->org_id, j->body, j->by, j->now, &j->res, &j->out);
	return exercise_update(db, &j->ac, j->org_id, j->uid, j->version, j->body, j->now, &j->res,
			       &j->out);
}

static int run(struct req *r, bool create)
{
	struct ex_job j = {.create = create, .org_id = r->who.org_id, .uid = req_param(r, "id"),
			   .by = r->who.email, .ac = req_audit_ctx(r), .now = time_now()};
	if (!create && api_if_match(r, &j.version) < 0)
		return 0;
	if (req_json(r, &j.body) < 0)
		return 0;
	if (check_body(r, j.body, create ? create_fields : patch_fields) < 0) {
		json_decref(j.body);
		return 0;
	}
	int rc = store_tx(r->app->store, ex_tx, &j);
	json_decref(j.body);
	if (rc < 0) {
		json_decref(j.out);
		return rapi_fail(r, rc, &j.res, "no such exercise");
	}
	op_free(&j.res);
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	if (create)
		resp_header(r, "Location",
			    arena_printf(&r->arena, "/api/v1/exercises/%s",
					 json_string_value(json_object_get(j.out, "id"))));
	return resp_json(r, create ? 201 : 200, j.out);
}

static int h_create(struct req *r)
{
	return run(r, true);
}

static int h_patch(struct req *r)
{
	return run(r, false);
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = exercise_get(db, r->who.org_id, req_param(r, "id"), time_now(), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such exercise", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the exercise");
	api_etag(r, json_integer_value(json_object_get(o, "version")));
	return resp_json(r, 200, o);
}

static int h_list(struct req *r)
{
	struct exercise_filter f = {0};
	if (api_limit(r, &f.limit) < 0 || rapi_cursor(r, &f.cursor_at, &f.cursor_id) < 0)
		return 0;
	f.status = req_query(r, "status");
	f.kind = req_query(r, "kind");
	if (f.status && !rapi_in(statuses, f.status))
		return resp_problem(r, 400, NULL, "status must be planned, held or cancelled", NULL);
	if (f.kind && !rapi_in(kinds, f.kind))
		return resp_problem(r, 400, NULL, "kind must be tabletop, simulation or full_scale",
				    NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	char *next = NULL;
	int rc = exercise_list(db, r->who.org_id, &f, &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing exercises");
	json_t *o = json_pack("{s:o, s:s?}", "items", items, "next_cursor", next);
	if (!next)
		json_object_set_new(o, "next_cursor", json_null());
	free(next);
	return resp_json(r, 200, o);
}

static int h_attendance(struct req *r)
{
	const char *s = req_query(r, "since");
	int64_t since = time_now() - 366 * 86400;
	if (s && time_parse_date(s, &since) < 0 && time_parse_iso8601(s, &since) < 0)
		return resp_problem(r, 400, NULL, "since must be a date (YYYY-MM-DD) or RFC 3339 time",
				    NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = exercise_attendance(db, r->who.org_id, since, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing attendance");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

const struct route api_exercises_routes[] = {
	{"POST", "/api/v1/exercises", PERM_MANAGE, BODY_JSON, 0, h_create, NULL,
	 "Record an exercise (planned, or held if it has taken place)", "exercises", create_fields,
	 0},
	{"GET", "/api/v1/exercises", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "List exercises, newest first (?status, ?kind)", "exercises", NULL, 0},
	{"GET", "/api/v1/exercises/attendance", PERM_READ, BODY_NONE, 0, h_attendance, NULL,
	 "Who attended held exercises since ?since= (default a year), for training records",
	 "exercises", NULL, 0},
	{"GET", "/api/v1/exercises/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read an exercise with participants, action items and plan revisions", "exercises", NULL,
	 0},
	{"PATCH", "/api/v1/exercises/{id}", PERM_MANAGE, BODY_JSON, 0, h_patch, NULL,
	 "Update an exercise; one in the future cannot be held (honours If-Match)", "exercises",
	 patch_fields, 0},
};
ROUTES_COUNT(api_exercises);
