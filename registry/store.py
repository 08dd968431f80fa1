"""The graph-store layer: one interface, two stores.

``Neo4jStore`` is the production store (Neo4j 5, official driver).
``FalkorStore`` is the embedded default (FalkorDB on a unix socket in the
instance folder). Both take constant Cypher with ``$parameters`` and return
rows as plain dicts; both turn their driver's errors into the registry's
error hierarchy, so nothing above this module knows which store it runs on.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from typing import Any, Callable, Mapping, Sequence

from . import dialect
from .errors import Conflict, DiskFull, InvalidInput, RegistryError, StoreUnavailable

log = logging.getLogger(__name__)

Row = dict[str, Any]


class GraphStore(ABC):
    """What the registry needs from a graph database."""

    dialect: str = ""

    @abstractmethod
    def read(self, query: str, params: Mapping[str, Any] | None = None, *, slow: bool = False) -> list[Row]:
        """Run a read-only statement; rows as dicts keyed by the RETURN names.

        ``slow`` marks a read of the whole registry (the graph export), allowed a longer wait than a
        request's short timeout."""

    @abstractmethod
    def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run one statement that writes; it is atomic on both stores."""

    @abstractmethod
    def setup_schema(self) -> None:
        """Create constraints and indexes; safe to run again. (``Registry.setup_schema`` calls this,
        migrates stored data, and only then records the schema version.)"""

    @abstractmethod
    def schema_ok(self) -> tuple[bool, str]:
        """Whether the schema is in place, and what is missing if not."""

    @abstractmethod
    def fulltext(self, q: str, limit: int = 20) -> list[Row]:
        """Full-text query over names and aliases: rows of {id, score}."""

    def search_candidates(self, asks: list[tuple[list[str], list[str], int]], filters: Mapping[str, Any], *,
                          segment: bool) -> list[list[Row]]:
        """For each ask ``(tokens, words, cap)``: the records holding every token (through this store's
        search index), whose search text contains every word and that pass ``filters``, at most ``cap``,
        unordered (``dialect.SEARCH``, up to four asks a statement)."""
        n = len(dialect.SEARCH_PARTS)
        out: list[list[Row]] = []
        for i in range(0, len(asks), n):
            chunk = list(asks[i:i + n])
            params = dict(filters, **self.search_params(chunk))
            rows = self.read(dialect.SEARCH[(self.dialect, segment)], params)
            got: dict[str, list[Row]] = {p: [] for p in dialect.SEARCH_PARTS}
            for row in rows:
                got[row.pop("part")].append(row)
            out += [got[p] for p in dialect.SEARCH_PARTS[:len(chunk)]]
        return out

    def search_params(self, asks: list[tuple[list[str], list[str], int]]) -> dict[str, Any]:
        """The parameters of up to len(dialect.SEARCH_PARTS) asks ``(tokens, words, cap)`` of a search
        statement (dialect.SEARCH, dialect.search_page): each ask's tokens as this store's index takes them,
        its words and its cap; a part not asked has cap 0."""
        params: dict[str, Any] = {}
        for j, part in enumerate(dialect.SEARCH_PARTS):
            tokens, words, cap = asks[j] if j < len(asks) else (asks[0][0], [], 0)
            params.update(self._search_tokens(part, tokens), **{part + "words": list(words), part + "cap": cap})
        return params

    def _search_tokens(self, part: str, tokens: list[str]) -> dict[str, Any]:
        """The parameters that carry one ask's tokens to this store's search index."""
        raise NotImplementedError

    def degrees(self, ids: list[str]) -> dict[str, int]:
        """The number of relations of each of ``ids`` (a few: the ties of a search page)."""
        return {r["id"]: r["relations"] for r in self.read(dialect.DEGREES[self.dialect], {"ids": ids})}

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Which store this is and where, for `xijin status`."""

    @abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable if the store does not answer."""

    @abstractmethod
    def close(self) -> str | None:
        """Release connections (and stop an embedded server nobody else uses).

        Returns None when every acknowledged write is known to be safely stored, else what went wrong."""

    def drop(self) -> None:
        """Release connections only: a store found broken is dropped this way, never by stopping a server
        that another thread or process may have just restarted."""
        self.close()

    def clear(self) -> None:
        """Delete every node and relationship (tests and `xijin seed --reset`)."""
        self.write("MATCH (n) DETACH DELETE n")

    @abstractmethod
    def atomic(self, statements: Sequence[tuple[str, Mapping[str, Any] | None]], *,
               precheck: Callable[[Callable[..., list[Row]]], None] | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[list[Row]]:
        """Run several writing statements all-or-nothing: every one of them is applied, or (a refused
        precheck, a killed process, a lost connection, someone else writing in between) none is.
        Returns each statement's rows.

        ``precheck(read)`` runs first, where nobody can write between it and the statements; it reads
        with ``read(query, params)`` and raises (a RegistryError) to abandon the work, e.g. when a record
        is not at the version the work was computed from. The statements themselves must not fail on
        the data (check what could make them fail in ``precheck``): on the embedded store a statement
        that fails is not undone by the others.

        Neo4j: one transaction (``precheck`` reads in it). The embedded store: ``WATCH`` on the graph,
        ``precheck``, then every statement in one ``MULTI``/``EXEC``. Redis runs the block without
        interleaving and logs it as one unit in the append-only log, whose loader drops a block cut
        short by a crash, so kill -9 of the client or of the server leaves all or nothing. A write by
        someone else after the ``WATCH`` voids the ``EXEC``: the precheck and the block are done again
        (a few times, then Conflict), so nothing is lost. The block holds the server for its length:
        other requests wait (and may time out) meanwhile. ``progress(done, total)`` is called as
        statements are queued and when the block has run.

        (A copy of the graph swapped in with ``RENAME`` was tried first: ``GRAPH.COPY`` forks, and a
        fork refused while an append-only rewrite runs left the server hung — measured in the suite.)"""


# --------------------------------------------------------------------------
# Embedded FalkorDB

DISK_FULL = ("磁盘空间不足，本次修改未保存 / disk full: the change was not saved. "
             "请清理数据目录所在磁盘后重试 / free space on the data folder's disk and try again")

def _compact_rows(reply: Any) -> list[Row]:
    """The rows of a ``GRAPH.QUERY … --compact`` reply to a statement that returns scalars, lists or maps
    of them (every statement ``atomic`` runs): header ``[[type, name], …]``, rows of ``[type, value]``."""
    if not isinstance(reply, list) or len(reply) < 3:
        return []
    header, rows = reply[0], reply[1]
    names = [h[1].decode() if isinstance(h[1], bytes) else h[1] for h in header]
    return [{n: _compact_value(cell) for n, cell in zip(names, row)} for row in rows]


def _compact_value(cell: Any) -> Any:
    kind, value = cell
    if kind == 1:  # null
        return None
    if kind == 2:  # string
        return value.decode() if isinstance(value, bytes) else value
    if kind == 3:  # integer
        return int(value)
    if kind == 4:  # boolean
        return value in (b"true", "true", True)
    if kind == 5:  # double
        return float(value)
    if kind == 6:  # array
        return [_compact_value(v) for v in value]
    raise InvalidInput(f"atomic: unexpected value type {kind} in a reply")


def _plain(value: Any) -> Any:
    """FalkorDB returns OrderedDicts and its own Node objects; the registry wants plain data."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "properties") and hasattr(value, "labels"):  # a Node
        return _plain(value.properties)
    return value


def _refuse_nul(value: Any, path: str = "") -> None:
    """FalkorDB passes parameters as query text, where a NUL character ends it: refuse one clearly.
    (No name, alias or quote of the registry has a reason to hold one.)"""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(f"{path or '值'}: 含有空字符(NUL) / contains a NUL character",
                               details=[{"field": path, "message": "contains a NUL character"}])
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _refuse_nul(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _refuse_nul(v, f"{path}[{i}]")


# ---- the parameter text of a statement --------------------------------------------------------------
# FalkorDB takes parameters as text before the query: ``CYPHER `name`=value … MATCH …``, values written as
# Cypher literals. The falkordb client builds that text one Python call per value (its
# ``stringify_param_value``), and the NUL check walked every value once more: for a batch of records with
# 63 search tokens each, most of the writer's own time (BENCHMARKS.md, "Loader near the engine").
# ``_value_text`` builds the same literals in one pass of the json module's C encoder:
#   - strings: JSON quoting. FalkorDB's string literals read \" \\ \n \t \r \b \f as JSON does; they do
#     NOT read \uXXXX, which JSON writes for the other control characters (NUL included): a value whose
#     text holds ``\u`` goes the client's way (the characters as they are), after the NUL check — so the
#     NUL check is one search of the built text;
#   - map keys: JSON writes ``"key"`` then the key separator, here \x01 (JSON escapes every control
#     character inside a string, so a raw \x01 is a key separator and nothing else). The keys of the
#     value's maps (of the map itself, or of the maps of a list: a batch's rows) are first given a marker
#     in front, U+E000 (private use): when the text holds as many separators and as many markers as those
#     maps hold keys, every key is one of them and every marker starts one, so two plain replaces make ``"\ue000key"\x01`` into
#     ``\`key\`:``. Otherwise (a marker inside a value, maps deeper down) a regular expression backticks
#     the identifier keys (a key's quote follows ``{`` or ``,``); a \x01 left over is a key of another
#     form and the value goes the client's way (which backticks it, and refuses an empty key or one with a
#     backtick, as before);
#   - numbers as ``repr`` (floats round-trip), true/false/null; NaN, infinities and types JSON does not
#     know go the client's way too.
# The client's way is exactly what the client sends (``stringify_param_value``), so every value means
# what it meant before; tests/registry/test_params_text.py reads both back through the server.
_PARAM_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", "\x01"), allow_nan=False,
                               check_circular=False)
_KEY_MARK = "\ue000"
_MARKED: dict[str, str] = {}  # identifier key -> the key with the marker in front
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_JSON_KEY = re.compile('([{,])"([A-Za-z_][A-Za-z0-9_]*)"\x01')


def _marked(key: Any) -> str | None:
    m = _MARKED.get(key)
    if m is None and isinstance(key, str) and _IDENT.match(key):
        m = _MARKED.setdefault(key, _KEY_MARK + key) if len(_MARKED) < 10000 else _KEY_MARK + key
    return m


def _with_marked_keys(value: Any) -> tuple[Any, int] | None:
    """``value`` with the keys of its map (or of its list's maps) marked, and how many keys those maps
    hold; None if one is not an identifier (that value then takes the slower ways below)."""
    if isinstance(value, dict):
        maps, single = [value], True
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        maps, single = value, False
    else:
        return None
    keys = set().union(*maps)
    mark = {k: _marked(k) for k in keys}
    if None in mark.values():
        return None
    get = mark.__getitem__
    out = [dict(zip(map(get, m), m.values())) for m in maps]
    return (out[0] if single else out), sum(map(len, maps))


def _value_text(value: Any, name: str) -> str:
    """One parameter's value as a Cypher literal (see above); a NUL anywhere is refused (``_refuse_nul``)."""
    marked = _with_marked_keys(value)
    try:
        text = _PARAM_JSON.encode(value if marked is None else marked[0])
    except (TypeError, ValueError):
        text = None
    if text is not None and "\\u" not in text:
        keys = text.count("\x01")
        if not keys:
            return text
        # every key is a marked one (no maps deeper down) and every marker starts a key (none in a value)
        if marked is not None and keys == marked[1] == text.count(_KEY_MARK):
            return text.replace('"' + _KEY_MARK, "`").replace('"\x01', "`:")
        if marked is not None:  # a marker inside a value: encode the value as it is
            text = _PARAM_JSON.encode(value)
        text = _JSON_KEY.sub("\\1`\\2`:", text)
        if "\x01" not in text:
            return text
    _refuse_nul(value, name)
    from falkordb.helpers import stringify_param_value
    return stringify_param_value(value)


def params_text(params: Mapping[str, Any] | None) -> str:
    """The ``CYPHER `name`=value …`` text of a statement's parameters, as the falkordb client writes it
    (``Graph._build_params_header``), built in one pass per value; InvalidInput if a value holds a NUL."""
    if not params:
        return "CYPHER " if params is not None else ""
    out = ["CYPHER "]
    for key, value in params.items():
        name = key.decode() if isinstance(key, bytes) else str(key)
        if name == "" or "`" in name:
            raise ValueError(f"Cypher parameter name cannot be empty or hold a backtick: {name!r}")
        out.append(f"`{name}`={_value_text(value, name)} ")
    return "".join(out)


class FalkorStore(GraphStore):
    dialect = "falkordb"

    def __init__(self, data_dir: str | os.PathLike, *, graph: str = "xijin", socket_path: str | None = None,
                 manage_server: bool = True, timeout: float = 300.0, slow_timeout: float | None = None,
                 answer_timeout: float | None = None):
        """Use the embedded server in ``data_dir`` (started if needed), or an existing socket.

        ``timeout`` bounds every wait for the server (connect and each answer); the web app sets it to a
        few seconds so that a hung store gives a 503, not a frozen page. ``slow_timeout`` is that of the
        whole-graph reads. ``answer_timeout``: see ``EmbeddedServer``."""
        import falkordb  # local: the Neo4j deployment need not load it
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from .embedded import EmbeddedServer

        self._falkordb = falkordb
        self._redis_errors = redis.exceptions
        # never retried by the client: a write that timed out may have been applied, and running it again
        # would apply it twice; the caller is told (StoreUnavailable) and may retry with an Idempotency-Key
        self._no_retry = lambda: Retry(NoBackoff(), 0)
        self.graph_name = graph
        self.data_dir = os.fspath(data_dir)
        self.timeout = timeout
        self.slow_timeout = max(slow_timeout or timeout, timeout)
        self._slow_db = None
        self._closed = False
        self.server = EmbeddedServer(data_dir, answer_timeout=answer_timeout) if manage_server else None
        if self.server is not None:
            # connect while the folder's lock is held, so nobody stops the server under us
            self.server.ensure_running(then=self._connect)
        else:
            self._connect(socket_path)

    def _client(self, timeout: float):
        return self._falkordb.FalkorDB(unix_socket_path=self.socket_path,
                                       client_name=self.server.client_name if self.server else "xijin-ext",
                                       socket_timeout=timeout, socket_connect_timeout=min(5.0, timeout),
                                       retry=self._no_retry())

    def _connect(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.db = self._client(self.timeout)
        self.graph = self.db.select_graph(self.graph_name)
        self.ping()  # holds a pooled connection: other processes see that the server is in use

    # -- all-or-nothing work: WATCH, precheck, MULTI/EXEC -------------------
    ATOMIC_TRIES = 3

    def atomic(self, statements, *, precheck=None, progress=None):
        import redis as _redis

        statements = list(statements)
        texts = [params_text(dict(params or {})) + query for query, params in statements]  # (refuses a NUL)
        if not self.db.connection.exists(self.graph_name):
            self.setup_schema()  # a graph nobody wrote to yet: give it its schema first
        errs = self._redis_errors
        for _ in range(self.ATOMIC_TRIES):
            conn = _redis.Redis(unix_socket_path=self.socket_path, socket_timeout=self.slow_timeout,
                                socket_connect_timeout=min(5.0, self.slow_timeout), retry=self._no_retry())
            try:
                pipe = conn.pipeline(transaction=True)
                pipe.watch(self.graph_name)  # any write to the graph from now on voids the EXEC
                if precheck is not None:
                    precheck(lambda q, p=None: self.read(q, p, slow=True))
                pipe.multi()
                for i, text in enumerate(texts):
                    pipe.execute_command("GRAPH.QUERY", self.graph_name, text, "--compact")
                    if progress and i + 1 < len(texts):
                        progress(i + 1, len(texts) + 1)
                try:
                    replies = pipe.execute(raise_on_error=False)
                except errs.WatchError:
                    log.info("the registry changed during atomic work; checking and doing it again")
                    continue
                failed = [(i, r) for i, r in enumerate(replies) if isinstance(r, Exception)]
                if failed:
                    i, exc = failed[0]
                    if self._disk_full(exc):
                        raise DiskFull(DISK_FULL)
                    log.error("atomic work: statement %d of %d failed inside its block: %s", i + 1, len(texts), exc)
                    raise RegistryError(f"批量写入中第 {i + 1} 条语句失败，其余已写入；请联系管理员 / statement "
                                        f"{i + 1} of {len(texts)} failed inside an atomic block (the others "
                                        f"were applied): {exc}")
                if progress:
                    progress(len(texts) + 1, len(texts) + 1)
                return [_compact_rows(reply) for reply in replies]
            except errs.BusyLoadingError:
                raise StoreUnavailable("内置图数据库正在加载数据，请稍候 / the embedded store is still loading") from None
            except (errs.ConnectionError, errs.TimeoutError, OSError) as exc:
                if not isinstance(exc, errs.TimeoutError) and self._disk_full(exc):
                    raise DiskFull(DISK_FULL) from None
                raise StoreUnavailable(f"内置图数据库无法连接 / the embedded store at {self.socket_path} "
                                       f"does not answer: {exc}") from None
            finally:
                try:
                    conn.close()
                except Exception:
                    pass
        raise Conflict("登记库在写入期间一直被修改，未作任何更改，请稍后重试 / the registry kept changing while "
                       "the work was being prepared; nothing was changed, try again")

    def _slow_graph(self):
        if self.slow_timeout == self.timeout:
            return self.graph
        if self._slow_db is None:
            self._slow_db = self._client(self.slow_timeout)
        return self._slow_db.select_graph(self.graph_name)

    def _disk_full(self, exc: Exception) -> bool:
        """Whether a failed write failed for want of disk space (the server says so, or it exited on it)."""
        text = str(exc)
        if "MISCONF" in text or "No space left" in text:
            return True
        try:
            st = os.statvfs(self.data_dir)
        except OSError:
            return False
        return st.f_bavail * st.f_frsize < 1 << 20

    def _run(self, query: str, params: Mapping[str, Any] | None, read_only: bool, slow: bool = False) -> list[Row]:
        errs = self._redis_errors
        text = params_text(dict(params or {})) + query  # the parameter text, built here (refuses a NUL)
        try:
            if read_only:
                result = (self._slow_graph() if slow else self.graph).ro_query(text)
            else:
                result = self.graph.query(text)
        except errs.ResponseError as exc:
            msg = str(exc)
            if not read_only and self._disk_full(exc):
                raise DiskFull(DISK_FULL) from None
            if dialect.is_unique_violation(msg):
                raise Conflict(f"编号已存在 / the id already exists ({msg})") from None
            if "empty key" in msg.lower() or "invalid graph operation on empty key" in msg.lower():
                return []  # a read of a graph nothing was written to yet
            raise
        except errs.BusyLoadingError:
            raise StoreUnavailable("内置图数据库正在加载数据，请稍候 / the embedded store is still loading") from None
        except (errs.ConnectionError, errs.TimeoutError, OSError) as exc:
            # with appendfsync always, a server that cannot log a write exits rather than acknowledge it
            if not read_only and not isinstance(exc, errs.TimeoutError) and self._disk_full(exc):
                raise DiskFull(DISK_FULL) from None
            raise StoreUnavailable(f"内置图数据库无法连接 / the embedded store at {self.socket_path} "
                                   f"does not answer: {exc}") from None
        names = [h[1] if isinstance(h, (list, tuple)) else h for h in (result.header or [])]
        return [{n: _plain(v) for n, v in zip(names, row)} for row in result.result_set]

    def read(self, query, params=None, *, slow=False):
        return self._run(query, params, read_only=True, slow=slow)

    def write(self, query, params=None):
        return self._run(query, params, read_only=False)

    def _indexes(self) -> set[tuple[str, str, str]]:
        have = set()
        for row in self.read(dialect.FALKOR_LIST_INDEXES):
            for prop in row["properties"]:
                for t in row["types"].get(prop, []):
                    have.add((row["label"], prop, t))
        return have

    def setup_schema(self) -> None:
        have = self._indexes()
        for label, prop in dialect.FALKOR_INDEXES:
            if (label, prop, "RANGE") not in have:
                self.write(dialect.FALKOR_INDEX_TEXT[(label, prop)])
        if ("Entity", "name", "FULLTEXT") not in have:
            self.write(dialect.FALKOR_FULLTEXT_CREATE)
        constraints = {(r["label"], tuple(r["properties"])) for r in self.read(dialect.FALKOR_LIST_CONSTRAINTS)
                       if r["type"] == "UNIQUE"}
        for label, prop in dialect.FALKOR_UNIQUE:
            if (label, (prop,)) not in constraints:
                self.graph.create_node_unique_constraint(label, prop)
        # the constraint is built in the background; writes before it is OPERATIONAL are not checked
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = self.read(dialect.FALKOR_LIST_CONSTRAINTS)
            if rows and all(r["status"] == "OPERATIONAL" for r in rows):
                break
            if any(r["status"] == "FAILED" for r in rows):
                raise StoreUnavailable("唯一约束创建失败（存在重复编号）/ a unique constraint failed: duplicate ids")
            time.sleep(0.02)

    def schema_ok(self) -> tuple[bool, str]:
        have = self._indexes()
        missing = [f"{l}.{p}" for l, p in dialect.FALKOR_INDEXES if (l, p, "RANGE") not in have]
        if ("Entity", "name", "FULLTEXT") not in have:
            missing.append("fulltext Entity.name")
        ok_constraints = {(r["label"], tuple(r["properties"])) for r in self.read(dialect.FALKOR_LIST_CONSTRAINTS)
                          if r["type"] == "UNIQUE" and r["status"] == "OPERATIONAL"}
        missing += [f"unique {l}.{p}" for l, p in dialect.FALKOR_UNIQUE if (l, (p,)) not in ok_constraints]
        return (not missing, ", ".join(missing))

    def fulltext(self, q, limit=20):
        return self.read(dialect.FALKOR_FULLTEXT, {"q": q, "limit": limit})

    def _search_tokens(self, part, tokens):
        # every token is an index predicate (dialect.SEARCH_SLOTS of them; fewer repeat the last)
        slots = list(tokens[:dialect.SEARCH_SLOTS])
        slots += [slots[-1]] * (dialect.SEARCH_SLOTS - len(slots))
        return {f"{part}{i}": t for i, t in enumerate(slots)}

    def describe(self):
        return {"store": "embedded FalkorDB", "dialect": self.dialect, "socket": self.socket_path,
                "graph": self.graph_name,
                "data_dir": str(self.server.data_dir) if self.server else None}

    def ping(self):
        try:
            self.db.connection.ping()
        except (self._redis_errors.ConnectionError, self._redis_errors.TimeoutError, OSError) as exc:
            raise StoreUnavailable(f"内置图数据库无法连接 / the embedded store does not answer: {exc}") from None

    def clear(self) -> None:
        """Delete every node and relationship: the graph itself is deleted and its schema set up again.

        Deleting a large graph node by node (``MATCH (n) DETACH DELETE n``) leaves FalkorDB answering
        "Attempted to access undefined attribute" to every property read afterwards (measured from 20k
        nodes; tests/registry/test_store_atomic.py); a deleted graph has no such remains."""
        self.drop_graph()
        self.setup_schema()

    def drop_graph(self) -> None:
        """Remove this store's graph entirely (tests use one graph each)."""
        try:
            self.graph.delete()
        except self._redis_errors.ResponseError:
            pass

    def drop(self):
        """Release the connections; leave the server to whoever uses it (a crashed one is restarted by the next open).

        Connections other threads are still using are left to them (they fail on their own and are freed
        with the pool): closing them under a running command makes the client raise a TypeError."""
        self._closed = True
        for db in (self.db, self._slow_db):
            if db is None:
                continue
            try:
                db.connection.connection_pool.disconnect(inuse_connections=False)
            except Exception:  # closing a dead connection is not worth an error
                pass

    def _close_connections(self):
        for db in (self.db, self._slow_db):
            if db is None:
                continue
            try:
                db.connection.close()
                db.connection.connection_pool.disconnect()
            except Exception:  # closing a dead connection is not worth an error
                pass

    def close(self):
        if self._closed:
            return None
        self._closed = True
        self._close_connections()
        if self.server is not None:
            return self.server.release()
        return None


# --------------------------------------------------------------------------
# Neo4j 5

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
NOTIFICATION_LOG = "neo4j.notifications"


def quiet_notifications() -> None:
    """Keep the driver's notification log off the user's terminal: with no handler anywhere, Python's
    last-resort handler prints every WARNING record to stderr (a page per whole-registry read). A
    NullHandler stops that; an application that configures logging still receives the records."""
    import logging

    log = logging.getLogger(NOTIFICATION_LOG)
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())


class Neo4jStore(GraphStore):
    dialect = "neo4j"

    def __init__(self, uri: str, user: str, password: str, *, database: str | None = None):
        import neo4j
        from neo4j import exceptions as nex

        self._neo4j = neo4j
        self._nex = nex
        self.uri = uri
        self.database = database or None
        scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
        if scheme not in NEO4J_SCHEMES:
            raise StoreUnavailable(f"Neo4j 地址无效 / invalid Neo4j URI {uri!r}: use one of "
                                   f"{', '.join(s + '://' for s in NEO4J_SCHEMES)}")
        quiet_notifications()
        try:
            # The server's notifications (e.g. "property key does not exist" for a field no record has
            # yet, expected in the whole-graph read) are not asked for at all (Neo4j 5.7+: the filter
            # travels with the connection), and never become Python warnings.
            self.driver = neo4j.GraphDatabase.driver(uri, auth=(user, password), warn_notification_severity="OFF",
                                                     notifications_min_severity="OFF")
        except (ValueError, nex.ConfigurationError) as exc:
            raise StoreUnavailable(f"Neo4j 地址无效 / invalid Neo4j URI {uri!r}: {exc}") from None
        try:
            try:
                self.driver.verify_connectivity()
            except nex.ConfigurationError as exc:
                if "otification filtering" not in str(exc):
                    raise
                # a server older than 5.7 cannot filter: take every notification, and let the driver's
                # log (which quiet_notifications keeps off the terminal) have them
                self.driver.close()
                self.driver = neo4j.GraphDatabase.driver(uri, auth=(user, password), warn_notification_severity="OFF")
                self.driver.verify_connectivity()
        except nex.AuthError as exc:
            self.driver.close()
            raise StoreUnavailable(f"Neo4j 用户名或密码错误 / Neo4j refused the credentials for user "
                                   f"{user!r} at {uri}: {exc.message}") from None
        except (nex.ServiceUnavailable, nex.DriverError, OSError) as exc:
            self.driver.close()
            raise StoreUnavailable(f"无法连接 Neo4j / cannot reach Neo4j at {uri}: {exc}") from None

    def _run(self, query, params, routing):
        nex = self._nex
        try:
            records, _, _ = self.driver.execute_query(query, dict(params or {}), routing_=routing,
                                                      database_=self.database)
        except nex.ConstraintError as exc:
            raise Conflict(f"编号已存在 / the id already exists ({exc.message})") from None
        except nex.AuthError as exc:
            raise StoreUnavailable(f"Neo4j 拒绝了凭据 / Neo4j refused the credentials: {exc.message}") from None
        except (nex.ServiceUnavailable, nex.SessionExpired) as exc:
            raise StoreUnavailable(f"无法连接 Neo4j / cannot reach Neo4j at {self.uri}: {exc}") from None
        return [r.data() for r in records]

    def read(self, query, params=None, *, slow=False):
        return self._run(query, params, self._neo4j.RoutingControl.READ)

    def atomic(self, statements, *, precheck=None, progress=None):
        nex = self._nex
        statements = list(statements)
        try:
            with self.driver.session(database=self.database) as session:
                with session.begin_transaction() as tx:
                    if precheck is not None:
                        precheck(lambda q, p=None: [r.data() for r in tx.run(q, dict(p or {}))])
                    results = []
                    for i, (query, params) in enumerate(statements):
                        results.append([r.data() for r in tx.run(query, dict(params or {}))])
                        if progress:
                            progress(i + 1, len(statements))
                    tx.commit()
                    return results
        except nex.ConstraintError as exc:
            raise Conflict(f"编号已存在 / the id already exists ({exc.message})") from None
        except (nex.ServiceUnavailable, nex.SessionExpired) as exc:
            raise StoreUnavailable(f"无法连接 Neo4j / cannot reach Neo4j at {self.uri}: {exc}") from None

    def write(self, query, params=None):
        return self._run(query, params, self._neo4j.RoutingControl.WRITE)

    def setup_schema(self):
        for stmt in dialect.NEO4J_SCHEMA:
            self.write(stmt)
        self.write("CALL db.awaitIndexes(300)")

    def schema_ok(self):
        rows = self.read(dialect.NEO4J_SCHEMA_CHECK, {"names": dialect.NEO4J_INDEX_NAMES})
        online = {r["name"] for r in rows if r["state"] == "ONLINE"}
        missing = [n for n in dialect.NEO4J_INDEX_NAMES if n not in online]
        return (not missing, ", ".join(missing))

    def fulltext(self, q, limit=20):
        # Lucene syntax: quote the user's text so that 中国-稀土 or a stray * is not read as an operator
        escaped = '"' + q.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return self.read(dialect.NEO4J_FULLTEXT, {"q": escaped, "limit": limit})

    def _search_tokens(self, part, tokens):
        return {part + "lucene": dialect.lucene_all(tokens)}

    def describe(self):
        return {"store": "Neo4j", "dialect": self.dialect, "uri": self.uri, "database": self.database or "(default)"}

    def ping(self):
        try:
            self.driver.verify_connectivity()
        except (self._nex.ServiceUnavailable, self._nex.DriverError, OSError) as exc:
            raise StoreUnavailable(f"无法连接 Neo4j / cannot reach Neo4j at {self.uri}: {exc}") from None

    def close(self):
        self.driver.close()  # a Neo4j commit is durable once acknowledged
        return None


# --------------------------------------------------------------------------

def open_store(config: Mapping[str, Any]) -> GraphStore:
    """The store the configuration asks for: Neo4j when a URI is set, else the embedded store.

    ``config`` holds NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE,
    DATA_DIR (the embedded store's folder) and GRAPH_NAME.
    """
    uri = config.get("NEO4J_URI")
    if uri:
        return Neo4jStore(uri, config.get("NEO4J_USER") or "neo4j", config.get("NEO4J_PASSWORD") or "",
                          database=config.get("NEO4J_DATABASE"))
    data_dir = config.get("DATA_DIR")
    if not data_dir:
        raise RegistryError("DATA_DIR is not configured")
    timeout = config.get("STORE_TIMEOUT")
    if timeout is None:
        return FalkorStore(data_dir, graph=config.get("GRAPH_NAME") or "xijin")
    return FalkorStore(data_dir, graph=config.get("GRAPH_NAME") or "xijin", timeout=float(timeout),
                       slow_timeout=float(config.get("STORE_SLOW_TIMEOUT") or timeout), answer_timeout=float(timeout))


class StoreHolder:
    """One store per process, opened on first use and reopened after the store went away.

    The web app keeps one of these: a request that finds the store down gets a
    503, and a later request reconnects by itself once it is back. Reopening happens
    once: the thread that found the store broken drops exactly that store
    (``reset(store)``), so a store another thread has just reopened is never closed;
    one thread opens at a time, and the others wait at most ``STORE_TIMEOUT`` for it;
    those that waited while that open failed get its 503 at once instead of trying
    again one after another (8 threads x a few seconds each).
    """

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self._store: GraphStore | None = None
        self._lock = threading.Lock()
        self.generation = 0  # how many times a store was opened: tests and logs see reopenings
        self._failed: tuple[float, StoreUnavailable] | None = None

    def get(self) -> GraphStore:
        store = self._store
        if store is not None:
            return store
        timeout = self.config.get("STORE_TIMEOUT")
        asked = time.monotonic()
        if not self._lock.acquire(timeout=-1 if timeout is None else float(timeout)):
            raise StoreUnavailable("图数据库正在重新连接，请稍候 / the store is reconnecting, try again shortly")
        try:
            if self._store is not None:
                return self._store
            if self._failed and self._failed[0] >= asked:
                raise self._failed[1]  # an open failed while we waited for it: same answer, now
            try:
                self._store = open_store(self.config)
            except StoreUnavailable as exc:
                self._failed = (time.monotonic(), exc)
                raise
            self._failed = None
            self.generation += 1
            return self._store
        finally:
            self._lock.release()

    def reset(self, broken: GraphStore | None) -> bool:
        """Drop ``broken``, the store a caller found unreachable, if it is still the current one.

        Returns whether it was dropped: False when another thread already replaced it (or nothing
        was open), and then nothing is closed."""
        if broken is None:
            return False
        with self._lock:
            if self._store is not broken:
                return False
            self._store = None
        try:
            broken.drop()
        except Exception:
            log.debug("dropping a broken store failed", exc_info=True)
        return True

    def close(self) -> str | None:
        """Close the store for good (the process ends): None when its data is known to be safe."""
        with self._lock:
            store, self._store = self._store, None
        return store.close() if store is not None else None
