/*
 * Exercises (tabletop, simulation, full-scale) and their participants.
 * The handler validates the JSON shape; the store keeps the rules that need
 * the stored record (an exercise in the future cannot be held) and writes
 * the exercise, its participants and the audit entry in one transaction.
 * Objectives, injects and findings are JSON arrays in TEXT columns;
 * participants have their own table so the team area can count attendance
 * as training (exercise_attendance()).
 */
#ifndef SIRT_EXERCISE_STORE_H
#define SIRT_EXERCISE_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "store/review_common.h"

#define EXERCISE_SKEW 300 /* seconds an exercise may lie ahead and still be held */

struct exercise_filter {
	const char *status;
	const char *kind;
	int64_t cursor_at, cursor_id; /* 0 = first page */
	int limit;
};

/* body: validated create fields. */
int exercise_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, const json_t *body,
		    const char *created_by, int64_t now, struct op_result *res, json_t **out) WUR;
int exercise_get(struct db *db, int64_t org_id, const char *uid, int64_t now, json_t **out) WUR;
int exercise_list(struct db *db, int64_t org_id, const struct exercise_filter *f, json_t **items,
		  char **next_cursor) WUR;
int exercise_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		    int64_t expect_version, const json_t *patch, int64_t now,
		    struct op_result *res, json_t **out) WUR;
/*
 * Attendance at held exercises since `since` (epoch seconds), for the team
 * area to count as training: [{"name","email","role","exercise_id",
 * "exercise_title","kind","held_at"}], newest first.
 */
int exercise_attendance(struct db *db, int64_t org_id, int64_t since, json_t **out) WUR;

#endif
