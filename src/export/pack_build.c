/*
 * Building an evidence pack: the documents in a fixed order inside one read
 * snapshot of the database, the freshness checks, index.html (each control
 * mapped to the documents that evidence it), then manifest.json with every
 * file's SHA-256 and its Ed25519 signature. See pack.h for how the zip is
 * written and docs/evidence-pack.md for what is in it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "export/pack_int.h"
#include "export/pack_sources.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "web/escape.h"

#define DAY 86400
#define THREE_MONTHS (92 * DAY)

struct control {
	const char *fw;
	const char *id;
	const char *title;
	unsigned docs;
};

/* The controls and the documents that evidence them. */
static const struct control controls[] = {
	{"m365", "25", "Security incident response plan", DOC_PLAN | DOC_TEAM | DOC_NOTIFY},
	{"m365", "26", "Incident response team training", DOC_TEAM},
	{"m365", "27", "Plan review and updates", DOC_PLAN | DOC_REVIEWS | DOC_REPORTS},
	{"soc2", "CC7.3", "Evaluation of security events", DOC_LOG | DOC_REPORTS | DOC_AUDIT},
	{"soc2", "CC7.4", "Response to security incidents",
	 DOC_PLAN | DOC_TEAM | DOC_LOG | DOC_REPORTS | DOC_NOTIFY | DOC_REVIEWS},
	{"soc2", "CC7.5", "Recovery from security incidents", DOC_REPORTS | DOC_REVIEWS | DOC_PLAN},
	{"iso27001", "A.5.24", "Information security incident management planning and preparation",
	 DOC_PLAN | DOC_TEAM | DOC_REVIEWS},
	{"iso27001", "A.5.25", "Assessment and decision on information security events",
	 DOC_LOG | DOC_REPORTS},
	{"iso27001", "A.5.26", "Response to information security incidents",
	 DOC_LOG | DOC_REPORTS | DOC_NOTIFY},
	{"iso27001", "A.5.27", "Learning from information security incidents",
	 DOC_REPORTS | DOC_REVIEWS | DOC_PLAN},
	{"iso27001", "A.5.28", "Collection of evidence", DOC_AUDIT | DOC_REPORTS},
	{"iso27001", "A.6.8", "Information security event reporting", DOC_LOG | DOC_NOTIFY | DOC_AUDIT},
};

static const struct {
	const char *id, *name;
} frameworks[] = {
	{"m365", "Microsoft 365 Certification — Operational Security"},
	{"soc2", "SOC 2 — Trust Services Criteria"},
	{"iso27001", "ISO/IEC 27001:2022 — Annex A"},
};

static int member_write_cb(void *cls, const unsigned char *data, size_t len);
static void freshness(struct pack_ctx *c);
static int write_index(struct pack_ctx *c, json_t *compliance, const char *pkhex);
static int write_manifest(struct pack_ctx *c, const struct pack_key *k);
static bool fw_selected(const struct pack_ctx *c, const char *fw);

/* ---------------- small helpers (pack_int.h) ---------------- */

const char *pack_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

void pack_fmt_time(int64_t t, char *out, size_t len)
{
	if (!t) {
		snprintf(out, len, "—");
		return;
	}
	int64_t days = t >= 0 ? t / DAY : (t - DAY + 1) / DAY;
	int64_t secs = t - days * DAY, y;
	unsigned mo, d;
	time_civil_from_days(days, &y, &mo, &d);
	snprintf(out, len, "%04lld-%02u-%02u %02d:%02d UTC", (long long)y, mo, d,
		 (int)(secs / 3600), (int)(secs % 3600 / 60));
}

void pack_fmt_date(int64_t t, char *out, size_t len)
{
	char b[48];
	pack_fmt_time(t, b, sizeof(b));
	snprintf(out, len, "%.10s", b);
}

void pack_fmt_json_time(json_t *v, char *out, size_t len, bool date_only)
{
	int64_t t = 0;
	const char *s = json_string_value(v);
	if (!s || !*s) {
		snprintf(out, len, "—");
		return;
	}
	if (time_parse_iso8601(s, &t) < 0 && time_parse_date(s, &t) < 0) {
		snprintf(out, len, "%s", s);
		return;
	}
	if (date_only)
		pack_fmt_date(t, out, len);
	else
		pack_fmt_time(t, out, len);
}

void pack_csv_field(struct strbuf *sb, const char *s, bool last)
{
	if (!s)
		s = "";
	bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
		       s[0] == '\r';
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		sb_putc(sb, '"');
	if (formula)
		sb_putc(sb, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			sb_putc(sb, '"');
		sb_putc(sb, *p);
	}
	if (quote)
		sb_putc(sb, '"');
	sb_puts(sb, last ? "\r\n" : ",");
}

void pack_warn(struct pack_ctx *c, const char *kind, const char *area, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(c->warnings,
			      json_pack("{s:s, s:s, s:s}", "kind", kind, "area", area, "message", msg));
}

void pack_doc_add(struct pack_ctx *c, enum pack_doc kind, const char *title, const char *note,
		  const char *const *files)
{
	json_t *fs = json_array();
	for (int i = 0; files && files[i]; i++)
		json_array_append_new(fs, json_string(files[i]));
	json_array_append_new(c->docs, json_pack("{s:i, s:s, s:s?, s:o}", "kind", (int)kind, "title",
						 title, "note", note, "files", fs));
}

struct member_sink {
	struct pack_member *m;
};

static int member_write_cb(void *cls, const unsigned char *data, size_t len)
{
	struct member_sink *s = cls;
	return pack_member_write(s->m, data, len);
}

int pack_pdf(struct pack_ctx *c, const char *path, const char *title, const char *subtitle,
	     bool landscape, pdf_body_fn body, void *arg)
{
	struct member_sink s;
	int rc = pack_member_open(c->out, path, &s.m);
	if (rc < 0)
		return rc;
	struct pdf_meta m = c->meta;
	m.title = title;
	m.subtitle = subtitle;
	m.landscape = landscape;
	struct pdf_result pr;
	rc = pdf_render(&m, body, arg, member_write_cb, &s, &pr);
	int rc2 = pack_member_close(s.m);
	if (rc < 0 && rc != SIRT_EIO)
		snprintf(c->res->why, sizeof(c->res->why), "rendering %s failed: %s", path,
			 pr.why[0] ? pr.why : sirt_strerror(rc));
	c->res->unknown_glyphs += pr.unknown_glyphs;
	return rc < 0 ? rc : rc2;
}

static bool fw_selected(const struct pack_ctx *c, const char *fw)
{
	const char *sel = c->o->framework;
	return !sel || !strcmp(sel, "all") || !strcmp(sel, fw);
}

bool pack_framework_valid(const char *fw)
{
	return fw && (!strcmp(fw, "all") || !strcmp(fw, "m365") || !strcmp(fw, "soc2") ||
		      !strcmp(fw, "iso27001"));
}

int pack_parse_period(const char *from, const char *to, int64_t *f, int64_t *t, char *why,
		      size_t whylen)
{
	if (!from || !*from || !to || !*to) {
		snprintf(why, whylen, "both --from and --to are required (YYYY-MM-DD)");
		return SIRT_EINVAL;
	}
	if (time_parse_date(from, f) < 0 && time_parse_iso8601(from, f) < 0) {
		snprintf(why, whylen, "--from '%s' is not a date (YYYY-MM-DD) or an RFC 3339 time",
			 from);
		return SIRT_EINVAL;
	}
	if (time_parse_date(to, t) == 0) {
		*t += DAY - 1; /* the whole day */
	} else if (time_parse_iso8601(to, t) < 0) {
		snprintf(why, whylen, "--to '%s' is not a date (YYYY-MM-DD) or an RFC 3339 time", to);
		return SIRT_EINVAL;
	}
	if (*f > *t) {
		snprintf(why, whylen, "the period is empty: --from %s is after --to %s", from, to);
		return SIRT_EINVAL;
	}
	if (*t - *f > 20LL * 366 * DAY) {
		snprintf(why, whylen, "the period is longer than 20 years");
		return SIRT_EINVAL;
	}
	return 0;
}

/* ---------------- freshness ---------------- */

static void freshness(struct pack_ctx *c)
{
	int64_t now = c->o->now;
	char d[32];
	if (c->plan_in_force) {
		pack_fmt_date(c->plan_approved_at, d, sizeof(d));
		if (c->plan_approved_at < now - THREE_MONTHS)
			pack_warn(c, "stale", "plan",
				  "The plan in force (%s) was approved on %s, more than three months "
				  "ago. Auditors expect evidence under three months old: record a "
				  "review of the plan (quality review) or approve a new version.",
				  c->plan_label, d);
		if (c->plan_review_due && c->plan_review_due < now) {
			pack_fmt_date(c->plan_review_due, d, sizeof(d));
			pack_warn(c, "gap", "plan", "The plan review was due on %s and is overdue.", d);
		}
	}
	if (c->team_members == 0) {
		pack_warn(c, "gap", "team", "The response team has no active members.");
	} else {
		if (c->team_no_training)
			pack_warn(c, "gap", "training",
				  "%d of %d team members have no training record (Microsoft 365 "
				  "control 26 requires annual training).",
				  c->team_no_training, c->team_members);
		if (c->team_expired_training)
			pack_warn(c, "gap", "training",
				  "The training of %d of %d team members has expired.",
				  c->team_expired_training, c->team_members);
		if (c->team_stale_training) {
			pack_fmt_date(c->newest_training, d, sizeof(d));
			pack_warn(c, "stale", "training",
				  "The newest training record of %d team member(s) is older than three "
				  "months (newest record of the team: %s).",
				  c->team_stale_training, d);
		}
		if (c->team_unverified)
			pack_warn(c, "stale", "team",
				  "The contact details of %d of %d team members were not verified in "
				  "the last three months.",
				  c->team_unverified, c->team_members);
	}
	if (!c->reviews_available) {
		pack_warn(c, "gap", "exercises",
			  "No exercise records are available on this installation: the pack cannot "
			  "show a tabletop exercise.");
	} else {
		if (c->exercises_held == 0)
			pack_warn(c, "gap", "exercises", "No exercise was held in the period.");
		if (!c->last_exercise)
			pack_warn(c, "gap", "exercises", "No exercise has ever been held.");
		else if (c->last_exercise < now - THREE_MONTHS) {
			pack_fmt_date(c->last_exercise, d, sizeof(d));
			pack_warn(c, "stale", "exercises",
				  "The last exercise was held on %s, more than three months ago.", d);
		}
		if (c->last_quality_review && c->last_quality_review < now - THREE_MONTHS) {
			pack_fmt_date(c->last_quality_review, d, sizeof(d));
			pack_warn(c, "stale", "reviews",
				  "The last quality review was done on %s, more than three months ago.",
				  d);
		}
	}
	if (c->incidents == 0)
		pack_warn(c, "gap", "incidents",
			  "No incidents were recorded in the period: the incident log is empty.");
	else if (c->incidents_reviewed == 0)
		pack_warn(c, "gap", "reviews",
			  "None of the %lld incidents of the period has a published post-incident "
			  "review.",
			  (long long)c->incidents);
	if (c->submissions_late || c->submissions_overdue)
		pack_warn(c, "gap", "notifications",
			  "%lld regulatory submission stage(s) were late and %lld are overdue.",
			  (long long)c->submissions_late, (long long)c->submissions_overdue);
	if (c->o->to < now - THREE_MONTHS) {
		char e[32];
		pack_fmt_date(c->o->to, e, sizeof(e));
		pack_warn(c, "stale", "period",
			  "The period ends on %s, more than three months ago: auditors usually ask "
			  "for evidence less than three months old.",
			  e);
	}
}

/* ---------------- index.html ---------------- */

static void h(struct strbuf *sb, const char *s)
{
	escape_html(sb, s ? s : "", s ? strlen(s) : 0);
}

static void ha(struct strbuf *sb, const char *s)
{
	escape_attr(sb, s ? s : "", s ? strlen(s) : 0);
}

static json_t *find_control(json_t *compliance, const char *fw, const char *id)
{
	size_t i, j;
	json_t *f, *ctl;
	json_array_foreach(json_object_get(compliance, "frameworks"), i, f) {
		if (strcmp(pack_str(f, "id"), fw))
			continue;
		json_array_foreach(json_object_get(f, "controls"), j, ctl)
			if (!strcmp(pack_str(ctl, "id"), id))
				return ctl;
	}
	return NULL;
}

static void doc_links(struct strbuf *sb, json_t *doc)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(doc, "files"), i, f) {
		const char *p = json_string_value(f);
		sb_puts(sb, i ? " · " : "");
		size_t pl = strlen(p);
		if (pl && p[pl - 1] == '/') {
			/* a folder: the list of its files below */
			sb_puts(sb, "<a href=\"#reports\">");
			h(sb, p);
			sb_puts(sb, " (list)</a>");
			continue;
		}
		sb_puts(sb, "<a href=\"");
		ha(sb, p);
		sb_puts(sb, "\">");
		h(sb, p);
		sb_puts(sb, "</a>");
	}
}

static int write_index(struct pack_ctx *c, json_t *compliance, const char *pkhex)
{
	struct strbuf sb;
	sb_init(&sb, 64 << 20);
	char at[48], f[32], t[32];
	pack_fmt_time(c->o->now, at, sizeof(at));
	pack_fmt_date(c->o->from, f, sizeof(f));
	pack_fmt_date(c->o->to, t, sizeof(t));
	sb_puts(&sb, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		     "<title>Evidence pack — ");
	h(&sb, c->o->org_name);
	sb_puts(&sb,
		"</title><style>"
		"body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1a1a1a;"
		"margin:0;background:#f5f7fa}main{max-width:72em;margin:0 auto;padding:1.5em 2em;"
		"background:#fff}header{border-bottom:3px solid #1f3a5f;margin-bottom:1em}"
		"h1{color:#1f3a5f;margin:.2em 0}h2{color:#1f3a5f;border-bottom:1px solid #c8d0da;"
		"padding-bottom:.2em;margin-top:1.6em}h3{color:#1f3a5f}"
		"dl{display:grid;grid-template-columns:12em 1fr;gap:.2em 1em}dt{font-weight:600;"
		"color:#1f3a5f}dd{margin:0}table{border-collapse:collapse;width:100%;margin:.5em 0}"
		"th,td{border-bottom:1px solid #dde3ea;padding:.35em .5em;text-align:left;"
		"vertical-align:top}th{background:#1f3a5f;color:#fff;font-weight:600}"
		"tr:nth-child(even) td{background:#f2f5f9}.warn{background:#fff4e5;border-left:4px "
		"solid #e69500;padding:.4em .8em;margin:.3em 0}.gap{border-left-color:#c0392b;"
		"background:#fdecea}.badge{display:inline-block;font-size:.8em;font-weight:700;"
		"padding:.05em .5em;border-radius:.8em;text-transform:uppercase}.met{background:"
		"#e3f4e8;color:#1e7b34}.at_risk{background:#fff4e5;color:#8a4b00}.not_met{"
		"background:#fdecea;color:#a52a1f}.none{background:#eef1f5;color:#555}"
		"code{font-size:.9em;word-break:break-all}.note{color:#555;font-size:.9em}"
		"</style></head><body><main>\n<header><h1>Evidence pack: incident response</h1>"
		"<dl><dt>Organisation</dt><dd>");
	h(&sb, c->o->org_name);
	sb_puts(&sb, "</dd><dt>Period</dt><dd>");
	h(&sb, f);
	sb_puts(&sb, " to ");
	h(&sb, t);
	sb_puts(&sb, " (inclusive, UTC)</dd><dt>Frameworks</dt><dd>");
	h(&sb, !strcmp(c->o->framework, "all") ? "Microsoft 365 Certification, SOC 2, ISO/IEC 27001:2022"
					       : c->o->framework);
	sb_puts(&sb, "</dd><dt>Generated by</dt><dd>");
	h(&sb, c->o->generated_by);
	sb_puts(&sb, "</dd><dt>Generated at</dt><dd>");
	h(&sb, at);
	sb_puts(&sb, "</dd><dt>Instance</dt><dd>");
	h(&sb, c->o->base_url);
	sb_puts(&sb, "</dd><dt>Generator</dt><dd>");
	h(&sb, c->generator);
	sb_puts(&sb, "</dd><dt>Signing key</dt><dd><code>");
	h(&sb, pkhex);
	sb_puts(&sb, "</code></dd></dl></header>\n");

	/* warnings */
	sb_puts(&sb, "<section id=\"warnings\"><h2>Freshness and gaps</h2>");
	if (json_array_size(c->warnings) == 0)
		sb_puts(&sb, "<p>No evidence is older than three months and no gap was found.</p>");
	size_t i, j;
	json_t *w, *doc;
	json_array_foreach(c->warnings, i, w) {
		bool gap = !strcmp(pack_str(w, "kind"), "gap");
		sb_printf(&sb, "<p class=\"warn%s\"><strong>%s</strong> (", gap ? " gap" : "",
			  gap ? "Gap" : "Older than three months");
		h(&sb, pack_str(w, "area"));
		sb_puts(&sb, "): ");
		h(&sb, pack_str(w, "message"));
		sb_puts(&sb, "</p>");
	}
	sb_puts(&sb, "</section>\n");

	/* summary */
	sb_puts(&sb, "<section id=\"summary\"><h2>At a glance</h2><dl>");
	sb_puts(&sb, "<dt>Plan in force</dt><dd>");
	if (c->plan_in_force) {
		char d[32];
		pack_fmt_date(c->plan_approved_at, d, sizeof(d));
		h(&sb, c->plan_label);
		sb_puts(&sb, ", approved ");
		h(&sb, d);
	} else {
		sb_puts(&sb, c->have_plan ? "none at the end of the period" : "no plan");
	}
	sb_printf(&sb, "</dd><dt>Team</dt><dd>%d active members, %d without current training</dd>",
		  c->team_members, c->team_no_training + c->team_expired_training);
	sb_printf(&sb, "<dt>Incidents</dt><dd>%lld in the period, %lld with a published review, "
		       "%lld reports in this pack</dd>",
		  (long long)c->incidents, (long long)c->incidents_reviewed, (long long)c->reports);
	if (c->reviews_available)
		sb_printf(&sb, "<dt>Exercises</dt><dd>%d held in the period</dd>", c->exercises_held);
	sb_printf(&sb, "<dt>Audit trail</dt><dd>%lld entries in the period; chain verification: "
		       "<span class=\"badge %s\">%s</span>",
		  (long long)c->audit_entries, c->audit_ok ? "met" : "not_met",
		  c->audit_ok ? "intact" : "FAILED");
	if (!c->audit_ok) {
		sb_puts(&sb, " ");
		h(&sb, c->audit_problem);
	}
	sb_puts(&sb, "</dd></dl></section>\n");

	/* controls */
	sb_puts(&sb, "<section id=\"controls\"><h2>Controls and their evidence</h2>");
	if (!compliance)
		sb_puts(&sb, "<p class=\"note\">The compliance status of each control is not "
			     "evaluated on this installation; the documents that evidence each "
			     "control are listed.</p>");
	for (size_t fi = 0; fi < sizeof(frameworks) / sizeof(frameworks[0]); fi++) {
		if (!fw_selected(c, frameworks[fi].id))
			continue;
		sb_printf(&sb, "<h3 id=\"fw-%s\">", frameworks[fi].id);
		h(&sb, frameworks[fi].name);
		sb_puts(&sb, "</h3><table><tr><th style=\"width:6em\">Control</th><th>Title</th>"
			     "<th style=\"width:22em\">Status</th><th>Evidence</th></tr>");
		for (size_t k = 0; k < sizeof(controls) / sizeof(controls[0]); k++) {
			const struct control *ct = &controls[k];
			if (strcmp(ct->fw, frameworks[fi].id))
				continue;
			sb_puts(&sb, "<tr><td><strong>");
			h(&sb, ct->id);
			sb_puts(&sb, "</strong></td><td>");
			h(&sb, ct->title);
			sb_puts(&sb, "</td><td>");
			json_t *cs = compliance ? find_control(compliance, ct->fw, ct->id) : NULL;
			if (cs) {
				const char *st = pack_str(cs, "status");
				sb_puts(&sb, "<span class=\"badge ");
				ha(&sb, st);
				sb_puts(&sb, "\">");
				h(&sb, st);
				sb_puts(&sb, "</span>");
				json_t *r;
				json_array_foreach(json_object_get(cs, "reasons"), j, r) {
					sb_puts(&sb, "<br><span class=\"note\">");
					h(&sb, pack_str(r, "text"));
					sb_puts(&sb, "</span>");
				}
			} else {
				sb_puts(&sb, "<span class=\"badge none\">not evaluated</span>");
			}
			sb_puts(&sb, "</td><td>");
			bool any = false;
			json_array_foreach(c->docs, j, doc) {
				unsigned kind = (unsigned)json_integer_value(json_object_get(doc, "kind"));
				if (!(kind & ct->docs))
					continue;
				sb_puts(&sb, any ? "<br>" : "");
				h(&sb, pack_str(doc, "title"));
				sb_puts(&sb, ": ");
				if (json_array_size(json_object_get(doc, "files")))
					doc_links(&sb, doc);
				else
					sb_puts(&sb, "<em>no records</em>");
				if (*pack_str(doc, "note")) {
					sb_puts(&sb, " <span class=\"note\">(");
					h(&sb, pack_str(doc, "note"));
					sb_puts(&sb, ")</span>");
				}
				any = true;
			}
			if (!any)
				sb_puts(&sb, "<em>no evidence in this pack</em>");
			sb_puts(&sb, "</td></tr>");
		}
		sb_puts(&sb, "</table>");
	}
	sb_puts(&sb, "</section>\n");

	/* documents */
	sb_puts(&sb, "<section id=\"documents\"><h2>Documents</h2><table><tr><th>Document</th>"
		     "<th>Files</th></tr>");
	json_array_foreach(c->docs, j, doc) {
		sb_puts(&sb, "<tr><td>");
		h(&sb, pack_str(doc, "title"));
		if (*pack_str(doc, "note")) {
			sb_puts(&sb, "<br><span class=\"note\">");
			h(&sb, pack_str(doc, "note"));
			sb_puts(&sb, "</span>");
		}
		sb_puts(&sb, "</td><td>");
		doc_links(&sb, doc);
		sb_puts(&sb, "</td></tr>");
	}
	sb_puts(&sb, "</table>");
	if (c->reports) {
		sb_puts(&sb, "<h3 id=\"reports\">Incident reports</h3><p class=\"note\">Reports are "
			     "included for incidents with a published post-incident review and for "
			     "high and critical incidents");
		if (c->reports_omitted)
			sb_printf(&sb, "; %lld more qualifying incidents were left out (limit)",
				  (long long)c->reports_omitted);
		sb_puts(&sb, ".</p><ul>");
		for (size_t k = 0; k < c->nreport_keys; k++) {
			const char *key = c->report_keys[k];
			char *pdf = xasprintf("incidents/reports/%s.pdf", key);
			char *md = xasprintf("incidents/reports/%s.md", key);
			if (pack_out_has(c->out, pdf)) {
				sb_puts(&sb, "<li>");
				h(&sb, key);
				sb_puts(&sb, ": <a href=\"");
				ha(&sb, pdf);
				sb_puts(&sb, "\">PDF</a> · <a href=\"");
				ha(&sb, md);
				sb_puts(&sb, "\">Markdown</a></li>");
			}
			free(pdf);
			free(md);
		}
		sb_puts(&sb, "</ul>");
	}
	sb_puts(&sb, "</section>\n<section id=\"verify\"><h2>Verifying this pack</h2><p>"
		     "<code>manifest.json</code> lists the SHA-256 hash of every file; "
		     "<code>manifest.json.sig</code> is its Ed25519 signature by the key above "
		     "(also in <code>public-key.txt</code>). Check everything with:</p><pre>"
		     "sirt evidence verify PACK.zip --public-key ");
	h(&sb, pkhex);
	sb_puts(&sb, "</pre><p class=\"note\">Obtain the public key from the instance "
		     "(<code>sirt evidence key</code>) rather than from the pack to know who signed "
		     "it.</p></section>\n</main></body></html>\n");
	int rc = sb_status(&sb);
	if (rc == 0)
		rc = pack_out_put(c->out, "index.html", sb_str(&sb), sb.len);
	sb_free(&sb);
	return rc;
}

/* ---------------- manifest ---------------- */

static int write_manifest(struct pack_ctx *c, const struct pack_key *k)
{
	size_t n;
	const struct pack_file *files = pack_out_files(c->out, &n);
	struct pack_info info = {
		.generator = c->generator,
		.instance_url = c->o->base_url,
		.generated_by = c->o->generated_by,
		.generated_at = c->o->now,
		.organisation = c->o->org_name,
		.from = c->o->from,
		.to = c->o->to,
		.framework = c->o->framework,
		.warnings = c->warnings,
	};
	json_t *m = pack_manifest_json(&info, files, n, k->pk);
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (!text)
		return SIRT_EINVAL;
	size_t len = strlen(text);
	char sig[129];
	pack_sign(k, text, len, sig);
	int rc = pack_out_put(c->out, PACK_MANIFEST, text, len);
	free(text);
	if (rc < 0)
		return rc;
	char line[131];
	snprintf(line, sizeof(line), "%s\n", sig);
	return pack_out_put(c->out, PACK_SIGNATURE, line, strlen(line));
}

/* ---------------- the build ---------------- */

void pack_result_free(struct pack_result *res)
{
	json_decref(res->warnings);
	res->warnings = NULL;
}

int pack_build(struct db *db, const struct pack_opts *o, struct pack_result *res)
{
	memset(res, 0, sizeof(*res));
	res->warnings = json_array();
	struct pack_ctx c = {.db = db, .o = o, .res = res, .warnings = res->warnings,
			     .docs = json_array()};
	json_t *compliance = NULL;
	bool in_tx = false;
	struct pack_key key;
	memset(&key, 0, sizeof(key));
	int rc;
	if (!pack_framework_valid(o->framework)) {
		snprintf(res->why, sizeof(res->why),
			 "unknown framework '%s': use m365, soc2, iso27001 or all",
			 o->framework ? o->framework : "");
		rc = SIRT_EINVAL;
		goto done;
	}
	if (o->from > o->to) {
		snprintf(res->why, sizeof(res->why), "the period is empty: from is after to");
		rc = SIRT_EINVAL;
		goto done;
	}
	bool missing_cjk = false;
	rc = pdf_fonts_check(&missing_cjk, res->why, sizeof(res->why));
	if (rc < 0)
		goto done;
	if (missing_cjk)
		pack_warn(&c, "gap", "fonts",
			  "No font for Chinese, Japanese or Korean text is installed "
			  "(fonts-wqy-microhei): such names show as boxes in the PDFs.");
	rc = pack_key_load(o->key_path, true, &key, res->why, sizeof(res->why));
	if (rc < 0)
		goto done;
	pack_hex(key.pk, 32, res->public_key);
	rc = pack_out_open(o->out_path, &c.out, res->why, sizeof(res->why));
	if (rc < 0)
		goto done;

	snprintf(c.generator, sizeof(c.generator), "sirt %s", SIRT_VERSION);
	char f[32], t[32];
	pack_fmt_date(o->from, f, sizeof(f));
	pack_fmt_date(o->to, t, sizeof(t));
	snprintf(c.period, sizeof(c.period), "%s to %s", f, t);
	c.meta = (struct pdf_meta){
		.org = o->org_name,
		.user = o->generated_by,
		.url = o->base_url,
		.generated_at = o->now,
		.generator = c.generator,
	};

	/* one read snapshot for every document (and both passes of each PDF) */
	rc = db_exec(db, db_is_postgres(db) ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
					    : "BEGIN",
		     0, NULL);
	if (rc < 0) {
		snprintf(res->why, sizeof(res->why), "cannot start a read snapshot: %s",
			 db_errmsg(db));
		goto fail;
	}
	in_tx = true;
	if ((rc = pack_doc_plan(&c)) < 0 || (rc = pack_doc_team(&c)) < 0 ||
	    (rc = pack_doc_reviews(&c)) < 0 || (rc = pack_doc_log(&c)) < 0 ||
	    (rc = pack_doc_reports(&c)) < 0 || (rc = pack_doc_notifications(&c)) < 0 ||
	    (rc = pack_doc_audit(&c)) < 0)
		goto fail;
	int crc = pack_src_compliance(db, o->org_id, o->now,
				      strcmp(o->framework, "all") ? o->framework : NULL, &compliance);
	if (crc < 0 && crc != SIRT_ENOTFOUND) {
		rc = crc;
		goto fail;
	}
	if (db_exec(db, "COMMIT", 0, NULL) < 0)
		db_rollback(db); /* read only: nothing to lose */
	in_tx = false;
	res->incidents = c.incidents;
	res->reports = (int)c.reports;
	res->reports_omitted = (int)c.reports_omitted;

	freshness(&c);
	if (res->unknown_glyphs > 0)
		pack_warn(&c, "gap", "fonts",
			  "%lld characters could not be drawn with the installed fonts and show as "
			  "boxes in the PDFs (install fonts-dejavu-core and fonts-wqy-microhei).",
			  (long long)res->unknown_glyphs);
	char pkline[80];
	snprintf(pkline, sizeof(pkline), "%s\n", res->public_key);
	if ((rc = pack_out_put(c.out, "public-key.txt", pkline, strlen(pkline))) < 0 ||
	    (rc = write_index(&c, compliance, res->public_key)) < 0 ||
	    (rc = write_manifest(&c, &key)) < 0)
		goto fail;
	size_t nfiles;
	pack_out_files(c.out, &nfiles);
	res->files = (int)nfiles;
	rc = pack_out_finish(c.out, o->now, &res->size, res->sha256, res->why, sizeof(res->why));
	c.out = NULL; /* freed either way */
	goto done;
fail:
	if (in_tx)
		db_rollback(db);
	if (pack_cancelled())
		snprintf(res->why, sizeof(res->why), "interrupted: no pack was written");
	if (c.out) {
		if (!res->why[0])
			snprintf(res->why, sizeof(res->why), "%s", pack_out_why(c.out));
		pack_out_abort(c.out);
		c.out = NULL;
	}
	if (!res->why[0])
		snprintf(res->why, sizeof(res->why), "building the pack failed: %s%s%s",
			 sirt_strerror(rc), rc == SIRT_EDB ? ": " : "",
			 rc == SIRT_EDB ? db_errmsg(db) : "");
done:
	sodium_memzero(&key, sizeof(key));
	json_decref(compliance);
	json_decref(c.docs);
	for (size_t i = 0; i < c.nreport_keys; i++)
		free(c.report_keys[i]);
	free(c.report_keys);
	return rc;
}
