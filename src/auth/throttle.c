#include "auth/throttle.h"

#include <stdio.h>

static int bump(struct db *db, const char *key, int64_t free_attempts, int64_t now);

int64_t throttle_delay(int64_t failures, int64_t free_attempts)
{
	if (failures <= free_attempts)
		return 0;
	int64_t d = THROTTLE_BASE;
	for (int64_t i = free_attempts + 1; i < failures && d < THROTTLE_CAP; i++)
		d *= 2;
	return d < THROTTLE_CAP ? d : THROTTLE_CAP;
}

int throttle_check(struct db *db, const char *email, const char *addr, int64_t now,
		   int64_t *wait)
{
	char k1[300], k2[100];
	snprintf(k1, sizeof(k1), "account:%s", email ? email : "");
	snprintf(k2, sizeof(k2), "address:%s", addr ? addr : "");
	int64_t until = 0;
	int rc = db_query_int(db, &until,
			      "SELECT COALESCE(MAX(locked_until), 0) FROM login_throttle"
			      " WHERE key IN ($1, $2)",
			      2, DBV(DB_TEXT(k1), DB_TEXT(k2)));
	if (rc < 0)
		return rc;
	*wait = until > now ? until - now : 0;
	return 0;
}

static int bump(struct db *db, const char *key, int64_t free_attempts, int64_t now)
{
	int64_t failures = 0;
	int rc = db_query_int(
		db, &failures,
		"INSERT INTO login_throttle(key, failures, last_failure_at, locked_until)"
		" VALUES ($1, 1, $2, 0) ON CONFLICT (key) DO UPDATE SET"
		" failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1"
		" ELSE login_throttle.failures + 1 END, last_failure_at = $2"
		" RETURNING failures",
		3, DBV(DB_TEXT(key), DB_INT(now), DB_INT(now - THROTTLE_WINDOW)));
	if (rc < 0)
		return rc;
	int64_t d = throttle_delay(failures, free_attempts);
	if (d == 0)
		return 0;
	return db_exec(db, "UPDATE login_throttle SET locked_until = $2 WHERE key = $1", 2,
		       DBV(DB_TEXT(key), DB_INT(now + d)));
}

int throttle_fail(struct db *db, const char *email, const char *addr, int64_t now)
{
	char k[300];
	snprintf(k, sizeof(k), "account:%s", email ? email : "");
	int rc = bump(db, k, THROTTLE_ACCOUNT_FREE, now);
	if (rc < 0)
		return rc;
	snprintf(k, sizeof(k), "address:%s", addr ? addr : "");
	return bump(db, k, THROTTLE_ADDRESS_FREE, now);
}

int throttle_clear(struct db *db, const char *email)
{
	char k[300];
	snprintf(k, sizeof(k), "account:%s", email ? email : "");
	return db_exec(db, "DELETE FROM login_throttle WHERE key = $1", 1, DBV(DB_TEXT(k)));
}
