/* Input files -> checked sirt incident records (see import_map.h). */
#include "export/import_map.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/category.h"
#include "core/lifecycle.h"
#include "core/utf8.h"
#include "export/csv.h"
#include "export/veris.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

enum fkind { K_TITLE, K_LINE, K_TEXT, K_ENUM, K_STATUS, K_TIME, K_LIST, K_BOOL };

struct fdef {
	const char *name;
	enum fkind kind;
	const char *const *values; /* K_ENUM */
	size_t max;                /* characters (K_LINE/K_TEXT/K_LIST items) */
};

/* The record's enumerations come from src/core/category.h (one place). */
static const char *const sev_enum[] = {"critical", "high", "medium", "low", NULL};
#define func_enum impact_functional_levels
#define info_enum impact_information_levels
#define recov_enum impact_recoverability_levels
#define tlp_enum tlp_levels
#define action_enum veris_actions
#define reject_enum reject_reasons

/* Every record field an import may fill. */
static const struct fdef fields[] = {
	{"title", K_TITLE, NULL, 200},
	{"description", K_TEXT, NULL, 65536},
	{"severity", K_ENUM, sev_enum, 0},
	{"status", K_STATUS, NULL, 0},
	{"category", K_ENUM, incident_categories, 0},
	{"attack_vector", K_ENUM, attack_vectors, 0},
	{"veris_action", K_ENUM, action_enum, 0},
	{"resolution", K_ENUM, incident_resolutions, 0},
	{"resolution_summary", K_TEXT, NULL, 65536},
	{"root_cause_category", K_ENUM, root_cause_categories, 0},
	{"occurred_at", K_TIME, NULL, 0},
	{"detected_at", K_TIME, NULL, 0},
	{"aware_at", K_TIME, NULL, 0},
	{"acknowledged_at", K_TIME, NULL, 0},
	{"contained_at", K_TIME, NULL, 0},
	{"resolved_at", K_TIME, NULL, 0},
	{"closed_at", K_TIME, NULL, 0},
	{"reporter", K_LINE, NULL, 200},
	{"affected_systems", K_LIST, NULL, 200},
	{"affected_customers", K_LIST, NULL, 200},
	{"data_types", K_LIST, NULL, 100},
	{"personal_data", K_BOOL, NULL, 0},
	{"impact_functional", K_ENUM, func_enum, 0},
	{"impact_information", K_ENUM, info_enum, 0},
	{"impact_recoverability", K_ENUM, recov_enum, 0},
	{"tlp", K_ENUM, tlp_enum, 0},
	{"plan_version", K_LINE, NULL, 100},
	{"reject_reason", K_ENUM, reject_enum, 0},
	{"external_ref", K_LINE, NULL, 200},
	{"tags", K_LIST, NULL, 50},
	{NULL, 0, NULL, 0},
};

static const struct fdef *field_def(const char *name);
static void add_err(json_t **errors, const char *field, const char *fmt, ...) PRINTF(3, 4);
static bool line_ok(const char *s, size_t max, bool multiline);
static void reject(struct import_result *res, const char *where, const char *field,
		   const char *message);
static int csv_value(const struct fdef *f, const char *raw, json_t **out, const char **why);
static bool parse_csv_time(const char *s, int64_t *t);

static const struct fdef *field_def(const char *name)
{
	for (const struct fdef *f = fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

bool import_field_known(const char *name)
{
	return field_def(name) != NULL;
}

static void add_err(json_t **errors, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!*errors)
		*errors = json_array();
	json_array_append_new(*errors, json_pack("{s:s, s:s}", "field", field, "message", msg));
}

/* Valid UTF-8 of at most max code points, no control characters. */
static bool line_ok(const char *s, size_t max, bool multiline)
{
	size_t n = strlen(s), ncp;
	if (!utf8_valid(s, n, &ncp) || ncp > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\r' || *p == '\t'))) ||
		    *p == 0x7f)
			return false;
	return true;
}

static bool in_list(const char *const *e, const char *s)
{
	for (; *e; e++)
		if (!strcmp(*e, s))
			return true;
	return false;
}

/* ---- the record check ---- */

int import_record_check(json_t *rec, int64_t now, json_t **errors)
{
	json_t *before = *errors ? json_incref(*errors) : NULL;
	size_t nbefore = json_array_size(*errors);
	const char *k;
	json_t *v;
	json_object_foreach(rec, k, v) {
		if (k[0] == '_')
			continue; /* private attachments (_veris) */
		const struct fdef *f = field_def(k);
		if (!f) {
			if (strcmp(k, "source") != 0)
				add_err(errors, k, "is not a field of the incident record");
			continue;
		}
		if (json_is_null(v))
			continue;
		switch (f->kind) {
		case K_TITLE:
		case K_LINE:
			if (!json_is_string(v) || !line_ok(json_string_value(v), f->max, false))
				add_err(errors, k, "must be one line of at most %zu characters", f->max);
			break;
		case K_TEXT:
			if (!json_is_string(v) || !line_ok(json_string_value(v), f->max, true))
				add_err(errors, k, "must be UTF-8 text of at most %zu characters", f->max);
			break;
		case K_ENUM:
			if (!json_is_string(v) || !in_list(f->values, json_string_value(v))) {
				struct strbuf sb;
				sb_init(&sb, 1024);
				for (const char *const *e = f->values; *e; e++)
					sb_printf(&sb, "%s%s", e == f->values ? "" : ", ", *e);
				add_err(errors, k, "'%s' is not one of %s",
					json_is_string(v) ? json_string_value(v) : "(not text)",
					sb_str(&sb));
				sb_free(&sb);
			}
			break;
		case K_STATUS:
			if (!json_is_string(v) || !lifecycle_status_valid(json_string_value(v)))
				add_err(errors, k,
					"'%s' is not one of new, triage, containment, eradication,"
					" recovery, resolved, closed, rejected",
					json_is_string(v) ? json_string_value(v) : "(not text)");
			break;
		case K_TIME: {
			int64_t t;
			if (!json_is_string(v) || time_parse_iso8601(json_string_value(v), &t) < 0)
				add_err(errors, k, "must be an RFC 3339 date-time with offset");
			break;
		}
		case K_LIST: {
			size_t i;
			json_t *it;
			if (!json_is_array(v) || json_array_size(v) > 100) {
				add_err(errors, k, "must be a list of at most 100 items");
				break;
			}
			json_array_foreach(v, i, it)
				if (!json_is_string(it) || !*json_string_value(it) ||
				    !line_ok(json_string_value(it), f->max, false)) {
					add_err(errors, k,
						"item %zu must be one line of 1 to %zu characters",
						i + 1, f->max);
					break;
				}
			break;
		}
		case K_BOOL:
			if (!json_is_boolean(v))
				add_err(errors, k, "must be true or false");
			break;
		}
	}
	const char *title = json_string_value(json_object_get(rec, "title"));
	if (!title || strspn(title, " \t") == strlen(title))
		add_err(errors, "title", "is required and must not be blank");
	if (!json_is_string(json_object_get(rec, "severity")))
		add_err(errors, "severity", "is required: critical, high, medium or low");
	const char *st = json_string_value(json_object_get(rec, "status"));
	const char *rr = json_string_value(json_object_get(rec, "reject_reason"));
	if (rr && (!st || strcmp(st, "rejected") != 0))
		add_err(errors, "reject_reason", "is only for rejected incidents");
	if (json_array_size(*errors) == nbefore) {
		/* time order, only when every time parsed */
		struct incident_times t = {0};
		struct {
			const char *name;
			int64_t *dst;
		} tm[] = {{"occurred_at", &t.occurred_at},   {"detected_at", &t.detected_at},
			  {"aware_at", &t.became_aware_at},  {"acknowledged_at", &t.acknowledged_at},
			  {"contained_at", &t.contained_at}, {"resolved_at", &t.resolved_at},
			  {"closed_at", &t.closed_at}};
		for (size_t i = 0; i < sizeof(tm) / sizeof(tm[0]); i++) {
			const char *s = json_string_value(json_object_get(rec, tm[i].name));
			if (s && time_parse_iso8601(s, tm[i].dst) < 0)
				*tm[i].dst = 0;
		}
		const char *field = NULL;
		struct strbuf why;
		sb_init(&why, 1024);
		if (lifecycle_check_times(&t, now, &field, &why) < 0)
			add_err(errors, field ? field : "times", "%s", sb_str(&why));
		sb_free(&why);
	}
	bool bad = json_array_size(*errors) > nbefore;
	json_decref(before);
	return bad ? SIRT_EINVAL : 0;
}

/* ---- results ---- */

void import_result_init(struct import_result *res)
{
	memset(res, 0, sizeof(*res));
	res->rejects = json_array();
	res->created_ids = json_array();
}

void import_result_free(struct import_result *res)
{
	json_decref(res->rejects);
	json_decref(res->created_ids);
	memset(res, 0, sizeof(*res));
}

json_t *import_result_json(const struct import_result *res)
{
	return json_pack("{s:I, s:I, s:I, s:O}", "created", (json_int_t)res->created, "existing",
			 (json_int_t)res->existing, "rejected", (json_int_t)res->rejected,
			 "rejects", res->rejects);
}

static void reject(struct import_result *res, const char *where, const char *field,
		   const char *message)
{
	res->rejected++;
	if (json_array_size(res->rejects) < 10000)
		json_array_append_new(res->rejects,
				      json_pack("{s:s, s:s, s:s}", "where", where, "field",
						field ? field : "", "message", message));
}

static void reject_errors(struct import_result *res, const char *where, json_t *errors)
{
	/* one reject per row or file, naming every field */
	struct strbuf fs, ms;
	sb_init(&fs, 4096);
	sb_init(&ms, 16384);
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));
		const char *m = json_string_value(json_object_get(e, "message"));
		sb_printf(&fs, "%s%s", i ? "," : "", f);
		sb_printf(&ms, "%s%s: %s", i ? "; " : "", f, m);
	}
	reject(res, where, sb_str(&fs), sb_str(&ms));
	sb_free(&fs);
	sb_free(&ms);
}

/* ---- mapping ---- */

void csv_map_free(struct csv_map *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->column[i]);
	m->n = 0;
}

static int map_add(struct csv_map *m, const char *field, size_t flen, const char *col,
		   size_t clen, char *err, size_t errlen)
{
	char fname[64];
	while (flen && isspace((unsigned char)*field))
		field++, flen--;
	while (flen && isspace((unsigned char)field[flen - 1]))
		flen--;
	while (clen && isspace((unsigned char)*col))
		col++, clen--;
	while (clen && isspace((unsigned char)col[clen - 1]))
		clen--;
	if (clen >= 2 && col[0] == '"' && col[clen - 1] == '"')
		col++, clen -= 2;
	if (!flen || flen >= sizeof(fname) || !clen) {
		snprintf(err, errlen, "mapping entries are field=Column");
		return SIRT_EINVAL;
	}
	memcpy(fname, field, flen);
	fname[flen] = '\0';
	const struct fdef *f = field_def(fname);
	if (!f) {
		struct strbuf sb;
		sb_init(&sb, 2048);
		for (const struct fdef *x = fields; x->name; x++)
			sb_printf(&sb, "%s%s", x == fields ? "" : ", ", x->name);
		snprintf(err, errlen, "'%s' is not an incident field; the fields are: %s", fname,
			 sb_str(&sb));
		sb_free(&sb);
		return SIRT_EINVAL;
	}
	for (int i = 0; i < m->n; i++)
		if (m->field[i] == f->name) {
			snprintf(err, errlen, "field '%s' is mapped twice", fname);
			return SIRT_EINVAL;
		}
	if (m->n == IMPORT_MAX_FIELDS) {
		snprintf(err, errlen, "too many mappings");
		return SIRT_EINVAL;
	}
	m->field[m->n] = f->name;
	m->column[m->n] = xstrndup(col, clen);
	m->n++;
	return 0;
}

int csv_map_parse(const char *spec, struct csv_map *m, char *err, size_t errlen)
{
	const char *p = spec;
	while (*p) {
		const char *eq = strchr(p, '=');
		if (!eq) {
			snprintf(err, errlen, "mapping '%s' is not field=Column", p);
			return SIRT_EINVAL;
		}
		const char *c = eq + 1, *ce;
		while (*c == ' ')
			c++;
		if (*c == '"') {
			ce = strchr(c + 1, '"');
			if (!ce) {
				snprintf(err, errlen, "unterminated quote in the mapping");
				return SIRT_EINVAL;
			}
			ce++;
		} else {
			ce = c + strcspn(c, ",");
		}
		int rc = map_add(m, p, (size_t)(eq - p), c, (size_t)(ce - c), err, errlen);
		if (rc < 0)
			return rc;
		p = ce;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p) {
			snprintf(err, errlen, "expected ',' after the column name in the mapping");
			return SIRT_EINVAL;
		}
	}
	return 0;
}

int csv_map_load(const char *path, struct csv_map *m, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SIRT_EIO;
	}
	char line[1024];
	int n = 0, rc = 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		char e2[400];
		if (!eq || map_add(m, s, (size_t)(eq - s), eq + 1, strlen(eq + 1), e2, sizeof(e2)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, n, eq ? e2 : "expected 'field = Column'");
			rc = SIRT_EINVAL;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* ---- CSV values ---- */

static bool parse_csv_time(const char *s, int64_t *t)
{
	if (time_parse_iso8601(s, t) == 0)
		return true;
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	int n = 0;
	char tail;
	if (sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3 || n != 10 || mo < 1 || mo > 12 ||
	    d < 1 || d > 31)
		return false;
	if (s[10]) {
		int m2 = 0;
		if (sscanf(s + 10, " %2u:%2u%n", &h, &mi, &m2) != 2)
			return false;
		const char *rest = s + 10 + m2;
		if (*rest == ':' && sscanf(rest, ":%2u%c", &se, &tail) != 1)
			return false;
		if (*rest && *rest != ':')
			return false;
		if (h > 23 || mi > 59 || se > 60)
			return false;
	}
	*t = time_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

static char *lower_trim(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *o = xstrdup(s);
	size_t n = strlen(o);
	while (n && isspace((unsigned char)o[n - 1]))
		o[--n] = '\0';
	for (char *p = o; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return o;
}

/* A CSV cell -> JSON for field f; NULL *out for an empty cell. */
static int csv_value(const struct fdef *f, const char *raw, json_t **out, const char **why)
{
	*out = NULL;
	const char *s = raw;
	while (isspace((unsigned char)*s) && f->kind != K_TEXT)
		s++;
	if (!*s)
		return 0;
	/* undo the export's formula neutralisation: '=SUM(...) -> =SUM(...) */
	if (s[0] == '\'' && csv_is_formula(s + 1))
		raw = ++s;
	switch (f->kind) {
	case K_TITLE:
	case K_LINE: {
		char *t = xstrdup(s);
		size_t n = strlen(t);
		while (n && isspace((unsigned char)t[n - 1]))
			t[--n] = '\0';
		*out = json_string(t);
		free(t);
		if (!*out) {
			*why = "is not valid UTF-8";
			return SIRT_EINVAL;
		}
		return 0;
	}
	case K_TEXT:
		*out = json_string(raw);
		return 0;
	case K_ENUM:
	case K_STATUS: {
		char *t = lower_trim(s);
		for (char *p = t; *p; p++)
			if (*p == ' ' || *p == '-')
				*p = '_';
		if (f->values == tlp_enum && !strcmp(t, "white"))
			strcpy(t, "clear"); /* TLP 1.0 name */
		if (f->values == tlp_enum)
			for (char *p = t; *p; p++)
				if (*p == '_')
					*p = '+';
		*out = json_string(t);
		free(t);
		return 0;
	}
	case K_TIME: {
		int64_t t;
		if (!parse_csv_time(s, &t)) {
			*why = "is not a date (YYYY-MM-DD), a date and time (YYYY-MM-DD HH:MM, UTC) or"
			       " RFC 3339";
			return SIRT_EINVAL;
		}
		char buf[ISO8601_LEN];
		time_format_iso8601(t, buf);
		*out = json_string(buf);
		return 0;
	}
	case K_LIST: {
		char sep = strchr(s, ';') ? ';' : ',';
		json_t *arr = json_array();
		const char *p = s;
		while (*p) {
			const char *e = strchr(p, sep);
			size_t n = e ? (size_t)(e - p) : strlen(p);
			while (n && isspace((unsigned char)*p))
				p++, n--;
			while (n && isspace((unsigned char)p[n - 1]))
				n--;
			if (n) {
				char *item = xstrndup(p, n);
				json_array_append_new(arr, json_string(item));
				free(item);
			}
			if (!e)
				break;
			p = e + 1;
		}
		*out = arr;
		return 0;
	}
	case K_BOOL: {
		char *t = lower_trim(s);
		bool yes = !strcmp(t, "yes") || !strcmp(t, "true") || !strcmp(t, "1") ||
			   !strcmp(t, "y") || !strcmp(t, "x");
		bool no = !strcmp(t, "no") || !strcmp(t, "false") || !strcmp(t, "0") ||
			  !strcmp(t, "n");
		free(t);
		if (!yes && !no) {
			*why = "must be yes or no (true/false, 1/0)";
			return SIRT_EINVAL;
		}
		*out = json_boolean(yes);
		return 0;
	}
	}
	return 0;
}

int import_csv_records(const char *name, const char *data, size_t len, const struct csv_map *m,
		       bool skip_bad, int64_t now, json_t **records, struct import_result *res)
{
	struct csv_reader rd;
	struct csv_record rec;
	char err[512], where[256];
	int idx[IMPORT_MAX_FIELDS];
	const char *fname[IMPORT_MAX_FIELDS];
	int nmap = 0;
	json_t *out = json_array(), *seen = json_object();
	int64_t rejected_before = res->rejected;
	csv_reader_init(&rd, data, len);
	int rc = csv_read(&rd, &rec, err, sizeof(err));
	if (rc <= 0) {
		reject(res, name, "", rc == 0 ? "the file is empty: a header row is expected" : err);
		goto fail;
	}
	/* resolve the mapping against the header */
	if (m && m->n) {
		struct strbuf missing;
		sb_init(&missing, 4096);
		for (int i = 0; i < m->n; i++) {
			int col = -1;
			for (int c = 0; c < rec.nfields; c++)
				if (!strcmp(rec.field[c], m->column[i]))
					col = c;
			if (col < 0)
				sb_printf(&missing, "%s'%s' (for %s)", missing.len ? ", " : "",
					  m->column[i], m->field[i]);
			idx[nmap] = col;
			fname[nmap++] = m->field[i];
		}
		if (missing.len) {
			struct strbuf hdr;
			sb_init(&hdr, 8192);
			for (int c = 0; c < rec.nfields; c++)
				sb_printf(&hdr, "%s%s", c ? ", " : "", rec.field[c]);
			snprintf(where, sizeof(where), "%s:%d", name, rec.line);
			char *msg = xasprintf("missing column%s %s; the header row has: %s",
					      strchr(sb_str(&missing), ',') ? "s" : "",
					      sb_str(&missing), sb_str(&hdr));
			reject(res, where, "", msg);
			free(msg);
			sb_free(&hdr);
			sb_free(&missing);
			goto fail;
		}
		sb_free(&missing);
	} else {
		for (int c = 0; c < rec.nfields && nmap < IMPORT_MAX_FIELDS; c++) {
			const struct fdef *f = field_def(rec.field[c]);
			if (f) {
				idx[nmap] = c;
				fname[nmap++] = f->name;
			}
		}
	}
	bool has_title = false, has_sev = false, has_ref = false;
	for (int i = 0; i < nmap; i++) {
		has_title |= !strcmp(fname[i], "title");
		has_sev |= !strcmp(fname[i], "severity");
		has_ref |= !strcmp(fname[i], "external_ref");
	}
	if (!has_title || !has_sev) {
		snprintf(where, sizeof(where), "%s:%d", name, rec.line);
		reject(res, where, !has_title ? "title" : "severity",
		       "no column is mapped to this required field: give --map"
		       " title=Column,severity=Column (or name the header columns title and severity)");
		goto fail;
	}
	int ncols = rec.nfields;
	for (;;) {
		rc = csv_read(&rd, &rec, err, sizeof(err));
		if (rc == 0)
			break;
		if (rc < 0) {
			/* the reader cannot resynchronise after broken quoting */
			reject(res, name, "", err);
			goto fail;
		}
		snprintf(where, sizeof(where), "%s:%d", name, rec.line);
		if (rec.nfields != ncols) {
			char *msg = xasprintf("the row has %d fields, the header %d", rec.nfields, ncols);
			reject(res, where, "", msg);
			free(msg);
			continue;
		}
		json_t *r = json_object(), *errors = NULL;
		for (int i = 0; i < nmap; i++) {
			const struct fdef *f = field_def(fname[i]);
			json_t *v;
			const char *why = NULL;
			if (csv_value(f, rec.field[idx[i]], &v, &why) < 0)
				add_err(&errors, f->name, "'%.80s' %s", rec.field[idx[i]], why);
			else if (v)
				json_object_set_new(r, f->name, v);
		}
		if (!json_object_get(r, "status"))
			json_object_set_new(r, "status", json_string("new"));
		json_object_set_new(r, "source", json_string("import"));
		/* check what did convert too, so the row's every problem is named */
		if (import_record_check(r, now, &errors) < 0 && !errors)
			add_err(&errors, "", "invalid record");
		if (!errors) {
			/* identity: the key column, else the content */
			const char *ref = json_string_value(json_object_get(r, "external_ref"));
			char *hash_ref = NULL;
			if (!ref || !has_ref) {
				char *canon = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
				char hex[65];
				sha256_hex(hex, canon, strlen(canon));
				free(canon);
				hash_ref = xasprintf("sha256:%s", hex);
				json_object_set_new(r, "external_ref", json_string(hash_ref));
				ref = hash_ref;
			}
			json_t *prev = json_object_get(seen, ref);
			if (prev)
				add_err(&errors, has_ref ? "external_ref" : "",
					"duplicate of line %d (%s)", (int)json_integer_value(prev),
					has_ref ? "same key" : "same content");
			else
				json_object_set_new(seen, ref, json_integer(rec.line));
			free(hash_ref);
		}
		if (errors) {
			reject_errors(res, where, errors);
			json_decref(errors);
			json_decref(r);
			continue;
		}
		json_array_append_new(out, r);
	}
	if (res->rejected > rejected_before && !skip_bad)
		goto fail;
	csv_reader_free(&rd);
	json_decref(seen);
	*records = out;
	return 0;
fail:
	csv_reader_free(&rd);
	json_decref(seen);
	json_decref(out);
	*records = json_array();
	return SIRT_EINVAL;
}

int import_veris_records(const char *name, const char *data, size_t len, bool skip_bad,
			 int64_t now, json_t **records, struct import_result *res)
{
	json_t *out = json_array();
	int64_t rejected_before = res->rejected;
	/* one JSON object, or JSON lines */
	const char *p = data, *end = data + len;
	int line = 1, ndocs = 0;
	bool lines_mode = false;
	{
		json_error_t e;
		json_t *whole = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
		if (whole) {
			p = end; /* handled here */
			json_t *rec, *errors;
			if (veris_to_record(whole, now, &rec, &errors) < 0) {
				reject_errors(res, name, errors);
				json_decref(errors);
			} else if (import_record_check(rec, now, &errors) < 0) {
				reject_errors(res, name, errors);
				json_decref(errors);
				json_decref(rec);
			} else {
				json_object_set(rec, "_veris", whole);
				json_array_append_new(out, rec);
			}
			json_decref(whole);
			ndocs = 1;
		} else {
			lines_mode = true;
			if (!memchr(data, '\n', len) || e.line <= 1) {
				/* not JSON lines either: report the parse error */
				const char *nl = memchr(data, '\n', len);
				json_t *first = nl ? json_loadb(data, (size_t)(nl - data),
								JSON_REJECT_DUPLICATES, NULL)
						   : NULL;
				if (!first) {
					char msg[400];
					snprintf(msg, sizeof(msg), "not JSON: line %d, column %d: %s",
						 e.line, e.column, e.text);
					reject(res, name, "", msg);
					p = end;
					lines_mode = false;
				}
				json_decref(first);
			}
		}
	}
	while (lines_mode && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		char where[300];
		snprintf(where, sizeof(where), "%s:%d", name, line);
		const char *q = p;
		while (q < le && isspace((unsigned char)*q))
			q++;
		if (q < le) {
			json_error_t e;
			json_t *doc = json_loadb(p, (size_t)(le - p), JSON_REJECT_DUPLICATES, &e);
			ndocs++;
			if (!doc) {
				char msg[400];
				snprintf(msg, sizeof(msg), "not JSON: column %d: %s", e.column, e.text);
				reject(res, where, "", msg);
			} else {
				json_t *rec, *errors;
				if (veris_to_record(doc, now, &rec, &errors) < 0) {
					reject_errors(res, where, errors);
					json_decref(errors);
				} else if (import_record_check(rec, now, &errors) < 0) {
					reject_errors(res, where, errors);
					json_decref(errors);
					json_decref(rec);
				} else {
					json_object_set(rec, "_veris", doc);
					json_array_append_new(out, rec);
				}
				json_decref(doc);
			}
		}
		line++;
		p = nl ? nl + 1 : end;
	}
	if (!ndocs && res->rejected == rejected_before)
		reject(res, name, "", "the file holds no VERIS incident");
	/* the same incident_id twice in one file */
	json_t *seen = json_object();
	size_t i;
	json_t *r;
	json_array_foreach(out, i, r) {
		const char *ref = json_string_value(json_object_get(r, "external_ref"));
		if (json_object_get(seen, ref)) {
			char msg[300];
			snprintf(msg, sizeof(msg), "incident_id %s appears twice in the file", ref);
			reject(res, name, "incident_id", msg);
			json_array_remove(out, i);
			i--;
		} else {
			json_object_set_new(seen, ref, json_true());
		}
	}
	json_decref(seen);
	if (res->rejected > rejected_before && !skip_bad) {
		json_decref(out);
		*records = json_array();
		return SIRT_EINVAL;
	}
	*records = out;
	return 0;
}
