/*
 * The incident response plan as a document: its sections, the strict
 * schemas of their structured parts, whole-document checks and rendering.
 *
 * A plan version is a list of sections {key, title, body, data}. body is
 * Markdown. data is JSON for the eight standard sections (below) and null
 * for sections an organisation adds itself. Each standard section's data has
 * a fixed schema: unknown fields are rejected, and every error names its
 * path ("data.levels[2].acknowledge_minutes"), because the rest of sirt
 * reads these values (response targets, playbook tasks, escalation,
 * regulatory clocks). Pure functions, no I/O.
 *
 *   scope          body only
 *   roles          {"roles": [{key, name, responsibilities[], authority?}]}
 *   severities     {"levels": [{key: critical|high|medium|low, name, description,
 *                   examples[]?, acknowledge_minutes, update_interval_minutes,
 *                   resolve_target_hours?, notify[]}]}  -- all four levels
 *   procedures     {"phases": [{phase, steps[]}]}  -- all six NIST phases
 *   playbooks      {"playbooks": [{key, name, categories[], summary?,
 *                   tasks: [{title, phase, role?, due_minutes?, description?}]}]}
 *   communication  {"parties": [{key, name, audience: internal|external, kind,
 *                   owner, when, contact?, channels: {primary, out_of_band},
 *                   templates[]?: [{key, name, subject?, body}]}]}
 *   escalation     {"paths": [{severity, levels: [{level, after_minutes,
 *                   notify[], note?}]}]}
 *   reporting      {"requirements": [{clock, applies_to[], personal_data_only?,
 *                   min_severity?, notify, owner, note?}]}
 *
 * notify[] entries name a role (roles section) or a party (communication
 * section); owner and task roles name a role. Those cross-references are
 * checked for the whole document when a version is submitted for review
 * (plan_doc_check_complete), not on each section edit, so a draft can be
 * written in any order.
 */
#ifndef SIRT_CORE_PLAN_DOC_H
#define SIRT_CORE_PLAN_DOC_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"
#include "util/strbuf.h"

#define PLAN_SECTIONS_MAX 40
#define PLAN_BODY_MAX 100000   /* characters of Markdown per section */
#define PLAN_KEY_MAX 48

extern const char *const plan_section_keys[];   /* the eight standard keys, in order */
extern const char *const plan_categories[];     /* incident categories, NULL-terminated */
extern const char *const plan_phases[];         /* NIST phases */
extern const char *const plan_severities[];     /* critical, high, medium, low */
extern const char *const plan_builtin_roles[];  /* incident_commander, ... */
extern const char *const plan_reasons[];        /* revision reasons (not "initial") */

/* The default title of a standard section, or NULL for another key. */
const char *plan_section_title(const char *key);
bool plan_section_is_standard(const char *key);
/* ^[a-z][a-z0-9_]{0,47}$ */
bool plan_key_valid(const char *s);
bool plan_in_list(const char *const *list, const char *s);

/*
 * Validates one section's data against its schema (data may be NULL for
 * "absent"). Errors use `prefix` as the path of data ("data" for an edit of
 * one section). Returns 0 or SIRT_EINVAL with errors appended to *errors.
 */
int plan_section_validate(const char *key, json_t *data, const char *prefix,
			  json_t **errors) WUR;

/*
 * Whole-document checks for submission: every standard section present with
 * valid data, cross-references resolved, an escalation path per severity.
 * doc: {"sections": [...]} as returned by the store. Paths are
 * "sections.<key>.data...".
 */
int plan_doc_check_complete(json_t *doc, json_t **errors) WUR;

/* The section with this key in doc["sections"], or NULL. */
json_t *plan_doc_section(json_t *doc, const char *key);

/*
 * Renders a version (the store's JSON: title, label, status, sections,
 * approvals, revision, ...) as one complete Markdown document. User text in
 * structured parts is escaped for Markdown; section bodies are included as
 * written.
 */
void plan_doc_markdown(json_t *version, struct strbuf *out);
/* Markdown to HTML with cmark in safe mode (raw HTML and unsafe links
 * dropped). */
int plan_markdown_html(const char *md, size_t len, struct strbuf *out) WUR;
/* The complete document as a standalone HTML page. */
int plan_doc_html(json_t *version, struct strbuf *out) WUR;

/* Minutes as "15 min", "2 h", "1 h 30 min", "3 d". */
void plan_fmt_minutes(long minutes, char *out, size_t n);

/* The starter plan (plan_starter.c): a JSON document {title, sections}. */
extern const char plan_starter_json[];

#endif
