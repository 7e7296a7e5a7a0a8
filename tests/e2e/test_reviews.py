"""Post-incident reviews and action items: an incident taken to a published,
signed-off review with action items; every refusal precise and nothing half
written. Lifecycle times are set by SQL (see reviews_util)."""
import copy
import time

import pytest

from reviews_util import DAY, FULL_REVIEW, add_org, add_user, day, iso, new_incident, set_times

T0 = int(time.time()) - 10 * DAY


def review_url(ref, suffix=""):
    return f"/api/v1/incidents/{ref}/review{suffix}"


@pytest.fixture(scope="module")
def second(inst):
    """A second manager who can sign off what the admin wrote."""
    return add_user(inst, "reviewer@example.com", role="manager", name="Rita Reviewer")


@pytest.fixture(scope="module")
def incident(inst):
    inc = new_incident(inst)
    tl = f"/api/v1/incidents/{inc['id']}/timeline"
    r = inst.post(tl, {"kind": "action", "text": "Blocked the attacking IP range",
                       "occurred_at": iso(T0 + 2000)})
    assert r.status == 201, r
    wrong = inst.post(tl, {"kind": "decision", "text": "Rotate nothing"}).json
    inst.post(tl, {"kind": "decision", "text": "Rotate all admin passwords",
                   "corrects": wrong["id"]})
    inst.post(tl, {"kind": "note", "text": "a note is not an action"})
    set_times(inst, inc["id"], status="resolved", occurred_at=T0, detected_at=T0 + 600,
              aware_at=T0 + 700, acknowledged_at=T0 + 900, contained_at=T0 + 3600,
              resolved_at=T0 + 7200)
    return inc


def test_no_review_yet(inst, incident):
    r = inst.get(review_url(incident["id"]))
    assert r.status == 404 and "no review yet" in r.json["detail"]
    r = inst.get(review_url(incident["key"], "/required"))
    assert r.status == 200 and r.json["review_missing"] is True


def test_draft_has_facts_and_candidates(inst, incident):
    r = inst.post(review_url(incident["key"]))
    assert r.status == 201, r
    rv = r.json
    assert rv["revision"] == 1 and rv["status"] == "draft"
    assert rv["author"] == "admin@example.com"
    m = rv["facts"]["measures"]
    assert m["time_to_detect_seconds"] == 600
    assert m["time_to_acknowledge_seconds"] == 300
    assert m["time_to_contain_seconds"] == 3000
    assert m["time_to_resolve_seconds"] == 6600
    assert m["time_to_notify_seconds"] is None
    assert rv["facts"]["frozen"] is False
    sources = [c["source"] for c in rv["candidates"]]
    assert "record:contained_at" in sources and "record:detected_at" in sources
    audit = [c for c in rv["candidates"] if c["source"].startswith("audit:")]
    assert audit and audit[0]["actor"] == "admin@example.com"  # from the audit trail
    assert audit[0]["text"] == "Incident opened (severity high)"
    assert [c["at"] for c in rv["candidates"]] == sorted(c["at"] for c in rv["candidates"])
    # timeline actions, decisions and communications, corrected entries left out
    texts = [c["text"] for c in rv["candidates"] if c["source"].startswith("timeline:")]
    assert "Blocked the attacking IP range" in texts and "Rotate all admin passwords" in texts
    assert "Rotate nothing" not in texts and "a note is not an action" not in texts
    blocked = next(c for c in rv["candidates"] if c["text"] == "Blocked the attacking IP range")
    assert blocked["at"] == iso(T0 + 2000) and blocked["actor"] == "admin@example.com"
    assert rv["actions_taken"] == rv["candidates"]  # preselected, editable
    # a second draft is refused while this one is open
    r = inst.post(review_url(incident["id"]))
    assert r.status == 409 and "edit it with PATCH" in r.json["detail"]


def test_submit_with_empty_sections_lists_them(inst, incident):
    r = inst.patch(review_url(incident["id"]), {"actions_taken": []})
    assert r.status == 200
    r = inst.post(review_url(incident["id"], "/submit"))
    assert r.status == 422, r
    fields = [e["field"] for e in r.json["errors"]]
    assert fields == ["summary", "actions_taken", "root_cause.method", "root_cause.root_cause",
                      "root_cause.category", "impact.functional", "impact.information",
                      "impact.recoverability", "went_well", "went_badly", "recommendations"]
    assert "11 required sections are empty" in r.json["detail"]
    assert inst.get(review_url(incident["id"])).json["status"] == "draft"


def test_bad_sections_refused(inst, incident):
    before = inst.get(review_url(incident["id"])).json["version"]
    r = inst.patch(review_url(incident["id"]),
                   {"root_cause": {"method": "guessing", "why": "x"},
                    "impact": {"people_affected": -1, "currency": "euro"},
                    "actions_taken": [{"actor": "x"}], "colour": "red"})
    assert r.status == 422
    fields = {e["field"] for e in r.json["errors"]}
    assert {"root_cause.method", "root_cause.why", "impact.people_affected", "impact.currency",
            "actions_taken[0].text", "colour"} <= fields
    assert inst.get(review_url(incident["id"])).json["version"] == before


def test_fill_in_and_submit(inst, incident):
    rv = inst.get(review_url(incident["id"]))
    body = copy.deepcopy(FULL_REVIEW)
    body["actions_taken"] = [c for c in rv.json["candidates"] if c["source"].startswith("record:")]
    body["actions_taken"].append({"at": None, "actor": "alice", "text": "Reset 120 passwords",
                                  "source": "manual"})
    r = inst.patch(review_url(incident["id"]), body,
                   headers={"If-Match": rv.headers["etag"]})
    assert r.status == 200, r
    assert r.json["missing_sections"] == []
    # stale ETag
    r2 = inst.patch(review_url(incident["id"]), {"summary": "x"},
                    headers={"If-Match": rv.headers["etag"]})
    assert r2.status == 412
    r = inst.post(review_url(incident["id"], "/submit"))
    assert r.status == 200 and r.json["status"] == "in_review"
    r = inst.post(review_url(incident["id"], "/submit"))
    assert r.status == 409 and "already in review" in r.json["detail"]


def test_publish_needs_signoff_by_someone_else(inst, incident, second):
    r = inst.post(review_url(incident["id"], "/publish"))
    assert r.status == 422 and "needs 1 sign-off before publishing, has 0" in r.json["detail"]
    assert r.json["errors"][0]["field"] == "signoffs"
    r = inst.post(review_url(incident["id"], "/signoffs"), {"comment": "mine"})
    assert r.status == 200 and len(r.json["signoffs"]) == 1
    r = inst.post(review_url(incident["id"], "/signoffs"), {})
    assert r.status == 409 and "already signed off" in r.json["detail"]
    r = inst.post(review_url(incident["id"], "/publish"))
    assert r.status == 422 and "cannot be the only sign-off" in r.json["detail"]
    r = inst.post(review_url(incident["id"], "/signoffs"), {"comment": "Agreed."}, token=second)
    assert r.status == 200
    so = r.json["signoffs"][1]
    assert so["reviewer"] == "reviewer@example.com" and so["name"] == "Rita Reviewer"
    assert so["comment"] == "Agreed." and so["signed_at"]
    r = inst.post(review_url(incident["id"], "/publish"))
    assert r.status == 200, r
    rv = r.json
    assert rv["status"] == "published" and rv["published_at"]
    assert rv["facts"]["frozen"] is True
    assert rv["facts"]["measures"]["time_to_contain_seconds"] == 3000
    assert "candidates" not in rv


def test_close_rule_needs_a_published_review(inst, incident):
    """High and critical incidents close only after their review is published."""
    other = new_incident(inst)
    assert other["severity"] in ("high", "critical")
    tr = f"/api/v1/incidents/{other['id']}/transitions"
    assert inst.post(tr, {"to": "resolved"}).status == 200
    closing = {"to": "closed", "resolution": "fixed",
               "root_cause_category": "weak_or_stolen_credentials"}
    r = inst.post(tr, closing)
    assert r.status == 422, r
    assert "review" in [e["field"] for e in r.json["errors"]]
    assert "published post-incident review" in r.json["detail"] or any(
        "published post-incident review" in e["message"] for e in r.json["errors"])
    assert inst.get(f"/api/v1/incidents/{other['id']}").json["status"] == "resolved"
    # the fixture's incident has its published review: it closes
    r = inst.post(f"/api/v1/incidents/{incident['id']}/transitions", closing)
    assert r.status == 200 and r.json["status"] == "closed", r


def test_published_review_is_immutable(inst, incident):
    r = inst.patch(review_url(incident["id"]), {"summary": "rewritten"})
    assert r.status == 409
    assert "published and cannot change" in r.json["detail"] and "revision 2" in r.json["detail"]
    for path in ("/submit", "/publish"):
        assert inst.post(review_url(incident["id"], path)).status == 409
    # the facts stay frozen when the incident changes afterwards
    set_times(inst, incident["id"], contained_at=T0 + 5000)
    rv = inst.get(review_url(incident["id"])).json
    assert rv["facts"]["measures"]["time_to_contain_seconds"] == 3000
    assert rv["summary"] == FULL_REVIEW["summary"]
    # and the database refuses a change behind the API's back
    with pytest.raises(Exception):
        inst.sql(f"UPDATE pir_reviews SET content = '{{}}' WHERE uid = '{rv['id']}'")
    r = inst.get(review_url(incident["key"], "/required"))
    assert r.json["review_missing"] is False


def test_markdown_and_html(inst, incident):
    r = inst.get(review_url(incident["id"], "?format=markdown"))
    assert r.status == 200 and r.headers["content-type"].startswith("text/markdown")
    md = r.text
    for part in ("# Post-incident review: " + incident["key"].replace("-", "-"),
                 "## Actions taken", "## Root cause analysis", "five\\_whys",
                 "No rate limit on the login endpoint.", "## Impact assessment",
                 "**Functional impact (CISA):** low", "## What went well",
                 "## What did not go well", "1. Rate-limit the login API",
                 "**Time to contain:** 50 min", "## Sign-off", "Rita Reviewer"):
        assert part in md, (part, md)
    r = inst.get(review_url(incident["id"], "?format=html"))
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    assert "<h2>Root cause analysis</h2>" in r.text
    assert "<title>Post-incident review " + incident["key"] + "</title>" in r.text
    assert inst.get(review_url(incident["id"], "?format=pdf")).status == 400


def test_user_markdown_is_rendered_safely(inst, second):
    inc = new_incident(inst, title="<script>alert(1)</script>", severity="low")
    body = copy.deepcopy(FULL_REVIEW)
    body["summary"] = ("Click [here](javascript:alert(1)).\n\n<script>alert(2)</script>\n\n"
                       "<img src=x onerror=alert(3)>")
    body["impact"]["systems"] = ["*prod*", "[x](javascript:alert(4))"]
    r = inst.post(review_url(inc["id"]), body)
    assert r.status == 201, r
    html = inst.get(review_url(inc["id"], "?format=html")).text
    assert "<script" not in html and 'href="javascript' not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the title, escaped
    assert "*prod*" in html  # literal, not emphasis


def test_new_revision_supersedes(inst, incident, second):
    r = inst.post(review_url(incident["id"]), {"went_badly": "Paging and runbooks were stale."})
    assert r.status == 201 and r.json["revision"] == 2 and r.json["status"] == "draft"
    assert r.json["summary"] == FULL_REVIEW["summary"]  # copied from the published revision
    assert r.json["facts"]["frozen"] is False
    # the published revision is still there to read
    pub = inst.get(review_url(incident["id"], "?published=true")).json
    assert pub["revision"] == 1 and pub["went_badly"] == FULL_REVIEW["went_badly"]
    assert inst.post(review_url(incident["id"], "/submit")).status == 200
    assert inst.post(review_url(incident["id"], "/signoffs"), {}, token=second).status == 200
    r = inst.post(review_url(incident["id"], "/publish"))
    assert r.status == 200 and r.json["revision"] == 2
    revs = inst.get(review_url(incident["id"], "/revisions")).json["items"]
    assert [(x["revision"], x["status"]) for x in revs] == [(1, "superseded"), (2, "published")]
    assert revs[0]["superseded_at"]
    old = inst.get(review_url(incident["id"], "?revision=1")).json
    assert old["status"] == "superseded" and old["went_badly"] == FULL_REVIEW["went_badly"]


def test_action_items_from_review(inst, incident):
    today = int(time.time())
    # owner and due date are required, both reported at once, nothing written
    r = inst.post("/api/v1/actions", {"source_type": "review", "source_id": incident["key"],
                                      "title": "Rate-limit the login API"})
    assert r.status == 422
    assert {e["field"] for e in r.json["errors"]} == {"owner", "due_date"}
    r = inst.post("/api/v1/actions", {"source_type": "review", "source_id": incident["key"],
                                      "title": "x", "owner": "  ", "due_date": day(today)})
    assert r.status == 422 and r.json["errors"][0]["field"] == "owner"
    r = inst.post("/api/v1/actions", {"source_type": "review", "source_id": "INC-1999-0001",
                                      "title": "x", "owner": "bob", "due_date": day(today)})
    assert r.status == 422 and r.json["errors"][0]["field"] == "source_id"
    assert inst.get("/api/v1/actions").json["items"] == []
    r = inst.post("/api/v1/actions", {"source_type": "review", "source_id": incident["key"],
                                      "title": "Rate-limit the login API",
                                      "owner": "alice@example.com",
                                      "due_date": day(today + 30 * DAY), "priority": "high"})
    assert r.status == 201, r
    a1 = r.json
    assert a1["status"] == "open" and a1["source"]["type"] == "review" and not a1["overdue"]
    r = inst.post("/api/v1/actions", {"source_type": "review", "source_id": incident["id"],
                                      "title": "Route auth alerts to the pager",
                                      "owner": "Bob Builder", "due_date": day(today - 3 * DAY)})
    assert r.status == 201
    a2 = r.json
    assert a2["overdue"] is True and a2["days_overdue"] == 3
    rv = inst.get(review_url(incident["id"])).json
    assert {a["id"] for a in rv["action_items"]} == {a1["id"], a2["id"]}
    assert "## Action items" in inst.get(review_url(incident["id"], "?format=markdown")).text
    over = inst.get("/api/v1/actions?overdue=true").json["items"]
    assert [a["id"] for a in over] == [a2["id"]]
    # done needs a verification note
    r = inst.patch(f"/api/v1/actions/{a2['id']}", {"status": "done"})
    assert r.status == 422 and r.json["errors"][0]["field"] == "verification_note"
    assert inst.get(f"/api/v1/actions/{a2['id']}").json["status"] == "open"
    r = inst.patch(f"/api/v1/actions/{a2['id']}",
                   {"status": "done", "verification_note": "Test page reached the pager."})
    assert r.status == 200 and r.json["status"] == "done" and r.json["done_at"]
    assert inst.get("/api/v1/actions?overdue=true").json["items"] == []
    # owner and due date cannot be cleared
    r = inst.patch(f"/api/v1/actions/{a1['id']}", {"owner": None, "due_date": None})
    assert r.status == 422 and {e["field"] for e in r.json["errors"]} == {"owner", "due_date"}
    # a plan revision link
    r = inst.patch(f"/api/v1/actions/{a1['id']}",
                   {"plan_version_id": "pv-7", "plan_version_label": "v7"})
    assert r.status == 200 and r.json["plan_version"] == {"id": "pv-7", "label": "v7"}
    assert r.json["plan_linked_at"]
    page = inst.get("/api/v1/actions?limit=1")
    assert len(page.json["items"]) == 1 and page.json["next_cursor"]
    page2 = inst.get("/api/v1/actions?limit=1&cursor=" + page.json["next_cursor"])
    assert page2.json["items"][0]["id"] != page.json["items"][0]["id"]


def test_review_rule_for_close(inst):
    low = new_incident(inst, severity="low")
    r = inst.get(review_url(low["id"], "/required"))
    assert r.json["review_missing"] is False  # only high and critical by default
    crit = new_incident(inst, severity="critical")
    assert inst.get(review_url(crit["id"], "/required")).json["review_missing"] is True


def test_other_organisation_sees_nothing(inst, incident):
    other = add_org(inst, "Globex", "boss@globex.example")
    assert inst.get(review_url(incident["id"]), token=other).status == 404
    assert inst.post(review_url(incident["id"]), token=other).status == 404
    items = inst.get("/api/v1/actions", token=other).json["items"]
    assert items == []
    a = inst.get("/api/v1/actions").json["items"][0]
    assert inst.get(f"/api/v1/actions/{a['id']}", token=other).status == 404
    assert inst.patch(f"/api/v1/actions/{a['id']}", {"title": "x"}, token=other).status == 404


def test_viewer_cannot_write(inst, incident):
    viewer = add_user(inst, "viewer@example.com", role="viewer")
    assert inst.get(review_url(incident["id"]), token=viewer).status == 200
    assert inst.patch(review_url(incident["id"]), {"summary": "x"}, token=viewer).status == 403
    assert inst.post("/api/v1/actions", {}, token=viewer).status == 403


def test_audit_trail_records_review_actions(inst):
    out = inst.sql("SELECT action FROM audit_log WHERE action LIKE 'review.%' ORDER BY seq")
    actions = out.split()
    for a in ("review.create", "review.update", "review.submit", "review.signoff",
              "review.publish"):
        assert a in actions
