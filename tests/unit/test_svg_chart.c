/* Unit tests for src/web/svg_chart.c: charts, their accessibility parts,
 * escaping of hostile labels, and validity (tidy) of a page holding them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "web/svg_chart.h"

static const char *const months[] = {"2025-04", "2025-05", "2025-06", "2025-07"};
static const double crit[] = {1, 0, 2, 0}, high[] = {3, 1, 0, 0}, low[] = {0, 0, 5, 0};

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void balanced(const char *s)
{
	static const char *const tags[] = {"figure", "svg", "title", "g", "text", "details",
					   "table", "tr", "ul", "li", "figcaption", "summary"};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		char open1[32], open2[32], close[32];
		snprintf(open1, sizeof(open1), "<%s>", tags[i]);
		snprintf(open2, sizeof(open2), "<%s ", tags[i]);
		snprintf(close, sizeof(close), "</%s>", tags[i]);
		assert_int_equal(count(s, open1) + count(s, open2), count(s, close));
	}
}

static struct strbuf page;

static void keep(const char *html)
{
	sb_puts(&page, html);
}

static void test_step(void **state)
{
	assert_true(svg_chart_step(7, 5) == 2);
	assert_true(svg_chart_step(10, 5) == 2);
	assert_true(svg_chart_step(11, 5) == 5);
	assert_true(svg_chart_step(100, 5) == 20);
	assert_true(fabs(svg_chart_step(0.3, 5) - 0.1) < 1e-12);
	assert_true(svg_chart_step(0, 5) == 1);
	assert_true(svg_chart_step(NAN, 5) == 1);
}

static void test_bar(void **state)
{
	struct chart_series s[] = {{"Critical", "#a4161a", crit}, {"High", NULL, high}, {"Low", "#1f6f43", low}};
	struct chart c = {.title = "Incidents per month", .desc = "Stacked by severity",
			  .unit = "incidents", .cat_heading = "Month", .ncats = 4, .cats = months,
			  .nseries = 3, .series = s};
	struct strbuf sb;
	sb_init(&sb, 0);
	assert_int_equal(svg_bar_chart(&sb, &c), 0);
	const char *o = sb_str(&sb);
	assert_non_null(strstr(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));
	assert_non_null(strstr(o, "<title>Incidents per month</title>"));
	assert_non_null(strstr(o, "<desc>Stacked by severity</desc>"));
	/* a rect per non-zero value, each with its value as a tooltip */
	assert_int_equal(count(o, "stroke=\"#ffffff\" stroke-width=\"1\">"), 5);
	assert_non_null(strstr(o, "<title>2025-06 · Low: 5 incidents</title>"));
	/* totals above the bars: 4, 1, 7; nothing above the empty month */
	assert_non_null(strstr(o, ">7</text>"));
	/* the legend names every series in words */
	assert_non_null(strstr(o, "class=\"chart-legend\""));
	assert_non_null(strstr(o, "</svg> High</li>"));
	/* the data table */
	assert_non_null(strstr(o, "<th scope=\"row\">2025-04</th><td class=\"num\">1</td><td class=\"num\">3</td><td class=\"num\">0</td>"));
	assert_non_null(strstr(o, "fill=\"#a4161a\""));
	balanced(o);
	keep(o);
	sb_free(&sb);
}

static void test_line_gaps(void **state)
{
	const double mtta[] = {1.5, NAN, 2.25, 4};
	const double mttr[] = {NAN, NAN, NAN, NAN};
	struct chart_series s[] = {{"MTTA", NULL, mtta}, {"MTTR", NULL, mttr}};
	struct chart c = {.title = "Time to acknowledge and resolve", .unit = "hours",
			  .cat_heading = "Month", .decimals = 1, .ncats = 4, .cats = months,
			  .nseries = 2, .series = s};
	struct strbuf sb;
	sb_init(&sb, 0);
	assert_int_equal(svg_line_chart(&sb, &c), 0);
	const char *o = sb_str(&sb);
	/* the missing month breaks the line: two moves, one line segment */
	const char *d = strstr(o, "<path d=\"M");
	assert_non_null(d);
	const char *end = strchr(d + 9, '"');
	int moves = 0, lines = 0;
	for (const char *p = d + 9; p < end; p++) {
		moves += *p == 'M';
		lines += *p == 'L';
	}
	assert_int_equal(moves, 2);
	assert_int_equal(lines, 1);
	/* an all-missing series draws nothing but stays in the legend and table */
	assert_int_equal(count(o, "stroke-dasharray=\"7 4\""), 1); /* legend swatch only */
	assert_non_null(strstr(o, "<td class=\"num\">2.3</td>") ? strstr(o, "<td class=\"num\">2.3</td>")
								 : strstr(o, "<td class=\"num\">2.2</td>"));
	assert_non_null(strstr(o, "<td class=\"num\">—</td>"));
	assert_non_null(strstr(o, "<title>2025-04 · MTTA: 1.5 hours</title>"));
	balanced(o);
	keep(o);
	sb_free(&sb);
}

static void test_hostile(void **state)
{
	static const char *const cats[] = {"<img src=x onerror=alert(1)>", "\"'&<>",
					   "a very long status label that goes on and on and ønward"};
	const double v[] = {3, 0, 1};
	struct chart_series s[] = {{"</title><script>alert(1)</script>",
				    "\"/><script>alert(2)</script>", v}};
	struct chart c = {.title = "</title></svg><script>alert(3)</script>",
			  .desc = "<b>x</b>", .unit = "<i>u</i>", .cat_heading = "</th>",
			  .ncats = 3, .cats = cats, .nseries = 1, .series = s};
	for (int kind = 0; kind < 3; kind++) {
		struct strbuf sb;
		sb_init(&sb, 0);
		int rc = kind == 0 ? svg_bar_chart(&sb, &c)
			 : kind == 1 ? svg_line_chart(&sb, &c)
				     : svg_hbar_chart(&sb, &c);
		assert_int_equal(rc, 0);
		const char *o = sb_str(&sb);
		assert_null(strstr(o, "<script"));
		assert_null(strstr(o, "<img"));
		assert_null(strstr(o, "<b>"));
		assert_null(strstr(o, "<i>"));
		assert_null(strstr(o, "</th></th>"));
		assert_non_null(strstr(o, "&lt;img src=x onerror=alert(1)&gt;"));
		assert_non_null(strstr(o, "&lt;/title&gt;&lt;/svg&gt;&lt;script&gt;"));
		/* a colour that is not #rrggbb is replaced by the palette's */
		assert_null(strstr(o, "alert(2)"));
		balanced(o);
		keep(o);
		sb_free(&sb);
	}
}

static void test_hbar(void **state)
{
	static const char *const cats[] = {"New", "Triage", "Containment"};
	const double v[] = {4, 0, 12};
	struct chart_series s[] = {{"Open incidents", NULL, v}};
	struct chart c = {.title = "Open incidents by status", .unit = "incidents",
			  .cat_heading = "Status", .ncats = 3, .cats = cats, .nseries = 1, .series = s};
	struct strbuf sb;
	sb_init(&sb, 0);
	assert_int_equal(svg_hbar_chart(&sb, &c), 0);
	const char *o = sb_str(&sb);
	assert_non_null(strstr(o, ">Containment</text>"));
	assert_non_null(strstr(o, ">12</text>"));
	assert_non_null(strstr(o, "<title>Triage · Open incidents: 0 incidents</title>"));
	/* one series: no legend, the labels say it all */
	assert_null(strstr(o, "chart-legend"));
	balanced(o);
	keep(o);
	sb_free(&sb);
}

static void test_invalid(void **state)
{
	struct chart_series s[] = {{"x", NULL, crit}};
	struct chart c = {.title = "t", .ncats = 4, .cats = months, .nseries = 1, .series = s};
	struct strbuf sb;
	sb_init(&sb, 0);
	struct chart bad = c;
	bad.title = NULL;
	assert_int_equal(svg_bar_chart(&sb, &bad), SIRT_EINVAL);
	bad = c;
	bad.ncats = 0;
	assert_int_equal(svg_line_chart(&sb, &bad), SIRT_EINVAL);
	bad = c;
	bad.ncats = CHART_MAX_CATS + 1;
	assert_int_equal(svg_hbar_chart(&sb, &bad), SIRT_EINVAL);
	bad = c;
	bad.nseries = CHART_MAX_SERIES + 1;
	assert_int_equal(svg_bar_chart(&sb, &bad), SIRT_EINVAL);
	bad = c;
	bad.decimals = 9;
	assert_int_equal(svg_bar_chart(&sb, &bad), SIRT_EINVAL);
	assert_int_equal(sb.len, 0);
	/* a ceiling hit is reported */
	struct strbuf tiny;
	sb_init(&tiny, 100);
	assert_int_not_equal(svg_bar_chart(&tiny, &c), 0);
	sb_free(&tiny);
	/* all zero: an axis from 0 to 5, no bars */
	const double zero[] = {0, 0, 0, 0};
	struct chart_series z[] = {{"x", NULL, zero}};
	c.series = z;
	assert_int_equal(svg_bar_chart(&sb, &c), 0);
	assert_int_equal(count(sb_str(&sb), "stroke=\"#ffffff\" stroke-width=\"1\">"), 0);
	assert_non_null(strstr(sb_str(&sb), ">5</text>"));
	sb_free(&sb);
}

/* Every chart above, in one page, passes the HTML validator the templates use. */
static void test_tidy(void **state)
{
	if (access("tests/web/validate-templates.sh", R_OK) != 0 || system("command -v tidy >/dev/null") != 0)
		skip();
	mkdir("build", 0755);
	mkdir("build/web-pages", 0755);
	FILE *f = fopen("build/web-pages/svg-charts.html", "w");
	assert_non_null(f);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>charts</title></head>\n<body>\n%s</body></html>\n",
		sb_str(&page));
	fclose(f);
	assert_int_equal(system("sh tests/web/validate-templates.sh build/web-pages/svg-charts.html"), 0);
}

int main(void)
{
	sb_init(&page, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step),    cmocka_unit_test(test_bar),
		cmocka_unit_test(test_line_gaps), cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hbar),    cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_tidy),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sb_free(&page);
	return rc;
}
