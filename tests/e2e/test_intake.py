"""Alert intake end to end, on both backends: every shared payload accepted
and mapped, de-duplication, resolution, grouping and routing into incidents,
attach/detach, dry-run, bad input, crash safety, the CLI, and a real
prometheus-alertmanager delivering firing and resolved notifications."""
import datetime
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from sirt_harness import SHARED, free_port

ALERTS = SHARED / "alerts"
KINDS = ["alertmanager", "grafana", "sentinel", "defender", "splunk", "wazuh", "elastic",
         "generic"]

SEV_WORDS = {}
for sev, words in {
        "critical": "critical crit page emergency emerg alert fatal disaster p1 sev1",
        "high": "high error err major severe urgent p2 sev2",
        "medium": "medium warning warn moderate average p3 sev3",
        "low": "low minor p4 sev4",
        "info": "info informational information notice debug none ok p5 sev5"}.items():
    for w in words.split():
        SEV_WORDS[w] = sev


def ts(s):
    """RFC 3339 (any fraction, Z or offset, also +hhmm) to epoch seconds."""
    if s is None:
        return None
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    if len(s) > 5 and s[-5] in "+-" and s[-3] != ":":
        s = s[:-2] + ":" + s[-2:]
    date, rest = s.split("T")
    tz = rest[-6:]
    clock = rest[:-6]
    if "." in clock:
        clock = clock.split(".")[0]
    d = datetime.datetime.fromisoformat(f"{date}T{clock}{tz}")
    return int(d.timestamp())


def netstr(s):
    b = s.encode()
    return str(len(b)).encode() + b":" + b + b","


def label_fingerprint(kind, labels):
    h = hashlib.sha256(netstr(kind))
    for k in sorted(labels):
        h.update(netstr(k))
        h.update(netstr(labels[k] if isinstance(labels[k], str) else ""))
    return h.hexdigest()


# ---- expectations computed from the payloads -------------------------------

def expect_am(doc, kind):
    out = []
    for a in doc["alerts"]:
        labels = {**(doc.get("commonLabels") or {}), **(a.get("labels") or {})}
        ann = {**(doc.get("commonAnnotations") or {}), **(a.get("annotations") or {})}
        title = (ann.get("summary") or "").strip() or (ann.get("title") or "").strip() or \
            labels.get("alertname")
        status = a.get("status") or doc["status"]
        links = [a.get("generatorURL")]
        if kind == "grafana":
            links += [a.get("panelURL"), a.get("dashboardURL")]
        links.append(doc.get("externalURL"))
        e = {"title": title,
             "severity": SEV_WORDS.get((labels.get("severity") or "").lower(), "medium"),
             "status": status,
             "starts_at": ts(a["startsAt"]),
             "fingerprint": a.get("fingerprint") or label_fingerprint(kind, a.get("labels") or {}),
             "link": next((x for x in links if x), None),
             "labels": labels}
        if status == "resolved":
            e["ends_at"] = ts(a["endsAt"])
        hosts = [labels[k].lower() for k in ("host", "hostname", "nodename")
                 if isinstance(labels.get(k), str) and labels[k]]
        e["hosts"] = hosts
        out.append(e)
    return out


SENTINEL_SEV = {"High": "high", "Medium": "medium", "Low": "low", "Informational": "info"}


def expect_sentinel(doc):
    out = []
    for item in doc.get("value", [doc]):
        p = item["properties"]
        if "alertDisplayName" in p or item.get("kind") == "SecurityAlert":
            resolved = p.get("status") in ("Resolved", "Dismissed")
            out.append({"title": p.get("alertDisplayName") or p.get("friendlyName"),
                        "severity": SENTINEL_SEV.get(p.get("severity"), "medium"),
                        "status": "resolved" if resolved else "firing",
                        "starts_at": ts(p.get("startTimeUtc") or p.get("timeGenerated")),
                        "fingerprint": "alert/" + (p.get("systemAlertId") or item["name"]),
                        "link": p.get("alertLink") or None})
        else:
            closed = p.get("status") == "Closed"
            e = {"title": p["title"],
                 "severity": SENTINEL_SEV.get(p.get("severity"), "medium"),
                 "status": "resolved" if closed else "firing",
                 "starts_at": ts(p.get("firstActivityTimeUtc") or p.get("createdTimeUtc")),
                 "fingerprint": "incident/" + item["name"],
                 "link": p.get("incidentUrl") or None}
            if closed:
                e["ends_at"] = ts(p["lastModifiedTimeUtc"])
            out.append(e)
    return out


def expect_defender(doc):
    out = []
    for item in doc.get("value", [doc]):
        sev = {"high": "high", "medium": "medium", "low": "low",
               "informational": "info"}.get((item.get("severity") or "").lower(), "medium")
        if "displayName" in item and "title" not in item:
            resolved = (item.get("status") or "").lower() in ("resolved", "redirected")
            out.append({"title": item["displayName"], "severity": sev,
                        "status": "resolved" if resolved else "firing",
                        "starts_at": ts(item["createdDateTime"]),
                        "fingerprint": "incident/" + item["id"],
                        "link": item.get("incidentWebUrl")})
        else:
            resolved = (item.get("status") or "").lower() == "resolved"
            hosts = [ev["deviceDnsName"].lower() for ev in item.get("evidence", [])
                     if ev.get("deviceDnsName")]
            out.append({"title": item["title"], "severity": sev,
                        "status": "resolved" if resolved else "firing",
                        "starts_at": ts(item.get("firstActivityDateTime") or
                                        item["createdDateTime"]),
                        "fingerprint": "alert/" + item["id"],
                        "link": item.get("alertWebUrl") or item.get("incidentWebUrl"),
                        "hosts": hosts, "min_entities": 1 if item.get("evidence") else 0})
    return out


def expect_splunk(doc):
    res = doc.get("result") or {}
    sev = "medium"
    for k in ("severity", "urgency", "priority"):
        if isinstance(res.get(k), str) and res[k].lower() in SEV_WORDS:
            sev = SEV_WORDS[res[k].lower()]
            break
    return [{"title": doc["search_name"], "severity": sev, "status": "firing",
             "source_id": doc.get("sid"), "link": doc.get("results_link")}]


def expect_wazuh(doc):
    level = doc["rule"]["level"]
    sev = ("info" if level <= 3 else "low" if level <= 6 else "medium" if level <= 11
           else "high" if level <= 14 else "critical")
    ips = [v for v in (doc.get("agent", {}).get("ip"), doc.get("data", {}).get("srcip")) if v]
    return [{"title": doc["rule"]["description"], "severity": sev, "status": "firing",
             "starts_at": ts(doc["timestamp"]), "fingerprint": doc["id"], "link": None,
             "ips": ips}]


def expectations(kind, doc):
    if kind in ("alertmanager", "grafana"):
        return expect_am(doc, kind)
    return {"sentinel": expect_sentinel, "defender": expect_defender,
            "splunk": expect_splunk, "wazuh": expect_wazuh}[kind](doc)


def iso_epoch(s):
    return None if s is None else ts(s)


def check_mapping(inst, kind, rel, got, exp):
    where = f"{rel}: alert {got['id']}"
    assert got["source"] == kind, where
    assert got["title"] == exp["title"], where
    assert got["severity"] == exp["severity"], where
    assert got["status"] == exp["status"], where
    if "fingerprint" in exp:
        assert got["fingerprint"] == exp["fingerprint"], where
    if "source_id" in exp:
        assert got["source_id"] == exp["source_id"], where
    if "starts_at" in exp:
        assert iso_epoch(got["starts_at"]) == exp["starts_at"], where
        assert iso_epoch(got["first_seen"]) <= iso_epoch(got["last_seen"]), where
    if "ends_at" in exp:
        assert iso_epoch(got["ends_at"]) == exp["ends_at"], where
    if "link" in exp:
        assert got["link"] == exp["link"], where
    for k, v in exp.get("labels", {}).items():
        assert got["labels"].get(k) == v, (where, k)
    values = {(e["kind"], e["value"]) for e in got["entities"]}
    for h in exp.get("hosts", []):
        assert ("host", h.split(":")[0]) in values or any(v == h for _, v in values), (where, h)
    for ip in exp.get("ips", []):
        assert ("ip", ip) in values, (where, ip)
    assert len(got["entities"]) >= exp.get("min_entities", 0), where
    for t in ("received_at", "updated_at", "first_seen", "last_seen"):
        assert got[t] and got[t].endswith("Z"), (where, t)


# ---- helpers ----------------------------------------------------------------

@pytest.fixture(scope="module")
def secrets(inst):
    out = {}
    for k in KINDS:
        r = inst.post("/api/v1/intake/sources", {"name": f"{k}-main", "kind": k})
        assert r.status == 201, r
        assert r.json["secret"].startswith("sirt_in_")
        out[k] = r.json["secret"]
    return out


def send(inst, kind, body, secret, how="bearer", ctype="application/json"):
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    headers = {}
    path = f"/api/v1/intake/{kind}"
    if how == "bearer":
        headers["Authorization"] = f"Bearer {secret}"
    elif how == "header":
        headers["X-Sirt-Intake-Token"] = secret
    elif how == "query":
        path += f"?token={secret}"
    return inst.request("POST", path, raw=body, headers=headers, content_type=ctype)


def counts(inst):
    out = inst.sql("SELECT (SELECT count(*) FROM alerts) || ',' ||"
                   " (SELECT count(*) FROM alert_payloads)").strip()
    return tuple(int(x) for x in out.split(","))


def am_payload(alerts, status="firing", group_key=None):
    """An Alertmanager webhook (version 4) body; alerts: list of dicts."""
    return {"version": "4", "groupKey": group_key or "{}:{alertname=\"e2e\"}",
            "truncatedAlerts": 0, "status": status, "receiver": "sirt",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.example:9093", "alerts": alerts}


def am_alert(name, fp=None, status="firing", starts="2024-05-01T10:00:00Z", ends=None,
             labels=None, summary=None, severity="warning"):
    lab = {"alertname": name, "severity": severity, "instance": "web-1.example.com:9100"}
    lab.update(labels or {})
    return {"status": status, "labels": lab,
            "annotations": {"summary": summary or f"{name} summary"},
            "startsAt": starts, "endsAt": ends or "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
            "fingerprint": fp or uuid.uuid4().hex[:16]}


def intake_notes(inst, incident_id):
    """Timeline entries that alert intake wrote on an incident."""
    items = inst.get(f"/api/v1/incidents/{incident_id}/timeline?limit=200").json["items"]
    return sum(1 for e in items if e["details"].get("origin") == "alert intake")


def shared_files():
    out = []
    for kind in ("alertmanager", "grafana", "sentinel", "defender", "splunk", "wazuh"):
        for p in sorted((ALERTS / kind).glob("*.json")):
            out.append((kind, p))
    return out


def payload_of(kind, path):
    doc = json.loads(path.read_text())
    if kind == "sentinel":
        doc = doc["responses"]["200"]["body"]
        return json.dumps(doc), doc
    return path.read_bytes(), doc


# ---- every shared payload ------------------------------------------------------

def test_every_shared_payload_accepted_and_mapped(inst, secrets):
    files = shared_files()
    assert len(files) >= 22
    for kind, path in files:
        body, doc = payload_of(kind, path)
        rel = f"{kind}/{path.name}"
        r = send(inst, kind, body, secrets[kind])
        assert r.status == 200, (rel, r)
        exp = expectations(kind, doc)
        assert r.json["received"] == len(exp), rel
        assert len(r.json["alerts"]) == len(exp)
        for item, e in zip(r.json["alerts"], exp):
            g = inst.get(f"/api/v1/alerts/{item['id']}")
            assert g.status == 200, g
            check_mapping(inst, kind, rel, g.json, e)
        # the whole body is kept verbatim once
        g = inst.get(f"/api/v1/alerts/{r.json['alerts'][-1]['id']}")
        raw_body = body if isinstance(body, str) else body.decode()
        assert g.json["payload"]["body"] == raw_body, rel
        assert g.json["payload"]["sha256"] == hashlib.sha256(raw_body.encode()).hexdigest()
        assert g.json["raw"] is not None


def test_auth_variants(inst, secrets):
    for i, how in enumerate(("bearer", "header", "query")):
        body = am_payload([am_alert(f"AuthVariant{i}")])
        r = send(inst, "alertmanager", body, secrets["alertmanager"], how=how)
        assert r.status == 200, (how, r)
    before = counts(inst)
    body = am_payload([am_alert("NoAuth")])
    r = send(inst, "alertmanager", body, None, how="none")
    assert r.status == 401 and "secret" in r.json["detail"]
    r = send(inst, "alertmanager", body, "sirt_in_" + "A" * 43)
    assert r.status == 401
    r = send(inst, "alertmanager", body, inst.admin_token)  # a user token is not an intake secret
    assert r.status == 401
    r = send(inst, "grafana", body, secrets["alertmanager"])
    assert r.status == 403 and "/api/v1/intake/alertmanager" in r.json["detail"]
    r = send(inst, "nosuch", body, secrets["alertmanager"])
    assert r.status == 404
    assert counts(inst) == before


def test_source_management(inst):
    r = inst.post("/api/v1/intake/sources", {"name": "rotating", "kind": "generic"})
    assert r.status == 201
    old = r.json["secret"]
    sid = r.json["id"]
    assert inst.post("/api/v1/intake/sources", {"name": "rotating", "kind": "generic"}).status == 409
    assert inst.post("/api/v1/intake/sources", {"name": "x", "kind": "nagios"}).status == 422
    lst = inst.get("/api/v1/intake/sources").json["items"]
    assert any(s["name"] == "rotating" and "secret" not in s for s in lst)
    body = {"title": "generic one", "severity": "low", "fingerprint": "gen-rot-1"}
    assert send(inst, "generic", body, old).status == 200
    r = inst.post(f"/api/v1/intake/sources/{sid}/rotate")
    assert r.status == 200 and r.json["secret"] != old
    new = r.json["secret"]
    stored = inst.sql(f"SELECT secret_hash FROM intake_sources WHERE uid = '{sid}'").strip()
    assert stored == hashlib.sha256(new.encode()).hexdigest()  # only the hash is kept
    body["fingerprint"] = "gen-rot-2"
    assert send(inst, "generic", body, old).status == 401
    assert send(inst, "generic", body, new).status == 200
    assert inst.get(f"/api/v1/intake/sources/{sid}").json["last_used_at"] is not None
    assert inst.patch(f"/api/v1/intake/sources/{sid}", {"enabled": False}).status == 200
    body["fingerprint"] = "gen-rot-3"
    r = send(inst, "generic", body, new)
    assert r.status == 403 and "disabled" in r.json["detail"]
    assert inst.delete(f"/api/v1/intake/sources/{sid}").status == 204
    assert send(inst, "generic", body, new).status == 401
    assert inst.get(f"/api/v1/intake/sources/{sid}").status == 404


# ---- de-duplication and resolution ------------------------------------------

def test_dedup_and_resolve(inst, secrets):
    s = secrets["alertmanager"]
    fp = uuid.uuid4().hex[:16]
    a1 = am_alert("DedupCheck", fp=fp, starts="2024-05-01T10:00:00Z")
    r = send(inst, "alertmanager", am_payload([a1]), s)
    assert r.status == 200 and r.json["alerts"][0]["outcome"] == "created"
    aid = r.json["alerts"][0]["id"]
    # the same occurrence notified again (different body): no new count
    a1b = dict(a1, annotations={"summary": "DedupCheck again"})
    r = send(inst, "alertmanager", am_payload([a1b]), s)
    assert r.json["alerts"][0] == {"id": aid, "fingerprint": fp, "outcome": "updated",
                                   "incident": None}
    g = inst.get(f"/api/v1/alerts/{aid}").json
    assert g["count"] == 1 and g["title"] == "DedupCheck again"
    # a new occurrence of the same alert: count and last_seen go up
    a2 = dict(a1, startsAt="2024-05-01T11:00:00Z")
    r = send(inst, "alertmanager", am_payload([a2]), s)
    assert r.json["alerts"][0]["id"] == aid
    g = inst.get(f"/api/v1/alerts/{aid}").json
    assert g["count"] == 2
    assert g["first_seen"] == "2024-05-01T10:00:00Z"
    assert g["last_seen"] == "2024-05-01T11:00:00Z"
    # resolved
    res = dict(a2, status="resolved", endsAt="2024-05-01T11:30:00Z")
    r = send(inst, "alertmanager", am_payload([res], status="resolved"), s)
    assert r.json["alerts"][0]["outcome"] == "resolved" and r.json["alerts"][0]["id"] == aid
    g = inst.get(f"/api/v1/alerts/{aid}").json
    assert g["status"] == "resolved" and g["ends_at"] == "2024-05-01T11:30:00Z"
    assert g["count"] == 2 and g["resolved_at"]
    # the resolution delivered again (another body): nothing changes
    res2 = dict(res, annotations={"summary": "again"})
    r = send(inst, "alertmanager", am_payload([res2], status="resolved"), s)
    assert r.json["alerts"][0]["outcome"] == "duplicate"
    assert inst.get(f"/api/v1/alerts/{aid}").json["title"] == "DedupCheck summary"
    # it fires again later: a new alert
    a3 = dict(a1, startsAt="2024-05-02T09:00:00Z")
    r = send(inst, "alertmanager", am_payload([a3]), s)
    assert r.json["alerts"][0]["outcome"] == "created"
    assert r.json["alerts"][0]["id"] != aid
    # twice in one payload: one alert
    fp2 = uuid.uuid4().hex[:16]
    b = am_alert("TwiceInOne", fp=fp2)
    r = send(inst, "alertmanager", am_payload([b, dict(b, startsAt="2024-05-01T10:05:00Z")]), s)
    outs = [x["outcome"] for x in r.json["alerts"]]
    assert outs == ["created", "updated"]
    assert r.json["alerts"][0]["id"] == r.json["alerts"][1]["id"]
    # resolved, never seen firing: recorded as resolved
    c = am_alert("NeverFiring", status="resolved", ends="2024-05-01T10:10:00Z")
    r = send(inst, "alertmanager", am_payload([c], status="resolved"), s)
    assert r.json["alerts"][0]["outcome"] == "recorded_resolved"


def test_replay_rejected_and_nothing_stored(inst, secrets):
    body = json.dumps(am_payload([am_alert("ReplayMe")]))
    r = send(inst, "alertmanager", body, secrets["alertmanager"])
    assert r.status == 200
    before = counts(inst)
    r = send(inst, "alertmanager", body, secrets["alertmanager"])
    assert r.status == 409
    assert "replay" in r.json["detail"] and r.json["replay_of"] > 0
    assert counts(inst) == before


# ---- bad input ------------------------------------------------------------------

def test_bad_input_precise_4xx_nothing_stored(inst, secrets):
    s = secrets["alertmanager"]
    good = json.dumps(am_payload([am_alert("BadInputBase")]))
    before = counts(inst)
    cases = [
        ("not json", "hello, world", 400, "alertmanager"),
        ("truncated", good[: len(good) // 2], 400, "alertmanager"),
        ("deeply nested", '{"a":' * 100 + "1" + "}" * 100, 400, "alertmanager"),
        ("wrong type", json.dumps(dict(am_payload([]), alerts="many")), 400, "alerts"),
        ("wrong status", json.dumps(am_payload([dict(am_alert("X"), status="ok")])), 400,
         "status"),
        ("missing alerts", json.dumps({"version": "4", "status": "firing"}), 400, "alerts"),
        ("grafana's format", (ALERTS / "grafana" / "zulip__grafana__alert_values_v11.json")
         .read_text(), 400, "alertmanager"),
        ("wazuh's format", (ALERTS / "wazuh" / "wazuh_ssh_08_rule5702.json").read_text(), 400,
         "alertmanager"),
        ("empty", "", 400, "empty"),
        ("NUL byte", good[:20] + "\0" + good[20:], 400, "NUL"),
        ("duplicate keys", '{"version":"4","version":"4","alerts":[]}', 400, "alertmanager"),
    ]
    for name, body, status, word in cases:
        r = send(inst, "alertmanager", body, s)
        assert r.status == status, (name, r)
        assert word in r.json["detail"], (name, r.json["detail"])
        assert "nothing was stored" in r.json["detail"], (name, r.json["detail"])
    # over 1 MiB: 413 before the body is read
    big = json.dumps(am_payload([am_alert("Big", summary="x" * (1 << 20))]))
    r = send(inst, "alertmanager", big, s)
    assert r.status == 413
    # over 1000 alerts in a payload under 1 MiB: 413 from the parser
    many = [{"status": "firing", "labels": {"alertname": f"m{i}"},
             "startsAt": "2024-05-01T10:00:00Z"} for i in range(1001)]
    r = send(inst, "alertmanager", json.dumps(am_payload(many)), s)
    assert r.status == 413 and "1000" in r.json["detail"]
    # generic is strict about its own fields
    r = send(inst, "generic", {"title": "t", "colour": "red"}, secrets["generic"])
    assert r.status == 400 and "colour" in r.json["detail"]
    assert counts(inst) == before


def test_extra_fields_accepted_and_kept_raw(inst, secrets):
    a = dict(am_alert("ExtraFields"), x_vendor={"nested": [1, 2, 3]})
    body = dict(am_payload([a]), x_top="kept")
    r = send(inst, "alertmanager", body, secrets["alertmanager"])
    assert r.status == 200
    g = inst.get(f"/api/v1/alerts/{r.json['alerts'][0]['id']}").json
    assert g["raw"]["x_vendor"] == {"nested": [1, 2, 3]}
    assert json.loads(g["payload"]["body"])["x_top"] == "kept"


# ---- rules, grouping, routing -------------------------------------------------

def incident_of(inst, alert_id):
    return inst.get(f"/api/v1/alerts/{alert_id}").json["incident"]


def test_rules_crud_and_validation(inst):
    r = inst.post("/api/v1/intake/rules", {"name": "crud-a", "action": "record"})
    assert r.status == 201 and r.json["position"] >= 1
    r = inst.post("/api/v1/intake/rules", {"name": "crud-b", "action": "record", "position": 1})
    assert r.status == 201 and r.json["position"] == 1
    names = [x["name"] for x in inst.get("/api/v1/intake/rules").json["items"]]
    assert names.index("crud-b") < names.index("crud-a")
    for bad, field in [({"match": {"colour": "red"}}, "match.colour"),
                       ({"match": {"severity": "huge"}}, "match.severity"),
                       ({"group_by": ["labels."]}, "group_by[0]"),
                       ({"category": "Not Valid"}, "category"),
                       ({"group_window": -1}, "group_window"),
                       ({"action": "explode"}, "action")]:
        r = inst.post("/api/v1/intake/rules", dict({"name": "bad", "action": "record"}, **bad))
        assert r.status == 422, (bad, r)
        assert r.json["errors"][0]["field"] == field, (bad, r.json)
    assert inst.post("/api/v1/intake/rules", {"name": "crud-a", "action": "open"}).status == 409
    g = inst.get("/api/v1/intake/rules/crud-a")
    r = inst.patch("/api/v1/intake/rules/crud-a", {"position": 1, "enabled": False},
                   headers={"If-Match": g.headers["etag"]})
    assert r.status == 200 and r.json["position"] == 1 and r.json["enabled"] is False
    r = inst.patch("/api/v1/intake/rules/crud-a", {"enabled": True},
                   headers={"If-Match": g.headers["etag"]})
    assert r.status == 412
    assert inst.delete("/api/v1/intake/rules/crud-a").status == 204
    assert inst.delete("/api/v1/intake/rules/crud-b").status == 204
    assert inst.get("/api/v1/intake/rules/crud-a").status == 404


def test_routing_grouping_and_resolution_note(inst, secrets):
    s = secrets["alertmanager"]
    team = "route-" + uuid.uuid4().hex[:6]
    r = inst.post("/api/v1/intake/rules", {
        "name": f"{team}-noise", "action": "record", "position": 1,
        "match": {"title_contains": "NOISE"}})
    assert r.status == 201
    r = inst.post("/api/v1/intake/rules", {
        "name": f"{team}-open", "action": "open", "severity": "high", "category": "denial_of_service",
        "match": {"source": "alertmanager", "labels": {"team": team},
                  "min_severity": "medium", "entity_kinds": ["host"]},
        "group_by": ["labels.alertname"], "group_window": 3600})
    assert r.status == 201, r
    r = inst.post("/api/v1/intake/rules", {
        "name": f"{team}-attach", "action": "attach",
        "match": {"labels": {"team": [team + "-att"]}}, "group_by": ["labels.alertname"]})
    assert r.status == 201
    lab = {"team": team}
    batch = [am_alert("DiskFull", labels=lab), am_alert("DiskFull", labels=lab),
             am_alert("CPUHot", labels=lab), am_alert("Some noise here", labels=lab,
                                                       summary="Some NOISE here"),
             am_alert("DiskFull", labels={"team": team + "-att"})]
    r = send(inst, "alertmanager", am_payload(batch), s)
    assert r.status == 200, r
    items = r.json["alerts"]
    assert len(r.json["incidents_opened"]) == 2
    assert items[0]["incident"] and items[0]["incident"] == items[1]["incident"]
    assert items[2]["incident"] and items[2]["incident"] != items[0]["incident"]
    assert items[3]["incident"] is None  # first match wins: the record rule
    assert items[4]["incident"] is None  # attach, but no open incident in its group
    inc = incident_of(inst, items[0]["id"])
    ig = inst.get(f"/api/v1/incidents/{inc['id']}")
    assert ig.status == 200 and ig.json["severity"] == "high"
    assert ig.json["title"] == "DiskFull summary"
    assert inst.sql(f"SELECT source || ',' || category FROM incidents WHERE uid = '{inc['id']}'"
                    ).strip() == "alert,denial_of_service"
    # later alerts of the same group join the same incident
    r = send(inst, "alertmanager", am_payload([am_alert("DiskFull", labels=lab)]), s)
    assert r.json["alerts"][0]["incident"] == inc["key"]
    assert r.json["incidents_opened"] == []
    # the attach rule now finds an open incident only in its own group: none
    r = send(inst, "alertmanager",
             am_payload([am_alert("DiskFull", labels={"team": team + "-att"})]), s)
    assert r.json["alerts"][0]["incident"] is None
    # alerts of the incident, via the filter
    lst = inst.get(f"/api/v1/alerts?incident={inc['key']}").json["items"]
    assert len(lst) == 3 and all(a["incident"]["key"] == inc["key"] for a in lst)
    assert all(a["rule"] == f"{team}-open" for a in lst)
    # resolving an attached alert notes it on the incident's timeline
    notes = lambda: intake_notes(inst, inc["id"])
    n0 = notes()
    assert n0 >= 3
    first = batch[0]
    res = dict(first, status="resolved", endsAt="2024-05-01T12:00:00Z")
    r = send(inst, "alertmanager", am_payload([res], status="resolved"), s)
    assert r.json["alerts"][0]["outcome"] == "resolved"
    assert notes() == n0 + 1
    # the alerts' entities became the incident's indicators, de-duplicated
    inds = inst.get(f"/api/v1/incidents/{inc['id']}/indicators").json["items"]
    hosts = [i for i in inds if i["value"] == "web-1.example.com"]
    assert len(hosts) == 1 and hosts[0]["type"] == "domain", inds
    for name in ("noise", "open", "attach"):
        assert inst.delete(f"/api/v1/intake/rules/{team}-{name}").status == 204


def test_attach_detach_by_hand(inst, secrets):
    r = send(inst, "generic", {"title": "hand attach", "severity": "high",
                               "fingerprint": "hand-" + uuid.uuid4().hex}, secrets["generic"])
    aid = r.json["alerts"][0]["id"]
    i1 = inst.post("/api/v1/incidents", {"title": "by hand 1", "severity": "low"}).json
    i2 = inst.post("/api/v1/incidents", {"title": "by hand 2", "severity": "low"}).json
    r = inst.post(f"/api/v1/alerts/{aid}/attach", {"incident": i1["key"]})
    assert r.status == 200 and r.json["incident"]["id"] == i1["id"]
    assert inst.post(f"/api/v1/alerts/{aid}/attach", {"incident": i1["id"]}).status == 200
    r = inst.post(f"/api/v1/alerts/{aid}/attach", {"incident": i2["id"]})
    assert r.status == 409
    assert inst.post(f"/api/v1/alerts/{aid}/attach", {"incident": "INC-0000-9999"}).status == 422
    assert inst.post(f"/api/v1/alerts/{aid}/attach", {"nope": 1}).status == 422
    assert inst.post("/api/v1/alerts/999999999/attach", {"incident": i1["id"]}).status == 404
    r = inst.post(f"/api/v1/alerts/{aid}/detach")
    assert r.status == 200 and r.json["incident"] is None
    assert inst.post(f"/api/v1/alerts/{aid}/detach").status == 409
    acts = inst.sql("SELECT action FROM audit_log WHERE object_type = 'alert'"
                    f" AND object_id = '{aid}' ORDER BY seq").split()
    assert acts == ["alert.attach", "alert.detach"]
    assert intake_notes(inst, i1["id"]) == 2


def test_dry_run_writes_nothing(inst, secrets):
    team = "dry-" + uuid.uuid4().hex[:6]
    assert inst.post("/api/v1/intake/rules", {
        "name": team, "action": "open", "category": "malware",
        "match": {"labels": {"team": team}}, "group_by": ["labels.alertname"]}).status == 201
    before = counts(inst)
    payload = am_payload([am_alert("DryOne", labels={"team": team}),
                          am_alert("DryOne", labels={"team": team}),
                          am_alert("DryOther")])
    r = inst.post("/api/v1/intake/rules/dry-run", {"source": "alertmanager", "payload": payload})
    assert r.status == 200, r
    a = r.json["alerts"]
    assert [x["outcome"] for x in a] == ["create", "create", "create"]
    assert a[0]["action"] == "open" and a[0]["rule"] == team
    assert a[0]["new_incident"] == {"severity": "medium", "category": "malware"}
    assert a[1]["action"] == "attach"
    assert a[2]["action"] == "record" and a[2]["rule"] is None
    assert counts(inst) == before
    r = inst.post("/api/v1/intake/rules/dry-run", {"source": "alertmanager",
                                                   "payload": {"version": "4"}})
    assert r.status == 400 and "alerts" in r.json["detail"]
    r = inst.post("/api/v1/intake/rules/dry-run", {"source": "nagios", "payload": {}})
    assert r.status == 422
    # the CLI does the same
    f = inst.tmp / "dry.json"
    f.write_text(json.dumps(payload))
    p = inst.cli("intake", "dry-run", "--source", "alertmanager", str(f), check=True)
    out = json.loads(p.stdout)
    assert out["alerts"][0]["action"] == "open"
    assert counts(inst) == before
    assert inst.delete(f"/api/v1/intake/rules/{team}").status == 204


def test_list_filters_and_pagination(inst, secrets):
    tag = uuid.uuid4().hex[:8]
    for sev in ("critical", "low", "low"):
        r = send(inst, "generic", {"title": f"Filter {tag} {sev}", "severity": sev,
                                   "fingerprint": f"{tag}-{uuid.uuid4().hex}"},
                 secrets["generic"])
        assert r.status == 200, r
    items = inst.get(f"/api/v1/alerts?q=filter+{tag.upper()}").json["items"]
    assert len(items) == 3
    items = inst.get(f"/api/v1/alerts?q={tag}&severity=low&source=generic&status=firing").json
    assert len(items["items"]) == 2
    page1 = inst.get(f"/api/v1/alerts?q={tag}&limit=2").json
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = inst.get(f"/api/v1/alerts?q={tag}&limit=2&cursor={page1['next_cursor']}").json
    assert len(page2["items"]) == 1 and page2["next_cursor"] is None
    ids = [a["id"] for a in page1["items"] + page2["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    assert inst.get("/api/v1/alerts?status=open").status == 400
    assert inst.get("/api/v1/alerts?cursor=abc").status == 400
    assert inst.get("/api/v1/alerts?incident=nope").status == 400
    assert inst.get("/api/v1/alerts/abc").status == 404
    assert inst.get("/api/v1/alerts/99999999").status == 404
    # q is data, not a pattern
    assert inst.get("/api/v1/alerts?q=%25").json["items"] == []


def test_cli(inst):
    p = inst.cli("intake", "source", "add", "--name", "cli-src", "--kind", "generic", check=True)
    secret = p.stdout.strip()
    assert secret.startswith("sirt_in_")
    r = send(inst, "generic", {"title": "from the cli source", "fingerprint": "cli-1",
                               "severity": "critical"}, secret)
    assert r.status == 200
    aid = r.json["alerts"][0]["id"]
    p = inst.cli("intake", "source", "list", check=True)
    assert "cli-src" in p.stdout and "generic" in p.stdout
    p = inst.cli("alert", "list", "--source", "generic", "--severity", "critical", check=True)
    assert "from the cli source" in p.stdout
    p = inst.cli("alert", "show", str(aid), check=True)
    assert json.loads(p.stdout)["title"] == "from the cli source"
    p = inst.cli("intake", "source", "rotate", "cli-src", check=True)
    assert p.stdout.strip() != secret
    assert send(inst, "generic", {"title": "x", "fingerprint": "cli-2"}, secret).status == 401
    f = inst.tmp / "rule.json"
    f.write_text(json.dumps({"name": "cli-rule", "action": "record",
                             "match": {"source": "generic"}}))
    inst.cli("intake", "rule", "add", str(f), check=True)
    assert "cli-rule" in inst.cli("intake", "rule", "list", check=True).stdout
    f.write_text(json.dumps({"name": "cli-bad", "action": "record", "match": {"x": 1}}))
    p = inst.cli("intake", "rule", "add", str(f))
    assert p.returncode == 1 and "match.x" in p.stderr
    inst.cli("intake", "rule", "delete", "cli-rule", check=True)
    assert inst.cli("alert", "show", "99999999").returncode == 1


# ---- crash safety -------------------------------------------------------------------

def test_acknowledged_alerts_survive_kill_9(inst, secrets):
    fp = "crash-" + uuid.uuid4().hex
    r = send(inst, "generic", {"title": "survives kill -9", "fingerprint": fp},
             secrets["generic"])
    assert r.status == 200
    aid = r.json["alerts"][0]["id"]
    inst.stop(sig=signal.SIGKILL)
    inst.start()
    g = inst.get(f"/api/v1/alerts/{aid}")
    assert g.status == 200 and g.json["fingerprint"] == fp


# ---- a real Alertmanager ----------------------------------------------------------------

AM_BIN = "/usr/bin/prometheus-alertmanager"


def wait_for(fn, timeout=45, step=0.3):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            return None
        time.sleep(step)


@pytest.mark.skipif(not os.path.exists(AM_BIN), reason="prometheus-alertmanager not installed")
def test_real_alertmanager(inst):
    r = inst.post("/api/v1/intake/sources", {"name": "real-am", "kind": "alertmanager"})
    secret = r.json["secret"]
    name = "SirtE2E" + uuid.uuid4().hex[:8]
    assert inst.post("/api/v1/intake/rules", {
        "name": "real-am", "action": "open", "severity": "critical", "category": "denial_of_service",
        "position": 1, "match": {"labels": {"alertname": name}}}).status == 201
    tmp = Path(tempfile.mkdtemp(prefix="sirt-am-"))
    port = free_port()
    cfg = tmp / "am.yml"
    cfg.write_text(f"""
route:
  receiver: sirt
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: sirt
    webhook_configs:
      - url: http://127.0.0.1:{inst.port}/api/v1/intake/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {secret}
""")
    proc = subprocess.Popen([AM_BIN, f"--config.file={cfg}", f"--storage.path={tmp}/data",
                             f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address=", "--log.level=warn"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "log", "w"))
    try:
        import http.client

        def am(method, path, body=None):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                c.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers={"Content-Type": "application/json"})
                resp = c.getresponse()
                return resp.status, resp.read()
            except OSError:
                return None, b""
            finally:
                c.close()

        assert wait_for(lambda: am("GET", "/-/ready")[0] == 200, timeout=30), \
            (tmp / "log").read_text()
        now = datetime.datetime.now(datetime.timezone.utc)
        alert = {"labels": {"alertname": name, "severity": "critical", "instance": "db-7:9100"},
                 "annotations": {"summary": f"{name} is down"},
                 "startsAt": now.isoformat(),
                 "endsAt": (now + datetime.timedelta(hours=1)).isoformat(),
                 "generatorURL": "http://prometheus.example/graph"}
        st, _ = am("POST", "/api/v2/alerts", [alert])
        assert st == 200

        def firing():
            items = inst.get(f"/api/v1/alerts?q={name}").json["items"]
            return items[0] if items and items[0]["incident"] else None
        got = wait_for(firing)
        assert got, ("no alert reached sirt", (tmp / "log").read_text())
        assert got["status"] == "firing" and got["severity"] == "critical"
        assert got["title"] == f"{name} is down"
        assert ("host", "db-7") in {(e["kind"], e["value"]) for e in got["entities"]}
        inc = inst.get(f"/api/v1/incidents/{got['incident']['id']}").json
        assert inc["severity"] == "critical" and inc["title"] == f"{name} is down"
        # resolve: endsAt in the past
        alert["endsAt"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
        st, _ = am("POST", "/api/v2/alerts", [alert])
        assert st == 200

        def resolved():
            a = inst.get(f"/api/v1/alerts/{got['id']}").json
            return a if a["status"] == "resolved" else None
        res = wait_for(resolved)
        assert res, ("the resolution did not reach sirt", (tmp / "log").read_text())
        assert res["count"] == 1 and res["incident"]["id"] == got["incident"]["id"]
        assert json.loads(res["payload"]["body"])["status"] == "resolved"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        inst.delete("/api/v1/intake/rules/real-am")
