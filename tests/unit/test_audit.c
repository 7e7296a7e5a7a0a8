/* The audit chain verifier, the export line format and offline checking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "audit/audit.h"

#define N 8

struct chain {
	struct audit_entry e[N + 2];
	char prev[N + 2][65];
	char hash[N + 2][65];
	char det[N + 2][64];
	int n;
};

static void build(struct chain *c)
{
	memset(c, 0, sizeof(*c));
	const char *prev = "0000000000000000000000000000000000000000000000000000000000000000";
	for (int i = 0; i < N; i++) {
		snprintf(c->det[i], sizeof(c->det[i]), "{\"n\":%d}", i);
		snprintf(c->prev[i], 65, "%s", prev);
		c->e[i] = (struct audit_entry){.org_id = 7, .seq = i + 1, .ts = 1700000000 + i,
					       .actor = "user:a@example.com", .action = "x.do",
					       .object_type = "x", .object_id = "id", .details = c->det[i],
					       .request_id = "r", .client_addr = "127.0.0.1",
					       .prev_hash = c->prev[i]};
		audit_entry_hash(&c->e[i], c->hash[i]);
		prev = c->hash[i];
	}
	c->n = N;
}

static struct audit_verify_result run(struct chain *c, int64_t head_seq, const char *head_hash)
{
	struct audit_verifier v;
	audit_verifier_init(&v);
	for (int i = 0; i < c->n; i++)
		if (!audit_verifier_feed(&v, &c->e[i], c->hash[i]))
			break;
	audit_verifier_finish(&v, head_seq, head_hash);
	return v.res;
}

static void expect_bad(struct audit_verify_result r, int64_t seq, const char *word)
{
	if (r.ok)
		fail_msg("tampering not detected (expected seq %lld)", (long long)seq);
	if (r.first_bad != seq)
		fail_msg("first bad %lld, expected %lld (%s)", (long long)r.first_bad,
			 (long long)seq, r.problem);
	if (!strstr(r.problem, word))
		fail_msg("problem '%s' lacks '%s'", r.problem, word);
}

static void test_intact(void **state)
{
	struct chain c;
	build(&c);
	struct audit_verify_result r = run(&c, N, c.hash[N - 1]);
	assert_true(r.ok);
	assert_int_equal(r.entries, N);
	assert_int_equal(r.head_seq, N);
	assert_string_equal(r.head_hash, c.hash[N - 1]);
}

static void test_changed(void **state)
{
	struct chain c;
	build(&c);
	c.e[3].details = "{\"n\":99}";
	expect_bad(run(&c, N, c.hash[N - 1]), 4, "changed");
	build(&c);
	c.e[5].actor = "user:mallory@example.com";
	expect_bad(run(&c, N, c.hash[N - 1]), 6, "changed");
	/* the last entry changed and its hash recomputed: the head catches it */
	char old[65];
	build(&c);
	snprintf(old, sizeof(old), "%s", c.hash[N - 1]);
	c.e[N - 1].details = "{}";
	audit_entry_hash(&c.e[N - 1], c.hash[N - 1]);
	expect_bad(run(&c, N, old), N, "changed");
}

static void test_removed(void **state)
{
	struct chain c;
	build(&c);
	memmove(&c.e[2], &c.e[3], sizeof(c.e[0]) * (N - 3));
	memmove(c.hash[2], c.hash[3], 65 * (N - 3));
	c.n--;
	expect_bad(run(&c, N, c.hash[N - 2]), 3, "removed");
	build(&c);
	c.n--; /* the tail */
	expect_bad(run(&c, N, c.hash[N - 1]), N, "removed");
}

static void test_inserted(void **state)
{
	/* A forged entry after seq 3 with a valid hash; later rows renumbered. */
	struct chain c;
	build(&c);
	struct audit_entry forged = c.e[2];
	forged.seq = 4;
	forged.details = "{\"forged\":true}";
	forged.prev_hash = c.hash[2];
	char fh[65];
	audit_entry_hash(&forged, fh);
	memmove(&c.e[4], &c.e[3], sizeof(c.e[0]) * (N - 3));
	memmove(c.hash[4], c.hash[3], 65 * (N - 3));
	c.e[3] = forged;
	memcpy(c.hash[3], fh, 65);
	for (int i = 4; i <= N; i++)
		c.e[i].seq = i + 1;
	c.n = N + 1;
	expect_bad(run(&c, N + 1, c.hash[N]), 4, "inserted");
	/* appended beyond the recorded head */
	build(&c);
	struct audit_entry extra = c.e[N - 1];
	extra.seq = N + 1;
	extra.prev_hash = c.hash[N - 1];
	c.e[N] = extra;
	audit_entry_hash(&c.e[N], c.hash[N]);
	c.n = N + 1;
	expect_bad(run(&c, N, c.hash[N - 1]), N + 1, "inserted");
}

static void test_reordered(void **state)
{
	struct chain c;
	build(&c);
	struct audit_entry t = c.e[4];
	char th[65];
	memcpy(th, c.hash[4], 65);
	c.e[4] = c.e[5];
	memcpy(c.hash[4], c.hash[5], 65);
	c.e[5] = t;
	memcpy(c.hash[5], th, 65);
	c.e[4].seq = 5;
	c.e[5].seq = 6;
	expect_bad(run(&c, N, c.hash[N - 1]), 5, "moved");
	/* rows out of order without renumbering */
	build(&c);
	t = c.e[1];
	c.e[1] = c.e[2];
	c.e[2] = t;
	memcpy(th, c.hash[1], 65);
	memcpy(c.hash[1], c.hash[2], 65);
	memcpy(c.hash[2], th, 65);
	expect_bad(run(&c, N, c.hash[N - 1]), 2, "removed");
}

static void write_chain(FILE *f, struct chain *c, int64_t head, const char *hh)
{
	fputs("{\"type\":\"export\",\"format\":\"sirt-audit/1\"}\n", f);
	for (int i = 0; i < c->n; i++) {
		json_t *o = audit_entry_json(&c->e[i], c->hash[i]);
		char *s = json_dumps(o, JSON_COMPACT);
		fprintf(f, "%s\n", s);
		free(s);
		json_decref(o);
	}
	if (head >= 0)
		fprintf(f, "{\"type\":\"head\",\"org_id\":7,\"seq\":%lld,\"hash\":\"%s\"}\n",
			(long long)head, hh);
	rewind(f);
}

static void test_file_roundtrip(void **state)
{
	struct chain c;
	build(&c);
	FILE *f = tmpfile();
	write_chain(f, &c, N, c.hash[N - 1]);
	struct audit_file_result *res = calloc(1, sizeof(*res));
	assert_int_equal(audit_verify_file(f, res), 0);
	fclose(f);
	assert_string_equal(res->problem, "");
	assert_int_equal(res->nchains, 1);
	assert_true(res->chains[0].res.ok);
	assert_int_equal(res->chains[0].res.entries, N);

	/* entry 5 edited in the file */
	c.e[4].client_addr = "10.9.9.9";
	f = tmpfile();
	write_chain(f, &c, N, c.hash[N - 1]);
	assert_int_equal(audit_verify_file(f, res), 0);
	fclose(f);
	assert_false(res->chains[0].res.ok);
	assert_int_equal(res->chains[0].res.first_bad, 5);

	/* no head line: cut short */
	build(&c);
	f = tmpfile();
	write_chain(f, &c, -1, NULL);
	assert_int_equal(audit_verify_file(f, res), 0);
	fclose(f);
	assert_false(res->chains[0].res.ok);
	assert_non_null(strstr(res->chains[0].res.problem, "no head"));

	/* entry lines must carry every member with the right type */
	f = tmpfile();
	fputs("{\"type\":\"entry\",\"org_id\":1,\"seq\":\"1\"}\n", f);
	rewind(f);
	assert_int_equal(audit_verify_file(f, res), 0);
	fclose(f);
	assert_string_not_equal(res->problem, "");
	assert_int_equal(res->bad_line, 1);

	f = tmpfile();
	fputs("not json\n", f);
	rewind(f);
	assert_int_equal(audit_verify_file(f, res), 0);
	fclose(f);
	assert_string_not_equal(res->problem, "");
	free(res);
}

static void test_json_roundtrip(void **state)
{
	struct chain c;
	build(&c);
	json_t *o = audit_entry_json(&c.e[2], c.hash[2]);
	struct audit_entry e;
	const char *h;
	assert_int_equal(audit_entry_from_json(o, &e, &h), 0);
	char again[65];
	audit_entry_hash(&e, again);
	assert_string_equal(again, h);
	json_object_del(o, "actor");
	assert_int_equal(audit_entry_from_json(o, &e, &h), SIRT_EINVAL);
	json_decref(o);
}

static void test_encoding_is_unambiguous(void **state)
{
	/* Moving bytes between neighbouring fields changes the hash. */
	struct audit_entry a = {.org_id = 1, .seq = 1, .ts = 1, .actor = "ab", .action = "c",
				.object_type = "", .object_id = "", .details = "{}",
				.request_id = "", .client_addr = "", .prev_hash = ""};
	struct audit_entry b = a;
	b.actor = "a";
	b.action = "bc";
	char ha[65], hb[65];
	audit_entry_hash(&a, ha);
	audit_entry_hash(&b, hb);
	assert_string_not_equal(ha, hb);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_changed),
		cmocka_unit_test(test_removed),
		cmocka_unit_test(test_inserted),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_encoding_is_unambiguous),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
