"""The embedded server as a user meets it: restarts, a second process, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from registry.embedded import EmbeddedServer
from registry.repository import Registry
from registry.store import FalkorStore


def firms(start, n):
    return [{"kind": "enterprise", "id": f"e{i}", "name": f"企业{i}"} for i in range(start, start + n)]


def server_pid(path) -> int:
    return int((path / "falkordb.pid").read_text())


def test_data_survives_a_clean_restart(tmp_path):
    s = FalkorStore(tmp_path)
    s.setup_schema()
    Registry(s).upsert_many(firms(0, 100))
    s.close()
    assert not (tmp_path / "falkordb.sock").exists()  # the last user stopped it
    s2 = FalkorStore(tmp_path)
    try:
        assert Registry(s2).counts()["entities"]["enterprise"] == 100
        assert s2.schema_ok()[0]
    finally:
        s2.close()


def test_a_second_store_uses_the_running_server_and_the_last_one_stops_it(tmp_path):
    a = FalkorStore(tmp_path)
    pid = server_pid(tmp_path)
    b = FalkorStore(tmp_path)
    assert server_pid(tmp_path) == pid  # no second server
    b.close()
    assert (tmp_path / "falkordb.sock").exists()  # a still uses it
    a.close()
    assert not (tmp_path / "falkordb.sock").exists()


WRITER = textwrap.dedent("""
    import sys
    from registry.repository import Registry
    from registry.store import FalkorStore
    s = FalkorStore(sys.argv[1])
    reg = Registry(s)
    start, n = int(sys.argv[2]), int(sys.argv[3])
    for i in range(start, start + n, 50):
        reg.upsert_many([{"kind": "enterprise", "id": f"e{j}", "name": f"企业{j}"} for j in range(i, i + 50)])
        print(i + 50, flush=True)   # acknowledged
    s.close()
""")


def run_writer(path, start, n):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(start), str(n)],
                            stdout=subprocess.PIPE, text=True, cwd=os.getcwd())


def test_two_processes_write_through_one_server(tmp_path):
    s = FalkorStore(tmp_path)
    s.setup_schema()
    pid = server_pid(tmp_path)
    p1, p2 = run_writer(tmp_path, 0, 500), run_writer(tmp_path, 1000, 500)
    assert p1.wait(60) == 0 and p2.wait(60) == 0
    p1.stdout.close(), p2.stdout.close()
    assert server_pid(tmp_path) == pid
    try:
        assert Registry(s).counts()["entities"]["enterprise"] == 1000
    finally:
        s.close()


def test_kill_9_of_the_store_loses_no_acknowledged_write(tmp_path):
    s = FalkorStore(tmp_path)
    s.setup_schema()
    s.close()
    writer = run_writer(tmp_path, 0, 100_000)
    acknowledged = 0
    for line in writer.stdout:
        acknowledged = int(line)
        if acknowledged >= 2000:
            break
    os.kill(server_pid(tmp_path), signal.SIGKILL)  # the store dies mid-series
    writer.wait(60)
    for line in writer.stdout:  # batches acknowledged before the writer saw the crash
        acknowledged = max(acknowledged, int(line))
    writer.stdout.close()
    assert writer.returncode != 0  # the writer was told, it did not silently lose writes
    t0 = time.monotonic()
    s2 = FalkorStore(tmp_path)  # a stale socket and pid file are left: recovered
    reopened = time.monotonic() - t0
    try:
        reg = Registry(s2)
        count = reg.counts()["entities"]["enterprise"]
        assert count >= acknowledged
        assert reg.kinds_of([f"e{i}" for i in range(acknowledged)]) == {f"e{i}": "enterprise"
                                                                          for i in range(acknowledged)}
        assert reopened < 30
    finally:
        s2.close()


def test_stale_socket_and_pid_file_are_recovered(tmp_path):
    (tmp_path / "falkordb.sock").write_text("")
    (tmp_path / "falkordb.pid").write_text("999999")
    s = FalkorStore(tmp_path)
    try:
        s.setup_schema()
        assert Registry(s).counts()["total_entities"] == 0
        assert server_pid(tmp_path) != 999999
    finally:
        s.close()


def test_server_that_cannot_start_says_why(tmp_path):
    (tmp_path / "appendonlydir").write_text("not a folder")  # redis cannot open its log
    server = EmbeddedServer(tmp_path, start_timeout=10)
    with pytest.raises(Exception) as exc:
        server.ensure_running()
    assert "embedded store" in str(exc.value)
