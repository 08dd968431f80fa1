"""Backup and restore of a whole registry: one file, read back exactly, on either store.

A backup holds everything the store keeps that is not transient: the records
(``Entity:<Label>`` nodes, the Document records that are the sources included),
the relations between them, the change log (``Change``), the users (``User``,
without their password hash and API-token digests unless ``with_users``), the
stored settings (``Setting``) and the schema marker (``Meta``). Idempotency keys
of API retries (``IdempotencyKey``) are transient (a day long) and left out.

Every property is kept as stored, with its JSON type (ints stay ints, floats
floats, lists lists, booleans booleans), and every list is in a canonical order
(records and relations by id, changes by time then id, users by name, settings
by key), so two backups of the same content differ only in their own
``created_at`` and ``made_on`` (``backup_content`` drops those).

A restore reads and checks the whole file before it writes anything; it fills an
empty store, or (``replace=True``) first writes a complete backup of the current
content and then replaces it. Writes are constant Cypher per label and relation
type, chosen from the model's allow-lists, in batched ``UNWIND $rows``
statements, and the clear and the load are one all-or-nothing unit
(``GraphStore.atomic``): a restore killed half-way leaves the store as it was.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from . import dialect
from .errors import Conflict, InvalidInput
from .model import KINDS, RELATION_TYPES
from .repository import Registry, now_iso

FORMAT = "xijin-backup"
FORMAT_VERSION = 2
# 1: ``Registry.dump`` (``registry.instance.write_backup``, e.g. before `xijin seed --reset`): no users
READABLE_VERSIONS = (1, 2)
BATCH = 5000
GZIP_MAGIC = b"\x1f\x8b"

# What a user keeps of a backup made without ``with_users``: no secret. Restored, such a user has this
# in place of a password hash: no password matches it (argon2 refuses it as a hash), so sign-in fails
# until an admin sets a new password; the user's API tokens are gone too.
CREDENTIAL_FIELDS = ("password_hash", "token_hashes")
NO_PASSWORD = "!restored-without-password"

Progress = Optional[Callable[[str, int, int], None]]

# ---------------------------------------------------------------- queries (constant text)
Q_B_RECORDS = "MATCH (n:Entity) WITH n ORDER BY n.id RETURN properties(n) AS n"
Q_B_RELATIONS = ("MATCH (a:Entity)-[r]->(b:Entity) "
                 "RETURN properties(r) AS r, type(r) AS type, a.id AS source, b.id AS target")
Q_B_CHANGES = "MATCH (c:Change) WITH c ORDER BY c.at, c.id RETURN properties(c) AS c"
Q_B_USERS = "MATCH (u:User) WITH u ORDER BY u.name RETURN properties(u) AS u"
Q_B_SETTINGS = "MATCH (s:Setting) WITH s ORDER BY s.key RETURN properties(s) AS s"
Q_B_META = "MATCH (m:Meta) WITH m ORDER BY m.id RETURN properties(m) AS m"
Q_B_LEFT_OUT = "MATCH (k:IdempotencyKey) RETURN count(k) AS n"

Q_HAS_ENTITY = "MATCH (n:Entity) RETURN n.id AS id LIMIT 1"
Q_HAS_CHANGE = "MATCH (c:Change) RETURN c.id AS id LIMIT 1"
Q_HAS_USER = "MATCH (u:User) RETURN u.name AS name LIMIT 1"

Q_R_CLEAR = "MATCH (n) DETACH DELETE n"
Q_R_RECORDS = {kind: "UNWIND $rows AS row CREATE (n:Entity:<Label>) SET n = row RETURN count(n) AS n"
               .replace("<Label>", label) for kind, label in KINDS.items()}
Q_R_RELATIONS = {rtype: ("UNWIND $rows AS row "
                         "MATCH (a:Entity {id: row.source}) MATCH (b:Entity {id: row.target}) "
                         "CREATE (a)-[r:<TYPE>]->(b) SET r = row.props RETURN count(r) AS n").replace("<TYPE>", rtype)
                 for rtype in RELATION_TYPES}
Q_R_CHANGES = "UNWIND $rows AS row CREATE (c:Change) SET c = row RETURN count(c) AS n"
Q_R_USERS = "UNWIND $rows AS row CREATE (u:User) SET u = row RETURN count(u) AS n"
Q_R_SETTINGS = "UNWIND $rows AS row CREATE (s:Setting) SET s = row RETURN count(s) AS n"
Q_R_META = "UNWIND $rows AS row CREATE (m:Meta) SET m = row RETURN count(m) AS n"

ABOUT_THE_BACKUP = ("created_at", "made_on", "left_out", "users_note")
SECTIONS = ("records", "relations", "changes", "users", "settings", "meta")


# ---------------------------------------------------------------- backup
def _rel_key(rel: dict[str, Any]) -> tuple:
    return (rel["props"].get("id") or "", rel["type"], rel["source"], rel["target"])


def _sorted_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in sorted(props)}


def collect(reg: Registry, *, with_users: bool = False, progress: Progress = None) -> dict[str, Any]:
    """Everything the registry's store holds (but transient idempotency keys), as a backup dict.

    The sections are read one after another; should someone add or delete a record in between, so that
    a relation names a record the backup does not hold, they are read again (a backup always restores)."""
    for _ in range(COLLECT_TRIES - 1):
        data = _collect(reg, with_users=with_users, progress=progress)
        ids = {r["id"] for r in data["records"]}
        if all(rel["source"] in ids and rel["target"] in ids for rel in data["relations"]):
            return data
    data = _collect(reg, with_users=with_users, progress=progress)
    check(data)
    return data


COLLECT_TRIES = 3


def _collect(reg: Registry, *, with_users: bool, progress: Progress) -> dict[str, Any]:
    store = reg.store
    step = (lambda what, i: progress(what, i, len(SECTIONS))) if progress else (lambda what, i: None)
    step("records", 0)
    records = [_sorted_props(r["n"]) for r in store.read(Q_B_RECORDS, slow=True)]
    step("relations", 1)
    relations = [{"type": r["type"], "source": r["source"], "target": r["target"], "props": _sorted_props(r["r"])}
                 for r in store.read(Q_B_RELATIONS, slow=True)]
    relations.sort(key=_rel_key)
    step("changes", 2)
    changes = [_sorted_props(r["c"]) for r in store.read(Q_B_CHANGES, slow=True)]
    changes.sort(key=lambda c: (c.get("at") or "", c.get("id") or ""))
    step("users", 3)
    users = []
    for r in store.read(Q_B_USERS):
        u = dict(r["u"])
        if not with_users:
            for field in CREDENTIAL_FIELDS:
                u.pop(field, None)
        users.append(_sorted_props(u))
    step("settings", 4)
    settings_rows = [_sorted_props(r["s"]) for r in store.read(Q_B_SETTINGS)]
    meta = [_sorted_props(r["m"]) for r in store.read(Q_B_META)]
    left_out = store.read(Q_B_LEFT_OUT)
    step("done", len(SECTIONS))
    schema = next((m.get("version") for m in meta if m.get("id") == "schema"), None)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": now_iso(),
        "made_on": {"store": store.dialect},
        "schema_version": schema,
        "with_users": with_users,
        "users_note": ("用户含密码哈希与令牌摘要 / users with their password hashes and token digests"
                       if with_users else
                       "用户不含密码哈希与令牌：恢复后需重新设置密码 / users without password hashes or "
                       "tokens: after a restore each needs a new password"),
        "left_out": {"IdempotencyKey": left_out[0]["n"] if left_out else 0},
        "counts": {"records": len(records), "relations": len(relations), "changes": len(changes),
                   "users": len(users), "settings": len(settings_rows), "meta": len(meta)},
        "records": records,
        "relations": relations,
        "changes": changes,
        "users": users,
        "settings": settings_rows,
        "meta": meta,
    }


def backup_content(data: dict[str, Any]) -> dict[str, Any]:
    """A backup without what describes the backup itself (when and on which store it was made, what it
    left out, its note for people): two backups of the same registry have equal content."""
    return {k: v for k, v in data.items() if k not in ABOUT_THE_BACKUP}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _chunks_of_text(data: dict[str, Any]) -> Iterable[str]:
    """The backup as JSON text, a line per record/relation/change, keys sorted (diffable, streamable)."""
    header = [k for k in data if k not in SECTIONS]
    yield "{\n"
    for k in header:
        yield f"{_dumps(k)}: {_dumps(data[k])},\n"
    for i, section in enumerate(SECTIONS):
        rows = data.get(section) or []
        yield f"{_dumps(section)}: ["
        for j, row in enumerate(rows):
            yield ("\n" if j == 0 else ",\n") + _dumps(row)
        yield ("\n]" if rows else "]") + (",\n" if i < len(SECTIONS) - 1 else "\n")
    yield "}\n"


def write_file(data: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write a backup dict to ``path`` (gzip when it ends with .gz): to a temporary file beside it,
    flushed to disk and renamed, so a backup file that exists is whole."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"FILE: '{path}' 是一个目录 / is a folder; name a file")
    if not path.parent.is_dir():
        raise InvalidInput(f"FILE: 目录 '{path.parent}' 不存在 / the folder '{path.parent}' does not exist")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        # users' password hashes are secrets: such a file is readable by its owner only
        mode = 0o600 if data.get("with_users") else 0o666
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as raw:
            # level 6: nearly the size of 9 in a third of the time (300 MB of JSON: 25 MB)
            out = (gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
                   if path.name.endswith(".gz") else raw)
            buf: list[str] = []
            size = 0
            for piece in _chunks_of_text(data):
                buf.append(piece)
                size += len(piece)
                if size > 1 << 20:
                    out.write("".join(buf).encode("utf-8"))
                    buf, size = [], 0
            out.write("".join(buf).encode("utf-8"))
            if out is not raw:
                out.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # the rename itself survives a power cut once the folder is synced
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return path


def backup(reg: Registry, path: str | os.PathLike, *, with_users: bool = False,
           progress: Progress = None) -> dict[str, Any]:
    """Write the whole registry to one file; returns the counts and the path."""
    data = collect(reg, with_users=with_users, progress=progress)
    written = write_file(data, path)
    return {"path": str(written), "counts": data["counts"], "with_users": with_users,
            "left_out": data["left_out"]}


def safety_backup(reg: Registry, folder: str | os.PathLike) -> Path:
    """A complete backup (users with their credentials) of the current content into ``folder``, named by
    the UTC time: what `restore --replace` writes before it replaces anything."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    return write_file(collect(reg, with_users=True), folder / f"before-restore-{stamp}.json.gz")


# ---------------------------------------------------------------- reading and checking a file
def _bad(why_zh: str, why_en: str, path: Any = None) -> InvalidInput:
    where = f"{path}: " if path is not None else ""
    return InvalidInput(f"{where}{why_zh}，未写入任何数据 / {why_en}; nothing was written",
                        details=[{"field": "file", "value": str(path) if path is not None else None,
                                  "message": why_en}])


def read_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a backup file (plain or gzip JSON, detected from its first bytes) and check all of it.

    A missing, foreign, corrupt or truncated file, one of a newer format or schema version, or one whose
    content does not hold together raises InvalidInput."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise _bad("文件不存在", "no such file", path) from None
    except IsADirectoryError:
        raise _bad("这是一个目录", "this is a folder", path) from None
    except OSError as exc:
        raise _bad(f"无法读取（{exc.strerror}）", f"cannot be read ({exc.strerror})", path) from None
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error):
            raise _bad("压缩文件不完整或已损坏", "the gzip file is truncated or corrupt", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("不是稀金图谱的备份文件（不是 UTF-8 文本）",
                   "not a Xijin Atlas backup (not UTF-8 text)", path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.lstrip().startswith("{"):
            raise _bad("不是稀金图谱的备份文件", "not a Xijin Atlas backup", path) from None
        raise _bad(f"备份文件不完整或已损坏（第 {exc.lineno} 行第 {exc.colno} 列）",
                   f"the backup is truncated or corrupt (line {exc.lineno}, column {exc.colno})", path) from None
    check(data, path)
    return data


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, bool, int, float))


def _check_props(props: Any, where: str, path: Any, key: str | None = None, names: set | None = None) -> None:
    if not isinstance(props, dict) or (key is not None and not isinstance(props.get(key), str)):
        raise _bad(f"{where} 格式不对", f"{where} is malformed", path)
    for k, v in props.items():
        if names is not None and k in names:
            pass
        elif not isinstance(k, str) or not k.isidentifier():
            raise _bad(f"{where} 含有无效的属性名 {k!r}", f"{where} has an invalid property name {k!r}", path)
        elif names is not None:
            names.add(k)
        if not (_is_scalar(v) or (isinstance(v, list) and all(_is_scalar(x) for x in v))):
            raise _bad(f"{where} 的属性 {k} 不是可存储的值", f"{where}: property {k} is not a storable value", path)


def check(data: Any, path: Any = None) -> None:
    """Refuse (InvalidInput) a backup that is not whole, not ours, too new, or does not hold together."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _bad("不是稀金图谱的备份文件", "not a Xijin Atlas backup", path)
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _bad("备份格式版本缺失", "the backup format version is missing", path)
    if version > FORMAT_VERSION:
        raise _bad(f"备份格式版本 {version} 比本程序（{FORMAT_VERSION}）新，请先升级稀金图谱",
                   f"the backup's format version {version} is newer than this program's ({FORMAT_VERSION}): "
                   "upgrade Xijin Atlas first", path)
    if version not in READABLE_VERSIONS:
        raise _bad(f"不支持的备份格式版本 {version}", f"unsupported backup format version {version}", path)
    schema = data.get("schema_version")
    if schema is not None and (not isinstance(schema, int) or isinstance(schema, bool)):
        raise _bad("模式版本格式不对", "the schema version is malformed", path)
    if schema is not None and schema > dialect.SCHEMA_VERSION:
        raise _bad(f"备份的数据模式版本 {schema} 比本程序（{dialect.SCHEMA_VERSION}）新，请先升级稀金图谱",
                   f"the backup's schema version {schema} is newer than this program's "
                   f"({dialect.SCHEMA_VERSION}): upgrade Xijin Atlas first", path)
    required = SECTIONS if version >= 2 else ("records", "relations", "changes")
    for section in SECTIONS:
        if section not in data and section in required:
            raise _bad(f"缺少“{section}”部分", f"the '{section}' section is missing", path)
        if not isinstance(data.get(section, []), list):
            raise _bad(f"“{section}”部分格式不对", f"the '{section}' section is malformed", path)
    counts = data.get("counts")
    if version >= 2:
        if not isinstance(counts, dict):
            raise _bad("缺少计数", "the counts are missing", path)
        for section in SECTIONS:
            if counts.get(section) != len(data[section]):
                raise _bad(f"“{section}”的条数（{len(data[section])}）与记录的计数（{counts.get(section)}）不符",
                           f"the '{section}' section holds {len(data[section])} items, its count says "
                           f"{counts.get(section)}", path)
    ids: set[str] = set()
    names: set[str] = set()  # property names already found valid (they repeat)
    for i, rec in enumerate(data["records"]):
        where = f"records[{i}]"
        _check_props(rec, where, path, key="id", names=names)
        if rec.get("kind") not in KINDS:
            raise _bad(f"{where} 的类型 {rec.get('kind')!r} 未知", f"{where} has an unknown kind {rec.get('kind')!r}",
                       path)
        if rec["id"] in ids:
            raise _bad(f"记录编号 {rec['id']} 重复", f"the record id {rec['id']} appears twice", path)
        ids.add(rec["id"])
    rel_keys: set[tuple] = set()
    for i, rel in enumerate(data["relations"]):
        where = f"relations[{i}]"
        if not isinstance(rel, dict) or rel.get("type") not in RELATION_TYPES:
            raise _bad(f"{where} 的关系类型未知", f"{where} has an unknown relation type", path)
        _check_props(rel.get("props"), where, path, names=names)
        for end in ("source", "target"):
            if rel.get(end) not in ids:
                raise _bad(f"{where} 的一端 {rel.get(end)!r} 不在备份的记录中",
                           f"{where}: its {end} {rel.get(end)!r} is not among the backup's records", path)
        key = _rel_key(rel)
        if key in rel_keys:
            raise _bad(f"关系 {key[0]} 重复", f"the relation {key[0]} appears twice", path)
        rel_keys.add(key)
    for section, key in (("changes", "id"), ("users", "name"), ("settings", "key"), ("meta", "id")):
        seen: set[str] = set()
        for i, row in enumerate(data.get(section, [])):
            _check_props(row, f"{section}[{i}]", path, key=key, names=names)
            if row[key] in seen:
                raise _bad(f"{section} 中 {row[key]} 重复", f"{section}: {row[key]} appears twice", path)
            seen.add(row[key])


# ---------------------------------------------------------------- restore
Q_FINGERPRINT = ("OPTIONAL MATCH (c:Change) WITH count(c) AS changes, max(c.at) AS last "
                 "OPTIONAL MATCH (n:Entity) WITH changes, last, count(n) AS records "
                 "OPTIONAL MATCH (u:User) RETURN changes, last, records, count(u) AS users")


def _fingerprint(read) -> tuple:
    row = (read(Q_FINGERPRINT, {}) or [{}])[0]
    return (row.get("changes"), row.get("last"), row.get("records"), row.get("users"))


def _not_empty() -> InvalidInput:
    return InvalidInput("目标库不是空的（已有记录、变更日志或用户）：如要替换现有内容，请用 --replace "
                        "（会先备份现有内容） / the target store is not empty (it holds records, a change log "
                        "or users): to replace its content use --replace (which backs it up first)")


def is_empty(reg: Registry) -> bool:
    """Whether the store holds no record, change and user (a schema marker or settings alone are empty)."""
    return not any(reg.store.read(q) for q in (Q_HAS_ENTITY, Q_HAS_CHANGE, Q_HAS_USER))


def _batches(query: str, rows: list, size: int = BATCH) -> list[tuple[str, dict]]:
    return [(query, {"rows": rows[i:i + size]}) for i in range(0, len(rows), size)]


def restore_users(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Users as they are restored: one without a password hash cannot sign in until given a new
    password (``NO_PASSWORD`` in its place), and has no API token."""
    out = []
    for u in users:
        u = dict(u)
        if "password_hash" not in u:
            u["password_hash"] = NO_PASSWORD
            u.setdefault("token_hashes", [])
        out.append(u)
    return out


def statements(data: dict[str, Any], *, clear: bool = False) -> list[tuple[str, dict]]:
    """The writes that rebuild a backup's content: constant Cypher per label and type, in batches."""
    stmts: list[tuple[str, dict]] = [(Q_R_CLEAR, {})] if clear else []
    by_kind: dict[str, list] = {k: [] for k in KINDS}
    for rec in data["records"]:
        by_kind[rec["kind"]].append(rec)
    for kind, rows in by_kind.items():
        stmts += _batches(Q_R_RECORDS[kind], rows)
    by_type: dict[str, list] = {t: [] for t in RELATION_TYPES}
    for rel in data["relations"]:
        by_type[rel["type"]].append({"source": rel["source"], "target": rel["target"], "props": rel["props"]})
    for rtype, rows in by_type.items():
        stmts += _batches(Q_R_RELATIONS[rtype], rows)
    stmts += _batches(Q_R_CHANGES, data["changes"])
    stmts += _batches(Q_R_USERS, restore_users(data.get("users", [])))
    stmts += _batches(Q_R_SETTINGS, data.get("settings", []))
    meta = data.get("meta")
    if meta is None and data.get("schema_version") is not None:  # format 1 kept only the version
        meta = [{"id": "schema", "version": data["schema_version"]}]
    stmts += _batches(Q_R_META, meta or [])
    return stmts


def restore(reg: Registry, data: dict[str, Any], *, replace: bool = False,
            backup_dir: str | os.PathLike | None = None, progress: Progress = None,
            checked: bool = False) -> dict[str, Any]:
    """Rebuild a checked backup (``read_file``) into the registry's store.

    The store must be empty unless ``replace``; then a complete backup of the current content is written
    into ``backup_dir`` first (its path is returned as ``safety_backup``). The schema is put in place
    before the load and ``Registry.setup_schema`` runs after it (migrating a backup of an older schema).
    ``checked``: ``data`` is what ``read_file`` returned, already checked whole (not checked again).
    """
    if not checked:
        check(data)
    store = reg.store
    store.setup_schema()  # indexes first: relations find their ends by id
    empty = is_empty(reg)
    saved = None
    if not empty:
        if not replace:
            raise _not_empty()
        if backup_dir is None:
            raise InvalidInput("替换前需要一个备份目录 / replacing needs a folder for the backup made first")
        saved = safety_backup(reg, backup_dir)
    seen = _fingerprint(store.read)

    def unchanged_since(read) -> None:
        """Nobody wrote between the check (and the backup made first) and the load."""
        if _fingerprint(read) != seen:
            if empty and not replace:
                raise _not_empty()
            raise Conflict("恢复期间库被修改了，未做任何修改，请重试 / the store changed while the restore was "
                           "being prepared; nothing was changed, try again")

    # cleared even when empty of records: a schema marker or settings alone would otherwise be doubled
    stmts = statements(data, clear=True)
    total = len(stmts)
    if progress:
        progress("restore", 0, total)
    # all-or-nothing: the clear and the load commit together or not at all (a killed process included)
    results = store.atomic(stmts, precheck=unchanged_since,
                           progress=(lambda d, t: progress("restore", d, t)) if progress else None)
    reg.setup_schema()
    counts = {s: len(data.get(s) or []) for s in SECTIONS}
    written_rels = sum(r[0]["n"] for (q, _), r in zip(stmts, results) if q in _REL_QUERIES and r)
    if written_rels != counts["relations"]:  # cannot happen after check(); say so loudly if it does
        raise InvalidInput(f"只恢复了 {written_rels}/{counts['relations']} 条关系 / only {written_rels} of "
                           f"{counts['relations']} relations were restored")
    return {"counts": counts, "safety_backup": str(saved) if saved else None, "replaced": not empty,
            "users_without_password": sum(1 for u in data.get("users", []) if "password_hash" not in u)}


_REL_QUERIES = frozenset(Q_R_RELATIONS.values())
