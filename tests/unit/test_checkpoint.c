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

#include "audit/checkpoint.h"
#include "util/rand.h"

static void test_key_file_sign_verify(void **state)
{
	char dir[] = "/tmp/sirt-cp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], err[512];
	snprintf(path, sizeof(path), "%s/k", dir);
	struct audit_key k, k2;
	assert_int_equal(audit_key_load(path, false, &k, err, sizeof(err)), SIRT_EIO);
	assert_int_equal(audit_key_load(path, true, &k, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(audit_key_load(path, true, &k2, err, sizeof(err)), 0);
	assert_memory_equal(k.pk, k2.pk, 32); /* loads the same key, not a new one */

	struct audit_checkpoint cp = {.org_id = 3, .seq = 42, .ts = 1800000000};
	memset(cp.hash, 'a', 64);
	audit_checkpoint_sign(&cp, &k);
	assert_true(audit_checkpoint_verify(&cp, k.pk));
	struct audit_checkpoint bad = cp;
	bad.seq = 43;
	assert_false(audit_checkpoint_verify(&bad, k.pk));
	bad = cp;
	bad.hash[0] = 'b';
	assert_false(audit_checkpoint_verify(&bad, k.pk));
	bad = cp;
	bad.org_id = 4;
	assert_false(audit_checkpoint_verify(&bad, k.pk));

	/* another key does not verify it */
	char path2[140];
	snprintf(path2, sizeof(path2), "%s/k2", dir);
	struct audit_key other;
	assert_int_equal(audit_key_load(path2, true, &other, err, sizeof(err)), 0);
	assert_false(audit_checkpoint_verify(&cp, other.pk));

	/* JSON round trip, and a public key given as hex or as a file */
	json_t *o = audit_checkpoint_json(&cp, "Acme");
	struct audit_checkpoint back;
	assert_int_equal(audit_checkpoint_from_json(o, &back), 0);
	assert_true(audit_checkpoint_verify(&back, k.pk));
	json_object_set_new(o, "format", json_string("other"));
	assert_int_equal(audit_checkpoint_from_json(o, &back), SIRT_EINVAL);
	json_decref(o);
	unsigned char pk[32];
	assert_int_equal(audit_public_key_parse(cp.public_key, pk, err, sizeof(err)), 0);
	assert_memory_equal(pk, k.pk, 32);
	char pkfile[140];
	snprintf(pkfile, sizeof(pkfile), "%s/pub", dir);
	FILE *f = fopen(pkfile, "w");
	fprintf(f, "# audit key\n%s\n", cp.public_key);
	fclose(f);
	assert_int_equal(audit_public_key_parse(pkfile, pk, err, sizeof(err)), 0);
	assert_memory_equal(pk, k.pk, 32);
	assert_int_equal(audit_public_key_parse("nothex", pk, err, sizeof(err)), SIRT_EINVAL);

	/* a key others can read is refused */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(audit_key_load(path, true, &k2, err, sizeof(err)), SIRT_EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	/* garbage is not a key */
	f = fopen(path2, "w");
	fputs("hello\n", f);
	fclose(f);
	assert_int_equal(audit_key_load(path2, true, &k2, err, sizeof(err)), SIRT_EINVAL);
	unlink(path);
	unlink(path2);
	unlink(pkfile);
	rmdir(dir);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file_sign_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
