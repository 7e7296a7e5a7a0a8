"""The incident log (issue 4): full record, lifecycle, timeline, tasks,
indicators, search and the CLI, on both backends."""
import json
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from sirt_harness import ADMIN_PASSWORD

INC = "/api/v1/incidents"


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = datetime.now(timezone.utc).replace(microsecond=0)
H = timedelta(hours=1)


@pytest.fixture(scope="module")
def users(inst):
    """bob and carol are members of Acme; eve is the admin of another organisation."""
    for email in ("bob@example.com", "carol@example.com"):
        inst.cli("init", "--force", "--org", "Acme", "--admin-email", email,
                 env={"SIRT_ADMIN_PASSWORD": ADMIN_PASSWORD}, check=True)
    inst.cli("init", "--force", "--org", "Other", "--admin-email", "eve@example.com",
             env={"SIRT_ADMIN_PASSWORD": ADMIN_PASSWORD}, check=True)
    return {"eve": inst.token("eve@example.com", org="Other")}


def create(inst, **kw):
    body = {"title": "Suspicious login", "severity": "high"}
    body.update(kw)
    r = inst.post(INC, body)
    assert r.status == 201, r
    return r.json


def fields(r):
    assert r.json and "errors" in r.json, r
    return {e["field"]: e["message"] for e in r.json["errors"]}


def transition(inst, ref, to, headers=None, **kw):
    return inst.post(f"{INC}/{ref}/transitions", dict(kw, to=to), headers=headers)


def timeline(inst, ref):
    r = inst.get(f"{INC}/{ref}/timeline")
    assert r.status == 200, r
    return r.json["items"]


# ---------------------------------------------------------------- the record

def test_full_record_round_trip(inst, users):
    other = create(inst, title="Earlier phishing wave")
    body = {
        "title": "Ransomware on file server",
        "description": "Files encrypted on **fs01**.",
        "severity": "critical",
        "category": "ransomware",
        "attack_vector": "email",
        "veris_action": "malware",
        "occurred_at": iso(NOW - 5 * H),
        "detected_at": iso(NOW - 4 * H).replace("Z", "+00:00"),
        "aware_at": (NOW - 3 * H).astimezone(timezone(timedelta(hours=2))).isoformat(),
        "reporter": "Helpdesk",
        "commander": "Bob@Example.com",
        "assignees": ["carol@example.com", "admin@example.com"],
        "affected_systems": ["fs01", "backup01"],
        "affected_customers": ["Contoso"],
        "data_types": ["payroll"],
        "personal_data": True,
        "impact_functional": "high",
        "impact_information": "privacy",
        "impact_recoverability": "extended",
        "tlp": "amber+strict",
        "tags": ["Ransom", "fs", "fs"],
        "related": [other["key"]],
        "plan_version": "2026.1",
    }
    r = inst.post(INC, body)
    assert r.status == 201, r
    rec = r.json
    assert r.headers["etag"] == '"1"'
    got = inst.get(f"{INC}/{rec['id']}").json
    assert got == rec
    by_key = inst.get(f"{INC}/{rec['key']}")
    assert by_key.status == 200 and by_key.json == rec
    assert inst.get(f"{INC}/{rec['key'].lower()}").json["id"] == rec["id"]
    assert rec["status"] == "new"
    assert rec["occurred_at"] == iso(NOW - 5 * H)
    assert rec["detected_at"] == iso(NOW - 4 * H)
    assert rec["aware_at"] == iso(NOW - 3 * H)          # stored and returned in UTC
    assert rec["commander"] == "bob@example.com"
    assert rec["assignees"] == ["admin@example.com", "carol@example.com"]
    assert rec["tags"] == ["fs", "ransom"]
    assert rec["related"] == [other["key"]]
    assert rec["personal_data"] is True
    for k in ("category", "attack_vector", "veris_action", "affected_systems", "affected_customers",
              "data_types", "impact_functional", "impact_information", "impact_recoverability",
              "tlp", "plan_version", "reporter", "description"):
        assert rec[k] == body[k], k
    # the relation shows from the other side too
    assert inst.get(f"{INC}/{other['key']}").json["related"] == [rec["key"]]
    # listed with the full record
    lst = inst.get(f"{INC}?tag=ransom").json["items"]
    assert lst == [rec]


@pytest.mark.parametrize("field,value", [
    ("category", "cyber"), ("category", "Malware"), ("attack_vector", "usb"),
    ("veris_action", "Hacking"), ("resolution", "solved"), ("root_cause_category", "gremlins"),
    ("impact_functional", "severe"), ("impact_information", "secret"),
    ("impact_recoverability", "never"), ("tlp", "white"), ("severity", "urgent"),
])
def test_unknown_enumeration_values(inst, field, value):
    r = inst.post(INC, {"title": "x", "severity": "low", field: value})
    assert r.status == 422, r
    assert "must be one of" in fields(r)[field]


def test_bad_record_input(inst, users):
    cases = [
        ({"title": "   ", "severity": "low"}, "title"),
        ({"severity": "low"}, "title"),
        ({"title": "x", "severity": "low", "commander": "nobody@example.com"}, "commander"),
        ({"title": "x", "severity": "low", "commander": "eve@example.com"}, "commander"),
        ({"title": "x", "severity": "low", "assignees": ["eve@example.com"]}, "assignees"),
        ({"title": "x", "severity": "low", "related": ["INC-1999-9999"]}, "related"),
        ({"title": "x", "severity": "low", "tags": [""]}, "tags"),
        ({"title": "x", "severity": "low", "personal_data": "yes"}, "personal_data"),
        ({"title": "x", "severity": "low", "detected_at": "2026-03-01 10:00"}, "detected_at"),
        ({"title": "x", "severity": "low", "detected_at": "2026-03-01T10:00:00"}, "detected_at"),
        ({"title": "x", "severity": "low", "status": "closed"}, "status"),
        ({"title": "x", "severity": "low", "key": "INC-2026-0001"}, "key"),
    ]
    for body, field in cases:
        r = inst.post(INC, body)
        assert r.status == 422, (body, r)
        assert field in fields(r), (body, r.json)


def test_times_in_the_future_or_out_of_order(inst):
    cases = [
        ({"detected_at": iso(NOW + 2 * H)}, "detected_at", "in the future"),
        ({"occurred_at": iso(NOW + 24 * H)}, "occurred_at", "in the future"),
        ({"occurred_at": iso(NOW - H), "detected_at": iso(NOW - 2 * H)}, "detected_at",
         "before occurred_at"),
        ({"detected_at": iso(NOW - H), "aware_at": iso(NOW - 2 * H)}, "aware_at",
         "aware_at is before detected_at"),
    ]
    for extra, field, msg in cases:
        r = inst.post(INC, dict({"title": "t", "severity": "low"}, **extra))
        assert r.status == 422, r
        assert msg in fields(r)[field], r.json
    # PATCH obeys the same rules against the stored times
    rec = create(inst, occurred_at=iso(NOW - 3 * H), detected_at=iso(NOW - 2 * H))
    r = inst.patch(f"{INC}/{rec['id']}", {"occurred_at": iso(NOW - H)})
    assert r.status == 422 and "detected_at" in fields(r), r
    r = inst.patch(f"{INC}/{rec['id']}", {"aware_at": iso(NOW + 3 * H)})
    assert r.status == 422 and "in the future" in fields(r)["aware_at"]
    assert inst.get(f"{INC}/{rec['id']}").json["version"] == 1  # nothing half-written


def test_patch_records_every_change_on_the_timeline(inst, users):
    rec = create(inst, title="Login from TOR", severity="low")
    r = inst.patch(f"{INC}/{rec['id']}", {"severity": "high", "tags": ["tor"],
                                          "commander": "carol@example.com",
                                          "personal_data": True},
                   headers={"If-Match": '"1"'})
    assert r.status == 200, r
    assert r.json["severity"] == "high" and r.json["version"] == 2
    assert r.json["commander"] == "carol@example.com" and r.json["tags"] == ["tor"]
    assert r.headers["etag"] == '"2"'
    sys_entries = [e for e in timeline(inst, rec["id"]) if e["kind"] == "system"]
    assert sys_entries[0]["text"] == "Incident created"
    last = sys_entries[-1]
    assert "severity: \"low\" → \"high\"" in last["text"]
    assert last["details"]["changes"]["severity"] == {"from": "low", "to": "high"}
    assert last["author"] == "admin@example.com"
    # stale If-Match
    r = inst.patch(f"{INC}/{rec['id']}", {"severity": "low"}, headers={"If-Match": '"1"'})
    assert r.status == 412, r
    assert inst.get(f"{INC}/{rec['id']}").json["severity"] == "high"
    # status is not a field
    r = inst.patch(f"{INC}/{rec['id']}", {"status": "closed"})
    assert r.status == 422 and "/transitions" in fields(r)["status"]
    # lifecycle times are set by transitions
    r = inst.patch(f"{INC}/{rec['id']}", {"resolved_at": iso(NOW)})
    assert r.status == 422 and "transitions" in fields(r)["resolved_at"]
    r = inst.patch(f"{INC}/{rec['id']}", {"id": "x"})
    assert r.status == 422
    # no change, no new version
    r = inst.patch(f"{INC}/{rec['id']}", {"severity": "high"})
    assert r.status == 200 and r.json["version"] == 2
    # clearing a field
    r = inst.patch(f"{INC}/{rec['id']}", {"commander": None, "tags": []})
    assert r.json["commander"] is None and r.json["tags"] == [] and r.json["version"] == 3


# ---------------------------------------------------------------- lifecycle

def test_lifecycle_stamps_and_close_rules(inst):
    # medium: no post-incident review needed to close (test_reviews.py covers that rule)
    rec = create(inst, severity="medium", detected_at=iso(NOW - 2 * H))
    ref = rec["key"]
    r = transition(inst, ref, "triage")
    assert r.status == 200, r
    assert r.json["status"] == "triage" and r.json["acknowledged_at"]
    assert r.headers["etag"] == '"2"'
    r = transition(inst, ref, "containment", headers={"If-Match": '"2"'})
    assert r.status == 200 and r.json["contained_at"] is None
    r = transition(inst, ref, "eradication", at=iso(NOW - H))
    assert r.json["contained_at"] == iso(NOW - H)
    r = transition(inst, ref, "containment")
    assert r.status == 422 and "reason" in fields(r)
    r = transition(inst, ref, "containment", reason="re-infected")
    assert r.status == 200
    r = transition(inst, ref, "resolved")
    assert r.status == 200 and r.json["resolved_at"]
    r = transition(inst, ref, "closed")
    assert r.status == 422, r
    errs = fields(r)
    assert "resolution" in errs and "root_cause_category" in errs
    r = transition(inst, ref, "closed", resolution="fixed", root_cause_category="nonsense")
    assert r.status == 422 and "root_cause_category" in fields(r)
    r = transition(inst, ref, "closed", resolution="fixed",
                   root_cause_category="weak_or_stolen_credentials")
    assert r.status == 200, r
    closed = r.json
    assert closed["status"] == "closed" and closed["closed_at"] and closed["resolution"] == "fixed"
    # reopen needs a reason and clears resolved/closed times
    r = transition(inst, ref, "triage")
    assert r.status == 422 and "reason" in fields(r)
    r = transition(inst, ref, "triage", reason="attacker came back")
    assert r.status == 200
    assert r.json["resolved_at"] is None and r.json["closed_at"] is None
    assert r.json["acknowledged_at"] == closed["acknowledged_at"]
    texts = [e["text"] for e in timeline(inst, ref) if e["kind"] == "system"]
    assert any(t.startswith("Status new → triage") for t in texts)
    assert any(t.startswith("Status closed → triage: attacker came back") for t in texts)
    # stale If-Match
    r = transition(inst, ref, "containment", headers={"If-Match": '"2"'})
    assert r.status == 412


def test_illegal_transitions(inst):
    rec = create(inst)
    for to, status in [("closed", 409), ("new", 409), ("recovered", 422), ("NEW", 422)]:
        r = transition(inst, rec["id"], to)
        assert r.status == status, (to, r)
        assert "to" in fields(r)
    transition(inst, rec["id"], "eradication")
    r = transition(inst, rec["id"], "rejected", reject_reason="false_positive")
    assert r.status == 409 and "cannot be rejected" in fields(r)["to"]
    r = transition(inst, rec["id"], "eradication")
    assert r.status == 409 and "already" in fields(r)["to"]
    r = transition(inst, rec["id"], "triage", bogus=1)
    assert r.status == 422 and "bogus" in fields(r)
    r = transition(inst, rec["id"], "recovery", at=iso(NOW + 2 * H))
    assert r.status == 422 and "at" in fields(r)
    r = transition(inst, "INC-1999-0001", "triage")
    assert r.status == 404


def test_reject_as_false_positive_and_duplicate(inst):
    orig = create(inst, title="Original")
    dup = create(inst, title="Same thing again")
    r = transition(inst, dup["id"], "rejected", reject_reason="duplicate")
    assert r.status == 422 and "duplicate_of" in fields(r)
    r = transition(inst, dup["id"], "rejected", reject_reason="duplicate", duplicate_of=dup["key"])
    assert r.status == 422 and "duplicate_of" in fields(r)
    r = transition(inst, dup["id"], "rejected", reject_reason="maybe")
    assert r.status == 422 and "reject_reason" in fields(r)
    r = transition(inst, dup["id"], "rejected", reason="duplicate", duplicate_of=orig["key"])
    assert r.status == 200, r
    assert r.json["status"] == "rejected" and r.json["reject_reason"] == "duplicate"
    assert r.json["duplicate_of"] == orig["key"] and r.json["resolution"] == "duplicate"
    assert r.json["closed_at"] and r.json["acknowledged_at"]
    fp = create(inst, title="Scanner noise")
    r = transition(inst, fp["id"], "rejected", reject_reason="false_positive")
    assert r.status == 200 and r.json["resolution"] == "false_positive"
    # reopening a rejected incident clears the rejection
    r = transition(inst, dup["id"], "triage", reason="not the same after all")
    assert r.status == 200
    assert r.json["reject_reason"] is None and r.json["duplicate_of"] is None
    assert r.json["resolution"] is None


# ---------------------------------------------------------------- timeline

def test_timeline_entries_and_corrections(inst):
    rec = create(inst)
    url = f"{INC}/{rec['id']}/timeline"
    r = inst.post(url, {"kind": "action", "text": "Blocked 203.0.113.7 at the firewall",
                        "occurred_at": iso(NOW - 30 * 60 * timedelta(seconds=1))})
    assert r.status == 201, r
    first = r.json
    assert first["author"] == "admin@example.com" and first["recorded_at"]
    assert first["occurred_at"] == iso(NOW - timedelta(minutes=30))
    for kind in ("note", "decision", "communication"):
        assert inst.post(url, {"kind": kind, "text": f"a {kind}"}).status == 201
    r = inst.post(url, {"kind": "action", "text": "Blocked 203.0.113.8 at the firewall",
                        "corrects": first["id"]})
    assert r.status == 201 and r.json["corrects"] == first["id"]
    fix = r.json
    items = timeline(inst, rec["id"])
    old = next(e for e in items if e["id"] == first["id"])
    assert old["text"] == "Blocked 203.0.113.7 at the firewall"     # unchanged
    assert old["corrected_by"] == [fix["id"]]
    # ordered by when things happened
    whens = [e["occurred_at"] or e["recorded_at"] for e in items]
    assert whens == sorted(whens)
    # pagination
    page = inst.get(url + "?limit=2").json
    assert len(page["items"]) == 2 and page["next_after"]
    rest = inst.get(url + f"?limit=200&after={page['next_after']}").json
    assert [e["id"] for e in page["items"] + rest["items"]] == [e["id"] for e in items]


def test_timeline_bad_input(inst, users):
    rec = create(inst)
    other = create(inst)
    url = f"{INC}/{rec['id']}/timeline"
    bad = [
        ({"kind": "system", "text": "forged"}, "kind"),
        ({"kind": "gossip", "text": "x"}, "kind"),
        ({"kind": "note"}, "text"),
        ({"kind": "note", "text": "  \n "}, "text"),
        ({"kind": "note", "text": "x", "occurred_at": iso(NOW + 3 * H)}, "occurred_at"),
        ({"kind": "note", "text": "x", "author": "someone"}, "author"),
        ({"kind": "note", "text": "x", "recorded_at": iso(NOW)}, "recorded_at"),
        ({"kind": "note", "text": "x", "corrects": 999999}, "corrects"),
    ]
    for body, field in bad:
        r = inst.post(url, body)
        assert r.status == 422, (body, r)
        assert field in fields(r), (body, r.json)
    foreign = timeline(inst, other["id"])[0]["id"]
    r = inst.post(url, {"kind": "note", "text": "x", "corrects": foreign})
    assert r.status == 422 and "corrects" in fields(r)
    # another organisation sees nothing
    r = inst.post(url, {"kind": "note", "text": "x"}, token=users["eve"])
    assert r.status == 404
    assert inst.get(url, token=users["eve"]).status == 404


def test_timeline_is_append_only(inst):
    rec = create(inst)
    url = f"{INC}/{rec['id']}/timeline"
    entry = inst.post(url, {"kind": "note", "text": "keep me"}).json
    assert inst.patch(url, {"text": "x"}).status == 405
    assert inst.delete(url).status == 405
    assert inst.delete(f"{url}/{entry['id']}").status == 404
    for stmt in (f"UPDATE incident_timeline SET text = 'tampered' WHERE id = {entry['id']}",
                 f"DELETE FROM incident_timeline WHERE id = {entry['id']}"):
        with pytest.raises(subprocess.CalledProcessError) as e:
            inst.sql(stmt)
        assert "append-only" in e.value.stderr
    assert any(e["text"] == "keep me" for e in timeline(inst, rec["id"]))


# ---------------------------------------------------------------- tasks

def test_playbook_tasks_and_task_updates(inst, users):
    rec = create(inst, category="phishing")
    url = f"{INC}/{rec['id']}/tasks"
    tasks = inst.get(url).json["items"]
    assert [t["title"] for t in tasks][0] == "Collect the message and its headers"
    assert all(t["source"] == "playbook" and t["status"] == "open" for t in tasks)
    n = len(tasks)
    r = inst.post(url, {"title": "Tell the CFO", "assignee": "carol@example.com",
                        "due_at": iso(NOW + 4 * H)})
    assert r.status == 201, r
    t = r.json
    assert t["assignee"] == "carol@example.com" and t["source"] == "manual"
    r = inst.patch(f"{url}/{t['id']}", {"status": "done"})
    assert r.status == 200 and r.json["status"] == "done" and r.json["completed_at"]
    r = inst.patch(f"{url}/{t['id']}", {"status": "open", "assignee": None, "due_at": None})
    assert r.json["completed_at"] is None and r.json["assignee"] is None and r.json["due_at"] is None
    assert len(inst.get(url).json["items"]) == n + 1
    texts = [e["text"] for e in timeline(inst, rec["id"])]
    assert any("Task added: Tell the CFO" in x for x in texts)
    assert any("status → done" in x for x in texts)
    # bad input
    for body, field in [({"status": "finished"}, "status"), ({"title": ""}, "title"),
                        ({"assignee": "eve@example.com"}, "assignee"), ({"due_at": "soon"}, "due_at"),
                        ({"owner": "x"}, "owner")]:
        r = inst.patch(f"{url}/{t['id']}", body)
        assert r.status == 422 and field in fields(r), (body, r)
    assert inst.post(url, {"assignee": "bob@example.com"}).status == 422
    assert inst.patch(f"{url}/999999", {"status": "done"}).status == 404
    assert inst.patch(f"{url}/abc", {"status": "done"}).status == 404
    # a task of another incident is not reachable through this one
    other = create(inst)
    assert inst.patch(f"{INC}/{other['id']}/tasks/{t['id']}", {"status": "done"}).status == 404


def test_playbook_added_when_category_first_set(inst):
    rec = create(inst)
    url = f"{INC}/{rec['id']}/tasks"
    assert inst.get(url).json["items"] == []
    inst.patch(f"{INC}/{rec['id']}", {"category": "lost_device"})
    n = len(inst.get(url).json["items"])
    assert n > 0
    inst.patch(f"{INC}/{rec['id']}", {"category": "malware"})
    assert len(inst.get(url).json["items"]) == n   # only the first category brings a playbook


# ---------------------------------------------------------------- indicators

def test_indicators(inst, users):
    a = create(inst, title="Scan from 198.51.100.23", tlp="green")
    b = create(inst, title="Brute force")
    url = f"{INC}/{a['id']}/indicators"
    r = inst.post(url, {"type": "ip", "value": " 198.51.100[.]23 ",
                        "first_seen": iso(NOW - 2 * H)})
    assert r.status == 201, r
    ind = r.json
    assert ind["value"] == "198.51.100.23" and ind["tlp"] == "green"
    assert ind["first_seen"] == ind["last_seen"] == iso(NOW - 2 * H)
    r = inst.post(url, {"type": "ip", "value": "198.51.100.23"})
    assert r.status == 200, r
    assert r.json["id"] == ind["id"] and r.json["first_seen"] == iso(NOW - 2 * H)
    assert r.json["last_seen"] > ind["last_seen"]
    assert len(inst.get(url).json["items"]) == 1
    inst.post(url, {"type": "domain", "value": "Evil.Example.COM.", "tlp": "red",
                    "description": "C2 domain"})
    inst.post(url, {"type": "sha256", "value": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"})
    r = inst.post(f"{INC}/{b['id']}/indicators", {"type": "ip", "value": "198.51.100.23"})
    assert r.status == 201
    # where else did we see it?
    r = inst.get("/api/v1/indicators?value=198.51.100%5B.%5D23")
    assert r.status == 200, r
    keys = sorted(x["incident"]["key"] for x in r.json["items"])
    assert keys == sorted([a["key"], b["key"]])
    r = inst.get("/api/v1/indicators?value=evil.example.com&type=domain")
    assert [x["incident"]["key"] for x in r.json["items"]] == [a["key"]]
    assert r.json["items"][0]["indicator"]["tlp"] == "red"
    assert inst.get("/api/v1/indicators?value=198.51.100.23", token=users["eve"]).json["items"] == []
    assert inst.get("/api/v1/indicators").status == 400
    assert inst.get("/api/v1/indicators?value=x&type=colour").status == 400
    # removal is audited and on the timeline
    r = inst.delete(f"{url}/{ind['id']}")
    assert r.status == 204, r
    assert [x["type"] for x in inst.get(url).json["items"]] == ["domain", "sha256"]
    assert inst.delete(f"{url}/{ind['id']}").status == 404
    audit = inst.sql("SELECT details FROM audit_log WHERE action = 'incident.indicator.delete'")
    assert "198.51.100.23" in audit
    assert any(e["text"].startswith("Indicator removed: ip 198.51.100.23")
               for e in timeline(inst, a["id"]))


@pytest.mark.parametrize("typ,value", [
    ("ip", "300.1.2.3"), ("ip", "10.0.0.1/8"), ("cidr", "10.0.0.1/8"), ("domain", "localhost"),
    ("domain", "-bad-.example.com"), ("url", "javascript:alert(1)"), ("email", "no-at-sign"),
    ("md5", "xyz"), ("sha1", "e3b0c44298fc1c149afbf4c8996fb92427ae41e"), ("file_name", "../etc"),
    ("account", ""),
])
def test_invalid_indicators(inst, typ, value):
    rec = create(inst)
    r = inst.post(f"{INC}/{rec['id']}/indicators", {"type": typ, "value": value})
    assert r.status == 422, (typ, value, r)
    assert "value" in fields(r)


def test_indicator_bad_fields(inst):
    rec = create(inst)
    url = f"{INC}/{rec['id']}/indicators"
    for body, field in [({"type": "colour", "value": "red"}, "type"),
                        ({"type": "ip", "value": "192.0.2.1", "tlp": "white"}, "tlp"),
                        ({"type": "ip", "value": "192.0.2.1", "last_seen": iso(NOW + 2 * H)},
                         "last_seen"),
                        ({"type": "ip", "value": "192.0.2.1", "first_seen": iso(NOW - H),
                          "last_seen": iso(NOW - 2 * H)}, "last_seen")]:
        r = inst.post(url, body)
        assert r.status == 422 and field in fields(r), (body, r)
    assert inst.get(url).json["items"] == []


# ---------------------------------------------------------------- search

@pytest.fixture(scope="module")
def corpus(inst, users):
    """Incidents with a unique tag so the module's other incidents stay out."""
    tag = "corpus"
    specs = [
        dict(title="Payroll export leaked", severity="critical", category="data_breach",
             personal_data=True, detected_at=iso(NOW - 50 * H), commander="bob@example.com",
             assignees=["carol@example.com"]),
        dict(title="Phishing wave against finance", severity="high", category="phishing",
             detected_at=iso(NOW - 40 * H), assignees=["bob@example.com"]),
        dict(title="Laptop left on train", severity="low", category="lost_device",
             detected_at=iso(NOW - 30 * H)),
        dict(title="DDoS on the API", severity="high", category="denial_of_service"),
        dict(title="Malware on build agent", severity="medium", category="malware",
             detected_at=iso(NOW - 40 * H), commander="bob@example.com"),
        dict(title="Unknown beacon", severity="medium"),
    ]
    recs = []
    for s in specs:
        recs.append(create(inst, tags=[tag], **s))
        time.sleep(0.01)
    # timeline text and indicators are searched too
    inst.post(f"{INC}/{recs[2]['id']}/timeline", {"kind": "note", "text": "Device had BitLocker"})
    inst.post(f"{INC}/{recs[5]['id']}/indicators", {"type": "domain", "value": "beacon.badcdn.net"})
    inst.post(f"{INC}/{recs[1]['id']}/indicators", {"type": "ip", "value": "192.0.2.55"})
    # resolve two of them at different times
    transition(inst, recs[3]["id"], "resolved", at=iso(NOW - 3 * H))
    transition(inst, recs[4]["id"], "resolved", at=iso(NOW - 2 * H))
    return recs


def keys_of(inst, query):
    r = inst.get(f"{INC}?tag=corpus&limit=200&{query}")
    assert r.status == 200, r
    return [x["key"] for x in r.json["items"]]


def test_filters(inst, corpus):
    k = [r["key"] for r in corpus]
    assert set(keys_of(inst, "")) == set(k)
    assert set(keys_of(inst, "severity=high")) == {k[1], k[3]}
    assert keys_of(inst, "category=lost_device") == [k[2]]
    assert keys_of(inst, "personal_data=true") == [k[0]]
    assert len(keys_of(inst, "personal_data=false")) == 5
    assert set(keys_of(inst, "commander=bob@example.com")) == {k[0], k[4]}
    assert set(keys_of(inst, "commander=BOB@example.com")) == {k[0], k[4]}
    assert keys_of(inst, "assignee=bob@example.com") == [k[1]]
    assert keys_of(inst, "assignee=carol@example.com") == [k[0]]
    assert set(keys_of(inst, "status=resolved")) == {k[3], k[4]}
    assert set(keys_of(inst, f"detected_from={iso(NOW - 45 * H)}&detected_to={iso(NOW - 35 * H)}")) \
        == {k[1], k[4]}
    assert set(keys_of(inst, f"resolved_from={iso(NOW - 150 * 60 * timedelta(seconds=1))}")) == {k[4]}
    today = NOW.strftime("%Y-%m-%d")
    assert set(keys_of(inst, f"created_from={today}&created_to={today}")) == set(k)
    assert keys_of(inst, "created_to=2000-01-01") == []
    assert keys_of(inst, "category=phishing&severity=low") == []
    # another organisation sees none of them
    r = inst.get(f"{INC}?tag=corpus", token=inst.token("eve@example.com", org="Other"))
    assert r.json["items"] == []


def test_full_text_search(inst, corpus):
    k = [r["key"] for r in corpus]
    assert keys_of(inst, "q=payroll") == [k[0]]
    assert keys_of(inst, "q=PAYROLL%20leaked") == [k[0]]         # every word must match
    assert keys_of(inst, "q=payroll%20phishing") == []
    assert keys_of(inst, "q=bitlocker") == [k[2]]                # timeline text
    assert keys_of(inst, "q=laptop%20bitlocker") == [k[2]]       # title + timeline
    assert keys_of(inst, "q=beacon.badcdn.net") == [k[5]]        # indicator
    assert keys_of(inst, "q=192.0.2.55") == [k[1]]
    assert keys_of(inst, "q=finance&severity=high") == [k[1]]
    assert keys_of(inst, "q=%22finance%22") == [k[1]]            # quotes are just characters
    assert keys_of(inst, "q=nothing-like-this") == []
    r = inst.get(f"{INC}?q=%2A%2A%20--")
    assert r.status == 400 and "no word" in r.json["detail"]
    r = inst.get(f"{INC}?q=" + "%20".join(["w"] * 9))
    assert r.status == 400


def test_search_walk_pages(inst, users):
    """Each word may match in a different place (title, timeline, indicator); pages of a search
    walk the matches in creation order, both ways, with nothing lost or repeated; edited and
    removed indicators are searched as they are now; other organisations stay out."""
    recs = [create(inst, tags=["walk"], title=f"Kestrel case {i}") for i in range(7)]
    for i, rec in enumerate(recs):
        if i % 2 == 0:
            r = inst.post(f"{INC}/{rec['id']}/timeline", {"kind": "note", "text": "osprey sighted"})
            assert r.status == 201, r
        if i >= 2:
            r = inst.post(f"{INC}/{rec['id']}/indicators",
                          {"type": "domain", "value": f"c{i}.harrier.example",
                           "description": "harrier beacon"})
            assert r.status == 201, r
    other = inst.token("eve@example.com", org="Other")
    r = inst.post(INC, {"title": "Kestrel osprey elsewhere", "severity": "low"}, token=other)
    assert r.status == 201, r
    k = [r["key"] for r in recs]

    def pages(query, limit, order):
        got, cursor = [], None
        for _ in range(20):
            q = f"{INC}?{query}&limit={limit}&order={order}" + (f"&cursor={cursor}" if cursor else "")
            r = inst.get(q)
            assert r.status == 200, r
            got += [x["key"] for x in r.json["items"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                return got
        raise AssertionError("too many pages")

    cases = [("q=kestrel%20osprey", [0, 2, 4, 6]),
             ("q=osprey%20harrier", [2, 4, 6]),
             ("q=kestrel%20c5.harrier.example", [5]),
             ("q=kestrel&tag=walk", list(range(7))),
             ("q=kestrel%20nomatch", [])]
    for query, want in cases:
        for limit in (1, 2, 50):
            assert pages(query, limit, "asc") == [k[i] for i in want], (query, limit)
            assert pages(query, limit, "desc") == [k[i] for i in reversed(want)], (query, limit)
        # another sort goes the other way through the index: same set
        assert sorted(pages(query + "&sort=updated_at", 2, "desc")) == sorted(k[i] for i in want)

    # with statistics, PostgreSQL checks words found in many rows along the sort order
    # instead of collecting their ids: the same answers
    inst.sql("ANALYZE")
    for query, want in cases:
        assert pages(query, 2, "desc") == [k[i] for i in reversed(want)], query
        assert sorted(pages(query + "&sort=detected_at", 2, "asc")) == sorted(k[i] for i in want)

    # an indicator's description is searched as it is now, and not once it is removed (its
    # value stays findable: the timeline records the addition and the removal)
    url = f"{INC}/{recs[4]['id']}/indicators"
    for words in ("falconry gloves", "falconry hood"):
        r = inst.post(url, {"type": "domain", "value": "c4.harrier.example", "description": words})
        assert r.status in (200, 201), r
    assert pages("q=falconry%20hood", 50, "desc") == [k[4]]
    assert pages("q=gloves", 50, "desc") == []
    ind = inst.get(url).json["items"]
    assert inst.delete(f"{url}/{ind[0]['id']}").status == 204
    assert pages("q=falconry", 50, "desc") == []
    assert pages("q=c4.harrier.example", 50, "desc") == [k[4]]


def expected_order(recs, field, asc):
    """Rows with a value by (value, creation order); rows without come last by creation order."""
    idx = {r["key"]: i for i, r in enumerate(recs)}
    with_v = [r for r in recs if r[field]]
    without = [r for r in recs if not r[field]]
    with_v.sort(key=lambda r: (r[field], idx[r["key"]]), reverse=not asc)
    without.sort(key=lambda r: idx[r["key"]], reverse=not asc)
    return [r["key"] for r in with_v + without]


@pytest.mark.parametrize("sort", ["created_at", "detected_at", "resolved_at", "updated_at"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_and_keyset_pagination(inst, corpus, sort, order):
    current = [inst.get(f"{INC}/{r['id']}").json for r in corpus]
    want = expected_order(current, sort, order == "asc")
    got, cursor, pages = [], None, 0
    while True:
        q = f"{INC}?tag=corpus&limit=2&sort={sort}&order={order}"
        if cursor:
            q += f"&cursor={cursor}"
        r = inst.get(q)
        assert r.status == 200, r
        got += [x["key"] for x in r.json["items"]]
        cursor = r.json["next_cursor"]
        pages += 1
        if not cursor:
            break
        assert pages < 10
    assert got == want
    assert pages == 3


def test_bad_list_parameters(inst, corpus):
    r = inst.get(f"{INC}?tag=corpus&limit=2&sort=detected_at")
    cursor = r.json["next_cursor"]
    assert cursor
    for q in [f"sort=created_at&cursor={cursor}", f"sort=detected_at&order=asc&cursor={cursor}"]:
        r = inst.get(f"{INC}?{q}")
        assert r.status == 400 and "different sort" in r.json["detail"], r
    for q in ["sort=title", "order=up", "status=open", "category=cyber", "personal_data=maybe",
              "detected_from=yesterday", "cursor=abc", "limit=0", "colour=red"]:
        r = inst.get(f"{INC}?{q}")
        assert r.status == 400, (q, r)


# ---------------------------------------------------------------- CLI

def test_cli(inst, users):
    p = inst.cli("incident", "create", "--org", "Acme", "--title", "From the CLI",
                 "--severity", "medium", "--category", "malware", "--json")
    assert p.returncode == 0, p.stderr
    rec = json.loads(p.stdout)
    assert rec["title"] == "From the CLI" and rec["category"] == "malware"
    assert rec["created_by"].startswith("cli:")
    p = inst.cli("incident", "show", rec["key"], "--org", "Acme")
    assert p.returncode == 0 and "From the CLI" in p.stdout and "Timeline" in p.stdout, p.stderr
    p = inst.cli("incident", "show", rec["key"], "--json")   # one organisation has incidents
    assert p.returncode in (0, 2)
    p = inst.cli("incident", "transition", rec["key"], "--org", "Acme", "--to", "triage")
    assert p.returncode == 0, p.stderr
    assert inst.get(f"{INC}/{rec['key']}").json["status"] == "triage"
    p = inst.cli("incident", "transition", rec["key"], "--org", "Acme", "--to", "closed")
    assert p.returncode == 1 and "cannot" in p.stderr
    p = inst.cli("incident", "list", "--org", "Acme", "--severity", "medium")
    assert p.returncode == 0 and rec["key"] in p.stdout
    assert p.stdout.splitlines()[0].split()[:3] == ["KEY", "SEVERITY", "STATUS"]
    p = inst.cli("incident", "list", "--org", "Acme", "--q", "CLI", "--json")
    assert [x["key"] for x in json.loads(p.stdout)["items"]] == [rec["key"]]
    p = inst.cli("incident", "create", "--org", "Acme", "--title", "x", "--severity", "urgent")
    assert p.returncode == 1 and "severity" in p.stderr
    p = inst.cli("incident", "show", "INC-1999-0001", "--org", "Acme")
    assert p.returncode == 1
    p = inst.cli("incident", "frobnicate")
    assert p.returncode == 2
