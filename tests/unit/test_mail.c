#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "notify/mail.h"

static const struct mail_addr to1[] = {{NULL, "soc@example.com"}};

static int build(const char *from_name, const char *subject, const char *body,
		 struct strbuf *out, const char **why)
{
	struct mail_msg m = {.from = {from_name, "sirt@example.com"}, .to = to1, .nto = 1,
			     .subject = subject, .body = body, .date = 1767225600,
			     .idem_key = "k1", .event = "incident.created"};
	sb_init(out, 1 << 20);
	return mail_build(&m, out, why);
}

static void test_headers_and_date(void **state)
{
	struct strbuf b;
	const char *why = NULL;
	assert_int_equal(build("sirt", "Plain subject", "hello\n", &b, &why), 0);
	const char *s = sb_str(&b);
	assert_non_null(strstr(s, "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"));
	assert_non_null(strstr(s, "From: \"sirt\" <sirt@example.com>\r\n"));
	assert_non_null(strstr(s, "To: soc@example.com\r\n"));
	assert_non_null(strstr(s, "Subject: Plain subject\r\n"));
	assert_non_null(strstr(s, "Message-ID: <"));
	assert_non_null(strstr(s, "@example.com>\r\n"));
	assert_non_null(strstr(s, "X-Sirt-Idempotency-Key: k1\r\n"));
	assert_non_null(strstr(s, "\r\n\r\nhello\r\n"));
	/* no bare LF anywhere */
	for (const char *p = s; *p; p++)
		if (*p == '\n')
			assert_true(p > s && p[-1] == '\r');
	sb_free(&b);
}

static void test_injection_refused(void **state)
{
	struct strbuf b;
	const char *why = NULL;
	assert_int_equal(build("sirt", "Hi\r\nBcc: x@example.org", "", &b, &why), SIRT_EINVAL);
	sb_free(&b);
	assert_int_equal(build("sirt", "Hi\nthere", "", &b, &why), SIRT_EINVAL);
	sb_free(&b);
	assert_int_equal(build("a\rb", "Hi", "", &b, &why), SIRT_EINVAL);
	sb_free(&b);
	assert_int_equal(build("sirt", "tab\there", "", &b, &why), SIRT_EINVAL);
	sb_free(&b);
	assert_int_equal(build("sirt", "bad \xff utf8", "", &b, &why), SIRT_EINVAL);
	sb_free(&b);
	struct mail_addr a;
	char m1[] = "x <a@example.com>\r\nBcc: b@example.com";
	assert_int_equal(mail_parse_mailbox(m1, &a), SIRT_EINVAL);
	char m2[] = "\"Équipe\" <a@example.com>";
	assert_int_equal(mail_parse_mailbox(m2, &a), 0);
	assert_string_equal(a.name, "Équipe");
	assert_string_equal(a.addr, "a@example.com");
}

static void test_encoded_words(void **state)
{
	struct strbuf b;
	const char *why = NULL;
	assert_int_equal(build("Équipe sécurité", "Sécurité", "x", &b, &why), 0);
	const char *s = sb_str(&b);
	assert_non_null(strstr(s, "From: =?UTF-8?B?w4lxdWlwZSBzw6ljdXJpdMOp?= <sirt@example.com>"));
	assert_non_null(strstr(s, "Subject: =?UTF-8?B?"));
	sb_free(&b);
	/* a long subject: several words, each at most 75 characters, folded */
	char subj[400];
	for (int i = 0; i < 60; i++)
		memcpy(subj + 2 * i, "\xc3\xa9", 2); /* é */
	subj[120] = '\0';
	assert_int_equal(build(NULL, subj, "x", &b, &why), 0);
	s = sb_str(&b);
	const char *h = strstr(s, "Subject: ");
	const char *end = strstr(h, "\r\nMessage-ID");
	int words = 0;
	for (const char *p = h + 9; p < end;) {
		const char *w = strstr(p, "=?UTF-8?B?");
		if (!w || w > end)
			break;
		const char *we = strstr(w + 10, "?=");
		assert_true(we - w + 2 <= 75);
		words++;
		p = we + 2;
	}
	assert_true(words >= 2);
	/* "=?" in an ASCII subject is encoded too, so it cannot be misread */
	sb_free(&b);
	assert_int_equal(build(NULL, "a =?x?= b", "x", &b, &why), 0);
	assert_null(strstr(sb_str(&b), "Subject: a =?x?= b"));
	sb_free(&b);
}

static void test_quoted_printable(void **state)
{
	struct strbuf b;
	sb_init(&b, 0);
	mail_qp_encode(&b, ".\nfin = sûr \nx");
	assert_string_equal(sb_str(&b), "=2E\r\nfin =3D s=C3=BBr=20\r\nx\r\n");
	sb_reset(&b);
	char longline[301];
	memset(longline, 'a', 300);
	longline[300] = '\0';
	mail_qp_encode(&b, longline);
	const char *p = sb_str(&b);
	while (*p) {
		const char *e = strstr(p, "\r\n");
		assert_non_null(e);
		assert_true(e - p <= 76);
		p = e + 2;
	}
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_date),
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_quoted_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
