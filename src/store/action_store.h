/*
 * Action items: the follow-ups that post-incident reviews, exercises and
 * quality reviews produce. Every item has a source (type + uid), an owner (a
 * user's e-mail or a team member's name) and a due date; one that is done
 * carries a verification note; one that caused a plan revision links it by
 * plan version id and label (loose references: the plan area is separate).
 */
#ifndef SIRT_ACTION_STORE_H
#define SIRT_ACTION_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "store/review_common.h"

struct action_new {
	int64_t org_id;
	const char *source_type;   /* review, exercise, quality_review */
	const char *source_ref;    /* uid (for review also an incident uid or key) */
	const char *title;
	const char *description;
	const char *owner;
	int64_t due_date;
	const char *priority;      /* NULL = medium */
	const char *plan_version_id;
	const char *plan_version_label;
	const char *created_by;
};

struct action_filter {
	const char *status;
	const char *source_type;
	const char *source_id;
	const char *owner;
	bool overdue;
	int64_t now;
	int64_t cursor_due, cursor_id; /* 0 = first page */
	int limit;
};

/* Resolves the source to the uid stored on the item; 404 with why. */
int action_resolve_source(struct db *db, int64_t org_id, const char *type, const char *ref,
			  char uid[40], struct op_result *res) WUR;
int action_create(struct db *db, const struct audit_ctx *ac, const struct action_new *in,
		  int64_t now, struct op_result *res, json_t **out) WUR;
int action_get(struct db *db, int64_t org_id, const char *uid, int64_t now, json_t **out) WUR;
int action_list(struct db *db, int64_t org_id, const struct action_filter *f, json_t **items,
		char **next_cursor) WUR;
/* patch is validated for types; the rules (verification note when done,
 * owner and due date never cleared) are checked here. */
int action_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		  int64_t expect_version, const json_t *patch, int64_t now, struct op_result *res,
		  json_t **out) WUR;
/* Items of the given source type whose source_id is one of the uids. */
int action_list_for_sources(struct db *db, int64_t org_id, const char *type,
			    const json_t *uids, int64_t now, json_t **items) WUR;
/*
 * Open or in-progress items whose due date has passed (due_date + 1 day <=
 * now), oldest due first; at most `limit` in *items (may be NULL), the total
 * in *count. For the notification rules' reminders and the dashboard.
 */
int actions_overdue(struct db *db, int64_t org_id, int64_t now, int limit, json_t **items,
		    int64_t *count) WUR;

#endif
