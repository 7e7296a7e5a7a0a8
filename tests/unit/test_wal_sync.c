/* src/store/wal_sync: committed batches are answered after a flush, in
 * order, and the flusher drains its queue when it stops. */
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

#include "store/wal_sync.h"

static char path[64];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int done_order[1000], ndone, nidle;

static void on_done(void *batch)
{
	pthread_mutex_lock(&lock);
	done_order[ndone++] = (int)(intptr_t)batch;
	pthread_mutex_unlock(&lock);
}

static void on_idle(void *arg)
{
	pthread_mutex_lock(&lock);
	nidle++;
	pthread_mutex_unlock(&lock);
	*(int *)arg = 1;
}

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/sirt-unit-wal-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "frames", 6), 6);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	return unlink(path);
}

static void test_batches_are_answered_in_order_and_drained_at_stop(void **state)
{
	int idle_seen = 0;
	ndone = nidle = 0;
	struct wal_sync *ws = wal_sync_start(path, on_done, on_idle, &idle_seen);
	assert_true(wal_sync_idle(ws));
	for (int i = 1; i <= 1000; i++)
		wal_sync_after(ws, (void *)(intptr_t)i);
	wal_sync_stop(ws); /* flushes and answers everything queued */
	assert_int_equal(ndone, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(done_order[i], i + 1);
	assert_true(nidle >= 1);
	assert_int_equal(idle_seen, 1);
}

static void test_idle_after_the_last_flush(void **state)
{
	int idle_seen = 0;
	ndone = nidle = 0;
	struct wal_sync *ws = wal_sync_start(path, on_done, on_idle, &idle_seen);
	wal_sync_after(ws, (void *)(intptr_t)7);
	for (int i = 0; i < 5000; i++) { /* up to 5 s */
		pthread_mutex_lock(&lock);
		int n = ndone, idle = nidle;
		pthread_mutex_unlock(&lock);
		if (n == 1 && idle == 1)
			break;
		usleep(1000);
	}
	assert_int_equal(ndone, 1);
	assert_int_equal(done_order[0], 7);
	assert_int_equal(nidle, 1);
	assert_true(wal_sync_idle(ws));
	wal_sync_stop(ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_are_answered_in_order_and_drained_at_stop),
		cmocka_unit_test(test_idle_after_the_last_flush),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
