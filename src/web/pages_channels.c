/*
 * Notification administration pages (administrators): the channels
 * (/admin/channels: list, add an e-mail, Teams, Slack or webhook channel,
 * send a test message, disable or enable) and the outbox (/admin/outbox:
 * every message with its status and attempts, filtered by status, and a
 * retry for failed ones).
 *
 * Secrets (SMTP password, webhook URLs of Teams and Slack, a webhook's
 * signing secret) are write-only: the form has empty password fields, the
 * store seals what is typed, and pages only ever show which secrets are set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "http/routes.h"
#include "notify/notify.h"
#include "store/notify_store.h"
#include "store/store.h"
#include "templates.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "web/pages.h"
#include "web/pages_parts.h"
#include "web/web.h"

#define OUTBOX_PAGE 50

static const char *const kinds[] = {"email", "teams", "slack", "webhook", NULL};
static const char *const starttls[] = {"required", "optional", "none", NULL};
static const char *const statuses[] = {"pending", "sent", "failed", "cancelled", NULL};
/* every field of the add form; secrets are never echoed */
static const char *const echo_fields[] = {"name",    "kind",     "events", "smtp_url",
					  "starttls", "from",    "to",     "username",
					  "url",     NULL};

static bool in_list(const char *const *l, const char *s)
{
	for (; s && *l; l++)
		if (!strcmp(*l, s))
			return true;
	return false;
}

static const char *kind_label(const char *k)
{
	if (!k)
		return "";
	if (!strcmp(k, "email"))
		return "E-mail";
	if (!strcmp(k, "teams"))
		return "Microsoft Teams";
	if (!strcmp(k, "slack"))
		return "Slack";
	if (!strcmp(k, "webhook"))
		return "Webhook";
	return k;
}

/* ------------------------------------------------------------ channels */

static int channels_page(struct req *r, json_t *form, json_t *errors, const char *error,
			 int status)
{
	struct db *db = api_db(r);
	if (!db) {
		json_decref(form);
		json_decref(errors);
		return 0;
	}
	json_t *items;
	int rc = channel_list(db, r->who.org_id, &items);
	if (rc < 0) {
		json_decref(form);
		json_decref(errors);
		return api_store_error(r, db, rc, "listing channels");
	}
	const struct tz *z = pages_zone(r);
	size_t i;
	json_t *c;
	json_array_foreach(items, i, c) {
		const char *k = json_string_value(json_object_get(c, "kind"));
		json_object_set_new(c, "kind_label", json_string(kind_label(k)));
		json_object_set_new(c, "updated_at_t", pages_time_json(z, json_object_get(c, "updated_at")));
		/* a one-line summary of where it sends */
		json_t *cfg = json_object_get(c, "config");
		const char *target = json_string_value(json_object_get(cfg, "url"));
		if (k && !strcmp(k, "email")) {
			json_t *to = json_object_get(cfg, "to");
			struct strbuf sb;
			sb_init(&sb, 4096);
			size_t q;
			json_t *a;
			json_array_foreach(to, q, a) {
				if (q)
					sb_puts(&sb, ", ");
				sb_puts(&sb, json_string_value(a) ? json_string_value(a) : "");
			}
			target = arena_strdup(&r->arena, sb_status(&sb) == 0 ? sb_str(&sb) : "");
			sb_free(&sb);
		} else if (k && (!strcmp(k, "teams") || !strcmp(k, "slack"))) {
			target = "webhook URL (secret)";
		}
		json_object_set_new(c, "target", json_string(target ? target : ""));
		struct strbuf ev;
		sb_init(&ev, 4096);
		size_t q;
		json_t *a;
		json_array_foreach(json_object_get(c, "events"), q, a) {
			if (q)
				sb_puts(&ev, ", ");
			sb_puts(&ev, json_string_value(a) ? json_string_value(a) : "");
		}
		json_object_set_new(c, "events_text", json_string(sb_status(&ev) == 0 ? sb_str(&ev) : ""));
		sb_free(&ev);
	}
	json_t *m = web_base_model(r, "admin", "Notification channels");
	pages_flash_take(r, m);
	json_object_set_new(m, "channels", items);
	json_t *ko = json_array();
	for (int k = 0; kinds[k]; k++)
		json_array_append_new(ko, json_pack("{s:s, s:s}", "value", kinds[k], "label",
						    kind_label(kinds[k])));
	json_object_set_new(m, "kinds", ko);
	json_object_set_new(m, "starttls_options", pages_options(r, NULL, starttls));
	if (!form)
		form = json_pack("{s:s, s:s, s:s}", "kind", "email", "events", "*", "starttls",
				 "required");
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", errors ? errors : json_object());
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return web_render(r, status, tmpl_admin_channels, m);
}

static int h_channels(struct req *r)
{
	return channels_page(r, NULL, NULL, NULL, 200);
}

struct chan_job {
	int64_t org_id;
	const char *uid;
	int64_t version;
	struct channel_input in;
	struct audit_ctx ac;
	json_t *out, *errors;
	bool create;
};

static int chan_tx(struct db *db, void *arg)
{
	struct chan_job *j = arg;
	json_decref(j->out);
	json_decref(j->errors);
	j->out = j->errors = NULL;
	if (j->create)
		return channel_create(db, &j->ac, j->org_id, &j->in, &j->out, &j->errors);
	return channel_update(db, &j->ac, j->org_id, j->uid, j->version, &j->in, &j->out,
			      &j->errors);
}

static bool notify_ready(struct req *r)
{
	const char *why = NULL;
	if (notify_init(&r->app->cfg, &why) < 0) {
		resp_problem(r, 500, NULL, why, NULL);
		return false;
	}
	return true;
}

/* The store's field ("config.url") as the form's field for this kind. */
static const char *form_field(const char *kind, const char *f)
{
	if (!strcmp(f, "config.url"))
		return kind && !strcmp(kind, "email") ? "smtp_url" : "url";
	if (!strcmp(f, "secrets.url"))
		return "webhook_url";
	if (!strncmp(f, "config.", 7))
		return f + 7;
	if (!strncmp(f, "secrets.", 8))
		return f + 8;
	if (!strcmp(f, "secrets"))
		return "password";
	return f;
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static int h_channel_add(struct req *r)
{
	if (!notify_ready(r))
		return 0;
	const char *kind = pages_field(r, "kind");
	json_t *errors = json_object();
	struct chan_job j = {.org_id = r->who.org_id, .create = true, .ac = req_audit_ctx(r)};
	j.in.name = pages_field(r, "name");
	j.in.kind = kind;
	j.in.enabled = 1;
	if (!in_list(kinds, kind))
		json_object_set_new(errors, "kind", json_string("Choose the kind of channel."));
	if (!j.in.name)
		json_object_set_new(errors, "name", json_string("Give the channel a name."));
	json_t *cfg = json_object(), *sec = json_object();
	if (kind && !strcmp(kind, "email")) {
		set_str(cfg, "url", pages_field(r, "smtp_url"));
		set_str(cfg, "starttls", pages_field(r, "starttls"));
		set_str(cfg, "from", pages_field(r, "from"));
		json_object_set_new(cfg, "to", pages_list(pages_field(r, "to")));
		set_str(cfg, "username", pages_field(r, "username"));
		set_str(sec, "password", req_form(r, "password") && *req_form(r, "password")
						 ? req_form(r, "password") : NULL);
	} else if (kind && (!strcmp(kind, "teams") || !strcmp(kind, "slack"))) {
		set_str(sec, "url", pages_field(r, "webhook_url"));
	} else if (kind && !strcmp(kind, "webhook")) {
		set_str(cfg, "url", pages_field(r, "url"));
		set_str(sec, "signing_secret", pages_field(r, "signing_secret"));
	}
	j.in.config = cfg;
	j.in.secrets = sec;
	json_t *ev = pages_list(pages_field(r, "events"));
	if (!json_array_size(ev))
		json_array_append_new(ev, json_string("*"));
	j.in.events = ev;
	int rc = 0;
	if (!json_object_size(errors)) {
		rc = store_tx(r->app->store, chan_tx, &j);
		if (rc == SIRT_EINVAL && j.errors) {
			json_t *fe = pages_errors(j.errors);
			const char *k;
			json_t *v;
			json_object_foreach(fe, k, v)
				if (!json_object_get(errors, form_field(kind, k)))
					json_object_set(errors, form_field(kind, k), v);
			json_decref(fe);
		} else if (rc == SIRT_ECONFLICT) {
			json_object_set_new(errors, "name",
					    json_string("A channel with this name exists already."));
		}
	}
	json_decref(cfg);
	json_decref(sec);
	json_decref(ev);
	json_decref(j.errors);
	if (json_object_size(errors)) {
		json_decref(j.out);
		return channels_page(r, pages_echo(r, echo_fields), errors, NULL, 422);
	}
	json_decref(errors);
	if (rc < 0) {
		json_decref(j.out);
		return api_store_error(r, NULL, rc, "saving the channel");
	}
	json_decref(j.out);
	pages_flash_set(r, "ok", arena_printf(&r->arena, "Channel “%s” added. Send a test to check it.",
					      j.in.name));
	return resp_redirect(r, "/admin/channels");
}

static int h_channel_enable(struct req *r)
{
	const char *v = pages_field(r, "enabled");
	const char *ver = pages_field(r, "version");
	struct chan_job j = {.org_id = r->who.org_id, .uid = req_param(r, "id"),
			     .ac = req_audit_ctx(r)};
	j.in.enabled = v && !strcmp(v, "1") ? 1 : 0;
	j.version = ver ? strtoll(ver, NULL, 10) : 0;
	int rc = store_tx(r->app->store, chan_tx, &j);
	json_decref(j.errors);
	const char *name = arena_strdup(&r->arena, json_string_value(json_object_get(j.out, "name")) ?: "");
	json_decref(j.out);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such channel",
				    "Your organisation has no channel with this id.", NULL);
	if (rc == SIRT_EPRECOND) {
		pages_flash_set(r, "error",
				"Someone changed this channel since you opened the page; nothing was"
				" changed. Check it and try again.");
		return resp_redirect(r, "/admin/channels");
	}
	if (rc < 0)
		return api_store_error(r, NULL, rc, "saving the channel");
	pages_flash_set(r, "ok", arena_printf(&r->arena, "Channel “%s” %s.", name,
					      j.in.enabled ? "enabled" : "disabled"));
	return resp_redirect(r, "/admin/channels");
}

static int h_channel_test(struct req *r)
{
	if (!notify_ready(r))
		return 0;
	struct db *db = api_db(r);
	if (!db)
		return 0;
	struct channel_full ch;
	const char *why = NULL;
	int rc = channel_load(db, r->who.org_id, 0, req_param(r, "id"), &ch, &why);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such channel",
				    "Your organisation has no channel with this id.", NULL);
	if (rc < 0)
		return why ? resp_problem(r, 500, NULL, why, NULL)
			   : api_store_error(r, db, rc, "reading the channel");
	char rnd[17], uid[37];
	rand_hex(rnd, 8);
	rand_uuid(uid);
	struct notify_channel nc = {.uid = ch.uid, .name = ch.name, .kind = ch.kind,
				    .config = ch.config, .secrets = ch.secrets};
	struct notify_message msg = {
		.uid = uid, .idem_key = arena_printf(&r->arena, "test:%s:%s", ch.uid, rnd),
		.event = "channel.test", .subject = "sirt test message",
		.body = "This is a test message from sirt: the channel works.", .payload = "{}",
		.org_name = r->who.org_name, .created_at = time_now()};
	struct notify_result res;
	notify_deliver(notify_settings(), &nc, &msg, &res);
	const char *name = arena_strdup(&r->arena, ch.name);
	channel_full_free(&ch);
	if (res.ok)
		pages_flash_set(r, "ok", arena_printf(&r->arena, "Test message sent over “%s” (reply %ld).",
						      name, res.status));
	else
		pages_flash_set(r, "error", arena_printf(&r->arena, "The test over “%s” failed: %s",
							 name, res.error));
	return resp_redirect(r, "/admin/channels");
}

/* ------------------------------------------------------------ outbox */

static int h_outbox(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	struct outbox_filter f = {.status = req_query(r, "status"), .limit = OUTBOX_PAGE};
	if (f.status && !in_list(statuses, f.status))
		f.status = NULL;
	const char *cur = req_query(r, "cursor");
	if (cur && *cur) {
		char *end;
		long long v = strtoll(cur, &end, 10);
		if (end != cur && !*end && v > 0)
			f.cursor_id = v;
	}
	json_t *items;
	int64_t next = 0;
	int rc = outbox_list(db, r->who.org_id, &f, &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing the outbox");
	const struct tz *z = pages_zone(r);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *st = json_string_value(json_object_get(it, "status"));
		json_object_set_new(it, "status_label", json_string(pages_label(r, NULL, st)));
		json_object_set_new(it, "kind_label", json_string(kind_label(json_string_value(
			json_object_get(json_object_get(it, "channel"), "kind")))));
		json_object_set_new(it, "created_at_t", pages_time_json(z, json_object_get(it, "created_at")));
		json_object_set_new(it, "sent_at_t", pages_time_json(z, json_object_get(it, "sent_at")));
		json_object_set_new(it, "next_attempt_at_t",
				    pages_time_json(z, json_object_get(it, "next_attempt_at")));
		json_object_set_new(it, "retryable", json_boolean(st && (!strcmp(st, "failed") ||
									  !strcmp(st, "pending"))));
	}
	json_t *m = web_base_model(r, "admin", "Outbox");
	pages_flash_take(r, m);
	json_object_set_new(m, "messages", items);
	json_object_set_new(m, "status", json_string(f.status ? f.status : ""));
	json_object_set_new(m, "statuses", pages_options(r, NULL, statuses));
	if (next)
		json_object_set_new(m, "next_cursor",
				    json_string(arena_printf(&r->arena, "%lld", (long long)next)));
	return web_render(r, 200, tmpl_admin_outbox, m);
}

struct retry_job {
	int64_t org_id;
	const char *uid;
	struct audit_ctx ac;
	json_t *out;
};

static int retry_tx(struct db *db, void *arg)
{
	struct retry_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return outbox_retry(db, &j->ac, j->org_id, j->uid, &j->out);
}

static int h_retry(struct req *r)
{
	struct retry_job j = {.org_id = r->who.org_id, .uid = req_param(r, "id"),
			      .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, retry_tx, &j);
	json_decref(j.out);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such message",
				    "Your organisation's outbox has no message with this id.", NULL);
	if (rc == SIRT_ECONFLICT)
		pages_flash_set(r, "error",
				"Only a failed or pending message of an existing channel can be retried.");
	else if (rc < 0)
		return api_store_error(r, NULL, rc, "retrying the message");
	else
		pages_flash_set(r, "ok", "The message is queued again and will be sent shortly.");
	return resp_redirect(r, "/admin/outbox");
}

#define FORM BODY_FORM, PAGES_FORM_MAX
const struct route pages_channels_routes[] = {
	{"GET", "/admin/channels", PERM_ADMIN, BODY_NONE, 0, h_channels, NULL,
	 "Notification channels page", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/channels", PERM_ADMIN, FORM, h_channel_add, NULL,
	 "Add a notification channel (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/channels/{id}/enabled", PERM_ADMIN, FORM, h_channel_enable, NULL,
	 "Enable or disable a channel (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/channels/{id}/test", PERM_ADMIN, FORM, h_channel_test, NULL,
	 "Send a test message over a channel (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/admin/outbox", PERM_ADMIN, BODY_NONE, 0, h_outbox, NULL,
	 "Outbox page: every notification with its status and attempts", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/outbox/{id}/retry", PERM_ADMIN, FORM, h_retry, NULL,
	 "Retry a failed notification (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_channels);
