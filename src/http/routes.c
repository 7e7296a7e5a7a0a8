/*
 * Every module's routes, in matching order. Adding a resource: write its
 * src/api/<name>.c with a <name>_routes[] array and ROUTES_COUNT(<name>),
 * then add one line to each list here.
 */
#include "http/routes.h"

ROUTES_DECLARE(api_system);
ROUTES_DECLARE(api_evidence);
ROUTES_DECLARE(api_incident_io);
ROUTES_DECLARE(api_incidents);
ROUTES_DECLARE(api_channels);
ROUTES_DECLARE(api_outbox);
ROUTES_DECLARE(api_clocks);
ROUTES_DECLARE(api_notify_rules);
ROUTES_DECLARE(web_static);
ROUTES_DECLARE(api_incident_parts);
ROUTES_DECLARE(api_plans);
ROUTES_DECLARE(api_team);
ROUTES_DECLARE(api_oncall);
ROUTES_DECLARE(api_intake);
ROUTES_DECLARE(api_alerts);
ROUTES_DECLARE(auth_login);
ROUTES_DECLARE(api_users);
ROUTES_DECLARE(api_orgs);
ROUTES_DECLARE(api_tokens);
ROUTES_DECLARE(api_sessions);
ROUTES_DECLARE(api_audit);
ROUTES_DECLARE(api_reviews);
ROUTES_DECLARE(api_actions);
ROUTES_DECLARE(api_exercises);
ROUTES_DECLARE(api_qreviews);
ROUTES_DECLARE(api_compliance);
ROUTES_DECLARE(api_metrics);
ROUTES_DECLARE(pages_incidents);
ROUTES_DECLARE(pages_dashboard);
ROUTES_DECLARE(api_pack);
ROUTES_DECLARE(web_account);
ROUTES_DECLARE(web_admin);
ROUTES_DECLARE(web_admin_intake);
ROUTES_DECLARE(web_alerts);
ROUTES_DECLARE(web_review);
ROUTES_DECLARE(pages_plan);
ROUTES_DECLARE(pages_team);
ROUTES_DECLARE(pages_exercises);
ROUTES_DECLARE(pages_actions);
ROUTES_DECLARE(pages_qreviews);
ROUTES_DECLARE(pages_evidence);
ROUTES_DECLARE(pages_clocks);
ROUTES_DECLARE(pages_channels);
ROUTES_DECLARE(pages_pack);
ROUTES_DECLARE(pages_compliance);

const struct route_module route_modules[] = {
	{"system", api_system_routes, &api_system_routes_count},
	{"evidence", api_evidence_routes, &api_evidence_routes_count},
	{"incident_io", api_incident_io_routes, &api_incident_io_routes_count}, /* before incidents: export is not an {id} */
	{"incidents", api_incidents_routes, &api_incidents_routes_count},
	{"channels", api_channels_routes, &api_channels_routes_count},
	{"outbox", api_outbox_routes, &api_outbox_routes_count},
	{"clocks", api_clocks_routes, &api_clocks_routes_count},
	{"notify_rules", api_notify_rules_routes, &api_notify_rules_routes_count},
	{"web-static", web_static_routes, &web_static_routes_count},
	{"incident_parts", api_incident_parts_routes, &api_incident_parts_routes_count},
	{"plans", api_plans_routes, &api_plans_routes_count},
	{"team", api_team_routes, &api_team_routes_count},
	{"oncall", api_oncall_routes, &api_oncall_routes_count},
	{"intake", api_intake_routes, &api_intake_routes_count},
	{"alerts", api_alerts_routes, &api_alerts_routes_count},
	{"login", auth_login_routes, &auth_login_routes_count},
	{"users", api_users_routes, &api_users_routes_count},
	{"orgs", api_orgs_routes, &api_orgs_routes_count},
	{"tokens", api_tokens_routes, &api_tokens_routes_count},
	{"sessions", api_sessions_routes, &api_sessions_routes_count},
	{"audit", api_audit_routes, &api_audit_routes_count},
	{"reviews", api_reviews_routes, &api_reviews_routes_count},
	{"actions", api_actions_routes, &api_actions_routes_count},
	{"exercises", api_exercises_routes, &api_exercises_routes_count},
	{"qreviews", api_qreviews_routes, &api_qreviews_routes_count},
	{"compliance", api_compliance_routes, &api_compliance_routes_count},
	{"metrics", api_metrics_routes, &api_metrics_routes_count},
	{"pages-incidents", pages_incidents_routes, &pages_incidents_routes_count},
	{"pages-dashboard", pages_dashboard_routes, &pages_dashboard_routes_count},
	{"evidence-pack", api_pack_routes, &api_pack_routes_count},
	{"web-account", web_account_routes, &web_account_routes_count},
	{"web-admin", web_admin_routes, &web_admin_routes_count},
	{"web-admin-intake", web_admin_intake_routes, &web_admin_intake_routes_count},
	{"web-alerts", web_alerts_routes, &web_alerts_routes_count},
	{"web-review", web_review_routes, &web_review_routes_count},
	{"pages-plan", pages_plan_routes, &pages_plan_routes_count},
	{"pages-team", pages_team_routes, &pages_team_routes_count},
	{"pages-exercises", pages_exercises_routes, &pages_exercises_routes_count},
	{"pages-actions", pages_actions_routes, &pages_actions_routes_count},
	{"pages-qreviews", pages_qreviews_routes, &pages_qreviews_routes_count},
	{"pages-evidence", pages_evidence_routes, &pages_evidence_routes_count},
	{"pages-clocks", pages_clocks_routes, &pages_clocks_routes_count},
	{"pages-channels", pages_channels_routes, &pages_channels_routes_count},
	{"pages-pack", pages_pack_routes, &pages_pack_routes_count},
	{"pages-compliance", pages_compliance_routes, &pages_compliance_routes_count},
	{NULL, NULL, NULL},
};
