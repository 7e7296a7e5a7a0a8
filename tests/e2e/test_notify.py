"""Notification channels and the durable outbox, against real receivers on
loopback: an HTTP receiver (Python's http.server) and OpenSMTPD."""
import os
import stat
import time

import pytest

from notify_support import (Receiver, Smtpd, add_webhook, body_json, new_incident,
                            notify_instance, verify_signature, wait_for)

SECRET = "s3cret-signing-key-0001"


@pytest.fixture(scope="module")
def ninst(backend, cluster):
    i = notify_instance(backend, cluster)
    yield i
    i.close()


@pytest.fixture(scope="module")
def receiver(backend):
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def smtpd(backend):
    s = Smtpd()
    yield s
    s.close()


def outbox(inst, incident=None, **q):
    path = f"/api/v1/incidents/{incident}/notifications" if incident else "/api/v1/outbox"
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    r = inst.get(path + ("?" + qs if qs else ""))
    assert r.status == 200, r
    return r.json["items"]


def send(inst, incident, subject, **kw):
    r = inst.post(f"/api/v1/incidents/{incident}/notifications", {"subject": subject, **kw})
    assert r.status == 202, r
    return r.json


def test_channel_secrets_are_sealed_and_never_returned(ninst, receiver):
    ch = add_webhook(ninst, receiver, name="secret-check")
    assert ch["secrets_set"] == ["signing_secret"]
    assert SECRET not in str(ch)
    got = ninst.get(f"/api/v1/channels/{ch['id']}")
    assert got.status == 200 and SECRET not in got.text
    assert SECRET not in ninst.get("/api/v1/channels").text
    # at rest: not in the database in clear
    col = "encode(secret, 'hex')" if ninst.backend == "postgres" else "hex(secret)"
    raw = ninst.sql(f"SELECT {col} FROM notify_channels WHERE uid = '{ch['id']}'").strip()
    assert raw and SECRET.encode().hex() not in raw.lower()
    key = ninst.tmp / "notify.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    # rename with If-Match; secrets stay
    r = ninst.patch(f"/api/v1/channels/{ch['id']}", {"name": "secret-check-2"},
                    headers={"If-Match": '"1"'})
    assert r.status == 200 and r.json["secrets_set"] == ["signing_secret"], r
    r = ninst.patch(f"/api/v1/channels/{ch['id']}", {"name": "x"}, headers={"If-Match": '"1"'})
    assert r.status == 412
    assert ninst.delete(f"/api/v1/channels/{ch['id']}").status == 204
    assert ninst.get(f"/api/v1/channels/{ch['id']}").status == 404


def test_channel_validation(ninst):
    bad = [
        ({"name": "a", "kind": "pager"}, "kind"),
        ({"name": "a", "kind": "webhook", "config": {"url": "ftp://x.example"},
          "secrets": {"signing_secret": SECRET}}, "config.url"),
        ({"name": "a", "kind": "webhook", "config": {"url": "https://x.example"},
          "secrets": {"signing_secret": "short"}}, "secrets.signing_secret"),
        ({"name": "a", "kind": "webhook", "config": {"url": "https://x.example", "extra": 1},
          "secrets": {"signing_secret": SECRET}}, "config.extra"),
        ({"name": "a", "kind": "slack"}, "secrets.url"),
        ({"name": "a", "kind": "email", "config": {"url": "smtp://127.0.0.1:25",
          "from": "sirt <sirt@example.com>\r\nBcc: victim@example.com", "to": ["a@example.com"]}},
         "config.from"),
        ({"name": "a", "kind": "email", "config": {"url": "https://x.example",
          "from": "sirt@example.com", "to": ["a@example.com"]}}, "config.url"),
        ({"name": "a", "kind": "email", "config": {"url": "smtp://u:p@127.0.0.1",
          "from": "sirt@example.com", "to": ["a@example.com"]}}, "config.url"),
        ({"name": "a", "kind": "email", "config": {"url": "smtp://127.0.0.1",
          "from": "sirt@example.com", "to": ["not an address"]}}, "config.to"),
    ]
    for body, field in bad:
        r = ninst.post("/api/v1/channels", body)
        assert r.status == 422, (body, r)
        assert field in [e["field"] for e in r.json["errors"]], (body, r.json)


def test_signed_webhook_delivery(ninst, receiver):
    ch = add_webhook(ninst, receiver, name="signed", path="/signed")
    inc = new_incident(ninst)
    q = send(ninst, inc["id"], "Ransomware: file server encrypted", body="Isolated at 09:12.\nÜber.")
    assert q["queued"] == 1
    wait_for(lambda: receiver.ok("/signed"), what="the webhook")
    req = receiver.ok("/signed")[0]
    assert verify_signature(SECRET, req["headers"], req["body"], now=int(time.time()))
    assert not verify_signature("another-secret-0000", req["headers"], req["body"])
    assert not verify_signature(SECRET, req["headers"], req["body"] + b" ")
    b = body_json(req)
    assert b["event"] == "incident.message"
    assert b["incident"]["id"] == inc["id"] and b["incident"]["key"] == inc["key"]
    assert b["subject"] == "Ransomware: file server encrypted"
    assert b["text"] == "Isolated at 09:12.\nÜber."
    assert req["headers"]["x-sirt-idempotency-key"] == b["idempotency_key"]
    assert b["idempotency_key"].endswith(":" + ch["id"])
    assert req["headers"]["content-type"] == "application/json"
    items = wait_for(lambda: [m for m in outbox(ninst, inc["id"]) if m["status"] == "sent"],
                     what="sent status")
    assert items[0]["attempts"] == 1 and items[0]["last_status"] == 200
    tl = ninst.get(f"/api/v1/incidents/{inc['id']}/timeline")
    assert tl.status == 200, tl
    comm = [e for e in tl.json["items"] if e["kind"] == "communication"]
    assert len(comm) == 1 and "Ransomware: file server encrypted" in comm[0]["text"]
    assert "via signed (webhook" in comm[0]["text"]
    one = ninst.get(f"/api/v1/outbox/{items[0]['id']}").json
    assert one["attempt_log"][0]["ok"] is True and one["attempt_log"][0]["response_status"] == 200
    ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_receiver_down_then_back(ninst, receiver):
    """Nothing lost, nothing delivered twice except as a retry with the same key."""
    ch = add_webhook(ninst, receiver, name="flaky", path="/flaky")
    inc = new_incident(ninst, title="Phishing wave")
    with receiver.lock:
        receiver.fail_next = 6
    keys = []
    for n in range(5):
        keys.append(send(ninst, inc["id"], f"update {n}")["idempotency_key"])
    wait_for(lambda: len({body_json(r)["idempotency_key"] for r in receiver.ok("/flaky")}) == 5,
             timeout=60, what="all five delivered")
    time.sleep(1.5)
    ok = receiver.ok("/flaky")
    delivered = [body_json(r)["idempotency_key"] for r in ok]
    assert sorted(delivered) == sorted(k + ":" + ch["id"] for k in keys)  # each exactly once
    failed = [r for r in receiver.requests if r["path"] == "/flaky" and r["status"] == 503]
    assert len(failed) == 6
    # every retry carried the key of a message that was then delivered
    for r in failed:
        assert r["headers"]["x-sirt-idempotency-key"] in delivered
    msgs = outbox(ninst, inc["id"])
    assert all(m["status"] == "sent" for m in msgs)
    retried = [m for m in msgs if m["attempts"] > 1]
    assert retried
    log = ninst.get(f"/api/v1/outbox/{retried[0]['id']}").json["attempt_log"]
    assert log[0]["ok"] is False and log[0]["response_status"] == 503 and log[-1]["ok"]
    ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_failed_after_max_attempts_then_retry(ninst, receiver):
    with receiver.lock:
        receiver.status["/down"] = 500
    ch = add_webhook(ninst, receiver, name="down", path="/down")
    inc = new_incident(ninst, title="Outage")
    send(ninst, inc["id"], "will fail")
    msg = wait_for(lambda: [m for m in outbox(ninst, inc["id"]) if m["status"] == "failed"],
                   timeout=60, what="failed state")[0]
    assert msg["attempts"] == 4 and msg["last_status"] == 500  # SIRT_NOTIFY_MAX_ATTEMPTS
    assert [m["id"] for m in outbox(ninst, status="failed")].count(msg["id"]) == 1
    with receiver.lock:
        del receiver.status["/down"]
    r = ninst.post(f"/api/v1/outbox/{msg['id']}/retry")
    assert r.status == 200 and r.json["status"] == "pending", r
    wait_for(lambda: ninst.get(f"/api/v1/outbox/{msg['id']}").json["status"] == "sent",
             what="sent after retry")
    assert ninst.post(f"/api/v1/outbox/{msg['id']}/retry").status == 409
    ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_ssrf_guard_and_redirects(ninst, receiver):
    def test_url(url):
        ch = ninst.post("/api/v1/channels", {"name": "probe " + url, "kind": "webhook",
                                             "config": {"url": url},
                                             "secrets": {"signing_secret": SECRET}}).json
        r = ninst.post(f"/api/v1/channels/{ch['id']}/test")
        ninst.delete(f"/api/v1/channels/{ch['id']}")
        assert r.status == 200, r
        return r.json

    # loopback outside the allow-list (127.0.0.1/32 only), metadata, private
    for url in (f"http://127.0.0.2:{receiver.port}/hook", "http://169.254.169.254/latest/",
                "http://10.1.2.3/", "http://[::1]:9/", "http://100.64.0.1/",
                "http://[::ffff:127.0.0.2]:9/"):
        res = test_url(url)
        assert res["ok"] is False and "refused" in res["error"], (url, res)
    # plain http to a public address is refused before any packet is sent
    res = test_url("http://192.0.2.1/")
    assert res["ok"] is False and "refused" in res["error"]
    res = test_url("http://198.51.100.7/")
    assert res["ok"] is False and "plain http" in res["error"], res
    # the allowed receiver works
    assert test_url(receiver.url("/probe"))["ok"] is True
    # a redirect is never followed
    with receiver.lock:
        receiver.status["/redir"] = 302
    res = test_url(receiver.url("/redir"))
    assert res["ok"] is False and "redirect" in res["error"]
    assert res["status"] == 302


def test_slack_and_teams_bodies(ninst, receiver):
    slack = ninst.post("/api/v1/channels", {"name": "slack", "kind": "slack",
                                            "secrets": {"url": receiver.url("/slack")}}).json
    teams = ninst.post("/api/v1/channels", {"name": "teams", "kind": "teams",
                                            "secrets": {"url": receiver.url("/teams")}}).json
    assert "url" not in slack["config"] and slack["secrets_set"] == ["url"]
    assert receiver.url("/slack") not in ninst.get(f"/api/v1/channels/{slack['id']}").text
    inc = new_incident(ninst, title="Leaked <credentials> & keys")
    send(ninst, inc["id"], "Credentials leaked", body="Rotate <all> keys & tokens")
    wait_for(lambda: receiver.ok("/slack") and receiver.ok("/teams"), what="slack and teams")
    s = body_json(receiver.ok("/slack")[-1])
    assert s["text"] == "Credentials leaked"
    kinds = [b["type"] for b in s["blocks"]]
    assert kinds[0] == "header" and "section" in kinds and kinds[-1] == "context"
    sec = [b for b in s["blocks"] if b["type"] == "section"][0]
    assert sec["text"]["text"] == "Rotate &lt;all&gt; keys &amp; tokens"
    t = body_json(receiver.ok("/teams")[-1])
    assert t["type"] == "message"
    att = t["attachments"][0]
    assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = att["content"]
    assert card["type"] == "AdaptiveCard" and card["version"]
    assert card["body"][0]["text"] == "Credentials leaked"
    assert any(a["type"] == "Action.OpenUrl" and inc["id"] in a["url"]
               for a in card.get("actions", []))
    for ch in (slack, teams):
        ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_email_through_opensmtpd(ninst, smtpd):
    ch = ninst.post("/api/v1/channels", {
        "name": "mail", "kind": "email",
        "config": {"url": f"smtp://127.0.0.1:{smtpd.port}", "starttls": "optional",
                   "from": "Équipe sécurité <sirt@example.com>",
                   "to": ["soc@example.com", "ciso@example.org"]}})
    assert ch.status == 201, ch
    ch = ch.json
    inc = new_incident(ninst, title="Données personnelles exposées")
    subject = "Incident grave : données exposées — action requise " + "é" * 40
    body = ("Bonjour,\n.\nA line with a lone dot above, trailing space \n" + "x" * 200 +
            "\nfin: 100% = sûr\n")
    key = send(ninst, inc["id"], subject, body=body)["idempotency_key"]
    msgs = wait_for(lambda: smtpd.messages(), timeout=30, what="mail in the maildir")
    m = msgs[-1]
    assert m["Subject"] == subject
    assert m["From"].addresses[0].display_name == "Équipe sécurité"
    assert m["From"].addresses[0].addr_spec == "sirt@example.com"
    assert {a.addr_spec for a in m["To"].addresses} == {"soc@example.com", "ciso@example.org"}
    assert m["Message-ID"] and m["Date"]
    assert m["X-Sirt-Idempotency-Key"] == key + ":" + ch["id"]
    assert m["Content-Transfer-Encoding"] == "quoted-printable"
    assert m.get_content().replace("\r\n", "\n") == body
    raw = m.as_bytes()
    for line in raw.split(b"\n"):
        assert len(line.rstrip(b"\r")) <= 998
    # the raw header lines are 7-bit: the subject went as encoded-words
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    assert all(b < 128 for b in head)
    # per-message recipients replace the channel's list
    send(ninst, inc["id"], "Only to the DPO", recipients=["dpo@example.net"])
    m2 = wait_for(lambda: [x for x in smtpd.messages() if x["Subject"] == "Only to the DPO"],
                  what="second mail")[0]
    assert [a.addr_spec for a in m2["To"].addresses] == ["dpo@example.net"]
    ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_starttls_required_fails_without_tls(ninst, smtpd):
    ch = ninst.post("/api/v1/channels", {
        "name": "mail-tls", "kind": "email",
        "config": {"url": f"smtp://127.0.0.1:{smtpd.port}", "starttls": "required",
                   "from": "sirt@example.com", "to": ["soc@example.com"]}}).json
    r = ninst.post(f"/api/v1/channels/{ch['id']}/test")
    assert r.json["ok"] is False, r
    ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_other_organisation_sees_nothing(ninst, receiver):
    ch = add_webhook(ninst, receiver, name="private")
    ninst.sql("INSERT INTO orgs(uid, name, created_at) VALUES"
              " ('00000000-0000-4000-8000-00000000beef', 'Other', 0);"
              "INSERT INTO users(uid, email, created_at, updated_at) VALUES"
              " ('00000000-0000-4000-8000-00000000cafe', 'other@example.com', 0, 0);"
              "INSERT INTO memberships(org_id, user_id, role, created_at) SELECT o.id, u.id,"
              " 'admin', 0 FROM orgs o, users u WHERE o.name = 'Other'"
              " AND u.email = 'other@example.com'")
    tok = ninst.token("other@example.com", org="Other")
    assert ninst.get(f"/api/v1/channels/{ch['id']}", token=tok).status == 404
    assert ninst.get("/api/v1/channels", token=tok).json["items"] == []
    assert ninst.get("/api/v1/outbox", token=tok).json["items"] == []
    ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_cli(ninst, receiver):
    ch = add_webhook(ninst, receiver, name="cli-hook", path="/cli")
    p = ninst.cli("channel", "list", "--org", "Acme", check=True)
    assert "cli-hook" in p.stdout and SECRET not in p.stdout
    p = ninst.cli("channel", "test", "--org", "Acme", ch["id"], check=True)
    assert "sent" in p.stdout
    assert receiver.ok("/cli")
    p = ninst.cli("channel", "add", "--org", "Acme", "--name", "cli-made", "--kind", "webhook", "--settings",
                  '{"url": "https://hooks.example.com/x"}', "--secrets-stdin",
                  input='{"signing_secret": "0123456789abcdef0123"}', check=True)
    assert '"cli-made"' in p.stdout and "0123456789abcdef0123" not in p.stdout
    p = ninst.cli("outbox", "list", "--org", "Acme", "--status", "sent", check=True)
    assert '"status": "sent"' in p.stdout
    p = ninst.cli("outbox", "list", "--status", "bogus")
    assert p.returncode != 0
    ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_restart_loses_nothing(ninst, receiver):
    """A message claimed by a node that then died is delivered once its lease
    expires; messages queued before a restart are delivered after it."""
    ch = add_webhook(ninst, receiver, name="restart", path="/restart")
    inc = new_incident(ninst, title="Restart")
    with receiver.lock:
        receiver.status["/restart"] = 503
    send(ninst, inc["id"], "queued before the restart")
    wait_for(lambda: receiver.requests and receiver.requests[-1]["path"] == "/restart",
             what="first failed attempt")
    ninst.stop()
    # as if a node had crashed while holding the lease: it has expired
    ninst.sql("UPDATE outbox SET leased_by = 'crashed-node', leased_until = 1,"
              " next_attempt_at = 1 WHERE status = 'pending'")
    with receiver.lock:
        del receiver.status["/restart"]
    ninst.start()
    wait_for(lambda: receiver.ok("/restart"), timeout=30, what="delivery after restart")
    msg = outbox(ninst, inc["id"])[0]
    assert msg["status"] == "sent" and msg["attempts"] == 2
    ninst.delete(f"/api/v1/channels/{ch['id']}")


def test_sigterm_stops_worker_cleanly(backend, cluster):
    i = notify_instance(backend, cluster)
    try:
        assert i.stop() == 0
        assert "stopped cleanly" in i.stderr
    finally:
        i.close()
