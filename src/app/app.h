/*
 * The running server's shared state: configuration, store, metrics, log.
 * One per process; handlers reach it through req->app.
 */
#ifndef SIRT_APP_H
#define SIRT_APP_H

#include <pthread.h>
#include <stdio.h>

#include "app/config.h"
#include "store/store.h"

struct metrics;

struct app {
	struct config cfg;
	struct store *store;
	struct metrics *metrics;
	FILE *access_log;
	pthread_mutex_t log_lock;
	int64_t started_at;
};

#endif
