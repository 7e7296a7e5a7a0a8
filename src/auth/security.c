#include "auth/security.h"

#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "http/http.h"
#include "store/account_store.h"

struct event_job {
	int64_t org_id;
	const char *email; /* set: every organisation of this account */
	const char *action;
	json_t *details;
	struct audit_ctx ac;
};

static int event_tx(struct db *db, void *arg);

static int event_tx(struct db *db, void *arg)
{
	struct event_job *j = arg;
	if (j->email) {
		struct db_res *r;
		int rc = db_query(db, &r, "SELECT id, uid FROM users WHERE email = $1", 1,
				  DBV(DB_TEXT(j->email)));
		if (rc < 0)
			return rc;
		if (db_next(r)) {
			int64_t id = db_int(r, 0);
			char uid[37];
			snprintf(uid, sizeof(uid), "%s", db_text(r, 1));
			db_res_free(r);
			return audit_user_orgs(db, &j->ac, id, j->action, uid, j->details);
		}
		db_res_free(r);
		return audit_append(db, &j->ac, 0, j->action, "user", "", j->details);
	}
	return audit_append(db, &j->ac, j->org_id, j->action, "request", "", j->details);
}

static void record(struct req *r, struct event_job *j, json_t *details)
{
	json_t *d = details ? json_deep_copy(details) : json_object();
	json_object_set_new(d, "method", json_string(r->method));
	json_object_set_new(d, "path", json_string(r->path));
	j->details = d;
	j->ac = req_audit_ctx(r);
	int rc = store_tx(r->app->store, event_tx, j);
	if (rc < 0)
		fprintf(stderr, "sirt: could not record security event %s (request %s): %s\n",
			j->action, r->request_id, sirt_strerror(rc));
	json_decref(d);
}

void security_event(struct req *r, int64_t org_id, const char *action, json_t *details)
{
	struct event_job j = {.org_id = org_id, .action = action};
	record(r, &j, details);
}

void security_event_account(struct req *r, const char *email, const char *action,
			    json_t *details)
{
	struct event_job j = {.email = email, .action = action};
	record(r, &j, details);
}
