"""From a document's proposals and a reviewer's decisions to one all-or-nothing change set (issue 14).

``registry.ingest.propose`` reads a plan, opinion or report into proposals, each with its verbatim quote.
Nothing of it reaches the registry until a person has looked at each proposal and said what to do with it.
This module turns the proposals and those decisions into what the import writes:

- :func:`plan_ingest` — every proposal's outcome, without writing anything: a record to **create** (with the
  document as its source: ``{doc, section, quote}``), an existing record matched exactly (by id, name or
  alias of the same kind) that only gains the **source** (its fields are never overwritten), a task or
  relation that already **exists**, a **near** match that waits for the reviewer ("same as record X" or
  "new"), or a **problem** in words (an edited value the model refuses, a relation whose end was not
  accepted…) that blocks the apply until the reviewer edits or rejects the proposal. Undecided proposals
  are *pending*: never written. The document itself becomes a ``document`` record (its file name and title).
- :func:`apply_ingest` — the plan through ``registry.importer.apply_import``: one ``GraphStore.atomic`` call
  with its precheck, one change set (an ``import`` head naming the document, one ``import_item`` per record,
  relation and plan task), undone as one step by ``registry.importer.undo_import``.

Decisions are a dict keyed by proposal key (``task:0``, ``tgt:3``, ``org:12``, ``seg:1``, ``rel:4``, the
group's prefix and the proposal's position in its list) → ``{"do": "accept" | "reject", "edit": {field:
value}, "match": "new" | "<record id>"}``; ``"document"`` → ``{"name": title}``. Edits are validated by the
model as every other write is; the error names the field in Chinese and English.

Proposals may carry ``segments`` (chain segments and products the text lists, each with its ``parent``) and
relations of any type the model allows (``registry.model.RELATION_TYPES``). A ``CHAIN_LEADER`` or ``LEADING``
statement whose other end is no segment in the registry (以中国稀土集团为链主: the chain of the plan itself)
gives the firm the role ``chain_leader`` / ``leading`` instead, with the sentence as its source.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from . import importer
from .errors import InvalidInput
from .messages import text as msg
from .model import (
    KINDS,
    RELATION_TYPES,
    ROLE_CHAIN_LEADER,
    ROLE_LEADING,
    check_endpoints,
    validate_entity,
    validate_relation,
)
from .quotes import normalise, quote_found
from .repository import (
    Registry,
    _record_fields,
    entity_out,
    entity_props,
    now_iso,
    relation_props,
    sort_key,
)
from .tasks import DEFAULT_STATUS, validate_task

GROUPS = ("tasks", "targets", "organisations", "segments", "relations")
PREFIX = {"tasks": "task", "targets": "tgt", "organisations": "org", "segments": "seg", "relations": "rel"}
GROUP_OF = {v: k for k, v in PREFIX.items()}
EDITABLE = {
    "tasks": ("title", "responsible_units"),
    "targets": ("metric", "comparison", "value", "value_max", "unit", "period", "deadline_year"),
    "organisations": ("name",),
    "segments": ("name",),
    "relations": (),
}
ID_PREFIX = {"enterprise": "ent", "platform": "plt", "project": "prj", "gov_unit": "gov", "segment": "seg",
             "target": "tgt", "document": "doc"}
ORG_KIND = {"enterprise": "enterprise", "platform": "platform", "project": "project", "park": "project",
            "gov_unit": "gov_unit"}
ROLE_OF_TYPE = {"CHAIN_LEADER": ROLE_CHAIN_LEADER, "LEADING": ROLE_LEADING}
CMP_WORD = {"reach": "达", "exceeds": "突破", "at_least": "", "range": "", "at_most": "不超过", "approx": "约",
            "per_year": "每年"}
MAX_QUOTE = 1000
MAX_KEYS = 5000

Q_DOCUMENT_BY_FILE = ("MATCH (n:Entity) WHERE n.kind = 'document' AND n.file = $file "
                      "RETURN n.id AS id, n.name AS name ORDER BY n.id")
Q_TARGETS = ("MATCH (n:Entity) WHERE n.kind = 'target' "
             "RETURN n.id AS id, n.value AS value, n.unit AS unit, n.clause AS clause, n.sources_json AS sources_json")
Q_REGISTRY_STAMP = "MATCH (n:Entity) RETURN count(n) AS n, max(n.updated_at) AS at"
Q_TASKS_BY_ID = "MATCH (t:PlanTask) WHERE t.id IN $ids RETURN t.id AS id, t.title AS title, t.number AS number"

_UNIT_CLAUSE = re.compile(r"[〔（(\[【]\s*(?:牵头单位|责任单位|牵头部门|责任部门|配合单位)\s*[：:][^〔〕（）()\[\]【】]*[〕）)\]】]")
_PLAN_PERIOD = re.compile(r"[（(](20\d\d)\s*[-—–~～至到]\s*(20\d\d)年?[）)]")
_ACTION = re.compile(r"（[一二三四五六七八九十]+）[^\s（]*")
_TITLE = re.compile(r"《([^《》\n]{4,120})》")


# ---------------------------------------------------------------- what the review shows, per proposal
@dataclass
class Row:
    key: str
    group: str
    index: int
    proposal: dict
    status: str = "pending"            # pending | accepted | rejected
    outcome: str = ""                  # create | source | exists | role | near | problem | "" (pending/rejected)
    kind: str | None = None            # the record kind written (or "relation", "task")
    id: str | None = None              # the record's id (created or matched)
    name: str = ""                     # as it will be written (edits applied)
    edit: dict = field(default_factory=dict)
    match: str | None = None           # the reviewer's "new" / "<id>" for a near match
    near: list[dict] = field(default_factory=list)
    problem: tuple[str, str] | None = None   # (zh, en)
    note: tuple[str, str] | None = None      # said, but not blocking (a parent segment not written…)

    def as_dict(self) -> dict[str, Any]:
        out = {"key": self.key, "group": self.group, "status": self.status, "outcome": self.outcome,
               "kind": self.kind, "id": self.id, "name": self.name}
        if self.edit:
            out["edit"] = self.edit
        if self.near:
            out["near"] = self.near
        if self.problem:
            out["problem"] = " / ".join(self.problem)
        if self.note:
            out["note"] = " / ".join(self.note)
        return out


@dataclass
class Review:
    file: str
    document: dict                     # {id, name, file, quote, section, action: create | exists}
    rows: list[Row]
    plan: importer.Plan

    def of(self, group: str) -> list[Row]:
        return [r for r in self.rows if r.group == group]

    @property
    def problems(self) -> list[Row]:
        return [r for r in self.rows if r.status == "accepted" and r.outcome in ("problem", "near")]

    @property
    def counts(self) -> dict[str, int]:
        c = {"pending": 0, "accepted": 0, "rejected": 0, "problems": len(self.problems)}
        for r in self.rows:
            c[r.status] += 1
        c["writes"] = (len([i for i in self.plan.items if i.action in ("create", "change")]) + len(self.plan.tasks))
        return c

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "document": self.document, "counts": self.counts,
                "rows": [r.as_dict() for r in self.rows]}


def proposal_rows(proposals: dict) -> list[Row]:
    """Every proposal with its key, in the review's group order."""
    rows = []
    for group in GROUPS:
        for i, p in enumerate(proposals.get(group) or []):
            rows.append(Row(f"{PREFIX[group]}:{i}", group, i, p, name=_label(group, p)))
    return rows


def _label(group: str, p: dict) -> str:
    if group == "tasks":
        return f"{p.get('number')}．{p.get('title', '')}"
    if group == "targets":
        return target_name(p)
    if group == "relations":
        return f"{p.get('source') or '?'} → {p.get('target') or '?'}"
    return p.get("name") or ""


def target_name(t: dict) -> str:
    """A target's name as the seed writes them: 到2026年集群规模以上企业达50家."""
    year = t.get("deadline_year") or t.get("year")
    qty = t.get("number_text") or _qty(t)
    cmp = t.get("comparison") or "reach"
    tail = "以上" if cmp == "at_least" and not str(qty).endswith("以上") else ""
    head = f"到{year}年" if year and cmp != "per_year" else ""
    return f"{head}{t.get('metric') or ''}{CMP_WORD.get(cmp, '')}{qty}{tail}"[:200]


def _qty(t: dict) -> str:
    def num(v):
        if v is None:
            return ""
        try:
            f = float(v)
        except (TypeError, ValueError):
            return str(v)  # an edit the model will refuse, shown as typed
        return str(int(f)) if f.is_integer() else str(f)
    v, vmax = num(t.get("value")), num(t.get("value_max"))
    return f"{v}-{vmax}{t.get('unit') or ''}" if vmax else f"{v}{t.get('unit') or ''}"


def document_title(text: str) -> tuple[str, str]:
    """(title, the line it was read from): the name in 《》 of the first such line (关于印发《…》的通知), else the
    first short line of the text."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for ln in lines[:15]:
        m = _TITLE.search(ln)
        if m:
            return m.group(1), ln
    for ln in lines[:15]:
        if 4 <= len(ln) <= 80:
            return ln, ln
    first = lines[0][:80] if lines else ""
    return first, first


# ---------------------------------------------------------------- decisions from a form or JSON
def clean_decisions(raw: dict) -> dict[str, dict]:
    """Decisions as sent (a form's fields or JSON) kept to what the review understands: known key shapes,
    ``do`` accept/reject, edits of the group's editable fields, short texts."""
    out: dict[str, dict] = {}
    if not isinstance(raw, dict):
        raise InvalidInput("decisions: 应为对象 / decisions must be an object")
    for key, d in list(raw.items())[:MAX_KEYS]:
        if key == "document":
            name = str((d or {}).get("name") or "").strip()[:200] if isinstance(d, dict) else ""
            if name:
                out["document"] = {"name": name}
            continue
        prefix, _, num = str(key).partition(":")
        if prefix not in GROUP_OF or not num.isdigit() or not isinstance(d, dict):
            continue
        group = GROUP_OF[prefix]
        entry: dict[str, Any] = {}
        if d.get("do") in ("accept", "reject"):
            entry["do"] = d["do"]
        edit = d.get("edit") if isinstance(d.get("edit"), dict) else {}
        edit = {f: (v if isinstance(v, (int, float, list)) else str(v).strip()[:1000])
                for f, v in edit.items() if f in EDITABLE[group] and v is not None}
        if edit:
            entry["edit"] = edit
        match = str(d.get("match") or "").strip()[:100]
        if match:
            entry["match"] = match
        if entry:
            out[f"{prefix}:{int(num)}"] = entry
    return out


# ---------------------------------------------------------------- planning
def plan_ingest(reg: Registry, proposals: dict, text: str, *, file: str, by: str,
                decisions: Optional[dict] = None) -> Review:
    """What applying the accepted proposals would write, without writing anything."""
    decisions = clean_decisions(decisions or {})
    at = now_iso()
    meta = {"created_at": at, "updated_at": at, "version": 1, "updated_by": by}
    body = normalise(text)
    index = stored_index(reg)
    planned: dict[str, str] = {}      # new id -> kind (ids this plan takes)
    rows = proposal_rows(proposals)
    for r in rows:
        d = decisions.get(r.key, {})
        r.status = {"accept": "accepted", "reject": "rejected"}.get(d.get("do"), "pending")
        r.edit = dict(d.get("edit") or {})
        r.match = d.get("match")

    def new_id(kind: str, name: str, hint: str = "") -> str:
        """A short readable id: the pinyin of the name without place and company form (ent-jinliyongci)."""
        core = importer.core_name(name) if kind in importer.ENTITY_KINDS else name
        slug = re.sub(r"[^a-z0-9]+", "-", sort_key(core or name).lower()).strip("-")[:40].strip("-")
        slug = slug or uuid.uuid4().hex[:8]
        base = f"{ID_PREFIX[kind]}-{slug}{hint}"
        rid, n = base, 2
        while rid in index.kind_of or rid in planned:
            rid, n = f"{base}-{n}", n + 1
        planned[rid] = kind
        return rid

    def source(p: dict) -> dict:
        return {"doc": file, "section": (p.get("section") or "全文")[:500], "quote": (p.get("quote") or "")[:MAX_QUOTE],
                "basis": "explicit"}

    def problem(r: Row, zh: str, en: str) -> None:
        r.outcome, r.problem = "problem", (zh, en)

    # -- the document
    title_guess, title_line = document_title(text)
    doc_rows = reg.store.read(Q_DOCUMENT_BY_FILE, {"file": file})
    title = (decisions.get("document") or {}).get("name") or title_guess
    if doc_rows:
        document = {"id": doc_rows[0]["id"], "name": doc_rows[0]["name"], "file": file, "action": "exists"}
    else:
        document = {"id": None, "name": title, "file": file, "action": "create", "quote": title_line,
                    "section": "开头"}

    accepted = [r for r in rows if r.status == "accepted"]
    stored_targets = _StoredTargets(reg) if any(r.group == "targets" for r in accepted) else None
    for r in accepted:
        q = r.proposal.get("quote") or ""
        if not q or not quote_found(q, body):
            problem(r, "引文不在文件中，不能作为来源", "the quote is not in the document, so it cannot be a source")

    creates: dict[str, dict] = {}                # id -> {"row": Row, "record": dict}
    sources_added: dict[str, list[dict]] = {}    # existing id -> sources to add
    by_name: dict[tuple[str, str], str] = {}     # (kind, name) -> id this plan settles on
    name_to_ids: dict[str, set[str]] = {}        # any name (original or edited) -> ids

    def settle(r: Row, kind: str, name: str, record: dict, *, near_ok: bool = True) -> None:
        """An accepted record proposal: matched (source added) or created; near matches wait for the reviewer."""
        r.kind, r.name = kind, name
        record.setdefault("_slug", name)
        key = (kind, importer._norm(name))
        if key in by_name:                       # the same name twice in the document: one record
            r.id, r.outcome = by_name[key], ("create" if by_name[key] in creates else "source")
            _remember(r)
            if r.id in creates:
                creates[r.id]["record"]["sources"].append(source(r.proposal))
            else:
                sources_added.setdefault(r.id, []).append(source(r.proposal))
            return
        rid = None
        if r.match and r.match != "new":
            if index.kind_of.get(r.match) != kind:
                return problem(r, f"所选记录 {r.match} 不存在或不是{_kind_zh(kind)}",
                               f"the chosen record {r.match} does not exist or is not a {kind}")
            rid = r.match
        elif r.match != "new":
            same = index.named(kind, name)
            if len(same) > 1:
                return problem(r, f"库中有多条同名记录：{'、'.join(sorted(same)[:5])}，请选择",
                               f"several records have this name: {', '.join(sorted(same)[:5])}; choose one")
            if same:
                rid = next(iter(same))
            elif near_ok and kind in importer.ENTITY_KINDS:
                r.near = index.near(kind, name)
                if r.near:
                    r.outcome = "near"
                    r.problem = ("与库中记录相近：请选择“同一记录”或“新建”",
                                 "close to a stored record: choose \"the same\" or \"new\"")
                    return
        if rid is not None:
            record.pop("_slug", None), record.pop("_hint", None)
            r.id, r.outcome = rid, "source"
            sources_added.setdefault(rid, []).append(source(r.proposal))
        else:
            rid = new_id(kind, record.pop("_slug", name), record.pop("_hint", ""))
            r.id, r.outcome = rid, "create"
            creates[rid] = {"row": r, "record": {**record, "id": rid, "kind": kind, "name": name,
                                                 "sources": [source(r.proposal)]}}
        by_name[key] = rid
        _remember(r)

    def _remember(r: Row) -> None:
        for n in {r.name, r.proposal.get("name") or ""}:
            if n:
                name_to_ids.setdefault(n, set()).add(r.id)

    # -- organisations, segments, targets
    for r in accepted:
        if r.outcome == "problem":
            continue
        p = r.proposal
        if r.group == "organisations":
            # a name matched to a stored record of another kind (a target, the document itself) keeps that kind
            kind = ORG_KIND.get(p.get("kind") or "") or (p.get("kind") if p.get("kind") in KINDS else None)
            if kind is None:
                problem(r, f"未知的机构类型 {p.get('kind')!r}", f"unknown organisation kind {p.get('kind')!r}")
                continue
            extra = {"project_type": "park"} if p.get("kind") == "park" else {}
            settle(r, kind, (r.edit.get("name") or p.get("name") or "").strip(), extra)
        elif r.group == "segments":
            settle(r, "segment", (r.edit.get("name") or p.get("name") or "").strip(), {}, near_ok=False)
        elif r.group == "targets":
            t = {k: p.get(k) for k in ("metric", "comparison", "value", "value_max", "unit", "period")}
            t["deadline_year"] = p.get("deadline_year") or p.get("year")
            t.update(r.edit)
            rec = {k: v for k, v in t.items() if v not in (None, "")}
            rec["clause"] = (p.get("quote") or "")[:500]
            if p.get("qualifier"):
                rec["description"] = f"{p['qualifier']}：{p.get('quote', '')}"[:5000]
            name = target_name({**p, **t, "number_text": None if r.edit else p.get("number_text")})
            rec["_hint"] = f"-{t['deadline_year']}" if t.get("deadline_year") else ""
            rec["_slug"] = str(t.get("metric") or name)
            if not r.match and not r.edit:  # the same number in the same sentence is the stored target, whatever its name
                same = stored_targets.same(p)
                if same:
                    r.match = same
            settle(r, "target", name, rec, near_ok=False)

    # -- relations: ends among what this plan settles on, else stored records
    rel_items: list[tuple[Row, Any]] = []
    for r in accepted:
        if r.group != "relations" or r.outcome == "problem":
            continue
        p = r.proposal
        rtype = str(p.get("type") or "").strip().upper()
        r.kind = "relation"
        src_id, src_err = _resolve(p.get("source"), rtype, "source", name_to_ids, index, planned)
        tgt_id, tgt_err = _resolve(p.get("target"), rtype, "target", name_to_ids, index, planned)
        if rtype in ROLE_OF_TYPE and src_err:
            problem(r, *src_err)
            continue
        if rtype in ROLE_OF_TYPE and (tgt_id is None or rtype == "LEADING"):
            # 以X为链主 / X龙头: the chain of the plan itself, no segment record: the firm's role
            role = ROLE_OF_TYPE[rtype]
            if src_id not in creates or creates[src_id]["record"]["kind"] != "enterprise":
                if index.kind_of.get(src_id) == "enterprise" and role in _stored_roles(reg, src_id):
                    r.id, r.outcome, r.name = src_id, "exists", f"{index.name_of.get(src_id)}：{_role_zh(role)}"
                elif index.kind_of.get(src_id) == "enterprise" and src_id not in creates:
                    problem(r, f"{p.get('source')} 已在库中：本次读入不修改已有记录的角色，请在记录页添加“{_role_zh(role)}”后拒绝此条",
                            f"{p.get('source')} is already stored: ingestion does not change a stored record's roles; "
                            "add the role on its page and reject this proposal")
                else:
                    problem(r, f"{p.get('source')} 不是本次新建的企业，不能设为{_role_zh(role)}",
                            f"{p.get('source')} is not a firm this ingestion creates")
                continue
            rec = creates[src_id]["record"]
            rec["roles"] = list(dict.fromkeys([*(rec.get("roles") or []), role]))
            rec["sources"].append(source(p))
            r.id, r.outcome, r.name = src_id, "role", f"{rec['name']}：{_role_zh(role)}"
            continue
        if rtype not in RELATION_TYPES:
            problem(r, f"关系类型 {rtype or '（空）'} 不能写入登记库", f"relation type {rtype or '(none)'} cannot be stored")
            continue
        if src_err or tgt_err:
            zh, en = src_err or tgt_err
            problem(r, zh, en)
            continue
        try:
            rel = validate_relation({"type": rtype, "source": src_id, "target": tgt_id, "sources": [source(p)]})
            check_endpoints(rel, planned.get(src_id) or index.kind_of.get(src_id),
                            planned.get(tgt_id) or index.kind_of.get(tgt_id))
        except InvalidInput as exc:
            problem(r, *_split(exc.message))
            continue
        r.id, r.outcome = rel.id, "create"
        rel_items.append((r, rel))

    # -- segments' parents: PART_OF where the parent is settled or stored
    for r in accepted:
        if r.group != "segments" or r.outcome not in ("create", "source") or not r.proposal.get("parent"):
            continue
        pid, err = _resolve(r.proposal["parent"], "PART_OF", "target", name_to_ids, index, planned)
        if err or pid == r.id:
            r.note = (f"上级环节“{r.proposal['parent']}”未接受，也不在库中：不写入上级关系",
                      f"parent segment {r.proposal['parent']!r} was not accepted and is not stored: no PART_OF written")
            continue
        rel = validate_relation({"type": "PART_OF", "source": r.id, "target": pid, "sources": [source(r.proposal)]})
        rel_items.append((r, rel))

    # -- validate what is created, build the importer's plan
    plan = importer.Plan(file=file, document=file, messages="ingestweb")
    for rid, c in creates.items():
        r = c["row"]
        try:
            entity = validate_entity(c["record"])
        except InvalidInput as exc:
            for row in rows:  # every proposal that settled on it shows the refusal
                if row.id == rid and row.status == "accepted":
                    problem(row, *_split(exc.message))
            continue
        plan.items.append(importer.Item(_group_zh(r.group), r.index + 1, entity.kind, rid, entity.name, "create",
                                        props=entity_props(entity, meta=meta), key=r.key))
    stored = {}
    ids = sorted(sources_added)
    for chunk in importer._chunks(ids):
        stored.update({x["n"]["id"]: x["n"] for x in reg.store.read(importer.Q_GET_MANY, {"ids": chunk})})
    for rid in ids:
        row = next(r for r in rows if r.id == rid and r.outcome == "source")
        current = entity_out(stored[rid])
        old = _record_fields(current)
        cited = {s.get("doc") for s in old.get("sources") or []}
        new = [s for s in sources_added[rid] if s["doc"] not in cited]  # already sourced to this document: left as it is
        new = list({(s["doc"], s["quote"]): s for s in new}.values())
        if not new:
            for r in rows:
                if r.id == rid and r.outcome == "source":
                    r.outcome = "exists"
            continue
        try:
            entity = validate_entity({**old, "sources": [*(old.get("sources") or []), *new]})
        except InvalidInput as exc:
            problem(row, *_split(exc.message))
            continue
        props = entity_props(entity, meta={"created_at": current.get("created_at", at), "updated_at": at,
                                           "version": current["version"] + 1, "updated_by": by})
        plan.items.append(importer.Item(_group_zh(row.group), row.index + 1, entity.kind, rid, entity.name, "change",
                                        fields=[{"field": "sources", "before": None, "after": new}], props=props,
                                        version=current["version"], before=old, stored=stored[rid], key=row.key))
    # relations: not twice, not one that is stored already, not one whose end failed validation
    failed = {r.id for r in rows if r.outcome == "problem" and r.group != "relations"}
    keys = [{"id": rel.id, "source": rel.source, "target": rel.target} for _, rel in rel_items]
    stored_rels = set()
    for chunk in importer._chunks(keys):
        stored_rels |= {x["r"]["id"] for x in reg.store.read(importer.Q_REL_BY_ID, {"rows": chunk})}
    seen: set[str] = set()
    for r, rel in rel_items:
        if rel.source in failed or rel.target in failed:
            if r.group == "relations":
                problem(r, "关系的一端未能写入（见该条的问题）", "an end of the relation cannot be written (see its problem)")
            continue
        if rel.id in stored_rels or rel.id in seen:
            if r.group == "relations":
                r.outcome = "exists"
            continue
        seen.add(rel.id)
        names = f"{index.name_of.get(rel.source) or _created_name(creates, rel.source)} → " \
                f"{index.name_of.get(rel.target) or _created_name(creates, rel.target)}"
        props = relation_props(rel, meta=meta)
        plan.items.append(importer.Item(_group_zh(r.group), r.index + 1, "relation", rel.id, names, "create",
                                        props=props, rel={"type": rel.type, "source": rel.source, "target": rel.target},
                                        key=r.key))

    # -- plan tasks
    period = _PLAN_PERIOD.search(text)
    period = f"{period.group(1)}-{period.group(2)}" if period else None
    task_rows = [r for r in accepted if r.group == "tasks" and r.outcome != "problem"]
    existing = {}
    tids = [f"task-{int(r.proposal.get('number') or 0):02d}" for r in task_rows]
    for chunk in importer._chunks(tids):
        existing.update({x["id"]: x for x in reg.store.read(Q_TASKS_BY_ID, {"ids": chunk})})
    numbers: dict[int, str] = {}
    target_rows = [r for r in accepted if r.group == "targets" and r.outcome == "create"
                   and r.id in {i.id for i in plan.items}]
    for r in task_rows:
        p = r.proposal
        r.kind = "task"
        number = p.get("number")
        title = (r.edit.get("title") or p.get("title") or "").strip()
        units = r.edit.get("responsible_units", p.get("responsible_units") or [])
        if isinstance(units, str):
            units = [u.strip() for u in re.split(r"[、;；,，\n]", units) if u.strip()]
        tid = f"task-{int(number or 0):02d}"
        r.id, r.name = tid, f"{number}．{title}"
        if number in numbers:
            problem(r, f"任务编号 {number} 重复（见 {numbers[number]}）", f"task number {number} twice (see {numbers[number]})")
            continue
        numbers[number] = r.key
        if tid in existing:
            if existing[tid].get("title") == title:
                r.outcome = "exists"
            else:
                problem(r, f"库中已有任务 {number}（{existing[tid].get('title')}），编号不能重复",
                        f"task {number} is already stored ({existing[tid].get('title')}); numbers cannot repeat")
            continue
        section = p.get("section") or ""
        quote = p.get("quote") or ""
        action = _ACTION.search(section)
        task = {"id": tid, "number": number, "title": title, "clause": _UNIT_CLAUSE.sub("", quote).strip()[:2000] or quote[:2000],
                "responsible_units": units, "period": period, "action": action.group(0) if action else None,
                "targets": [t.id for t in target_rows if section and (t.proposal.get("section") or "") == section],
                "sources": [source(p)]}
        try:
            facts = validate_task({k: v for k, v in task.items() if v is not None}).model_dump(exclude_none=True,
                                                                                              mode="json")
        except InvalidInput as exc:
            problem(r, *_split(exc.message))
            continue
        props = {k: v for k, v in facts.items() if k != "sources"}
        props.update({"sources_json": json.dumps(facts.get("sources", []), ensure_ascii=False),
                      "content_hash": hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()).hexdigest(),
                      "status": DEFAULT_STATUS, "notes_json": "[]", **meta})
        r.outcome = "create"
        plan.tasks.append(importer.Item(_group_zh("tasks"), r.index + 1, "task", tid, r.name, "create", props=props,
                                        stored=facts, key=r.key))

    # -- the document record, when anything is written
    if document["action"] == "create" and (plan.items or plan.tasks):
        doc_id = new_id("document", document["name"])
        try:
            entity = validate_entity({"id": doc_id, "kind": "document", "name": document["name"], "file": file,
                                      "sources": [{"doc": file, "section": "开头", "quote": document["quote"][:MAX_QUOTE]}]})
            document["id"] = doc_id
            plan.items.insert(0, importer.Item(_group_zh("document"), 1, "document", doc_id, entity.name, "create",
                                               props=entity_props(entity, meta=meta), key="document"))
        except InvalidInput as exc:
            document["problem"] = exc.message
    return Review(file=file, document=document, rows=rows, plan=plan)


_INDEX_CACHE: dict[str, Any] = {}
_INDEX_LOCK = threading.Lock()


def stored_index(reg: Registry):
    """The importer's matching index (ids, names, aliases, credit codes, near-duplicate pairs) of every stored
    record. Building it takes seconds at 100 000 firms, and the review page plans on every view and every
    button: it is kept while the registry's records are as they were (their count and latest update), one
    registry at a time. A stale index cannot write wrong data: the apply's precheck refuses records created,
    changed or deleted since."""
    row = reg.store.read(Q_REGISTRY_STAMP, {})[0]
    key = f"{id(reg.store)}:{getattr(reg.store, 'graph_name', '')}:{row['n']}:{row['at']}"
    with _INDEX_LOCK:
        if _INDEX_CACHE.get("key") == key:
            return _INDEX_CACHE["index"]
    index = importer._Index(reg.store.read(importer.Q_INDEX, {"kinds": list(KINDS)}, slow=True))
    with _INDEX_LOCK:
        _INDEX_CACHE.update(key=key, index=index)
    return index


def registry_names(reg: Registry) -> dict[str, tuple[str, str]]:
    """Name and every alias of each stored record → (id, kind): what ``propose`` matches its names against."""
    out: dict[str, tuple[str, str]] = {}
    for r in reg.store.read(importer.Q_INDEX, {"kinds": list(KINDS)}, slow=True):
        for n in (r.get("name"), *(r.get("aliases") or [])):
            if n and n not in out:
                out[n] = (r["id"], r["kind"])
    return out


def _resolve(name: Any, rtype: str, end: str, name_to_ids: dict, index, planned: dict):
    """(id, None) or (None, (zh, en)): a relation end by name, among this plan's records, then stored ones."""
    name = str(name or "").strip()
    if not name:
        return None, ("关系缺少一端", "the relation lacks an end")
    spec = RELATION_TYPES.get(rtype)
    allowed = (spec[0] if end == "source" else spec[1]) if spec else None

    def fits(i):
        kind = planned.get(i) or index.kind_of.get(i)
        return allowed is None or kind in allowed
    found = {i for i in name_to_ids.get(name, set()) if fits(i)}
    if not found:
        found = {i for i in index.named(None, name) if fits(i)}
    if len(found) == 1:
        return next(iter(found)), None
    if len(found) > 1:
        return None, (f"“{name}”对应多条记录：{'、'.join(sorted(found)[:5])}", f"{name!r} names several records")
    return None, (f"关系一端“{name}”未被接受，也不在库中", f"the relation's end {name!r} was not accepted and is not stored")


class _StoredTargets:
    """The stored targets, to find the one a proposed target is: the same value and unit, and a sentence of
    the stored one (its clause or a source's quote) within the proposal's quote or the other way round."""

    def __init__(self, reg: Registry):
        self.rows = []
        for r in reg.store.read(Q_TARGETS, {}):
            texts = [r.get("clause") or ""] + [s.get("quote") or "" for s in json.loads(r.get("sources_json") or "[]")]
            self.rows.append((r["id"], r.get("value"), r.get("unit"), [normalise(t) for t in texts if t]))

    def same(self, p: dict) -> str | None:
        quote = normalise(p.get("quote") or "")
        if not quote or p.get("value") is None:
            return None
        for rid, value, unit, texts in self.rows:
            if value is not None and float(value) == float(p["value"]) and unit == p.get("unit") and \
                    any(t in quote or quote in t for t in texts):
                return rid
        return None


def _stored_roles(reg: Registry, rid: str) -> list[str]:
    rows = reg.store.read(importer.Q_GET_MANY, {"ids": [rid]})
    return list(rows[0]["n"].get("roles") or []) if rows else []


def _created_name(creates: dict, rid: str) -> str:
    c = creates.get(rid)
    return c["record"]["name"] if c else rid


def _split(message: str) -> tuple[str, str]:
    zh, sep, en = message.partition(" / ")
    return (zh, en) if sep else (message, message)


def _kind_zh(kind: str) -> str:
    return msg(f"label.kind.{kind}", "zh")


def _role_zh(role: str) -> str:
    return msg(f"label.role.{role}", "zh")


def _group_zh(group: str) -> str:
    return msg(f"ui.ingestweb.group.{group}", "zh")


# ---------------------------------------------------------------- applying
def apply_ingest(reg: Registry, review: Review, *, by: str, why: str, progress=None) -> dict[str, Any]:
    """Write the review's plan as one change set, all or nothing. Refused (InvalidInput, nothing written)
    without a reason, while an accepted proposal has a problem or waits for a near-match choice, or when
    nothing was accepted."""
    if not why or not why.strip():
        raise InvalidInput("why: 请填写理由（记入变更日志）/ say why (it goes into the change log)",
                           details=[{"field": "why", "message": "required"}])
    bad = review.problems
    if bad:
        raise InvalidInput(f"有 {len(bad)} 条已接受的提议尚有问题（见各条说明），未写入任何内容；请修改或拒绝它们 / "
                           f"{len(bad)} accepted proposals have problems (see each); nothing was written: edit or "
                           "reject them", details=[{"field": r.key, "message": " / ".join(r.problem or ("", ""))}
                                                   for r in bad[:200]])
    if review.document.get("problem"):
        raise InvalidInput(f"document: {review.document['problem']}")
    if not any(i.action in ("create", "change") for i in review.plan.items) and not review.plan.tasks:
        raise InvalidInput("没有要写入的内容：请先接受至少一条提议 / nothing to write: accept at least one proposal")
    summary = importer.apply_import(reg, review.plan, by=by, why=why.strip(), progress=progress)
    summary["tasks"] = len(review.plan.tasks)
    summary["document"] = review.document.get("id")
    return summary


def accept_all(proposals: dict, groups: Iterable[str] = GROUPS) -> dict[str, dict]:
    """Decisions accepting every proposal of ``groups`` (the CLI's ``--accept-all``, the page's buttons)."""
    return {f"{PREFIX[g]}:{i}": {"do": "accept"} for g in groups for i in range(len(proposals.get(g) or []))}
