"""Exercises, their lessons -> action items -> plan revision links, quality
reviews with changes turned into action items, organisational changes that
open a plan review; every refusal precise and nothing half-written."""
import time

import pytest

from reviews_util import DAY, add_org, day, iso

NOW = int(time.time())
EX = "/api/v1/exercises"
QR = "/api/v1/quality-reviews"


def test_future_exercise_cannot_be_held(inst):
    r = inst.post(EX, {"kind": "tabletop", "title": "Ransomware", "status": "held",
                       "scheduled_at": iso(NOW + 7 * DAY)})
    assert r.status == 422, r
    assert r.json["errors"][0]["field"] == "status"
    assert "in the future" in r.json["detail"]
    assert inst.get(EX).json["items"] == []  # nothing written
    r = inst.post(EX, {"kind": "tabletop", "title": "Ransomware",
                       "scheduled_at": iso(NOW + 7 * DAY)})
    assert r.status == 201 and r.json["status"] == "planned" and r.json["held_at"] is None
    ex = r.json
    r = inst.patch(f"{EX}/{ex['id']}", {"status": "held", "observations": "x"})
    assert r.status == 422 and "cannot be marked held" in r.json["detail"]
    got = inst.get(f"{EX}/{ex['id']}").json
    assert got["status"] == "planned" and got["observations"] == ""
    # moved into the past, it can be held
    r = inst.patch(f"{EX}/{ex['id']}", {"scheduled_at": iso(NOW - DAY), "status": "held"},
                   headers={"If-Match": f'"{got["version"]}"'})
    assert r.status == 200 and r.json["status"] == "held" and r.json["held_at"] == iso(NOW - DAY)


def test_bad_exercise_input(inst):
    r = inst.post(EX, {"kind": "drill", "title": " ", "scheduled_at": "tomorrow",
                       "participants": [{"email": "not-an-email"}, "x"],
                       "injects": [{"text": "Email from attacker"}]})
    assert r.status == 422
    fields = {e["field"] for e in r.json["errors"]}
    assert {"kind", "scheduled_at"} <= fields
    r = inst.post(EX, {"kind": "simulation", "title": " ", "scheduled_at": iso(NOW - DAY),
                       "participants": [{"email": "not-an-email"}, "x"],
                       "injects": [{"text": "Email from attacker"}]})
    fields = {e["field"] for e in r.json["errors"]}
    assert fields == {"title", "participants[0].name", "participants[1]", "injects[0].at"}, r.json


def test_exercise_lessons_to_plan_revision(inst):
    body = {"kind": "tabletop", "title": "Supplier breach", "scheduled_at": iso(NOW - 2 * DAY),
            "status": "held", "duration_minutes": 90,
            "scenario": "A supplier reports a breach of our customer data.",
            "objectives": ["Test the external communication plan", "Test GDPR clock handling"],
            "injects": [{"offset_minutes": 0, "text": "Supplier e-mail arrives"},
                        {"at": iso(NOW - 2 * DAY + 1800), "text": "Journalist calls"}],
            "participants": [{"name": "Alice", "email": "alice@example.com", "role": "commander",
                              "attended": True},
                             {"name": "Bob", "role": "comms", "attended": False},
                             {"name": "Carol", "email": "carol@example.com", "attended": True}],
            "observations": "Nobody knew the supplier contact.",
            "findings": ["No supplier contact list", "Press line unclear"],
            "lessons_learned": "Keep supplier contacts in the plan.",
            "facilitator": "Dana", "plan_version_id": "pv-3", "plan_version_label": "v3"}
    r = inst.post(EX, body)
    assert r.status == 201, r
    ex = r.json
    assert ex["status"] == "held" and ex["plan_version"] == {"id": "pv-3", "label": "v3"}
    assert ex["attendance"] == {"invited": 3, "attended": 2}
    assert [p["name"] for p in ex["participants"]] == ["Alice", "Bob", "Carol"]
    assert ex["injects"][1]["text"] == "Journalist calls"
    # lessons -> an action item -> the plan revision it caused
    r = inst.post("/api/v1/actions", {"source_type": "exercise", "source_id": ex["id"],
                                      "title": "Add supplier contacts to the plan",
                                      "owner": "alice@example.com",
                                      "due_date": day(NOW + 14 * DAY)})
    assert r.status == 201
    act = r.json
    r = inst.patch(f"/api/v1/actions/{act['id']}",
                   {"status": "done", "verification_note": "Plan v4 lists them.",
                    "plan_version_id": "pv-4", "plan_version_label": "v4"})
    assert r.status == 200, r
    got = inst.get(f"{EX}/{ex['id']}").json
    assert [a["id"] for a in got["action_items"]] == [act["id"]]
    assert got["plan_revisions"][0]["id"] == "pv-4"
    assert got["plan_revisions"][0]["label"] == "v4"
    assert got["plan_revisions"][0]["action_id"] == act["id"]
    # attendance for the team area's training records
    att = inst.get(f"{EX}/attendance").json["items"]
    names = [(a["name"], a["exercise_id"]) for a in att]
    assert ("Alice", ex["id"]) in names and ("Carol", ex["id"]) in names
    assert all(a["name"] != "Bob" for a in att)
    # list and filters
    held = inst.get(f"{EX}?status=held").json["items"]
    assert ex["id"] in [e["id"] for e in held]
    assert inst.get(f"{EX}?kind=full_scale").json["items"] == []
    assert inst.get(f"{EX}?kind=drill").status == 400


def test_quality_review_completion_rules(inst):
    r = inst.post(QR, {"subject": "team", "due_date": day(NOW + 10 * DAY),
                       "reviewer": "dana@example.com"})
    assert r.status == 201 and r.json["status"] == "open" and r.json["reason"] == "scheduled"
    q = r.json
    # completing needs an outcome
    r = inst.patch(f"{QR}/{q['id']}", {"status": "done"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "outcome"
    # changes_required needs changes, each with an owner and a due date
    r = inst.patch(f"{QR}/{q['id']}", {"status": "done", "outcome": "changes_required"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "changes"
    before = len(inst.get("/api/v1/actions?source_type=quality_review").json["items"])
    r = inst.patch(f"{QR}/{q['id']}", {"status": "done", "outcome": "changes_required",
                                        "changes": [{"title": "Update Bob's phone",
                                                     "owner": "bob@example.com",
                                                     "due_date": day(NOW + 7 * DAY)},
                                                    {"title": "Remove leavers"}]})
    assert r.status == 422
    assert {e["field"] for e in r.json["errors"]} == {"changes[1].owner", "changes[1].due_date"}
    assert inst.get(f"{QR}/{q['id']}").json["status"] == "open"
    assert len(inst.get("/api/v1/actions?source_type=quality_review").json["items"]) == before
    r = inst.patch(f"{QR}/{q['id']}", {"reviewed_on": day(NOW + 2 * DAY), "status": "done",
                                        "outcome": "pass"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "reviewed_on"
    r = inst.patch(f"{QR}/{q['id']}", {"status": "done", "outcome": "changes_required",
                                        "notes": "Two numbers out of date.",
                                        "changes": [{"title": "Update Bob's phone",
                                                     "owner": "bob@example.com",
                                                     "due_date": day(NOW + 7 * DAY)},
                                                    {"title": "Remove leavers", "owner": "Dana",
                                                     "due_date": day(NOW + 7 * DAY),
                                                     "priority": "high"}]})
    assert r.status == 200, r
    done = r.json
    assert done["status"] == "done" and done["reviewed_on"] == day(NOW)
    assert [a["title"] for a in done["action_items"]] == ["Update Bob's phone", "Remove leavers"]
    assert all(a["source"] == {"type": "quality_review", "id": q["id"]}
               for a in done["action_items"])
    r = inst.patch(f"{QR}/{q['id']}", {"notes": "later"})
    assert r.status == 409 and "cannot change" in r.json["detail"]


def test_schedule_and_cadence(inst):
    sched = {s["subject"]: s for s in inst.get(f"{QR}/schedule").json["subjects"]}
    assert sched["team"]["last_reviewed_on"] == day(NOW)
    assert sched["team"]["cadence_days"] == 90 and sched["team"]["overdue"] is False
    assert sched["playbooks"]["last_reviewed_on"] is None and sched["playbooks"]["overdue"]
    r = inst.request("PUT", f"{QR}/cadence", token=inst.admin_token, body={"team": 30})
    assert r.status == 200
    sched = {s["subject"]: s for s in r.json["subjects"]}
    assert sched["team"]["cadence_days"] == 30
    assert sched["team"]["next_due"] == day(NOW + 30 * DAY)
    r = inst.request("PUT", f"{QR}/cadence", token=inst.admin_token,
                     body={"team": 0, "office": 3})
    assert r.status == 422
    # overdue ones surfaced
    r = inst.post(QR, {"subject": "clocks", "due_date": day(NOW - 5 * DAY)})
    assert r.status == 201
    over = inst.get(f"{QR}?overdue=true").json["items"]
    assert [q["subject"] for q in over] == ["clocks"] and over[0]["days_overdue"] == 5


def test_org_change_opens_plan_review(inst):
    r = inst.post("/api/v1/org-changes", {"title": "Acquired Initech", "kind": "merger_acquisition",
                                          "changed_on": day(NOW)})
    assert r.status == 201, r
    q = r.json["quality_review"]
    assert q["subject"] == "plan" and q["reason"] == "organisational_change"
    assert q["status"] == "open" and q["due_date"] == day(NOW + 30 * DAY)
    assert q["org_change"]["title"] == "Acquired Initech"
    changes = inst.get("/api/v1/org-changes").json["items"]
    assert changes[0]["title"] == "Acquired Initech"
    assert changes[0]["quality_review"]["id"] == q["id"]
    r = inst.post("/api/v1/org-changes", {"title": "x"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "changed_on"


def test_isolation(inst):
    other = add_org(inst, "Umbrella", "boss@umbrella.example")
    assert inst.get(EX, token=other).json["items"] == []
    ex = inst.get(EX).json["items"][0]
    assert inst.get(f"{EX}/{ex['id']}", token=other).status == 404
    assert inst.patch(f"{EX}/{ex['id']}", {"title": "x"}, token=other).status == 404
    assert inst.get(QR, token=other).json["items"] == []
    assert inst.get("/api/v1/org-changes", token=other).json["items"] == []
    assert inst.post("/api/v1/actions", {"source_type": "exercise", "source_id": ex["id"],
                                         "title": "x", "owner": "y",
                                         "due_date": day(NOW)}, token=other).status == 422
