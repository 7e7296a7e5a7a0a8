/*
 * The exercise pages:
 *   GET  /exercises                  planned (soonest first) and held exercises
 *   GET  /exercises/new, POST        plan an exercise (or record one held)
 *   GET  /exercises/{id}             scenario, objectives, injects, participants
 *                                    and attendance, findings, lessons learned,
 *                                    the action items and plan revisions they led to
 *   POST /exercises/{id}/outcome     record what happened: held, attendance,
 *                                    findings, observations, lessons learned
 *                                    (an exercise in the future cannot be held:
 *                                    the store refuses it and the page says why)
 *
 * Action items are added with the form on the exercise page, which posts to
 * /actions/new (pages_actions.c) with the exercise as the source.
 *
 * Lists in forms are one item per line: objectives and findings as they
 * are; injects as "T+15 text" (minutes from the start); participants as
 * "Name, e-mail, role" (e-mail and role optional).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "http/routes.h"
#include "store/exercise_store.h"
#include "store/plan_store.h"
#include "store/store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/pages_prog.h"
#include "web/web.h"

#define LIST_LIMIT 100

static const char *const kinds[] = {"tabletop", "simulation", "full_scale", NULL};
static const char *const text_fields[] = {"kind", "title", "scheduled_at", "duration_minutes",
					  "scenario", "objectives", "injects", "participants",
					  "facilitator", NULL};

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

static int show_exercise(struct req *r, const char *uid, json_t *state, int status);

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

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

static const char *ex_path(struct req *r, const char *uid, const char *suffix)
{
	return prog_path(r, "/exercises/", uid, suffix);
}

static json_t *ex_view(struct req *r, json_t *e)
{
	json_t *o = json_deep_copy(e);
	prog_time(r, o, "scheduled_at");
	prog_time(r, o, "held_at");
	prog_label(r, o, "kind", NULL);
	prog_label(r, o, "status", NULL);
	int64_t at;
	if (time_parse_iso8601(json_string_value(json_object_get(o, "scheduled_at")) ?: "", &at) == 0)
		json_object_set_new(o, "in_future", json_boolean(at > time_now()));
	return o;
}

/* ------------------------------------------------------------ list */

static int h_list(struct req *r)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	json_t *m = prog_model(r, "exercises", "Exercises");
	static const char *const st[] = {"planned", "held", "cancelled"};
	for (int k = 0; k < 3; k++) {
		struct exercise_filter f = {.status = st[k], .limit = LIST_LIMIT};
		json_t *items = NULL;
		char *next = NULL;
		int rc = exercise_list(db, r->who.org_id, &f, &items, &next);
		free(next);
		if (rc < 0) {
			json_decref(m);
			return resp_error(r, rc, "listing exercises");
		}
		json_t *out = json_array();
		size_t i, n = json_array_size(items);
		/* planned: soonest first (the store lists newest first) */
		for (i = 0; i < n; i++) {
			json_t *x = json_array_get(items, k == 0 ? n - 1 - i : i);
			json_array_append_new(out, ex_view(r, x));
		}
		json_decref(items);
		json_object_set_new(m, st[k], out);
	}
	json_t *last = json_array_get(json_object_get(m, "held"), 0);
	if (last)
		json_object_set(m, "last_held", last);
	return web_render(r, 200, tmpl_exercise_list, m);
}

/* ------------------------------------------------------------ new */

static int render_new(struct req *r, json_t *form, json_t *errors, const char *error, int status)
{
	json_t *m = prog_model(r, "exercises", "Plan an exercise");
	json_object_set_new(m, "kinds", pages_options(r, NULL, kinds));
	json_object_set_new(m, "zone", json_string(tz_name(pages_zone(r))));
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", errors ? errors : json_object());
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return web_render(r, status, tmpl_exercise_new, m);
}

static int h_new_form(struct req *r)
{
	return render_new(r, json_pack("{s:s, s:s}", "kind", "tabletop", "duration_minutes", "120"),
			  NULL, NULL, 200);
}

/* Non-blank lines of s, trimmed. */
static json_t *lines(const char *s)
{
	json_t *a = json_array();
	while (s && *s) {
		size_t n = strcspn(s, "\n");
		const char *b = s, *e = s + n;
		while (b < e && (*b == ' ' || *b == '\t' || *b == '\r'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > b) {
			json_t *v = json_stringn(b, (size_t)(e - b));
			if (v)
				json_array_append_new(a, v);
		}
		s += n;
		if (*s)
			s++;
	}
	return a;
}

/* "T+15 text" lines as injects; the first bad line in *err. */
static json_t *parse_injects(struct req *r, const char *s, const char **err)
{
	json_t *ls = lines(s), *out = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(ls, i, l) {
		const char *t = json_string_value(l);
		char *end = NULL;
		long min = -1;
		if ((t[0] == 'T' || t[0] == 't') && t[1] == '+')
			min = strtol(t + 2, &end, 10);
		if (min < 0 || min > 100000 || !end || end == t + 2 || (*end != ' ' && *end != '\t')) {
			*err = arena_printf(&r->arena, "Line %zu: start each inject with T+ and the minutes from the start, e.g. \"T+15 The ransom note appears\".", i + 1);
			break;
		}
		while (*end == ' ' || *end == '\t')
			end++;
		if (!*end || strlen(end) > 5000) {
			*err = arena_printf(&r->arena, "Line %zu: say what happens (at most 5000 characters).", i + 1);
			break;
		}
		json_array_append_new(out, json_pack("{s:i, s:s}", "offset_minutes", (int)min, "text", end));
	}
	json_decref(ls);
	if (json_array_size(out) > 200 && !*err)
		*err = "At most 200 injects.";
	return out;
}

/* "Name, e-mail, role" lines as participants. */
static json_t *parse_participants(struct req *r, const char *s, const char **err)
{
	json_t *ls = lines(s), *out = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(ls, i, l) {
		json_t *parts = pages_list(json_string_value(l));
		const char *name = json_string_value(json_array_get(parts, 0));
		const char *email = json_string_value(json_array_get(parts, 1));
		const char *role = json_string_value(json_array_get(parts, 2));
		if (email && !strchr(email, '@') && !role) { /* "Name, role" */
			role = email;
			email = NULL;
		}
		if (!name || strlen(name) > 200 || json_array_size(parts) > 3) {
			*err = arena_printf(&r->arena, "Line %zu: write \"Name, e-mail, role\" (e-mail and role are optional).", i + 1);
		} else if (email && !email_valid(email)) {
			*err = arena_printf(&r->arena, "Line %zu: %s is not a valid e-mail address.", i + 1, email);
		} else if (role && strlen(role) > 100) {
			*err = arena_printf(&r->arena, "Line %zu: the role is too long (at most 100 characters).", i + 1);
		} else {
			json_t *p = json_pack("{s:s, s:b}", "name", name, "attended", 0);
			if (email)
				json_object_set_new(p, "email", json_string(email));
			if (role)
				json_object_set_new(p, "role", json_string(role));
			json_array_append_new(out, p);
		}
		json_decref(parts);
		if (*err)
			break;
	}
	json_decref(ls);
	if (json_array_size(out) > 200 && !*err)
		*err = "At most 200 participants.";
	return out;
}

static int h_new_post(struct req *r)
{
	const struct tz *z = pages_zone(r);
	json_t *errors = json_object(), *body = json_object();
	const char *kind = pages_field(r, "kind");
	const char *title = pages_field(r, "title");
	const char *when = pages_field(r, "scheduled_at");
	const char *dur = pages_field(r, "duration_minutes");
	const char *scenario = prog_textarea(r, "scenario");
	const char *facilitator = pages_field(r, "facilitator");
	if (!kind || !in_list(kinds, kind))
		json_object_set_new(errors, "kind", json_string("Choose the kind of exercise."));
	else
		json_object_set_new(body, "kind", json_string(kind));
	if (!title)
		json_object_set_new(errors, "title", json_string("Give the exercise a name."));
	else if (strlen(title) > 200 || !text_is_single_line(title))
		json_object_set_new(errors, "title", json_string("At most 200 characters, on one line."));
	else
		json_object_set_new(body, "title", json_string(title));
	int64_t at = 0;
	if (!when || pages_parse_local(z, when, &at) < 0) {
		json_object_set_new(errors, "scheduled_at", json_string("Enter a date and time like 2026-03-04 14:30."));
	} else {
		char iso[ISO8601_LEN];
		time_format_iso8601(at, iso);
		json_object_set_new(body, "scheduled_at", json_string(iso));
	}
	if (dur) {
		char *end;
		long d = strtol(dur, &end, 10);
		if (*end || d < 1 || d > 100000)
			json_object_set_new(errors, "duration_minutes", json_string("Minutes, from 1 to 100000."));
		else
			json_object_set_new(body, "duration_minutes", json_integer(d));
	}
	if (scenario) {
		if (strlen(scenario) > 50000)
			json_object_set_new(errors, "scenario", json_string("At most 50,000 characters."));
		else
			json_object_set_new(body, "scenario", json_string(scenario));
	}
	if (facilitator) {
		if (strlen(facilitator) > 200 || !text_is_single_line(facilitator))
			json_object_set_new(errors, "facilitator", json_string("At most 200 characters, on one line."));
		else
			json_object_set_new(body, "facilitator", json_string(facilitator));
	}
	json_t *obj = lines(pages_field(r, "objectives"));
	size_t i;
	json_t *x;
	json_array_foreach(obj, i, x)
		if (json_string_length(x) > 1000 && !json_object_get(errors, "objectives"))
			json_object_set_new(errors, "objectives", json_sprintf("Line %zu is too long.", i + 1));
	if (json_array_size(obj) > 50)
		json_object_set_new(errors, "objectives", json_string("At most 50 objectives."));
	json_object_set_new(body, "objectives", obj);
	const char *err = NULL;
	json_object_set_new(body, "injects", parse_injects(r, pages_field(r, "injects"), &err));
	if (err)
		json_object_set_new(errors, "injects", json_string(err));
	err = NULL;
	json_object_set_new(body, "participants", parse_participants(r, pages_field(r, "participants"), &err));
	if (err)
		json_object_set_new(errors, "participants", json_string(err));
	const char *error = NULL;
	int status = 422;
	if (json_object_size(errors) == 0) {
		struct ex_job j = {.create = true, .org_id = r->who.org_id, .by = r->who.email,
				   .body = body, .ac = req_audit_ctx(r), .now = time_now()};
		int rc = store_tx(r->app->store, ex_tx, &j);
		if (rc == 0) {
			const char *uid = json_string_value(json_object_get(j.out, "id"));
			const char *loc = ex_path(r, uid ? uid : "", "");
			json_decref(j.out);
			op_free(&j.res);
			json_decref(body);
			json_decref(errors);
			return prog_done(r, loc, NULL, "Exercise planned.");
		}
		json_decref(j.out);
		if (rc != SIRT_EINVAL && rc != SIRT_ECONFLICT) {
			op_free(&j.res);
			json_decref(body);
			json_decref(errors);
			return resp_error(r, rc, "planning the exercise");
		}
		json_t *e = prog_errors(j.res.errors);
		json_object_update(errors, e);
		json_decref(e);
		if (!j.res.errors && j.res.why[0])
			error = arena_strdup(&r->arena, j.res.why);
		op_free(&j.res);
	}
	json_decref(body);
	json_t *form = json_object();
	for (int k = 0; text_fields[k]; k++)
		json_object_set_new(form, text_fields[k], json_string(prog_raw(r, text_fields[k])));
	return render_new(r, form, errors, error, status);
}

/* ------------------------------------------------------------ one exercise */

static int show_exercise(struct req *r, const char *uid, json_t *state, int status)
{
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(state);
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	}
	json_t *e = NULL, *pv = NULL;
	int rc = exercise_get(db, r->who.org_id, uid, time_now(), &e);
	if (rc == SIRT_ENOTFOUND) {
		json_decref(state);
		return resp_problem(r, 404, NULL, "no such exercise", NULL);
	}
	if (rc == 0)
		rc = prog_plan_versions(r, db, "label", &pv);
	if (rc < 0) {
		json_decref(state);
		json_decref(e);
		json_decref(pv);
		return resp_error(r, rc, "reading the exercise");
	}
	json_t *m = prog_model(r, "exercises", json_string_value(json_object_get(e, "title")));
	json_t *v = ex_view(r, e);
	json_object_set_new(v, "scenario_html", prog_markdown(json_string_value(json_object_get(e, "scenario"))));
	json_object_set_new(v, "observations_html", prog_markdown(json_string_value(json_object_get(e, "observations"))));
	json_object_set_new(v, "lessons_html", prog_markdown(json_string_value(json_object_get(e, "lessons_learned"))));
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(v, "injects"), i, x)
		prog_time(r, x, "at");
	json_array_foreach(json_object_get(v, "action_items"), i, x) {
		prog_label(r, x, "status", NULL);
		prog_label(r, x, "priority", NULL);
	}
	json_array_foreach(json_object_get(v, "plan_revisions"), i, x)
		prog_time(r, x, "linked_at");
	json_object_set_new(m, "ex", v);
	json_object_set_new(m, "plan_versions", pv);
	if (!json_object_get(state, "outcome")) {
		struct strbuf sb;
		sb_init(&sb, 1 << 20);
		json_array_foreach(json_object_get(e, "findings"), i, x)
			sb_printf(&sb, "%s\n", json_string_value(x) ?: "");
		json_t *att = json_array();
		json_array_foreach(json_object_get(e, "participants"), i, x)
			json_array_append_new(att, json_boolean(json_is_true(json_object_get(x, "attended"))));
		json_object_set_new(m, "outcome", json_pack("{s:s, s:O, s:O, s:o, s:b}", "findings",
							   sb_status(&sb) == 0 ? sb_str(&sb) : "",
							   "observations", json_object_get(e, "observations"),
							   "lessons_learned", json_object_get(e, "lessons_learned"),
							   "attended", att, "held",
							   !strcmp(json_string_value(json_object_get(e, "status")) ?: "", "held")));
		sb_free(&sb);
	}
	/* participants with their attendance box state (from the form when kept) */
	json_t *att = json_object_get(json_object_get(state ? state : m, "outcome"), "attended");
	json_array_foreach(json_object_get(v, "participants"), i, x) {
		json_object_set_new(x, "box_checked", json_boolean(json_is_true(json_array_get(att, i))));
	}
	char today[16];
	prog_today(today);
	json_object_set_new(m, "action_form", json_pack("{s:s}", "priority", "medium"));
	json_object_set_new(m, "today", json_string(today));
	if (state)
		json_object_update(m, state);
	json_decref(state);
	json_decref(e);
	return web_render(r, status, tmpl_exercise, m);
}

static int h_show(struct req *r)
{
	return show_exercise(r, req_param(r, "id"), NULL, 200);
}

static int h_outcome(struct req *r)
{
	const char *uid = req_param(r, "id");
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	json_t *cur = NULL;
	int rc = exercise_get(db, r->who.org_id, uid, time_now(), &cur);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such exercise", NULL);
	if (rc < 0)
		return resp_error(r, rc, "reading the exercise");
	json_t *errors = json_object(), *patch = json_object();
	bool held = req_form(r, "held") != NULL;
	const char *obs = prog_textarea(r, "observations");
	const char *les = prog_textarea(r, "lessons_learned");
	json_t *findings = lines(pages_field(r, "findings"));
	if (json_array_size(findings) > 100)
		json_object_set_new(errors, "findings", json_string("At most 100 findings."));
	size_t i;
	json_t *x;
	json_array_foreach(findings, i, x)
		if (json_string_length(x) > 2000 && !json_object_get(errors, "findings"))
			json_object_set_new(errors, "findings", json_sprintf("Line %zu is too long (at most 2000 characters).", i + 1));
	if (obs && strlen(obs) > 50000)
		json_object_set_new(errors, "observations", json_string("At most 50,000 characters."));
	if (les && strlen(les) > 50000)
		json_object_set_new(errors, "lessons_learned", json_string("At most 50,000 characters."));
	json_t *ps = json_array(), *att = json_array();
	json_array_foreach(json_object_get(cur, "participants"), i, x) {
		bool on = req_form(r, arena_printf(&r->arena, "attended_%zu", i)) != NULL;
		json_t *p = json_pack("{s:O, s:O, s:b}", "name", json_object_get(x, "name"), "role",
				      json_object_get(x, "role"), "attended", on);
		json_t *em = json_object_get(x, "email");
		if (json_is_string(em))
			json_object_set(p, "email", em);
		json_array_append_new(ps, p);
		json_array_append_new(att, json_boolean(on));
	}
	json_object_set_new(patch, "participants", ps);
	json_object_set_new(patch, "findings", findings);
	json_object_set_new(patch, "observations", json_string(obs ? obs : ""));
	json_object_set_new(patch, "lessons_learned", json_string(les ? les : ""));
	const char *st = json_string_value(json_object_get(cur, "status")) ?: "planned";
	if (held)
		json_object_set_new(patch, "status", json_string("held"));
	else if (!strcmp(st, "held"))
		json_object_set_new(patch, "status", json_string("planned"));
	const char *vs = pages_field(r, "version");
	int64_t expect = vs ? strtoll(vs, NULL, 10) : 0;
	json_t *state = json_pack("{s:{s:s, s:s, s:s, s:o, s:b}, s:b}", "outcome", "findings",
				  prog_raw(r, "findings"), "observations", prog_raw(r, "observations"),
				  "lessons_learned", prog_raw(r, "lessons_learned"), "attended", att,
				  "held", held, "outcome_open", 1);
	json_decref(cur);
	int status = 422;
	if (json_object_size(errors) == 0) {
		struct ex_job j = {.org_id = r->who.org_id, .uid = uid, .by = r->who.email,
				   .version = expect, .body = patch, .ac = req_audit_ctx(r),
				   .now = time_now()};
		rc = store_tx(r->app->store, ex_tx, &j);
		json_decref(j.out);
		if (rc == 0) {
			op_free(&j.res);
			json_decref(patch);
			json_decref(errors);
			json_decref(state);
			return prog_done(r, ex_path(r, uid, ""), NULL,
					 held ? "Recorded as held." : "Saved.");
		}
		if (rc == SIRT_ENOTFOUND) {
			op_free(&j.res);
			json_decref(patch);
			json_decref(errors);
			json_decref(state);
			return resp_problem(r, 404, NULL, "no such exercise", NULL);
		}
		if (rc != SIRT_EINVAL && rc != SIRT_ECONFLICT && rc != SIRT_EPRECOND) {
			op_free(&j.res);
			json_decref(patch);
			json_decref(errors);
			json_decref(state);
			return resp_error(r, rc, "saving the exercise");
		}
		json_t *e = prog_errors(j.res.errors);
		/* the held rule is about the status: show it next to the box */
		json_t *se = json_object_get(e, "status");
		if (se)
			json_object_set(errors, "held", se);
		json_object_update(errors, e);
		json_decref(e);
		if (rc == SIRT_EPRECOND)
			json_object_set_new(state, "outcome_error",
					    json_string("Someone changed this exercise since you opened it: check the page and save again."));
		else if (!j.res.errors && j.res.why[0])
			json_object_set_new(state, "outcome_error", json_string(j.res.why));
		status = rc == SIRT_EPRECOND ? 412 : rc == SIRT_ECONFLICT ? 409 : 422;
		op_free(&j.res);
	}
	json_decref(patch);
	json_object_set_new(state, "outcome_errors", errors);
	return show_exercise(r, uid, state, status);
}

#define FORM BODY_FORM, PAGES_FORM_MAX
const struct route pages_exercises_routes[] = {
	{"GET", "/exercises", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "Exercises page: planned and held", "web", NULL, ROUTE_HTML},
	{"GET", "/exercises/new", PERM_MANAGE, BODY_NONE, 0, h_new_form, NULL,
	 "Plan-an-exercise form", "web", NULL, ROUTE_HTML},
	{"POST", "/exercises/new", PERM_MANAGE, FORM, h_new_post, NULL,
	 "Plan an exercise (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/exercises/{id}", PERM_READ, BODY_NONE, 0, h_show, NULL,
	 "An exercise: scenario, participants, findings, lessons, actions", "web", NULL, ROUTE_HTML},
	{"POST", "/exercises/{id}/outcome", PERM_MANAGE, FORM, h_outcome, NULL,
	 "Record an exercise's outcome (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_exercises);
