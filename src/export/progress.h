/*
 * Progress of a long import or export on standard error: count, rate and
 * time left, redrawn at most five times a second on one line. Silent unless
 * standard error is a terminal.
 */
#ifndef SIRT_PROGRESS_H
#define SIRT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool on;
	const char *what;  /* "imported", "exported" */
	int64_t total;     /* 0: unknown */
	int64_t done;
	int64_t start_us;
	int64_t last_us;
};

void progress_init(struct progress *p, const char *what, int64_t total);
void progress_add(struct progress *p, int64_t n);
/* Draws the final line and ends it. */
void progress_end(struct progress *p);

#endif
