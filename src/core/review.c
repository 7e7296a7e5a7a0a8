/* Post-incident review rules: content validation, required sections,
 * derived measures and the Markdown rendering. See review.h. */
#include "core/review.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/timeutil.h"

const char *const review_methods[] = {"five_whys", "fishbone", "fault_tree", "other", NULL};
const char *const review_root_cause_categories[] = {
	"misconfiguration", "unpatched_vulnerability", "software_defect",
	"credential_compromise", "phishing", "human_error", "malicious_insider", "third_party",
	"process_gap", "capacity", "physical", "unknown", "other", NULL};
const char *const review_impact_functional[] = {"none", "low", "medium", "high", NULL};
const char *const review_impact_information[] = {"none", "privacy", "proprietary", "integrity",
						 NULL};
const char *const review_impact_recoverability[] = {"regular", "supplemented", "extended",
						    "not_recoverable", NULL};

enum vkind { V_TEXT, V_LINE, V_ENUM, V_UINT, V_LINES, V_TIME };

struct vfield {
	const char *name;
	enum vkind kind;
	size_t max;                 /* characters, or items for V_LINES */
	const char *const *values;  /* V_ENUM */
};

static void add_err(json_t **errors, const char *field, const char *msg);
static bool has_ctl(const char *s, bool multiline);
static size_t cps(const char *s);
static void check_fields(const json_t *obj, const struct vfield *spec, const char *prefix,
			 json_t **errors);
static bool blank(const char *s);
static void md_line(struct strbuf *out, const char *s);
static const char *jstr(const json_t *o, const char *k);
static json_t *time_or_null(int64_t t);
static json_t *secs_or_null(int64_t s);

static const struct vfield top_fields[] = {
	{"summary", V_TEXT, 50000, NULL},
	{"went_well", V_TEXT, 50000, NULL},
	{"went_badly", V_TEXT, 50000, NULL},
	{"recommendations", V_LINES, 100, NULL},
	{NULL, 0, 0, NULL},
};
static const struct vfield root_fields[] = {
	{"method", V_ENUM, 0, review_methods},
	{"root_cause", V_TEXT, 20000, NULL},
	{"contributing_factors", V_LINES, 50, NULL},
	{"category", V_ENUM, 0, review_root_cause_categories},
	{NULL, 0, 0, NULL},
};
static const struct vfield impact_fields[] = {
	{"people_affected", V_UINT, 0, NULL},
	{"customers_affected", V_UINT, 0, NULL},
	{"records_affected", V_UINT, 0, NULL},
	{"duration_minutes", V_UINT, 0, NULL},
	{"downtime_minutes", V_UINT, 0, NULL},
	{"estimated_cost", V_UINT, 0, NULL},
	{"currency", V_LINE, 3, NULL},
	{"data_types", V_LINES, 100, NULL},
	{"systems", V_LINES, 100, NULL},
	{"regulatory", V_TEXT, 20000, NULL},
	{"contractual", V_TEXT, 20000, NULL},
	{"notes", V_TEXT, 20000, NULL},
	{"functional", V_ENUM, 0, review_impact_functional},
	{"information", V_ENUM, 0, review_impact_information},
	{"recoverability", V_ENUM, 0, review_impact_recoverability},
	{NULL, 0, 0, NULL},
};
static const struct vfield action_fields[] = {
	{"at", V_TIME, 0, NULL},
	{"actor", V_LINE, 200, NULL},
	{"text", V_TEXT, 2000, NULL},
	{"source", V_LINE, 100, NULL},
	{NULL, 0, 0, NULL},
};

#define LINE_MAX_CHARS 2000

static void add_err(json_t **errors, const char *field, const char *msg)
{
	if (!*errors)
		*errors = json_array();
	json_array_append_new(*errors, json_pack("{s:s, s:s}", "field", field, "message", msg));
}

static bool has_ctl(const char *s, bool multiline)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == 0x7f || (c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t'))))
			return true;
	}
	return false;
}

static size_t cps(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool str_ok(const json_t *v, bool multiline, size_t max, char *msg, size_t n)
{
	if (!json_is_string(v)) {
		snprintf(msg, n, "must be a string");
		return false;
	}
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		snprintf(msg, n, "must not contain NUL characters");
		return false;
	}
	if (cps(s) > max) {
		snprintf(msg, n, "must be at most %zu characters", max);
		return false;
	}
	if (has_ctl(s, multiline)) {
		snprintf(msg, n, "contains control characters");
		return false;
	}
	return true;
}

static void check_fields(const json_t *obj, const struct vfield *spec, const char *prefix,
			 json_t **errors)
{
	const char *key;
	json_t *v;
	char path[200], msg[300];
	json_object_foreach((json_t *)obj, key, v) {
		const struct vfield *f = spec;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		snprintf(path, sizeof(path), "%s%s", prefix, key);
		if (!f->name) {
			add_err(errors, path, "unknown field");
			continue;
		}
		if (json_is_null(v))
			continue; /* clears the value */
		switch (f->kind) {
		case V_TEXT:
		case V_LINE:
			if (!str_ok(v, f->kind == V_TEXT, f->max, msg, sizeof(msg)))
				add_err(errors, path, msg);
			else if (!strcmp(key, "currency")) {
				const char *c = json_string_value(v);
				if (strlen(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' ||
				    c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z')
					add_err(errors, path, "must be an ISO 4217 code such as EUR or USD");
			}
			break;
		case V_TIME: {
			int64_t t;
			if (!json_is_string(v) || time_parse_iso8601(json_string_value(v), &t) < 0)
				add_err(errors, path,
					"must be an RFC 3339 date-time with offset, e.g. 2026-03-01T14:30:00Z");
			break;
		}
		case V_ENUM: {
			const char *s = json_string_value(v);
			const char *const *e = f->values;
			while (s && *e && strcmp(*e, s) != 0)
				e++;
			if (!s || !*e) {
				struct strbuf sb;
				sb_init(&sb, 600);
				sb_puts(&sb, "must be one of: ");
				for (e = f->values; *e; e++)
					sb_printf(&sb, "%s%s", e == f->values ? "" : ", ", *e);
				add_err(errors, path, sb_str(&sb));
				sb_free(&sb);
			}
			break;
		}
		case V_UINT:
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > (json_int_t)1000000000000000LL)
				add_err(errors, path, "must be a whole number, 0 or more");
			break;
		case V_LINES: {
			if (!json_is_array(v)) {
				add_err(errors, path, "must be an array of strings");
				break;
			}
			if (json_array_size(v) > f->max) {
				snprintf(msg, sizeof(msg), "must have at most %zu items", f->max);
				add_err(errors, path, msg);
				break;
			}
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x) {
				char ip[240];
				snprintf(ip, sizeof(ip), "%s[%zu]", path, i);
				if (!str_ok(x, true, LINE_MAX_CHARS, msg, sizeof(msg)))
					add_err(errors, ip, msg);
				else if (blank(json_string_value(x)))
					add_err(errors, ip, "must not be blank");
			}
			break;
		}
		}
	}
}

int review_content_check(const json_t *content, json_t **errors)
{
	json_t *before = *errors;
	size_t n0 = json_array_size(before);
	if (!json_is_object(content)) {
		add_err(errors, "content", "must be an object");
		return SIRT_EINVAL;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)content, key, v) {
		if (!strcmp(key, "root_cause") || !strcmp(key, "impact")) {
			if (json_is_null(v))
				continue;
			if (!json_is_object(v)) {
				add_err(errors, key, "must be an object");
				continue;
			}
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "%s.", key);
			check_fields(v, !strcmp(key, "impact") ? impact_fields : root_fields, prefix,
				     errors);
		} else if (!strcmp(key, "actions_taken")) {
			if (json_is_null(v))
				continue;
			if (!json_is_array(v) || json_array_size(v) > 500) {
				add_err(errors, key, "must be an array of at most 500 actions");
				continue;
			}
			size_t i;
			json_t *a;
			json_array_foreach(v, i, a) {
				char prefix[48];
				snprintf(prefix, sizeof(prefix), "actions_taken[%zu]", i);
				if (!json_is_object(a)) {
					add_err(errors, prefix, "must be an object");
					continue;
				}
				size_t l = strlen(prefix);
				snprintf(prefix + l, sizeof(prefix) - l, ".");
				check_fields(a, action_fields, prefix, errors);
				if (blank(jstr(a, "text"))) {
					snprintf(prefix + l, sizeof(prefix) - l, ".text");
					add_err(errors, prefix, "is required");
				}
			}
		} else {
			json_t *one = json_pack("{s:O}", key, v);
			check_fields(one, top_fields, "", errors);
			json_decref(one);
		}
	}
	return json_array_size(*errors) > n0 ? SIRT_EINVAL : 0;
}

int review_missing_sections(const json_t *content, json_t **missing)
{
	*missing = json_array();
	const json_t *rc = json_object_get(content, "root_cause");
	const json_t *im = json_object_get(content, "impact");
	static const char *const texts[] = {"summary", NULL};
	for (const char *const *t = texts; *t; t++)
		if (blank(jstr(content, *t)))
			json_array_append_new(*missing, json_string(*t));
	if (json_array_size(json_object_get(content, "actions_taken")) == 0)
		json_array_append_new(*missing, json_string("actions_taken"));
	static const char *const rcs[] = {"method", "root_cause", "category", NULL};
	for (const char *const *t = rcs; *t; t++)
		if (blank(jstr(rc, *t))) {
			char p[40];
			snprintf(p, sizeof(p), "root_cause.%s", *t);
			json_array_append_new(*missing, json_string(p));
		}
	static const char *const ims[] = {"functional", "information", "recoverability", NULL};
	for (const char *const *t = ims; *t; t++)
		if (blank(jstr(im, *t))) {
			char p[40];
			snprintf(p, sizeof(p), "impact.%s", *t);
			json_array_append_new(*missing, json_string(p));
		}
	if (blank(jstr(content, "went_well")))
		json_array_append_new(*missing, json_string("went_well"));
	if (blank(jstr(content, "went_badly")))
		json_array_append_new(*missing, json_string("went_badly"));
	if (json_array_size(json_object_get(content, "recommendations")) == 0)
		json_array_append_new(*missing, json_string("recommendations"));
	return (int)json_array_size(*missing);
}

void review_content_merge(json_t *content, const json_t *patch)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)patch, key, v) {
		json_t *cur = json_object_get(content, key);
		if (json_is_null(v)) {
			json_object_del(content, key);
		} else if (json_is_object(v) && json_is_object(cur)) {
			const char *k2;
			json_t *v2;
			json_object_foreach(v, k2, v2) {
				if (json_is_null(v2))
					json_object_del(cur, k2);
				else
					json_object_set(cur, k2, v2);
			}
		} else {
			json_object_set_new(content, key, json_deep_copy(v));
		}
	}
}

/* ---------------- facts ---------------- */

static int64_t diff(int64_t later, int64_t earlier)
{
	if (!later || !earlier || later < earlier)
		return -1;
	return later - earlier;
}

void review_compute_measures(const struct review_times *t, struct review_measures *m)
{
	m->time_to_detect = diff(t->detected_at, t->occurred_at);
	m->time_to_acknowledge = diff(t->acknowledged_at, t->detected_at);
	m->time_to_contain = diff(t->contained_at, t->detected_at);
	m->time_to_resolve = diff(t->resolved_at, t->detected_at);
	m->time_to_notify = diff(t->notified_at, t->aware_at ? t->aware_at : t->detected_at);
	m->duration = diff(t->resolved_at, t->occurred_at ? t->occurred_at : t->detected_at);
}

static json_t *time_or_null(int64_t t)
{
	if (!t)
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(t, buf);
	return json_string(buf);
}

static json_t *secs_or_null(int64_t s)
{
	return s < 0 ? json_null() : json_integer(s);
}

json_t *review_facts_json(const struct review_times *t, const json_t *incident, int64_t now)
{
	struct review_measures m;
	review_compute_measures(t, &m);
	json_t *times = json_object();
	json_object_set_new(times, "occurred_at", time_or_null(t->occurred_at));
	json_object_set_new(times, "detected_at", time_or_null(t->detected_at));
	json_object_set_new(times, "aware_at", time_or_null(t->aware_at));
	json_object_set_new(times, "acknowledged_at", time_or_null(t->acknowledged_at));
	json_object_set_new(times, "contained_at", time_or_null(t->contained_at));
	json_object_set_new(times, "resolved_at", time_or_null(t->resolved_at));
	json_object_set_new(times, "closed_at", time_or_null(t->closed_at));
	json_object_set_new(times, "notified_at", time_or_null(t->notified_at));
	json_t *ms = json_object();
	json_object_set_new(ms, "time_to_detect_seconds", secs_or_null(m.time_to_detect));
	json_object_set_new(ms, "time_to_acknowledge_seconds", secs_or_null(m.time_to_acknowledge));
	json_object_set_new(ms, "time_to_contain_seconds", secs_or_null(m.time_to_contain));
	json_object_set_new(ms, "time_to_resolve_seconds", secs_or_null(m.time_to_resolve));
	json_object_set_new(ms, "time_to_notify_seconds", secs_or_null(m.time_to_notify));
	json_object_set_new(ms, "duration_seconds", secs_or_null(m.duration));
	json_t *o = json_object();
	if (incident)
		json_object_set_new(o, "incident", json_deep_copy(incident));
	json_object_set_new(o, "times", times);
	json_object_set_new(o, "measures", ms);
	json_object_set_new(o, "computed_at", time_or_null(now));
	return o;
}

void review_format_duration(int64_t s, char *out, size_t n)
{
	if (s < 0)
		snprintf(out, n, "–");
	else if (s < 60)
		snprintf(out, n, "%" PRId64 " s", s);
	else if (s < 3600)
		snprintf(out, n, "%" PRId64 " min", s / 60);
	else if (s < 86400)
		snprintf(out, n, "%" PRId64 " h %02" PRId64 " min", s / 3600, (s % 3600) / 60);
	else
		snprintf(out, n, "%" PRId64 " d %" PRId64 " h", s / 86400, (s % 86400) / 3600);
}

/* ---------------- Markdown ---------------- */

/* A single-line value with Markdown metacharacters escaped, so a system name
 * like "*prod*" or "[x](javascript:...)" stays literal text. */
static void md_line(struct strbuf *out, const char *s)
{
	if (!s)
		return;
	if (*s && strchr("#+-=>", *s))
		sb_putc(out, '\\'); /* would start a block */
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r') {
			sb_putc(out, ' ');
			continue;
		}
		if (strchr("\\`*_[]<>!|~&", *s))
			sb_putc(out, '\\');
		sb_putc(out, *s);
	}
}

static void md_text(struct strbuf *out, const char *s)
{
	sb_puts(out, blank(s) ? "_Not recorded._" : s);
	sb_puts(out, "\n\n");
}

static void md_kv(struct strbuf *out, const char *label, const char *value)
{
	sb_printf(out, "- **%s:** ", label);
	if (value && *value)
		md_line(out, value);
	else
		sb_puts(out, "–");
	sb_putc(out, '\n');
}

static void md_int(struct strbuf *out, const char *label, const json_t *v)
{
	char buf[32] = "";
	if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	md_kv(out, label, buf);
}

static void md_list(struct strbuf *out, const char *label, const json_t *arr)
{
	struct strbuf v;
	sb_init(&v, 100000);
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x)
		sb_printf(&v, "%s%s", i ? ", " : "", json_string_value(x));
	md_kv(out, label, sb_str(&v));
	sb_free(&v);
}

void review_render_markdown(const json_t *rv, struct strbuf *out)
{
	const json_t *inc = json_object_get(rv, "incident");
	const json_t *facts = json_object_get(rv, "facts");
	const json_t *times = json_object_get(facts, "times");
	const json_t *ms = json_object_get(facts, "measures");
	sb_puts(out, "# Post-incident review: ");
	md_line(out, jstr(inc, "key"));
	sb_puts(out, " — ");
	md_line(out, jstr(inc, "title"));
	sb_puts(out, "\n\n");
	sb_printf(out, "Revision %" JSON_INTEGER_FORMAT ", %s",
		  json_integer_value(json_object_get(rv, "revision")), jstr(rv, "status"));
	if (jstr(rv, "published_at"))
		sb_printf(out, " on %s", jstr(rv, "published_at"));
	sb_puts(out, ". Author: ");
	md_line(out, jstr(rv, "author"));
	sb_puts(out, ".\n\n");

	sb_puts(out, "## Incident\n\n");
	md_kv(out, "Severity", jstr(inc, "severity"));
	md_kv(out, "Status", jstr(inc, "status"));
	md_kv(out, "Category", jstr(inc, "category"));
	static const char *const tl[][2] = {
		{"occurred_at", "Occurred"}, {"detected_at", "Detected"},
		{"aware_at", "Became aware"}, {"acknowledged_at", "Acknowledged"},
		{"contained_at", "Contained"}, {"resolved_at", "Resolved"},
		{"closed_at", "Closed"}, {"notified_at", "First notification"}};
	for (size_t i = 0; i < sizeof(tl) / sizeof(tl[0]); i++)
		md_kv(out, tl[i][1], jstr(times, tl[i][0]));
	static const char *const ml[][2] = {
		{"time_to_detect_seconds", "Time to detect"},
		{"time_to_acknowledge_seconds", "Time to acknowledge"},
		{"time_to_contain_seconds", "Time to contain"},
		{"time_to_resolve_seconds", "Time to resolve"},
		{"time_to_notify_seconds", "Time to notify"},
		{"duration_seconds", "Duration"}};
	for (size_t i = 0; i < sizeof(ml) / sizeof(ml[0]); i++) {
		json_t *v = json_object_get(ms, ml[i][0]);
		char d[48];
		review_format_duration(json_is_integer(v) ? json_integer_value(v) : -1, d, sizeof(d));
		md_kv(out, ml[i][1], d);
	}
	sb_puts(out, "\n## Summary\n\n");
	md_text(out, jstr(rv, "summary"));

	sb_puts(out, "## Actions taken\n\n");
	const json_t *acts = json_object_get(rv, "actions_taken");
	if (json_array_size(acts) == 0)
		sb_puts(out, "_Not recorded._\n");
	size_t i;
	json_t *a;
	json_array_foreach(acts, i, a) {
		sb_puts(out, "- ");
		if (jstr(a, "at")) {
			sb_puts(out, "**");
			md_line(out, jstr(a, "at"));
			sb_puts(out, "** ");
		}
		if (jstr(a, "actor") && *jstr(a, "actor")) {
			md_line(out, jstr(a, "actor"));
			sb_puts(out, ": ");
		}
		md_line(out, jstr(a, "text"));
		sb_putc(out, '\n');
	}
	sb_puts(out, "\n## Root cause analysis\n\n");
	const json_t *rc = json_object_get(rv, "root_cause");
	md_kv(out, "Method", jstr(rc, "method"));
	md_kv(out, "Category", jstr(rc, "category"));
	md_list(out, "Contributing factors", json_object_get(rc, "contributing_factors"));
	sb_puts(out, "\n");
	md_text(out, jstr(rc, "root_cause"));

	sb_puts(out, "## Impact assessment\n\n");
	const json_t *im = json_object_get(rv, "impact");
	md_int(out, "People affected", json_object_get(im, "people_affected"));
	md_int(out, "Customers affected", json_object_get(im, "customers_affected"));
	md_int(out, "Records affected", json_object_get(im, "records_affected"));
	md_list(out, "Data types", json_object_get(im, "data_types"));
	md_list(out, "Systems", json_object_get(im, "systems"));
	md_int(out, "Duration (minutes)", json_object_get(im, "duration_minutes"));
	md_int(out, "Downtime (minutes)", json_object_get(im, "downtime_minutes"));
	char cost[64] = "";
	json_t *ec = json_object_get(im, "estimated_cost");
	if (json_is_integer(ec))
		snprintf(cost, sizeof(cost), "%" JSON_INTEGER_FORMAT " %s", json_integer_value(ec),
			 jstr(im, "currency") ? jstr(im, "currency") : "");
	md_kv(out, "Estimated cost", cost);
	md_kv(out, "Functional impact (CISA)", jstr(im, "functional"));
	md_kv(out, "Information impact (CISA)", jstr(im, "information"));
	md_kv(out, "Recoverability (CISA)", jstr(im, "recoverability"));
	sb_puts(out, "\n### Regulatory consequences\n\n");
	md_text(out, jstr(im, "regulatory"));
	sb_puts(out, "### Contractual consequences\n\n");
	md_text(out, jstr(im, "contractual"));
	if (!blank(jstr(im, "notes"))) {
		sb_puts(out, "### Notes\n\n");
		md_text(out, jstr(im, "notes"));
	}
	sb_puts(out, "## What went well\n\n");
	md_text(out, jstr(rv, "went_well"));
	sb_puts(out, "## What did not go well\n\n");
	md_text(out, jstr(rv, "went_badly"));
	sb_puts(out, "## Improvement recommendations\n\n");
	const json_t *recs = json_object_get(rv, "recommendations");
	if (json_array_size(recs) == 0)
		sb_puts(out, "_Not recorded._\n");
	json_array_foreach(recs, i, a) {
		sb_printf(out, "%zu. ", i + 1);
		md_line(out, json_string_value(a));
		sb_putc(out, '\n');
	}
	const json_t *items = json_object_get(rv, "action_items");
	if (json_array_size(items)) {
		sb_puts(out, "\n## Action items\n\n");
		json_array_foreach(items, i, a) {
			sb_puts(out, "- ");
			md_line(out, jstr(a, "title"));
			sb_puts(out, " — owner ");
			md_line(out, jstr(a, "owner"));
			sb_puts(out, ", due ");
			md_line(out, jstr(a, "due_date"));
			sb_puts(out, ", ");
			md_line(out, jstr(a, "status"));
			sb_putc(out, '\n');
		}
	}
	sb_puts(out, "\n## Sign-off\n\n");
	const json_t *so = json_object_get(rv, "signoffs");
	if (json_array_size(so) == 0)
		sb_puts(out, "_No sign-off yet._\n");
	json_array_foreach(so, i, a) {
		sb_puts(out, "- ");
		md_line(out, jstr(a, "name") && *jstr(a, "name") ? jstr(a, "name") : jstr(a, "reviewer"));
		sb_puts(out, " (");
		md_line(out, jstr(a, "reviewer"));
		sb_puts(out, "), ");
		md_line(out, jstr(a, "signed_at"));
		if (jstr(a, "comment") && *jstr(a, "comment")) {
			sb_puts(out, ": ");
			md_line(out, jstr(a, "comment"));
		}
		sb_putc(out, '\n');
	}
}
