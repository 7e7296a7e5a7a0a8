/*
 * Every module's routes, in matching order. Adding a resource: write its
 * src/api/<name>.c with a <name>_routes[] array and ROUTES_COUNT(<name>),
 * then add one line to each list here.
 */
#include "http/routes.h"

ROUTES_DECLARE(api_system);
ROUTES_DECLARE(api_incidents);
ROUTES_DECLARE(web_static);
ROUTES_DECLARE(api_incident_parts);
ROUTES_DECLARE(pages_incidents);
ROUTES_DECLARE(pages_dashboard);

const struct route_module route_modules[] = {
	{"system", api_system_routes, &api_system_routes_count},
	{"incidents", api_incidents_routes, &api_incidents_routes_count},
	{"web-static", web_static_routes, &web_static_routes_count},
	{"incident_parts", api_incident_parts_routes, &api_incident_parts_routes_count},
	{"pages-incidents", pages_incidents_routes, &pages_incidents_routes_count},
	{"pages-dashboard", pages_dashboard_routes, &pages_dashboard_routes_count},
	{NULL, NULL, NULL},
};
