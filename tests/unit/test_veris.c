#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "export/veris.h"

#define NOW 1800000000

static json_t *load_vcdb(const char *name)
{
	const char *root = getenv("SIRT_SHARED_DATA");
	char path[1024];
	snprintf(path, sizeof(path), "%s/vcdb/%s", root && *root ? root : "../shared/data", name);
	json_error_t e;
	json_t *d = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!d)
		fail_msg("cannot read %s (set SIRT_SHARED_DATA): %s", path, e.text);
	return d;
}

static const char *s(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_import_maps_fields(void **state)
{
	json_t *doc = load_vcdb("00EB741C-0DFD-453E-9AC2-B00E512897DA.json");
	json_t *rec, *errors;
	assert_int_equal(veris_to_record(doc, NOW, &rec, &errors), 0);
	assert_null(errors);
	assert_string_equal(s(rec, "external_ref"), "00EB741C-0DFD-453E-9AC2-B00E512897DA");
	assert_string_equal(s(rec, "title"),
			    "A Janesville Hospital warns patients after one of its laptops is stolen"
			    " from an employee's car over the summer");
	assert_string_equal(s(rec, "description"), s(doc, "summary"));
	assert_string_equal(s(rec, "severity"), "medium"); /* overall_rating Unknown */
	assert_string_equal(s(rec, "status"), "closed");
	assert_string_equal(s(rec, "veris_action"), "physical");
	assert_string_equal(s(rec, "occurred_at"), "2013-08-28T00:00:00Z");
	assert_true(json_is_true(json_object_get(rec, "personal_data"))); /* Medical */
	assert_string_equal(json_string_value(json_array_get(json_object_get(rec, "data_types"), 0)),
			    "Medical");
	assert_string_equal(s(rec, "impact_information"), "privacy");
	assert_string_equal(s(rec, "reporter"), "vcdb");
	assert_string_equal(json_string_value(json_array_get(json_object_get(rec, "tags"), 1)), "vcdb");
	assert_string_equal(json_string_value(json_array_get(json_object_get(rec, "affected_systems"), 0)),
			    "U - Laptop");
	json_decref(rec);
	json_decref(doc);
}

static void test_round_trip_is_identical(void **state)
{
	json_t *doc = load_vcdb("00EB741C-0DFD-453E-9AC2-B00E512897DA.json");
	json_t *rec, *errors;
	assert_int_equal(veris_to_record(doc, NOW, &rec, &errors), 0);
	json_t *out = veris_from_record(rec, doc, "Acme");
	json_t *sirt = json_incref(json_object_get(json_object_get(out, "plus"), "sirt"));
	assert_non_null(sirt);
	assert_string_equal(s(sirt, "severity"), "medium");
	json_object_del(json_object_get(out, "plus"), "sirt");
	assert_true(json_equal(out, doc));
	/* an edit shows: severity -> overall_rating, action replaced */
	json_object_set_new(rec, "severity", json_string("high"));
	json_object_set_new(rec, "veris_action", json_string("error"));
	json_decref(out);
	out = veris_from_record(rec, doc, "Acme");
	assert_string_equal(s(json_object_get(out, "impact"), "overall_rating"), "Damaging");
	assert_non_null(json_object_get(json_object_get(out, "action"), "error"));
	assert_null(json_object_get(json_object_get(out, "action"), "physical"));
	json_decref(sirt);
	json_decref(out);
	json_decref(rec);
	json_decref(doc);
}

static void test_native_record(void **state)
{
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s,s], s:b, s:s}",
				"id", "u-1", "key", "INC-2021-0001", "title", "Phish", "description", "",
				"severity", "critical", "status", "rejected", "reject_reason",
				"false_positive", "data_types", "customer PII", "passwords",
				"personal_data", 1, "occurred_at", "2021-03-04T17:45:00Z");
	json_object_set_new(rec, "detected_at", json_string("2021-03-06T17:45:00Z"));
	json_t *out = veris_from_record(rec, NULL, "Acme");
	assert_string_equal(s(out, "schema_version"), "1.3.4");
	assert_string_equal(s(out, "incident_id"), "u-1");
	assert_string_equal(s(out, "summary"), "Phish");
	assert_string_equal(s(out, "security_incident"), "False positive");
	assert_string_equal(s(out, "reference"), "INC-2021-0001");
	json_t *inc = json_object_get(json_object_get(out, "timeline"), "incident");
	assert_int_equal(json_integer_value(json_object_get(inc, "year")), 2021);
	assert_int_equal(json_integer_value(json_object_get(inc, "day")), 4);
	assert_string_equal(s(inc, "time"), "05:45:00 PM");
	json_t *disc = json_object_get(json_object_get(out, "timeline"), "discovery");
	assert_string_equal(s(disc, "unit"), "Days");
	assert_int_equal(json_integer_value(json_object_get(disc, "value")), 2);
	assert_string_equal(s(json_object_get(out, "impact"), "overall_rating"), "Catastrophic");
	json_t *data = json_object_get(
		json_object_get(json_object_get(out, "attribute"), "confidentiality"), "data");
	assert_string_equal(s(json_array_get(data, 0), "variety"), "Personal");
	assert_string_equal(s(json_array_get(data, 1), "variety"), "Credentials");
	assert_string_equal(s(json_object_get(out, "victim"), "victim_id"), "Acme");
	assert_non_null(json_object_get(json_object_get(out, "action"), "unknown"));
	for (const char *const *k = (const char *const[]){"actor", "asset", "discovery_method", NULL};
	     *k; k++)
		assert_non_null(json_object_get(out, *k));
	json_decref(out);
	json_decref(rec);
}

static int has_error(json_t *errors, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
		if (!strcmp(s(e, "field"), field))
			return 1;
	return 0;
}

static void test_import_rejects(void **state)
{
	json_t *base = load_vcdb("00EB741C-0DFD-453E-9AC2-B00E512897DA.json");
	struct {
		const char *path, *json, *field;
	} cases[] = {
		{"security_incident", "\"Perhaps\"", "security_incident"},
		{"schema_version", "\"2.0\"", "schema_version"},
		{"incident_id", "\"\"", "incident_id"},
		{"impact", "{\"overall_rating\":\"Meh\"}", "impact.overall_rating"},
		{"action", "{}", "action"},
		{"action", "{\"hacking\":{},\"typing\":{}}", "action.typing"},
		{"timeline", "{\"incident\":{\"month\":3}}", "timeline.incident.year"},
		{"timeline", "{\"incident\":{\"year\":2013,\"day\":32}}", "timeline.incident.day"},
		{"timeline", "{\"incident\":{\"year\":2013},\"discovery\":{\"unit\":\"Eons\"}}",
		 "timeline.discovery.unit"},
		{"attribute", "{\"confidentiality\":{\"data_disclosure\":\"Yes\",\"data\":[{\"variety\":\"Vibes\"}]}}",
		 "attribute.confidentiality.data[0].variety"},
		{"attribute", "{\"confidentiality\":{}}", "attribute.confidentiality.data_disclosure"},
		{"unexpected", "1", "unexpected"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = json_deep_copy(base);
		json_object_set_new(doc, cases[i].path, json_loads(cases[i].json, JSON_DECODE_ANY, NULL));
		json_t *rec = NULL, *errors = NULL;
		assert_int_equal(veris_to_record(doc, NOW, &rec, &errors), SIRT_EINVAL);
		assert_null(rec);
		if (!has_error(errors, cases[i].field))
			fail_msg("case %zu: no error for %s: %s", i, cases[i].field,
				 json_dumps(errors, 0));
		json_decref(errors);
		json_decref(doc);
	}
	json_t *doc = json_deep_copy(base);
	json_object_del(doc, "asset");
	json_object_del(doc, "actor");
	json_t *rec, *errors;
	assert_int_equal(veris_to_record(doc, NOW, &rec, &errors), SIRT_EINVAL);
	assert_true(has_error(errors, "asset") && has_error(errors, "actor"));
	json_decref(errors);
	json_decref(doc);
	json_t *arr = json_array();
	assert_int_equal(veris_to_record(arr, NOW, &rec, &errors), SIRT_EINVAL);
	json_decref(errors);
	json_decref(arr);
	json_decref(base);
}

static void test_title_and_ratings(void **state)
{
	char *t = veris_title_of_summary("  Short one. Then more.");
	assert_string_equal(t, "Short one");
	free(t);
	assert_null(veris_title_of_summary("   "));
	char longs[600];
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	for (int i = 50; i < 590; i += 10)
		longs[i] = ' ';
	t = veris_title_of_summary(longs);
	assert_true(strlen(t) <= 200 + 3);
	assert_non_null(strstr(t, "\xE2\x80\xA6"));
	free(t);
	const char *sev[] = {"critical", "high", "medium", "low"};
	for (int i = 0; i < 4; i++)
		assert_string_equal(veris_severity_of_rating(veris_rating_of_severity(sev[i])), sev[i]);
	assert_string_equal(veris_severity_of_rating("Insignificant"), "low");
	assert_string_equal(veris_severity_of_rating(NULL), "medium");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_maps_fields),
		cmocka_unit_test(test_round_trip_is_identical),
		cmocka_unit_test(test_native_record),
		cmocka_unit_test(test_import_rejects),
		cmocka_unit_test(test_title_and_ratings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
