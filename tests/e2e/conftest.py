"""pytest fixtures: every e2e test runs once per backend (sqlite, postgres).

Fixtures:
  cluster  - the session's PostgreSQL server (started here on 127.0.0.1)
  backend  - "sqlite" or "postgres" (parametrised; SIRT_TEST_BACKENDS narrows it)
  inst     - a fresh initialised database with a running server, per test module;
             inst.admin_token is an admin-scoped token of the "Acme" admin
  fresh    - a fresh, uninitialised database (no server), per test
"""
import os

import pytest

from sirt_harness import Cluster, Instance

BACKENDS = [b for b in os.environ.get("SIRT_TEST_BACKENDS", "sqlite,postgres").split(",") if b]


@pytest.fixture(scope="session")
def cluster():
    if "postgres" not in BACKENDS:
        yield None
        return
    c = Cluster().start()
    yield c
    c.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="module")
def inst(backend, cluster):
    i = Instance(backend, cluster)
    i.init()
    i.start()
    yield i
    i.close()


@pytest.fixture
def fresh(backend, cluster):
    i = Instance(backend, cluster)
    yield i
    i.close()
