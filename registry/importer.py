"""Spreadsheet import: match rows to records, preview what would happen, apply it all-or-nothing, undo it.

The file layer (``registry.tabular``) turns a file into tables of rows of displayed text and each row into
the fields a record takes. This module decides, row by row, what the import would do:

- **match** a record row to a stored record by id, then 统一社会信用代码, then exact name or alias of the
  same kind. A row that matches nothing but whose name is close to a stored one (金力永磁 and
  江西金力永磁科技股份有限公司) is *held* as a possible duplicate, never merged silently: the user confirms it
  (the web's preview offers "update that record" or "create a new one"; in a file, writing the stored id
  in the 编号 column updates it, and writing a new id creates a new record);
- **preview** (:func:`plan_import`): created, changed (field by field, before → after), unchanged and
  rejected rows (sheet, row number as the spreadsheet shows it, column, value, reason);
- **apply** (:func:`apply_import`): every write of the import in one ``GraphStore.atomic`` call, so it is
  all or nothing on both stores, even under kill -9; records changed by someone since the preview abandon
  the whole import (their versions are checked in the same atomic work);
- **audit**: the import is one change set: one ``import`` change (who, when, file, reason, counts) and one
  ``import_item`` change per record or relation written (its before → after, so the record's history shows
  it), all carrying the set's id;
- **undo** (:func:`undo_import`): the whole set reverted as one step, refused (naming them) if a record it
  wrote was changed again since.

Blank cells leave stored values alone: an import adds and corrects, it never erases. Every record an
import creates or changes gains a source saying who imported it, when, from which file and row.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from .errors import Conflict, InvalidInput, NotFound
from .messages import text
from .model import (
    KINDS,
    RELATION_TYPES,
    check_endpoints,
    endpoints_allowed,
    relation_id,
    validate_entity,
    validate_relation,
)
from .repository import (
    bulk_work,
    META_FIELDS,
    Registry,
    _change,
    _chunks,
    _per_kind,
    _per_type,
    _record_fields,
    entity_out,
    entity_props,
    now_iso,
    relation_out,
    relation_props,
    same_value,
    sort_key,
)

ENTITY_KINDS = ("enterprise", "platform", "project")
ID_PREFIX = {"enterprise": "ent", "platform": "plt", "project": "prj"}
NEAR_SCORE = 85          # rapidfuzz score (0-100) from which a name counts as a possible duplicate
MAX_NEAR = 3             # possible duplicates listed per row
MAX_PREVIEW_ROWS = 200_000

Progress = Optional[Callable[[str, int, int], None]]

# ---------------------------------------------------------------- queries (constant text)
Q_INDEX = ("MATCH (n:Entity) WHERE n.kind IN $kinds "
           "RETURN n.id AS id, n.kind AS kind, n.name AS name, n.aliases AS aliases, n.credit_code AS credit_code")
Q_GET_MANY = "MATCH (n:Entity) WHERE n.id IN $ids RETURN properties(n) AS n"
Q_IMPORT_CREATE = _per_kind("UNWIND $rows AS row CREATE (n:Entity:<Label>) SET n = row RETURN count(n) AS n")
Q_IMPORT_UPDATE = ("UNWIND $rows AS row MATCH (n:Entity {id: row.id}) WHERE n.version = row.version "
                   "WITH n, row, n.seed_json AS seed SET n = row.props, n.seed_json = seed "
                   "RETURN collect(n.id) AS ids")
Q_IMPORT_RELATE = _per_type("UNWIND $rows AS row MATCH (a:Entity {id: row.source}) MATCH (b:Entity {id: row.target}) "
                            "MERGE (a)-[r:<TYPE> {id: row.id}]->(b) "
                            "WITH r, row, r.seed_json AS seed SET r = row.props, r.seed_json = seed "
                            "RETURN collect(r.id) AS ids")
Q_IMPORT_CHANGES = "UNWIND $rows AS row CREATE (c:Change) SET c = row RETURN count(c) AS n"
Q_IMPORT_TASKS = "UNWIND $rows AS row CREATE (t:PlanTask) SET t = row RETURN count(t) AS n"
Q_TASK_VERSIONS = "MATCH (t:PlanTask) WHERE t.id IN $ids RETURN t.id AS id, t.version AS version"
Q_UNDO_DELETE_TASK = ("UNWIND $rows AS row MATCH (t:PlanTask {id: row.id}) WHERE t.version = row.version "
                      "DELETE t RETURN count(*) AS n")
Q_SET_CHANGES = "MATCH (c:Change) WHERE c.set_id = $set WITH c ORDER BY c.at, c.id RETURN properties(c) AS c"
Q_SET_HEAD = "MATCH (c:Change {set_id: $set}) WHERE c.action IN ['import', 'undo_import'] RETURN properties(c) AS c"
Q_REL_BY_ID = ("UNWIND $rows AS row MATCH (a:Entity {id: row.source})-[r {id: row.id}]->(b:Entity {id: row.target}) "
               "RETURN properties(r) AS r, type(r) AS type, a.id AS source, b.id AS target")
# undo: records the import created go (only if nobody changed them since: same version), others get
# their stored properties back; relations likewise
Q_UNDO_DELETE = ("UNWIND $rows AS row MATCH (n:Entity {id: row.id}) WHERE n.version = row.version "
                 "DETACH DELETE n RETURN count(*) AS n")
Q_UNDO_RESTORE = ("UNWIND $rows AS row MATCH (n:Entity {id: row.id}) WHERE n.version = row.version "
                  "SET n = row.props RETURN count(n) AS n")
Q_UNDO_UNRELATE = ("UNWIND $rows AS row MATCH (a:Entity {id: row.source})-[r {id: row.id}]->(b:Entity {id: row.target}) "
                   "WHERE r.version = row.version DELETE r RETURN count(*) AS n")
Q_UNDO_RERELATE = ("UNWIND $rows AS row MATCH (a:Entity {id: row.source})-[r {id: row.id}]->(b:Entity {id: row.target}) "
                   "WHERE r.version = row.version SET r = row.props RETURN count(r) AS n")


# ---------------------------------------------------------------- the preview
@dataclass
class Rejected:
    sheet: str
    row: int
    column: str
    value: str
    reason: str       # Chinese, for the user
    reason_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "value": self.value,
                "reason": self.reason, "reason_en": self.reason_en}


@dataclass
class Item:
    """One row's outcome: a record or relation created, changed or unchanged (or held as a possible duplicate)."""
    sheet: str
    row: int
    kind: str                       # a record kind, or "relation"
    id: str
    name: str
    action: str                     # create | change | unchanged | near
    fields: list[dict] = field(default_factory=list)   # change: [{field, before, after}]
    props: dict | None = None       # what is written (create, change)
    version: int | None = None      # the stored version a change was computed from
    before: dict | None = None      # the stored record's fields (change)
    stored: dict | None = None      # the stored properties as they are (change): what an undo puts back
    rel: dict | None = None         # relation ends and type
    near: list[dict] = field(default_factory=list)     # possible duplicates: [{id, name, score}]
    key: str = ""                   # "sheet:row", what a decision names

    def as_dict(self) -> dict[str, Any]:
        out = {"sheet": self.sheet, "row": self.row, "kind": self.kind, "id": self.id, "name": self.name,
               "action": self.action, "key": self.key}
        if self.fields:
            out["fields"] = self.fields
        if self.near:
            out["near"] = self.near
        if self.rel:
            out.update({k: self.rel[k] for k in ("type", "source", "target")})
        return out


@dataclass
class Plan:
    file: str
    items: list[Item] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # a document read into proposals (registry.ingest_apply): the plan tasks it creates (PlanTask properties,
    # one import_item each, undone with the rest), the document's file name on the change set's head, and
    # the message ids its change log uses ("<prefix>.change.summary", "<prefix>.change.item_created" …)
    tasks: list[Item] = field(default_factory=list)
    document: str | None = None
    messages: str = "imports"

    def of(self, action: str) -> list[Item]:
        return [i for i in self.items if i.action == action]

    @property
    def counts(self) -> dict[str, int]:
        return {"created": len(self.of("create")), "changed": len(self.of("change")),
                "unchanged": len(self.of("unchanged")), "near": len(self.of("near")),
                "rejected": len(self.rejected),
                "rejected_rows": len({(r.sheet, r.row) for r in self.rejected})}

    def summary(self, *, applied: bool, set_id: str | None = None) -> dict[str, Any]:
        """The CLI's ``--json`` object (issue 10): counts, rejected rows, whether it was applied."""
        c = self.counts
        out = {"created": c["created"], "changed": c["changed"], "unchanged": c["unchanged"],
               "rejected": [r.as_dict() for r in self.rejected], "applied": applied}
        if set_id:
            out["change_set"] = set_id
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "counts": self.counts, "items": [i.as_dict() for i in self.items],
                "rejected": [r.as_dict() for r in self.rejected]}


# ---------------------------------------------------------------- matching
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "股份公司", "公司", "集团", "科技", "技术",
             "实业", "新材料", "材料", "工业", "产业", "控股", "发展", "研究院", "研究所", "中心")
_PLACES = ("中国", "江西省", "江西", "赣州市", "赣州", "赣县区", "赣县", "南康区", "章贡区", "龙南市", "龙南",
           "信丰县", "信丰", "寻乌县", "寻乌", "定南县", "定南", "全南县", "全南", "大余县", "大余")
_PUNCT = re.compile(r"[\s()（）【】\[\]·,，.。、\-—_]+")


@functools.lru_cache(maxsize=1 << 14)
def core_name(name: str) -> str:
    """A name without the place in front and the company-form words behind, for near-duplicate matching:
    江西金力永磁科技股份有限公司 -> 金力永磁. (Asked three times for each row of an import — its match, its
    near duplicates, its new id — hence remembered; each pass looks at the word lists only when the name
    starts or ends with one of them.)"""
    s = _PUNCT.sub("", name)
    changed = True
    while changed:
        changed = False
        if s.startswith(_PLACES):
            for p in _PLACES:
                if s.startswith(p) and len(s) > len(p) + 1:
                    s, changed = s[len(p):], True
        if s.endswith(_SUFFIXES):
            for x in _SUFFIXES:
                if s.endswith(x) and len(s) > len(x) + 1:
                    s, changed = s[:-len(x)], True
    return s.lower()


class _Index:
    """What matching needs of the stored records of the import's kinds: ids, credit codes, names and
    aliases, and the core names' character pairs (to find near duplicates without comparing every name)."""

    def __init__(self, rows: list[dict[str, Any]]):
        self.kind_of: dict[str, str] = {}
        self.name_of: dict[str, str] = {}
        self.by_code: dict[str, str] = {}
        self.by_name: dict[tuple[str, str], set[str]] = {}
        self.cores: dict[str, list[tuple[str, str]]] = {}      # kind -> [(id, core)]
        self.pairs: dict[tuple[str, str], list[int]] = {}      # (kind, pair) -> positions in cores[kind]
        for r in rows:
            self.add(r["id"], r["kind"], r.get("name") or "", r.get("aliases") or [], r.get("credit_code"))

    def add(self, rid: str, kind: str, name: str, aliases: Iterable[str], code: str | None) -> None:
        self.kind_of[rid] = kind
        self.name_of[rid] = name
        if code:
            self.by_code[code.upper()] = rid
        for n in (name, *aliases):
            if n:
                self.by_name.setdefault((kind, _norm(n)), set()).add(rid)
        if kind in ENTITY_KINDS and name:
            core = core_name(name)
            pos = len(self.cores.setdefault(kind, []))
            self.cores[kind].append((rid, core))
            for p in _char_pairs(core):
                self.pairs.setdefault((kind, p), []).append(pos)

    def named(self, kind: str | None, name: str) -> set[str]:
        key = _norm(name)
        if kind:
            return set(self.by_name.get((kind, key), ()))
        return set().union(*(ids for (k, n), ids in self.by_name.items() if n == key)) if key else set()

    def near(self, kind: str, name: str) -> list[dict[str, Any]]:
        from rapidfuzz import fuzz

        core = core_name(name)
        pairs = _char_pairs(core)
        if not pairs:
            return []
        counts: dict[int, int] = {}
        for p in pairs:
            posting = self.pairs.get((kind, p), ())
            if len(posting) > 5000:  # a pair in thousands of names says little; others decide
                continue
            for pos in posting:
                counts[pos] = counts.get(pos, 0) + 1
        need = max(1, len(pairs) // 2)
        found = []
        for pos, n in counts.items():
            if n < need:
                continue
            rid, other = self.cores[kind][pos]
            score = max(fuzz.ratio(core, other),
                        fuzz.partial_ratio(core, other) if min(len(core), len(other)) >= 3 else 0)
            if score >= NEAR_SCORE:
                found.append({"id": rid, "name": self.name_of[rid], "score": round(score)})
        found.sort(key=lambda f: (-f["score"], f["id"]))
        return found[:MAX_NEAR]


def _norm(name: str) -> str:
    return _PUNCT.sub("", name).lower()


def _char_pairs(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def _split(message: str) -> tuple[str, str]:
    """A registry error's "中文 / English" message as its two halves."""
    zh, sep, en = message.partition(" / ")
    return (zh, en) if sep else (message, message)


def _new_id(kind: str, name: str, taken: Callable[[str], bool]) -> str:
    """A short readable id for a new record: the pinyin of its name without place and company form,
    江西金力永磁科技股份有限公司 -> ent-jinliyongci (a number is added when the id is taken)."""
    core = core_name(name) or name
    slug = re.sub(r"[^a-z0-9]+", "", sort_key(core).lower())[:40] or uuid.uuid4().hex[:8]
    base = f"{ID_PREFIX[kind]}-{slug}"
    rid, n = base, 2
    while taken(rid):
        rid, n = f"{base}-{n}", n + 1
    return rid


def _import_source(by: str, at: str, file: str, sheet: str, row: int) -> dict[str, Any]:
    return {"basis": "reported", "by": by, "at": at,
            "note": text("imports.source.note", "zh", file=file, sheet=sheet, row=row)}


# ---------------------------------------------------------------- planning
@bulk_work
def plan_import(reg: Registry, tables: list, *, file: str, by: str, decisions: dict[str, str] | None = None,
                progress: Progress = None) -> Plan:
    """What importing ``tables`` (from ``registry.tabular.read_file``) would do, without writing anything.

    ``decisions`` settles possible duplicates: ``{"sheet:row": "new"}`` creates a new record,
    ``{"sheet:row": "<id>"}`` updates that stored record.
    """
    from .tabular import to_record

    decisions = dict(decisions or {})
    plan = Plan(file=file)
    total = sum(len(t.rows) for t in tables)
    if total > MAX_PREVIEW_ROWS:
        raise InvalidInput(f"文件共 {total} 行，超过上限 {MAX_PREVIEW_ROWS} 行，请分成几个文件导入 / "
                           f"the file has {total} rows, more than {MAX_PREVIEW_ROWS}: split it into several files")
    at = now_iso()
    index = _Index(reg.store.read(Q_INDEX, {"kinds": list(KINDS)}, slow=True))
    done = 0
    # steps: every row is read; a record row is then matched and validated (the slow part), a second step
    steps = total + sum(len(t.rows) for t in tables if t.kind != "relation")

    def tick():
        nonlocal done
        done += 1
        if progress and (done % 500 == 0 or done == steps):
            progress("preview", done, steps)

    # records first (relations may name records the same file creates), then relations
    ordered = sorted(tables, key=lambda t: t.kind == "relation")
    pending: list[tuple[Any, dict, Any]] = []      # (row, fields, table) of record rows, after conversion
    file_ids: dict[str, tuple[str, int]] = {}      # id -> (sheet, row) first seen in this file
    for table in ordered:
        if table.kind == "relation":
            continue
        for row in table.rows:
            tick()
            data, problems = to_record(table.kind, row)
            if problems:
                plan.rejected += [Rejected(p.sheet, p.row, p.column, p.value, p.reason_zh, p.reason_en)
                                  for p in problems]
                continue
            pending.append((row, data, table))

    # match every record row, so that relations can name records this file creates
    stored_ids: set[str] = set()
    new_names: dict[tuple[str, str], tuple[str, int]] = {}   # names of rows that create a record, first seen
    matched: list[tuple[Any, dict, str | None, list]] = []
    for row, data, table in pending:
        kind = table.kind
        key = f"{row.sheet}:{row.row}"
        rid, near, reject = _match(index, kind, data, decisions.get(key))
        if reject:
            col, val, msgid, params = reject
            plan.rejected.append(_rejected(row, col, val, msgid, **params))
            continue
        if rid is None:
            same = (kind, _norm(data.get("name") or ""))
            if same in new_names:
                first = new_names[same]
                plan.rejected.append(_rejected(row, _col(row, "name"), data.get("name", ""),
                                               "imports.reject.duplicate_row", first=first[1], sheet=first[0]))
                continue
            new_names[same] = (row.sheet, row.row)
        if rid is not None:
            if rid in file_ids:
                first = file_ids[rid]
                plan.rejected.append(_rejected(row, _col(row, "id") or _col(row, "name"), data.get("name", ""),
                                               "imports.reject.duplicate_row", first=first[1], sheet=first[0]))
                continue
            file_ids[rid] = (row.sheet, row.row)
            if rid in index.kind_of:
                stored_ids.add(rid)
        matched.append((row, data, rid, near))

    stored = {}
    for chunk in _chunks(sorted(stored_ids)):
        stored.update({r["n"]["id"]: r["n"] for r in reg.store.read(Q_GET_MANY, {"ids": chunk})})

    skipped = sum(len(t.rows) for t in tables if t.kind != "relation") - len(matched)
    for _ in range(skipped):  # rows rejected before matching need no second step
        tick()
    for row, data, rid, near in matched:
        tick()
        kind = data["kind"]
        key = f"{row.sheet}:{row.row}"
        if near:
            # held, never merged silently: a rejected row until the user says which it is
            plan.items.append(Item(row.sheet, row.row, kind, "", data.get("name", ""), "near", near=near, key=key))
            others = "、".join(f"{n['name']}（{n['id']}）" for n in near)
            others_en = ", ".join(f"{n['name']} ({n['id']})" for n in near)
            plan.rejected.append(Rejected(row.sheet, row.row, _col(row, "name"), data.get("name", ""),
                                          text("imports.reject.near", "zh", others=others),
                                          text("imports.reject.near", "en", others=others_en)))
            continue
        source = _import_source(by, at, file, row.sheet, row.row)
        if rid is None or rid not in stored:
            new_id = rid or _new_id(kind, data.get("name", ""), lambda i: i in index.kind_of or i in file_ids)
            file_ids.setdefault(new_id, (row.sheet, row.row))
            record = {**data, "id": new_id, "sources": [*data.get("sources", []), source]}
            try:
                entity = validate_entity(record)
            except InvalidInput as exc:
                plan.rejected += _from_error(row, exc)
                continue
            index.add(new_id, kind, entity.name, entity.aliases, getattr(entity, "credit_code", None))
            props = entity_props(entity, meta={"created_at": at, "updated_at": at, "version": 1, "updated_by": by})
            plan.items.append(Item(row.sheet, row.row, kind, new_id, entity.name, "create", props=props, key=key))
            continue
        current = entity_out(stored[rid])
        old = _record_fields(current)
        given = {k: v for k, v in data.items() if k not in ("id", "sources") and v not in (None, "", [])}
        if given.get("name") in old.get("aliases", []):
            given.pop("name")  # found by one of its aliases: a row naming a firm by its short name does not rename it
        merged = {**old, **given}
        if not any(not same_value(old.get(k), merged.get(k)) for k in given):
            plan.items.append(Item(row.sheet, row.row, kind, rid, current["name"], "unchanged", key=key))
            continue
        merged["sources"] = [*old.get("sources", []), source]
        try:
            entity = validate_entity(merged)
        except InvalidInput as exc:
            plan.rejected += _from_error(row, exc)
            continue
        new_fields = entity.model_dump(exclude_none=True, mode="json")
        fields = [{"field": k, "before": old.get(k), "after": new_fields.get(k)}
                  for k in sorted(set(old) | set(new_fields)) if k != "sources"
                  and not same_value(old.get(k), new_fields.get(k))]
        props = entity_props(entity, meta={"created_at": current.get("created_at", at), "updated_at": at,
                                           "version": current["version"] + 1, "updated_by": by})
        plan.items.append(Item(row.sheet, row.row, kind, rid, entity.name, "change", fields=fields, props=props,
                               version=current["version"], before=old, stored=stored[rid], key=key))

    # relations: ends given as ids or names (of stored records or of records this file creates)
    rel_seen: dict[str, tuple[str, int]] = {}
    rel_rows = []
    for table in ordered:
        if table.kind != "relation":
            continue
        for row in table.rows:
            tick()
            data, problems = to_record("relation", row)
            if problems:
                plan.rejected += [Rejected(p.sheet, p.row, p.column, p.value, p.reason_zh, p.reason_en)
                                  for p in problems]
                continue
            ends, bad = {}, False
            for end in ("source", "target"):
                ref = (data.get(end) or "").strip()
                rid, reject = _resolve_end(index, data.get("type", ""), end, ref)
                if reject:
                    msgid, params = reject
                    plan.rejected.append(_rejected(row, _col(row, end), ref, msgid, **params))
                    bad = True
                ends[end] = rid
            if bad:
                continue
            data = {**data, **ends, "sources": [*data.get("sources", []),
                                                _import_source(by, at, file, row.sheet, row.row)]}
            try:
                rel = validate_relation(data)
                check_endpoints(rel, index.kind_of.get(rel.source), index.kind_of.get(rel.target))
            except InvalidInput as exc:
                plan.rejected += _from_error(row, exc)
                continue
            if rel.id in rel_seen:
                first = rel_seen[rel.id]
                plan.rejected.append(_rejected(row, _col(row, "type"), rel.type, "imports.reject.duplicate_row",
                                               first=first[1], sheet=first[0]))
                continue
            rel_seen[rel.id] = (row.sheet, row.row)
            rel_rows.append((row, rel))
    stored_rels = {}
    keys = [{"id": r.id, "source": r.source, "target": r.target} for _, r in rel_rows]
    for chunk in _chunks(keys):
        stored_rels.update({x["r"]["id"]: x for x in reg.store.read(Q_REL_BY_ID, {"rows": chunk})})
    for row, rel in rel_rows:
        key = f"{row.sheet}:{row.row}"
        name = f"{index.name_of.get(rel.source, rel.source)} → {index.name_of.get(rel.target, rel.target)}"
        ends = {"type": rel.type, "source": rel.source, "target": rel.target}
        old_row = stored_rels.get(rel.id)
        if old_row is None:
            props = relation_props(rel, meta={"created_at": at, "updated_at": at, "version": 1, "updated_by": by})
            plan.items.append(Item(row.sheet, row.row, "relation", rel.id, name, "create", props=props, rel=ends,
                                   key=key))
            continue
        old = {k: v for k, v in relation_out(old_row).items() if k in ("product", "note", "sources")}
        new = rel.model_dump(exclude_none=True, mode="json")
        given = {k: new[k] for k in ("product", "note") if new.get(k) not in (None, "")}
        if all(same_value(old.get(k), v) for k, v in given.items()):
            plan.items.append(Item(row.sheet, row.row, "relation", rel.id, name, "unchanged", rel=ends, key=key))
            continue
        merged = validate_relation({**ends, **{k: v for k, v in old.items() if k != "sources"}, **given,
                                    "sources": [*old.get("sources", []), *new.get("sources", [])[-1:]]})
        raw = old_row["r"]
        props = relation_props(merged, meta={"created_at": raw.get("created_at", at), "updated_at": at,
                                             "version": (raw.get("version") or 0) + 1, "updated_by": by})
        fields = [{"field": k, "before": old.get(k), "after": v} for k, v in given.items()
                  if not same_value(old.get(k), v)]
        plan.items.append(Item(row.sheet, row.row, "relation", rel.id, name, "change", fields=fields, props=props,
                               version=raw.get("version"), before=old, stored=dict(raw), rel=ends, key=key))
    plan.items.sort(key=lambda i: (i.sheet, i.row))
    plan.rejected.sort(key=lambda r: (r.sheet, r.row, r.column))
    return plan


def _col(row, fld: str) -> str:
    cell = row.cells.get(fld)
    return cell.column if cell is not None else fld


def _rejected(row, column: str, value: Any, msgid: str, **params) -> Rejected:
    return Rejected(row.sheet, row.row, column, "" if value is None else str(value),
                    text(msgid, "zh", **params), text(msgid, "en", **params))


def _from_error(row, exc: InvalidInput) -> list[Rejected]:
    """A model's refusal of a row, one line per field it names (the column as the file writes it)."""
    out = []
    for d in exc.details or [{"field": "", "value": "", "message": exc.message}]:
        if not isinstance(d, dict):
            d = {"field": "", "value": "", "message": str(d)}
        fld = str(d.get("field") or "").split(".")[0]
        zh, en = _split(str(d.get("message") or exc.message))
        cell = row.cells.get(fld)
        value = cell.value if cell is not None else d.get("value")
        out.append(Rejected(row.sheet, row.row, cell.column if cell is not None else fld,
                            "" if value is None else str(value), zh, en))
    return out


def _match(index: _Index, kind: str, data: dict, decision: str | None):
    """(stored id or a new id given in the file or None, possible duplicates, rejection)."""
    name = (data.get("name") or "").strip()
    if decision and decision != "new":
        if index.kind_of.get(decision) != kind:
            return None, [], ("id", decision, "imports.reject.decision_unknown", {"id": decision})
        return decision, [], None
    rid = (data.get("id") or "").strip()
    if rid:
        have = index.kind_of.get(rid)
        if have is not None and have != kind:
            return None, [], ("id", rid, "imports.reject.id_other_kind", {"id": rid, "kind": have})
        return rid, [], None
    code = (data.get("credit_code") or "").strip().upper()
    if code and code in index.by_code:
        found = index.by_code[code]
        if index.kind_of[found] != kind:
            return None, [], ("credit_code", code, "imports.reject.id_other_kind",
                              {"id": found, "kind": index.kind_of[found]})
        return found, [], None
    same = index.named(kind, name)
    if len(same) == 1:
        return next(iter(same)), [], None
    if len(same) > 1:
        return None, [], ("name", name, "imports.reject.ambiguous_name",
                          {"ids": "、".join(sorted(same)[:10])})
    if decision == "new" or code:
        return None, [], None   # confirmed new, or a credit code nobody has: a new firm
    near = index.near(kind, name)
    return None, near, None


def _resolve_end(index: _Index, rtype: str, end: str, ref: str):
    if not ref:
        return None, ("imports.reject.end_missing", {})
    if ref in index.kind_of:
        return ref, None
    found = index.named(None, ref)
    spec = RELATION_TYPES.get(rtype.strip().upper())
    if spec is not None and len(found) > 1:
        allowed = spec[0] if end == "source" else spec[1]
        found = {f for f in found if index.kind_of[f] in allowed}
    if len(found) == 1:
        return next(iter(found)), None
    if len(found) > 1:
        return None, ("imports.reject.ambiguous_name", {"ids": "、".join(sorted(found)[:10])})
    return None, ("imports.reject.end_unknown", {"ref": ref})


# ---------------------------------------------------------------- applying
@bulk_work
def apply_import(reg: Registry, plan: Plan, *, by: str, why: str, skip_invalid: bool = False,
                 progress: Progress = None) -> dict[str, Any]:
    """Write what ``plan`` says, all or nothing; returns the plan's summary with ``applied`` and the change set.

    Refused (InvalidInput, nothing written) when rows were rejected (possible duplicates not settled
    included) and ``skip_invalid`` is not set, or without a reason. A record changed by someone since the
    preview abandons the whole import (Conflict, nothing written)."""
    if not why or not why.strip():
        raise InvalidInput("why: 请填写导入理由（记入变更日志）/ say why you import this file (it goes into the change log)")
    if plan.rejected and not skip_invalid:
        c = plan.counts
        raise InvalidInput(f"有 {c['rejected_rows']} 行无效，未导入任何内容；修正后重试，或选择跳过无效行 / "
                           f"{c['rejected_rows']} rows are invalid and nothing was imported: fix them, or choose "
                           "to skip invalid rows", details=[r.as_dict() for r in plan.rejected[:200]])
    set_id = uuid.uuid4().hex
    at = now_iso()
    statements: list[tuple] = []
    items_changes: list[dict] = []
    creates: dict[str, list[dict]] = {}
    rel_creates: dict[str, list[dict]] = {}
    updates: list[dict] = []
    rel_updates: dict[str, list[dict]] = {}
    for item in plan.items:
        if item.action not in ("create", "change"):
            continue
        if item.kind == "relation":
            row = {"id": item.id, "source": item.rel["source"], "target": item.rel["target"], "props": item.props}
            (rel_creates if item.action == "create" else rel_updates).setdefault(item.rel["type"], []).append(row)
            ids = [item.id, item.rel["source"], item.rel["target"]]
            after = {k: v for k, v in relation_out({"r": item.props, **item.rel}).items() if k not in META_FIELDS}
            diff = ({"after": after} if item.action == "create"
                    else {f["field"]: [f["before"], f["after"]] for f in item.fields})
            items_changes.append(_item_change(set_id, at, by, why, item, ids=ids, diff=diff,
                                              undo={"kind": "relation", "action": item.action, **item.rel,
                                                    "version": item.props.get("version"),
                                                    "before": item.stored}, messages=plan.messages))
            continue
        if item.action == "create":
            creates.setdefault(item.kind, []).append(item.props)
            diff = {"after": _record_fields(entity_out(item.props))}
        else:
            updates.append({"id": item.id, "version": item.version, "props": item.props})
            diff = {f["field"]: [f["before"], f["after"]] for f in item.fields}
        items_changes.append(_item_change(set_id, at, by, why, item, ids=None, diff=diff,
                                          undo={"kind": item.kind, "action": item.action,
                                                "version": item.props.get("version"), "before": item.stored},
                                          messages=plan.messages))

    for kind, rows in creates.items():
        for chunk in _chunks(rows):
            statements.append((Q_IMPORT_CREATE[kind], {"rows": chunk}))
    for chunk in _chunks(updates):
        statements.append((Q_IMPORT_UPDATE, {"rows": chunk}))
    for chunk in _chunks([t.props for t in plan.tasks]):
        statements.append((Q_IMPORT_TASKS, {"rows": chunk}))
    for t in plan.tasks:
        items_changes.append(_item_change(set_id, at, by, why, t, ids=[t.id], diff={"after": t.stored},
                                          undo={"kind": "task", "action": "create", "version": t.props["version"]},
                                          messages=plan.messages))
    for group in (rel_creates, rel_updates):
        for rtype, rows in group.items():
            for chunk in _chunks(rows):
                statements.append((Q_IMPORT_RELATE[rtype], {"rows": chunk}))
    c = plan.counts
    rel_n = sum(1 for i in plan.items if i.kind == "relation" and i.action in ("create", "change"))
    head = _change("import", by=by, why=why, at=at, ids=[i.id for i in plan.items if i.action in ("create", "change")]
                   + [t.id for t in plan.tasks],
                   summary=text(f"{plan.messages}.change.summary", "zh", file=plan.file, created=c["created"],
                                changed=c["changed"], unchanged=c["unchanged"], rejected=c["rejected_rows"],
                                tasks=len(plan.tasks)))
    head.update({"set_id": set_id, "file": plan.file, "created": c["created"], "changed": c["changed"],
                 "unchanged": c["unchanged"], "rejected": c["rejected_rows"], "relations": rel_n})
    if plan.document:
        head.update({"document": plan.document, "tasks": len(plan.tasks)})
    for chunk in _chunks([head, *items_changes]):
        statements.append((Q_IMPORT_CHANGES, {"rows": chunk}))
    expect = _Expected()
    expect.tasks_absent += [t.id for t in plan.tasks]
    for kind, rows in creates.items():
        expect.absent += [r["id"] for r in rows]
    expect.records.update({r["id"]: r["version"] for r in updates})
    for rows in rel_creates.values():
        expect.rels += [{**r, "version": None} for r in rows]
    for rows in rel_updates.values():
        expect.rels += [{**r, "version": r["props"]["version"] - 1} for r in rows]
    expect.ends |= {r[end] for group in (rel_creates, rel_updates) for rows in group.values() for r in rows
                    for end in ("source", "target")} - set(expect.absent)
    reg.store.atomic(statements, precheck=expect.check("apply"),
                     progress=(lambda d, t: progress("apply", d, t)) if progress else None)
    return plan.summary(applied=True, set_id=set_id)


def _item_change(set_id: str, at: str, by: str, why: str, item: Item, *, ids, diff, undo,
                 messages: str = "imports") -> dict:
    verb = "created" if item.action == "create" else "changed"
    c = _change("import_item", by=by, why=why, at=at, entity_id=item.id if item.kind != "relation" else item.rel["source"],
                kind=item.kind if item.kind in KINDS else None, ids=ids, diff=diff,
                summary=text(f"{messages}.change.item_{verb}", "zh", name=item.name, sheet=item.sheet, row=item.row))
    c["set_id"] = set_id
    c["undo_json"] = json.dumps(undo, ensure_ascii=False)
    return c


Q_VERSIONS = "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, n.version AS version"
Q_REL_VERSIONS = ("UNWIND $rows AS row MATCH (a:Entity {id: row.source})-[r {id: row.id}]->(b:Entity {id: row.target}) "
                  "RETURN r.id AS id, r.version AS version")


class _Expected:
    """What the registry must look like for a piece of atomic work to be applied as it was computed:
    records to create absent, records to change (or delete) at the version the work was computed from,
    relation ends present, relations at their version (None: absent). Checked by ``GraphStore.atomic``
    where nobody can write in between, so that no statement of the work can fail on the data."""

    def __init__(self):
        self.absent: list[str] = []
        self.records: dict[str, int] = {}
        self.ends: set[str] = set()
        self.rels: list[dict] = []
        self.tasks_absent: list[str] = []    # plan tasks to create
        self.tasks: dict[str, int] = {}      # plan tasks to delete, at their version

    def check(self, what: str):
        def precheck(read):
            moved: list[str] = []
            for chunk in _chunks(self.absent):
                moved += [r["id"] for r in read(Q_VERSIONS, {"ids": chunk})]
            for chunk in _chunks(self.tasks_absent):
                moved += [r["id"] for r in read(Q_TASK_VERSIONS, {"ids": chunk})]
            task_ids = list(self.tasks)
            for chunk in _chunks(task_ids):
                found = {r["id"]: r["version"] for r in read(Q_TASK_VERSIONS, {"ids": chunk})}
                moved += [i for i in chunk if found.get(i) != self.tasks[i]]
            ids = list(self.records)
            for chunk in _chunks(ids):
                found = {r["id"]: r["version"] for r in read(Q_VERSIONS, {"ids": chunk})}
                moved += [i for i in chunk if found.get(i) != self.records[i]]
            ends = sorted(self.ends)
            for chunk in _chunks(ends):
                found = {r["id"] for r in read(Q_VERSIONS, {"ids": chunk})}
                moved += [i for i in chunk if i not in found]
            for chunk in _chunks(self.rels):
                found = {r["id"]: r["version"] for r in read(Q_REL_VERSIONS, {"rows": [
                    {"id": x["id"], "source": x["source"], "target": x["target"]} for x in chunk]})}
                moved += [x["id"] for x in chunk if found.get(x["id"]) != x["version"]]
            if moved:
                if what == "undo":
                    raise Conflict(f"导入之后有记录又被修改过，不能整体撤销（{'、'.join(moved[:10])}），未作任何更改 / "
                                   f"records the import wrote were changed since ({', '.join(moved[:10])}), so it "
                                   "cannot be undone as one step; nothing was changed",
                                   details=[{"field": "id", "value": i, "message": "changed since the import"}
                                            for i in moved[:200]])
                raise Conflict(f"预览之后，有 {len(moved)} 条记录已被他人新建、修改或删除（{'、'.join(moved[:10])}），"
                               "未导入任何内容，请重新预览 / records were created, changed or deleted since the preview "
                               f"({', '.join(moved[:10])}); nothing was imported: preview again",
                               details=[{"field": "id", "value": i, "message": "changed since the preview"}
                                        for i in moved[:200]])
        return precheck


# ---------------------------------------------------------------- reading and undoing a change set
def change_set(reg: Registry, set_id: str) -> dict[str, Any]:
    """An import's change set: its head (``import``), its items and, if undone, the undo's head."""
    rows = [r["c"] for r in reg.store.read(Q_SET_CHANGES, {"set": set_id}, slow=True)]
    head = next((c for c in rows if c.get("action") == "import"), None)
    if head is None:
        raise NotFound(f"导入批次 '{set_id}' 不存在 / no import with id '{set_id}'")
    undone = next((c for c in rows if c.get("action") == "undo_import"), None)
    items = [c for c in rows if c.get("action") == "import_item"]
    return {"head": head, "items": items, "undone": undone}


def undo_import(reg: Registry, set_id: str, *, by: str, why: str, progress: Progress = None) -> dict[str, Any]:
    """Revert a whole import as one step, all or nothing. Records it created are deleted, records it changed
    get back what they held before; refused (Conflict, naming them) if any was changed again since."""
    if not why or not why.strip():
        raise InvalidInput("why: 请填写撤销理由（记入变更日志）/ say why you undo this import")
    cs = change_set(reg, set_id)
    if cs["undone"]:
        raise Conflict(f"该导入已于 {cs['undone']['at']} 由 {cs['undone']['by']} 撤销 / this import was already undone")
    deletes, restores, unrelates, rerelates, task_deletes = [], [], {}, {}, []
    at = now_iso()

    def put_back(before: dict, version: int) -> dict:
        # what the record held before, as a new version: a form opened before the import stays stale
        return {**before, "version": version + 1, "updated_at": at, "updated_by": by}

    for c in cs["items"]:
        u = json.loads(c.get("undo_json") or "{}")
        if u.get("kind") == "task":
            task_deletes.append({"id": c["ids"][0], "version": u["version"]})
        elif u.get("kind") == "relation":
            row = {"id": c["ids"][0], "source": u["source"], "target": u["target"], "version": u["version"]}
            if u["action"] == "create":
                unrelates.setdefault(u["type"], []).append(row)
            else:
                rerelates.setdefault(u["type"], []).append({**row, "props": put_back(u["before"], u["version"])})
        elif u.get("action") == "create":
            deletes.append({"id": c["entity_id"], "version": u["version"]})
        elif u.get("action") == "change":
            restores.append({"id": c["entity_id"], "version": u["version"], "props": put_back(u["before"], u["version"])})
    statements: list[tuple] = []
    # relations first: a record deleted below takes its relations with it
    for rtype, rows in unrelates.items():
        for chunk in _chunks(rows):
            statements.append((Q_UNDO_UNRELATE, {"rows": chunk}))
    for rtype, rows in rerelates.items():
        for chunk in _chunks(rows):
            statements.append((Q_UNDO_RERELATE, {"rows": chunk}))
    for chunk in _chunks(restores):
        statements.append((Q_UNDO_RESTORE, {"rows": chunk}))
    for chunk in _chunks(deletes):
        statements.append((Q_UNDO_DELETE, {"rows": chunk}))
    for chunk in _chunks(task_deletes):
        statements.append((Q_UNDO_DELETE_TASK, {"rows": chunk}))
    head = cs["head"]
    change = _change("undo_import", by=by, why=why, at=at, ids=(head.get("ids") or [])[:1000],
                     summary=text("imports.change.undo_summary", "zh", file=head.get("file", ""),
                                  at=head.get("at", ""), by=head.get("by", "")))
    change["set_id"] = set_id
    statements.append((Q_IMPORT_CHANGES, {"rows": [change]}))
    expect = _Expected()
    expect.records.update({r["id"]: r["version"] for r in [*deletes, *restores]})
    expect.rels += [r for rows in (*unrelates.values(), *rerelates.values()) for r in rows]
    expect.tasks.update({r["id"]: r["version"] for r in task_deletes})
    reg.store.atomic(statements, precheck=expect.check("undo"),
                     progress=(lambda d, t: progress("undo", d, t)) if progress else None)
    return {"set_id": set_id, "deleted": len(deletes), "restored": len(restores),
            "relations_deleted": sum(map(len, unrelates.values())),
            "relations_restored": sum(map(len, rerelates.values())), "tasks_deleted": len(task_deletes)}
