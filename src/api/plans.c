/*
 * /api/v1/plans: the incident response plan, its versions and sections,
 * review and approval, attestations, diff and export. The rules live in
 * src/core/plan_doc.c and src/store/plan_store.c; this file validates
 * request bodies and maps outcomes to responses.
 */
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "core/plan_doc.h"
#include "http/routes.h"
#include "store/plan_store.h"
#include "util/xalloc.h"

static const char *const reasons[] = {"tabletop_exercise", "real_incident", "organisational_change",
				      "periodic_review", "other", NULL};

static const struct field_spec create_fields[] = {
	{"name", F_STRING, true, false, 200, NULL, "the plan's name"},
	{NULL},
};
static const struct field_spec version_fields[] = {
	{"reason", F_ENUM, true, false, 0, reasons, "why the plan is being revised"},
	{"trigger", F_OBJECT, false, true, 0, NULL,
	 "what triggered it: {\"type\": \"incident\"|\"exercise\"|\"text\", \"ref\": \"...\"}"},
	{"note", F_TEXT, false, false, 4000, NULL, "what changes and why"},
	{NULL},
};
static const struct field_spec patch_fields[] = {
	{"title", F_STRING, false, false, 200, NULL, "the document title"},
	{"settings", F_OBJECT, false, false, 0, NULL,
	 "{approvals_required 1..10, review_interval_months 1..36, approvers: [e-mail]}"},
	{"revision", F_OBJECT, false, false, 0, NULL, "{reason, trigger, note}"},
	{NULL},
};
static const struct field_spec section_fields[] = {
	{"title", F_STRING, false, false, 200, NULL, "section title"},
	{"body", F_TEXT, false, false, PLAN_BODY_MAX, NULL, "Markdown body"},
	{"data", F_OBJECT, false, true, 0, NULL, "structured data (standard sections)"},
	{"position", F_INT, false, false, 0, NULL, "sort position"},
	{NULL},
};
static const struct field_spec comment_fields[] = {
	{"comment", F_TEXT, false, false, 2000, NULL, "a comment for the record"},
	{NULL},
};

enum op { OP_CREATE, OP_STARTER, OP_NEW, OP_PATCH, OP_PUT, OP_DEL, OP_SUBMIT, OP_WITHDRAW,
	  OP_APPROVE, OP_ATTEST };

struct job {
	enum op op;
	int64_t org;
	const char *plan, *vref, *key, *name, *comment;
	struct plan_revision rev;
	json_t *body;
	int64_t expect;
	struct plan_actor who;
	struct audit_ctx ac;
	json_t *out;
	struct plan_err err;
	bool created;
};

static int job_tx(struct db *db, void *arg)
{
	struct job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	plan_err_reset(&j->err);
	switch (j->op) {
	case OP_CREATE:
		return plan_create(db, &j->ac, j->org, j->name, &j->who, &j->out, &j->err);
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
	case OP_DEL:
		return plan_section_delete(db, &j->ac, j->org, j->plan, j->vref, j->key, &j->out,
					   &j->err);
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

static void job_init(struct job *j, struct req *r, enum op op)
{
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->org = r->who.org_id;
	j->plan = req_param(r, "id");
	j->vref = req_param(r, "vid");
	j->key = req_param(r, "key");
	j->ac = req_audit_ctx(r);
	j->who.user_id = r->who.user_id;
	j->who.email = r->who.email;
	j->who.name = r->who.display_name;
	j->who.actor = r->who.actor ? r->who.actor : "";
}

/* Runs the job and sends its response (status on success: ok_status). */
static int run(struct req *r, struct job *j, int ok_status, const char *what)
{
	int rc = store_tx(r->app->store, job_tx, j);
	if (j->err.status) {
		json_decref(j->out);
		json_t *errs = j->err.errors;
		j->err.errors = NULL;
		return resp_problem(r, j->err.status, NULL, arena_strdup(&r->arena, j->err.detail),
				    errs);
	}
	if (rc == SIRT_ENOTFOUND) {
		json_decref(j->out);
		return resp_problem(r, 404, NULL, "no such plan or plan version", NULL);
	}
	if (rc < 0) {
		json_decref(j->out);
		return api_store_error(r, NULL, rc, what);
	}
	json_t *v = json_object_get(j->out, "version");
	if (json_is_integer(v))
		api_etag(r, json_integer_value(v));
	return resp_json(r, ok_status, j->out);
}

/* The body as a JSON object; an empty body is an empty object. */
static int opt_json(struct req *r, json_t **out)
{
	if (!r->body || r->body_len == 0) {
		*out = json_object();
		return 0;
	}
	return req_json(r, out);
}

static int body_checked(struct req *r, const struct field_spec *spec, json_t **out)
{
	json_t *errors;
	if (opt_json(r, out) < 0)
		return -1;
	if (validate_body(*out, spec, &errors) < 0) {
		json_decref(*out);
		*out = NULL;
		api_invalid(r, errors);
		return -1;
	}
	return 0;
}

/* Checks {"type", "ref"} strictly; errors under `path`. */
static void check_trigger(json_t *t, const char *path, json_t **errors)
{
	static const char *const types[] = {"incident", "exercise", "text", NULL};
	char f[96];
	if (!t || json_is_null(t))
		return;
	const char *k;
	json_t *v;
	json_object_foreach(t, k, v) {
		if (strcmp(k, "type") && strcmp(k, "ref")) {
			snprintf(f, sizeof(f), "%s.%s", path, k);
			validate_add(errors, f, "unknown field");
		}
	}
	const char *type = json_string_value(json_object_get(t, "type"));
	const char *ref = json_string_value(json_object_get(t, "ref"));
	snprintf(f, sizeof(f), "%s.type", path);
	if (!type || !plan_in_list(types, type))
		validate_add(errors, f, "must be one of: incident, exercise, text");
	snprintf(f, sizeof(f), "%s.ref", path);
	if (!ref || !*ref || json_string_length(json_object_get(t, "ref")) > 200 ||
	    !text_is_single_line(ref))
		validate_add(errors, f,
			     "must be the incident key, the exercise id or a short text (1 to 200"
			     " characters, one line)");
}

static int h_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = plan_list(db, r->who.org_id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing plans");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_create(struct req *r)
{
	json_t *body;
	if (body_checked(r, create_fields, &body) < 0)
		return 0;
	struct job j;
	job_init(&j, r, OP_CREATE);
	j.name = json_string_value(json_object_get(body, "name"));
	int rc = run(r, &j, 201, "creating the plan");
	json_decref(body);
	return rc;
}

static int h_starter(struct req *r)
{
	struct job j;
	job_init(&j, r, OP_STARTER);
	int rc = store_tx(r->app->store, job_tx, &j);
	if (rc < 0) {
		json_decref(j.out);
		return api_store_error(r, NULL, rc, "creating the starter plan");
	}
	return resp_json(r, j.created ? 201 : 200, j.out);
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = plan_get(db, r->who.org_id, req_param(r, "id"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such plan", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the plan");
	return resp_json(r, 200, o);
}

static int h_versions(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = plan_version_list(db, r->who.org_id, req_param(r, "id"), &items);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such plan", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing plan versions");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_new_version(struct req *r)
{
	json_t *body, *errors = NULL;
	if (body_checked(r, version_fields, &body) < 0)
		return 0;
	json_t *t = json_object_get(body, "trigger");
	check_trigger(t, "trigger", &errors);
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct job j;
	job_init(&j, r, OP_NEW);
	j.rev.reason = json_string_value(json_object_get(body, "reason"));
	j.rev.trigger_type = json_string_value(json_object_get(t, "type"));
	j.rev.trigger_ref = json_string_value(json_object_get(t, "ref"));
	j.rev.note = json_string_value(json_object_get(body, "note"));
	int rc = run(r, &j, 201, "starting a plan version");
	json_decref(body);
	return rc;
}

static int h_version(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = plan_version_get(db, r->who.org_id, req_param(r, "id"), req_param(r, "vid"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such plan version", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the plan version");
	api_etag(r, json_integer_value(json_object_get(o, "version")));
	return resp_json(r, 200, o);
}

static void check_settings(json_t *set, json_t **errors)
{
	const char *k;
	json_t *v;
	char f[96];
	json_object_foreach(set, k, v) {
		if (!strcmp(k, "approvals_required")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 10)
				validate_add(errors, "settings.approvals_required",
					     "must be a whole number from 1 to 10");
		} else if (!strcmp(k, "review_interval_months")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 36)
				validate_add(errors, "settings.review_interval_months",
					     "must be a whole number of months from 1 to 36");
		} else if (!strcmp(k, "approvers")) {
			if (!json_is_array(v) || json_array_size(v) > 20) {
				validate_add(errors, "settings.approvers",
					     "must be an array of at most 20 e-mail addresses");
				continue;
			}
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				struct strbuf why;
				sb_init(&why, 500);
				snprintf(f, sizeof(f), "settings.approvers[%zu]", i);
				if (!json_is_string(e))
					validate_add(errors, f, "must be an e-mail address");
				else if (contact_email_check(json_string_value(e), &why) < 0)
					validate_add(errors, f, sb_str(&why));
				sb_free(&why);
			}
		} else {
			snprintf(f, sizeof(f), "settings.%s", k);
			validate_add(errors, f, "unknown field");
		}
	}
}

static void check_revision(json_t *rev, json_t **errors)
{
	const char *k;
	json_t *v;
	char f[96];
	json_object_foreach(rev, k, v) {
		if (strcmp(k, "reason") && strcmp(k, "trigger") && strcmp(k, "note")) {
			snprintf(f, sizeof(f), "revision.%s", k);
			validate_add(errors, f, "unknown field");
		}
	}
	const char *reason = json_string_value(json_object_get(rev, "reason"));
	if (!reason || !plan_in_list(reasons, reason))
		validate_add(errors, "revision.reason",
			     "must be one of: tabletop_exercise, real_incident, organisational_change,"
			     " periodic_review, other");
	json_t *t = json_object_get(rev, "trigger");
	if (t && !json_is_null(t) && !json_is_object(t))
		validate_add(errors, "revision.trigger", "must be an object {type, ref} or null");
	else
		check_trigger(t, "revision.trigger", errors);
	json_t *note = json_object_get(rev, "note");
	if (note && (!json_is_string(note) || json_string_length(note) > 4000))
		validate_add(errors, "revision.note", "must be a string of at most 4000 characters");
}

static int h_patch(struct req *r)
{
	int64_t expect;
	if (api_if_match(r, &expect) < 0)
		return 0;
	json_t *body, *errors = NULL;
	if (body_checked(r, patch_fields, &body) < 0)
		return 0;
	check_settings(json_object_get(body, "settings"), &errors);
	if (json_object_get(body, "revision"))
		check_revision(json_object_get(body, "revision"), &errors);
	const char *title = json_string_value(json_object_get(body, "title"));
	if (title && strspn(title, " ") == strlen(title))
		validate_add(&errors, "title", "must not be blank");
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct job j;
	job_init(&j, r, OP_PATCH);
	j.body = body;
	j.expect = expect;
	int rc = run(r, &j, 200, "updating the plan version");
	json_decref(body);
	return rc;
}

static int h_section_put(struct req *r)
{
	int64_t expect;
	if (api_if_match(r, &expect) < 0)
		return 0;
	const char *key = req_param(r, "key");
	json_t *body, *errors = NULL;
	if (body_checked(r, section_fields, &body) < 0)
		return 0;
	if (!plan_key_valid(key))
		validate_add(&errors, "key",
			     "must be a section key: a lower-case letter, then up to 47 lower-case"
			     " letters, digits or underscores");
	const char *title = json_string_value(json_object_get(body, "title"));
	if (title && strspn(title, " ") == strlen(title))
		validate_add(&errors, "title", "must not be blank");
	json_t *data = json_object_get(body, "data");
	if (!errors && data && plan_section_validate(key, data, "data", &errors) < 0 && !errors)
		validate_add(&errors, "data", "is not valid");
	if (!errors && !title && !plan_section_is_standard(key)) {
		/* a new custom section needs a title; an existing one keeps its own */
		struct db *db = api_db(r);
		if (!db) {
			json_decref(body);
			return 0;
		}
		json_t *v = NULL;
		int rc = plan_version_get(db, r->who.org_id, req_param(r, "id"), req_param(r, "vid"), &v);
		if (rc == 0 && !plan_doc_section(v, key))
			validate_add(&errors, "title", "is required for a new section");
		json_decref(v);
	}
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct job j;
	job_init(&j, r, OP_PUT);
	j.body = body;
	j.expect = expect;
	int rc = run(r, &j, 200, "writing the plan section");
	json_decref(body);
	return rc;
}

static int h_section_delete(struct req *r)
{
	struct job j;
	job_init(&j, r, OP_DEL);
	return run(r, &j, 200, "deleting the plan section");
}

static int h_comment_op(struct req *r, enum op op, const char *what)
{
	json_t *body;
	if (body_checked(r, comment_fields, &body) < 0)
		return 0;
	struct job j;
	job_init(&j, r, op);
	j.comment = json_string_value(json_object_get(body, "comment"));
	int rc = run(r, &j, 200, what);
	json_decref(body);
	return rc;
}

static int h_submit(struct req *r)
{
	return h_comment_op(r, OP_SUBMIT, "submitting the plan version");
}

static int h_withdraw(struct req *r)
{
	return h_comment_op(r, OP_WITHDRAW, "withdrawing the plan version");
}

static int h_approve(struct req *r)
{
	return h_comment_op(r, OP_APPROVE, "approving the plan version");
}

static int h_attest(struct req *r)
{
	struct job j;
	job_init(&j, r, OP_ATTEST);
	return run(r, &j, 200, "recording the attestation");
}

static int h_attestations(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o = NULL;
	struct plan_err e = {0};
	int rc = plan_attestations(db, r->who.org_id, req_param(r, "id"), req_param(r, "vid"), &o, &e);
	if (e.status) {
		json_t *errs = e.errors;
		return resp_problem(r, e.status, NULL, arena_strdup(&r->arena, e.detail), errs);
	}
	if (rc < 0)
		return api_store_error(r, db, rc, "reading attestations");
	return resp_json(r, 200, o);
}

static int h_diff(struct req *r)
{
	const char *from = req_query(r, "from"), *to = req_query(r, "to");
	if (!from || !*from || !to || !*to)
		return resp_problem(r, 400, NULL,
				    "give the two versions to compare: ?from=v1&to=v2 (labels, numbers"
				    " or ids)",
				    NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o = NULL;
	struct plan_err e = {0};
	int rc = plan_diff(db, r->who.org_id, req_param(r, "id"), from, to, &o, &e);
	if (e.status)
		return resp_problem(r, e.status, NULL, arena_strdup(&r->arena, e.detail), e.errors);
	if (rc < 0)
		return api_store_error(r, db, rc, "comparing plan versions");
	return resp_json(r, 200, o);
}

static int h_export(struct req *r)
{
	const char *fmt = req_query(r, "format");
	if (!fmt)
		fmt = "html";
	if (strcmp(fmt, "html") && strcmp(fmt, "markdown"))
		return resp_problem(r, 400, NULL, "format must be html or markdown", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *v;
	int rc = plan_version_get(db, r->who.org_id, req_param(r, "id"), req_param(r, "vid"), &v);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such plan version", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the plan version");
	struct strbuf sb;
	sb_init(&sb, 32 << 20);
	bool html = !strcmp(fmt, "html");
	if (html)
		rc = plan_doc_html(v, &sb);
	else {
		plan_doc_markdown(v, &sb);
		rc = sb_status(&sb);
	}
	const char *label = json_string_value(json_object_get(v, "label"));
	resp_header(r, "Content-Disposition",
		    arena_printf(&r->arena, "inline; filename=\"incident-response-plan-%s.%s\"", label,
				 html ? "html" : "md"));
	json_decref(v);
	if (rc < 0) {
		sb_free(&sb);
		return resp_problem(r, 500, NULL, "the document could not be rendered", NULL);
	}
	resp_text(r, 200, html ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8",
		  sb_str(&sb), sb.len);
	sb_free(&sb);
	return 0;
}

#define V "/api/v1/plans/{id}/versions/{vid}"
const struct route api_plans_routes[] = {
	{"GET", "/api/v1/plans", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "List plans with the version in force and review state", "plan", NULL, 0},
	{"POST", "/api/v1/plans", PERM_MANAGE, BODY_JSON, 0, h_create, NULL,
	 "Create an empty plan with a v1 draft", "plan", create_fields, 0},
	{"POST", "/api/v1/plans/starter", PERM_MANAGE, BODY_NONE, 0, h_starter, NULL,
	 "Create the starter plan unless the organisation has a plan (idempotent)", "plan", NULL, 0},
	{"GET", "/api/v1/plans/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read a plan: versions, version in force, review state", "plan", NULL, 0},
	{"GET", "/api/v1/plans/{id}/versions", PERM_READ, BODY_NONE, 0, h_versions, NULL,
	 "List a plan's versions, newest first", "plan", NULL, 0},
	{"POST", "/api/v1/plans/{id}/versions", PERM_MANAGE, BODY_JSON, 0, h_new_version, NULL,
	 "Start a new version: a draft copy of the version in force, with its reason", "plan",
	 version_fields, 0},
	{"GET", "/api/v1/plans/{id}/attestations", PERM_READ, BODY_NONE, 0, h_attestations, NULL,
	 "Who has and has not attested the version in force", "plan", NULL, 0},
	{"GET", "/api/v1/plans/{id}/diff", PERM_READ, BODY_NONE, 0, h_diff, NULL,
	 "Compare two versions section by section (?from=&to=)", "plan", NULL, 0},
	{"GET", V, PERM_READ, BODY_NONE, 0, h_version, NULL,
	 "Read a version with its sections and approvals (by id, v3 or 3)", "plan", NULL, 0},
	{"PATCH", V, PERM_MANAGE, BODY_JSON, 0, h_patch, NULL,
	 "Change a draft's title, settings or revision reason", "plan", patch_fields, 0},
	{"PUT", V "/sections/{key}", PERM_MANAGE, BODY_JSON, 0, h_section_put, NULL,
	 "Create or change a section of a draft", "plan", section_fields, 0},
	{"DELETE", V "/sections/{key}", PERM_MANAGE, BODY_NONE, 0, h_section_delete, NULL,
	 "Remove a section from a draft", "plan", NULL, 0},
	{"POST", V "/submit", PERM_MANAGE, BODY_JSON, 0, h_submit, NULL,
	 "Submit a complete draft for review", "plan", comment_fields, 0},
	{"POST", V "/withdraw", PERM_MANAGE, BODY_JSON, 0, h_withdraw, NULL,
	 "Return a version in review to draft (approvals lapse)", "plan", comment_fields, 0},
	{"POST", V "/approve", PERM_MANAGE, BODY_JSON, 0, h_approve, NULL,
	 "Approve a version in review; enough approvals put it in force", "plan", comment_fields, 0},
	{"POST", V "/attest", PERM_SELF, BODY_NONE, 0, h_attest, NULL,
	 "Attest that you have read the version in force", "plan", NULL, 0},
	{"GET", V "/attestations", PERM_READ, BODY_NONE, 0, h_attestations, NULL,
	 "Attestation status of a version", "plan", NULL, 0},
	{"GET", V "/export", PERM_READ, BODY_NONE, 0, h_export, NULL,
	 "The version as one complete document (?format=html|markdown)", "plan", NULL, 0},
};
ROUTES_COUNT(api_plans);
