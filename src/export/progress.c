#include "export/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "util/timeutil.h"

static void draw(struct progress *p, int64_t now)
{
	double secs = (double)(now - p->start_us) / 1e6;
	double rate = secs > 0 ? (double)p->done / secs : 0;
	fprintf(stderr, "\r%lld", (long long)p->done);
	if (p->total)
		fprintf(stderr, "/%lld", (long long)p->total);
	fprintf(stderr, " %s, %.0f/s", p->what, rate);
	if (p->total && rate > 0 && p->done < p->total) {
		long left = (long)((double)(p->total - p->done) / rate);
		fprintf(stderr, ", %ld:%02ld left", left / 60, left % 60);
	}
	fprintf(stderr, "   ");
	fflush(stderr);
}

void progress_init(struct progress *p, const char *what, int64_t total)
{
	p->on = isatty(2);
	p->what = what;
	p->total = total;
	p->done = 0;
	p->start_us = p->last_us = time_mono_us();
}

void progress_add(struct progress *p, int64_t n)
{
	p->done += n;
	if (!p->on)
		return;
	int64_t now = time_mono_us();
	if (now - p->last_us < 200000)
		return;
	p->last_us = now;
	draw(p, now);
}

void progress_end(struct progress *p)
{
	if (!p->on)
		return;
	draw(p, time_mono_us());
	fputc('\n', stderr);
}
