/*
 * Security events: failed and throttled sign-ins, refused tokens, access by
 * disabled users, permission denied, CSRF failures. Each is appended to the
 * audit trail in its own transaction (the request itself changes nothing).
 * A failure to record one is logged to stderr and does not change the
 * response the client gets.
 */
#ifndef SIRT_SECURITY_H
#define SIRT_SECURITY_H

#include <jansson.h>
#include <stdint.h>

struct req;

/* Appends action (e.g. "security.permission_denied") to org_id's chain.
 * details is borrowed and may be NULL; the route and method are added. */
void security_event(struct req *r, int64_t org_id, const char *action, json_t *details);
/* The same for an account: to every organisation of the user with this
 * e-mail, or to the installation chain (org 0) when there is none. */
void security_event_account(struct req *r, const char *email, const char *action,
			    json_t *details);

#endif
