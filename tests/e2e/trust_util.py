"""Helpers for the trust tests: a cookie-keeping web client, audit lookups and
an independent implementation of the audit hash (anyone can verify a chain)."""
import hashlib
import http.client
import json
import re
import ssl
import urllib.parse

from sirt_harness import Response


class Web:
    """A browser-like client: keeps cookies, posts forms, sends the CSRF header."""

    def __init__(self, inst, https=False, headers=None):
        self.inst = inst
        self.https = https
        self.cookies = {}
        self.set_cookie_headers = []
        self.extra = dict(headers or {})

    def _conn(self):
        if self.https:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.inst.port, timeout=60,
                                               context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.inst.port, timeout=60)

    def request(self, method, path, body=None, headers=None, content_type=None):
        h = dict(self.extra)
        h.update(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            h["Content-Type"] = content_type
        if isinstance(body, str):
            body = body.encode()
        c = self._conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            raw = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
        finally:
            c.close()
        self.set_cookie_headers = cookies
        for sc in cookies:
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return Response(r.status, hdrs, raw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def form(self, path, fields, **kw):
        return self.request("POST", path, body=urllib.parse.urlencode(fields),
                            content_type="application/x-www-form-urlencoded", **kw)

    def api(self, method, path, body=None, csrf=True):
        h = {}
        if csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf()
        data = json.dumps(body) if body is not None else None
        return self.request(method, path, body=data, headers=h,
                            content_type="application/json" if data is not None else None)

    def csrf(self):
        r = self.get("/api/v1/account")
        assert r.status == 200, r
        return r.json["csrf"]

    def login_csrf(self):
        r = self.get("/login")
        assert r.status == 200, r
        m = re.search(r'name="csrf" value="([^"]+)"', r.text)
        assert m, r.text
        assert self.cookies.get("sirt_login_csrf") == m.group(1)
        return m.group(1)

    def login(self, email, password, next_path=None, expect=303):
        fields = {"email": email, "password": password, "csrf": self.login_csrf()}
        if next_path is not None:
            fields["next"] = next_path
        r = self.form("/login", fields)
        assert r.status == expect, r
        return r

    def session_cookie_header(self):
        for sc in self.set_cookie_headers:
            if sc.startswith("sirt_session="):
                return sc
        return None


def audit_entries(inst, token=None, action=None, limit=200):
    q = f"/api/v1/audit?limit={limit}" + (f"&action={action}" if action else "")
    r = inst.get(q, token=token)
    assert r.status == 200, r
    return r.json["items"]


def field(s):
    b = s.encode()
    return str(len(b)).encode() + b":" + b


def entry_hash(e):
    """SHA-256 over the length-prefixed fields and the previous hash."""
    h = hashlib.sha256()
    for v in (str(e["seq"]), str(e["ts"]), str(e["org_id"]), e["actor"], e["action"],
              e["object_type"], e["object_id"], e["details"], e["request_id"],
              e["client_addr"], e["prev_hash"]):
        h.update(field(v))
    return h.hexdigest()


def read_export(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_export(path, lines):
    with open(path, "w") as f:
        for o in lines:
            f.write(json.dumps(o, separators=(",", ":")) + "\n")


def independent_verify(lines):
    """A verifier written from the documented format alone: {org: (ok, first_bad)}."""
    chains, out = {}, {}
    for o in lines:
        if o["type"] == "entry":
            st = chains.setdefault(o["org_id"], {"prev": "0" * 64, "seq": 1, "bad": None})
            if st["bad"] is None:
                if (o["seq"] != st["seq"] or o["prev_hash"] != st["prev"]
                        or entry_hash(o) != o["hash"]):
                    st["bad"] = st["seq"]
                st["prev"], st["seq"] = o["hash"], st["seq"] + 1
        elif o["type"] == "head":
            st = chains.setdefault(o["org_id"], {"prev": "0" * 64, "seq": 1, "bad": None})
            if st["bad"] is None and (o["seq"] != st["seq"] - 1 or
                                      (o["seq"] and o["hash"] != st["prev"])):
                st["bad"] = min(o["seq"], st["seq"] - 1) + 1
    for org, st in chains.items():
        out[org] = (st["bad"] is None, st["bad"])
    return out
