/*
 * SVG charts: bar (stacked), line and horizontal bar, each in a <figure>
 * with a text legend and a data table. See svg_chart.h for the rules on
 * accessibility and escaping. Coordinates are in a fixed viewBox; CSS scales
 * the picture to the width of its card.
 */
#include "web/svg_chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "web/escape.h"

#define W 640.0
#define H 260.0
#define LEFT 48.0
#define RIGHT 16.0
#define TOP 20.0
#define BOTTOM 36.0
#define ROW 30.0

static const char *const palette[] = {"#0b57d0", "#6d28d9", "#0f766e", "#a4161a",
				      "#c2410c", "#8a6d00", "#1f6f43", "#57606a"};
static const char *const dashes[] = {NULL, "7 4", "2 3", "9 3 2 3"};

static bool chart_ok(const struct chart *c);
static const char *colour_of(const struct chart *c, int s);
static void text(struct strbuf *out, const char *s);
static void fmt_num(char *buf, size_t len, double v, int decimals);
static void open_figure(struct strbuf *out, const struct chart *c, double w, double h);
static void close_figure(struct strbuf *out, const struct chart *c, bool lines);
static double axis_top(const struct chart *c, double max, double *step);
static void y_axis(struct strbuf *out, const struct chart *c, double top, double step, double x1);
static void x_labels(struct strbuf *out, const struct chart *c, double slot);
static void point_title(struct strbuf *out, const struct chart *c, int s, int i);
static void marker(struct strbuf *out, int s, double x, double y, const char *colour);

double svg_chart_step(double max, int ticks)
{
	if (!(max > 0) || ticks < 1)
		return 1;
	double raw = max / ticks;
	double mag = pow(10, floor(log10(raw)));
	static const double steps[] = {1, 2, 5, 10};
	for (int i = 0; i < 4; i++)
		if (steps[i] * mag >= raw * (1 - 1e-9))
			return steps[i] * mag;
	return 10 * mag;
}

static bool chart_ok(const struct chart *c)
{
	if (!c || !c->title || c->ncats < 1 || c->ncats > CHART_MAX_CATS || !c->cats ||
	    c->nseries < 1 || c->nseries > CHART_MAX_SERIES || !c->series || c->decimals < 0 ||
	    c->decimals > 3)
		return false;
	for (int s = 0; s < c->nseries; s++)
		if (!c->series[s].values || !c->series[s].label)
			return false;
	for (int i = 0; i < c->ncats; i++)
		if (!c->cats[i])
			return false;
	return true;
}

/* "#rrggbb" from the caller, else the palette's */
static const char *colour_of(const struct chart *c, int s)
{
	const char *col = c->series[s].colour;
	if (col && strlen(col) == 7 && col[0] == '#' && strspn(col + 1, "0123456789abcdefABCDEF") == 6)
		return col;
	return palette[s % (int)(sizeof(palette) / sizeof(palette[0]))];
}

static void text(struct strbuf *out, const char *s)
{
	escape_html(out, s ? s : "", s ? strlen(s) : 0);
}

static void fmt_num(char *buf, size_t len, double v, int decimals)
{
	if (isnan(v))
		snprintf(buf, len, "—");
	else
		snprintf(buf, len, "%.*f", decimals, v);
}

static void open_figure(struct strbuf *out, const struct chart *c, double w, double h)
{
	sb_puts(out, "<figure class=\"chart\">\n");
	sb_printf(out,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 %.0f %.0f\""
		  " width=\"%.0f\" height=\"%.0f\">\n<title>",
		  w, h, w, h);
	text(out, c->title);
	sb_puts(out, "</title>\n");
	if (c->desc) {
		sb_puts(out, "<desc>");
		text(out, c->desc);
		sb_puts(out, "</desc>\n");
	}
	sb_puts(out, "<g font-family=\"system-ui, sans-serif\" font-size=\"13\" fill=\"#1b1f24\">\n");
}

static void legend_swatch(struct strbuf *out, const struct chart *c, int s, bool lines)
{
	const char *col = colour_of(c, s);
	sb_puts(out, "<li><svg xmlns=\"http://www.w3.org/2000/svg\" aria-hidden=\"true\""
		     " viewBox=\"0 0 28 12\" width=\"28\" height=\"12\">");
	if (lines) {
		const char *d = dashes[s % 4];
		sb_printf(out, "<line x1=\"1\" y1=\"6\" x2=\"27\" y2=\"6\" stroke=\"%s\" stroke-width=\"2.5\"", col);
		if (d)
			sb_printf(out, " stroke-dasharray=\"%s\"", d);
		sb_puts(out, "/>");
		marker(out, s, 14, 6, col);
	} else {
		sb_printf(out, "<rect x=\"7\" y=\"0\" width=\"14\" height=\"12\" fill=\"%s\"/>", col);
	}
	sb_puts(out, "</svg> ");
	text(out, c->series[s].label);
	sb_puts(out, "</li>");
}

static void close_figure(struct strbuf *out, const struct chart *c, bool lines)
{
	sb_puts(out, "</g>\n</svg>\n");
	if (c->nseries > 1 || lines) {
		sb_puts(out, "<ul class=\"chart-legend\" aria-label=\"Legend\">");
		for (int s = 0; s < c->nseries; s++)
			legend_swatch(out, c, s, lines);
		sb_puts(out, "</ul>\n");
	}
	sb_puts(out, "<figcaption>");
	text(out, c->title);
	sb_puts(out, "</figcaption>\n<details class=\"chart-data\"><summary>Data table</summary>\n");
	sb_puts(out, "<div class=\"table-wrap\"><table>\n<caption>");
	text(out, c->title);
	if (c->unit) {
		sb_puts(out, " (");
		text(out, c->unit);
		sb_puts(out, ")");
	}
	sb_puts(out, "</caption>\n<thead><tr><th scope=\"col\">");
	text(out, c->cat_heading ? c->cat_heading : "");
	sb_puts(out, "</th>");
	for (int s = 0; s < c->nseries; s++) {
		sb_puts(out, "<th scope=\"col\" class=\"num\">");
		text(out, c->series[s].label);
		sb_puts(out, "</th>");
	}
	sb_puts(out, "</tr></thead>\n<tbody>\n");
	for (int i = 0; i < c->ncats; i++) {
		sb_puts(out, "<tr><th scope=\"row\">");
		text(out, c->cats[i]);
		sb_puts(out, "</th>");
		for (int s = 0; s < c->nseries; s++) {
			char v[48];
			fmt_num(v, sizeof(v), c->series[s].values[i], c->decimals);
			sb_printf(out, "<td class=\"num\">%s</td>", v);
		}
		sb_puts(out, "</tr>\n");
	}
	sb_puts(out, "</tbody>\n</table></div></details>\n</figure>\n");
}

/* The top of the value axis: a whole number of steps above max. */
static double axis_top(const struct chart *c, double max, double *step)
{
	*step = svg_chart_step(max > 0 ? max : 1, 5);
	if (c->decimals == 0 && *step < 1)
		*step = 1;
	double top = *step * ceil(max / *step - 1e-9);
	if (!(top > 0)) {
		*step = c->decimals == 0 ? 1 : *step;
		top = c->decimals == 0 ? 5 : *step * 5;
	}
	return top;
}

static double y_of(double v, double top)
{
	return H - BOTTOM - v / top * (H - BOTTOM - TOP);
}

static void y_axis(struct strbuf *out, const struct chart *c, double top, double step, double x1)
{
	sb_puts(out, "<g aria-hidden=\"true\">\n");
	for (int k = 0; k * step <= top * (1 + 1e-9) && k <= 20; k++) {
		double v = k * step, y = y_of(v, top);
		char lab[48];
		fmt_num(lab, sizeof(lab), v, step < 1 ? (step < 0.1 ? 2 : 1) : 0);
		sb_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
			  LEFT, y, x1, y, k ? "#d0d7de" : "#57606a");
		sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6,
			  y + 4, lab);
	}
	if (c->unit) {
		sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#57606a\">", 4.0, TOP - 8);
		text(out, c->unit);
		sb_puts(out, "</text>\n");
	}
	sb_puts(out, "</g>\n");
}

static void x_labels(struct strbuf *out, const struct chart *c, double slot)
{
	int every = (c->ncats + 11) / 12;
	sb_puts(out, "<g aria-hidden=\"true\" text-anchor=\"middle\">\n");
	for (int i = 0; i < c->ncats; i += every) {
		sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\">", LEFT + slot * (i + 0.5), H - BOTTOM + 18);
		text(out, c->cats[i]);
		sb_puts(out, "</text>\n");
	}
	sb_puts(out, "</g>\n");
}

static void point_title(struct strbuf *out, const struct chart *c, int s, int i)
{
	char v[48];
	fmt_num(v, sizeof(v), c->series[s].values[i], c->decimals);
	sb_puts(out, "<title>");
	text(out, c->cats[i]);
	sb_puts(out, " · ");
	text(out, c->series[s].label);
	sb_printf(out, ": %s", v);
	if (c->unit) {
		sb_puts(out, " ");
		text(out, c->unit);
	}
	sb_puts(out, "</title>");
}

/* circle, square, triangle, diamond: the series differ in shape, not only colour */
static void marker(struct strbuf *out, int s, double x, double y, const char *colour)
{
	switch (s % 4) {
	case 0:
		sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#ffffff\" stroke=\"%s\" stroke-width=\"2\"/>",
			  x, y, colour);
		break;
	case 1:
		sb_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\"/>", x - 4, y - 4,
			  colour);
		break;
	case 2:
		sb_printf(out, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"/>", x, y - 5, x + 5,
			  y + 4, x - 5, y + 4, colour);
		break;
	default:
		sb_printf(out, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"/>", x,
			  y - 5, x + 5, y, x, y + 5, x - 5, y, colour);
	}
}

int svg_bar_chart(struct strbuf *out, const struct chart *c)
{
	if (!chart_ok(c))
		return SIRT_EINVAL;
	double max = 0;
	for (int i = 0; i < c->ncats; i++) {
		double t = 0;
		for (int s = 0; s < c->nseries; s++)
			if (c->series[s].values[i] > 0)
				t += c->series[s].values[i];
		if (t > max)
			max = t;
	}
	double step, top = axis_top(c, max, &step);
	double x1 = W - RIGHT, slot = (x1 - LEFT) / c->ncats, bw = slot * 0.62;
	open_figure(out, c, W, H);
	y_axis(out, c, top, step, x1);
	for (int i = 0; i < c->ncats; i++) {
		double x = LEFT + slot * i + (slot - bw) / 2, base = 0;
		sb_puts(out, "<g>");
		for (int s = 0; s < c->nseries; s++) {
			double v = c->series[s].values[i];
			if (!(v > 0))
				continue;
			double ya = y_of(base + v, top), yb = y_of(base, top);
			sb_printf(out,
				  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\""
				  " stroke=\"#ffffff\" stroke-width=\"1\">",
				  x, ya, bw, yb - ya, colour_of(c, s));
			point_title(out, c, s, i);
			sb_puts(out, "</rect>");
			base += v;
		}
		if (base > 0) {
			char v[48];
			fmt_num(v, sizeof(v), base, c->decimals);
			sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"600\">%s</text>",
				  x + bw / 2, y_of(base, top) - 4, v);
		}
		sb_puts(out, "</g>\n");
	}
	x_labels(out, c, slot);
	close_figure(out, c, false);
	return sb_status(out);
}

int svg_line_chart(struct strbuf *out, const struct chart *c)
{
	if (!chart_ok(c))
		return SIRT_EINVAL;
	double max = 0;
	for (int s = 0; s < c->nseries; s++)
		for (int i = 0; i < c->ncats; i++)
			if (c->series[s].values[i] > max)
				max = c->series[s].values[i];
	double step, top = axis_top(c, max, &step);
	double x1 = W - RIGHT, slot = (x1 - LEFT) / c->ncats;
	open_figure(out, c, W, H);
	y_axis(out, c, top, step, x1);
	for (int s = 0; s < c->nseries; s++) {
		const char *col = colour_of(c, s), *dash = dashes[s % 4];
		sb_puts(out, "<g>");
		/* the line, broken where a value is missing */
		struct strbuf d;
		sb_init(&d, 1 << 16);
		bool pen = false;
		for (int i = 0; i < c->ncats; i++) {
			double v = c->series[s].values[i];
			if (isnan(v) || v < 0) {
				pen = false;
				continue;
			}
			sb_printf(&d, "%s%.1f %.1f", pen ? "L" : "M", LEFT + slot * (i + 0.5), y_of(v, top));
			pen = true;
		}
		if (d.len) {
			sb_printf(out, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"",
				  sb_str(&d), col);
			if (dash)
				sb_printf(out, " stroke-dasharray=\"%s\"", dash);
			sb_puts(out, "/>");
		}
		sb_free(&d);
		for (int i = 0; i < c->ncats; i++) {
			double v = c->series[s].values[i];
			if (isnan(v) || v < 0)
				continue;
			sb_puts(out, "<g>");
			point_title(out, c, s, i);
			marker(out, s, LEFT + slot * (i + 0.5), y_of(v, top), col);
			sb_puts(out, "</g>");
		}
		sb_puts(out, "</g>\n");
	}
	x_labels(out, c, slot);
	close_figure(out, c, true);
	return sb_status(out);
}

int svg_hbar_chart(struct strbuf *out, const struct chart *c)
{
	if (!chart_ok(c))
		return SIRT_EINVAL;
	const double *v = c->series[0].values;
	double max = 0;
	size_t longest = 4;
	for (int i = 0; i < c->ncats; i++) {
		if (v[i] > max)
			max = v[i];
		size_t n = strlen(c->cats[i]);
		if (n > longest)
			longest = n;
	}
	if (longest > 24)
		longest = 24;
	/* narrower than the others: it sits in a side column, and its labels
	 * should read at the same size as the page's */
	double w = 420, left = 12 + 7.0 * (double)longest, h = TOP + ROW * c->ncats + 8;
	double room = w - RIGHT - left - 40;
	if (!(max > 0))
		max = 1;
	open_figure(out, c, w, h);
	const char *col = colour_of(c, 0);
	for (int i = 0; i < c->ncats; i++) {
		double y = TOP + ROW * i, len = v[i] > 0 ? v[i] / max * room : 0;
		char num[48];
		fmt_num(num, sizeof(num), v[i], c->decimals);
		sb_printf(out, "<g><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 8, y + 17);
		/* long labels are cut in the picture; the table has them whole */
		size_t n = strlen(c->cats[i]);
		if (n > 24) {
			struct strbuf cut;
			sb_init(&cut, 256);
			size_t k = 23;
			while (k > 0 && ((unsigned char)c->cats[i][k] & 0xC0) == 0x80)
				k--; /* not inside a UTF-8 sequence */
			sb_append(&cut, c->cats[i], k);
			sb_puts(&cut, "…");
			text(out, sb_str(&cut));
			sb_free(&cut);
		} else {
			text(out, c->cats[i]);
		}
		sb_puts(out, "</text>");
		sb_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"%s\">", left,
			  y + 4, len > 0 ? len : 0.0, col);
		point_title(out, c, 0, i);
		sb_printf(out, "</rect><text x=\"%.1f\" y=\"%.1f\" font-weight=\"600\">%s</text></g>\n",
			  left + len + 6, y + 18, num);
	}
	sb_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#57606a\" aria-hidden=\"true\"/>\n",
		  left, TOP, left, TOP + ROW * c->ncats);
	close_figure(out, c, false);
	return sb_status(out);
}
