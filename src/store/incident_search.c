/*
 * The incident list: filters, full-text search, sorting and keyset
 * pagination.
 *
 * The SQL is assembled from fixed fragments only; every value is a bound
 * parameter with a fixed number:
 *   $1 org  $2 status  $3 severity  $4 category  $5 assignee  $6 commander
 *   $7 tag  $8 personal_data  $9..$14 date ranges  $15 cursor key
 *   $16 cursor id  $17 limit  $18.. search terms
 *
 * Keyset pagination for every sort: rows are ordered by (sort time, id) in
 * the chosen direction, and the cursor carries the last row's pair plus the
 * sort it belongs to. detected_at and resolved_at may be unset; such rows come
 * after all the others in both directions, ordered by id. A page is read in
 * two phases: rows with a value ("v") by a range scan on (org, time, id),
 * then, once those are exhausted, rows without ("n") by a range scan on id.
 * The cursor says which phase it is in:
 *     <sort><dir>.v<time>.<id>   or   <sort><dir>.n.<id>
 * with sort c(reated) d(etected) r(esolved) u(pdated) and dir a(sc)/d(esc).
 *
 * Full-text search: each word of q must occur in the incident's title or
 * description, in one of its timeline entries or in one of its indicators.
 * A word is matched as a phrase of the tokenizer's tokens (so "10.0.0.1" or
 * "evil.example.com" match as written). SQLite: FTS5 tables over the three
 * tables; PostgreSQL: generated tsvector columns with GIN indexes.
 *
 * On SQLite a search in creation order (sort=created_at, the default) walks
 * the matches in incident id order (incident_search_walk.c) and hands them
 * to the filters a batch at a time, so its cost follows the matches looked
 * at, not all the matches: a word in most of 10,000,000 timeline entries
 * fills a page as fast as a rare one. Ids and created_at are both set when
 * the row is inserted, so id order is creation order. Other sorts, and
 * PostgreSQL, collect the matching ids (IN (...)) and let the sort index
 * pick the page.
 */
#include "store/incident_store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/incident_internal.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define Q_MAX 500
#define TERMS_MAX 8
#define TERM_MAX 100

struct sortdef {
	const char *name;
	char code;
	const char *col;
	bool nullable;
};

static const struct sortdef sorts[] = {
	{"created_at", 'c', "i.created_at", false},
	{"detected_at", 'd', "i.detected_at", true},
	{"resolved_at", 'r', "i.resolved_at", true},
	{"updated_at", 'u', "i.updated_at", false},
	{NULL, 0, NULL, false},
};

struct cursor {
	char sort;
	bool asc;
	bool null_phase;
	int64_t key;
	int64_t id;
};

#define PAGE_MAX 201 /* the API's limit 200, plus one */

/* A page being read: the records as JSON text (each one's end offset in
 * it, so the extra row can be cut) and each one's sort key and row id. */
struct page {
	struct strbuf *text;
	size_t end[PAGE_MAX];
	int n;
	int64_t key[PAGE_MAX];
	bool null[PAGE_MAX];
	int64_t id[PAGE_MAX];
};

#define PG_COMMON_SHARE 0.0005 /* see pg_word_share */

struct terms {
	int n;
	char *t[TERMS_MAX];
	/* PostgreSQL: the share of rows holding the word (pg_word_share);
	 * a common word is checked row by row along the sort order rather
	 * than collected, the rarest first */
	double share[TERMS_MAX];
};

static const struct sortdef *sort_of(const char *name)
{
	if (!name || !*name)
		return &sorts[0];
	for (const struct sortdef *s = sorts; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static int cursor_parse(const char *s, struct cursor *c)
{
	/* <sort><dir>.v<time>.<id> | <sort><dir>.n.<id> */
	if (!s || strlen(s) < 6 || strlen(s) > 60 || s[2] != '.')
		return SIRT_EINVAL;
	c->sort = s[0];
	if (s[1] != 'a' && s[1] != 'd')
		return SIRT_EINVAL;
	c->asc = s[1] == 'a';
	const char *p = s + 3;
	char *end;
	c->key = 0;
	if (*p == 'n') {
		c->null_phase = true;
		p++;
	} else if (*p == 'v') {
		c->null_phase = false;
		p++;
		if (!isdigit((unsigned char)*p) && *p != '-')
			return SIRT_EINVAL;
		c->key = strtoll(p, &end, 10);
		p = end;
	} else {
		return SIRT_EINVAL;
	}
	if (*p != '.' || !isdigit((unsigned char)p[1]))
		return SIRT_EINVAL;
	c->id = strtoll(p + 1, &end, 10);
	if (*end || c->id <= 0)
		return SIRT_EINVAL;
	return 0;
}

static bool term_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Splits q into words worth searching for; words without a letter or digit
 * are dropped. */
static int terms_split(const char *q, struct terms *t, char *why, size_t whylen)
{
	t->n = 0;
	if (!q)
		return 0;
	if (strlen(q) > Q_MAX) {
		snprintf(why, whylen, "q must be at most %d characters", Q_MAX);
		return SIRT_EINVAL;
	}
	const char *p = q;
	while (*p) {
		while (*p && isspace((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - s);
		if (!n)
			break;
		/* trailing sentence punctuation is not part of the word */
		while (n > 1 && strchr(".,;:!?\"'()", s[n - 1]))
			n--;
		bool useful = false;
		for (size_t i = 0; i < n; i++)
			useful |= term_char((unsigned char)s[i]);
		if (!useful)
			continue;
		if (n > TERM_MAX) {
			snprintf(why, whylen, "each word of q must be at most %d characters", TERM_MAX);
			goto fail;
		}
		if (t->n == TERMS_MAX) {
			snprintf(why, whylen, "q may have at most %d words", TERMS_MAX);
			goto fail;
		}
		t->t[t->n++] = xstrndup(s, n);
	}
	if (t->n == 0) {
		snprintf(why, whylen, "q has no word to search for");
		return SIRT_EINVAL;
	}
	return 0;
fail:
	for (int i = 0; i < t->n; i++)
		free(t->t[i]);
	t->n = 0;
	return SIRT_EINVAL;
}

static void terms_free(struct terms *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->t[i]);
	t->n = 0;
}

int incident_filter_check(const struct incident_filter *f, char *why, size_t whylen)
{
	const struct sortdef *s = sort_of(f->sort);
	if (!s) {
		snprintf(why, whylen, "sort must be one of created_at, detected_at, resolved_at, updated_at");
		return SIRT_EINVAL;
	}
	if (f->cursor && *f->cursor) {
		struct cursor c;
		if (cursor_parse(f->cursor, &c) < 0) {
			snprintf(why, whylen, "cursor is not one this server returned");
			return SIRT_EINVAL;
		}
		if (c.sort != s->code || c.asc != f->ascending) {
			snprintf(why, whylen, "cursor belongs to a different sort; start again without it");
			return SIRT_EINVAL;
		}
		if (c.null_phase && !s->nullable) {
			snprintf(why, whylen, "cursor is not one this server returned");
			return SIRT_EINVAL;
		}
	}
	if (f->q) {
		struct terms t;
		if (terms_split(f->q, &t, why, whylen) < 0)
			return SIRT_EINVAL;
		terms_free(&t);
	}
	return 0;
}

static void add_filters(struct strbuf *sql, const struct incident_filter *f, const struct terms *t,
			bool pg)
{
	sb_puts(sql, " WHERE i.org_id = $1");
	if (f->status)
		sb_puts(sql, " AND i.status = $2");
	if (f->severity)
		sb_puts(sql, " AND i.severity = $3");
	if (f->category)
		sb_puts(sql, " AND i.category = $4");
	if (f->assignee)
		sb_puts(sql, " AND i.id IN (SELECT a.incident_id FROM incident_assignees a"
			     " WHERE a.user_id = (SELECT au.id FROM users au WHERE au.email = $5))");
	if (f->commander)
		sb_puts(sql, " AND i.commander_id = (SELECT cu.id FROM users cu WHERE cu.email = $6)");
	if (f->tag)
		sb_puts(sql, " AND i.id IN (SELECT g.incident_id FROM incident_tags g"
			     " WHERE g.org_id = $1 AND g.tag = $7)");
	if (f->personal_data != PD_ANY)
		sb_puts(sql, " AND i.personal_data = $8");
	if (f->detected_from)
		sb_puts(sql, " AND i.detected_at >= $9");
	if (f->detected_to)
		sb_puts(sql, " AND i.detected_at <= $10");
	if (f->created_from)
		sb_puts(sql, " AND i.created_at >= $11");
	if (f->created_to)
		sb_puts(sql, " AND i.created_at <= $12");
	if (f->resolved_from)
		sb_puts(sql, " AND i.resolved_at >= $13");
	if (f->resolved_to)
		sb_puts(sql, " AND i.resolved_at <= $14");
	/* On PostgreSQL the common words' row-by-row checks go rarest first:
	 * an incident the rarest rejects is not probed for the others (on
	 * SQLite every share is 0, so the words keep their order). */
	int order[TERMS_MAX];
	for (int k = 0; k < t->n; k++) {
		int j = k;
		for (; j > 0 && t->share[order[j - 1]] > t->share[k]; j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
	for (int o = 0; o < t->n; o++) {
		int k = order[o], p = 18 + k;
		if (pg && t->share[k] >= PG_COMMON_SHARE)
			/* Checked row by row along the sort order, each EXISTS
			 * a probe of the incident's own rows. Without "OFFSET 0"
			 * the planner may hash the word's every timeline match
			 * first (43,000 rows, 370 ms, against 17 ms of probes
			 * for a word in 4 % of the incidents); without the
			 * COALESCE it may AND the full-text index into each
			 * probe (2 ms each, against 10 us). */
			sb_printf(sql,
				  " AND (i.search @@ phraseto_tsquery('simple', $%d)"
				  " OR EXISTS (SELECT 1 FROM incident_timeline tl WHERE tl.incident_id = i.id"
				  " AND COALESCE(tl.search, CAST('' AS tsvector))"
				  " @@ phraseto_tsquery('simple', $%d) OFFSET 0)"
				  " OR EXISTS (SELECT 1 FROM incident_indicators ix WHERE ix.incident_id = i.id"
				  " AND COALESCE(ix.search, CAST('' AS tsvector))"
				  " @@ phraseto_tsquery('simple', $%d) OFFSET 0))",
				  p, p, p);
		else if (pg)
			/* The matching ids as an array computed first, then
			 * looked up by primary key: as "IN (subquery)" the
			 * planner guesses 0.5 % of the table for any word missing
			 * from its statistics and hash-joins the whole org's
			 * index (1,000,000 rows, 200 ms) for a word in 100. */
			sb_printf(sql,
				  " AND i.id = ANY (ARRAY(SELECT s.id FROM incidents s WHERE s.org_id = $1"
				  " AND s.search @@ phraseto_tsquery('simple', $%d)"
				  " UNION SELECT tl.incident_id FROM incident_timeline tl WHERE tl.org_id = $1"
				  " AND tl.search @@ phraseto_tsquery('simple', $%d)"
				  " UNION SELECT ix.incident_id FROM incident_indicators ix WHERE ix.org_id = $1"
				  " AND ix.search @@ phraseto_tsquery('simple', $%d)))",
				  p, p, p);
		else
			sb_printf(sql,
				  " AND i.id IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH $%d"
				  " UNION SELECT rowid >> 24 FROM timeline_fts WHERE timeline_fts MATCH $%d"
				  " UNION SELECT rowid >> 24 FROM indicators_fts WHERE indicators_fts MATCH $%d)",
				  p, p, p);
	}
}

/*
 * PostgreSQL: the share of the incidents or of the timeline entries (the
 * larger) that hold the word, read off the column statistics ANALYZE keeps
 * for each tsvector column (its most common lexemes, about a thousand, and
 * the share of rows holding each); a phrase is as common as its rarest
 * lexeme. 0 for a word missing from the lists, which is rarer than all of
 * them. Collecting the ids of a word in more than about 0.05 % of the
 * timeline entries costs more than checking incidents along the sort order
 * until a page is full (measured at 1,000,000 incidents with 10 entries
 * each: 8,000 entries collected, 176 ms; 6,400 incidents probed, 90 ms);
 * for a rarer word it is the other way round.
 */
static double pg_word_share(struct db *db, const char *word)
{
	struct db_res *r;
	if (db_query(db, &r,
		     "SELECT CAST(COALESCE(max(share), 0) AS TEXT) FROM (SELECT min(m.f) AS share"
		     " FROM pg_stats s"
		     " CROSS JOIN (SELECT tsvector_to_array(to_tsvector('simple', $1)) AS lex) w"
		     " JOIN LATERAL unnest(CAST(CAST(s.most_common_elems AS TEXT) AS TEXT[]),"
		     " s.most_common_elem_freqs) AS m(e, f) ON m.e = ANY (w.lex)"
		     " WHERE s.schemaname = current_schema() AND s.attname = 'search'"
		     " AND s.tablename IN ('incidents', 'incident_timeline')"
		     " GROUP BY s.tablename, w.lex HAVING count(*) = cardinality(w.lex)) x",
		     1, DBV(DB_TEXT(word))) < 0)
		return 0;
	double share = 0;
	if (db_next(r) && db_text(r, 0))
		share = strtod(db_text(r, 0), NULL);
	db_res_free(r);
	return share;
}

/* Runs one phase; appends up to `want` rows to the page. With id_set (a
 * JSON array of incident ids the search stream found) the rows are those
 * of the set that pass the filters, in id order; t and after are unused. */
static int run_phase(struct db *db, int64_t org_id, const struct incident_filter *f,
		     const struct terms *t, char **bound_terms, const struct sortdef *s,
		     bool null_phase, const struct cursor *after, int want, const char *id_set,
		     struct page *pg_out)
{
	static const struct terms no_terms;
	if (id_set) {
		t = &no_terms;
		after = NULL;
	}
	bool pg = db_is_postgres(db);
	const char *dir = f->ascending ? "ASC" : "DESC";
	const char *cmp = f->ascending ? ">" : "<";
	struct strbuf sql;
	sb_init(&sql, 16384);
	/* The page's ids first, the full records (with their correlated
	 * subqueries) only for those: a sort over many matches then moves ids,
	 * not records. */
	sb_printf(&sql, "SELECT %s, %s FROM (SELECT i.id AS page_id FROM incidents i",
		  incident_record_cols(db), s->col);
	add_filters(&sql, f, t, pg);
	struct strbuf order;
	sb_init(&order, 200);
	if (id_set) {
		sb_puts(&sql, " AND i.id IN (SELECT value FROM json_each($18))");
		sb_printf(&order, " ORDER BY i.id %s", dir);
	} else if (null_phase) {
		sb_printf(&sql, " AND %s IS NULL", s->col);
		/* With an "i.id IN (...)" filter (assignee, tag, search words)
		 * SQLite 3.40 plans the IN and this bound together on the
		 * (org, time, id) index and drops the bound, repeating pages
		 * (found by the e2e suite after ANALYZE). "+i.id" keeps the bound
		 * a plain filter; the IN already chooses the rows. */
		bool id_in = f->assignee || f->tag || t->n > 0;
		if (after)
			sb_printf(&sql, " AND %si.id %s $16", id_in ? "+" : "", cmp);
		sb_printf(&order, " ORDER BY i.id %s", dir);
	} else {
		if (s->nullable)
			sb_printf(&sql, " AND %s IS NOT NULL", s->col);
		if (after)
			sb_printf(&sql, " AND (%s, i.id) %s (CAST($15 AS BIGINT), CAST($16 AS BIGINT))",
				  s->col, cmp);
		sb_printf(&order, " ORDER BY %s %s, i.id %s", s->col, dir, dir);
	}
	sb_printf(&sql, "%s LIMIT $17) page JOIN incidents i ON i.id = page.page_id%s", sb_str(&order),
		  sb_str(&order));
	sb_free(&order);
	if (sb_status(&sql) < 0) {
		sb_free(&sql);
		return SIRT_ETOOBIG;
	}
	int pd = f->personal_data == PD_YES ? 1 : 0;
	struct db_val v[18 + TERMS_MAX] = {
		DB_INT(org_id), DB_TEXT(f->status), DB_TEXT(f->severity), DB_TEXT(f->category),
		DB_TEXT(f->assignee), DB_TEXT(f->commander), DB_TEXT(f->tag), DB_INT(pd),
		DB_INT(f->detected_from), DB_INT(f->detected_to), DB_INT(f->created_from),
		DB_INT(f->created_to), DB_INT(f->resolved_from), DB_INT(f->resolved_to),
		DB_INT(after ? after->key : 0), DB_INT(after ? after->id : 0), DB_INT(want),
	};
	for (int k = 0; k < TERMS_MAX; k++)
		v[17 + k] = k < t->n ? DB_TEXT(bound_terms[k]) : DB_NULL();
	if (id_set)
		v[17] = DB_TEXT(id_set);
	struct db_res *r;
	int rc = db_query(db, &r, sb_str(&sql), id_set ? 18 : 17 + t->n, v);
	sb_free(&sql);
	if (rc < 0)
		return rc;
	int col = -1;
	while (db_next(r) && pg_out->n < PAGE_MAX) {
		if (col < 0)
			col = db_ncols(r) - 1;
		if (pg_out->n > 0)
			sb_putc(pg_out->text, ',');
		incident_row_write(pg_out->text, r);
		pg_out->end[pg_out->n] = pg_out->text->len;
		pg_out->null[pg_out->n] = db_isnull(r, col);
		pg_out->key[pg_out->n] = db_int(r, col);
		pg_out->id[pg_out->n] = db_int(r, 0);
		pg_out->n++;
	}
	db_res_free(r);
	return 0;
}

/* Search words in creation order on SQLite: the walk (incident_search_walk.c)
 * hands over matching incident ids in order, a batch at a time; the filters
 * keep those that pass. Batches grow, so a filter that passes few of the
 * matches costs a few large batches rather than many small ones. */
#define WALK_BATCH_MAX 4096

static int walk_phase(struct db *db, int64_t org_id, const struct incident_filter *f,
		      const struct terms *t, char **bound_terms, const struct sortdef *s,
		      const struct cursor *after, int want, struct page *pg_out)
{
	struct search_walk *sw = search_walk_open(db, bound_terms, t->n, f->ascending);
	int64_t next = f->ascending ? 1 : SEARCH_WALK_ID_MAX;
	if (after)
		next = f->ascending ? after->id + 1 : after->id - 1;
	struct strbuf set;
	sb_init(&set, 64 * 1024);
	int batch = want, rc = 0;
	while (pg_out->n < want) {
		sb_reset(&set);
		sb_putc(&set, '[');
		int got = 0;
		int64_t id;
		while (got < batch && (rc = search_walk_next(sw, next, &id)) == 1) {
			sb_printf(&set, got ? ",%lld" : "%lld", (long long)id);
			got++;
			next = f->ascending ? id + 1 : id - 1;
		}
		if (rc < 0 || got == 0)
			break;
		sb_putc(&set, ']');
		rc = run_phase(db, org_id, f, t, bound_terms, s, false, NULL, want - pg_out->n,
			       sb_str(&set), pg_out);
		if (rc < 0 || got < batch)
			break;
		batch = batch * 4 > WALK_BATCH_MAX ? WALK_BATCH_MAX : batch * 4;
	}
	sb_free(&set);
	search_walk_free(sw);
	return rc < 0 ? rc : 0;
}

int incident_list_text(struct db *db, int64_t org_id, const struct incident_filter *f,
		       struct strbuf *items, char **next_cursor)
{
	char why[200];
	*next_cursor = NULL;
	if (incident_filter_check(f, why, sizeof(why)) < 0)
		return SIRT_EINVAL;
	const struct sortdef *s = sort_of(f->sort);
	struct cursor cur = {0}, *after = NULL;
	if (f->cursor && *f->cursor) {
		if (cursor_parse(f->cursor, &cur) < 0)
			return SIRT_EINVAL;
		after = &cur;
	} else if (f->cursor_id && s->code == 'c' && !f->ascending) {
		cur = (struct cursor){.sort = 'c', .key = f->cursor_created, .id = f->cursor_id};
		after = &cur;
	}
	struct terms t = {0};
	char *bound[TERMS_MAX] = {0};
	if (f->q && terms_split(f->q, &t, why, sizeof(why)) < 0)
		return SIRT_EINVAL;
	for (int k = 0; k < t.n; k++) {
		if (db_is_postgres(db)) {
			bound[k] = xstrdup(t.t[k]);
			t.share[k] = pg_word_share(db, t.t[k]);
			continue;
		}
		/* an FTS5 phrase: "word" with inner quotes doubled */
		struct strbuf b;
		sb_init(&b, 4 * TERM_MAX);
		sb_putc(&b, '"');
		for (const char *p = t.t[k]; *p; p++) {
			if (*p == '"')
				sb_putc(&b, '"');
			sb_putc(&b, *p);
		}
		sb_putc(&b, '"');
		bound[k] = sb_steal(&b, NULL);
	}
	int limit = f->limit > 0 && f->limit < PAGE_MAX ? f->limit : 50;
	struct page *page = xcalloc(1, sizeof(*page));
	page->text = items;
	size_t start = items->len;
	sb_putc(items, '[');
	int rc = 0;
	/* one row more than asked tells whether there is a next page */
	if (t.n > 0 && s->code == 'c' && !db_is_postgres(db))
		rc = walk_phase(db, org_id, f, &t, bound, s, after, limit + 1, page);
	else if (!after || !after->null_phase)
		rc = run_phase(db, org_id, f, &t, bound, s, false, after, limit + 1, NULL, page);
	if (rc == 0 && s->nullable && page->n < limit + 1)
		rc = run_phase(db, org_id, f, &t, bound, s, true,
			       after && after->null_phase ? after : NULL, limit + 1 - page->n, NULL, page);
	for (int k = 0; k < t.n; k++)
		free(bound[k]);
	terms_free(&t);
	if (rc == 0 && sb_status(items) < 0)
		rc = SIRT_ETOOBIG;
	if (rc < 0) {
		items->len = start;
		items->buf[start] = '\0';
		free(page);
		return rc;
	}
	if (page->n > limit) {
		/* the cursor is the last row shown, not the extra one */
		items->len = page->end[limit - 1];
		int l = limit - 1;
		if (page->null[l])
			*next_cursor = xasprintf("%c%c.n.%lld", s->code, f->ascending ? 'a' : 'd',
						 (long long)page->id[l]);
		else
			*next_cursor = xasprintf("%c%c.v%lld.%lld", s->code, f->ascending ? 'a' : 'd',
						 (long long)page->key[l], (long long)page->id[l]);
	}
	sb_putc(items, ']');
	free(page);
	return 0;
}

int incident_list(struct db *db, int64_t org_id, const struct incident_filter *f, json_t **items,
		  char **next_cursor)
{
	struct strbuf text;
	sb_init(&text, SB_DEFAULT_MAX);
	int rc = incident_list_text(db, org_id, f, &text, next_cursor);
	if (rc == 0) {
		*items = json_loads(sb_str(&text), 0, NULL);
		if (!*items) {
			free(*next_cursor);
			*next_cursor = NULL;
			rc = SIRT_EDB;
		}
	}
	sb_free(&text);
	return rc;
}
