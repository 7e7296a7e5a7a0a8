/*
 * The action item pages:
 *   GET  /actions                 the list (filters: status, overdue, owner, source)
 *   GET  /actions/new, POST       create one (also posted by the exercise page's
 *                                 form, which then gets the user back there)
 *   GET  /actions/{id}, POST      one item: details and the edit form
 *   POST /actions/{id}/done       mark it done: the verification note is required
 *
 * Handlers call action_store.h directly; the store keeps the rules (owner
 * and due date never cleared, a note to be done) and reports them per field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "http/routes.h"
#include "store/action_store.h"
#include "store/plan_store.h"
#include "store/store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/pages_prog.h"
#include "web/web.h"

#define LIST_LIMIT 200

static const char *const source_types[] = {"review", "exercise", "quality_review", NULL};
static const char *const priorities[] = {"low", "medium", "high", "critical", NULL};
static const char *const statuses[] = {"open", "in_progress", "done", "wont_do", NULL};
static const char *const form_fields[] = {"source_type", "source_id", "title", "description",
					  "owner", "due_date", "priority", "plan_version",
					  "status", "verification_note", NULL};

struct job {
	bool create;
	struct action_new in;
	int64_t org_id;
	const char *uid;
	int64_t version;
	json_t *patch;
	struct audit_ctx ac;
	int64_t now;
	struct op_result res;
	json_t *out;
};

static bool in_list(const char *const *list, const char *s)
{
	for (; s && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int job_tx(struct db *db, void *arg)
{
	struct job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	if (j->create)
		return action_create(db, &j->ac, &j->in, j->now, &j->res, &j->out);
	return action_update(db, &j->ac, j->org_id, j->uid, j->version, j->patch, j->now, &j->res,
			     &j->out);
}

static const char *action_path(struct req *r, const char *uid)
{
	return prog_path(r, "/actions/", uid, "");
}

static json_t *action_view(struct req *r, json_t *a)
{
	json_t *o = json_deep_copy(a);
	prog_label(r, o, "status", NULL);
	prog_label(r, o, "priority", NULL);
	json_t *src = json_object_get(o, "source");
	if (json_is_object(src)) {
		prog_label(r, src, "type", NULL);
	}
	prog_time(r, o, "done_at");
	prog_time(r, o, "created_at");
	prog_time(r, o, "updated_at");
	return o;
}

/* A plan version label to {id, label}; SIRT_ENOTFOUND when there is none. */
static int plan_ref(struct req *r, const char *label, char id[37], const char **lab)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return SIRT_EUNAVAIL;
	char uid[37];
	json_t *v = NULL;
	int rc = plan_find(db, r->who.org_id, uid);
	if (rc == 0)
		rc = plan_version_get(db, r->who.org_id, uid, label, &v);
	if (rc == 0) {
		snprintf(id, 37, "%s", json_string_value(json_object_get(v, "id")) ?: "");
		*lab = arena_strdup(&r->arena, json_string_value(json_object_get(v, "label")) ?: label);
	}
	json_decref(v);
	return rc;
}

static void check_common(struct req *r, json_t *errors, bool create)
{
	const char *title = pages_field(r, "title");
	const char *owner = pages_field(r, "owner");
	const char *due = pages_field(r, "due_date");
	const char *desc = prog_textarea(r, "description");
	const char *prio = pages_field(r, "priority");
	int64_t t;
	if (!title)
		json_object_set_new(errors, "title", json_string("Say what must be done."));
	else if (strlen(title) > 300 || !text_is_single_line(title))
		json_object_set_new(errors, "title", json_string("At most 300 characters, on one line."));
	if (!owner)
		json_object_set_new(errors, "owner", json_string("Every action item needs an owner."));
	else if (strlen(owner) > 254 || (strchr(owner, '@') && !email_valid(owner)))
		json_object_set_new(errors, "owner", json_string("A user's e-mail or a team member's name."));
	if (!due || time_parse_date(due, &t) < 0)
		json_object_set_new(errors, "due_date", json_string("Enter a due date (YYYY-MM-DD)."));
	if (desc && strlen(desc) > 20000)
		json_object_set_new(errors, "description", json_string("At most 20,000 characters."));
	if (prio && !in_list(priorities, prio))
		json_object_set_new(errors, "priority", json_string("Choose a priority."));
	(void)create;
}

static json_t *form_echo(struct req *r)
{
	json_t *f = json_object();
	for (int i = 0; form_fields[i]; i++)
		json_object_set_new(f, form_fields[i], json_string(prog_raw(r, form_fields[i])));
	return f;
}

static void set_options(struct req *r, json_t *m)
{
	json_object_set_new(m, "source_types", pages_options(r, NULL, source_types));
	json_object_set_new(m, "priorities", pages_options(r, NULL, priorities));
	json_object_set_new(m, "statuses", pages_options(r, NULL, statuses));
}

/* ------------------------------------------------------------ list */

static int h_list(struct req *r)
{
	struct action_filter f = {.now = time_now(), .limit = LIST_LIMIT};
	const char *st = req_query(r, "status"), *src = req_query(r, "source_type");
	const char *owner = req_query(r, "owner"), *od = req_query(r, "overdue");
	f.status = st && in_list(statuses, st) ? st : NULL;
	f.source_type = src && in_list(source_types, src) ? src : NULL;
	f.owner = owner && *owner && strlen(owner) <= 254 ? owner : NULL;
	f.overdue = od && !strcmp(od, "1");
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	json_t *items = NULL;
	char *next = NULL;
	int rc = action_list(db, r->who.org_id, &f, &items, &next);
	free(next);
	if (rc < 0)
		return resp_error(r, rc, "listing action items");
	int64_t overdue = 0;
	if ((rc = actions_overdue(db, r->who.org_id, f.now, 0, NULL, &overdue)) < 0) {
		json_decref(items);
		return resp_error(r, rc, "counting overdue action items");
	}
	json_t *m = prog_model(r, "actions", "Action items");
	set_options(r, m);
	json_t *out = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(items, i, x)
		json_array_append_new(out, action_view(r, x));
	json_decref(items);
	json_object_set_new(m, "items", out);
	json_object_set_new(m, "overdue_count", json_integer(overdue));
	json_object_set_new(m, "filter", json_pack("{s:s, s:s, s:s, s:b}", "status", f.status ?: "",
						   "source_type", f.source_type ?: "", "owner",
						   f.owner ?: "", "overdue", f.overdue));
	json_object_set_new(m, "filtered", json_boolean(f.status || f.source_type || f.owner || f.overdue));
	return web_render(r, 200, tmpl_action_list, m);
}

/* ------------------------------------------------------------ new */

static int render_new(struct req *r, json_t *form, json_t *errors, const char *error, int status)
{
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(form);
		json_decref(errors);
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	}
	json_t *pv = NULL;
	int rc = prog_plan_versions(r, db, "value", &pv);
	if (rc < 0) {
		json_decref(form);
		json_decref(errors);
		json_decref(pv);
		return resp_error(r, rc, "reading the plan");
	}
	json_t *m = prog_model(r, "actions", "New action item");
	set_options(r, m);
	json_object_set_new(m, "plan_versions", pv);
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", errors ? errors : json_object());
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return web_render(r, status, tmpl_action_new, m);
}

static int h_new_form(struct req *r)
{
	char today[16];
	prog_today(today);
	json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "priority", "medium", "due_date", today,
			      "owner", r->who.email ? r->who.email : "", "source_type",
			      req_query(r, "source_type") ?: "exercise");
	const char *sid = req_query(r, "source_id");
	if (sid)
		json_object_set_new(f, "source_id", json_string(sid));
	return render_new(r, f, NULL, NULL, 200);
}

static int h_new_post(struct req *r)
{
	json_t *errors = json_object();
	const char *stype = pages_field(r, "source_type");
	const char *sid = pages_field(r, "source_id");
	if (!stype || !in_list(source_types, stype))
		json_object_set_new(errors, "source_type", json_string("Choose where the item comes from."));
	if (!sid || strlen(sid) > 64)
		json_object_set_new(errors, "source_id",
				    json_string("Give the review (or its incident's key), exercise or quality review."));
	check_common(r, errors, true);
	struct job j = {.create = true, .ac = req_audit_ctx(r), .now = time_now()};
	char pid[37] = "";
	const char *plabel = pages_field(r, "plan_version");
	if (plabel) {
		int rc = plan_ref(r, plabel, pid, &plabel);
		if (rc == SIRT_ENOTFOUND)
			json_object_set_new(errors, "plan_version", json_string("No such plan version."));
		else if (rc < 0) {
			json_decref(errors);
			return resp_error(r, rc, "reading the plan");
		}
	}
	const char *error = NULL;
	int status = 422;
	if (json_object_size(errors) == 0) {
		j.in.org_id = r->who.org_id;
		j.in.source_type = stype;
		j.in.source_ref = sid;
		j.in.title = pages_field(r, "title");
		j.in.description = prog_textarea(r, "description");
		j.in.owner = pages_field(r, "owner");
		j.in.priority = pages_field(r, "priority");
		j.in.plan_version_id = plabel ? pid : NULL;
		j.in.plan_version_label = plabel;
		j.in.created_by = r->who.email;
		if (time_parse_date(pages_field(r, "due_date"), &j.in.due_date) < 0)
			j.in.due_date = 0;
		int rc = store_tx(r->app->store, job_tx, &j);
		if (rc == 0) {
			const char *uid = json_string_value(json_object_get(j.out, "id"));
			const char *loc = !strcmp(stype, "exercise")
						  ? prog_path(r, "/exercises/", json_string_value(json_object_get(json_object_get(j.out, "source"), "id")) ?: sid, "#actions")
						  : action_path(r, uid ? uid : "");
			json_decref(j.out);
			op_free(&j.res);
			json_decref(errors);
			return prog_done(r, loc, NULL, "Action item created.");
		}
		json_decref(j.out);
		if (rc == SIRT_ENOTFOUND || rc == SIRT_EINVAL || rc == SIRT_ECONFLICT) {
			json_t *e = prog_errors(j.res.errors);
			json_object_update(errors, e);
			json_decref(e);
			if (rc == SIRT_ENOTFOUND)
				json_object_set_new(errors, "source_id",
						    json_string(j.res.why[0] ? j.res.why : "No such source in this organisation."));
			else if (!j.res.errors && j.res.why[0])
				error = arena_strdup(&r->arena, j.res.why);
			status = rc == SIRT_ECONFLICT ? 409 : 422;
			op_free(&j.res);
		} else {
			op_free(&j.res);
			json_decref(errors);
			return resp_error(r, rc, "creating the action item");
		}
	}
	return render_new(r, form_echo(r), errors, error, status);
}

/* ------------------------------------------------------------ one item */

static int show_action(struct req *r, const char *uid, json_t *state, int status)
{
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(state);
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	}
	json_t *a = NULL, *pv = NULL;
	int rc = action_get(db, r->who.org_id, uid, time_now(), &a);
	if (rc == SIRT_ENOTFOUND) {
		json_decref(state);
		return resp_problem(r, 404, NULL, "no such action item", NULL);
	}
	if (rc == 0)
		rc = prog_plan_versions(r, db, "value", &pv);
	if (rc < 0) {
		json_decref(state);
		json_decref(a);
		json_decref(pv);
		return resp_error(r, rc, "reading the action item");
	}
	json_t *m = prog_model(r, "actions", json_string_value(json_object_get(a, "title")));
	set_options(r, m);
	json_t *v = action_view(r, a);
	json_object_set_new(v, "description_html", prog_markdown(json_string_value(json_object_get(a, "description"))));
	json_object_set_new(v, "verification_html", prog_markdown(json_string_value(json_object_get(a, "verification_note"))));
	const char *st = json_string_value(json_object_get(a, "status")) ?: "";
	json_object_set_new(v, "closed", json_boolean(!strcmp(st, "done") || !strcmp(st, "wont_do")));
	json_object_set_new(m, "a", v);
	json_object_set_new(m, "plan_versions", pv);
	if (!json_object_get(state, "form")) {
		json_t *f = json_object();
		static const char *const copy[] = {"title", "description", "owner", "due_date",
						   "priority", "status", "verification_note", NULL};
		for (int i = 0; copy[i]; i++)
			json_object_set_new(f, copy[i], json_string(json_string_value(json_object_get(a, copy[i])) ?: ""));
		json_object_set_new(f, "plan_version", json_string(json_string_value(json_object_get(json_object_get(a, "plan_version"), "label")) ?: ""));
		json_object_set_new(m, "form", f);
	}
	if (state)
		json_object_update(m, state);
	json_decref(state);
	json_decref(a);
	return web_render(r, status, tmpl_action, m);
}

static int h_show(struct req *r)
{
	return show_action(r, req_param(r, "id"), NULL, 200);
}

/* Runs the patch; redirects or shows the item with the errors. */
static int run_patch(struct req *r, json_t *patch, json_t *errors, json_t *state, const char *flash)
{
	const char *uid = req_param(r, "id");
	const char *vs = pages_field(r, "version");
	struct job j = {.org_id = r->who.org_id, .uid = uid, .version = vs ? strtoll(vs, NULL, 10) : 0,
			.patch = patch, .ac = req_audit_ctx(r), .now = time_now()};
	int status = 422;
	if (json_object_size(errors) == 0) {
		int rc = store_tx(r->app->store, job_tx, &j);
		json_decref(j.out);
		if (rc == 0) {
			op_free(&j.res);
			json_decref(patch);
			json_decref(errors);
			json_decref(state);
			return prog_done(r, action_path(r, uid), NULL, flash);
		}
		if (rc == SIRT_ENOTFOUND) {
			op_free(&j.res);
			json_decref(patch);
			json_decref(errors);
			json_decref(state);
			return resp_problem(r, 404, NULL, "no such action item", NULL);
		}
		if (rc != SIRT_EINVAL && rc != SIRT_ECONFLICT && rc != SIRT_EPRECOND) {
			op_free(&j.res);
			json_decref(patch);
			json_decref(errors);
			json_decref(state);
			return resp_error(r, rc, "saving the action item");
		}
		json_t *e = prog_errors(j.res.errors);
		json_object_update(errors, e);
		json_decref(e);
		if (rc == SIRT_EPRECOND)
			json_object_set_new(state, "error", json_string("Someone changed this item since you opened it: check it and save again."));
		else if (!j.res.errors && j.res.why[0])
			json_object_set_new(state, "error", json_string(j.res.why));
		status = rc == SIRT_EPRECOND ? 412 : rc == SIRT_ECONFLICT ? 409 : 422;
		op_free(&j.res);
	}
	json_decref(patch);
	json_object_set_new(state, "errors", errors);
	return show_action(r, uid, state, status);
}

static int h_edit(struct req *r)
{
	json_t *errors = json_object(), *patch = json_object();
	check_common(r, errors, false);
	const char *st = pages_field(r, "status");
	const char *note = prog_textarea(r, "verification_note");
	if (!st || !in_list(statuses, st))
		json_object_set_new(errors, "status", json_string("Choose a status."));
	if (note && strlen(note) > 5000)
		json_object_set_new(errors, "verification_note", json_string("At most 5000 characters."));
	static const char *const f[] = {"title", "owner", "due_date", "priority", "status", NULL};
	for (int i = 0; f[i]; i++) {
		const char *v = pages_field(r, f[i]);
		if (v)
			json_object_set_new(patch, f[i], json_string(v));
	}
	json_object_set_new(patch, "description", json_string(prog_textarea(r, "description") ?: ""));
	if (note)
		json_object_set_new(patch, "verification_note", json_string(note));
	const char *plabel = pages_field(r, "plan_version");
	if (plabel) {
		char pid[37];
		int rc = plan_ref(r, plabel, pid, &plabel);
		if (rc == SIRT_ENOTFOUND)
			json_object_set_new(errors, "plan_version", json_string("No such plan version."));
		else if (rc < 0) {
			json_decref(errors);
			json_decref(patch);
			return resp_error(r, rc, "reading the plan");
		} else {
			json_object_set_new(patch, "plan_version_id", json_string(pid));
			json_object_set_new(patch, "plan_version_label", json_string(plabel));
		}
	} else {
		json_object_set_new(patch, "plan_version_id", json_null());
		json_object_set_new(patch, "plan_version_label", json_null());
	}
	json_t *state = json_pack("{s:o}", "form", form_echo(r));
	return run_patch(r, patch, errors, state, "Saved.");
}

static int h_done(struct req *r)
{
	json_t *errors = json_object();
	const char *note = prog_textarea(r, "verification_note");
	if (!note)
		json_object_set_new(errors, "done_note",
				    json_string("Say how the fix was verified: an item is done only with a verification note."));
	else if (strlen(note) > 5000)
		json_object_set_new(errors, "done_note", json_string("At most 5000 characters."));
	json_t *patch = json_pack("{s:s, s:s}", "status", "done", "verification_note", note ? note : "");
	json_t *state = json_pack("{s:s, s:b}", "done_note", prog_raw(r, "verification_note"), "done_open", 1);
	/* the store names the note field; show its message by the done form */
	int rc = run_patch(r, patch, errors, state, "Marked done.");
	return rc;
}

#define FORM BODY_FORM, PAGES_FORM_MAX
const struct route pages_actions_routes[] = {
	{"GET", "/actions", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "Action items page (filters: status, overdue, owner, source)", "web", NULL, ROUTE_HTML},
	{"GET", "/actions/new", PERM_MANAGE, BODY_NONE, 0, h_new_form, NULL,
	 "New action item form", "web", NULL, ROUTE_HTML},
	{"POST", "/actions/new", PERM_MANAGE, FORM, h_new_post, NULL,
	 "Create an action item (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/actions/{id}", PERM_READ, BODY_NONE, 0, h_show, NULL,
	 "An action item and its edit form", "web", NULL, ROUTE_HTML},
	{"POST", "/actions/{id}", PERM_MANAGE, FORM, h_edit, NULL,
	 "Save an action item (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/actions/{id}/done", PERM_MANAGE, FORM, h_done, NULL,
	 "Mark an action item done with its verification note (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_actions);
