#include "http/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "http/http.h"
#include "store/store.h"
#include "util/xalloc.h"

static const int codes[] = {200, 201, 204, 302, 303, 304, 400, 401, 403, 404, 405, 409,
			    412, 413, 415, 422, 429, 500, 503, 0};
#define NCODES (int)(sizeof(codes) / sizeof(codes[0])) /* last slot: other */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKETS (int)(sizeof(buckets) / sizeof(buckets[0]))

struct route_stats {
	atomic_llong by_code[NCODES];
	atomic_llong bucket[NBUCKETS + 1];
	atomic_llong sum_us;
	atomic_llong count;
};

struct metrics {
	int nroutes;
	struct route_stats *r; /* nroutes + 1: the last is "unmatched" */
};

struct metrics *metrics_new(int nroutes)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	m->nroutes = nroutes;
	m->r = xcalloc((size_t)nroutes + 1, sizeof(*m->r));
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->r);
	free(m);
}

void metrics_observe(struct metrics *m, int idx, int status, int64_t us)
{
	if (idx < 0 || idx >= m->nroutes)
		idx = m->nroutes;
	struct route_stats *s = &m->r[idx];
	int c = NCODES - 1;
	for (int i = 0; i < NCODES - 1; i++)
		if (codes[i] == status) {
			c = i;
			break;
		}
	atomic_fetch_add_explicit(&s->by_code[c], 1, memory_order_relaxed);
	int b = NBUCKETS;
	for (int i = 0; i < NBUCKETS; i++)
		if ((double)us / 1e6 <= buckets[i]) {
			b = i;
			break;
		}
	atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, us, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

static void route_label(struct strbuf *out, const struct route *t, int i, int n)
{
	if (i >= n)
		sb_puts(out, "method=\"\",route=\"unmatched\"");
	else
		sb_printf(out, "method=\"%s\",route=\"%s\"", t[i].method, t[i].pattern);
}

void metrics_render(struct metrics *m, struct store *st, struct strbuf *out)
{
	int n;
	const struct route *t = router_table(&n);
	sb_puts(out, "# HELP sirt_http_requests_total HTTP requests by route and status.\n"
		     "# TYPE sirt_http_requests_total counter\n");
	for (int i = 0; i <= m->nroutes; i++) {
		for (int c = 0; c < NCODES; c++) {
			long long v = atomic_load(&m->r[i].by_code[c]);
			if (!v)
				continue;
			sb_puts(out, "sirt_http_requests_total{");
			route_label(out, t, i, m->nroutes);
			if (codes[c])
				sb_printf(out, ",status=\"%d\"} %lld\n", codes[c], v);
			else
				sb_printf(out, ",status=\"other\"} %lld\n", v);
		}
	}
	sb_puts(out, "# HELP sirt_http_request_duration_seconds Request latency by route.\n"
		     "# TYPE sirt_http_request_duration_seconds histogram\n");
	for (int i = 0; i <= m->nroutes; i++) {
		long long count = atomic_load(&m->r[i].count);
		if (!count)
			continue;
		long long cum = 0;
		for (int b = 0; b <= NBUCKETS; b++) {
			cum += atomic_load(&m->r[i].bucket[b]);
			sb_puts(out, "sirt_http_request_duration_seconds_bucket{");
			route_label(out, t, i, m->nroutes);
			if (b < NBUCKETS)
				sb_printf(out, ",le=\"%g\"} %lld\n", buckets[b], cum);
			else
				sb_printf(out, ",le=\"+Inf\"} %lld\n", cum);
		}
		sb_puts(out, "sirt_http_request_duration_seconds_sum{");
		route_label(out, t, i, m->nroutes);
		sb_printf(out, "} %.6f\n", (double)atomic_load(&m->r[i].sum_us) / 1e6);
		sb_puts(out, "sirt_http_request_duration_seconds_count{");
		route_label(out, t, i, m->nroutes);
		sb_printf(out, "} %lld\n", count);
	}
	if (st) {
		struct store_stats s;
		store_get_stats(st, &s);
		sb_printf(out,
			  "# HELP sirt_db_connections Open database connections.\n"
			  "# TYPE sirt_db_connections gauge\nsirt_db_connections %lld\n"
			  "# HELP sirt_db_transactions_total Transactions by outcome.\n"
			  "# TYPE sirt_db_transactions_total counter\n"
			  "sirt_db_transactions_total{outcome=\"committed\"} %lld\n"
			  "sirt_db_transactions_total{outcome=\"failed\"} %lld\n"
			  "# HELP sirt_db_commits_total Commits (a group commit counts once).\n"
			  "# TYPE sirt_db_commits_total counter\nsirt_db_commits_total %lld\n"
			  "# HELP sirt_db_queue_depth Transactions waiting for the writer.\n"
			  "# TYPE sirt_db_queue_depth gauge\nsirt_db_queue_depth %lld\n"
			  "# HELP sirt_db_wal_flushes_total SQLite: WAL flushes (fdatasync) that made"
			  " commits durable.\n"
			  "# TYPE sirt_db_wal_flushes_total counter\nsirt_db_wal_flushes_total %lld\n"
			  "# HELP sirt_db_wal_flush_seconds_total SQLite: time spent in those flushes.\n"
			  "# TYPE sirt_db_wal_flush_seconds_total counter\n"
			  "sirt_db_wal_flush_seconds_total %.6f\n",
			  (long long)s.connections, (long long)s.tx_committed,
			  (long long)s.tx_failed, (long long)s.batches, (long long)s.queue_depth,
			  (long long)s.wal_flushes, s.wal_flush_seconds);
	}
}
