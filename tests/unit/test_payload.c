#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "notify/notify.h"

static const struct notify_message msg = {
	.uid = "u1", .idem_key = "k1:c1", .event = "incident.created",
	.subject = "New <incident>", .body = "a & b < c", .payload = "{\"x\":1}",
	.incident_uid = "i1", .incident_key = "INC-2026-0001", .org_name = "Acme",
	.created_at = 1767225600};

static void test_signature(void **state)
{
	char sig[68];
	const char *body = "{\"a\":1}";
	notify_sign("whsec-test-secret", 17, "1767225600", body, strlen(body), sig);
	/* computed independently with Python's hmac module */
	assert_string_equal(sig, "v1=cc7e5e84ebed9cbc9168cae83ede28c1c2634cf988d57c019db00ff88151f72b");
}

static void test_webhook_body(void **state)
{
	char *s = notify_webhook_body(&msg, "https://sirt.example.com");
	json_error_t e;
	json_t *o = json_loads(s, 0, &e);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "idempotency_key")), "k1:c1");
	assert_string_equal(json_string_value(json_object_get(o, "created_at")),
			    "2026-01-01T00:00:00Z");
	json_t *inc = json_object_get(o, "incident");
	assert_string_equal(json_string_value(json_object_get(inc, "url")),
			    "https://sirt.example.com/incidents/i1");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "data"), "x")), 1);
	json_decref(o);
	free(s);
}

static void test_slack_escapes(void **state)
{
	char *s = notify_slack_body(&msg, "");
	json_error_t e;
	json_t *o = json_loads(s, 0, &e);
	json_t *blocks = json_object_get(o, "blocks");
	json_t *sec = json_array_get(blocks, 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(sec, "text"), "text")),
			    "a &amp; b &lt; c");
	json_decref(o);
	free(s);
}

static void test_event_patterns(void **state)
{
	json_t *p = json_pack("[s, s]", "clock.*", "incident.created");
	assert_true(notify_event_matches(p, "clock.breach"));
	assert_true(notify_event_matches(p, "incident.created"));
	assert_false(notify_event_matches(p, "incident.message"));
	assert_false(notify_event_matches(p, "clockwork"));
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_webhook_body),
		cmocka_unit_test(test_slack_escapes),
		cmocka_unit_test(test_event_patterns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
