"""Real receivers on loopback for the notification tests.

`Receiver`: an HTTP server (Python's http.server) that records every request,
checks webhook signatures, and can be told to fail the next N requests or to
answer with a given status. `Smtpd`: Debian's OpenSMTPD started in its own
mount namespace (so its spool and control socket are private), listening on a
free loopback port and delivering every message to a maildir.
"""
import email
import email.policy
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sirt_harness import SIRT, Instance, free_port


def verify_signature(secret, headers, body, tolerance=300, now=None):
    """The recipe of docs/notifications.md."""
    ts = headers.get("x-sirt-timestamp", "")
    sig = headers.get("x-sirt-signature", "")
    if not ts.isdigit() or not sig.startswith("v1="):
        return False
    if now is not None and abs(now - int(ts)) > tolerance:
        return False
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, sig[3:])


class Receiver:
    def __init__(self, secret=None):
        self.secret = secret
        self.requests = []      # every request: dict(path, headers, body, status)
        self.fail_next = 0      # answer 503 to this many requests
        self.status = {}        # path -> fixed status
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with outer.lock:
                    if self.path in outer.status:
                        code = outer.status[self.path]
                    elif outer.fail_next > 0:
                        outer.fail_next -= 1
                        code = 503
                    else:
                        code = 200
                    outer.requests.append({"path": self.path, "headers": headers,
                                           "body": body, "status": code})
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def ok(self, path=None):
        with self.lock:
            return [r for r in self.requests if r["status"] == 200
                    and (path is None or r["path"] == path)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_for(pred, timeout=30, interval=0.2, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


class Smtpd:
    """OpenSMTPD on 127.0.0.1:<free port>, delivering to <dir>/Maildir."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sirt-smtpd-"))
        os.chmod(self.dir, 0o755)
        self.mail = self.dir / "mail"
        self.mail.mkdir()
        os.chmod(self.mail, 0o1777)  # delivery runs as "nobody"
        self.port = free_port()
        conf = self.dir / "smtpd.conf"
        conf.write_text(
            'table vusers { "@" = "nobody" }\n'
            f"listen on 127.0.0.1 port {self.port}\n"
            f'action "local" maildir "{self.mail}/Maildir" virtual <vusers>\n'
            'match from any for any action "local"\n')
        # A private mount namespace gives this smtpd its own spool and control
        # socket, so it neither needs nor disturbs a system-wide one.
        script = ("mount -t tmpfs none /var/spool && mount -t tmpfs none /run && "
                  f"exec /usr/sbin/smtpd -d -f {conf}")
        self.log = open(self.dir / "log", "w")
        self.proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        end = time.time() + 15
        while time.time() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise AssertionError("opensmtpd did not start: " + (self.dir / "log").read_text())

    def messages(self):
        new = self.mail / "Maildir" / "new"
        if not new.exists():
            return []
        out = []
        for f in sorted(new.iterdir()):
            out.append(email.message_from_bytes(f.read_bytes(), policy=email.policy.default))
        return out

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


NOTIFY_ENV = {
    "SIRT_NOTIFY_ALLOW": "127.0.0.1/32",
    "SIRT_NOTIFY_RETRY_BASE": "1",
    "SIRT_NOTIFY_RETRY_MAX": "2",
    "SIRT_NOTIFY_MAX_ATTEMPTS": "4",
}


class NotifyInstance(Instance):
    """The server's standard error goes to a file (server.log in the
    instance's directory): the worker logs every failed delivery, and an
    unread pipe would fill up and block it."""

    def start(self, *extra, env=None):
        e = dict(self.env)
        if env:
            e.update(env)
        self.log_path = self.tmp / f"server-{len(list(self.tmp.glob('server-*.log')))}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([SIRT, "serve", "--listen", "127.0.0.1:0", *extra],
                                     stdout=subprocess.PIPE, stderr=self._log, env=e, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening port="):
            raise AssertionError("sirt serve did not start: " + self.log_path.read_text())
        self.port = int(line.strip().split("=")[1])
        return self

    def stop(self, sig=signal.SIGTERM):
        if not self.proc:
            return None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        self._log.close()
        self.stderr = self.log_path.read_text()
        return rc


def notify_instance(backend, cluster, extra_env=None):
    """An initialised instance whose server may reach 127.0.0.1 receivers."""
    i = NotifyInstance(backend, cluster)
    i.env.update(NOTIFY_ENV)
    i.env["SIRT_DATA_DIR"] = str(i.tmp)
    if extra_env:
        i.env.update(extra_env)
    i.init()
    i.start()
    return i


def new_incident(inst, title="Ransomware on the file server", **kw):
    body = {"title": title, "severity": "high", **kw}
    r = inst.post("/api/v1/incidents", body)
    assert r.status == 201, r
    return r.json


def add_webhook(inst, receiver, name="hook", path="/hook", secret="s3cret-signing-key-0001",
                **kw):
    r = inst.post("/api/v1/channels", {"name": name, "kind": "webhook",
                                       "config": {"url": receiver.url(path)},
                                       "secrets": {"signing_secret": secret}, **kw})
    assert r.status == 201, r
    return r.json


def body_json(req):
    return json.loads(req["body"])
