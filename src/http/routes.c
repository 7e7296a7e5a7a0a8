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
ROUTES_DECLARE(api_plans);
ROUTES_DECLARE(api_team);
ROUTES_DECLARE(api_oncall);
ROUTES_DECLARE(api_pack);

const struct route_module route_modules[] = {
	{"system", api_system_routes, &api_system_routes_count},
	{"incidents", api_incidents_routes, &api_incidents_routes_count},
	{"web-static", web_static_routes, &web_static_routes_count},
	{"incident_parts", api_incident_parts_routes, &api_incident_parts_routes_count},
	{"plans", api_plans_routes, &api_plans_routes_count},
	{"team", api_team_routes, &api_team_routes_count},
	{"oncall", api_oncall_routes, &api_oncall_routes_count},
	{"evidence-pack", api_pack_routes, &api_pack_routes_count},
	{NULL, NULL, NULL},
};
