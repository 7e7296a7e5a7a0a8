/*
 * Sign-in throttling, per account and per client address, kept in the
 * database (table login_throttle) so every node sees the same counters.
 *
 * Each failed sign-in adds one to the counters of the account
 * ("account:EMAIL") and of the client address ("address:IP"). After the
 * free attempts, each further failure locks the key for a growing delay:
 * base, 2 x base, 4 x base, ... up to THROTTLE_CAP seconds. While a key is
 * locked every attempt is refused without the password being checked (429
 * with Retry-After). Counters forget failures older than THROTTLE_WINDOW;
 * a successful sign-in clears the account's counter (not the address's,
 * so one good account cannot launder guesses at others).
 */
#ifndef SIRT_THROTTLE_H
#define SIRT_THROTTLE_H

#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

#define THROTTLE_ACCOUNT_FREE 3
#define THROTTLE_ADDRESS_FREE 20
#define THROTTLE_BASE 5        /* seconds */
#define THROTTLE_CAP 900       /* 15 minutes */
#define THROTTLE_WINDOW 3600   /* failures older than this are forgotten */

/* Seconds to lock after the n-th consecutive failure (pure). */
int64_t throttle_delay(int64_t failures, int64_t free_attempts);

/* Seconds until the account or the address may try again (0 = now). */
int throttle_check(struct db *db, const char *email, const char *addr, int64_t now,
		   int64_t *wait) WUR;
/* Records one failure for both keys (inside the caller's transaction). */
int throttle_fail(struct db *db, const char *email, const char *addr, int64_t now) WUR;
/* Clears the account's counter after a successful sign-in. */
int throttle_clear(struct db *db, const char *email) WUR;

#endif
