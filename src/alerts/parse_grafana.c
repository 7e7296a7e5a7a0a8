/*
 * Grafana unified alerting webhook (Grafana 9 and later; "version": "1").
 * The body is the Alertmanager webhook shape plus orgId, state, title and
 * message at the top and, per alert, silenceURL, dashboardURL, panelURL,
 * imageURL, valueString and (Grafana 11) values. Everything the Alertmanager
 * mapping says applies (parse_alertmanager.c); in addition:
 *   link         generatorURL (the alert rule), else panelURL, else
 *                dashboardURL, else externalURL
 *   annotations  gain dashboard_url, panel_url, silence_url, image_url,
 *                value_string and values (the v11 object, numbers kept)
 * The legacy (pre-8) format (ruleId, evalMatches, no alerts array) is
 * refused with a message saying so.
 */
#include "alert_int.h"

#include <stdlib.h>
#include <string.h>

static int legacy_check(const json_t *root, struct strbuf *err);
static void grafana_extras(struct alert *a, const json_t *alert);

static const struct prom_flavour grafana = {
	.source = "grafana",
	.version = "1",
	.what = "Grafana unified alerting webhook",
	.root_check = legacy_check,
	.extras = grafana_extras,
};

int alert_parse_grafana(const char *body, size_t len, struct alert_batch *out,
			struct strbuf *err)
{
	return alert_parse_prom(&grafana, body, len, out, err);
}

static int legacy_check(const json_t *root, struct strbuf *err)
{
	if (!json_object_get(root, "alerts") &&
	    (json_object_get(root, "ruleId") || json_object_get(root, "evalMatches"))) {
		alert_errf(err, "grafana", "legacy Grafana alert format (ruleId/evalMatches) is not "
					   "supported: use a unified alerting contact point");
		return SIRT_EINVAL;
	}
	return 0;
}

static void grafana_extras(struct alert *a, const json_t *alert)
{
	static const struct {
		const char *from, *to;
	} urls[] = {
		{"dashboardURL", "dashboard_url"}, {"panelURL", "panel_url"},
		{"silenceURL", "silence_url"},     {"imageURL", "image_url"},
		{"valueString", "value_string"},
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		json_t *v = json_object_get(alert, urls[i].from);
		if (json_is_string(v) && *json_string_value(v))
			alert_annotation_set(a, urls[i].to, json_incref(v));
	}
	json_t *values = json_object_get(alert, "values");
	if (json_is_object(values))
		alert_annotation_set(a, "values", json_deep_copy(values));
	/* generatorURL was taken by the shared code; else prefer the panel */
	const char *gen = json_string_value(json_object_get(alert, "generatorURL"));
	if (!gen || !*gen) {
		const char *panel = json_string_value(json_object_get(alert, "panelURL"));
		const char *dash = json_string_value(json_object_get(alert, "dashboardURL"));
		char *before = a->link;
		a->link = NULL;
		alert_set_link(a, panel);
		if (!a->link)
			alert_set_link(a, dash);
		if (!a->link)
			a->link = before;
		else
			free(before);
	}
}
