"""Notification rules from the plan, escalation and automatic clocks (issue 6),
on both backends, with a real HTTP receiver, OpenSMTPD and the server's clock
moved by the test (SIRT_FAKE_NOW_FILE).

The story follows the worked example of docs/notifications.md: an approved
plan (the starter, reporting cut down to GDPR), a team with an on-call
rotation for the incident commander, a critical incident with personal data.
The tests run in file order and share one server per backend."""
import json
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from notify_support import Receiver, Smtpd, add_webhook, body_json, notify_instance, wait_for

PLANS = "/api/v1/plans"
T0 = datetime(2026, 3, 2, 8, 0, 0, tzinfo=timezone.utc)  # a Monday


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Env:
    def __init__(self, backend, cluster):
        self.dir = Path(tempfile.mkdtemp(prefix="sirt-rules-"))
        self.file = self.dir / "now"
        self.set(T0)
        self.inst = notify_instance(backend, cluster, {"SIRT_FAKE_NOW_FILE": str(self.file)})
        self.rcv = Receiver()
        self.smtpd = Smtpd()
        self.incident = None

    def set(self, dt):
        self.now = dt
        self.file.write_text(iso(dt) + "\n")

    def events(self, event):
        return [body_json(r) for r in self.rcv.ok("/all") if body_json(r)["event"] == event]

    def mails(self, subject_part):
        return [m for m in self.smtpd.messages() if subject_part in m["Subject"]]

    def close(self):
        self.rcv.close()
        self.smtpd.close()
        self.inst.close()


def add_user(inst, email, role):
    inst.cli("init", "--org", "Acme", "--admin-email", email, "--force",
             env={"SIRT_ADMIN_PASSWORD": "another-long-password"}, check=True)
    inst.sql(f"UPDATE memberships SET role = '{role}' WHERE user_id = "
             f"(SELECT id FROM users WHERE email = '{email}')")


@pytest.fixture(scope="module")
def env(backend, cluster):
    e = Env(backend, cluster)
    inst = e.inst
    add_webhook(inst, e.rcv, name="all", path="/all")
    r = inst.post("/api/v1/channels", {
        "name": "pager mail", "kind": "email",
        "events": ["incident.escalation", "clock.*"],
        "config": {"url": f"smtp://127.0.0.1:{e.smtpd.port}", "starttls": "none",
                   "from": "sirt <sirt@example.com>", "to": ["soc@example.com"]}})
    assert r.status == 201, r
    add_user(inst, "alice@example.com", "responder")
    members = {}
    for name, roles in [("Alice", ["incident_commander"]),
                        ("Bob", ["incident_commander", "technical_lead"]),
                        ("Carol", ["deputy_commander"]),
                        ("Erin", ["executive_sponsor"]),
                        ("Dave", ["legal_privacy"])]:
        r = inst.post("/api/v1/team/members",
                      {"name": name, "email": f"{name.lower()}@example.com", "roles": roles})
        assert r.status == 201, r
        members[name] = r.json["id"]
    # Bob is the incident commander on call this week (Alice is not)
    r = inst.post("/api/v1/oncall", {
        "role": "incident_commander", "name": "Incident commander", "time_zone": "UTC",
        "layers": [{"name": "weekly", "members": [members["Bob"]], "start": "2026-02-23",
                    "handoff": "00:00", "shift_hours": 168}]})
    assert r.status == 201, r
    # approve the starter plan with one approval, reporting cut down to GDPR
    plan = inst.get(PLANS).json["items"][0]["id"]
    v = f"{PLANS}/{plan}/versions/v1"
    assert inst.patch(v, {"settings": {"approvals_required": 1}}).status == 200
    rep = next(s for s in inst.get(v).json["sections"] if s["key"] == "reporting")["data"]
    rep["requirements"] = [q for q in rep["requirements"] if q["clock"] == "gdpr_art33"]
    r = inst.request("PUT", f"{v}/sections/reporting", token=inst.admin_token,
                     body={"data": rep})
    assert r.status == 200, r
    assert inst.post(f"{v}/submit", {}).status == 200
    r = inst.post(f"{v}/approve", {})
    assert r.status == 200 and r.json["status"] == "approved", r
    yield e
    e.close()


def test_rules_endpoint_shows_what_the_plan_implies(env):
    r = env.inst.get("/api/v1/notification-rules")
    assert r.status == 200, r
    doc = r.json
    assert doc["plan_version"] == "v1"
    rules = {x["event"]: x for x in doc["rules"]}
    assert rules["incident.created"]["template"]["key"] == "team_alert"
    assert rules["incident.escalation"]["channels"] == ["all", "pager mail"]
    crit = next(s for s in doc["severities"] if s["severity"] == "critical")
    assert crit["acknowledge_minutes"] == 15
    lv1 = crit["escalation"][0]
    ic = next(w for w in lv1["resolved"] if w["key"] == "incident_commander")
    assert ic["source"] == "on_call" and ic["emails"] == ["bob@example.com"]
    assert [q["clock"] for q in doc["reporting"]] == ["gdpr_art33"]
    # an unauthenticated caller sees nothing
    assert env.inst.request("GET", "/api/v1/notification-rules").status == 401


def test_critical_incident_with_personal_data(env):
    inst = env.inst
    r = inst.post("/api/v1/incidents", {"title": "Ransomware on the file server",
                                        "severity": "critical", "personal_data": True,
                                        "detected_at": iso(T0)})
    assert r.status == 201, r
    inc = env.incident = r.json
    # told at once, with the plan's team alert template
    created = wait_for(lambda: env.events("incident.created"), what="incident.created")
    assert created[0]["subject"] == f"[critical] {inc['key']}: Ransomware on the file server"
    assert "An incident has been declared." in created[0]["text"]
    assert "Bridge: (not set)" in created[0]["text"]
    told = set(created[0]["data"]["recipients"])
    assert {"alice@example.com", "bob@example.com", "carol@example.com",
            "erin@example.com", "dave@example.com"} <= told
    # the GDPR clock was applied by the plan's reporting requirement; again adds nothing
    clocks = inst.get(f"/api/v1/incidents/{inc['id']}/clocks").json["items"]
    assert [(c["definition"], c["applied_how"], c["rule"]) for c in clocks] == \
        [("gdpr_art33", "rule", "plan_reporting")]
    assert clocks[0]["stages"][0]["deadline"] == iso(T0 + timedelta(hours=72))
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clock-rules")
    assert r.status == 200 and r.json["applied"] == 0, r
    assert len(inst.get(f"/api/v1/incidents/{inc['id']}/clocks").json["items"]) == 1
    # escalation level 1 (after 0 minutes) goes out at once, to the on-call commander
    lv1 = wait_for(lambda: env.mails("Escalation level 1"), what="level 1 e-mail")
    assert [a.addr_spec for a in lv1[0]["To"].addresses] == ["bob@example.com"]
    assert inc["key"] in lv1[0]["Subject"]
    st = inst.get(f"/api/v1/incidents/{inc['key']}/escalation").json
    assert st["acknowledged"] is False and st["acknowledge_minutes"] == 15
    states = [(lv["level"], lv["state"], lv["due_at"]) for lv in st["levels"]]
    assert states[0][:2] == (1, "sent")
    assert states[1] == (2, "scheduled", iso(T0 + timedelta(minutes=15)))
    assert [s[0] for s in states] == [1, 2, 3, 4]
    # the CLI shows the scheduled levels too
    out = json.loads(inst.cli("outbox", "list", "--event", "incident.escalation",
                              check=True).stdout)
    assert {m["event"] for m in out} == {"incident.escalation"}
    assert len([m for m in out if m["status"] == "pending"]) == 6  # levels 2-4, two channels
    out = json.loads(inst.cli("outbox", "escalation", inc["key"], check=True).stdout)
    assert [lv["state"] for lv in out["levels"]] == ["sent", "scheduled", "scheduled",
                                                     "scheduled"]


def test_level_2_after_the_acknowledge_target(env):
    inc = env.incident
    env.set(T0 + timedelta(minutes=14))
    time.sleep(3)  # two worker passes: nothing is due yet
    assert not env.mails("Escalation level 2")
    env.set(T0 + timedelta(minutes=16))
    lv2 = wait_for(lambda: env.mails("Escalation level 2"), what="level 2 e-mail")
    assert {a.addr_spec for a in lv2[0]["To"].addresses} == {"carol@example.com",
                                                              "erin@example.com"}
    hooks = wait_for(lambda: [e for e in env.events("incident.escalation")
                              if e["data"]["level"] == 2], what="level 2 webhook")
    assert hooks[0]["incident"]["key"] == inc["key"]
    assert "not acknowledged" in hooks[0]["subject"]
    # every message sent is on the incident's timeline
    tl = env.inst.get(f"/api/v1/incidents/{inc['id']}/timeline").json["items"]
    assert any(t["kind"] == "communication" and "incident.escalation" in t["text"] for t in tl)


def test_acknowledgement_stops_escalation_across_a_restart(env):
    inst, inc = env.inst, env.incident
    r = inst.post(f"/api/v1/incidents/{inc['id']}/transitions", {"to": "triage"})
    assert r.status == 200, r
    sc = wait_for(lambda: env.events("incident.status_changed"), what="status message")
    assert sc[0]["data"]["from"] == "new" and sc[0]["data"]["to"] == "triage"
    assert "triage" in sc[0]["subject"]
    st = inst.get(f"/api/v1/incidents/{inc['id']}/escalation").json
    assert st["acknowledged"] is True
    assert [lv["state"] for lv in st["levels"]] == ["sent", "sent", "cancelled", "cancelled"]
    reason = st["levels"][2]["messages"][0]["reason"]
    assert "acknowledged" in reason and "triage" in reason
    # a restart and the time of levels 3 and 4: nothing more goes out
    inst.stop()
    env.set(T0 + timedelta(hours=5))
    inst.start()
    time.sleep(3)
    assert not env.mails("Escalation level 3") and not env.mails("Escalation level 4")
    assert not [e for e in env.events("incident.escalation") if e["data"]["level"] > 2]
    rows = inst.sql("SELECT status FROM outbox WHERE event = 'incident.escalation'"
                    " ORDER BY id").split()
    assert rows.count("cancelled") == 4 and rows.count("sent") == 4 and len(rows) == 8


def test_assignment_message(env):
    inst, inc = env.inst, env.incident
    r = inst.patch(f"/api/v1/incidents/{inc['id']}", {"commander": "alice@example.com",
                                                       "assignees": ["alice@example.com"]})
    assert r.status == 200, r
    msg = wait_for(lambda: env.events("incident.assigned"), what="assignment message")[0]
    assert msg["data"]["recipients"] == ["alice@example.com"]
    assert msg["subject"] == f"You are assigned to {inc['key']}: Ransomware on the file server"


def test_overdue_task_message(env):
    inst, inc = env.inst, env.incident
    due = env.now + timedelta(hours=1)
    r = inst.post(f"/api/v1/incidents/{inc['id']}/tasks",
                  {"title": "Isolate the file server", "due_at": iso(due),
                   "assignee": "alice@example.com"})
    assert r.status == 201, r
    time.sleep(2.5)
    assert not [e for e in env.events("task.overdue")
                if e["data"]["due"] == iso(due)]
    env.set(due + timedelta(minutes=1))
    msg = wait_for(lambda: [e for e in env.events("task.overdue") if e["data"]["due"] == iso(due)],
                   what="overdue task")[0]
    assert "Isolate the file server" in msg["subject"]
    assert msg["data"]["recipients"] == ["alice@example.com"]
    time.sleep(2.5)  # once, not at every pass
    assert len([e for e in env.events("task.overdue") if e["data"]["due"] == iso(due)]) == 1


def test_gdpr_reminder_before_the_72_hour_deadline(env):
    inc = env.incident
    env.set(T0 + timedelta(hours=48, minutes=30))  # 23.5 hours left: the 24 h reminder
    rem = wait_for(lambda: [e for e in env.events("clock.reminder")
                            if e["incident"]["key"] == inc["key"]], what="GDPR reminder")[0]
    assert "GDPR" in rem["subject"] and "23h 30m" in rem["subject"]
    assert "To be notified: supervisory authority" in rem["text"]
    mail = wait_for(lambda: env.mails("Reminder:"), what="reminder e-mail")[0]
    # the plan's owner of the GDPR requirement is the legal and privacy lead
    assert [a.addr_spec for a in mail["To"].addresses] == ["dave@example.com"]


def test_compliance_uses_the_real_clocks(env):
    inst, inc = env.inst, env.incident
    env.set(T0 + timedelta(hours=73))  # the GDPR deadline passed unmet
    wait_for(lambda: [e for e in env.events("clock.breach")
                      if e["incident"]["key"] == inc["key"]], what="breach notice")
    r = inst.get("/api/v1/compliance")
    assert r.status == 200, r
    assert r.json["inputs"]["notifications"] is True
    assert inc["key"] in json.dumps(r.json)


def test_time_to_notify_from_the_real_submission(env):
    inst, inc = env.inst, env.incident
    env.set(T0 + timedelta(hours=74))
    gdpr = inst.get(f"/api/v1/incidents/{inc['id']}/clocks").json["items"][0]
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clocks/{gdpr['id']}/submissions",
                  {"stage": "notification", "authority": "BfDI", "reference": "DE-1",
                   "submitted_at": iso(T0 + timedelta(hours=74)),
                   "submitted_by": "dave@example.com",
                   "justification": "forensics needed two more hours to scope the data"})
    assert r.status in (200, 201), r
    assert r.json["stages"][0]["status"] == "late"
    r = inst.post(f"/api/v1/incidents/{inc['key']}/review")
    assert r.status == 201, r
    assert r.json["facts"]["measures"]["time_to_notify_seconds"] == 74 * 3600
    # the compliance status names the late notification
    doc = inst.get("/api/v1/compliance").json
    cc74 = next(c for f in doc["frameworks"] for c in f["controls"] if c["id"] == "CC7.4")
    late = {q["check"]: q for q in cc74["requirements"]}["notifications_timely"]
    assert late["status"] == "not_met"
    assert any(inc["key"] in x["text"] for x in late["reasons"])
