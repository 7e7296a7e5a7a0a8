/*
 * An incident's tasks: a checklist with assignee, due time and status
 * (open, in_progress, done, cancelled). Playbook tasks (src/core/playbook.c)
 * are added when an open incident first gets a category. Every change is
 * audited and written to the timeline.
 */
#include "store/incident_store.h"
#include "store/db_json.h"
#include "store/plan_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/category.h"
#include "core/playbook.h"
#include "store/incident_internal.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define TASK_COLS                                                                              \
	"k.id, k.title, (SELECT u.email FROM users u WHERE u.id = k.assignee_id), k.due_at,"    \
	" k.status, k.source, k.created_at, k.updated_at, k.completed_at, k.created_by"

static json_t *task_json(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_int(r, 0)));
	json_object_set_new(o, "title", json_string(db_text(r, 1)));
	json_object_set_new(o, "assignee", db_text(r, 2) ? json_string(db_text(r, 2)) : json_null());
	json_object_set_new(o, "due_at", incident_time_json(r, 3));
	json_object_set_new(o, "status", json_string(db_text(r, 4)));
	json_object_set_new(o, "source", json_string(db_text(r, 5)));
	json_object_set_new(o, "created_at", incident_time_json(r, 6));
	json_object_set_new(o, "updated_at", incident_time_json(r, 7));
	json_object_set_new(o, "completed_at", incident_time_json(r, 8));
	json_object_set_new(o, "created_by", json_string(db_text(r, 9)));
	return o;
}

static int task_get(struct db *db, int64_t incident_id, int64_t task_id, json_t **out)
{
	return db_query_one_json(db, task_json, out,
				 "SELECT " TASK_COLS " FROM incident_tasks k WHERE k.id = $1 AND k.incident_id = $2",
				 2, DBV(DB_INT(task_id), DB_INT(incident_id)));
}

static void check_title(json_t **errors, const char *title)
{
	if (incident_blank(title))
		incident_error_add(errors, "title", title ? "must not be blank" : "is required");
	incident_check_text(errors, "title", title, PLAYBOOK_TASK_TITLE_MAX, false);
}

static int insert_task(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       int64_t incident_id, const struct task_new *t, int64_t assignee_id,
		       int64_t *id)
{
	char author[300];
	int64_t now = time_now();
	const char *status = t->status ? t->status : "open";
	return db_query_int(
		db, id,
		"INSERT INTO incident_tasks(org_id, incident_id, title, assignee_id, due_at, status,"
		" source, created_at, updated_at, completed_at, created_by)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) RETURNING id",
		10,
		DBV(DB_INT(org_id), DB_INT(incident_id), DB_TEXT(t->title),
		    assignee_id ? DB_INT(assignee_id) : DB_NULL(), t->due_at ? DB_INT(t->due_at) : DB_NULL(),
		    DB_TEXT(status), DB_TEXT(t->source ? t->source : "manual"), DB_INT(now),
		    task_status_is_finished(status) ? DB_INT(now) : DB_NULL(),
		    DB_TEXT(incident_author(ac, author, sizeof(author)))));
}

/*
 * The playbook of the IR plan in force decides a new incident's tasks; an
 * organisation without an approved plan gets sirt's built-in set
 * (src/core/playbook.c).
 */
int incident_tasks_from_playbook(struct db *db, const struct audit_ctx *ac, int64_t org_id,
				 int64_t incident_id, const char *category)
{
	json_t *plan_tasks = NULL;
	const char *source = "built-in";
	int n = 0, rc = 0;
	struct plan_ref plan;
	rc = plan_in_force(db, org_id, &plan);
	if (rc == 0) {
		rc = plan_playbook_tasks(db, org_id, category, &plan_tasks);
		if (rc < 0)
			return rc;
		source = plan.label;
	} else if (rc != SIRT_ENOTFOUND) {
		return rc;
	}
	if (plan_tasks && json_array_size(plan_tasks) > 0) {
		size_t i;
		json_t *task;
		json_array_foreach(plan_tasks, i, task) {
			const char *title = json_string_value(json_object_get(task, "title"));
			if (!title)
				continue;
			struct task_new t = {.title = title, .source = "playbook"};
			json_t *due = json_object_get(task, "due_minutes");
			if (json_is_integer(due) && json_integer_value(due) > 0)
				t.due_at = time_now() + 60 * json_integer_value(due);
			int64_t id;
			rc = insert_task(db, ac, org_id, incident_id, &t, 0, &id);
			if (rc < 0)
				goto out;
			n++;
		}
	} else {
		const char *const *titles = playbook_tasks(category);
		for (const char *const *p = titles; p && *p; p++, n++) {
			struct task_new t = {.title = *p, .source = "playbook"};
			int64_t id;
			rc = insert_task(db, ac, org_id, incident_id, &t, 0, &id);
			if (rc < 0)
				goto out;
		}
	}
	if (n == 0)
		goto out;
	char text[200];
	snprintf(text, sizeof(text), "Added %d tasks from the %s playbook (plan %s)", n, category,
		 source);
	json_t *det = json_pack("{s:s, s:i, s:s}", "playbook", category, "tasks", n, "plan", source);
	rc = incident_timeline_system(db, ac, org_id, incident_id, text, det);
	json_decref(det);
out:
	json_decref(plan_tasks);
	return rc;
}

int incident_task_add(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		      const struct task_new *t, json_t **out)
{
	struct incident_ref inc;
	json_t *errors = NULL;
	*out = NULL;
	int rc = incident_lookup(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	check_title(&errors, t->title);
	if (t->status && !enum_contains(task_statuses, t->status))
		incident_error_add(&errors, "status", "must be one of: open, in_progress, done, cancelled");
	int64_t assignee_id = 0;
	if (t->assignee) {
		rc = incident_member(db, org_id, t->assignee, &assignee_id);
		if (rc == SIRT_ENOTFOUND)
			incident_error_add(&errors, "assignee",
					   "is not the e-mail of a member of this organisation");
		else if (rc < 0)
			goto fail;
	}
	if (errors) {
		*out = errors;
		return SIRT_EINVAL;
	}
	int64_t id;
	rc = insert_task(db, ac, org_id, inc.id, t, assignee_id, &id);
	if (rc < 0)
		goto fail;
	rc = task_get(db, inc.id, id, out);
	if (rc < 0)
		goto fail;
	struct strbuf text;
	sb_init(&text, 1024);
	sb_printf(&text, "Task added: %s", t->title);
	json_t *det = json_pack("{s:s, s:I, s:O}", "key", inc.key, "task", (json_int_t)id, "task_record",
				*out);
	rc = incident_timeline_system(db, ac, org_id, inc.id, sb_str(&text), det);
	if (rc == 0)
		rc = audit_append(db, ac, org_id, "incident.task.create", "incident", inc.uid, det);
	json_decref(det);
	sb_free(&text);
	return rc;
fail:
	json_decref(errors);
	return rc;
}

int incident_task_list(struct db *db, int64_t org_id, const char *ref, json_t **items)
{
	struct incident_ref inc;
	int rc = incident_lookup(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r, "SELECT " TASK_COLS " FROM incident_tasks k WHERE k.incident_id = $1"
			      " ORDER BY k.id", 1, DBV(DB_INT(inc.id)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	while (db_next(r))
		json_array_append_new(arr, task_json(r));
	db_res_free(r);
	*items = arr;
	return 0;
}

int incident_task_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
			 int64_t task_id, json_t *patch, json_t **out)
{
	struct incident_ref inc;
	json_t *cur = NULL, *errors = NULL, *changes = NULL;
	*out = NULL;
	int rc = incident_lookup(db, org_id, ref, &inc);
	if (rc < 0)
		return rc;
	rc = task_get(db, inc.id, task_id, &cur);
	if (rc < 0)
		return rc;
	json_t *v;
	const char *title = json_string_value(json_object_get(cur, "title"));
	const char *status = json_string_value(json_object_get(cur, "status"));
	int64_t due = 0, assignee_id = 0;
	const char *due_s = json_string_value(json_object_get(cur, "due_at"));
	if (due_s && time_parse_iso8601(due_s, &due) < 0)
		due = 0;
	const char *assignee = json_string_value(json_object_get(cur, "assignee"));
	if (assignee && incident_member(db, org_id, assignee, &assignee_id) < 0)
		assignee_id = 0;
	changes = json_object();
	if ((v = json_object_get(patch, "title"))) {
		title = json_string_value(v);
		check_title(&errors, title);
	}
	if ((v = json_object_get(patch, "status"))) {
		status = json_string_value(v);
		if (!enum_contains(task_statuses, status))
			incident_error_add(&errors, "status",
					   "must be one of: open, in_progress, done, cancelled");
	}
	if ((v = json_object_get(patch, "due_at"))) {
		due = 0;
		if (json_is_string(v) && time_parse_iso8601(json_string_value(v), &due) < 0)
			incident_error_add(&errors, "due_at", "must be an RFC 3339 date-time with offset");
	}
	if ((v = json_object_get(patch, "assignee"))) {
		assignee_id = 0;
		if (json_is_string(v)) {
			rc = incident_member(db, org_id, json_string_value(v), &assignee_id);
			if (rc == SIRT_ENOTFOUND)
				incident_error_add(&errors, "assignee",
						   "is not the e-mail of a member of this organisation");
			else if (rc < 0)
				goto out;
		}
	}
	if (errors) {
		*out = errors;
		errors = NULL;
		rc = SIRT_EINVAL;
		goto out;
	}
	int64_t now = time_now();
	bool was_finished = task_status_is_finished(json_string_value(json_object_get(cur, "status")));
	bool finished = task_status_is_finished(status);
	rc = db_exec(db,
		     "UPDATE incident_tasks SET title = $3, status = $4, due_at = $5, assignee_id = $6,"
		     " updated_at = $7, completed_at = CASE WHEN $8 = 1 THEN $7 WHEN $8 = 2 THEN NULL"
		     " ELSE completed_at END WHERE id = $1 AND incident_id = $2",
		     8,
		     DBV(DB_INT(task_id), DB_INT(inc.id), DB_TEXT(title), DB_TEXT(status),
			 due ? DB_INT(due) : DB_NULL(), assignee_id ? DB_INT(assignee_id) : DB_NULL(),
			 DB_INT(now), DB_INT(finished && !was_finished ? 1 : !finished && was_finished ? 2 : 0)));
	if (rc < 0)
		goto out;
	rc = task_get(db, inc.id, task_id, out);
	if (rc < 0)
		goto out;
	static const char *const keys[] = {"title", "status", "due_at", "assignee", NULL};
	for (const char *const *k = keys; *k; k++) {
		json_t *a = json_object_get(cur, *k), *b = json_object_get(*out, *k);
		if (!json_equal(a, b))
			json_object_set_new(changes, *k, json_pack("{s:O, s:O}", "from", a, "to", b));
	}
	if (json_object_size(changes) == 0)
		goto out;
	struct strbuf text;
	sb_init(&text, 1024);
	sb_printf(&text, "Task %s: ", title);
	const char *k;
	bool first = true;
	json_object_foreach(changes, k, v) {
		const char *to = json_string_value(json_object_get(v, "to"));
		sb_printf(&text, "%s%s → %s", first ? "" : "; ", k, to ? to : "(none)");
		first = false;
	}
	json_t *det = json_pack("{s:s, s:I, s:O}", "key", inc.key, "task", (json_int_t)task_id,
				"changes", changes);
	rc = incident_timeline_system(db, ac, org_id, inc.id, sb_str(&text), det);
	if (rc == 0)
		rc = audit_append(db, ac, org_id, "incident.task.update", "incident", inc.uid, det);
	json_decref(det);
	sb_free(&text);
out:
	if (rc < 0 && rc != SIRT_EINVAL) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(cur);
	json_decref(errors);
	json_decref(changes);
	return rc;
}
