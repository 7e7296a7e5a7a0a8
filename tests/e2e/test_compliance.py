"""The compliance status moving from not_met to met as the records appear, with
each reason correct; the editable control mapping; the incident metrics.
Lifecycle times are set by SQL (see reviews_util)."""
import copy
import time

import pytest

from reviews_util import DAY, FULL_REVIEW, add_user, day, iso, new_incident, set_times

NOW = int(time.time())
MIDNIGHT = NOW - NOW % DAY
LESSONS = ("no lessons learned from an exercise, incident or review led to a plan revision"
           " in the last 12 months")


def status(inst, token=None, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    r = inst.get("/api/v1/compliance" + ("?" + qs if qs else ""), token=token)
    assert r.status == 200, r
    return r.json


def control(doc, fw, cid):
    f = next(f for f in doc["frameworks"] if f["id"] == fw)
    return next(c for c in f["controls"] if c["id"] == cid)


def texts(ctl):
    return [r["text"] for r in ctl["reasons"]]


@pytest.fixture(scope="module")
def second(inst):
    return add_user(inst, "auditee@example.com", role="manager", name="Second Reviewer")


def test_every_control_is_listed_and_starts_not_met(inst):
    doc = status(inst)
    ids = {f["id"]: [c["id"] for c in f["controls"]] for f in doc["frameworks"]}
    assert ids == {"m365": ["25", "26", "27"], "soc2": ["CC7.3", "CC7.4", "CC7.5"],
                   "iso27001": ["A.5.24", "A.5.25", "A.5.26", "A.5.27", "A.5.28", "A.6.8"]}
    assert doc["mapping"] == "builtin"
    assert doc["inputs"] == {"plan": True, "team": True, "notifications": False,
                             "evidence_packs": True}
    c25 = control(doc, "m365", "25")
    assert c25["status"] == "not_met"
    assert "no approved IR plan" in texts(c25)
    assert "no response team recorded" in texts(c25)
    c26 = control(doc, "m365", "26")
    assert "no response team recorded, so no training can be shown" in texts(c26)
    c27 = control(doc, "m365", "27")
    assert c27["status"] == "not_met"
    assert texts(c27) == ["the plan has never been reviewed", "no exercise in the last 12 months",
                          LESSONS, "no evidence recorded yet"]
    assert c27["reasons"][1]["link"] == "/api/v1/exercises"
    a527 = control(doc, "iso27001", "A.5.27")
    assert a527["status"] == "not_met" and texts(a527) == [LESSONS]
    # the audit trail verifies; reasons that are notes stay with the requirement
    a528 = control(doc, "iso27001", "A.5.28")
    req = {r["check"]: r for r in a528["requirements"]}
    assert req["audit_trail_intact"]["status"] == "met"
    cc74 = control(doc, "soc2", "CC7.4")
    notes = {r["check"]: r for r in cc74["requirements"]}["notifications_timely"]
    assert notes["status"] == "met" and notes["reasons"][0]["text"] == "no notification records yet"
    assert "no notification records yet" not in texts(cc74)
    assert doc["summary"]["not_met"] + doc["summary"]["at_risk"] + doc["summary"]["met"] == 12


def test_closed_incident_without_review(inst, second):
    inc = new_incident(inst, title="Stolen laptop", severity="high")
    set_times(inst, inc["id"], status="closed", occurred_at=NOW - 5 * DAY,
              detected_at=NOW - 5 * DAY + 600, acknowledged_at=NOW - 5 * DAY + 900,
              contained_at=NOW - 5 * DAY + 3600, resolved_at=NOW - 4 * DAY,
              closed_at=NOW - 3 * DAY)
    inst.sql(f"UPDATE incidents SET resolution = 'fixed' WHERE uid = '{inc['id']}'")
    low = new_incident(inst, title="Phish reported", severity="low")
    set_times(inst, low["id"], status="closed", resolved_at=NOW - DAY, closed_at=NOW - DAY)
    doc = status(inst)
    a527 = control(doc, "iso27001", "A.5.27")
    sentence = f"{inc['key']} closed without a published review"
    assert texts(a527) == [sentence, LESSONS]
    reason = a527["reasons"][0]
    assert reason["status"] == "not_met"
    assert reason["link"] == f"/api/v1/incidents/{inc['id']}/review"
    # the low one needs no review, but its missing resolution is a gap in the log
    cc73 = control(doc, "soc2", "CC7.3")
    assert f"{low['key']} is resolved without a recorded resolution" in texts(cc73)
    assert sentence not in str(cc73)
    # publish the review: the reason goes away
    ref = inc["id"]
    body = copy.deepcopy(FULL_REVIEW)
    body["actions_taken"] = [{"text": "Wiped the laptop remotely", "source": "manual"}]
    assert inst.post(f"/api/v1/incidents/{ref}/review", body).status == 201
    assert inst.post(f"/api/v1/incidents/{ref}/review/submit").status == 200
    assert inst.post(f"/api/v1/incidents/{ref}/review/signoffs", {}, token=second).status == 200
    assert inst.post(f"/api/v1/incidents/{ref}/review/publish").status == 200
    a527 = control(status(inst), "iso27001", "A.5.27")
    assert texts(a527) == [LESSONS]
    pytest.shared = {"incident": inc}


def test_records_move_control_27_to_met(inst):
    c27 = control(status(inst), "m365", "27")
    assert "no evidence recorded yet" not in texts(c27)  # the published review is evidence
    # an exercise held two weeks ago
    r = inst.post("/api/v1/exercises", {"kind": "tabletop", "title": "Ransomware tabletop",
                                        "scheduled_at": iso(NOW - 14 * DAY), "status": "held",
                                        "lessons_learned": "The plan lacks a backup restore step."})
    assert r.status == 201
    ex = r.json
    c27 = control(status(inst), "m365", "27")
    assert texts(c27) == ["the plan has never been reviewed", LESSONS]
    # a completed quality review of the plan
    r = inst.post("/api/v1/quality-reviews", {"subject": "plan", "due_date": day(NOW)})
    q = r.json
    r = inst.patch(f"/api/v1/quality-reviews/{q['id']}",
                   {"status": "done", "outcome": "pass", "reviewer": "ciso@example.com"})
    assert r.status == 200, r
    c27 = control(status(inst), "m365", "27")
    assert texts(c27) == [LESSONS]
    # the exercise's lesson becomes an action item that links the plan revision it caused
    r = inst.post("/api/v1/actions", {"source_type": "exercise", "source_id": ex["id"],
                                      "title": "Add a restore step to the plan",
                                      "owner": "ciso@example.com",
                                      "due_date": day(NOW + 20 * DAY)})
    act = r.json
    assert control(status(inst), "m365", "27")["status"] == "not_met"
    r = inst.patch(f"/api/v1/actions/{act['id']}",
                   {"plan_version_id": "pv-2", "plan_version_label": "v2"})
    assert r.status == 200
    doc = status(inst)
    for fw, cid in (("m365", "27"), ("iso27001", "A.5.27"), ("soc2", "CC7.5")):
        c = control(doc, fw, cid)
        assert c["status"] == "met", (fw, cid, c["reasons"])
        assert c["reasons"] == []
    # controls that need the plan and team areas stay not met until those merge
    assert control(doc, "m365", "25")["status"] == "not_met"
    pytest.shared["exercise"] = ex


def test_overdue_action_puts_cc75_at_risk(inst):
    ex = pytest.shared["exercise"]
    r = inst.post("/api/v1/actions", {"source_type": "exercise", "source_id": ex["id"],
                                      "title": "Test the restore", "owner": "Ops",
                                      "due_date": day(NOW - 2 * DAY)})
    act = r.json
    cc75 = control(status(inst), "soc2", "CC7.5")
    assert cc75["status"] == "at_risk"
    assert texts(cc75) == ["1 action item overdue (oldest by 2 days)",
                           '"Test the restore" overdue by 2 days']
    assert cc75["reasons"][1]["link"] == f"/api/v1/actions/{act['id']}"
    r = inst.patch(f"/api/v1/actions/{act['id']}",
                   {"status": "done", "verification_note": "Restored a backup on staging."})
    assert r.status == 200
    assert control(status(inst), "soc2", "CC7.5")["status"] == "met"


def test_org_change_needs_plan_review(inst):
    r = inst.post("/api/v1/org-changes", {"title": "New CEO", "kind": "key_personnel",
                                          "changed_on": day(NOW)})
    q = r.json["quality_review"]
    c27 = control(status(inst), "m365", "27")
    assert c27["status"] == "at_risk"
    assert texts(c27) == [f'organisational change "New CEO" awaits its plan review (due'
                          f' {day(MIDNIGHT + 30 * DAY)})']
    assert c27["reasons"][0]["link"] == f"/api/v1/quality-reviews/{q['id']}"
    r = inst.patch(f"/api/v1/quality-reviews/{q['id']}",
                   {"status": "done", "outcome": "pass", "reviewer": "ciso@example.com"})
    assert r.status == 200
    assert control(status(inst), "m365", "27")["status"] == "met"


def test_a_year_later_everything_is_overdue(inst):
    """The same records seen 400 days later (SIRT_FAKE_NOW on a restarted server)."""
    later = NOW + 400 * DAY
    inst.stop()
    inst.start(env={"SIRT_FAKE_NOW": str(later)})
    try:
        doc = status(inst)
    finally:
        inst.stop()
        inst.start()
    due = MIDNIGHT + 365 * DAY  # the plan review was done today; the cadence is a year
    overdue = (later - due) // DAY
    c27 = control(doc, "m365", "27")
    assert c27["status"] == "not_met"
    t = texts(c27)
    assert t[0] == f"plan review overdue by {overdue} days (due {day(due)})"
    assert t[1] == f"no exercise in the last 12 months (the last was held on {day(NOW - 14 * DAY)})"
    assert t[2] == LESSONS
    assert t[3].startswith("evidence older than 3 months (the newest record is from ")
    assert [r["status"] for r in c27["reasons"]] == ["not_met", "not_met", "not_met", "at_risk"]
    a524 = control(doc, "iso27001", "A.5.24")
    assert any(x.startswith("quality review of the team roster and contact details")
               or x == "the team roster and contact details have never had a quality review"
               for x in texts(a524))
    # the action item due in 20 days is overdue by 380 then
    cc75 = control(doc, "soc2", "CC7.5")
    assert "1 action item overdue (oldest by 380 days)" in texts(cc75)


def test_custom_framework(inst):
    doc = {"frameworks": [{"id": "internal", "name": "Internal IR standard", "controls": [
        {"id": "IR-1", "title": "Exercise twice a year", "requirements": [
            {"check": "exercise_recent", "params": {"months": 6}, "text": "an exercise in 6 months"}]},
        {"id": "IR-2", "title": "Quarterly playbook review", "requirements": [
            {"check": "quality_reviews_current", "params": {"subjects": ["playbooks"]}}]}]}]}
    r = inst.request("PUT", "/api/v1/compliance/mapping", token=inst.admin_token, body=doc)
    assert r.status == 200, r
    got = status(inst)
    assert got["mapping"] == "custom"
    assert [f["id"] for f in got["frameworks"]] == ["internal"]
    ir1 = control(got, "internal", "IR-1")
    assert ir1["status"] == "met"
    assert ir1["requirements"][0]["text"] == "an exercise in 6 months"
    ir2 = control(got, "internal", "IR-2")
    assert texts(ir2) == ["the playbooks have never had a quality review"]
    assert status(inst, framework="internal")["summary"] == {"met": 1, "at_risk": 0, "not_met": 1}
    assert inst.get("/api/v1/compliance?framework=m365").status == 404
    # invalid documents: every problem with its path
    bad = {"frameworks": [{"id": "x", "name": "X", "colour": 1, "controls": [
        {"id": "C1", "title": "t", "requirements": [
            {"check": "no_such_check"},
            {"check": "exercise_recent", "params": {"months": 0, "days": 3}},
            {"check": "plan_contents", "params": {"parts": ["budget"]}}]}]}]}
    r = inst.request("PUT", "/api/v1/compliance/mapping", token=inst.admin_token, body=bad)
    assert r.status == 422
    fields = {e["field"] for e in r.json["errors"]}
    base = "frameworks[0].controls[0].requirements"
    assert fields == {"frameworks[0].colour", f"{base}[0].check", f"{base}[1].params.months",
                      f"{base}[1].params.days", f"{base}[2].params.parts"}, fields
    assert status(inst)["mapping"] == "custom"  # unchanged
    checks = inst.get("/api/v1/compliance/checks").json["checks"]
    assert "lessons_into_plan" in [c["name"] for c in checks]
    assert inst.delete("/api/v1/compliance/mapping").status == 204
    assert status(inst)["mapping"] == "builtin"
    assert inst.get("/api/v1/compliance/mapping").json["frameworks"][0]["id"] == "m365"


def test_metrics(inst):
    """Incidents detected in January-March 2025 (a range no other test uses)."""
    jan, feb = 1736467200, 1739145600  # 2025-01-10, 2025-02-10 00:00Z
    rows = [("critical", "malware", jan, 600, 3600, 7200),
            ("critical", "malware", jan + DAY, 1200, 7200, 14400),
            ("high", "phishing", feb, 300, None, 3600),
            ("low", None, feb + DAY, None, None, None)]
    for sev, cat, det, ack, cont, res in rows:
        inc = new_incident(inst, severity=sev)
        times = {"detected_at": det, "occurred_at": det - 1800}
        if ack:
            times["acknowledged_at"] = det + ack
        if cont:
            times["contained_at"] = det + cont
        if res:
            times["resolved_at"] = det + res
        set_times(inst, inc["id"], status="resolved" if res else None, **times)
        if cat:
            inst.sql(f"UPDATE incidents SET category = '{cat}' WHERE uid = '{inc['id']}'")
    rej = new_incident(inst, severity="high")
    set_times(inst, rej["id"], status="rejected", detected_at=feb, acknowledged_at=feb + 99999)
    r = inst.get("/api/v1/metrics/incidents?from=2025-01-01&to=2025-03-31&bucket=month")
    assert r.status == 200, r
    m = r.json
    assert m["periods"] == ["2025-01", "2025-02", "2025-03"]
    assert m["overall"]["count"] == 5 and m["overall"]["rejected"] == 1
    assert m["overall"]["mtta_seconds"] == (600 + 1200 + 300) // 3
    assert m["by_severity"]["critical"]["mtta_seconds"] == 900
    assert m["by_severity"]["critical"]["mttc_seconds"] == 5400
    assert m["by_severity"]["critical"]["mttr_seconds"] == 10800
    assert m["by_severity"]["critical"]["mttd_seconds"] == 1800
    assert m["by_severity"]["high"]["mttc_seconds"] is None
    assert m["by_severity"]["medium"]["count"] == 0
    jan_s, feb_s, mar_s = m["series"]
    assert jan_s["period"] == "2025-01" and jan_s["count"] == 2
    assert feb_s["by_severity"]["high"]["count"] == 2 and feb_s["by_severity"]["high"]["rejected"] == 1
    assert feb_s["by_severity"]["high"]["mtta_seconds"] == 300  # the rejected one is left out
    assert mar_s["count"] == 0 and mar_s["mtta_seconds"] is None
    assert m["counts"]["by_category"] == {"malware": 2, "phishing": 1, "uncategorised": 2}
    assert m["counts"]["by_severity"] == {"critical": 2, "high": 2, "medium": 0, "low": 1}
    assert m["counts"]["by_month"] == {"2025-01": 2, "2025-02": 3, "2025-03": 0}
    q = inst.get("/api/v1/metrics/incidents?from=2025-01-01&to=2025-12-31&bucket=quarter").json
    assert q["periods"] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert q["series"][0]["count"] == 5
    assert inst.get("/api/v1/metrics/incidents?bucket=week").status == 400
    assert inst.get("/api/v1/metrics/incidents?from=2025-02-01&to=2025-01-01").status == 400
    assert inst.get("/api/v1/metrics/incidents?from=1900-01-01&to=2025-01-01").status == 400
    default = inst.get("/api/v1/metrics/incidents").json
    assert len(default["periods"]) == 13


@pytest.mark.parametrize("cmd", [["review", "--help"], ["review", "show", "--help"],
                                 ["action", "list", "--help"], ["exercise", "--help"],
                                 ["qreview", "schedule", "--help"], ["compliance", "--help"],
                                 ["metrics", "--help"]])
def test_cli_help(inst, cmd):
    p = inst.cli(*cmd)
    assert p.returncode == 0 and "Usage: sirt" in p.stdout, p.stderr


def test_cli(inst):
    inc = pytest.shared["incident"]
    p = inst.cli("compliance", "--framework", "iso27001")
    assert p.returncode == 3, p.stderr  # not every control is met
    # the metrics test left three resolved high/critical incidents without reviews
    assert "A.5.27   at_risk  Learning from information security incidents" in p.stdout
    assert "- 3 resolved incidents need a published review before closing" in p.stdout
    assert "- no approved IR plan" in p.stdout
    p = inst.cli("compliance", "--json", "--framework", "soc2")
    assert '"id": "CC7.5"' in p.stdout
    p = inst.cli("review", "show", "--incident", inc["key"])
    assert p.returncode == 0 and "## Root cause analysis" in p.stdout, p.stderr
    p = inst.cli("review", "show", "--incident", "INC-1999-0001")
    assert p.returncode == 1 and "no such incident" in p.stderr
    ex = pytest.shared["exercise"]
    p = inst.cli("action", "add", "--source-type", "exercise", "--source", ex["id"],
                 "--title", "Print the call tree")
    assert p.returncode == 2 and "--owner is required" in p.stderr
    p = inst.cli("action", "add", "--source-type", "exercise", "--source", ex["id"],
                 "--title", "Print the call tree", "--owner", "Ops",
                 "--due", day(NOW - 3 * DAY), "--json")
    assert p.returncode == 0, p.stderr
    import json
    item = json.loads(p.stdout)
    assert item["overdue"] is True
    p = inst.cli("action", "list", "--overdue")
    assert item["id"] in p.stdout and "OVERDUE" in p.stdout
    p = inst.cli("action", "done", "--id", item["id"])
    assert p.returncode == 2 and "--note" in p.stderr
    p = inst.cli("action", "done", "--id", item["id"], "--note", "Printed and pinned.")
    assert p.returncode == 0, p.stderr
    assert item["id"] not in inst.cli("action", "list", "--overdue").stdout
    audit = inst.sql("SELECT actor FROM audit_log WHERE action = 'action.update' "
                     "ORDER BY seq DESC LIMIT 1")
    assert audit.strip().startswith("cli:")
    p = inst.cli("qreview", "schedule")
    assert p.returncode == 0 and p.stdout.startswith("plan ")
    p = inst.cli("exercise", "list")
    assert "Ransomware tabletop" in p.stdout
    p = inst.cli("metrics", "--from", "2025-01-01", "--to", "2025-03-31")
    assert p.returncode == 0 and json.loads(p.stdout)["overall"]["count"] == 5


def test_plan_and_team_feed_controls_25_and_26(inst):
    """The plan and team areas' facts. The plan is approved by SQL (the approval
    flow needs two approvers; it has its own tests); members and training go
    through the team API."""
    c25 = control(status(inst), "m365", "25")
    assert "no approved IR plan" in texts(c25)
    inst.sql(f"UPDATE plan_versions SET status = 'approved', submitted_at = {NOW - 10 * DAY},"
             f" approved_at = {NOW - 10 * DAY} WHERE number = 1")
    doc = status(inst)
    c25 = control(doc, "m365", "25")
    assert "no approved IR plan" not in texts(c25)
    assert "the approved plan v1 has no response team with contact details" in texts(c25)
    assert "no response team recorded" in texts(c25)
    r = inst.post("/api/v1/team/members", {"name": "Alice", "email": "alice@example.com"})
    assert r.status == 201, r
    alice = r.json["id"]
    r = inst.post("/api/v1/team/members", {"name": "Bob"})
    bob = r.json["id"]
    doc = status(inst)
    c26 = control(doc, "m365", "26")
    assert texts(c26) == ["1 team member has no contact details",
                          "2 team members have no training record"]
    inst.patch(f"/api/v1/team/members/{bob}", {"phone": "+14155552671"})
    r = inst.post("/api/v1/team/trainings", {"member": alice, "course": "IR basics",
                                             "completed_on": day(NOW - 400 * DAY),
                                             "expires_on": day(NOW - 35 * DAY)})
    assert r.status == 201, r
    r = inst.post("/api/v1/team/trainings", {"member": bob, "course": "IR basics",
                                             "completed_on": day(NOW - 10 * DAY)})
    c26 = control(status(inst), "m365", "26")
    assert texts(c26) == ["1 team member's training expired"]
    inst.post("/api/v1/team/trainings", {"member": alice, "course": "IR refresher",
                                         "completed_on": day(NOW - 1 * DAY)})
    doc = status(inst)
    assert control(doc, "m365", "26")["status"] == "met"
    assert control(doc, "m365", "25")["status"] == "met", texts(control(doc, "m365", "25"))
    # the exercise records the plan version in force
    r = inst.post("/api/v1/exercises", {"kind": "simulation", "title": "Phishing simulation",
                                        "scheduled_at": iso(NOW + 30 * DAY)})
    assert r.json["plan_version"]["label"] == "v1"
