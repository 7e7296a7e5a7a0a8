/* src/store: the SQLite backend, the db interface and group commit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>

#include "store/db.h"
#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/sirt-unit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct db *open_db(const char *name)
{
	char url[128], err[256];
	snprintf(url, sizeof(url), "sqlite:%s/%s", dir, name);
	struct db *db = NULL;
	assert_int_equal(db_open(url, &db, err, sizeof(err)), 0);
	return db;
}

static void test_params_by_number_in_any_order(void **state)
{
	struct db *db = open_db("a.db");
	assert_int_equal(db_exec_script(db, "CREATE TABLE t (a INTEGER, b TEXT, c BLOB) STRICT"), 0);
	unsigned char blob[3] = {0, 1, 2};
	/* $3 appears before $1: binding is by number, not position */
	assert_int_equal(db_exec(db, "INSERT INTO t(c, a, b) VALUES ($3, $1, $2)", 3,
				 DBV(DB_INT(7), DB_TEXT("x'; DROP TABLE t; --"), DB_BLOB(blob, 3))),
			 0);
	assert_int_equal(db_last_changes(db), 1);
	struct db_res *r;
	assert_int_equal(db_query(db, &r, "SELECT a, b, c, NULL FROM t WHERE a = $1", 1,
				  DBV(DB_INT(7))), 0);
	assert_true(db_next(r));
	assert_int_equal(db_int(r, 0), 7);
	assert_string_equal(db_text(r, 1), "x'; DROP TABLE t; --");
	size_t n;
	const unsigned char *b = db_blob(r, 2, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(b, blob, 3);
	assert_true(db_isnull(r, 3));
	assert_null(db_text(r, 3));
	assert_false(db_next(r));
	db_res_free(r);
	/* unused parameters are fine (optional filters) */
	int64_t v;
	assert_int_equal(db_query_int(db, &v, "SELECT count(*) FROM t WHERE a = $2", 2,
				      DBV(DB_TEXT("unused"), DB_INT(7))), 0);
	assert_int_equal(v, 1);
	db_close(db);
}

static void test_nested_queries_with_the_same_sql(void **state)
{
	struct db *db = open_db("b.db");
	assert_int_equal(db_exec_script(db, "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2), (3)"), 0);
	const char *sql = "SELECT a FROM t WHERE a >= $1 ORDER BY a";
	struct db_res *outer, *inner;
	assert_int_equal(db_query(db, &outer, sql, 1, DBV(DB_INT(1))), 0);
	int64_t sum = 0;
	while (db_next(outer)) {
		assert_int_equal(db_query(db, &inner, sql, 1, DBV(DB_INT(db_int(outer, 0)))), 0);
		while (db_next(inner))
			sum += db_int(inner, 0);
		db_res_free(inner);
	}
	db_res_free(outer);
	assert_int_equal(sum, (1 + 2 + 3) + (2 + 3) + 3);
	db_close(db);
}

static void test_constraint_errors_are_flagged(void **state)
{
	struct db *db = open_db("c.db");
	assert_int_equal(db_exec_script(db, "CREATE TABLE u (k TEXT UNIQUE)"), 0);
	assert_int_equal(db_exec(db, "INSERT INTO u VALUES ($1)", 1, DBV(DB_TEXT("a"))), 0);
	assert_int_equal(db_exec(db, "INSERT INTO u VALUES ($1)", 1, DBV(DB_TEXT("a"))), SIRT_EDB);
	assert_true(db_last_was_constraint(db));
	assert_non_null(strstr(db_errmsg(db), "UNIQUE"));
	assert_int_equal(db_exec(db, "SELECT * FROM nowhere", 0, NULL), SIRT_EDB);
	assert_false(db_last_was_constraint(db));
	db_close(db);
}

/* ---- group commit ---- */

struct job {
	int n;
	bool fail;
};

static int insert_job(struct db *db, void *arg)
{
	struct job *j = arg;
	int rc = db_exec(db, "INSERT INTO g(n) VALUES ($1)", 1, DBV(DB_INT(j->n)));
	if (rc < 0)
		return rc;
	return j->fail ? SIRT_EINVAL : 0;
}

static struct store *gst;

static void *worker(void *arg)
{
	int base = (int)(intptr_t)arg;
	for (int i = 0; i < 50; i++) {
		struct job j = {.n = base * 1000 + i, .fail = (i % 10) == 9};
		int rc = store_tx(gst, insert_job, &j);
		if (j.fail)
			assert_int_equal(rc, SIRT_EINVAL);
		else
			assert_int_equal(rc, 0);
	}
	return NULL;
}

static int create_table(struct db *db, void *arg)
{
	return db_exec_script(db, "CREATE TABLE g (n INTEGER PRIMARY KEY)");
}

static void test_group_commit_isolates_failing_jobs(void **state)
{
	char url[128], err[256];
	snprintf(url, sizeof(url), "sqlite:%s/g.db", dir);
	assert_int_equal(store_open(url, &gst, err, sizeof(err)), 0);
	assert_int_equal(store_tx(gst, create_table, NULL), 0);
	pthread_t th[16];
	for (int i = 0; i < 16; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < 16; i++)
		pthread_join(th[i], NULL);
	int64_t n;
	assert_int_equal(db_query_int(store_reader(gst), &n, "SELECT count(*) FROM g", 0, NULL), 0);
	assert_int_equal(n, 16 * 45); /* the failing tenth of each worker left nothing */
	struct store_stats s;
	store_get_stats(gst, &s);
	assert_int_equal(s.tx_committed, 16 * 45 + 1);
	assert_int_equal(s.tx_failed, 16 * 5);
	assert_true(s.batches <= s.tx_committed + s.tx_failed);
	/* every commit was made durable by a WAL flush, several per flush at most */
	assert_true(s.wal_flushes >= 1 && s.wal_flushes <= s.batches);
	assert_true(s.wal_flush_seconds > 0);
	store_close(gst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_by_number_in_any_order),
		cmocka_unit_test(test_nested_queries_with_the_same_sql),
		cmocka_unit_test(test_constraint_errors_are_flagged),
		cmocka_unit_test(test_group_commit_isolates_failing_jobs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
