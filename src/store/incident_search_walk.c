/*
 * The incidents matching every search word, one at a time in incident id
 * order (SQLite), without collecting all the matches first.
 *
 * Each word is looked up in three FTS5 tables: incidents_fts (rowid = the
 * incident's id) and timeline_fts and indicators_fts (rowid = search key,
 * incident id << 24 | row's place; migration 0027). FTS5 hands a MATCH back
 * in rowid order, lazily, so each table gives a sorted stream of incident
 * ids; a word's stream is the merge of its three. The words are then
 * intersected leapfrog-style: the walk's target is the next id in order;
 * every word's stream is moved to the target or past it, and a word that
 * lands past it moves the target on. A stream far behind the target is
 * re-opened at the target (a new query with a rowid bound) instead of being
 * stepped through row by row.
 *
 * Cost: the matches stepped over until the page is full. A word found in
 * most incidents fills a page after a few dozen rows; a rare one has few
 * rows to step over. Only the incident id order is walked this way (which
 * is creation order: ids and created_at are both set at insert).
 */
#include "store/incident_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/xalloc.h"

#define KEY_SHIFT 24
/* Rows a seek steps through before it re-opens the stream at its target
 * instead: stepping costs about 0.1 us a row, re-opening (FTS5 finding the
 * place in every segment's doclist) 70 to 700 us, measured on 10,000,000
 * timeline entries; 16 steps made a three-word search 25 times slower
 * than 2,048 to 16,384 (bench/README.md). */
#define STEPS_BEFORE_SEEK 8192

static const struct {
	const char *table;
	int shift;
} sources[3] = {
	{"incidents_fts", 0},
	{"timeline_fts", KEY_SHIFT},
	{"indicators_fts", KEY_SHIFT},
};

struct source {
	struct db_res *r;
	int64_t head; /* incident id of the current row */
	bool done;
	int steps; /* stepped in the current seek */
};

struct word {
	const char *phrase;
	struct source src[3];
	int64_t head; /* the first of the sources' heads in walk order */
	bool done;
};

struct search_walk {
	struct db *db;
	bool asc;
	int n;
	struct word w[];
};

/* a comes strictly before b in the walk */
static bool before(const struct search_walk *sw, int64_t a, int64_t b)
{
	return sw->asc ? a < b : a > b;
}

static int source_fetch(struct source *s, int shift)
{
	if (db_next(s->r)) {
		s->head = db_int(s->r, 0) >> shift;
		return 0;
	}
	s->done = true;
	db_res_free(s->r);
	s->r = NULL;
	return 0;
}

/* (Re)opens source k of word wi at incident id `at` (inclusive). */
static int source_open(struct search_walk *sw, int wi, int k, int64_t at)
{
	struct source *s = &sw->w[wi].src[k];
	if (s->r)
		db_res_free(s->r);
	s->r = NULL;
	s->done = false;
	int shift = sources[k].shift;
	int64_t bound = sw->asc ? at << shift : (at << shift) | ((INT64_C(1) << shift) - 1);
	/* one statement text per word and source, so that the words' streams,
	 * open at the same time, each keep a cached statement */
	char sql[200];
	snprintf(sql, sizeof(sql),
		 "SELECT rowid FROM %s WHERE %s MATCH $1 AND rowid %s $2 ORDER BY rowid %s /* %d */",
		 sources[k].table, sources[k].table, sw->asc ? ">=" : "<=", sw->asc ? "ASC" : "DESC",
		 wi);
	int rc = db_query(sw->db, &s->r, sql, 2, DBV(DB_TEXT(sw->w[wi].phrase), DB_INT(bound)));
	if (rc < 0) {
		s->r = NULL;
		return rc;
	}
	return source_fetch(s, shift);
}

/* Moves word wi to the first match at `target` or after it. */
static int word_seek(struct search_walk *sw, int wi, int64_t target)
{
	struct word *w = &sw->w[wi];
	bool any = false;
	for (int k = 0; k < 3; k++) {
		struct source *s = &w->src[k];
		s->steps = 0;
		while (!s->done && before(sw, s->head, target)) {
			int rc = s->steps++ < STEPS_BEFORE_SEEK ? source_fetch(s, sources[k].shift)
								: source_open(sw, wi, k, target);
			if (rc < 0)
				return rc;
		}
		if (s->done)
			continue;
		if (!any || before(sw, s->head, w->head))
			w->head = s->head;
		any = true;
	}
	w->done = !any;
	return 0;
}

struct search_walk *search_walk_open(struct db *db, char **phrases, int n, bool asc)
{
	struct search_walk *sw = xcalloc(1, sizeof(*sw) + (size_t)n * sizeof(struct word));
	sw->db = db;
	sw->asc = asc;
	sw->n = n;
	for (int i = 0; i < n; i++) {
		sw->w[i].phrase = phrases[i];
		for (int k = 0; k < 3; k++)
			sw->w[i].src[k].done = true;
	}
	return sw;
}

/* The first incident id at `from` or after it (in walk order) that every
 * word matches. Returns 1 with *id set, 0 when there is none, or an error. */
int search_walk_next(struct search_walk *sw, int64_t from, int64_t *id)
{
	if (from < 1 || from > SEARCH_WALK_ID_MAX)
		return 0;
	int64_t target = from;
	int agreed = 0, wi = 0;
	while (agreed < sw->n) {
		struct word *w = &sw->w[wi];
		if (!w->src[0].r && !w->src[1].r && !w->src[2].r && !w->done) {
			/* first use: open the three streams at the target */
			for (int k = 0; k < 3; k++) {
				int rc = source_open(sw, wi, k, target);
				if (rc < 0)
					return rc;
			}
		}
		int rc = word_seek(sw, wi, target);
		if (rc < 0)
			return rc;
		if (w->done)
			return 0;
		if (w->head == target) {
			agreed++;
		} else {
			target = w->head;
			agreed = 1;
		}
		wi = (wi + 1) % sw->n;
	}
	*id = target;
	return 1;
}

void search_walk_free(struct search_walk *sw)
{
	if (!sw)
		return;
	for (int i = 0; i < sw->n; i++)
		for (int k = 0; k < 3; k++)
			if (sw->w[i].src[k].r)
				db_res_free(sw->w[i].src[k].r);
	free(sw);
}
