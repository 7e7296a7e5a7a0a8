/*
 * PDF documents for the evidence pack, drawn with cairo and laid out with
 * pango (real Unicode text: accents, CJK through fontconfig fallback,
 * right-to-left scripts through pango's bidi).
 *
 * A document is produced by a body function that calls the pdf_* drawing
 * calls below in reading order (headings, paragraphs, key/value lines,
 * tables). pdf_render() runs the body TWICE:
 *
 *   pass 1 lays everything out on a PDF surface that writes nowhere, to
 *          learn how many pages the body needs and on which page each
 *          heading lands;
 *   pass 2 writes the real file: a title page with the table of contents
 *          (entries link to their headings and show their page numbers),
 *          then the body, each page stamped with the organisation, the
 *          generating user, the date and time and the instance URL in its
 *          header and "page N of M" in its footer; PDF outline entries for
 *          the headings and the document metadata.
 *
 * So the body must draw the same thing both times: callers that read the
 * database run inside one read snapshot (see pack_build.c). Pages are
 * emitted as they are finished, so memory does not grow with the length of
 * the document (a 100,000-row table streams page by page); only the
 * headings are remembered between the passes.
 *
 * Errors are sticky: drawing calls do nothing after the first failure and
 * pdf_render() returns it (SIRT_EIO when the writer failed, e.g. a full
 * disk, with the reason in res->why).
 */
#ifndef SIRT_PDF_H
#define SIRT_PDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct pdf;

struct pdf_meta {
	const char *title;      /* document title (metadata, title page, headers) */
	const char *subtitle;   /* one line under the title on the title page; may be NULL */
	const char *org;        /* organisation, stamped on every page */
	const char *user;       /* who generated it */
	const char *url;        /* instance URL */
	int64_t generated_at;   /* epoch seconds, UTC */
	const char *generator;  /* "sirt 0.1.0" (PDF creator) */
	bool landscape;         /* A4 landscape instead of portrait */
	bool no_toc;            /* no table-of-contents page (short documents) */
};

/* The output: called with consecutive chunks; returns 0 or a negative error. */
typedef int (*pdf_write_fn)(void *cls, const unsigned char *data, size_t len);
/* Draws the document body; returns 0 or a negative error (which aborts). */
typedef int (*pdf_body_fn)(struct pdf *p, void *arg);

struct pdf_result {
	int pages;              /* total pages written */
	int64_t unknown_glyphs; /* characters no installed font could show */
	char why[256];          /* the reason of a failure */
};

int pdf_render(const struct pdf_meta *m, pdf_body_fn body, void *arg, pdf_write_fn write,
	       void *wcls, struct pdf_result *res) WUR;

/*
 * Checks that fontconfig knows at least one font pango can use, and
 * whether the families the pack needs are there. Returns SIRT_ENOTFOUND
 * with a sentence in why when no usable font is installed; *missing_cjk is
 * set when no font covers CJK (names would render as boxes).
 */
int pdf_fonts_check(bool *missing_cjk, char *why, size_t whylen) WUR;

/* ---- drawing, in reading order ---- */

/* A heading; levels 1 and 2 go into the table of contents and the PDF
 * outline, level 3 only into the outline. new_page starts a new page first. */
void pdf_heading(struct pdf *p, int level, const char *text, bool new_page);
/* A paragraph of plain text (wrapped). */
void pdf_text(struct pdf *p, const char *text);
/* The same in a smaller grey type (notes, explanations). */
void pdf_note(struct pdf *p, const char *text);
/* A paragraph of pango markup (callers escape user text with pdf_escape). */
void pdf_markup(struct pdf *p, const char *markup);
/* A highlighted warning line (freshness, gaps). */
void pdf_warning(struct pdf *p, const char *text);
/* "key: value" with the key in a fixed left column. */
void pdf_kv(struct pdf *p, const char *key, const char *value);
/* A CommonMark document (plan sections): headings, paragraphs, lists,
 * code blocks and quotes; raw HTML is shown as text. */
void pdf_markdown(struct pdf *p, const char *md);
/* The same, with its headings of levels 1.. as document headings of
 * base_level.. (into the table of contents and the outline, up to 3). */
void pdf_markdown_toc(struct pdf *p, const char *md, int base_level);
void pdf_space(struct pdf *p, double points);
void pdf_page_break(struct pdf *p);

enum pdf_align { PDF_LEFT = 0, PDF_RIGHT, PDF_CENTER };

struct pdf_col {
	const char *title;
	double width;         /* share of the text width; shares are normalised */
	enum pdf_align align;
	int max_lines;        /* 0 = unlimited (a cell taller than a page is cut) */
	bool mono;            /* monospace (hashes, keys) */
};

#define PDF_MAX_COLS 12

/* A table whose header row is repeated on every page it spans. */
void pdf_table_begin(struct pdf *p, const struct pdf_col *cols, int ncols);
/* cells[ncols]; NULL cells are empty. */
void pdf_table_row(struct pdf *p, const char *const *cells);
void pdf_table_end(struct pdf *p);

/* The first error so far (0 if none). */
int pdf_status(const struct pdf *p);
/* True during the measuring pass (bodies may skip expensive work that does
 * not change the layout). */
bool pdf_measuring(const struct pdf *p);

/* Text escaped for pango markup, as a new string (free()). */
char *pdf_escape(const char *text);

#endif
