/*
 * Microsoft Sentinel, REST API (Microsoft.SecurityInsights, 2024-09-01):
 * an incident resource, a SecurityAlert entity (kind "SecurityAlert"), or a
 * list of either as the API returns it ({"value": [...]}, also a bare array).
 * The API specification's example envelope ({"parameters", "responses"}) is
 * not a payload and is refused with a hint.
 *
 * Incident (type ".../incidents", properties.title):
 *   fingerprint  "incident/" + name (the incident GUID); source_id = name
 *   title        properties.title; description = properties.description
 *   severity     properties.severity (table below)
 *   status       properties.status: New, Active = firing; Closed = resolved
 *   starts_at    firstActivityTimeUtc, else createdTimeUtc
 *   ends_at      lastModifiedTimeUtc when Closed
 *   first/last   firstActivityTimeUtc / lastActivityTimeUtc
 *   link         properties.incidentUrl
 *   labels       incident_number, sentinel_status, classification,
 *                classification_reason, provider, owner (assignedTo, else
 *                email, else userPrincipalName), tactics, labels
 * SecurityAlert (kind "SecurityAlert", properties.alertDisplayName):
 *   fingerprint  "alert/" + properties.systemAlertId (else name)
 *   title        alertDisplayName, else friendlyName
 *   severity     properties.severity (table below)
 *   status       New, InProgress, Unknown = firing; Resolved, Dismissed = resolved
 *   starts_at    startTimeUtc (else timeGenerated); ends_at endTimeUtc when
 *                resolved; first/last = startTimeUtc / endTimeUtc
 *   link         properties.alertLink
 *   labels       product, vendor, alert_type, sentinel_status, confidence,
 *                tactics, compromised_entity
 *   entities     compromisedEntity (an address: ip; a host name: host;
 *                otherwise account)
 * Severity: High = high, Medium = medium, Low = low, Informational = info;
 * any other word = medium (Sentinel has no "critical").
 */
#include "alert_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SRC "sentinel"

static int parse_incident(struct alert_batch *b, json_t *item, json_t *props,
			  const char *where, struct strbuf *err);
static int parse_alert(struct alert_batch *b, json_t *item, json_t *props, const char *where,
		       struct strbuf *err);
static int parse_item(struct alert_batch *b, json_t *item, const char *where,
		      struct strbuf *err);

static int parse_incident(struct alert_batch *b, json_t *item, json_t *props,
			  const char *where, struct strbuf *err)
{
	char pw[80], path[120];
	const char *name, *title, *desc, *sev, *status, *url, *classif, *reason, *provider;
	json_t *owner, *labels, *extra;
	json_int_t number;
	bool has_number;
	int64_t first, last, created, modified;
	snprintf(pw, sizeof(pw), "%s%sproperties", where, *where ? "." : "");

	struct alert *a = alert_batch_add(b, item);
	if (aj_string(SRC, item, where, "name", true, &name, err) < 0 ||
	    aj_string(SRC, props, pw, "title", true, &title, err) < 0 ||
	    aj_string(SRC, props, pw, "description", false, &desc, err) < 0 ||
	    aj_string(SRC, props, pw, "severity", true, &sev, err) < 0 ||
	    aj_string(SRC, props, pw, "status", true, &status, err) < 0 ||
	    aj_string(SRC, props, pw, "incidentUrl", false, &url, err) < 0 ||
	    aj_string(SRC, props, pw, "classification", false, &classif, err) < 0 ||
	    aj_string(SRC, props, pw, "classificationReason", false, &reason, err) < 0 ||
	    aj_string(SRC, props, pw, "providerName", false, &provider, err) < 0 ||
	    aj_integer(SRC, props, pw, "incidentNumber", false, &number, &has_number, err) < 0 ||
	    aj_time(SRC, props, pw, "firstActivityTimeUtc", false, &first, err) < 0 ||
	    aj_time(SRC, props, pw, "lastActivityTimeUtc", false, &last, err) < 0 ||
	    aj_time(SRC, props, pw, "createdTimeUtc", false, &created, err) < 0 ||
	    aj_time(SRC, props, pw, "lastModifiedTimeUtc", false, &modified, err) < 0 ||
	    aj_object(SRC, props, pw, "owner", false, &owner, err) < 0 ||
	    aj_array(SRC, props, pw, "labels", false, &labels, err) < 0 ||
	    aj_object(SRC, props, pw, "additionalData", false, &extra, err) < 0)
		goto fail;

	char fp[600];
	snprintf(fp, sizeof(fp), "incident/%.512s", name);
	alert_path(path, sizeof(path), where, "name");
	if (alert_set_fingerprint(a, fp, path, err) < 0 ||
	    alert_set_source_id(a, name, path, err) < 0)
		goto fail;
	alert_set_title(a, title);
	alert_set_description(a, desc);
	a->severity = alert_severity_or(sev, ALERT_SEV_MEDIUM);
	a->status = strcasecmp(status, "closed") == 0 ? ALERT_RESOLVED : ALERT_FIRING;
	a->starts_at = first ? first : created;
	a->ends_at = a->status == ALERT_RESOLVED ? modified : 0;
	a->first_seen = first ? first : created;
	a->last_seen = last ? last : modified;
	alert_set_link(a, url);

	if (has_number) {
		snprintf(path, sizeof(path), "%lld", (long long)number);
		alert_label_set(a, "incident_number", path);
	}
	alert_label_set(a, "sentinel_status", status);
	alert_label_set(a, "classification", classif);
	alert_label_set(a, "classification_reason", reason);
	alert_label_set(a, "provider", provider);
	if (owner) {
		const char *who = json_string_value(json_object_get(owner, "assignedTo"));
		if (!who)
			who = json_string_value(json_object_get(owner, "email"));
		if (!who)
			who = json_string_value(json_object_get(owner, "userPrincipalName"));
		alert_label_set(a, "owner", who);
	}
	if (extra)
		alert_label_join(a, "tactics", json_object_get(extra, "tactics"));
	if (labels) {
		json_t *names = json_array(), *l;
		size_t i;
		json_array_foreach(labels, i, l)
			if (json_is_string(json_object_get(l, "labelName")))
				json_array_append(names, json_object_get(l, "labelName"));
		alert_label_join(a, "labels", names);
		json_decref(names);
	}
	if (alert_finish(a, where, err) < 0)
		goto fail;
	return 0;
fail:
	alert_batch_pop(b);
	return SIRT_EINVAL;
}

static int parse_alert(struct alert_batch *b, json_t *item, json_t *props, const char *where,
		       struct strbuf *err)
{
	char pw[80], path[600];
	const char *name, *sys_id, *title, *friendly, *desc, *sev, *status, *link, *product,
		*vendor, *type, *confidence, *entity;
	int64_t start, end, generated;
	snprintf(pw, sizeof(pw), "%s%sproperties", where, *where ? "." : "");

	struct alert *a = alert_batch_add(b, item);
	if (aj_string(SRC, item, where, "name", false, &name, err) < 0 ||
	    aj_string(SRC, props, pw, "systemAlertId", false, &sys_id, err) < 0 ||
	    aj_string(SRC, props, pw, "alertDisplayName", false, &title, err) < 0 ||
	    aj_string(SRC, props, pw, "friendlyName", false, &friendly, err) < 0 ||
	    aj_string(SRC, props, pw, "description", false, &desc, err) < 0 ||
	    aj_string(SRC, props, pw, "severity", true, &sev, err) < 0 ||
	    aj_string(SRC, props, pw, "status", false, &status, err) < 0 ||
	    aj_string(SRC, props, pw, "alertLink", false, &link, err) < 0 ||
	    aj_string(SRC, props, pw, "productName", false, &product, err) < 0 ||
	    aj_string(SRC, props, pw, "vendorName", false, &vendor, err) < 0 ||
	    aj_string(SRC, props, pw, "alertType", false, &type, err) < 0 ||
	    aj_string(SRC, props, pw, "confidenceLevel", false, &confidence, err) < 0 ||
	    aj_string(SRC, props, pw, "compromisedEntity", false, &entity, err) < 0 ||
	    aj_time(SRC, props, pw, "startTimeUtc", false, &start, err) < 0 ||
	    aj_time(SRC, props, pw, "endTimeUtc", false, &end, err) < 0 ||
	    aj_time(SRC, props, pw, "timeGenerated", false, &generated, err) < 0)
		goto fail;
	const char *id = sys_id ? sys_id : name;
	if (!id) {
		alert_errf(err, SRC, "%s.systemAlertId: required field missing (and no name)", pw);
		goto fail;
	}
	if (!title && !friendly) {
		alert_errf(err, SRC, "%s.alertDisplayName: required field missing", pw);
		goto fail;
	}
	snprintf(path, sizeof(path), "alert/%.512s", id);
	if (alert_set_fingerprint(a, path, sys_id ? "properties.systemAlertId" : "name", err) < 0 ||
	    alert_set_source_id(a, id, "properties.systemAlertId", err) < 0)
		goto fail;
	alert_set_title(a, title && *title ? title : friendly);
	alert_set_description(a, desc);
	a->severity = alert_severity_or(sev, ALERT_SEV_MEDIUM);
	a->status = status && (strcasecmp(status, "resolved") == 0 ||
			       strcasecmp(status, "dismissed") == 0)
			    ? ALERT_RESOLVED
			    : ALERT_FIRING;
	a->starts_at = start ? start : generated;
	a->ends_at = a->status == ALERT_RESOLVED ? end : 0;
	a->first_seen = a->starts_at;
	a->last_seen = end > a->starts_at ? end : a->starts_at;
	alert_set_link(a, link);
	alert_label_set(a, "product", product);
	alert_label_set(a, "vendor", vendor);
	alert_label_set(a, "alert_type", type);
	alert_label_set(a, "sentinel_status", status);
	alert_label_set(a, "confidence", confidence);
	alert_label_set(a, "compromised_entity", entity);
	alert_label_join(a, "tactics", json_object_get(props, "tactics"));
	if (entity && alert_entity_valid(ENTITY_IP, entity))
		alert_entity_try(a, ENTITY_IP, entity);
	else if (entity && alert_entity_valid(ENTITY_HOST, entity))
		alert_entity_try(a, ENTITY_HOST, entity);
	else
		alert_entity_try(a, ENTITY_ACCOUNT, entity);
	if (alert_finish(a, where, err) < 0)
		goto fail;
	return 0;
fail:
	alert_batch_pop(b);
	return SIRT_EINVAL;
}

static int parse_item(struct alert_batch *b, json_t *item, const char *where,
		      struct strbuf *err)
{
	json_t *props;
	const char *kind, *type;
	if (aj_expect_object(SRC, item, where, err) < 0)
		return SIRT_EINVAL;
	if (json_object_get(item, "responses") && json_object_get(item, "parameters")) {
		alert_errf(err, SRC, "this is an API specification example envelope, not a "
				     "payload: send its responses[\"200\"].body");
		return SIRT_EINVAL;
	}
	if (aj_object(SRC, item, where, "properties", true, &props, err) < 0 ||
	    aj_string(SRC, item, where, "kind", false, &kind, err) < 0 ||
	    aj_string(SRC, item, where, "type", false, &type, err) < 0)
		return SIRT_EINVAL;
	if ((kind && strcasecmp(kind, "SecurityAlert") == 0) ||
	    json_object_get(props, "alertDisplayName") || json_object_get(props, "systemAlertId"))
		return parse_alert(b, item, props, where, err);
	if ((type && strcasestr(type, "/incidents")) || json_object_get(props, "title"))
		return parse_incident(b, item, props, where, err);
	alert_errf(err, SRC, "%s%sproperties: neither an incident (title) nor a SecurityAlert "
			     "(alertDisplayName)", where, *where ? "." : "");
	return SIRT_EINVAL;
}

int alert_parse_sentinel(const char *body, size_t len, struct alert_batch *out, struct strbuf *err)
{
	return alert_parse_documents(SRC, body, len, "value", parse_item, out, err);
}
