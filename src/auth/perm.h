/*
 * Permissions. Every route in the router table names exactly one; a role
 * grants a set of them, and an API token's scope narrows that set further.
 */
#ifndef SIRT_PERM_H
#define SIRT_PERM_H

#include <stdbool.h>

enum perm {
	PERM_UNSET = 0,   /* a route that forgot to declare one: refused by the router test */
	PERM_PUBLIC,      /* no authentication (health, sign-in page, static files) */
	PERM_INTAKE,      /* alert receivers: authenticated by their own per-source secret */
	PERM_SELF,        /* any signed-in user: own sessions and tokens */
	PERM_READ,        /* read incidents, plan, team, dashboards */
	PERM_RESPOND,     /* work incidents: create, timeline, tasks, indicators, evidence */
	PERM_MANAGE,      /* run the programme: plan, team, rules, clocks, reviews */
	PERM_AUDIT,       /* audit trail and evidence export */
	PERM_ADMIN,       /* users, roles, tokens of others, channels, organisation */
	PERM__COUNT
};

enum role { ROLE_NONE = 0, ROLE_ADMIN, ROLE_MANAGER, ROLE_RESPONDER, ROLE_VIEWER, ROLE_AUDITOR };
enum scope { SCOPE_NONE = 0, SCOPE_READ, SCOPE_WRITE, SCOPE_ADMIN, SCOPE_SESSION };

const char *perm_name(enum perm p);
enum role role_parse(const char *s);
const char *role_name(enum role r);
enum scope scope_parse(const char *s);
const char *scope_name(enum scope s);
bool role_grants(enum role r, enum perm p);
bool scope_allows(enum scope s, enum perm p);

#endif
