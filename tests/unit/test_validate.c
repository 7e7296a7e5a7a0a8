/* src/api/validate.c: allow-list validation of JSON bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "api/validate.h"

static const char *const colours[] = {"red", "green", NULL};
static const struct field_spec spec[] = {
	{"name", F_STRING, true, false, 5, NULL, "a name"},
	{"notes", F_TEXT, false, false, 0, NULL, NULL},
	{"count", F_INT, false, false, 0, NULL, NULL},
	{"flag", F_BOOL, false, false, 0, NULL, NULL},
	{"when", F_TIME, false, true, 0, NULL, NULL},
	{"day", F_DATE, false, false, 0, NULL, NULL},
	{"colour", F_ENUM, false, false, 0, colours, NULL},
	{"tags", F_STRINGS, false, false, 2, NULL, NULL},
	{NULL},
};

static json_t *errors_for(const char *json)
{
	json_error_t e;
	json_t *body = json_loads(json, 0, &e);
	assert_non_null(body);
	json_t *errors = NULL;
	int rc = validate_body(body, spec, &errors);
	json_decref(body);
	if (rc == 0)
		assert_null(errors);
	return errors;
}

static const char *message(json_t *errors, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		if (!strcmp(json_string_value(json_object_get(e, "field")), field))
			return json_string_value(json_object_get(e, "message"));
	}
	return NULL;
}

static void test_valid_body(void **state)
{
	assert_null(errors_for("{\"name\":\"abc\",\"notes\":\"line1\\nline2\",\"count\":3,"
			       "\"flag\":true,\"when\":null,\"day\":\"2026-01-31\","
			       "\"colour\":\"red\",\"tags\":[\"a\",\"b\"]}"));
	assert_null(errors_for("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}")); /* 5 chars */
}

static void test_every_bad_field_is_reported(void **state)
{
	json_t *e = errors_for("{\"count\":\"3\",\"flag\":1,\"when\":\"2026-01-01\",\"day\":\"31/01/2026\","
			       "\"colour\":\"blue\",\"tags\":[\"a\",\"b\",\"c\"],\"extra\":1,"
			       "\"notes\":\"bell\\u0007\"}");
	assert_non_null(e);
	assert_string_equal(message(e, "name"), "is required");
	assert_string_equal(message(e, "count"), "must be an integer");
	assert_string_equal(message(e, "flag"), "must be true or false");
	assert_non_null(strstr(message(e, "when"), "RFC 3339"));
	assert_non_null(strstr(message(e, "day"), "YYYY-MM-DD"));
	assert_string_equal(message(e, "colour"), "must be one of: red, green");
	assert_non_null(strstr(message(e, "tags"), "at most 2"));
	assert_string_equal(message(e, "extra"), "unknown field");
	assert_string_equal(message(e, "notes"), "contains control characters");
	assert_int_equal(json_array_size(e), 9);
	json_decref(e);
}

static void test_lengths_and_nulls(void **state)
{
	json_t *e = errors_for("{\"name\":\"abcdef\"}");
	assert_string_equal(message(e, "name"), "must be at most 5 characters");
	json_decref(e);
	e = errors_for("{\"name\":null}");
	assert_non_null(strstr(message(e, "name"), "null"));
	json_decref(e);
	e = errors_for("{\"name\":\"a\\tb\"}"); /* single-line strings refuse tabs */
	assert_string_equal(message(e, "name"), "contains control characters");
	json_decref(e);
}

static void test_schema_for_openapi(void **state)
{
	json_t *s = validate_schema(spec);
	assert_string_equal(json_string_value(json_object_get(s, "type")), "object");
	assert_true(json_is_false(json_object_get(s, "additionalProperties")));
	json_t *req = json_object_get(s, "required");
	assert_int_equal(json_array_size(req), 1);
	json_t *colour = json_object_get(json_object_get(s, "properties"), "colour");
	assert_int_equal(json_array_size(json_object_get(colour, "enum")), 2);
	json_t *when = json_object_get(json_object_get(s, "properties"), "when");
	assert_true(json_is_array(json_object_get(when, "type"))); /* nullable */
	json_decref(s);
}

static void test_utf8(void **state)
{
	assert_true(text_is_utf8("plain", 5));
	assert_true(text_is_utf8("\xe2\x82\xac", 3));
	assert_false(text_is_utf8("\xe2\x82", 2));
	assert_false(text_is_utf8("\xff", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_body),
		cmocka_unit_test(test_every_bad_field_is_reported),
		cmocka_unit_test(test_lengths_and_nulls),
		cmocka_unit_test(test_schema_for_openapi),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
