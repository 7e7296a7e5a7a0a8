"""The administration, account, alerts and review pages (issue 8), over HTTP
with a browser-like client: a session cookie from POST /login and the CSRF
token read from a page. Every test runs on SQLite and on PostgreSQL."""
import html
import re
import subprocess
import tempfile
import time

import pytest

from sirt_harness import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT
from trust_util import Web

PW = "a-perfectly-fine-passphrase"
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def add_user(inst, email, role="responder", org="Acme", password=PW, **kw):
    args = ["user", "add", "--email", email, "--role", role, "--org", org]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    return inst.cli(*args, env={"SIRT_PASSWORD": password}, check=True)


def csrf_of(r):
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert m, r.text[:2000]
    return html.unescape(m.group(1))


def signed_in(inst, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
    w = Web(inst)
    w.login(email, password)
    assert "sirt_session" in w.cookies
    w.token = csrf_of(w.get("/account"))
    return w


def post(w, path, fields, csrf=True):
    f = dict(fields)
    if csrf:
        f["csrf"] = w.token
    return w.form(path, f)


def flash(w, r):
    """Follows a redirect after POST and returns the page with its flash."""
    assert r.status == 303, r
    return w.get(r.headers["location"].split("#")[0])


def tidy_ok(text):
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as f:
        f.write(text)
    p = subprocess.run(["sh", str(ROOT / "tests/web/validate-templates.sh"), f.name],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def send_alert(inst, secret, fingerprint, title, severity="critical"):
    r = inst.post("/api/v1/intake/alertmanager", token=secret, body={
        "version": "4", "status": "firing", "receiver": "sirt", "externalURL": "http://am.example",
        "alerts": [{"status": "firing", "fingerprint": fingerprint,
                    "startsAt": "2026-03-04T09:12:00Z",
                    "labels": {"alertname": "Test", "severity": severity,
                               "instance": "203.0.113.7:22"},
                    "annotations": {"summary": title}}]})
    assert r.status == 200, r
    return r.json["alerts"][0]["id"]


@pytest.fixture(scope="module")
def world(inst):
    w = signed_in(inst)
    # an intake source made through the page; its secret is on that answer only
    r = post(w, "/admin/intake/sources", {"name": "prod-am", "kind": "alertmanager"})
    assert r.status == 201, r
    secret = html.unescape(re.search(r'id="intake-secret">([^<]+)<', r.text).group(1))
    assert secret.startswith("sirt_in_")
    alert_id = send_alert(inst, secret, "acme-1", "Acme alert " + HOSTILE)
    # a second organisation with its own admin, user, token, source, alert, incident
    inst.cli("org", "add", "Globex", check=True)
    add_user(inst, "boss@globex.example", role="admin", org="Globex")
    add_user(inst, "hidden@globex.example", role="viewer", org="Globex")
    gtok = inst.token("boss@globex.example", org="Globex")
    r = inst.post("/api/v1/intake/sources", {"name": "globex-am", "kind": "alertmanager"},
                  token=gtok)
    assert r.status == 201, r
    gsrc = r.json["id"]
    g_alert = send_alert(inst, r.json["secret"], "globex-1", "Globex secret alert")
    r = inst.post("/api/v1/incidents", {"title": "Globex incident", "severity": "low"},
                  token=gtok)
    assert r.status == 201, r
    g_key, g_uid = r.json["key"], r.json["id"]
    r = inst.get("/api/v1/users", token=gtok)
    g_user = [u for u in r.json["items"] if u["email"] == "hidden@globex.example"][0]["id"]
    r = inst.get("/api/v1/tokens", token=gtok)
    g_token = r.json["items"][0]["id"]
    add_user(inst, "viewer@example.com", role="viewer")
    add_user(inst, "mgr@example.com", role="manager")
    return dict(w=w, alert_id=alert_id, g_alert=g_alert, g_key=g_key, g_user=g_user,
                g_token=g_token, g_src=gsrc, g_uid=g_uid)


def test_every_page_renders_for_an_admin(inst, world):
    w = world["w"]
    r = inst.post("/api/v1/incidents", {"title": "Phishing wave", "severity": "medium"})
    key = r.json["key"]
    for path in ["/admin", "/admin/intake", "/admin/audit", "/admin/audit?verify=1",
                 "/admin/audit?action=user.&actor=admin%40example.com", "/account", "/alerts",
                 "/alerts?status=firing&severity=critical&source=alertmanager&q=acme",
                 f"/alerts/{world['alert_id']}", f"/incidents/{key}/review"]:
        r = w.get(path)
        assert r.status == 200, (path, r)
        assert r.headers["content-type"].startswith("text/html"), path
        assert "Signed in as:" in r.text and ADMIN_EMAIL in r.text, path
        tidy_ok(r.text)


def test_viewer_is_refused_administration(inst, world):
    v = signed_in(inst, "viewer@example.com", PW)
    for path in ["/admin", "/admin/intake", "/admin/audit"]:
        assert v.get(path).status == 403, path
    r = post(v, "/admin/users", {"email": "x@example.com", "role": "admin"})
    assert r.status == 403
    r = post(v, f"/alerts/{world['alert_id']}/attach", {"incident": "INC-2026-0001"})
    assert r.status == 403
    # what a viewer may do
    assert v.get("/alerts").status == 200
    assert v.get("/account").status == 200
    page = v.get(f"/alerts/{world['alert_id']}")
    assert page.status == 200 and "Attach to incident" not in page.text
    assert 'href="/admin"' not in v.get("/account").text


def test_post_without_csrf_is_refused(inst, world):
    w = world["w"]
    for fields in ({}, {"csrf": "forged"}):
        f = dict(fields, email="csrf@example.com", role="admin")
        r = w.form("/admin/users", f)
        assert r.status == 403, r
    assert "csrf@example.com" not in w.get("/admin").text
    r = w.form("/account/tokens", {"name": "sneaky", "scope": "admin"})
    assert r.status == 403


def test_another_organisations_objects_are_invisible(inst, world):
    w = world["w"]
    admin = w.get("/admin").text
    assert "hidden@globex.example" not in admin and "boss@globex.example" not in admin
    assert "Globex secret alert" not in w.get("/alerts").text
    assert "globex-am" not in w.get("/admin/intake").text
    assert w.get(f"/alerts/{world['g_alert']}").status == 404
    assert w.get(f"/incidents/{world['g_uid']}/review").status == 404
    # keys are per organisation: the same key names this organisation's own incident
    assert "Globex incident" not in w.get(f"/incidents/{world['g_key']}/review").text
    assert post(w, f"/admin/users/{world['g_user']}", {"op": "disable"}).status == 404
    assert post(w, f"/admin/tokens/{world['g_token']}/revoke", {}).status == 404
    assert post(w, f"/admin/intake/sources/{world['g_src']}/rotate", {}).status == 404
    assert post(w, f"/alerts/{world['g_alert']}/attach", {"incident": world["g_uid"]}).status == 404
    r = post(w, f"/alerts/{world['alert_id']}/attach", {"incident": world["g_uid"]})
    assert r.status == 422 and "no incident with that key" in r.text
    # the Globex user still signs in: nothing was disabled
    signed_in(inst, "hidden@globex.example", PW)


def test_hostile_strings_are_escaped(inst, world):
    w = world["w"]
    r = post(w, "/admin/users", {"email": "hostile@example.com", "role": "viewer",
                                 "display_name": HOSTILE[:90]})
    assert r.status == 201, r
    r = post(w, "/account/tokens", {"name": HOSTILE[:90], "scope": "read"})
    assert r.status == 201, r
    for path in ["/admin", "/account", "/alerts", f"/alerts/{world['alert_id']}",
                 "/admin/audit"]:
        text = w.get(path).text
        assert "<script>alert(1)" not in text, path
        assert "<img src=x" not in text, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in w.get("/alerts").text


def test_add_user_change_role_disable(inst, world):
    w = world["w"]
    r = post(w, "/admin/users", {"email": "New.Person@Example.com", "role": "responder",
                                 "display_name": "New Person"})
    assert r.status == 201, r
    pw = html.unescape(re.search(r'id="created-password">([^<]+)<', r.text).group(1))
    assert "only this once" in r.text and r.headers.get("cache-control") == "no-store"
    assert "id=\"created-password\"" not in w.get("/admin").text
    signed_in(inst, "new.person@example.com", pw)
    # errors next to the field, the input kept
    r = post(w, "/admin/users", {"email": "new.person@example.com", "role": "viewer"})
    assert r.status == 409 and "already a member" in r.text
    r = post(w, "/admin/users", {"email": "bad address", "role": "auditor"})
    assert r.status == 422
    assert 'value="bad address"' in r.text and "needs a last day" in r.text
    uid = [u for u in inst.get("/api/v1/users").json["items"]
           if u["email"] == "new.person@example.com"][0]["id"]
    page = flash(w, post(w, f"/admin/users/{uid}", {"op": "role", "role": "manager"}))
    assert "saved" in page.text
    assert inst.get(f"/api/v1/users/{uid}").json["role"] == "manager"
    page = flash(w, post(w, f"/admin/users/{uid}", {"op": "role", "role": "auditor"}))
    assert "expiry date" in page.text and 'class="flash flash-error"' in page.text
    page = flash(w, post(w, f"/admin/users/{uid}", {"op": "disable"}))
    assert "disabled" in page.text
    Web(inst).login("new.person@example.com", pw, expect=403)
    flash(w, post(w, f"/admin/users/{uid}", {"op": "enable"}))
    signed_in(inst, "new.person@example.com", pw)
    # the last admin cannot be demoted or disabled
    me = [u for u in inst.get("/api/v1/users").json["items"] if u["email"] == ADMIN_EMAIL][0]
    page = flash(w, post(w, f"/admin/users/{me['id']}", {"op": "role", "role": "viewer"}))
    assert "at least one active admin" in page.text


def test_tokens_settings_and_audit_verify(inst, world):
    w = world["w"]
    r = post(w, "/account/tokens", {"name": "ci", "scope": "read", "expires_on": "2099-01-01"})
    assert r.status == 201
    tok = html.unescape(re.search(r'id="new-token-value">([^<]+)<', r.text).group(1))
    assert inst.get("/api/v1/account", token=tok).status == 200
    tid = [t for t in inst.get("/api/v1/tokens", token=tok).json["items"] if t["name"] == "ci"]
    assert tid
    page = flash(w, post(w, f"/admin/tokens/{tid[0]['id']}/revoke", {}))
    assert "revoked" in page.text
    assert inst.get("/api/v1/account", token=tok).status == 401
    r = post(w, "/account/tokens", {"name": "", "scope": "root", "expires_on": "2001-01-01"})
    assert r.status == 422 and "Give the token a name" in r.text and "today or later" in r.text
    # organisation settings: the incident key prefix
    r = post(w, "/admin/org", {"key_prefix": "bad prefix"})
    assert r.status == 422 and 'value="bad prefix"' in r.text
    flash(w, post(w, "/admin/org", {"key_prefix": "SEC"}))
    assert inst.post("/api/v1/incidents", {"title": "t", "severity": "low"}).json["key"].startswith("SEC-")
    flash(w, post(w, "/admin/org", {"key_prefix": "INC"}))
    # the audit trail: filters and the verify button
    page = w.get("/admin/audit")
    assert 'action="/admin/audit"' in page.text and "Verify the chain" in page.text
    page = w.get("/admin/audit?verify=1")
    assert "Chain verified" in page.text and "verified" in page.text
    page = w.get("/admin/audit?action=org.settings")
    assert "org.settings" in page.text and "token.create" not in page.text
    page = w.get("/admin/audit?actor=" + ADMIN_EMAIL)
    assert "cli:root" not in page.text


def test_account_profile_password_sessions(inst, world):
    add_user(inst, "self@example.com", role="responder")
    s = signed_in(inst, "self@example.com", PW)
    other = signed_in(inst, "self@example.com", PW)
    r = post(s, "/account/profile", {"display_name": "Self Person", "time_zone": "Mars/Olympus"})
    assert r.status == 422 and "not a known time zone" in r.text and 'value="Mars/Olympus"' in r.text
    page = flash(s, post(s, "/account/profile", {"display_name": "Self Person",
                                                 "time_zone": "Europe/Paris"}))
    assert "Self Person" in page.text
    r = post(s, "/account/password", {"current_password": "wrong-password-here",
                                      "new_password": "x", "new_password2": "x"})
    assert r.status == 422 and "not your current password" in r.text
    r = post(s, "/account/password", {"current_password": PW, "new_password": "short",
                                      "new_password2": "short"})
    assert r.status == 422 and 'id="pw-new-error"' in r.text
    page = flash(s, post(s, "/account/password", {"current_password": PW,
                                                  "new_password": "another fine passphrase",
                                                  "new_password2": "another fine passphrase"}))
    assert "password is changed" in page.text
    assert other.get("/account").status == 303  # the other session ended
    assert "This session" in s.get("/account").text


def test_alert_attach_and_detach(inst, world):
    w = world["w"]
    key = inst.post("/api/v1/incidents", {"title": "Attach here", "severity": "low"}).json["key"]
    aid = world["alert_id"]
    r = post(w, f"/alerts/{aid}/attach", {"incident": "INC-1999-9999"})
    assert r.status == 422 and "no incident with that key" in r.text
    cur = inst.get(f"/api/v1/alerts/{aid}").json["incident"]
    if cur:
        flash(w, post(w, f"/alerts/{aid}/detach", {}))
    page = flash(w, post(w, f"/alerts/{aid}/attach", {"incident": key}))
    assert f"attached to {key}" in page.text
    assert inst.get(f"/api/v1/alerts/{aid}").json["incident"]["key"] == key
    page = w.get(f"/alerts?incident={key}")
    assert "Acme alert" in page.text
    page = flash(w, post(w, f"/alerts/{aid}/detach", {}))
    assert "detached" in page.text
    assert inst.get(f"/api/v1/alerts/{aid}").json["incident"] is None


def test_rules_as_json_and_dry_run(inst, world):
    w = world["w"]
    r = post(w, "/admin/intake/rules", {"rule": '{"name": "x", "action": '})
    assert r.status == 422 and re.search(r"line \d+, column \d+", r.text)
    r = post(w, "/admin/intake/rules", {"rule": '{"name": "x", "action": "open", "colour": 1}'})
    assert r.status == 422 and "colour" in r.text
    r = post(w, "/admin/intake/rules", {"rule": '{"name": "x", "action": "open",'
                                                  ' "match": {"severity": "nope"}}'})
    assert r.status == 422 and "match.severity" in r.text
    flash(w, post(w, "/admin/intake/rules", {"rule": '{"name": "first", "action": "record"}'}))
    flash(w, post(w, "/admin/intake/rules", {"rule": '{"name": "second", "action": "open",'
                                                       ' "severity": "high"}'}))
    rules = inst.get("/api/v1/intake/rules").json["items"]
    second = [x for x in rules if x["name"] == "second"][0]
    flash(w, post(w, f"/admin/intake/rules/{second['id']}/move",
                  {"dir": "up", "position": second["position"], "version": second["version"]}))
    rules = inst.get("/api/v1/intake/rules").json["items"]
    assert [x["name"] for x in sorted(rules, key=lambda x: x["position"])][:2] == ["second", "first"]
    second = [x for x in rules if x["name"] == "second"][0]
    r = post(w, f"/admin/intake/rules/{second['id']}",
             {"rule": '{"name": "second", "action": "sideways"}', "version": second["version"]})
    assert r.status == 422 and "sideways" in r.text
    flash(w, post(w, f"/admin/intake/rules/{second['id']}",
                  {"rule": '{"name": "second", "action": "open", "severity": "low"}',
                   "version": second["version"]}))
    r = post(w, "/admin/intake/dry-run", {"source": "alertmanager", "payload": "not json"})
    assert r.status == 422 and "not one Alertmanager sends" in r.text
    payload = ('{"version":"4","status":"firing","alerts":[{"status":"firing","fingerprint":'
               '"dry-1","startsAt":"2026-03-04T09:12:00Z","labels":{"alertname":"X",'
               '"severity":"high"},"annotations":{"summary":"Dry alert"}}]}')
    r = post(w, "/admin/intake/dry-run", {"source": "alertmanager", "payload": payload})
    assert r.status == 200 and "Dry alert" in r.text and "second" in r.text
    assert "Dry alert" not in w.get("/alerts").text  # nothing stored
    for x in inst.get("/api/v1/intake/rules").json["items"]:
        flash(w, post(w, f"/admin/intake/rules/{x['id']}/delete", {}))


def test_review_through_the_page(inst, world):
    w = world["w"]
    mgr = inst.token("mgr@example.com")
    key = inst.post("/api/v1/incidents", {"title": "Credential stuffing", "severity": "high"}).json["key"]
    page = w.get(f"/incidents/{key}/review")
    assert "No review yet" in page.text and "Start the review" in page.text
    for to in ["triage", "containment", "eradication", "recovery", "resolved"]:
        assert inst.post(f"/api/v1/incidents/{key}/transitions", {"to": to}).status == 200
    assert inst.post(f"/api/v1/incidents/{key}/review", token=mgr).status == 201
    page = w.get(f"/incidents/{key}/review")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    acts = re.findall(r'name="act" value="([^"]+)"', page.text)
    assert acts
    fields = {"version": version, "summary": "Leaked passwords replayed.",
              "root_cause_method": "five_whys", "root_cause_root_cause": "No rate limit.",
              "root_cause_category": "misconfiguration", "root_cause_contributing_factors": "a\nb",
              "impact_functional": "low", "impact_information": "privacy",
              "impact_recoverability": "regular", "impact_people_affected": "lots",
              "went_well": "Fast detection.", "went_badly": "Slow paging.",
              "recommendations": "Rate-limit logins\nMFA", "actions_new": "Blocked the range"}
    body = "&".join(f"act={a}" for a in acts[:2])
    import urllib.parse
    data = urllib.parse.urlencode(dict(fields, csrf=w.token)) + "&" + body
    r = w.request("POST", f"/incidents/{key}/review/edit", body=data,
                  content_type="application/x-www-form-urlencoded")
    assert r.status == 422 and "whole number" in r.text and "Leaked passwords replayed." in r.text
    fields["impact_people_affected"] = "120"
    data = urllib.parse.urlencode(dict(fields, csrf=w.token)) + "&" + body
    r = w.request("POST", f"/incidents/{key}/review/edit", body=data,
                  content_type="application/x-www-form-urlencoded")
    assert "Draft saved" in flash(w, r).text
    rv = inst.get(f"/api/v1/incidents/{key}/review").json
    assert len(rv["actions_taken"]) == 3 and rv["impact"]["people_affected"] == 120
    assert rv["actions_taken"][-1] == {"at": None, "actor": ADMIN_EMAIL,
                                       "text": "Blocked the range", "source": "manual"}
    # a stale version is refused and the text is kept
    data = urllib.parse.urlencode(dict(fields, csrf=w.token, summary="Stale edit")) + "&" + body
    r = w.request("POST", f"/incidents/{key}/review/edit", body=data,
                  content_type="application/x-www-form-urlencoded")
    assert r.status == 409 and "Stale edit" in r.text
    assert "Submitted" in flash(w, post(w, f"/incidents/{key}/review/submit", {})).text
    page = flash(w, post(w, f"/incidents/{key}/review/signoff", {"comment": "Agreed " + HOSTILE}))
    assert "Signed off" in page.text and "<script>alert(1)" not in page.text
    page = flash(w, post(w, f"/incidents/{key}/review/publish", {}))
    assert "Published" in page.text and 'class="prose"' in page.text
    assert "<script>alert(1)" not in page.text
    assert inst.get(f"/api/v1/incidents/{key}/review?published=true").json["status"] == "published"
    page = flash(w, post(w, f"/incidents/{key}/review/actions",
                         {"title": "Rate-limit logins", "owner": "mgr@example.com",
                          "due_date": "2099-01-31"}))
    assert "Action item added" in page.text and "Rate-limit logins" in page.text
    r = post(w, f"/incidents/{key}/review/actions", {"title": "", "owner": "", "due_date": "x"})
    assert r.status == 422 and "Give a due date" in r.text
    # a viewer reads it and cannot change it
    v = signed_in(inst, "viewer@example.com", PW)
    assert v.get(f"/incidents/{key}/review").status == 200
    assert post(v, f"/incidents/{key}/review/submit", {}).status == 403


def test_tampering_shows_a_broken_chain(fresh):
    fresh.init()
    fresh.start()
    fresh.post("/api/v1/incidents", {"title": "one", "severity": "low"})
    # the triggers that forbid changing the trail are dropped, as an attacker with
    # the database file would
    if fresh.backend == "postgres":
        fresh.sql("ALTER TABLE audit_log DISABLE TRIGGER ALL")
    else:
        fresh.sql("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete")
    org = int(fresh.sql("SELECT id FROM orgs WHERE name = 'Acme'").strip())
    fresh.sql(f"UPDATE audit_log SET actor = 'someone-else' WHERE org_id = {org} AND seq = 2")
    w = signed_in(fresh)
    page = w.get("/admin/audit?verify=1")
    assert page.status == 200
    assert "Chain broken" in page.text and "verified" not in page.text.split("Chain broken")[1][:300]
    assert re.search(r"Entry #2 does not verify", page.text)
