/*
 * The evidence pack page (/evidence, auditors and admins): build the signed
 * pack for a period and framework (synchronously, one at a time per
 * process, through the API's own step api_pack_create()), the packs built
 * with their period, size, SHA-256, signing key and warnings, download
 * links, and how to verify a pack.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/pack_api.h"
#include "app/app.h"
#include "http/routes.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/pages.h"
#include "web/pages_parts.h"
#include "web/web.h"

#define PACKS_SHOWN 50

static const char *fw_label(const char *fw)
{
	if (!fw || !strcmp(fw, "all"))
		return "All frameworks";
	if (!strcmp(fw, "m365"))
		return "Microsoft 365 Certification";
	if (!strcmp(fw, "soc2"))
		return "SOC 2";
	if (!strcmp(fw, "iso27001"))
		return "ISO/IEC 27001:2022";
	return fw;
}

static int page(struct req *r, json_t *form, json_t *errors, const char *error, int status)
{
	struct db *db = api_db(r);
	if (!db) {
		json_decref(form);
		json_decref(errors);
		return 0;
	}
	json_t *items;
	int rc = api_pack_list(db, r->who.org_id, PACKS_SHOWN, &items);
	if (rc < 0) {
		json_decref(form);
		json_decref(errors);
		return api_store_error(r, db, rc, "listing evidence packs");
	}
	const struct tz *z = pages_zone(r);
	const char *signer = NULL; /* the newest pack's key: this server's */
	size_t i;
	json_t *p;
	json_array_foreach(items, i, p) {
		json_t *per = json_object_get(p, "period");
		const char *f = json_string_value(json_object_get(per, "from"));
		const char *t = json_string_value(json_object_get(per, "to"));
		json_object_set_new(p, "from_day", json_stringn(f ? f : "", f ? 10 : 0));
		json_object_set_new(p, "to_day", json_stringn(t ? t : "", t ? 10 : 0));
		json_object_set_new(p, "framework_label", json_string(fw_label(
			json_string_value(json_object_get(p, "framework")))));
		json_t *sz = json_object_get(p, "size");
		if (json_is_integer(sz))
			json_object_set_new(p, "size_text", json_string(pages_bytes(r, json_integer_value(sz))));
		json_object_set_new(p, "created_at_t", pages_time_json(z, json_object_get(p, "created_at")));
		json_object_set_new(p, "ready", json_boolean(!strcmp(
			json_string_value(json_object_get(p, "status")) ?: "", "ready")));
		const char *sha = json_string_value(json_object_get(p, "sha256"));
		if (sha)
			json_object_set_new(p, "sha_short", json_string(arena_printf(&r->arena, "%.16s…", sha)));
		const char *pk = json_string_value(json_object_get(p, "public_key"));
		if (pk)
			json_object_set_new(p, "key_short", json_string(arena_printf(&r->arena, "%.16s…", pk)));
		if (pk && !signer)
			signer = arena_strdup(&r->arena, pk);
		json_object_set_new(p, "warning_count", json_integer((json_int_t)json_array_size(
			json_object_get(p, "warnings"))));
	}
	json_t *m = web_base_model(r, "evidence", "Evidence pack");
	pages_flash_take(r, m);
	json_object_set_new(m, "packs", items);
	if (signer)
		json_object_set_new(m, "signer", json_string(signer));
	if (!form) {
		/* the last full calendar year up to today, in UTC days */
		char today[ISO8601_LEN], from[ISO8601_LEN];
		int64_t now = time_now();
		time_format_iso8601(now, today);
		time_format_iso8601(now - 365 * 86400, from);
		form = json_pack("{s:s#, s:s#, s:s}", "from", from, (int)10, "to", today, (int)10,
				 "framework", "all");
	}
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", errors ? errors : json_object());
	if (error)
		json_object_set_new(m, "error", json_string(error));
	json_object_set_new(m, "frameworks",
			    json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "value",
				      "all", "label", fw_label("all"), "value", "m365", "label",
				      fw_label("m365"), "value", "soc2", "label", fw_label("soc2"),
				      "value", "iso27001", "label", fw_label("iso27001")));
	return web_render(r, status, tmpl_evidence_packs, m);
}

static int h_page(struct req *r)
{
	return page(r, NULL, NULL, NULL, 200);
}

static int h_build(struct req *r)
{
	const char *from = pages_field(r, "from");
	const char *to = pages_field(r, "to");
	const char *fw = pages_field(r, "framework");
	json_t *form = pages_echo(r, (const char *const[]){"from", "to", "framework", NULL});
	json_t *errors = json_object();
	if (!from)
		json_object_set_new(errors, "from", json_string("Give the first day of the period."));
	if (!to)
		json_object_set_new(errors, "to", json_string("Give the last day of the period."));
	if (json_object_size(errors))
		return page(r, form, errors, NULL, 422);
	struct api_pack_error err;
	json_t *out = NULL;
	int rc = api_pack_create(r, from, to, fw, &out, &err);
	if (rc == 0) {
		json_t *w = json_object_get(out, "warnings");
		size_t nw = json_array_size(w);
		pages_flash_set(r, nw ? "warning" : "ok",
				arena_printf(&r->arena, "Evidence pack built: %s to %s, %s%s.", from,
					     to,
					     pages_bytes(r, json_integer_value(json_object_get(out, "size"))),
					     nw ? arena_printf(&r->arena,
							       "; %zu warning%s about gaps (see below)",
							       nw, nw == 1 ? "" : "s")
						: ""));
		json_decref(out);
		json_decref(form);
		json_decref(errors);
		return resp_redirect(r, "/evidence");
	}
	if (err.field) {
		char *msg = arena_printf(&r->arena, "%s", err.why);
		if (msg[0] >= 'a' && msg[0] <= 'z')
			msg[0] = (char)(msg[0] - 'a' + 'A');
		json_object_set_new(errors, err.field, json_string(msg));
		return page(r, form, errors, NULL, 422);
	}
	json_decref(errors);
	return page(r, form, NULL,
		    arena_printf(&r->arena, "The evidence pack was not built: %s", err.why),
		    err.status == 409 ? 409 : err.status == 503 ? 503 : 500);
}

const struct route pages_pack_routes[] = {
	{"GET", "/evidence", PERM_AUDIT, BODY_NONE, 0, h_page, NULL,
	 "Evidence pack page: build, list, download, verify", "web", NULL, ROUTE_HTML},
	{"POST", "/evidence", PERM_AUDIT, BODY_FORM, PAGES_FORM_MAX, h_build, NULL,
	 "Build an evidence pack (form; synchronous)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_pack);
