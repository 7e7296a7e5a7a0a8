/*
 * The PDF renderer (see pdf.h for the two-pass design).
 *
 * Geometry is in PostScript points on A4. Text is laid out with one pango
 * context per pass at 72 dpi with metric hinting off, so the measuring pass
 * and the writing pass break lines and pages identically. Paragraphs are
 * drawn line by line so a long one continues on the next page; table rows
 * are kept whole (a cell is cut with an ellipsis after its line limit) and
 * the header row is drawn again at the top of every page the table spans.
 */
#include "pdf/pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <cmark.h>
#include <errno.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define A4_W 595.28
#define A4_H 841.89
#define MARGIN_X 48.0
#define MARGIN_TOP 66.0
#define MARGIN_BOTTOM 58.0
#define CELL_PAD 3.5
#define CELL_MAX_LINES 40
#define FONT "DejaVu Sans"

enum style { ST_BODY, ST_NOTE, ST_H1, ST_H2, ST_H3, ST_TITLE, ST_SMALL, ST_SMALL_BOLD, ST_CELL,
	     ST_HEAD, ST_MONO, ST_KEY, ST__COUNT };

static const char *const style_fonts[ST__COUNT] = {
	[ST_BODY] = FONT " 9.5",	   [ST_NOTE] = FONT " 8",
	[ST_H1] = FONT " Bold 15",	   [ST_H2] = FONT " Bold 12",
	[ST_H3] = FONT " Bold 10.5",	   [ST_TITLE] = FONT " Bold 22",
	[ST_SMALL] = FONT " 7",		   [ST_SMALL_BOLD] = FONT " Bold 7",
	[ST_CELL] = FONT " 8",		   [ST_HEAD] = FONT " Bold 8",
	[ST_MONO] = "DejaVu Sans Mono 7.5", [ST_KEY] = FONT " Bold 9",
};

struct heading {
	int level;
	int page; /* body page, counted from 1 */
	char *text;
};

struct table {
	bool open;
	int ncols;
	struct pdf_col cols[PDF_MAX_COLS];
	double x[PDF_MAX_COLS], w[PDF_MAX_COLS];
	PangoLayout *cell[PDF_MAX_COLS];
	double line_h[PDF_MAX_COLS]; /* height of one line of the cell's font */
	int rows; /* rows drawn, for the stripes */
};

struct pdf {
	const struct pdf_meta *m;
	bool measure;
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoContext *ctx;
	PangoFontDescription *fonts[ST__COUNT];
	PangoLayout *layout;  /* paragraphs, headings */
	PangoLayout *aux;     /* page stamps and table headers: drawn while
			       * `layout` holds a paragraph waiting for its page */
	double pw, ph, width; /* page size, text width */
	double y;             /* cursor, from the top of the page */
	bool in_page;
	int page;             /* pages started so far, title/contents included */
	int body_offset;      /* pages before the body (title and contents) */
	int total;            /* pass 2: pages in the document */
	int err;
	char *why;
	size_t whylen;
	int64_t unknown;
	/* headings: collected in pass 1, consumed in order in pass 2 */
	struct heading *heads;
	size_t nheads, capheads, next_head;
	int outline_parent[4];
	struct table t;
	int md_toc_base;      /* pdf_markdown_toc: level of a Markdown "#" heading */
	/* the writer */
	pdf_write_fn write;
	void *wcls;
	int write_err;
};

static cairo_status_t write_cb(void *cls, const unsigned char *data, unsigned int len);
static void set_fail(struct pdf *p, int err, const char *why);
static int setup(struct pdf *p, bool measure);
static void teardown(struct pdf *p);
static void page_start(struct pdf *p);
static void page_end(struct pdf *p);
static double bottom(const struct pdf *p);
static void ensure(struct pdf *p, double h);
static PangoLayout *layout_for(struct pdf *p, enum style st, double width);
static PangoLayout *style_layout(struct pdf *p, PangoLayout *l, enum style st, double width);
static void flow_layout(struct pdf *p, PangoLayout *l, double x);
static void set_rgb(cairo_t *cr, unsigned rgb);
static void draw_stamps(struct pdf *p);
static void draw_title_and_toc(struct pdf *p);
static void table_header(struct pdf *p);
static void md_inline(cmark_node *n, struct strbuf *sb);
static void fmt_stamp_time(int64_t t, char *out, size_t len);

static void set_fail(struct pdf *p, int err, const char *why)
{
	if (p->err)
		return;
	p->err = err;
	if (p->why && p->whylen)
		snprintf(p->why, p->whylen, "%s", why);
}

int pdf_status(const struct pdf *p)
{
	return p->err;
}

bool pdf_measuring(const struct pdf *p)
{
	return p->measure;
}

char *pdf_escape(const char *text)
{
	gchar *e = g_markup_escape_text(text ? text : "", -1);
	char *out = xstrdup(e);
	g_free(e);
	return out;
}

static cairo_status_t write_cb(void *cls, const unsigned char *data, unsigned int len)
{
	struct pdf *p = cls;
	if (p->write_err)
		return CAIRO_STATUS_WRITE_ERROR;
	int rc = p->write(p->wcls, data, len);
	if (rc < 0) {
		p->write_err = rc;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

static void set_rgb(cairo_t *cr, unsigned rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
			     (rgb & 0xff) / 255.0);
}

static void fmt_stamp_time(int64_t t, char *out, size_t len)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, y;
	unsigned mo, d;
	time_civil_from_days(days, &y, &mo, &d);
	snprintf(out, len, "%04lld-%02u-%02u %02d:%02d UTC", (long long)y, mo, d,
		 (int)(secs / 3600), (int)(secs % 3600 / 60));
}

static int setup(struct pdf *p, bool measure)
{
	p->measure = measure;
	p->pw = p->m->landscape ? A4_H : A4_W;
	p->ph = p->m->landscape ? A4_W : A4_H;
	p->width = p->pw - 2 * MARGIN_X;
	p->surface = cairo_pdf_surface_create_for_stream(measure ? NULL : write_cb, p, p->pw, p->ph);
	if (cairo_surface_status(p->surface) != CAIRO_STATUS_SUCCESS) {
		set_fail(p, SIRT_EIO, "cairo could not create a PDF surface");
		return p->err;
	}
	cairo_pdf_surface_restrict_to_version(p->surface, CAIRO_PDF_VERSION_1_5);
	p->cr = cairo_create(p->surface);
	p->ctx = pango_cairo_create_context(p->cr);
	pango_cairo_context_set_resolution(p->ctx, 72.0);
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(p->ctx, fo);
	cairo_font_options_destroy(fo);
	for (int i = 0; i < ST__COUNT; i++)
		p->fonts[i] = pango_font_description_from_string(style_fonts[i]);
	p->layout = pango_layout_new(p->ctx);
	p->aux = pango_layout_new(p->ctx);
	pango_layout_set_auto_dir(p->layout, FALSE);
	pango_layout_set_auto_dir(p->aux, FALSE);
	p->page = 0;
	p->in_page = false;
	p->next_head = 0;
	memset(p->outline_parent, 0, sizeof(p->outline_parent));
	memset(&p->t, 0, sizeof(p->t));
	return 0;
}

static void teardown(struct pdf *p)
{
	for (int i = 0; i < PDF_MAX_COLS; i++)
		if (p->t.cell[i])
			g_object_unref(p->t.cell[i]);
	memset(&p->t, 0, sizeof(p->t));
	if (p->layout)
		g_object_unref(p->layout);
	if (p->aux)
		g_object_unref(p->aux);
	p->layout = p->aux = NULL;
	for (int i = 0; i < ST__COUNT; i++) {
		if (p->fonts[i])
			pango_font_description_free(p->fonts[i]);
		p->fonts[i] = NULL;
	}
	if (p->ctx)
		g_object_unref(p->ctx);
	p->ctx = NULL;
	if (p->cr)
		cairo_destroy(p->cr);
	p->cr = NULL;
	if (p->surface) {
		cairo_surface_finish(p->surface);
		if (!p->measure && !p->err &&
		    cairo_surface_status(p->surface) != CAIRO_STATUS_SUCCESS) {
			if (p->write_err)
				set_fail(p, p->write_err, "writing the PDF failed");
			else
				set_fail(p, SIRT_EIO, cairo_status_to_string(
							      cairo_surface_status(p->surface)));
		}
		cairo_surface_destroy(p->surface);
	}
	p->surface = NULL;
}

static PangoLayout *layout_for(struct pdf *p, enum style st, double width)
{
	return style_layout(p, p->layout, st, width);
}

static PangoLayout *style_layout(struct pdf *p, PangoLayout *l, enum style st, double width)
{
	pango_layout_set_font_description(l, p->fonts[st]);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_NONE);
	pango_layout_set_height(l, -1);
	pango_layout_set_alignment(l, PANGO_ALIGN_LEFT);
	pango_layout_set_indent(l, 0);
	pango_layout_set_attributes(l, NULL);
	return l;
}

static double bottom(const struct pdf *p)
{
	return p->ph - MARGIN_BOTTOM;
}

static void draw_stamps(struct pdf *p)
{
	cairo_t *cr = p->cr;
	char when[48], pages[64];
	fmt_stamp_time(p->m->generated_at, when, sizeof(when));
	/* header: organisation and title left, who and when right */
	PangoLayout *l = style_layout(p, p->aux, ST_SMALL_BOLD, p->width * 0.55);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	pango_layout_set_height(l, -1);
	char *left = xasprintf("%s — %s", p->m->org ? p->m->org : "", p->m->title ? p->m->title : "");
	pango_layout_set_text(l, left, -1);
	free(left);
	set_rgb(cr, 0x1f3a5f);
	cairo_move_to(cr, MARGIN_X, 30);
	pango_cairo_show_layout(cr, l);
	l = style_layout(p, p->aux, ST_SMALL, p->width * 0.45);
	pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
	char *right = xasprintf("Generated by %s, %s", p->m->user ? p->m->user : "", when);
	pango_layout_set_text(l, right, -1);
	free(right);
	set_rgb(cr, 0x555555);
	cairo_move_to(cr, MARGIN_X + p->width * 0.55, 30);
	pango_cairo_show_layout(cr, l);
	set_rgb(cr, 0xc8d0da);
	cairo_set_line_width(cr, 0.6);
	cairo_move_to(cr, MARGIN_X, 44);
	cairo_line_to(cr, p->pw - MARGIN_X, 44);
	cairo_stroke(cr);
	/* footer: instance URL left, page N of M right */
	double fy = p->ph - MARGIN_BOTTOM + 22;
	cairo_move_to(cr, MARGIN_X, fy - 6);
	cairo_line_to(cr, p->pw - MARGIN_X, fy - 6);
	cairo_stroke(cr);
	l = style_layout(p, p->aux, ST_SMALL, p->width * 0.7);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	char *foot = xasprintf("%s · %s", p->m->url ? p->m->url : "",
			       p->m->generator ? p->m->generator : "sirt");
	pango_layout_set_text(l, foot, -1);
	free(foot);
	set_rgb(cr, 0x555555);
	cairo_move_to(cr, MARGIN_X, fy);
	pango_cairo_show_layout(cr, l);
	snprintf(pages, sizeof(pages), "page %d of %d", p->page, p->total);
	l = style_layout(p, p->aux, ST_SMALL, p->width * 0.3);
	pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
	pango_layout_set_text(l, pages, -1);
	cairo_move_to(cr, MARGIN_X + p->width * 0.7, fy);
	pango_cairo_show_layout(cr, l);
	set_rgb(cr, 0x1a1a1a);
}

static void page_start(struct pdf *p)
{
	p->page++;
	p->in_page = true;
	p->y = MARGIN_TOP;
	if (!p->measure)
		draw_stamps(p);
	if (p->t.open)
		table_header(p);
}

static void page_end(struct pdf *p)
{
	if (!p->in_page)
		return;
	p->in_page = false;
	if (!p->measure)
		cairo_show_page(p->cr);
}

/* Makes room for h points: a new page when they do not fit on this one. */
static void ensure(struct pdf *p, double h)
{
	if (!p->in_page) {
		page_start(p);
		return;
	}
	if (p->y + h > bottom(p) && p->y > MARGIN_TOP + 0.5) {
		page_end(p);
		page_start(p);
	}
}

/* Draws a laid-out paragraph line by line from the cursor, continuing on
 * new pages as needed. */
static void flow_layout(struct pdf *p, PangoLayout *l, double x)
{
	if (!p->measure)
		p->unknown += pango_layout_get_unknown_glyphs_count(l);
	PangoLayoutIter *it = pango_layout_get_iter(l);
	do {
		PangoRectangle lr;
		pango_layout_iter_get_line_extents(it, NULL, &lr);
		int baseline = pango_layout_iter_get_baseline(it);
		double lh = (double)lr.height / PANGO_SCALE;
		ensure(p, lh);
		if (!p->measure) {
			PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
			cairo_move_to(p->cr, x + (double)lr.x / PANGO_SCALE,
				      p->y + (double)(baseline - lr.y) / PANGO_SCALE);
			pango_cairo_show_layout_line(p->cr, line);
		}
		p->y += lh;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

static void para(struct pdf *p, enum style st, const char *text, bool markup, double indent,
		 unsigned color, double after)
{
	if (p->err)
		return;
	PangoLayout *l = layout_for(p, st, p->width - indent);
	if (markup)
		pango_layout_set_markup(l, text, -1);
	else
		pango_layout_set_text(l, text ? text : "", -1);
	if (!p->measure)
		set_rgb(p->cr, color);
	flow_layout(p, l, MARGIN_X + indent);
	if (!p->measure)
		set_rgb(p->cr, 0x1a1a1a);
	p->y += after;
}

void pdf_text(struct pdf *p, const char *text)
{
	para(p, ST_BODY, text, false, 0, 0x1a1a1a, 5);
}

void pdf_note(struct pdf *p, const char *text)
{
	para(p, ST_NOTE, text, false, 0, 0x555555, 4);
}

void pdf_markup(struct pdf *p, const char *markup)
{
	para(p, ST_BODY, markup, true, 0, 0x1a1a1a, 5);
}

void pdf_space(struct pdf *p, double points)
{
	if (!p->err && p->in_page)
		p->y += points;
}

void pdf_page_break(struct pdf *p)
{
	if (p->err)
		return;
	page_end(p);
	page_start(p);
}

void pdf_warning(struct pdf *p, const char *text)
{
	if (p->err)
		return;
	PangoLayout *l = layout_for(p, ST_BODY, p->width - 16);
	pango_layout_set_text(l, text, -1);
	int w, h;
	pango_layout_get_size(l, &w, &h);
	double hh = (double)h / PANGO_SCALE + 8;
	if (hh > bottom(p) - MARGIN_TOP) {
		para(p, ST_BODY, text, false, 8, 0x8a4b00, 5);
		return;
	}
	ensure(p, hh);
	if (!p->measure) {
		cairo_t *cr = p->cr;
		set_rgb(cr, 0xfff4e5);
		cairo_rectangle(cr, MARGIN_X, p->y, p->width, hh);
		cairo_fill(cr);
		set_rgb(cr, 0xe69500);
		cairo_rectangle(cr, MARGIN_X, p->y, 3, hh);
		cairo_fill(cr);
		set_rgb(cr, 0x6b3a00);
		p->unknown += pango_layout_get_unknown_glyphs_count(l);
		cairo_move_to(cr, MARGIN_X + 10, p->y + 4);
		pango_cairo_show_layout(cr, l);
		set_rgb(cr, 0x1a1a1a);
	}
	p->y += hh + 4;
}

void pdf_kv(struct pdf *p, const char *key, const char *value)
{
	if (p->err)
		return;
	double kw = p->width * 0.28;
	PangoLayout *kl = pango_layout_new(p->ctx);
	pango_layout_set_auto_dir(kl, FALSE);
	pango_layout_set_font_description(kl, p->fonts[ST_KEY]);
	pango_layout_set_width(kl, (int)((kw - 6) * PANGO_SCALE));
	pango_layout_set_wrap(kl, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(kl, key, -1);
	PangoLayout *vl = layout_for(p, ST_BODY, p->width - kw);
	pango_layout_set_text(vl, value && *value ? value : "—", -1);
	int w, kh, vh;
	pango_layout_get_size(kl, &w, &kh);
	pango_layout_get_size(vl, &w, &vh);
	double h = (double)(kh > vh ? kh : vh) / PANGO_SCALE;
	if (h > bottom(p) - MARGIN_TOP) {
		/* a value longer than a page: key on its own, value flows */
		g_object_unref(kl);
		para(p, ST_KEY, key, false, 0, 0x1f3a5f, 1);
		para(p, ST_BODY, value, false, 12, 0x1a1a1a, 3);
		return;
	}
	ensure(p, h);
	if (!p->measure) {
		p->unknown += pango_layout_get_unknown_glyphs_count(kl) +
			      pango_layout_get_unknown_glyphs_count(vl);
		set_rgb(p->cr, 0x1f3a5f);
		cairo_move_to(p->cr, MARGIN_X, p->y);
		pango_cairo_show_layout(p->cr, kl);
		set_rgb(p->cr, 0x1a1a1a);
		cairo_move_to(p->cr, MARGIN_X + kw, p->y);
		pango_cairo_show_layout(p->cr, vl);
	}
	g_object_unref(kl);
	p->y += h + 2.5;
}

void pdf_heading(struct pdf *p, int level, const char *text, bool new_page)
{
	if (p->err)
		return;
	if (level < 1)
		level = 1;
	if (level > 3)
		level = 3;
	if (new_page && p->in_page && p->y > MARGIN_TOP + 0.5)
		page_end(p);
	enum style st = level == 1 ? ST_H1 : level == 2 ? ST_H2 : ST_H3;
	PangoLayout *l = layout_for(p, st, p->width);
	pango_layout_set_text(l, text, -1);
	int w, h;
	pango_layout_get_size(l, &w, &h);
	double hh = (double)h / PANGO_SCALE;
	double before = level == 1 ? 6 : 8;
	/* keep a heading with at least a few lines of what follows */
	if (p->in_page && p->y > MARGIN_TOP + 0.5)
		p->y += before;
	ensure(p, hh + 48);
	if (p->measure) {
		if (p->nheads == p->capheads) {
			p->capheads = p->capheads ? p->capheads * 2 : 32;
			p->heads = xrealloc(p->heads, p->capheads * sizeof(*p->heads));
		}
		p->heads[p->nheads++] = (struct heading){level, p->page, xstrdup(text)};
	} else {
		size_t id = p->next_head++;
		char attr[64];
		snprintf(attr, sizeof(attr), "name='h%zu'", id);
		cairo_tag_begin(p->cr, CAIRO_TAG_DEST, attr);
		set_rgb(p->cr, 0x1f3a5f);
		p->unknown += pango_layout_get_unknown_glyphs_count(l);
		cairo_move_to(p->cr, MARGIN_X, p->y);
		pango_cairo_show_layout(p->cr, l);
		cairo_tag_end(p->cr, CAIRO_TAG_DEST);
		if (level == 1) {
			cairo_set_line_width(p->cr, 1.2);
			cairo_move_to(p->cr, MARGIN_X, p->y + hh + 2);
			cairo_line_to(p->cr, MARGIN_X + p->width, p->y + hh + 2);
			cairo_stroke(p->cr);
		}
		set_rgb(p->cr, 0x1a1a1a);
		snprintf(attr, sizeof(attr), "dest='h%zu'", id);
		int parent = level == 1 ? CAIRO_PDF_OUTLINE_ROOT : p->outline_parent[level - 1];
		int oid = cairo_pdf_surface_add_outline(p->surface, parent, text, attr,
							level == 1 ? CAIRO_PDF_OUTLINE_FLAG_OPEN : 0);
		p->outline_parent[level] = oid;
		if (level == 1)
			p->outline_parent[2] = oid;
	}
	p->y += hh + (level == 1 ? 8 : 4);
}

/* ---- tables ---- */

static void table_header(struct pdf *p)
{
	struct table *t = &p->t;
	double h = 0;
	PangoLayout *l = p->aux;
	for (int i = 0; i < t->ncols; i++) {
		style_layout(p, l, ST_HEAD, t->w[i] - 2 * CELL_PAD);
		pango_layout_set_text(l, t->cols[i].title ? t->cols[i].title : "", -1);
		int w, lh;
		pango_layout_get_size(l, &w, &lh);
		double ch = (double)lh / PANGO_SCALE + 2 * CELL_PAD;
		if (ch > h)
			h = ch;
	}
	if (!p->measure) {
		cairo_t *cr = p->cr;
		set_rgb(cr, 0x1f3a5f);
		cairo_rectangle(cr, MARGIN_X, p->y, p->width, h);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 1, 1, 1);
		for (int i = 0; i < t->ncols; i++) {
			style_layout(p, l, ST_HEAD, t->w[i] - 2 * CELL_PAD);
			if (t->cols[i].align == PDF_RIGHT)
				pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
			pango_layout_set_text(l, t->cols[i].title ? t->cols[i].title : "", -1);
			cairo_move_to(cr, t->x[i] + CELL_PAD, p->y + CELL_PAD);
			pango_cairo_show_layout(cr, l);
		}
		set_rgb(cr, 0x1a1a1a);
	}
	p->y += h;
	t->rows = 0;
}

void pdf_table_begin(struct pdf *p, const struct pdf_col *cols, int ncols)
{
	if (p->err)
		return;
	struct table *t = &p->t;
	if (ncols < 1 || ncols > PDF_MAX_COLS) {
		set_fail(p, SIRT_EINVAL, "a table needs 1 to 12 columns");
		return;
	}
	t->ncols = ncols;
	double sum = 0;
	for (int i = 0; i < ncols; i++) {
		t->cols[i] = cols[i];
		sum += cols[i].width > 0 ? cols[i].width : 1;
	}
	double x = MARGIN_X;
	for (int i = 0; i < ncols; i++) {
		t->x[i] = x;
		t->w[i] = p->width * (cols[i].width > 0 ? cols[i].width : 1) / sum;
		x += t->w[i];
		if (!t->cell[i])
			t->cell[i] = pango_layout_new(p->ctx);
		PangoLayout *l = t->cell[i];
		pango_layout_set_auto_dir(l, FALSE);
		pango_layout_set_font_description(l, p->fonts[cols[i].mono ? ST_MONO : ST_CELL]);
		pango_layout_set_width(l, (int)((t->w[i] - 2 * CELL_PAD) * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
		int ml = cols[i].max_lines > 0 && cols[i].max_lines < CELL_MAX_LINES
				 ? cols[i].max_lines
				 : CELL_MAX_LINES;
		pango_layout_set_height(l, -ml);
		pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
		pango_layout_set_alignment(l, cols[i].align == PDF_RIGHT    ? PANGO_ALIGN_RIGHT
					      : cols[i].align == PDF_CENTER ? PANGO_ALIGN_CENTER
									    : PANGO_ALIGN_LEFT);
		pango_layout_set_text(l, "Ag", -1);
		int w, lh;
		pango_layout_get_size(l, &w, &lh);
		t->line_h[i] = (double)lh / PANGO_SCALE;
	}
	t->open = true;
	/* the header and at least one row on the same page */
	ensure(p, 48);
	table_header(p);
}

void pdf_table_row(struct pdf *p, const char *const *cells)
{
	if (p->err || !p->t.open)
		return;
	struct table *t = &p->t;
	double h = 0;
	for (int i = 0; i < t->ncols; i++) {
		double ch;
		if (t->cols[i].max_lines == 1) {
			/* one line whatever the text: no need to shape it to know */
			ch = t->line_h[i] + 2 * CELL_PAD;
			if (!p->measure)
				pango_layout_set_text(t->cell[i], cells[i] ? cells[i] : "", -1);
		} else {
			pango_layout_set_text(t->cell[i], cells[i] ? cells[i] : "", -1);
			int w, lh;
			pango_layout_get_size(t->cell[i], &w, &lh);
			ch = (double)lh / PANGO_SCALE;
			if (ch < t->line_h[i])
				ch = t->line_h[i]; /* an empty cell */
			ch += 2 * CELL_PAD;
		}
		if (ch > h)
			h = ch;
	}
	ensure(p, h);
	if (!p->measure) {
		cairo_t *cr = p->cr;
		if (t->rows % 2 == 1) {
			set_rgb(cr, 0xf2f5f9);
			cairo_rectangle(cr, MARGIN_X, p->y, p->width, h);
			cairo_fill(cr);
		}
		set_rgb(cr, 0xdde3ea);
		cairo_set_line_width(cr, 0.4);
		cairo_move_to(cr, MARGIN_X, p->y + h);
		cairo_line_to(cr, MARGIN_X + p->width, p->y + h);
		cairo_stroke(cr);
		set_rgb(cr, 0x1a1a1a);
		for (int i = 0; i < t->ncols; i++) {
			if (!cells[i] || !*cells[i])
				continue;
			p->unknown += pango_layout_get_unknown_glyphs_count(t->cell[i]);
			cairo_move_to(cr, t->x[i] + CELL_PAD, p->y + CELL_PAD);
			pango_cairo_show_layout(cr, t->cell[i]);
		}
	}
	t->rows++;
	p->y += h;
}

void pdf_table_end(struct pdf *p)
{
	p->t.open = false;
	if (!p->err && p->in_page)
		p->y += 8;
}

/* ---- Markdown (plan sections) ---- */

static void md_inline(cmark_node *n, struct strbuf *sb)
{
	for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) {
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_HTML_INLINE: {
			char *e = pdf_escape(cmark_node_get_literal(c));
			sb_puts(sb, e);
			free(e);
			break;
		}
		case CMARK_NODE_CODE: {
			char *e = pdf_escape(cmark_node_get_literal(c));
			sb_printf(sb, "<tt>%s</tt>", e);
			free(e);
			break;
		}
		case CMARK_NODE_SOFTBREAK:
			sb_putc(sb, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			sb_putc(sb, '\n');
			break;
		case CMARK_NODE_EMPH:
			sb_puts(sb, "<i>");
			md_inline(c, sb);
			sb_puts(sb, "</i>");
			break;
		case CMARK_NODE_STRONG:
			sb_puts(sb, "<b>");
			md_inline(c, sb);
			sb_puts(sb, "</b>");
			break;
		case CMARK_NODE_LINK: {
			md_inline(c, sb);
			const char *url = cmark_node_get_url(c);
			if (url && *url) {
				char *e = pdf_escape(url);
				sb_printf(sb, " (%s)", e);
				free(e);
			}
			break;
		}
		default:
			md_inline(c, sb);
			break;
		}
	}
}

static void md_plain(cmark_node *n, struct strbuf *sb)
{
	for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) {
		cmark_node_type t = cmark_node_get_type(c);
		if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE || t == CMARK_NODE_HTML_INLINE)
			sb_puts(sb, cmark_node_get_literal(c));
		else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
			sb_putc(sb, ' ');
		else
			md_plain(c, sb);
	}
}

static void md_blocks(struct pdf *p, cmark_node *parent, double indent, int depth)
{
	int toc_base = p->md_toc_base;
	p->md_toc_base = 0; /* headings inside lists and quotes are never sections */
	if (depth == 0)
		p->md_toc_base = toc_base;
	int item_no = 0;
	for (cmark_node *n = cmark_node_first_child(parent); n && !p->err; n = cmark_node_next(n)) {
		struct strbuf sb;
		sb_init(&sb, 1 << 20);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_HEADING: {
			int lvl = cmark_node_get_heading_level(n);
			if (depth == 0 && toc_base && toc_base + lvl - 1 <= 3) {
				md_plain(n, &sb);
				pdf_heading(p, toc_base + lvl - 1, sb_str(&sb), false);
				break;
			}
			md_inline(n, &sb);
			para(p, lvl <= 1 ? ST_H3 : ST_KEY, sb_str(&sb), true, indent, 0x1f3a5f, 3);
			break;
		}
		case CMARK_NODE_PARAGRAPH:
			md_inline(n, &sb);
			para(p, ST_BODY, sb_str(&sb), true, indent, 0x1a1a1a, 4);
			break;
		case CMARK_NODE_LIST: {
			md_blocks(p, n, indent, depth + 1);
			break;
		}
		case CMARK_NODE_ITEM: {
			cmark_node *list = cmark_node_parent(n);
			char bullet[24];
			if (cmark_node_get_list_type(list) == CMARK_ORDERED_LIST)
				snprintf(bullet, sizeof(bullet), "%d.",
					 cmark_node_get_list_start(list) + item_no);
			else
				snprintf(bullet, sizeof(bullet), "•");
			item_no++;
			/* the bullet, then the item's blocks indented */
			cmark_node *first = cmark_node_first_child(n);
			if (first && cmark_node_get_type(first) == CMARK_NODE_PARAGRAPH) {
				md_inline(first, &sb);
				PangoLayout *l = layout_for(p, ST_BODY, p->width - indent - 14);
				pango_layout_set_markup(l, sb_str(&sb), -1);
				/* draw the bullet on the line of the first text line */
				PangoLayoutIter *it = pango_layout_get_iter(l);
				PangoRectangle lr;
				pango_layout_iter_get_line_extents(it, NULL, &lr);
				pango_layout_iter_free(it);
				ensure(p, (double)lr.height / PANGO_SCALE);
				if (!p->measure) {
					PangoLayout *bl = pango_layout_new(p->ctx);
					pango_layout_set_font_description(bl, p->fonts[ST_BODY]);
					pango_layout_set_text(bl, bullet, -1);
					cairo_move_to(p->cr, MARGIN_X + indent + 2, p->y);
					pango_cairo_show_layout(p->cr, bl);
					g_object_unref(bl);
				}
				l = layout_for(p, ST_BODY, p->width - indent - 14);
				pango_layout_set_markup(l, sb_str(&sb), -1);
				flow_layout(p, l, MARGIN_X + indent + 14);
				p->y += 2;
				/* nested lists and further paragraphs of the item */
				{
					for (cmark_node *c = cmark_node_next(first); c && !p->err;
					     c = cmark_node_next(c)) {
						if (cmark_node_get_type(c) == CMARK_NODE_LIST)
							md_blocks(p, c, indent + 14, depth + 1);
						else {
							struct strbuf s2;
							sb_init(&s2, 1 << 20);
							md_inline(c, &s2);
							para(p, ST_BODY, sb_str(&s2), true, indent + 14,
							     0x1a1a1a, 3);
							sb_free(&s2);
						}
					}
				}
			} else {
				md_blocks(p, n, indent + 14, depth + 1);
			}
			break;
		}
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_BLOCK: {
			char *e = pdf_escape(cmark_node_get_literal(n));
			sb_printf(&sb, "<tt>%s</tt>", e);
			free(e);
			para(p, ST_NOTE, sb_str(&sb), true, indent + 10, 0x333333, 4);
			break;
		}
		case CMARK_NODE_BLOCK_QUOTE:
			md_blocks(p, n, indent + 14, depth + 1);
			break;
		case CMARK_NODE_THEMATIC_BREAK:
			ensure(p, 8);
			if (!p->measure) {
				set_rgb(p->cr, 0xc8d0da);
				cairo_move_to(p->cr, MARGIN_X + indent, p->y + 4);
				cairo_line_to(p->cr, MARGIN_X + p->width, p->y + 4);
				cairo_stroke(p->cr);
				set_rgb(p->cr, 0x1a1a1a);
			}
			p->y += 8;
			break;
		default:
			break;
		}
		sb_free(&sb);
	}
}

void pdf_markdown(struct pdf *p, const char *md)
{
	if (p->err || !md || !*md)
		return;
	cmark_node *doc = cmark_parse_document(md, strlen(md), CMARK_OPT_DEFAULT);
	if (!doc)
		return;
	md_blocks(p, doc, 0, 0);
	cmark_node_free(doc);
}

void pdf_markdown_toc(struct pdf *p, const char *md, int base_level)
{
	p->md_toc_base = base_level;
	pdf_markdown(p, md);
	p->md_toc_base = 0;
}

/* ---- the title page with the table of contents ---- */

static void draw_title_and_toc(struct pdf *p)
{
	char when[48];
	fmt_stamp_time(p->m->generated_at, when, sizeof(when));
	page_start(p);
	if (!p->measure) {
		cairo_tag_begin(p->cr, CAIRO_TAG_DEST, "name='contents'");
		cairo_pdf_surface_add_outline(p->surface, CAIRO_PDF_OUTLINE_ROOT, "Contents",
					      "dest='contents'", 0);
	}
	p->y += 20;
	para(p, ST_TITLE, p->m->title ? p->m->title : "", false, 0, 0x1f3a5f, 6);
	if (!p->measure)
		cairo_tag_end(p->cr, CAIRO_TAG_DEST);
	if (p->m->subtitle)
		para(p, ST_H3, p->m->subtitle, false, 0, 0x333333, 10);
	pdf_kv(p, "Organisation", p->m->org);
	pdf_kv(p, "Generated by", p->m->user);
	pdf_kv(p, "Generated at", when);
	pdf_kv(p, "Instance", p->m->url);
	pdf_kv(p, "Generator", p->m->generator);
	p->y += 14;
	if (p->nheads == 0) {
		para(p, ST_NOTE, "This document has no sections.", false, 0, 0x555555, 4);
		return;
	}
	para(p, ST_H2, "Contents", false, 0, 0x1f3a5f, 6);
	for (size_t i = 0; i < p->nheads && !p->err; i++) {
		const struct heading *h = &p->heads[i];
		if (h->level > 2)
			continue;
		double indent = h->level == 1 ? 0 : 16;
		PangoLayout *l = layout_for(p, h->level == 1 ? ST_KEY : ST_BODY,
					    p->width - indent - 50);
		pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
		pango_layout_set_height(l, -2);
		pango_layout_set_text(l, h->text, -1);
		int w, lh;
		pango_layout_get_size(l, &w, &lh);
		double hh = (double)lh / PANGO_SCALE + 3;
		ensure(p, hh);
		if (!p->measure) {
			char attr[64], num[16];
			snprintf(attr, sizeof(attr), "dest='h%zu'", i);
			snprintf(num, sizeof(num), "%d", h->page + p->body_offset);
			cairo_tag_begin(p->cr, CAIRO_TAG_LINK, attr);
			set_rgb(p->cr, 0x1f3a5f);
			p->unknown += pango_layout_get_unknown_glyphs_count(l);
			cairo_move_to(p->cr, MARGIN_X + indent, p->y);
			pango_cairo_show_layout(p->cr, l);
			PangoLayout *nl = pango_layout_new(p->ctx);
			pango_layout_set_font_description(nl, p->fonts[ST_BODY]);
			pango_layout_set_width(nl, 50 * PANGO_SCALE);
			pango_layout_set_alignment(nl, PANGO_ALIGN_RIGHT);
			pango_layout_set_text(nl, num, -1);
			cairo_move_to(p->cr, MARGIN_X + p->width - 50, p->y);
			pango_cairo_show_layout(p->cr, nl);
			g_object_unref(nl);
			cairo_tag_end(p->cr, CAIRO_TAG_LINK);
			/* dotted leader */
			set_rgb(p->cr, 0xb0b8c4);
			double dashes[] = {0.8, 2.5};
			cairo_set_dash(p->cr, dashes, 2, 0);
			cairo_set_line_width(p->cr, 0.6);
			cairo_move_to(p->cr, MARGIN_X + indent + (double)w / PANGO_SCALE + 4,
				      p->y + 9);
			cairo_line_to(p->cr, MARGIN_X + p->width - 24, p->y + 9);
			cairo_stroke(p->cr);
			cairo_set_dash(p->cr, NULL, 0, 0);
			set_rgb(p->cr, 0x1a1a1a);
		}
		p->y += hh;
	}
}

/* ---- the two passes ---- */

int pdf_render(const struct pdf_meta *m, pdf_body_fn body, void *arg, pdf_write_fn write,
	       void *wcls, struct pdf_result *res)
{
	memset(res, 0, sizeof(*res));
	struct pdf p = {.m = m, .write = write, .wcls = wcls, .why = res->why,
			.whylen = sizeof(res->why)};
	int rc;

	/* pass 1: the body alone, to count its pages and place its headings */
	if (setup(&p, true) < 0)
		goto done;
	rc = body(&p, arg);
	if (rc < 0)
		set_fail(&p, rc, "the document body failed");
	page_end(&p);
	int body_pages = p.page;
	int toc_pages = 0;
	if (!m->no_toc && !p.err) {
		p.page = 0;
		p.t.open = false;
		draw_title_and_toc(&p);
		page_end(&p);
		toc_pages = p.page;
	}
	teardown(&p);
	if (p.err)
		goto done;

	/* pass 2: the file */
	if (setup(&p, false) < 0)
		goto done;
	p.total = toc_pages + body_pages;
	p.body_offset = toc_pages;
	char iso[ISO8601_LEN];
	time_format_iso8601(m->generated_at, iso);
	if (m->title)
		cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_TITLE, m->title);
	if (m->user)
		cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_AUTHOR, m->user);
	if (m->org)
		cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_SUBJECT, m->org);
	cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_CREATOR,
				       m->generator ? m->generator : "sirt");
	cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_CREATE_DATE, iso);
	if (!m->no_toc) {
		draw_title_and_toc(&p);
		page_end(&p);
	}
	if (!p.err) {
		rc = body(&p, arg);
		if (rc < 0)
			set_fail(&p, rc, "the document body failed");
		page_end(&p);
	}
	res->pages = p.page;
	res->unknown_glyphs = p.unknown;
	teardown(&p);
done:
	for (size_t i = 0; i < p.nheads; i++)
		free(p.heads[i].text);
	free(p.heads);
	return p.err;
}

int pdf_fonts_check(bool *missing_cjk, char *why, size_t whylen)
{
	*missing_cjk = false;
	PangoFontMap *fm = pango_cairo_font_map_new();
	PangoContext *ctx = pango_font_map_create_context(fm);
	PangoLayout *l = pango_layout_new(ctx);
	PangoFontDescription *fd = pango_font_description_from_string(FONT " 10");
	pango_layout_set_font_description(l, fd);
	/* fontconfig answers with alias families even when it has no font
	 * file at all: what counts is whether plain text gets real glyphs */
	pango_layout_set_text(l, "Incident response Aa0", -1);
	bool none = pango_layout_get_unknown_glyphs_count(l) > 0;
	if (!none) {
		pango_layout_set_text(l, "中文日本語한국어", -1);
		*missing_cjk = pango_layout_get_unknown_glyphs_count(l) > 0;
	}
	pango_font_description_free(fd);
	g_object_unref(l);
	g_object_unref(ctx);
	g_object_unref(fm);
	if (none) {
		snprintf(why, whylen,
			 "no fonts are installed on this machine, so no PDF can be drawn: install "
			 "fonts-dejavu-core (and fonts-wqy-microhei for Chinese, Japanese and "
			 "Korean names)");
		return SIRT_ENOTFOUND;
	}
	return 0;
}
