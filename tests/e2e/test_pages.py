"""The web pages of the incident log and the dashboard (issue 8), signed in
with a session cookie like a browser, on both backends: every page renders
and is valid HTML, the forms create, transition and add entries with
redirect-after-POST and a flash message, failed forms keep the input, a POST
without the CSRF token is refused, another organisation's incident is 404,
hostile titles are escaped, stale versions are refused with 412."""
import re
import subprocess
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sirt_harness import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT
from trust_util import Web

HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def web(inst):
    """The Acme admin, signed in; eve is the admin of another organisation."""
    inst.cli("init", "--force", "--org", "Other", "--admin-email", "eve@example.com",
             env={"SIRT_ADMIN_PASSWORD": ADMIN_PASSWORD}, check=True)
    w = Web(inst)
    w.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    return w


def csrf_of(w):
    return w.csrf()


def page_csrf(r):
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert m, r.text[:500]
    return m.group(1)


def version_of(r):
    m = re.search(r'name="version" value="(\d+)"', r.text)
    assert m, r.text[:500]
    return m.group(1)


def tidy_ok(tmp_path, name, html):
    p = tmp_path / f"{name}.html"
    p.write_text(html)
    rc = subprocess.run(["sh", str(ROOT / "tests/web/validate-templates.sh"), str(p)],
                        capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr


def create(w, **fields):
    r = w.get("/incidents/new")
    assert r.status == 200, r
    body = {"csrf": page_csrf(r), "title": "Suspicious login", "severity": "high"}
    body.update(fields)
    r = w.form("/incidents/new", body)
    assert r.status == 303, r
    loc = r.headers["location"]
    assert re.fullmatch(r"/incidents/INC-\d{4}-\d{4}", loc), loc
    return loc.rsplit("/", 1)[1]


def flash(w, path):
    r = w.get(path)
    assert r.status == 200, r
    m = re.search(r'<div class="flash flash-(\w+)"[^>]*>([^<]*)</div>', r.text)
    return (m.group(1), m.group(2)) if m else None


def test_signed_out_goes_to_sign_in(inst):
    r = Web(inst).get("/incidents")
    assert r.status == 303
    assert r.headers["location"].startswith("/login?next=")


def test_pages_render_and_validate(inst, web, tmp_path):
    key = create(web, description="Some **markdown**", category="phishing")
    inst.post(f"/api/v1/incidents/{key}/indicators", {"type": "ip", "value": "198.51.100.9"})
    for name, path in [("dashboard", "/"), ("log", "/incidents"),
                       ("log-filtered", "/incidents?q=login&severity=high&status=new"
                        "&detected_from=2020-01-01&personal_data=false&sort=updated_at&order=asc"),
                       ("new", "/incidents/new"), ("incident", f"/incidents/{key}"),
                       ("edit", f"/incidents/{key}/edit"),
                       ("lookup", "/indicators?value=198.51.100.9"), ("lookup-form", "/indicators")]:
        r = web.get(path)
        assert r.status == 200, (path, r)
        assert r.headers["content-type"].startswith("text/html")
        assert "Signed in as:" in r.text and ADMIN_EMAIL in r.text
        tidy_ok(tmp_path, name, r.text)
    r = web.get(f"/incidents/{key}")
    assert "<strong>markdown</strong>" in r.text
    assert "Move to Triage" in r.text and "Reject" in r.text
    assert "Unauthorised access" not in r.text  # only the record's own category shows
    r = web.get("/indicators?value=198.51.100.9")
    assert key in r.text


def test_lifecycle_timeline_tasks_indicators(inst, web):
    # medium: closing needs no post-incident review (high and critical do)
    key = create(web, title="Ransomware on build server", severity="medium",
                 category="ransomware", detected_at="2026-01-02T03:04",
                 tags="build, ci", affected_systems="build-01")
    assert flash(web, f"/incidents/{key}") == ("ok", f"{key} opened.")
    assert flash(web, f"/incidents/{key}") is None  # shown once

    def step(to, **extra):
        r = web.get(f"/incidents/{key}")
        body = {"csrf": page_csrf(r), "version": version_of(r), "to": to}
        body.update(extra)
        r = web.form(f"/incidents/{key}/transition", body)
        assert r.status == 303, r
        assert r.headers["location"] == f"/incidents/{key}#lifecycle"

    for to in ("triage", "containment", "eradication", "recovery", "resolved"):
        step(to)
        assert inst.get(f"/api/v1/incidents/{key}").json["status"] == to
    # closing needs resolution and root cause: the small form says so
    r = web.get(f"/incidents/{key}")
    r = web.form(f"/incidents/{key}/transition", {"csrf": page_csrf(r), "version": version_of(r),
                                                   "to": "closed",
                                                   "resolution_summary": "Rebuilt from images"})
    assert r.status == 422, r
    assert "field-error" in r.text and "Rebuilt from images" in r.text
    step("closed", resolution="fixed", root_cause_category="unpatched_vulnerability",
         resolution_summary="Rebuilt from clean images")
    rec = inst.get(f"/api/v1/incidents/{key}").json
    assert rec["status"] == "closed" and rec["resolution"] == "fixed"
    assert rec["acknowledged_at"] and rec["resolved_at"] and rec["closed_at"]
    # reopening needs a reason
    r = web.get(f"/incidents/{key}")
    assert "Reopen in Triage" in r.text
    r = web.form(f"/incidents/{key}/transition", {"csrf": page_csrf(r), "version": version_of(r),
                                                   "to": "triage"})
    assert r.status == 422 and "field-error" in r.text

    # timeline: quick entry, with and without a time; an empty text is refused
    csrf = page_csrf(web.get(f"/incidents/{key}"))
    r = web.form(f"/incidents/{key}/timeline", {"csrf": csrf, "kind": "decision",
                                                 "text": "Restore from backups",
                                                 "occurred_at": "2026-01-02T05:00"})
    assert r.status == 303 and r.headers["location"].endswith("#timeline")
    r = web.form(f"/incidents/{key}/timeline", {"csrf": csrf, "kind": "note", "text": "   ",
                                                 "occurred_at": "soon"})
    assert r.status == 422
    assert "Write what happened." in r.text and 'value="soon"' in r.text
    tl = inst.get(f"/api/v1/incidents/{key}/timeline").json["items"]
    assert any(e["kind"] == "decision" and e["text"] == "Restore from backups" and
               e["occurred_at"] == "2026-01-02T05:00:00Z" for e in tl)

    # tasks: add, then mark done
    r = web.form(f"/incidents/{key}/tasks", {"csrf": csrf, "title": "Rotate CI secrets",
                                              "assignee": ADMIN_EMAIL})
    assert r.status == 303
    tasks = inst.get(f"/api/v1/incidents/{key}/tasks").json["items"]
    t = next(t for t in tasks if t["title"] == "Rotate CI secrets")
    r = web.form(f"/incidents/{key}/tasks/{t['id']}", {"csrf": csrf, "status": "done"})
    assert r.status == 303
    assert flash(web, f"/incidents/{key}")[1] == 'Task "Rotate CI secrets" is now Done.'
    tasks = inst.get(f"/api/v1/incidents/{key}/tasks").json["items"]
    assert next(t for t in tasks if t["title"] == "Rotate CI secrets")["status"] == "done"
    r = web.form(f"/incidents/{key}/tasks", {"csrf": csrf, "title": ""})
    assert r.status == 422 and "Say what needs doing." in r.text

    # indicators: a bad one keeps the input; add; seen elsewhere; remove
    r = web.form(f"/incidents/{key}/indicators", {"csrf": csrf, "type": "ip",
                                                   "value": "999.1.1.1"})
    assert r.status == 422 and 'value="999.1.1.1"' in r.text and "ioc-value-error" in r.text
    r = web.form(f"/incidents/{key}/indicators", {"csrf": csrf, "type": "domain",
                                                   "value": "Evil.Example.COM",
                                                   "description": "C2"})
    assert r.status == 303
    other = create(web, title="Second sighting")
    web.form(f"/incidents/{other}/indicators", {"csrf": csrf, "type": "domain",
                                                 "value": "evil.example.com"})
    r = web.get("/indicators?type=domain&value=evil.example.com")
    assert key in r.text and other in r.text
    ind = inst.get(f"/api/v1/incidents/{key}/indicators").json["items"][0]
    r = web.form(f"/incidents/{key}/indicators/{ind['id']}/delete", {"csrf": csrf})
    assert r.status == 303
    assert inst.get(f"/api/v1/incidents/{key}/indicators").json["items"] == []

    # it shows in the log, with its resolution
    r = web.get("/incidents?q=ransomware")
    assert key in r.text and "Fixed" in r.text and "Closed" in r.text


def test_failed_new_form_keeps_input(web):
    r = web.get("/incidents/new")
    r = web.form("/incidents/new", {"csrf": page_csrf(r), "title": "", "severity": "high",
                                    "description": "kept text", "detected_at": "yesterday",
                                    "tags": "a, b", "commander": "nobody@example.com"})
    assert r.status == 422
    assert "Give the incident a title." in r.text
    assert 'id="n-detected-error"' in r.text
    assert "kept text" in r.text and 'value="a, b"' in r.text
    assert '<option value="high" selected>' in r.text
    r = web.form("/incidents/new", {"csrf": page_csrf(r), "title": "x", "severity": "high",
                                    "commander": "nobody@example.com"})
    assert r.status == 422 and 'id="n-commander-error"' in r.text


def test_csrf_is_required(inst, web):
    before = len(inst.get("/api/v1/incidents?limit=200").json["items"])
    r = web.form("/incidents/new", {"title": "No token", "severity": "low"})
    assert r.status == 403
    r = web.form("/incidents/new", {"title": "Forged", "severity": "low", "csrf": "forged"})
    assert r.status == 403
    key = create(web)
    r = web.form(f"/incidents/{key}/transition", {"to": "triage"})
    assert r.status == 403
    r = web.form(f"/incidents/{key}/timeline", {"text": "x"})
    assert r.status == 403
    assert len(inst.get("/api/v1/incidents?limit=200").json["items"]) == before + 1


def test_other_organisation_is_404(inst, web):
    key = create(web, title="Acme only")
    eve = Web(inst)
    eve.login("eve@example.com", ADMIN_PASSWORD)
    for path in (f"/incidents/{key}", f"/incidents/{key}/edit"):
        r = eve.get(path)
        assert r.status == 404, (path, r)
        assert "Acme only" not in r.text
    csrf = page_csrf(eve.get("/incidents/new"))
    for path, body in ((f"/incidents/{key}/transition", {"to": "triage", "version": "1"}),
                       (f"/incidents/{key}/timeline", {"text": "x"}),
                       (f"/incidents/{key}/tasks", {"title": "x"}),
                       (f"/incidents/{key}/indicators", {"type": "ip", "value": "192.0.2.1"}),
                       (f"/incidents/{key}/edit", {"version": "1", "title": "x",
                                                   "severity": "low", "tlp": "red"})):
        body["csrf"] = csrf
        r = eve.form(path, body)
        assert r.status == 404, (path, r)
    assert "Acme only" not in eve.get("/incidents?q=Acme").text
    assert inst.get(f"/api/v1/incidents/{key}").json["status"] == "new"


def test_hostile_titles_are_escaped(inst, web):
    r = inst.post("/api/v1/incidents", {"title": HOSTILE, "severity": "high",
                                        "description": HOSTILE, "tags": ["<b>tag</b>"],
                                        "affected_systems": [HOSTILE]})
    assert r.status == 201, r
    key = r.json["key"]
    inst.post(f"/api/v1/incidents/{key}/timeline", {"kind": "note", "text": HOSTILE})
    for path in ("/", "/incidents", f"/incidents/{key}", f"/incidents/{key}/edit",
                 "/incidents?q=" + urllib.parse.quote("script")):
        r = web.get(path)
        assert r.status == 200, (path, r)
        assert "<script>alert(1)" not in r.text, path
        assert "<img src=x" not in r.text, path
        assert "<b>tag</b>" not in r.text, path
    r = web.get(f"/incidents/{key}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_stale_versions_are_refused(inst, web):
    key = create(web)
    page = web.get(f"/incidents/{key}")
    old = version_of(page)
    inst.patch(f"/api/v1/incidents/{key}", {"title": "Changed elsewhere"})
    r = web.form(f"/incidents/{key}/transition", {"csrf": page_csrf(page), "version": old,
                                                   "to": "triage"})
    assert r.status == 412
    assert "Someone else changed this incident" in r.text and "Changed elsewhere" in r.text
    assert inst.get(f"/api/v1/incidents/{key}").json["status"] == "new"
    edit = web.get(f"/incidents/{key}/edit")
    v = version_of(edit)
    inst.patch(f"/api/v1/incidents/{key}", {"title": "Changed again"})
    r = web.form(f"/incidents/{key}/edit", {"csrf": page_csrf(edit), "version": v,
                                            "title": "My edit", "severity": "low", "tlp": "red"})
    assert r.status == 412
    assert "Someone else changed this incident" in r.text
    assert 'value="Changed again"' in r.text
    assert inst.get(f"/api/v1/incidents/{key}").json["title"] == "Changed again"
    # and a fresh edit goes through
    edit = web.get(f"/incidents/{key}/edit")
    fields = dict(re.findall(r'<input id="[^"]+" name="([a-z_]+)" type="(?:text|email|datetime-local)"'
                             r'(?: maxlength="\d+")? value="([^"]*)"', edit.text))
    fields.update({"csrf": page_csrf(edit), "version": version_of(edit), "title": "My edit",
                   "severity": "low", "tlp": "red", "tags": "one\ntwo"})
    r = web.form(f"/incidents/{key}/edit", fields)
    assert r.status == 303, r
    rec = inst.get(f"/api/v1/incidents/{key}").json
    assert rec["title"] == "My edit" and rec["severity"] == "low" and rec["tlp"] == "red"
    assert rec["tags"] == ["one", "two"]


def test_log_filters_paging_and_export_links(inst, web):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for i in range(53):
        r = inst.post("/api/v1/incidents", {"title": f"Bulk {i:02d}", "severity": "low",
                                            "tags": ["bulk"],
                                            "detected_at": iso(now - timedelta(hours=i + 1))})
        assert r.status == 201
    r = web.get("/incidents?tag=bulk")
    assert r.status == 200
    assert r.text.count('class="title-link"') == 50
    m = re.search(r'name="cursor" value="([^"]+)"', r.text)
    assert m, "no next page"
    r = web.get("/incidents?tag=bulk&cursor=" + urllib.parse.quote(m.group(1)))
    assert r.text.count('class="title-link"') == 3 and "Bulk 52" in r.text
    # the export form carries the filters
    r = web.get("/incidents?tag=bulk&severity=low")
    assert 'action="/api/v1/incidents/export"' in r.text
    assert '<input type="hidden" name="tag" value="bulk">' in r.text
    assert 'value="csv"' in r.text and 'value="jsonl"' in r.text
    # a bad filter is explained, not a crash
    r = web.get("/incidents?severity=purple")
    assert r.status == 400 and "form-error" in r.text
    r = web.get("/incidents?detected_from=03/04/2026")
    assert r.status == 400 and "2026-03-04" in r.text
    r = web.get("/incidents?cursor=garbage")
    assert r.status == 400
    # the export link works with the session cookie
    r = web.get("/api/v1/incidents/export?format=csv&tag=bulk")
    assert r.status == 200, r
    assert "Bulk 00" in r.text


def test_times_in_the_users_zone(inst, web):
    key = create(web, detected_at="2026-01-15T13:00")
    inst.sql(f"UPDATE users SET time_zone = 'Europe/Berlin' WHERE email = '{ADMIN_EMAIL}'")
    try:
        key2 = create(web, detected_at="2026-07-15T14:00")
        r = web.get(f"/incidents/{key2}")
        assert 'datetime="2026-07-15T12:00:00Z"' in r.text
        assert ">2026-07-15 14:00 CEST</time>" in r.text
        r = web.get(f"/incidents/{key}")  # entered as UTC before the change
        assert ">2026-01-15 14:00 CET</time>" in r.text
        assert 'title="2026-01-15 13:00 UTC"' in r.text
    finally:
        inst.sql(f"UPDATE users SET time_zone = 'UTC' WHERE email = '{ADMIN_EMAIL}'")


def test_dashboard_figures(inst, web):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    det = now - timedelta(hours=10)
    r = inst.post("/api/v1/incidents", {"title": "Dash", "severity": "critical",
                                        "detected_at": iso(det)})
    key = r.json["key"]
    inst.post(f"/api/v1/incidents/{key}/transitions", {"to": "triage",
                                                       "at": iso(det + timedelta(hours=2))})
    r = web.get("/")
    assert r.status == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in r.text
    assert "<title>Incidents per month by severity</title>" in r.text
    assert "Mean time to acknowledge" in r.text and "Open incidents by status" in r.text
    assert key in r.text
    assert r.text.count("<details class=\"chart-data\">") == 3
    assert len(r.body) < 100 * 1024
    assert 'id="deadlines"' in r.text and 'id="compliance"' in r.text
