#ifndef SIRT_ROUTES_H
#define SIRT_ROUTES_H

#include "http/http.h"

struct route_module {
	const char *name;
	const struct route *routes;
	const int *count;
};

/* Terminated by an entry with routes == NULL. */
extern const struct route_module route_modules[];

#define ROUTES_DECLARE(name)                          \
	extern const struct route name##_routes[];    \
	extern const int name##_routes_count

#define ROUTES_COUNT(name) \
	const int name##_routes_count = (int)(sizeof(name##_routes) / sizeof(name##_routes[0]))

#endif
