/*
 * Administration of alert intake (PERM_ADMIN):
 *   GET  /admin/intake                           sources, routing rules, dry-run form
 *   POST /admin/intake/sources                   add a source: its secret is shown once,
 *                                                on this answer
 *   POST /admin/intake/sources/{id}/rotate       a new secret (shown once); the old one
 *                                                stops at once
 *   POST /admin/intake/sources/{id}/state        enabled=true|false
 *   POST /admin/intake/rules                     add a rule written as JSON
 *   POST /admin/intake/rules/{id}                replace a rule's fields (JSON, version)
 *   POST /admin/intake/rules/{id}/move           dir=up|down (version)
 *   POST /admin/intake/rules/{id}/delete
 *   POST /admin/intake/dry-run                   what the rules would do with a pasted
 *                                                payload, writing nothing
 *
 * A rule's JSON is checked in three steps, each with a precise message next
 * to the text area (which keeps what was typed): the JSON itself (line and
 * column), the field list (the API's, src/api/intake.c), then the deep
 * checks of intake_rule_create/update ("match.severity: ...").
 */
#include <stdlib.h>
#include <string.h>

#include "templates.h"

#include "alerts/alert.h"
#include "api/validate.h"
#include "app/app.h"
#include "http/routes.h"
#include "intake/intake.h"
#include "store/alert_store.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "web/pages_kit.h"
#include "web/web.h"

#define RULE_TEXT_MAX (64 * 1024)
#define DRY_MAX ((size_t)1 << 20)

static const char *const actions[] = {"open", "attach", "record", NULL};
static const char *const inc_severities[] = {"critical", "high", "medium", "low", NULL};

/* The API's field lists for rules (src/api/intake.c). */
static const struct field_spec rule_fields[] = {
	{"name", F_STRING, true, false, 100, NULL, "unique name"},
	{"position", F_INT, false, false, 0, NULL, "1 = first; default last"},
	{"enabled", F_BOOL, false, false, 0, NULL, "default true"},
	{"match", F_OBJECT, false, false, 0, NULL, "conditions"},
	{"action", F_ENUM, true, false, 0, actions, "open, attach or record"},
	{"category", F_STRING, false, true, 64, NULL, "category of incidents it opens"},
	{"severity", F_ENUM, false, true, 0, inc_severities, "severity of incidents it opens"},
	{"group_by", F_STRINGS, false, false, RULE_MAX_GROUP_BY, NULL, "group fields"},
	{"group_window", F_INT, false, false, 0, NULL, "seconds an episode stays open"},
	{"resolve_note", F_BOOL, false, false, 0, NULL, "note resolutions"},
	{NULL},
};

static const char *const editable[] = {"name",     "position", "enabled",      "match",
				       "action",   "category", "severity",     "group_by",
				       "group_window", "resolve_note", NULL};

static const char *const new_rule_example =
	"{\n  \"name\": \"Critical alerts open incidents\",\n  \"match\": {\"min_severity\":"
	" \"critical\"},\n  \"action\": \"open\",\n  \"severity\": \"high\",\n  \"category\":"
	" \"other\",\n  \"group_by\": [\"source\", \"labels.alertname\"],\n  \"group_window\":"
	" 3600\n}\n";

struct intake_view {
	json_t *errors;   /* {field: message} */
	json_t *form;
	json_t *secret;   /* {name, secret, url} shown once */
	json_t *dry;      /* dry-run result */
	const char *edit_id;   /* the rule whose edit failed */
	const char *edit_text;
	const char *edit_error;
};

struct source_job {
	int op; /* 0 create, 1 rotate, 2 state */
	int64_t org_id;
	const char *ref, *name, *kind, *by;
	int enabled;
	struct audit_ctx ac;
	json_t *out;
};

struct rule_job {
	int op; /* 0 create, 1 update, 2 delete */
	int64_t org_id;
	const char *ref;
	int64_t version;
	json_t *body;
	struct audit_ctx ac;
	json_t *out;
	char err[256];
};

static int render(struct req *r, int status, const struct intake_view *v);
static int source_tx(struct db *db, void *arg);
static int rule_tx(struct db *db, void *arg);

static char *rule_text(const json_t *rule)
{
	json_t *o = json_object();
	for (const char *const *k = editable; *k; k++) {
		json_t *v = json_object_get(rule, *k);
		if (v)
			json_object_set(o, *k, v);
	}
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

static int render(struct req *r, int status, const struct intake_view *v)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	json_t *sources = NULL, *rules = NULL;
	int rc = intake_source_list(db, r->who.org_id, &sources);
	if (rc == 0)
		rc = intake_rule_list(db, r->who.org_id, &rules);
	if (rc < 0) {
		json_decref(sources);
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "reading intake");
	}
	static const char *const stimes[] = {"created_at", "rotated_at", "last_used_at", NULL};
	const char *base = r->app->cfg.base_url ? r->app->cfg.base_url : "";
	size_t i, nr = json_array_size(rules);
	json_t *o;
	json_array_foreach(sources, i, o) {
		kit_times(r, o, stimes);
		json_object_set_new(o, "full_url",
				    json_sprintf("%s%s", base,
						 json_string_value(json_object_get(o, "url"))));
		json_object_set_new(o, "kind_label", json_string(kit_label(r, json_string_value(
									   json_object_get(o, "kind")))));
	}
	json_array_foreach(rules, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		bool failed = v && v->edit_id && id && !strcmp(v->edit_id, id);
		char *text = rule_text(o);
		json_object_set_new(o, "text", json_string(failed ? v->edit_text : text ? text : "{}"));
		free(text);
		if (failed)
			json_object_set_new(o, "edit_error", json_string(v->edit_error));
		char *match = json_dumps(json_object_get(o, "match"), JSON_COMPACT);
		json_object_set_new(o, "match_text", json_string(match ? match : "{}"));
		free(match);
		json_object_set_new(o, "first", json_boolean(i == 0));
		json_object_set_new(o, "last", json_boolean(i + 1 == nr));
		json_object_set_new(o, "action_label", json_string(kit_label(r, json_string_value(
									     json_object_get(o, "action")))));
	}
	json_t *m = kit_model(r, "admin", "Alert intake");
	json_object_set_new(m, "section", json_string("intake"));
	json_object_set_new(m, "sources", sources);
	json_object_set_new(m, "rules", rules);
	json_object_set_new(m, "kinds", kit_options(r, alert_sources));
	json_t *form = v && v->form ? json_deep_copy(v->form) : json_object();
	if (!json_object_get(form, "rule"))
		json_object_set_new(form, "rule", json_string(new_rule_example));
	if (!json_object_get(form, "kind"))
		json_object_set_new(form, "kind", json_string("alertmanager"));
	if (!json_object_get(form, "dry_source"))
		json_object_set_new(form, "dry_source", json_string("alertmanager"));
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", v && v->errors ? json_incref(v->errors) : json_object());
	if (v && v->secret)
		json_object_set(m, "secret", v->secret);
	if (v && v->dry)
		json_object_set(m, "dry", v->dry);
	return web_render(r, status, tmpl_admin_intake, m);
}

static int h_intake(struct req *r)
{
	return render(r, 200, NULL);
}

static int one_error(struct req *r, int status, const char *field, const char *msg, json_t *form)
{
	json_t *errors = json_pack("{s:s}", field, msg);
	struct intake_view v = {.errors = errors, .form = form};
	int rc = render(r, status, &v);
	json_decref(errors);
	json_decref(form);
	return rc;
}

/* ---- sources ---- */

static int source_tx(struct db *db, void *arg)
{
	struct source_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	switch (j->op) {
	case 0: return intake_source_create(db, &j->ac, j->org_id, j->name, j->kind, j->by, &j->out);
	case 1: return intake_source_rotate(db, &j->ac, j->org_id, j->ref, &j->out);
	default:
		return intake_source_update(db, &j->ac, j->org_id, j->ref, NULL, j->enabled,
					    &j->out);
	}
}

static int show_secret(struct req *r, struct source_job *j, int status)
{
	const char *base = r->app->cfg.base_url ? r->app->cfg.base_url : "";
	json_t *s = json_pack("{s:O, s:O, s:o}", "name", json_object_get(j->out, "name"),
			      "secret", json_object_get(j->out, "secret"), "url",
			      json_sprintf("%s%s", base,
					   json_string_value(json_object_get(j->out, "url"))));
	json_decref(j->out);
	struct intake_view v = {.secret = s};
	resp_header(r, "Cache-Control", "no-store");
	int rc = render(r, status, &v);
	json_decref(s);
	return rc;
}

static int h_source_add(struct req *r)
{
	const char *name = kit_field(r, "name");
	const char *kind = kit_field(r, "kind");
	json_t *form = json_pack("{s:s, s:s}", "name", name ? name : "", "kind", kind ? kind : "");
	if (!name || !intake_source_name_valid(name))
		return one_error(r, 422, "source_name",
				 "Give a name of 1 to 100 characters on one line, e.g."
				 " prod-alertmanager.",
				 form);
	if (!kind || !alert_source_valid(kind))
		return one_error(r, 422, "source_kind", "Choose the format the tool sends.", form);
	struct source_job j = {.op = 0, .org_id = r->who.org_id, .name = name, .kind = kind,
			       .by = r->who.email, .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, source_tx, &j);
	if (rc == SIRT_ECONFLICT || rc == SIRT_EINVAL)
		return one_error(r, rc == SIRT_ECONFLICT ? 409 : 422, "source_name",
				 rc == SIRT_ECONFLICT ? "A source with that name exists already."
						      : "Give a name of 1 to 100 characters on one line.",
				 form);
	json_decref(form);
	if (rc < 0)
		return resp_error(r, rc, "adding the intake source");
	return show_secret(r, &j, 201);
}

static int h_source_rotate(struct req *r)
{
	struct source_job j = {.op = 1, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			       .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, source_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such intake source", NULL);
	if (rc < 0)
		return resp_error(r, rc, "rotating the secret");
	return show_secret(r, &j, 200);
}

static int h_source_state(struct req *r)
{
	const char *en = kit_field(r, "enabled");
	if (!en || (strcmp(en, "true") && strcmp(en, "false")))
		return resp_problem(r, 422, NULL, "enabled must be true or false", NULL);
	struct source_job j = {.op = 2, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			       .enabled = !strcmp(en, "true"), .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, source_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such intake source", NULL);
	if (rc < 0)
		return resp_error(r, rc, "changing the intake source");
	const char *name = json_string_value(json_object_get(j.out, "name"));
	const char *msg = arena_printf(&r->arena,
				       j.enabled ? "Intake source %s is enabled."
						 : "Intake source %s is disabled: its payloads are refused.",
				       name ? name : "");
	json_decref(j.out);
	return kit_done(r, "ok", msg, "/admin/intake#sources");
}

/* ---- rules ---- */

static int rule_tx(struct db *db, void *arg)
{
	struct rule_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	j->err[0] = '\0';
	switch (j->op) {
	case 0:
		return intake_rule_create(db, &j->ac, j->org_id, j->body, &j->out, j->err,
					  sizeof(j->err));
	case 1:
		return intake_rule_update(db, &j->ac, j->org_id, j->ref, j->version, j->body,
					  &j->out, j->err, sizeof(j->err));
	default: return intake_rule_delete(db, &j->ac, j->org_id, j->ref);
	}
}

/* Parses and checks a rule's JSON; NULL with *why set when it is not acceptable. */
static json_t *rule_parse(struct req *r, const char *text, const char **why)
{
	if (!text || !*text) {
		*why = "Write the rule as a JSON object.";
		return NULL;
	}
	if (strlen(text) > RULE_TEXT_MAX) {
		*why = "The rule is longer than 64 KiB.";
		return NULL;
	}
	json_error_t e;
	json_t *body = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, &e);
	if (!body) {
		*why = arena_printf(&r->arena, "Not valid JSON: line %d, column %d: %s.", e.line,
				    e.column, e.text);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		*why = "The rule must be a JSON object ({ … }).";
		return NULL;
	}
	json_t *errors = NULL;
	if (validate_body(body, rule_fields, &errors) < 0) {
		struct strbuf sb;
		sb_init(&sb, 4096);
		size_t i;
		json_t *x;
		json_array_foreach(errors, i, x)
			sb_printf(&sb, "%s%s: %s", i ? "; " : "",
				  json_string_value(json_object_get(x, "field")),
				  json_string_value(json_object_get(x, "message")));
		*why = arena_strdup(&r->arena, sb_status(&sb) == 0 ? sb_str(&sb) : "invalid rule");
		sb_free(&sb);
		json_decref(errors);
		json_decref(body);
		return NULL;
	}
	return body;
}

static int rule_failed(struct req *r, struct rule_job *j, int rc, const char *text)
{
	const char *why = j->err[0] ? arena_strdup(&r->arena, j->err)
		: rc == SIRT_EPRECOND ? "The rule was changed by someone else since this page was"
					" loaded: reload the page and edit it again."
		: rc == SIRT_ECONFLICT ? "A rule with that name exists already."
				       : "The rule could not be saved.";
	if (j->op == 1) {
		struct intake_view v = {.edit_id = j->ref, .edit_text = text, .edit_error = why};
		return render(r, rc == SIRT_EINVAL ? 422 : 409, &v);
	}
	return one_error(r, rc == SIRT_EINVAL ? 422 : 409, "rule", why,
			 json_pack("{s:s}", "rule", text ? text : ""));
}

static int h_rule_add(struct req *r)
{
	const char *text = kit_text(r, "rule");
	const char *why = NULL;
	json_t *body = rule_parse(r, text, &why);
	if (!body)
		return one_error(r, 422, "rule", why, json_pack("{s:s}", "rule", text ? text : ""));
	struct rule_job j = {.op = 0, .org_id = r->who.org_id, .body = body, .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, rule_tx, &j);
	json_decref(body);
	if (rc == SIRT_EINVAL || rc == SIRT_ECONFLICT || rc == SIRT_ETOOBIG)
		return rule_failed(r, &j, rc, text);
	if (rc < 0)
		return resp_error(r, rc, "adding the rule");
	const char *msg = arena_printf(&r->arena, "Rule “%s” added.",
				       json_string_value(json_object_get(j.out, "name")));
	json_decref(j.out);
	return kit_done(r, "ok", msg, "/admin/intake#rules");
}

static int version_field(struct req *r, int64_t *out)
{
	const char *v = kit_field(r, "version");
	char *end;
	*out = v ? strtoll(v, &end, 10) : 0;
	if (!v || *end || *out <= 0) {
		resp_problem(r, 422, NULL, "version is missing: reload the page", NULL);
		return -1;
	}
	return 0;
}

static int h_rule_edit(struct req *r)
{
	const char *text = kit_text(r, "rule");
	struct rule_job j = {.op = 1, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			     .ac = req_audit_ctx(r)};
	if (version_field(r, &j.version) < 0)
		return 0;
	const char *why = NULL;
	json_t *body = rule_parse(r, text, &why);
	if (!body) {
		struct intake_view v = {.edit_id = j.ref, .edit_text = text ? text : "",
					.edit_error = why};
		return render(r, 422, &v);
	}
	j.body = body;
	int rc = store_tx(r->app->store, rule_tx, &j);
	json_decref(body);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such rule", NULL);
	if (rc == SIRT_EINVAL || rc == SIRT_ECONFLICT || rc == SIRT_ETOOBIG || rc == SIRT_EPRECOND)
		return rule_failed(r, &j, rc, text);
	if (rc < 0)
		return resp_error(r, rc, "saving the rule");
	json_decref(j.out);
	return kit_done(r, "ok", "Rule saved.", "/admin/intake#rules");
}

static int h_rule_move(struct req *r)
{
	const char *dir = kit_field(r, "dir");
	const char *pos = kit_field(r, "position");
	struct rule_job j = {.op = 1, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			     .ac = req_audit_ctx(r)};
	if (version_field(r, &j.version) < 0)
		return 0;
	char *end;
	long p = pos ? strtol(pos, &end, 10) : 0;
	if (!dir || (strcmp(dir, "up") && strcmp(dir, "down")) || !pos || *end || p < 1)
		return resp_problem(r, 422, NULL, "dir must be up or down, with the position", NULL);
	p += !strcmp(dir, "up") ? -1 : 1;
	if (p < 1)
		return kit_done(r, "warning", "That rule is first already.", "/admin/intake#rules");
	j.body = json_pack("{s:I}", "position", (json_int_t)p);
	int rc = store_tx(r->app->store, rule_tx, &j);
	json_decref(j.body);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such rule", NULL);
	if (rc == SIRT_EPRECOND)
		return kit_done(r, "error", "The rules changed meanwhile: look again and retry.",
				"/admin/intake#rules");
	if (rc < 0 && j.err[0])
		return kit_done(r, "error", arena_strdup(&r->arena, j.err), "/admin/intake#rules");
	if (rc < 0)
		return resp_error(r, rc, "moving the rule");
	json_decref(j.out);
	return kit_done(r, "ok", "Rule order saved: the first rule that matches wins.",
			"/admin/intake#rules");
}

static int h_rule_delete(struct req *r)
{
	struct rule_job j = {.op = 2, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			     .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, rule_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such rule", NULL);
	if (rc < 0)
		return resp_error(r, rc, "deleting the rule");
	return kit_done(r, "ok", "Rule deleted.", "/admin/intake#rules");
}

/* ---- dry run ---- */

static int h_dry_run(struct req *r)
{
	const char *kind = kit_field(r, "source");
	const char *text = kit_text(r, "payload");
	json_t *form = json_pack("{s:s, s:s}", "dry_source", kind ? kind : "", "dry_payload",
				 text ? text : "");
	if (!kind || !alert_source_valid(kind))
		return one_error(r, 422, "dry_source", "Choose the format of the payload.", form);
	if (!text || !*text)
		return one_error(r, 422, "dry_payload", "Paste a payload as the tool sends it.", form);
	if (strlen(text) > DRY_MAX)
		return one_error(r, 413, "dry_payload", "The payload is larger than 1 MiB.", form);
	struct alert_batch batch;
	alert_batch_init(&batch, kind);
	struct strbuf err;
	sb_init(&err, 4096);
	int rc = alert_parse(kind, text, strlen(text), &batch, &err);
	if (rc < 0) {
		const char *why = arena_printf(&r->arena, "The payload is not one %s sends: %s",
					       kit_label(r, kind),
					       err.len && sb_status(&err) == 0 ? sb_str(&err)
									       : "malformed");
		sb_free(&err);
		alert_batch_free(&batch);
		return one_error(r, 422, "dry_payload", why, form);
	}
	sb_free(&err);
	struct intake_job j = {.org_id = r->who.org_id, .kind = kind, .batch = &batch,
			       .now = time_now()};
	sha256_hex(j.digest, text, strlen(text));
	struct db *db = store_reader(r->app->store);
	json_t *out = NULL;
	rc = db ? intake_rules_load(db, r->who.org_id, &j.rules, &j.nrules) : SIRT_EUNAVAIL;
	if (rc == 0) {
		intake_prepare(&j);
		rc = intake_dry_run(db, &j, &out);
	}
	intake_job_free(&j);
	intake_rules_free(j.rules, j.nrules);
	alert_batch_free(&batch);
	if (rc < 0) {
		json_decref(form);
		return resp_error(r, rc, "dry-running the rules");
	}
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(out, "alerts"), i, a) {
		json_object_set_new(a, "outcome_label", json_string(kit_label(r, json_string_value(
									      json_object_get(a, "outcome")))));
		json_object_set_new(a, "severity_label", json_string(kit_label(r, json_string_value(
									       json_object_get(a, "severity")))));
	}
	struct intake_view v = {.form = form, .dry = out};
	rc = render(r, 200, &v);
	json_decref(out);
	json_decref(form);
	return rc;
}

const struct route web_admin_intake_routes[] = {
	{"GET", "/admin/intake", PERM_ADMIN, BODY_NONE, 0, h_intake, NULL,
	 "Alert intake: sources, routing rules, dry-run", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/intake/sources", PERM_ADMIN, BODY_FORM, 8192, h_source_add, NULL,
	 "Add an intake source (form: name, kind); the secret is shown once", "web", NULL,
	 ROUTE_HTML},
	{"POST", "/admin/intake/sources/{id}/rotate", PERM_ADMIN, BODY_FORM, 4096,
	 h_source_rotate, NULL, "Replace an intake source's secret (shown once)", "web", NULL,
	 ROUTE_HTML},
	{"POST", "/admin/intake/sources/{id}/state", PERM_ADMIN, BODY_FORM, 4096, h_source_state,
	 NULL, "Enable or disable an intake source (form: enabled)", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/intake/rules", PERM_ADMIN, BODY_FORM, 2 * RULE_TEXT_MAX, h_rule_add, NULL,
	 "Add a routing rule (form: rule, as JSON)", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/intake/rules/{id}", PERM_ADMIN, BODY_FORM, 2 * RULE_TEXT_MAX, h_rule_edit,
	 NULL, "Change a routing rule (form: rule as JSON, version)", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/intake/rules/{id}/move", PERM_ADMIN, BODY_FORM, 4096, h_rule_move, NULL,
	 "Move a routing rule up or down (form: dir, position, version)", "web", NULL,
	 ROUTE_HTML},
	{"POST", "/admin/intake/rules/{id}/delete", PERM_ADMIN, BODY_FORM, 4096, h_rule_delete,
	 NULL, "Delete a routing rule (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/intake/dry-run", PERM_ADMIN, BODY_FORM, 3 * DRY_MAX, h_dry_run, NULL,
	 "What the rules would do with a payload (form: source, payload)", "web", NULL,
	 ROUTE_HTML},
};
ROUTES_COUNT(web_admin_intake);
