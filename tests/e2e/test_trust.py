"""Accounts, roles, sessions, tokens, throttling, CSRF, TLS and headers (issue 3).

Every test runs on SQLite and on PostgreSQL (conftest.py)."""
import os
import re
import subprocess
import time

import pytest

from sirt_harness import ADMIN_EMAIL, ADMIN_PASSWORD, SIRT, Instance
from trust_util import Web, audit_entries

PW = "a-perfectly-fine-passphrase"
INC = "/api/v1/incidents"


def add_user(inst, email, role="responder", org="Acme", password=PW, **kw):
    args = ["user", "add", "--email", email, "--role", role, "--org", org]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    return inst.cli(*args, env={"SIRT_PASSWORD": password}, check=True)


def assert_problem(r, status, part=None):
    assert r.status == status, r
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    assert r.json["status"] == status and r.json["detail"]
    if part:
        assert part in r.json["detail"], r.json


def incident_count(inst):
    r = inst.get(INC + "?limit=200")
    assert r.status == 200, r
    return len(r.json["items"])


def actions(inst, since=0):
    return [e["action"] for e in audit_entries(inst) if e["seq"] > since]


def head_seq(inst):
    items = audit_entries(inst, limit=1)
    return items[0]["seq"] if items else 0


# ---------------- CLI ----------------

@pytest.mark.parametrize("cmd", [["user"], ["user", "add"], ["user", "list"], ["user", "disable"],
                                 ["user", "enable"], ["user", "passwd"], ["org"], ["org", "add"],
                                 ["org", "list"], ["token", "list"], ["token", "revoke"],
                                 ["audit"], ["audit", "verify"], ["audit", "export"],
                                 ["audit", "checkpoint"], ["audit", "key"]])
def test_new_subcommands_have_help(cmd):
    p = subprocess.run([SIRT, *cmd, "--help"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "Usage: sirt" in p.stdout


def test_init_applies_the_password_policy(fresh):
    p = fresh.cli("init", env={"SIRT_ADMIN_PASSWORD": "password1234"})
    assert p.returncode == 2 and "commonly used" in p.stderr, p.stderr
    p = fresh.cli("init", env={"SIRT_ADMIN_PASSWORD": "admin-is-my-name-here"})
    assert p.returncode == 2 and "e-mail" in p.stderr, p.stderr
    p = fresh.cli("init", env={"SIRT_ADMIN_PASSWORD": "short"})
    assert p.returncode == 2 and "at least 12" in p.stderr


def test_cli_users_and_orgs(inst):
    p = inst.cli("org", "add", "Globex")
    assert p.returncode == 0, p.stderr
    p = inst.cli("org", "add", "Globex")
    assert p.returncode == 1 and "exists" in p.stderr
    assert "Globex" in inst.cli("org", "list", check=True).stdout
    # an auditor needs an expiry date; dates in the past are refused
    p = inst.cli("user", "add", "--email", "a1@example.com", "--role", "auditor", "--org", "Acme")
    assert p.returncode == 2 and "--expires" in p.stderr
    p = inst.cli("user", "add", "--email", "a1@example.com", "--role", "auditor", "--org", "Acme",
                 "--expires", "2001-01-01")
    assert p.returncode == 2 and "past" in p.stderr
    p = inst.cli("user", "add", "--email", "bad", "--role", "viewer")
    assert p.returncode == 2 and "not a valid e-mail" in p.stderr
    p = inst.cli("user", "add", "--email", "x@example.com", "--role", "king", "--org", "Acme")
    assert p.returncode == 2
    p = inst.cli("user", "add", "--email", "x@example.com", "--role", "viewer", "--org", "Acme",
                 env={"SIRT_PASSWORD": "qwerty123456"})
    assert p.returncode == 2 and "commonly used" in p.stderr
    # generated password, shown once
    p = inst.cli("user", "add", "--email", "Carol@Example.com", "--role", "viewer", "--org",
                 "Acme", "--display-name", "Carol", "--time-zone", "Europe/Paris", check=True)
    m = re.search(r"Password: (\S+)", p.stdout)
    assert m and len(m.group(1)) == 20
    # the same account added to a second organisation keeps its password
    p = inst.cli("user", "add", "--email", "carol@example.com", "--role", "manager", "--org",
                 "Globex", check=True)
    assert "not changed" in p.stdout and "Password:" not in p.stdout
    out = inst.cli("user", "list", check=True).stdout
    assert re.search(r"carol@example.com\s+Acme\s+viewer", out)
    assert re.search(r"carol@example.com\s+Globex\s+manager", out)
    assert "carol@example.com" not in inst.cli("user", "list", "--org", "Bravo-none").stdout
    p = inst.cli("user", "add", "--email", "tz@example.com", "--role", "viewer", "--org", "Acme",
                 "--time-zone", "Mars/Olympus")
    assert p.returncode == 2 and "time zone" in p.stderr


def test_passwd_reads_stdin_or_env_never_argv(inst):
    add_user(inst, "patricia@example.com")
    p = inst.cli("user", "passwd", "patricia@example.com", "new-password-in-argv")
    assert p.returncode == 2
    p = inst.cli("user", "passwd", "patricia@example.com", input="too-short\n")
    assert p.returncode == 2 and "at least 12" in p.stderr
    p = inst.cli("user", "passwd", "patricia@example.com", input="this-mentions-patricia\n")
    assert p.returncode == 2 and "e-mail" in p.stderr
    p = inst.cli("user", "passwd", "patricia@example.com", input="stdin-password-works\n")
    assert p.returncode == 0, p.stderr
    Web(inst).login("patricia@example.com", "stdin-password-works")
    p = inst.cli("user", "passwd", "patricia@example.com", env={"SIRT_PASSWORD": "env-password-works"})
    assert p.returncode == 0, p.stderr
    Web(inst).login("patricia@example.com", "env-password-works")
    Web(inst).login("patricia@example.com", "stdin-password-works", expect=401)
    p = inst.cli("user", "passwd", "nobody@example.com", env={"SIRT_PASSWORD": "whatever-long-pw"})
    assert p.returncode == 1 and "no user" in p.stderr


# ---------------- sign-in, sessions, CSRF ----------------

def test_login_page_and_headers(inst):
    w = Web(inst)
    r = w.get("/login?next=/incidents")
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]
    assert "strict-transport-security" not in r.headers  # plain HTTP
    assert 'name="next" value="/incidents"' in r.text
    sc = w.set_cookie_headers[0]
    assert sc.startswith("sirt_login_csrf=") and "HttpOnly" in sc and "Secure" not in sc
    # a next that leaves the site is dropped
    r = w.get("/login?next=//evil.example/x")
    assert "evil.example" not in r.text


def test_login_logout_and_cookie_attributes(inst):
    w = Web(inst)
    r = w.login(ADMIN_EMAIL.upper(), ADMIN_PASSWORD, next_path="/api/v1/account")
    assert r.headers["location"] == "/api/v1/account"
    sc = w.session_cookie_header()
    assert sc and "HttpOnly" in sc and "SameSite=Lax" in sc and "Path=/" in sc
    assert "Secure" not in sc and "Max-Age=43200" in sc
    assert "sirt_login_csrf" not in w.cookies
    me = w.get("/api/v1/account").json
    assert me["user"]["email"] == ADMIN_EMAIL and me["role"] == "admin"
    assert me["scope"] == "session" and me["user"]["superadmin"] is True
    sid = me["session"]
    assert sid in [e["object_id"] for e in audit_entries(inst, action="session.login")]
    # only the hash of the session id is stored
    cookie = w.cookies["sirt_session"]
    assert cookie not in inst.sql("SELECT uid FROM sessions")
    # logout without the CSRF token is refused (and audited); with it, works
    n = head_seq(inst)
    r = w.form("/logout", {})
    assert r.status == 403
    assert "security.csrf_failed" in actions(inst, n)
    assert w.get("/api/v1/account").status == 200
    r = w.form("/logout", {"csrf": me["csrf"]})
    assert r.status == 303 and r.headers["location"] == "/login"
    assert "sirt_session" not in w.cookies
    w.cookies["sirt_session"] = cookie  # a replayed cookie is dead
    assert w.get("/api/v1/account").status == 401
    assert "session.logout" in actions(inst, n)


def test_next_must_be_local(inst):
    for bad in ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"]:
        r = Web(inst).login(ADMIN_EMAIL, ADMIN_PASSWORD, next_path=bad)
        assert r.headers["location"] == "/", (bad, r.headers)


def test_login_failures_are_clear_and_audited(inst):
    add_user(inst, "fay@example.com")
    w = Web(inst)
    n = head_seq(inst)
    r = w.form("/login", {"email": "fay@example.com", "password": PW, "csrf": "forged"})
    assert r.status == 403 and "expired" in r.text
    assert "sirt_session" not in w.cookies
    csrf = w.login_csrf()
    r = w.form("/login", {"email": "fay@example.com", "password": "wrong-password-here",
                          "csrf": csrf})
    assert r.status == 401 and "Email or password is incorrect." in r.text
    assert 'value="fay@example.com"' in r.text and "wrong-password-here" not in r.text
    r = w.form("/login", {"email": "nobody@example.com", "password": "wrong-password-here",
                          "csrf": csrf})
    assert r.status == 401 and "Email or password is incorrect." in r.text
    r = w.form("/login", {"email": "", "password": "", "csrf": csrf})
    assert r.status == 422 and "Enter your email" in r.text
    assert "sirt_session" not in w.cookies
    got = actions(inst, n)
    assert got.count("security.login_failed") >= 1 and "security.csrf_failed" in got
    fails = [e for e in audit_entries(inst, action="security.login_failed")
             if e["details"].get("email") == "fay@example.com"]
    assert fails and fails[0]["client_addr"] == "127.0.0.1" and fails[0]["request_id"]
    w.login("fay@example.com", PW)  # still fine after two failures


def test_account_throttling_with_retry_after(inst):
    add_user(inst, "tim@example.com")
    w = Web(inst, headers={})
    for i in range(4):  # 3 free failures, the 4th locks for 5 s
        csrf = w.login_csrf()
        r = w.form("/login", {"email": "tim@example.com", "password": f"wrong-{i}-password",
                              "csrf": csrf})
        assert r.status == 401, (i, r)
    n = head_seq(inst)
    r = w.form("/login", {"email": "tim@example.com", "password": PW, "csrf": w.login_csrf()})
    assert r.status == 429, r
    wait = int(r.headers["retry-after"])
    assert 1 <= wait <= 5
    assert "Too many failed sign-in attempts" in r.text and "try again in" in r.text
    assert "sirt_session" not in w.cookies
    assert "security.login_throttled" in actions(inst, n)
    # the counter lives in the database (shared by every node)
    assert inst.sql("SELECT failures FROM login_throttle WHERE key = 'account:tim@example.com'"
                    ).strip() == "4"
    time.sleep(wait + 0.2)
    w.login("tim@example.com", PW)
    assert inst.sql("SELECT count(*) FROM login_throttle WHERE key = 'account:tim@example.com'"
                    ).strip() == "0"


def test_address_throttling_behind_a_trusted_proxy(backend, cluster):
    i = Instance(backend, cluster)
    try:
        i.init()
        i.start("--trusted-proxies", "127.0.0.1")
        w = Web(i, headers={"X-Forwarded-For": "203.0.113.7"})
        for k in range(21):  # 20 free failures per address, different accounts
            r = w.form("/login", {"email": f"u{k}@example.com", "password": "not-the-password",
                                  "csrf": w.login_csrf()})
            assert r.status == 401, (k, r)
        r = w.form("/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                              "csrf": w.login_csrf()})
        assert r.status == 429 and int(r.headers["retry-after"]) > 0
        # another address is not affected
        Web(i, headers={"X-Forwarded-For": "198.51.100.4"}).login(ADMIN_EMAIL, ADMIN_PASSWORD)
        ents = audit_entries(i, action="security.login_throttled")
        assert ents and ents[0]["client_addr"] == "203.0.113.7"
    finally:
        i.close()


def test_csrf_on_cookie_authenticated_api_and_forms(inst):
    w = Web(inst)
    w.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    before = inst.get("/api/v1/tokens").json["items"]
    n = head_seq(inst)
    r = w.api("POST", "/api/v1/tokens", {"name": "no-csrf", "scope": "read"}, csrf=False)
    assert_problem(r, 403, "CSRF")
    r = w.request("POST", "/api/v1/tokens", body='{"name":"bad","scope":"read"}',
                  headers={"X-CSRF-Token": "x" * 43}, content_type="application/json")
    assert r.status == 403
    assert inst.get("/api/v1/tokens").json["items"] == before  # nothing changed
    ev = [e for e in audit_entries(inst, action="security.csrf_failed") if e["seq"] > n]
    assert len(ev) == 2 and ev[0]["details"]["path"] == "/api/v1/tokens"
    r = w.api("POST", "/api/v1/tokens", {"name": "with-csrf", "scope": "read"})
    assert r.status == 201, r
    # bearer tokens need no CSRF token (no ambient credentials)
    r = inst.post("/api/v1/tokens", {"name": "bearer", "scope": "read"})
    assert r.status == 201


def test_sessions_list_and_revoke(inst):
    a, b = Web(inst), Web(inst)
    a.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    items = a.get("/api/v1/sessions").json["items"]
    mine = a.get("/api/v1/account").json["session"]
    other = b.get("/api/v1/account").json["session"]
    ids = [s["id"] for s in items]
    assert mine in ids and other in ids
    assert [s for s in items if s["id"] == mine][0]["current"] is True
    r = a.api("DELETE", f"/api/v1/sessions/{other}")
    assert r.status == 204, r
    assert b.get("/api/v1/account").status == 401
    assert a.api("DELETE", f"/api/v1/sessions/{other}").status == 404
    assert a.api("DELETE", "/api/v1/sessions/00000000-0000-4000-8000-000000000000").status == 404
    # another user's session is not yours to end
    add_user(inst, "sam@example.com")
    c = Web(inst)
    c.login("sam@example.com", PW)
    r = c.api("DELETE", f"/api/v1/sessions/{mine}")
    assert r.status == 404
    assert a.get("/api/v1/account").status == 200
    assert "session.revoke" in [e["action"] for e in audit_entries(inst)]


def test_session_timeouts(backend, cluster):
    i = Instance(backend, cluster)
    try:
        i.init()
        i.start("--session-idle", "3", "--session-max", "120")
        w = Web(i)
        w.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        assert "Max-Age=120" in w.session_cookie_header()
        assert w.get("/api/v1/account").status == 200
        time.sleep(1.0)
        assert w.get("/api/v1/account").status == 200  # activity keeps it alive
        time.sleep(1.0)
        assert w.get("/api/v1/account").status == 200
        time.sleep(4.5)
        assert w.get("/api/v1/account").status == 401  # idle
        w2 = Web(i)
        w2.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        sid = w2.get("/api/v1/account").json["session"]
        i.sql(f"UPDATE sessions SET expires_at = 1 WHERE uid = '{sid}'")
        assert w2.get("/api/v1/account").status == 401  # absolute
        # an HTML route sends the signed-out browser to the sign-in page
        r = w2.form("/session/org", {"org": "x"})
        assert r.status == 303 and r.headers["location"] == "/login?next=%2Fsession%2Forg"
    finally:
        i.close()


def test_password_rehash_on_login(inst):
    add_user(inst, "old@example.com")
    weak = ("$argon2id$v=19$m=8192,t=1,p=1$kpUKQwbdsCbPVMx+6SMW2g$"
            "rJbzjjm2xtYRlU3KpDkchvHtizYTN4FpgcNirDkPCrI")
    inst.sql(f"UPDATE users SET password_hash = '{weak}' WHERE email = 'old@example.com'")
    Web(inst).login("old@example.com", "rehash-me-please-2026")
    h = inst.sql("SELECT password_hash FROM users WHERE email = 'old@example.com'").strip()
    assert h.startswith("$argon2id$") and h != weak and "m=8192," not in h
    Web(inst).login("old@example.com", "rehash-me-please-2026")
    assert "user.password_rehash" in [e["action"] for e in audit_entries(inst)]


# ---------------- roles, disabled users, expiry ----------------

def test_viewer_cannot_write(inst):
    add_user(inst, "vera@example.com", role="viewer")
    tok = inst.token("vera@example.com", scope="write")
    n0, seq = incident_count(inst), head_seq(inst)
    r = inst.post(INC, {"title": "x", "severity": "low"}, token=tok)
    assert_problem(r, 403, "'respond' permission")
    assert inst.get(INC, token=tok).status == 200
    assert incident_count(inst) == n0
    ev = [e for e in audit_entries(inst, action="security.permission_denied") if e["seq"] > seq]
    assert ev and ev[0]["actor"].startswith("token:") and ev[0]["details"]["role"] == "viewer"
    # and through a session
    w = Web(inst)
    w.login("vera@example.com", PW)
    r = w.api("POST", INC, {"title": "x", "severity": "low"})
    assert r.status == 403 and incident_count(inst) == n0
    # a read token of an admin cannot write either
    rt = inst.token(ADMIN_EMAIL, scope="read")
    assert_problem(inst.post(INC, {"title": "x", "severity": "low"}, token=rt), 403)


def test_disabling_stops_sessions_and_tokens_at_once(inst):
    add_user(inst, "dan@example.com", role="responder")
    tok = inst.token("dan@example.com", scope="write")
    w = Web(inst)
    w.login("dan@example.com", PW)
    assert inst.get(INC, token=tok).status == 200 and w.get(INC).status == 200
    seq = head_seq(inst)
    inst.cli("user", "disable", "dan@example.com", check=True)
    r = inst.get(INC, token=tok)
    assert_problem(r, 401, "disabled")
    assert w.get(INC).status == 401
    r = Web(inst).login("dan@example.com", PW, expect=403)
    assert "disabled" in r.text
    got = actions(inst, seq)
    assert "user.disable" in got and "security.token_refused" in got
    assert "security.disabled_user_access" in got
    inst.cli("user", "enable", "dan@example.com", check=True)
    assert inst.get(INC, token=tok).status == 200  # tokens work again
    assert w.get(INC).status == 401                # sessions were ended
    # the same through the API, by an admin
    uid = [u for u in inst.get("/api/v1/users").json["items"]
           if u["email"] == "dan@example.com"][0]["id"]
    r = inst.patch(f"/api/v1/users/{uid}", {"disabled": True})
    assert r.status == 200 and r.json["disabled"] is True
    assert inst.get(INC, token=tok).status == 401
    assert inst.patch(f"/api/v1/users/{uid}", {"disabled": False}).status == 200
    assert inst.get(INC, token=tok).status == 200


def test_auditor_access_and_expiry(inst):
    add_user(inst, "ann@example.com", role="auditor", expires="2099-12-31")
    tok = inst.token("ann@example.com", scope="read")
    assert inst.get("/api/v1/audit/verify", token=tok).json["ok"] is True
    assert inst.get(INC, token=tok).status == 200
    assert_problem(inst.post(INC, {"title": "x", "severity": "low"}, token=tok), 403)
    assert_problem(inst.get("/api/v1/users", token=tok), 403)
    w = Web(inst)
    w.login("ann@example.com", PW)
    assert w.get("/api/v1/audit").status == 200
    seq = head_seq(inst)
    inst.sql("UPDATE memberships SET expires_at = 1000 WHERE user_id ="
             " (SELECT id FROM users WHERE email = 'ann@example.com')")
    assert_problem(inst.get(INC, token=tok), 401, "expired")
    assert w.get("/api/v1/audit").status == 401
    r = Web(inst).login("ann@example.com", PW, expect=403)
    assert "expiry" in r.text
    got = actions(inst, seq)
    assert "security.expired_access" in got and "security.token_refused" in got


# ---------------- API tokens ----------------

def test_tokens_api(inst):
    add_user(inst, "tia@example.com", role="responder")
    t = inst.token("tia@example.com", scope="write")
    r = inst.post("/api/v1/tokens", {"name": "ci", "scope": "read",
                                     "expires_at": "2099-01-01T00:00:00Z"}, token=t)
    assert r.status == 201, r
    new, tid = r.json["token"], r.json["id"]
    assert new.startswith("sirt_") and r.json["expires_at"] == "2099-01-01T00:00:00Z"
    assert r.headers["location"] == f"/api/v1/tokens/{tid}"
    assert inst.get(INC, token=new).status == 200
    assert inst.get(INC, token=new).status == 200
    lst = inst.get("/api/v1/tokens", token=t).json["items"]
    mine = [x for x in lst if x["id"] == tid][0]
    assert "token" not in mine and mine["last_used_at"] and mine["active"] is True
    assert all(x["user"]["email"] == "tia@example.com" for x in lst)  # only own
    # scope may not grow, expiry must be in the future, names are required
    r = inst.post("/api/v1/tokens", {"name": "x", "scope": "admin"}, token=t)
    assert r.status == 422 and r.json["errors"][0]["field"] == "scope"
    r = inst.post("/api/v1/tokens", {"name": "x", "scope": "read",
                                     "expires_at": "2001-01-01T00:00:00Z"}, token=t)
    assert r.status == 422
    r = inst.post("/api/v1/tokens", {"scope": "read", "extra": 1}, token=t)
    assert r.status == 422 and {e["field"] for e in r.json["errors"]} == {"name", "extra"}
    # the admin sees every token of the organisation and may revoke any
    all_ids = [x["id"] for x in inst.get("/api/v1/tokens?limit=200").json["items"]]
    assert tid in all_ids
    seq = head_seq(inst)
    assert inst.delete(f"/api/v1/tokens/{tid}").status == 204
    assert_problem(inst.get(INC, token=new), 401, "revoked")
    assert inst.delete(f"/api/v1/tokens/{tid}").status == 409
    assert "token.revoke" in actions(inst, seq)
    # a non-admin cannot revoke someone else's token: 404
    admin_tok = [x for x in inst.get("/api/v1/tokens?limit=200").json["items"]
                 if x["user"]["email"] == ADMIN_EMAIL][0]["id"]
    assert inst.delete(f"/api/v1/tokens/{admin_tok}", token=t).status == 404
    # expired tokens are refused
    r = inst.post("/api/v1/tokens", {"name": "short", "scope": "read"}, token=t)
    inst.sql(f"UPDATE api_tokens SET expires_at = 1000 WHERE uid = '{r.json['id']}'")
    assert_problem(inst.get(INC, token=r.json["token"]), 401, "expired")
    # pagination
    p1 = inst.get("/api/v1/tokens?limit=1")
    assert len(p1.json["items"]) == 1 and p1.json["next_cursor"]
    p2 = inst.get(f"/api/v1/tokens?limit=1&cursor={p1.json['next_cursor']}")
    assert p2.json["items"][0]["id"] != p1.json["items"][0]["id"]
    # CLI list and revoke
    out = inst.cli("token", "list", "--email", "tia@example.com", check=True).stdout
    assert "tia@example.com" in out
    p = inst.cli("token", "revoke", "nope")
    assert p.returncode == 1 and "no token" in p.stderr
    cli_tok = inst.token("tia@example.com", scope="read", name="cli-made")
    row = [ln for ln in inst.cli("token", "list", "--email", "tia@example.com").stdout.splitlines()
           if "cli-made" in ln][0]
    assert inst.cli("token", "revoke", row.split()[0]).returncode == 0
    assert inst.get(INC, token=cli_tok).status == 401


# ---------------- users and organisations through the API ----------------

def test_users_api(inst):
    r = inst.post("/api/v1/users", {"email": "New@Example.com", "role": "viewer",
                                    "display_name": "New Person", "time_zone": "Europe/Berlin",
                                    "password": "new-person-passphrase"})
    assert r.status == 201, r
    u = r.json
    assert u["email"] == "new@example.com" and u["role"] == "viewer" and u["password_set"]
    assert inst.get(f"/api/v1/users/{u['id']}").json["time_zone"] == "Europe/Berlin"
    Web(inst).login("new@example.com", "new-person-passphrase")
    r = inst.post("/api/v1/users", {"email": "new@example.com", "role": "viewer"})
    assert r.status == 409
    r = inst.post("/api/v1/users", {"email": "weak@example.com", "role": "viewer",
                                    "password": "password1234"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "password"
    r = inst.post("/api/v1/users", {"email": "aud@example.com", "role": "auditor"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "expires_on"
    r = inst.post("/api/v1/users", {"email": "nope", "role": "boss", "time_zone": "X/Y"})
    assert r.status == 422
    assert {e["field"] for e in r.json["errors"]} >= {"role"}
    r = inst.post("/api/v1/users", {"email": "aud@example.com", "role": "auditor",
                                    "expires_on": "2099-06-30"})
    assert r.status == 201 and r.json["expires_at"] == "2099-07-01T00:00:00Z"
    # role change, then the admin password reset ends the user's sessions
    w = Web(inst)
    w.login("new@example.com", "new-person-passphrase")
    r = inst.patch(f"/api/v1/users/{u['id']}", {"role": "responder"})
    assert r.status == 200 and r.json["role"] == "responder"
    r = inst.post(f"/api/v1/users/{u['id']}/password", {"password": "reset-by-the-admin-1"})
    assert r.status == 200, r
    assert w.get("/api/v1/account").status == 401
    Web(inst).login("new@example.com", "reset-by-the-admin-1")
    # non-admins cannot manage users
    tok = inst.token("new@example.com", scope="write")
    assert inst.get("/api/v1/users", token=tok).status == 403
    # the last admin cannot be demoted, disabled or removed
    me = [x for x in inst.get("/api/v1/users?limit=200").json["items"]
          if x["email"] == ADMIN_EMAIL][0]
    assert inst.patch(f"/api/v1/users/{me['id']}", {"role": "viewer"}).status == 409
    assert inst.delete(f"/api/v1/users/{me['id']}").status == 409
    # removing a member ends their tokens in this organisation
    assert inst.get(INC, token=tok).status == 200
    assert inst.delete(f"/api/v1/users/{u['id']}").status == 204
    assert inst.get(INC, token=tok).status == 401
    assert inst.get(f"/api/v1/users/{u['id']}").status == 404
    # pagination by e-mail
    p1 = inst.get("/api/v1/users?limit=2").json
    p2 = inst.get(f"/api/v1/users?limit=2&cursor={p1['next_cursor']}").json
    assert p1["items"][-1]["email"] < p2["items"][0]["email"]
    acts = [e["action"] for e in audit_entries(inst)]
    for a in ("user.create", "membership.set", "user.password", "membership.remove"):
        assert a in acts, a


def test_orgs_api_and_switching(inst):
    add_user(inst, "olga@example.com", role="admin")
    tok = inst.token("olga@example.com", scope="admin")
    seq = head_seq(inst)
    r = inst.post("/api/v1/orgs", {"name": "Not Allowed"}, token=tok)
    assert_problem(r, 403, "superadmin")
    assert "security.permission_denied" in actions(inst, seq)
    assert inst.get("/api/v1/orgs?all=true", token=tok).status == 403
    r = inst.post("/api/v1/orgs", {"name": "Initech Ltd"})
    assert r.status == 201 and r.json["role"] == "admin" and r.json["slug"] == "initech-ltd"
    assert inst.post("/api/v1/orgs", {"name": "Initech Ltd"}).status == 409
    names = [o["name"] for o in inst.get("/api/v1/orgs", token=tok).json["items"]]
    assert names == ["Acme"]
    assert "Initech Ltd" in [o["name"] for o in inst.get("/api/v1/orgs?all=true").json["items"]]
    # a user in two organisations switches the session's organisation
    inst.cli("user", "add", "--email", "olga@example.com", "--role", "viewer", "--org",
             "Initech Ltd", check=True)
    w = Web(inst)
    w.login("olga@example.com", PW)
    me = w.get("/api/v1/account").json
    assert me["org"]["name"] == "Acme" and len(me["orgs"]) == 2
    r = w.form("/session/org", {"org": "initech-ltd"})
    assert r.status == 403  # no CSRF token
    r = w.form("/session/org", {"org": "initech-ltd", "csrf": me["csrf"], "next": "/incidents"})
    assert r.status == 303 and r.headers["location"] == "/incidents"
    me2 = w.get("/api/v1/account").json
    assert me2["org"]["name"] == "Initech Ltd" and me2["role"] == "viewer"
    r = w.form("/session/org", {"org": "no-such-org", "csrf": me["csrf"]})
    assert r.status == 404
    # the new organisation's incidents, not Acme's
    assert all(i["key"] for i in w.get(INC).json["items"])
    assert w.api("POST", INC, {"title": "x", "severity": "low"}).status == 403


# ---------------- audit trail through the API ----------------

def test_audit_api_entries_carry_request_and_client(inst):
    r = inst.post("/api/v1/tokens", {"name": "traced", "scope": "read"})
    rid = r.headers["x-request-id"]
    e = [x for x in audit_entries(inst, action="token.create") if x["object_id"] == r.json["id"]]
    assert e and e[0]["request_id"] == rid and e[0]["client_addr"] == "127.0.0.1"
    assert e[0]["actor"].startswith("token:") and e[0]["details"]["scope"] == "read"
    assert len(e[0]["hash"]) == 64 and len(e[0]["prev_hash"]) == 64
    p1 = inst.get("/api/v1/audit?limit=3").json
    assert len(p1["items"]) == 3 and p1["next_cursor"]
    p2 = inst.get(f"/api/v1/audit?limit=3&cursor={p1['next_cursor']}").json
    assert p2["items"][0]["seq"] == p1["items"][-1]["seq"] - 1
    v = inst.get("/api/v1/audit/verify").json
    assert v["ok"] is True and v["first_bad_seq"] is None and v["entries"] >= 6
    assert inst.get("/api/v1/audit?cursor=abc").status == 400
    inst.cli("audit", "checkpoint", "--org", "Acme", check=True,
             env={"SIRT_DATA_DIR": str(inst.tmp / "data")})
    cps = inst.get("/api/v1/audit/checkpoints").json["items"]
    assert cps and len(cps[0]["signature"]) == 128


# ---------------- TLS and reverse proxies ----------------

def make_cert(tmp):
    key, crt = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1"], check=True,
                   capture_output=True)
    return crt, key


def test_native_tls(backend, cluster, tmp_path):
    crt, key = make_cert(str(tmp_path))
    i = Instance(backend, cluster)
    try:
        i.init()
        i.start("--tls-cert", crt, "--tls-key", key)
        w = Web(i, https=True)
        r = w.get("/login")
        assert r.status == 200
        assert "max-age=" in r.headers["strict-transport-security"]
        assert "Secure" in w.set_cookie_headers[0]
        r = w.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        sc = w.session_cookie_header()
        assert "Secure" in sc and "HttpOnly" in sc and "SameSite=Lax" in sc
        assert w.get("/api/v1/account").json["user"]["email"] == ADMIN_EMAIL
        r = w.request("GET", "/healthz")
        assert r.status == 200 and "strict-transport-security" in r.headers
        # plain HTTP to the TLS port gets nowhere
        with pytest.raises(Exception):
            i.get("/healthz")
    finally:
        i.close()


def test_forwarded_headers_only_from_trusted_proxies(backend, cluster):
    i = Instance(backend, cluster)
    try:
        i.init()
        i.start()
        h = {"X-Forwarded-For": "192.0.2.10", "X-Forwarded-Proto": "https"}
        r = i.post("/api/v1/tokens", {"name": "p", "scope": "read"}, headers=h)
        assert "strict-transport-security" not in r.headers
        e = [x for x in audit_entries(i, action="token.create")][0]
        assert e["client_addr"] == "127.0.0.1"  # not believed
        i.stop()
        i.start("--trusted-proxies", "10.1.1.1, 127.0.0.1")
        r = i.post("/api/v1/tokens", {"name": "q", "scope": "read"}, headers=h)
        assert "strict-transport-security" in r.headers
        e = [x for x in audit_entries(i, action="token.create")][0]
        assert e["client_addr"] == "192.0.2.10"
        w = Web(i, headers=h)
        w.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        assert "Secure" in w.session_cookie_header()
        # a forged address that is not an IP is ignored
        r = i.post("/api/v1/tokens", {"name": "z", "scope": "read"},
                   headers={"X-Forwarded-For": "not-an-ip"})
        e = [x for x in audit_entries(i, action="token.create")][0]
        assert e["client_addr"] == "127.0.0.1"
    finally:
        i.close()
