"""The app in front of a store that hangs (SIGSTOP), and creates that are safe to retry (Idempotency-Key).
Issue 9."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest
from waitress.server import create_server

from registry.repository import Registry
from web import create_app
from web.store import close_store, store_holder


def fetch(url: str, timeout: float = 30) -> tuple[int, float, bytes]:
    t = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, time.monotonic() - t, r.read()
    except urllib.error.HTTPError as e:
        return e.code, time.monotonic() - t, e.read()


@pytest.fixture
def served(tmp_path):
    """The app served by waitress on a loopback port, on an embedded server of its own (the test stops it)."""
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "store"), "GRAPH_NAME": "g",
                      "SEED_ON_START": False, "NEO4J_URI": None}, instance_path=str(tmp_path / "instance"))
    reg = Registry(store_holder(app).get())
    reg.setup_schema()
    reg.create({"kind": "enterprise", "id": "ent-a", "name": "甲公司"})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    pid = int((tmp_path / "store" / "falkordb.pid").read_text())
    yield f"http://127.0.0.1:{server.effective_port}", pid
    os.kill(pid, signal.SIGCONT)
    server.close()
    thread.join(10)
    close_store(app)


def test_a_hung_store_gives_503_within_5s_static_files_do_not_wait_and_pages_come_back(served):
    base, pid = served
    assert fetch(base + "/")[0] == 200
    os.kill(pid, signal.SIGSTOP)
    try:
        hung = {}
        t = threading.Thread(target=lambda: hung.setdefault("page", fetch(base + "/entity/ent-a")))
        t.start()  # a request stuck on the store, while a static file is asked for
        time.sleep(0.2)
        status, took, _ = fetch(base + "/static/app.css")
        assert status == 200 and took < 1.0
        t.join(10)
        status, took, body = hung["page"]
        assert status == 503 and took < 5.0, (status, took)
        assert "数据库暂时不可用" in body.decode()
        for url in ("/", "/api/v1/entities", "/api/v1/entities/ent-a"):  # later requests: no 300 s queue either
            status, took, body = fetch(base + url)
            assert status == 503 and took < 5.0, (url, status, took)
        assert json.loads(body)["code"] == "store_unavailable"
    finally:
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 10
    while (status := fetch(base + "/")[0]) != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status == 200  # the same server, used again as it is
    assert fetch(base + "/api/v1/entities/ent-a")[0] == 200


# ---------------------------------------------------------------- Idempotency-Key

FIRM = {"kind": "enterprise", "id": "ent-k", "name": "赣州乙磁材有限公司"}


@pytest.fixture
def api_client(client, bearer):
    """The API as a script uses it: an editor's bearer token."""
    return bearer(client)


def test_a_create_retried_with_the_same_key_answers_the_first_result_and_writes_once(api_client):
    client = api_client
    first = client.post("/api/v1/entities", json=FIRM, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    again = client.post("/api/v1/entities", json=FIRM, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert [c["action"] for c in client.get("/api/v1/entities/ent-k/changes").get_json()["data"]] == ["create"]


def test_the_same_key_with_another_body_is_a_409(api_client):
    client = api_client
    assert client.post("/api/v1/entities", json=FIRM, headers={"Idempotency-Key": "k-2"}).status_code == 201
    other = client.post("/api/v1/entities", json={**FIRM, "id": "ent-l"}, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 409 and other.get_json()["code"] == "conflict"
    assert "Idempotency-Key" in other.get_json()["error"]
    assert client.get("/api/v1/entities/ent-l").status_code == 404


def test_a_relation_create_is_idempotent_too(api_client):
    client = api_client
    client.post("/api/v1/entities", json=FIRM)
    client.post("/api/v1/entities", json={**FIRM, "id": "ent-m", "name": "丙公司"})
    rel = {"type": "SUPPLIES", "source": "ent-k", "target": "ent-m"}
    first = client.post("/api/v1/relations", json=rel, headers={"Idempotency-Key": "r-1"})
    assert first.status_code == 201
    again = client.post("/api/v1/relations", json=rel, headers={"Idempotency-Key": "r-1"})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    changes = client.get("/api/v1/changes").get_json()["data"]
    assert sum(1 for c in changes if c["action"] != "create") == 1


def test_a_failed_create_does_not_keep_its_key(api_client):
    client = api_client
    bad = client.post("/api/v1/entities", json={**FIRM, "name": ""}, headers={"Idempotency-Key": "k-3"})
    assert bad.status_code == 400
    assert client.post("/api/v1/entities", json=FIRM, headers={"Idempotency-Key": "k-3"}).status_code == 201


def test_an_overlong_key_is_refused(api_client):
    client = api_client
    r = client.post("/api/v1/entities", json=FIRM, headers={"Idempotency-Key": "k" * 300})
    assert r.status_code == 400 and "Idempotency-Key" in r.get_json()["error"]


def test_disk_full_is_a_507_in_the_one_error_body_and_exit_code_6(app):
    from registry.errors import DiskFull
    from registry.store import DISK_FULL
    from web.errors import http_status
    from xijin.cli import exit_code

    exc = DiskFull(DISK_FULL)
    assert http_status(exc) == 507 and exit_code(exc) == 6
    with app.test_request_context("/api/v1/entities", method="POST"):
        resp = app.make_response(app.handle_user_exception(exc))
    body = resp.get_json()
    assert resp.status_code == 507 and body["code"] == "disk_full" and body["ok"] is False
    assert "磁盘空间不足" in body["error"] and "disk full" in body["error"]
