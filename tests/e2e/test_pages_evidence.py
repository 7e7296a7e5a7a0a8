"""The evidence, deadlines and communications parts of the web UI (issue 8),
signed in with a session cookie like a browser, on both backends: evidence
uploaded through the multipart form (streamed, hashed, size-limited, nothing
left by an oversized, broken-off or CSRF-less upload) and downloaded with its
hash checked; clocks applied and their deadlines shown; decisions and
submissions; the dashboard's panels and /compliance; an evidence pack built
from /evidence; the channel, outbox and clock-definition administration
pages; another organisation's objects are 404; every page is valid HTML."""
import hashlib
import http.client
import os
import re
import socket
import subprocess
import time
import urllib.parse
import zipfile
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest

from sirt_harness import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, Instance
from trust_util import Web

LIMIT = 256 * 1024
BOUNDARY = "----sirtTestBoundary7MA4YWxkTrZu0gW"


@pytest.fixture(scope="module")
def inst(backend, cluster):
    """A server with a small evidence limit and its own data directory."""
    i = Instance(backend, cluster)
    i.data_dir = i.tmp / "data"
    i.env["SIRT_DATA_DIR"] = str(i.data_dir)
    i.init()
    i.cli("init", "--force", "--org", "Other", "--admin-email", "eve@example.com",
          env={"SIRT_ADMIN_PASSWORD": ADMIN_PASSWORD}, check=True)
    i.start("--evidence-max", "256k")
    yield i
    i.close()


@pytest.fixture(scope="module")
def web(inst):
    w = Web(inst)
    w.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    return w


def page_csrf(r):
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert m, r.text[:500]
    return m.group(1)


def tidy_ok(tmp_path, name, html):
    p = tmp_path / f"{name}.html"
    p.write_text(html)
    rc = subprocess.run(["sh", str(ROOT / "tests/web/validate-templates.sh"), str(p)],
                        capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr


def flash(r):
    m = re.search(r'<div class="flash flash-(\w+)"[^>]*>([^<]*)</div>', r.text)
    return (m.group(1), m.group(2)) if m else None


def create(w, **fields):
    r = w.get("/incidents/new")
    body = {"csrf": page_csrf(r), "title": "Stolen laptop", "severity": "high"}
    body.update(fields)
    r = w.form("/incidents/new", body)
    assert r.status == 303, r
    return r.headers["location"].rsplit("/", 1)[1]


def multipart(fields, file=None, boundary=BOUNDARY):
    """fields: [(name, value)] in order; file: (field, filename, bytes)."""
    out = BytesIO()
    for k, v in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode())
        out.write(v.encode() + b"\r\n")
    if file:
        name, fname, data = file
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{fname}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def upload(w, key, data, name="disk.img", csrf=None, description="Disk image", source="WS-042"):
    fields = []
    if csrf is not False:
        fields.append(("csrf", csrf or page_csrf(w.get(f"/incidents/{key}"))))
    fields += [("description", description), ("source", source)]
    body = multipart(fields, ("file", name, data))
    return w.request("POST", f"/incidents/{key}/evidence", body=body,
                     content_type=f"multipart/form-data; boundary={BOUNDARY}")


def stored_files(inst):
    root = inst.data_dir / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def counts(inst):
    return (int(inst.sql("SELECT count(*) FROM evidence").strip()),
            int(inst.sql("SELECT count(*) FROM evidence_custody").strip()))


def test_upload_download_and_custody(inst, web, tmp_path):
    key = create(web)
    # a near-boundary inside the file must not end it
    data = os.urandom(100_000) + b"\r\n--" + BOUNDARY[:-2].encode() + b"\r\n" + os.urandom(5000)
    sha = hashlib.sha256(data).hexdigest()
    r = upload(web, key, data, name="disk image.img")
    assert r.status == 303, r
    assert r.headers["location"] == f"/incidents/{key}#evidence"
    page = web.get(f"/incidents/{key}")
    assert page.status == 200
    kind, text = flash(page)
    assert kind == "ok" and "disk image.img" in text and sha[:16] in text, text
    # listed with the short hash and the full one on hover
    assert f'title="{sha}"' in page.text and f"{sha[:12]}…" in page.text
    assert "Disk image" in page.text and "Source: WS-042" in page.text
    assert "105.1 KB" in page.text or "105 KB" in page.text
    tidy_ok(tmp_path, "incident-evidence", page.text)
    m = re.search(r'action="(/api/v1/incidents/[^"]+/evidence/([^"/]+)/download)"', page.text)
    assert m, page.text
    path, eid = m.group(1), m.group(2)
    # the download form's GET, authenticated by the session cookie
    r = web.get(path + "?" + urllib.parse.urlencode({"reason": "analysis by IR"}))
    assert r.status == 200, r
    assert hashlib.sha256(r.body).hexdigest() == sha
    assert r.headers["x-evidence-sha256"] == sha
    # without a reason it is refused
    assert web.get(path).status == 400
    # hand-over: errors next to the fields, input kept
    csrf = page_csrf(page)
    r = web.form(f"/incidents/{key}/evidence/{eid}/handover",
                 {"csrf": csrf, "to": "", "reason": "for the police"})
    assert r.status == 422, r
    assert 'id="ho-to-0-error"' in r.text and 'value="for the police"' in r.text
    r = web.form(f"/incidents/{key}/evidence/{eid}/handover",
                 {"csrf": csrf, "to": "Detective Inspector Reyes", "reason": "criminal case 4711"})
    assert r.status == 303, r
    page = web.get(f"/incidents/{key}")
    log = page.text[page.text.index('class="custody-log"'):]
    log = log[:log.index("</ol>")]
    for want in ("Upload", "Download", "analysis by IR", "Handover", "Detective Inspector Reyes"):
        assert want in log, log
    assert "Held by Detective Inspector Reyes" in page.text


def test_upload_form_errors_keep_input(inst, web):
    key = create(web)
    before = counts(inst)
    csrf = page_csrf(web.get(f"/incidents/{key}"))
    body = multipart([("csrf", csrf), ("description", "Mail headers"), ("source", "mailbox")],
                     ("file", "", b""))
    r = web.request("POST", f"/incidents/{key}/evidence", body=body,
                    content_type=f"multipart/form-data; boundary={BOUNDARY}")
    assert r.status == 422, r
    assert 'id="ev-file-error">Choose a file to upload.' in r.text
    assert ">Mail headers</textarea>" in r.text and 'value="mailbox"' in r.text
    r = upload(web, key, b"x", source="line\nbreak")
    assert r.status == 422 and 'id="ev-source-error"' in r.text
    assert counts(inst) == before


def test_oversized_and_broken_off_uploads_leave_nothing(inst, web):
    key = create(web)
    csrf = page_csrf(web.get(f"/incidents/{key}"))
    before_files, before = stored_files(inst), counts(inst)
    # declared too large: refused before the body
    r = upload(web, key, os.urandom(LIMIT + 10), csrf=csrf)
    assert r.status == 413, r
    # chunked (no length): the file part passes the limit while streaming
    head = multipart([("csrf", csrf), ("description", "big")])[:-len(f"--{BOUNDARY}--\r\n")]
    head += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"'
             "\r\n\r\n").encode()
    conn = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=30)
    conn.putrequest("POST", f"/incidents/{key}/evidence")
    conn.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in web.cookies.items()))
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunks = [head] + [os.urandom(64 * 1024) for _ in range(5)] + \
        [f"\r\n--{BOUNDARY}--\r\n".encode()]
    try:
        for c in chunks:
            conn.send(b"%x\r\n" % len(c) + c + b"\r\n")
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    assert resp.status == 413, body
    assert "too large" in body and "Nothing was stored" in body
    # broken off half-way
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    part = multipart([("csrf", csrf)], ("file", "half.bin", os.urandom(150_000)))
    s = socket.create_connection(("127.0.0.1", inst.port))
    s.sendall((f"POST /incidents/{key}/evidence HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n"
               f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
               f"Content-Length: {len(part)}\r\n\r\n").encode() + part[:90_000])
    time.sleep(0.3)
    s.close()
    time.sleep(0.5)
    # a body that ends in the middle of the file part
    r = web.request("POST", f"/incidents/{key}/evidence", body=part[:90_000],
                    content_type=f"multipart/form-data; boundary={BOUNDARY}")
    assert r.status == 400 and "incomplete" in r.text, r
    assert stored_files(inst) == before_files
    assert counts(inst) == before
    # just under the limit is stored (the whole form body counts against evidence-max)
    assert upload(web, key, os.urandom(LIMIT - 2048), name="edge.bin", csrf=csrf).status == 303


def test_posts_without_csrf_are_refused(inst, web):
    key = create(web)
    before_files, before = stored_files(inst), counts(inst)
    assert upload(web, key, b"no token", csrf=False).status == 403
    assert upload(web, key, b"forged", csrf="forged-token-forged-token-forged-tok").status == 403
    assert stored_files(inst) == before_files and counts(inst) == before
    for path, body in ((f"/incidents/{key}/clocks", {"definition": "gdpr_art33"}),
                       (f"/incidents/{key}/decisions", {"decision": "classified_major"}),
                       ("/evidence", {"from": "2026-01-01", "to": "2026-01-31"}),
                       ("/admin/channels", {"name": "x", "kind": "slack"}),
                       ("/admin/clocks/new", {"definition": "{}"})):
        r = web.form(path, body)
        assert r.status == 403, (path, r)
    assert "No regulatory clock runs on this incident" in web.get(f"/incidents/{key}").text


def test_clock_apply_decision_and_submission(inst, web, tmp_path):
    detected = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(hours=60)
    key = create(web, detected_at=detected.strftime("%Y-%m-%dT%H:%M"))
    page = web.get(f"/incidents/{key}")
    csrf = page_csrf(page)
    assert 'option value="gdpr_art33"' in page.text
    # an unknown definition: the error next to the select
    r = web.form(f"/incidents/{key}/clocks", {"csrf": csrf, "definition": ""})
    assert r.status == 422 and 'id="clock-def-error">Choose a clock.' in r.text
    r = web.form(f"/incidents/{key}/clocks", {"csrf": csrf, "definition": "gdpr_art33"})
    assert r.status == 303 and r.headers["location"] == f"/incidents/{key}#clocks"
    page = web.get(f"/incidents/{key}")
    assert flash(page)[0] == "ok"
    due = (detected + timedelta(hours=72)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'data-deadline="{due}"' in page.text, page.text
    m = re.search(r'data-deadline="' + re.escape(due) + r'"[^>]*>([^<]+)<', page.text)
    assert re.fullmatch(r"1[12]h \d\dm left", m.group(1)), m.group(1)
    tidy_ok(tmp_path, "incident-clocks", page.text)
    # applying it again is refused next to the field
    r = web.form(f"/incidents/{key}/clocks", {"csrf": csrf, "definition": "gdpr_art33"})
    assert r.status == 422 and "runs on the incident already" in r.text
    # a decision, and one with a future time (error, input kept)
    r = web.form(f"/incidents/{key}/decisions",
                 {"csrf": csrf, "decision": "classified_major", "decided_at": "2999-01-01T10:00",
                  "note": "board call"})
    assert r.status == 422 and 'id="dec-at-error"' in r.text and ">board call</textarea>" in r.text
    r = web.form(f"/incidents/{key}/decisions",
                 {"csrf": csrf, "decision": "classified_major", "note": "board call"})
    assert r.status == 303, r
    assert "Classified major" in web.get(f"/incidents/{key}").text
    # a submission for the notification stage
    cid = re.search(r'action="/incidents/[^"]+/clocks/([^"/]+)/submissions"', page.text).group(1)
    stage = re.search(r'id="sub-stage-0" name="stage">\s*<option value="([^"]+)"',
                      page.text).group(1)
    r = web.form(f"/incidents/{key}/clocks/{cid}/submissions",
                 {"csrf": csrf, "stage": "no_such_stage", "authority": "ICO"})
    assert r.status == 422 and 'id="sub-stage-0-error"' in r.text, r
    assert 'value="ICO"' in r.text
    r = web.form(f"/incidents/{key}/clocks/{cid}/submissions",
                 {"csrf": csrf, "stage": stage, "outcome": "submitted", "authority": "ICO",
                  "reference": "ICO-2026-123"})
    assert r.status == 303, r
    page = web.get(f"/incidents/{key}")
    assert "ICO-2026-123" in page.text and "stage-status-met" in page.text


def test_dashboard_panels_and_compliance(inst, web, tmp_path):
    detected = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(hours=70)
    key = create(web, title="Customer database exposed", severity="critical",
                 detected_at=detected.strftime("%Y-%m-%dT%H:%M"))
    csrf = page_csrf(web.get(f"/incidents/{key}"))
    assert web.form(f"/incidents/{key}/clocks",
                    {"csrf": csrf, "definition": "gdpr_art33"}).status == 303
    r = web.get("/")
    assert r.status == 200
    dl = r.text[r.text.index('id="deadlines"'):r.text.index('id="overdue"')]
    assert key in dl and "data-deadline=" in dl and re.search(r"1h \d\dm left", dl), dl
    assert 'id="compliance"' in r.text and "Not met" in r.text
    assert 'href="/compliance"' in r.text
    tidy_ok(tmp_path, "dashboard", r.text)
    r = web.get("/compliance")
    assert r.status == 200 and "No approved IR plan" in r.text
    assert 'href="/plan"' in r.text
    tidy_ok(tmp_path, "compliance", r.text)
    assert web.get("/compliance?framework=soc2").status == 200


def test_evidence_pack_from_the_page(inst, web, tmp_path):
    r = web.get("/evidence")
    assert r.status == 200 and "sirt evidence verify FILE.zip" in r.text
    tidy_ok(tmp_path, "evidence", r.text)
    csrf = page_csrf(r)
    r = web.form("/evidence", {"csrf": csrf, "from": "2026-13-01", "to": "2026-01-31",
                               "framework": "soc2"})
    assert r.status == 422, r
    assert 'id="p-from-error"' in r.text and 'value="2026-13-01"' in r.text
    today = datetime.now(timezone.utc)
    frm = (today - timedelta(days=30)).strftime("%Y-%m-%d")
    to = today.strftime("%Y-%m-%d")
    r = web.form("/evidence", {"csrf": csrf, "from": frm, "to": to, "framework": "all"})
    assert r.status == 303 and r.headers["location"] == "/evidence", r
    r = web.get("/evidence")
    assert flash(r)[1].startswith("Evidence pack built"), flash(r)
    assert f"{frm} to {to}" in r.text
    m = re.search(r'href="(/api/v1/evidence/packs/[^"]+/download)"', r.text)
    assert m, r.text
    sha = re.search(r'<code class="hash" title="([0-9a-f]{64})">', r.text).group(1)
    z = web.get(m.group(1))
    assert z.status == 200 and hashlib.sha256(z.body).hexdigest() == sha
    assert "manifest.json" in zipfile.ZipFile(BytesIO(z.body)).namelist()
    tidy_ok(tmp_path, "evidence-list", r.text)


def test_admin_channels_outbox_and_clocks(inst, web, tmp_path):
    r = web.get("/admin/channels")
    assert r.status == 200
    tidy_ok(tmp_path, "channels", r.text)
    csrf = page_csrf(r)
    secret = "s3cret-signing-value-0123456789"
    r = web.form("/admin/channels", {"csrf": csrf, "name": "SIEM hook", "kind": "webhook",
                                     "events": "*", "url": "not a url",
                                     "signing_secret": secret})
    assert r.status == 422 and 'id="ch-url-error"' in r.text, r
    assert 'value="SIEM hook"' in r.text and secret not in r.text
    r = web.form("/admin/channels", {"csrf": csrf, "name": "SIEM hook", "kind": "webhook",
                                     "events": "incident.*, clock.*",
                                     "url": "https://siem.example.com/hook",
                                     "signing_secret": secret})
    assert r.status == 303, r
    r = web.get("/admin/channels")
    assert "SIEM hook" in r.text and "<code>signing_secret</code>" in r.text
    assert secret not in r.text
    m = re.search(r'action="/admin/channels/([^"/]+)/enabled"', r.text)
    ver = re.search(r'name="version" value="(\d+)"', r.text).group(1)
    r = web.form(f"/admin/channels/{m.group(1)}/enabled",
                 {"csrf": csrf, "enabled": "0", "version": ver})
    assert r.status == 303
    r = web.get("/admin/channels")
    assert flash(r) == ("ok", "Channel “SIEM hook” disabled.") and "Disabled" in r.text
    r = web.get("/admin/outbox?status=failed")
    assert r.status == 200
    tidy_ok(tmp_path, "outbox", r.text)
    # clock definitions
    r = web.get("/admin/clocks")
    assert r.status == 200 and "gdpr_art33" in r.text
    tidy_ok(tmp_path, "clocks", r.text)
    r = web.get("/admin/clocks/new")
    csrf = page_csrf(r)
    tidy_ok(tmp_path, "clock-new", r.text)
    r = web.form("/admin/clocks/new", {"csrf": csrf, "definition": '{"key": "x"', "reminders": "24"})
    assert r.status == 422 and "Not valid JSON" in r.text
    bad = ('{"key": "acme_contract", "name": "Acme contract", "trigger": "became_aware",'
           ' "stages": [{"key": "notify", "name": "Notify Acme", "recipient": "Acme SOC",'
           ' "deadline": {"after": "trigger", "amount": 24, "unit": "fortnights"}}]}')
    r = web.form("/admin/clocks/new", {"csrf": csrf, "definition": bad, "reminders": "4, 1"})
    assert r.status == 422 and "stages[0].deadline.unit" in r.text, r
    assert "fortnights" in r.text  # the input is kept
    r = web.form("/admin/clocks/new", {"csrf": csrf, "definition": bad.replace("fortnights", "hours"),
                                       "reminders": "4, 1"})
    assert r.status == 303 and r.headers["location"] == "/admin/clocks/acme_contract", r
    r = web.get("/admin/clocks/acme_contract?became_aware=2026-03-02T09:30")
    assert r.status == 200 and "Notify Acme" in r.text
    assert 'datetime="2026-03-03T09:30:00Z"' in r.text, r.text
    tidy_ok(tmp_path, "clock-edit", r.text)


def test_other_organisation_is_404(inst, web):
    key = create(web, title="Acme only")
    page = web.get(f"/incidents/{key}")
    csrf = page_csrf(page)
    assert upload(web, key, b"acme evidence", name="acme.txt", csrf=csrf).status == 303
    page = web.get(f"/incidents/{key}")
    eid = re.search(r'/evidence/([^"/]+)/download', page.text).group(1)
    assert web.form(f"/incidents/{key}/clocks", {"csrf": csrf, "definition": "gdpr_art33"}).status == 303
    page = web.get(f"/incidents/{key}")
    cid = re.search(r'/clocks/([^"/]+)/submissions', page.text).group(1)
    r = web.get("/admin/channels")
    chan = re.search(r'action="/admin/channels/([^"/]+)/test"', r.text)
    eve = Web(inst)
    eve.login("eve@example.com", ADMIN_PASSWORD)
    ecsrf = page_csrf(eve.get("/incidents/new"))
    assert eve.get(f"/incidents/{key}").status == 404
    r = upload(eve, key, b"planted", csrf=ecsrf)
    assert r.status == 404, r
    for path, body in ((f"/incidents/{key}/evidence/{eid}/handover", {"to": "Eve", "reason": "x"}),
                       (f"/incidents/{key}/clocks", {"definition": "gdpr_art33"}),
                       (f"/incidents/{key}/decisions", {"decision": "ransom_paid"}),
                       (f"/incidents/{key}/clocks/{cid}/submissions", {"stage": "notification"})):
        body["csrf"] = ecsrf
        r = eve.form(path, body)
        assert r.status == 404, (path, r)
    if chan:
        for suffix in ("test", "enabled"):
            r = eve.form(f"/admin/channels/{chan.group(1)}/{suffix}",
                         {"csrf": ecsrf, "enabled": "1", "version": "1"})
            assert r.status == 404, (suffix, r)
    assert "Acme only" not in eve.get("/").text
    r = eve.get("/evidence")
    assert r.status == 200 and "/api/v1/evidence/packs/" not in r.text
    assert eve.get(f"/api/v1/incidents/x/evidence/{eid}/download?reason=x").status == 404
