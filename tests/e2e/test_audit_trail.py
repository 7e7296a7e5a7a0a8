"""The tamper-evident audit trail (issue 3, point 5), on both backends.

A database owner can switch the protections off (SQLite: DROP TRIGGER;
PostgreSQL: ALTER TABLE ... DISABLE TRIGGER ALL as superuser) and edit,
delete, insert or reorder rows: `sirt audit verify` must name the first bad
entry every time. Exports are checked offline, by sirt and by an independent
implementation of the documented format, and against signed checkpoints."""
import json
import os
import re

import pytest

from sirt_harness import Instance
from trust_util import entry_hash, independent_verify, read_export, write_export

PW = "audit-trail-passphrase"


def populated(backend, cluster):
    """Acme's chain with at least 10 entries."""
    i = Instance(backend, cluster)
    i.init()
    for n in range(4):
        i.cli("user", "add", "--email", f"u{n}@example.com", "--role", "viewer", "--org", "Acme",
              env={"SIRT_PASSWORD": PW}, check=True)
    i.cli("user", "disable", "u0@example.com", check=True)
    return i


def acme(i):
    return int(i.sql("SELECT id FROM orgs WHERE name = 'Acme'").strip())


def unprotect(i):
    if i.backend == "postgres":
        i.sql("ALTER TABLE audit_log DISABLE TRIGGER ALL")
    else:
        i.sql("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete")


def verify(i, *args):
    p = i.cli("audit", "verify", *args)
    return p.returncode, p.stdout + p.stderr


def row(i, org, seq):
    cols = "seq, ts, org_id, actor, action, object_type, object_id, details, request_id," \
           " client_addr, prev_hash, hash"
    out = i.sql(f"SELECT {cols} FROM audit_log WHERE org_id = {org} AND seq = {seq}")
    v = out.rstrip("\n").split("|")
    keys = [c.strip() for c in cols.split(",")]
    e = dict(zip(keys, v))
    for k in ("seq", "ts", "org_id"):
        e[k] = int(e[k])
    return e


def q(s):
    return "'" + s.replace("'", "''") + "'"


def test_database_refuses_changes(fresh):
    fresh.init()
    for stmt in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception) as ex:
            fresh.sql(stmt)
        assert "append-only" in str(ex.value.stderr)
    if fresh.backend == "postgres":
        with pytest.raises(Exception):
            fresh.sql("TRUNCATE audit_log")
    rc, out = verify(fresh)
    assert rc == 0 and "Acme" in out and "OK" in out


@pytest.mark.parametrize("how", ["edit", "edit-recomputed", "delete", "delete-tail", "insert",
                                 "reorder", "append-forged"])
def test_verify_names_the_first_bad_entry(backend, cluster, how):
    i = populated(backend, cluster)
    try:
        org = acme(i)
        rc, out = verify(i)
        assert rc == 0, out
        n = int(i.sql(f"SELECT max(seq) FROM audit_log WHERE org_id = {org}").strip())
        assert n >= 8
        k = 4
        unprotect(i)
        if how == "edit":
            i.sql(f"UPDATE audit_log SET details = '{{\"role\":\"admin\"}}'"
                  f" WHERE org_id = {org} AND seq = {k}")
            want, word = k, "changed"
        elif how == "edit-recomputed":
            # the attacker recomputes the edited entry's hash: the next link breaks
            e = row(i, org, k)
            e["actor"] = "user:nobody@example.com"
            h = entry_hash(e)
            i.sql(f"UPDATE audit_log SET actor = {q(e['actor'])}, hash = '{h}'"
                  f" WHERE org_id = {org} AND seq = {k}")
            want, word = k + 1, "inserted or reordered"
        elif how == "delete":
            i.sql(f"DELETE FROM audit_log WHERE org_id = {org} AND seq = {k}")
            want, word = k, "removed"
        elif how == "delete-tail":
            i.sql(f"DELETE FROM audit_log WHERE org_id = {org} AND seq = {n}")
            want, word = n, "removed"
        elif how == "insert":
            # renumber the rows after k and slip a well-formed forged entry in
            i.sql(f"UPDATE audit_log SET seq = seq + 1000 WHERE org_id = {org} AND seq > {k}")
            i.sql(f"UPDATE audit_log SET seq = seq - 999 WHERE org_id = {org} AND seq > 1000")
            prev = row(i, org, k)
            e = dict(prev, seq=k + 1, action="user.create", details='{"forged":true}',
                     prev_hash=prev["hash"])
            e["hash"] = entry_hash(e)
            i.sql("INSERT INTO audit_log(org_id, seq, ts, actor, action, object_type, object_id,"
                  " details, request_id, client_addr, prev_hash, hash) VALUES"
                  f" ({org}, {k + 1}, {e['ts']}, {q(e['actor'])}, {q(e['action'])},"
                  f" {q(e['object_type'])}, {q(e['object_id'])}, {q(e['details'])},"
                  f" {q(e['request_id'])}, {q(e['client_addr'])}, {q(e['prev_hash'])},"
                  f" {q(e['hash'])})")
            want, word = k + 1, "inserted"
        elif how == "reorder":
            i.sql(f"UPDATE audit_log SET seq = -1 WHERE org_id = {org} AND seq = {k}")
            i.sql(f"UPDATE audit_log SET seq = {k} WHERE org_id = {org} AND seq = {k + 1}")
            i.sql(f"UPDATE audit_log SET seq = {k + 1} WHERE org_id = {org} AND seq = -1")
            want, word = k, "moved"
        elif how == "append-forged":
            last = row(i, org, n)
            e = dict(last, seq=n + 1, action="incident.delete", prev_hash=last["hash"])
            e["hash"] = entry_hash(e)
            i.sql("INSERT INTO audit_log(org_id, seq, ts, actor, action, object_type, object_id,"
                  " details, request_id, client_addr, prev_hash, hash) VALUES"
                  f" ({org}, {n + 1}, {e['ts']}, {q(e['actor'])}, {q(e['action'])},"
                  f" {q(e['object_type'])}, {q(e['object_id'])}, {q(e['details'])},"
                  f" '', '', {q(e['prev_hash'])}, {q(e['hash'])})")
            want, word = n + 1, "inserted after the recorded head"
        rc, out = verify(i)
        assert rc == 1, out
        m = re.search(r"Acme \(org \d+\): TAMPERED: first bad entry is seq (\d+): (.*)", out)
        assert m, out
        assert int(m.group(1)) == want and word in m.group(2), out
        rc, out = verify(i, "--org", "Acme")
        assert rc == 1 and f"seq {want}" in out
        # the export shows the same, to sirt and to an independent checker
        path = str(i.tmp / "export.jsonl")
        i.cli("audit", "export", "--out", path, check=True)
        p = i.cli("audit", "verify", "--file", path)
        assert p.returncode == 1 and f"first bad entry is seq {want}" in p.stdout, p.stdout
        ok, bad = independent_verify(read_export(path))[org]
        assert not ok
        # the API reports it too
        i.start()
        v = i.get("/api/v1/audit/verify").json
        assert v["ok"] is False and v["first_bad_seq"] == want and word in v["problem"]
    finally:
        i.close()


def test_export_offline_verify_and_checkpoints(backend, cluster, tmp_path):
    i = populated(backend, cluster)
    try:
        env = {"SIRT_AUDIT_KEY": str(tmp_path / "audit.key")}
        p = i.cli("audit", "checkpoint", "--org", "Acme", "--out", str(tmp_path / "cp.json"),
                  env=env, check=True)
        cp = json.loads(p.stdout.splitlines()[0])
        assert oct(os.stat(tmp_path / "audit.key").st_mode & 0o777) == "0o600"
        pub = i.cli("audit", "key", env=env, check=True).stdout.strip()
        assert pub == cp["public_key"] and re.fullmatch(r"[0-9a-f]{64}", pub)
        # more activity after the checkpoint is fine
        i.cli("user", "enable", "u0@example.com", check=True)
        path = str(tmp_path / "export.jsonl")
        i.cli("audit", "export", "--out", path, check=True)
        lines = read_export(path)
        assert lines[0]["type"] == "export" and lines[-1]["type"] == "head"
        org = cp["org_id"]
        assert all(ok for ok, _ in independent_verify(lines).values())
        p = i.cli("audit", "verify", "--file", path, "--checkpoint", str(tmp_path / "cp.json"),
                  "--public-key", pub)
        assert p.returncode == 0 and "checkpoint: OK" in p.stdout, p.stdout + p.stderr
        # a whole chain rewritten consistently passes the plain check ...
        forged = []
        prev = "0" * 64
        for o in lines:
            o = dict(o)
            if o["type"] == "entry" and o["org_id"] == org:
                if o["seq"] == 2:
                    o["actor"] = "cli:someone-else"
                o["prev_hash"] = prev
                o["hash"] = entry_hash(o)
                prev = o["hash"]
            elif o["type"] == "head" and o["org_id"] == org:
                o["hash"] = prev
            forged.append(o)
        fpath = str(tmp_path / "forged.jsonl")
        write_export(fpath, forged)
        assert i.cli("audit", "verify", "--file", fpath).returncode == 0
        # ... but not the signed checkpoint
        p = i.cli("audit", "verify", "--file", fpath, "--checkpoint", str(tmp_path / "cp.json"),
                  "--public-key", pub)
        assert p.returncode == 1 and "MISMATCH" in p.stdout, p.stdout
        # a checkpoint signed by another key, or edited, does not verify
        other = i.cli("audit", "key", env={"SIRT_AUDIT_KEY": str(tmp_path / "other.key")},
                      check=True).stdout.strip()
        p = i.cli("audit", "verify", "--file", path, "--checkpoint", str(tmp_path / "cp.json"),
                  "--public-key", other)
        assert p.returncode == 1 and "INVALID" in p.stdout
        bad = dict(cp, seq=cp["seq"] - 1)
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        p = i.cli("audit", "verify", "--file", path, "--checkpoint", str(tmp_path / "bad.json"),
                  "--public-key", pub)
        assert p.returncode == 1 and "INVALID" in p.stdout
        # a truncated export and an edited line are caught offline
        write_export(str(tmp_path / "cut.jsonl"), lines[:-1])
        p = i.cli("audit", "verify", "--file", str(tmp_path / "cut.jsonl"))
        assert p.returncode == 1 and "no head" in p.stdout
        edited = [dict(o) for o in lines]
        target = [o for o in edited if o["type"] == "entry" and o["org_id"] == org][2]
        target["client_addr"] = "198.51.100.66"
        write_export(str(tmp_path / "edit.jsonl"), edited)
        p = i.cli("audit", "verify", "--file", str(tmp_path / "edit.jsonl"))
        assert p.returncode == 1 and f"seq {target['seq']}" in p.stdout
        (tmp_path / "junk.jsonl").write_text("{not json\n")
        p = i.cli("audit", "verify", "--file", str(tmp_path / "junk.jsonl"))
        assert p.returncode == 1 and "line 1" in p.stdout
        # a database rewritten consistently is caught by the stored checkpoint
        unprotect(i)
        e = row(i, org, 2)
        e["actor"] = "cli:someone-else"
        h = entry_hash(e)
        i.sql(f"UPDATE audit_log SET actor = 'cli:someone-else', hash = '{h}'"
              f" WHERE org_id = {org} AND seq = 2")
        n = int(i.sql(f"SELECT max(seq) FROM audit_log WHERE org_id = {org}").strip())
        prev = h
        for s in range(3, n + 1):
            e = row(i, org, s)
            e["prev_hash"] = prev
            prev = entry_hash(e)
            i.sql(f"UPDATE audit_log SET prev_hash = '{e['prev_hash']}', hash = '{prev}'"
                  f" WHERE org_id = {org} AND seq = {s}")
        i.sql(f"UPDATE audit_head SET hash = '{prev}' WHERE org_id = {org}")
        rc, out = verify(i, "--org", "Acme")
        assert rc == 1 and "signed checkpoint" in out, out
        # checkpoints are refused for a chain that does not verify
        p = i.cli("audit", "checkpoint", "--org", "Acme", env=env)
        assert p.returncode == 1 and "not signing" in p.stderr
    finally:
        i.close()


def test_audit_key_file_must_be_private(fresh, tmp_path):
    fresh.init()
    key = tmp_path / "k"
    fresh.cli("audit", "key", "--audit-key", str(key), check=True)
    os.chmod(key, 0o644)
    p = fresh.cli("audit", "checkpoint", "--audit-key", str(key))
    assert p.returncode == 1 and "chmod 600" in p.stderr


def test_postgres_non_owner_role_cannot_rewrite(backend, cluster):
    if backend != "postgres":
        pytest.skip("PostgreSQL privileges")
    i = populated(backend, cluster)
    try:
        role = "sirt_app_" + i.db.rsplit("_", 1)[1]
        i.sql(f"CREATE ROLE {role} LOGIN")
        i.sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};"
              f" GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};"
              f" REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_checkpoints FROM {role}")
        i.sql("ALTER TABLE audit_log DISABLE TRIGGER ALL")  # even without the triggers
        url = i.db.replace("postgresql://postgres@", f"postgresql://{role}@")
        app = Instance.__new__(Instance)
        app.__dict__.update(i.__dict__)
        app.env = dict(i.env, SIRT_DB=url)
        p = app.cli("user", "add", "--email", "via-app@example.com", "--role", "viewer",
                    "--org", "Acme", env={"SIRT_PASSWORD": PW})
        assert p.returncode == 0, p.stderr  # the application works as that role
        import subprocess
        r = subprocess.run(["psql", "-X", "-q", "-At", url, "-c",
                            "UPDATE audit_log SET actor = 'x'"], capture_output=True, text=True)
        assert r.returncode != 0 and "permission denied" in r.stderr
        rc, out = verify(app)
        assert rc == 0, out
    finally:
        i.sql("ALTER TABLE audit_log ENABLE TRIGGER ALL")
        i.close()
