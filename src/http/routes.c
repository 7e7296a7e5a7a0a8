/*
 * Every module's routes, in matching order. Adding a resource: write its
 * src/api/<name>.c with a <name>_routes[] array and ROUTES_COUNT(<name>),
 * then add one line to each list here.
 */
#include "http/routes.h"

ROUTES_DECLARE(api_system);
ROUTES_DECLARE(api_incidents);
ROUTES_DECLARE(api_channels);
ROUTES_DECLARE(api_outbox);
ROUTES_DECLARE(api_clocks);

const struct route_module route_modules[] = {
	{"system", api_system_routes, &api_system_routes_count},
	{"incidents", api_incidents_routes, &api_incidents_routes_count},
	{"channels", api_channels_routes, &api_channels_routes_count},
	{"outbox", api_outbox_routes, &api_outbox_routes_count},
	{"clocks", api_clocks_routes, &api_clocks_routes_count},
	{NULL, NULL, NULL},
};
