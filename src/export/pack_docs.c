/*
 * The documents of the evidence pack, one function each. Every document
 * reads its data through pack_sources.h and records itself for the index
 * with pack_doc_add(); facts the freshness checks need go into the context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan_doc.h"
#include "export/pack_int.h"
#include "export/pack_sources.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "util/xalloc.h"

#define DAY 86400
#define THREE_MONTHS (92 * DAY)

static int csv_member_row(struct pack_member *m, const char *const *cols, int n);
static const char *dash(const char *s);

static const char *dash(const char *s)
{
	return s && *s ? s : "—";
}

static int csv_member_row(struct pack_member *m, const char *const *cols, int n)
{
	struct strbuf sb;
	sb_init(&sb, 1 << 20);
	for (int i = 0; i < n; i++)
		pack_csv_field(&sb, cols[i], i == n - 1);
	int rc = sb_status(&sb);
	if (rc == 0)
		rc = pack_member_write(m, sb_str(&sb), sb.len);
	sb_free(&sb);
	return rc;
}

/* ================= the plan ================= */

struct plan_data {
	json_t *in_force, *versions, *attest;
	struct pack_ctx *c;
};

static int plan_body(struct pdf *p, void *arg)
{
	struct plan_data *d = arg;
	char a[48], b[48];
	if (d->in_force) {
		struct strbuf md;
		sb_init(&md, 32 << 20);
		plan_doc_markdown(d->in_force, &md);
		if (sb_status(&md) == 0)
			pdf_markdown_toc(p, sb_str(&md), 1);
		sb_free(&md);
	} else {
		pdf_heading(p, 1, "No plan in force", false);
		pdf_warning(p, "No version of the incident response plan was approved and in force at "
			       "the end of the period.");
	}
	pdf_heading(p, 1, "Version history", true);
	pdf_note(p, "Every version of the plan, newest first, with the reason it was revised and "
		    "the dates it was submitted, approved and superseded.");
	static const struct pdf_col vcols[] = {
		{"Version", 0.8, PDF_LEFT, 1, false},	   {"Status", 1.1, PDF_LEFT, 1, false},
		{"Reason for revision", 2.4, PDF_LEFT, 4, false}, {"Created", 1.3, PDF_LEFT, 2, false},
		{"Approved", 1.3, PDF_LEFT, 2, false},	   {"Superseded", 1.3, PDF_LEFT, 2, false},
	};
	pdf_table_begin(p, vcols, 6);
	size_t i, j;
	json_t *v, *ap;
	json_array_foreach(d->versions, i, v) {
		json_t *rev = json_object_get(v, "revision");
		json_t *trig = json_object_get(rev, "trigger");
		char *reason = xasprintf("%s%s%s%s%s%s%s", pack_str(rev, "reason"),
					 json_is_object(trig) ? " (" : "",
					 json_is_object(trig) ? pack_str(trig, "type") : "",
					 json_is_object(trig) ? ": " : "",
					 json_is_object(trig) ? pack_str(trig, "ref") : "",
					 json_is_object(trig) ? ")" : "",
					 *pack_str(rev, "note") ? "" : "");
		char *reason2 = *pack_str(rev, "note")
					? xasprintf("%s — %s", reason, pack_str(rev, "note"))
					: xstrdup(reason);
		char c1[48];
		pack_fmt_json_time(json_object_get(v, "created_at"), c1, sizeof(c1), false);
		pack_fmt_json_time(json_object_get(v, "approved_at"), a, sizeof(a), false);
		pack_fmt_json_time(json_object_get(v, "superseded_at"), b, sizeof(b), false);
		const char *cells[] = {pack_str(v, "label"), pack_str(v, "status"), reason2, c1, a, b};
		pdf_table_row(p, cells);
		free(reason);
		free(reason2);
	}
	pdf_table_end(p);
	pdf_heading(p, 2, "Approvals", false);
	static const struct pdf_col acols[] = {
		{"Version", 0.8, PDF_LEFT, 1, false},  {"Approver", 2.2, PDF_LEFT, 2, false},
		{"Name", 1.6, PDF_LEFT, 2, false},     {"Approved at", 1.4, PDF_LEFT, 2, false},
		{"Comment", 2.6, PDF_LEFT, 6, false},
	};
	int napprovals = 0;
	json_array_foreach(d->versions, i, v) napprovals += (int)json_array_size(json_object_get(v, "approvals"));
	if (napprovals == 0) {
		pdf_note(p, "No version has been approved yet.");
	} else {
		pdf_table_begin(p, acols, 5);
		json_array_foreach(d->versions, i, v) {
			json_array_foreach(json_object_get(v, "approvals"), j, ap) {
				pack_fmt_json_time(json_object_get(ap, "approved_at"), a, sizeof(a), false);
				const char *cells[] = {pack_str(v, "label"), pack_str(ap, "approver"),
						       pack_str(ap, "name"), a, pack_str(ap, "comment")};
				pdf_table_row(p, cells);
			}
		}
		pdf_table_end(p);
	}
	pdf_heading(p, 1, "Attestations", true);
	if (!d->attest) {
		pdf_note(p, "No attestations: no version was in force.");
		return pdf_status(p);
	}
	json_t *sum = json_object_get(d->attest, "summary");
	char *line = xasprintf("%lld of %lld active team members have attested that they read "
			       "version %s; %lld have not; %lld have no user account.",
			       (long long)json_integer_value(json_object_get(sum, "attested")),
			       (long long)json_integer_value(json_object_get(sum, "members")),
			       pack_str(d->attest, "label"),
			       (long long)json_integer_value(json_object_get(sum, "not_attested")),
			       (long long)json_integer_value(json_object_get(sum, "without_account")));
	pdf_text(p, line);
	free(line);
	static const struct pdf_col tcols[] = {
		{"Team member", 2, PDF_LEFT, 2, false},
		{"User", 2.2, PDF_LEFT, 2, false},
		{"Attested at", 1.6, PDF_LEFT, 1, false},
	};
	pdf_table_begin(p, tcols, 3);
	static const char *const groups[] = {"attested", "not_attested", "without_account"};
	for (int g = 0; g < 3; g++) {
		json_array_foreach(json_object_get(d->attest, groups[g]), i, v) {
			pack_fmt_json_time(json_object_get(v, "attested_at"), a, sizeof(a), false);
			const char *cells[] = {pack_str(v, "name"), dash(pack_str(v, "user")),
					       g == 0 ? a : g == 1 ? "not attested" : "no account"};
			pdf_table_row(p, cells);
		}
	}
	pdf_table_end(p);
	return pdf_status(p);
}

static void history_html(struct plan_data *d, struct strbuf *sb)
{
	sb_puts(sb, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<title>Plan version history</title><style>body{font:14px/1.45 system-ui,"
		    "sans-serif;margin:2em auto;max-width:70em;color:#1a1a1a}table{border-collapse:"
		    "collapse;width:100%}th,td{border-bottom:1px solid #dde3ea;padding:4px 6px;"
		    "text-align:left;vertical-align:top}th{background:#1f3a5f;color:#fff}</style>"
		    "</head><body><h1>Plan version history</h1><table><tr><th>Version</th>"
		    "<th>Status</th><th>Reason</th><th>Note</th><th>Created</th><th>Approved</th>"
		    "<th>Superseded</th><th>Approvals</th></tr>");
	size_t i, j;
	json_t *v, *ap;
	json_array_foreach(d->versions, i, v) {
		json_t *rev = json_object_get(v, "revision");
		char c1[48], a[48], b[48];
		pack_fmt_json_time(json_object_get(v, "created_at"), c1, sizeof(c1), false);
		pack_fmt_json_time(json_object_get(v, "approved_at"), a, sizeof(a), false);
		pack_fmt_json_time(json_object_get(v, "superseded_at"), b, sizeof(b), false);
		const char *cells[] = {pack_str(v, "label"), pack_str(v, "status"),
				       pack_str(rev, "reason"), pack_str(rev, "note"), c1, a, b};
		sb_puts(sb, "<tr>");
		for (int k = 0; k < 7; k++) {
			sb_puts(sb, "<td>");
			escape_html(sb, cells[k], strlen(cells[k]));
			sb_puts(sb, "</td>");
		}
		sb_puts(sb, "<td>");
		json_array_foreach(json_object_get(v, "approvals"), j, ap) {
			char t[48];
			pack_fmt_json_time(json_object_get(ap, "approved_at"), t, sizeof(t), false);
			const char *who = pack_str(ap, "approver");
			escape_html(sb, who, strlen(who));
			sb_puts(sb, " (");
			escape_html(sb, t, strlen(t));
			sb_puts(sb, ")<br>");
		}
		sb_puts(sb, "</td></tr>");
	}
	sb_puts(sb, "</table></body></html>\n");
}

int pack_doc_plan(struct pack_ctx *c)
{
	struct plan_data d = {.c = c};
	int rc = pack_src_plan(c->db, c->o->org_id, c->o->to, &d.in_force, &d.versions, &d.attest);
	if (rc == SIRT_ENOTFOUND) {
		pack_warn(c, "gap", "plan",
			  "The organisation has no incident response plan: the pack holds no plan "
			  "documents (Microsoft 365 control 25, ISO 27001 A.5.24).");
		return 0;
	}
	if (rc < 0)
		goto out;
	c->have_plan = true;
	if (d.in_force) {
		c->plan_in_force = true;
		snprintf(c->plan_label, sizeof(c->plan_label), "%s", pack_str(d.in_force, "label"));
		if (time_parse_iso8601(pack_str(d.in_force, "approved_at"), &c->plan_approved_at) < 0)
			c->plan_approved_at = 0;
		if (time_parse_iso8601(pack_str(d.in_force, "next_review_due"), &c->plan_review_due) < 0)
			c->plan_review_due = 0;
	} else {
		pack_warn(c, "gap", "plan",
			  "No version of the plan was approved and in force at the end of the period.");
	}
	char title[160];
	snprintf(title, sizeof(title), "Incident response plan%s%s", d.in_force ? " " : "",
		 d.in_force ? c->plan_label : "");
	rc = pack_pdf(c, "plan/ir-plan.pdf", title,
		      "The plan in force with its version history, approvals and attestations",
		      false, plan_body, &d);
	if (rc < 0)
		goto out;
	struct strbuf sb;
	sb_init(&sb, 64 << 20);
	const char *files[5] = {"plan/ir-plan.pdf", NULL, NULL, NULL, NULL};
	int nf = 1;
	if (d.in_force) {
		rc = plan_doc_html(d.in_force, &sb);
		if (rc == 0)
			rc = pack_out_put(c->out, "plan/ir-plan.html", sb_str(&sb), sb.len);
		if (rc < 0) {
			sb_free(&sb);
			goto out;
		}
		files[nf++] = "plan/ir-plan.html";
		sb_reset(&sb);
		plan_doc_markdown(d.in_force, &sb);
		rc = sb_status(&sb);
		if (rc == 0)
			rc = pack_out_put(c->out, "plan/ir-plan.md", sb_str(&sb), sb.len);
		if (rc < 0) {
			sb_free(&sb);
			goto out;
		}
		files[nf++] = "plan/ir-plan.md";
		sb_reset(&sb);
	}
	history_html(&d, &sb);
	rc = sb_status(&sb);
	if (rc == 0)
		rc = pack_out_put(c->out, "plan/version-history.html", sb_str(&sb), sb.len);
	sb_free(&sb);
	if (rc < 0)
		goto out;
	files[nf++] = "plan/version-history.html";
	pack_doc_add(c, DOC_PLAN, "Incident response plan, version history, approvals and attestations",
		     d.in_force ? NULL : "no version in force at the end of the period", files);
out:
	json_decref(d.in_force);
	json_decref(d.versions);
	json_decref(d.attest);
	return rc;
}

/* ================= the team ================= */

static void roles_text(json_t *m, struct strbuf *sb)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(m, "roles"), i, r) {
		if (i)
			sb_puts(sb, ", ");
		for (const char *k = json_string_value(r) ? json_string_value(r) : ""; *k; k++)
			sb_putc(sb, *k == '_' ? ' ' : *k);
	}
}

static int team_body(struct pdf *p, void *arg)
{
	json_t *members = arg;
	size_t i, j;
	json_t *m, *t;
	pdf_heading(p, 1, "Team roster", false);
	pdf_note(p, "Members of the incident response team with their roles and contact details, "
		    "including out-of-hours contact. Inactive members are listed last.");
	static const struct pdf_col cols[] = {
		{"Name", 1.6, PDF_LEFT, 2, false},	      {"Roles", 1.8, PDF_LEFT, 3, false},
		{"E-mail", 2.2, PDF_LEFT, 2, false},	      {"Phone", 1.4, PDF_LEFT, 1, false},
		{"Out of hours", 1.4, PDF_LEFT, 1, false}, {"Chat", 1.2, PDF_LEFT, 1, false},
		{"Contact verified", 1.3, PDF_LEFT, 2, false},
	};
	pdf_table_begin(p, cols, 7);
	for (int pass = 0; pass < 2; pass++) {
		json_array_foreach(members, i, m) {
			bool active = json_is_true(json_object_get(m, "active"));
			if (active != (pass == 0))
				continue;
			struct strbuf roles;
			sb_init(&roles, 4096);
			roles_text(m, &roles);
			char v[48];
			pack_fmt_json_time(json_object_get(m, "contact_verified_at"), v, sizeof(v), true);
			char *name = active ? xstrdup(pack_str(m, "name"))
					    : xasprintf("%s (inactive)", pack_str(m, "name"));
			const char *cells[] = {name, sb_str(&roles), dash(pack_str(m, "email")),
					       dash(pack_str(m, "phone")), dash(pack_str(m, "ooh_phone")),
					       dash(pack_str(m, "chat_handle")), v};
			pdf_table_row(p, cells);
			free(name);
			sb_free(&roles);
		}
	}
	pdf_table_end(p);
	pdf_heading(p, 1, "Training records", true);
	pdf_note(p, "Incident response training of each member (Microsoft 365 control 26: annual, "
		    "organisation-specific training). Status is as of the generation date.");
	static const struct pdf_col tcols[] = {
		{"Member", 1.6, PDF_LEFT, 2, false},   {"Course", 2.6, PDF_LEFT, 3, false},
		{"Provider", 1.4, PDF_LEFT, 2, false}, {"Completed", 1.1, PDF_LEFT, 1, false},
		{"Expires", 1.1, PDF_LEFT, 1, false},  {"Status", 1, PDF_LEFT, 1, false},
	};
	pdf_table_begin(p, tcols, 6);
	json_array_foreach(members, i, m) {
		if (!json_is_true(json_object_get(m, "active")))
			continue;
		json_t *tr = json_object_get(m, "trainings");
		if (json_array_size(tr) == 0) {
			const char *cells[] = {pack_str(m, "name"), "no training recorded", "", "", "",
					       "missing"};
			pdf_table_row(p, cells);
			continue;
		}
		json_array_foreach(tr, j, t) {
			const char *st = pack_str(json_object_get(m, "training"), "status");
			const char *cells[] = {pack_str(m, "name"), pack_str(t, "course"),
					       dash(pack_str(t, "provider")), pack_str(t, "completed_on"),
					       pack_str(t, "expires_on"), j == 0 ? st : ""};
			pdf_table_row(p, cells);
		}
	}
	pdf_table_end(p);
	pdf_heading(p, 1, "Contact verifications", true);
	pdf_note(p, "Each member is periodically asked to confirm their contact details through a "
		    "one-time link; the answer and its time are recorded.");
	static const struct pdf_col vcols[] = {
		{"Member", 1.6, PDF_LEFT, 2, false},	  {"Sent", 1.3, PDF_LEFT, 2, false},
		{"Sent by", 1.6, PDF_LEFT, 2, false},	  {"Answered", 1.3, PDF_LEFT, 2, false},
		{"Answer", 1.0, PDF_LEFT, 1, false},	  {"Correction", 2.2, PDF_LEFT, 4, false},
	};
	int nv = 0;
	json_array_foreach(members, i, m) nv += (int)json_array_size(json_object_get(m, "verifications"));
	if (nv == 0) {
		pdf_note(p, "No contact verification has been sent yet.");
		return pdf_status(p);
	}
	pdf_table_begin(p, vcols, 6);
	json_array_foreach(members, i, m) {
		json_array_foreach(json_object_get(m, "verifications"), j, t) {
			char s[48], a[48];
			pack_fmt_json_time(json_object_get(t, "sent_at"), s, sizeof(s), false);
			pack_fmt_json_time(json_object_get(t, "answered_at"), a, sizeof(a), false);
			const char *cells[] = {pack_str(m, "name"), s, pack_str(t, "sent_by"), a,
					       dash(pack_str(t, "answer")), pack_str(t, "correction")};
			pdf_table_row(p, cells);
		}
	}
	pdf_table_end(p);
	return pdf_status(p);
}

int pack_doc_team(struct pack_ctx *c)
{
	json_t *members = NULL;
	int rc = pack_src_team(c->db, c->o->org_id, &members);
	if (rc < 0)
		return rc;
	int64_t now = c->o->now;
	size_t i, j;
	json_t *m, *t;
	struct pack_member *csv = NULL, *tcsv = NULL;
	json_array_foreach(members, i, m) {
		if (!json_is_true(json_object_get(m, "active")))
			continue;
		c->team_members++;
		const char *st = pack_str(json_object_get(m, "training"), "status");
		if (!strcmp(st, "missing"))
			c->team_no_training++;
		else if (!strcmp(st, "expired"))
			c->team_expired_training++;
		int64_t newest = 0, v = 0;
		json_array_foreach(json_object_get(m, "trainings"), j, t) {
			int64_t d = 0;
			if (time_parse_date(pack_str(t, "completed_on"), &d) == 0 && d > newest)
				newest = d;
		}
		if (newest && newest < now - THREE_MONTHS)
			c->team_stale_training++;
		if (newest > c->newest_training)
			c->newest_training = newest;
		if (time_parse_iso8601(pack_str(m, "contact_verified_at"), &v) < 0 || !v ||
		    v < now - THREE_MONTHS)
			c->team_unverified++;
	}
	rc = pack_pdf(c, "team/team.pdf", "Incident response team",
		      "Roster with roles and contacts, training records and contact verifications",
		      true, team_body, members);
	if (rc < 0)
		goto out;
	rc = pack_member_open(c->out, "team/roster.csv", &csv);
	if (rc < 0)
		goto out;
	static const char *const head[] = {"name", "active", "roles", "email", "phone", "ooh_phone",
					   "chat_handle", "time_zone", "contact_verified_at",
					   "training_status"};
	rc = csv_member_row(csv, head, 10);
	json_array_foreach(members, i, m) {
		if (rc < 0)
			break;
		struct strbuf roles;
		sb_init(&roles, 4096);
		roles_text(m, &roles);
		const char *cols[] = {pack_str(m, "name"),
				      json_is_true(json_object_get(m, "active")) ? "yes" : "no",
				      sb_str(&roles), pack_str(m, "email"), pack_str(m, "phone"),
				      pack_str(m, "ooh_phone"), pack_str(m, "chat_handle"),
				      pack_str(m, "time_zone"), pack_str(m, "contact_verified_at"),
				      pack_str(json_object_get(m, "training"), "status")};
		rc = csv_member_row(csv, cols, 10);
		sb_free(&roles);
	}
	int rc2 = pack_member_close(csv);
	rc = rc < 0 ? rc : rc2;
	if (rc < 0)
		goto out;
	rc = pack_member_open(c->out, "team/training.csv", &tcsv);
	if (rc < 0)
		goto out;
	static const char *const thead[] = {"member", "course", "provider", "completed_on",
					    "expires_on", "notes"};
	rc = csv_member_row(tcsv, thead, 6);
	json_array_foreach(members, i, m) {
		json_array_foreach(json_object_get(m, "trainings"), j, t) {
			if (rc < 0)
				break;
			const char *cols[] = {pack_str(m, "name"), pack_str(t, "course"),
					      pack_str(t, "provider"), pack_str(t, "completed_on"),
					      pack_str(t, "expires_on"), pack_str(t, "notes")};
			rc = csv_member_row(tcsv, cols, 6);
		}
	}
	rc2 = pack_member_close(tcsv);
	rc = rc < 0 ? rc : rc2;
	if (rc < 0)
		goto out;
	static const char *const files[] = {"team/team.pdf", "team/roster.csv", "team/training.csv",
					    NULL};
	pack_doc_add(c, DOC_TEAM, "Team roster, training records and contact verifications", NULL,
		     files);
out:
	json_decref(members);
	return rc;
}

/* ================= exercises and reviews ================= */

struct reviews_data {
	json_t *ex, *qr, *ai;
	bool have_ex, have_qr, have_ai;
};

static void list_text(json_t *arr, struct strbuf *sb)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		const char *s = json_string_value(x);
		if (!s && json_is_object(x)) {
			s = json_string_value(json_object_get(x, "text"));
			if (!s)
				s = json_string_value(json_object_get(x, "title"));
			if (!s)
				s = json_string_value(json_object_get(x, "finding"));
		}
		if (!s)
			continue;
		sb_printf(sb, "%s• %s", sb->len ? "\n" : "", s);
	}
}

static int reviews_body(struct pdf *p, void *arg)
{
	struct reviews_data *d = arg;
	size_t i, j;
	json_t *x, *pp;
	pdf_heading(p, 1, "Exercises", false);
	if (!d->have_ex)
		pdf_note(p, "No records of this kind: exercise tracking is not available on this "
			    "installation.");
	else if (json_array_size(d->ex) == 0)
		pdf_warning(p, "No exercise was scheduled or held in the period.");
	json_array_foreach(d->ex, i, x) {
		char *h = xasprintf("%s (%s)", pack_str(x, "title"), pack_str(x, "kind"));
		pdf_heading(p, 2, h, false);
		free(h);
		char a[48], b[48];
		pack_fmt_json_time(json_object_get(x, "scheduled_at"), a, sizeof(a), false);
		pack_fmt_json_time(json_object_get(x, "held_at"), b, sizeof(b), false);
		pdf_kv(p, "Status", pack_str(x, "status"));
		pdf_kv(p, "Scheduled", a);
		pdf_kv(p, "Held", b);
		pdf_kv(p, "Facilitator", pack_str(x, "facilitator"));
		pdf_kv(p, "Plan version", pack_str(x, "plan_version"));
		pdf_kv(p, "Scenario", pack_str(x, "scenario"));
		struct strbuf sb;
		sb_init(&sb, 1 << 20);
		list_text(json_object_get(x, "objectives"), &sb);
		pdf_kv(p, "Objectives", sb_str(&sb));
		sb_reset(&sb);
		json_array_foreach(json_object_get(x, "participants"), j, pp)
			sb_printf(&sb, "%s%s%s%s%s", sb.len ? ", " : "", pack_str(pp, "name"),
				  *pack_str(pp, "role") ? " (" : "", pack_str(pp, "role"),
				  *pack_str(pp, "role") ? ")" : "");
		pdf_kv(p, "Participants", sb_str(&sb));
		pdf_kv(p, "Observations", pack_str(x, "observations"));
		sb_reset(&sb);
		list_text(json_object_get(x, "findings"), &sb);
		pdf_kv(p, "Findings", sb_str(&sb));
		pdf_kv(p, "Lessons learned", pack_str(x, "lessons_learned"));
		sb_free(&sb);
		pdf_space(p, 6);
	}
	pdf_heading(p, 1, "Quality reviews", true);
	if (!d->have_qr)
		pdf_note(p, "No records of this kind: quality reviews are not available on this "
			    "installation.");
	else if (json_array_size(d->qr) == 0)
		pdf_note(p, "No quality review was due or done in the period.");
	else {
		static const struct pdf_col cols[] = {
			{"Subject", 1, PDF_LEFT, 1, false},  {"Reason", 1.3, PDF_LEFT, 2, false},
			{"Due", 1, PDF_LEFT, 1, false},	     {"Reviewed", 1, PDF_LEFT, 1, false},
			{"Reviewer", 1.5, PDF_LEFT, 2, false}, {"Outcome", 1.1, PDF_LEFT, 1, false},
			{"Notes", 3, PDF_LEFT, 6, false},
		};
		pdf_table_begin(p, cols, 7);
		json_array_foreach(d->qr, i, x) {
			char a[48], b[48];
			pack_fmt_json_time(json_object_get(x, "due_date"), a, sizeof(a), true);
			pack_fmt_json_time(json_object_get(x, "reviewed_on"), b, sizeof(b), true);
			const char *cells[] = {pack_str(x, "subject"), pack_str(x, "reason"), a, b,
					       dash(pack_str(x, "reviewer")),
					       dash(pack_str(x, "outcome")), pack_str(x, "notes")};
			pdf_table_row(p, cells);
		}
		pdf_table_end(p);
	}
	pdf_heading(p, 1, "Action items", true);
	if (!d->have_ai)
		pdf_note(p, "No records of this kind: action items are not available on this "
			    "installation.");
	else if (json_array_size(d->ai) == 0)
		pdf_note(p, "No action item was raised in the period or open at its end.");
	else {
		static const struct pdf_col cols[] = {
			{"Action", 3, PDF_LEFT, 4, false},   {"From", 1.1, PDF_LEFT, 1, false},
			{"Owner", 1.6, PDF_LEFT, 2, false},  {"Due", 1, PDF_LEFT, 1, false},
			{"Priority", 0.9, PDF_LEFT, 1, false}, {"Status", 1, PDF_LEFT, 1, false},
			{"Done", 1, PDF_LEFT, 1, false},     {"Plan revision", 0.9, PDF_LEFT, 1, false},
		};
		pdf_table_begin(p, cols, 8);
		json_array_foreach(d->ai, i, x) {
			char a[48], b[48];
			pack_fmt_json_time(json_object_get(x, "due_date"), a, sizeof(a), true);
			pack_fmt_json_time(json_object_get(x, "done_at"), b, sizeof(b), true);
			const char *cells[] = {pack_str(x, "title"),	 pack_str(x, "source_type"),
					       pack_str(x, "owner"),	 a,
					       pack_str(x, "priority"), pack_str(x, "status"),
					       b,			 dash(pack_str(x, "plan_version"))};
			pdf_table_row(p, cells);
		}
		pdf_table_end(p);
	}
	return pdf_status(p);
}

int pack_doc_reviews(struct pack_ctx *c)
{
	struct reviews_data d = {0};
	int64_t from = c->o->from, to = c->o->to;
	int rc = pack_src_exercises(c->db, c->o->org_id, from, to, &d.ex);
	d.have_ex = rc == 0;
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		goto out;
	rc = pack_src_quality_reviews(c->db, c->o->org_id, from, to, &d.qr);
	d.have_qr = rc == 0;
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		goto out;
	rc = pack_src_action_items(c->db, c->o->org_id, from, to, &d.ai);
	d.have_ai = rc == 0;
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		goto out;
	c->reviews_available = d.have_ex;
	size_t i;
	json_t *x;
	json_array_foreach(d.ex, i, x)
		if (!strcmp(pack_str(x, "status"), "held"))
			c->exercises_held++;
	rc = pack_src_last_exercise(c->db, c->o->org_id, c->o->now, &c->last_exercise);
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		goto out;
	rc = pack_src_last_quality_review(c->db, c->o->org_id, c->o->now, &c->last_quality_review);
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		goto out;
	rc = pack_pdf(c, "reviews/exercises-and-reviews.pdf", "Exercises and reviews",
		      "Exercises, quality reviews and action items of the period", false,
		      reviews_body, &d);
	if (rc < 0)
		goto out;
	static const char *const files[] = {"reviews/exercises-and-reviews.pdf", NULL};
	pack_doc_add(c, DOC_REVIEWS, "Exercises, quality reviews and action items",
		     d.have_ex ? NULL : "no records of this kind on this installation", files);
out:
	json_decref(d.ex);
	json_decref(d.qr);
	json_decref(d.ai);
	return rc;
}

/* ================= the incident log ================= */

struct log_state {
	struct pack_ctx *c;
	struct pack_member *csv;
	struct pdf *pdf;
	int64_t n;
	bool collect; /* first walk: CSV, counts and report selection */
};

static bool report_worthy(const struct pack_incident *in)
{
	return in->has_review || !strcmp(in->severity, "critical") || !strcmp(in->severity, "high");
}

static int log_row(const struct pack_incident *in, void *arg)
{
	struct log_state *s = arg;
	if (pack_cancelled())
		return SIRT_EIO;
	char date[16], time_[16], res[512];
	char full[48];
	pack_fmt_time(in->detected_at, full, sizeof(full));
	snprintf(date, sizeof(date), "%.10s", full);
	snprintf(time_, sizeof(time_), "%.5s", full + 11);
	const char *resolution = in->resolution ? in->resolution : "";
	if (in->resolution_summary && *in->resolution_summary)
		snprintf(res, sizeof(res), "%s%s%s", resolution, *resolution ? ": " : "",
			 in->resolution_summary);
	else
		snprintf(res, sizeof(res), "%s", resolution);
	s->n++;
	if (s->collect) {
		struct pack_ctx *c = s->c;
		c->incidents++;
		if (in->has_review)
			c->incidents_reviewed++;
		if (report_worthy(in)) {
			int max = c->o->max_reports > 0 ? c->o->max_reports : PACK_MAX_REPORTS;
			if ((int)c->nreport_keys < max) {
				c->report_keys = xrealloc(c->report_keys,
							  (c->nreport_keys + 1) * sizeof(char *));
				c->report_keys[c->nreport_keys++] = xstrdup(in->key);
			} else {
				c->reports_omitted++;
			}
		}
		char iso[ISO8601_LEN];
		time_format_iso8601(in->detected_at, iso);
		const char *cols[] = {in->key, date, time_, iso, in->title, in->description,
				      in->severity, in->status, in->category ? in->category : "",
				      res, in->has_review ? "yes" : "no"};
		return csv_member_row(s->csv, cols, 11);
	}
	/* the PDF: the description is cut after a few lines (the CSV has it whole) */
	char *desc = *in->description ? xasprintf("%s — %s", in->title, in->description)
				      : xstrdup(in->title);
	const char *cells[] = {date, time_, in->key, desc, in->severity, in->status, res};
	pdf_table_row(s->pdf, cells);
	free(desc);
	return pdf_status(s->pdf);
}

static int log_body(struct pdf *p, void *arg)
{
	struct log_state *s = arg;
	s->pdf = p;
	s->n = 0;
	pdf_heading(p, 1, "Incident log", false);
	char *intro = xasprintf(
		"Every incident detected in the period %s (the creation time stands in when the "
		"detection time is not known), oldest first: date, time, description, severity, "
		"status and resolution. Times are UTC. Long descriptions are shortened here; "
		"incident-log.csv has them in full.",
		s->c->period);
	pdf_note(p, intro);
	free(intro);
	static const struct pdf_col cols[] = {
		{"Date", 0.95, PDF_LEFT, 1, false},	{"Time", 0.55, PDF_LEFT, 1, false},
		{"Incident", 1.25, PDF_LEFT, 1, true},	{"Description", 5.2, PDF_LEFT, 3, false},
		{"Severity", 0.8, PDF_LEFT, 1, false},	{"Status", 1.0, PDF_LEFT, 1, false},
		{"Resolution", 2.4, PDF_LEFT, 3, false},
	};
	pdf_table_begin(p, cols, 7);
	int rc = pack_src_incidents(s->c->db, s->c->o->org_id, s->c->o->from, s->c->o->to, log_row,
				    s);
	pdf_table_end(p);
	if (rc == 0 && s->n == 0)
		pdf_note(p, "No incidents were detected in the period.");
	return rc < 0 ? rc : pdf_status(p);
}

int pack_doc_log(struct pack_ctx *c)
{
	struct log_state s = {.c = c, .collect = true};
	int rc = pack_member_open(c->out, "incidents/incident-log.csv", &s.csv);
	if (rc < 0)
		return rc;
	static const char *const head[] = {"key", "date", "time", "detected_at", "title",
					   "description", "severity", "status", "category",
					   "resolution", "review_published"};
	rc = csv_member_row(s.csv, head, 11);
	if (rc == 0)
		rc = pack_src_incidents(c->db, c->o->org_id, c->o->from, c->o->to, log_row, &s);
	int rc2 = pack_member_close(s.csv);
	rc = rc < 0 ? rc : rc2;
	if (rc < 0)
		return rc;
	s.collect = false;
	rc = pack_pdf(c, "incidents/incident-log.pdf", "Incident log", c->period, true, log_body,
		      &s);
	if (rc < 0)
		return rc;
	static const char *const files[] = {"incidents/incident-log.pdf",
					    "incidents/incident-log.csv", NULL};
	pack_doc_add(c, DOC_LOG, "Incident log (date, time, description, severity, status, resolution)",
		     c->incidents ? NULL : "no incidents in the period", files);
	return 0;
}

/* ================= incident reports ================= */

struct report_data {
	json_t *rec, *tl, *rv;
};

static const char *const record_fields[][2] = {
	{"key", "Incident"},
	{"title", "Title"},
	{"severity", "Severity"},
	{"status", "Status"},
	{"category", "Category"},
	{"attack_vector", "Attack vector"},
	{"veris_action", "VERIS action"},
	{"commander", "Commander"},
	{"reporter", "Reporter"},
	{"created_at", "Recorded"},
	{"occurred_at", "Occurred"},
	{"detected_at", "Detected"},
	{"aware_at", "Became aware"},
	{"acknowledged_at", "Acknowledged"},
	{"contained_at", "Contained"},
	{"resolved_at", "Resolved"},
	{"closed_at", "Closed"},
	{"impact_functional", "Functional impact"},
	{"impact_information", "Information impact"},
	{"impact_recoverability", "Recoverability"},
	{"resolution", "Resolution"},
	{"resolution_summary", "Resolution summary"},
	{"root_cause_category", "Root cause category"},
	{"plan_version", "Plan version in force"},
	{"tlp", "TLP"},
};

static void json_value_text(json_t *v, struct strbuf *sb)
{
	if (json_is_string(v)) {
		sb_puts(sb, json_string_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (i)
				sb_puts(sb, json_is_object(x) ? "\n" : ", ");
			json_value_text(x, sb);
		}
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		bool first = true;
		json_object_foreach(v, k, x) {
			if (json_is_null(x))
				continue;
			sb_printf(sb, "%s%s: ", first ? "" : "; ", k);
			json_value_text(x, sb);
			first = false;
		}
	} else if (json_is_integer(v)) {
		sb_printf(sb, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		sb_printf(sb, "%g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		sb_puts(sb, json_is_true(v) ? "yes" : "no");
	}
}

static void humanise(const char *key, char *out, size_t len)
{
	snprintf(out, len, "%s", key);
	for (char *s = out; *s; s++)
		if (*s == '_')
			*s = ' ';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

static int report_body(struct pdf *p, void *arg)
{
	struct report_data *d = arg;
	struct strbuf sb;
	sb_init(&sb, 4 << 20);
	pdf_heading(p, 1, "Incident record", false);
	for (size_t i = 0; i < sizeof(record_fields) / sizeof(record_fields[0]); i++) {
		json_t *v = json_object_get(d->rec, record_fields[i][0]);
		if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
			continue;
		char t[48];
		if (strstr(record_fields[i][0], "_at")) {
			pack_fmt_json_time(v, t, sizeof(t), false);
			pdf_kv(p, record_fields[i][1], t);
		} else {
			sb_reset(&sb);
			json_value_text(v, &sb);
			pdf_kv(p, record_fields[i][1], sb_str(&sb));
		}
	}
	static const char *const lists[][2] = {{"affected_systems", "Affected systems"},
					       {"affected_customers", "Affected customers"},
					       {"data_types", "Data types"},
					       {"assignees", "Assignees"}};
	for (size_t i = 0; i < 4; i++) {
		json_t *v = json_object_get(d->rec, lists[i][0]);
		if (json_array_size(v) == 0)
			continue;
		sb_reset(&sb);
		json_value_text(v, &sb);
		pdf_kv(p, lists[i][1], sb_str(&sb));
	}
	const char *desc = pack_str(d->rec, "description");
	if (*desc) {
		pdf_heading(p, 2, "Description", false);
		pdf_text(p, desc);
	}
	if (d->rv) {
		char t[48];
		pack_fmt_json_time(json_object_get(d->rv, "published_at"), t, sizeof(t), false);
		pdf_heading(p, 1, "Post-incident review", false);
		sb_reset(&sb);
		sb_printf(&sb, "Revision %lld by %s, published %s.",
			  (long long)json_integer_value(json_object_get(d->rv, "revision")),
			  pack_str(d->rv, "author"), t);
		pdf_note(p, sb_str(&sb));
		json_t *content = json_object_get(d->rv, "content");
		static const char *const order[] = {"summary",	  "actions_taken", "root_cause",
						    "impact",	  "went_well",	   "went_badly",
						    "recommendations", NULL};
		for (int i = 0; order[i]; i++) {
			json_t *v = json_object_get(content, order[i]);
			if (!v || json_is_null(v))
				continue;
			char h[64];
			humanise(order[i], h, sizeof(h));
			pdf_heading(p, 2, h, false);
			if (json_is_string(v)) {
				pdf_markdown(p, json_string_value(v));
			} else if (!strcmp(order[i], "actions_taken") && json_is_array(v)) {
				static const struct pdf_col cols[] = {
					{"When", 1.3, PDF_LEFT, 2, false},
					{"Who", 1.5, PDF_LEFT, 2, false},
					{"Action", 5, PDF_LEFT, 0, false},
				};
				pdf_table_begin(p, cols, 3);
				size_t j;
				json_t *a;
				json_array_foreach(v, j, a) {
					pack_fmt_json_time(json_object_get(a, "at"), t, sizeof(t), false);
					const char *cells[] = {t, pack_str(a, "actor"), pack_str(a, "text")};
					pdf_table_row(p, cells);
				}
				pdf_table_end(p);
			} else if (json_is_object(v)) {
				const char *k;
				json_t *x;
				json_object_foreach(v, k, x) {
					if (json_is_null(x))
						continue;
					char hk[64];
					humanise(k, hk, sizeof(hk));
					sb_reset(&sb);
					json_value_text(x, &sb);
					pdf_kv(p, hk, sb_str(&sb));
				}
			} else {
				sb_reset(&sb);
				if (json_is_array(v)) {
					size_t j;
					json_t *x;
					json_array_foreach(v, j, x) {
						sb_puts(&sb, "- ");
						json_value_text(x, &sb);
						sb_putc(&sb, '\n');
					}
					pdf_markdown(p, sb_str(&sb));
				} else {
					json_value_text(v, &sb);
					pdf_text(p, sb_str(&sb));
				}
			}
		}
		json_t *so = json_object_get(d->rv, "signoffs");
		if (json_array_size(so)) {
			pdf_heading(p, 2, "Sign-off", false);
			size_t j;
			json_t *s;
			json_array_foreach(so, j, s) {
				pack_fmt_json_time(json_object_get(s, "signed_at"), t, sizeof(t), false);
				sb_reset(&sb);
				sb_printf(&sb, "%s %s%s%s", pack_str(s, "name"), t,
					  *pack_str(s, "comment") ? " — " : "", pack_str(s, "comment"));
				pdf_kv(p, pack_str(s, "reviewer"), sb_str(&sb));
			}
		}
	}
	pdf_heading(p, 1, "Timeline", d->rv != NULL);
	if (json_array_size(d->tl) == 0)
		pdf_note(p, "The timeline is empty.");
	else {
		static const struct pdf_col cols[] = {
			{"When", 1.4, PDF_LEFT, 2, false},
			{"Kind", 1.0, PDF_LEFT, 1, false},
			{"Who", 1.7, PDF_LEFT, 2, false},
			{"What", 5, PDF_LEFT, 0, false},
		};
		pdf_table_begin(p, cols, 4);
		size_t j;
		json_t *e;
		json_array_foreach(d->tl, j, e) {
			char t[48];
			json_t *at = json_object_get(e, "occurred_at");
			pack_fmt_json_time(json_is_string(at) ? at : json_object_get(e, "recorded_at"),
					   t, sizeof(t), false);
			const char *cells[] = {t, pack_str(e, "kind"), pack_str(e, "author"),
					       pack_str(e, "text")};
			pdf_table_row(p, cells);
		}
		pdf_table_end(p);
	}
	sb_free(&sb);
	return pdf_status(p);
}

static void md_escape(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		if (strchr("\\`*_{}[]<>#|", *s))
			sb_putc(sb, '\\');
		sb_putc(sb, *s == '\n' ? ' ' : *s);
	}
}

/* The published review as Markdown, in the report's order: prose sections
 * as written (they are Markdown already), structured ones as lists. */
static void review_markdown(json_t *rv, struct strbuf *sb)
{
	static const char *const order[] = {"summary", "actions_taken", "root_cause", "impact",
					    "went_well", "went_badly", "recommendations", NULL};
	json_t *content = json_object_get(rv, "content");
	sb_printf(sb, "\n## Post-incident review (revision %lld, by ",
		  (long long)json_integer_value(json_object_get(rv, "revision")));
	md_escape(sb, pack_str(rv, "author"));
	sb_puts(sb, ")\n\n");
	for (int i = 0; order[i]; i++) {
		json_t *v = json_object_get(content, order[i]);
		if (!v || json_is_null(v))
			continue;
		char h[64];
		humanise(order[i], h, sizeof(h));
		sb_printf(sb, "### %s\n\n", h);
		if (json_is_string(v)) {
			sb_puts(sb, json_string_value(v));
			sb_puts(sb, "\n\n");
			continue;
		}
		size_t j;
		json_t *x;
		if (json_is_array(v)) {
			json_array_foreach(v, j, x) {
				sb_puts(sb, "- ");
				if (json_is_object(x)) { /* an action taken */
					char t[48];
					pack_fmt_json_time(json_object_get(x, "at"), t, sizeof(t), false);
					md_escape(sb, t);
					sb_puts(sb, " — ");
					md_escape(sb, pack_str(x, "actor"));
					sb_puts(sb, ": ");
					md_escape(sb, pack_str(x, "text"));
				} else {
					struct strbuf t;
					sb_init(&t, 1 << 16);
					json_value_text(x, &t);
					md_escape(sb, sb_str(&t));
					sb_free(&t);
				}
				sb_putc(sb, '\n');
			}
		} else if (json_is_object(v)) {
			const char *k;
			json_object_foreach(v, k, x) {
				if (json_is_null(x))
					continue;
				char label[64];
				humanise(k, label, sizeof(label));
				struct strbuf t;
				sb_init(&t, 1 << 16);
				json_value_text(x, &t);
				sb_printf(sb, "- **%s:** ", label);
				md_escape(sb, sb_str(&t));
				sb_putc(sb, '\n');
				sb_free(&t);
			}
		}
		sb_puts(sb, "\n");
	}
}

static void report_markdown(struct report_data *d, struct strbuf *sb)
{
	sb_puts(sb, "# ");
	md_escape(sb, pack_str(d->rec, "key"));
	sb_puts(sb, ": ");
	md_escape(sb, pack_str(d->rec, "title"));
	sb_puts(sb, "\n\n## Incident record\n\n");
	for (size_t i = 0; i < sizeof(record_fields) / sizeof(record_fields[0]); i++) {
		json_t *v = json_object_get(d->rec, record_fields[i][0]);
		if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
			continue;
		struct strbuf t;
		sb_init(&t, 1 << 20);
		json_value_text(v, &t);
		sb_printf(sb, "- **%s:** ", record_fields[i][1]);
		md_escape(sb, sb_str(&t));
		sb_putc(sb, '\n');
		sb_free(&t);
	}
	const char *desc = pack_str(d->rec, "description");
	if (*desc) {
		sb_puts(sb, "\n## Description\n\n");
		md_escape(sb, desc);
		sb_puts(sb, "\n");
	}
	if (d->rv)
		review_markdown(d->rv, sb);
	sb_puts(sb, "\n## Timeline\n\n| When (UTC) | Kind | Who | What |\n|---|---|---|---|\n");
	size_t j;
	json_t *e;
	json_array_foreach(d->tl, j, e) {
		char t[48];
		json_t *at = json_object_get(e, "occurred_at");
		pack_fmt_json_time(json_is_string(at) ? at : json_object_get(e, "recorded_at"), t,
				   sizeof(t), false);
		sb_printf(sb, "| %s | %s | ", t, pack_str(e, "kind"));
		md_escape(sb, pack_str(e, "author"));
		sb_puts(sb, " | ");
		md_escape(sb, pack_str(e, "text"));
		sb_puts(sb, " |\n");
	}
}

int pack_doc_reports(struct pack_ctx *c)
{
	int rc = 0;
	for (size_t i = 0; i < c->nreport_keys && rc == 0; i++) {
		const char *key = c->report_keys[i];
		struct report_data d = {0};
		rc = pack_src_incident_report(c->db, c->o->org_id, key, &d.rec, &d.tl, &d.rv);
		if (rc == SIRT_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc == 0) {
			char path[160], title[320], sub[160];
			snprintf(path, sizeof(path), "incidents/reports/%s.pdf", key);
			snprintf(title, sizeof(title), "%s: %s", key, pack_str(d.rec, "title"));
			snprintf(sub, sizeof(sub), "%s", d.rv ? "Post-incident review and timeline"
							      : "Incident record and timeline (no "
								"published post-incident review)");
			rc = pack_pdf(c, path, title, sub, false, report_body, &d);
			if (rc == 0) {
				struct strbuf sb;
				sb_init(&sb, 32 << 20);
				report_markdown(&d, &sb);
				snprintf(path, sizeof(path), "incidents/reports/%s.md", key);
				rc = sb_status(&sb);
				if (rc == 0)
					rc = pack_out_put(c->out, path, sb_str(&sb), sb.len);
				sb_free(&sb);
				c->reports++;
			}
		}
		json_decref(d.rec);
		json_decref(d.tl);
		json_decref(d.rv);
	}
	if (rc < 0)
		return rc;
	char note[200] = "";
	if (c->reports_omitted)
		snprintf(note, sizeof(note),
			 "%lld more qualifying incidents have no report in this pack (limit %d); "
			 "narrow the period",
			 (long long)c->reports_omitted,
			 c->o->max_reports > 0 ? c->o->max_reports : PACK_MAX_REPORTS);
	else if (!c->reports)
		snprintf(note, sizeof(note), "no incident of the period has a published review or "
					     "is of high or critical severity");
	static const char *const files[] = {"incidents/reports/", NULL};
	pack_doc_add(c, DOC_REPORTS,
		     "Incident reports (post-incident review, or the record) with their timelines",
		     *note ? note : NULL, c->reports ? files : NULL);
	return 0;
}

/* ================= notifications and submissions ================= */

struct notify_state {
	struct pack_ctx *c;
	struct pack_member *csv;
	struct pdf *pdf;
	bool collect;
	int64_t n;
	bool submissions;
};

static int notify_row(void *arg, const char *const *cols)
{
	struct notify_state *s = arg;
	s->n++;
	if (s->collect) {
		if (s->submissions) {
			s->c->submissions++;
			if (!strcmp(cols[7], "late"))
				s->c->submissions_late++;
			if (!strcmp(cols[7], "overdue"))
				s->c->submissions_overdue++;
		} else {
			s->c->notifications++;
		}
		return csv_member_row(s->csv, cols, s->submissions ? PACK_SUBMIT_COLS
								   : PACK_NOTIFY_COLS);
	}
	if (s->submissions) {
		char dl[48], sa[48];
		int64_t t = 0;
		if (time_parse_iso8601(cols[4], &t) < 0)
			t = 0;
		pack_fmt_time(t, dl, sizeof(dl));
		if (time_parse_iso8601(cols[5], &t) < 0)
			t = 0;
		pack_fmt_time(t, sa, sizeof(sa));
		const char *cells[] = {cols[0], cols[1], cols[2], dl, sa, cols[6], cols[7]};
		pdf_table_row(s->pdf, cells);
	} else {
		char at[48];
		int64_t t = 0;
		if (time_parse_iso8601(cols[0], &t) < 0)
			t = 0;
		pack_fmt_time(t, at, sizeof(at));
		const char *cells[] = {at, cols[1], cols[2], cols[4], cols[5], cols[6]};
		pdf_table_row(s->pdf, cells);
	}
	return pdf_status(s->pdf);
}

static int notify_body(struct pdf *p, void *arg)
{
	struct notify_state *s = arg;
	struct pack_ctx *c = s->c;
	s->pdf = p;
	pdf_heading(p, 1, "Regulatory submissions", false);
	pdf_note(p, "Each stage of each regulatory clock running on an incident of the period: "
		    "deadline, when it was submitted, and whether it was met or late.");
	static const struct pdf_col scols[] = {
		{"Incident", 1.2, PDF_LEFT, 1, true}, {"Clock", 1.8, PDF_LEFT, 2, false},
		{"Stage", 1.6, PDF_LEFT, 2, false},   {"Deadline", 1.3, PDF_LEFT, 2, false},
		{"Submitted", 1.3, PDF_LEFT, 2, false}, {"Authority / reference", 1.8, PDF_LEFT, 2, false},
		{"Status", 0.9, PDF_LEFT, 1, false},
	};
	s->submissions = true;
	s->n = 0;
	pdf_table_begin(p, scols, 7);
	int rc = pack_src_submissions(c->db, c->o->org_id, c->o->from, c->o->to, notify_row, s);
	pdf_table_end(p);
	if (rc == SIRT_ENOTFOUND)
		pdf_note(p, "No records of this kind: regulatory clocks are not available on this "
			    "installation.");
	else if (rc < 0)
		return rc;
	else if (s->n == 0)
		pdf_note(p, "No regulatory clock ran on an incident of the period.");
	pdf_heading(p, 1, "Notifications sent", true);
	pdf_note(p, "Messages sent through the notification channels in the period.");
	static const struct pdf_col ncols[] = {
		{"Sent", 1.3, PDF_LEFT, 2, false},    {"Incident", 1.2, PDF_LEFT, 1, true},
		{"Channel", 1.4, PDF_LEFT, 2, false}, {"Event", 1.3, PDF_LEFT, 2, false},
		{"Subject", 3.5, PDF_LEFT, 3, false}, {"Status", 0.8, PDF_LEFT, 1, false},
	};
	s->submissions = false;
	s->n = 0;
	pdf_table_begin(p, ncols, 6);
	rc = pack_src_notifications(c->db, c->o->org_id, c->o->from, c->o->to, notify_row, s);
	pdf_table_end(p);
	if (rc == SIRT_ENOTFOUND)
		pdf_note(p, "No records of this kind: notifications are not available on this "
			    "installation.");
	else if (rc < 0)
		return rc;
	else if (s->n == 0)
		pdf_note(p, "No notification was sent in the period.");
	return pdf_status(p);
}

int pack_doc_notifications(struct pack_ctx *c)
{
	struct notify_state s = {.c = c, .collect = true};
	const char *files[4] = {"notifications/notifications.pdf", NULL, NULL, NULL};
	int nf = 1;
	int rc;
	bool any = false;
	/* the CSV files, where the data exists */
	for (int k = 0; k < 2; k++) {
		s.submissions = k == 0;
		const char *path = k == 0 ? "notifications/regulatory-submissions.csv"
					  : "notifications/notifications.csv";
		rc = pack_member_open(c->out, path, &s.csv);
		if (rc < 0)
			return rc;
		rc = csv_member_row(s.csv, k == 0 ? pack_submit_cols : pack_notify_cols,
				    k == 0 ? PACK_SUBMIT_COLS : PACK_NOTIFY_COLS);
		if (rc == 0)
			rc = k == 0 ? pack_src_submissions(c->db, c->o->org_id, c->o->from, c->o->to,
							   notify_row, &s)
				    : pack_src_notifications(c->db, c->o->org_id, c->o->from,
							     c->o->to, notify_row, &s);
		bool absent = rc == SIRT_ENOTFOUND;
		if (absent)
			rc = 0;
		int rc2 = pack_member_close(s.csv);
		rc = rc < 0 ? rc : rc2;
		if (rc < 0)
			return rc;
		if (!absent) {
			files[nf++] = path;
			any = true;
		}
	}
	c->notify_available = any;
	s.collect = false;
	rc = pack_pdf(c, "notifications/notifications.pdf", "Notifications and regulatory submissions",
		      c->period, true, notify_body, &s);
	if (rc < 0)
		return rc;
	pack_doc_add(c, DOC_NOTIFY, "Notifications sent and regulatory submissions (met / late)",
		     any ? NULL : "no records of this kind on this installation", files);
	return 0;
}

/* ================= the audit trail ================= */

struct audit_state {
	struct pack_member *m;
	int64_t n;
};

static int audit_row(const struct audit_entry *e, const char *hash, void *arg)
{
	struct audit_state *s = arg;
	char ts[ISO8601_LEN];
	time_format_iso8601(e->ts, ts);
	json_t *det = json_loads(e->details ? e->details : "{}", JSON_DECODE_ANY, NULL);
	json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "seq",
			      (json_int_t)e->seq, "time", ts, "ts", (json_int_t)e->ts, "actor",
			      e->actor, "action", e->action, "object_type", e->object_type,
			      "object_id", e->object_id, "details", det ? det : json_object(),
			      "request_id", e->request_id ? e->request_id : "", "client_addr",
			      e->client_addr ? e->client_addr : "", "prev_hash", e->prev_hash,
			      "hash", hash);
	char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		return SIRT_EINVAL;
	int rc = pack_member_write(s->m, line, strlen(line));
	if (rc == 0)
		rc = pack_member_write(s->m, "\n", 1);
	free(line);
	s->n++;
	return rc;
}

int pack_doc_audit(struct pack_ctx *c)
{
	struct audit_state s = {0};
	int rc = pack_member_open(c->out, "audit/audit-trail.jsonl", &s.m);
	if (rc < 0)
		return rc;
	rc = pack_src_audit(c->db, c->o->org_id, c->o->from, c->o->to, audit_row, &s);
	int rc2 = pack_member_close(s.m);
	rc = rc < 0 ? rc : rc2;
	if (rc < 0)
		return rc;
	c->audit_entries = s.n;
	struct audit_verify_result v;
	rc = pack_src_audit_verify(c->db, c->o->org_id, &v);
	if (rc < 0)
		return rc;
	c->audit_ok = v.ok;
	snprintf(c->audit_problem, sizeof(c->audit_problem), "%s", v.problem);
	char at[ISO8601_LEN], from[ISO8601_LEN], to[ISO8601_LEN];
	time_format_iso8601(c->o->now, at);
	time_format_iso8601(c->o->from, from);
	time_format_iso8601(c->o->to, to);
	json_t *o = json_pack(
		"{s:s, s:s, s:b, s:I, s:I, s:s, s:I, s:s, s:{s:s, s:s}, s:I, s:s}", "checked_at", at,
		"method",
		"every entry of the organisation's chain from the first, hash = SHA-256(canonical "
		"entry || previous hash), compared with the recorded head",
		"ok", v.ok, "entries_checked", (json_int_t)v.entries, "first_bad_seq",
		(json_int_t)v.first_bad, "problem", v.problem, "head_seq", (json_int_t)v.head_seq,
		"head_hash", v.head_hash, "excerpt", "from", from, "to", to, "excerpt_entries",
		(json_int_t)s.n, "excerpt_file", "audit/audit-trail.jsonl");
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	rc = pack_out_put(c->out, "audit/verification.json", text, strlen(text));
	free(text);
	if (rc < 0)
		return rc;
	const char *files[4] = {"audit/audit-trail.jsonl", "audit/verification.json", NULL, NULL};
	json_t *cp = NULL;
	rc = pack_src_checkpoint(c->db, c->o->org_id, &cp);
	if (rc == 0) {
		char *t = json_dumps(cp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		rc = pack_out_put(c->out, "audit/checkpoint.json", t, strlen(t));
		free(t);
		json_decref(cp);
		if (rc < 0)
			return rc;
		files[2] = "audit/checkpoint.json";
	} else if (rc != SIRT_ENOTFOUND) {
		return rc;
	}
	if (!v.ok)
		pack_warn(c, "gap", "audit",
			  "The audit trail does NOT verify: %s (entry %lld). The excerpt is included "
			  "as stored.",
			  v.problem, (long long)v.first_bad);
	pack_doc_add(c, DOC_AUDIT, "Audit trail excerpt (JSON lines) and the result of its verification",
		     v.ok ? NULL : "verification FAILED", files);
	return 0;
}
