"""The auditor's evidence pack (issue 9) on both backends: a realistic data set
(approved plan, team with training and contact verification, incidents with
non-Latin names and timelines), the pack's contents, its PDFs read back with
poppler-utils, tampering detected by `sirt evidence verify`, the API for
admins and auditors, and bad input and failures (no half-written pack)."""
import csv
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from sirt_harness import ADMIN_EMAIL, Instance

PACKS = "/api/v1/evidence/packs"
BASE_URL = "https://sirt.acme.test"
TODAY = datetime.date.today()
FROM = (TODAY - datetime.timedelta(days=80)).isoformat()
TO = TODAY.isoformat()
UNICODE_TITLE = "Fuite de données à Zürich — 勒索软件攻击 — هجوم تصيد — התקפת דיוג"
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def ts(days_ago, hour=9):
    d = datetime.datetime.combine(TODAY - datetime.timedelta(days=days_ago),
                                  datetime.time(hour, 30), tzinfo=datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def pinst(backend, cluster):
    i = Instance(backend, cluster)
    i.env["SIRT_DATA_DIR"] = str(i.tmp / "data")
    i.env["SIRT_BASE_URL"] = BASE_URL
    os.makedirs(i.tmp / "data", exist_ok=True)
    i.init()
    i.start()
    yield i
    i.close()


def add_user(inst, email, role):
    inst.cli("init", "--org", "Acme", "--admin-email", email, "--force",
             env={"SIRT_ADMIN_PASSWORD": "another-long-password"}, check=True)
    if role != "admin":
        inst.sql(f"UPDATE memberships SET role = '{role}' WHERE user_id = "
                 f"(SELECT id FROM users WHERE email = '{email}')")
    return inst.token(email, scope="write" if role != "auditor" else "read")


@pytest.fixture(scope="module")
def data(pinst):
    inst = pinst
    users = {
        "bob": add_user(inst, "bob@example.com", "admin"),
        "carol": add_user(inst, "carol@example.com", "manager"),
        "audra": add_user(inst, "audra@example.com", "auditor"),
        "dave": add_user(inst, "dave@example.com", "viewer"),
    }
    # the starter plan, submitted by the admin and approved by two others
    plan = inst.get("/api/v1/plans").json["items"][0]["id"]
    v1 = f"/api/v1/plans/{plan}/versions/v1"
    assert inst.post(v1 + "/submit", {"comment": "ready"}).status == 200
    assert inst.post(v1 + "/approve", {"comment": "ok"}, token=users["bob"]).status == 200
    r = inst.post(v1 + "/approve", {"comment": "approved for Acme"}, token=users["carol"])
    assert r.status == 200 and r.json["status"] == "approved", r
    assert inst.post(v1 + "/attest", token=users["bob"]).status == 200
    # the team, with training and a verified contact
    members = {}
    for name, extra in [
        ("Alice Dupré", {"email": "alice@example.com", "phone": "+4915112345678",
                         "ooh_phone": "+4915187654321", "roles": ["incident_commander"]}),
        ("李小龍", {"email": "li@example.com", "phone": "+85291234567",
                 "roles": ["technical_lead"]}),
        ("مريم الحسن", {"email": "maryam@example.com", "roles": ["communications_lead"]}),
    ]:
        r = inst.post("/api/v1/team/members", dict(name=name, **extra))
        assert r.status == 201, r
        members[name] = r.json["id"]
    recent = (TODAY - datetime.timedelta(days=20)).isoformat()
    for name in ("Alice Dupré", "李小龍"):
        r = inst.post("/api/v1/team/trainings", {"member": members[name],
                                                 "course": "Acme IR plan walkthrough",
                                                 "provider": "Acme security",
                                                 "completed_on": recent})
        assert r.status == 201, r
    r = inst.post(f"/api/v1/team/members/{members['Alice Dupré']}/verify-contact")
    link = r.json["link"]
    assert inst.request("POST", link, body={"answer": "confirmed"}).status == 200
    # incidents: one outside the period, the rest inside
    incidents = []
    specs = [
        (UNICODE_TITLE, "high", 40, "Données personnelles exposées; 顧客データ."),
        ("=HYPERLINK(\"http://evil.example\",\"click\")", "low", 35, "formula in a title"),
        ("Ransomware on build server", "critical", 30, "Encrypted artefacts, rebuilt."),
        ("Lost laptop", "medium", 20, "Laptop left on a train, disk encrypted."),
        ("Credential stuffing", "high", 10, "Many logins from one ASN, blocked."),
        ("Old incident", "low", 200, "before the period"),
    ]
    for i in range(6):
        specs.append((f"Phishing report {i}", "low", 5 + i, "reported by staff, \"quoted\", "
                      "comma"))
    for title, sev, ago, desc in specs:
        r = inst.post("/api/v1/incidents", {"title": title, "severity": sev,
                                            "description": desc, "detected_at": ts(ago)})
        assert r.status == 201, r
        incidents.append(r.json)
    crit = next(x for x in incidents if x["severity"] == "critical")
    for text in ("Isolated the build server", "Restored from backup", "Rotated CI secrets"):
        r = inst.post(f"/api/v1/incidents/{crit['key']}/timeline",
                      {"kind": "action", "text": text})
        assert r.status == 201, r
    r = inst.patch(f"/api/v1/incidents/{crit['key']}",
                   {"resolution": "fixed", "resolution_summary": "Rebuilt from clean images"})
    assert r.status == 200, r
    return {"users": users, "incidents": incidents, "plan": plan, "crit": crit}


def export(inst, out, *extra, env=None, check=True):
    p = inst.cli("evidence", "export", "--from", FROM, "--to", TO, "--out", str(out), *extra,
                 env=env)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def pdftext(path, first=None, last=None, layout=False):
    args = ["pdftotext"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    if layout:
        args.append("-layout")
    return BIDI.sub("", subprocess.run(args + [str(path), "-"], check=True,
                                       capture_output=True, text=True).stdout)


def pdfpages(path):
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


@pytest.fixture(scope="module")
def pack(pinst, data, tmp_path_factory):
    d = tmp_path_factory.mktemp("pack")
    out = d / "acme-pack.zip"
    p = export(pinst, out)
    ex = d / "x"
    with zipfile.ZipFile(out) as z:
        z.extractall(ex)
        names = z.namelist()
    return {"zip": out, "dir": ex, "names": names, "stdout": p.stdout, "stderr": p.stderr}


def test_pack_contents_and_manifest(pinst, pack, data):
    names = set(pack["names"])
    for f in ["index.html", "manifest.json", "manifest.json.sig", "public-key.txt",
              "plan/ir-plan.pdf", "plan/ir-plan.html", "plan/ir-plan.md",
              "plan/version-history.html", "team/team.pdf", "team/roster.csv",
              "team/training.csv", "reviews/exercises-and-reviews.pdf",
              "incidents/incident-log.csv", "incidents/incident-log.pdf",
              "notifications/notifications.pdf", "audit/audit-trail.jsonl",
              "audit/verification.json"]:
        assert f in names, f
    # reports: high and critical incidents of the period (no reviews on this installation)
    crit = data["crit"]["key"]
    assert f"incidents/reports/{crit}.pdf" in names and f"incidents/reports/{crit}.md" in names
    reports = {n for n in names if n.startswith("incidents/reports/") and n.endswith(".pdf")}
    assert len(reports) == 3, reports
    assert not any(n.startswith(".") or ".stage" in n for n in names)
    m = json.loads((pack["dir"] / "manifest.json").read_text())
    assert m["format"] == "sirt-evidence-pack/1"
    assert m["generator"].startswith("sirt ")
    assert m["instance_url"] == BASE_URL
    assert m["generated_by"].startswith("cli:")
    assert m["organisation"] == "Acme"
    assert m["period"]["from"].startswith(FROM) and m["period"]["to"].startswith(TO)
    assert m["signature"]["algorithm"] == "Ed25519"
    listed = {f["path"]: f for f in m["files"]}
    assert set(listed) == names - {"manifest.json", "manifest.json.sig"}
    for path, f in listed.items():
        data_ = (pack["dir"] / path).read_bytes()
        assert hashlib.sha256(data_).hexdigest() == f["sha256"], path
        assert len(data_) == f["size"]
    key = pinst.cli("evidence", "key", check=True).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert m["signature"]["public_key"] == key
    assert (pack["dir"] / "public-key.txt").read_text().strip() == key
    keyfile = Path(pinst.env["SIRT_DATA_DIR"]) / "evidence-ed25519.key"
    assert oct(keyfile.stat().st_mode & 0o777) == "0o600"
    # the command warns about gaps (no exercises on this installation)
    assert "warning: gap (exercises)" in pack["stderr"], pack["stderr"]
    assert "Wrote" in pack["stdout"] and "SHA-256 of the pack" in pack["stdout"]


def test_index_maps_controls_and_warns(pack):
    html = (pack["dir"] / "index.html").read_text()
    for ctl in ["25", "26", "27", "CC7.3", "CC7.4", "CC7.5", "A.5.24", "A.5.25", "A.5.26",
                "A.5.27", "A.5.28", "A.6.8"]:
        assert f"<strong>{ctl}</strong>" in html, ctl
    for link in ["plan/ir-plan.pdf", "team/team.pdf", "incidents/incident-log.csv",
                 "audit/verification.json"]:
        assert f'href="{link}"' in html, link
    assert "Freshness and gaps" in html and "No exercise" in html
    assert BASE_URL in html and "Acme" in html
    # every relative link points at a file in the pack
    for href in re.findall(r'href="([^"#]+)"', html):
        if not href.endswith("/"):
            assert (pack["dir"] / href).exists(), href


def test_incident_log_csv(pack, data):
    raw = (pack["dir"] / "incidents/incident-log.csv").read_bytes().decode("utf-8")
    assert "\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    in_period = [x for x in data["incidents"] if x["title"] != "Old incident"]
    assert len(rows) == len(in_period)
    assert [r["key"] for r in rows] == sorted([r["key"] for r in rows],
                                               key=lambda k: [x["key"] for x in sorted(
                                                   in_period, key=lambda y: y["detected_at"])]
                                               .index(k))
    titles = {r["title"] for r in rows}
    assert UNICODE_TITLE in titles
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in titles, "formula neutralised"
    assert not any(t.startswith("=") for t in titles)
    crit = next(r for r in rows if r["key"] == data["crit"]["key"])
    assert crit["severity"] == "critical" and crit["resolution"].startswith("fixed")
    assert "Rebuilt from clean images" in crit["resolution"]
    for r in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", r["date"]) and re.fullmatch(r"\d\d:\d\d", r["time"])


def test_pdfs_are_stamped_with_toc_and_unicode(pack, data):
    log = pack["dir"] / "incidents/incident-log.pdf"
    n = pdfpages(log)
    assert n >= 2
    first = pdftext(log, 1, 1)
    assert "Contents" in first and "Incident log" in first
    for page in range(1, n + 1):
        t = pdftext(log, page, page)
        assert "Acme" in t, page
        assert "Generated by cli:" in t, page
        assert BASE_URL in t, page
        assert f"page {page} of {n}" in t, page
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", t), page
    body = pdftext(log)
    assert "Fuite de données à Zürich" in body
    assert "勒索软件攻击" in body
    # pdftotext may split right-to-left words at glyph gaps: compare without spaces
    flat = re.sub(r"\s+", "", body)
    assert "هجومتصيد" in flat
    assert "התקפתדיוג" in flat
    info = subprocess.run(["pdfinfo", str(log)], capture_output=True, text=True).stdout
    assert re.search(r"^Title:\s+Incident log", info, re.M)
    assert re.search(r"^Author:\s+cli:", info, re.M)
    assert re.search(r"^CreationDate:\s+\S", info, re.M)
    dests = subprocess.run(["pdfinfo", "-dests", str(log)], capture_output=True,
                           text=True).stdout
    assert '"h0"' in dests and '"contents"' in dests
    raw = log.read_bytes()
    assert b"/Outlines" in raw and b"/Subtype /Link" in raw
    # the plan: the complete document with approvals
    plan = pdftext(pack["dir"] / "plan/ir-plan.pdf")
    assert "Version history" in plan and "bob@example.com" in plan and "carol@example.com" in plan
    assert "Attestations" in plan
    # the team with non-Latin names, trainings, verification
    team = pdftext(pack["dir"] / "team/team.pdf")
    assert "Alice Dupré" in team and "李小龍" in team
    assert "مريمالحسن" in re.sub(r"\s+", "", team)
    assert "Acme IR plan walkthrough" in team and "confirmed" in team
    # a report with its timeline
    rep = pdftext(pack["dir"] / f"incidents/reports/{data['crit']['key']}.pdf")
    assert "Timeline" in rep and "Restored from backup" in rep
    md = (pack["dir"] / f"incidents/reports/{data['crit']['key']}.md").read_text()
    assert "Restored from backup" in md and "## Timeline" in md
    # pages render
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "2", str(log),
                        f"{d}/p"], check=True)
        assert len(list(Path(d).glob("p-*.png"))) == 2


def test_audit_excerpt_and_verification(pack):
    lines = (pack["dir"] / "audit/audit-trail.jsonl").read_text().splitlines()
    assert lines
    entries = [json.loads(l) for l in lines]
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)
    assert all(re.fullmatch(r"[0-9a-f]{64}", e["hash"]) for e in entries)
    v = json.loads((pack["dir"] / "audit/verification.json").read_text())
    assert v["ok"] is True and v["entries_checked"] >= len(entries)
    assert v["excerpt_entries"] == len(entries)


def rezip(src_dir, out, skip=(), extra=None, change=None):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(Path(src_dir).rglob("*")):
            if p.is_dir():
                continue
            rel = p.relative_to(src_dir).as_posix()
            if rel in skip:
                continue
            data_ = p.read_bytes()
            if change and rel in change:
                data_ = change[rel](data_)
            z.writestr(rel, data_)
        for rel, data_ in (extra or {}).items():
            z.writestr(rel, data_)


def test_verify_names_what_was_altered(pinst, pack, tmp_path):
    key = pinst.cli("evidence", "key", check=True).stdout.strip()
    ok = pinst.cli("evidence", "verify", str(pack["zip"]), "--public-key", key)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK:" in ok.stdout and "as expected" in ok.stdout
    # one file changed
    bad = tmp_path / "changed.zip"
    rezip(pack["dir"], bad, change={"incidents/incident-log.csv":
                                    lambda b: b.replace(b"critical", b"low", 1)})
    r = pinst.cli("evidence", "verify", str(bad))
    assert r.returncode == 1
    assert "CHANGED: incidents/incident-log.csv" in r.stdout, r.stdout
    assert r.stdout.count("CHANGED") == 1
    # a file removed, another added
    bad2 = tmp_path / "missing.zip"
    rezip(pack["dir"], bad2, skip={"team/roster.csv"}, extra={"notes.txt": b"hello"})
    r = pinst.cli("evidence", "verify", str(bad2))
    assert r.returncode == 1
    assert "MISSING: team/roster.csv" in r.stdout and "ADDED: notes.txt" in r.stdout
    # the manifest changed to cover a changed file: the signature no longer matches
    def fix_manifest(b):
        m = json.loads(b)
        for f in m["files"]:
            if f["path"] == "incidents/incident-log.csv":
                f["sha256"] = "0" * 64
        return json.dumps(m, indent=2).encode()
    bad3 = tmp_path / "manifest.zip"
    rezip(pack["dir"], bad3, change={"manifest.json": fix_manifest})
    r = pinst.cli("evidence", "verify", str(bad3))
    assert r.returncode == 1 and "SIGNATURE INVALID" in r.stdout, r.stdout
    # signed by someone else
    r = pinst.cli("evidence", "verify", str(pack["zip"]), "--public-key", "ab" * 32)
    assert r.returncode == 1 and "WRONG SIGNER" in r.stdout, r.stdout
    # not a pack at all
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    r = pinst.cli("evidence", "verify", str(junk))
    assert r.returncode == 1 and "not a readable zip" in r.stderr


def test_api_build_list_download(pinst, data, tmp_path):
    users = data["users"]
    body = {"from": FROM, "to": TO, "framework": "m365"}
    r = pinst.post(PACKS, body, token=users["dave"])
    assert r.status == 403, r
    r = pinst.post(PACKS, body, token=users["audra"])
    assert r.status == 201, r
    p = r.json
    assert p["status"] == "ready" and p["framework"] == "m365"
    assert p["incidents"] == len([x for x in data["incidents"] if x["title"] != "Old incident"])
    assert any(w["area"] == "exercises" for w in p["warnings"])
    assert r.headers["location"] == f"{PACKS}/{p['id']}"
    lst = pinst.get(PACKS, token=users["audra"]).json["items"]
    assert p["id"] in [x["id"] for x in lst]
    d = pinst.get(p["download"], token=users["audra"])
    assert d.status == 200 and d.headers["content-type"] == "application/zip"
    assert hashlib.sha256(d.body).hexdigest() == p["sha256"] == d.headers["etag"].strip('"')
    z = tmp_path / "api.zip"
    z.write_bytes(d.body)
    r = pinst.cli("evidence", "verify", str(z))
    assert r.returncode == 0, r.stdout
    with zipfile.ZipFile(z) as zz:
        m = json.loads(zz.read("manifest.json"))
        html = zz.read("index.html").decode()
        log = zz.read("incidents/incident-log.pdf")
    assert m["generated_by"] == "audra@example.com" and m["framework"] == "m365"
    assert "<strong>25</strong>" in html and "CC7.3" not in html
    lp = tmp_path / "log.pdf"
    lp.write_bytes(log)
    assert "Generated by audra@example.com" in pdftext(lp, 1, 1)
    # the build is in the audit trail
    a = pinst.sql("SELECT action FROM audit_log WHERE action = 'evidence.pack.create'")
    assert "evidence.pack.create" in a
    # bad input
    r = pinst.post(PACKS, {"from": "2026-13-01", "to": TO}, token=users["audra"])
    assert r.status == 422 and r.json["errors"][0]["field"] == "from", r
    r = pinst.post(PACKS, {"from": TO, "to": FROM}, token=users["audra"])
    assert r.status == 422 and "after" in r.json["errors"][0]["message"], r
    r = pinst.post(PACKS, {"from": FROM, "to": TO, "framework": "pci"}, token=users["audra"])
    assert r.status == 422, r
    assert pinst.get(f"{PACKS}/nope", token=users["audra"]).status == 404


def no_leftovers(d, name):
    return [p.name for p in Path(d).iterdir() if name in p.name]


def test_bad_input_and_failures_leave_nothing(pinst, data, tmp_path):
    out = tmp_path / "p.zip"
    r = pinst.cli("evidence", "export", "--from", TO, "--to", FROM, "--out", str(out))
    assert r.returncode == 2 and "after" in r.stderr and not out.exists()
    r = pinst.cli("evidence", "export", "--from", "yesterday", "--to", TO, "--out", str(out))
    assert r.returncode == 2 and "not a date" in r.stderr and not out.exists()
    r = pinst.cli("evidence", "export", "--from", FROM, "--to", TO, "--out", str(out),
                  "--framework", "pci")
    assert r.returncode == 2 and not out.exists()
    r = pinst.cli("evidence", "export", "--from", FROM, "--to", TO,
                  "--out", str(tmp_path / "no-such-dir" / "p.zip"))
    assert r.returncode == 1 and "does not exist" in r.stderr
    # an empty period: a pack that says so
    r = pinst.cli("evidence", "export", "--from", "2001-01-01", "--to", "2001-03-31",
                  "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "No incidents were recorded in the period" in r.stderr
    with zipfile.ZipFile(out) as z:
        rows = z.read("incidents/incident-log.csv").decode().strip().splitlines()
        assert len(rows) == 1
        assert "No incidents were recorded" in z.read("index.html").decode()
    out.unlink()
    # fonts missing on the machine
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    f"<fontconfig><dir>{tmp_path}/nofonts</dir>"
                    f"<cachedir>{tmp_path}/fc-cache</cachedir></fontconfig>")
    r = pinst.cli("evidence", "export", "--from", FROM, "--to", TO, "--out", str(out),
                  env={"FONTCONFIG_FILE": str(conf)})
    assert r.returncode == 1 and "no fonts are installed" in r.stderr, r.stderr
    assert not out.exists() and no_leftovers(tmp_path, "p.zip") == []
    # a disk that fills during the export
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(small)],
                             capture_output=True).returncode == 0
    try:
        if mounted:
            target = small / "pack.zip"
            r = pinst.cli("evidence", "export", "--from", FROM, "--to", TO, "--out", str(target))
        else:
            # no mount(8) here: cap the size of files this process may write
            target = tmp_path / "capped.zip"
            r = subprocess.run(
                ["sh", "-c", 'trap "" XFSZ; ulimit -f 96; exec "$@"', "sh",
                 os.environ.get("SIRT", str(Path(__file__).resolve().parents[2] / "build/sirt")),
                 "evidence", "export", "--from", FROM, "--to", TO, "--out", str(target)],
                capture_output=True, text=True, env=pinst.env)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "disk is full" in r.stderr or "File too large" in r.stderr, r.stderr
        assert not target.exists()
        assert no_leftovers(target.parent, target.name) == []
    finally:
        if mounted:
            subprocess.run(["umount", str(small)])


def test_period_without_plan_in_force(pinst, data, tmp_path):
    # a second organisation: its starter plan is a draft, never approved
    pinst.cli("init", "--org", "Globex", "--admin-email", "gadmin@example.com", "--force",
              env={"SIRT_ADMIN_PASSWORD": "another-long-password"}, check=True)
    out = tmp_path / "globex.zip"
    r = pinst.cli("evidence", "export", "--org", "Globex", "--from", FROM, "--to", TO,
                  "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "warning: gap (plan)" in r.stderr and "approved and in force" in r.stderr
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert "plan/ir-plan.pdf" in names and "plan/ir-plan.html" not in names
        m = json.loads(z.read("manifest.json"))
        assert m["organisation"] == "Globex"
        csv_ = z.read("incidents/incident-log.csv").decode()
        assert "Ransomware" not in csv_, "another organisation's incidents"
    assert pinst.cli("evidence", "verify", str(out)).returncode == 0
