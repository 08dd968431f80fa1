"""The chain map (产业链图谱), laid out by the chain's own structure.

Segments stand in columns from upstream to downstream (a root segment's
``position``; its sub-segments stay in its column), and each segment's firms,
platforms and projects sit in a small grid under it. Positions are computed
here, physics stays off in the browser, so 2,000 nodes draw in about a second
instead of a three-minute force layout. A segment with more members than its
share of the node budget shows the first ones and one aggregate node
("另有 N 个"), which the user can expand.

Everything a node shows (label, title) is plain text: vis-network puts a
string title in with ``innerText``, and labels are drawn on a canvas.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from registry.errors import InvalidInput
from registry.model import RELATION_TYPES

from . import analysis, palette
from .i18n import T, label

OUTSIDE = frozenset({"ganzhou", "jiangxi", "china", "abroad"})
MEMBER_KINDS = ("enterprise", "platform", "project")
DEFAULT_RELATIONS = ("FEEDS", "CHAIN_LEADER", "SUPPLIES", "RESEARCH_PARTNER", "CO_FOUNDED", "RUNS", "MEMBER_OF",
                     "OWNED_BY", "REORGANISES")
GRAPH_RELATIONS = tuple(t for t in RELATION_TYPES if t not in ("IN_SEGMENT", "PART_OF"))
LOCALITY_FILTERS = ("all", "in", "out")
PER_SEGMENT = 24
EXPANDED_CAP = 1000
MAX_NODES = 2000

GRID_COLS = 4
CELL_W, CELL_H = 140, 40
SEG_HEAD = 70
SEG_GAP = 60
EMPTY_LANE = 56  # a segment with nothing to show takes one row
COL_W = GRID_COLS * CELL_W + 170

# colours come from the one palette (web/static/palette.json); shapes and sizes are the map's own
LEVEL_COLOURS = palette.group("level")
LEVEL_FILL = palette.group("level_fill")
_MEMBER = palette.group("member")
KIND_STYLE = {
    "local": {"shape": "dot", "color": _MEMBER["local"], "size": 9},
    "outside": {"shape": "dot", "color": _MEMBER["outside"], "size": 8},
    "unknown": {"shape": "dot", "color": _MEMBER["unknown"], "size": 7},
    "platform": {"shape": "diamond", "color": _MEMBER["platform"], "size": 10},
    "project": {"shape": "square", "color": _MEMBER["project"], "size": 8},
    "aggregate": {"shape": "box", "color": _MEMBER["aggregate"]},
}
EDGE_COLOURS = palette.group("edge")


def short(text: str, n: int = 14) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# ------------------------------------------------------------------ the board (HTML columns)
def structure(snap: analysis.Snapshot) -> dict:
    """How the segments stand on the map.

    A segment's column is its own ``position``. A sub-segment in its parent's column nests inside the
    parent's card; one in another column stands as a card of its own there. A top segment whose
    sub-segments spread over several columns (the root of the whole chain) is a *group*: a banner
    above the columns.
    """
    def compute():
        rows = analysis.coverage(snap)["segments"]
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
    return snap.memo("structure", compute)


def columns(snap: analysis.Snapshot) -> dict:
    """The board: group banners, then columns upstream → downstream with nested cards."""
    st = structure(snap)
    by_id, kids, group_set = st["by_id"], st["kids"], st["group_set"]
    gap_counts = _gap_counts(snap)

    def card(s: str, seen: set) -> dict:
        r = by_id[s]
        seen.add(s)
        children = [card(c, seen) for c in kids[s] if c not in group_set and c not in seen
                    and (by_id[c].get("position") or 0) == (r.get("position") or 0)]
        return {"id": s, "name": r["name"], "level": r["level"], "score": r["score"], "stage": r.get("stage"),
                "counts": r["counts"], "gaps": gap_counts.get(s, 0), "children": children,
                "explain_zh": r.get("score_explain_zh"), "explain_en": r.get("score_explain_en")}

    cols: dict[Any, list] = defaultdict(list)
    seen: set[str] = set()
    for t in st["tops"]:
        cols[by_id[t].get("position") or 0].append(card(t, seen))
    banners = [dict(card(g, set()), children=[]) for g in st["groups"]]
    return {"groups": banners, "columns": [{"position": p, "segments": cols[p]} for p in sorted(cols)]}


def _gap_counts(snap: analysis.Snapshot) -> dict[str, int]:
    def compute():
        counts: dict[str, int] = defaultdict(int)
        for g in analysis.all_gaps(snap):
            for s in set(g.get("subject_ids") or []) | set((g.get("wanted") or {}).get("segments") or []):
                counts[s] += 1
        return dict(counts)
    return snap.memo("gap_counts", compute)


# ------------------------------------------------------------------ the interactive graph
def parse_filters(args) -> dict:
    """Filters of the graph view from query arguments, with exact 400 messages."""
    from . import params as P

    def listed(name: str) -> list[str] | None:
        raw = args.getlist(name) if hasattr(args, "getlist") else ([args[name]] if name in args else [])
        if not raw:
            return None
        if sum(len(r) for r in raw) > 2000:
            raise InvalidInput(f"{name}: 过长 / {name} is too long")
        return list(dict.fromkeys(x for r in raw for x in r.split(",") if x))

    rels = listed("rel")
    if rels is None:
        rels = list(DEFAULT_RELATIONS)
    else:
        bad = [r for r in rels if r not in GRAPH_RELATIONS]
        if bad:
            raise InvalidInput(f"rel: 不支持的关系类型 {bad[0][:40]!r}，可用：{', '.join(GRAPH_RELATIONS)} / "
                               "unknown relation type")
    kinds = listed("kinds")
    if kinds is None:
        kinds = list(MEMBER_KINDS)
    bad = [k for k in kinds if k not in MEMBER_KINDS]
    if bad:
        raise InvalidInput(f"kinds: 不支持的类型 {bad[0][:40]!r}，可用：{', '.join(MEMBER_KINDS)} / unknown kind")
    expand = (listed("expand") or [])[:50]
    return {
        "rel": rels,
        "kinds": kinds,
        "locality": P.choice_arg(args, "locality", LOCALITY_FILTERS, "all"),
        "expand": expand,
        "per_segment": P.int_arg(args, "per_segment", PER_SEGMENT, 0, EXPANDED_CAP),
        "max_nodes": P.int_arg(args, "max_nodes", MAX_NODES, 50, 5000),
        "segment": P.text_arg(args, "segment", 100),
    }


def _member_class(d: dict) -> str:
    kind = d.get("kind")
    if kind != "enterprise":
        return kind
    loc = d.get("locality")
    return "local" if loc == "cluster" else "outside" if loc in OUTSIDE else "unknown"


def _passes(d: dict, kinds: Iterable[str], locality: str) -> bool:
    if d.get("kind") not in kinds:
        return False
    loc = d.get("locality")
    if locality == "in":
        return loc == "cluster"
    if locality == "out":
        return loc in OUTSIDE
    return True


def _member_rank(d: dict) -> tuple:
    roles = d.get("roles") or []
    return (MEMBER_KINDS.index(d["kind"]), d.get("locality") != "cluster",
            not any(r in ("链主", "龙头") for r in roles), d.get("sort_key") or d.get("name", ""), d["id"])


def _title(d: dict, segs: list[str]) -> str:
    """A node's tooltip: plain text lines (never HTML)."""
    lines = [d.get("name") or d["id"], label("kind", d.get("kind"))]
    if d.get("aliases"):
        lines.append(T("简称：", "Also: ") + "、".join(d["aliases"][:4]))
    if "locality" in d:
        lines.append(label("locality", d.get("locality")))
    if d.get("roles"):
        lines.append(T("角色：", "Roles: ") + "、".join(d["roles"]))
    if segs:
        lines.append(T("环节：", "Segments: ") + "、".join(segs[:4]))
    return "\n".join(lines)


def _nesting(s: str, st: dict) -> int:
    """How deep a segment sits inside its top card (0 for the card itself)."""
    by_id, top, n = st["by_id"], st["top_of"].get(s, s), 0
    while s != top and by_id[s].get("parent") in by_id and n < 10:
        s = by_id[s]["parent"]
        n += 1
    return n


def graph_view(snap: analysis.Snapshot, *, rel: list[str], kinds: list[str], locality: str = "all",
               expand: list[str] = (), per_segment: int = PER_SEGMENT, max_nodes: int = MAX_NODES,
               segment: str | None = None) -> dict:
    """Nodes with fixed positions and the edges between them, within a node budget.

    ``segment`` limits the view to one segment's subtree (its firms and their relations).
    Views are memoised on the snapshot (per filters and language): a write makes a new snapshot.
    """
    from .i18n import current_lang

    key = ("graph_view", tuple(sorted(rel)), tuple(sorted(kinds)), locality, tuple(sorted(expand)), per_segment,
           max_nodes, segment, current_lang())
    views = snap.memo("graph_views", dict)
    got = views.get(key)
    if got is None:
        if len(views) > 64:
            views.clear()
        got = views[key] = _graph_view(snap, rel=rel, kinds=kinds, locality=locality, expand=expand,
                                       per_segment=per_segment, max_nodes=max_nodes, segment=segment)
    return got


def _graph_view(snap: analysis.Snapshot, *, rel: list[str], kinds: list[str], locality: str,
                expand: list[str], per_segment: int, max_nodes: int, segment: str | None) -> dict:
    cov = analysis.coverage(snap)["segments"]
    order = {r["id"]: i for i, r in enumerate(cov)}
    by_seg = {r["id"]: r for r in cov}
    if segment is not None and segment not in by_seg:
        from registry.errors import NotFound
        raise NotFound(f"环节 '{segment}' 不存在 / no chain segment with id '{segment}'")
    st = structure(snap)
    group_set = st["group_set"]
    shown_segs = [s for s in st["lane_order"]] + [g for g in st["groups"]]
    if segment:
        keep, stack = set(), [segment]
        while stack:
            s = stack.pop()
            if s not in keep:
                keep.add(s)
                stack.extend(by_seg[s].get("children") or [])
        shown_segs = [s for s in shown_segs if s in keep]
    shown_set = set(shown_segs)
    # a segment's column: the position of its top card; groups go in a column of their own on the left
    def column_key(s: str):
        if s in group_set:
            return -1
        return by_seg[st["top_of"][s]].get("position") or 0
    positions = sorted({column_key(s) for s in shown_segs})
    col_index = {p: i for i, p in enumerate(positions)}

    # members by primary segment: the first of its segments in chain order
    G = snap.G
    members: dict[str, list[dict]] = defaultdict(list)
    seg_names: dict[str, list[str]] = {}
    unassigned: list[dict] = []
    for n, d in snap.by_id.items():
        if d.get("kind") not in MEMBER_KINDS or not _passes(d, kinds, locality):
            continue
        segs = [v for _, v, k in G.out_edges(n, keys=True) if k == "IN_SEGMENT"]
        seg_names[n] = [snap.name(s) for s in segs]
        inside = sorted((s for s in segs if s in shown_set), key=order.__getitem__)
        if inside:
            members[inside[0]].append(d)
        elif not segs and not segment:
            unassigned.append(d)
    lanes = [(s, members.get(s, [])) for s in shown_segs]
    if unassigned:
        lanes.append(("__unassigned__", unassigned))

    # the node budget: segments always; expanded segments first, then an even share each
    budget = max(0, max_nodes - len(lanes))
    expand_set = set(expand)
    caps: dict[str, int] = {}
    for s, ms in lanes:
        caps[s] = min(len(ms), EXPANDED_CAP if s in expand_set else per_segment)

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
        if s == "__unassigned__":
            col, name, level = extra_col, T("未归入环节", "No segment recorded"), None
        else:
            col = col_index[column_key(s)]
            name, level = by_seg[s]["name"], by_seg[s]["level"]
        x0 = col * COL_W
        y0 = col_y[col]
        depth = 0 if s == "__unassigned__" or s in group_set else _nesting(s, st)
        if s == "__unassigned__":
            title = T(f"{len(ms)} 个记录没有所属环节", f"{len(ms)} records with no segment")
            nodes.append({"id": "seg:__unassigned__", "label": name, "title": title, "x": x0 + CELL_W, "y": y0,
                          "shape": "box", "color": {"background": "#f5f5f5", "border": "#9e9e9e"},
                          "font": {"size": 16}, "kind": "unassigned"})
        else:
            c = by_seg[s]["counts"]
            title = "\n".join([name, T(f"覆盖度 {by_seg[s]['score']:g}（{label('level_cov', level)}）",
                                       f"coverage {by_seg[s]['score']:g} ({label('level_cov', level)})"),
                               T(f"本地企业 {c['local_enterprises']} · 集群外 {c['outside_enterprises']} · "
                                 f"平台 {c['platforms']} · 项目 {c['projects']}",
                                 f"local firms {c['local_enterprises']} · outside {c['outside_enterprises']} · "
                                 f"platforms {c['platforms']} · projects {c['projects']}"),
                               T("点击查看环节详情", "Click for the segment page")])
            nodes.append({"id": f"seg:{s}", "label": ("  " * depth) + short(name, 16), "title": title,
                          "x": x0 + CELL_W + depth * 20, "y": y0, "shape": "box", "kind": "segment", "segment": s,
                          "level": level, "font": {"size": 16 if depth == 0 else 14},
                          "color": {"background": LEVEL_FILL[level], "border": LEVEL_COLOURS[level]},
                          "borderWidth": 2})
        ms_sorted = sorted(ms, key=_member_rank)
        cap = caps[s]
        for i, d in enumerate(ms_sorted[:cap]):
            r, q = divmod(i, GRID_COLS)
            style = KIND_STYLE[_member_class(d)]
            nodes.append({"id": d["id"], "label": short(d.get("name") or d["id"]),
                          "title": _title(d, seg_names.get(d["id"], [])),
                          "x": x0 + q * CELL_W, "y": y0 + SEG_HEAD + r * CELL_H, "shape": style["shape"],
                          "size": style["size"], "color": style["color"], "kind": d["kind"],
                          "group": _member_class(d)})
            where[d["id"]] = d["id"]
        rows_used = -(-min(cap, len(ms_sorted)) // GRID_COLS)
        hidden = ms_sorted[cap:]
        if hidden:
            n_hidden += len(hidden)
            agg = f"agg:{s}"
            counts = defaultdict(int)
            for d in hidden:
                counts[d["kind"]] += 1
                where[d["id"]] = agg
            parts = "、".join(f"{n} {label('kind', k)}" for k, n in counts.items())
            nodes.append({"id": agg, "label": T(f"另有 {len(hidden)} 个 ＋", f"+{len(hidden)} more"),
                          "title": T(f"{name}：另有 {parts}\n点击展开", f"{name}: {parts} more\nClick to expand"),
                          "x": x0 + CELL_W, "y": y0 + SEG_HEAD + rows_used * CELL_H, "shape": "box",
                          "color": {"background": "#eceff1", "border": "#78909c"}, "kind": "aggregate",
                          "segment": s, "hidden_count": len(hidden)})
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
        key = (a, b, k)
        e = edges.get(key)
        if e is None:
            text = [f"{snap.name(u)} → {snap.name(v)}", label("relation", k)]
            if d.get("product"):
                text.append(T("供应：", "Supplies: ") + d["product"])
            e = edges[key] = {"from": a, "to": b, "type": k, "title": "\n".join(text), "count": 0,
                              "color": {"color": EDGE_COLOURS.get(k, "#90a4ae"), "opacity": 0.9 if k == "FEEDS" else 0.45},
                              "arrows": "to",
                              "width": 3 if k == "FEEDS" else 1}
        e["count"] += 1
    for e in edges.values():
        if e["count"] > 1:
            e["label"] = str(e["count"])
            e["title"] += "\n" + T(f"（合并 {e['count']} 条）", f"({e['count']} relations merged)")
    member_total = sum(len(ms) for _, ms in lanes)
    return {
        "nodes": nodes,
        "edges": list(edges.values()),
        "stats": {"segments": len(shown_segs), "members": member_total, "visible_members": member_total - n_hidden,
                  "aggregated": n_hidden, "nodes": len(nodes), "edges": len(edges), "max_nodes": max_nodes},
        "filters": {"rel": rel, "kinds": kinds, "locality": locality, "expand": list(expand),
                    "per_segment": per_segment, "max_nodes": max_nodes, "segment": segment},
    }


VIS_OPTIONS = {
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True, "navigationButtons": False,
                    "keyboard": False, "multiselect": False},
    "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
              "font": {"size": 10, "align": "middle"}},
    "nodes": {"font": {"size": 12, "face": "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"}},
}


# ------------------------------------------------------------------ standalone export (pyvis)
def standalone_network(view: dict):
    """The view as a pyvis Network (positions fixed, physics off)."""
    from pyvis.network import Network

    net = Network(height="780px", width="100%", directed=True, cdn_resources="in_line")
    for n in view["nodes"]:
        opts = {k: v for k, v in n.items() if k not in ("id", "label", "shape", "kind", "segment", "level",
                                                          "hidden_count", "group")}
        net.add_node(n["id"], label=n["label"], shape=n.get("shape", "dot"), physics=False, **opts)
    known = set(net.node_ids)
    for e in view["edges"]:
        if e["from"] in known and e["to"] in known:
            # appended directly: pyvis' add_edge scans every node id per edge (quadratic at 2,000 nodes)
            net.edges.append({k: v for k, v in e.items() if k not in ("type", "count")})
    net.options = dict(VIS_OPTIONS)
    return net
