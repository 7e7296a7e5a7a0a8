"""The programme pages (plan, team, exercises, quality reviews, action items)
against the real binary on both backends: every page answers 200 to a
signed-in user and is valid HTML; forms change the data and redirect with a
flash message; a form without the CSRF token is refused; refused input comes
back with the error next to the field and the input kept; another
organisation's objects are 404; hostile text is escaped."""
import http.client
import re
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

import pytest

from sirt_harness import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT

HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
VALIDATE = ROOT / "tests" / "web" / "validate-templates.sh"


class Browser:
    """Keeps the session cookie and the CSRF token of the last page."""

    def __init__(self, inst):
        self.inst = inst
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, form=None, csrf=True):
        h = {}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = dict(form)
            if csrf and self.csrf:
                form.setdefault("csrf", self.csrf)
            body = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c = http.client.HTTPConnection("127.0.0.1", self.inst.port, timeout=60)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            text = r.read().decode("utf-8", "replace")
            headers = {}
            for k, v in r.getheaders():
                k = k.lower()
                if k == "set-cookie":
                    name, val = v.split(";")[0].split("=", 1)
                    if "Max-Age=0" in v:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = val
                headers[k] = v
        finally:
            c.close()
        m = re.search(r'name="csrf" value="([^"]+)"', text)
        if m and "sirt_session" in self.cookies:
            self.csrf = m.group(1)
        return r.status, headers, text

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, form, csrf=True):
        return self.request("POST", path, form, csrf)

    def sign_in(self, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
        s, _, page = self.get("/login")
        assert s == 200
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        s, h, _ = self.post("/login", {"csrf": token, "email": email, "password": password,
                                       "next": "/plan"}, csrf=False)
        assert s == 303, s
        assert "sirt_session" in self.cookies
        s, _, _ = self.get("/plan")  # a page, for the CSRF token
        assert s == 200 and self.csrf


def valid_html(text):
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run(["sh", str(VALIDATE), f.name], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    finally:
        Path(f.name).unlink()


def errors_of(page):
    return [re.sub(r"<[^>]+>", "", e) for e in
            re.findall(r'class="(?:field|form)-error"[^>]*>(.*?)</(?:p|div)>', page, re.S)]


@pytest.fixture(scope="module")
def web(inst):
    b = Browser(inst)
    b.sign_in()
    return b


@pytest.fixture(scope="module")
def ids(inst, web):
    """Objects the tests share: an approved plan, a member, an exercise, an action."""
    out = {}
    s, h, _ = web.post("/plan/versions/v1/settings", {
        "title": "Acme incident response plan", "approvals_required": "1",
        "review_interval_months": "12", "approvers": "", "version": "1"})
    assert s == 303, s
    assert web.post("/plan/versions/v1/submit", {"comment": "ready"})[0] == 303
    assert web.post("/plan/versions/v1/approve", {"comment": "ok"})[0] == 303
    s, h, _ = web.post("/team/members/new", {
        "name": "Ann Lee", "email": "ann@example.com", "phone": "+4915112345678",
        "time_zone": "Europe/Berlin", "role_incident_commander": "1", "user": ADMIN_EMAIL})
    assert s == 303, s
    out["member"] = h["location"].rsplit("/", 1)[1]
    s, h, _ = web.post("/exercises/new", {
        "title": "Ransomware tabletop", "kind": "tabletop", "scheduled_at": "2025-11-10T10:00",
        "duration_minutes": "90", "objectives": "Test escalation",
        "injects": "T+0 Calls\nT+30 Ransom note", "participants": "Ann Lee, ann@example.com, IC"})
    assert s == 303, s
    out["exercise"] = h["location"].rsplit("/", 1)[1]
    s, h, _ = web.post("/actions/new", {
        "source_type": "exercise", "source_id": out["exercise"], "title": "Test restores",
        "owner": ADMIN_EMAIL, "due_date": "2025-12-01", "priority": "high", "plan_version": "v1"})
    assert s == 303, s
    r = inst.get("/api/v1/actions")
    out["action"] = r.json["items"][0]["id"]
    s, h, _ = web.post("/quality-reviews", {"subject": "team", "due_date": "2025-10-01",
                                            "reason": "scheduled"})
    assert s == 303, s
    out["qreview"] = inst.get("/api/v1/quality-reviews").json["items"][0]["id"]
    return out


def test_every_page_answers_and_is_valid_html(web, ids):
    pages = ["/plan", "/plan/versions/v1", "/plan/diff", "/team", "/team/oncall",
             "/team/members/new", f"/team/members/{ids['member']}", "/exercises",
             "/exercises/new", f"/exercises/{ids['exercise']}", "/quality-reviews", "/actions",
             "/actions/new", f"/actions/{ids['action']}",
             "/actions?status=open&overdue=1&owner=admin%40example.com&source_type=exercise"]
    for p in pages:
        s, h, text = web.get(p)
        assert s == 200, (p, s)
        assert h["content-type"].startswith("text/html")
        assert "Signed in as" in text
        valid_html(text)


def test_signed_out_goes_to_sign_in(inst):
    s, h, _ = Browser(inst).get("/plan")
    assert s == 303 and h["location"].startswith("/login?next=")


def test_plan_in_force_attest_revise_and_diff(inst, web, ids):
    s, _, page = web.get("/plan")
    assert "v1 · in force" in page and "I have read this version" in page
    s, h, _ = web.post("/plan/attest", {"version": "v1"})
    assert s == 303 and h["location"] == "/plan"
    s, _, page = web.get("/plan")
    assert "Recorded: you have read v1 of the plan." in page
    assert "You confirmed you have read v1" in page
    # a revision without a reason is refused next to the field, the note kept
    s, _, page = web.post("/plan/versions", {"reason": "", "note": "keep me"})
    assert s == 422
    assert "Choose why the plan is being revised." in errors_of(page)
    assert "keep me" in page
    s, h, _ = web.post("/plan/versions", {"reason": "periodic_review", "note": "yearly"})
    assert s == 303 and h["location"] == "/plan/versions/v2"
    s, _, page = web.get("/plan/versions/v2")
    assert "Save section" in page
    # a JSON error names the line and column; the input is kept
    bad = '{"levels": [1,]}'
    s, _, page = web.post("/plan/versions/v2/sections/severities",
                          {"title": "Severity levels", "body": "x", "data": bad, "version": "1"})
    assert s == 422
    assert any("line 1, column" in e for e in errors_of(page)), errors_of(page)
    assert "{&quot;levels&quot;: [1,]}" in page or '{"levels": [1,]}' in page
    # a schema error names the path
    s, _, page = web.post("/plan/versions/v2/sections/severities",
                          {"title": "Severity levels", "body": "x",
                           "data": '{"levels": []}', "version": "1"})
    assert s == 422 and "data.levels" in page
    # a body change, with CRLF as browsers send it, diffs line by line
    v1 = inst.get("/api/v1/plans").json["items"][0]["id"]
    scope = next(x for x in inst.get(f"/api/v1/plans/{v1}/versions/v2").json["sections"]
                 if x["key"] == "scope")
    body = scope["body"].replace("\n", "\r\n") + "\r\nContractors are in scope.\r\n"
    s, h, _ = web.post("/plan/versions/v2/sections/scope",
                       {"title": scope["title"], "body": body, "version": "1"})
    assert s == 303 and h["location"].startswith("/plan/versions/v2#sec-")
    stored = next(x for x in inst.get(f"/api/v1/plans/{v1}/versions/v2").json["sections"]
                  if x["key"] == "scope")["body"]
    assert "\r" not in stored
    s, _, page = web.get("/plan/diff?from=v1&to=v2")
    assert s == 200
    assert re.search(r"<ins><span class=\"mark\">\+</span>Contractors are in scope\.", page)
    assert "Text: <span class=\"add-count\">+2</span> <span class=\"del-count\">−0</span>" in page
    s, _, page = web.get("/plan/diff?from=v1&to=v77")
    assert s == 404 and "no version" in page


def test_submit_withdraw_approve_flow(inst, web, ids):
    s, _, page = web.get("/plan/versions/v2")
    s, h, _ = web.post("/plan/versions/v2/submit", {"comment": "please review"})
    assert s == 303, s
    s, _, page = web.get("/plan/versions/v2")
    assert "Approve v2" in page and "Withdraw to draft" in page
    assert web.post("/plan/versions/v2/withdraw", {})[0] == 303
    s, _, page = web.get("/plan/versions/v2")
    assert "Submit v2 for review" in page
    assert web.post("/plan/versions/v2/submit", {})[0] == 303
    s, h, _ = web.post("/plan/versions/v2/approve", {"comment": "fine"})
    assert s == 303
    s, _, page = web.get("/plan")
    assert "v2 · in force" in page
    # approving again is refused with the reason on the page
    s, _, page = web.post("/plan/versions/v2/approve", {"comment": "again"})
    assert s == 409 and 'class="form-error"' in page


def test_team_forms(inst, web, ids):
    m = ids["member"]
    s, _, page = web.post("/team/members/new", {"name": "", "email": "nope", "phone": "0151",
                                                "time_zone": "Mars/Base", "chat_handle": "kept"})
    assert s == 422
    errs = errors_of(page)
    assert "Enter the person's name." in errs
    assert any("phone" in e for e in errs) and any("IANA" in e for e in errs)
    assert 'value="kept"' in page
    s, _, page = web.post(f"/team/members/{m}/training",
                          {"course": "IR basics", "completed_on": "2099-01-01"})
    assert s == 422 and "Must not be in the future." in errors_of(page)
    s, h, _ = web.post(f"/team/members/{m}/training",
                       {"course": "IR basics", "completed_on": "2025-06-01"})
    assert s == 303
    assert inst.get(f"/api/v1/team/members/{m}").json["training"]["status"] in ("current", "expiring", "expired")
    s, _, page = web.post(f"/team/members/{m}", {"name": "Ann Lee-Smith", "time_zone": "UTC",
                                                 "role_technical_lead": "1", "active": "1",
                                                 "version": "1"})
    assert s == 303
    j = inst.get(f"/api/v1/team/members/{m}").json
    assert j["name"] == "Ann Lee-Smith" and j["roles"] == ["technical_lead"]
    s, _, page = web.post(f"/team/members/{m}/verify", {})
    assert s == 201
    link = re.search(r'class="link-box">([^<]+)<', page).group(1)
    assert "/verify/" in link
    token = link.rsplit("/", 1)[1]
    assert inst.request("GET", f"/verify/{token}").status == 200
    s, _, page = web.get("/team")
    assert "Ann Lee-Smith" in page
    assert "Valid" in page or "Expiring" in page or "Expired" in page


def test_exercise_outcome_and_future_refusal(inst, web, ids):
    s, _, page = web.post("/exercises/new", {"title": "", "kind": "tabletop",
                                             "scheduled_at": "soon", "injects": "no time",
                                             "scenario": "kept scenario"})
    assert s == 422
    errs = errors_of(page)
    assert "Give the exercise a name." in errs and any("T+" in e for e in errs)
    assert "kept scenario" in page
    s, h, _ = web.post("/exercises/new", {"title": "DR simulation", "kind": "simulation",
                                          "scheduled_at": "2035-01-01T09:00"})
    assert s == 303
    future = h["location"].rsplit("/", 1)[1]
    s, _, page = web.post(f"/exercises/{future}/outcome",
                          {"held": "1", "findings": "keep this finding", "version": "1"})
    assert s == 422
    assert any("in the future" in e for e in errors_of(page))
    assert "keep this finding" in page
    assert inst.get(f"/api/v1/exercises/{future}").json["status"] == "planned"
    ex = ids["exercise"]
    s, h, _ = web.post(f"/exercises/{ex}/outcome", {
        "held": "1", "attended_0": "1", "findings": "Backups untested\nNo OOB channel",
        "lessons_learned": "Add an **out-of-band** channel", "version": "1"})
    assert s == 303
    j = inst.get(f"/api/v1/exercises/{ex}").json
    assert j["status"] == "held" and j["findings"] == ["Backups untested", "No OOB channel"]
    assert j["participants"][0]["attended"] is True
    s, _, page = web.get(f"/exercises/{ex}")
    assert "<strong>out-of-band</strong>" in page
    assert "Test restores" in page and 'href="/plan/versions/v1"' in page


def test_action_done_needs_a_note(inst, web, ids):
    a = ids["action"]
    s, _, page = web.post(f"/actions/{a}/done", {"verification_note": "", "version": "1"})
    assert s == 422 and any("verification note" in e for e in errors_of(page))
    assert inst.get(f"/api/v1/actions/{a}").json["status"] == "open"
    s, h, _ = web.post(f"/actions/{a}/done", {"verification_note": "Restored on 2025-11-30",
                                              "version": "1"})
    assert s == 303
    j = inst.get(f"/api/v1/actions/{a}").json
    assert j["status"] == "done" and j["verification_note"] == "Restored on 2025-11-30"
    s, _, page = web.get("/actions?status=done")
    assert "Test restores" in page
    s, _, page = web.get("/actions?status=open")
    assert "Test restores" not in page


def test_quality_review_outcome(inst, web, ids):
    q = ids["qreview"]
    s, _, page = web.get("/quality-reviews")
    assert "overdue by" in page
    s, _, page = web.post(f"/quality-reviews/{q}", {
        "reviewer": ADMIN_EMAIL, "reviewed_on": "2025-10-05", "outcome": "changes_required",
        "change_title": "", "change_owner": "", "change_due": "", "version": "1"})
    assert s == 422 and "Name the change required: it becomes an action item." in errors_of(page)
    s, h, _ = web.post(f"/quality-reviews/{q}", {
        "reviewer": ADMIN_EMAIL, "reviewed_on": "2025-10-05", "outcome": "changes_required",
        "change_title": "Refresh phone numbers", "change_owner": ADMIN_EMAIL,
        "change_due": "2025-11-01", "version": "1"})
    assert s == 303
    j = inst.get(f"/api/v1/quality-reviews/{q}").json
    assert j["status"] == "done" and j["outcome"] == "changes_required"
    s, _, page = web.get("/actions?source_type=quality_review")
    assert "Refresh phone numbers" in page


def test_csrf_less_posts_are_refused(inst, web, ids):
    before = inst.get("/api/v1/team/members").json["items"]
    posts = [("/team/members/new", {"name": "Mallory"}),
             ("/plan/attest", {"version": "v1"}),
             ("/plan/versions", {"reason": "other"}),
             (f"/actions/{ids['action']}/done", {"verification_note": "x"}),
             ("/quality-reviews", {"subject": "plan", "due_date": "2025-01-01"}),
             ("/exercises/new", {"title": "x", "kind": "tabletop",
                                 "scheduled_at": "2025-01-01T10:00"})]
    for path, form in posts:
        s, _, _ = web.post(path, form, csrf=False)
        assert s == 403, (path, s)
        s, _, _ = web.post(path, dict(form, csrf="not-the-token"), csrf=False)
        assert s == 403, (path, s)
    assert inst.get("/api/v1/team/members").json["items"] == before


def test_other_organisations_objects_are_404(inst, web, ids):
    inst.cli("org", "add", "Globex", check=True)
    inst.cli("user", "add", "--email", "g@globex.example", "--role", "manager", "--org",
             "Globex", env={"SIRT_PASSWORD": "a-perfectly-fine-passphrase"}, check=True)
    other = Browser(inst)
    other.sign_in("g@globex.example", "a-perfectly-fine-passphrase")
    for p in [f"/team/members/{ids['member']}", f"/exercises/{ids['exercise']}",
              f"/actions/{ids['action']}"]:
        s, _, page = other.get(p)
        assert s == 404, (p, s)
        assert "Ann" not in page and "Ransomware" not in page and "Test restores" not in page
    for p, form in [(f"/team/members/{ids['member']}/training",
                     {"course": "x", "completed_on": "2025-01-01"}),
                    (f"/team/members/{ids['member']}/verify", {}),
                    (f"/exercises/{ids['exercise']}/outcome", {"held": "1"}),
                    (f"/actions/{ids['action']}/done", {"verification_note": "x"}),
                    (f"/quality-reviews/{ids['qreview']}",
                     {"reviewer": "g", "reviewed_on": "2025-01-01", "outcome": "pass"})]:
        s, _, _ = other.post(p, form)
        assert s == 404, (p, s)
    # Globex has no plan of its own: its plan page offers the starter, not Acme's plan
    s, _, page = other.get("/plan")
    assert s == 200 and "No plan yet" in page and "Acme incident response plan" not in page
    s, _, _ = other.get("/plan/versions/v1")
    assert s == 404
    assert inst.get(f"/api/v1/actions/{ids['action']}").json["status"] == "done"


def test_hostile_text_is_escaped(inst, web, ids):
    s, h, _ = web.post("/team/members/new", {"name": HOSTILE, "chat_handle": HOSTILE,
                                             "time_zone": "UTC"})
    assert s == 303
    s, h, _ = web.post("/exercises/new", {"title": HOSTILE, "kind": "tabletop",
                                          "scheduled_at": "2025-02-01T10:00",
                                          "scenario": HOSTILE + "\n\n[x](javascript:alert(3))",
                                          "objectives": HOSTILE, "participants": "Eve, eve@example.com"})
    assert s == 303
    ex = h["location"]
    s, h, _ = web.post("/actions/new", {"source_type": "exercise", "source_id": ex.rsplit("/", 1)[1],
                                        "title": HOSTILE, "owner": "Eve", "due_date": "2025-03-01",
                                        "description": HOSTILE})
    assert s == 303
    s, _, _ = web.post("/plan/versions", {"reason": "other", "note": HOSTILE,
                                          "trigger_type": "text", "trigger_ref": "x"})
    for p in ["/team", ex, "/actions", "/exercises", "/plan"]:
        s, _, page = web.get(p)
        assert s == 200, p
        assert "<script>alert(1)" not in page, p
        assert "<img src=x" not in page, p
        assert "javascript:alert" not in page, p
        valid_html(page)
    s, _, page = web.get(ex)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
