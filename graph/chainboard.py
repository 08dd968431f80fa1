"""The chain map (产业链图谱) as data: segments in columns upstream → downstream, members under them.

A segment's column is its root card's ``position``; its sub-segments stay in
its column, nested in its card. Each segment's firms, platforms and projects
sit in a small grid under it. Positions are computed here so that the browser
draws 2,000 nodes with physics off in about a second. A segment with more
members than its share of the node budget shows the first ones and one
aggregate node, which the user can expand.

Nodes and edges carry codes and facts (kind, class, level, counts, names);
the web turns them into labels, tooltips and colours.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from registry.model import LEAD_ROLES, LOCAL, OUTSIDE_SET, locality_group

from .errors import EntityNotFound

__all__ = ["structure", "board", "chain_map", "MEMBER_KINDS", "PER_SEGMENT", "EXPANDED_CAP", "MAX_NODES"]

MEMBER_KINDS = ("enterprise", "platform", "project")
PER_SEGMENT = 24
EXPANDED_CAP = 1000
MAX_NODES = 2000

GRID_COLS = 4
CELL_W, CELL_H = 140, 40
SEG_HEAD = 70
SEG_GAP = 60
EMPTY_LANE = 56  # a segment with nothing to show takes one row
COL_W = GRID_COLS * CELL_W + 170
UNASSIGNED = "__unassigned__"


# ------------------------------------------------------------------ the board (columns of cards)
def structure(rows: list[dict]) -> dict:
    """How the segments stand on the map, from the coverage rows (chain order).

    A segment's column is its own ``position``. A sub-segment in its parent's column nests inside the
    parent's card; one in another column stands as a card of its own there. A top segment whose
    sub-segments spread over several columns (the root of the whole chain) is a *group*: a banner
    above the columns.
    """
    by_id = {r["id"]: r for r in rows}
    pos = {r["id"]: r.get("position") or 0 for r in rows}
    kids = {r["id"]: [c for c in r.get("children") or [] if c in by_id] for r in rows}
    groups = [r["id"] for r in rows if r.get("parent") not in by_id
              and any(pos[c] != pos[r["id"]] for c in kids[r["id"]])]
    group_set = set(groups)
    tops = [r["id"] for r in rows if r["id"] not in group_set
            and (r.get("parent") not in by_id or r.get("parent") in group_set
                 or pos[r["parent"]] != pos[r["id"]])]
    top_of: dict[str, str] = {}
    lane_order: list[str] = []

    def walk(s: str, top: str, seen: set):
        if s in seen:
            return
        seen.add(s)
        top_of[s] = top
        lane_order.append(s)
        for c in kids[s]:
            if c not in group_set and pos[c] == pos[s]:  # same column: nested in this card
                walk(c, top, seen)
    seen: set[str] = set()
    for t in tops:
        walk(t, t, seen)
    for r in rows:  # anything left (a PART_OF cycle): a card of its own
        if r["id"] not in seen and r["id"] not in group_set:
            walk(r["id"], r["id"], seen)
    positions = sorted({pos[top_of[s]] for s in lane_order})
    return {"groups": groups, "tops": [t for t in dict.fromkeys(top_of.values())], "top_of": top_of,
            "lane_order": lane_order, "positions": positions, "by_id": by_id, "kids": kids,
            "group_set": group_set}


def board(rows: list[dict], gap_counts: dict[str, int]) -> dict:
    """The board: group banners, then columns upstream → downstream with nested cards."""
    st = structure(rows)
    by_id, kids, group_set = st["by_id"], st["kids"], st["group_set"]

    def card(s: str, seen: set) -> dict:
        r = by_id[s]
        seen.add(s)
        children = [card(c, seen) for c in kids[s] if c not in group_set and c not in seen
                    and (by_id[c].get("position") or 0) == (r.get("position") or 0)]
        out = {"id": s, "name": r["name"], "level": r["level"], "score": r["score"], "stage": r.get("stage"),
               "counts": r["counts"], "gaps": gap_counts.get(s, 0), "children": children}
        for key in ("score_explain", "score_explain_zh", "score_explain_en"):
            if key in r:
                out[key.replace("score_", "")] = r[key]
        return out

    cols: dict[Any, list] = defaultdict(list)
    seen: set[str] = set()
    for t in st["tops"]:
        cols[by_id[t].get("position") or 0].append(card(t, seen))
    banners = [dict(card(g, set()), children=[]) for g in st["groups"]]
    return {"groups": banners, "columns": [{"position": p, "segments": cols[p]} for p in sorted(cols)]}


# ------------------------------------------------------------------ the interactive map
def member_class(d: dict) -> str:
    """How a member is drawn: local / outside / unknown enterprise, or its kind."""
    kind = d.get("kind")
    return locality_group(d.get("locality")) if kind == "enterprise" else kind


def _passes(d: dict, kinds: Iterable[str], locality: str) -> bool:
    if d.get("kind") not in kinds:
        return False
    loc = d.get("locality")
    if locality == "in":
        return loc == LOCAL
    if locality == "out":
        return loc in OUTSIDE_SET
    return True


def _member_rank(d: dict) -> tuple:
    roles = d.get("roles") or []
    return (MEMBER_KINDS.index(d["kind"]), d.get("locality") != LOCAL,
            not any(r in LEAD_ROLES for r in roles), d.get("sort_key") or d.get("name", ""), d["id"])


def _nesting(s: str, st: dict) -> int:
    """How deep a segment sits inside its top card (0 for the card itself)."""
    by_id, top, n = st["by_id"], st["top_of"].get(s, s), 0
    while s != top and by_id[s].get("parent") in by_id and n < 10:
        s = by_id[s]["parent"]
        n += 1
    return n


def chain_map(analysis, *, rel: list[str], kinds: list[str], locality: str = "all", expand: list[str] = (),
              per_segment: int = PER_SEGMENT, max_nodes: int = MAX_NODES, segment: str | None = None) -> dict:
    """Nodes with fixed positions and the edges between them, within a node budget.

    ``segment`` limits the view to one segment's subtree (its firms and their relations).
    Node kinds: ``segment`` (with level, score and counts), ``unassigned`` (members with no segment),
    a member kind (with its ``group``: local / outside / unknown / platform / project) and
    ``aggregate`` (the members left out of a segment, counted by kind).
    """
    G = analysis.G
    cov = analysis.coverage()["segments"]
    order = {r["id"]: i for i, r in enumerate(cov)}
    by_seg = {r["id"]: r for r in cov}
    if segment is not None and segment not in by_seg:
        raise EntityNotFound(f"no chain segment with id '{segment}'", details={"segment": segment})
    st = analysis.board_structure()
    group_set = st["group_set"]
    shown_segs = list(st["lane_order"]) + list(st["groups"])
    if segment:
        keep, stack = set(), [segment]
        while stack:
            s = stack.pop()
            if s not in keep:
                keep.add(s)
                stack.extend(by_seg[s].get("children") or [])
        shown_segs = [s for s in shown_segs if s in keep]
    shown_set = set(shown_segs)

    def column_key(s: str):  # a segment's column: its top card's position; groups stand left of all
        if s in group_set:
            return -1
        return by_seg[st["top_of"][s]].get("position") or 0
    positions = sorted({column_key(s) for s in shown_segs})
    col_index = {p: i for i, p in enumerate(positions)}

    # members by primary segment: the first of its segments in chain order
    members: dict[str, list[dict]] = defaultdict(list)
    seg_names: dict[str, list[str]] = {}
    unassigned: list[dict] = []
    for n, d in G.nodes(data=True):
        if d.get("kind") not in MEMBER_KINDS or not _passes(d, kinds, locality):
            continue
        segs = analysis.segments_of(n)
        seg_names[n] = [analysis.name(s) for s in segs]
        inside = sorted((s for s in segs if s in shown_set), key=order.__getitem__)
        if inside:
            members[inside[0]].append(d)
        elif not segs and not segment:
            unassigned.append(d)
    lanes = [(s, members.get(s, [])) for s in shown_segs]
    if unassigned:
        lanes.append((UNASSIGNED, unassigned))

    # the node budget: segments always; expanded segments first, then an even share each
    budget = max(0, max_nodes - len(lanes))
    expand_set = set(expand)
    caps = {s: min(len(ms), EXPANDED_CAP if s in expand_set else per_segment) for s, ms in lanes}

    def total():
        return sum(caps[s] + (1 if caps[s] < len(ms) else 0) for s, ms in lanes)
    while total() > budget and any(caps.values()):
        biggest = max(caps, key=lambda s: (s not in expand_set, caps[s]))
        if caps[biggest] == 0:
            break
        over = total() - budget
        caps[biggest] = max(0, caps[biggest] - max(1, min(over, caps[biggest] // 2 or 1)))

    nodes: list[dict] = []
    where: dict[str, str] = {}  # entity id -> node id it is drawn as (itself or its aggregate)
    col_y: dict[int, float] = defaultdict(float)
    n_hidden = 0
    extra_col = len(positions)
    for s, ms in lanes:
        col = extra_col if s == UNASSIGNED else col_index[column_key(s)]
        x0, y0 = col * COL_W, col_y[col]
        if s == UNASSIGNED:
            nodes.append({"id": f"seg:{UNASSIGNED}", "kind": "unassigned", "x": x0 + CELL_W, "y": y0,
                          "count": len(ms)})
            name = None
        else:
            r = by_seg[s]
            name = r["name"]
            depth = 0 if s in group_set else _nesting(s, st)
            nodes.append({"id": f"seg:{s}", "kind": "segment", "segment": s, "name": name, "depth": depth,
                          "x": x0 + CELL_W + depth * 20, "y": y0, "level": r["level"], "score": r["score"],
                          "counts": r["counts"]})
        ms_sorted = sorted(ms, key=_member_rank)
        cap = caps[s]
        for i, d in enumerate(ms_sorted[:cap]):
            r_, q = divmod(i, GRID_COLS)
            nodes.append({"id": d["id"], "kind": d["kind"], "group": member_class(d), "name": d.get("name") or d["id"],
                          "aliases": list(d.get("aliases") or ()), "locality": d.get("locality"),
                          "has_locality": "locality" in d, "roles": list(d.get("roles") or ()),
                          "segment_names": seg_names.get(d["id"], []),
                          "x": x0 + q * CELL_W, "y": y0 + SEG_HEAD + r_ * CELL_H})
            where[d["id"]] = d["id"]
        rows_used = -(-min(cap, len(ms_sorted)) // GRID_COLS)
        hidden = ms_sorted[cap:]
        if hidden:
            n_hidden += len(hidden)
            agg = f"agg:{s}"
            counts: dict[str, int] = {}
            for d in hidden:
                counts[d["kind"]] = counts.get(d["kind"], 0) + 1
                where[d["id"]] = agg
            nodes.append({"id": agg, "kind": "aggregate", "segment": s, "name": name, "hidden_count": len(hidden),
                          "hidden_by_kind": counts, "x": x0 + CELL_W, "y": y0 + SEG_HEAD + rows_used * CELL_H})
            rows_used += 1
        col_y[col] = y0 + (SEG_HEAD + rows_used * CELL_H + SEG_GAP if rows_used else EMPTY_LANE)

    edges: dict[tuple, dict] = {}
    rel_set = set(rel)
    for u, v, k, d in G.edges(keys=True, data=True):
        if k not in rel_set:
            continue
        a = f"seg:{u}" if u in shown_set else where.get(u)
        b = f"seg:{v}" if v in shown_set else where.get(v)
        if a is None or b is None or a == b:
            continue
        e = edges.get((a, b, k))
        if e is None:  # the first relation drawn as this edge names it; the others are counted
            e = edges[(a, b, k)] = {"from": a, "to": b, "type": k, "count": 0, "source_name": analysis.name(u),
                                    "target_name": analysis.name(v), "product": d.get("product")}
        e["count"] += 1
    member_total = sum(len(ms) for _, ms in lanes)
    return {
        "nodes": nodes,
        "edges": list(edges.values()),
        "stats": {"segments": len(shown_segs), "members": member_total, "visible_members": member_total - n_hidden,
                  "aggregated": n_hidden, "nodes": len(nodes), "edges": len(edges), "max_nodes": max_nodes},
        "filters": {"rel": rel, "kinds": kinds, "locality": locality, "expand": list(expand),
                    "per_segment": per_segment, "max_nodes": max_nodes, "segment": segment},
    }
