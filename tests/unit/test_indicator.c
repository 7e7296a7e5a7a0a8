#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/indicator.h"

/* Asserts that value normalises to want. */
static void ok(const char *type, const char *value, const char *want)
{
	struct strbuf why;
	char *out = NULL;
	sb_init(&why, 0);
	int rc = indicator_normalise(type, value, &out, &why);
	if (rc != 0)
		fail_msg("%s '%s' rejected: %s", type, value, sb_str(&why));
	if (strcmp(out, want) != 0)
		fail_msg("%s '%s' gave '%s', want '%s'", type, value, out, want);
	free(out);
	sb_free(&why);
}

/* Asserts that value is rejected with a message containing want_msg. */
static void bad(const char *type, const char *value, const char *want_msg)
{
	struct strbuf why;
	char *out = (char *)"x";
	sb_init(&why, 0);
	int rc = indicator_normalise(type, value, &out, &why);
	if (rc != SIRT_EINVAL)
		fail_msg("%s '%s' accepted as '%s'", type, value ? value : "(null)", out);
	assert_null(out);
	if (!strstr(sb_str(&why), want_msg))
		fail_msg("%s '%s': message '%s' lacks '%s'", type, value ? value : "(null)",
			 sb_str(&why), want_msg);
	sb_free(&why);
}

static void test_types(void **state)
{
	int n = 0;
	for (; indicator_types[n]; n++)
		assert_true(indicator_type_valid(indicator_types[n]));
	assert_int_equal(n, 10);
	assert_false(indicator_type_valid("hash"));
	assert_false(indicator_type_valid("IP"));
	assert_false(indicator_type_valid(NULL));
	bad("hash", "abc", "unknown indicator type 'hash'");
	bad("ip", NULL, "value is required");
	bad("ip", "   ", "value is empty");
}

static void test_ip(void **state)
{
	ok("ip", "192.0.2.1", "192.0.2.1");
	ok("ip", "  192.0.2.1\n", "192.0.2.1");
	ok("ip", "192[.]0[.]2[.]1", "192.0.2.1");
	ok("ip", "2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	ok("ip", "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329");
	ok("ip", "::1", "::1");
	ok("ip", "::ffff:192.0.2.1", "::ffff:192.0.2.1");
	bad("ip", "256.1.1.1", "is not an IPv4 or IPv6 address");
	bad("ip", "1.2.3", "is not an IPv4 or IPv6 address");
	bad("ip", "010.1.1.1", "is not an IPv4 or IPv6 address");
	bad("ip", "1.2.3.4.5", "not an IPv4");
	bad("ip", "example.com", "not an IPv4");
	bad("ip", "2001:db8::1::2", "not an IPv4");
	bad("ip", "fe80::1%eth0", "zone identifiers");
	bad("ip", "10.0.0.0/8", "use type cidr");
}

static void test_cidr(void **state)
{
	ok("cidr", "10.0.0.0/8", "10.0.0.0/8");
	ok("cidr", "192.0.2.0/24", "192.0.2.0/24");
	ok("cidr", "192.0.2.7/32", "192.0.2.7/32");
	ok("cidr", "0.0.0.0/0", "0.0.0.0/0");
	ok("cidr", "2001:DB8::/32", "2001:db8::/32");
	ok("cidr", "2001:db8:0:0:8000::/65", "2001:db8:0:0:8000::/65");
	bad("cidr", "10.0.0.1/8", "host bits are set; did you mean 10.0.0.0/8?");
	bad("cidr", "10.1.0.0/15", "did you mean 10.0.0.0/15?");
	bad("cidr", "2001:db8::1/64", "did you mean 2001:db8::/64?");
	bad("cidr", "10.0.0.0", "has no '/prefix'");
	bad("cidr", "10.0.0.0/33", "from 0 to 32");
	bad("cidr", "2001:db8::/129", "from 0 to 128");
	bad("cidr", "10.0.0.0/08", "from 0 to 32");
	bad("cidr", "10.0.0.0/", "from 0 to 32");
	bad("cidr", "10.0.0.0/x", "from 0 to 32");
	bad("cidr", "10.0.0/8", "not an IPv4 or IPv6 address");
}

static void test_domain(void **state)
{
	ok("domain", "Example.COM", "example.com");
	ok("domain", "example.com.", "example.com");
	ok("domain", "evil[.]example[.]org", "evil.example.org");
	ok("domain", "xn--bcher-kva.example", "xn--bcher-kva.example");
	ok("domain", "a_b.example.com", "a_b.example.com");
	ok("domain", "123.example.com", "123.example.com");
	bad("domain", "bücher.example", "non-ASCII");
	bad("domain", "localhost", "at least two labels");
	bad("domain", "example..com", "empty label");
	bad("domain", ".example.com", "empty label");
	bad("domain", "-bad.example.com", "label '-bad' starts or ends with a hyphen");
	bad("domain", "bad-.example.com", "starts or ends with a hyphen");
	bad("domain", "exa mple.com", "domain contains a space");
	bad("domain", "ex!ample.com", "invalid character '!'");
	bad("domain", "192.0.2.1", "all digits");
	bad("domain", "example.c_m", "last label contains '_'");
	char label[70];
	memset(label, 'a', 64);
	memcpy(label + 64, ".com", 5);
	bad("domain", label, "longer than 63");
	char longd[300];
	size_t p = 0;
	while (p < 260) {
		memcpy(longd + p, "abcdefghi.", 10);
		p += 10;
	}
	memcpy(longd + p, "com", 4);
	bad("domain", longd, "longer than 253");
	/* exactly 253 is fine: 63+1+63+1+63+1+61 */
	char max[254];
	memset(max, 'a', 253);
	max[63] = max[127] = max[191] = '.';
	max[253] = '\0';
	ok("domain", max, max);
}

static void test_url(void **state)
{
	ok("url", "http://example.com", "http://example.com");
	ok("url", "HTTPS://Example.COM/Path?Q=A#F", "https://example.com/Path?Q=A#F");
	ok("url", "hxxp://evil[.]example[.]com/x", "http://evil.example.com/x");
	ok("url", "hxxps://evil.example.com", "https://evil.example.com");
	ok("url", "ftp://192.0.2.1:021/file", "ftp://192.0.2.1:21/file");
	ok("url", "http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a");
	ok("url", "http://[::1]/", "http://[::1]/");
	ok("url", "http://user:pw@Host.example/login", "http://user:pw@host.example/login");
	ok("url", "http://paypal.com@evil.example/", "http://paypal.com@evil.example/");
	ok("url", "https://example.com/caf\xc3\xa9", "https://example.com/caf\xc3\xa9");
	ok("url", "https://example.com.:443/", "https://example.com:443/");
	bad("url", "example.com/x", "no scheme");
	bad("url", "javascript://alert(1)", "scheme 'javascript' is not http");
	bad("url", "file:///etc/passwd", "scheme 'file'");
	bad("url", "http:///path", "no host");
	bad("url", "http://", "no host");
	bad("url", "http://exa mple.com/", "url: host: domain contains a space");
	bad("url", "http://example.com/a b", "space or control character at position 21");
	bad("url", "http://example.com:0/", "port must be");
	bad("url", "http://example.com:65536/", "port must be");
	bad("url", "http://example.com:/", "port must be");
	bad("url", "http://example.com:8o/", "port must be");
	bad("url", "http://[2001:db8::1/", "without ']'");
	bad("url", "http://[2001:db8::zz]/", "not an IPv6 address");
	bad("url", "http://[::1]x/", "unexpected text");
	bad("url", "http://example.com/\xff", "not valid UTF-8");
	bad("url", "http://1234/", "at least two labels");
	bad("url", "http://10.1.1/", "all digits");
	char big[INDICATOR_URL_MAX + 20];
	memcpy(big, "http://example.com/", 19);
	memset(big + 19, 'a', sizeof(big) - 20);
	big[sizeof(big) - 1] = '\0';
	bad("url", big, "longer than 2048");
}

static void test_email(void **state)
{
	ok("email", "Alice.Smith@Example.COM", "Alice.Smith@example.com");
	ok("email", "phish[@]evil[.]example", "phish@evil.example");
	bad("email", "alice", "no '@'");
	bad("email", "a@b@example.com", "more than one '@'");
	bad("email", "alice@localhost", "at least two labels");
	bad("email", "al ice@example.com", "space");
}

static void test_hashes(void **state)
{
	ok("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e");
	ok("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	   "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	ok("sha256", " E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 ",
	   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	bad("md5", "d41d8cd98f00b204e9800998ecf8427", "must be 32 hexadecimal digits, got 31");
	bad("md5", "d41d8cd98f00b204e9800998ecf8427e0", "got 33");
	bad("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd8070g",
	    "character 40 is not a hexadecimal digit");
	bad("sha256", "d41d8cd98f00b204e9800998ecf8427e", "must be 64 hexadecimal digits, got 32");
	bad("sha256", "0x12", "character 2 is not a hexadecimal digit");
}

static void test_file_name_account(void **state)
{
	ok("file_name", "invoice.pdf.exe", "invoice.pdf.exe");
	ok("file_name", " r\xc3\xa9sum\xc3\xa9 2026.docm ", "r\xc3\xa9sum\xc3\xa9 2026.docm");
	bad("file_name", "C:\\Users\\x\\evil.exe", "no directory part");
	bad("file_name", "/tmp/evil", "no directory part");
	bad("file_name", "..", "is not a file name");
	bad("file_name", "a\x01b", "control character at position 2");
	bad("file_name", "\xc3\x28", "not valid UTF-8");
	char longn[300];
	memset(longn, 'a', 256);
	longn[256] = '\0';
	bad("file_name", longn, "longer than 255 bytes");
	ok("account", "CORP\\alice", "CORP\\alice");
	ok("account", "alice@tenant.onmicrosoft.com", "alice@tenant.onmicrosoft.com");
	ok("account", "S-1-5-21-1004336348-1177238915-682003330-512",
	   "S-1-5-21-1004336348-1177238915-682003330-512");
	bad("account", "bob\tsmith", "control character");
	memset(longn, 'a', 257);
	longn[257] = '\0';
	bad("account", longn, "longer than 256 bytes");
	char huge[INDICATOR_VALUE_MAX + 2];
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	bad("account", huge, "longer than 4096 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_file_name_account),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
