/*
 * The plan pages:
 *   GET  /plan                          the version in force as one document, its
 *                                       approvals, attestations and review date;
 *                                       the versions; start a new revision
 *   POST /plan/starter                  create the starter plan (none yet)
 *   POST /plan/attest                   "I have read this version"
 *   POST /plan/versions                 start a new revision (reason, trigger, note)
 *   GET  /plan/versions/{v}             one version: a draft is edited here
 *   POST /plan/versions/{v}/settings    title, approvals required, review interval
 *   POST /plan/versions/{v}/sections/{key}  a section's Markdown body and JSON data
 *   POST /plan/versions/{v}/submit|withdraw|approve   (with a comment)
 *   GET  /plan/diff?from=&to=           what changed between two versions
 *
 * Handlers call plan_store.h directly: reads on store_reader(), writes in
 * store_tx jobs that return a precise reason (struct plan_err). A refused
 * write renders the page again with the reason next to the field it is
 * about and the input kept (422/409/412); a successful one redirects (303)
 * with a flash message. Section bodies are Markdown rendered by cmark in
 * safe mode; structured section data is shown by the plan_data partial.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "core/diff.h"
#include "core/plan_doc.h"
#include "http/routes.h"
#include "store/plan_store.h"
#include "store/store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "web/pages_prog.h"
#include "web/web.h"

#define DATA_JSON_MAX (256 * 1024)

static const char *const trigger_types[] = {"incident", "exercise", "text", NULL};

enum op { OP_STARTER, OP_NEW, OP_PATCH, OP_PUT, OP_SUBMIT, OP_WITHDRAW, OP_APPROVE, OP_ATTEST };

struct job {
	enum op op;
	int64_t org;
	const char *plan, *vref, *key, *comment;
	struct plan_revision rev;
	json_t *body;
	int64_t expect;
	struct plan_actor who;
	struct audit_ctx ac;
	json_t *out;
	struct plan_err err;
	bool created;
};

static int job_tx(struct db *db, void *arg);
static int show_plan(struct req *r, json_t *state, int status);
static int show_version(struct req *r, const char *vref, json_t *state, int status);

/* ------------------------------------------------------------ helpers */

static int job_tx(struct db *db, void *arg)
{
	struct job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	plan_err_reset(&j->err);
	switch (j->op) {
	case OP_STARTER:
		return plan_create_starter(db, &j->ac, j->org, &j->who, &j->out, &j->created);
	case OP_NEW:
		return plan_version_new(db, &j->ac, j->org, j->plan, &j->rev, &j->who, &j->out, &j->err);
	case OP_PATCH:
		return plan_version_patch(db, &j->ac, j->org, j->plan, j->vref, j->expect, j->body,
					  &j->out, &j->err);
	case OP_PUT:
		return plan_section_put(db, &j->ac, j->org, j->plan, j->vref, j->key, j->body,
					j->expect, &j->out, &j->err);
	case OP_SUBMIT:
		return plan_version_submit(db, &j->ac, j->org, j->plan, j->vref, &j->who, j->comment,
					   &j->out, &j->err);
	case OP_WITHDRAW:
		return plan_version_withdraw(db, &j->ac, j->org, j->plan, j->vref, &j->who,
					     j->comment, &j->out, &j->err);
	case OP_APPROVE:
		return plan_version_approve(db, &j->ac, j->org, j->plan, j->vref, &j->who,
					    j->comment, &j->out, &j->err);
	case OP_ATTEST:
		return plan_version_attest(db, &j->ac, j->org, j->plan, j->vref, &j->who, &j->out,
					   &j->err);
	}
	return SIRT_EINVAL;
}

/* Fills the job; plan uid from the organisation's plan (the caller checks *found). */
static int job_init(struct req *r, struct job *j, enum op op, char plan_uid[37])
{
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->org = r->who.org_id;
	j->vref = req_param(r, "v");
	j->key = req_param(r, "key");
	j->ac = req_audit_ctx(r);
	j->who.user_id = r->who.user_id;
	j->who.email = r->who.email;
	j->who.name = r->who.display_name;
	j->who.actor = r->who.actor ? r->who.actor : "";
	if (op == OP_STARTER)
		return 0;
	struct db *db = store_reader(r->app->store);
	if (!db)
		return SIRT_EUNAVAIL;
	int rc = plan_find(db, r->who.org_id, plan_uid);
	j->plan = plan_uid;
	return rc;
}

static const char *version_path(struct req *r, const char *label, const char *suffix)
{
	return prog_path(r, "/plan/versions/", label, suffix);
}

/* A version record for display (sections left out). */
static json_t *version_view(struct req *r, json_t *v)
{
	json_t *o = json_deep_copy(v);
	json_object_del(o, "sections");
	static const char *const times[] = {"created_at", "updated_at", "submitted_at",
					    "approved_at", "superseded_at", "next_review_due", NULL};
	for (int i = 0; times[i]; i++)
		prog_time(r, o, times[i]);
	prog_label(r, o, "status", NULL);
	if (!strcmp(json_string_value(json_object_get(o, "status")) ?: "", "approved"))
		json_object_set_new(o, "status_label", json_string("In force"));
	json_t *rev = json_object_get(o, "revision");
	if (json_is_object(rev)) {
		prog_label(r, rev, "reason", NULL);
		json_t *t = json_object_get(rev, "trigger");
		if (json_is_object(t))
			prog_label(r, t, "type", NULL);
	}
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(o, "approvals"), i, a)
		prog_time(r, a, "approved_at");
	json_int_t need = json_integer_value(json_object_get(o, "approvals_needed"));
	json_int_t have = (json_int_t)json_array_size(json_object_get(o, "approvals"));
	json_object_set_new(o, "approvals_missing", json_integer(need > have ? need - have : 0));
	json_object_set_new(o, "approvals_count", json_integer(have));
	const char *st = json_string_value(json_object_get(o, "status"));
	json_object_set_new(o, "is_draft", json_boolean(st && !strcmp(st, "draft")));
	json_object_set_new(o, "is_review", json_boolean(st && !strcmp(st, "in_review")));
	return o;
}

static json_t *labels(struct req *r, json_t *arr)
{
	json_t *out = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x)
		if (json_is_string(x))
			json_array_append_new(out, json_string(pages_label(r, NULL, json_string_value(x))));
	return out;
}

static void minutes_field(json_t *o, const char *field, const char *out)
{
	json_t *m = json_object_get(o, field);
	if (!json_is_integer(m))
		return;
	char t[64];
	plan_fmt_minutes((long)json_integer_value(m), t, sizeof(t));
	json_object_set_new(o, out, json_string(t));
}

static const char *phase_title(const char *p)
{
	static const char *const titles[] = {"Preparation", "Detection and analysis",
					     "Containment", "Eradication", "Recovery",
					     "Post-incident activity"};
	for (int i = 0; p && plan_phases[i]; i++)
		if (!strcmp(plan_phases[i], p))
			return titles[i];
	return p ? p : "";
}

/* A copy of a standard section's data with display fields added. */
static json_t *data_view(struct req *r, const char *key, json_t *data)
{
	if (!json_is_object(data))
		return json_null();
	json_t *d = json_deep_copy(data);
	size_t i, j;
	json_t *x, *y;
	if (!strcmp(key, "severities")) {
		json_array_foreach(json_object_get(d, "levels"), i, x) {
			minutes_field(x, "acknowledge_minutes", "ack_text");
			minutes_field(x, "update_interval_minutes", "update_text");
			json_object_set_new(x, "notify_labels", labels(r, json_object_get(x, "notify")));
			prog_label(r, x, "key", NULL);
		}
	} else if (!strcmp(key, "procedures")) {
		json_array_foreach(json_object_get(d, "phases"), i, x)
			json_object_set_new(x, "phase_title",
					    json_string(phase_title(json_string_value(json_object_get(x, "phase")))));
	} else if (!strcmp(key, "playbooks")) {
		json_array_foreach(json_object_get(d, "playbooks"), i, x) {
			json_object_set_new(x, "category_labels", labels(r, json_object_get(x, "categories")));
			json_array_foreach(json_object_get(x, "tasks"), j, y) {
				json_object_set_new(y, "phase_title",
						    json_string(phase_title(json_string_value(json_object_get(y, "phase")))));
				minutes_field(y, "due_minutes", "due_text");
				prog_label(r, y, "role", NULL);
			}
		}
	} else if (!strcmp(key, "communication")) {
		json_array_foreach(json_object_get(d, "parties"), i, x) {
			prog_label(r, x, "owner", NULL);
			prog_label(r, x, "audience", NULL);
			json_t *ch = json_object_get(x, "channels");
			if (json_is_object(ch)) {
				prog_label(r, ch, "primary", NULL);
				prog_label(r, ch, "out_of_band", NULL);
			}
		}
	} else if (!strcmp(key, "escalation")) {
		json_array_foreach(json_object_get(d, "paths"), i, x) {
			prog_label(r, x, "severity", NULL);
			json_array_foreach(json_object_get(x, "levels"), j, y) {
				minutes_field(y, "after_minutes", "after_text");
				json_object_set_new(y, "notify_labels", labels(r, json_object_get(y, "notify")));
			}
		}
	} else if (!strcmp(key, "reporting")) {
		json_array_foreach(json_object_get(d, "requirements"), i, x) {
			json_object_set_new(x, "applies_labels", labels(r, json_object_get(x, "applies_to")));
			prog_label(r, x, "owner", NULL);
			prog_label(r, x, "notify", NULL);
			prog_label(r, x, "min_severity", NULL);
		}
	}
	return d;
}

/*
 * The sections for display; with edit, also the Markdown and the data as
 * JSON for the draft's forms (from `kept` when the form came back with
 * errors: {key: {title, body, data, errors{}, error}}).
 */
static json_t *sections_view(struct req *r, json_t *sections, bool edit, json_t *kept)
{
	json_t *out = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(sections, i, s) {
		const char *key = json_string_value(json_object_get(s, "key"));
		const char *body = json_string_value(json_object_get(s, "body"));
		json_t *data = json_object_get(s, "data");
		json_t *o = json_pack("{s:s, s:O, s:I, s:o, s:o}", "key", key ? key : "", "title",
				      json_object_get(s, "title"), "number", (json_int_t)(i + 1),
				      "body_html", prog_markdown(body), "data",
				      data_view(r, key ? key : "", data));
		json_object_set_new(o, "standard", json_boolean(plan_section_is_standard(key)));
		if (edit) {
			json_t *k = json_object_get(kept, key ? key : "");
			json_object_set_new(o, "form_body", json_string(body ? body : ""));
			char *dj = json_is_object(data) ? json_dumps(data, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
			json_object_set_new(o, "form_data", json_string(dj ? dj : ""));
			free(dj);
			json_object_set_new(o, "form_title", json_copy(json_object_get(s, "title")));
			json_object_set_new(o, "has_data", json_boolean(json_is_object(data) ||
									plan_section_is_standard(key)));
			if (k) {
				json_object_update(o, k);
				json_object_set_new(o, "open", json_true());
			}
		}
		json_array_append_new(out, o);
	}
	return out;
}

static json_t *version_options(struct req *r, json_t *versions)
{
	json_t *a = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(versions, i, v) {
		json_t *o = json_pack("{s:O, s:O, s:O}", "label", json_object_get(v, "label"), "status",
				      json_object_get(v, "status"), "title", json_object_get(v, "title"));
		prog_label(r, o, "status", NULL);
		json_array_append_new(a, o);
	}
	return a;
}

static void set_reason_options(struct req *r, json_t *m)
{
	json_object_set_new(m, "reasons", pages_options(r, NULL, plan_reasons));
	json_object_set_new(m, "trigger_types", pages_options(r, NULL, trigger_types));
}

/* Whether the signed-in user has attested version_uid, and when. */
static int me_attested(struct db *db, struct req *r, const char *version_uid, json_t **at)
{
	*at = NULL;
	if (!r->who.user_id)
		return 0;
	struct db_res *q;
	int rc = db_query(db, &q,
			  "SELECT a.attested_at FROM plan_attestations a JOIN plan_versions v ON"
			  " v.id = a.version_id WHERE v.uid = $1 AND v.org_id = $2 AND a.org_id = $2"
			  " AND a.user_id = $3",
			  3, DBV(DB_TEXT(version_uid), DB_INT(r->who.org_id), DB_INT(r->who.user_id)));
	if (rc < 0)
		return rc;
	if (db_next(q))
		*at = pages_time(pages_zone(r), db_int(q, 0));
	db_res_free(q);
	return 0;
}

/* Maps a refused write to the state the page shows; true when handled. */
static bool refused(struct job *j, json_t *state, const char *error_key)
{
	if (!j->err.status)
		return false;
	json_object_set_new(state, error_key, json_string(j->err.detail));
	if (j->err.errors) {
		json_object_set_new(state, "error_list", json_deep_copy(j->err.errors));
		json_object_set_new(state, "errors", prog_errors(j->err.errors));
	}
	json_object_set_new(state, "status", json_integer(j->err.status));
	return true;
}

static int finish_job(struct job *j)
{
	json_decref(j->out);
	j->out = NULL;
	json_decref(j->err.errors);
	j->err.errors = NULL;
	return 0;
}

/* ------------------------------------------------------------ GET /plan */

static int show_plan(struct req *r, json_t *state, int status)
{
	json_t *m = prog_model(r, "plan", "Incident response plan");
	if (state)
		json_object_update(m, state);
	set_reason_options(r, m);
	if (!json_object_get(m, "revise"))
		json_object_set_new(m, "revise", json_pack("{s:s, s:s, s:s, s:s}", "reason",
							   req_query(r, "reason") ?: "", "trigger_type",
							   req_query(r, "trigger_type") ?: "",
							   "trigger_ref", req_query(r, "trigger_ref") ?: "",
							   "note", ""));
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(m);
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	}
	char uid[37];
	int rc = plan_find(db, r->who.org_id, uid);
	if (rc == SIRT_ENOTFOUND)
		return web_render(r, status, tmpl_plan, m); /* no plan: the page offers the starter */
	json_t *plan = NULL, *in_force = NULL, *att = NULL;
	if (rc == 0)
		rc = plan_get(db, r->who.org_id, uid, &plan);
	if (rc < 0)
		goto fail;
	json_object_set_new(m, "has_plan", json_true());
	json_object_set_new(m, "plan", json_pack("{s:O, s:O}", "id", json_object_get(plan, "id"),
						  "name", json_object_get(plan, "name")));
	json_t *review = json_deep_copy(json_object_get(plan, "review"));
	prog_time(r, review, "next_review_due");
	prog_time(r, review, "last_approved_at");
	json_object_set_new(m, "review", review);
	json_t *open = json_object_get(plan, "open_version");
	if (json_is_object(open)) {
		json_t *o = json_deep_copy(open);
		prog_label(r, o, "status", NULL);
		json_object_set_new(m, "open_version", o);
	}
	json_t *vs = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(plan, "versions"), i, v)
		json_array_append_new(vs, version_view(r, v));
	json_object_set_new(m, "versions", vs);
	json_object_set_new(m, "version_options", version_options(r, json_object_get(plan, "versions")));
	json_t *f = json_object_get(plan, "in_force");
	if (json_is_object(f)) {
		const char *vuid = json_string_value(json_object_get(f, "id"));
		rc = plan_version_get(db, r->who.org_id, uid, vuid, &in_force);
		if (rc < 0)
			goto fail;
		json_t *iv = version_view(r, in_force);
		json_object_set_new(iv, "sections",
				    sections_view(r, json_object_get(in_force, "sections"), false, NULL));
		json_object_set_new(m, "in_force", iv);
		struct plan_err e = {0};
		if (plan_attestations(db, r->who.org_id, uid, vuid, &att, &e) == 0) {
			static const char *const lists[] = {"attested", "not_attested", NULL};
			for (int k = 0; lists[k]; k++) {
				json_t *x;
				json_array_foreach(json_object_get(att, lists[k]), i, x)
					prog_time(r, x, "attested_at");
			}
			json_object_set(m, "attestations", att);
		}
		json_decref(e.errors);
		json_t *at = NULL;
		if ((rc = me_attested(db, r, vuid, &at)) < 0)
			goto fail;
		json_object_set_new(m, "me", json_pack("{s:b, s:o}", "attested", at != NULL,
						       "attested_at", at ? at : json_null()));
		/* the previous version, for "what changed" */
		json_int_t num = json_integer_value(json_object_get(in_force, "number"));
		if (num > 1)
			json_object_set_new(m, "previous_label", json_sprintf("v%lld", (long long)num - 1));
	}
	json_decref(plan);
	json_decref(in_force);
	json_decref(att);
	return web_render(r, status, tmpl_plan, m);
fail:
	json_decref(plan);
	json_decref(in_force);
	json_decref(att);
	json_decref(m);
	return resp_error(r, rc, "reading the plan");
}

static int h_plan(struct req *r)
{
	return show_plan(r, NULL, 200);
}

static int h_starter(struct req *r)
{
	struct job j;
	job_init(r, &j, OP_STARTER, NULL);
	int rc = store_tx(r->app->store, job_tx, &j);
	bool created = j.created;
	finish_job(&j);
	if (rc < 0)
		return resp_error(r, rc, "creating the starter plan");
	return prog_done(r, "/plan/versions/v1", NULL,
			 created ? "The starter plan was created as draft v1: adapt it, then submit it for review."
				 : "The organisation already has a plan.");
}

static int h_attest(struct req *r)
{
	char uid[37];
	struct job j;
	int rc = job_init(r, &j, OP_ATTEST, uid);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "the organisation has no plan yet", NULL);
	if (rc < 0)
		return resp_error(r, rc, "reading the plan");
	/* attest what the page showed, not whatever is in force by now */
	const char *label = pages_field(r, "version");
	if (!label)
		return resp_problem(r, 400, NULL, "the form names no plan version", NULL);
	j.vref = label;
	rc = store_tx(r->app->store, job_tx, &j);
	if (j.err.status) {
		const char *why = arena_strdup(&r->arena, j.err.detail);
		finish_job(&j);
		if (j.err.status == 404)
			return resp_problem(r, 404, NULL, why, NULL);
		return prog_done(r, "/plan", "error", why);
	}
	finish_job(&j);
	if (rc < 0)
		return resp_error(r, rc, "recording the attestation");
	return prog_done(r, "/plan", NULL,
			 arena_printf(&r->arena, "Recorded: you have read %s of the plan.", label));
}

static int h_new_version(struct req *r)
{
	char uid[37];
	struct job j;
	int rc = job_init(r, &j, OP_NEW, uid);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "the organisation has no plan yet", NULL);
	if (rc < 0)
		return resp_error(r, rc, "reading the plan");
	const char *reason = pages_field(r, "reason");
	const char *ttype = pages_field(r, "trigger_type");
	const char *tref = pages_field(r, "trigger_ref");
	const char *note = prog_textarea(r, "note");
	json_t *errors = json_object();
	if (!reason || !plan_in_list(plan_reasons, reason))
		json_object_set_new(errors, "reason", json_string("Choose why the plan is being revised."));
	if (ttype && !plan_in_list(trigger_types, ttype))
		json_object_set_new(errors, "trigger_type", json_string("Choose an incident, an exercise or other."));
	if (ttype && !tref)
		json_object_set_new(errors, "trigger_ref",
				    json_string("Name the incident (its key), the exercise (its id) or describe the trigger."));
	if (tref && !ttype)
		json_object_set_new(errors, "trigger_type", json_string("Say what kind of trigger this is."));
	if (tref && (strlen(tref) > 200 || !text_is_single_line(tref)))
		json_object_set_new(errors, "trigger_ref", json_string("At most 200 characters, on one line."));
	if (note && strlen(note) > 4000)
		json_object_set_new(errors, "note", json_string("At most 4000 characters."));
	json_t *state = json_pack("{s:{s:s, s:s, s:s, s:s}}", "revise", "reason", prog_raw(r, "reason"),
				  "trigger_type", prog_raw(r, "trigger_type"), "trigger_ref",
				  prog_raw(r, "trigger_ref"), "note", prog_raw(r, "note"));
	if (json_object_size(errors) == 0) {
		j.rev.reason = reason;
		j.rev.trigger_type = ttype;
		j.rev.trigger_ref = tref;
		j.rev.note = note;
		rc = store_tx(r->app->store, job_tx, &j);
		if (j.err.status) {
			json_object_set_new(state, "revise_error", json_string(j.err.detail));
			json_t *e = prog_errors(j.err.errors);
			json_object_update(errors, e);
			json_decref(e);
		} else if (rc < 0) {
			finish_job(&j);
			json_decref(errors);
			json_decref(state);
			return resp_error(r, rc, "starting a new plan version");
		} else {
			const char *label = json_string_value(json_object_get(j.out, "label"));
			const char *loc = version_path(r, label ? label : "", "");
			const char *msg = arena_printf(&r->arena, "Draft %s started: edit its sections, then submit it for review.", label ? label : "");
			finish_job(&j);
			json_decref(errors);
			json_decref(state);
			return prog_done(r, loc, NULL, msg);
		}
	}
	int st = j.err.status ? j.err.status : 422;
	finish_job(&j);
	json_object_set_new(state, "revise_errors", errors);
	json_object_set_new(state, "revise_open", json_true());
	return show_plan(r, state, st);
}

/* ------------------------------------------------------------ a version */

static int show_version(struct req *r, const char *vref, json_t *state, int status)
{
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(state);
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	}
	char uid[37];
	json_t *v = NULL, *plan = NULL;
	int rc = plan_find(db, r->who.org_id, uid);
	if (rc == 0)
		rc = plan_version_get(db, r->who.org_id, uid, vref, &v);
	if (rc == 0)
		rc = plan_get(db, r->who.org_id, uid, &plan);
	if (rc == SIRT_ENOTFOUND) {
		json_decref(state);
		return resp_problem(r, 404, NULL, "no such plan version", NULL);
	}
	if (rc < 0) {
		json_decref(state);
		json_decref(v);
		json_decref(plan);
		return resp_error(r, rc, "reading the plan version");
	}
	const char *label = json_string_value(json_object_get(v, "label"));
	json_t *m = prog_model(r, "plan", arena_printf(&r->arena, "Plan %s", label ? label : ""));
	json_t *vv = version_view(r, v);
	bool draft = json_is_true(json_object_get(vv, "is_draft"));
	bool edit = draft && pages_can(r, PERM_MANAGE);
	json_t *kept = state ? json_object_get(state, "sections") : NULL;
	json_object_set_new(vv, "sections", sections_view(r, json_object_get(v, "sections"), edit, kept));
	json_object_set_new(m, "v", vv);
	json_object_set_new(m, "edit", json_boolean(edit));
	json_object_set_new(m, "version_options", version_options(r, json_object_get(plan, "versions")));
	json_object_set_new(m, "plan", json_pack("{s:O}", "name", json_object_get(plan, "name")));
	/* the version this one was based on, for the diff link */
	json_int_t num = json_integer_value(json_object_get(v, "number"));
	if (num > 1)
		json_object_set_new(m, "previous_label", json_sprintf("v%lld", (long long)num - 1));
	json_t *set = json_object_get(v, "settings");
	if (!state || !json_object_get(state, "settings_form")) {
		char *appr = NULL;
		size_t i;
		json_t *x;
		struct strbuf sb;
		sb_init(&sb, 8192);
		json_array_foreach(json_object_get(set, "approvers"), i, x)
			sb_printf(&sb, "%s%s", i ? ", " : "", json_string_value(x) ?: "");
		appr = sb_status(&sb) == 0 ? xstrdup(sb_str(&sb)) : xstrdup("");
		sb_free(&sb);
		json_object_set_new(m, "settings_form",
				    json_pack("{s:O, s:I, s:I, s:s}", "title", json_object_get(v, "title"),
					      "approvals_required",
					      json_integer_value(json_object_get(set, "approvals_required")),
					      "review_interval_months",
					      json_integer_value(json_object_get(set, "review_interval_months")),
					      "approvers", appr));
		free(appr);
	}
	if (state) {
		json_object_del(state, "sections");
		json_object_update(m, state);
	}
	json_decref(state);
	json_decref(v);
	json_decref(plan);
	return web_render(r, status, tmpl_plan_version, m);
}

static int h_version(struct req *r)
{
	return show_version(r, req_param(r, "v"), NULL, 200);
}

/* Runs a write job on a version and redirects, or shows the version with the reason. */
static int version_job(struct req *r, struct job *j, const char *flash, json_t *state,
		       const char *error_key, const char *anchor)
{
	int rc = store_tx(r->app->store, job_tx, j);
	if (j->err.status == 404 || (!j->err.status && rc == SIRT_ENOTFOUND)) {
		finish_job(j);
		json_decref(state);
		return resp_problem(r, 404, NULL, "no such plan version", NULL);
	}
	if (refused(j, state, error_key)) {
		int st = j->err.status;
		finish_job(j);
		return show_version(r, req_param(r, "v"), state, st);
	}
	if (rc < 0) {
		finish_job(j);
		json_decref(state);
		return resp_error(r, rc, "changing the plan version");
	}
	finish_job(j);
	json_decref(state);
	return prog_done(r, version_path(r, req_param(r, "v"), anchor), NULL, flash);
}

static int expect_field(struct req *r, int64_t *out)
{
	const char *s = pages_field(r, "version");
	*out = 0;
	if (!s)
		return 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return SIRT_EINVAL;
	*out = v;
	return 0;
}

static int int_field(const char *s, long lo, long hi, long *out)
{
	if (!s)
		return SIRT_EINVAL;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return SIRT_EINVAL;
	*out = v;
	return 0;
}

static int h_settings(struct req *r)
{
	char uid[37];
	struct job j;
	int rc = job_init(r, &j, OP_PATCH, uid);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such plan version", NULL);
	if (rc < 0)
		return resp_error(r, rc, "reading the plan");
	json_t *errors = json_object();
	const char *title = pages_field(r, "title");
	long appr = 0, months = 0;
	if (!title)
		json_object_set_new(errors, "title", json_string("Give the document a title."));
	else if (strlen(title) > 200 || !text_is_single_line(title))
		json_object_set_new(errors, "title", json_string("At most 200 characters, on one line."));
	if (int_field(pages_field(r, "approvals_required"), 1, 10, &appr) < 0)
		json_object_set_new(errors, "approvals_required", json_string("A whole number from 1 to 10."));
	if (int_field(pages_field(r, "review_interval_months"), 1, 36, &months) < 0)
		json_object_set_new(errors, "review_interval_months",
				    json_string("A whole number of months from 1 to 36."));
	json_t *approvers = pages_list(pages_field(r, "approvers"));
	size_t i;
	json_t *x;
	json_array_foreach(approvers, i, x) {
		struct strbuf why;
		sb_init(&why, 500);
		if (contact_email_check(json_string_value(x), &why) < 0 && !json_object_get(errors, "approvers"))
			json_object_set_new(errors, "approvers",
					    json_sprintf("%s: %s", json_string_value(x), sb_str(&why)));
		sb_free(&why);
	}
	if (json_array_size(approvers) > 20)
		json_object_set_new(errors, "approvers", json_string("At most 20 approvers."));
	if (expect_field(r, &j.expect) < 0)
		json_object_set_new(errors, "title", json_string("The form was damaged; reload the page."));
	json_t *state = json_pack("{s:{s:s, s:s, s:s, s:s}}", "settings_form", "title",
				  prog_raw(r, "title"), "approvals_required",
				  prog_raw(r, "approvals_required"), "review_interval_months",
				  prog_raw(r, "review_interval_months"), "approvers",
				  prog_raw(r, "approvers"));
	if (json_object_size(errors)) {
		json_decref(approvers);
		json_object_set_new(state, "settings_errors", errors);
		return show_version(r, req_param(r, "v"), state, 422);
	}
	json_decref(errors);
	j.body = json_pack("{s:s, s:{s:i, s:i, s:o}}", "title", title, "settings",
			   "approvals_required", (int)appr, "review_interval_months", (int)months,
			   "approvers", approvers);
	rc = store_tx(r->app->store, job_tx, &j);
	json_decref(j.body);
	if (j.err.status && j.err.status != 404) {
		json_t *e = prog_errors(j.err.errors), *se = json_object();
		const char *k;
		json_t *val;
		json_object_foreach(e, k, val) {
			const char *f = !strncmp(k, "settings.", 9) ? k + 9 : k;
			if (!strncmp(f, "approvers", 9))
				f = "approvers";
			json_object_set(se, f, val);
		}
		json_decref(e);
		json_object_set_new(state, "settings_errors", se);
		json_object_set_new(state, "settings_error", json_string(j.err.detail));
		int st = j.err.status;
		finish_job(&j);
		return show_version(r, req_param(r, "v"), state, st);
	}
	json_decref(state);
	if (j.err.status == 404 || rc == SIRT_ENOTFOUND) {
		finish_job(&j);
		return resp_problem(r, 404, NULL, "no such plan version", NULL);
	}
	finish_job(&j);
	if (rc < 0)
		return resp_error(r, rc, "saving the settings");
	return prog_done(r, version_path(r, req_param(r, "v"), ""), NULL, "Settings saved.");
}

/* "line 3, column 7: ..." for a JSON parse error. */
static const char *json_error_text(struct req *r, const json_error_t *e)
{
	return arena_printf(&r->arena, "This is not valid JSON: line %d, column %d: %s.", e->line,
			    e->column, e->text);
}

static int h_section(struct req *r)
{
	char uid[37];
	struct job j;
	int rc = job_init(r, &j, OP_PUT, uid);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such plan version", NULL);
	if (rc < 0)
		return resp_error(r, rc, "reading the plan");
	const char *key = req_param(r, "key");
	if (!plan_key_valid(key))
		return resp_problem(r, 404, NULL, "no such section", NULL);
	const char *body = prog_lf(arena_strdup(&r->arena, prog_raw(r, "body")));
	const char *data_s = pages_field(r, "data");
	const char *title = pages_field(r, "title");
	json_t *errors = json_object();
	json_t *fields = json_object();
	if (strlen(body) > PLAN_BODY_MAX * 4 || !text_is_utf8(body, strlen(body)))
		json_object_set_new(errors, "body", json_string("At most 100,000 characters of Markdown."));
	else
		json_object_set_new(fields, "body", json_string(body));
	if (title) {
		if (strlen(title) > 200 || !text_is_single_line(title))
			json_object_set_new(errors, "title", json_string("At most 200 characters, on one line."));
		else
			json_object_set_new(fields, "title", json_string(title));
	}
	if (data_s) {
		json_error_t je;
		json_t *d = strlen(data_s) > DATA_JSON_MAX ? NULL
			  : json_loadb(data_s, strlen(data_s), JSON_REJECT_DUPLICATES, &je);
		if (!d) {
			json_object_set_new(errors, "data",
					    json_string(strlen(data_s) > DATA_JSON_MAX
							? "The data is too large."
							: json_error_text(r, &je)));
		} else if (!json_is_object(d)) {
			json_object_set_new(errors, "data", json_string("The data must be a JSON object { … }."));
			json_decref(d);
		} else {
			json_t *ve = NULL;
			if (plan_section_validate(key, d, "data", &ve) < 0 || ve) {
				json_object_set_new(errors, "data_list", ve ? ve : json_array());
				json_object_set_new(errors, "data",
						    json_string("The data does not fit this section's schema:"));
				ve = NULL;
			}
			json_decref(ve);
			json_object_set_new(fields, "data", d);
		}
	} else if (plan_section_is_standard(key) && strcmp(key, "scope") != 0) {
		json_object_set_new(errors, "data", json_string("This section needs its structured data (JSON)."));
	}
	if (expect_field(r, &j.expect) < 0)
		json_object_set_new(errors, "body", json_string("The form was damaged; reload the page."));
	json_t *kept = json_pack("{s:s, s:s, s:s}", "form_body", body, "form_data", prog_raw(r, "data"),
				 "form_title", prog_raw(r, "title"));
	json_t *state = json_object();
	if (json_object_size(errors) == 0) {
		j.body = fields;
		rc = store_tx(r->app->store, job_tx, &j);
		if (j.err.status && j.err.status != 404) {
			json_object_set_new(errors, "section", json_string(j.err.detail));
			if (j.err.errors)
				json_object_set_new(errors, "data_list", json_deep_copy(j.err.errors));
			json_object_set_new(state, "status", json_integer(j.err.status));
		} else if (j.err.status == 404 || rc == SIRT_ENOTFOUND) {
			finish_job(&j);
			json_decref(fields);
			json_decref(errors);
			json_decref(kept);
			json_decref(state);
			return resp_problem(r, 404, NULL, "no such plan version", NULL);
		} else if (rc < 0) {
			finish_job(&j);
			json_decref(fields);
			json_decref(errors);
			json_decref(kept);
			json_decref(state);
			return resp_error(r, rc, "saving the section");
		} else {
			/* back to the section: its anchor is its position */
			const char *frag = "";
			size_t k;
			json_t *x;
			json_array_foreach(json_object_get(j.out, "sections"), k, x)
				if (!strcmp(json_string_value(json_object_get(x, "key")) ?: "", key))
					frag = arena_printf(&r->arena, "#sec-%zu", k + 1);
			finish_job(&j);
			json_decref(fields);
			json_decref(errors);
			json_decref(kept);
			json_decref(state);
			return prog_done(r, version_path(r, req_param(r, "v"), frag), NULL, "Section saved.");
		}
	}
	int st = json_integer_value(json_object_get(state, "status"));
	finish_job(&j);
	json_decref(fields);
	json_object_set_new(kept, "errors", errors);
	json_object_set_new(state, "sections", json_pack("{s:o}", key, kept));
	json_object_set_new(state, "flash", json_pack("{s:s, s:s}", "kind", "error", "text",
						      "The section was not saved: see the errors below."));
	return show_version(r, req_param(r, "v"), state, st ? st : 422);
}

static int comment_op(struct req *r, enum op op, const char *flash)
{
	char uid[37];
	struct job j;
	int rc = job_init(r, &j, op, uid);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such plan version", NULL);
	if (rc < 0)
		return resp_error(r, rc, "reading the plan");
	const char *comment = prog_textarea(r, "comment");
	json_t *state = json_pack("{s:s}", "comment", prog_raw(r, "comment"));
	if (comment && strlen(comment) > 2000) {
		json_object_set_new(state, "comment_error", json_string("At most 2000 characters."));
		return show_version(r, req_param(r, "v"), state, 422);
	}
	j.comment = comment;
	return version_job(r, &j, flash, state, "action_error", "");
}

static int h_submit(struct req *r)
{
	return comment_op(r, OP_SUBMIT, "Submitted for review. Approvers can now approve it.");
}

static int h_withdraw(struct req *r)
{
	return comment_op(r, OP_WITHDRAW, "Withdrawn: the version is a draft again.");
}

static int h_approve(struct req *r)
{
	return comment_op(r, OP_APPROVE, "Your approval was recorded.");
}

/* ------------------------------------------------------------ diff */

/* A line diff as [{op, mark, text}]; op "add", "del" or "same". */
static json_t *line_diff(const char *a, const char *b, json_int_t *added, json_int_t *deleted)
{
	struct diff_result d;
	if (diff_lines(a ? a : "", b ? b : "", &d) < 0)
		return json_null();
	json_t *arr = json_array();
	for (size_t i = 0; i < d.n; i++) {
		const char *op = d.lines[i].op == DIFF_ADD ? "add" : d.lines[i].op == DIFF_DEL ? "del" : "same";
		json_t *t = json_stringn(d.lines[i].text, d.lines[i].len);
		char mark[2] = {diff_op_char(d.lines[i].op), 0};
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "op", op, "mark", mark, "text",
						     t ? t : json_string("")));
	}
	*added += (json_int_t)d.added;
	*deleted += (json_int_t)d.deleted;
	diff_free(&d);
	return arr;
}

static char *pretty(json_t *d)
{
	return json_is_object(d) ? json_dumps(d, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
}

#define DIFF_CONTEXT 3

static bool is_same(json_t *l)
{
	const char *op = json_string_value(json_object_get(l, "op"));
	return !op || !strcmp(op, "same");
}

/*
 * Diff lines ({op, text}) for display: unchanged lines more than
 * DIFF_CONTEXT away from a change fold into one {op: "skip", count}.
 */
static json_t *fold_lines(json_t *lines)
{
	json_t *out = json_array();
	size_t n = json_array_size(lines), i = 0;
	while (i < n) {
		json_t *l = json_array_get(lines, i);
		if (!is_same(l)) {
			json_array_append(out, l);
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && is_same(json_array_get(lines, j)))
			j++;
		/* keep DIFF_CONTEXT lines after a change and before the next one */
		size_t keep_head = i > 0 ? DIFF_CONTEXT : 0, keep_tail = j < n ? DIFF_CONTEXT : 0;
		if (j - i <= keep_head + keep_tail + 1) {
			for (; i < j; i++)
				json_array_append(out, json_array_get(lines, i));
			continue;
		}
		for (size_t k = 0; k < keep_head; k++)
			json_array_append(out, json_array_get(lines, i + k));
		json_array_append_new(out, json_pack("{s:s, s:I}", "op", "skip", "count",
						     (json_int_t)(j - i - keep_head - keep_tail)));
		for (size_t k = j - keep_tail; k < j; k++)
			json_array_append(out, json_array_get(lines, k));
		i = j;
	}
	return out;
}

static int h_diff(struct req *r)
{
	const char *from = req_query(r, "from"), *to = req_query(r, "to");
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	char uid[37];
	json_t *plan = NULL, *d = NULL;
	int rc = plan_find(db, r->who.org_id, uid);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "the organisation has no plan yet", NULL);
	if (rc == 0)
		rc = plan_get(db, r->who.org_id, uid, &plan);
	if (rc < 0)
		return resp_error(r, rc, "reading the plan");
	json_t *m = prog_model(r, "plan", "Compare plan versions");
	json_t *vs = json_object_get(plan, "versions");
	json_object_set_new(m, "version_options", version_options(r, vs));
	/* defaults: the latest version against the one before it */
	size_t n = json_array_size(vs);
	if ((!from || !*from) && n >= 2)
		from = json_string_value(json_object_get(json_array_get(vs, 1), "label"));
	if ((!to || !*to) && n >= 1)
		to = json_string_value(json_object_get(json_array_get(vs, 0), "label"));
	json_object_set_new(m, "from", json_string(from ? from : ""));
	json_object_set_new(m, "to", json_string(to ? to : ""));
	int status = 200;
	if (from && to && *from && *to) {
		struct plan_err e = {0};
		rc = plan_diff(db, r->who.org_id, uid, from, to, &d, &e);
		if (e.status) {
			json_object_set_new(m, "error", json_string(e.detail));
			status = e.status == 404 ? 404 : e.status;
			json_decref(e.errors);
		} else if (rc < 0) {
			json_decref(plan);
			json_decref(m);
			return resp_error(r, rc, "comparing plan versions");
		} else {
			json_t *secs = json_object_get(d, "sections");
			json_t *same = json_array();
			size_t i;
			json_t *s;
			json_array_foreach(secs, i, s) {
				if (!strcmp(json_string_value(json_object_get(s, "change")) ?: "", "unchanged"))
					json_array_append(same, json_object_get(s, "title"));
				json_int_t ad = 0, de = 0;
				json_t *body = json_object_get(s, "body");
				if (json_is_array(body))
					json_object_set_new(s, "body_lines", fold_lines(body));
				json_t *df = json_object_get(s, "data_from"), *dt = json_object_get(s, "data_to");
				if (json_is_object(df) || json_is_object(dt)) {
					const char *ch = json_string_value(json_object_get(s, "change"));
					if (ch && strcmp(ch, "unchanged") &&
					    (strcmp(ch, "changed") || json_is_true(json_object_get(s, "data_changed")))) {
						char *pa = pretty(df), *pb = pretty(dt);
						json_t *dl = line_diff(pa, pb, &ad, &de);
						json_object_set_new(s, "data_lines", fold_lines(dl));
						json_decref(dl);
						json_object_set_new(s, "data_stats", json_pack("{s:I, s:I}", "added", ad, "deleted", de));
						free(pa);
						free(pb);
					}
				}
				json_object_del(s, "data_from");
				json_object_del(s, "data_to");
				json_object_del(s, "body");
				prog_label(r, s, "change", NULL);
			}
			json_t *meta = json_object_get(d, "metadata");
			json_t *mv = json_array();
			json_t *t = json_object_get(meta, "title");
			if (t)
				json_array_append_new(mv, json_pack("{s:s, s:O, s:O}", "what", "Title", "from",
								    json_object_get(t, "from"), "to", json_object_get(t, "to")));
			json_t *st = json_object_get(meta, "settings");
			if (st) {
				static const char *const keys[] = {"approvals_required", "review_interval_months", NULL};
				static const char *const names[] = {"Approvals required", "Review interval (months)"};
				for (int k = 0; keys[k]; k++) {
					json_t *a = json_object_get(json_object_get(st, "from"), keys[k]);
					json_t *b = json_object_get(json_object_get(st, "to"), keys[k]);
					if (!json_equal(a, b))
						json_array_append_new(mv, json_pack("{s:s, s:O, s:O}", "what", names[k],
										    "from", a ? a : json_null(), "to", b ? b : json_null()));
				}
			}
			json_t *rv = json_object_get(meta, "revision");
			if (rv) {
				const char *ra = json_string_value(json_object_get(json_object_get(rv, "from"), "reason"));
				const char *rb = json_string_value(json_object_get(json_object_get(rv, "to"), "reason"));
				json_array_append_new(mv, json_pack("{s:s, s:s, s:s}", "what", "Reason for the revision",
								    "from", pages_label(r, NULL, ra), "to", pages_label(r, NULL, rb)));
			}
			json_object_set_new(d, "meta_rows", mv);
			json_object_set_new(d, "unchanged", same);
			json_object_del(d, "metadata");
			prog_label(r, json_object_get(d, "from"), "status", NULL);
			prog_label(r, json_object_get(d, "to"), "status", NULL);
			json_object_set(m, "diff", d);
		}
	}
	json_decref(plan);
	json_decref(d);
	return web_render(r, status, tmpl_plan_diff, m);
}

#define FORM BODY_FORM, PAGES_FORM_MAX
#define PV "/plan/versions/{v}"
const struct route pages_plan_routes[] = {
	{"GET", "/plan", PERM_READ, BODY_NONE, 0, h_plan, NULL,
	 "Plan page: the version in force, attestations, versions", "web", NULL, ROUTE_HTML},
	{"POST", "/plan/starter", PERM_MANAGE, FORM, h_starter, NULL,
	 "Create the starter plan (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/plan/attest", PERM_SELF, FORM, h_attest, NULL,
	 "Attest that you have read the version in force (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/plan/versions", PERM_MANAGE, FORM, h_new_version, NULL,
	 "Start a new plan revision (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/plan/diff", PERM_READ, BODY_NONE, 0, h_diff, NULL,
	 "Compare two plan versions", "web", NULL, ROUTE_HTML},
	{"GET", PV, PERM_READ, BODY_NONE, 0, h_version, NULL,
	 "A plan version (a draft is edited here)", "web", NULL, ROUTE_HTML},
	{"POST", PV "/settings", PERM_MANAGE, FORM, h_settings, NULL,
	 "Change a draft's title and approval settings (form)", "web", NULL, ROUTE_HTML},
	{"POST", PV "/sections/{key}", PERM_MANAGE, FORM, h_section, NULL,
	 "Save a draft's section (form)", "web", NULL, ROUTE_HTML},
	{"POST", PV "/submit", PERM_MANAGE, FORM, h_submit, NULL,
	 "Submit a draft for review (form)", "web", NULL, ROUTE_HTML},
	{"POST", PV "/withdraw", PERM_MANAGE, FORM, h_withdraw, NULL,
	 "Withdraw a version from review (form)", "web", NULL, ROUTE_HTML},
	{"POST", PV "/approve", PERM_MANAGE, FORM, h_approve, NULL,
	 "Approve a version in review (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_plan);
