/*
 * SVG charts rendered by sirt itself (no JavaScript, no CDN): a vertical bar
 * chart (stacked series), a line chart and a horizontal bar chart.
 *
 * Output is a complete <figure class="chart"> holding
 *   <svg role="img" viewBox=...> with <title> (its accessible name) and <desc>,
 *   a legend of text labels (colour never carries meaning alone: each series
 *   also has its name in the legend, the line series differ in dash and
 *   marker, and every bar and point has a <title> tooltip with its value),
 *   <figcaption>, and a data table fallback in <details>.
 * Colours are presentation attributes (the CSP forbids inline style) with at
 * least 3:1 contrast against white, so the charts print as they show.
 *
 * Every text (title, labels, category names) is escaped here; the caller may
 * pass anything. The figure is meant for a {{raw}} slot in a template.
 */
#ifndef SIRT_SVG_CHART_H
#define SIRT_SVG_CHART_H

#include <stdbool.h>

#include "util/err.h"
#include "util/strbuf.h"

#define CHART_MAX_CATS 60
#define CHART_MAX_SERIES 8

struct chart_series {
	const char *label;     /* "Critical", "MTTA" */
	const char *colour;    /* "#a4161a"; NULL = a default from the palette */
	const double *values;  /* ncats values; NaN = no value (a gap) */
};

struct chart {
	const char *title;     /* required: the <title> and the caption */
	const char *desc;      /* a sentence for screen readers; optional */
	const char *unit;      /* "incidents", "hours": axis and table heading */
	const char *cat_heading; /* table heading of the category column ("Month") */
	int decimals;          /* digits after the point in labels and the table */
	int ncats;
	const char *const *cats;
	int nseries;
	const struct chart_series *series;
};

/* Vertical bars, series stacked, with the total above each bar. */
int svg_bar_chart(struct strbuf *out, const struct chart *c) WUR;
/* One line per series; NaN values leave a gap. */
int svg_line_chart(struct strbuf *out, const struct chart *c) WUR;
/* Horizontal bars of the first series, one per category, value at the end. */
int svg_hbar_chart(struct strbuf *out, const struct chart *c) WUR;

/* The axis step for a maximum value: 1, 2 or 5 times a power of ten, so
 * that max fits in at most `ticks` steps. */
double svg_chart_step(double max, int ticks);

#endif
