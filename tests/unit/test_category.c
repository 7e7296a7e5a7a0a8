#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/category.h"
#include "core/playbook.h"

static void test_membership(void **state)
{
	assert_true(category_valid("ransomware"));
	assert_true(category_valid("unauthorised_access"));
	assert_false(category_valid("Ransomware"));
	assert_false(category_valid("unauthorized_access"));
	assert_false(category_valid(""));
	assert_false(category_valid(NULL));
	assert_true(tlp_valid("amber+strict"));
	assert_false(tlp_valid("white"));
	assert_true(enum_contains(attack_vectors, "external_removable_media"));
	assert_true(enum_contains(veris_actions, "hacking"));
	assert_false(enum_contains(veris_actions, "Hacking"));
	assert_true(enum_contains(impact_recoverability_levels, "not_recoverable"));
	assert_false(enum_contains(timeline_kinds, "system"));
}

static void test_join(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 1000);
	enum_join(impact_functional_levels, &sb);
	assert_string_equal(sb_str(&sb), "none, low, medium, high");
	sb_free(&sb);
}

static void test_lists_have_no_duplicates(void **state)
{
	const char *const *lists[] = {incident_categories, attack_vectors, veris_actions,
				      incident_resolutions, root_cause_categories, tlp_levels,
				      task_statuses, timeline_kinds};
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
		for (const char *const *a = lists[l]; *a; a++)
			for (const char *const *b = a + 1; *b; b++)
				assert_string_not_equal(*a, *b);
}

static void test_task_finished(void **state)
{
	assert_true(task_status_is_finished("done"));
	assert_true(task_status_is_finished("cancelled"));
	assert_false(task_status_is_finished("open"));
	assert_false(task_status_is_finished(NULL));
}

static void test_every_category_has_a_playbook(void **state)
{
	for (const char *const *c = incident_categories; *c; c++) {
		const char *const *t = playbook_tasks(*c);
		assert_non_null(t);
		assert_non_null(t[0]);
		for (; *t; t++) {
			assert_true(strlen(*t) > 0);
			assert_true(strlen(*t) <= PLAYBOOK_TASK_TITLE_MAX);
		}
	}
	assert_null(playbook_tasks("nonsense"));
	assert_null(playbook_tasks(NULL));
	assert_string_equal(playbook_tasks("phishing")[0], "Collect the message and its headers");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_membership),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_lists_have_no_duplicates),
		cmocka_unit_test(test_task_finished),
		cmocka_unit_test(test_every_category_has_a_playbook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
