#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pdf/pdf.h"
#include "util/strbuf.h"

/* fontconfig keeps its configuration and font cache for the life of the
 * process on purpose; LeakSanitizer reads this when the test runs under it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

struct sink {
	struct strbuf sb;
	int fail_after; /* bytes; 0 = never */
};

static int sink_write(void *cls, const unsigned char *d, size_t n)
{
	struct sink *s = cls;
	if (s->fail_after && s->sb.len + n > (size_t)s->fail_after)
		return SIRT_EIO;
	sb_append(&s->sb, d, n);
	return 0;
}

static int body(struct pdf *p, void *arg)
{
	int rows = *(int *)arg;
	pdf_heading(p, 1, "Incident log", false);
	pdf_text(p, "Incidents detected in the period, oldest first. Café, Zürich, Ångström.");
	pdf_warning(p, "The plan approval is older than three months.");
	pdf_kv(p, "Organisation", "Acme — 株式会社アクメ");
	pdf_kv(p, "Commander", "مريم الحسن / שרה לוי");
	static const struct pdf_col cols[] = {
		{"Date", 1.2, PDF_LEFT, 1, false},
		{"Key", 1.4, PDF_LEFT, 1, true},
		{"Description", 5, PDF_LEFT, 3, false},
		{"Severity", 1, PDF_LEFT, 1, false},
	};
	pdf_table_begin(p, cols, 4);
	char key[32], desc[128];
	for (int i = 0; i < rows; i++) {
		snprintf(key, sizeof(key), "INC-2026-%04d", i + 1);
		snprintf(desc, sizeof(desc), "Phishing wave %d — 勒索软件 — هجوم تصيد — התקפה", i);
		const char *cells[] = {"2026-03-01", key, desc, i % 3 ? "high" : "critical"};
		pdf_table_row(p, cells);
	}
	pdf_table_end(p);
	pdf_heading(p, 1, "Plan", true);
	pdf_heading(p, 2, "Roles and responsibilities", false);
	pdf_markdown(p, "# Scope\n\nThe **plan** covers *all* systems.\n\n- first item\n- second "
			"item with `code`\n  1. nested\n\n> quoted\n\n```\ncode block\n```\n");
	return pdf_status(p);
}

static void test_render_counts_pages(void **state)
{
	struct sink s = {0};
	sb_init(&s.sb, 64 << 20);
	struct pdf_meta m = {.title = "Evidence — incident log", .org = "Acme", .user = "ana@example.com",
			     .url = "https://sirt.example.com", .generated_at = 1772000000,
			     .generator = "sirt test"};
	struct pdf_result res;
	int rows = 300;
	assert_int_equal(pdf_render(&m, body, &rows, sink_write, &s, &res), 0);
	assert_true(s.sb.len > 1000);
	assert_memory_equal(s.sb.buf, "%PDF-", 5);
	assert_true(res.pages > 5);
	char expect[64];
	snprintf(expect, sizeof(expect), "/Count %d", res.pages);
	assert_non_null(memmem(s.sb.buf, s.sb.len, expect, strlen(expect)));
	/* outline entries and metadata */
	assert_non_null(memmem(s.sb.buf, s.sb.len, "/Outlines", 9));
	assert_non_null(memmem(s.sb.buf, s.sb.len, "/CreationDate", 13));
	const char *out = getenv("PDF_SAMPLE");
	if (out) {
		FILE *f = fopen(out, "wb");
		if (f) {
			fwrite(s.sb.buf, 1, s.sb.len, f);
			fclose(f);
		}
	}
	sb_free(&s.sb);
}

static void test_writer_failure_is_reported(void **state)
{
	struct sink s = {.fail_after = 3000};
	sb_init(&s.sb, 64 << 20);
	struct pdf_meta m = {.title = "t", .org = "o", .user = "u", .url = "x", .generated_at = 1};
	struct pdf_result res;
	int rows = 200;
	assert_int_equal(pdf_render(&m, body, &rows, sink_write, &s, &res), SIRT_EIO);
	assert_true(res.why[0] != '\0');
	sb_free(&s.sb);
}

static int failing_body(struct pdf *p, void *arg)
{
	pdf_text(p, "x");
	return SIRT_EDB;
}

static void test_body_failure_aborts(void **state)
{
	struct sink s = {0};
	sb_init(&s.sb, 1 << 20);
	struct pdf_meta m = {.title = "t", .generated_at = 1};
	struct pdf_result res;
	assert_int_equal(pdf_render(&m, failing_body, NULL, sink_write, &s, &res), SIRT_EDB);
	sb_free(&s.sb);
}

static void test_fonts_present(void **state)
{
	bool missing_cjk = true;
	char why[256];
	assert_int_equal(pdf_fonts_check(&missing_cjk, why, sizeof(why)), 0);
}

static void test_escape(void **state)
{
	char *e = pdf_escape("<b>&'\"");
	assert_string_equal(e, "&lt;b&gt;&amp;&apos;&quot;");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_counts_pages),
		cmocka_unit_test(test_writer_failure_is_reported),
		cmocka_unit_test(test_body_failure_aborts),
		cmocka_unit_test(test_fonts_present),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
