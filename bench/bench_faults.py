"""Fault trials of the embedded store and the app (issue 9): a script that prints figures, not a test.

    .venv/bin/python bench/bench_faults.py [--trials 10] [--only kill9-store,kill9-app,kill9-both,sigstop]

kill9-store  a writer makes single creates (each acknowledged once `Registry.create` returns); the
             redis-server is killed with SIGKILL at a random moment; the store is reopened and every
             acknowledged record looked up.
kill9-app    `xijin serve` on its own instance takes creates over HTTP (acknowledged = 201); the app is
             killed with SIGKILL at a random moment (the store lives on); the app is started again and
             every acknowledged record is fetched.
kill9-both   the same, killing the app and the store at the same moment.
sigstop      the store of a running app is stopped with SIGSTOP: time until a page answers 503, time
             of a static file meanwhile, and time until pages work again after SIGCONT.

Prints per mode: trials, acknowledged writes, acknowledged writes lost (must be 0). All records are
synthetic (ids syn-…). Everything runs on a unix socket and a loopback port in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.repository import Registry  # noqa: E402
from registry.store import FalkorStore  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

WRITER = textwrap.dedent("""
    import sys
    from registry.repository import Registry
    from registry.store import FalkorStore
    reg = Registry(FalkorStore(sys.argv[1]))
    i = 0
    while True:
        reg.create({"kind": "enterprise", "id": f"syn-{sys.argv[2]}-{i}", "name": f"合成企业{i}"})
        print(f"syn-{sys.argv[2]}-{i}", flush=True)   # acknowledged
        i += 1
""")


def pid_of(folder: Path) -> int:
    return int((folder / "falkordb.pid").read_text())


def stop_server(folder: Path) -> None:
    try:
        s = FalkorStore(folder)
        s.close()
    except Exception:
        pass


def missing(folder: Path, ids: list[str]) -> int:
    s = FalkorStore(folder)
    try:
        return len(ids) - len(Registry(s).kinds_of(ids))
    finally:
        s.close()


def kill9_store(base: Path, trials: int) -> tuple[int, int]:
    folder = base / "kill9-store"
    s = FalkorStore(folder)
    s.setup_schema()
    s.close()
    acked: list[str] = []
    for t in range(trials):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), f"s{t}"], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, env=ENV, cwd=ROOT)
        first = writer.stdout.readline().strip()  # it is writing
        acked.append(first)
        threading.Timer(random.uniform(0.1, 1.5), lambda: os.kill(pid_of(folder), signal.SIGKILL)).start()
        for line in writer.stdout:
            acked.append(line.strip())
        writer.wait(60)
        writer.stdout.close()
    return len(acked), missing(folder, acked)


def free_port() -> int:
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def start_app(instance: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "xijin", "serve", "--instance", str(instance), "--port", str(port),
                             "--no-seed"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the app did not start")


def post(port: int, body: dict) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/entities", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def kill9_app(base: Path, trials: int, also_store: bool) -> tuple[int, int]:
    instance = base / ("kill9-both" if also_store else "kill9-app")
    acked: list[str] = []
    for t in range(trials):
        port = free_port()
        app = start_app(instance, port)
        stop = threading.Event()

        def client():
            i = 0
            while not stop.is_set():
                ident = f"syn-a{t}-{i}"
                try:
                    if post(port, {"kind": "enterprise", "id": ident, "name": f"合成企业{i}"}) == 201:
                        acked.append(ident)
                except OSError:
                    return  # the app is gone: nothing more is acknowledged
                i += 1

        th = threading.Thread(target=client)
        th.start()
        time.sleep(random.uniform(0.2, 1.5))
        server_pid = pid_of(instance / "store")
        app.send_signal(signal.SIGKILL)
        if also_store:
            os.kill(server_pid, signal.SIGKILL)
        app.wait(30)
        stop.set()
        th.join(30)
    port = free_port()
    app = start_app(instance, port)
    try:
        lost = 0
        for ident in acked:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/entities/{ident}", timeout=10).close()
            except urllib.error.HTTPError:
                lost += 1
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(60)
    return len(acked), lost


def timed_get(url: str) -> tuple[int, float]:
    t = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            r.read()
            return r.status, time.monotonic() - t
    except urllib.error.HTTPError as e:
        return e.code, time.monotonic() - t


def sigstop(base: Path, trials: int) -> list[tuple[float, float, float]]:
    instance = base / "sigstop"
    port = free_port()
    app = start_app(instance, port)
    out = []
    try:
        for _ in range(trials):
            pid = pid_of(instance / "store")
            timed_get(f"http://127.0.0.1:{port}/")
            os.kill(pid, signal.SIGSTOP)
            status, t503 = timed_get(f"http://127.0.0.1:{port}/")
            assert status == 503, status
            _, t_static = timed_get(f"http://127.0.0.1:{port}/static/app.css")
            os.kill(pid, signal.SIGCONT)
            t = time.monotonic()
            while timed_get(f"http://127.0.0.1:{port}/")[0] != 200:
                time.sleep(0.05)
            out.append((t503, t_static, time.monotonic() - t))
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(60)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--only", default="kill9-store,kill9-app,kill9-both,sigstop")
    args = ap.parse_args()
    modes = args.only.split(",")
    with tempfile.TemporaryDirectory(prefix="xijin-faults-") as tmp:
        base = Path(tmp)
        try:
            if "kill9-store" in modes:
                n, lost = kill9_store(base, args.trials)
                print(f"kill -9 of the store during writes: {args.trials} trials, {n} acknowledged writes, {lost} lost")
            for mode, both in (("kill9-app", False), ("kill9-both", True)):
                if mode in modes:
                    n, lost = kill9_app(base, args.trials, both)
                    what = "the app and the store" if both else "the app"
                    print(f"kill -9 of {what} during HTTP creates: {args.trials} trials, {n} acknowledged (201) "
                          f"writes, {lost} lost")
            if "sigstop" in modes:
                rows = sigstop(base, args.trials)
                worst = [max(r[i] for r in rows) for i in range(3)]
                print(f"SIGSTOP of the store: {len(rows)} trials; page -> 503 in "
                      f"{min(r[0] for r in rows):.2f}–{worst[0]:.2f} s; /static/app.css meanwhile in at most "
                      f"{worst[1] * 1000:.0f} ms; after SIGCONT pages answer 200 again within {worst[2]:.2f} s")
        finally:
            for folder in (base / "kill9-store", base / "kill9-app" / "store", base / "kill9-both" / "store",
                           base / "sigstop" / "store"):
                if (folder / "falkordb.pid").exists():
                    try:
                        os.kill(pid_of(folder), signal.SIGCONT)
                    except (OSError, ValueError):
                        pass
                    stop_server(folder)


if __name__ == "__main__":
    main()
