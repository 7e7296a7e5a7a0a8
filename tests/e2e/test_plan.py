"""The incident response plan (issue 5): starter draft, review, approvals,
immutability, a revision triggered by an incident, diff, attestations,
export and review cadence, on both backends."""
import json
import subprocess

import pytest

from sirt_harness import ADMIN_EMAIL

PLANS = "/api/v1/plans"


def add_user(inst, email, role):
    """A second account in Acme (init --force adds it as admin), then its role."""
    inst.cli("init", "--org", "Acme", "--admin-email", email, "--force",
             env={"SIRT_ADMIN_PASSWORD": "another-long-password"}, check=True)
    if role != "admin":
        inst.sql(f"UPDATE memberships SET role = '{role}' WHERE user_id = "
                 f"(SELECT id FROM users WHERE email = '{email}')")
    return inst.token(email, scope="write")


@pytest.fixture(scope="module")
def team(inst):
    return {
        "bob": add_user(inst, "bob@example.com", "admin"),
        "carol": add_user(inst, "carol@example.com", "manager"),
        "dave": add_user(inst, "dave@example.com", "viewer"),
        "rita": add_user(inst, "rita@example.com", "responder"),
    }


@pytest.fixture(scope="module")
def plan(inst):
    r = inst.get(PLANS)
    assert r.status == 200, r
    assert len(r.json["items"]) == 1, "sirt init creates the starter plan"
    return r.json["items"][0]["id"]


def problem(r, status, field=None, detail=None):
    assert r.status == status, r
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    if field:
        fields = [e["field"] for e in r.json.get("errors", [])]
        assert field in fields, r.json
    if detail:
        assert detail in r.json["detail"], r.json
    return r.json


def V(plan, v, suffix=""):
    return f"{PLANS}/{plan}/versions/{v}{suffix}"


def test_init_creates_starter_draft_and_starter_is_idempotent(inst, plan):
    p = inst.get(f"{PLANS}/{plan}").json
    assert p["in_force"] is None
    assert p["open_version"]["label"] == "v1" and p["open_version"]["status"] == "draft"
    r = inst.post(f"{PLANS}/starter")
    assert r.status == 200 and r.json["id"] == plan, r
    p = inst.cli("plan", "starter", check=True)
    assert "already has a plan" in p.stdout
    v1 = inst.get(V(plan, "v1")).json
    assert [s["key"] for s in v1["sections"]] == [
        "scope", "roles", "severities", "procedures", "playbooks", "communication",
        "escalation", "reporting"]
    assert v1["settings"]["approvals_required"] == 2
    assert v1["settings"]["review_interval_months"] == 12
    assert v1["revision"]["reason"] == "initial"
    pbs = next(s for s in v1["sections"] if s["key"] == "playbooks")["data"]["playbooks"]
    cats = {c for p in pbs for c in p["categories"]}
    assert {"unauthorised_access", "malware", "ransomware", "data_breach", "denial_of_service",
            "phishing", "account_compromise", "insider_threat", "lost_device",
            "third_party"} <= cats
    comm = next(s for s in v1["sections"] if s["key"] == "communication")["data"]["parties"]
    kinds = {p["kind"] for p in comm}
    assert {"customers", "supervisory_authority", "payment_brands", "directors",
            "microsoft", "regulators"} <= kinds
    rep = next(s for s in v1["sections"] if s["key"] == "reporting")["data"]["requirements"]
    assert any(x["clock"] == "gdpr_art33" for x in rep)


def test_structured_sections_are_validated_strictly(inst, plan):
    r = inst.request("PUT", V(plan, "v1", "/sections/severities"), token=inst.admin_token,
                     body={"data": {"levels": [{"key": "critical"}], "colour": "red"}})
    problem(r, 422, "data.colour")
    levels = inst.get(V(plan, "v1")).json["sections"][2]["data"]["levels"]
    levels[0]["acknowledge_minutes"] = 0
    levels[1]["surprise"] = True
    r = inst.request("PUT", V(plan, "v1", "/sections/severities"), token=inst.admin_token,
                     body={"data": {"levels": levels}})
    j = problem(r, 422, "data.levels[0].acknowledge_minutes")
    assert "data.levels[1].surprise" in [e["field"] for e in j["errors"]]
    r = inst.request("PUT", V(plan, "v1", "/sections/Bad-Key"), token=inst.admin_token,
                     body={"title": "x"})
    problem(r, 422, "key")
    r = inst.request("PUT", V(plan, "v1", "/sections/appendix"), token=inst.admin_token,
                     body={"body": "no title"})
    problem(r, 422, "title")
    # nothing half-written: v1 is unchanged
    v1 = inst.get(V(plan, "v1")).json
    assert v1["sections"][2]["data"]["levels"][0]["acknowledge_minutes"] == 15
    assert len(v1["sections"]) == 8


def test_permissions(inst, plan, team):
    r = inst.request("PUT", V(plan, "v1", "/sections/scope"), token=team["rita"],
                     body={"body": "x"})
    problem(r, 403)
    assert inst.get(V(plan, "v1"), token=team["dave"]).status == 200


def test_review_and_two_approvals(inst, plan, team):
    r = inst.request("PUT", V(plan, "v1", "/sections/scope"), token=inst.admin_token,
                     body={"body": inst.get(V(plan, "v1")).json["sections"][0]["body"] +
                           "\nThis plan was adopted by Acme.\n"})
    assert r.status == 200, r
    r = inst.post(V(plan, "v1", "/submit"), {"comment": "ready for review"})
    assert r.status == 200 and r.json["status"] == "in_review", r
    assert r.json["submitted_by"] == ADMIN_EMAIL
    # in review: no edits
    r = inst.request("PUT", V(plan, "v1", "/sections/scope"), token=inst.admin_token,
                     body={"body": "changed"})
    problem(r, 409, detail="withdraw it to draft")
    # the submitter does not count when two approvers are required
    problem(inst.post(V(plan, "v1", "/approve"), {}), 403, detail="other than the submitter")
    # a viewer cannot approve
    problem(inst.post(V(plan, "v1", "/approve"), {}, token=team["dave"]), 403)
    r = inst.post(V(plan, "v1", "/approve"), {"comment": "looks right"}, token=team["bob"])
    assert r.status == 200 and r.json["status"] == "in_review", r
    assert len(r.json["approvals"]) == 1
    problem(inst.post(V(plan, "v1", "/approve"), {}, token=team["bob"]), 409,
            detail="already approved")
    r = inst.post(V(plan, "v1", "/approve"), {"comment": "approved for Acme"},
                  token=team["carol"])
    assert r.status == 200, r
    v1 = r.json
    assert v1["status"] == "approved" and v1["in_force"]
    assert [a["approver"] for a in v1["approvals"]] == ["bob@example.com", "carol@example.com"]
    assert all(a["approved_at"] for a in v1["approvals"])
    assert v1["approvals"][1]["comment"] == "approved for Acme"
    p = inst.get(f"{PLANS}/{plan}").json
    assert p["in_force"]["label"] == "v1" and p["open_version"] is None
    assert p["review"]["interval_months"] == 12 and p["review"]["overdue"] is False
    assert p["review"]["next_review_due"][:4] == str(int(v1["approved_at"][:4]) + 1)


def test_approved_version_is_immutable(inst, plan):
    r = inst.request("PUT", V(plan, "v1", "/sections/scope"), token=inst.admin_token,
                     body={"body": "rewritten"})
    j = problem(r, 409, detail="immutable")
    assert "new version" in j["detail"]
    problem(inst.patch(V(plan, "v1"), {"title": "Other"}), 409)
    problem(inst.request("DELETE", V(plan, "v1", "/sections/scope"), token=inst.admin_token), 409)
    # the database refuses it too
    for sql in ("UPDATE plan_sections SET body = 'x' WHERE key = 'scope'",
                "UPDATE plan_versions SET title = 'x' WHERE number = 1",
                "DELETE FROM plan_approvals"):
        with pytest.raises(subprocess.CalledProcessError) as e:
            inst.sql(sql)
        assert "immutable" in e.value.stderr or "approved" in e.value.stderr, e.value.stderr
    assert inst.get(V(plan, "v1")).json["title"] == "Incident response plan"


def test_revision_after_incident_and_diff(inst, plan, team):
    r = inst.post("/api/v1/incidents", {"title": "Phishing led to mailbox takeover",
                                        "severity": "high"})
    assert r.status == 201, r
    key = r.json["key"]
    # a real incident must be cited, and must exist
    problem(inst.post(f"{PLANS}/{plan}/versions", {"reason": "real_incident"}), 422, "trigger")
    problem(inst.post(f"{PLANS}/{plan}/versions",
                      {"reason": "real_incident", "trigger": {"type": "incident",
                                                              "ref": "INC-1999-9999"}}),
            422, "trigger.ref")
    problem(inst.post(f"{PLANS}/{plan}/versions",
                      {"reason": "whim", "trigger": {"type": "rumour", "ref": "x", "y": 1}}),
            422, "reason")
    r = inst.post(f"{PLANS}/{plan}/versions",
                  {"reason": "real_incident", "trigger": {"type": "incident", "ref": key},
                   "note": "Lessons learned from " + key})
    assert r.status == 201, r
    v2 = r.json
    assert v2["label"] == "v2" and v2["status"] == "draft"
    assert v2["based_on"]["label"] == "v1"
    assert v2["revision"] == {"reason": "real_incident",
                              "trigger": {"type": "incident", "ref": key},
                              "note": "Lessons learned from " + key}
    v1 = inst.get(V(plan, "v1")).json
    assert v2["sections"] == v1["sections"], "a new version starts as a copy"
    # only one open version at a time
    problem(inst.post(f"{PLANS}/{plan}/versions", {"reason": "other"}), 409)
    # edit: a scope line, a playbook task, a new section, and remove nothing
    scope = v2["sections"][0]["body"].replace("This plan was adopted by Acme.",
                                              "This plan was adopted by Acme Ltd.")
    assert inst.request("PUT", V(plan, "v2", "/sections/scope"), token=inst.admin_token,
                        body={"body": scope}).status == 200
    pbs = v2["sections"][4]["data"]
    pb = next(p for p in pbs["playbooks"] if "phishing" in p["categories"])
    pb["tasks"].insert(0, {"title": "Check for malicious inbox rules in every affected mailbox",
                           "phase": "containment", "role": "technical_lead",
                           "due_minutes": 60})
    r = inst.request("PUT", V(plan, "v2", "/sections/playbooks"), token=inst.admin_token,
                     body={"data": pbs})
    assert r.status == 200, r
    r = inst.request("PUT", V(plan, "v2", "/sections/lessons"), token=inst.admin_token,
                     body={"title": "Lessons learned", "body": f"- {key}: inbox rules\n"})
    assert r.status == 200, r
    d = inst.get(f"{PLANS}/{plan}/diff?from=v1&to=v2")
    assert d.status == 200, d
    d = d.json
    assert d["from"]["label"] == "v1" and d["to"]["label"] == "v2"
    by = {s["key"]: s for s in d["sections"]}
    assert by["lessons"]["change"] == "added"
    assert by["scope"]["change"] == "changed" and not by["scope"]["data_changed"]
    ops = [(l["op"], l["text"]) for l in by["scope"]["body"] if l["op"] != "same"]
    assert ops == [("del", "This plan was adopted by Acme."),
                   ("add", "This plan was adopted by Acme Ltd.")]
    assert by["playbooks"]["change"] == "changed" and by["playbooks"]["data_changed"]
    assert by["roles"]["change"] == "unchanged"
    assert d["summary"] == {"added": 1, "removed": 0, "changed": 2, "unchanged": 6}
    assert d["metadata"]["revision"]["to"]["reason"] == "real_incident"
    # removed sections show up the other way round
    d2 = inst.get(f"{PLANS}/{plan}/diff?from=2&to={v1['id']}").json
    assert {s["key"]: s["change"] for s in d2["sections"]}["lessons"] == "removed"
    problem(inst.get(f"{PLANS}/{plan}/diff?from=v1&to=v9"), 404)
    problem(inst.get(f"{PLANS}/{plan}/diff?from=v1"), 400)
    # review: bob submits; admin and carol approve; v1 is superseded
    r = inst.post(V(plan, "v2", "/submit"), {}, token=team["bob"])
    assert r.status == 200, r
    assert inst.post(V(plan, "v2", "/approve"), {}).status == 200
    r = inst.post(V(plan, "v2", "/approve"), {}, token=team["carol"])
    assert r.status == 200 and r.json["status"] == "approved", r
    v1 = inst.get(V(plan, "v1")).json
    assert v1["status"] == "superseded" and v1["superseded_at"]
    versions = inst.get(f"{PLANS}/{plan}/versions").json["items"]
    assert [(v["label"], v["status"]) for v in versions] == [("v2", "approved"),
                                                             ("v1", "superseded")]
    # a new incident records the version in force and receives the plan's playbook tasks
    r = inst.post("/api/v1/incidents", {"title": "Another phishing wave", "severity": "medium",
                                        "category": "phishing"})
    assert r.status == 201, r
    assert r.json["plan_version"] == "v2"
    tasks = inst.get(f"/api/v1/incidents/{r.json['id']}/tasks").json["items"]
    titles = [t["title"] for t in tasks]
    assert titles[0] == "Check for malicious inbox rules in every affected mailbox", titles
    assert tasks[0]["due_at"], tasks[0]


def test_submit_requires_a_complete_plan_and_withdraw(inst, plan, team):
    r = inst.post(f"{PLANS}/{plan}/versions",
                  {"reason": "organisational_change",
                   "trigger": {"type": "text", "ref": "Acquired Example GmbH"}})
    assert r.status == 201, r
    assert inst.request("DELETE", V(plan, "v3", "/sections/reporting"),
                        token=inst.admin_token).status == 200
    esc = r.json["sections"][6]["data"]
    esc["paths"][0]["levels"][0]["notify"].append("nobody")
    assert inst.request("PUT", V(plan, "v3", "/sections/escalation"), token=inst.admin_token,
                        body={"data": esc}).status == 200
    j = problem(inst.post(V(plan, "v3", "/submit"), {}), 422)
    fields = [e["field"] for e in j["errors"]]
    assert "sections.reporting" in fields
    assert inst.get(V(plan, "v3")).json["status"] == "draft"
    # settings: named approvers must be managers of the organisation
    problem(inst.patch(V(plan, "v3"), {"settings": {"approvers": ["rita@example.com"]}}), 422,
            "settings.approvers[0]")
    problem(inst.patch(V(plan, "v3"), {"settings": {"approvals_required": 0, "x": 1}}), 422,
            "settings.approvals_required")
    r = inst.patch(V(plan, "v3"), {"settings": {"approvers": ["bob@example.com",
                                                              "carol@example.com"]}})
    assert r.status == 200, r
    # withdraw returns a version in review to draft and drops its approvals
    v2 = inst.get(V(plan, "v2")).json
    rep = next(s for s in v2["sections"] if s["key"] == "reporting")
    inst.request("PUT", V(plan, "v3", "/sections/reporting"), token=inst.admin_token,
                 body={"title": rep["title"], "body": rep["body"], "data": rep["data"]})
    esc["paths"][0]["levels"][0]["notify"].remove("nobody")
    inst.request("PUT", V(plan, "v3", "/sections/escalation"), token=inst.admin_token,
                 body={"data": esc})
    assert inst.post(V(plan, "v3", "/submit"), {}).status == 200
    problem(inst.post(V(plan, "v3", "/approve"), {}, token=team["dave"]), 403)
    assert inst.post(V(plan, "v3", "/approve"), {}, token=team["bob"]).status == 200
    r = inst.post(V(plan, "v3", "/withdraw"), {"comment": "needs the new org chart"},
                  token=team["carol"])
    assert r.status == 200 and r.json["status"] == "draft" and r.json["approvals"] == [], r


def test_attestations(inst, plan, team):
    members = [
        {"name": "Ada Admin", "user": ADMIN_EMAIL, "roles": ["incident_commander"]},
        {"name": "Dave Viewer", "user": "dave@example.com", "roles": ["technical_lead"]},
        {"name": "Erin External", "email": "erin@example.org", "roles": ["legal_privacy"]},
    ]
    for m in members:
        r = inst.post("/api/v1/team/members", m)
        assert r.status == 201, r
    problem(inst.post(V(plan, "v1", "/attest"), token=team["dave"]), 409,
            detail="only the version in force")
    r = inst.post(V(plan, "v2", "/attest"), token=team["dave"])
    assert r.status == 200 and r.json["new"] is True, r
    r = inst.post(V(plan, "v2", "/attest"), token=team["dave"])
    assert r.status == 200 and r.json["new"] is False
    a = inst.get(f"{PLANS}/{plan}/attestations").json
    assert a["label"] == "v2"
    assert [m["name"] for m in a["attested"]] == ["Dave Viewer"]
    assert [m["name"] for m in a["not_attested"]] == ["Ada Admin"]
    assert [m["name"] for m in a["without_account"]] == ["Erin External"]
    assert a["summary"] == {"members": 3, "attested": 1, "not_attested": 1,
                            "without_account": 1}


def test_export(inst, plan):
    r = inst.get(V(plan, "v2", "/export?format=markdown"))
    assert r.status == 200 and r.headers["content-type"].startswith("text/markdown"), r
    md = r.text
    assert md.startswith("# Incident response plan (v2)")
    assert "Approved by" in md and "## 9. Lessons learned" in md
    assert "Check for malicious inbox rules" in md
    r = inst.get(V(plan, "v2", "/export?format=html"))
    assert r.status == 200 and r.headers["content-type"].startswith("text/html"), r
    assert "<h2>6. Communication plan</h2>" in r.text
    assert "<script" not in r.text
    problem(inst.get(V(plan, "v2", "/export?format=pdf")), 400)
    p = inst.cli("plan", "export", "--version", "v2", check=True)
    assert p.stdout == md


def test_review_overdue_and_cli(inst, plan):
    p = inst.cli("plan", "show", check=True)
    assert json.loads(p.stdout)["review"]["overdue"] is False
    p = inst.cli("plan", "show", env={"SIRT_FAKE_NOW": "2099-01-01T00:00:00Z"}, check=True)
    rv = json.loads(p.stdout)["review"]
    assert rv["overdue"] is True and rv["days_until_due"] < 0


def test_other_organisation_sees_nothing(inst, plan):
    inst.cli("init", "--org", "Other", "--admin-email", "olga@other.example", "--force",
             env={"SIRT_ADMIN_PASSWORD": "another-long-password"}, check=True)
    tok = inst.token("olga@other.example", org="Other")
    problem(inst.get(f"{PLANS}/{plan}", token=tok), 404)
    problem(inst.get(V(plan, "v1"), token=tok), 404)
    items = inst.get(PLANS, token=tok).json["items"]
    assert len(items) == 1 and items[0]["id"] != plan  # init made Other its own starter
