"""Benchmark of the embedded store (a script that prints figures; not a test).

    .venv/bin/python bench/bench_store.py [--writes 10000] [--rows 10000]

Prints: embedded-store cold start, batch upsert throughput (rows/s) for N
synthetic nodes, the time of N single writes, restart time after them (clean
stop, which compacts the log, side by side with a restart after kill -9,
which replays it), and the app's start-to-first-answer with the venv in
place. All records written here are synthetic (ids syn-…, names 合成企业…).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.repository import Registry  # noqa: E402
from registry.store import FalkorStore  # noqa: E402


def synthetic(n: int, start: int = 0) -> list[dict]:
    return [{"kind": "enterprise", "id": f"syn-{i}", "name": f"合成企业{i}号（SYNTHETIC）",
             "aliases": [f"合成{i}"], "locality": "cluster" if i % 3 else "china"} for i in range(start, start + n)]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_first_answer(instance: Path) -> float:
    """`bash run.sh` (venv already in place) until the first answered request."""
    port = free_port()
    env = {**os.environ, "XIJIN_INSTANCE": str(instance)}
    t = time.perf_counter()
    proc = subprocess.Popen(["bash", str(ROOT / "run.sh"), "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.perf_counter() - t < 300:
            if proc.poll() is not None:
                return float("nan")  # it exited: run `bash run.sh` by hand to see why
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - t
            except OSError:
                time.sleep(0.05)
        return float("nan")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writes", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--skip-app", action="store_true", help="skip the `bash run.sh` timings (they may install a venv)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "store"
        t_start, store = timed(lambda: FalkorStore(d))
        rows.append(("embedded store cold start (empty folder)", f"{t_start:.3f} s"))
        store.setup_schema()
        reg = Registry(store)
        data = synthetic(args.rows)
        t_up, _ = timed(lambda: reg.upsert_many(data))
        rows.append((f"batch upsert {args.rows} nodes", f"{t_up:.2f} s = {args.rows / t_up:,.0f} rows/s"))
        t_again, _ = timed(lambda: reg.upsert_many(data))
        rows.append((f"same {args.rows} again (unchanged, skipped)", f"{t_again:.2f} s"))
        rels = [{"type": "SUPPLIES", "source": f"syn-{i}", "target": f"syn-{(i * 7 + 1) % args.rows}"}
                for i in range(args.rows)]
        t_rel, _ = timed(lambda: reg.upsert_relations(rels))
        rows.append((f"batch upsert {len(rels)} relations", f"{t_rel:.2f} s = {len(rels) / t_rel:,.0f} rows/s"))

        def single_writes():
            for i in range(args.writes):
                reg.create({"kind": "enterprise", "id": f"syn-w{i}", "name": f"合成单写企业{i}"})
        t_w, _ = timed(single_writes)
        rows.append((f"{args.writes} single writes, appendfsync always (each acknowledged once fsynced)",
                     f"{t_w:.1f} s = {args.writes / t_w:,.0f} writes/s"))
        # the same with the policy redis defaults to: acknowledged once written, fsynced about once a second
        store.db.connection.config_set("appendfsync", "everysec")

        def single_writes_everysec():
            for i in range(args.writes):
                reg.create({"kind": "enterprise", "id": f"syn-v{i}", "name": f"合成单写企业{i}"})
        t_e, _ = timed(single_writes_everysec)
        store.db.connection.config_set("appendfsync", "always")
        rows.append((f"{args.writes} single writes, appendfsync everysec (for comparison)",
                     f"{t_e:.1f} s = {args.writes / t_e:,.0f} writes/s"))
        aof = sum(p.stat().st_size for p in (d / "appendonlydir").iterdir())
        t_stop, _ = timed(store.close)
        rows.append(("clean stop (compacts the log)", f"{t_stop:.2f} s (log before: {aof / 1e6:.1f} MB)"))
        t_re, store = timed(lambda: FalkorStore(d))
        n = Registry(store).counts()["total_entities"]
        rows.append((f"restart after clean stop ({n} records)", f"{t_re:.3f} s"))
        # crash: kill -9 after more writes, so the restart replays the uncompacted log
        reg = Registry(store)
        for i in range(2000):
            reg.create({"kind": "enterprise", "id": f"syn-x{i}", "name": f"合成崩溃前企业{i}"})
        os.kill(int((d / "falkordb.pid").read_text()), signal.SIGKILL)
        time.sleep(0.5)
        store.server = None  # its server is gone; nothing to release
        store.close()
        t_crash, store = timed(lambda: FalkorStore(d))
        n2 = Registry(store).counts()["total_entities"]
        rows.append((f"restart after kill -9 ({n2} records, log replayed)", f"{t_crash:.3f} s"))
        store.close()
        if not args.skip_app:
            t_app = app_first_answer(Path(tmp) / "inst")
            rows.append(("`bash run.sh` to first answered request (venv in place, seeds empty store)", f"{t_app:.2f} s"))
            t_app2 = app_first_answer(Path(tmp) / "inst")
            rows.append(("`bash run.sh` again (already seeded)", f"{t_app2:.2f} s"))
    width = max(len(r[0]) for r in rows)
    print("embedded FalkorDB store — synthetic data — this machine")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
