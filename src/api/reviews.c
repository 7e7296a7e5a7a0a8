/*
 * /api/v1/incidents/{id}/review: the post-incident review (incident report)
 * of one incident, its revisions, submission, sign-off and publication, and
 * its Markdown and HTML renderings. {id} is the incident's id or key.
 */
#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#include "api/review_api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/review.h"
#include "http/routes.h"
#include "store/review_store.h"
#include "util/timeutil.h"
#include "web/escape.h"

static const struct field_spec content_fields[] = {
	{"summary", F_TEXT, false, true, 50000, NULL, "what happened, in brief (Markdown)"},
	{"actions_taken", F_ARRAY, false, true, 500, NULL,
	 "selected actions: [{at, actor, text, source}] (start from candidates)"},
	{"root_cause", F_OBJECT, false, true, 0, NULL,
	 "{method: five_whys|fishbone|fault_tree|other, root_cause, contributing_factors[], category}"},
	{"impact", F_OBJECT, false, true, 0, NULL,
	 "{people_affected, customers_affected, records_affected, data_types[], systems[],"
	 " duration_minutes, downtime_minutes, estimated_cost, currency, regulatory, contractual,"
	 " functional, information, recoverability, notes}"},
	{"went_well", F_TEXT, false, true, 50000, NULL, "what went well (Markdown)"},
	{"went_badly", F_TEXT, false, true, 50000, NULL, "what did not go well (Markdown)"},
	{"recommendations", F_ARRAY, false, true, 100, NULL, "improvement recommendations"},
	{NULL},
};

static const struct field_spec signoff_fields[] = {
	{"comment", F_TEXT, false, false, 2000, NULL, "the reviewer's comment"},
	{NULL},
};

enum rv_op { OP_CREATE, OP_UPDATE, OP_SUBMIT, OP_SIGNOFF, OP_PUBLISH };

struct rv_job {
	enum rv_op op;
	int64_t org_id;
	const char *ref;
	int64_t version;
	const json_t *content;
	const char *comment;
	struct review_actor who;
	struct audit_ctx ac;
	int64_t now;
	struct op_result res;
	json_t *out;
};

static int rv_tx(struct db *db, void *arg)
{
	struct rv_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	switch (j->op) {
	case OP_CREATE:
		return review_create(db, &j->ac, j->org_id, j->ref, &j->who, j->content, j->now,
				     &j->res, &j->out);
	case OP_UPDATE:
		return review_update(db, &j->ac, j->org_id, j->ref, j->version, j->content, j->now,
				     &j->res, &j->out);
	case OP_SUBMIT:
		return review_submit(db, &j->ac, j->org_id, j->ref, j->now, &j->res, &j->out);
	case OP_SIGNOFF:
		return review_signoff(db, &j->ac, j->org_id, j->ref, &j->who, j->comment, j->now,
				      &j->res, &j->out);
	case OP_PUBLISH:
		return review_publish(db, &j->ac, j->org_id, j->ref, j->now, &j->res, &j->out);
	}
	return SIRT_EINVAL;
}

/* Validates a content body; 0, or -1 with the 422 sent. */
static int check_content(struct req *r, json_t *body)
{
	/* content_fields describes the body for OpenAPI; review_content_check
	 * checks it to the last nested member and reports every problem at once */
	json_t *errors = NULL;
	if (review_content_check(body, &errors) < 0)
		return api_invalid(r, errors), -1;
	return 0;
}

static int run(struct req *r, enum rv_op op, json_t *body, const char *comment, int status)
{
	struct rv_job j = {.op = op, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			   .content = body, .comment = comment, .ac = req_audit_ctx(r),
			   .now = time_now()};
	j.who.email = r->who.email;
	j.who.name = rapi_name(r);
	if (op == OP_UPDATE && api_if_match(r, &j.version) < 0)
		return 0;
	int rc = store_tx(r->app->store, rv_tx, &j);
	if (rc < 0) {
		json_decref(j.out);
		return rapi_fail(r, rc, &j.res, "no such incident");
	}
	op_free(&j.res);
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	if (status == 201)
		resp_header(r, "Location",
			    arena_printf(&r->arena, "/api/v1/incidents/%s/review?revision=%lld",
					 req_param(r, "id"),
					 (long long)json_integer_value(json_object_get(j.out, "revision"))));
	return resp_json(r, status, j.out);
}

static int h_create(struct req *r)
{
	json_t *body = NULL;
	if (r->body_len && req_json(r, &body) < 0)
		return 0;
	if (body && check_content(r, body) < 0) {
		json_decref(body);
		return 0;
	}
	int rc = run(r, OP_CREATE, body, NULL, 201);
	json_decref(body);
	return rc;
}

static int h_patch(struct req *r)
{
	json_t *body;
	if (req_json(r, &body) < 0)
		return 0;
	if (check_content(r, body) < 0) {
		json_decref(body);
		return 0;
	}
	int rc = run(r, OP_UPDATE, body, NULL, 200);
	json_decref(body);
	return rc;
}

static int h_submit(struct req *r)
{
	return run(r, OP_SUBMIT, NULL, NULL, 200);
}

static int h_publish(struct req *r)
{
	return run(r, OP_PUBLISH, NULL, NULL, 200);
}

static int h_signoff(struct req *r)
{
	json_t *body = NULL, *errors;
	if (r->body_len && req_json(r, &body) < 0)
		return 0;
	if (body && validate_body(body, signoff_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	int rc = run(r, OP_SIGNOFF, NULL, json_string_value(json_object_get(body, "comment")), 200);
	json_decref(body);
	return rc;
}

/* A complete HTML document: the title escaped, the body from cmark with its
 * safe defaults (raw HTML and javascript: links are dropped). */
static int send_html(struct req *r, const json_t *rv, const char *md)
{
	char *html = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_DEFAULT);
	struct strbuf out;
	sb_init(&out, SB_DEFAULT_MAX);
	const json_t *inc = json_object_get(rv, "incident");
	const char *key = json_string_value(json_object_get(inc, "key"));
	sb_puts(&out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<title>Post-incident review ");
	escape_html(&out, key ? key : "", key ? strlen(key) : 0);
	sb_puts(&out, "</title>\n</head>\n<body>\n<main class=\"prose\">\n");
	sb_puts(&out, html);
	sb_puts(&out, "</main>\n</body>\n</html>\n");
	free(html);
	int rc = resp_text(r, 200, "text/html; charset=utf-8", sb_str(&out), out.len);
	sb_free(&out);
	return rc;
}

static int h_get(struct req *r)
{
	const char *fmt = req_query(r, "format");
	const char *rev = req_query(r, "revision");
	bool published;
	if (rapi_bool(r, "published", &published) < 0)
		return 0;
	static const char *const formats[] = {"json", "markdown", "html", NULL};
	if (fmt && !rapi_in(formats, fmt))
		return resp_problem(r, 400, NULL, "format must be json, markdown or html", NULL);
	long revision = 0;
	if (rev) {
		char *end;
		revision = strtol(rev, &end, 10);
		if (end == rev || *end || revision < 1 || revision > 100000)
			return resp_problem(r, 400, NULL, "revision must be a positive integer", NULL);
	}
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *rv;
	int rc = published ? review_get_published(db, r->who.org_id, req_param(r, "id"), time_now(), &rv)
			   : review_get(db, r->who.org_id, req_param(r, "id"), (int)revision,
					time_now(), &rv);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL,
				    revision || published
					    ? "no such incident or review revision"
					    : "no such incident, or it has no review yet (POST to start one)",
				    NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the review");
	api_etag(r, json_integer_value(json_object_get(rv, "version")));
	if (!fmt || !strcmp(fmt, "json"))
		return resp_json(r, 200, rv);
	struct strbuf md;
	sb_init(&md, SB_DEFAULT_MAX);
	review_render_markdown(rv, &md);
	if (sb_status(&md) < 0) {
		sb_free(&md);
		json_decref(rv);
		return resp_problem(r, 500, NULL, "the review is too large to render", NULL);
	}
	if (!strcmp(fmt, "markdown"))
		rc = resp_text(r, 200, "text/markdown; charset=utf-8", sb_str(&md), md.len);
	else
		rc = send_html(r, rv, sb_str(&md));
	sb_free(&md);
	json_decref(rv);
	return rc;
}

static int h_revisions(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = review_revisions(db, r->who.org_id, req_param(r, "id"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing review revisions");
	return resp_json(r, 200, o);
}

static int h_required(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	struct rs_incident inc;
	int rc = rs_incident_find(db, r->who.org_id, req_param(r, "id"), &inc);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	bool missing = false;
	if (rc == 0)
		rc = review_required_and_missing(db, r->who.org_id, inc.id, &missing);
	if (rc < 0)
		return api_store_error(r, db, rc, "checking the review rule");
	return resp_json(r, 200, json_pack("{s:s, s:s, s:b}", "incident", inc.key, "severity",
					   inc.severity, "review_missing", missing));
}

const struct route api_reviews_routes[] = {
	{"GET", "/api/v1/incidents/{id}/review", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "The incident's post-incident review (newest revision; ?revision=N, ?published=true,"
	 " ?format=json|markdown|html)", "reviews", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/review", PERM_MANAGE, BODY_JSON, 0, h_create, NULL,
	 "Start the review, or the next revision after a published one", "reviews", content_fields, 0},
	{"PATCH", "/api/v1/incidents/{id}/review", PERM_MANAGE, BODY_JSON, 0, h_patch, NULL,
	 "Edit the draft (an in-review revision returns to draft); 409 once published", "reviews",
	 content_fields, 0},
	{"GET", "/api/v1/incidents/{id}/review/revisions", PERM_READ, BODY_NONE, 0, h_revisions,
	 NULL, "Every revision of the review", "reviews", NULL, 0},
	{"GET", "/api/v1/incidents/{id}/review/required", PERM_READ, BODY_NONE, 0, h_required, NULL,
	 "Whether closing the incident still needs a published review", "reviews", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/review/submit", PERM_MANAGE, BODY_NONE, 0, h_submit, NULL,
	 "Submit the draft for review (required sections checked)", "reviews", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/review/signoffs", PERM_MANAGE, BODY_JSON, 0, h_signoff,
	 NULL, "Sign off the revision in review as the calling user", "reviews", signoff_fields, 0},
	{"POST", "/api/v1/incidents/{id}/review/publish", PERM_MANAGE, BODY_NONE, 0, h_publish, NULL,
	 "Publish: sign-offs checked, facts frozen, the previous revision superseded", "reviews",
	 NULL, 0},
};
ROUTES_COUNT(api_reviews);
