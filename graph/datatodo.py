"""The data to-do list: what the registry lacks that the analysis needs, each line with its fix.

``data_todo(G)`` walks the analysis graph once (through the chain index) and
returns plain data: items grouped by ``code`` (``CODES`` order), counted, local
firms first inside each group.  Each item names the record it concerns, the
field(s) to fill, what analysis needs them (``needed_for``, codes), the plan's
clauses that name the record (``clauses``), a ``reason`` (a message) and a
``fix``: ``{"action": "edit", "id", "kind", "field"}`` for a field of one
record, or ``{"action": "import", "kind", "field", "values"}`` where the fix is
to bring records in (a segment no firm is in; a target whose data no record
carries).  ``template`` is the item as pre-filled rows of the import template
(``[{"kind", "row"}]``, field -> value as the template's columns name them:
an enterprise's own fields, or a relation's type and ends by name), so the
whole list can go out to Excel and come back through the import.

The data gaps the gap report used to list (missing segment, locality,
location or credit code; relations whose only basis is implied) are here.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import lazy_pinyin

from registry.messages import message
from registry.model import LOCAL, OUTSIDE_SET

from ._chain import Chain, clean_sources, locality
from .targets import _target_progress

__all__ = ["data_todo", "todo_items", "CODES", "USES"]

# the order of the groups: what hides a local firm from the analysis first, then what the targets and the
# gaps cannot see, then the evidence
CODES = ("segment_missing", "locality_missing", "target_unmeasurable", "segment_empty", "credit_code_missing",
         "location_missing", "relation_implied")
# what a line is needed for (label group todo_use)
USES = ("coverage", "segment_gaps", "candidates", "dependence", "targets", "matching", "partner_lists", "evidence")
NEEDED_FOR = {
    "segment_missing": ("coverage", "segment_gaps", "candidates"),
    "locality_missing": ("coverage", "candidates", "dependence"),
    "target_unmeasurable": ("targets",),
    "segment_empty": ("segment_gaps", "candidates"),
    "credit_code_missing": ("matching",),
    "location_missing": ("partner_lists",),
    "relation_implied": ("evidence",),
}
# "ganzhou": placed in Ganzhou without saying whether in the cluster
UNPLACED = ("unknown", "ganzhou")
CLAUSES = 3
PLACED_KINDS = ("enterprise", "platform", "project")  # the kinds that have a locality


@lru_cache(maxsize=8192)
def _pinyin(name: str) -> str:
    return " ".join(s.lower() for s in lazy_pinyin(name, errors="default"))


def _rank(loc: str) -> int:
    """Local firms first, then those not yet placed, then the rest."""
    return 0 if loc == LOCAL else (1 if loc in UNPLACED else 2)


def _clauses(sources) -> list[dict]:
    """The plan's clauses that name a record: its sources with a document, explicit ones first."""
    got = [s for s in clean_sources(sources) if s.get("doc")]
    got.sort(key=lambda s: s.get("basis") == "implied")
    seen, out = set(), []
    for s in got:
        key = (s.get("doc"), s.get("section"))
        if key in seen:
            continue
        seen.add(key)
        out.append({k: s[k] for k in ("doc", "section", "quote") if s.get(k)})
        if len(out) == CLAUSES:
            break
    return out


def _item(chain: Chain, code: str, n: str, fields: list[str], reason: dict, fix: dict, template: dict,
          **extra) -> dict:
    d = chain.node.get(n) or {}
    loc = (d.get("locality") or "unknown") if d.get("kind") in PLACED_KINDS else None
    item = {
        "code": code,
        "id": n,
        "kind": d.get("kind"),
        "name": d.get("name") or n,
        "locality": loc,
        "local": loc == LOCAL,
        "fields": fields,
        "needed_for": list(NEEDED_FOR[code]),
        "reason": reason,
        "clauses": _clauses(d.get("sources")),
        "fix": fix,
        "template": template,
    }
    item.update(extra)
    return item


def _edit(chain: Chain, n: str, field: str) -> dict:
    return {"action": "edit", "id": n, "kind": chain.kind(n), "field": field}


def _firm_row(chain: Chain, n: str, *fields: str) -> list[dict]:
    """An enterprise as a row of the import template: its id, name and locality, and the fields to fill as
    the registry has them (blank where missing: the import never erases with a blank)."""
    d = chain.node[n]
    row = {"id": n, "name": d.get("name") or n, "locality": d.get("locality") or "unknown"}
    for f in fields:
        v = d.get(f)
        row[f] = list(v) if isinstance(v, (list, tuple)) else v
    return [{"kind": "enterprise", "row": row}]


def _in_segment_row(firm: str | None, segment: str | None, chain: Chain) -> list[dict]:
    """A segment membership to complete: the relation sheet names its ends (the import takes names or ids)."""
    return [{"kind": "relation", "row": {"type": "IN_SEGMENT", "source": chain.name(firm) if firm else None,
                                         "target": chain.name(segment) if segment else None}}]


def _firm_items(chain: Chain) -> list[dict]:
    out = []
    for n in chain.by_kind.get("enterprise", ()):
        d = chain.node[n]
        loc = d.get("locality") or "unknown"
        name = chain.name(n)
        where = locality(loc)
        if not chain.ent_segs.get(n):
            out.append(_item(chain, "segment_missing", n, ["segment"],
                             message("todo.reason.segment_missing", name=name, locality=where),
                             _edit(chain, n, "segment"), _in_segment_row(n, None, chain)))
        if loc in UNPLACED:
            out.append(_item(chain, "locality_missing", n, ["locality"],
                             message("todo.reason.locality_missing", name=name, locality=where),
                             _edit(chain, n, "locality"), _firm_row(chain, n, "locality")))
        if not d.get("credit_code"):
            out.append(_item(chain, "credit_code_missing", n, ["credit_code"],
                             message("todo.reason.credit_code_missing", name=name),
                             _edit(chain, n, "credit_code"), _firm_row(chain, n, "credit_code")))
        if not d.get("location") and not chain.located.get(n):
            out.append(_item(chain, "location_missing", n, ["location"],
                             message("todo.reason.location_missing", name=name),
                             _edit(chain, n, "location"), _firm_row(chain, n, "location")))
    return out


def _target_items(chain: Chain, rows: list[dict]) -> list[dict]:
    """Targets the registry could count if its records carried the data: no record carries it today."""
    out = []
    for r in rows:
        needs = r.get("needs") or {}
        if r["status"] != "unmeasurable" or not needs.get("kind"):
            continue  # a target no field of the registry can measure has no fix in the data
        field = needs.get("field")
        # the rows to complete: every local record of the kind, with the field as it stands (a role added
        # to the roles a firm has already)
        rows = [x for n in chain.by_kind.get(needs["kind"], ()) if chain.is_local(n) and field
                for x in _firm_row(chain, n, field)] if needs["kind"] == "enterprise" else []
        out.append(_item(chain, "target_unmeasurable", r["id"], [field] if field else [],
                         message("todo.reason.target_unmeasurable", name=r["name"], needed=r["needed_data"]),
                         {"action": "import", "kind": needs["kind"], "field": field,
                          "values": list(needs.get("values") or ())},
                         rows,
                         needs=dict(needs), rule=r["rule"], goal={"value": r["value"], "unit": r["unit"],
                                                                  "deadline_year": r["deadline_year"]},
                         clause=r.get("clause")))
    return out


def _segment_items(chain: Chain) -> list[dict]:
    out = []
    for s in chain.seg_order:
        if chain.members(s).get("enterprise"):
            continue
        name = chain.name(s)
        out.append(_item(chain, "segment_empty", s, ["segment"],
                         message("todo.reason.segment_empty", name=name),
                         {"action": "import", "kind": "enterprise", "field": "segment", "values": [s]},
                         _in_segment_row(None, s, chain),
                         parent=chain.seg_parent.get(s)))
    return out


def _relation_items(chain: Chain) -> list[dict]:
    out = []
    for d in chain.implied:
        src, dst, rtype = d.get("source"), d.get("target"), d.get("type")
        ends = {"source": chain.name(src), "type": {"label": "relation", "code": rtype}, "target": chain.name(dst)}
        item = _item(chain, "relation_implied", src, ["basis"], message("todo.reason.relation_implied", **ends),
                     {"action": "edit", "id": src, "kind": chain.kind(src), "field": "relation",
                      "relation_id": d.get("id")},
                     [{"kind": "relation", "row": {"type": rtype, "source": chain.name(src), "target": chain.name(dst),
                                                   "product": d.get("product")}}],
                     relation_id=d.get("id"), relation_type=rtype, other={"id": dst, "name": chain.name(dst),
                                                                          "kind": chain.kind(dst)})
        item["clauses"] = _clauses(d.get("sources"))
        out.append(item)
    return out


def _sort_key(item: dict) -> tuple:
    return (_rank(item["locality"]), _pinyin(item["name"]), item["id"], item.get("relation_id") or "")


def _data_todo(chain: Chain, target_rows: list[dict] | None = None) -> dict:
    rows = target_rows if target_rows is not None else _target_progress(chain)
    items = _firm_items(chain) + _target_items(chain, rows) + _segment_items(chain) + _relation_items(chain)
    by_code: dict[str, list[dict]] = {c: [] for c in CODES}
    for it in items:
        by_code[it["code"]].append(it)
    groups = []
    for code in CODES:
        got = by_code[code]
        if code != "segment_empty":  # segments keep the chain's order, upstream first
            got.sort(key=_sort_key)
        groups.append({"code": code, "count": len(got), "local": sum(1 for x in got if x["local"]),
                       "fields": sorted({f for x in got for f in x["fields"]}), "items": got})
    return {"total": len(items), "counts": {g["code"]: g["count"] for g in groups},
            "records": len({x["id"] for x in items}), "groups": groups}


def data_todo(G) -> dict:
    """What the registry lacks that the analysis needs, grouped by code (``CODES``) and counted.

    Returns ``{"total", "counts", "records", "groups"}``; each group is
    ``{"code", "count", "local", "fields", "items"}`` (local firms first,
    then firms not yet placed, then the rest, by pinyin).

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "s", "kind": "segment", "name": "储氢材料"},
    ...                  {"id": "a", "kind": "enterprise", "name": "甲", "locality": "cluster",
    ...                   "credit_code": "91360700MA35XXXX0X", "location": "赣县区"}], [])
    >>> t = data_todo(G)
    >>> [(g["code"], [x["id"] for x in g["items"]]) for g in t["groups"] if g["count"]]
    [('segment_missing', ['a']), ('segment_empty', ['s'])]
    >>> t["groups"][0]["items"][0]["fix"]
    {'action': 'edit', 'id': 'a', 'kind': 'enterprise', 'field': 'segment'}
    """
    return _data_todo(Chain(G))


def todo_items(todo: dict) -> list[dict]:
    """Every item of a to-do list as one list, in group order."""
    return [x for g in todo["groups"] for x in g["items"]]
