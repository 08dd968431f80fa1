"""What each page shows, as plain data: the pages render it, the JSON API returns it as it is.

Views parse input (``web.params``), call the registry or the analysis snapshot,
and hand these dicts to a template or to ``jsonify``. No Cypher here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from graph.analysis import Analysis, gap_concerns, hop_distances
from graph.report import CATEGORIES
from registry.errors import InvalidInput, NotFound
from registry.exports import Column
from registry import messages
from registry.messages import LANGS, localise
from registry.model import KINDS, LEVELS, LOCALITY_FILTERS
from registry.repository import SORTS, Registry, model_fields, now_iso

from . import analysis, chainmap, palette
from . import params as P
from .i18n import beijing_time, current_lang, label, text

PER_PAGE_CHOICES = (20, 50, 100)
# the order relation groups appear in on an entity page: business links first, structure last
REL_ORDER = ("CHAIN_LEADER", "SUPPLIES", "RESEARCH_PARTNER", "CO_FOUNDED", "RUNS", "MEMBER_OF", "OWNED_BY",
             "REORGANISES", "LOCATED_IN", "SUPPORTED_BY", "LISTING_TARGET", "RESPONSIBLE_FOR", "ABOUT",
             "IN_SEGMENT", "PART_OF", "FEEDS")
HIDDEN_FIELDS = {"id", "kind", "name", "aliases", "description", "sources"}
ENUM_FIELDS = {"locality": "locality", "level": "level", "platform_type": "platform_type",
               "project_type": "project_type", "stage": "stage", "comparison": "comparison"}


# ------------------------------------------------------------------ home
def present(data: Any) -> Any:
    """An analysis result as the pages and the JSON API show it: every message spelled out in both languages,
    and beside a code the names the API has always carried (``level_zh``, ``locality_zh``, ``status_zh``,
    ``measurability_zh/en``), from the catalogue."""
    return _with_code_names(localise(data))


def _with_code_names(x: Any) -> Any:
    if isinstance(x, list):
        return [_with_code_names(v) for v in x]
    if not isinstance(x, dict):
        return x
    out = {k: _with_code_names(v) for k, v in x.items()}
    if "measurability" in out and "rule" in out:  # a target's progress row
        for lang in LANGS:
            out[f"measurability_{lang}"] = messages.label("inline.measurability", out["measurability"], lang)
        out["status_zh"] = messages.label("target_status", out["status"], "zh")
        out["status_en"] = messages.label("target_status", out["status"], "en")
    if "level" in out and "score_parts" in out:  # a segment's coverage row
        out["level_zh"] = messages.label("level_cov", out["level"], "zh")
    if "locality" in out and "roles" in out and "name" in out:  # a firm: a coverage member or a candidate
        out["locality_zh"] = messages.label("locality", out["locality"], "zh")
    return out


def localised(a: Analysis, name: str, compute) -> Any:
    """A result of the snapshot as :func:`present` shows it (memoised on the snapshot)."""
    return a.memo(f"presented:{name}", lambda: present(compute()))


def report(a: Analysis, part: str) -> Any:
    """One part of the gap report (``summary``, ``top_gaps``, ``target_progress`` …) as :func:`present` shows it.

    Parts are presented one by one: the whole report at 10k firms holds some 12,000 gaps that no page shows at once.
    """
    return localised(a, f"report:{part}", lambda: a.report()[part])


def overview(reg: Registry) -> dict[str, Any]:
    """The cluster at a glance: counts, chain leaders, target progress, top gaps, recent changes."""
    a = analysis.current()
    rows = report(a, "target_progress")
    status_counts = defaultdict(int)
    for row in rows:
        status_counts[row["status"]] += 1
    return {
        "counts": counts(a),
        "summary": report(a, "summary"),
        "chain_leaders": a.chain_leaders(),
        "targets": {"total": len(rows), "by_status": dict(status_counts),
                    "rows": sorted(rows, key=target_order)},
        "top_gaps": report(a, "top_gaps"),
        "data_todo": a.report()["summary"]["data_todo"],
        "todo_url": todo_url(), "import_url": import_url(),
        "board": board(a),
        "levels": a.coverage()["levels"],
        # an import or a read document shows as one line (its head), not one per record it wrote
        "changes": reg.change_page(per_page=12)["items"],
    }


def target_order(row: dict) -> tuple:
    """Measured targets first (behind, then met), then the partly measured, then those the registry cannot
    measure: first those whose data a record could carry (the data to-do list has their fix)."""
    status = row["status"]
    if status == "unmeasurable":
        return (3 if (row.get("needs") or {}).get("kind") else 4, row["id"])
    return ({"behind": 0, "met": 1, "unknown": 2}.get(status, 2), row["id"])


def counts(a: Analysis) -> dict[str, Any]:
    """Registry.counts() in the same shape, from the snapshot (which is never older than the last write)."""
    c = a.counts()
    return dict(c, entities={k: c["entities"].get(k, 0) for k in KINDS})


def board(a: Analysis) -> dict:
    return localised(a, "board", a.board)


# ------------------------------------------------------------------ search
def search_filters(args) -> dict[str, Any]:
    kind = P.choice_arg(args, "kind", KINDS)
    return {
        "q": P.text_arg(args, "q"),
        "kind": kind,
        "segment": P.text_arg(args, "segment", 100),
        "locality": P.choice_arg(args, "locality", LOCALITY_FILTERS),
        "role": P.role_arg(args),
        "level": P.choice_arg(args, "level", LEVELS),
        "sort": P.choice_arg(args, "sort", SORTS, "relevance"),
        "page": P.int_arg(args, "page", 1, 1, 100_000),
        "per_page": int(P.choice_arg(args, "per_page", [str(n) for n in PER_PAGE_CHOICES], "20")),
    }


def search(reg: Registry, f: dict[str, Any]) -> dict[str, Any]:
    """A page of records matching the filters; with a query, ranked by ``Registry.search`` (the API's
    search too) and each hit says why it matched."""
    _check_segment(reg, f)
    res = reg.list(kinds=[f["kind"]] if f["kind"] else None, q=f["q"], locality=f["locality"], role=f["role"],
                   level=f["level"], segment=f["segment"], sort=f["sort"], page=f["page"], per_page=f["per_page"])
    if f["page"] > res["pages"] and res["total"]:
        raise NotFound(f"page: 第 {f['page']} 页不存在（共 {res['pages']} 页）/ page {f['page']} does not exist "
                       f"(there are {res['pages']})")
    for item in res["items"]:
        item.pop("sources", None)
    res["filters"] = f
    return res


# the columns of a search export (/search/export.csv|xlsx): what the result list shows, one record a row
SEARCH_COLUMNS: tuple[Column, ...] = (
    Column("rank", "序号", "No."),
    Column("name", "名称", "Name"),
    Column("aliases", "简称", "Aliases", 30),
    Column("kind", "类型", "Kind"),
    Column("locality", "所在地", "Location"),
    Column("roles", "角色/级别", "Roles / level"),
    Column("credit_code", "统一社会信用代码", "Credit code"),
    Column("why", "匹配原因", "Why it matched", 40),
    Column("relevance", "相关度", "Relevance"),
    Column("id", "编号", "ID"),
)
SEARCH_EXPORT_MAX = 5000  # rows of a filters-only export (a query's hits are at most SEARCH_CAP)


def search_export(reg: Registry, f: dict[str, Any], lang: str) -> tuple[list[dict], dict]:
    """Every hit of the search the page shows (all pages, in its order) as export rows, and what the file
    is (``about``: query, filters, when, how many)."""
    _check_segment(reg, f)
    hits, page = [], 1
    while True:
        res = reg.list(kinds=[f["kind"]] if f["kind"] else None, q=f["q"], locality=f["locality"], role=f["role"],
                       level=f["level"], segment=f["segment"], sort=f["sort"], page=page, per_page=500)
        hits += res["items"]
        if page >= res["pages"] or len(hits) >= SEARCH_EXPORT_MAX:
            break
        page += 1
    rows = []
    for i, it in enumerate(hits[:SEARCH_EXPORT_MAX], 1):
        roles = [label("role", r, lang) for r in it.get("roles") or []]
        if it.get("level"):
            roles.append(label("level", it["level"], lang))
        rows.append({
            "rank": i, "name": it["name"], "aliases": "、".join(it.get("aliases") or []),
            "kind": label("kind", it["kind"], lang), "locality": label("locality", it.get("locality"), lang),
            "roles": "、".join(roles), "credit_code": it.get("credit_code"),
            "why": "\n".join(match_reason(m, lang) for m in it.get("match") or []),
            "relevance": (it.get("score") or {}).get("relevance"), "id": it["id"],
        })
    shown = {k: v for k, v in f.items() if v and k not in ("q", "page", "per_page")}
    about = {messages.text("search.export.query", lang): f["q"] or messages.text("search.export.none", lang),
             messages.text("search.export.filters", lang): "; ".join(f"{k}={v}" for k, v in shown.items())
             or messages.text("search.export.none", lang),
             messages.text("search.export.generated", lang): beijing_time(now_iso()) + " (UTC+8)",
             messages.text("search.export.count", lang): len(rows)}
    return rows, about


def match_reason(m: dict, lang: str | None = None) -> str:
    """One reason a hit matched, in the page's language (``Registry.search``'s ``match`` entries)."""
    lang = lang or current_lang()
    return messages.text("ui.find.why", lang, field=messages.text(f"search.field.{m['field']}", lang),
                         how=messages.text(f"search.how.{m['how']}", lang), word=m["word"], value=m["value"])


def _check_segment(reg: Registry, f: dict[str, Any]) -> None:
    if f["segment"]:
        seg = _get_or_none(reg, f["segment"])
        if seg is None or seg["kind"] != "segment":
            raise InvalidInput(f"segment: 环节 {f['segment'][:40]!r} 不存在 / no chain segment with id "
                               f"{f['segment'][:40]!r}")


def segment_options(reg: Registry) -> list[dict]:
    """Every segment (id, name) for filter menus, in name order."""
    items = reg.list(kinds=["segment"], per_page=500)["items"]
    return [{"id": s["id"], "name": s["name"]} for s in items]


def _get_or_none(reg: Registry, entity_id: str):
    try:
        return reg.get(entity_id)
    except NotFound:
        return None


# ------------------------------------------------------------------ entity
def attributes(rec: dict) -> list[dict]:
    """The record's fields in model order, each with its raw value and how it reads."""
    out = []
    for field in model_fields(rec["kind"]):
        if field in HIDDEN_FIELDS:
            continue
        value = rec.get(field)
        if value in (None, [], ""):
            continue
        if field in ENUM_FIELDS:
            shown = label(ENUM_FIELDS[field], value)
        elif field == "status":
            shown = label("platform_status" if rec["kind"] == "platform" else "project_status", value)
        elif field == "roles":
            shown = "、".join(label("role", v) for v in value)
        elif isinstance(value, list):
            shown = "、".join(str(v) for v in value)
        elif isinstance(value, float) and value.is_integer():
            shown = f"{value:g}"
        else:
            shown = str(value)
        out.append({"field": field, "value": value, "shown": shown})
    return out


def field_name(field: str) -> str:
    return label("field", field)


def relation_groups(entity_id: str, nb: dict) -> list[dict]:
    """The record's relations grouped by type and direction, each with the record at the other end."""
    nodes = {n["id"]: n for n in nb["nodes"]}
    groups: dict[tuple, list] = defaultdict(list)
    for rel in nb["relations"]:
        outgoing = rel["source"] == entity_id
        other = nodes.get(rel["target"] if outgoing else rel["source"], {})
        groups[(rel["type"], outgoing)].append({
            "id": rel["id"], "type": rel["type"], "outgoing": outgoing,
            "other": {"id": other.get("id"), "name": other.get("name"), "kind": other.get("kind"),
                      "locality": other.get("locality")},
            "product": rel.get("product"), "note": rel.get("note"), "basis": rel.get("basis"),
            "sources": rel.get("sources") or [], "updated_by": rel.get("updated_by"),
        })
    order = {t: i for i, t in enumerate(REL_ORDER)}
    out = []
    for (rtype, outgoing), items in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 99), not kv[0][1])):
        items.sort(key=lambda x: (x["other"]["name"] or ""))
        out.append({"type": rtype, "outgoing": outgoing, "items": items})
    return out


NODE_COLOURS = palette.group("entity")  # the one palette: web/static/palette.json
NODE_SHAPES = {"enterprise": "dot", "platform": "diamond", "project": "square", "segment": "box",
               "target": "triangle", "gov_unit": "hexagon", "document": "box"}


def neighbourhood_vis(entity_id: str, nb: dict) -> dict:
    """The neighbourhood as vis-network data: the record in the centre, its neighbours on rings by distance."""
    dist = hop_distances(entity_id, ((r["source"], r["target"]) for r in nb["relations"]))
    rings: dict[int, list] = defaultdict(list)
    nodes_by_id = {n["id"]: n for n in nb["nodes"]}
    levels = chainmap.segment_levels(analysis.current())
    for n in nb["nodes"]:
        rings[dist.get(n["id"], 1)].append(n)
    nodes = []
    for d, ring in sorted(rings.items()):
        ring.sort(key=lambda n: (n.get("kind") or "", n.get("name") or ""))
        radius = 0 if d == 0 else max(220 * d, len(ring) * 120 / (2 * math.pi))
        for i, n in enumerate(ring):
            angle = 2 * math.pi * i / max(1, len(ring))
            kind = n.get("kind")
            lines = [n.get("name") or n["id"], label("kind", kind)]
            if n.get("locality"):
                lines.append(label("locality", n["locality"]))
            nodes.append({"id": n["id"], "label": chainmap.short(n.get("name") or n["id"], 16), "title": "\n".join(lines),
                          "x": round(radius * math.cos(angle)), "y": round(radius * math.sin(angle)), "kind": kind,
                          # the chain map's one colour scheme: members by locality, segments by coverage
                          **chainmap.neighbour_style(n, centre=n["id"] == entity_id, levels=levels)})
    edges = []
    for r in nb["relations"]:
        if r["source"] in nodes_by_id and r["target"] in nodes_by_id:
            lines = [f"{nodes_by_id[r['source']].get('name')} → {nodes_by_id[r['target']].get('name')}",
                     label("relation", r["type"])]
            if r.get("product"):
                lines.append(text("web.map.supplies", product=r["product"]))
            edges.append({"from": r["source"], "to": r["target"], "title": "\n".join(lines), "arrows": "to",
                          "label": label("relation", r["type"]), "type": r["type"],
                          "color": chainmap.EDGE_COLOURS.get(r["type"], chainmap.GRAPH["other"])})
    return {"nodes": nodes, "edges": edges, "centre": entity_id, "truncated": nb["truncated"],
            "physics": len(nodes) <= 120}


def entity_detail(reg: Registry, entity_id: str, *, hops: int = 1) -> dict[str, Any]:
    rec = reg.get(entity_id)
    nb = reg.neighbourhood(entity_id, hops=1, limit=500)
    graph_nb = nb if hops == 1 else reg.neighbourhood(entity_id, hops=hops, limit=400)
    out = {
        "entity": rec,
        "attributes": attributes(rec),
        "relations": relation_groups(entity_id, nb),
        "relations_truncated": nb["truncated"],
        "graph": neighbourhood_vis(entity_id, graph_nb),
        "hops": hops,
        "changes": reg.changes(entity_id=entity_id, limit=20),
    }
    if rec["kind"] == "target":
        out["progress"] = next((r for r in report(analysis.current(), "target_progress") if r["id"] == entity_id),
                               None)
    return out


# ------------------------------------------------------------------ chain
def segment_detail(reg: Registry, seg: str, *, limit: int = 200) -> dict[str, Any]:
    a = analysis.current()
    row = a.coverage_by_segment().get(seg)
    if row is None:
        rec = reg.get(seg)  # NotFound when there is no such record at all
        raise NotFound(f"'{seg}' 是{label('kind', rec['kind'], 'zh')}，不是产业链环节 / '{seg}' is a {rec['kind']}, "
                       "not a chain segment")
    row = localised(a, f"coverage-row:{seg}", lambda: row)
    concerning = a.segment_gaps(seg)
    gaps = [_with_candidates(a, g, 5) for g in concerning[:10]]
    cands: dict[str, dict] = {}
    for g in gaps:
        for c in g["candidates"]:
            cur = cands.get(c["id"])
            if cur is None or c["score"] > cur["score"]:
                cands[c["id"]] = dict(c, gap_id=g["id"])
    lists = {}
    for key in ("local_enterprises", "outside_enterprises", "unknown_locality_enterprises", "platforms", "projects"):
        items = [dict(m, via_names=[a.name(v) for v in m.get("via") or [] if v != seg]) for m in row[key][:limit]]
        lists[key] = {"items": items, "total": len(row[key]), "truncated": len(row[key]) > limit}
    by_seg = a.coverage_by_segment()
    ref = lambda s: {"id": s, "name": a.name(s), "level": by_seg.get(s, {}).get("level")}  # noqa: E731
    seg_rec = a.record(seg)
    return {
        "segment": {"id": seg, "name": row["name"], "stage": row.get("stage"), "aliases": seg_rec.get("aliases", []),
                    "description": seg_rec.get("description"), "sources": seg_rec.get("sources") or []},
        "coverage": {k: row[k] for k in ("score", "level", "score_parts", "score_explain_zh", "score_explain_en",
                                          "counts") if k in row},
        "parent": ref(row["parent"]) if row.get("parent") else None,
        "children": [ref(c) for c in row.get("children") or []],
        "upstream": [ref(s) for s in row.get("upstream") or []],
        "downstream": [ref(s) for s in row.get("downstream") or []],
        "chain_leaders": row["chain_leaders"],
        "lists": lists,
        "gaps": gaps,
        "gaps_total": len(concerning),
        "candidates": sorted(cands.values(), key=lambda c: (-c["score"], c["name"]))[:15],
        "score_formula": localised(a, "score_formula", lambda: a.coverage()["score_formula"]),
    }


def chain_overview() -> dict[str, Any]:
    a = analysis.current()
    cov = a.coverage()
    return {"board": board(a), "levels": cov["levels"],
            "score_formula": localised(a, "score_formula", lambda: cov["score_formula"]),
            "segments": len(cov["segments"])}


# ------------------------------------------------------------------ gaps
GAPS_PER_PAGE = 50
GAPS_PER_GROUP = 8


def gaps_filters(args) -> dict[str, Any]:
    return {
        "category": P.choice_arg(args, "category", CATEGORIES),
        "severity": P.choice_arg(args, "severity", ("high", "medium", "low")),
        "segment": P.text_arg(args, "segment", 100),
        "page": P.int_arg(args, "page", 1, 1, 100_000),
    }


def _with_candidates(a: Analysis, g: dict, limit: int) -> dict:
    """A gap with its first ``limit`` candidates, as :func:`present` shows it (memoised on the snapshot);
    ``data_needed`` says what data would give it candidates when it has none."""
    def compute():
        c = a.candidates(g, limit=limit)
        return present(dict(g, candidates=c["candidates"], candidates_total=c["total"],
                            data_needed=c.get("data_needed")))
    return a.memo(f"presented-gap:{g['id']}:{limit}", compute)


def gaps_view(f: dict[str, Any], *, candidates_per_gap: int = 3) -> dict[str, Any]:
    """Every gap, grouped by category; one category at a time is paged, all together show the first few each."""
    a = analysis.current()
    grouped = a.report()["gaps"]
    if f.get("segment") and f["segment"] not in a.coverage_by_segment():
        raise InvalidInput(f"segment: 环节 {f['segment'][:40]!r} 不存在 / no chain segment with id {f['segment'][:40]!r}")
    groups = []
    for cat in CATEGORIES:
        if f["category"] and cat != f["category"]:
            continue
        items = [g for g in grouped.get(cat, [])
                 if (not f["severity"] or g["severity"] == f["severity"])
                 and (not f.get("segment") or gap_concerns(g, f["segment"]))]
        if f["category"]:
            pages = max(1, -(-len(items) // GAPS_PER_PAGE))
            page = f.get("page") or 1
            if page > pages:
                raise NotFound(f"page: 第 {page} 页不存在（共 {pages} 页）/ page {page} does not exist (there are {pages})")
            window = items[(page - 1) * GAPS_PER_PAGE: page * GAPS_PER_PAGE]
        else:
            pages, page, window = 1, 1, items[:GAPS_PER_GROUP]
        groups.append({"category": cat, "total": len(grouped.get(cat, [])), "matching": len(items),
                       "items": [_with_candidates(a, g, candidates_per_gap) for g in window],
                       "page": page, "pages": pages, "per_page": GAPS_PER_PAGE})
    return {
        "filters": f,
        "summary": report(a, "summary"),
        "data_todo": a.report()["summary"]["data_todo"],
        "todo_url": todo_url(), "import_url": import_url(),
        "groups": groups,
        **{part: report(a, part) for part in ("target_progress", "score_formula", "candidate_formula",
                                                "approximations")},
    }


def todo_url() -> str:
    """The data to-do list (``/todo``; its page is built beside this one, so the path, not an endpoint)."""
    from flask import request

    return request.script_root + "/todo"


def import_url() -> str:
    """The spreadsheet import (``/import``), where firms of an empty segment are brought in."""
    from flask import request

    return request.script_root + "/import"


def gap_moved(gap_id: str) -> tuple[str, str | None] | None:
    """Where an old gap id leads now: ``("gap", need id)`` for a gap folded into a plan-named need,
    ``("todo", None)`` for a data gap (the data to-do list), None when the id is current (or unknown)."""
    a = analysis.current()
    now = a.resolve_gap_id(gap_id)
    if now != gap_id:
        return "gap", now
    if a.data_gap(gap_id) is not None:
        return "todo", None
    return None


def gap_detail(gap_id: str, *, limit: int = 30) -> dict[str, Any]:
    a = analysis.current()
    gap = a.gap(gap_id)
    if gap is None:
        raise NotFound(f"缺口 '{gap_id[:80]}' 不存在（数据更新后该缺口可能已消除）/ no gap with id '{gap_id[:80]}' "
                       "(it may have closed after the data changed)")
    c = a.candidates(gap, limit=limit)
    return {"gap": _with_candidates(a, gap, limit),
            "candidate_formula": present(c.get("score_formula")),
            "names": {i: a.name(i) for f in gap.get("facts") or [] for i in f.get("ids") or []},
            "requested_id": gap_id, "import_url": import_url()}
