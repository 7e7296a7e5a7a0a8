/*
 * Microsoft Defender XDR through Microsoft Graph security API v1.0: an alert
 * (microsoft.graph.security.alert, "alerts v2"), an incident
 * (microsoft.graph.security.incident), or a Graph list of them
 * ({"value": [...]}, also a bare array). An incident fetched with
 * $expand=alerts contributes its alerts' evidence as entities.
 *
 * Alert:
 *   fingerprint  "alert/" + id; source_id = id
 *   title        title; description = description
 *   severity     severity (table below)
 *   status       new, inProgress = firing; resolved = resolved
 *   starts_at    firstActivityDateTime, else createdDateTime
 *   ends_at      resolvedDateTime when resolved
 *   first/last   firstActivityDateTime / lastActivityDateTime (else
 *                lastUpdateDateTime)
 *   link         alertWebUrl, else incidentWebUrl
 *   labels       incident_id, category, service_source, detection_source,
 *                defender_status, classification, determination,
 *                mitre_techniques, threat, assigned_to, provider_alert_id
 *   annotations  recommended_actions
 *   entities     from evidence[] by @odata.type:
 *                deviceEvidence: deviceDnsName host, ipInterfaces ip,
 *                  loggedOnUsers account;
 *                fileEvidence: fileDetails (sha1, sha256, md5 hashes,
 *                  fileName file_name);
 *                processEvidence: imageFile (hashes, file_name),
 *                  processCommandLine (else image name) process, parent
 *                  image name process, userAccount account;
 *                userEvidence: userAccount account (DOMAIN\name and UPN);
 *                ipEvidence: ipAddress ip; urlEvidence: url url;
 *                mailboxEvidence: primaryAddress mailbox, userAccount;
 *                analyzedMessageEvidence: senderIp ip, recipientEmailAddress,
 *                  p1Sender/p2Sender.emailAddress email, urls url;
 *                dnsEvidence: domainName domain, hostIpAddress ip;
 *                blobEvidence: url url.
 * Incident:
 *   fingerprint  "incident/" + id; title = displayName
 *   status       active, inProgress, awaitingAction = firing; resolved,
 *                redirected = resolved
 *   starts_at    createdDateTime; ends_at = lastUpdateDateTime when resolved
 *   link         incidentWebUrl
 *   labels       defender_status, classification, determination,
 *                assigned_to, tags (customTags), system_tags,
 *                redirect_incident_id
 * Severity: high = high, medium = medium, low = low, informational = info,
 * unknown or anything else = medium. Case-insensitive (incidents in the
 * wild say "Medium").
 */
#include "alert_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SRC "defender"

static const char *odata_type(const json_t *j);
static void file_entities(struct alert *a, const json_t *file);
static void account_entities(struct alert *a, const json_t *acct);
static void evidence_entities(struct alert *a, const json_t *evidence);
static int parse_alert(struct alert_batch *b, json_t *item, const char *where,
		       struct strbuf *err);
static int parse_incident(struct alert_batch *b, json_t *item, const char *where,
			  struct strbuf *err);
static int parse_item(struct alert_batch *b, json_t *item, const char *where,
		      struct strbuf *err);

static const char *odata_type(const json_t *j)
{
	const char *t = json_string_value(json_object_get(j, "@odata.type"));
	return t ? t : "";
}

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void file_entities(struct alert *a, const json_t *file)
{
	if (!json_is_object(file))
		return;
	alert_entity_try(a, ENTITY_FILE_HASH_SHA256, str(file, "sha256"));
	alert_entity_try(a, ENTITY_FILE_HASH_SHA1, str(file, "sha1"));
	alert_entity_try(a, ENTITY_FILE_HASH_MD5, str(file, "md5"));
	alert_entity_try(a, ENTITY_FILE_NAME, str(file, "fileName"));
}

static void account_entities(struct alert *a, const json_t *acct)
{
	if (!json_is_object(acct))
		return;
	alert_entity_account(a, str(acct, "domainName"), str(acct, "accountName"));
	alert_entity_try(a, ENTITY_ACCOUNT, str(acct, "userPrincipalName"));
}

static void evidence_entities(struct alert *a, const json_t *evidence)
{
	size_t i, j;
	json_t *ev, *v;
	json_array_foreach((json_t *)evidence, i, ev) {
		const char *t = odata_type(ev);
		if (!json_is_object(ev))
			continue;
		if (strstr(t, "deviceEvidence")) {
			alert_entity_try(a, ENTITY_HOST, str(ev, "deviceDnsName"));
			alert_entity_try(a, ENTITY_HOST, str(ev, "hostName"));
			json_array_foreach(json_object_get(ev, "ipInterfaces"), j, v)
				alert_entity_try(a, ENTITY_IP, json_string_value(v));
			json_array_foreach(json_object_get(ev, "loggedOnUsers"), j, v)
				account_entities(a, v);
		} else if (strstr(t, "fileEvidence")) {
			file_entities(a, json_object_get(ev, "fileDetails"));
		} else if (strstr(t, "processEvidence")) {
			json_t *image = json_object_get(ev, "imageFile");
			json_t *parent = json_object_get(ev, "parentProcessImageFile");
			const char *cmd = str(ev, "processCommandLine");
			file_entities(a, image);
			alert_entity_try(a, ENTITY_PROCESS,
					 cmd && *cmd ? cmd : str(image, "fileName"));
			alert_entity_try(a, ENTITY_PROCESS, str(parent, "fileName"));
			account_entities(a, json_object_get(ev, "userAccount"));
		} else if (strstr(t, "userEvidence")) {
			account_entities(a, json_object_get(ev, "userAccount"));
		} else if (strstr(t, "ipEvidence")) {
			alert_entity_try(a, ENTITY_IP, str(ev, "ipAddress"));
		} else if (strstr(t, "urlEvidence") || strstr(t, "blobEvidence")) {
			alert_entity_try(a, ENTITY_URL, str(ev, "url"));
		} else if (strstr(t, "mailboxEvidence")) {
			alert_entity_try(a, ENTITY_MAILBOX, str(ev, "primaryAddress"));
			account_entities(a, json_object_get(ev, "userAccount"));
		} else if (strstr(t, "analyzedMessageEvidence")) {
			alert_entity_try(a, ENTITY_IP, str(ev, "senderIp"));
			alert_entity_try(a, ENTITY_EMAIL, str(ev, "recipientEmailAddress"));
			alert_entity_try(a, ENTITY_EMAIL,
					 str(json_object_get(ev, "p1Sender"), "emailAddress"));
			alert_entity_try(a, ENTITY_EMAIL,
					 str(json_object_get(ev, "p2Sender"), "emailAddress"));
			json_array_foreach(json_object_get(ev, "urls"), j, v)
				alert_entity_try(a, ENTITY_URL, json_string_value(v));
		} else if (strstr(t, "dnsEvidence")) {
			alert_entity_try(a, ENTITY_DOMAIN, str(ev, "domainName"));
			alert_entity_try(a, ENTITY_IP,
					 str(json_object_get(ev, "hostIpAddress"), "ipAddress"));
		}
	}
}

static int parse_alert(struct alert_batch *b, json_t *item, const char *where,
		       struct strbuf *err)
{
	char fp[600], path[120];
	const char *id, *title, *desc, *sev, *status, *url, *inc_url, *actions;
	int64_t created, updated, resolved, first, last;
	json_t *evidence;

	struct alert *a = alert_batch_add(b, item);
	if (aj_string(SRC, item, where, "id", true, &id, err) < 0 ||
	    aj_string(SRC, item, where, "title", true, &title, err) < 0 ||
	    aj_string(SRC, item, where, "description", false, &desc, err) < 0 ||
	    aj_string(SRC, item, where, "severity", true, &sev, err) < 0 ||
	    aj_string(SRC, item, where, "status", false, &status, err) < 0 ||
	    aj_string(SRC, item, where, "alertWebUrl", false, &url, err) < 0 ||
	    aj_string(SRC, item, where, "incidentWebUrl", false, &inc_url, err) < 0 ||
	    aj_string(SRC, item, where, "recommendedActions", false, &actions, err) < 0 ||
	    aj_time(SRC, item, where, "createdDateTime", false, &created, err) < 0 ||
	    aj_time(SRC, item, where, "lastUpdateDateTime", false, &updated, err) < 0 ||
	    aj_time(SRC, item, where, "resolvedDateTime", false, &resolved, err) < 0 ||
	    aj_time(SRC, item, where, "firstActivityDateTime", false, &first, err) < 0 ||
	    aj_time(SRC, item, where, "lastActivityDateTime", false, &last, err) < 0 ||
	    aj_array(SRC, item, where, "evidence", false, &evidence, err) < 0)
		goto fail;
	snprintf(fp, sizeof(fp), "alert/%.512s", id);
	alert_path(path, sizeof(path), where, "id");
	if (alert_set_fingerprint(a, fp, path, err) < 0 ||
	    alert_set_source_id(a, id, path, err) < 0)
		goto fail;
	alert_set_title(a, title);
	alert_set_description(a, desc);
	a->severity = alert_severity_or(sev, ALERT_SEV_MEDIUM);
	a->status = status && strcasecmp(status, "resolved") == 0 ? ALERT_RESOLVED : ALERT_FIRING;
	a->starts_at = first ? first : created;
	a->ends_at = a->status == ALERT_RESOLVED ? resolved : 0;
	a->first_seen = a->starts_at;
	a->last_seen = last ? last : updated;
	alert_set_link(a, url);
	if (!a->link)
		alert_set_link(a, inc_url);

	alert_label_set(a, "incident_id", str(item, "incidentId"));
	alert_label_set(a, "category", str(item, "category"));
	alert_label_set(a, "service_source", str(item, "serviceSource"));
	alert_label_set(a, "detection_source", str(item, "detectionSource"));
	alert_label_set(a, "defender_status", status);
	alert_label_set(a, "classification", str(item, "classification"));
	alert_label_set(a, "determination", str(item, "determination"));
	alert_label_set(a, "threat", str(item, "threatDisplayName"));
	alert_label_set(a, "assigned_to", str(item, "assignedTo"));
	alert_label_set(a, "provider_alert_id", str(item, "providerAlertId"));
	alert_label_join(a, "mitre_techniques", json_object_get(item, "mitreTechniques"));
	if (actions && *actions)
		alert_annotation_set(a, "recommended_actions", json_string(actions));
	if (evidence)
		evidence_entities(a, evidence);
	if (alert_finish(a, where, err) < 0)
		goto fail;
	return 0;
fail:
	alert_batch_pop(b);
	return SIRT_EINVAL;
}

static int parse_incident(struct alert_batch *b, json_t *item, const char *where,
			  struct strbuf *err)
{
	char fp[600], path[120];
	const char *id, *title, *desc, *sev, *status, *url;
	int64_t created, updated;
	json_t *alerts, *al;
	size_t i;

	struct alert *a = alert_batch_add(b, item);
	if (aj_string(SRC, item, where, "id", true, &id, err) < 0 ||
	    aj_string(SRC, item, where, "displayName", true, &title, err) < 0 ||
	    aj_string(SRC, item, where, "description", false, &desc, err) < 0 ||
	    aj_string(SRC, item, where, "severity", true, &sev, err) < 0 ||
	    aj_string(SRC, item, where, "status", false, &status, err) < 0 ||
	    aj_string(SRC, item, where, "incidentWebUrl", false, &url, err) < 0 ||
	    aj_time(SRC, item, where, "createdDateTime", false, &created, err) < 0 ||
	    aj_time(SRC, item, where, "lastUpdateDateTime", false, &updated, err) < 0 ||
	    aj_array(SRC, item, where, "alerts", false, &alerts, err) < 0)
		goto fail;
	snprintf(fp, sizeof(fp), "incident/%.512s", id);
	alert_path(path, sizeof(path), where, "id");
	if (alert_set_fingerprint(a, fp, path, err) < 0 ||
	    alert_set_source_id(a, id, path, err) < 0)
		goto fail;
	alert_set_title(a, title);
	alert_set_description(a, desc);
	a->severity = alert_severity_or(sev, ALERT_SEV_MEDIUM);
	a->status = status && (strcasecmp(status, "resolved") == 0 ||
			       strcasecmp(status, "redirected") == 0)
			    ? ALERT_RESOLVED
			    : ALERT_FIRING;
	a->starts_at = created;
	a->ends_at = a->status == ALERT_RESOLVED ? updated : 0;
	a->first_seen = created;
	a->last_seen = updated;
	alert_set_link(a, url);
	alert_label_set(a, "defender_status", status);
	alert_label_set(a, "classification", str(item, "classification"));
	alert_label_set(a, "determination", str(item, "determination"));
	alert_label_set(a, "assigned_to", str(item, "assignedTo"));
	alert_label_set(a, "redirect_incident_id", str(item, "redirectIncidentId"));
	alert_label_join(a, "tags", json_object_get(item, "customTags"));
	alert_label_join(a, "system_tags", json_object_get(item, "systemTags"));
	json_array_foreach(alerts, i, al)
		evidence_entities(a, json_object_get(al, "evidence"));
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
	if (aj_expect_object(SRC, item, where, err) < 0)
		return SIRT_EINVAL;
	const char *t = odata_type(item);
	if (strstr(t, "incident") || (!*t && json_object_get(item, "displayName")))
		return parse_incident(b, item, where, err);
	if (strstr(t, "alert") || (!*t && json_object_get(item, "title")))
		return parse_alert(b, item, where, err);
	if (*t)
		alert_errf(err, SRC, "%s%s@odata.type: \"%.80s\" is neither an alert nor an incident",
			   where, *where ? "." : "", t);
	else
		alert_errf(err, SRC, "%s: neither a Graph security alert (title) nor an incident "
				     "(displayName)", *where ? where : "document");
	return SIRT_EINVAL;
}

int alert_parse_defender(const char *body, size_t len, struct alert_batch *out, struct strbuf *err)
{
	return alert_parse_documents(SRC, body, len, "value", parse_item, out, err);
}
