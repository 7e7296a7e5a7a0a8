"""Regulatory clocks through the API, with the server's clock moved by the
test (SIRT_FAKE_NOW_FILE): business days across a weekend and holidays, a
DORA incident classified major 30 hours after awareness, GDPR and NIS2 on
one incident with reminders and breach notices through the outbox."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from notify_support import Receiver, add_webhook, body_json, new_incident, notify_instance, wait_for


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


class Clocked:
    def __init__(self, backend, cluster, start):
        import tempfile
        from pathlib import Path
        self.dir = Path(tempfile.mkdtemp(prefix="sirt-clock-"))
        self.file = self.dir / "now"
        self.set(start)
        self.inst = notify_instance(backend, cluster, {"SIRT_FAKE_NOW_FILE": str(self.file)})

    def set(self, dt):
        self.now = dt
        self.file.write_text(iso(dt) + "\n")


@pytest.fixture(scope="module")
def env(backend, cluster):
    c = Clocked(backend, cluster, at("2026-03-02T08:00:00Z"))
    rcv = Receiver()
    add_webhook(c.inst, rcv, name="clock-alerts", path="/clock", events=["clock.*"])
    yield c, c.inst, rcv
    rcv.close()
    c.inst.close()


def stage(clock, key):
    return [s for s in clock["stages"] if s["key"] == key][0]


def test_business_days_across_weekend_and_holidays(env):
    c, inst, _ = env
    definition = {
        "key": "customer_acme", "name": "Acme contract: notice within 2 business days",
        "trigger": "became_aware",
        "calendar": {"weekend": ["saturday", "sunday"],
                     "holidays": ["2026-04-03", "2026-04-06"], "utc_offset": "+00:00"},
        "stages": [{"key": "notice", "name": "Notice to Acme", "recipient": "Acme security",
                    "deadline": {"after": "trigger", "amount": 2, "unit": "business_days"}}],
    }
    r = inst.post("/api/v1/clock-definitions", {"definition": definition, "reminders": [24, 2]})
    assert r.status == 201, r
    assert r.json["builtin"] is False and r.json["reminders"] == [24, 2]
    assert inst.post("/api/v1/clock-definitions", {"definition": definition}).status == 409
    # Thursday before Easter: Good Friday and Easter Monday are holidays, the
    # weekend in between too: Tuesday is day 1, Wednesday day 2.
    r = inst.post("/api/v1/clock-preview", {"key": "customer_acme",
                                            "triggers": {"became_aware": "2026-04-02T10:00:00Z"}})
    assert r.status == 200, r
    assert r.json["stages"][0]["deadline"] == "2026-04-08T10:00:00Z"
    # the same clock without the holidays ends on Monday
    plain = dict(definition, key="customer_plain",
                 calendar={"weekend": ["saturday", "sunday"]})
    r = inst.post("/api/v1/clock-preview", {"definition": plain,
                                            "triggers": {"became_aware": "2026-04-02T10:00:00Z"}})
    assert r.json["stages"][0]["deadline"] == "2026-04-06T10:00:00Z"
    # edit, then delete; built-ins cannot be deleted
    got = inst.get("/api/v1/clock-definitions/customer_acme")
    definition["name"] = "Acme contract (amended)"
    r = inst.request("PUT", "/api/v1/clock-definitions/customer_acme",
                     token=inst.admin_token, body={"definition": definition},
                     headers={"If-Match": got.headers["etag"]})
    assert r.status == 200 and r.json["name"] == "Acme contract (amended)", r
    assert r.json["version"] == 2
    bad = dict(definition, stages=[dict(definition["stages"][0],
                                        deadline={"after": "trigger", "amount": 2,
                                                  "unit": "fortnights"})])
    r = inst.request("PUT", "/api/v1/clock-definitions/customer_acme",
                     token=inst.admin_token, body={"definition": bad})
    assert r.status == 422 and "unit" in r.json["errors"][0]["message"], r
    assert inst.delete("/api/v1/clock-definitions/gdpr_art33").status == 409
    assert inst.delete("/api/v1/clock-definitions/customer_acme").status == 204
    keys = [d["key"] for d in inst.get("/api/v1/clock-definitions").json["items"]]
    assert "customer_acme" not in keys
    for k in ("gdpr_art33", "gdpr_art34", "nis2_art23", "dora_art19", "sec_8k_105",
              "hipaa_breach", "nydfs_500_17", "circia", "customer_contract"):
        assert k in keys


def test_dora_classified_major_30_hours_after_awareness(env):
    c, inst, rcv = env
    t0 = at("2026-03-02T08:00:00Z")
    c.set(t0)
    inc = new_incident(inst, title="Payment platform outage", detected_at=iso(t0))
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clocks", {"definition": "dora-art19"})
    assert r.status == 201, r
    cid = r.json["id"]
    assert stage(r.json, "initial")["status"] == "not_started"
    assert inst.post(f"/api/v1/incidents/{inc['id']}/clocks",
                     {"definition": "dora_art19"}).status == 409
    # classified major 30 hours after awareness, recorded an hour later
    c.set(t0 + timedelta(hours=31))
    r = inst.post(f"/api/v1/incidents/{inc['id']}/decisions",
                  {"decision": "classified_major", "decided_at": iso(t0 + timedelta(hours=30)),
                   "decided_by": "ciso@example.com", "note": "Art. 18 criteria met"})
    assert r.status == 201, r
    assert r.json["decided_by"] == "ciso@example.com"
    clock = inst.get(f"/api/v1/incidents/{inc['id']}/clocks/{cid}").json
    s = stage(clock, "initial")
    # the earlier of classification + 4 h and awareness + 24 h: already past
    assert s["deadline"] == iso(t0 + timedelta(hours=24))
    assert s["by_no_later_than"] is True and s["passed_at_start"] is True
    assert s["status"] == "overdue" and s["time_left_seconds"] == -7 * 3600
    assert clock["status"] == "overdue"
    # the breach notice goes out through the outbox, once
    got = wait_for(lambda: [r for r in rcv.ok("/clock")
                            if body_json(r)["event"] == "clock.breach"
                            and body_json(r)["data"]["clock"] == cid], timeout=30,
                   what="breach notice")
    b = body_json(got[0])
    assert b["data"]["stage"] == "initial" and b["incident"]["id"] == inc["id"]
    assert b["data"]["deadline"] == iso(t0 + timedelta(hours=24))
    # late without a justification is refused; with one it ends "late"
    url = f"/api/v1/incidents/{inc['id']}/clocks/{cid}/submissions"
    r = inst.post(url, {"stage": "initial", "authority": "BaFin", "reference": "R-1"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "justification", r
    r = inst.post(url, {"stage": "initial", "authority": "BaFin", "reference": "R-1",
                        "justification": "classification took 30 hours: logs were unavailable"})
    assert r.status == 201, r
    s = stage(r.json, "initial")
    assert s["status"] == "late" and s["submissions"][0]["authority"] == "BaFin"
    assert s["submissions"][0]["justification"].startswith("classification")
    inter = stage(r.json, "intermediate")
    assert inter["deadline"] == iso(t0 + timedelta(hours=31 + 72))
    assert inter["provisional"] is False
    time.sleep(2.5)
    breaches = [r for r in rcv.ok("/clock") if body_json(r)["event"] == "clock.breach"
                and body_json(r)["data"]["clock"] == cid]
    assert len(breaches) == 1
    notes = inst.get(f"/api/v1/incidents/{inc['id']}/notifications").json["items"]
    assert any(n["event"] == "clock.breach" and n["status"] == "sent" for n in notes)


def test_gdpr_and_nis2_on_one_incident(env):
    c, inst, rcv = env
    t1 = at("2026-03-10T09:00:00Z")
    c.set(t1)
    inc = new_incident(inst, title="Customer database exfiltrated", detected_at=iso(t1))
    inst.sql(f"UPDATE incidents SET personal_data = 1 WHERE uid = '{inc['id']}'")
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clock-rules")
    assert r.status == 200 and r.json["applied"] == 1, r
    gdpr = r.json["items"][0]
    assert gdpr["definition"] == "gdpr_art33" and gdpr["applied_how"] == "rule"
    assert gdpr["rule"] == "personal_data"
    assert inst.post(f"/api/v1/incidents/{inc['id']}/clock-rules").json["applied"] == 0
    nis2 = inst.post(f"/api/v1/incidents/{inc['id']}/clocks", {"definition": "nis2-art23"}).json
    assert stage(gdpr, "notification")["deadline"] == iso(t1 + timedelta(hours=72))
    assert stage(nis2, "early_warning")["deadline"] == iso(t1 + timedelta(hours=24))
    assert stage(nis2, "notification")["deadline"] == iso(t1 + timedelta(hours=72))
    fin = stage(nis2, "final_report")
    assert fin["deadline"] == "2026-04-13T09:00:00Z" and fin["provisional"] is True
    # 21 hours in: 3 hours left for the early warning, inside the 4-hour lead
    c.set(t1 + timedelta(hours=21))
    got = wait_for(lambda: [r for r in rcv.ok("/clock")
                            if body_json(r)["event"] == "clock.reminder"
                            and body_json(r)["data"]["clock"] == nis2["id"]], timeout=30,
                   what="reminder")
    d = body_json(got[0])["data"]
    assert d["stage"] == "early_warning" and d["alert"] == "remind_4h"
    assert d["time_left_seconds"] == 3 * 3600
    lst = inst.get(f"/api/v1/incidents/{inc['id']}/clocks").json["items"]
    ew = stage([x for x in lst if x["id"] == nis2["id"]][0], "early_warning")
    assert ew["status"] == "due_soon" and ew["time_left"] == "3h 0m"
    # early warning sent in time: met
    c.set(t1 + timedelta(hours=22))
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clocks/{nis2['id']}/submissions",
                  {"stage": "early_warning", "authority": "CERT-Bund", "reference": "EW-7",
                   "evidence_id": "ev-123"})
    assert r.status == 201, r
    assert stage(r.json, "early_warning")["status"] == "met"
    # the GDPR notification is decided not to be required
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clocks/{gdpr['id']}/submissions",
                  {"stage": "notification", "outcome": "not_required",
                   "submitted_by": "dpo@example.com"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "decision"
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clocks/{gdpr['id']}/submissions",
                  {"stage": "notification", "outcome": "not_required",
                   "submitted_by": "dpo@example.com",
                   "decision": "data was encrypted at rest; keys not affected"})
    assert r.status == 201, r
    s = stage(r.json, "notification")
    assert s["status"] == "not_required" and s["submissions"][0]["by"] == "dpo@example.com"
    assert r.json["status"] == "complete"
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clocks/{gdpr['id']}/submissions",
                  {"stage": "nope"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "stage"
    # the reminder went out once, whatever the number of scans
    time.sleep(2.5)
    rem = [r for r in rcv.ok("/clock") if body_json(r)["event"] == "clock.reminder"
           and body_json(r)["data"]["clock"] == nis2["id"]]
    assert len(rem) == 1
    dec = inst.get(f"/api/v1/incidents/{inc['id']}/decisions")
    assert dec.status == 200


def test_decision_validation_and_cli(env):
    c, inst, _ = env
    inc = new_incident(inst, title="CLI")
    r = inst.post(f"/api/v1/incidents/{inc['id']}/decisions", {"decision": "Classified Major"})
    assert r.status == 422
    r = inst.post(f"/api/v1/incidents/{inc['id']}/decisions",
                  {"decision": "ransom_paid", "decided_at": iso(c.now + timedelta(days=2))})
    assert r.status == 422
    assert inst.post("/api/v1/incidents/nope/decisions", {"decision": "ransom_paid"}).status == 404
    # SEC 8-K: four business days, ending with the fourth, US Eastern (fixed
    # -05:00); 3 July 2026 is a federal holiday
    p = inst.cli("clock", "preview", "--trigger",
                 "materiality_determined=2026-07-02T15:00:00-04:00", "sec_8k_105", check=True)
    assert '"deadline": "2026-07-10T04:59:59Z"' in p.stdout
    p = inst.cli("clock", "list", inc["key"], check=True)
    assert p.stdout.strip() == "[]"
    p = inst.cli("clock", "defs", check=True)
    assert "dora_art19" in p.stdout
