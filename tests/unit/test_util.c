/* src/util: strbuf ceilings, arena, ISO 8601 parsing and formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "util/arena.h"
#include "util/jsonw.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

static void test_strbuf_grows_and_formats(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 0);
	for (int i = 0; i < 1000; i++)
		sb_printf(&sb, "%d,", i);
	assert_int_equal(sb_status(&sb), 0);
	assert_true(strncmp(sb_str(&sb), "0,1,2,", 6) == 0);
	assert_int_equal(sb.len, strlen(sb.buf));
	size_t len;
	char *p = sb_steal(&sb, &len);
	assert_int_equal(len, strlen(p));
	free(p);
	assert_null(sb.buf);
	sb_free(&sb);
}

static void test_strbuf_ceiling_is_sticky(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 10);
	sb_puts(&sb, "0123456789");
	assert_int_equal(sb_status(&sb), 0);
	sb_putc(&sb, 'x');
	assert_int_equal(sb_status(&sb), SIRT_ETOOBIG);
	sb_puts(&sb, "y"); /* no-op after the first failure */
	assert_string_equal(sb_str(&sb), "0123456789");
	sb_reset(&sb);
	assert_int_equal(sb_status(&sb), 0);
	sb_printf(&sb, "%s", "0123456789abc");
	assert_int_equal(sb_status(&sb), SIRT_ETOOBIG);
	sb_free(&sb);
}

static void test_arena(void **state)
{
	struct arena a;
	arena_init(&a);
	char *s = arena_strdup(&a, "hello");
	char *big = arena_alloc(&a, 100000); /* larger than a chunk */
	memset(big, 'x', 100000);
	char *f = arena_printf(&a, "%s-%d", s, 42);
	assert_string_equal(f, "hello-42");
	assert_null(arena_strdup(&a, NULL));
	assert_true(((uintptr_t)arena_alloc(&a, 3) & 15) == 0);
	arena_free(&a);
	assert_null(a.head);
}

static void test_iso8601_parse(void **state)
{
	int64_t t;
	assert_int_equal(time_parse_iso8601("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(time_parse_iso8601("2026-12-03T17:43:00Z", &t), 0);
	assert_int_equal(t, 1796319780);
	int64_t u;
	assert_int_equal(time_parse_iso8601("2026-12-03T18:43:00.123+01:00", &u), 0);
	assert_int_equal(u, t);
	assert_int_equal(time_parse_iso8601("2026-12-03T12:13:00-05:30", &u), 0);
	assert_int_equal(u, t);
	assert_int_equal(time_parse_iso8601("2024-02-29T00:00:00Z", &u), 0);
	/* rejected: no offset, bad dates, junk */
	const char *bad[] = {"2026-12-03T17:43:00", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
			     "2026-12-03 17:43Z", "2026-12-03T24:00:00Z", "2026-12-03T17:43:00+1:00",
			     "2026-12-03T17:43:00Zjunk", "1969-12-31T23:59:59Z", "", "yesterday",
			     "2026-12-03T17:43:00.Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(time_parse_iso8601(bad[i], &u), SIRT_EINVAL);
	assert_int_equal(time_parse_iso8601(NULL, &u), SIRT_EINVAL);
}

static void test_iso8601_roundtrip_and_dates(void **state)
{
	char buf[ISO8601_LEN];
	for (int64_t t = 0; t < 4102444800; t += 86399 * 37) {
		time_format_iso8601(t, buf);
		int64_t back;
		assert_int_equal(time_parse_iso8601(buf, &back), 0);
		assert_int_equal(back, t);
	}
	time_format_iso8601(951782400, buf);
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	int64_t d;
	assert_int_equal(time_parse_date("2026-03-01", &d), 0);
	assert_int_equal(d % 86400, 0);
	assert_int_equal(time_parse_date("2026-3-1", &d), SIRT_EINVAL);
}

static void test_rand_and_hash(void **state)
{
	char a[37], b[37];
	rand_uuid(a);
	rand_uuid(b);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '7');
	assert_true(strchr("89ab", a[19]) != NULL);
	assert_string_not_equal(a, b);
	/* time-ordered: the 48-bit millisecond prefix never goes back */
	assert_true(strncmp(a, b, 13) <= 0);
	char h[65];
	sha256_hex(h, "abc", 3);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* jw_* must write what json_dumps(JSON_COMPACT) writes for the same value:
 * the API sends the incident record written either way. */
static void test_jsonw_matches_jansson(void **state)
{
	(void)state;
	char all[160];
	size_t n = 0;
	for (int c = 1; c < 128; c++)
		all[n++] = (char)c;
	memcpy(all + n, "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x94\x92/", 11); /* é U+2028 🔒 / */
	all[n + 11] = '\0';
	const char *cases[] = {"", "plain", "quote \" back \\ nl \n tab \t", all};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *o = json_pack("{s:s, s:I, s:I, s:n}", "s", cases[i], "i", (json_int_t)-42,
				      "big", (json_int_t)INT64_MAX, "none");
		char *want = json_dumps(o, JSON_COMPACT);
		struct strbuf sb;
		sb_init(&sb, 4096);
		sb_putc(&sb, '{');
		jw_key(&sb, "s", true);
		jw_string(&sb, cases[i]);
		jw_key(&sb, "i", false);
		jw_int(&sb, -42);
		jw_key(&sb, "big", false);
		jw_int(&sb, INT64_MAX);
		jw_key(&sb, "none", false);
		jw_string(&sb, NULL);
		sb_putc(&sb, '}');
		assert_string_equal(sb_str(&sb), want);
		sb_free(&sb);
		free(want);
		json_decref(o);
	}
	struct strbuf sb;
	sb_init(&sb, 64);
	jw_int(&sb, INT64_MIN);
	jw_time(&sb, 0, true);
	jw_time(&sb, 1764806400, false);
	assert_string_equal(sb_str(&sb), "-9223372036854775808null\"2025-12-04T00:00:00Z\"");
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_grows_and_formats),
		cmocka_unit_test(test_strbuf_ceiling_is_sticky),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_iso8601_parse),
		cmocka_unit_test(test_iso8601_roundtrip_and_dates),
		cmocka_unit_test(test_rand_and_hash),
		cmocka_unit_test(test_jsonw_matches_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
