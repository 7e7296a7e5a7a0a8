/*
 * Notification rules (see rules.h for what they are). Everything here reads
 * the plan in force at the moment of the event, so a newly approved plan
 * changes who is told from the next event on; messages already queued keep
 * their recipients (escalation levels are resolved again when due).
 */
#include "notify/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/contact.h"
#include "notify/escalation.h"
#include "notify/notify.h"
#include "notify/outbox.h"
#include "store/action_store.h"
#include "store/clock_store.h"
#include "store/incident_store.h"
#include "store/plan_store.h"
#include "store/store.h"
#include "store/team_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define VALUE_MAX 4000
#define NAME_MAX_LEN 64
#define SCAN_LIMIT 100

static json_t *section_data(struct db *db, int64_t org_id, const char *key);
static void put_value(struct strbuf *out, const char *v, enum notify_esc esc, bool cut);
static const char *lookup_var(json_t *vars, const char *name);
static void add_email(json_t *emails, const char *e);
static int role_members(struct db *db, int64_t org_id, const char *role, json_t *emails);
static json_t *find_party(json_t *comm, const char *key);
static void add_people(json_t *emails, json_t *rec_commander, json_t *assignees);
static char *join_strings(json_t *arr, const char *sep);
static int mark_once(struct db *db, int64_t org_id, const char *mark, bool *fresh);

/* ------------------------------------------------------------ rendering */

void notify_utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return;
	/* back off over continuation bytes so no character is split */
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	s[max] = '\0';
}

/* A value (cut: at most VALUE_MAX bytes) or literal template text: in JSON
 * mode literal text is the template's own JSON and is copied as it is. */
static void put_value(struct strbuf *out, const char *v, enum notify_esc esc, bool cut)
{
	if (esc == NOTIFY_ESC_JSON && !cut) {
		sb_puts(out, v);
		return;
	}
	char *copy = xstrdup(v);
	if (cut)
		notify_utf8_cut(copy, VALUE_MAX);
	if (esc == NOTIFY_ESC_JSON) {
		json_t *s = json_string(copy);
		char *enc = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
		if (enc && strlen(enc) >= 2) /* without the quotes */
			sb_append(out, enc + 1, strlen(enc) - 2);
		free(enc);
		json_decref(s);
		free(copy);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)copy; *p; p++) {
		bool ctl = *p < 0x20 || *p == 0x7f;
		if (!ctl)
			sb_putc(out, (char)*p);
		else if (esc == NOTIFY_ESC_LINE)
			sb_putc(out, ' ');
		else if (*p == '\n' || *p == '\t')
			sb_putc(out, (char)*p);
	}
	free(copy);
}

static const char *lookup_var(json_t *vars, const char *name)
{
	if (!strncmp(name, "incident.", 9))
		name += 9;
	const char *v = json_string_value(json_object_get(vars, name));
	if (!v && !strncmp(name, "incident_", 9))
		v = json_string_value(json_object_get(vars, name + 9));
	return v;
}

void notify_render(const char *tmpl, json_t *vars, enum notify_esc esc, struct strbuf *out)
{
	const char *p = tmpl ? tmpl : "";
	while (*p) {
		const char *open = strstr(p, "{{");
		if (!open) {
			put_value(out, p, esc, false);
			break;
		}
		/* the literal text before the placeholder */
		char *lit = xmalloc((size_t)(open - p) + 1);
		memcpy(lit, p, (size_t)(open - p));
		lit[open - p] = '\0';
		put_value(out, lit, esc, false);
		free(lit);
		const char *close = strstr(open + 2, "}}");
		char name[NAME_MAX_LEN + 1];
		size_t n = 0;
		bool ok = close != NULL;
		for (const char *q = open + 2; ok && q < close; q++) {
			if (*q == ' ')
				continue;
			bool c = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
				 (*q >= '0' && *q <= '9') || *q == '_' || *q == '.';
			if (!c || n >= NAME_MAX_LEN)
				ok = false;
			else
				name[n++] = *q;
		}
		name[n] = '\0';
		if (!ok || n == 0) {
			sb_puts(out, "{{");
			p = open + 2;
			continue;
		}
		const char *v = lookup_var(vars, name);
		put_value(out, v && *v ? v : "(not set)", esc, true);
		p = close + 2;
	}
}

/* ------------------------------------------------------------ the plan */

/* The data of a section of the version in force (new reference) or NULL. */
static json_t *section_data(struct db *db, int64_t org_id, const char *key)
{
	struct db_res *r;
	if (db_query(db, &r,
		     "SELECT s.data FROM plan_sections s JOIN plan_versions v ON v.id = s.version_id"
		     " WHERE v.org_id = $1 AND v.status = 'approved' AND s.key = $2",
		     2, DBV(DB_INT(org_id), DB_TEXT(key))) < 0)
		return NULL;
	json_t *d = NULL;
	if (db_next(r) && db_text(r, 0))
		d = json_loads(db_text(r, 0), 0, NULL);
	db_res_free(r);
	return d;
}

json_t *notify_plan_template(struct db *db, int64_t org_id, const char *key)
{
	json_t *comm = section_data(db, org_id, "communication");
	json_t *found = NULL;
	size_t i, j;
	json_t *party, *t;
	json_array_foreach(json_object_get(comm, "parties"), i, party) {
		json_array_foreach(json_object_get(party, "templates"), j, t) {
			const char *k = json_string_value(json_object_get(t, "key"));
			if (!found && k && key && !strcmp(k, key)) {
				found = json_deep_copy(t);
				json_object_set(found, "party", json_object_get(party, "key"));
			}
		}
	}
	/* the team alert announces a new incident unless a template says otherwise */
	if (!found && key && !strcmp(key, "incident_created")) {
		json_array_foreach(json_object_get(comm, "parties"), i, party) {
			const char *kind = json_string_value(json_object_get(party, "kind"));
			t = json_array_get(json_object_get(party, "templates"), 0);
			if (!found && t && kind && !strcmp(kind, "incident_team")) {
				found = json_deep_copy(t);
				json_object_set(found, "party", json_object_get(party, "key"));
			}
		}
	}
	json_decref(comm);
	return found;
}

/* ------------------------------------------------------------ recipients */

static void add_email(json_t *emails, const char *e)
{
	if (!e || !email_valid(e))
		return;
	size_t i;
	json_t *x;
	json_array_foreach(emails, i, x) {
		if (!strcasecmp(json_string_value(x), e))
			return;
	}
	json_array_append_new(emails, json_string(e));
}

static int role_members(struct db *db, int64_t org_id, const char *role, json_t *emails)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT m.email FROM team_members m JOIN team_member_roles x"
			  " ON x.member_id = m.id WHERE x.org_id = $1 AND x.role = $2 AND m.active = 1"
			  " AND m.email IS NOT NULL ORDER BY m.name, m.id",
			  2, DBV(DB_INT(org_id), DB_TEXT(role)));
	if (rc < 0)
		return rc;
	while (db_next(r))
		add_email(emails, db_text(r, 0));
	db_res_free(r);
	return 0;
}

static json_t *find_party(json_t *comm, const char *key)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(comm, "parties"), i, p) {
		const char *k = json_string_value(json_object_get(p, "key"));
		if (k && !strcmp(k, key))
			return p;
	}
	return NULL;
}

int notify_resolve(struct db *db, int64_t org_id, json_t *keys, int64_t at, bool oncall_first,
		   json_t *emails, json_t *who)
{
	json_t *comm = section_data(db, org_id, "communication");
	json_t *oncall = NULL;
	int rc = 0;
	size_t i;
	json_t *k;
	json_array_foreach(keys, i, k) {
		const char *key = json_string_value(k);
		if (!key)
			continue;
		json_t *got = json_array();
		const char *kind = "role", *source = "members";
		json_t *party = find_party(comm, key);
		if (party) {
			kind = "party";
			source = "contact";
			add_email(got, json_string_value(json_object_get(party, "contact")));
		} else {
			if (oncall_first && !oncall && (rc = oncall_now(db, org_id, at, &oncall)) < 0)
				break;
			size_t j;
			json_t *e;
			json_array_foreach(json_object_get(oncall, "roles"), j, e) {
				const char *role = json_string_value(json_object_get(e, "role"));
				const char *m = json_string_value(
					json_object_get(json_object_get(e, "member"), "email"));
				if (role && !strcmp(role, key) && m && email_valid(m) &&
				    !json_array_size(got)) {
					add_email(got, m);
					source = "on_call";
				}
			}
			if (!json_array_size(got) && (rc = role_members(db, org_id, key, got)) < 0) {
				json_decref(got);
				break;
			}
		}
		size_t j;
		json_t *e;
		json_array_foreach(got, j, e)
			add_email(emails, json_string_value(e));
		if (who)
			json_array_append_new(who, json_pack("{s:s, s:s, s:s, s:o}", "key", key, "kind",
							     kind, "source", source, "emails", got));
		else
			json_decref(got);
	}
	json_decref(oncall);
	json_decref(comm);
	return rc;
}

static void add_people(json_t *emails, json_t *commander, json_t *assignees)
{
	add_email(emails, json_string_value(commander));
	size_t i;
	json_t *a;
	json_array_foreach(assignees, i, a)
		add_email(emails, json_string_value(a));
}

/* ------------------------------------------------------------ messages */

static char *join_strings(json_t *arr, const char *sep)
{
	struct strbuf sb;
	sb_init(&sb, 64 * 1024);
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		if (!json_is_string(x))
			continue;
		if (sb.len)
			sb_puts(&sb, sep);
		sb_puts(&sb, json_string_value(x));
	}
	return sb_steal(&sb, NULL);
}

json_t *notify_incident_vars(struct db *db, int64_t org_id, int64_t incident_id)
{
	struct db_res *r;
	if (db_query(db, &r, "SELECT uid FROM incidents WHERE id = $1 AND org_id = $2", 2,
		     DBV(DB_INT(incident_id), DB_INT(org_id))) < 0)
		return NULL;
	char uid[64] = "";
	if (db_next(r))
		snprintf(uid, sizeof(uid), "%s", db_text(r, 0));
	db_res_free(r);
	json_t *rec = NULL;
	if (!uid[0] || incident_get(db, org_id, uid, &rec) < 0)
		return NULL;
	json_t *vars = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(rec, k, v) {
		if (json_is_string(v)) {
			json_object_set(vars, k, v);
		} else if (json_is_boolean(v)) {
			json_object_set_new(vars, k, json_string(json_is_true(v) ? "yes" : "no"));
		} else if (json_is_integer(v)) {
			char b[32];
			snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
			json_object_set_new(vars, k, json_string(b));
		} else if (json_is_array(v)) {
			char *s = join_strings(v, ", ");
			if (s && *s)
				json_object_set_new(vars, k, json_string(s));
			free(s);
		}
	}
	json_object_set(vars, "incident_key", json_object_get(rec, "key"));
	if (notify_settings_ready() && notify_settings()->base_url[0]) {
		char *url = xasprintf("%s/incidents/%s", notify_settings()->base_url, uid);
		json_object_set_new(vars, "url", json_string(url));
		free(url);
	}
	/* the raw record, for the rules (not a placeholder: not a string) */
	json_object_set_new(vars, "_record", rec);
	return vars;
}

int notify_rules_send(struct db *db, int64_t org_id, int64_t incident_id, const char *idem_key,
		      const char *event, const char *tkey, json_t *vars, const char *def_subject,
		      const char *def_body, json_t *recipients, json_t *data, int64_t not_before)
{
	json_t *tpl = notify_plan_template(db, org_id, tkey);
	const char *ts = json_string_value(json_object_get(tpl, "subject"));
	const char *tb = json_string_value(json_object_get(tpl, "body"));
	struct strbuf subj, body;
	sb_init(&subj, 64 * 1024);
	sb_init(&body, 256 * 1024);
	notify_render(ts ? ts : def_subject, vars, NOTIFY_ESC_LINE, &subj);
	notify_render(tb ? tb : def_body, vars, NOTIFY_ESC_TEXT, &body);
	char *s = sb_steal(&subj, NULL), *b = sb_steal(&body, NULL);
	if (!s || !*s) {
		free(s);
		s = xstrdup(event);
	}
	if (!b)
		b = xstrdup("");
	notify_utf8_cut(s, OUTBOX_SUBJECT_MAX);
	notify_utf8_cut(b, OUTBOX_BODY_MAX);
	json_t *p = json_object();
	if (data)
		json_object_update(p, data);
	json_object_set_new(p, "rule", json_string(event));
	json_object_set(p, "template", tpl ? json_object_get(tpl, "key") : json_null());
	json_object_set(p, "recipients", recipients ? recipients : json_null());
	char *payload = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	char *rcpt = json_array_size(recipients) ? json_dumps(recipients, JSON_COMPACT) : NULL;
	struct outbox_msg m = {.org_id = org_id, .incident_id = incident_id, .idem_key = idem_key,
			       .event = event, .subject = s, .body = b, .payload = payload,
			       .recipients = rcpt, .not_before = not_before};
	int rc = outbox_enqueue(db, &m);
	free(rcpt);
	free(payload);
	json_decref(p);
	json_decref(tpl);
	free(s);
	free(b);
	return rc;
}

/* ------------------------------------------------------------ incident events */

int notify_rules_incident_event(struct db *db, const struct audit_ctx *ac, int64_t org_id,
				int64_t incident_id, const char *action, json_t *changes)
{
	bool created = !strcmp(action, "incident.created");
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT source FROM incidents WHERE id = $1 AND org_id = $2", 2,
			  DBV(DB_INT(incident_id), DB_INT(org_id)));
	if (rc < 0)
		return rc;
	bool found = db_next(r), imported = found && db_text(r, 0) && !strcmp(db_text(r, 0), "import");
	db_res_free(r);
	if (!found || imported) /* history brought in from another tool: nobody is paged for it */
		return 0;
	/* 1. regulatory clocks the plan requires (idempotent) */
	if (created || json_object_get(changes, "category") || json_object_get(changes, "severity") ||
	    json_object_get(changes, "personal_data")) {
		rc = clock_rules_apply(db, ac, org_id, incident_id, NULL);
		if (rc < 0)
			return rc;
	}
	/* no channel, no message: spare the work of building them (the
	 * incident's variables are a full read of the record) */
	int64_t nch = 0;
	rc = db_query_int(db, &nch,
			  "SELECT count(*) FROM notify_channels WHERE org_id = $1 AND enabled = 1", 1,
			  DBV(DB_INT(org_id)));
	if (rc < 0 || nch == 0)
		return rc;
	json_t *vars = notify_incident_vars(db, org_id, incident_id);
	if (!vars)
		return 0;
	json_t *rec = json_object_get(vars, "_record");
	const char *uid = json_string_value(json_object_get(rec, "id"));
	const char *status = json_string_value(json_object_get(rec, "status"));
	const char *severity = json_string_value(json_object_get(rec, "severity"));
	long long version = (long long)json_integer_value(json_object_get(rec, "version"));
	char actor[256];
	json_object_set_new(vars, "actor", json_string(incident_author(ac, actor, sizeof(actor))));
	json_t *recipients = json_array();
	char *key = NULL;

	/* who the severity says must be told */
	struct plan_target tg;
	rc = plan_severity_targets(db, org_id, severity, &tg);
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		goto out;
	rc = notify_resolve(db, org_id, tg.notify, time_now(), false, recipients, NULL);
	char *roles = join_strings(tg.notify, ", ");
	json_object_set_new(vars, "notify", json_string(roles ? roles : ""));
	free(roles);
	json_decref(tg.notify);
	if (rc < 0)
		goto out;
	add_people(recipients, json_object_get(rec, "commander"), json_object_get(rec, "assignees"));

	if (created) {
		key = xasprintf("incident.created:%s", uid);
		rc = notify_rules_send(db, org_id, incident_id, key, "incident.created",
				       "incident_created", vars,
				       "New {{severity}} incident {{key}}: {{title}}",
				       "A new incident was recorded in sirt.\n\n"
				       "Incident: {{key}} — {{title}}\nSeverity: {{severity}}\n"
				       "Category: {{category}}\nStatus: {{status}}\n"
				       "Commander: {{commander}}\nPersonal data affected: {{personal_data}}\n"
				       "Reported by: {{actor}}\n\n{{description}}\n\n{{url}}\n",
				       recipients, NULL, 0);
		if (rc == 0 && status && !strcmp(status, "new"))
			rc = escalation_schedule(db, org_id, incident_id, NULL);
		goto out;
	}

	json_t *st = json_object_get(changes, "status");
	if (st) {
		const char *from = json_string_value(json_object_get(st, "from"));
		const char *to = json_string_value(json_object_get(st, "to"));
		json_object_set_new(vars, "from", json_string(from ? from : ""));
		json_object_set_new(vars, "to", json_string(to ? to : ""));
		key = xasprintf("incident.status:%s:v%lld", uid, version);
		rc = notify_rules_send(db, org_id, incident_id, key, "incident.status_changed",
				       "status_changed", vars,
				       "{{key}} is now {{to}} (was {{from}}): {{title}}",
				       "Incident {{key}} — {{title}}\nStatus: {{from}} → {{to}}\n"
				       "Severity: {{severity}}\nCommander: {{commander}}\n"
				       "Changed by: {{actor}}\n\n{{url}}\n",
				       recipients, json_pack("{s:s?, s:s?}", "from", from, "to", to), 0);
		if (rc == 0 && from && to && !strcmp(from, "new") && strcmp(to, "new")) {
			char *why = xasprintf("incident acknowledged (status new → %s by %s)", to,
					      actor);
			rc = escalation_cancel(db, org_id, incident_id, why);
			free(why);
		}
	} else if (json_object_get(changes, "severity") && status && !strcmp(status, "new")) {
		/* still unacknowledged: the new severity's path replaces the old one */
		char *why = xasprintf("severity changed to %s", severity);
		rc = escalation_cancel(db, org_id, incident_id, why);
		free(why);
		char suffix[32];
		snprintf(suffix, sizeof(suffix), ":v%lld", version);
		if (rc == 0)
			rc = escalation_schedule(db, org_id, incident_id, suffix);
	}
	if (rc < 0)
		goto out;

	json_t *cc = json_object_get(changes, "commander"), *ca = json_object_get(changes, "assignees");
	if (cc || ca) {
		/* tell the people newly given the incident */
		json_t *to = json_array();
		if (cc)
			add_email(to, json_string_value(json_object_get(cc, "to")));
		size_t i, j;
		json_t *a, *b;
		json_array_foreach(json_object_get(ca, "to"), i, a) {
			bool had = false;
			json_array_foreach(json_object_get(ca, "from"), j, b)
				had = had || json_equal(a, b);
			if (!had)
				add_email(to, json_string_value(a));
		}
		if (json_array_size(to)) {
			char *names = join_strings(to, ", ");
			json_object_set_new(vars, "assigned", json_string(names));
			free(names);
			free(key);
			key = xasprintf("incident.assigned:%s:v%lld", uid, version);
			rc = notify_rules_send(db, org_id, incident_id, key, "incident.assigned",
					       "assigned", vars,
					       "You are assigned to {{key}}: {{title}}",
					       "{{assigned}}: you were assigned to incident {{key}} by"
					       " {{actor}}.\n\nIncident: {{key}} — {{title}}\n"
					       "Severity: {{severity}}\nStatus: {{status}}\n"
					       "Commander: {{commander}}\nAssignees: {{assignees}}\n\n{{url}}\n",
					       to, NULL, 0);
		}
		json_decref(to);
	}
out:
	free(key);
	json_decref(recipients);
	json_decref(vars);
	return rc;
}

/* ------------------------------------------------------------ time-based rules */

static int mark_once(struct db *db, int64_t org_id, const char *mark, bool *fresh)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "INSERT INTO notify_marks(org_id, mark, created_at) VALUES ($1, $2, $3)"
			  " ON CONFLICT (org_id, mark) DO NOTHING",
			  3, DBV(DB_INT(org_id), DB_TEXT(mark), DB_INT(time_now())));
	if (rc < 0)
		return rc;
	*fresh = db_changes(r) > 0;
	db_res_free(r);
	return 0;
}

struct task_due {
	int64_t org_id, incident_id, task_id, due_at;
	char *title, *assignee;
};

struct task_job {
	const struct task_due *t;
};

static int task_tx(struct db *db, void *arg)
{
	const struct task_due *t = ((struct task_job *)arg)->t;
	char *mark = xasprintf("task.overdue:%lld:%lld", (long long)t->task_id,
			       (long long)t->due_at);
	bool fresh = false;
	int rc = mark_once(db, t->org_id, mark, &fresh);
	if (rc < 0 || !fresh) {
		free(mark);
		return rc;
	}
	json_t *vars = notify_incident_vars(db, t->org_id, t->incident_id);
	if (!vars) {
		free(mark);
		return 0;
	}
	json_t *rec = json_object_get(vars, "_record");
	char due[ISO8601_LEN];
	time_format_iso8601(t->due_at, due);
	json_object_set_new(vars, "task", json_string(t->title));
	json_object_set_new(vars, "due", json_string(due));
	json_object_set_new(vars, "task_assignee", json_string(t->assignee ? t->assignee : ""));
	json_t *to = json_array();
	add_email(to, t->assignee);
	if (!json_array_size(to))
		add_email(to, json_string_value(json_object_get(rec, "commander")));
	char *key = xasprintf("task.overdue:%s:%lld:%lld",
			      json_string_value(json_object_get(rec, "id")), (long long)t->task_id,
			      (long long)t->due_at);
	rc = notify_rules_send(db, t->org_id, t->incident_id, key, "task.overdue", "task_overdue",
			       vars, "Overdue task on {{key}}: {{task}}",
			       "The task \"{{task}}\" of incident {{key}} ({{title}}) was due at"
			       " {{due}} and is not done.\nAssignee: {{task_assignee}}\n"
			       "Commander: {{commander}}\n\n{{url}}\n",
			       to, json_pack("{s:I, s:s}", "task", (json_int_t)t->task_id, "due", due),
			       0);
	free(key);
	free(mark);
	json_decref(to);
	json_decref(vars);
	return rc;
}

struct action_job {
	int64_t org_id;
	json_t *item;
};

static int action_tx(struct db *db, void *arg)
{
	struct action_job *j = arg;
	const char *uid = json_string_value(json_object_get(j->item, "id"));
	const char *due = json_string_value(json_object_get(j->item, "due_date"));
	char *mark = xasprintf("action.overdue:%s:%s", uid ? uid : "", due ? due : "");
	bool fresh = false;
	int rc = mark_once(db, j->org_id, mark, &fresh);
	if (rc < 0 || !fresh) {
		free(mark);
		return rc;
	}
	json_t *vars = json_object();
	const char *fields[] = {"id", "title", "owner", "due_date", "priority", "status", NULL};
	for (size_t i = 0; fields[i]; i++) {
		const char *v = json_string_value(json_object_get(j->item, fields[i]));
		json_object_set_new(vars, fields[i], json_string(v ? v : ""));
	}
	json_t *src = json_object_get(j->item, "source");
	json_object_set(vars, "source", json_object_get(src, "type"));
	json_t *to = json_array();
	add_email(to, json_string_value(json_object_get(j->item, "owner")));
	char *key = xasprintf("action.overdue:%s:%s", uid ? uid : "", due ? due : "");
	rc = notify_rules_send(db, j->org_id, 0, key, "action.overdue", "action_overdue", vars,
			       "Overdue action item: {{title}} (due {{due_date}})",
			       "The action item \"{{title}}\" from a {{source}} was due on"
			       " {{due_date}} and is still {{status}}.\nOwner: {{owner}}\n"
			       "Priority: {{priority}}\n",
			       to, json_pack("{s:s?}", "action", uid), 0);
	free(key);
	free(mark);
	json_decref(to);
	json_decref(vars);
	return rc;
}

int notify_rules_scan(struct store *st, int64_t now)
{
	struct db *db = store_reader(st);
	if (!db)
		return SIRT_EUNAVAIL;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT t.id, t.org_id, t.incident_id, t.due_at, t.title, u.email"
			  " FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id"
			  " LEFT JOIN users u ON u.id = t.assignee_id"
			  " WHERE t.status IN ('open','in_progress') AND t.due_at IS NOT NULL"
			  " AND t.due_at < $1 AND i.status NOT IN ('closed','rejected')"
			  " AND NOT EXISTS (SELECT 1 FROM notify_marks m WHERE m.org_id = t.org_id"
			  "  AND m.mark = 'task.overdue:' || CAST(t.id AS TEXT) || ':'"
			  "  || CAST(t.due_at AS TEXT))"
			  " ORDER BY t.due_at, t.id LIMIT $2",
			  2, DBV(DB_INT(now), DB_INT(SCAN_LIMIT)));
	if (rc < 0)
		return rc;
	struct task_due *todo = NULL;
	size_t n = 0;
	while (db_next(r)) {
		todo = xrealloc(todo, (n + 1) * sizeof(*todo));
		todo[n] = (struct task_due){.task_id = db_int(r, 0), .org_id = db_int(r, 1),
					    .incident_id = db_int(r, 2), .due_at = db_int(r, 3),
					    .title = xstrdup(db_text(r, 4)),
					    .assignee = db_text(r, 5) ? xstrdup(db_text(r, 5)) : NULL};
		n++;
	}
	db_res_free(r);
	for (size_t i = 0; i < n; i++) {
		struct task_job j = {.t = &todo[i]};
		if (rc == 0)
			rc = store_tx(st, task_tx, &j);
		free(todo[i].title);
		free(todo[i].assignee);
	}
	free(todo);
	if (rc < 0)
		return rc;

	/* action items: one pass per organisation that has overdue ones */
	rc = db_query(db, &r,
		      "SELECT DISTINCT org_id FROM action_items WHERE status IN ('open','in_progress')"
		      " AND due_date <= $1 ORDER BY org_id LIMIT $2",
		      2, DBV(DB_INT(now - 86400), DB_INT(SCAN_LIMIT)));
	if (rc < 0)
		return rc;
	int64_t *orgs = NULL;
	size_t norgs = 0;
	while (db_next(r)) {
		orgs = xrealloc(orgs, (norgs + 1) * sizeof(*orgs));
		orgs[norgs++] = db_int(r, 0);
	}
	db_res_free(r);
	for (size_t o = 0; o < norgs && rc == 0; o++) {
		json_t *items = NULL;
		int64_t count = 0;
		rc = actions_overdue(db, orgs[o], now, SCAN_LIMIT, &items, &count);
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			struct action_job j = {.org_id = orgs[o], .item = it};
			if (rc == 0)
				rc = store_tx(st, action_tx, &j);
		}
		json_decref(items);
	}
	free(orgs);
	return rc;
}

/* ------------------------------------------------------------ clocks */

int notify_rules_clock_recipients(struct db *db, int64_t org_id, const char *definition_key,
				  char **recipients, char **party)
{
	*recipients = *party = NULL;
	json_t *rep = section_data(db, org_id, "reporting");
	size_t i;
	json_t *x;
	int rc = 0;
	json_array_foreach(json_object_get(rep, "requirements"), i, x) {
		const char *c = json_string_value(json_object_get(x, "clock"));
		if (!c || strcmp(c, definition_key) != 0)
			continue;
		const char *owner = json_string_value(json_object_get(x, "owner"));
		const char *notify = json_string_value(json_object_get(x, "notify"));
		json_t *emails = json_array();
		json_t *keys = json_pack("[s]", owner ? owner : "");
		rc = notify_resolve(db, org_id, keys, time_now(), false, emails, NULL);
		if (rc == 0 && json_array_size(emails))
			*recipients = json_dumps(emails, JSON_COMPACT);
		if (notify)
			*party = xasprintf("%s (owner: %s)", notify, owner ? owner : "-");
		json_decref(keys);
		json_decref(emails);
		break;
	}
	json_decref(rep);
	return rc;
}

/* ------------------------------------------------------------ describe */

static json_t *channels_for(struct db *db, int64_t org_id, const char *event)
{
	json_t *out = json_array();
	struct db_res *r;
	if (db_query(db, &r,
		     "SELECT name, events FROM notify_channels WHERE org_id = $1 AND enabled = 1"
		     " ORDER BY name",
		     1, DBV(DB_INT(org_id))) < 0)
		return out;
	while (db_next(r)) {
		json_t *ev = json_loads(db_text(r, 1), 0, NULL);
		if (notify_event_matches(ev, event))
			json_array_append_new(out, json_string(db_text(r, 0)));
		json_decref(ev);
	}
	db_res_free(r);
	return out;
}

int notify_rules_describe(struct db *db, int64_t org_id, int64_t now, json_t **out)
{
	static const struct {
		const char *event, *tkey, *when, *who;
	} rules[] = {
		{"incident.created", "incident_created", "an incident is recorded",
		 "the severity's notify list, the commander and the assignees"},
		{"incident.status_changed", "status_changed", "an incident changes status",
		 "the severity's notify list, the commander and the assignees"},
		{"incident.assigned", "assigned", "the commander or the assignees change",
		 "the new commander and the added assignees"},
		{ESCALATION_EVENT, "escalation",
		 "an incident is still new when a level of its severity's escalation path is due",
		 "the level's notify list: the member on call for each role, else the role's members"},
		{"clock.reminder", "clock_reminder", "a regulatory deadline is within a reminder lead time",
		 "the owner of the plan's reporting requirement for the clock"},
		{"clock.breach", "clock_breach", "a regulatory deadline passes with nothing submitted",
		 "the owner of the plan's reporting requirement for the clock"},
		{"task.overdue", "task_overdue", "an incident task is past its due time",
		 "the task's assignee, else the commander"},
		{"action.overdue", "action_overdue", "an action item is a day past its due date",
		 "the action item's owner"},
	};
	struct plan_ref ref;
	int rc = plan_in_force(db, org_id, &ref);
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		return rc;
	bool have_plan = rc == 0;
	json_t *o = json_object();
	json_object_set_new(o, "plan_version", have_plan ? json_string(ref.label) : json_null());
	json_t *arr = json_array();
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		json_t *tpl = notify_plan_template(db, org_id, rules[i].tkey);
		json_t *t = tpl ? json_pack("{s:O, s:O}", "key", json_object_get(tpl, "key"), "party",
					    json_object_get(tpl, "party"))
				: json_null();
		json_decref(tpl);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "event",
						     rules[i].event, "when", rules[i].when,
						     "recipients", rules[i].who, "template_key",
						     rules[i].tkey, "template", t, "channels",
						     channels_for(db, org_id, rules[i].event)));
	}
	json_object_set_new(o, "rules", arr);
	json_t *sevs = json_array();
	static const char *const levels[] = {"critical", "high", "medium", "low"};
	for (size_t i = 0; have_plan && i < 4; i++) {
		struct plan_target tg;
		if (plan_severity_targets(db, org_id, levels[i], &tg) < 0)
			continue;
		json_t *who = json_array(), *emails = json_array();
		rc = notify_resolve(db, org_id, tg.notify, now, false, emails, who);
		json_decref(emails);
		json_t *path = NULL;
		if (rc == 0)
			rc = plan_escalation(db, org_id, levels[i], &path);
		size_t j;
		json_t *lv;
		json_array_foreach(path, j, lv) {
			json_t *lw = json_array(), *le = json_array();
			if (rc == 0)
				rc = notify_resolve(db, org_id, json_object_get(lv, "notify"), now,
						    true, le, lw);
			json_object_set_new(lv, "resolved", lw);
			json_decref(le);
		}
		json_array_append_new(sevs, json_pack("{s:s, s:i, s:i, s:o, s:o, s:o}", "severity",
						      levels[i], "acknowledge_minutes",
						      tg.acknowledge_minutes, "update_interval_minutes",
						      tg.update_interval_minutes, "notify",
						      tg.notify ? tg.notify : json_array(),
						      "notify_resolved", who, "escalation",
						      path ? path : json_array()));
		if (rc < 0)
			break;
	}
	json_object_set_new(o, "severities", sevs);
	json_t *rep = have_plan ? section_data(db, org_id, "reporting") : NULL;
	json_t *reqs = json_object_get(rep, "requirements");
	json_object_set_new(o, "reporting", reqs ? json_incref(reqs) : json_array());
	json_decref(rep);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}
