"""The evidence pack from a realistic data set (issue 9, "Done when"): an
approved plan, a trained team, a held exercise with action items, the 300
VCDB incidents imported, a high incident taken to a published post-incident
review, and regulatory clock submissions — then the pack's reports, review
documents, exercises and submissions are checked in the zip and its PDFs."""
import csv
import datetime
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from reviews_util import FULL_REVIEW
from sirt_harness import SHARED, Instance

TODAY = datetime.date.today()


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def user(inst, email, role):
    inst.cli("user", "add", "--email", email, "--org", "Acme", "--role", role,
             env={"SIRT_PASSWORD": "a-long-enough-password-1"}, check=True)
    return inst.token(email, scope="write")


@pytest.fixture(scope="module")
def world(backend, cluster, tmp_path_factory):
    inst = Instance(backend, cluster)
    inst.env["SIRT_DATA_DIR"] = str(inst.tmp / "data")
    Path(inst.tmp / "data").mkdir(parents=True, exist_ok=True)
    inst.init()
    inst.start()
    bob = user(inst, "bob@example.com", "manager")
    carol = user(inst, "carol@example.com", "manager")
    # the plan: the starter draft approved by two managers other than the submitter
    plan = inst.get("/api/v1/plans").json["items"][0]["id"]
    v1 = f"/api/v1/plans/{plan}/versions/v1"
    assert inst.post(v1 + "/submit", {}).status == 200
    assert inst.post(v1 + "/approve", {}, token=bob).status == 200
    assert inst.post(v1 + "/approve", {}, token=carol).json["status"] == "approved"
    # the team, trained this year
    m = inst.post("/api/v1/team/members", {"name": "Alice Dupré", "email": "alice@example.com",
                                            "roles": ["incident_commander"]}).json
    r = inst.post("/api/v1/team/trainings", {"member": m["id"], "course": "IR plan walkthrough",
                                             "completed_on": (TODAY - datetime.timedelta(days=9)).isoformat()})
    assert r.status == 201, r
    # a tabletop exercise, held, with an action item
    now = datetime.datetime.now(datetime.timezone.utc)
    ex = inst.post("/api/v1/exercises", {
        "kind": "tabletop", "title": "Supplier breach tabletop", "status": "held",
        "scheduled_at": iso(now - datetime.timedelta(days=12)), "duration_minutes": 90,
        "scenario": "A supplier reports a breach of our customer data.",
        "objectives": ["Test the external communication plan"],
        "findings": ["The supplier contact list was out of date."]})
    assert ex.status == 201, ex
    r = inst.post("/api/v1/actions", {"title": "Refresh the supplier contact list",
                                      "owner": "bob@example.com", "source_type": "exercise",
                                      "source_id": str(ex.json["id"]),
                                      "due_date": (TODAY + datetime.timedelta(days=30)).isoformat()})
    assert r.status == 201, r
    # the 300 VCDB incidents
    p = inst.cli("incident", "import", "--format", "veris", "--org", "Acme", "--quiet",
                 str(SHARED / "vcdb"))
    assert p.returncode == 0, p.stderr[-2000:]
    # a high incident of our own, worked and reviewed
    inc = inst.post("/api/v1/incidents", {
        "title": "Credential stuffing against the customer login", "severity": "high",
        "personal_data": True, "detected_at": iso(now - datetime.timedelta(hours=20))}).json
    tr = f"/api/v1/incidents/{inc['id']}/transitions"
    for to in ("triage", "containment", "eradication", "recovery", "resolved"):
        assert inst.post(tr, {"to": to}).status == 200
    rv = f"/api/v1/incidents/{inc['id']}/review"
    assert inst.post(rv).status == 201
    body = dict(FULL_REVIEW)
    body["actions_taken"] = [{"at": None, "actor": "alice", "text": "Blocked the source ASN",
                              "source": "manual"}]
    assert inst.patch(rv, body).status == 200
    assert inst.post(rv + "/submit").status == 200
    assert inst.post(rv + "/signoffs", {"comment": "agreed"}, token=bob).status == 200
    r = inst.post(rv + "/publish")
    assert r.status == 200, r
    r = inst.post(tr, {"to": "closed", "resolution": "fixed",
                       "root_cause_category": "weak_or_stolen_credentials"})
    assert r.status == 200, r
    # its GDPR clock, notified in time
    clocks = inst.get(f"/api/v1/incidents/{inc['id']}/clocks").json["items"]
    gdpr = next((c for c in clocks if c["definition"] == "gdpr_art33"), None)
    if gdpr is None:
        gdpr = inst.post(f"/api/v1/incidents/{inc['id']}/clocks", {"definition": "gdpr-art33"}).json
    r = inst.post(f"/api/v1/incidents/{inc['id']}/clocks/{gdpr['id']}/submissions",
                  {"stage": "notification", "authority": "CNIL", "reference": "CNIL-2026-118"})
    assert r.status == 201, r
    # the pack: a period wide enough for the imported VCDB incidents too
    out = tmp_path_factory.mktemp("pack") / "acme.zip"
    p = inst.cli("evidence", "export", "--from", "2010-01-01", "--to", TODAY.isoformat(),
                 "--out", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    ex_dir = out.parent / "x"
    with zipfile.ZipFile(out) as z:
        z.extractall(ex_dir)
        names = z.namelist()
    yield {"inst": inst, "inc": inc, "zip": out, "dir": ex_dir, "names": names}
    inst.close()


def text_of(path):
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_log_holds_the_imported_incidents(world):
    log = [n for n in world["names"] if n.endswith(".csv") and "incident" in n and "log" in n]
    assert log, world["names"]
    rows = list(csv.DictReader(io.StringIO((world["dir"] / log[0]).read_text())))
    assert len(rows) >= 301
    assert any(r.get("description", "") or r.get("Description", "") for r in rows)


def test_reviewed_incident_has_its_report(world):
    key = world["inc"]["key"]
    mine = [n for n in world["names"] if key in n]
    assert any(n.endswith(".pdf") for n in mine) and any(n.endswith(".md") for n in mine), mine
    md = (world["dir"] / next(n for n in mine if n.endswith(".md"))).read_text().replace("\\", "")
    assert "## Post-incident review" in md
    assert "No rate limit on the login endpoint." in md  # the published root cause
    assert "Rate-limit the login API" in md             # its recommendations
    pdf = text_of(world["dir"] / next(n for n in mine if n.endswith(".pdf")))
    assert "No rate limit on the login endpoint." in pdf.replace("\n", " ")


def test_exercise_and_submission_are_in_the_pack(world):
    joined = ""
    for n in world["names"]:
        f = world["dir"] / n
        if n.endswith((".csv", ".md", ".html", ".jsonl", ".json")):
            joined += f.read_text(errors="replace")
        elif n.endswith(".pdf"):
            joined += text_of(f)
    assert "Supplier breach tabletop" in joined
    assert "CNIL-2026-118" in joined
    assert "met" in joined


def test_pack_verifies(world):
    p = world["inst"].cli("evidence", "verify", str(world["zip"]))
    assert p.returncode == 0, p.stdout + p.stderr
