"""All-or-nothing work (``GraphStore.atomic``): the import and the restore rest on it (issue 10).

On both stores: every statement applied, or none. On the embedded store also: a write made by someone
else while the work runs is never lost (the work is done again), a process killed half-way leaves the
registry as it was and its working copy is removed by the next open, and the result survives a restart.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from registry.errors import Conflict
from registry.store import ATOMIC_COPY_MARK, FalkorStore

Q_ADD = "UNWIND $rows AS row CREATE (n:Entity:Enterprise) SET n = row RETURN count(n) AS n"
Q_IDS = "MATCH (n:Entity) RETURN n.id AS id ORDER BY id"


def rows(prefix, n):
    return [{"id": f"{prefix}{i}", "kind": "enterprise", "name": f"企业{prefix}{i}"} for i in range(n)]


def ids(store):
    return [r["id"] for r in store.read(Q_IDS)]


def copies(store):
    """The working copies of atomic work on the store's server."""
    return [k for k in store.db.connection.keys("*") if ATOMIC_COPY_MARK in str(k)]


def test_every_statement_is_applied_and_each_answers(store):
    out = store.atomic([(Q_ADD, {"rows": rows("a", 3)}), (Q_ADD, {"rows": rows("b", 2)})])
    assert out == [[{"n": 3}], [{"n": 2}]]
    assert ids(store) == ["a0", "a1", "a2", "b0", "b1"]


def test_a_failing_statement_leaves_nothing_of_the_others(store):
    store.write(Q_ADD, {"rows": rows("x", 1)})
    with pytest.raises(Conflict):  # the second statement breaks the unique id constraint
        store.atomic([(Q_ADD, {"rows": rows("a", 3)}), (Q_ADD, {"rows": rows("x", 1)})])
    assert ids(store) == ["x0"]


def test_progress_is_reported_after_each_statement(store):
    seen = []
    store.atomic([(Q_ADD, {"rows": rows(p, 1)}) for p in "abc"], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_the_schema_holds_after_the_swap(falkor):
    falkor.atomic([(Q_ADD, {"rows": rows("a", 2)})])
    assert falkor.schema_ok() == (True, "")
    with pytest.raises(Conflict):
        falkor.write(Q_ADD, {"rows": rows("a", 1)})


def test_a_write_by_someone_else_during_the_work_is_kept(falkor):
    """The work sees a concurrent write (made between its copy and its swap) and is done again."""
    other = FalkorStore(falkor.data_dir, graph=falkor.graph_name)
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 1:  # first try only: someone else writes while the work is under way
            other.write(Q_ADD, {"rows": rows("other", 1)})

    try:
        falkor.atomic([(Q_ADD, {"rows": rows("a", 2)})], progress=progress)
    finally:
        other.close()
    assert ids(falkor) == ["a0", "a1", "other0"]
    assert len(calls) == 2  # done twice: the first swap was refused
    assert not copies(falkor)


def test_work_that_never_gets_a_quiet_moment_gives_up_saying_so_and_changes_nothing(falkor):
    other = FalkorStore(falkor.data_dir, graph=falkor.graph_name)
    n = iter(range(100))
    try:
        with pytest.raises(Conflict, match="nothing was changed"):
            falkor.atomic([(Q_ADD, {"rows": rows("a", 1)})],
                          progress=lambda d, t: other.write(Q_ADD, {"rows": rows(f"o{next(n)}_", 1)}))
    finally:
        other.close()
    assert "a0" not in ids(falkor)
    assert len(ids(falkor)) == FalkorStore.ATOMIC_TRIES  # every write of the other store is there


# ---------------------------------------------------------------- kill -9 half-way, then a restart

WORKER = textwrap.dedent("""
    import sys
    from registry.store import FalkorStore
    folder = sys.argv[1]
    s = FalkorStore(folder)
    q = "UNWIND $rows AS row CREATE (n:Entity:Enterprise) SET n = row RETURN count(n) AS n"
    batches = [(q, {"rows": [{"id": f"imp{b}-{i}", "kind": "enterprise", "name": "企业"} for i in range(2000)]})
               for b in range(400)]
    def progress(done, total):
        if done == 3:
            print("half-way", flush=True)
    s.atomic(batches, progress=progress)
    print("done", flush=True)
""")


@pytest.fixture
def folder():
    base = Path(tempfile.mkdtemp(prefix="xijin-atomic-"))
    yield base / "store"
    from test_store_faults import kill_servers
    kill_servers(base / "store")
    shutil.rmtree(base, ignore_errors=True)


def test_kill_9_half_way_leaves_the_registry_as_before_and_the_next_open_cleans_up(folder):
    s = FalkorStore(folder)
    s.setup_schema()
    s.write(Q_ADD, {"rows": rows("before", 5)})
    before = ids(s)
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "half-way"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    assert ids(s) == before
    assert copies(s), "the killed work's copy is still there until the next open"
    s.close()
    s2 = FalkorStore(folder)  # the next open removes the copy of the dead process
    try:
        assert ids(s2) == before
        assert not copies(s2)
    finally:
        s2.close()


def test_the_swapped_graph_survives_kill_9_of_the_server_and_a_clean_stop(folder):
    s = FalkorStore(folder)
    s.setup_schema()
    s.atomic([(Q_ADD, {"rows": rows("a", 3)})])
    os.kill(int((folder / "falkordb.pid").read_text()), signal.SIGKILL)
    time.sleep(0.5)
    s.drop()
    s2 = FalkorStore(folder)  # replays the log: the copy, its writes and the swap
    assert ids(s2) == ["a0", "a1", "a2"]
    s2.atomic([(Q_ADD, {"rows": rows("b", 1)})])
    assert s2.close() is None  # compacts the log and stops
    s3 = FalkorStore(folder)
    try:
        assert ids(s3) == ["a0", "a1", "a2", "b0"]
        assert s3.schema_ok() == (True, "")
    finally:
        s3.close()
