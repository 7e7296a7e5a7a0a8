/*
 * Prometheus metrics: request counts by route and status, latency
 * histograms by route, and the store's connection and commit figures.
 * Counters are lock-free atomics; one slot array per route.
 */
#ifndef SIRT_METRICS_H
#define SIRT_METRICS_H

#include <stdint.h>

#include "util/strbuf.h"

struct metrics;
struct store;

struct metrics *metrics_new(int nroutes);
void metrics_free(struct metrics *m);
/* route_index -1 for requests that matched no route */
void metrics_observe(struct metrics *m, int route_index, int status, int64_t duration_us);
void metrics_render(struct metrics *m, struct store *st, struct strbuf *out);

#endif
