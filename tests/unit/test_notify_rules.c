/* The template substitution of src/notify/rules.c: placeholders, escaping
 * per channel kind, unknown names, malformed braces, UTF-8 safe cuts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "notify/rules.h"

static json_t *vars(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", "INC-2026-0007", "title",
			 "Ransomware <b>\"x\"</b>\r\nBcc: evil@example.com", "severity", "critical",
			 "description", "line 1\nline 2\t\x01" "end", "empty", "");
}

static char *render(const char *t, enum notify_esc esc)
{
	json_t *v = vars();
	struct strbuf sb;
	sb_init(&sb, 1 << 20);
	notify_render(t, v, esc, &sb);
	json_decref(v);
	return sb_steal(&sb, NULL);
}

static void test_placeholders(void **state)
{
	char *s = render("[{{severity}}] {{incident.key}} / {{ incident_key }}: ok", NOTIFY_ESC_TEXT);
	assert_string_equal(s, "[critical] INC-2026-0007 / INC-2026-0007: ok");
	free(s);
	s = render("{{bridge}} {{empty}}", NOTIFY_ESC_TEXT);
	assert_string_equal(s, "(not set) (not set)");
	free(s);
	/* malformed: left as written */
	s = render("a {{ b c", NOTIFY_ESC_TEXT);
	assert_string_equal(s, "a {{ b c");
	free(s);
	s = render("{{na-me}} {{}}", NOTIFY_ESC_TEXT);
	assert_string_equal(s, "{{na-me}} {{}}");
	free(s);
}

static void test_escaping(void **state)
{
	/* a subject stays on one line: no header injection through a value */
	char *s = render("{{title}}", NOTIFY_ESC_LINE);
	assert_null(strchr(s, '\n'));
	assert_null(strchr(s, '\r'));
	assert_string_equal(s, "Ransomware <b>\"x\"</b>  Bcc: evil@example.com");
	free(s);
	/* text keeps newlines and tabs, drops other control characters, never
	 * turns anything into markup */
	s = render("{{description}}", NOTIFY_ESC_TEXT);
	assert_string_equal(s, "line 1\nline 2\tend");
	free(s);
	/* JSON: the value is encoded for a JSON string */
	s = render("{\"t\": \"{{title}}\"}", NOTIFY_ESC_JSON);
	json_t *o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "t")),
			    "Ransomware <b>\"x\"</b>\r\nBcc: evil@example.com");
	json_decref(o);
	free(s);
}

static void test_utf8_cut(void **state)
{
	char s[] = "ab\xc3\xa9\xc3\xa9"; /* abéé */
	notify_utf8_cut(s, 3);          /* would split the first é */
	assert_string_equal(s, "ab");
	char t[] = "ab\xc3\xa9";
	notify_utf8_cut(t, 4);
	assert_string_equal(t, "ab\xc3\xa9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_utf8_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
