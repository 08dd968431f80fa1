"""Read, validate and check the seed dataset (the YAML files in ``seed/data``).

``load_dataset`` reads every file, adds ``kind`` from the file name, validates
each record with the registry's own model (``registry.model``) and each
relation's endpoints against the kinds found in the dataset itself, and checks
that ids are unique across all files.  It does not stop at the first problem:
every bad row is collected and reported at once, each with its file, its row
(1-based record index), the YAML line where the record starts, its id and the
reason, in one ``InvalidInput`` whose ``details`` list has one dict per problem.

``check_quotes`` checks that every quote is found verbatim in the document it
cites (whitespace and line breaks removed on both sides), and
``check_consistency`` checks the cross-record rules the model cannot see (a
target's ``responsible_units`` and its RESPONSIBLE_FOR relations agree, …).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

from registry.errors import InvalidInput, RegistryError
from registry.model import check_endpoints, relation_id, validate_entity, validate_relation
from registry.quotes import document_text, normalise, quote_found

SEED_DIR = Path(__file__).resolve().parent

# file name -> kind of its records (the loader adds ``kind``; the files do not repeat it)
ENTITY_FILES: dict[str, str] = {
    "documents.yaml": "document",
    "segments.yaml": "segment",
    "enterprises.yaml": "enterprise",
    "platforms.yaml": "platform",
    "projects.yaml": "project",
    "targets.yaml": "target",
    "gov_units.yaml": "gov_unit",
}
RELATIONS_FILE = "relations.yaml"

# id prefix per kind; a project's prefix follows its project_type
ID_PREFIXES: dict[str, tuple[str, ...]] = {
    "document": ("doc-",),
    "segment": ("seg-",),
    "enterprise": ("ent-",),
    "platform": ("plat-",),
    "project": ("proj-", "park-", "prog-"),
    "target": ("tgt-",),
    "gov_unit": ("gov-",),
}
PROJECT_PREFIX = {"project": "proj-", "park": "park-", "programme": "prog-"}



def default_data_dir() -> Path:
    """The directory of the seed YAML files."""
    return SEED_DIR / "data"


def documents_dir() -> Path:
    """The directory of the five source documents the seed cites."""
    return SEED_DIR / "documents"


# --- reading ---------------------------------------------------------------------------

def _read_file(path: Path, errors: list[dict]) -> list[tuple[int, Optional[int], Any]]:
    """The records of one YAML file as (row, line, record); problems go to ``errors``."""
    fname = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        errors.append(_err(fname, None, None, None, f"无法读取文件 / cannot read the file: {exc}"))
        return []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        errors.append(_err(fname, None, line, None, f"YAML 语法错误 / YAML syntax error: {exc}"))
        return []
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        errors.append(_err(fname, None, 1, None,
                           "文件应为记录列表（YAML 列表）/ the file must be a YAML list of records"))
        return []
    lines = [item.start_mark.line + 1 for item in node.value]
    return [(i + 1, lines[i] if i < len(lines) else None, rec) for i, rec in enumerate(data)]


def _err(fname: str, row: Optional[int], line: Optional[int], rid: Optional[str], reason: str) -> dict:
    return {"file": fname, "row": row, "line": line, "id": rid, "reason": reason}


def _where(e: dict) -> str:
    parts = [e["file"] + (f":{e['line']}" if e.get("line") else "")]
    if e.get("row") is not None:
        parts.append(f"row {e['row']}")
    if e.get("id"):
        parts.append(f"id {e['id']}")
    return " ".join(parts)


def format_errors(errors: list[dict]) -> str:
    head = f"种子数据有 {len(errors)} 处错误 / the seed data has {len(errors)} problem(s):"
    return "\n".join([head] + [f"  {_where(e)}: {e['reason']}" for e in errors])


def load_dataset(data_dir: Optional[str | Path] = None) -> tuple[list[dict], list[dict]]:
    """Read and validate the seed; return (entities, relations) as plain dicts.

    Entities carry ``kind``; relations carry ``id`` (``registry.model.relation_id``).
    Raises ``InvalidInput`` listing every bad row (file, row, line, id, reason).
    """
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    errors: list[dict] = []
    entities: list[dict] = []
    where_id: dict[str, tuple[str, int, Optional[int]]] = {}
    kinds: dict[str, str] = {}
    doc_files: set[str] = set()
    pending_sources: list[tuple[str, int, Optional[int], str, list]] = []

    for fname, kind in ENTITY_FILES.items():
        path = base / fname
        if not path.exists():
            errors.append(_err(fname, None, None, None, "文件不存在 / the file is missing"))
            continue
        for row, line, rec in _read_file(path, errors):
            if not isinstance(rec, dict):
                errors.append(_err(fname, row, line, None, "记录应为键值映射 / a record must be a mapping"))
                continue
            rid = rec.get("id")
            rid_s = str(rid) if rid is not None else None
            if "kind" in rec and rec["kind"] != kind:
                errors.append(_err(fname, row, line, rid_s,
                                   f"kind: 本文件的记录类型是 {kind!r}，不是 {rec['kind']!r} / "
                                   f"records in {fname} are of kind {kind!r}, not {rec['kind']!r}"))
                continue
            try:
                obj = validate_entity({**rec, "kind": kind})
            except RegistryError as exc:
                errors.append(_err(fname, row, line, rid_s, exc.message))
                if isinstance(rid, str) and rid not in where_id:
                    # known, though invalid: its relations are not reported as dangling as well
                    where_id[rid] = (fname, row, line)
                    kinds[rid] = kind
                continue
            rid = obj.id
            problem = _id_problem(obj, kind)
            if problem:
                errors.append(_err(fname, row, line, rid, problem))
            if not obj.sources:
                errors.append(_err(fname, row, line, rid, "sources: 种子记录必须注明来源 / a seed record needs sources"))
            if rid in where_id:
                f0, r0, l0 = where_id[rid]
                errors.append(_err(fname, row, line, rid,
                                   f"id: 编号 '{rid}' 重复（已见于 {f0} row {r0}"
                                   f"{f' line {l0}' if l0 else ''}）/ duplicate id '{rid}' "
                                   f"(already used in {f0} row {r0})"))
                continue
            where_id[rid] = (fname, row, line)
            kinds[rid] = kind
            data = obj.model_dump(exclude_none=True)
            if kind == "document":
                doc_files.add(obj.file)
            pending_sources.append((fname, row, line, rid, obj.sources))
            entities.append(data)

    relations: list[dict] = []
    seen_rel: dict[str, tuple[int, Optional[int]]] = {}
    path = base / RELATIONS_FILE
    if not path.exists():
        errors.append(_err(RELATIONS_FILE, None, None, None, "文件不存在 / the file is missing"))
    else:
        for row, line, rec in _read_file(path, errors):
            if not isinstance(rec, dict):
                errors.append(_err(RELATIONS_FILE, row, line, None, "记录应为键值映射 / a record must be a mapping"))
                continue
            label = f"{rec.get('source')}>{rec.get('type')}>{rec.get('target')}"
            try:
                rel = validate_relation(rec)
                check_endpoints(rel, kinds.get(rel.source), kinds.get(rel.target))
            except RegistryError as exc:
                errors.append(_err(RELATIONS_FILE, row, line, label, exc.message))
                continue
            rid = relation_id(rel.type, rel.source, rel.target)
            if not rel.sources:
                errors.append(_err(RELATIONS_FILE, row, line, rid,
                                   "sources: 种子关系必须注明来源 / a seed relation needs sources"))
            if rid in seen_rel:
                r0, l0 = seen_rel[rid]
                errors.append(_err(RELATIONS_FILE, row, line, rid,
                                   f"重复的关系（已见于 row {r0}{f' line {l0}' if l0 else ''}）/ "
                                   f"duplicate relation (already at row {r0}): merge the sources into one record"))
                continue
            seen_rel[rid] = (row, line)
            pending_sources.append((RELATIONS_FILE, row, line, rid, rel.sources))
            relations.append({"id": rid, **rel.model_dump(exclude_none=True)})

    # every cited document must be one of documents.yaml's files
    if doc_files:
        for fname, row, line, rid, sources in pending_sources:
            for i, s in enumerate(sources, 1):
                if s.doc and s.doc not in doc_files:
                    errors.append(_err(fname, row, line, rid,
                                       f"sources.{i}.doc: '{s.doc}' 不在 documents.yaml 中 / "
                                       f"'{s.doc}' is not a file listed in documents.yaml"))

    if errors:
        raise InvalidInput(format_errors(errors), details=errors)
    return entities, relations


def _id_problem(obj, kind: str) -> Optional[str]:
    if kind == "project":
        want = PROJECT_PREFIX.get(obj.project_type)
        if want and not obj.id.startswith(want):
            return (f"id: 类型为 {obj.project_type} 的项目编号应以 '{want}' 开头，'{obj.id}' 不是 / "
                    f"a {obj.project_type} id must start with '{want}'")
        return None
    prefixes = ID_PREFIXES[kind]
    if not obj.id.startswith(prefixes):
        return (f"id: {kind} 的编号应以 {' 或 '.join(prefixes)} 开头，'{obj.id}' 不是 / "
                f"a {kind} id must start with {' or '.join(prefixes)}")
    return None


# --- quotes ---------------------------------------------------------------------------

def _document_text(path: str) -> Optional[str]:
    return document_text(path)


def _sources_of(records: Iterable[dict], label) -> Iterable[tuple[str, int, dict]]:
    for rec in records:
        for i, s in enumerate(rec.get("sources") or [], 1):
            yield label(rec), i, s


def check_quotes(entities: list[dict], relations: list[dict],
                 docs_dir: Optional[str | Path] = None) -> list[str]:
    """Problems where a source's quote is not found verbatim in the document it cites.

    Whitespace and line breaks are removed from both the quote and the document
    before comparing; nothing else is normalised (punctuation must match).
    """
    base = Path(docs_dir) if docs_dir is not None else documents_dir()
    problems: list[str] = []
    items = list(_sources_of(entities, lambda r: f"{r.get('kind')} {r.get('id')}"))
    items += list(_sources_of(relations, lambda r: f"relation {r.get('id')}"))
    for label, i, s in items:
        doc = s.get("doc")
        if not doc:
            continue
        text = _document_text(str(base / doc))
        if text is None:
            problems.append(f"{label} source {i}: 文件不存在 / document '{doc}' not found in {base}")
            continue
        if not normalise(s.get("quote") or ""):
            problems.append(f"{label} source {i}: 缺少引文 / no quote for '{doc}'")
        elif not quote_found(s.get("quote"), text):
            problems.append(f"{label} source {i}: 引文未在 {doc} 中找到 / quote not found in {doc}: "
                            f"{s.get('quote')!r}")
    return problems


# --- cross-record checks ----------------------------------------------------------------

def check_consistency(entities: list[dict], relations: list[dict]) -> list[str]:
    """Rules across records that the model cannot check one record at a time.

    * each name in a target's ``responsible_units`` is the name or an alias of exactly one
      gov_unit / platform / enterprise, and that unit has a RESPONSIBLE_FOR relation to the
      target; and every RESPONSIBLE_FOR relation into a target comes from one of them;
    * every segment but the root is PART_OF another segment;
    * a FEEDS relation does not point from a segment to itself.
    """
    problems: list[str] = []
    by_name: dict[str, list[str]] = {}
    for e in entities:
        if e["kind"] in ("gov_unit", "platform", "enterprise"):
            for n in [e["name"], *e.get("aliases", [])]:
                by_name.setdefault(n, []).append(e["id"])
    resp: dict[str, set[str]] = {}
    for r in relations:
        if r["type"] == "RESPONSIBLE_FOR":
            resp.setdefault(r["target"], set()).add(r["source"])
    for t in (e for e in entities if e["kind"] == "target"):
        wanted: set[str] = set()
        for unit in t.get("responsible_units", []):
            ids = by_name.get(unit, [])
            if len(ids) != 1:
                problems.append(f"target {t['id']}: 责任单位 '{unit}' 对应 {len(ids)} 条记录 / "
                                f"responsible unit '{unit}' matches {len(ids)} records {ids}")
                continue
            wanted.add(ids[0])
        have = resp.get(t["id"], set())
        for missing in sorted(wanted - have):
            problems.append(f"target {t['id']}: 缺少 {missing} -RESPONSIBLE_FOR-> {t['id']} / "
                            f"missing RESPONSIBLE_FOR from {missing}")
        for extra in sorted(have - wanted):
            problems.append(f"target {t['id']}: {extra} 不在 responsible_units 中 / "
                            f"RESPONSIBLE_FOR from {extra}, which is not in responsible_units")
    parents = {r["source"] for r in relations if r["type"] == "PART_OF"}
    roots = [e["id"] for e in entities if e["kind"] == "segment" and e["id"] not in parents]
    if len(roots) != 1:
        problems.append(f"segments: 应只有一个根环节，实有 {roots} / expected one root segment, found {roots}")
    for r in relations:
        if r["type"] == "FEEDS" and r["source"] == r["target"]:
            problems.append(f"relation {r['id']}: 环节不能供给自身 / a segment cannot feed itself")
    return problems
