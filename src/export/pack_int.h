/* Shared by the pack_*.c files only. */
#ifndef SIRT_PACK_INT_H
#define SIRT_PACK_INT_H

#include <jansson.h>

#include "export/pack.h"
#include "pdf/pdf.h"
#include "util/strbuf.h"

/* Which documents evidence what: bits, one per kind of document. */
enum pack_doc {
	DOC_PLAN = 1 << 0,
	DOC_TEAM = 1 << 1,
	DOC_REVIEWS = 1 << 2,  /* exercises, quality reviews, action items */
	DOC_LOG = 1 << 3,      /* the incident log */
	DOC_REPORTS = 1 << 4,  /* incident reports */
	DOC_NOTIFY = 1 << 5,   /* notifications and regulatory submissions */
	DOC_AUDIT = 1 << 6,    /* audit-trail excerpt and verification */
};

struct pack_ctx {
	struct db *db;
	const struct pack_opts *o;
	struct pack_out *out;
	struct pack_result *res;
	struct pdf_meta meta;   /* organisation, user, URL, time, generator */
	char generator[64];
	char period[96];        /* "2026-01-01 to 2026-03-31" */
	json_t *docs;           /* [{kind, title, files: [..], note}] in the order written */
	json_t *warnings;       /* same as res->warnings */
	/* facts for the index and the freshness checks */
	bool have_plan, plan_in_force;
	int64_t plan_approved_at, plan_review_due;
	char plan_label[16];
	int team_members, team_no_training, team_expired_training, team_stale_training;
	int team_unverified;
	int64_t newest_training;
	bool reviews_available;
	int exercises_held;
	int64_t last_exercise, last_quality_review;
	int64_t incidents, incidents_reviewed, reports, reports_omitted;
	bool notify_available;
	int64_t notifications, submissions, submissions_late, submissions_overdue;
	bool audit_ok;
	int64_t audit_entries;
	char audit_problem[256];
	char **report_keys;     /* incidents that get a report (bounded by max_reports) */
	size_t nreport_keys;
};

/* Adds a warning: kind "stale" or "gap". */
void pack_warn(struct pack_ctx *c, const char *kind, const char *area, const char *fmt, ...)
	PRINTF(4, 5);
/* Records a written document for the index. */
void pack_doc_add(struct pack_ctx *c, enum pack_doc kind, const char *title, const char *note,
		  const char *const *files);
/* Renders a PDF member. */
int pack_pdf(struct pack_ctx *c, const char *path, const char *title, const char *subtitle,
	     bool landscape, pdf_body_fn body, void *arg) WUR;
/* An RFC 4180 CSV field; cells that a spreadsheet would run as a formula
 * (= + - @ tab CR) get a leading apostrophe. */
void pack_csv_field(struct strbuf *sb, const char *s, bool last);
/* "2026-03-01 14:30 UTC" / "2026-03-01" / "—" for 0. */
void pack_fmt_time(int64_t t, char *out, size_t len);
void pack_fmt_date(int64_t t, char *out, size_t len);
/* The same from an RFC 3339 JSON string (or "—"). */
void pack_fmt_json_time(json_t *v, char *out, size_t len, bool date_only);
const char *pack_str(json_t *o, const char *key); /* "" when absent */

/* the documents (pack_docs.c) */
int pack_doc_plan(struct pack_ctx *c) WUR;
int pack_doc_team(struct pack_ctx *c) WUR;
int pack_doc_reviews(struct pack_ctx *c) WUR;
int pack_doc_log(struct pack_ctx *c) WUR;
int pack_doc_reports(struct pack_ctx *c) WUR;
int pack_doc_notifications(struct pack_ctx *c) WUR;
int pack_doc_audit(struct pack_ctx *c) WUR;

#endif
