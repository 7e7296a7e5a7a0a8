/* Escalation levels as scheduled outbox messages; see escalation.h. */
#include "notify/escalation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/outbox.h"
#include "notify/rules.h"
#include "store/notify_store.h"
#include "store/plan_store.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct before_job {
	const struct outbox_work *w;
	bool drop;
	char *recipients; /* resolved now, or NULL */
};

static int before_tx(struct db *db, void *arg);
static json_t *time_or_null(int64_t t);

static json_t *time_or_null(int64_t t)
{
	if (!t)
		return json_null();
	char b[ISO8601_LEN];
	time_format_iso8601(t, b);
	return json_string(b);
}

/* "15 minutes", "4 hours", "at once" */
static void fmt_after(int minutes, char *out, size_t n)
{
	if (minutes <= 0)
		snprintf(out, n, "at once");
	else if (minutes % 60 == 0)
		snprintf(out, n, "%d hour%s", minutes / 60, minutes == 60 ? "" : "s");
	else
		snprintf(out, n, "%d minutes", minutes);
}

int escalation_schedule(struct db *db, int64_t org_id, int64_t incident_id, const char *key_suffix)
{
	json_t *vars = notify_incident_vars(db, org_id, incident_id);
	if (!vars)
		return 0;
	json_t *rec = json_object_get(vars, "_record");
	const char *uid = json_string_value(json_object_get(rec, "id"));
	const char *severity = json_string_value(json_object_get(rec, "severity"));
	int64_t created = 0;
	if (time_parse_iso8601(json_string_value(json_object_get(rec, "created_at")), &created) < 0)
		created = time_now();
	json_t *levels = NULL;
	int rc = plan_escalation(db, org_id, severity, &levels);
	if (rc == SIRT_ENOTFOUND) {
		rc = 0; /* no plan in force: nothing to escalate to */
		goto out;
	}
	if (rc < 0)
		goto out;
	struct plan_target tg;
	rc = plan_severity_targets(db, org_id, severity, &tg);
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		goto out;
	rc = 0;
	json_decref(tg.notify);
	char ack[32];
	snprintf(ack, sizeof(ack), "%d", tg.acknowledge_minutes);
	json_object_set_new(vars, "acknowledge_minutes", json_string(ack));
	size_t i;
	json_t *lv;
	json_array_foreach(levels, i, lv) {
		int level = (int)json_integer_value(json_object_get(lv, "level"));
		int after = (int)json_integer_value(json_object_get(lv, "after_minutes"));
		json_t *notify = json_object_get(lv, "notify");
		int64_t due = created + (int64_t)after * 60;
		json_t *emails = json_array(), *who = json_array();
		rc = notify_resolve(db, org_id, notify, due, true, emails, who);
		if (rc < 0) {
			json_decref(emails);
			json_decref(who);
			break;
		}
		char b[32], after_s[32];
		snprintf(b, sizeof(b), "%d", level);
		fmt_after(after, after_s, sizeof(after_s));
		json_object_set_new(vars, "level", json_string(b));
		json_object_set_new(vars, "after", json_string(after_s));
		struct strbuf names;
		sb_init(&names, 16 * 1024);
		size_t j;
		json_t *x;
		json_array_foreach(notify, j, x)
			sb_printf(&names, "%s%s", j ? ", " : "", json_string_value(x));
		json_object_set_new(vars, "notify", json_string(sb_str(&names)));
		sb_reset(&names);
		json_array_foreach(emails, j, x)
			sb_printf(&names, "%s%s", j ? ", " : "", json_string_value(x));
		json_object_set_new(vars, "recipients", json_string(sb_str(&names)));
		sb_free(&names);
		const char *note = json_string_value(json_object_get(lv, "note"));
		json_object_set_new(vars, "note", json_string(note ? note : ""));
		char *key = xasprintf("escalate:%s:%d%s", uid, level, key_suffix ? key_suffix : "");
		json_t *data = json_pack("{s:i, s:i, s:O, s:o, s:s}", "level", level, "after_minutes",
					 after, "notify", notify, "resolved", who, "severity",
					 severity);
		rc = notify_rules_send(db, org_id, incident_id, key, ESCALATION_EVENT, "escalation",
				       vars,
				       "Escalation level {{level}}: {{key}} ({{severity}}) not"
				       " acknowledged — {{title}}",
				       "Incident {{key}} — {{title}}\nSeverity: {{severity}}"
				       " (acknowledge within {{acknowledge_minutes}} minutes)\n"
				       "Status: still new, nobody has acknowledged it.\n\n"
				       "Escalation level {{level}} ({{after}} after it was reported)"
				       " notifies: {{notify}}\nOn call / recipients: {{recipients}}\n"
				       "{{note}}\n\nAcknowledge it by moving it out of \"new\" in sirt:"
				       " {{url}}\n",
				       emails, data, due);
		json_decref(data);
		json_decref(emails);
		free(key);
		if (rc < 0)
			break;
	}
out:
	json_decref(levels);
	json_decref(vars);
	return rc;
}

int escalation_cancel(struct db *db, int64_t org_id, int64_t incident_id, const char *reason)
{
	return db_exec(db,
		       "UPDATE outbox SET status = 'cancelled', last_error = $3, updated_at = $4"
		       " WHERE org_id = $1 AND incident_id = $2 AND event = '" ESCALATION_EVENT "'"
		       " AND status = 'pending'",
		       4, DBV(DB_INT(org_id), DB_INT(incident_id), DB_TEXT(reason),
			      DB_INT(time_now())));
}

static int before_tx(struct db *db, void *arg)
{
	struct before_job *j = arg;
	const struct outbox_work *w = j->w;
	j->drop = false;
	free(j->recipients);
	j->recipients = NULL;
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT status FROM incidents WHERE id = $1 AND org_id = $2", 2,
			  DBV(DB_INT(w->incident_id), DB_INT(w->org_id)));
	if (rc < 0)
		return rc;
	char status[32] = "";
	if (db_next(r))
		snprintf(status, sizeof(status), "%s", db_text(r, 0));
	db_res_free(r);
	if (strcmp(status, "new") != 0) {
		char *why = xasprintf("incident acknowledged (status %s) before this level was due",
				      status[0] ? status : "unknown");
		rc = db_exec(db,
			     "UPDATE outbox SET status = 'cancelled', last_error = $2,"
			     " leased_until = NULL, leased_by = NULL, updated_at = $3"
			     " WHERE id = $1 AND status = 'pending'",
			     3, DBV(DB_INT(w->id), DB_TEXT(why), DB_INT(time_now())));
		free(why);
		j->drop = true;
		return rc;
	}
	/* who is on call now, which may differ from when the level was queued */
	json_t *p = json_loads(w->payload ? w->payload : "{}", 0, NULL);
	json_t *emails = json_array();
	rc = notify_resolve(db, w->org_id, json_object_get(p, "notify"), time_now(), true, emails,
			    NULL);
	if (rc == 0 && json_array_size(emails)) {
		j->recipients = json_dumps(emails, JSON_COMPACT);
		rc = db_exec(db, "UPDATE outbox SET recipients = $2 WHERE id = $1", 2,
			     DBV(DB_INT(w->id), DB_TEXT(j->recipients)));
	}
	json_decref(emails);
	json_decref(p);
	return rc;
}

int escalation_before_delivery(struct store *st, struct outbox_work *w, bool *drop)
{
	*drop = false;
	if (!w->incident_id)
		return 0;
	struct before_job j = {.w = w};
	int rc = store_tx(st, before_tx, &j);
	if (rc < 0) {
		free(j.recipients);
		return rc;
	}
	*drop = j.drop;
	if (j.recipients) {
		free(w->recipients);
		w->recipients = j.recipients;
	}
	return 0;
}

int escalation_state(struct db *db, int64_t org_id, int64_t incident_id, int64_t now,
		     json_t **out)
{
	json_t *vars = notify_incident_vars(db, org_id, incident_id);
	if (!vars)
		return SIRT_ENOTFOUND;
	json_t *rec = json_object_get(vars, "_record");
	const char *status = json_string_value(json_object_get(rec, "status"));
	const char *severity = json_string_value(json_object_get(rec, "severity"));
	struct plan_target tg;
	int rc = plan_severity_targets(db, org_id, severity, &tg);
	if (rc < 0 && rc != SIRT_ENOTFOUND) {
		json_decref(vars);
		return rc;
	}
	bool have_target = rc == 0;
	json_decref(tg.notify);
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT o.uid, o.idem_key, o.status, o.next_attempt_at, o.sent_at, o.last_error,"
		      " o.recipients, o.channel_name, o.payload, o.created_at FROM outbox o"
		      " WHERE o.org_id = $1 AND o.incident_id = $2 AND o.event = '" ESCALATION_EVENT
		      "' ORDER BY o.id",
		      2, DBV(DB_INT(org_id), DB_INT(incident_id)));
	if (rc < 0) {
		json_decref(vars);
		return rc;
	}
	/* one entry per level and schedule (idempotency key without the channel) */
	json_t *levels = json_array();
	json_t *by_key = json_object();
	while (db_next(r)) {
		char key[OUTBOX_KEY_MAX + 40];
		snprintf(key, sizeof(key), "%s", db_text(r, 1));
		char *last = strrchr(key, ':');
		if (last)
			*last = '\0'; /* drop ":<channel uid>" */
		json_t *p = json_loads(db_text(r, 8), 0, NULL);
		json_t *lv = json_object_get(by_key, key);
		if (!lv) {
			lv = json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:o, s:o, s:[]}", "key", key, "level",
				       json_object_get(p, "level"), "after_minutes",
				       json_object_get(p, "after_minutes"), "severity",
				       json_object_get(p, "severity"), "notify",
				       json_object_get(p, "notify"), "due_at",
				       time_or_null(db_int(r, 3)), "recipients",
				       db_text(r, 6) ? json_loads(db_text(r, 6), 0, NULL)
						     : json_array(),
				       "messages");
			json_object_set_new(by_key, key, lv);
			json_array_append(levels, lv);
		}
		const char *ms = db_text(r, 2);
		json_array_append_new(json_object_get(lv, "messages"),
				      json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", db_text(r, 0),
						"channel", db_text(r, 7), "status", ms, "sent_at",
						db_isnull(r, 4) ? json_null()
								: time_or_null(db_int(r, 4)),
						"reason", db_text(r, 5) ? json_string(db_text(r, 5))
									: json_null()));
		json_decref(p);
	}
	db_res_free(r);
	json_decref(by_key);
	/* a level's state from its messages: sent if any was, else pending... */
	size_t i;
	json_t *lv;
	json_array_foreach(levels, i, lv) {
		bool sent = false, pending = false, failed = false;
		size_t j;
		json_t *m;
		json_array_foreach(json_object_get(lv, "messages"), j, m) {
			const char *s = json_string_value(json_object_get(m, "status"));
			sent = sent || !strcmp(s, "sent");
			pending = pending || !strcmp(s, "pending");
			failed = failed || !strcmp(s, "failed");
		}
		int64_t due = 0;
		if (time_parse_iso8601(json_string_value(json_object_get(lv, "due_at")), &due) < 0)
			due = 0;
		const char *state = sent ? "sent"
				    : pending ? (due && due <= now ? "due" : "scheduled")
				    : failed  ? "failed"
					      : "cancelled";
		json_object_set_new(lv, "state", json_string(state));
	}
	bool acked = status && strcmp(status, "new") != 0;
	*out = json_pack("{s:O?, s:O?, s:s, s:s, s:b, s:O?, s:o, s:o}", "incident",
			 json_object_get(rec, "key"), "id", json_object_get(rec, "id"), "status",
			 status ? status : "", "severity", severity ? severity : "", "acknowledged",
			 acked, "acknowledged_at", json_object_get(rec, "acknowledged_at"),
			 "acknowledge_minutes",
			 have_target ? json_integer(tg.acknowledge_minutes) : json_null(), "levels",
			 levels);
	json_decref(vars);
	return *out ? 0 : SIRT_EDB;
}
