#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/diff.h"
#include "util/strbuf.h"

/* The script as "<op><line>|..." for compact comparisons. */
static char *script(const char *a, const char *b)
{
	struct diff_result d;
	assert_int_equal(diff_lines(a, b, &d), 0);
	struct strbuf sb;
	sb_init(&sb, 1 << 20);
	size_t add = 0, del = 0;
	for (size_t i = 0; i < d.n; i++) {
		sb_putc(&sb, diff_op_char(d.lines[i].op));
		sb_append(&sb, d.lines[i].text, d.lines[i].len);
		sb_putc(&sb, '|');
		add += d.lines[i].op == DIFF_ADD;
		del += d.lines[i].op == DIFF_DEL;
	}
	assert_int_equal(add, d.added);
	assert_int_equal(del, d.deleted);
	diff_free(&d);
	return sb_steal(&sb, NULL);
}

static void expect(const char *a, const char *b, const char *want)
{
	char *got = script(a, b);
	if (strcmp(got, want) != 0)
		fail_msg("diff(%s, %s): got '%s', want '%s'", a, b, got, want);
	free(got);
}

static void test_identical_and_empty(void **state)
{
	expect("", "", "");
	expect("a\nb\n", "a\nb\n", " a| b|");
	expect("", "x\n", "+x|");
	expect("x\n", "", "-x|");
	expect("a\nb", "a\nb\n", " a| b|"); /* a missing final newline is not a change */
}

static void test_changes(void **state)
{
	expect("a\nb\nc\n", "a\nc\n", " a|-b| c|");
	expect("a\nc\n", "a\nb\nc\n", " a|+b| c|");
	expect("a\nb\nc\n", "a\nB\nc\n", " a|-b|+B| c|");
	/* the LCS keeps the longest common run: a b c d kept, x removed, y added */
	expect("x\na\nb\nc\nd\n", "a\nb\nc\nd\ny\n", "-x| a| b| c| d|+y|");
	/* Myers' example: ties may be broken either way, but the script must
	 * rebuild both texts and keep an LCS (length 4) */
	struct diff_result d;
	const char *a = "a\nb\nc\na\nb\nb\na\n", *b = "c\nb\na\nb\na\nc\n";
	assert_int_equal(diff_lines(a, b, &d), 0);
	struct strbuf ra, rb;
	sb_init(&ra, 1000);
	sb_init(&rb, 1000);
	for (size_t i = 0; i < d.n; i++) {
		if (d.lines[i].op != DIFF_ADD) {
			sb_append(&ra, d.lines[i].text, d.lines[i].len);
			sb_putc(&ra, '\n');
		}
		if (d.lines[i].op != DIFF_DEL) {
			sb_append(&rb, d.lines[i].text, d.lines[i].len);
			sb_putc(&rb, '\n');
		}
	}
	assert_string_equal(sb_str(&ra), a);
	assert_string_equal(sb_str(&rb), b);
	assert_int_equal(d.n - d.added - d.deleted, 4);
	sb_free(&ra);
	sb_free(&rb);
	diff_free(&d);
}

static void test_lcs_is_minimal(void **state)
{
	/* a classic case where a greedy matcher does worse than the LCS */
	struct diff_result d;
	assert_int_equal(diff_lines("a\nb\nc\nd\ne\n", "b\nc\nd\ne\na\n", &d), 0);
	assert_int_equal(d.added, 1);
	assert_int_equal(d.deleted, 1);
	assert_true(d.minimal);
	diff_free(&d);
}

static void test_fallback_beyond_cap(void **state)
{
	/* 3000 x 3000 differing middle lines exceed the cell cap: delete all, add all */
	struct strbuf a, b;
	sb_init(&a, 1 << 22);
	sb_init(&b, 1 << 22);
	sb_puts(&a, "same\n");
	sb_puts(&b, "same\n");
	for (int i = 0; i < 3000; i++) {
		sb_printf(&a, "a%d\n", i);
		sb_printf(&b, "b%d\n", i);
	}
	struct diff_result d;
	assert_int_equal(diff_lines(sb_str(&a), sb_str(&b), &d), 0);
	assert_false(d.minimal);
	assert_int_equal(d.added, 3000);
	assert_int_equal(d.deleted, 3000);
	assert_int_equal(d.lines[0].op, DIFF_SAME);
	diff_free(&d);
	sb_free(&a);
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_and_empty),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_lcs_is_minimal),
		cmocka_unit_test(test_fallback_beyond_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
