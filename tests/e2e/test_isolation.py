"""Organisations are strictly separated.

Two organisations each hold data (incidents, users, tokens, sessions, audit
entries). A user of organisation A then calls EVERY operation of the OpenAPI
document (GET /api/v1/openapi.json) that addresses an object by id, with the
ids of organisation B's objects, and must get 404 every time (never 403: not
even existence may leak). Every list A can read must not contain any of B's
ids. Nothing of B's may change.

The test is generic: B's ids are found by listing, as B's admin, the
collection each path parameter belongs to (the path up to the parameter),
so routes that other modules add later are covered without editing this
file. A collection B cannot list is probed with a random id (still 404).
Request bodies are made from the operation's JSON schema.

A route may reject the request before it looks the object up (a required
query argument, a value the schema cannot express). That leaks nothing only
if the answer is exactly the one a random, non-existent id gets: such
answers (400, 409 or 422, same detail) are accepted; anything else that is
not 404 fails, and 2xx or 403 always fails.
"""
import json
import re
import uuid

import pytest

from sirt_harness import Instance
from trust_util import Web

PW = "isolation-test-passphrase"
SKIP_PERMS = {"public", "intake"}  # not org-bound principals: own secrets / no auth


@pytest.fixture(scope="module")
def two_orgs(backend, cluster):
    i = Instance(backend, cluster)
    i.init()
    for org, admin, extra in (("Alpha", "alice@example.com", "anton@example.com"),
                              ("Bravo", "bob@example.com", "bruno@example.com")):
        i.cli("org", "add", org, check=True)
        i.cli("user", "add", "--email", admin, "--role", "admin", "--org", org,
              env={"SIRT_PASSWORD": PW}, check=True)
        i.cli("user", "add", "--email", extra, "--role", "responder", "--org", org,
              env={"SIRT_PASSWORD": PW}, check=True)
    i.start()
    a = i.token("alice@example.com", scope="admin")
    b = i.token("bob@example.com", scope="admin")
    i.token("bruno@example.com", scope="write", name="bruno-ci")
    for tok, name in ((a, "Alpha"), (b, "Bravo")):
        for n in range(2):
            r = i.post("/api/v1/incidents", {"title": f"{name} incident {n}", "severity": "high"},
                       token=tok)
            assert r.status == 201, r
    bw = Web(i)
    bw.login("bob@example.com", PW)  # B has a live session
    i.cli("audit", "checkpoint", "--org", "Bravo", env={"SIRT_DATA_DIR": str(i.tmp)}, check=True)
    yield i, a, b
    i.close()


def sample(schema, name=""):
    """A plausible value for a JSON schema (enough to pass validation)."""
    t = schema.get("type")
    if isinstance(t, list):
        t = [x for x in t if x != "null"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if t == "string":
        fmt = schema.get("format")
        later = re.search(r"(end|until|expir|due|^to$|_to$)", name)
        if fmt == "date-time":
            return "2030-06-01T00:00:00Z" if later else "2030-01-01T00:00:00Z"
        if fmt == "date":
            return "2030-06-01" if later else "2030-01-01"
        return "isolation probe text"
    if t == "integer":
        return 1
    if t == "boolean":
        return False
    if t == "array":
        return []
    if t == "object":
        props = schema.get("properties", {})
        return {k: sample(props[k], k) for k in schema.get("required", [])}
    return None


def items_of(resp):
    if resp.status != 200 or not isinstance(resp.json, dict):
        return []
    return [x for x in resp.json.get("items", []) if isinstance(x, dict)]


def resolve(inst, path, b_token, b_ids, cache):
    """Fills each {param} with an id of B's object in that collection."""
    parts = path.split("/")
    out = []
    for idx, seg in enumerate(parts):
        if seg.startswith("{") and seg.endswith("}"):
            coll = "/".join(out)
            if coll not in cache:
                r = inst.get(coll + "?limit=200", token=b_token)
                ids = [str(x["id"]) for x in items_of(r) if "id" in x]
                cache[coll] = ids
                b_ids.update(ids)
            out.append(cache[coll][0] if cache[coll] else str(uuid.uuid4()))
        else:
            out.append(seg)
    return "/".join(out)


def test_every_id_route_is_404_for_another_organisations_objects(two_orgs):
    inst, a, b = two_orgs
    doc = inst.get("/api/v1/openapi.json").json
    b_ids, cache = set(), {}
    # B's own identity is secret to A as well
    me_b = inst.get("/api/v1/account", token=b).json
    b_ids.update({me_b["org"]["id"], me_b["user"]["id"]})
    before = {p: inst.get(p, token=b).text for p in ("/api/v1/incidents", "/api/v1/users",
                                                     "/api/v1/tokens")}
    probed, failures, prevalidated = 0, [], []
    for path, ops in sorted(doc["paths"].items()):
        if "{" not in path:
            continue
        concrete = resolve(inst, path, b, b_ids, cache)
        for method, op in ops.items():
            if op.get("x-sirt-permission") in SKIP_PERMS:
                continue
            body = None
            rb = op.get("requestBody", {}).get("content", {})
            if "application/json" in rb:
                body = sample(rb["application/json"]["schema"])
            r = inst.request(method.upper(), concrete, token=a, body=body)
            probed += 1
            if r.status == 404:
                assert "Bravo" not in r.text
                continue
            nowhere = re.sub(r"\{[^}]+\}", lambda m: str(uuid.uuid4()), path)
            r2 = inst.request(method.upper(), nowhere, token=a, body=body)
            same = (r.status == r2.status and r.status in (400, 409, 422) and r.json and r2.json
                    and r.json.get("detail") == r2.json.get("detail"))
            if same:
                prevalidated.append(f"{method.upper()} {path}: {r.status}")
            else:
                failures.append(f"{method.upper()} {path} as {concrete}: {r.status} {r.text[:200]}"
                                f" (a random id gets {r2.status})")
    assert probed >= 8, "the OpenAPI document lost its id routes?"
    assert not failures, "\n".join(failures)
    print("answered the same for any id (validated before the lookup):", prevalidated)
    # B's objects are unchanged and B's credentials still work
    for p, text in before.items():
        after = inst.get(p, token=b).text
        assert json.loads(after)["items"] == json.loads(text)["items"], p


def test_lists_never_contain_another_organisations_records(two_orgs):
    inst, a, b = two_orgs
    doc = inst.get("/api/v1/openapi.json").json
    b_ids, cache = set(), {}
    me_b = inst.get("/api/v1/account", token=b).json
    b_ids.update({me_b["org"]["id"], me_b["user"]["id"], "bob@example.com",
                  "bruno@example.com", "Bravo"})
    for path in doc["paths"]:
        if "{" in path:
            resolve(inst, path, b, b_ids, cache)
    for path in ("/api/v1/incidents", "/api/v1/users", "/api/v1/tokens", "/api/v1/sessions",
                 "/api/v1/audit", "/api/v1/audit/checkpoints"):
        for x in items_of(inst.get(path + "?limit=200", token=b)):
            for k in ("id", "hash"):  # incident keys repeat per organisation by design
                if k in x:
                    b_ids.add(str(x[k]))
    b_ids.discard("")
    assert len(b_ids) >= 10
    checked = 0
    for path, ops in sorted(doc["paths"].items()):
        if "{" in path or "get" not in ops or ops["get"].get("x-sirt-permission") in SKIP_PERMS:
            continue
        r = inst.get(path + "?limit=200", token=a)
        checked += 1
        leaked = [x for x in b_ids if x in r.text]
        assert not leaked, f"GET {path} shows organisation B's {leaked}"
    assert checked >= 6
    # and through a web session of A
    w = Web(inst)
    w.login("alice@example.com", PW)
    for path in ("/api/v1/incidents", "/api/v1/orgs", "/api/v1/account"):
        text = w.get(path).text
        assert not [x for x in b_ids if x in text], path


def test_org_switch_to_another_organisation_is_404(two_orgs):
    inst, a, b = two_orgs
    w = Web(inst)
    w.login("alice@example.com", PW)
    csrf = w.csrf()
    r = w.form("/session/org", {"org": "bravo", "csrf": csrf})
    assert r.status == 404
    assert w.get("/api/v1/account").json["org"]["name"] == "Alpha"
    bravo = inst.get("/api/v1/account", token=b).json["org"]["id"]
    assert w.form("/session/org", {"org": bravo, "csrf": csrf}).status == 404


def test_tokens_are_bound_to_one_organisation(two_orgs):
    inst, a, b = two_orgs
    # alice in Bravo too, as a viewer: her Alpha token still sees only Alpha
    inst.cli("user", "add", "--email", "alice@example.com", "--role", "viewer", "--org", "Bravo",
             check=True)
    titles = [x["title"] for x in inst.get("/api/v1/incidents", token=a).json["items"]]
    assert titles and all(t.startswith("Alpha") for t in titles)
    tb = inst.token("alice@example.com", scope="read", org="Bravo")
    titles = [x["title"] for x in inst.get("/api/v1/incidents", token=tb).json["items"]]
    assert titles and all(t.startswith("Bravo") for t in titles)
    assert inst.post("/api/v1/incidents", {"title": "x", "severity": "low"}, token=tb).status == 403
    assert re.match(r"^[0-9a-f-]{36}$", inst.get("/api/v1/account", token=tb).json["org"]["id"])
