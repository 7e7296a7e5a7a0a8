/* Unit tests for src/web/escape.c: one escaper per output context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "web/escape.h"

typedef void (*esc_fn)(struct strbuf *, const char *, size_t);

static void check(esc_fn f, const char *in, size_t n, const char *want)
{
	struct strbuf sb;
	sb_init(&sb, 0);
	f(&sb, in, n);
	assert_int_equal(sb_status(&sb), 0);
	assert_string_equal(sb_str(&sb), want);
	sb_free(&sb);
}

#define CHECK(f, in, want) check(f, in, sizeof(in) - 1, want)

static void test_html(void **state)
{
	CHECK(escape_html, "", "");
	CHECK(escape_html, "plain text", "plain text");
	CHECK(escape_html, "a < b && c > d", "a &lt; b &amp;&amp; c &gt; d");
	CHECK(escape_html, "\"><script>alert(1)</script>",
	      "\"&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
	CHECK(escape_html, "it's \"quoted\"", "it's \"quoted\"");
	CHECK(escape_html, "&amp;", "&amp;amp;");
	CHECK(escape_html, "tab\there\nnew", "tab\there\nnew");
	/* UTF-8 passes; controls and invalid bytes become U+FFFD */
	CHECK(escape_html, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
	CHECK(escape_html, "a\x01z", "a\xef\xbf\xbdz");
	CHECK(escape_html, "a\x7fz", "a\xef\xbf\xbdz");
	CHECK(escape_html, "bad\xff", "bad\xef\xbf\xbd");
	CHECK(escape_html, "overlong\xc0\xbc", "overlong\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(escape_html, "surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(escape_html, "cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(escape_html, "nul\0x", "nul\xef\xbf\xbdx");
}

static void test_attr(void **state)
{
	CHECK(escape_attr, "\"><script>alert(1)</script>",
	      "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
	CHECK(escape_attr, "x' onmouseover='alert(1)", "x&#39; onmouseover=&#39;alert(1)");
	CHECK(escape_attr, "a&b", "a&amp;b");
	CHECK(escape_attr, "ok-value_1", "ok-value_1");
}

static void test_url_path(void **state)
{
	CHECK(escape_url_path, "INC-2026-0042", "INC-2026-0042");
	CHECK(escape_url_path, "a/b", "a%2Fb");
	CHECK(escape_url_path, "..", "%2E%2E");
	CHECK(escape_url_path, ".", "%2E");
	CHECK(escape_url_path, "...", "...");
	CHECK(escape_url_path, "a b?c#d", "a%20b%3Fc%23d");
	CHECK(escape_url_path, "javascript:alert(1)", "javascript%3Aalert%281%29");
	CHECK(escape_url_path, "\"'<>&", "%22%27%3C%3E%26");
	CHECK(escape_url_path, "\xc3\xa9", "%C3%A9");
	CHECK(escape_url_path, "", "");
}

static void test_url_query(void **state)
{
	CHECK(escape_url_query, "severity high & open", "severity%20high%20%26%20open");
	CHECK(escape_url_query, "a=b+c", "a%3Db%2Bc");
	CHECK(escape_url_query, "..", "..");
	CHECK(escape_url_query, "~._-", "~._-");
	CHECK(escape_url_query, "\r\n", "%0D%0A");
}

static void test_header(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 0);
	assert_int_equal(escape_header(&sb, "attachment; filename=\"log.csv\"", 30), 0);
	assert_string_equal(sb_str(&sb), "attachment; filename=\"log.csv\"");
	sb_reset(&sb);
	assert_int_equal(escape_header(&sb, "tab\tok", 6), 0);
	assert_int_equal(escape_header(&sb, "x\r\nSet-Cookie: a=b", 18), SIRT_EINVAL);
	assert_int_equal(escape_header(&sb, "x\ny", 3), SIRT_EINVAL);
	assert_int_equal(escape_header(&sb, "x\ry", 3), SIRT_EINVAL);
	assert_int_equal(escape_header(&sb, "x\0y", 3), SIRT_EINVAL);
	assert_int_equal(escape_header(&sb, "x\x7fy", 3), SIRT_EINVAL);
	/* nothing of a refused value is appended */
	assert_string_equal(sb_str(&sb), "tab\tok");
	sb_free(&sb);
}

static void test_json(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 0);
	json_t *v = json_pack("{s:s, s:i, s:b}", "t", "</script><script>alert(1)</script> & \xe2\x80\xa8\xe2\x80\xa9",
			      "n", 42, "ok", 1);
	assert_non_null(v);
	assert_int_equal(escape_json_script(&sb, v), 0);
	assert_null(strchr(sb_str(&sb), '<'));
	assert_null(strchr(sb_str(&sb), '>'));
	assert_null(strchr(sb_str(&sb), '&'));
	assert_null(strstr(sb_str(&sb), "\xe2\x80\xa8"));
	assert_null(strstr(sb_str(&sb), "\xe2\x80\xa9"));
	/* and it is still the same JSON */
	json_error_t err;
	json_t *back = json_loads(sb_str(&sb), 0, &err);
	assert_non_null(back);
	assert_true(json_equal(v, back));
	assert_non_null(strstr(sb_str(&sb), "\\u003c/script\\u003e"));
	json_decref(back);
	json_decref(v);

	sb_reset(&sb);
	assert_int_equal(escape_json_script(&sb, NULL), 0);
	assert_string_equal(sb_str(&sb), "null");
	sb_reset(&sb);
	json_t *s = json_string("a");
	assert_int_equal(escape_json_script(&sb, s), 0);
	assert_string_equal(sb_str(&sb), "\"a\"");
	json_decref(s);
	sb_free(&sb);
}

static void test_ceiling(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 8);
	escape_html(&sb, "<<<<<<<<", 8);
	assert_int_equal(sb_status(&sb), SIRT_ETOOBIG);
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_attr),
		cmocka_unit_test(test_url_path),
		cmocka_unit_test(test_url_query),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_ceiling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
