/* src/audit: the hash chain, its verifier, and appends through the store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "store/store.h"

#define N 6

struct chain {
	struct audit_entry e[N];
	char hash[N][65];
	char prev[N][65];
	char obj[N][16];
};

static void build(struct chain *c)
{
	memset(c, 0, sizeof(*c));
	const char *prev = "0000000000000000000000000000000000000000000000000000000000000000";
	for (int i = 0; i < N; i++) {
		snprintf(c->obj[i], sizeof(c->obj[i]), "obj-%d", i);
		snprintf(c->prev[i], sizeof(c->prev[i]), "%s", prev);
		c->e[i] = (struct audit_entry){.org_id = 1, .seq = i + 1, .ts = 1000 + i,
					       .actor = "user:a@example.com", .action = "incident.update",
					       .object_type = "incident", .object_id = c->obj[i],
					       .details = "{}", .request_id = "r", .client_addr = "127.0.0.1",
					       .prev_hash = c->prev[i]};
		audit_entry_hash(&c->e[i], c->hash[i]);
		prev = c->hash[i];
	}
}

static struct audit_verify_result run(struct chain *c, const int *order, int n, int64_t head_seq,
				      const char *head_hash)
{
	struct audit_verifier v;
	audit_verifier_init(&v);
	for (int k = 0; k < n; k++)
		if (!audit_verifier_feed(&v, &c->e[order[k]], c->hash[order[k]]))
			break;
	audit_verifier_finish(&v, head_seq, head_hash);
	return v.res;
}

static void test_intact_chain_verifies(void **state)
{
	struct chain c;
	build(&c);
	int order[N] = {0, 1, 2, 3, 4, 5};
	struct audit_verify_result r = run(&c, order, N, N, c.hash[N - 1]);
	assert_true(r.ok);
	assert_int_equal(r.entries, N);
	assert_string_equal(r.head_hash, c.hash[N - 1]);
}

static void test_changed_entry_is_named(void **state)
{
	struct chain c;
	build(&c);
	c.e[2].actor = "user:mallory@example.com";
	int order[N] = {0, 1, 2, 3, 4, 5};
	struct audit_verify_result r = run(&c, order, N, N, c.hash[N - 1]);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 3);
	assert_non_null(strstr(r.problem, "changed"));
}

static void test_removed_entry_is_named(void **state)
{
	struct chain c;
	build(&c);
	int order[N - 1] = {0, 1, 3, 4, 5};
	struct audit_verify_result r = run(&c, order, N - 1, N, c.hash[N - 1]);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 3);
	assert_non_null(strstr(r.problem, "removed"));
	/* removing the tail is caught by the head */
	int head[N - 1] = {0, 1, 2, 3, 4};
	r = run(&c, head, N - 1, N, c.hash[N - 1]);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, N);
}

static void test_reordered_entries_are_named(void **state)
{
	struct chain c;
	build(&c);
	/* swap the contents of entries 3 and 4 but keep the sequence numbers */
	struct audit_entry t = c.e[2];
	c.e[2] = c.e[3];
	c.e[3] = t;
	c.e[2].seq = 3;
	c.e[3].seq = 4;
	char th[65];
	memcpy(th, c.hash[2], 65);
	memcpy(c.hash[2], c.hash[3], 65);
	memcpy(c.hash[3], th, 65);
	int order[N] = {0, 1, 2, 3, 4, 5};
	struct audit_verify_result r = run(&c, order, N, N, c.hash[N - 1]);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 3);
}

static void test_inserted_entry_is_named(void **state)
{
	struct chain c;
	build(&c);
	/* a forged entry that hashes correctly but does not link to entry 2 */
	struct audit_entry forged = c.e[2];
	forged.prev_hash = "1111111111111111111111111111111111111111111111111111111111111111";
	char fh[65];
	audit_entry_hash(&forged, fh);
	struct audit_verifier v;
	audit_verifier_init(&v);
	assert_true(audit_verifier_feed(&v, &c.e[0], c.hash[0]));
	assert_true(audit_verifier_feed(&v, &c.e[1], c.hash[1]));
	assert_false(audit_verifier_feed(&v, &forged, fh));
	assert_int_equal(v.res.first_bad, 3);
	assert_non_null(strstr(v.res.problem, "inserted"));
}

static void test_append_through_store(void **state)
{
	char dir[] = "/tmp/sirt-audit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char url[128], err[256];
	snprintf(url, sizeof(url), "sqlite:%s/a.db", dir);
	struct store *st;
	assert_int_equal(store_open(url, &st, err, sizeof(err)), 0);
	int applied;
	assert_int_equal(store_migrate(st, &applied, err, sizeof(err)), 0);
	struct db *db = store_reader(st);
	struct audit_ctx ac = {.actor = "cli:test", .request_id = "", .client_addr = ""};
	for (int i = 0; i < 5; i++) {
		json_t *d = json_pack("{s:i, s:s}", "i", i, "z", "last");
		assert_int_equal(audit_append(db, &ac, 42, "test.event", "thing", "t1", d), 0);
		json_decref(d);
	}
	struct audit_verify_result r;
	assert_int_equal(audit_verify_db(db, 42, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.entries, 5);
	/* the database itself refuses changes */
	assert_int_equal(db_exec(db, "UPDATE audit_log SET actor = 'x' WHERE seq = 1", 0, NULL), SIRT_EDB);
	assert_non_null(strstr(db_errmsg(db), "append-only"));
	assert_int_equal(db_exec(db, "DELETE FROM audit_log", 0, NULL), SIRT_EDB);
	store_close(st);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact_chain_verifies),
		cmocka_unit_test(test_changed_entry_is_named),
		cmocka_unit_test(test_removed_entry_is_named),
		cmocka_unit_test(test_reordered_entries_are_named),
		cmocka_unit_test(test_inserted_entry_is_named),
		cmocka_unit_test(test_append_through_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
