"""Test harness: drives the real sirt binary against real databases.

`Cluster` starts a throw-away PostgreSQL on 127.0.0.1 (initdb into a
temporary directory, a free port, trust auth on loopback only) unless
SIRT_TEST_PG_URL points at one already. `Instance` is one sirt database plus
an optional running `sirt serve`, with helpers for the CLI and HTTP.
"""
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIRT = os.environ.get("SIRT_BIN", str(ROOT / "build" / "sirt"))
SHARED = Path(os.environ.get("SIRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
PG_BIN = Path(os.environ.get("SIRT_PG_BIN", "/usr/lib/postgresql/15/bin"))
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct-horse-battery-staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL server for the test session."""

    def __init__(self):
        self.url = os.environ.get("SIRT_TEST_PG_URL")
        self.dir = None
        self.port = None

    def start(self):
        if self.url:
            return self
        self.dir = tempfile.mkdtemp(prefix="sirt-pg-")
        self.port = free_port()
        run_as = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            run_as = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.dir, "data")
        subprocess.run(run_as + [str(PG_BIN / "initdb"), "-D", data, "-U", "postgres",
                                 "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                       check=True, stdout=subprocess.DEVNULL)
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c fsync=on "
                f"-c unix_socket_directories={self.dir} -c max_connections=200")
        subprocess.run(run_as + [str(PG_BIN / "pg_ctl"), "-D", data, "-o", opts, "-w",
                                 "-l", os.path.join(self.dir, "log"), "start"],
                       check=True, stdout=subprocess.DEVNULL)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"
        self._run_as = run_as
        self._data = data
        return self

    def new_database(self):
        name = "sirt_" + secrets.token_hex(6)
        self.psql("postgres", f"CREATE DATABASE {name}")
        return f"{self.url}/{name}"

    def psql(self, db, sql):
        return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                               f"{self.url}/{db}", "-c", sql],
                              check=True, capture_output=True, text=True).stdout

    def stop(self):
        if self.dir:
            subprocess.run(self._run_as + [str(PG_BIN / "pg_ctl"), "-D", self._data, "-m",
                                           "fast", "stop"], stdout=subprocess.DEVNULL)
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def stop_server_only(self):
        subprocess.run(self._run_as + [str(PG_BIN / "pg_ctl"), "-D", self._data, "-m",
                                       "fast", "stop"], check=True, stdout=subprocess.DEVNULL)

    def start_server_again(self):
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.dir} -c max_connections=200")
        subprocess.run(self._run_as + [str(PG_BIN / "pg_ctl"), "-D", self._data, "-o", opts,
                                       "-w", "-l", os.path.join(self.dir, "log"), "start"],
                       check=True, stdout=subprocess.DEVNULL)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")
        ctype = headers.get("content-type", "")
        self.json = None
        if "json" in ctype and body:
            self.json = json.loads(body)

    def __repr__(self):
        return f"<Response {self.status} {self.text[:300]}>"


class Instance:
    """One sirt database and, once start() is called, a running server."""

    def __init__(self, backend, cluster=None, tmpdir=None):
        self.backend = backend
        self.tmp = Path(tmpdir or tempfile.mkdtemp(prefix="sirt-e2e-"))
        self.cluster = cluster
        if backend == "postgres":
            self.db = cluster.new_database()
        else:
            self.db = f"sqlite:{self.tmp}/sirt.db"
        self.proc = None
        self.port = None
        self.admin_token = None
        self.env = dict(os.environ, SIRT_DB=self.db, SIRT_ACCESS_LOG="off")
        self.env.pop("SIRT_CONFIG", None)

    # ---- CLI ----
    def cli(self, *args, input=None, env=None, check=False):
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([SIRT, *args], input=input, capture_output=True, text=True, env=e,
                           timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"sirt {' '.join(args)} failed ({p.returncode}): "
                                 f"{p.stdout}{p.stderr}")
        return p

    def init(self, org="Acme", email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
        self.cli("init", "--org", org, "--admin-email", email,
                 env={"SIRT_ADMIN_PASSWORD": password}, check=True)
        self.admin_token = self.token(email)
        return self

    def token(self, email, scope="admin", org=None, **kw):
        args = ["token", "create", "--email", email, "--scope", scope]
        if org:
            args += ["--org", org]
        for k, v in kw.items():
            args += ["--" + k, str(v)]
        return self.cli(*args, check=True).stdout.strip()

    # ---- server ----
    def start(self, *extra, env=None):
        e = dict(self.env)
        if env:
            e.update(env)
        self.proc = subprocess.Popen([SIRT, "serve", "--listen", "127.0.0.1:0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening port="):
            err = self.proc.stderr.read()
            raise AssertionError(f"sirt serve did not start: {line}{err}")
        self.port = int(line.strip().split("=")[1])
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            rc = self.proc.returncode
            self.stderr = self.proc.stderr.read()
            self.proc = None
            return rc
        return None

    def request(self, method, path, token=None, body=None, headers=None, raw=None,
                content_type=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if content_type:
            h["Content-Type"] = content_type
        if isinstance(data, str):
            data = data.encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            try:
                conn.request(method, path, body=data, headers=h)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early (e.g. 413) and closed; read its answer
            r = conn.getresponse()
            resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()
        return resp

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token or self.admin_token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.request("POST", path, token=token or self.admin_token, body=body, **kw)

    def patch(self, path, body=None, token=None, **kw):
        return self.request("PATCH", path, token=token or self.admin_token, body=body, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token=token or self.admin_token, **kw)

    def sql(self, statement):
        """Runs SQL directly against the database (for tamper tests)."""
        if self.backend == "postgres":
            dbname = self.db.rsplit("/", 1)[1]
            return self.cluster.psql(dbname, statement)
        path = self.db[len("sqlite:"):]
        return subprocess.run(["sqlite3", path, statement], check=True, capture_output=True,
                              text=True).stdout

    def close(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
