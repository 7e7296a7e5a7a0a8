/*
 * Alert normalisation: every real payload in ../shared/data/alerts (or
 * $SIRT_SHARED_DATA/alerts) parsed and its mapping checked field by field,
 * then hostile and wrong-source input, then sirt's generic format and an
 * Elastic Security document written from the public ECS / alert schema.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alerts/alert.h"
#include "util/xalloc.h"

static char *read_file(const char *path, size_t *len);
static char *data_path(const char *rel);
static char *load(const char *rel, size_t *len);
static const struct alert *parse_ok(const char *source, const char *rel,
				    struct alert_batch *b);
static char *sentinel_body(const char *rel, size_t *len);

/* ---- helpers ----------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf sb;
	char buf[4096];
	size_t n;
	sb_init(&sb, 16 << 20);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	assert_int_equal(sb_status(&sb), 0);
	return sb_steal(&sb, len);
}

static char *data_path(const char *rel)
{
	const char *base = getenv("SIRT_SHARED_DATA");
	if (!base || !*base)
		base = "../shared/data";
	return xasprintf("%s/alerts/%s", base, rel);
}

static char *load(const char *rel, size_t *len)
{
	char *path = data_path(rel);
	char *body = read_file(path, len);
	if (!body)
		fail_msg("cannot read %s (run from the repository root or set SIRT_SHARED_DATA)",
			 path);
	free(path);
	return body;
}

static int parse_str(const char *source, const char *body, struct alert_batch *b,
		     struct strbuf *err)
{
	return alert_parse(source, body, strlen(body), b, err);
}

static const struct alert *parse_ok(const char *source, const char *rel,
				    struct alert_batch *b)
{
	size_t len;
	char *body = load(rel, &len);
	struct strbuf err;
	sb_init(&err, 0);
	int rc = alert_parse(source, body, len, b, &err);
	if (rc != 0)
		fail_msg("%s: %s", rel, sb_str(&err));
	sb_free(&err);
	free(body);
	assert_true(b->n > 0);
	return &b->items[0];
}

/* Unwraps the API-spec example: responses["200"].body, as the brief says. */
static char *sentinel_body(const char *rel, size_t *len)
{
	size_t n;
	char *env = load(rel, &n);
	json_error_t je;
	json_t *root = json_loadb(env, n, 0, &je);
	assert_non_null(root);
	json_t *body = json_object_get(json_object_get(json_object_get(root, "responses"), "200"),
				       "body");
	assert_non_null(body);
	char *s = json_dumps(body, JSON_COMPACT);
	*len = strlen(s);
	json_decref(root);
	free(env);
	return s;
}

static bool has_entity(const struct alert *a, enum alert_entity_kind k, const char *v)
{
	return alert_entity_find(a, k, v) != NULL;
}

static const char *label(const struct alert *a, const char *key)
{
	return json_string_value(json_object_get(a->labels, key));
}

static void expect_error(const char *source, const char *body, size_t len, int want_rc,
			 const char *want_msg)
{
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 0);
	int rc = alert_parse(source, body, len, &b, &err);
	if (rc != want_rc || !strstr(sb_str(&err), want_msg))
		fail_msg("%s: rc %d (want %d), message \"%s\" (want \"%s\")", source, rc, want_rc,
			 sb_str(&err), want_msg);
	assert_int_equal(b.n, 0);
	alert_batch_free(&b);
	sb_free(&err);
}

static void expect_error_str(const char *source, const char *body, const char *want_msg)
{
	expect_error(source, body, strlen(body), SIRT_EINVAL, want_msg);
}

/* times: every alert must carry a start time (true of every real sample) */
static void check_invariants(const struct alert_batch *b, bool times)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct alert *a = &b->items[i];
		assert_non_null(a->title);
		assert_true(a->title[0] != '\0');
		assert_non_null(a->fingerprint);
		assert_true(a->fingerprint[0] != '\0');
		assert_non_null(a->description);
		assert_non_null(a->raw);
		assert_true(json_is_object(a->labels));
		assert_true(json_is_object(a->annotations));
		assert_true(a->severity <= ALERT_SEV_CRITICAL);
		assert_int_equal(a->count, 1);
		if (times)
			assert_true(a->starts_at > 0);
		assert_true(a->last_seen >= a->first_seen);
		for (size_t j = 0; j < a->n_entities; j++)
			assert_true(alert_entity_valid(a->entities[j].kind, a->entities[j].value));
	}
}

/* ---- every shared file ------------------------------------------------- */

static void test_every_shared_file(void **state)
{
	static const char *const dirs[] = {"alertmanager", "grafana", "sentinel", "defender",
					   "splunk",       "wazuh"};
	size_t files = 0;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char *dir = data_path(dirs[d]);
		DIR *dh = opendir(dir);
		if (!dh)
			fail_msg("cannot open %s", dir);
		struct dirent *e;
		size_t in_dir = 0;
		while ((e = readdir(dh))) {
			size_t n = strlen(e->d_name);
			if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
				continue;
			char *rel = xasprintf("%s/%s", dirs[d], e->d_name);
			size_t len;
			char *body = strcmp(dirs[d], "sentinel") == 0 ? sentinel_body(rel, &len)
								      : load(rel, &len);
			struct alert_batch b;
			struct strbuf err;
			sb_init(&err, 0);
			if (alert_parse(dirs[d], body, len, &b, &err) != 0)
				fail_msg("%s: %s", rel, sb_str(&err));
			assert_true(b.n > 0);
			check_invariants(&b, true);
			alert_batch_free(&b);
			sb_free(&err);
			free(body);
			free(rel);
			in_dir++;
		}
		closedir(dh);
		free(dir);
		assert_true(in_dir > 0);
		files += in_dir;
	}
	assert_true(files >= 22);
}

/* The fuzzing seeds (tests/fuzz/corpus/alerts, first byte = parser) must
 * stay valid payloads, or the fuzzer starts from nothing. */
static void test_fuzz_seeds_parse(void **state)
{
	const char *dir = "tests/fuzz/corpus/alerts";
	DIR *dh = opendir(dir);
	if (!dh)
		fail_msg("cannot open %s (run from the repository root)", dir);
	struct dirent *e;
	size_t seeds = 0;
	while ((e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		size_t len;
		char *body = read_file(path, &len);
		assert_non_null(body);
		assert_true(len > 1);
		struct alert_batch b;
		struct strbuf err;
		sb_init(&err, 0);
		const char *source = alert_sources[(unsigned char)body[0] % 8];
		if (alert_parse(source, body + 1, len - 1, &b, &err) != 0)
			fail_msg("%s: %s", path, sb_str(&err));
		check_invariants(&b, false);
		alert_batch_free(&b);
		sb_free(&err);
		free(body);
		free(path);
		seeds++;
	}
	closedir(dh);
	assert_true(seeds >= 8);
}

/* ---- Alertmanager ------------------------------------------------------ */

static void test_alertmanager_zulip(void **state)
{
	struct alert_batch b;
	const struct alert *a = parse_ok("alertmanager", "alertmanager/zulip__alertmanager__alert.json", &b);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.group_key, "{}/{}:{}");
	assert_string_equal(a->source, "alertmanager");
	assert_string_equal(a->title, "High CPU core temperature");
	assert_string_equal(a->description, "CPU core temperature is 34.75C");
	assert_int_equal(a->severity, ALERT_SEV_CRITICAL);
	assert_int_equal(a->status, ALERT_FIRING);
	assert_string_equal(a->fingerprint, "a1bc48475b20e73d");
	assert_string_equal(a->source_id, "a1bc48475b20e73d");
	assert_string_equal(b.items[1].fingerprint, "c2ea85182f28cbd9");
	assert_string_equal(b.items[1].description, "CPU core temperature is 17.625C");
	assert_int_equal(a->starts_at, 1580948278);
	assert_int_equal(a->ends_at, 0);
	assert_int_equal(a->first_seen, 1580948278);
	assert_non_null(a->link);
	assert_true(strncmp(a->link, "http://cobalt:9090/graph?g0.expr=", 33) == 0);
	assert_true(has_entity(a, ENTITY_HOST, "andromeda"));
	assert_int_equal(a->n_entities, 1);
	assert_string_equal(label(a, "alertname"), "High CPU Temperature");
	assert_string_equal(json_string_value(json_object_get(a->annotations, "topic")),
			    "andromeda");
	assert_string_equal(json_string_value(json_object_get(a->raw, "fingerprint")),
			    "a1bc48475b20e73d");
	alert_batch_free(&b);
}

static void test_alertmanager_common_labels(void **state)
{
	struct alert_batch b;
	const struct alert *a = parse_ok(
		"alertmanager", "alertmanager/msteams__alert_testdata_prom_post_request_2_alerts.json",
		&b);
	assert_int_equal(b.n, 2);
	/* no severity on the alerts: commonLabels.severity = warning */
	assert_int_equal(a->severity, ALERT_SEV_MEDIUM);
	assert_string_equal(label(a, "monitor"), "master");
	assert_string_equal(label(a, "alertname"), "high_memory_load");
	assert_string_equal(label(&b.items[1], "alertname"), "high_memory_load2");
	assert_string_equal(a->title, "Server High Memory usage");
	assert_string_equal(a->description, "10.80.40.11 reported high memory usage with 23.28%.");
	assert_int_equal(a->starts_at, 1520422401); /* -05:00 offset honoured */
	assert_int_equal(a->ends_at, 0);
	assert_int_equal(a->status, ALERT_FIRING); /* from the group */
	assert_string_equal(a->link, "http://docker.for.mac.host.internal:9093");
	/* no fingerprint sent: computed from the alert's own labels */
	assert_int_equal(strlen(a->fingerprint), 64);
	assert_null(a->source_id);
	assert_string_not_equal(a->fingerprint, b.items[1].fingerprint);
	alert_batch_free(&b);

	a = parse_ok("alertmanager",
		     "alertmanager/msteams__alert_testdata_prom_post_request_12_alerts.json", &b);
	assert_int_equal(b.n, 12);
	for (size_t i = 0; i < b.n; i++)
		for (size_t j = i + 1; j < b.n; j++)
			assert_string_not_equal(b.items[i].fingerprint, b.items[j].fingerprint);
	alert_batch_free(&b);
}

static void test_alertmanager_more(void **state)
{
	struct alert_batch b;
	const struct alert *a = parse_ok(
		"alertmanager", "alertmanager/msteams__alert_testdata_prom_post_request_label.json", &b);
	assert_int_equal(b.n, 1);
	assert_true(has_entity(a, ENTITY_HOST, "instance-with-hyphen_and_underscore"));
	assert_string_equal(label(a, "job"), "docker_nodes");
	assert_string_equal(label(a, "msteams_connector"), "channel_2");
	alert_batch_free(&b);

	a = parse_ok("alertmanager",
		     "alertmanager/msteams__pkg_card_testdata_prom_post_request_too_many_sections.json",
		     &b);
	assert_int_equal(b.n, 12);
	for (size_t i = 0; i < b.n; i++)
		assert_int_equal(b.items[i].severity, ALERT_SEV_CRITICAL); /* "page" */
	assert_int_equal(a->starts_at, 1547047240);
	assert_string_equal(label(a, "alias"), "infrastructure002A");
	alert_batch_free(&b);

	/* identical label sets: identical computed fingerprints (as Alertmanager's own) */
	parse_ok("alertmanager",
		 "alertmanager/msteams__pkg_card_testdata_Test_templatedCard_Convert_disable_grouping_prom_post_request.json",
		 &b);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.items[0].fingerprint, b.items[1].fingerprint);
	assert_string_not_equal(b.items[0].description, b.items[1].description);
	alert_batch_free(&b);

	a = parse_ok("alertmanager", "alertmanager/msteams__pkg_card_testdata_prom_post_request.json",
		     &b);
	assert_int_equal(a->severity, ALERT_SEV_MEDIUM);
	assert_int_equal(b.truncated, 0);
	alert_batch_free(&b);
}

static void test_alertmanager_resolved_truncated(void **state)
{
	const char *body =
		"{\"version\":\"4\",\"groupKey\":\"g\",\"truncatedAlerts\":3,\"status\":\"resolved\","
		"\"receiver\":\"sirt\",\"groupLabels\":{},\"commonLabels\":{},\"commonAnnotations\":{},"
		"\"externalURL\":\"http://am:9093\",\"notification_reason\":\"x\",\"alerts\":[{"
		"\"status\":\"resolved\",\"labels\":{\"alertname\":\"DiskFull\",\"instance\":"
		"\"10.1.2.3:9100\",\"severity\":\"error\"},\"annotations\":{},\"startsAt\":"
		"\"2024-05-14T09:12:40Z\",\"endsAt\":\"2024-05-14T09:12:44.5Z\",\"generatorURL\":"
		"\"http://prom:9090/graph\",\"fingerprint\":\"abc\"},{\"status\":\"firing\","
		"\"labels\":{\"alertname\":\"X\",\"instance\":\"[2001:DB8::1]:9100\"},"
		"\"startsAt\":\"2024-05-14T09:12:40Z\",\"endsAt\":\"2024-05-14T10:12:40Z\"}]}";
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 0);
	assert_int_equal(parse_str("alertmanager", body, &b, &err), 0);
	assert_int_equal(b.truncated, 3);
	assert_int_equal(b.n, 2);
	const struct alert *a = &b.items[0];
	assert_int_equal(a->status, ALERT_RESOLVED);
	assert_int_equal(a->severity, ALERT_SEV_HIGH);
	assert_int_equal(a->ends_at, 1715677964);
	assert_int_equal(a->last_seen, 1715677964);
	assert_string_equal(a->title, "DiskFull");
	assert_true(has_entity(a, ENTITY_IP, "10.1.2.3"));
	/* a firing alert's endsAt is Alertmanager's expiry guess, not an end */
	assert_int_equal(b.items[1].ends_at, 0);
	assert_true(has_entity(&b.items[1], ENTITY_IP, "2001:db8::1"));
	alert_batch_free(&b);
	sb_free(&err);
}

/* ---- Grafana ----------------------------------------------------------- */

static void test_grafana(void **state)
{
	struct alert_batch b;
	const struct alert *a = parse_ok("grafana", "grafana/zulip__grafana__alert-9-resolved.json", &b);
	assert_int_equal(b.n, 1);
	assert_string_equal(a->source, "grafana");
	assert_int_equal(a->status, ALERT_RESOLVED);
	assert_string_equal(a->fingerprint, "d8a21484c9c25a60");
	assert_string_equal(a->title, "This is a summary field, failure on <no value>");
	assert_string_equal(a->description, "This is a description");
	assert_int_equal(a->starts_at, 1655426460);
	assert_int_equal(a->ends_at, 1655427084);
	assert_int_equal(a->severity, ALERT_SEV_MEDIUM);
	assert_string_equal(a->link, "https://grafana.example.com/alerting/grafana/zTjxv_C7k/view");
	assert_non_null(json_object_get(a->annotations, "silence_url"));
	assert_null(json_object_get(a->annotations, "dashboard_url")); /* was "" */
	assert_string_equal(label(a, "test"), "true");
	alert_batch_free(&b);

	a = parse_ok("grafana", "grafana/zulip__grafana__alert_values_v11.json", &b);
	assert_int_equal(a->status, ALERT_FIRING);
	assert_string_equal(a->fingerprint, "e6349a25f5ef0e9e");
	assert_string_equal(a->title, "High memory usage");
	assert_int_equal(a->starts_at, 1709258940);
	assert_int_equal(a->ends_at, 0);
	json_t *values = json_object_get(a->annotations, "values");
	assert_true(json_is_object(values));
	assert_int_equal(json_integer_value(json_object_get(values, "A")), 2473545728LL);
	assert_int_equal(json_integer_value(json_object_get(values, "minute")), 9);
	assert_string_equal(json_string_value(json_object_get(a->annotations, "image_url")),
			    "https://grafana.com/assets/img/blog/mixed_styles.png");
	assert_string_equal(label(a, "grafana_folder"), "device");
	assert_true(strncmp(a->link, "https://play.grafana.org/alerting/grafana/dd2f0260", 50) == 0);
	alert_batch_free(&b);
}

/* ---- Sentinel ---------------------------------------------------------- */

static void test_sentinel(void **state)
{
	struct alert_batch b;
	struct strbuf err;
	size_t len;
	sb_init(&err, 0);
	char *body = sentinel_body(
		"sentinel/azure-rest-api-specs__securityinsights_2024-09-01__GetIncidentById.json", &len);
	assert_int_equal(alert_parse("sentinel", body, len, &b, &err), 0);
	free(body);
	assert_int_equal(b.n, 1);
	const struct alert *a = &b.items[0];
	assert_string_equal(a->title, "My incident");
	assert_string_equal(a->description, "This is a demo incident");
	assert_int_equal(a->severity, ALERT_SEV_HIGH);
	assert_int_equal(a->status, ALERT_RESOLVED); /* Closed */
	assert_string_equal(a->fingerprint, "incident/73e01a99-5cd7-4139-a149-9f2736ff2ab5");
	assert_string_equal(a->source_id, "73e01a99-5cd7-4139-a149-9f2736ff2ab5");
	assert_int_equal(a->starts_at, 1546347630);
	assert_int_equal(a->ends_at, 1546348530);
	assert_int_equal(a->first_seen, 1546347630);
	assert_int_equal(a->last_seen, 1546347930);
	assert_true(strncmp(a->link, "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/", 75) == 0);
	assert_string_equal(label(a, "incident_number"), "3177");
	assert_string_equal(label(a, "tactics"), "InitialAccess,Persistence");
	assert_string_equal(label(a, "owner"), "john doe");
	assert_string_equal(label(a, "classification"), "FalsePositive");
	alert_batch_free(&b);

	body = sentinel_body(
		"sentinel/azure-rest-api-specs__securityinsights_2024-09-01__GetAllIncidentAlerts.json",
		&len);
	assert_int_equal(alert_parse("sentinel", body, len, &b, &err), 0);
	free(body);
	assert_int_equal(b.n, 1);
	a = &b.items[0];
	assert_string_equal(a->title, "myAlert");
	assert_int_equal(a->severity, ALERT_SEV_LOW);
	assert_int_equal(a->status, ALERT_FIRING); /* New */
	assert_string_equal(a->fingerprint, "alert/baa8a239-6fde-4ab7-a093-d09f7b75c58c");
	assert_int_equal(a->starts_at, 1595269313);
	assert_string_equal(label(a, "product"), "Azure Security Center");
	assert_string_equal(label(a, "vendor"), "Microsoft");
	alert_batch_free(&b);

	/* the envelope itself is refused with a hint */
	body = load("sentinel/azure-rest-api-specs__securityinsights_2024-09-01__GetIncidentById.json",
		    &len);
	expect_error("sentinel", body, len, SIRT_EINVAL, "responses[\"200\"].body");
	free(body);
	sb_free(&err);
}

/* ---- Defender ---------------------------------------------------------- */

static void test_defender_alert(void **state)
{
	struct alert_batch b;
	const struct alert *a = parse_ok(
		"defender", "defender/graph-docs__security-alert-get__alert_v2_response.json", &b);
	assert_int_equal(b.n, 1);
	assert_string_equal(a->title, "Suspicious execution of hidden file");
	assert_true(strncmp(a->description, "A hidden file has been launched.", 32) == 0);
	assert_int_equal(a->severity, ALERT_SEV_LOW);
	assert_int_equal(a->status, ALERT_FIRING);
	assert_string_equal(a->fingerprint, "alert/da637578995287051192_756343937");
	assert_string_equal(a->source_id, "da637578995287051192_756343937");
	assert_string_equal(a->link, "https://security.microsoft.com/alerts/"
				     "da637578995287051192_756343937?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c");
	assert_int_equal(a->starts_at, 1619423150);
	assert_int_equal(a->first_seen, 1619423150);
	assert_int_equal(a->last_seen, 1619942218);
	assert_int_equal(a->ends_at, 0);
	assert_string_equal(label(a, "incident_id"), "28282");
	assert_string_equal(label(a, "category"), "DefenseEvasion");
	assert_string_equal(label(a, "mitre_techniques"), "T1564.001");
	assert_string_equal(label(a, "service_source"), "microsoftDefenderForEndpoint");
	assert_true(has_entity(a, ENTITY_HOST, "tempDns"));
	assert_true(has_entity(a, ENTITY_IP, "1.1.1.1"));
	assert_true(has_entity(a, ENTITY_FILE_HASH_SHA1, "5f1e8acedc065031aad553b710838eb366cfee9a"));
	assert_true(has_entity(a, ENTITY_FILE_HASH_SHA256,
			       "8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec"));
	assert_true(has_entity(a, ENTITY_FILE_NAME, "MsSense.exe"));
	assert_true(has_entity(a, ENTITY_PROCESS, "\"MsSense.exe\""));
	assert_true(has_entity(a, ENTITY_PROCESS, "services.exe"));
	assert_true(has_entity(a, ENTITY_ACCOUNT, "NT AUTHORITY\\SYSTEM"));
	/* the hashes appear twice (file and process evidence): kept once */
	size_t sha1 = 0;
	for (size_t i = 0; i < a->n_entities; i++)
		sha1 += a->entities[i].kind == ENTITY_FILE_HASH_SHA1;
	assert_int_equal(sha1, 1);
	assert_int_equal(a->n_entities, 8);
	assert_non_null(json_object_get(a->annotations, "recommended_actions"));
	alert_batch_free(&b);
}

static void test_defender_incident(void **state)
{
	struct alert_batch b;
	const struct alert *a = parse_ok(
		"defender", "defender/graph-docs__security-incident-get__incident_response.json", &b);
	assert_int_equal(b.n, 1);
	assert_string_equal(a->title, "Multi-stage incident involving Initial access & Command and "
				      "control on multiple endpoints reported by multiple sources");
	assert_int_equal(a->severity, ALERT_SEV_MEDIUM);
	assert_int_equal(a->status, ALERT_FIRING); /* Active */
	assert_string_equal(a->fingerprint, "incident/2972395");
	assert_int_equal(a->starts_at, 1628844215);
	assert_int_equal(a->last_seen, 1632994545);
	assert_string_equal(a->link, "https://security.microsoft.com/incidents/2972395?tid=12f988bf-16f1-11af-11ab-1d7cd011db47");
	assert_string_equal(label(a, "assigned_to"), "KaiC@contoso.onmicrosoft.com");
	assert_string_equal(label(a, "tags"), "Demo");
	assert_string_equal(label(a, "system_tags"), "Defender Experts");
	assert_string_equal(label(a, "determination"), "MultiStagedAttack");
	assert_true(strncmp(a->description, "Microsoft observed Raspberry Robin", 34) == 0);
	alert_batch_free(&b);
}

static void test_defender_list_and_evidence(void **state)
{
	const char *body =
		"{\"@odata.context\":\"x\",\"value\":[{\"@odata.type\":\"#microsoft.graph.security.alert\","
		"\"id\":\"a1\",\"title\":\"Phish\",\"severity\":\"high\",\"status\":\"resolved\","
		"\"resolvedDateTime\":\"2024-05-14T09:12:44Z\",\"createdDateTime\":\"2024-05-14T09:12:40Z\","
		"\"evidence\":[{\"@odata.type\":\"#microsoft.graph.security.mailboxEvidence\","
		"\"primaryAddress\":\"Bob@Contoso.COM\",\"userAccount\":{\"accountName\":\"bob\","
		"\"domainName\":\"CONTOSO\",\"userPrincipalName\":\"bob@contoso.com\"}},"
		"{\"@odata.type\":\"#microsoft.graph.security.analyzedMessageEvidence\",\"senderIp\":"
		"\"203.0.113.9\",\"recipientEmailAddress\":\"bob@contoso.com\",\"p1Sender\":{"
		"\"emailAddress\":\"evil@phish.example\"},\"urls\":[\"https://phish.example/login\"]},"
		"{\"@odata.type\":\"#microsoft.graph.security.urlEvidence\",\"url\":\"not a url\"},"
		"{\"@odata.type\":\"#microsoft.graph.security.ipEvidence\",\"ipAddress\":\"203.0.113.9\"},"
		"{\"@odata.type\":\"#microsoft.graph.security.dnsEvidence\",\"domainName\":\"phish.example\"}"
		"]}]}";
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 0);
	assert_int_equal(parse_str("defender", body, &b, &err), 0);
	const struct alert *a = &b.items[0];
	assert_int_equal(a->severity, ALERT_SEV_HIGH);
	assert_int_equal(a->status, ALERT_RESOLVED);
	assert_int_equal(a->ends_at, 1715677964);
	assert_true(has_entity(a, ENTITY_MAILBOX, "Bob@contoso.com"));
	assert_true(has_entity(a, ENTITY_ACCOUNT, "CONTOSO\\bob"));
	assert_true(has_entity(a, ENTITY_ACCOUNT, "bob@contoso.com"));
	assert_true(has_entity(a, ENTITY_EMAIL, "bob@contoso.com"));
	assert_true(has_entity(a, ENTITY_EMAIL, "evil@phish.example"));
	assert_true(has_entity(a, ENTITY_URL, "https://phish.example/login"));
	assert_true(has_entity(a, ENTITY_DOMAIN, "phish.example"));
	assert_true(has_entity(a, ENTITY_IP, "203.0.113.9"));
	assert_int_equal(a->n_entities, 8); /* invalid URL dropped, IP once */
	alert_batch_free(&b);
	sb_free(&err);
}

/* ---- Splunk ------------------------------------------------------------ */

static void test_splunk(void **state)
{
	struct alert_batch b;
	const struct alert *a = parse_ok("splunk", "splunk/zulip__splunk__search_one_result.json", &b);
	assert_int_equal(b.n, 1);
	assert_string_equal(a->title, "sudo");
	assert_string_equal(a->description, "Jan  4 11:14:32 myserver sudo: pam_unix(sudo:session): "
					    "session closed for user root");
	assert_int_equal(a->severity, ALERT_SEV_MEDIUM);
	assert_int_equal(a->status, ALERT_FIRING);
	assert_string_equal(a->source_id, "rt_scheduler__admin__search__sudo_at_1483557185_2.2");
	assert_int_equal(strlen(a->fingerprint), 64);
	assert_int_equal(a->starts_at, 1483557272);
	assert_true(strncmp(a->link, "http://example.com:8000/app/search/search?q=", 44) == 0);
	assert_true(has_entity(a, ENTITY_HOST, "myserver"));
	assert_true(has_entity(a, ENTITY_PROCESS, "sudo"));
	assert_int_equal(a->n_entities, 2); /* USER is "" */
	assert_string_equal(label(a, "app"), "search");
	assert_string_equal(label(a, "owner"), "admin");
	assert_string_equal(label(a, "sourcetype"), "syslog");
	char *fp = xstrdup(a->fingerprint);
	alert_batch_free(&b);

	/* the next run of the same search: new sid, same fingerprint */
	const char *next = "{\"sid\":\"rt_other\",\"search_name\":\"sudo\",\"app\":\"search\","
			   "\"owner\":\"admin\",\"result\":{\"host\":\"myserver\",\"severity\":\"5\","
			   "\"src_ip\":\"10.0.0.1\",\"user\":\"root\",\"file_hash\":"
			   "\"D41D8CD98F00B204E9800998ECF8427E\"}}";
	struct strbuf err;
	sb_init(&err, 0);
	assert_int_equal(parse_str("splunk", next, &b, &err), 0);
	a = &b.items[0];
	assert_string_equal(a->fingerprint, fp);
	assert_int_equal(a->severity, ALERT_SEV_CRITICAL);
	assert_true(has_entity(a, ENTITY_IP, "10.0.0.1"));
	assert_true(has_entity(a, ENTITY_ACCOUNT, "root"));
	assert_true(has_entity(a, ENTITY_FILE_HASH_MD5, "d41d8cd98f00b204e9800998ecf8427e"));
	assert_int_equal(a->starts_at, 0);
	free(fp);
	alert_batch_free(&b);
	sb_free(&err);
}

/* ---- Wazuh ------------------------------------------------------------- */

static void test_wazuh(void **state)
{
	struct alert_batch b;
	const struct alert *a = parse_ok("wazuh", "wazuh/wazuh_authentication_01_rule5716.json", &b);
	assert_int_equal(b.n, 1);
	assert_string_equal(a->title, "sshd: authentication failed.");
	assert_int_equal(a->severity, ALERT_SEV_LOW); /* level 5 */
	assert_string_equal(a->fingerprint, "1587082673.77856");
	assert_int_equal(a->starts_at, 1587082673);
	assert_true(has_entity(a, ENTITY_HOST, "Debian"));
	assert_true(has_entity(a, ENTITY_IP, "10.0.1.50"));
	assert_true(has_entity(a, ENTITY_IP, "49.88.112.73"));
	assert_true(has_entity(a, ENTITY_ACCOUNT, "root"));
	assert_string_equal(label(a, "rule_id"), "5716");
	assert_string_equal(label(a, "rule_level"), "5");
	assert_string_equal(label(a, "agent_id"), "001");
	assert_null(a->link);
	alert_batch_free(&b);

	a = parse_ok("wazuh", "wazuh/wazuh_authentication_03_rule5720.json", &b);
	assert_int_equal(a->severity, ALERT_SEV_MEDIUM); /* level 10 */
	assert_string_equal(a->title, "sshd: Multiple authentication failures.");
	assert_true(has_entity(a, ENTITY_HOST, "Centos"));
	assert_true(has_entity(a, ENTITY_HOST, "ip-10-0-1-132"));
	assert_true(has_entity(a, ENTITY_IP, "49.88.112.76"));
	assert_string_equal(label(a, "rule_groups"), "syslog,sshd,authentication_failures");
	assert_string_equal(a->description, "Apr 17 00:25:12 ip-10-0-1-132 sshd[29981]: Failed "
					    "password for root from 49.88.112.76 port 10848 ssh2");
	alert_batch_free(&b);

	a = parse_ok("wazuh", "wazuh/wazuh_authentication_07_rule5712.json", &b);
	assert_string_equal(a->title, "sshd: brute force trying to get access to the system.");
	assert_string_equal(a->fingerprint, "1586801958.207524");
	assert_true(has_entity(a, ENTITY_ACCOUNT, "admin"));
	assert_true(has_entity(a, ENTITY_IP, "89.163.153.41"));
	assert_true(has_entity(a, ENTITY_HOST, "ip-10-0-0-246.us-west-1.compute.internal"));
	alert_batch_free(&b);

	a = parse_ok("wazuh", "wazuh/wazuh_ssh_08_rule5702.json", &b);
	assert_int_equal(a->starts_at, 1586800056);
	assert_string_equal(label(a, "mitre_ids"), "T1021");
	assert_string_equal(label(a, "mitre_tactics"), "Lateral Movement");
	assert_true(has_entity(a, ENTITY_IP, "200.31.19.206"));
	alert_batch_free(&b);
}

static void test_wazuh_many(void **state)
{
	static const char *const files[] = {
		"wazuh/wazuh_authentication_01_rule5716.json",
		"wazuh/wazuh_authentication_02_rule5710.json",
		"wazuh/wazuh_authentication_04_rule5503.json",
	};
	struct strbuf nd, arr, err;
	sb_init(&nd, 0);
	sb_init(&arr, 0);
	sb_init(&err, 0);
	sb_putc(&arr, '[');
	for (size_t i = 0; i < 3; i++) {
		size_t len;
		char *body = load(files[i], &len);
		/* one compact document per line, as alerts.json has them */
		json_t *j = json_loadb(body, len, 0, NULL);
		char *line = json_dumps(j, JSON_COMPACT);
		sb_printf(&nd, "%s\n", line);
		sb_printf(&arr, "%s%s", i ? "," : "", body);
		free(line);
		json_decref(j);
		free(body);
	}
	sb_putc(&arr, ']');
	struct alert_batch b;
	assert_int_equal(alert_parse("wazuh", nd.buf, nd.len, &b, &err), 0);
	assert_int_equal(b.n, 3);
	assert_string_equal(b.items[1].title, "sshd: Attempt to login using a non-existent user");
	assert_string_equal(b.items[2].title, "PAM: User login failed.");
	alert_batch_free(&b);
	assert_int_equal(alert_parse("wazuh", arr.buf, arr.len, &b, &err), 0);
	assert_int_equal(b.n, 3);
	alert_batch_free(&b);

	/* a broken second line is reported by its position */
	sb_reset(&nd);
	sb_puts(&nd, "{\"rule\":{\"level\":3,\"description\":\"d\",\"id\":\"1\"},\"id\":\"1.1\","
		     "\"timestamp\":\"2024-05-14T09:12:40.000+0000\"}\n{\"rule\":");
	expect_error("wazuh", nd.buf, nd.len, SIRT_EINVAL, "not valid JSON");
	sb_free(&nd);
	sb_free(&arr);
	sb_free(&err);
}

/* ---- Elastic ----------------------------------------------------------- */

/* Written from the public Elastic Security alert schema and ECS field list:
 * flattened kibana.alert.* keys (as the .alerts-security index stores them)
 * next to nested ECS objects. */
static const char elastic_doc[] =
	"{\"@timestamp\":\"2024-05-14T09:12:44.120Z\","
	"\"kibana.alert.uuid\":\"4f1c2b9a6e8d3f70a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcdef01\","
	"\"kibana.alert.status\":\"active\",\"kibana.alert.workflow_status\":\"open\","
	"\"kibana.alert.severity\":\"high\",\"kibana.alert.risk_score\":73,"
	"\"kibana.alert.rule.name\":\"Suspicious PowerShell Encoded Command\","
	"\"kibana.alert.rule.uuid\":\"0b2c4d6e-8f10-4a2b-9c3d-5e7f9a1b3c5d\","
	"\"kibana.alert.rule.rule_id\":\"cde1bafa-9f01-4f43-a872-605b678968b0\","
	"\"kibana.alert.rule.type\":\"query\","
	"\"kibana.alert.rule.description\":\"Identifies encoded PowerShell.\","
	"\"kibana.alert.reason\":\"process event with process powershell.exe, by alice on "
	"ws-042 created high alert Suspicious PowerShell Encoded Command.\","
	"\"kibana.alert.original_time\":\"2024-05-14T09:12:40.000Z\","
	"\"kibana.alert.start\":\"2024-05-14T09:12:44.120Z\","
	"\"kibana.alert.url\":\"https://kibana.example.com/app/security/alerts/redirect/4f1c\","
	"\"kibana.space_ids\":[\"default\"],"
	"\"event\":{\"kind\":\"signal\",\"module\":\"endpoint\",\"dataset\":\"endpoint.events.process\","
	"\"category\":[\"process\"],\"severity\":73},"
	"\"host\":{\"name\":\"WS-042\",\"hostname\":\"ws-042\",\"ip\":[\"10.20.30.40\",\"fe80::1\"],"
	"\"os\":{\"family\":\"windows\"}},"
	"\"user\":{\"name\":\"alice\",\"domain\":\"CORP\",\"email\":\"alice@corp.example\"},"
	"\"source\":{\"ip\":\"198.51.100.7\",\"port\":51515},"
	"\"destination\":{\"ip\":\"203.0.113.80\",\"domain\":\"c2.bad.example\"},"
	"\"url\":{\"full\":\"https://c2.bad.example/payload.ps1\"},"
	"\"process\":{\"name\":\"powershell.exe\",\"pid\":4242,"
	"\"command_line\":\"powershell.exe -NoP -enc SQBFAFgA\","
	"\"hash\":{\"sha256\":\"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\"}},"
	"\"file\":{\"name\":\"payload.ps1\",\"hash\":{\"md5\":\"098f6bcd4621d373cade4e832627b4f6\","
	"\"sha1\":\"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\"}}}";

static void test_elastic(void **state)
{
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 0);
	if (parse_str("elastic", elastic_doc, &b, &err) != 0)
		fail_msg("%s", sb_str(&err));
	assert_int_equal(b.n, 1);
	const struct alert *a = &b.items[0];
	assert_string_equal(a->source, "elastic");
	assert_string_equal(a->title, "Suspicious PowerShell Encoded Command");
	assert_true(strncmp(a->description, "process event with process powershell.exe", 41) == 0);
	assert_int_equal(a->severity, ALERT_SEV_HIGH);
	assert_int_equal(a->status, ALERT_FIRING);
	assert_string_equal(a->fingerprint,
			    "4f1c2b9a6e8d3f70a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcdef01");
	assert_int_equal(a->starts_at, 1715677964);
	assert_string_equal(a->link, "https://kibana.example.com/app/security/alerts/redirect/4f1c");
	assert_true(has_entity(a, ENTITY_HOST, "ws-042"));
	assert_true(has_entity(a, ENTITY_IP, "10.20.30.40"));
	assert_true(has_entity(a, ENTITY_IP, "fe80::1"));
	assert_true(has_entity(a, ENTITY_IP, "198.51.100.7"));
	assert_true(has_entity(a, ENTITY_IP, "203.0.113.80"));
	assert_true(has_entity(a, ENTITY_ACCOUNT, "CORP\\alice"));
	assert_true(has_entity(a, ENTITY_EMAIL, "alice@corp.example"));
	assert_true(has_entity(a, ENTITY_DOMAIN, "c2.bad.example"));
	assert_true(has_entity(a, ENTITY_URL, "https://c2.bad.example/payload.ps1"));
	assert_true(has_entity(a, ENTITY_PROCESS, "powershell.exe -NoP -enc SQBFAFgA"));
	assert_true(has_entity(a, ENTITY_FILE_NAME, "payload.ps1"));
	assert_true(has_entity(a, ENTITY_FILE_HASH_MD5, "098f6bcd4621d373cade4e832627b4f6"));
	assert_true(has_entity(a, ENTITY_FILE_HASH_SHA1, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"));
	assert_true(has_entity(a, ENTITY_FILE_HASH_SHA256,
			       "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
	assert_string_equal(label(a, "rule_type"), "query");
	assert_string_equal(label(a, "event_category"), "process");
	alert_batch_free(&b);

	/* nested form, as a search hit list, closed, severity by score only */
	const char *hits =
		"{\"hits\":{\"total\":{\"value\":1},\"hits\":[{\"_index\":\".alerts\",\"_id\":\"hit-1\","
		"\"_source\":{\"@timestamp\":\"2024-05-14T09:12:44Z\",\"kibana\":{\"alert\":{"
		"\"rule\":{\"name\":\"Port scan\"},\"workflow_status\":\"closed\",\"risk_score\":99}},"
		"\"source\":{\"ip\":\"192.0.2.1\"}}}]}}";
	assert_int_equal(parse_str("elastic", hits, &b, &err), 0);
	a = &b.items[0];
	assert_string_equal(a->title, "Port scan");
	assert_string_equal(a->fingerprint, "hit-1");
	assert_int_equal(a->status, ALERT_RESOLVED);
	assert_int_equal(a->severity, ALERT_SEV_CRITICAL);
	assert_true(has_entity(a, ENTITY_IP, "192.0.2.1"));
	alert_batch_free(&b);

	expect_error_str("elastic", "{\"kibana.alert.rule.name\":\"x\"}", "@timestamp: required");
	expect_error_str("elastic", "{\"kibana.alert.rule.name\":\"x\",\"@timestamp\":\"yesterday\"}",
			 "@timestamp: not an RFC 3339 timestamp");
	sb_free(&err);
}

/* ---- generic ----------------------------------------------------------- */

static void test_generic(void **state)
{
	const char *one =
		"{\"title\":\"  Backup failed  \",\"description\":\"nightly job\",\"severity\":\"high\","
		"\"status\":\"firing\",\"source_id\":\"job-42\",\"starts_at\":\"2024-05-14T09:12:40Z\","
		"\"link\":\"https://ci.example.com/job/42\",\"labels\":{\"team\":\"ops\"},"
		"\"annotations\":{\"runbook\":\"https://wiki/backup\"},\"entities\":["
		"{\"kind\":\"host\",\"value\":\"DB1.example.com.\"},{\"kind\":\"host\",\"value\":"
		"\"db1.example.com\"},{\"kind\":\"ip\",\"value\":\"192.0.2.10\"},{\"kind\":\"mailbox\","
		"\"value\":\"ops@Example.com\"}]}";
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 0);
	if (parse_str("generic", one, &b, &err) != 0)
		fail_msg("%s", sb_str(&err));
	const struct alert *a = &b.items[0];
	assert_string_equal(a->title, "Backup failed");
	assert_int_equal(a->severity, ALERT_SEV_HIGH);
	assert_string_equal(a->fingerprint, "job-42");
	assert_string_equal(a->source_id, "job-42");
	assert_int_equal(a->starts_at, 1715677960);
	assert_int_equal(a->n_entities, 3); /* the host once, normalised */
	assert_string_equal(a->entities[0].value, "db1.example.com");
	assert_string_equal(a->entities[2].value, "ops@example.com");
	assert_string_equal(label(a, "team"), "ops");
	alert_batch_free(&b);

	/* computed fingerprint: same title and labels, same fingerprint */
	const char *batch = "{\"version\":1,\"alerts\":[{\"title\":\"t\",\"labels\":{\"a\":\"1\","
			    "\"b\":\"2\"}},{\"title\":\"t\",\"labels\":{\"b\":\"2\",\"a\":\"1\"},"
			    "\"status\":\"resolved\"},{\"title\":\"t\"}]}";
	assert_int_equal(parse_str("generic", batch, &b, &err), 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(strlen(b.items[0].fingerprint), 64);
	assert_string_equal(b.items[0].fingerprint, b.items[1].fingerprint);
	assert_string_not_equal(b.items[0].fingerprint, b.items[2].fingerprint);
	assert_int_equal(b.items[1].status, ALERT_RESOLVED);
	assert_int_equal(b.items[0].severity, ALERT_SEV_MEDIUM);
	alert_batch_free(&b);

	expect_error_str("generic", "{\"title\":\"t\",\"colour\":\"red\"}",
			 "generic: colour: unknown field");
	expect_error_str("generic", "{\"alerts\":[{\"title\":\"t\",\"entities\":[{\"kind\":\"ip\","
				    "\"value\":\"999.1.1.1\"}]}]}",
			 "alerts[0].entities[0].value: not a valid ip");
	expect_error_str("generic", "{\"title\":\"t\",\"entities\":[{\"kind\":\"cat\",\"value\":\"x\"}]}",
			 "entities[0].kind: unknown entity kind \"cat\"");
	expect_error_str("generic", "{\"title\":\"t\",\"entities\":[{\"kind\":\"host\",\"value\":\"x\","
				    "\"note\":1}]}",
			 "entities[0].note: unknown field");
	expect_error_str("generic", "{\"title\":\"t\",\"severity\":\"urgent\"}",
			 "severity: expected critical, high, medium, low or info");
	expect_error_str("generic", "{\"title\":\"t\",\"status\":\"open\"}", "status: expected");
	expect_error_str("generic", "{\"title\":\"t\",\"link\":\"javascript:alert(1)\"}",
			 "link: not an absolute http(s) URL");
	expect_error_str("generic", "{\"title\":\"   \"}", "title: must not be empty");
	expect_error_str("generic", "{\"description\":\"d\"}", "title: required field missing");
	expect_error_str("generic", "{\"title\":\"t\",\"labels\":{\"n\":1}}",
			 "labels.n: expected string, got integer");
	expect_error_str("generic", "{\"title\":\"t\",\"starts_at\":\"2024-05-14 09:12\"}",
			 "starts_at: not an RFC 3339 timestamp");
	expect_error_str("generic", "{\"title\":\"t\",\"starts_at\":\"2024-05-14T09:12:40Z\","
				    "\"ends_at\":\"2024-05-14T09:00:00Z\"}",
			 "ends_at: before starts_at");
	expect_error_str("generic", "{\"version\":2,\"alerts\":[{\"title\":\"t\"}]}",
			 "version: expected 1, got 2");
	expect_error_str("generic", "{\"alerts\":[],\"x\":1}", "x: unknown field");
	expect_error_str("generic", "{\"alerts\":[]}", "alerts: empty array");
	expect_error_str("generic", "{\"alerts\":[{\"title\":\"t\"},\"t\"]}",
			 "alerts[1]: expected object, got string");
	sb_free(&err);
}

/* ---- hostile input ----------------------------------------------------- */

static void test_not_json_truncated(void **state)
{
	for (const char *const *s = alert_sources; *s; s++) {
		expect_error_str(*s, "hello", "not valid JSON");
		expect_error_str(*s, "", "empty body");
		expect_error_str(*s, "{\"a\":1,\"a\":2}", "not valid JSON");
		expect_error_str(*s, "{\"version\":\"4\"", "not valid JSON");
	}
	size_t len;
	char *body = load("alertmanager/zulip__alertmanager__alert.json", &len);
	expect_error("alertmanager", body, len / 2, SIRT_EINVAL, "not valid JSON");
	expect_error("alertmanager", body, len - 2, SIRT_EINVAL, "not valid JSON");
	free(body);
	expect_error_str("alertmanager", "{} trailing", "not valid JSON");
	expect_error_str("generic", "\"just a string\"", "not valid JSON");
}

static void test_depth_and_size(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 0);
	for (int i = 0; i < 33; i++)
		sb_puts(&sb, "{\"a\":");
	sb_puts(&sb, "1");
	for (int i = 0; i < 33; i++)
		sb_putc(&sb, '}');
	for (const char *const *s = alert_sources; *s; s++)
		expect_error(*s, sb.buf, sb.len, SIRT_EINVAL, "nested deeper than 32");
	/* 32 levels pass the depth check (and then fail as not a payload) */
	sb_reset(&sb);
	for (int i = 0; i < 32; i++)
		sb_putc(&sb, '[');
	for (int i = 0; i < 32; i++)
		sb_putc(&sb, ']');
	expect_error("generic", sb.buf, sb.len, SIRT_EINVAL, "expected object, got array");
	/* brackets inside strings do not count */
	sb_reset(&sb);
	sb_puts(&sb, "{\"title\":\"");
	for (int i = 0; i < 100; i++)
		sb_puts(&sb, "[{\\\"");
	sb_puts(&sb, "\"}");
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 0);
	assert_int_equal(alert_parse("generic", sb.buf, sb.len, &b, &err), 0);
	alert_batch_free(&b);

	/* over 1 MiB */
	sb_reset(&sb);
	sb_puts(&sb, "{\"title\":\"");
	while (sb.len <= ALERT_MAX_PAYLOAD)
		sb_puts(&sb, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	sb_puts(&sb, "\"}");
	expect_error("generic", sb.buf, sb.len, SIRT_ETOOBIG, "exceeds the limit of 1048576 bytes");

	/* 1000 alerts pass, 1001 do not */
	for (int n = 1000; n <= 1001; n++) {
		sb_reset(&sb);
		sb_puts(&sb, "{\"alerts\":[");
		for (int i = 0; i < n; i++)
			sb_printf(&sb, "%s{\"title\":\"a%d\"}", i ? "," : "", i);
		sb_puts(&sb, "]}");
		if (n == 1000) {
			assert_int_equal(alert_parse("generic", sb.buf, sb.len, &b, &err), 0);
			assert_int_equal(b.n, 1000);
			alert_batch_free(&b);
		} else {
			expect_error("generic", sb.buf, sb.len, SIRT_ETOOBIG,
				     "1001 alerts in one payload, the limit is 1000");
		}
	}
	/* and through the Alertmanager shape */
	sb_reset(&sb);
	sb_puts(&sb, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[");
	for (int i = 0; i < 1001; i++)
		sb_printf(&sb, "%s{}", i ? "," : "");
	sb_puts(&sb, "]}");
	expect_error("alertmanager", sb.buf, sb.len, SIRT_ETOOBIG, "1001 alerts");
	sb_free(&sb);
	sb_free(&err);
}

static void test_wrong_types_and_missing(void **state)
{
	const char *head = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[";
	char buf[1024];
#define AM(alerts) (snprintf(buf, sizeof(buf), "%s%s]}", head, alerts), buf)
	expect_error_str("alertmanager", AM("{\"labels\":\"x\",\"startsAt\":\"2024-05-14T09:12:40Z\"}"),
			 "alertmanager: alerts[0].labels: expected object, got string");
	expect_error_str("alertmanager", AM("{\"labels\":{\"alertname\":\"a\"}}"),
			 "alerts[0].startsAt: required field missing");
	expect_error_str("alertmanager",
			 AM("{\"labels\":{\"alertname\":\"a\"},\"startsAt\":\"2024-05-14T09:12:40Z\"},"
			    "{\"labels\":{\"alertname\":\"b\"},\"startsAt\":\"2024-05-14T09:12:40Z\","
			    "\"status\":\"ok\"}"),
			 "alerts[1].status: expected \"firing\" or \"resolved\", got \"ok\"");
	expect_error_str("alertmanager",
			 AM("{\"labels\":{\"alertname\":\"a\",\"n\":5},\"startsAt\":\"2024-05-14T09:12:40Z\"}"),
			 "alerts[0].labels.n: expected string, got integer");
	expect_error_str("alertmanager",
			 AM("{\"labels\":{\"alertname\":\"a\"},\"startsAt\":\"monday\"}"),
			 "alerts[0].startsAt: not an RFC 3339 timestamp: \"monday\"");
	expect_error_str("alertmanager", AM("{\"labels\":{},\"startsAt\":\"2024-05-14T09:12:40Z\"}"),
			 "alerts[0]: no annotations.summary and no labels.alertname");
	expect_error_str("alertmanager", AM("7"), "alerts[0]: expected object, got integer");
	expect_error_str("alertmanager", AM(""), "alerts: empty array");
#undef AM
	expect_error_str("alertmanager", "{\"version\":\"4\",\"status\":1,\"alerts\":[]}",
			 "status: expected string, got integer");
	expect_error_str("alertmanager", "{\"version\":4,\"status\":\"firing\",\"alerts\":[]}",
			 "version: expected string, got integer");
	expect_error_str("alertmanager", "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":{}}",
			 "alerts: expected array, got object");
	expect_error_str("alertmanager", "{\"version\":\"4\",\"alerts\":[]}",
			 "status: required field missing");
	expect_error_str("alertmanager",
			 "{\"version\":\"4\",\"status\":\"firing\",\"truncatedAlerts\":\"3\",\"alerts\":[]}",
			 "truncatedAlerts: expected integer, got string");
	expect_error_str("wazuh", "{\"rule\":{\"level\":\"5\",\"description\":\"d\",\"id\":\"1\"},"
				  "\"id\":\"1\",\"timestamp\":\"2020-04-17T00:17:53.159+0000\"}",
			 "wazuh: rule.level: expected integer, got string");
	expect_error_str("wazuh", "{\"rule\":{\"level\":5,\"description\":\"d\",\"id\":\"1\"},"
				  "\"timestamp\":\"2020-04-17T00:17:53.159+0000\"}",
			 "wazuh: id: required field missing");
	expect_error_str("wazuh", "[{\"rule\":{\"level\":5,\"description\":\"d\",\"id\":\"1\"},"
				  "\"id\":\"1\",\"timestamp\":\"2020-04-17T00:17:53.159+0000\"},"
				  "{\"rule\":{\"level\":99,\"description\":\"d\",\"id\":\"1\"},"
				  "\"id\":\"2\",\"timestamp\":\"2020-04-17T00:17:53.159+0000\"}]",
			 "wazuh: [1].rule.level: 99 is outside 0-16");
	expect_error_str("splunk", "{\"sid\":\"1\",\"result\":[]}", "result: expected object, got array");
	expect_error_str("splunk", "{\"sid\":5,\"result\":{}}", "sid: expected string, got integer");
	expect_error_str("defender", "{\"@odata.type\":\"#microsoft.graph.security.alert\",\"id\":\"1\","
				     "\"title\":\"t\"}",
			 "defender: severity: required field missing");
	expect_error_str("defender", "{\"@odata.type\":\"#microsoft.graph.security.alert\",\"id\":\"1\","
				     "\"title\":\"t\",\"severity\":\"low\",\"createdDateTime\":42}",
			 "createdDateTime: expected string, got integer");
	expect_error_str("sentinel", "{\"name\":\"n\",\"type\":\"Microsoft.SecurityInsights/incidents\","
				     "\"properties\":{\"title\":\"t\",\"severity\":\"High\"}}",
			 "sentinel: properties.status: required field missing");
	expect_error_str("sentinel", "{\"value\":[{\"kind\":\"SecurityAlert\",\"properties\":{"
				     "\"alertDisplayName\":\"a\",\"severity\":\"Low\"}}]}",
			 "value[0].properties.systemAlertId: required field missing");
}

static void test_wrong_source(void **state)
{
	size_t am_len, wz_len, gf_len, df_len, sp_len, sn_len;
	char *am = load("alertmanager/zulip__alertmanager__alert.json", &am_len);
	char *wz = load("wazuh/wazuh_authentication_01_rule5716.json", &wz_len);
	char *gf = load("grafana/zulip__grafana__alert_values_v11.json", &gf_len);
	char *df = load("defender/graph-docs__security-alert-get__alert_v2_response.json", &df_len);
	char *sp = load("splunk/zulip__splunk__search_one_result.json", &sp_len);
	char *sn = sentinel_body(
		"sentinel/azure-rest-api-specs__securityinsights_2024-09-01__GetIncidentById.json",
		&sn_len);

	expect_error("alertmanager", wz, wz_len, SIRT_EINVAL,
		     "alertmanager: alerts: required field missing (not an Alertmanager webhook "
		     "version 4 payload)");
	expect_error("alertmanager", gf, gf_len, SIRT_EINVAL,
		     "alertmanager: version: expected \"4\" (Alertmanager webhook version 4), got \"1\"");
	expect_error("grafana", am, am_len, SIRT_EINVAL,
		     "grafana: version: expected \"1\" (Grafana unified alerting webhook), got \"4\"");
	expect_error_str("grafana", "{\"title\":\"x\",\"ruleId\":1,\"evalMatches\":[]}",
			 "legacy Grafana alert format");
	expect_error("wazuh", am, am_len, SIRT_EINVAL, "wazuh: rule: required field missing (not a "
						       "Wazuh alert document)");
	expect_error("splunk", wz, wz_len, SIRT_EINVAL, "splunk: sid: required field missing");
	expect_error("sentinel", df, df_len, SIRT_EINVAL, "sentinel: properties: required field "
							  "missing");
	expect_error("defender", sn, sn_len, SIRT_EINVAL, "defender: document: neither a Graph "
							  "security alert");
	expect_error("defender", sp, sp_len, SIRT_EINVAL, "neither");
	expect_error("elastic", am, am_len, SIRT_EINVAL, "elastic: kibana.alert.rule.name: required "
							 "field missing");
	expect_error("elastic", wz, wz_len, SIRT_EINVAL, "not an Elastic Security / ECS alert");
	expect_error("generic", wz, wz_len, SIRT_EINVAL, "generic: timestamp: unknown field");
	expect_error("generic", am, am_len, SIRT_EINVAL, "unknown field");
	expect_error("wazuh", df, df_len, SIRT_EINVAL, "rule: required field missing");
	expect_error("splunk", df, df_len, SIRT_EINVAL, "sid: required field missing");
	expect_error_str("nonsense", "{}", "unknown source \"nonsense\"");
	free(am);
	free(wz);
	free(gf);
	free(df);
	free(sp);
	free(sn);
}

static void test_extra_fields_accepted(void **state)
{
	const char *am =
		"{\"version\":\"4\",\"status\":\"firing\",\"vendorThing\":{\"deep\":[1,2]},"
		"\"alerts\":[{\"labels\":{\"alertname\":\"a\"},\"startsAt\":\"2024-05-14T09:12:40Z\","
		"\"newField\":true}]}";
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 0);
	assert_int_equal(parse_str("alertmanager", am, &b, &err), 0);
	assert_int_equal(json_is_true(json_object_get(b.items[0].raw, "newField")), 1);
	alert_batch_free(&b);
	const char *wz = "{\"rule\":{\"level\":15,\"description\":\"d\",\"id\":\"1\",\"x\":1},"
			 "\"id\":\"1.2\",\"timestamp\":\"2020-04-17T00:17:53+0200\",\"extra\":[]}";
	assert_int_equal(parse_str("wazuh", wz, &b, &err), 0);
	assert_int_equal(b.items[0].severity, ALERT_SEV_CRITICAL);
	assert_int_equal(b.items[0].starts_at, 1587082673 - 7200);
	alert_batch_free(&b);
	sb_free(&err);
}

/* Every boundary of the numeric severity tables in docs/alerts.md. */
static void test_severity_tables(void **state)
{
	static const struct {
		int level;
		enum alert_severity want;
	} wazuh[] = {
		{0, ALERT_SEV_INFO},    {3, ALERT_SEV_INFO},      {4, ALERT_SEV_LOW},
		{6, ALERT_SEV_LOW},     {7, ALERT_SEV_MEDIUM},    {11, ALERT_SEV_MEDIUM},
		{12, ALERT_SEV_HIGH},   {14, ALERT_SEV_HIGH},     {15, ALERT_SEV_CRITICAL},
	};
	static const struct {
		int score;
		enum alert_severity want;
	} elastic[] = {
		{0, ALERT_SEV_INFO},  {20, ALERT_SEV_INFO},   {21, ALERT_SEV_LOW},
		{46, ALERT_SEV_LOW},  {47, ALERT_SEV_MEDIUM}, {72, ALERT_SEV_MEDIUM},
		{73, ALERT_SEV_HIGH}, {98, ALERT_SEV_HIGH},   {99, ALERT_SEV_CRITICAL},
	};
	static const struct {
		const char *word;
		enum alert_severity want;
	} splunk[] = {
		{"1", ALERT_SEV_INFO},     {"2", ALERT_SEV_INFO},         {"3", ALERT_SEV_MEDIUM},
		{"4", ALERT_SEV_HIGH},     {"5", ALERT_SEV_CRITICAL},     {"6", ALERT_SEV_CRITICAL},
		{"7", ALERT_SEV_MEDIUM},   {"informational", ALERT_SEV_INFO}, {"Low", ALERT_SEV_LOW},
		{"critical", ALERT_SEV_CRITICAL},
	};
	static const struct {
		const char *word;
		enum alert_severity want;
	} ms[] = {
		{"High", ALERT_SEV_HIGH}, {"Medium", ALERT_SEV_MEDIUM}, {"Low", ALERT_SEV_LOW},
		{"Informational", ALERT_SEV_INFO}, {"unknown", ALERT_SEV_MEDIUM},
	};
	char body[512];
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 0);
	for (size_t i = 0; i < sizeof(wazuh) / sizeof(wazuh[0]); i++) {
		snprintf(body, sizeof(body), "{\"rule\":{\"level\":%d,\"description\":\"d\",\"id\":\"1\"},"
			 "\"id\":\"1.1\",\"timestamp\":\"2024-05-14T09:12:40Z\"}", wazuh[i].level);
		assert_int_equal(parse_str("wazuh", body, &b, &err), 0);
		if (b.items[0].severity != wazuh[i].want)
			fail_msg("wazuh level %d: got %s", wazuh[i].level,
				 alert_severity_name(b.items[0].severity));
		alert_batch_free(&b);
	}
	for (size_t i = 0; i < sizeof(elastic) / sizeof(elastic[0]); i++) {
		snprintf(body, sizeof(body), "{\"@timestamp\":\"2024-05-14T09:12:40Z\","
			 "\"kibana.alert.rule.name\":\"r\",\"kibana.alert.risk_score\":%d}",
			 elastic[i].score);
		assert_int_equal(parse_str("elastic", body, &b, &err), 0);
		if (b.items[0].severity != elastic[i].want)
			fail_msg("elastic score %d: got %s", elastic[i].score,
				 alert_severity_name(b.items[0].severity));
		alert_batch_free(&b);
	}
	for (size_t i = 0; i < sizeof(splunk) / sizeof(splunk[0]); i++) {
		snprintf(body, sizeof(body), "{\"sid\":\"s\",\"search_name\":\"n\",\"result\":"
			 "{\"urgency\":\"%s\"}}", splunk[i].word);
		assert_int_equal(parse_str("splunk", body, &b, &err), 0);
		if (b.items[0].severity != splunk[i].want)
			fail_msg("splunk %s: got %s", splunk[i].word,
				 alert_severity_name(b.items[0].severity));
		alert_batch_free(&b);
	}
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		snprintf(body, sizeof(body), "{\"id\":\"1\",\"title\":\"t\",\"severity\":\"%s\","
			 "\"createdDateTime\":\"2024-05-14T09:12:40Z\"}", ms[i].word);
		assert_int_equal(parse_str("defender", body, &b, &err), 0);
		assert_int_equal(b.items[0].severity, ms[i].want);
		alert_batch_free(&b);
		snprintf(body, sizeof(body), "{\"name\":\"n\",\"properties\":{\"title\":\"t\","
			 "\"severity\":\"%s\",\"status\":\"New\"}}", ms[i].word);
		assert_int_equal(parse_str("sentinel", body, &b, &err), 0);
		assert_int_equal(b.items[0].severity, ms[i].want);
		alert_batch_free(&b);
	}
	static const char *const words[][2] = {
		{"page", "critical"}, {"P1", "critical"}, {"error", "high"}, {"major", "high"},
		{"warning", "medium"}, {"minor", "low"}, {"notice", "info"}, {"bogus", "medium"},
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		snprintf(body, sizeof(body), "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":"
			 "[{\"labels\":{\"alertname\":\"a\",\"severity\":\"%s\"},"
			 "\"startsAt\":\"2024-05-14T09:12:40Z\"}]}", words[i][0]);
		assert_int_equal(parse_str("alertmanager", body, &b, &err), 0);
		assert_string_equal(alert_severity_name(b.items[0].severity), words[i][1]);
		alert_batch_free(&b);
	}
	sb_free(&err);
}

/* ---- record helpers ---------------------------------------------------- */

static void test_entities(void **state)
{
	struct alert a;
	memset(&a, 0, sizeof(a));
	assert_int_equal(alert_entity_add(&a, ENTITY_IP, "2001:DB8:0:0::1"), 0);
	assert_string_equal(a.entities[0].value, "2001:db8::1");
	assert_int_equal(alert_entity_add(&a, ENTITY_IP, "2001:db8::1"), 0);
	assert_int_equal(a.n_entities, 1);
	assert_int_equal(alert_entity_add(&a, ENTITY_IP, "10.0.0.256"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_IP, "10.0.0.1/24"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_HOST, "Web-01.Example.COM."), 0);
	assert_string_equal(a.entities[1].value, "web-01.example.com");
	assert_int_equal(alert_entity_add(&a, ENTITY_HOST, "bad host"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_HOST, "-lead"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_HOST, "a..b"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_DOMAIN, "localhost"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_DOMAIN, "1.2.3.4"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_DOMAIN, "Example.org"), 0);
	assert_int_equal(alert_entity_add(&a, ENTITY_FILE_HASH_MD5, "D41D8CD98F00B204E9800998ECF8427E"), 0);
	assert_string_equal(a.entities[3].value, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(alert_entity_add(&a, ENTITY_FILE_HASH_SHA1, "d41d8cd98f00b204e9800998ecf8427e"),
			 SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_FILE_HASH_SHA256, "zz"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_URL, "ftp://files.example.com/x"), 0);
	assert_int_equal(alert_entity_add(&a, ENTITY_URL, "javascript:alert(1)"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_URL, "https:///path"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_EMAIL, "a@b"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_EMAIL, "a b@example.com"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_ACCOUNT, "line\nbreak"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_ACCOUNT, "   "), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_PROCESS, "cmd.exe /c\tdir"), 0);
	assert_int_equal(alert_entity_add(&a, ENTITY_FILE_NAME, "\xc3\x28"), SIRT_EINVAL);
	assert_int_equal(alert_entity_add(&a, ENTITY_KIND_COUNT, "x"), SIRT_EINVAL);
	/* the same value under another kind is another entity */
	assert_int_equal(alert_entity_add(&a, ENTITY_MAILBOX, "x@example.com"), 0);
	assert_int_equal(alert_entity_add(&a, ENTITY_EMAIL, "x@EXAMPLE.com"), 0);
	assert_int_equal(a.n_entities, 8);
	for (int i = 0; a.n_entities < ALERT_MAX_ENTITIES; i++) {
		char v[32];
		snprintf(v, sizeof(v), "h%d", i);
		assert_int_equal(alert_entity_add(&a, ENTITY_HOST, v), 0);
	}
	assert_int_equal(alert_entity_add(&a, ENTITY_HOST, "one-too-many"), SIRT_ETOOBIG);
	assert_int_equal(alert_entity_add(&a, ENTITY_HOST, "h0"), 0); /* duplicate: fine */
	alert_free(&a);

	enum alert_entity_kind k;
	for (int i = 0; i < ENTITY_KIND_COUNT; i++) {
		assert_int_equal(alert_entity_kind_parse(alert_entity_kind_name(i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_int_equal(alert_entity_kind_parse("hostname", &k), SIRT_EINVAL);
}

static void test_names_and_times(void **state)
{
	enum alert_severity s;
	for (int i = 0; i <= ALERT_SEV_CRITICAL; i++) {
		assert_int_equal(alert_severity_parse(alert_severity_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(alert_severity_parse("Critical", &s), SIRT_EINVAL);
	assert_string_equal(alert_status_name(ALERT_RESOLVED), "resolved");
	assert_true(alert_source_valid("wazuh"));
	assert_true(alert_source_valid("generic"));
	assert_false(alert_source_valid("Wazuh"));
	assert_false(alert_source_valid(NULL));
	assert_false(alert_source_valid(""));

	int64_t t;
	assert_int_equal(alert_time_parse("2020-04-17T00:25:13.117+0000", &t), 0);
	assert_int_equal(t, 1587083113);
	assert_int_equal(alert_time_parse("2018-03-07T06:33:21.873077559-05:00", &t), 0);
	assert_int_equal(t, 1520422401);
	assert_int_equal(alert_time_parse("0001-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(alert_time_parse("2020-04-17T00:25:13", &t), SIRT_EINVAL);
	assert_int_equal(alert_time_parse("2020-04-17", &t), SIRT_EINVAL);
	assert_int_equal(alert_time_parse("2020-04-17T00:25:13+00", &t), SIRT_EINVAL);
	assert_int_equal(alert_time_parse(NULL, &t), SIRT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_shared_file),
		cmocka_unit_test(test_fuzz_seeds_parse),
		cmocka_unit_test(test_alertmanager_zulip),
		cmocka_unit_test(test_alertmanager_common_labels),
		cmocka_unit_test(test_alertmanager_more),
		cmocka_unit_test(test_alertmanager_resolved_truncated),
		cmocka_unit_test(test_grafana),
		cmocka_unit_test(test_sentinel),
		cmocka_unit_test(test_defender_alert),
		cmocka_unit_test(test_defender_incident),
		cmocka_unit_test(test_defender_list_and_evidence),
		cmocka_unit_test(test_splunk),
		cmocka_unit_test(test_wazuh),
		cmocka_unit_test(test_wazuh_many),
		cmocka_unit_test(test_elastic),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_not_json_truncated),
		cmocka_unit_test(test_depth_and_size),
		cmocka_unit_test(test_wrong_types_and_missing),
		cmocka_unit_test(test_wrong_source),
		cmocka_unit_test(test_extra_fields_accepted),
		cmocka_unit_test(test_severity_tables),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_names_and_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
