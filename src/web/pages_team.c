/*
 * The team pages:
 *   GET  /team                        roster: roles, contacts, time zone, deputy,
 *                                     training status; who is on call now
 *   GET  /team/members/new, POST      add a member
 *   GET  /team/members/{id}, POST     a member: edit form, training records
 *   POST /team/members/{id}/training  record a training
 *   POST /team/members/{id}/verify    create a contact verification link; the
 *                                     page shows it once (it is a secret, so it
 *                                     is rendered in the response, never put in
 *                                     a redirect or a cookie)
 *   GET  /team/oncall                 rotations; current and next on call per role
 *
 * Handlers call team_store.h directly; writes run in store_tx jobs that
 * report refusals through struct plan_err. The checks on contact details
 * are the API's (core/contact.h, IANA zone names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "core/oncall.h"
#include "core/plan_doc.h"
#include "http/routes.h"
#include "store/store.h"
#include "store/team_store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/pages_prog.h"
#include "web/web.h"

enum op { OP_MEMBER, OP_TRAINING, OP_VERIFY };

struct job {
	enum op op;
	int64_t org;
	const char *uid;
	int64_t expect;
	json_t *body;
	int64_t d1, d2;
	struct audit_ctx ac;
	json_t *out;
	struct plan_err err;
};

static const char *const member_fields[] = {"name", "user", "email", "phone", "ooh_phone",
					    "chat_handle", "time_zone", "deputy", NULL};

static int show_member(struct req *r, const char *uid, json_t *state, int status);

static int job_tx(struct db *db, void *arg)
{
	struct job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	plan_err_reset(&j->err);
	switch (j->op) {
	case OP_MEMBER:
		return team_member_save(db, &j->ac, j->org, j->uid, j->expect, j->body, &j->out, &j->err);
	case OP_TRAINING:
		return team_training_add(db, &j->ac, j->org, j->uid, j->body, j->d1, j->d2, &j->out,
					 &j->err);
	case OP_VERIFY:
		return team_verify_create(db, &j->ac, j->org, j->uid, &j->out, &j->err);
	}
	return SIRT_EINVAL;
}

static void job_done(struct job *j)
{
	json_decref(j->out);
	j->out = NULL;
	json_decref(j->err.errors);
	j->err.errors = NULL;
}

static const char *member_path(struct req *r, const char *uid, const char *suffix)
{
	return prog_path(r, "/team/members/", uid, suffix);
}

/* {key: name} of every role. */
static json_t *role_names(struct db *db, int64_t org)
{
	json_t *items = NULL, *o = json_object();
	if (team_roles_list(db, org, &items) == 0) {
		size_t i;
		json_t *x;
		json_array_foreach(items, i, x)
			json_object_set(o, json_string_value(json_object_get(x, "key")) ?: "",
					json_object_get(x, "name"));
	}
	json_decref(items);
	return o;
}

static const char *training_text(struct req *r, json_t *t, const char **label)
{
	const char *st = json_string_value(json_object_get(t, "status")) ?: "missing";
	const char *exp = json_string_value(json_object_get(t, "expires_on"));
	if (!strcmp(st, "current")) {
		*label = "Valid";
		return arena_printf(&r->arena, "valid until %s", exp ? exp : "?");
	}
	if (!strcmp(st, "expiring")) {
		*label = "Expiring";
		return arena_printf(&r->arena, "expires %s", exp ? exp : "soon");
	}
	if (!strcmp(st, "expired")) {
		*label = "Expired";
		return arena_printf(&r->arena, "expired %s", exp ? exp : "");
	}
	*label = "Missing";
	return "no training recorded";
}

static json_t *member_view(struct req *r, json_t *m, json_t *names)
{
	json_t *o = json_deep_copy(m);
	json_t *roles = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(m, "roles"), i, x) {
		json_t *n = json_object_get(names, json_string_value(x) ?: "");
		json_array_append_new(roles, json_pack("{s:O, s:s}", "key", x, "name",
						       n ? json_string_value(n) : pages_label(r, NULL, json_string_value(x))));
	}
	json_object_set_new(o, "role_list", roles);
	json_t *t = json_object_get(o, "training");
	if (json_is_object(t)) {
		const char *label;
		const char *text = training_text(r, t, &label);
		json_object_set_new(t, "label", json_string(label));
		json_object_set_new(t, "text", json_string(text));
		if (!json_object_get(t, "status"))
			json_object_set_new(t, "status", json_string("missing"));
	} else {
		json_object_set_new(o, "training", json_pack("{s:s, s:s, s:s}", "status", "missing",
							     "label", "Missing", "text", "no training recorded"));
	}
	prog_time(r, o, "contact_verified_at");
	return o;
}

/* The on-call view for each role: now and next. */
static json_t *oncall_view(struct req *r, struct db *db, json_t *names, int *rc_out)
{
	json_t *now = NULL, *out = json_array();
	int64_t t = time_now();
	*rc_out = oncall_now(db, r->who.org_id, t, &now);
	if (*rc_out < 0)
		return out;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(now, "roles"), i, x) {
		json_t *o = json_deep_copy(x);
		const char *role = json_string_value(json_object_get(x, "role")) ?: "";
		json_t *n = json_object_get(names, role);
		json_object_set_new(o, "role_name", json_string(n ? json_string_value(n) : pages_label(r, NULL, role)));
		prog_time(r, o, "from");
		prog_time(r, o, "until");
		prog_label(r, o, "source", NULL);
		/* next: whoever is on call when this shift ends */
		int64_t until;
		json_t *later = NULL;
		if (time_parse_iso8601(json_string_value(json_object_get(x, "until")) ?: "", &until) == 0 &&
		    oncall_now(db, r->who.org_id, until, &later) == 0) {
			size_t k;
			json_t *y;
			json_array_foreach(json_object_get(later, "roles"), k, y) {
				if (!json_equal(json_object_get(y, "rotation"), json_object_get(x, "rotation")))
					continue;
				json_t *nx = json_deep_copy(y);
				prog_time(r, nx, "until");
				json_object_set_new(o, "next", nx);
				break;
			}
		}
		json_decref(later);
		json_array_append_new(out, o);
	}
	json_decref(now);
	return out;
}

/* ------------------------------------------------------------ GET /team */

static int h_team(struct req *r)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	const char *all = req_query(r, "inactive");
	bool inactive = all && !strcmp(all, "1");
	json_t *items = NULL, *gaps = NULL;
	int rc = team_member_list(db, r->who.org_id, inactive, &items);
	if (rc == 0)
		rc = team_training_gaps(db, r->who.org_id, time_now(), &gaps);
	if (rc < 0) {
		json_decref(items);
		return resp_error(r, rc, "reading the team");
	}
	json_t *names = role_names(db, r->who.org_id);
	json_t *m = prog_model(r, "team", "Team");
	json_t *ms = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(items, i, x)
		json_array_append_new(ms, member_view(r, x, names));
	json_object_set_new(m, "members", ms);
	json_object_set_new(m, "inactive", json_boolean(inactive));
	json_object_set(m, "gaps", json_object_get(gaps, "summary"));
	json_object_set_new(m, "oncall", oncall_view(r, db, names, &rc));
	json_decref(names);
	json_decref(items);
	json_decref(gaps);
	if (rc < 0) {
		json_decref(m);
		return resp_error(r, rc, "reading who is on call");
	}
	return web_render(r, 200, tmpl_team, m);
}

/* ------------------------------------------------------------ member form */

/* The form model: roles as checkboxes, deputies as options. */
static int form_options(struct req *r, struct db *db, json_t *m, const char *self, json_t *checked)
{
	json_t *roles = NULL, *members = NULL;
	int rc = team_roles_list(db, r->who.org_id, &roles);
	if (rc == 0)
		rc = team_member_list(db, r->who.org_id, false, &members);
	if (rc < 0) {
		json_decref(roles);
		return rc;
	}
	size_t i;
	json_t *x;
	json_array_foreach(roles, i, x) {
		bool on = false;
		size_t k;
		json_t *y;
		json_array_foreach(checked, k, y)
			if (json_equal(y, json_object_get(x, "key")))
				on = true;
		json_object_set_new(x, "checked", json_boolean(on));
	}
	json_t *deps = json_array();
	json_array_foreach(members, i, x) {
		const char *id = json_string_value(json_object_get(x, "id"));
		if (self && id && !strcmp(id, self))
			continue;
		json_array_append_new(deps, json_pack("{s:O, s:O}", "value", json_object_get(x, "id"),
						      "label", json_object_get(x, "name")));
	}
	json_object_set_new(m, "roles", roles);
	json_object_set_new(m, "deputies", deps);
	json_decref(members);
	return 0;
}

/* The form's values as a member body (create: blank fields left out; edit:
 * blank fields clear); errors as {field: message}. */
static json_t *member_body(struct req *r, bool create, json_t *role_keys, json_t *errors)
{
	json_t *b = json_object();
	for (int i = 0; member_fields[i]; i++) {
		const char *v = pages_field(r, member_fields[i]);
		if (v)
			json_object_set_new(b, member_fields[i], json_string(v));
		else if (!create && strcmp(member_fields[i], "name") && strcmp(member_fields[i], "time_zone"))
			json_object_set_new(b, member_fields[i], json_null());
	}
	json_object_set(b, "roles", role_keys);
	if (!create)
		json_object_set_new(b, "active", json_boolean(req_form(r, "active") != NULL));
	struct strbuf why;
	sb_init(&why, 500);
	const char *name = json_string_value(json_object_get(b, "name"));
	if (!name)
		json_object_set_new(errors, "name", json_string("Enter the person's name."));
	else if (strlen(name) > 200 || !text_is_single_line(name))
		json_object_set_new(errors, "name", json_string("At most 200 characters, on one line."));
	static const char *const mails[] = {"email", "user", NULL};
	for (int i = 0; mails[i]; i++) {
		const char *e = json_string_value(json_object_get(b, mails[i]));
		sb_reset(&why);
		if (e) {
			char *lc = arena_strdup(&r->arena, e);
			for (char *p = lc; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			json_object_set_new(b, mails[i], json_string(lc));
			if (contact_email_check(lc, &why) < 0)
				json_object_set_new(errors, mails[i], json_string(sb_str(&why)));
		}
	}
	static const char *const phones[] = {"phone", "ooh_phone", NULL};
	for (int i = 0; phones[i]; i++) {
		const char *p = json_string_value(json_object_get(b, phones[i]));
		sb_reset(&why);
		if (p && contact_phone_check(p, &why) < 0)
			json_object_set_new(errors, phones[i], json_string(sb_str(&why)));
	}
	sb_free(&why);
	const char *chat = json_string_value(json_object_get(b, "chat_handle"));
	if (chat && (strlen(chat) > 100 || !text_is_single_line(chat)))
		json_object_set_new(errors, "chat_handle", json_string("At most 100 characters, on one line."));
	const char *tz = json_string_value(json_object_get(b, "time_zone"));
	if (tz) {
		struct oncall_tz *z = NULL;
		if (strlen(tz) > 64 || oncall_tz_load(tz, &z) < 0)
			json_object_set_new(errors, "time_zone",
					    json_string("Not a known IANA time zone name, e.g. Europe/London or UTC."));
		oncall_tz_free(z);
	}
	return b;
}

static json_t *form_echo(struct req *r)
{
	json_t *f = json_object();
	for (int i = 0; member_fields[i]; i++)
		json_object_set_new(f, member_fields[i], json_string(prog_raw(r, member_fields[i])));
	json_object_set_new(f, "active", json_boolean(req_form(r, "active") != NULL));
	return f;
}

static json_t *checked_roles(struct req *r, struct db *db)
{
	json_t *roles = NULL, *keys = json_array();
	if (team_roles_list(db, r->who.org_id, &roles) == 0) {
		size_t i;
		json_t *x;
		json_array_foreach(roles, i, x) {
			const char *k = json_string_value(json_object_get(x, "key")) ?: "";
			if (req_form(r, arena_printf(&r->arena, "role_%s", k)))
				json_array_append_new(keys, json_string(k));
		}
	}
	json_decref(roles);
	return keys;
}

static int render_new(struct req *r, json_t *form, json_t *checked, json_t *errors, const char *error, int status)
{
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(form);
		json_decref(errors);
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	}
	json_t *m = prog_model(r, "team", "Add a team member");
	int rc = form_options(r, db, m, NULL, checked);
	if (rc < 0) {
		json_decref(m);
		json_decref(form);
		json_decref(errors);
		return resp_error(r, rc, "reading the team");
	}
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", errors ? errors : json_object());
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return web_render(r, status, tmpl_team_member_new, m);
}

static int h_new_form(struct req *r)
{
	json_t *checked = json_array();
	int rc = render_new(r, json_pack("{s:s}", "time_zone", "UTC"), checked, NULL, NULL, 200);
	json_decref(checked);
	return rc;
}

static int h_new_post(struct req *r)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	json_t *checked = checked_roles(r, db);
	json_t *errors = json_object();
	json_t *body = member_body(r, true, checked, errors);
	const char *error = NULL;
	int status = 422;
	if (json_object_size(errors) == 0) {
		struct job j = {.op = OP_MEMBER, .org = r->who.org_id, .body = body, .ac = req_audit_ctx(r)};
		int rc = store_tx(r->app->store, job_tx, &j);
		if (j.err.status) {
			json_t *e = prog_errors(j.err.errors);
			json_object_update(errors, e);
			json_decref(e);
			if (!j.err.errors)
				error = arena_strdup(&r->arena, j.err.detail);
			status = j.err.status;
		} else if (rc < 0) {
			job_done(&j);
			json_decref(body);
			json_decref(errors);
			json_decref(checked);
			return resp_error(r, rc, "adding the team member");
		} else {
			const char *uid = json_string_value(json_object_get(j.out, "id"));
			const char *loc = member_path(r, uid ? uid : "", "");
			const char *msg = arena_printf(&r->arena, "%s was added to the team.",
						       json_string_value(json_object_get(j.out, "name")) ?: "The member");
			job_done(&j);
			json_decref(body);
			json_decref(errors);
			json_decref(checked);
			return prog_done(r, loc, NULL, msg);
		}
		job_done(&j);
	}
	json_decref(body);
	int rc = render_new(r, form_echo(r), checked, errors, error, status);
	json_decref(checked);
	return rc;
}

/* ------------------------------------------------------------ a member */

static int show_member(struct req *r, const char *uid, json_t *state, int status)
{
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(state);
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	}
	json_t *mem = NULL, *trainings = NULL;
	int rc = team_member_get(db, r->who.org_id, uid, &mem);
	if (rc == SIRT_ENOTFOUND) {
		json_decref(state);
		return resp_problem(r, 404, NULL, "no such team member", NULL);
	}
	if (rc == 0)
		rc = team_training_list(db, r->who.org_id, uid, &trainings);
	if (rc < 0) {
		json_decref(state);
		json_decref(mem);
		return resp_error(r, rc, "reading the team member");
	}
	json_t *names = role_names(db, r->who.org_id);
	json_t *m = prog_model(r, "team", json_string_value(json_object_get(mem, "name")));
	json_t *mv = member_view(r, mem, names);
	json_decref(names);
	json_object_set_new(m, "member", mv);
	json_object_set_new(m, "trainings", trainings);
	json_t *checked = json_object_get(state, "checked");
	rc = form_options(r, db, m, uid, checked ? checked : json_object_get(mem, "roles"));
	if (rc < 0) {
		json_decref(m);
		json_decref(mem);
		json_decref(state);
		return resp_error(r, rc, "reading the team");
	}
	if (!json_object_get(state, "form")) {
		json_t *f = json_object();
		for (int i = 0; member_fields[i]; i++) {
			json_t *v = json_object_get(mem, member_fields[i]);
			if (!strcmp(member_fields[i], "deputy"))
				v = json_object_get(v, "id");
			json_object_set_new(f, member_fields[i], json_string(json_string_value(v) ?: ""));
		}
		json_object_set(f, "active", json_object_get(mem, "active"));
		json_object_set_new(m, "form", f);
	}
	if (!json_object_get(state, "training_form")) {
		char today[16];
		prog_today(today);
		json_object_set_new(m, "training_form", json_pack("{s:s}", "completed_on", today));
	}
	if (state) {
		json_object_del(state, "checked");
		json_object_update(m, state);
	}
	json_decref(state);
	json_decref(mem);
	return web_render(r, status, tmpl_team_member, m);
}

static int h_member(struct req *r)
{
	return show_member(r, req_param(r, "id"), NULL, 200);
}

static int h_member_post(struct req *r)
{
	const char *uid = req_param(r, "id");
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	json_t *checked = checked_roles(r, db);
	json_t *errors = json_object();
	json_t *body = member_body(r, false, checked, errors);
	const char *vs = pages_field(r, "version");
	int64_t expect = vs ? strtoll(vs, NULL, 10) : 0;
	json_t *state = json_pack("{s:o, s:O}", "form", form_echo(r), "checked", checked);
	int status = 422;
	if (json_object_size(errors) == 0) {
		struct job j = {.op = OP_MEMBER, .org = r->who.org_id, .uid = uid, .expect = expect,
				.body = body, .ac = req_audit_ctx(r)};
		int rc = store_tx(r->app->store, job_tx, &j);
		if (j.err.status == 404 || (!j.err.status && rc == SIRT_ENOTFOUND)) {
			job_done(&j);
			json_decref(body);
			json_decref(errors);
			json_decref(checked);
			json_decref(state);
			return resp_problem(r, 404, NULL, "no such team member", NULL);
		}
		if (j.err.status) {
			json_t *e = prog_errors(j.err.errors);
			json_object_update(errors, e);
			json_decref(e);
			if (!j.err.errors)
				json_object_set_new(state, "error", json_string(j.err.detail));
			status = j.err.status;
		} else if (rc < 0) {
			job_done(&j);
			json_decref(body);
			json_decref(errors);
			json_decref(checked);
			json_decref(state);
			return resp_error(r, rc, "saving the team member");
		} else {
			job_done(&j);
			json_decref(body);
			json_decref(errors);
			json_decref(checked);
			json_decref(state);
			return prog_done(r, member_path(r, uid, ""), NULL, "Saved.");
		}
		job_done(&j);
	}
	json_decref(body);
	json_decref(checked);
	json_object_set_new(state, "errors", errors);
	return show_member(r, uid, state, status);
}

static int h_training(struct req *r)
{
	const char *uid = req_param(r, "id");
	json_t *errors = json_object();
	const char *course = pages_field(r, "course");
	const char *provider = pages_field(r, "provider");
	const char *done_s = pages_field(r, "completed_on");
	const char *exp_s = pages_field(r, "expires_on");
	const char *notes = prog_textarea(r, "notes");
	int64_t done = 0, exp = 0;
	if (!course)
		json_object_set_new(errors, "course", json_string("Name the course or exercise."));
	else if (strlen(course) > 200 || !text_is_single_line(course))
		json_object_set_new(errors, "course", json_string("At most 200 characters, on one line."));
	if (provider && (strlen(provider) > 200 || !text_is_single_line(provider)))
		json_object_set_new(errors, "provider", json_string("At most 200 characters, on one line."));
	if (!done_s || time_parse_date(done_s, &done) < 0)
		json_object_set_new(errors, "completed_on", json_string("Enter the date it was completed (YYYY-MM-DD)."));
	else if (done > time_now() + 14 * 3600)
		json_object_set_new(errors, "completed_on", json_string("Must not be in the future."));
	if (exp_s && time_parse_date(exp_s, &exp) < 0)
		json_object_set_new(errors, "expires_on", json_string("Enter a date (YYYY-MM-DD) or leave it empty."));
	else if (exp_s && done && exp <= done)
		json_object_set_new(errors, "expires_on", json_string("Must be after the completion date."));
	if (notes && strlen(notes) > 2000)
		json_object_set_new(errors, "notes", json_string("At most 2000 characters."));
	json_t *state = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:b}", "training_form", "course",
				  prog_raw(r, "course"), "provider", prog_raw(r, "provider"),
				  "completed_on", prog_raw(r, "completed_on"), "expires_on",
				  prog_raw(r, "expires_on"), "notes", prog_raw(r, "notes"),
				  "training_open", 1);
	int status = 422;
	if (json_object_size(errors) == 0) {
		json_t *body = json_pack("{s:s, s:s}", "member", uid, "course", course);
		if (provider)
			json_object_set_new(body, "provider", json_string(provider));
		if (notes)
			json_object_set_new(body, "notes", json_string(notes));
		struct job j = {.op = OP_TRAINING, .org = r->who.org_id, .uid = uid, .body = body,
				.d1 = done, .d2 = exp, .ac = req_audit_ctx(r)};
		int rc = store_tx(r->app->store, job_tx, &j);
		json_decref(body);
		if (j.err.status == 404 || (!j.err.status && rc == SIRT_ENOTFOUND)) {
			job_done(&j);
			json_decref(errors);
			json_decref(state);
			return resp_problem(r, 404, NULL, "no such team member", NULL);
		}
		if (j.err.status) {
			json_t *e = prog_errors(j.err.errors);
			json_object_update(errors, e);
			json_decref(e);
			if (!j.err.errors)
				json_object_set_new(state, "training_error", json_string(j.err.detail));
			status = j.err.status;
		} else if (rc < 0) {
			job_done(&j);
			json_decref(errors);
			json_decref(state);
			return resp_error(r, rc, "recording the training");
		} else {
			job_done(&j);
			json_decref(errors);
			json_decref(state);
			return prog_done(r, member_path(r, uid, "#training"), NULL, "Training recorded.");
		}
		job_done(&j);
	}
	json_object_set_new(state, "training_errors", errors);
	return show_member(r, uid, state, status);
}

static int h_verify(struct req *r)
{
	const char *uid = req_param(r, "id");
	struct job j = {.op = OP_VERIFY, .org = r->who.org_id, .uid = uid, .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, job_tx, &j);
	if (j.err.status == 404 || (!j.err.status && rc == SIRT_ENOTFOUND)) {
		job_done(&j);
		return resp_problem(r, 404, NULL, "no such team member", NULL);
	}
	if (j.err.status) {
		json_t *state = json_pack("{s:s}", "verify_error", j.err.detail);
		int st = j.err.status;
		job_done(&j);
		return show_member(r, uid, state, st);
	}
	if (rc < 0) {
		job_done(&j);
		return resp_error(r, rc, "creating the verification link");
	}
	const char *base = r->app->cfg.base_url ? r->app->cfg.base_url : "";
	json_t *v = json_pack("{s:s+, s:O}", "link", base,
			      json_string_value(json_object_get(j.out, "link")) ?: "", "expires_at",
			      json_object_get(j.out, "expires_at"));
	prog_time(r, v, "expires_at");
	job_done(&j);
	json_t *state = json_pack("{s:o, s:{s:s, s:s}}", "verify", v, "flash", "kind", "ok", "text",
				  "Verification link created: send it to the member now; it is shown only once.");
	return show_member(r, uid, state, 201);
}

/* ------------------------------------------------------------ on call */

static int h_oncall(struct req *r)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	json_t *rots = NULL, *members = NULL;
	int rc = oncall_rotation_list(db, r->who.org_id, &rots);
	if (rc == 0)
		rc = team_member_list(db, r->who.org_id, true, &members);
	if (rc < 0) {
		json_decref(rots);
		return resp_error(r, rc, "reading the rotations");
	}
	json_t *names = role_names(db, r->who.org_id);
	json_t *who = json_object();
	size_t i, k, n;
	json_t *x, *y, *z;
	json_array_foreach(members, i, x)
		json_object_set(who, json_string_value(json_object_get(x, "id")) ?: "", json_object_get(x, "name"));
	json_array_foreach(rots, i, x) {
		const char *role = json_string_value(json_object_get(x, "role")) ?: "";
		json_t *rn = json_object_get(names, role);
		json_object_set_new(x, "role_name", json_string(rn ? json_string_value(rn) : pages_label(r, NULL, role)));
		json_array_foreach(json_object_get(x, "layers"), k, y) {
			json_t *mn = json_array();
			json_array_foreach(json_object_get(y, "members"), n, z) {
				json_t *nm = json_object_get(who, json_string_value(z) ?: "");
				json_array_append_new(mn, json_string(nm ? json_string_value(nm) : "(removed member)"));
			}
			json_object_set_new(y, "member_names", mn);
		}
		json_array_foreach(json_object_get(x, "overrides"), k, y) {
			prog_time(r, y, "starts_at");
			prog_time(r, y, "ends_at");
			json_t *nm = json_object_get(who, json_string_value(json_object_get(y, "member")) ?: "");
			if (nm)
				json_object_set(y, "member_name", nm);
		}
	}
	json_t *m = prog_model(r, "team", "On call");
	json_object_set_new(m, "rotations", rots);
	json_object_set_new(m, "oncall", oncall_view(r, db, names, &rc));
	json_object_set_new(m, "zone", json_string(tz_name(pages_zone(r))));
	json_decref(names);
	json_decref(who);
	json_decref(members);
	if (rc < 0) {
		json_decref(m);
		return resp_error(r, rc, "reading who is on call");
	}
	return web_render(r, 200, tmpl_team_oncall, m);
}

#define FORM BODY_FORM, PAGES_FORM_MAX
const struct route pages_team_routes[] = {
	{"GET", "/team", PERM_READ, BODY_NONE, 0, h_team, NULL,
	 "Team page: roster, roles, contacts, training, on call now", "web", NULL, ROUTE_HTML},
	{"GET", "/team/oncall", PERM_READ, BODY_NONE, 0, h_oncall, NULL,
	 "On-call rotations, current and next on call per role", "web", NULL, ROUTE_HTML},
	{"GET", "/team/members/new", PERM_MANAGE, BODY_NONE, 0, h_new_form, NULL,
	 "Add-member form", "web", NULL, ROUTE_HTML},
	{"POST", "/team/members/new", PERM_MANAGE, FORM, h_new_post, NULL,
	 "Add a team member (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/team/members/{id}", PERM_READ, BODY_NONE, 0, h_member, NULL,
	 "A team member: details, training, edit form", "web", NULL, ROUTE_HTML},
	{"POST", "/team/members/{id}", PERM_MANAGE, FORM, h_member_post, NULL,
	 "Save a team member (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/team/members/{id}/training", PERM_MANAGE, FORM, h_training, NULL,
	 "Record a training (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/team/members/{id}/verify", PERM_MANAGE, FORM, h_verify, NULL,
	 "Create a contact verification link (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_team);
