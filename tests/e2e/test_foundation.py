"""The foundation: CLI, incidents slice, errors, health, metrics, OpenAPI."""
import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from sirt_harness import ADMIN_EMAIL, SIRT, Cluster, Instance

INC = "/api/v1/incidents"


def new_incident(inst, **kw):
    body = {"title": "Suspicious login", "severity": "high"}
    body.update(kw)
    r = inst.post(INC, body)
    assert r.status == 201, r
    return r


def count(inst):
    n, cursor = 0, None
    while True:
        r = inst.get(INC + "?limit=200" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        n += len(r.json["items"])
        cursor = r.json["next_cursor"]
        if not cursor:
            return n


def assert_problem(r, status, detail_part=None):
    assert r.status == status, r
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    assert r.json["status"] == status
    assert r.json["title"] and r.json["detail"]
    assert r.json["request_id"] == r.headers["x-request-id"]
    if detail_part:
        assert detail_part in r.json["detail"], r.json


# ---------------- CLI ----------------

@pytest.mark.parametrize("cmd", [["serve"], ["init"], ["migrate"], ["token"], ["token", "create"],
                                 ["backup"], ["version"]])
def test_every_subcommand_has_help(cmd):
    p = subprocess.run([SIRT, *cmd, "--help"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "Usage: sirt" in p.stdout


def test_unknown_command_and_option():
    p = subprocess.run([SIRT, "frobnicate"], capture_output=True, text=True)
    assert p.returncode == 2 and "unknown command" in p.stderr
    p = subprocess.run([SIRT, "migrate", "--nope"], capture_output=True, text=True)
    assert p.returncode == 2 and "unknown option" in p.stderr


def test_init_refuses_twice_unless_forced(fresh):
    p = fresh.cli("init", "--org", "Acme", env={"SIRT_ADMIN_PASSWORD": ""})
    assert p.returncode == 0, p.stderr
    m = re.search(r"Password:\s+(\S+)", p.stdout)
    assert m and len(m.group(1)) == 20, p.stdout
    p2 = fresh.cli("init", "--org", "Acme")
    assert p2.returncode == 1 and "already initialised" in p2.stderr
    p3 = fresh.cli("init", "--org", "Acme", "--force",
                   env={"SIRT_ADMIN_PASSWORD": "another-long-password"})
    assert p3.returncode == 0, p3.stderr
    assert "SIRT_ADMIN_PASSWORD" in p3.stdout


def test_init_rejects_bad_email_and_short_password(fresh):
    p = fresh.cli("init", "--admin-email", "not-an-email")
    assert p.returncode == 2 and "not a valid e-mail" in p.stderr
    p = fresh.cli("init", env={"SIRT_ADMIN_PASSWORD": "short"})
    assert p.returncode == 2 and "at least 12" in p.stderr


def test_token_create_prints_only_the_token(fresh):
    fresh.init()
    p = fresh.cli("token", "create", "--email", ADMIN_EMAIL, "--name", "ci", "--scope", "read",
                  "--expires", "30")
    assert p.returncode == 0, p.stderr
    assert re.fullmatch(r"sirt_[A-Za-z0-9_-]{43}\n", p.stdout), p.stdout
    p = fresh.cli("token", "create", "--email", "nobody@example.com")
    assert p.returncode == 1 and "no user" in p.stderr
    p = fresh.cli("token", "create", "--email", ADMIN_EMAIL, "--scope", "root")
    assert p.returncode == 2 and "--scope" in p.stderr
    p = fresh.cli("token", "create", "--email", ADMIN_EMAIL, "--expires", "soon")
    assert p.returncode == 2 and "--expires" in p.stderr


def test_migrate_and_version(fresh):
    p = fresh.cli("migrate")
    assert p.returncode == 0 and "schema version" in p.stdout, p.stderr
    again = fresh.cli("migrate")
    assert "applied 0 migrations" in again.stdout
    v = fresh.cli("version")
    assert v.returncode == 0 and v.stdout.startswith("sirt ")


def test_db_url_forms_and_config_precedence(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("file paths are a SQLite matter")
    plain = tmp_path / "plain.db"
    p = subprocess.run([SIRT, "migrate", "--db", str(plain)], capture_output=True, text=True)
    assert p.returncode == 0 and plain.exists(), p.stderr
    conf = tmp_path / "sirt.conf"
    from_file = tmp_path / "fromfile.db"
    conf.write_text(f"# example\ndb = sqlite:{from_file}\n")
    env = dict(os.environ)
    env.pop("SIRT_DB", None)
    p = subprocess.run([SIRT, "migrate", "--config", str(conf)], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0 and from_file.exists(), p.stderr
    # environment beats the file, the flag beats the environment
    from_env = tmp_path / "fromenv.db"
    env["SIRT_DB"] = f"sqlite:{from_env}"
    subprocess.run([SIRT, "migrate", "--config", str(conf)], check=True, env=env,
                   capture_output=True)
    assert from_env.exists()
    from_flag = tmp_path / "fromflag.db"
    subprocess.run([SIRT, "migrate", "--config", str(conf), "--db", f"sqlite:{from_flag}"],
                   check=True, env=env, capture_output=True)
    assert from_flag.exists()
    conf.write_text("db = x\nbogus = 1\n")
    p = subprocess.run([SIRT, "migrate", "--config", str(conf)], capture_output=True, text=True)
    assert p.returncode == 2 and "sirt.conf:2" in p.stderr and "unknown setting" in p.stderr


def test_backup(fresh, tmp_path):
    fresh.init()
    out = tmp_path / "copy.db"
    p = fresh.cli("backup", "--out", str(out))
    if fresh.backend == "postgres":
        assert p.returncode == 1 and "pg_dump" in p.stderr
        return
    assert p.returncode == 0, p.stderr
    rows = subprocess.run(["sqlite3", str(out), "SELECT email FROM users"], capture_output=True,
                          text=True, check=True).stdout
    assert ADMIN_EMAIL in rows
    p = fresh.cli("backup", "--out", str(out))
    assert p.returncode == 1 and "refusing to overwrite" in p.stderr


def test_unreachable_database_is_a_clear_cli_error():
    p = subprocess.run([SIRT, "migrate", "--db", "postgresql://nobody@127.0.0.1:1/nothing"],
                       capture_output=True, text=True)
    assert p.returncode == 1 and "postgres:" in p.stderr


# ---------------- the incidents slice ----------------

def test_create_read_list_update(inst):
    r = new_incident(inst, description="Impossible travel for j.doe",
                     detected_at="2026-11-30T23:15:00+02:00")
    rec = r.json
    assert re.fullmatch(r"INC-\d{4}-\d{4,}", rec["key"])
    assert rec["status"] == "new" and rec["severity"] == "high"
    assert rec["detected_at"] == "2026-11-30T21:15:00Z"  # stored and returned in UTC
    assert r.headers["location"] == f"{INC}/{rec['id']}"
    g = inst.get(r.headers["location"])
    assert g.status == 200 and g.json["title"] == "Suspicious login"
    etag = g.headers["etag"]
    u = inst.patch(f"{INC}/{rec['id']}", {"severity": "critical"}, headers={"If-Match": etag})
    assert u.status == 200 and u.json["severity"] == "critical" and u.json["version"] == 2
    assert u.headers["etag"] != etag
    # the old ETag is stale now: no update is lost
    stale = inst.patch(f"{INC}/{rec['id']}", {"title": "x"}, headers={"If-Match": etag})
    assert_problem(stale, 412, "changed since you read it")
    assert inst.get(f"{INC}/{rec['id']}").json["title"] == "Suspicious login"


def test_keys_are_sequential_per_organisation(inst):
    a = new_incident(inst).json["key"]
    b = new_incident(inst).json["key"]
    assert int(b.rsplit("-", 1)[1]) == int(a.rsplit("-", 1)[1]) + 1


def test_list_filters_and_keyset_pagination(inst):
    for i in range(7):
        new_incident(inst, title=f"page test {i}", severity="low")
    seen, cursor = [], None
    while True:
        r = inst.get(INC + "?severity=low&limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200
        assert all(x["severity"] == "low" for x in r.json["items"])
        seen += [x["id"] for x in r.json["items"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 7
    created = [inst.get(f"{INC}/{i}").json["created_at"] for i in seen]
    assert created == sorted(created, reverse=True)  # newest first
    assert inst.get(INC + "?status=new&limit=1").json["items"][0]["status"] == "new"
    assert_problem(inst.get(INC + "?status=open"), 400, "status must be one of")
    assert_problem(inst.get(INC + "?limit=0"), 400, "limit")
    assert_problem(inst.get(INC + "?cursor=garbage"), 400, "cursor")


def test_validation_errors_name_the_fields_and_write_nothing(inst):
    before = count(inst)
    cases = [
        ({"title": 5, "severity": "high"}, "title", "must be a string"),
        ({"title": "x", "severity": "urgent"}, "severity", "must be one of"),
        ({"severity": "high"}, "title", "is required"),
        ({"title": "x", "severity": "high", "colour": "red"}, "colour", "unknown field"),
        ({"title": "x", "severity": "high", "detected_at": "yesterday"}, "detected_at", "RFC 3339"),
        ({"title": "x", "severity": "high", "detected_at": "2026-01-01T00:00:00"}, "detected_at",
         "offset"),
        ({"title": "x", "severity": "high", "detected_at": "2999-01-01T00:00:00Z"}, "detected_at",
         "future"),
        ({"title": "x" * 201, "severity": "high"}, "title", "at most 200"),
        ({"title": "   ", "severity": "high"}, "title", "blank"),
    ]
    for body, field, msg in cases:
        r = inst.post(INC, body)
        assert_problem(r, 422)
        fields = {e["field"]: e["message"] for e in r.json["errors"]}
        assert field in fields and msg in fields[field], (body, r.json)
    assert count(inst) == before


def test_malformed_bodies(inst):
    before = count(inst)
    r = inst.request("POST", INC, token=inst.admin_token, raw=b'{"title": "x", ',
                     content_type="application/json")
    assert_problem(r, 400, "malformed JSON")
    r = inst.request("POST", INC, token=inst.admin_token, raw=b'{"title":"a","title":"b"}',
                     content_type="application/json")
    assert_problem(r, 400, "duplicate")
    r = inst.post(INC, {"title": "a\u0000b", "severity": "high"})
    assert_problem(r, 400, "malformed JSON")  # NUL characters are refused by the parser
    r = inst.request("POST", INC, token=inst.admin_token, raw=b'["not", "an", "object"]',
                     content_type="application/json")
    assert_problem(r, 400, "JSON object")
    deep = b'{"title":' + b'[' * 40 + b']' * 40 + b'}'
    r = inst.request("POST", INC, token=inst.admin_token, raw=deep, content_type="application/json")
    assert r.status in (400, 422)
    r = inst.request("POST", INC, token=inst.admin_token, raw=b'{"title":"x","severity":"low"}',
                     content_type="text/plain")
    assert_problem(r, 415, "application/json")
    big = json.dumps({"title": "x", "severity": "low", "description": "a" * (2 << 20)})
    r = inst.request("POST", INC, token=inst.admin_token, raw=big, content_type="application/json")
    assert_problem(r, 413, "limit")
    r = inst.request("POST", INC, token=inst.admin_token, raw=b"", content_type="application/json")
    assert_problem(r, 400, "empty")
    assert count(inst) == before


def test_routes_methods_and_auth(inst):
    assert_problem(inst.get("/api/v1/nothing-here"), 404, "no such resource")
    r = inst.request("DELETE", INC, token=inst.admin_token)
    assert_problem(r, 405)
    assert set(m.strip() for m in r.headers["allow"].split(",")) == {"GET", "POST"}
    assert_problem(inst.request("GET", INC), 401, "Bearer")
    assert_problem(inst.request("GET", INC, token="sirt_" + "A" * 43), 401, "not valid")
    assert_problem(inst.request("GET", INC, token="garbage"), 401)
    assert_problem(inst.request("GET", INC, headers={"Authorization": "Basic YTpi"}), 401,
                   "unsupported")
    assert_problem(inst.get(f"{INC}/00000000-0000-4000-8000-000000000000"), 404, "no such incident")
    # a read-scoped token reads but cannot write
    ro = inst.token(ADMIN_EMAIL, scope="read")
    assert inst.get(INC, token=ro).status == 200
    assert_problem(inst.post(INC, {"title": "x", "severity": "low"}, token=ro), 403, "respond")


def test_if_match_malformed(inst):
    rec = new_incident(inst).json
    r = inst.patch(f"{INC}/{rec['id']}", {"title": "y"}, headers={"If-Match": "nonsense"})
    assert_problem(r, 412, "If-Match")


def test_every_response_has_request_id_and_security_headers(inst):
    for r in (inst.get(INC), inst.request("GET", "/healthz"), inst.get("/api/v1/nope")):
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_health_ready_metrics(inst):
    assert inst.request("GET", "/healthz").json["status"] == "ok"
    ready = inst.request("GET", "/readyz").json
    assert ready["status"] == "ready" and ready["database"] == inst.backend
    inst.get(INC)
    new_incident(inst)
    m = inst.request("GET", "/metrics")
    assert m.status == 200 and m.headers["content-type"].startswith("text/plain")
    assert 'sirt_http_requests_total{method="GET",route="/api/v1/incidents",status="200"}' in m.text
    assert 'sirt_http_request_duration_seconds_bucket{method="GET",route="/api/v1/incidents",le="+Inf"}' in m.text
    assert "sirt_db_connections " in m.text and "sirt_db_commits_total " in m.text
    flushes = re.search(r"^sirt_db_wal_flushes_total (\d+)$", m.text, re.M)
    assert flushes and "sirt_db_wal_flush_seconds_total " in m.text
    # on SQLite every commit is made durable by a flush of the WAL before it is answered
    assert (int(flushes.group(1)) > 0) == (inst.backend == "sqlite")


def test_openapi_describes_every_route(inst):
    doc = inst.request("GET", "/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    post = doc["paths"]["/api/v1/incidents"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["title", "severity"]
    assert schema["properties"]["severity"]["enum"] == ["critical", "high", "medium", "low"]
    # every documented operation exists on the server (never 404/405)
    for path, ops in doc["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
        for method in ops:
            r = inst.request(method.upper(), concrete, token=inst.admin_token)
            assert r.status != 405, (method, path, r)
            if r.status == 404:
                assert "no such resource" not in r.text, (method, path)


def test_access_log_is_json_lines(backend, cluster, tmp_path):
    i = Instance(backend, cluster)
    try:
        i.init()
        log = tmp_path / "access.log"
        i.start("--access-log", str(log))
        r = i.get(INC)
        i.stop()
        lines = [json.loads(x) for x in log.read_text().splitlines()]
        mine = [x for x in lines if x["request_id"] == r.headers["x-request-id"]]
        assert mine and mine[0]["status"] == 200 and mine[0]["route"] == "/api/v1/incidents"
        assert mine[0]["method"] == "GET" and mine[0]["duration_ms"] >= 0
    finally:
        i.close()


def test_graceful_shutdown_and_durability(backend, cluster):
    i = Instance(backend, cluster)
    try:
        i.init()
        i.start()
        created = []

        def writer():
            for n in range(40):
                r = i.post(INC, {"title": f"during shutdown {n}", "severity": "low"})
                if r.status != 201:
                    break
                created.append(r.json["id"])

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(0.2)
        t.join()
        rc = i.stop(signal.SIGTERM)
        assert rc == 0 and "stopped cleanly" in i.stderr
        # a SIGKILL loses nothing that was acknowledged either
        i.start()
        last = i.post(INC, {"title": "acknowledged then killed", "severity": "low"}).json["id"]
        i.stop(signal.SIGKILL)
        i.start()
        for rid in created + [last]:
            assert i.get(f"{INC}/{rid}").status == 200
    finally:
        i.close()


def test_database_unreachable_gives_503(backend):
    if backend != "postgres":
        pytest.skip("an embedded SQLite file cannot go away while open")
    c = Cluster()
    c.url = None
    c.start()
    i = Instance("postgres", c)
    try:
        i.init()
        i.start()
        assert i.get(INC).status == 200
        c.stop_server_only()
        r = i.get(INC)
        assert_problem(r, 503, "unreachable")
        assert i.request("GET", "/readyz").status == 503
        assert i.request("GET", "/healthz").status == 200
        c.start_server_again()
        ok = None
        for _ in range(20):
            ok = i.get(INC)
            if ok.status == 200:
                break
            time.sleep(0.2)
        assert ok.status == 200
    finally:
        i.close()
        c.stop()
