"""A store that cannot be wedged (issue 9): concurrent first starts, a damaged log, reconnecting after a
crash, a full disk. Every test runs its own server in its own folder and stops (or kills) it afterwards."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from registry.errors import DiskFull, StoreUnavailable
from registry.repository import Registry
from registry.store import FalkorStore, StoreHolder


def firms(start, n, prefix="e"):
    return [{"kind": "enterprise", "id": f"{prefix}{i}", "name": f"企业{i}"} for i in range(start, start + n)]


def servers_in(folder: Path) -> list[int]:
    """The redis-server processes whose working folder is ``folder`` (redis changes into its --dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if "redis-server" in (entry / "cmdline").read_bytes().decode(errors="replace") and \
                    os.readlink(entry / "cwd") == str(folder.resolve()):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_servers(folder: Path) -> None:
    for pid in servers_in(folder):
        try:
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def folder():
    """A folder of its own outside pytest's shared temp root (another session's cleanup may remove that)."""
    base = Path(tempfile.mkdtemp(prefix="xijin-store-faults-"))
    d = base / "store"
    yield d
    kill_servers(d)
    shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------- 1. one server per folder

WORKER = textwrap.dedent("""
    import sys, time
    from registry.repository import Registry
    from registry.store import FalkorStore
    folder, me = sys.argv[1], sys.argv[2]
    store = None
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "start":                      # start TRIAL AT: open the store at the same instant as the others
            trial, at = args[0], float(args[1])
            time.sleep(max(0.0, at - time.time()))
            store = FalkorStore(folder)
            Registry(store).upsert_many([{"kind": "enterprise", "id": f"w{me}-{trial}", "name": f"企业{me}-{trial}"}])
            print(open(folder + "/falkordb.pid").read().strip(), flush=True)
        elif cmd == "stop":
            store.close()
            print("closed", flush=True)
""")

TRIALS, PROCESSES = 20, 3


def test_concurrent_first_starts_give_one_server_each_time(folder):
    """20 trials of 3 processes opening a stopped store at the same instant: one server each time."""
    folder.mkdir(parents=True)
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(folder), str(k)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, cwd=os.getcwd()) for k in range(PROCESSES)]
    try:
        for trial in range(TRIALS):
            assert servers_in(folder) == []  # stopped
            at = time.time() + 0.3
            for w in workers:
                w.stdin.write(f"start {trial} {at}\n")
                w.stdin.flush()
            pids = {w.stdout.readline().strip() for w in workers}
            assert len(pids) == 1, f"trial {trial}: {pids}"
            assert len(servers_in(folder)) == 1, f"trial {trial}"
            for w in workers:
                w.stdin.write("stop\n")
                w.stdin.flush()
            assert [w.stdout.readline().strip() for w in workers] == ["closed"] * PROCESSES
            deadline = time.monotonic() + 10
            while servers_in(folder) and time.monotonic() < deadline:  # the last one stopped it
                time.sleep(0.02)
    finally:
        for w in workers:
            w.stdin.close()
            w.wait(30)
            w.stdout.close()
    s = FalkorStore(folder)
    try:
        ids = [f"w{k}-{t}" for k in range(PROCESSES) for t in range(TRIALS)]
        assert Registry(s).kinds_of(ids) == {i: "enterprise" for i in ids}
    finally:
        s.close()


# ---------------------------------------------------------------- 2. a damaged log repairs itself

def _store_with_history(folder: Path) -> None:
    """100 records compacted into the base file, 100 more in the incremental file (a kill -9, no compaction)."""
    s = FalkorStore(folder)
    s.setup_schema()
    Registry(s).upsert_many(firms(0, 100))
    s.close()
    s = FalkorStore(folder)
    Registry(s).upsert_many(firms(100, 100))
    os.kill(int((folder / "falkordb.pid").read_text()), signal.SIGKILL)
    time.sleep(0.3)
    s.drop()


def _count(folder: Path) -> int:
    s = FalkorStore(folder)
    try:
        return Registry(s).counts()["total_entities"]
    finally:
        s.close()


MANIFEST = Path("appendonlydir") / "appendonly.aof.manifest"


@pytest.mark.parametrize("damage", ["names a missing file", "deleted", "garbage"])
def test_a_damaged_manifest_is_rebuilt_with_a_line_in_the_log(folder, caplog, damage):
    _store_with_history(folder)
    manifest = folder / MANIFEST
    if damage == "names a missing file":  # what two servers on one folder left behind (issue 9)
        manifest.write_text(manifest.read_text() + "file appendonly.aof.9.incr.aof seq 9 type i startoffset 0\n")
    elif damage == "deleted":
        manifest.unlink()
    else:
        manifest.write_bytes(b"\x00\x01 not a manifest\n")
    with caplog.at_level(logging.WARNING, logger="registry.embedded"):
        assert _count(folder) == 200
    assert any("manifest" in r.getMessage() and "rebuilt" in r.getMessage() for r in caplog.records)
    assert list(folder.glob("appendonlydir.damaged-*"))  # the damaged folder is kept for a person to look at


def test_a_log_cut_short_loads_up_to_its_last_whole_write(folder):
    _store_with_history(folder)
    incr = sorted((folder / "appendonlydir").glob("*.incr.aof"))[-1]
    incr.write_bytes(incr.read_bytes()[:-7])  # a crash in the middle of writing the last batch
    assert _count(folder) == 100


def test_a_log_damaged_in_the_middle_is_fixed_to_its_last_good_state(folder, caplog):
    _store_with_history(folder)
    s = FalkorStore(folder)
    reg = Registry(s)
    for i in range(300, 320):
        reg.create({"kind": "enterprise", "id": f"e{i}", "name": f"企业{i}"})
    os.kill(int((folder / "falkordb.pid").read_text()), signal.SIGKILL)
    time.sleep(0.3)
    s.drop()
    incr = sorted((folder / "appendonlydir").glob("*.incr.aof"))[-1]
    data = bytearray(incr.read_bytes())
    starts = [m.start() + 2 for m in re.finditer(rb"\r\n\*", bytes(data))]
    data[starts[len(starts) // 2]] = ord("?")  # a command's header broken: redis refuses the whole file
    incr.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="registry.embedded"):
        n = _count(folder)
    assert 200 <= n < 220  # everything before the damage
    assert any("redis-check-aof" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- 5. reconnecting after a crash

def test_after_a_crash_threads_reopen_once_and_never_close_a_store_another_opened(folder):
    holder = StoreHolder({"DATA_DIR": str(folder), "GRAPH_NAME": "g", "STORE_TIMEOUT": 3.0,
                          "STORE_SLOW_TIMEOUT": 10.0})
    first = holder.get()
    first.setup_schema()
    Registry(first).upsert_many(firms(0, 10))
    os.kill(int((folder / "falkordb.pid").read_text()), signal.SIGKILL)  # the store crashes
    time.sleep(0.3)
    results, errors = [], []
    go = threading.Barrier(8)

    def request():
        go.wait()
        for _ in range(50):  # what a request and its retries do in the app
            store = holder.get()
            try:
                results.append(Registry(store).counts()["total_entities"])
                return
            except StoreUnavailable:
                holder.reset(store)
        errors.append("never reconnected")

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == [] and results == [10] * 8
        assert holder.generation == 2  # reopened exactly once
        assert len(servers_in(folder)) == 1
        assert holder.reset(first) is False  # the broken store is no longer the current one: nothing closed
        Registry(holder.get()).counts()  # the reopened store still works
    finally:
        assert holder.close() is None


# ---------------------------------------------------------------- 4. a full disk

@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root and mount(8): the disk-full test cannot run here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip()}): the disk-full test cannot run")
    yield mnt
    kill_servers(mnt / "store")
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_refuses_the_write_never_acknowledges_it_and_the_stop_does_not_claim_saved(small_disk):
    folder = small_disk / "store"
    s = FalkorStore(folder)
    s.setup_schema()
    reg = Registry(s)
    acknowledged = []
    for i in range(20):
        reg.create({"kind": "enterprise", "id": f"a{i}", "name": f"企业{i}"})
        acknowledged.append(f"a{i}")
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    refused = 0
    for i in range(5):
        try:
            reg.create({"kind": "enterprise", "id": f"b{i}", "name": f"企业{i}", "description": "很长" * 1000})
            acknowledged.append(f"b{i}")
        except DiskFull as exc:
            assert "磁盘空间不足" in exc.message and "disk full" in exc.message and exc.code == "disk_full"
            refused += 1
    assert refused >= 1
    problem = s.close()
    assert problem  # the stop says what is true: not "saved"
    filler.unlink()
    s2 = FalkorStore(folder)
    try:
        reg2 = Registry(s2)
        assert reg2.kinds_of(acknowledged) == {i: "enterprise" for i in acknowledged}  # none acknowledged was lost
        reg2.create({"kind": "enterprise", "id": "c1", "name": "空间恢复后"})  # and writes work again
    finally:
        assert s2.close() is None
