/*
 * One error convention for all of sirt: functions that do work return 0 on
 * success or one of these negative codes; predicates return bool.
 */
#ifndef SIRT_ERR_H
#define SIRT_ERR_H

enum sirt_err {
	SIRT_OK = 0,
	SIRT_EINVAL = -1,    /* input failed validation */
	SIRT_ENOTFOUND = -2, /* no such object (or not visible to caller) */
	SIRT_ECONFLICT = -3, /* unique key, stale ETag, illegal transition */
	SIRT_EDB = -4,       /* database error */
	SIRT_EUNAVAIL = -5,  /* database unreachable */
	SIRT_EIO = -6,       /* file or socket error */
	SIRT_EPERM = -7,     /* not allowed */
	SIRT_ETOOBIG = -8,   /* a ceiling was hit */
	SIRT_EAUTH = -9,     /* missing or bad credentials */
	SIRT_EPRECOND = -10, /* If-Match did not match */
	SIRT_ETHROTTLE = -11,/* too many attempts, try later */
};

#define WUR __attribute__((warn_unused_result))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

const char *sirt_strerror(int err);

#endif
