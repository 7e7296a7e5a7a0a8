/* Walks the whole router table: every route declares a permission and a
 * summary; patterns are well formed and unique; policy flags agree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"

static void test_every_route_has_permission_and_summary(void **state)
{
	int n;
	const struct route *t = router_table(&n);
	assert_true(n > 10);
	int bad = 0;
	for (int i = 0; i < n; i++) {
		if (t[i].perm == PERM_UNSET || t[i].perm >= PERM__COUNT) {
			print_error("%s %s declares no permission\n", t[i].method, t[i].pattern);
			bad++;
		}
		if (!t[i].summary || !*t[i].summary) {
			print_error("%s %s has no summary\n", t[i].method, t[i].pattern);
			bad++;
		}
		if (!t[i].handler) {
			print_error("%s %s has no handler\n", t[i].method, t[i].pattern);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_patterns_are_well_formed_and_unique(void **state)
{
	int n;
	const struct route *t = router_table(&n);
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
	for (int i = 0; i < n; i++) {
		assert_non_null(t[i].pattern);
		if (t[i].pattern[0] != '/')
			fail_msg("pattern '%s' does not start with '/'", t[i].pattern);
		bool known = false;
		for (int m = 0; methods[m]; m++)
			known |= strcmp(methods[m], t[i].method) == 0;
		if (!known)
			fail_msg("%s %s: unknown method", t[i].method, t[i].pattern);
		for (int j = 0; j < i; j++)
			if (!strcmp(t[i].method, t[j].method) && !strcmp(t[i].pattern, t[j].pattern))
				fail_msg("%s %s is declared twice", t[i].method, t[i].pattern);
		/* a GET never takes a body; a state-changing route always declares
		 * what body it takes or none */
		if (!strcmp(t[i].method, "GET") && t[i].body != BODY_NONE)
			fail_msg("GET %s accepts a body", t[i].pattern);
	}
}

static void test_api_routes_are_not_public_by_accident(void **state)
{
	int n;
	const struct route *t = router_table(&n);
	for (int i = 0; i < n; i++) {
		if (strncmp(t[i].pattern, "/api/v1/", 8) != 0)
			continue;
		if (t[i].perm == PERM_PUBLIC && strcmp(t[i].pattern, "/api/v1/openapi.json") != 0)
			fail_msg("%s %s is public: say so in this test if that is meant",
				 t[i].method, t[i].pattern);
		/* objects addressed by id are the caller's organisation's: the
		 * route must need at least a signed-in user */
		if (strchr(t[i].pattern, '{') && (t[i].perm == PERM_PUBLIC))
			fail_msg("%s %s: an id route must not be public", t[i].method, t[i].pattern);
	}
}

static void test_matching(void **state)
{
	struct req r;
	memset(&r, 0, sizeof(r));
	arena_init(&r.arena);
	char allow[128];
	int i = router_match("GET", "/api/v1/users/abc", &r, allow, sizeof(allow));
	assert_true(i >= 0);
	assert_string_equal(req_param(&r, "id"), "abc");
	assert_int_equal(router_match("PUT", "/api/v1/users/abc", &r, allow, sizeof(allow)), -2);
	assert_non_null(strstr(allow, "PATCH"));
	assert_int_equal(router_match("GET", "/api/v1/nope", &r, allow, sizeof(allow)), -1);
	assert_int_equal(router_match("GET", "/api/v1/users/", &r, allow, sizeof(allow)), -1);
	arena_free(&r.arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_has_permission_and_summary),
		cmocka_unit_test(test_patterns_are_well_formed_and_unique),
		cmocka_unit_test(test_api_routes_are_not_public_by_accident),
		cmocka_unit_test(test_matching),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
