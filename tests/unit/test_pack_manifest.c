#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>
#include <zip.h>

#include "export/pack.h"
#include "export/pack_int.h"
#include "util/xalloc.h"

static char tmpdir[256];

static int setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sirt-pack-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_key_created_0600_and_reloaded(void **state)
{
	char *path = xasprintf("%s/key", tmpdir);
	struct pack_key a, b;
	char err[512];
	assert_int_equal(pack_key_load(path, false, &a, err, sizeof(err)), SIRT_EIO);
	assert_int_equal(pack_key_load(path, true, &a, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pack_key_load(path, false, &b, err, sizeof(err)), 0);
	assert_memory_equal(a.pk, b.pk, 32);
	chmod(path, 0644);
	assert_int_equal(pack_key_load(path, false, &b, err, sizeof(err)), SIRT_EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(path, 0600);
	FILE *f = fopen(path, "w");
	fputs("something else\n", f);
	fclose(f);
	assert_int_equal(pack_key_load(path, false, &b, err, sizeof(err)), SIRT_EINVAL);
	free(path);
}

static void test_key_path_precedence(void **state)
{
	unsetenv("SIRT_EVIDENCE_KEY");
	char *p = pack_key_path(NULL, "/var/lib/sirt");
	assert_string_equal(p, "/var/lib/sirt/" PACK_KEY_FILE);
	free(p);
	setenv("SIRT_EVIDENCE_KEY", "/etc/sirt/k", 1);
	p = pack_key_path(NULL, "/var/lib/sirt");
	assert_string_equal(p, "/etc/sirt/k");
	free(p);
	p = pack_key_path("/x/y", "/var/lib/sirt");
	assert_string_equal(p, "/x/y");
	free(p);
	unsetenv("SIRT_EVIDENCE_KEY");
}

static void test_sign_and_verify(void **state)
{
	char *path = xasprintf("%s/key2", tmpdir);
	struct pack_key k;
	char err[512], sig[129];
	assert_int_equal(pack_key_load(path, true, &k, err, sizeof(err)), 0);
	const char msg[] = "{\"files\": []}";
	pack_sign(&k, msg, strlen(msg), sig);
	assert_int_equal(strlen(sig), 128);
	assert_true(pack_sig_valid(k.pk, msg, strlen(msg), sig));
	assert_false(pack_sig_valid(k.pk, "{\"files\": [1]}", 14, sig));
	sig[0] = sig[0] == 'a' ? 'b' : 'a';
	assert_false(pack_sig_valid(k.pk, msg, strlen(msg), sig));
	assert_false(pack_sig_valid(k.pk, msg, strlen(msg), "short"));
	unsigned char pk[32];
	char hex[65];
	pack_hex(k.pk, 32, hex);
	assert_int_equal(pack_public_key_parse(hex, pk, err, sizeof(err)), 0);
	assert_memory_equal(pk, k.pk, 32);
	assert_int_equal(pack_public_key_parse("zz", pk, err, sizeof(err)), SIRT_EINVAL);
	free(path);
}

static void test_manifest_fields(void **state)
{
	struct pack_file files[] = {{.path = "index.html", .sha256 = "ab", .size = 3}};
	unsigned char pk[32] = {1};
	struct pack_info info = {.generator = "sirt 1", .instance_url = "https://x", .generated_by = "u",
				 .generated_at = 0, .organisation = "Acme", .from = 0, .to = 86399,
				 .framework = "soc2"};
	json_t *m = pack_manifest_json(&info, files, 1, pk);
	assert_string_equal(json_string_value(json_object_get(m, "format")), PACK_FORMAT);
	assert_string_equal(json_string_value(json_object_get(m, "instance_url")), "https://x");
	assert_string_equal(json_string_value(json_object_get(m, "generated_at")), "1970-01-01T00:00:00Z");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(m, "period"), "to")),
		"1970-01-01T23:59:59Z");
	json_t *f0 = json_array_get(json_object_get(m, "files"), 0);
	assert_string_equal(json_string_value(json_object_get(f0, "path")), "index.html");
	assert_int_equal(json_integer_value(json_object_get(f0, "size")), 3);
	const char *pkhex = json_string_value(
		json_object_get(json_object_get(m, "signature"), "public_key"));
	assert_int_equal(strlen(pkhex), 64);
	assert_memory_equal(pkhex, "01000000", 8);
	json_decref(m);
}

static void test_csv_field_neutralises_formulas(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 4096);
	pack_csv_field(&sb, "plain", false);
	pack_csv_field(&sb, "a,b", false);
	pack_csv_field(&sb, "say \"hi\"", false);
	pack_csv_field(&sb, "=SUM(A1)", false);
	pack_csv_field(&sb, "-1", false);
	pack_csv_field(&sb, "@cmd", false);
	pack_csv_field(&sb, "line\nbreak", true);
	assert_string_equal(sb_str(&sb), "plain,\"a,b\",\"say \"\"hi\"\"\",\"'=SUM(A1)\",\"'-1\","
					 "\"'@cmd\",\"line\nbreak\"\r\n");
	sb_free(&sb);
}

static void test_period_parsing(void **state)
{
	int64_t f, t;
	char why[256];
	assert_int_equal(pack_parse_period("2026-01-01", "2026-03-31", &f, &t, why, sizeof(why)), 0);
	assert_int_equal(t - f, 90 * 86400 - 1);
	assert_int_equal(pack_parse_period("2026-03-31", "2026-01-01", &f, &t, why, sizeof(why)),
			 SIRT_EINVAL);
	assert_non_null(strstr(why, "after"));
	assert_int_equal(pack_parse_period("2026-02-30", "2026-03-01", &f, &t, why, sizeof(why)),
			 SIRT_EINVAL);
	assert_int_equal(pack_parse_period(NULL, "2026-03-01", &f, &t, why, sizeof(why)),
			 SIRT_EINVAL);
	assert_int_equal(pack_parse_period("2026-01-01T00:00:00Z", "2026-01-01", &f, &t, why,
					   sizeof(why)),
			 0);
	assert_true(pack_framework_valid("iso27001"));
	assert_false(pack_framework_valid("pci"));
}

/* A pack written with pack_out, signed, then verified, tampered and verified again. */
static void test_out_verify_and_tamper(void **state)
{
	char *zpath = xasprintf("%s/p.zip", tmpdir);
	char *kpath = xasprintf("%s/key3", tmpdir);
	char err[512];
	struct pack_key k;
	assert_int_equal(pack_key_load(kpath, true, &k, err, sizeof(err)), 0);
	struct pack_out *o;
	assert_int_equal(pack_out_open(zpath, &o, err, sizeof(err)), 0);
	assert_int_equal(pack_out_put(o, "a/one.txt", "one\n", 4), 0);
	struct pack_member *m;
	assert_int_equal(pack_member_open(o, "b/two.csv", &m), 0);
	assert_int_equal(pack_member_printf(m, "%s,%d\r\n", "x", 2), 0);
	assert_int_equal(pack_member_close(m), 0);
	assert_int_equal(pack_member_open(o, "../escape", &m), SIRT_EINVAL);
	assert_true(pack_out_has(o, "a/one.txt"));
	size_t n;
	const struct pack_file *files = pack_out_files(o, &n);
	assert_int_equal(n, 2);
	/* sha256("one\n") */
	assert_string_equal(files[0].sha256,
			    "2c8b08da5ce60398e1f19af0e5dccc744df274b826abe585eaba68c525434806");
	struct pack_info info = {.generator = "t", .framework = "all"};
	json_t *man = pack_manifest_json(&info, files, n, k.pk);
	char *text = json_dumps(man, JSON_INDENT(2));
	json_decref(man);
	char sig[129];
	pack_sign(&k, text, strlen(text), sig);
	assert_int_equal(pack_out_put(o, PACK_MANIFEST, text, strlen(text)), 0);
	assert_int_equal(pack_out_put(o, PACK_SIGNATURE, sig, 128), 0);
	free(text);
	int64_t size;
	char sha[65], why[512];
	assert_int_equal(pack_out_finish(o, 0, &size, sha, why, sizeof(why)), 0);
	assert_true(size > 0);

	struct pack_verify_report r;
	assert_int_equal(pack_verify_zip(zpath, k.pk, &r, err, sizeof(err)), 0);
	assert_true(r.ok);
	assert_true(r.signature_ok && r.key_trusted);
	assert_int_equal(r.files_checked, 2);
	pack_verify_report_free(&r);

	/* change one member, add another */
	int zerr;
	zip_t *z = zip_open(zpath, 0, &zerr);
	assert_non_null(z);
	zip_source_t *s = zip_source_buffer(z, "two,3\r\n", 7, 0);
	assert_true(zip_file_add(z, "b/two.csv", s, ZIP_FL_OVERWRITE) >= 0);
	s = zip_source_buffer(z, "x", 1, 0);
	assert_true(zip_file_add(z, "c/new.txt", s, 0) >= 0);
	assert_int_equal(zip_close(z), 0);
	assert_int_equal(pack_verify_zip(zpath, NULL, &r, err, sizeof(err)), 0);
	assert_false(r.ok);
	assert_true(r.signature_ok);
	assert_int_equal(json_array_size(r.problems), 2);
	json_t *p0 = json_array_get(r.problems, 0), *p1 = json_array_get(r.problems, 1);
	assert_string_equal(json_string_value(json_object_get(p0, "path")), "b/two.csv");
	assert_string_equal(json_string_value(json_object_get(p0, "problem")), "changed");
	assert_string_equal(json_string_value(json_object_get(p1, "path")), "c/new.txt");
	assert_string_equal(json_string_value(json_object_get(p1, "problem")), "added");
	pack_verify_report_free(&r);

	/* another key */
	unsigned char other[32] = {9};
	assert_int_equal(pack_verify_zip(zpath, other, &r, err, sizeof(err)), 0);
	assert_false(r.ok);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r.problems, 0), "problem")),
			    "wrong_signer");
	pack_verify_report_free(&r);
	free(zpath);
	free(kpath);
}

static void test_abort_leaves_nothing(void **state)
{
	char *zpath = xasprintf("%s/q.zip", tmpdir);
	char err[512];
	struct pack_out *o;
	assert_int_equal(pack_out_open(zpath, &o, err, sizeof(err)), 0);
	assert_int_equal(pack_out_put(o, "a.txt", "a", 1), 0);
	pack_out_abort(o);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "ls -A %s | grep -q 'q.zip'", tmpdir);
	assert_int_not_equal(system(cmd), 0);
	assert_int_equal(pack_out_open("/nonexistent-dir/x.zip", &o, err, sizeof(err)), SIRT_EINVAL);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(pack_out_open(tmpdir, &o, err, sizeof(err)), SIRT_EINVAL);
	free(zpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_created_0600_and_reloaded),
		cmocka_unit_test(test_key_path_precedence),
		cmocka_unit_test(test_sign_and_verify),
		cmocka_unit_test(test_manifest_fields),
		cmocka_unit_test(test_csv_field_neutralises_formulas),
		cmocka_unit_test(test_period_parsing),
		cmocka_unit_test(test_out_verify_and_tamper),
		cmocka_unit_test(test_abort_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
