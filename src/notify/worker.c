#include "notify/worker.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "notify/escalation.h"
#include "notify/notify.h"
#include "notify/rules.h"
#include "store/clock_store.h"
#include "store/notify_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define CLAIM_MAX 8
#define CLOCK_SCAN_US (2 * 1000000)

struct notify_worker {
	struct store *st;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
};

struct claim_job {
	const char *node;
	int64_t now;
	int64_t ids[CLAIM_MAX];
	int n;
};

struct record_job {
	const struct outbox_work *w;
	const struct outbox_outcome *o;
	const char *status;
};

static void *worker_main(void *arg);
static int claim_tx(struct db *db, void *arg);
static int record_tx(struct db *db, void *arg);
static int64_t backoff(const struct notify_settings *s, int attempt);
static void deliver_one(struct store *st, const struct notify_settings *s, int64_t id);
static bool stopping(struct notify_worker *w);

static int claim_tx(struct db *db, void *arg)
{
	struct claim_job *j = arg;
	return outbox_claim(db, j->node, j->now, CLAIM_MAX, j->ids, &j->n);
}

static int record_tx(struct db *db, void *arg)
{
	struct record_job *j = arg;
	return outbox_record(db, j->w, j->o, &j->status);
}

/* Exponential back-off with "equal jitter": half the delay is fixed, half
 * random, so retries of many messages that failed together spread out. */
static int64_t backoff(const struct notify_settings *s, int attempt)
{
	int64_t d = s->retry_base;
	for (int i = 1; i < attempt && d < s->retry_max; i++)
		d *= 2;
	if (d > s->retry_max)
		d = s->retry_max;
	int64_t half = d / 2;
	int64_t r = half > 0 ? (int64_t)randombytes_uniform((uint32_t)(half + 1)) : 0;
	int64_t v = d - half + r;
	return v < 1 ? 1 : v;
}

static void deliver_one(struct store *st, const struct notify_settings *s, int64_t id)
{
	struct db *db = store_reader(st);
	if (!db)
		return;
	struct outbox_work w;
	if (outbox_load(db, id, &w) < 0)
		return;
	/* an escalation level whose incident was acknowledged is dropped */
	bool drop = false;
	if (!strcmp(w.event, ESCALATION_EVENT) && escalation_before_delivery(st, &w, &drop) == 0 &&
	    drop) {
		outbox_work_free(&w);
		return;
	}
	struct outbox_outcome o = {.node = s->node, .started_at = time_now()};
	struct notify_result res = {0};
	const char *why = NULL;
	struct channel_full ch = {0};
	int64_t t0 = time_mono_us();
	if (!w.channel_id) {
		snprintf(res.error, sizeof(res.error), "the channel was deleted");
		res.permanent = true;
	} else if (channel_load(db, w.org_id, w.channel_id, NULL, &ch, &why) < 0) {
		snprintf(res.error, sizeof(res.error), "%s", why ? why : "the channel is gone");
		res.permanent = true;
	} else if (!ch.enabled) {
		snprintf(res.error, sizeof(res.error), "the channel is disabled");
		res.permanent = true;
	} else {
		struct notify_channel nc = {.uid = ch.uid, .name = ch.name, .kind = ch.kind,
					    .config = ch.config, .secrets = ch.secrets};
		struct notify_message m = {.uid = w.uid, .idem_key = w.idem_key, .event = w.event,
					   .subject = w.subject, .body = w.body,
					   .payload = w.payload, .recipients = w.recipients,
					   .incident_uid = w.incident_uid,
					   .incident_key = w.incident_key, .org_name = w.org_name,
					   .created_at = w.created_at};
		notify_deliver(s, &nc, &m, &res);
	}
	channel_full_free(&ch);
	o.duration_ms = (time_mono_us() - t0) / 1000;
	o.ok = res.ok;
	o.permanent = res.permanent;
	o.status = res.status;
	o.error = res.ok ? NULL : res.error;
	o.next_attempt_at = time_now() + backoff(s, w.attempts + 1);
	struct record_job rj = {.w = &w, .o = &o};
	int rc = store_tx(st, record_tx, &rj);
	if (rc < 0)
		fprintf(stderr, "sirt: notify: cannot record the delivery of %s: %s\n", w.uid,
			sirt_strerror(rc));
	else if (!res.ok)
		fprintf(stderr, "sirt: notify: %s via %s (attempt %d): %s; now %s\n", w.uid,
			w.channel_name, w.attempts + 1, res.error, rj.status);
	outbox_work_free(&w);
}

int notify_worker_run_once(struct store *st)
{
	const struct notify_settings *s = notify_settings();
	struct claim_job j = {.node = s->node, .now = time_now()};
	int rc = store_tx(st, claim_tx, &j);
	if (rc < 0)
		return rc;
	for (int i = 0; i < j.n; i++)
		deliver_one(st, s, j.ids[i]);
	return j.n;
}

static bool stopping(struct notify_worker *w)
{
	pthread_mutex_lock(&w->lock);
	bool s = w->stop;
	pthread_mutex_unlock(&w->lock);
	return s;
}

static void *worker_main(void *arg)
{
	struct notify_worker *w = arg;
	int64_t last_scan = 0;
	while (!stopping(w)) {
		int n = notify_worker_run_once(w->st);
		if (time_mono_us() - last_scan >= CLOCK_SCAN_US && !stopping(w)) {
			last_scan = time_mono_us();
			int rc = clock_scan_alerts(w->st, time_now());
			if (rc < 0)
				fprintf(stderr, "sirt: notify: clock check failed: %s\n",
					sirt_strerror(rc));
			rc = notify_rules_scan(w->st, time_now());
			if (rc < 0)
				fprintf(stderr, "sirt: notify: overdue check failed: %s\n",
					sirt_strerror(rc));
		}
		if (n == CLAIM_MAX)
			continue; /* more may be due */
		store_reader_release(w->st); /* a pooled connection must not sleep here */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_mutex_lock(&w->lock);
		if (!w->stop)
			pthread_cond_timedwait(&w->cond, &w->lock, &ts);
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

int notify_worker_start(struct app *app, struct notify_worker **out, char *err, size_t errlen)
{
	const char *why = NULL;
	if (notify_init(&app->cfg, &why) < 0) {
		snprintf(err, errlen, "%s", why);
		return SIRT_EINVAL;
	}
	struct notify_worker *w = xcalloc(1, sizeof(*w));
	w->st = app->store;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		snprintf(err, errlen, "cannot start the notification worker");
		free(w);
		return SIRT_EIO;
	}
	*out = w;
	return 0;
}

void notify_worker_stop(struct notify_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
