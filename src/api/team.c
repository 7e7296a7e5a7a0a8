/*
 * /api/v1/team: members and their IR roles, user-defined roles, training
 * records and gaps, contact verification; and the public /verify/{token}
 * link a member opens to confirm their contact details.
 */
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "core/oncall.h"
#include "core/plan_doc.h"
#include "http/routes.h"
#include "store/team_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const struct field_spec member_create_fields[] = {
	{"name", F_STRING, true, false, 200, NULL, "full name"},
	{"user", F_STRING, false, true, 254, NULL, "e-mail of the member's sirt account, if any"},
	{"email", F_STRING, false, true, 254, NULL, "e-mail address"},
	{"phone", F_STRING, false, true, 16, NULL, "phone number, E.164 (+4915112345678)"},
	{"ooh_phone", F_STRING, false, true, 16, NULL, "out-of-hours phone number, E.164"},
	{"chat_handle", F_STRING, false, true, 100, NULL, "chat handle (Teams, Slack, ...)"},
	{"time_zone", F_STRING, false, false, 64, NULL, "IANA time zone, e.g. Europe/Berlin"},
	{"roles", F_STRINGS, false, false, 20, NULL, "IR role keys"},
	{"deputy", F_STRING, false, true, 36, NULL, "id of the member who deputises"},
	{NULL},
};
static const struct field_spec member_patch_fields[] = {
	{"name", F_STRING, false, false, 200, NULL, "full name"},
	{"user", F_STRING, false, true, 254, NULL, "e-mail of the member's sirt account, if any"},
	{"email", F_STRING, false, true, 254, NULL, "e-mail address"},
	{"phone", F_STRING, false, true, 16, NULL, "phone number, E.164"},
	{"ooh_phone", F_STRING, false, true, 16, NULL, "out-of-hours phone number, E.164"},
	{"chat_handle", F_STRING, false, true, 100, NULL, "chat handle"},
	{"time_zone", F_STRING, false, false, 64, NULL, "IANA time zone"},
	{"roles", F_STRINGS, false, false, 20, NULL, "IR role keys (replaces the list)"},
	{"deputy", F_STRING, false, true, 36, NULL, "id of the deputy"},
	{"active", F_BOOL, false, false, 0, NULL, "false when the person leaves the team"},
	{NULL},
};
static const struct field_spec role_fields[] = {
	{"key", F_STRING, true, false, 48, NULL, "role key, e.g. forensics_lead"},
	{"name", F_STRING, true, false, 100, NULL, "role name"},
	{"description", F_TEXT, false, false, 2000, NULL, "what the role does"},
	{NULL},
};
static const struct field_spec training_fields[] = {
	{"member", F_STRING, true, false, 36, NULL, "team member id"},
	{"course", F_STRING, true, false, 200, NULL, "course or exercise name"},
	{"provider", F_STRING, false, false, 200, NULL, "who gave it"},
	{"completed_on", F_DATE, true, false, 0, NULL, "date completed (YYYY-MM-DD)"},
	{"expires_on", F_DATE, false, false, 0, NULL, "date it expires (default: 12 months later)"},
	{"notes", F_TEXT, false, false, 2000, NULL, "notes"},
	{NULL},
};
static const char *const answers[] = {"confirmed", "correction", NULL};
static const struct field_spec answer_fields[] = {
	{"answer", F_ENUM, true, false, 0, answers, "confirmed, or correction"},
	{"correction", F_TEXT, false, false, 2000, NULL, "what is wrong (with a correction)"},
	{NULL},
};

enum op { OP_MEMBER, OP_ROLE, OP_TRAINING, OP_VERIFY_NEW, OP_VERIFY_ANSWER };

struct job {
	enum op op;
	int64_t org;
	const char *uid;
	int64_t expect;
	json_t *body;
	int64_t d1, d2;
	const char *token, *answer, *correction, *client, *request_id;
	struct audit_ctx ac;
	json_t *out;
	struct plan_err err;
};

static int job_tx(struct db *db, void *arg)
{
	struct job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	plan_err_reset(&j->err);
	switch (j->op) {
	case OP_MEMBER:
		return team_member_save(db, &j->ac, j->org, j->uid, j->expect, j->body, &j->out, &j->err);
	case OP_ROLE:
		return team_role_create(db, &j->ac, j->org, j->body, &j->out, &j->err);
	case OP_TRAINING:
		return team_training_add(db, &j->ac, j->org,
					 json_string_value(json_object_get(j->body, "member")), j->body,
					 j->d1, j->d2, &j->out, &j->err);
	case OP_VERIFY_NEW:
		return team_verify_create(db, &j->ac, j->org, j->uid, &j->out, &j->err);
	case OP_VERIFY_ANSWER:
		return team_verify_answer(db, j->token, j->answer, j->correction, j->client,
					  j->request_id, time_now(), &j->out, &j->err);
	}
	return SIRT_EINVAL;
}

static int run(struct req *r, struct job *j, int ok, const char *what)
{
	int rc = store_tx(r->app->store, job_tx, j);
	if (j->err.status) {
		json_decref(j->out);
		json_t *e = j->err.errors;
		j->err.errors = NULL;
		return resp_problem(r, j->err.status, j->err.status == 410 ? "Gone" : NULL,
				    arena_strdup(&r->arena, j->err.detail), e);
	}
	if (rc < 0) {
		json_decref(j->out);
		return api_store_error(r, NULL, rc, what);
	}
	json_t *v = json_object_get(j->out, "version");
	if (json_is_integer(v))
		api_etag(r, json_integer_value(v));
	return resp_json(r, ok, j->out);
}

static void check_contact(json_t *body, json_t **errors)
{
	struct strbuf why;
	sb_init(&why, 500);
	const char *e = json_string_value(json_object_get(body, "email"));
	if (e && contact_email_check(e, &why) < 0)
		validate_add(errors, "email", sb_str(&why));
	const char *u = json_string_value(json_object_get(body, "user"));
	sb_reset(&why);
	if (u && contact_email_check(u, &why) < 0)
		validate_add(errors, "user", sb_str(&why));
	const char *ph[] = {"phone", "ooh_phone"};
	for (int i = 0; i < 2; i++) {
		const char *p = json_string_value(json_object_get(body, ph[i]));
		sb_reset(&why);
		if (p && contact_phone_check(p, &why) < 0)
			validate_add(errors, ph[i], sb_str(&why));
	}
	sb_free(&why);
	const char *tz = json_string_value(json_object_get(body, "time_zone"));
	struct oncall_tz *z = NULL;
	if (tz) {
		if (oncall_tz_load(tz, &z) < 0)
			validate_add(errors, "time_zone",
				     "is not a known IANA time zone name, e.g. Europe/London or UTC");
		oncall_tz_free(z);
	}
	const char *name = json_string_value(json_object_get(body, "name"));
	if (name && strspn(name, " ") == strlen(name))
		validate_add(errors, "name", "must not be blank");
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(body, "roles"), i, x) {
		if (!plan_key_valid(json_string_value(x))) {
			char f[32];
			snprintf(f, sizeof(f), "roles[%zu]", i);
			validate_add(errors, f, "must be a role key (lower-case letters, digits, _)");
		}
	}
}

/* Lower-cases the e-mail fields so they match sirt's account e-mails. */
static void lower_emails(json_t *body)
{
	const char *k[] = {"user", "email"};
	for (int i = 0; i < 2; i++) {
		const char *s = json_string_value(json_object_get(body, k[i]));
		if (!s)
			continue;
		char *c = xstrdup(s);
		for (char *p = c; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		json_object_set_new(body, k[i], json_string(c));
		free(c);
	}
}

static int member_write(struct req *r, const struct field_spec *spec, const char *uid)
{
	int64_t expect = 0;
	if (uid && api_if_match(r, &expect) < 0)
		return 0;
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, spec, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	errors = NULL;
	check_contact(body, &errors);
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	lower_emails(body);
	struct job j = {.op = OP_MEMBER, .org = r->who.org_id, .uid = uid, .expect = expect,
			.body = body, .ac = req_audit_ctx(r)};
	int rc = run(r, &j, uid ? 200 : 201, "saving the team member");
	json_decref(body);
	return rc;
}

static int h_member_create(struct req *r)
{
	return member_write(r, member_create_fields, NULL);
}

static int h_member_patch(struct req *r)
{
	return member_write(r, member_patch_fields, req_param(r, "id"));
}

static int h_members(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	const char *all = req_query(r, "include_inactive");
	json_t *items;
	int rc = team_member_list(db, r->who.org_id, all && !strcmp(all, "true"), &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing team members");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_member(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = team_member_get(db, r->who.org_id, req_param(r, "id"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such team member", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the team member");
	api_etag(r, json_integer_value(json_object_get(o, "version")));
	return resp_json(r, 200, o);
}

static int h_roles(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = team_roles_list(db, r->who.org_id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing roles");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_role_create(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, role_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	if (!plan_key_valid(json_string_value(json_object_get(body, "key")))) {
		json_decref(body);
		errors = NULL;
		validate_add(&errors, "key", "must be a lower-case letter, then up to 47 lower-case"
					     " letters, digits or underscores");
		return api_invalid(r, errors);
	}
	struct job j = {.op = OP_ROLE, .org = r->who.org_id, .body = body, .ac = req_audit_ctx(r)};
	int rc = run(r, &j, 201, "creating the role");
	json_decref(body);
	return rc;
}

static int h_training_create(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, training_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	errors = NULL;
	int64_t done = 0, exp = 0;
	if (time_parse_date(json_string_value(json_object_get(body, "completed_on")), &done) < 0)
		done = 0;
	const char *es = json_string_value(json_object_get(body, "expires_on"));
	if (es && time_parse_date(es, &exp) < 0)
		exp = 0;
	/* a training date ahead of today (in any time zone) has not happened yet */
	if (done > time_now() + 14 * 3600)
		validate_add(&errors, "completed_on", "must not be in the future");
	if (es && exp <= done)
		validate_add(&errors, "expires_on", "must be after completed_on");
	const char *course = json_string_value(json_object_get(body, "course"));
	if (course && strspn(course, " ") == strlen(course))
		validate_add(&errors, "course", "must not be blank");
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct job j = {.op = OP_TRAINING, .org = r->who.org_id, .body = body, .d1 = done, .d2 = exp,
			.ac = req_audit_ctx(r)};
	int rc = run(r, &j, 201, "recording the training");
	json_decref(body);
	return rc;
}

static int h_trainings(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = team_training_list(db, r->who.org_id, req_query(r, "member"), &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing trainings");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_gaps(struct req *r)
{
	int64_t at = time_now();
	const char *q = req_query(r, "at");
	if (q && time_parse_iso8601(q, &at) < 0)
		return resp_problem(r, 400, NULL, "at must be an RFC 3339 date-time with offset", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = team_training_gaps(db, r->who.org_id, at, &o);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading training gaps");
	return resp_json(r, 200, o);
}

static int h_verify_create(struct req *r)
{
	struct job j = {.op = OP_VERIFY_NEW, .org = r->who.org_id, .uid = req_param(r, "id"),
			.ac = req_audit_ctx(r)};
	return run(r, &j, 201, "creating the verification link");
}

static int h_verify_show(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o = NULL;
	struct plan_err e = {0};
	int rc = team_verify_show(db, req_param(r, "token"), time_now(), &o, &e);
	if (e.status)
		return resp_problem(r, e.status, NULL, arena_strdup(&r->arena, e.detail), e.errors);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the verification link");
	return resp_json(r, 200, o);
}

static int h_verify_answer(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, answer_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	const char *answer = json_string_value(json_object_get(body, "answer"));
	const char *corr = json_string_value(json_object_get(body, "correction"));
	errors = NULL;
	if (!strcmp(answer, "correction") && (!corr || strspn(corr, " \r\n\t") == strlen(corr)))
		validate_add(&errors, "correction", "is required: say what is wrong");
	if (!strcmp(answer, "confirmed") && corr)
		validate_add(&errors, "correction", "is only given with the answer 'correction'");
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct job j = {.op = OP_VERIFY_ANSWER, .token = req_param(r, "token"), .answer = answer,
			.correction = corr, .client = r->client_addr, .request_id = r->request_id};
	int rc = run(r, &j, 200, "recording the answer");
	json_decref(body);
	return rc;
}

const struct route api_team_routes[] = {
	{"GET", "/api/v1/team/members", PERM_READ, BODY_NONE, 0, h_members, NULL,
	 "List team members with roles, contacts and training state", "team", NULL, 0},
	{"POST", "/api/v1/team/members", PERM_MANAGE, BODY_JSON, 0, h_member_create, NULL,
	 "Add a team member", "team", member_create_fields, 0},
	{"GET", "/api/v1/team/members/{id}", PERM_READ, BODY_NONE, 0, h_member, NULL,
	 "Read a team member", "team", NULL, 0},
	{"PATCH", "/api/v1/team/members/{id}", PERM_MANAGE, BODY_JSON, 0, h_member_patch, NULL,
	 "Change a team member (null clears a field)", "team", member_patch_fields, 0},
	{"POST", "/api/v1/team/members/{id}/verify-contact", PERM_MANAGE, BODY_NONE, 0,
	 h_verify_create, NULL, "Create a one-time link for the member to confirm their contact details",
	 "team", NULL, 0},
	{"GET", "/api/v1/team/roles", PERM_READ, BODY_NONE, 0, h_roles, NULL,
	 "Built-in and user-defined IR roles", "team", NULL, 0},
	{"POST", "/api/v1/team/roles", PERM_MANAGE, BODY_JSON, 0, h_role_create, NULL,
	 "Define an IR role", "team", role_fields, 0},
	{"GET", "/api/v1/team/trainings", PERM_READ, BODY_NONE, 0, h_trainings, NULL,
	 "Training records, newest first (?member=)", "team", NULL, 0},
	{"POST", "/api/v1/team/trainings", PERM_MANAGE, BODY_JSON, 0, h_training_create, NULL,
	 "Record a training", "team", training_fields, 0},
	{"GET", "/api/v1/team/training-gaps", PERM_READ, BODY_NONE, 0, h_gaps, NULL,
	 "Members whose training is missing, expired or expiring (?at=)", "team", NULL, 0},
	{"GET", "/verify/{token}", PERM_PUBLIC, BODY_NONE, 0, h_verify_show, NULL,
	 "What a contact verification link asks the member to confirm", "team", NULL,
	 ROUTE_NOAUTH_API},
	{"POST", "/verify/{token}", PERM_PUBLIC, BODY_JSON, 4096, h_verify_answer, NULL,
	 "Confirm contact details or report a correction", "team", answer_fields, ROUTE_NOAUTH_API},
};
ROUTES_COUNT(api_team);
