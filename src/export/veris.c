/* VERIS 1.3.4 <-> sirt record mapping (see veris.h for the rules). */
#include "export/veris.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* Facts from the VERIS 1.3.4 schema: the enumerations this mapping reads. */
static const char *const top_fields[] = {
	"incident_id", "security_incident", "reference", "summary", "source_id", "campaign_id",
	"confidence", "timeline", "victim", "action", "actor", "asset", "attribute", "targeted",
	"discovery_method", "discovery_notes", "value_chain", "impact", "notes", "plus", "extra",
	"corrective_action", "cost_corrective_action", "ioc", "control_failure", "subsets",
	"schema_version", NULL};
static const char *const required_fields[] = {"actor", "action", "discovery_method",
					      "schema_version", "asset", "timeline",
					      "incident_id", "security_incident", NULL};
static const char *const security_incident_enum[] = {"Confirmed", "Suspected", "Near miss",
						     "False positive", NULL};
static const char *const rating_enum[] = {"Catastrophic", "Damaging", "Painful", "Distracting",
					  "Insignificant", "Unknown", NULL};
static const char *const unit_enum[] = {"Seconds", "Minutes", "Hours", "Days", "Weeks", "Months",
					"Years", "Never", "NA", "Unknown", NULL};
static const int64_t unit_seconds[] = {1, 60, 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400};
static const char *const action_enum[] = {"hacking", "malware", "social", "misuse", "physical",
					  "error", "environmental", "unknown", NULL};
static const char *const data_variety_enum[] = {
	"Bank", "Classified", "Copyrighted", "Credentials", "Digital certificate", "Internal",
	"Medical", "Payment", "Personal", "Secrets", "Source code", "System", "Virtual currency",
	"Other", "Unknown", NULL};
static const char *const disclosure_enum[] = {"No", "Potentially", "Yes", "Unknown", NULL};
static const char *const personal_varieties[] = {"Personal", "Medical", "Payment", "Bank", NULL};

static bool in_enum(const char *const *e, const char *s);
static int enum_index(const char *const *e, const char *s);
static void err_add(json_t **errors, const char *field, const char *fmt, ...) PRINTF(3, 4);
static json_t *time_str(int64_t t);
static bool parse_time_field(json_t *rec, const char *key, int64_t *out);
static const char *first_action(json_t *action);
static bool timeline_time(json_t *incident, int64_t *out);
static json_t *data_types_of(json_t *doc);
static bool personal_of(json_t *data_types);

static bool in_enum(const char *const *e, const char *s)
{
	return enum_index(e, s) >= 0;
}

static int enum_index(const char *const *e, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; e[i]; i++)
		if (!strcmp(e[i], s))
			return i;
	return -1;
}

static void err_add(json_t **errors, const char *field, const char *fmt, ...)
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

static json_t *time_str(int64_t t)
{
	char buf[ISO8601_LEN];
	time_format_iso8601(t, buf);
	return json_string(buf);
}

const char *veris_severity_of_rating(const char *rating)
{
	if (!rating)
		return "medium";
	if (!strcmp(rating, "Catastrophic"))
		return "critical";
	if (!strcmp(rating, "Damaging"))
		return "high";
	if (!strcmp(rating, "Distracting") || !strcmp(rating, "Insignificant"))
		return "low";
	return "medium"; /* Painful, Unknown */
}

const char *veris_rating_of_severity(const char *severity)
{
	if (!severity)
		return "Unknown";
	if (!strcmp(severity, "critical"))
		return "Catastrophic";
	if (!strcmp(severity, "high"))
		return "Damaging";
	if (!strcmp(severity, "medium"))
		return "Painful";
	if (!strcmp(severity, "low"))
		return "Distracting";
	return "Unknown";
}

/* Advances over one UTF-8 code point. */
static const char *cp_next(const char *p)
{
	p++;
	while ((*p & 0xC0) == 0x80)
		p++;
	return p;
}

char *veris_title_of_summary(const char *summary)
{
	while (summary && (*summary == ' ' || *summary == '\n' || *summary == '\t' || *summary == '\r'))
		summary++;
	if (!summary || !*summary)
		return NULL;
	/* the first sentence: up to ". ", "! ", "? " or a line end */
	const char *end = summary;
	while (*end && *end != '\n' && *end != '\r' &&
	       !((*end == '.' || *end == '!' || *end == '?') && (end[1] == ' ' || end[1] == '\0' ||
								 end[1] == '\n')))
		end++;
	/* at most 200 code points; else cut at a word and add an ellipsis */
	const char *p = summary;
	int n = 0;
	while (p < end && n < 200) {
		p = cp_next(p);
		n++;
	}
	struct strbuf sb;
	sb_init(&sb, 4096);
	if (p < end) {
		/* too long: keep at most 199 code points before a space */
		const char *cut = summary;
		int k = 0;
		while (cut < end && k < 199) {
			cut = cp_next(cut);
			k++;
		}
		const char *sp = NULL;
		for (const char *q = summary; q < cut; q = cp_next(q))
			if (*q == ' ')
				sp = q;
		if (sp && sp > summary + 40)
			cut = sp;
		sb_append(&sb, summary, (size_t)(cut - summary));
		while (sb.len && sb.buf[sb.len - 1] == ' ')
			sb.buf[--sb.len] = '\0';
		sb_puts(&sb, "\xE2\x80\xA6");
	} else {
		sb_append(&sb, summary, (size_t)(end - summary));
	}
	char *out = sb_steal(&sb, NULL);
	for (char *q = out; *q; q++)
		if ((unsigned char)*q < 0x20)
			*q = ' ';
	return out;
}

static const char *first_action(json_t *action)
{
	for (int i = 0; action_enum[i]; i++)
		if (json_object_get(action, action_enum[i]))
			return action_enum[i];
	return NULL;
}

/* timeline.incident -> epoch seconds (missing month/day: the first). */
static bool timeline_time(json_t *inc, int64_t *out)
{
	json_t *y = json_object_get(inc, "year"), *m = json_object_get(inc, "month"),
	       *d = json_object_get(inc, "day");
	if (!json_is_integer(y))
		return false;
	int64_t mm = json_is_integer(m) ? json_integer_value(m) : 1;
	int64_t dd = json_is_integer(d) ? json_integer_value(d) : 1;
	*out = time_days_from_civil(json_integer_value(y), (unsigned)mm, (unsigned)dd) * 86400;
	const char *t = json_string_value(json_object_get(inc, "time"));
	unsigned hh, mi, ss;
	char ap[3];
	if (t && sscanf(t, "%2u:%2u:%2u %2s", &hh, &mi, &ss, ap) == 4 && hh >= 1 && hh <= 12 &&
	    mi < 60 && ss < 60 && (!strcmp(ap, "AM") || !strcmp(ap, "PM")))
		*out += (int64_t)((hh % 12) + (ap[0] == 'P' ? 12 : 0)) * 3600 + mi * 60 + ss;
	return true;
}

static json_t *data_types_of(json_t *doc)
{
	json_t *arr = json_array();
	json_t *data = json_object_get(
		json_object_get(json_object_get(doc, "attribute"), "confidentiality"), "data");
	size_t i;
	json_t *it;
	json_array_foreach(data, i, it) {
		json_t *v = json_object_get(it, "variety");
		bool dup = false;
		size_t k;
		json_t *x;
		json_array_foreach(arr, k, x)
			if (json_equal(x, v))
				dup = true;
		if (json_is_string(v) && !dup)
			json_array_append(arr, v);
	}
	return arr;
}

static bool personal_of(json_t *data_types)
{
	size_t i;
	json_t *it;
	json_array_foreach(data_types, i, it)
		if (in_enum(personal_varieties, json_string_value(it)))
			return true;
	return false;
}

/* An offset from occurred_at given as {unit, value}; false when unknown. */
static bool span_of(json_t *span, int64_t *secs)
{
	int u = enum_index(unit_enum, json_string_value(json_object_get(span, "unit")));
	json_t *v = json_object_get(span, "value");
	if (u < 0 || u > 6 || !json_is_number(v) || json_number_value(v) < 0)
		return false;
	*secs = (int64_t)(json_number_value(v) * (double)unit_seconds[u]);
	return true;
}

static void check_span(json_t *tl, const char *name, json_t **errors)
{
	json_t *s = json_object_get(tl, name);
	if (!s)
		return;
	char f[64];
	snprintf(f, sizeof(f), "timeline.%s.unit", name);
	if (!json_is_object(s) || !json_is_string(json_object_get(s, "unit")))
		err_add(errors, f, "is required");
	else if (!in_enum(unit_enum, json_string_value(json_object_get(s, "unit"))))
		err_add(errors, f, "'%s' is not one of Seconds, Minutes, Hours, Days, Weeks, Months,"
			" Years, Never, NA, Unknown", json_string_value(json_object_get(s, "unit")));
	json_t *v = json_object_get(s, "value");
	if (v && !json_is_number(v)) {
		snprintf(f, sizeof(f), "timeline.%s.value", name);
		err_add(errors, f, "must be a number");
	}
}

static void validate(json_t *doc, json_t **errors)
{
	const char *k;
	json_t *v;
	json_object_foreach(doc, k, v)
		if (!in_enum(top_fields, k))
			err_add(errors, k, "is not a VERIS 1.3 field");
	for (int i = 0; required_fields[i]; i++)
		if (!json_object_get(doc, required_fields[i]))
			err_add(errors, required_fields[i], "is required by the VERIS schema");
	json_t *id = json_object_get(doc, "incident_id");
	const char *ids = json_string_value(id);
	if (id && (!ids || !*ids || strlen(ids) > 100))
		err_add(errors, "incident_id", "must be a non-empty string of at most 100 characters");
	else if (ids)
		for (const char *p = ids; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				err_add(errors, "incident_id", "must not contain control characters");
				break;
			}
	json_t *sv = json_object_get(doc, "schema_version");
	const char *svs = json_string_value(sv);
	if (sv && (!svs || (strncmp(svs, "1.3", 3) != 0)))
		err_add(errors, "schema_version", "'%s' is not a VERIS 1.3 version (1.3.x expected)",
			svs ? svs : "(not a string)");
	json_t *si = json_object_get(doc, "security_incident");
	if (si && !in_enum(security_incident_enum, json_string_value(si)))
		err_add(errors, "security_incident",
			"must be one of Confirmed, Suspected, Near miss, False positive");
	const char *strs[] = {"summary", "reference", "source_id", NULL};
	for (int i = 0; strs[i]; i++) {
		json_t *s = json_object_get(doc, strs[i]);
		if (s && (!json_is_string(s) || json_string_length(s) > 65536))
			err_add(errors, strs[i], "must be a string of at most 65536 bytes");
	}
	json_t *action = json_object_get(doc, "action");
	if (action) {
		if (!json_is_object(action) || json_object_size(action) == 0)
			err_add(errors, "action", "must be an object naming at least one action");
		else
			json_object_foreach(action, k, v) {
				char f[96];
				snprintf(f, sizeof(f), "action.%.60s", k);
				if (!in_enum(action_enum, k))
					err_add(errors, f, "is not a VERIS action (hacking, malware,"
						" social, misuse, physical, error, environmental, unknown)");
				else if (!json_is_object(v))
					err_add(errors, f, "must be an object");
			}
	}
	const char *objs[] = {"actor", "asset", "discovery_method", "victim", "attribute", "plus",
			      NULL};
	for (int i = 0; objs[i]; i++) {
		json_t *o = json_object_get(doc, objs[i]);
		if (o && !json_is_object(o))
			err_add(errors, objs[i], "must be an object");
	}
	json_t *assets = json_object_get(json_object_get(doc, "asset"), "assets");
	if (json_is_object(json_object_get(doc, "asset")) && !json_is_array(assets))
		err_add(errors, "asset.assets", "is required (an array)");
	json_t *tl = json_object_get(doc, "timeline");
	if (tl) {
		json_t *inc = json_object_get(tl, "incident");
		if (!json_is_object(tl) || !json_is_object(inc)) {
			err_add(errors, "timeline.incident", "is required (an object with year)");
		} else {
			json_t *y = json_object_get(inc, "year"), *m = json_object_get(inc, "month"),
			       *d = json_object_get(inc, "day");
			if (!json_is_integer(y) || json_integer_value(y) < 1950 ||
			    json_integer_value(y) > 2100)
				err_add(errors, "timeline.incident.year",
					"is required: a whole number from 1950");
			if (m && (!json_is_integer(m) || json_integer_value(m) < 1 ||
				  json_integer_value(m) > 12))
				err_add(errors, "timeline.incident.month", "must be from 1 to 12");
			if (d && (!json_is_integer(d) || json_integer_value(d) < 1 ||
				  json_integer_value(d) > 31))
				err_add(errors, "timeline.incident.day", "must be from 1 to 31");
		}
		check_span(tl, "discovery", errors);
		check_span(tl, "containment", errors);
	}
	json_t *impact = json_object_get(doc, "impact");
	if (impact) {
		json_t *r = json_object_get(impact, "overall_rating");
		if (!json_is_object(impact) || !r)
			err_add(errors, "impact.overall_rating", "is required in impact");
		else if (!in_enum(rating_enum, json_string_value(r)))
			err_add(errors, "impact.overall_rating",
				"must be one of Catastrophic, Damaging, Painful, Distracting,"
				" Insignificant, Unknown");
	}
	json_t *conf = json_object_get(json_object_get(doc, "attribute"), "confidentiality");
	if (conf) {
		if (!in_enum(disclosure_enum,
			     json_string_value(json_object_get(conf, "data_disclosure"))))
			err_add(errors, "attribute.confidentiality.data_disclosure",
				"is required: one of No, Potentially, Yes, Unknown");
		json_t *data = json_object_get(conf, "data");
		if (data && !json_is_array(data))
			err_add(errors, "attribute.confidentiality.data", "must be an array");
		size_t i;
		json_t *it;
		json_array_foreach(data, i, it) {
			const char *var = json_string_value(json_object_get(it, "variety"));
			if (!in_enum(data_variety_enum, var)) {
				char f[96];
				snprintf(f, sizeof(f), "attribute.confidentiality.data[%zu].variety", i);
				err_add(errors, f, "'%s' is not a VERIS data variety",
					var ? var : "(missing)");
			}
		}
	}
}

int veris_to_record(json_t *doc, int64_t now, json_t **record, json_t **errors)
{
	*record = NULL;
	*errors = NULL;
	if (!json_is_object(doc)) {
		err_add(errors, "(document)", "a VERIS incident is a JSON object");
		return SIRT_EINVAL;
	}
	validate(doc, errors);
	if (*errors)
		return SIRT_EINVAL;
	json_t *rec = json_object();
	const char *id = json_string_value(json_object_get(doc, "incident_id"));
	const char *summary = json_string_value(json_object_get(doc, "summary"));
	char *title = veris_title_of_summary(summary);
	if (!title)
		title = xasprintf("VERIS incident %s", id);
	json_object_set_new(rec, "title", json_string(title));
	free(title);
	json_object_set_new(rec, "description", json_string(summary ? summary : ""));
	const char *rating = json_string_value(
		json_object_get(json_object_get(doc, "impact"), "overall_rating"));
	json_object_set_new(rec, "severity", json_string(veris_severity_of_rating(rating)));
	const char *si = json_string_value(json_object_get(doc, "security_incident"));
	bool fp = si && !strcmp(si, "False positive");
	json_object_set_new(rec, "status", json_string(fp ? "rejected" : "closed"));
	if (fp)
		json_object_set_new(rec, "reject_reason", json_string("false_positive"));
	json_object_set_new(rec, "veris_action", json_string(first_action(json_object_get(doc, "action"))));
	json_t *tl = json_object_get(doc, "timeline");
	int64_t occ;
	if (timeline_time(json_object_get(tl, "incident"), &occ)) {
		json_object_set_new(rec, "occurred_at", time_str(occ));
		int64_t span;
		int64_t det = 0;
		if (span_of(json_object_get(tl, "discovery"), &span) && occ + span <= now) {
			det = occ + span;
			json_object_set_new(rec, "detected_at", time_str(det));
		}
		/* sirt's record has containment after detection; VERIS may not */
		if (span_of(json_object_get(tl, "containment"), &span) && occ + span <= now &&
		    occ + span >= det)
			json_object_set_new(rec, "contained_at", time_str(occ + span));
	}
	json_object_set_new(rec, "closed_at", time_str(now));
	json_t *dt = data_types_of(doc);
	json_object_set_new(rec, "personal_data", json_boolean(personal_of(dt)));
	json_t *attr = json_object_get(doc, "attribute");
	const char *info = NULL;
	if (personal_of(dt))
		info = "privacy";
	else if (json_array_size(dt))
		info = "proprietary";
	else if (json_object_get(attr, "integrity"))
		info = "integrity";
	json_object_set_new(rec, "data_types", dt);
	json_object_set_new(rec, "impact_information", info ? json_string(info) : json_null());
	json_t *sys = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(json_object_get(doc, "asset"), "assets"), i, it) {
		const char *var = json_string_value(json_object_get(it, "variety"));
		if (var && !strstr(var, "Unknown") && json_array_size(sys) < 50)
			json_array_append_new(sys, json_string(var));
	}
	json_object_set_new(rec, "affected_systems", sys);
	const char *src = json_string_value(json_object_get(doc, "source_id"));
	json_object_set_new(rec, "reporter", json_string(src ? src : ""));
	json_t *tags = json_array();
	json_array_append_new(tags, json_string("veris"));
	if (src && *src && strcmp(src, "veris") != 0 && strlen(src) <= 50) {
		char *low = xstrdup(src);
		for (char *q = low; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q + 32);
			else if (*q == ' ')
				*q = '-';
		json_array_append_new(tags, json_string(low));
		free(low);
	}
	json_object_set_new(rec, "tags", tags);
	json_object_set_new(rec, "resolution_summary",
			    json_string("Imported from a VERIS record; see the original for details."));
	json_object_set_new(rec, "source", json_string("import"));
	json_object_set_new(rec, "external_ref", json_string(id));
	*record = rec;
	return 0;
}

/* ---- export ---- */

static bool parse_time_field(json_t *rec, const char *key, int64_t *out)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s && time_parse_iso8601(s, out) == 0;
}

static json_t *incident_date(int64_t t)
{
	int64_t y;
	unsigned m, d;
	time_civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &m, &d);
	json_t *o = json_pack("{s:I, s:i, s:i}", "year", (json_int_t)y, "month", (int)m, "day", (int)d);
	int64_t sod = ((t % 86400) + 86400) % 86400;
	if (sod) {
		int h = (int)(sod / 3600), mi = (int)(sod / 60 % 60), s = (int)(sod % 60);
		char buf[16];
		snprintf(buf, sizeof(buf), "%02d:%02d:%02d %s", h % 12 ? h % 12 : 12, mi, s,
			 h < 12 ? "AM" : "PM");
		json_object_set_new(o, "time", json_string(buf));
	}
	return o;
}

static json_t *span_json(int64_t secs)
{
	int u = 0;
	for (int i = 6; i >= 0; i--)
		if (secs >= unit_seconds[i]) {
			u = i;
			break;
		}
	return json_pack("{s:s, s:I}", "unit", unit_enum[u], "value",
			 (json_int_t)(secs / unit_seconds[u]));
}

static const char *data_variety_of(const char *dt)
{
	for (int i = 0; data_variety_enum[i]; i++)
		if (!strcasecmp(data_variety_enum[i], dt))
			return data_variety_enum[i];
	struct {
		const char *word, *variety;
	} syn[] = {{"pii", "Personal"},      {"personal", "Personal"}, {"phi", "Medical"},
		   {"health", "Medical"},    {"card", "Payment"},      {"pci", "Payment"},
		   {"password", "Credentials"}, {"credential", "Credentials"},
		   {"bank", "Bank"},         {"source", "Source code"}, {"secret", "Secrets"}};
	for (size_t i = 0; i < sizeof(syn) / sizeof(syn[0]); i++)
		if (strcasestr(dt, syn[i].word))
			return syn[i].variety;
	return "Other";
}

static json_t *generic_action(const char *a)
{
	if (!strcmp(a, "unknown"))
		return json_object();
	json_t *o = json_pack("{s:[s]}", "variety", "Unknown");
	if (strcmp(a, "environmental") != 0)
		json_object_set_new(o, "vector", json_pack("[s]", "Unknown"));
	if (!strcmp(a, "social"))
		json_object_set_new(o, "target", json_pack("[s]", "Unknown"));
	return o;
}

json_t *veris_from_record(json_t *rec, json_t *orig, const char *org_name)
{
	if (!json_is_object(orig))
		orig = NULL;
	json_t *doc = orig ? json_deep_copy(orig) : json_object();
	const char *uid = json_string_value(json_object_get(rec, "id"));
	const char *title = json_string_value(json_object_get(rec, "title"));
	const char *desc = json_string_value(json_object_get(rec, "description"));
	const char *sev = json_string_value(json_object_get(rec, "severity"));
	const char *status = json_string_value(json_object_get(rec, "status"));
	const char *rr = json_string_value(json_object_get(rec, "reject_reason"));
	const char *va = json_string_value(json_object_get(rec, "veris_action"));
	json_object_set_new(doc, "schema_version", json_string(VERIS_SCHEMA_VERSION));
	if (!orig)
		json_object_set_new(doc, "incident_id", json_string(uid ? uid : ""));
	/* summary */
	const char *os = json_string_value(json_object_get(orig, "summary"));
	bool same_summary = os ? desc && !strcmp(os, desc) : orig && (!desc || !*desc);
	if (!same_summary) {
		const char *s = desc && *desc ? desc : title;
		if (s)
			json_object_set_new(doc, "summary", json_string(s));
	}
	/* security_incident */
	const char *osi = json_string_value(json_object_get(orig, "security_incident"));
	bool fp = status && !strcmp(status, "rejected") && rr && !strcmp(rr, "false_positive");
	if (fp)
		json_object_set_new(doc, "security_incident", json_string("False positive"));
	else if (!osi || !strcmp(osi, "False positive"))
		json_object_set_new(doc, "security_incident", json_string("Confirmed"));
	/* timeline */
	int64_t occ = 0, det = 0, con = 0, oocc = 0;
	bool has_occ = parse_time_field(rec, "occurred_at", &occ);
	bool has_det = parse_time_field(rec, "detected_at", &det);
	bool has_con = parse_time_field(rec, "contained_at", &con);
	bool keep_tl = orig && has_occ &&
		       timeline_time(json_object_get(json_object_get(orig, "timeline"), "incident"),
				     &oocc) &&
		       oocc == occ;
	if (!keep_tl) {
		int64_t when = has_occ ? occ : has_det ? det : 0;
		if (!when && !parse_time_field(rec, "created_at", &when))
			when = time_now();
		json_t *tl = json_pack("{s:o}", "incident", incident_date(when));
		if (has_det && det >= when)
			json_object_set_new(tl, "discovery", span_json(det - when));
		if (has_con && con >= when)
			json_object_set_new(tl, "containment", span_json(con - when));
		json_object_set_new(doc, "timeline", tl);
	}
	/* action */
	const char *ova = orig ? first_action(json_object_get(orig, "action")) : NULL;
	if (!(ova && va && !strcmp(ova, va))) {
		const char *a = va && in_enum(action_enum, va) ? va : "unknown";
		json_object_set_new(doc, "action", json_pack("{s:o}", a, generic_action(a)));
	}
	if (!json_object_get(doc, "actor"))
		json_object_set_new(doc, "actor",
				    json_pack("{s:{s:s}}", "unknown", "notes", "not recorded in sirt"));
	if (!json_object_get(doc, "asset"))
		json_object_set_new(doc, "asset", json_pack("{s:[{s:s}], s:[s]}", "assets", "variety",
							    "Unknown", "cloud", "Unknown"));
	if (!json_object_get(doc, "discovery_method"))
		json_object_set_new(doc, "discovery_method", json_pack("{s:b}", "unknown", 1));
	/* impact */
	const char *orat = json_string_value(
		json_object_get(json_object_get(orig, "impact"), "overall_rating"));
	if (!(orig && sev && !strcmp(veris_severity_of_rating(orat), sev))) {
		json_t *imp = json_object_get(doc, "impact");
		if (!json_is_object(imp)) {
			imp = json_object();
			json_object_set_new(doc, "impact", imp);
		}
		json_object_set_new(imp, "overall_rating", json_string(veris_rating_of_severity(sev)));
	}
	/* attribute.confidentiality */
	json_t *dt = json_object_get(rec, "data_types");
	bool personal = json_is_true(json_object_get(rec, "personal_data"));
	json_t *odt = orig ? data_types_of(orig) : NULL;
	bool keep_attr = orig && json_equal(odt, dt) && personal_of(odt) == personal;
	json_decref(odt);
	if (!keep_attr && (json_array_size(dt) || personal)) {
		json_t *attr = json_object_get(doc, "attribute");
		if (!json_is_object(attr)) {
			attr = json_object();
			json_object_set_new(doc, "attribute", attr);
		}
		json_t *data = json_array();
		size_t i;
		json_t *it;
		bool has_personal = false;
		json_array_foreach(dt, i, it) {
			if (!json_is_string(it))
				continue;
			const char *v = data_variety_of(json_string_value(it));
			bool dup = false;
			size_t k;
			json_t *x;
			json_array_foreach(data, k, x)
				if (!strcmp(json_string_value(json_object_get(x, "variety")), v))
					dup = true;
			if (!dup)
				json_array_append_new(data, json_pack("{s:s}", "variety", v));
			if (in_enum(personal_varieties, v))
				has_personal = true;
		}
		if (personal && !has_personal)
			json_array_append_new(data, json_pack("{s:s}", "variety", "Personal"));
		json_object_set_new(attr, "confidentiality",
				    json_pack("{s:s, s:o}", "data_disclosure", "Unknown", "data", data));
	} else if (!keep_attr && orig) {
		json_t *attr = json_object_get(doc, "attribute");
		json_object_del(attr, "confidentiality");
		if (json_is_object(attr) && json_object_size(attr) == 0)
			json_object_del(doc, "attribute");
	}
	if (!json_object_get(doc, "victim"))
		json_object_set_new(doc, "victim",
				    json_pack("{s:s, s:[s], s:s, s:s}", "victim_id",
					      org_name ? org_name : "", "country", "Unknown",
					      "employee_count", "Unknown", "industry", "000"));
	if (!orig && !json_object_get(doc, "reference")) {
		const char *key = json_string_value(json_object_get(rec, "key"));
		if (key)
			json_object_set_new(doc, "reference", json_string(key));
	}
	/* plus.sirt: what VERIS has no place for */
	json_t *plus = json_object_get(doc, "plus");
	if (!json_is_object(plus)) {
		plus = json_object();
		json_object_set_new(doc, "plus", plus);
	}
	json_t *extra = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(rec, k, v)
		if (!json_is_null(v) && strcmp(k, "description") != 0)
			json_object_set(extra, k, v);
	json_object_set_new(plus, "sirt", extra);
	return doc;
}
