#include "auth/perm.h"

#include <string.h>

const char *perm_name(enum perm p)
{
	static const char *names[] = {"unset", "public", "intake", "self", "read",
				      "respond", "manage", "audit", "admin"};
	return p < PERM__COUNT ? names[p] : "unknown";
}

enum role role_parse(const char *s)
{
	if (!s)
		return ROLE_NONE;
	if (!strcmp(s, "admin")) return ROLE_ADMIN;
	if (!strcmp(s, "manager")) return ROLE_MANAGER;
	if (!strcmp(s, "responder")) return ROLE_RESPONDER;
	if (!strcmp(s, "viewer")) return ROLE_VIEWER;
	if (!strcmp(s, "auditor")) return ROLE_AUDITOR;
	return ROLE_NONE;
}

const char *role_name(enum role r)
{
	switch (r) {
	case ROLE_ADMIN: return "admin";
	case ROLE_MANAGER: return "manager";
	case ROLE_RESPONDER: return "responder";
	case ROLE_VIEWER: return "viewer";
	case ROLE_AUDITOR: return "auditor";
	default: return "none";
	}
}

enum scope scope_parse(const char *s)
{
	if (!s)
		return SCOPE_NONE;
	if (!strcmp(s, "read")) return SCOPE_READ;
	if (!strcmp(s, "write")) return SCOPE_WRITE;
	if (!strcmp(s, "admin")) return SCOPE_ADMIN;
	return SCOPE_NONE;
}

const char *scope_name(enum scope s)
{
	switch (s) {
	case SCOPE_READ: return "read";
	case SCOPE_WRITE: return "write";
	case SCOPE_ADMIN: return "admin";
	case SCOPE_SESSION: return "session";
	default: return "none";
	}
}

bool role_grants(enum role r, enum perm p)
{
	if (p == PERM_PUBLIC || p == PERM_INTAKE)
		return true;
	switch (r) {
	case ROLE_ADMIN:
		return p != PERM_UNSET;
	case ROLE_MANAGER:
		return p == PERM_SELF || p == PERM_READ || p == PERM_RESPOND || p == PERM_MANAGE;
	case ROLE_RESPONDER:
		return p == PERM_SELF || p == PERM_READ || p == PERM_RESPOND;
	case ROLE_VIEWER:
		return p == PERM_SELF || p == PERM_READ;
	case ROLE_AUDITOR:
		return p == PERM_SELF || p == PERM_READ || p == PERM_AUDIT;
	default:
		return false;
	}
}

bool scope_allows(enum scope s, enum perm p)
{
	switch (s) {
	case SCOPE_SESSION:
	case SCOPE_ADMIN:
		return true;
	case SCOPE_WRITE:
		return p != PERM_ADMIN;
	case SCOPE_READ:
		return p == PERM_PUBLIC || p == PERM_SELF || p == PERM_READ || p == PERM_AUDIT;
	default:
		return false;
	}
}
