"""Evidence and chain of custody: streamed uploads, SHA-256 at intake, verified
downloads, tampering refused and recorded, limits, broken-off uploads, hand-over.

Runs on SQLite with the filesystem blob store, and on PostgreSQL with both the
filesystem and the large-object (--blob-store db) blob stores."""
import hashlib
import http.client
import os
import socket
import time
import urllib.parse

import pytest

from sirt_harness import Instance

INC = "/api/v1/incidents"
LIMIT = 256 * 1024


@pytest.fixture(scope="module", params=["fs", "db"])
def ev(request, backend, cluster):
    if request.param == "db" and backend != "postgres":
        pytest.skip("the large-object blob store needs PostgreSQL")
    i = Instance(backend, cluster)
    i.data_dir = i.tmp / "data"
    i.env["SIRT_DATA_DIR"] = str(i.data_dir)
    i.blob_store = request.param
    i.init()
    i.start("--evidence-max", "256k", "--blob-store", request.param)
    yield i
    i.close()


def incident(inst):
    r = inst.post(INC, {"title": "Laptop stolen", "severity": "high"})
    assert r.status == 201, r
    return r.json["id"]


def upload(inst, iid, data, name="disk.img", **query):
    q = urllib.parse.urlencode({"name": name, **query})
    return inst.request("POST", f"{INC}/{iid}/evidence?{q}", token=inst.admin_token, raw=data,
                        content_type="application/octet-stream")


def stored_files(inst):
    root = inst.data_dir / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def counts(inst):
    e = int(inst.sql("SELECT count(*) FROM evidence").strip())
    c = int(inst.sql("SELECT count(*) FROM evidence_custody").strip())
    lo = int(inst.sql("SELECT count(*) FROM blob_objects").strip())
    return e, c, lo


def test_upload_list_read_download(ev):
    iid = incident(ev)
    data = os.urandom(200_000)
    r = upload(ev, iid, data, name="mem dump (1).bin", description="RAM image",
               source="host-17")
    assert r.status == 201, r
    item = r.json
    assert item["sha256"] == hashlib.sha256(data).hexdigest()
    assert item["size"] == len(data)
    assert item["file_name"] == "mem dump (1).bin"
    assert item["description"] == "RAM image" and item["source"] == "host-17"
    assert item["collected_by"] and item["collected_at"]
    assert [c["action"] for c in item["custody"]] == ["upload"]
    assert r.headers["location"].endswith(item["id"])
    lst = ev.get(f"{INC}/{iid}/evidence")
    assert lst.status == 200 and [x["id"] for x in lst.json["items"]] == [item["id"]]
    one = ev.get(f"{INC}/{iid}/evidence/{item['id']}?reason=review")
    assert one.status == 200
    assert [c["action"] for c in one.json["custody"]] == ["upload", "view"]
    assert one.json["custody"][1]["reason"] == "review"
    d = ev.get(f"{INC}/{iid}/evidence/{item['id']}/download?reason=forensics")
    assert d.status == 200, d
    assert d.body == data
    assert d.headers["x-evidence-sha256"] == item["sha256"]
    assert d.headers["content-type"] == "application/octet-stream"
    assert "attachment" in d.headers["content-disposition"]
    one = ev.get(f"{INC}/{iid}/evidence/{item['id']}")
    dl = [c for c in one.json["custody"] if c["action"] == "download"]
    assert len(dl) == 1 and dl[0]["reason"] == "forensics" and dl[0]["sha256"] == item["sha256"]
    # every custody event is in the audit trail too
    acts = ev.sql(f"SELECT action FROM audit_log WHERE object_id = '{item['id']}' ORDER BY seq")
    assert acts.split() == ["evidence.upload", "evidence.view", "evidence.download",
                            "evidence.view"]
    if ev.blob_store == "fs":
        assert any(p.name == item["sha256"] for p in stored_files(ev))
    else:
        assert ev.sql(f"SELECT size FROM blob_objects WHERE sha256 = '{item['sha256']}'").strip() \
            == str(len(data))


def test_same_content_is_stored_once(ev):
    iid = incident(ev)
    data = b"identical bytes\n" * 100
    a = upload(ev, iid, data, name="a.txt")
    b = upload(ev, iid, data, name="b.txt")
    assert a.status == b.status == 201
    assert a.json["id"] != b.json["id"] and a.json["sha256"] == b.json["sha256"]
    if ev.blob_store == "fs":
        assert len([p for p in stored_files(ev) if p.name == a.json["sha256"]]) == 1
    else:
        n = ev.sql(f"SELECT count(*) FROM blob_objects WHERE sha256 = '{a.json['sha256']}'")
        assert n.strip() == "1"


def tamper(ev, sha):
    """Inverts the stored file's 11th byte (writing a fixed byte left a random file unchanged
    once in 256 runs)."""
    if ev.blob_store == "fs":
        p = next(p for p in stored_files(ev) if p.name == sha)
        p.chmod(0o600)
        with open(p, "r+b") as f:
            f.seek(10)
            b = f.read(1)[0]
            f.seek(10)
            f.write(bytes([b ^ 0xFF]))
    else:
        ev.sql("SELECT lo_put(oid, 10, set_byte('\\x00'::bytea, 0,"
               " 255 - get_byte(lo_get(oid, 10, 1), 0)))"
               f" FROM blob_objects WHERE sha256 = '{sha}'")


def test_tampered_file_is_refused_and_recorded(ev):
    iid = incident(ev)
    data = os.urandom(50_000)
    item = upload(ev, iid, data, name="pcap.pcapng").json
    tamper(ev, item["sha256"])
    d = ev.get(f"{INC}/{iid}/evidence/{item['id']}/download?reason=court")
    assert d.status == 409, d
    assert d.headers["content-type"].startswith("application/problem+json")
    assert "no longer matches" in d.json["detail"] and item["sha256"] in d.json["detail"]
    assert data[:10] not in d.body
    one = ev.get(f"{INC}/{iid}/evidence/{item['id']}").json
    fail = [c for c in one["custody"] if c["action"] == "integrity_failure"]
    assert len(fail) == 1 and fail[0]["reason"] == "court"
    assert fail[0]["sha256"] not in ("", item["sha256"])  # the hash it has now
    assert not [c for c in one["custody"] if c["action"] == "download"]
    n = ev.sql("SELECT count(*) FROM audit_log WHERE action = 'evidence.integrity_failure'"
               f" AND object_id = '{item['id']}'")
    assert n.strip() == "1"


def test_missing_file_is_refused(ev):
    if ev.blob_store != "fs":
        pytest.skip("filesystem only")
    iid = incident(ev)
    item = upload(ev, iid, b"short lived", name="gone.txt").json
    p = next(p for p in stored_files(ev) if p.name == item["sha256"])
    p.chmod(0o600)
    p.unlink()
    d = ev.get(f"{INC}/{iid}/evidence/{item['id']}/download?reason=check")
    assert d.status == 409 and "missing" in d.json["detail"]


def test_download_needs_a_reason(ev):
    iid = incident(ev)
    item = upload(ev, iid, b"abc", name="a").json
    for q in ["", "?reason=", "?reason=%0Aline"]:
        r = ev.get(f"{INC}/{iid}/evidence/{item['id']}/download{q}")
        assert r.status == 400 and "reason" in r.json["detail"], r


def test_oversize_upload_leaves_nothing(ev):
    iid = incident(ev)
    before_files, before = stored_files(ev), counts(ev)
    r = upload(ev, iid, os.urandom(LIMIT + 1), name="big.bin")
    assert r.status == 413, r
    # chunked: no Content-Length, so the limit is enforced while streaming
    conn = http.client.HTTPConnection("127.0.0.1", ev.port, timeout=30)
    conn.putrequest("POST", f"{INC}/{iid}/evidence?name=big2.bin")
    conn.putheader("Authorization", f"Bearer {ev.admin_token}")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = os.urandom(64 * 1024)
    try:
        for _ in range(6):
            conn.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 413, body
    assert b"evidence limit" in body
    assert stored_files(ev) == before_files
    assert counts(ev) == before
    # exactly at the limit is fine
    ok = upload(ev, iid, os.urandom(LIMIT), name="edge.bin")
    assert ok.status == 201, ok


def test_broken_off_upload_leaves_nothing(ev):
    iid = incident(ev)
    before_files, before = stored_files(ev), counts(ev)
    s = socket.create_connection(("127.0.0.1", ev.port))
    head = (f"POST {INC}/{iid}/evidence?name=half.bin HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {ev.admin_token}\r\n"
            "Content-Type: application/octet-stream\r\nContent-Length: 200000\r\n\r\n")
    s.sendall(head.encode() + os.urandom(90_000))
    time.sleep(0.3)
    s.close()
    time.sleep(0.5)
    assert stored_files(ev) == before_files
    assert counts(ev) == before
    # the server is fine afterwards
    assert upload(ev, iid, b"after", name="after.txt").status == 201


def test_bad_uploads(ev):
    iid = incident(ev)
    before = counts(ev)
    r = upload(ev, iid, b"x", name="")
    assert r.status == 422 and r.json["errors"][0]["field"] == "name"
    r = upload(ev, iid, b"x", name="../etc/passwd")
    assert r.status == 422 and r.json["errors"][0]["field"] == "name"
    r = upload(ev, iid, b"", name="empty.txt")
    assert r.status == 422 and "empty" in r.json["detail"]
    r = upload(ev, iid, b"x", name="a.txt", collected_at="2999-01-01T00:00:00Z")
    assert r.status == 422 and r.json["errors"][0]["field"] == "collected_at"
    r = ev.request("POST", f"{INC}/{iid}/evidence?name=a", token=ev.admin_token,
                   raw=b"--b\r\n\r\nx\r\n--b--\r\n", content_type="multipart/form-data; boundary=b")
    assert r.status == 415
    r = upload(ev, "00000000-0000-4000-8000-000000000000", b"x", name="a.txt")
    assert r.status == 404
    assert counts(ev) == before
    r = ev.get(f"{INC}/{iid}/evidence/00000000-0000-4000-8000-000000000000")
    assert r.status == 404
    # an item is only reachable through its own incident
    other = incident(ev)
    item = upload(ev, iid, b"mine", name="m.txt").json
    assert ev.get(f"{INC}/{other}/evidence/{item['id']}").status == 404
    assert ev.get(f"{INC}/{other}/evidence/{item['id']}/download?reason=x").status == 404


def test_handover_and_custodian(ev):
    iid = incident(ev)
    item = upload(ev, iid, b"drive image", name="drive.e01").json
    url = f"{INC}/{iid}/evidence/{item['id']}/custody"
    r = ev.post(url, {"action": "handover", "reason": "external forensics"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "to"
    r = ev.post(url, {"action": "destroy", "to": "x", "reason": "y"})
    assert r.status == 422
    r = ev.post(url, {"action": "handover", "to": "Forensics Ltd (J. Smith)",
                      "reason": "imaging", "extra": 1})
    assert r.status == 422
    r = ev.post(url, {"action": "handover", "to": "Forensics Ltd (J. Smith)",
                      "reason": "imaging"})
    assert r.status == 201, r
    assert r.json["custodian"] == "Forensics Ltd (J. Smith)"
    last = r.json["custody"][-1]
    assert last["action"] == "handover" and last["to"] == "Forensics Ltd (J. Smith)"
    assert last["reason"] == "imaging" and last["actor"]
    r = ev.post(url, {"action": "export", "reason": "evidence pack for the auditor"})
    assert r.status == 201 and r.json["custody"][-1]["action"] == "export"


def test_custody_log_is_append_only(ev):
    with pytest.raises(Exception):
        ev.sql("UPDATE evidence_custody SET reason = 'rewritten'")
    with pytest.raises(Exception):
        ev.sql("DELETE FROM evidence_custody")


def test_viewer_can_read_but_not_upload(ev):
    iid = incident(ev)
    tok = ev.token("admin@example.com", scope="read")
    r = ev.request("POST", f"{INC}/{iid}/evidence?name=a", token=tok, raw=b"x",
                   content_type="application/octet-stream")
    assert r.status == 403
    assert ev.get(f"{INC}/{iid}/evidence", token=tok).status == 200
