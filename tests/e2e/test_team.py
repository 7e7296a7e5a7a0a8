"""The response team (issue 5): members and contact validation, roles,
training records and gaps, contact verification links, on-call rotations
with a hand-off and an override, on both backends."""
import json

import pytest

TEAM = "/api/v1/team"
ONCALL = "/api/v1/oncall"


def problem(r, status, field=None, detail=None):
    assert r.status == status, r
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    if field:
        assert field in [e["field"] for e in r.json.get("errors", [])], r.json
    if detail:
        assert detail in r.json["detail"], r.json
    return r.json


def count_members(inst):
    return len(inst.get(f"{TEAM}/members?include_inactive=true").json["items"])


@pytest.fixture(scope="module")
def members(inst):
    out = {}
    for name, extra in [
        ("Alice", {"email": "alice@example.com", "phone": "+4915112345678",
                   "ooh_phone": "+4915187654321", "chat_handle": "@alice",
                   "time_zone": "Europe/Berlin", "roles": ["incident_commander"]}),
        ("Bob", {"email": "bob@example.com", "phone": "+14155550100",
                 "time_zone": "America/New_York", "roles": ["incident_commander",
                                                           "technical_lead"]}),
        ("Carol", {"email": "carol@example.com", "roles": ["deputy_commander"]}),
        ("Dan", {"email": "dan@example.com", "roles": ["communications_lead"]}),
    ]:
        r = inst.post(f"{TEAM}/members", dict(name=name, **extra))
        assert r.status == 201, r
        out[name] = r.json["id"]
    return out


def test_member_contact_details_are_validated(inst, members):
    before = count_members(inst)
    problem(inst.post(f"{TEAM}/members", {"name": "X", "email": "not-an-email"}), 422, "email")
    problem(inst.post(f"{TEAM}/members", {"name": "X", "phone": "0151 1234567"}), 422, "phone")
    problem(inst.post(f"{TEAM}/members", {"name": "X", "ooh_phone": "+0123456789"}), 422,
            "ooh_phone")
    problem(inst.post(f"{TEAM}/members", {"name": "X", "time_zone": "Mars/Base"}), 422,
            "time_zone")
    problem(inst.post(f"{TEAM}/members", {"name": "X", "roles": ["wizard"]}), 422, "roles[0]")
    problem(inst.post(f"{TEAM}/members", {"name": "X", "user": "nobody@example.com"}), 422,
            "user")
    problem(inst.post(f"{TEAM}/members", {"name": "X", "deputy": "no-such-member"}), 422,
            "deputy")
    problem(inst.post(f"{TEAM}/members", {"name": "X", "shoe_size": 44}), 422, "shoe_size")
    assert count_members(inst) == before, "nothing half-written"
    r = inst.patch(f"{TEAM}/members/{members['Alice']}", {"phone": "+44 20 7946 0000"})
    problem(r, 422, "phone")
    assert inst.get(f"{TEAM}/members/{members['Alice']}").json["phone"] == "+4915112345678"


def test_member_roles_deputy_and_custom_roles(inst, members):
    r = inst.post(f"{TEAM}/roles", {"key": "forensics_lead", "name": "Forensics lead"})
    assert r.status == 201, r
    problem(inst.post(f"{TEAM}/roles", {"key": "forensics_lead", "name": "Again"}), 409, "key")
    problem(inst.post(f"{TEAM}/roles", {"key": "Forensics", "name": "Bad"}), 422, "key")
    keys = [x["key"] for x in inst.get(f"{TEAM}/roles").json["items"]]
    assert "incident_commander" in keys and "forensics_lead" in keys
    r = inst.patch(f"{TEAM}/members/{members['Carol']}",
                   {"roles": ["deputy_commander", "forensics_lead"], "deputy": members["Alice"],
                    "chat_handle": "@carol"})
    assert r.status == 200, r
    assert r.json["roles"] == ["deputy_commander", "forensics_lead"]
    assert r.json["deputy"] == {"id": members["Alice"], "name": "Alice"}
    problem(inst.patch(f"{TEAM}/members/{members['Carol']}", {"deputy": members["Carol"]}),
            422, "deputy")
    r = inst.patch(f"{TEAM}/members/{members['Carol']}", {"chat_handle": None})
    assert r.status == 200 and r.json["chat_handle"] is None
    m = inst.get(f"{TEAM}/members/{members['Alice']}").json
    assert m["time_zone"] == "Europe/Berlin" and m["ooh_phone"] == "+4915187654321"


def test_training_records_and_gaps(inst, members):
    problem(inst.post(f"{TEAM}/trainings", {"member": members["Alice"], "course": "IR basics",
                                            "completed_on": "2099-01-01"}),
            422, "completed_on")
    problem(inst.post(f"{TEAM}/trainings", {"member": members["Alice"], "course": "IR basics",
                                            "completed_on": "2025-06-01",
                                            "expires_on": "2025-05-01"}),
            422, "expires_on")
    problem(inst.post(f"{TEAM}/trainings", {"member": "nope", "course": "IR basics",
                                            "completed_on": "2025-06-01"}), 422, "member")
    assert inst.get(f"{TEAM}/trainings").json["items"] == [], "nothing half-written"
    import datetime
    today = datetime.date.today()
    recent = (today - datetime.timedelta(days=30)).isoformat()
    r = inst.post(f"{TEAM}/trainings", {"member": members["Alice"],
                                        "course": "Acme incident response plan walkthrough",
                                        "provider": "Acme security", "completed_on": recent})
    assert r.status == 201, r
    # the default expiry is 12 months after the training
    assert int(r.json["expires_on"][:4]) == int(recent[:4]) + 1
    assert r.json["expires_on"][5:] == recent[5:] or recent[5:] == "02-29"
    r = inst.post(f"{TEAM}/trainings", {"member": members["Bob"], "course": "Tabletop 2023",
                                        "completed_on": "2023-03-01"})
    assert r.status == 201, r
    r = inst.post(f"{TEAM}/trainings", {"member": members["Dan"], "course": "Comms drill",
                                        "completed_on": recent,
                                        "expires_on": (today + datetime.timedelta(days=10)).isoformat()})
    assert r.status == 201, r
    g = inst.get(f"{TEAM}/training-gaps").json
    assert [m["name"] for m in g["missing"]] == ["Carol"]
    assert [m["name"] for m in g["expired"]] == ["Bob"]
    assert g["expired"][0]["expires_on"] == "2024-03-01"
    assert [m["name"] for m in g["expiring"]] == ["Dan"]
    assert g["summary"]["members"] == 4 and g["summary"]["trained"] == 2
    m = inst.get(f"{TEAM}/members/{members['Bob']}").json
    assert m["training"]["status"] == "expired"
    assert len(inst.get(f"{TEAM}/trainings?member={members['Alice']}").json["items"]) == 1
    p = inst.cli("team", "gaps", check=True)
    assert [m["name"] for m in json.loads(p.stdout)["missing"]] == ["Carol"]


def test_contact_verification(inst, members):
    r = inst.post(f"{TEAM}/members/{members['Alice']}/verify-contact")
    assert r.status == 201, r
    link = r.json["link"]
    assert link.startswith("/verify/") and r.json["expires_at"]
    token = link.split("/")[-1]
    # the token is stored hashed
    stored = inst.sql("SELECT token_hash FROM contact_verifications").split()
    assert token not in stored and len(stored[0]) == 64
    # the link is public: no Authorization header
    r = inst.request("GET", link)
    assert r.status == 200, r
    assert r.json["name"] == "Alice" and r.json["details"]["phone"] == "+4915112345678"
    assert r.json["answered"] is False
    problem(inst.request("POST", link, body={"answer": "correction"}), 422, "correction")
    problem(inst.request("POST", link, body={"answer": "maybe"}), 422, "answer")
    r = inst.request("POST", link, body={"answer": "confirmed"})
    assert r.status == 200 and r.json["answer"] == "confirmed", r
    problem(inst.request("POST", link, body={"answer": "confirmed"}), 409)
    m = inst.get(f"{TEAM}/members/{members['Alice']}").json
    assert m["contact_verified_at"]
    problem(inst.request("GET", "/verify/" + "0" * 64), 404)
    problem(inst.request("GET", "/verify/../../etc"), 404)
    # a correction is recorded and does not mark the details verified
    link2 = inst.post(f"{TEAM}/members/{members['Bob']}/verify-contact").json["link"]
    r = inst.request("POST", link2, body={"answer": "correction",
                                          "correction": "My mobile is now +14155550199"})
    assert r.status == 200, r
    assert inst.get(f"{TEAM}/members/{members['Bob']}").json["contact_verified_at"] is None
    assert "+14155550199" in inst.sql("SELECT correction FROM contact_verifications"
                                      " WHERE answer = 'correction'")
    # an expired link is refused
    link3 = inst.post(f"{TEAM}/members/{members['Dan']}/verify-contact").json["link"]
    inst.sql("UPDATE contact_verifications SET expires_at = 1000 WHERE answered_at IS NULL")
    problem(inst.request("POST", link3, body={"answer": "confirmed"}), 410, detail="expired")


WEEKLY = {"role": "incident_commander", "name": "Incident commander", "time_zone": "Europe/Berlin",
          "layers": None}


def test_oncall_handoff_and_override(inst, members):
    body = dict(WEEKLY, layers=[{"name": "weekly", "members": [members["Alice"], members["Bob"]],
                                 "start": "2026-01-05", "handoff": "09:00",
                                 "shift_hours": 168}])
    r = inst.post(ONCALL, body)
    assert r.status == 201, r
    rot = r.json["id"]
    problem(inst.post(ONCALL, body), 409, "role")
    # Monday 2026-01-12 09:00 in Berlin is 08:00 UTC: Alice hands over to Bob
    def who(at, role="incident_commander"):
        r = inst.get(f"{ONCALL}/now?at={at}")
        assert r.status == 200, r
        e = next(x for x in r.json["roles"] if x["role"] == role)
        return e
    e = who("2026-01-12T07:59:59Z")
    assert e["member"]["name"] == "Alice" and e["source"] == "schedule"
    assert e["until"] == "2026-01-12T08:00:00Z"
    e = who("2026-01-12T08:00:00Z")
    assert e["member"]["name"] == "Bob" and e["from"] == "2026-01-12T08:00:00Z"
    assert e["member"]["phone"] == "+14155550100"
    # summer time: the hand-off stays at 09:00 local, 07:00 UTC
    assert who("2026-07-06T06:59:00Z")["member"]["name"] != who("2026-07-06T07:00:00Z")["member"]["name"]
    # Carol covers Tuesday afternoon
    r = inst.post(f"{ONCALL}/{rot}/overrides", {"member": members["Carol"],
                                                "starts_at": "2026-01-13T12:00:00Z",
                                                "ends_at": "2026-01-13T18:00:00Z",
                                                "reason": "Bob at the dentist"})
    assert r.status == 201, r
    assert who("2026-01-13T11:59:59Z")["member"]["name"] == "Bob"
    e = who("2026-01-13T12:00:00Z")
    assert e["member"]["name"] == "Carol" and e["source"] == "override"
    assert e["until"] == "2026-01-13T18:00:00Z"
    assert who("2026-01-13T18:00:00Z")["member"]["name"] == "Bob"
    # overlapping overrides and backwards ones are refused; nothing is written
    problem(inst.post(f"{ONCALL}/{rot}/overrides", {"member": members["Dan"],
                                                    "starts_at": "2026-01-13T17:00:00Z",
                                                    "ends_at": "2026-01-13T20:00:00Z"}),
            422, "starts_at", "overlaps")
    problem(inst.post(f"{ONCALL}/{rot}/overrides", {"member": members["Dan"],
                                                    "starts_at": "2026-01-14T17:00:00Z",
                                                    "ends_at": "2026-01-14T16:00:00Z"}),
            422, "ends_at")
    assert len(inst.get(f"{ONCALL}/{rot}").json["overrides"]) == 1
    # touching is fine
    r = inst.post(f"{ONCALL}/{rot}/overrides", {"member": members["Dan"],
                                                "starts_at": "2026-01-13T18:00:00Z",
                                                "ends_at": "2026-01-13T20:00:00Z"})
    assert r.status == 201, r
    assert who("2026-01-13T19:00:00Z")["member"]["name"] == "Dan"
    p = inst.cli("team", "oncall", "--at", "2026-01-13T12:30:00Z", check=True)
    roles = json.loads(p.stdout)["roles"]
    assert roles[0]["member"]["name"] == "Carol"
    problem(inst.get(f"{ONCALL}/now?at=yesterday"), 400)


def test_rotation_layers_must_cover_the_week(inst, members):
    business = {"name": "business hours", "members": [members["Dan"]], "start": "2026-01-05",
                "handoff": "09:00", "shift_hours": 24,
                "restrict": {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00",
                             "to": "17:00"}}
    body = {"role": "communications_lead", "time_zone": "UTC", "layers": [business]}
    j = problem(inst.post(ONCALL, body), 422, "layers")
    assert "Monday 17:00 to Tuesday 09:00" in j["errors"][0]["message"]
    nights = {"name": "out of hours", "members": [members["Carol"], members["Bob"]],
              "start": "2026-01-05", "handoff": "17:00", "shift_hours": 24,
              "restrict": {"from": "17:00", "to": "09:00"}}
    weekend = {"name": "weekend", "members": [members["Alice"]], "start": "2026-01-03",
               "handoff": "09:00", "shift_hours": 24,
               "restrict": {"days": ["sat", "sun"], "from": "09:00", "to": "17:00"}}
    j = problem(inst.post(ONCALL, dict(body, layers=[business, nights])), 422, "layers")
    assert "Saturday 09:00 to Saturday 17:00" in j["errors"][0]["message"]
    bad = dict(nights, handoff="25:00", members=["ghost"])
    problem(inst.post(ONCALL, dict(body, layers=[business, bad, weekend])), 422,
            "layers[1].handoff")
    problem(inst.post(ONCALL, dict(body, layers=[business, dict(nights, members=["ghost"]),
                                                  weekend])), 422, "layers[1].members[0]")
    assert len(inst.get(ONCALL).json["items"]) == 1, "nothing half-written"
    r = inst.post(ONCALL, dict(body, layers=[business, nights, weekend]))
    assert r.status == 201, r
    # Wednesday 2026-01-07 10:00 UTC: Dan; 20:00: the out-of-hours layer; Saturday noon: Alice
    def comms(at):
        r = inst.get(f"{ONCALL}/now?at={at}").json
        return next(x for x in r["roles"] if x["role"] == "communications_lead")
    assert comms("2026-01-07T10:00:00Z")["member"]["name"] == "Dan"
    e = comms("2026-01-07T20:00:00Z")
    assert e["layer"] == "out of hours" and e["member"]["name"] in ("Carol", "Bob")
    assert comms("2026-01-10T12:00:00Z")["member"]["name"] == "Alice"
