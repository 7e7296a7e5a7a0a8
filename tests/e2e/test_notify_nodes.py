"""Several sirt nodes on one PostgreSQL database: each notification is
delivered by exactly one of them (leases claimed with FOR UPDATE SKIP
LOCKED), and a retry after a deliberate failure carries the same key."""
import collections
import subprocess
import time

import pytest

from notify_support import (Receiver, add_webhook, body_json, new_incident, notify_instance,
                            wait_for)
from sirt_harness import SIRT

N = 60


@pytest.fixture(scope="module")
def two_nodes(backend, cluster):
    if backend != "postgres":
        pytest.skip("several nodes share a PostgreSQL database; SQLite is single-node")
    a = notify_instance(backend, cluster)
    log = open(a.tmp / "node-b.log", "w")
    b = subprocess.Popen([SIRT, "serve", "--listen", "127.0.0.1:0"], env=a.env,
                         stdout=subprocess.PIPE, stderr=log, text=True)
    line = b.stdout.readline()
    assert line.startswith("listening port="), (a.tmp / "node-b.log").read_text()
    b_port = int(line.strip().split("=")[1])
    yield a, b_port
    b.terminate()
    b.wait(timeout=20)
    log.close()
    a.close()


def test_each_notification_delivered_by_exactly_one_node(two_nodes):
    a, b_port = two_nodes
    rcv = Receiver()
    try:
        ch = add_webhook(a, rcv, name="shared", path="/nodes")
        inc = new_incident(a, title="Many updates")
        with rcv.lock:
            rcv.fail_next = 5  # deliberately fail a few: they are retried, same key
        keys = []
        for n in range(N):
            port = a.port if n % 2 == 0 else b_port
            saved, a.port = a.port, port
            r = a.post(f"/api/v1/incidents/{inc['id']}/notifications",
                       {"subject": f"update {n}", "idempotency_key": f"u{n}"})
            a.port = saved
            assert r.status == 202, r
            keys.append(r.json["idempotency_key"] + ":" + ch["id"])
        wait_for(lambda: len({body_json(r)["idempotency_key"] for r in rcv.ok("/nodes")}) == N,
                 timeout=90, what="every notification")
        time.sleep(2.5)  # anything delivered twice would show up now
        counts = collections.Counter(body_json(r)["idempotency_key"] for r in rcv.ok("/nodes"))
        assert sorted(counts) == sorted(keys)
        assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1]
        failed = [r for r in rcv.requests if r["status"] == 503]
        assert len(failed) == 5
        assert all(r["headers"]["x-sirt-idempotency-key"] in counts for r in failed)
        # both nodes took part, each under its own lease name
        nodes = a.sql("SELECT DISTINCT node FROM outbox_attempts").split()
        assert len(nodes) == 2, nodes
        sent = a.sql("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").strip()
        assert int(sent) == N
    finally:
        rcv.close()
