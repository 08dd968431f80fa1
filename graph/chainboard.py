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

__all__ = ["structure", "board", "group_coverage", "chain_map", "find_in_map", "MEMBER_KINDS", "PER_SEGMENT", "EXPANDED_CAP", "MAX_NODES"]

MEMBER_KINDS = ("enterprise", "platform", "project")
PER_SEGMENT = 0  # the default view: segments with counts; a segment's members come when it is expanded
EXPAND_FIRST = 60  # an expanded segment shows its first members (leaders, local firms first) and a "more" node
EXPANDED_CAP = 1000  # … which shows them all, up to this many
MAX_NODES = 2000

# The geometry (in canvas px at scale 1) is chosen so that, drawn at 14 px, no two labels can meet:
# a segment is a box at most 150 px wide (web.chainmap.SEG_BOX) in a SEG_W x SEG_PITCH slot; a member
# is a dot with a label of at most 10 characters (about 140 px) in a CELL_W x CELL_H cell.
GRID_COLS = 3
CELL_W, CELL_H = 170, 48
SEG_W = 166          # a segment box's slot width
SEG_PITCH = 72       # a segment box's slot height (two lines of 14 px are about 44 px; three, should the counts wrap, 62)
INDENT = 10          # a nested segment's indent per level
COL_GAP = 36
MAX_COL_H = 11 * SEG_PITCH  # a column taller than this is split into sub-columns (whole cards only)
UNASSIGNED = "__unassigned__"
LEVEL_ORDER = ("strong", "medium", "weak", "none")


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
    banners = [dict(card(g, set()), children=[], **group_coverage(g, st)) for g in st["groups"]]
    return {"groups": banners, "columns": [{"position": p, "segments": cols[p]} for p in sorted(cols)]}


def group_coverage(group: str, st: dict) -> dict:
    """How a group banner (the whole chain) stands, from the coverage of the segments under it.

    The root's own score counts every local firm of the chain at once, so one strong segment made the
    whole chain read "strong" while most segments had nothing. The banner's level is instead the level
    at least half of its segments reach (the median), and it says how many segments have any coverage.

    >>> st = {"by_id": {"g": {"level": "strong"}, "a": {"level": "strong"}, "b": {"level": "none"},
    ...                 "c": {"level": "none"}}, "kids": {"g": ["a", "b", "c"], "a": [], "b": [], "c": []}}
    >>> group_coverage("g", st)
    {'level': 'none', 'covered': 1, 'segments': 3, 'by_level': {'strong': 1, 'medium': 0, 'weak': 0, 'none': 2}}
    """
    by_id, kids = st["by_id"], st["kids"]
    seen, stack, levels = {group}, list(kids.get(group, ())), []
    while stack:
        s = stack.pop()
        if s in seen:
            continue
        seen.add(s)
        levels.append(by_id[s]["level"])
        stack.extend(kids.get(s, ()))
    by_level = {lv: levels.count(lv) for lv in LEVEL_ORDER}
    if not levels:
        return {"level": by_id[group]["level"], "covered": 0, "segments": 0, "by_level": by_level}
    ranked = sorted(levels, key=LEVEL_ORDER.index)
    return {"level": ranked[(len(ranked) - 1) // 2], "covered": len(levels) - by_level["none"],
            "segments": len(levels), "by_level": by_level}


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


_KIND_RANK = {k: i for i, k in enumerate(MEMBER_KINDS)}


def _member_rank(d: dict) -> tuple:
    roles = d.get("roles") or []
    return (_KIND_RANK[d["kind"]], d.get("locality") != LOCAL,
            not any(r in LEAD_ROLES for r in roles), d.get("sort_key") or d.get("name", ""), d["id"])


def _nesting(s: str, st: dict) -> int:
    """How deep a segment sits inside its top card (0 for the card itself)."""
    by_id, top, n = st["by_id"], st["top_of"].get(s, s), 0
    while s != top and by_id[s].get("parent") in by_id and n < 10:
        s = by_id[s]["parent"]
        n += 1
    return n


def chain_map(analysis, *, rel: list[str], kinds: list[str], locality: str = "all", expand: list[str] = (),
              per_segment: int = PER_SEGMENT, max_nodes: int = MAX_NODES, segment: str | None = None,
              more: list[str] = ()) -> dict:
    """Nodes with fixed positions and the edges between them, within a node budget.

    ``segment`` limits the view to one segment's subtree (its firms and their relations). A segment in
    ``expand`` shows its first ``EXPAND_FIRST`` members (or ``per_segment``, if more); one also in ``more``
    shows up to ``EXPANDED_CAP``.
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
    # (one pass over the records with the chain index's tables: its segments by id, as Analysis.segments_of;
    # the segments' names looked up for the members drawn only)
    members: dict[str, list[dict]] = defaultdict(list)
    unassigned: list[dict] = []
    ent_segs = analysis.chain.ent_segs
    kind_set = set(kinds) & set(MEMBER_KINDS)
    for n, d in G.nodes(data=True):
        if d.get("kind") not in kind_set or not _passes(d, kinds, locality):
            continue
        segs = ent_segs.get(n, ())
        inside = [s for s in segs if s in shown_set]
        if inside:
            members[min(inside, key=order.__getitem__) if len(inside) > 1 else inside[0]].append(d)
        elif not segs and not segment:
            unassigned.append(d)
    lanes = [(s, members.get(s, [])) for s in shown_segs]
    if unassigned:
        lanes.append((UNASSIGNED, unassigned))

    # the node budget: segments always; expanded segments first, then an even share each
    budget = max(0, max_nodes - len(lanes))
    expand_set = set(expand)
    more_set = set(more) & expand_set

    def first_cap(s: str) -> int:
        if s in more_set:
            return EXPANDED_CAP
        return max(per_segment, EXPAND_FIRST) if s in expand_set else per_segment
    caps = {s: min(len(ms), first_cap(s)) for s, ms in lanes}

    def total():
        return sum(caps[s] + (1 if 0 < caps[s] < len(ms) or (s in expand_set and caps[s] < len(ms)) else 0)
                   for s, ms in lanes)
    while total() > budget and any(caps.values()):
        biggest = max(caps, key=lambda s: (s not in expand_set, caps[s]))
        if caps[biggest] == 0:
            break
        over = total() - budget
        caps[biggest] = max(0, caps[biggest] - max(1, min(over, caps[biggest] // 2 or 1)))

    # blocks: a segment's box, then its shown members in a grid under it (and an aggregate node)
    blocks: dict[str, dict] = {}
    for s, ms in lanes:
        shown = min(caps[s], len(ms))
        more = len(ms) > shown and (shown > 0 or s in expand_set)
        rows = -(-shown // GRID_COLS) + (1 if more else 0)
        depth = 0 if s in group_set or s == UNASSIGNED else _nesting(s, st)
        width = depth * INDENT + max(SEG_W, min(GRID_COLS, max(shown, 1)) * CELL_W if shown else SEG_W)
        blocks[s] = {"depth": depth, "shown": shown, "more": more, "w": width,
                     "h": SEG_PITCH + (rows * CELL_H + 12 if rows else 0)}

    # cards (a top segment with the segments nested in it) stacked in columns upstream -> downstream; a
    # column taller than MAX_COL_H is split into sub-columns, whole cards only; groups form a row above
    cards: dict[Any, list[tuple[str, list[str]]]] = defaultdict(list)  # column -> [(top, its shown lanes)]
    group_row: list[str] = []
    for s, _ in lanes:
        if s in group_set:
            group_row.append(s)
            continue
        col = len(positions) if s == UNASSIGNED else col_index[column_key(s)]
        top = s if s == UNASSIGNED else st["top_of"].get(s, s)
        if not cards[col] or cards[col][-1][0] != top:
            cards[col].append((top, [s]))
        else:
            cards[col][-1][1].append(s)
    origin: dict[str, tuple[float, float]] = {}
    x, y_top = 0.0, 0.0
    if group_row:
        for s in group_row:
            origin[s] = (x, 0.0)
            x += blocks[s]["w"] + COL_GAP
        y_top = max(blocks[s]["h"] for s in group_row) + 20
    x = 0.0
    for col in sorted(cards):
        subcols: list[list[str]] = [[]]
        height = 0.0
        for _, card_ in cards[col]:
            h = sum(blocks[s]["h"] for s in card_)
            if subcols[-1] and height + h > MAX_COL_H:
                subcols.append([])
                height = 0.0
            subcols[-1].extend(card_)
            height += h
        for sub in subcols:
            y = y_top
            for s in sub:
                origin[s] = (x, y)
                y += blocks[s]["h"]
            x += max(blocks[s]["w"] for s in sub) + COL_GAP

    nodes: list[dict] = []
    where: dict[str, str] = {}  # entity id -> node id it is drawn as (itself, its aggregate or its segment)
    folded: set[str] = set()  # members drawn as their folded segment's box
    n_hidden = 0
    for s, ms in lanes:
        b = blocks[s]
        x0, y0 = origin[s]
        x0 += b["depth"] * INDENT
        head = (x0 + SEG_W / 2 - 5, y0 + SEG_PITCH / 2 - 4)
        if s == UNASSIGNED:
            nodes.append({"id": f"seg:{UNASSIGNED}", "kind": "unassigned", "x": head[0], "y": head[1],
                          "count": len(ms)})
            name = None
        else:
            r = by_seg[s]
            name = r["name"]
            # a group (the whole chain) takes the level most of its segments reach, as on the board
            level = group_coverage(s, st)["level"] if s in group_set else r["level"]
            nodes.append({"id": f"seg:{s}", "kind": "segment", "segment": s, "name": name, "depth": b["depth"],
                          "x": head[0], "y": head[1], "level": level, "score": r["score"],
                          "counts": r["counts"], "members": len(ms), "expanded": s in expand_set})
        ms_sorted = sorted(ms, key=_member_rank)
        cap = b["shown"]
        for i, d in enumerate(ms_sorted[:cap]):
            r_, q = divmod(i, GRID_COLS)
            nodes.append({"id": d["id"], "kind": d["kind"], "group": member_class(d), "name": d.get("name") or d["id"],
                          "aliases": list(d.get("aliases") or ()), "locality": d.get("locality"),
                          "has_locality": "locality" in d, "roles": list(d.get("roles") or ()),
                          "segment": None if s == UNASSIGNED else s,
                          "segment_names": [analysis.name(x) for x in ent_segs.get(d["id"], ())],
                          "x": x0 + q * CELL_W + CELL_W / 2, "y": y0 + SEG_PITCH + r_ * CELL_H + 14})
            where[d["id"]] = d["id"]
        hidden = ms_sorted[cap:]
        if hidden:
            n_hidden += len(hidden)
            if b["more"]:
                agg = f"agg:{s}"
                counts: dict[str, int] = {}
                for d in hidden:
                    counts[d["kind"]] = counts.get(d["kind"], 0) + 1
                    where[d["id"]] = agg
                rows_used = -(-cap // GRID_COLS)
                nodes.append({"id": agg, "kind": "aggregate", "segment": s, "name": name, "hidden_count": len(hidden),
                              "hidden_by_kind": counts, "x": x0 + SEG_W / 2 - 5,
                              "y": y0 + SEG_PITCH + rows_used * CELL_H + 20})
            else:  # a folded segment stands for its members: their relations with shown ones start at its box
                for d in hidden:
                    where[d["id"]] = f"seg:{s}"
                    folded.add(d["id"])

    edges: dict[tuple, dict] = {}
    first: dict[tuple, str] = {}
    rel_set = set(rel)
    for u, v, k, d in G.edges(keys=True, data=True):
        if k not in rel_set:
            continue
        a = f"seg:{u}" if u in shown_set else where.get(u)
        b = f"seg:{v}" if v in shown_set else where.get(v)
        if a is None or b is None or a == b:
            continue
        if u in folded and v in folded:  # between two folded segments: a hairball of box-to-box lines at 10k
            continue
        e = edges.get((a, b, k))
        rid = d.get("id") or ""
        if e is None or rid < first[(a, b, k)]:
            # the relation with the smallest id drawn as this edge names it (whatever order the graph holds
            # them in); the others are counted. A shown member's relation with a folded segment's member ends
            # at that segment's box: the map keeps it for when the member is picked (dozens of such lines per
            # firm at 10k firms)
            first[(a, b, k)] = rid
            e = edges[(a, b, k)] = {"from": a, "to": b, "type": k, "count": e["count"] if e else 0,
                                    "source_name": analysis.name(u), "target_name": analysis.name(v),
                                    "product": d.get("product"),
                                    "to_folded": u in folded or v in folded}
        e["count"] += 1
    member_total = sum(len(ms) for _, ms in lanes)
    return {
        "nodes": nodes,
        "edges": [edges[key] for key in sorted(edges)],  # one order, whatever order the graph holds
        "stats": {"segments": len(shown_segs), "members": member_total, "visible_members": member_total - n_hidden,
                  "aggregated": n_hidden, "nodes": len(nodes), "edges": len(edges), "max_nodes": max_nodes},
        "filters": {"rel": rel, "kinds": kinds, "locality": locality, "expand": list(expand), "more": sorted(more_set),
                    "per_segment": per_segment, "max_nodes": max_nodes, "segment": segment},
    }


def find_in_map(analysis, q: str, *, limit: int = 8) -> list[dict]:
    """Segments and members whose name or an alias contains ``q`` (case-insensitive), for the map's search.

    Each hit says which segment box it is drawn in (``segment``: the first of its segments in chain
    order, ``None`` for a member with no segment), so the map can expand that segment and focus it.
    Segments come first, then exact names, then shorter names.
    """
    needle = (q or "").strip().casefold()
    if not needle:
        return []
    cov = analysis.coverage()["segments"]
    order = {r["id"]: i for i, r in enumerate(cov)}
    hits = []
    for n, d in analysis.G.nodes(data=True):
        kind = d.get("kind")
        if kind != "segment" and kind not in MEMBER_KINDS:
            continue
        names = [d.get("name") or n, *(d.get("aliases") or ())]
        if not any(needle in str(x).casefold() for x in names):
            continue
        exact = any(needle == str(x).casefold() for x in names)
        if kind == "segment":
            if n not in order:
                continue
            seg = n
        else:
            segs = sorted((s for s in analysis.segments_of(n) if s in order), key=order.__getitem__)
            seg = segs[0] if segs else None
        hits.append(((kind != "segment", not exact, len(d.get("name") or n), d.get("name") or n, n),
                     {"id": n, "kind": kind, "name": d.get("name") or n, "segment": seg,
                      "locality": d.get("locality")}))
    hits.sort(key=lambda h: h[0])
    return [h[1] for h in hits[:limit]]
