"""The chain map (产业链图谱) drawn: vis-network nodes and edges from the chain map ``graph`` computes.

``graph.chainboard`` lays the segments and their members out (columns upstream
→ downstream, a grid of members under each segment, an aggregate node past the
node budget); this module gives each node its words (label, tooltip) and its
look (shape, colour) in the page's language, and parses the map's filters.

Everything a node shows (label, title) is plain text: vis-network puts a
string title in with ``innerText``, and labels are drawn on a canvas.
"""

from __future__ import annotations

from graph.chainboard import EXPANDED_CAP, MAX_NODES, MEMBER_KINDS, PER_SEGMENT, find_in_map
from registry.errors import InvalidInput, NotFound
from registry.model import RELATION_TYPES

from . import palette
from . import params as P
from .i18n import current_lang, label, text

DEFAULT_RELATIONS = ("FEEDS", "CHAIN_LEADER", "SUPPLIES", "RESEARCH_PARTNER", "CO_FOUNDED", "RUNS", "MEMBER_OF",
                     "OWNED_BY", "REORGANISES")
GRAPH_RELATIONS = tuple(t for t in RELATION_TYPES if t not in ("IN_SEGMENT", "PART_OF"))
LOCALITY_FILTERS = ("all", "in", "out")

# colours come from the one palette (web/static/palette.json); shapes and sizes are the map's own.
# One scheme everywhere: a firm, platform or project is coloured by where the sources place it (the
# legend's locality classes, web.palette.LOCALITY_CLASS) and shaped by its kind; a segment is filled by
# its coverage level.
LEVEL_COLOURS = palette.group("level")
LEVEL_FILL = palette.group("level_fill")
LOCALITY_COLOURS = palette.group("locality")
_MEMBER = palette.group("member")
KIND_SHAPES = {"enterprise": ("dot", 9), "platform": ("diamond", 10), "project": ("square", 8)}
FONT_SIZE = 14       # every label on the maps; the page never opens them below 12 px (see app.js)
SEG_BOX = {"minimum": 120, "maximum": 150}  # a segment box's width (graph.chainboard.SEG_W leaves room)
SEG_NAME_CHARS = 9   # a segment's name on its box (the rest is in its tooltip)
MEMBER_NAME_CHARS = 9
LEVELS = ("strong", "medium", "weak", "none")
EDGE_COLOURS = palette.group("edge")
GRAPH = palette.group("graph")  # fills, lines and the fallback colour of the drawings
KIND_STYLE = {  # kept for callers that style by the old three-way group (local / outside / unknown)
    "local": {"shape": "dot", "color": _MEMBER["local"], "size": 9},
    "outside": {"shape": "dot", "color": _MEMBER["outside"], "size": 8},
    "unknown": {"shape": "dot", "color": _MEMBER["unknown"], "size": 7},
    "platform": {"shape": "diamond", "color": _MEMBER["platform"], "size": 10},
    "project": {"shape": "square", "color": _MEMBER["project"], "size": 8},
    "aggregate": {"shape": "box", "color": _MEMBER["aggregate"]},
}


def member_colour(locality: str | None) -> str:
    """The colour of a firm, platform or project: its locality class's."""
    return LOCALITY_COLOURS[palette.locality_class(locality)]


def legend(*, aggregate: bool = True) -> dict:
    """The one legend of the maps, in the page's language: what each colour, shape, fill and line means.

    The pages draw it as HTML (``_chain_legend.html``); the PNG export draws the same entries on the
    picture (app.js), so the picture explains itself.
    """
    return {
        "locality": {"title": text("ui.chainmap.legend.locality"),
                     "items": [{"code": c, "colour": LOCALITY_COLOURS[c], "label": text(f"ui.chainmap.legend.loc.{c}")}
                               for c in palette.LOCALITY_CLASSES]},
        "kinds": {"title": text("ui.chainmap.legend.kinds"),
                  "items": [{"code": k, "shape": KIND_SHAPES[k][0], "colour": GRAPH["legend-shape"],
                             "label": text(f"ui.chainmap.legend.kind.{k}")} for k in KIND_SHAPES]
                  + ([{"code": "aggregate", "shape": "box", "colour": _MEMBER["aggregate"],
                       "label": text("ui.chainmap.legend.kind.aggregate")}] if aggregate else [])},
        "coverage": {"title": text("ui.chainmap.legend.coverage"),
                     "items": [{"code": lv, "colour": LEVEL_FILL[lv], "line": LEVEL_COLOURS[lv],
                                "label": text(f"ui.legend.{lv}")} for lv in LEVELS]},
        "relations": {"title": text("ui.chainmap.legend.relations"),
                      "items": [{"code": t, "colour": EDGE_COLOURS[t], "label": text(f"ui.chain.legend.{key}")}
                                for t, key in (("FEEDS", "feeds"), ("SUPPLIES", "supplies"), ("CHAIN_LEADER", "leader"),
                                               ("RESEARCH_PARTNER", "research"))]},
    }


def short(text_: str, n: int = 14) -> str:
    return text_ if len(text_) <= n else text_[: n - 1] + "…"


# ------------------------------------------------------------------ filters
def parse_filters(args) -> dict:
    """Filters of the graph view from query arguments, with exact 400 messages."""
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
    more = (listed("more") or [])[:50]
    return {
        "rel": rels,
        "kinds": kinds,
        "locality": P.choice_arg(args, "locality", LOCALITY_FILTERS, "all"),
        "expand": expand,
        "more": more,
        "per_segment": P.int_arg(args, "per_segment", PER_SEGMENT, 0, EXPANDED_CAP),
        "max_nodes": P.int_arg(args, "max_nodes", MAX_NODES, 50, 5000),
        "segment": P.text_arg(args, "segment", 100),
    }


def find(analysis, args) -> dict:
    """The map's search box: ``q`` (1-100 characters), ``limit`` (1-20, default 8)."""
    q = P.text_arg(args, "q", 100)
    if not q:
        raise InvalidInput("q: 请输入要在图中查找的名称 / q: type a name to find in the map")
    hits = find_in_map(analysis, q, limit=P.int_arg(args, "limit", 8, 1, 20))
    for h in hits:
        h["node"] = f"seg:{h['segment']}" if h["kind"] == "segment" else h["id"]
        h["kind_label"] = label("kind", h["kind"])
        if h["kind"] != "segment":
            h["locality_label"] = label("locality", h["locality"] or "unknown")
            h["locality_class"] = palette.locality_class(h["locality"])
    return {"q": q, "hits": hits}


# ------------------------------------------------------------------ the map in words and colours
def _member_title(n: dict) -> str:
    """A member's tooltip: plain text lines (never HTML)."""
    lines = [n["name"], label("kind", n["kind"])]
    if n["aliases"]:
        lines.append(text("web.map.aliases", names="、".join(n["aliases"][:4])))
    if n["has_locality"]:
        lines.append(label("locality", n["locality"]))
    if n["roles"]:
        lines.append(text("web.map.roles", names="、".join(label("role", r) for r in n["roles"])))
    if n["segment_names"]:
        lines.append(text("web.map.segments", names="、".join(n["segment_names"][:4])))
    return "\n".join(lines)


def _font(size: int = FONT_SIZE, *, backed: bool = False) -> dict:
    """A label's font; ``backed`` puts a light backing under the text so a line crossing it does not hide it."""
    out = {"size": size, "color": GRAPH["label"]}
    if backed:
        out["background"] = GRAPH["label-bg"]
    return out


def _node(n: dict) -> dict:
    kind = n["kind"]
    at = {"id": n["id"], "x": n["x"], "y": n["y"]}
    if kind == "unassigned":
        return dict(at, label=text("web.map.unassigned") + "\n" + str(n["count"]),
                    title=text("web.map.unassigned_title", n=n["count"]),
                    shape="box", color={"background": GRAPH["unassigned-fill"], "border": GRAPH["unassigned-line"]},
                    font=_font(), widthConstraint=dict(SEG_BOX), kind="unassigned")
    if kind == "segment":
        c, level = n["counts"], n["level"]
        firms = c["local_enterprises"] + c["outside_enterprises"] + c.get("unknown_locality_enterprises", 0)
        title = "\n".join([n["name"], text("web.map.coverage", score=f"{n['score']:g}", level=label("level_cov", level)),
                           text("web.map.counts", local=c["local_enterprises"], outside=c["outside_enterprises"],
                                platforms=c["platforms"], projects=c["projects"]),
                           text("ui.chainmap.map.seg_members", n=n.get("members", 0))])
        return dict(at, label=short(n["name"], SEG_NAME_CHARS) + "\n" + text("ui.chainmap.map.seg_counts", firms=firms,
                                                                              local=c["local_enterprises"]),
                    title=title, shape="box", kind="segment", segment=n["segment"], level=level,
                    name=n["name"], expanded=bool(n.get("expanded")), members=n.get("members", 0), font=_font(),
                    widthConstraint=dict(SEG_BOX),
                    color={"background": LEVEL_FILL[level], "border": LEVEL_COLOURS[level]},
                    borderWidth=3 if n.get("expanded") else 2)
    if kind == "aggregate":
        parts = "、".join(f"{k} {label('kind', kd)}" for kd, k in n["hidden_by_kind"].items())
        name = n["name"] if n["name"] is not None else text("web.map.unassigned")
        return dict(at, label=text("web.map.more", n=n["hidden_count"]),
                    title=text("web.map.more_title", name=name, parts=parts), shape="box", font=_font(),
                    widthConstraint={"maximum": 140},
                    color={"background": _MEMBER["aggregate"], "border": GRAPH["aggregate-line"]}, kind="aggregate",
                    segment=n["segment"], hidden_count=n["hidden_count"])
    shape, size = KIND_SHAPES.get(kind, ("dot", 8))
    loc = palette.locality_class(n.get("locality"))
    return dict(at, label=short(n["name"], MEMBER_NAME_CHARS + 1), title=_member_title(n), shape=shape, size=size,
                color=LOCALITY_COLOURS[loc], kind=kind, group=n["group"], locality_class=loc, name=n["name"],
                segment=n.get("segment"), font=_font(backed=True))


def _edge(e: dict) -> dict:
    k = e["type"]
    lines = [f"{e['source_name']} → {e['target_name']}", label("relation", k)]
    if e["product"]:
        lines.append(text("web.map.supplies", product=e["product"]))
    out = {"from": e["from"], "to": e["to"], "type": k, "title": "\n".join(lines), "count": e["count"],
           "color": {"color": EDGE_COLOURS.get(k, GRAPH["other"]), "opacity": 0.9 if k == "FEEDS" else 0.45},
           "arrows": "to", "width": 3 if k == "FEEDS" else 1}
    if e.get("to_folded"):  # shown when one of its ends is picked (app.js), not as part of the overview
        out["hidden"] = True
        out["folded"] = True
    if e["count"] > 1:
        out["title"] += "\n" + text("web.map.merged", n=e["count"])
        out["width"] = min(6, out["width"] + 1)
    return out


def graph_view(analysis, *, segment: str | None = None, **filters) -> dict:
    """The chain map of ``graph.chainboard.chain_map`` as vis-network data, in the page's language.

    Memoised per language and filters against the very view it was drawn from: ``Analysis.chain_map``
    returns the same object until a write touches it, and after a write (it patches the view) only the
    nodes and edges that differ are worded again (:func:`_drawn`); both memos outlive a write."""
    if segment is not None and segment not in analysis.coverage_by_segment():
        raise NotFound(f"环节 '{segment}' 不存在 / no chain segment with id '{segment}'")
    lang = current_lang()
    view = analysis.chain_map(segment=segment, **filters)
    key = f"vis:{lang}:" + repr((segment, sorted((k, tuple(v) if isinstance(v, list) else v)
                                                 for k, v in filters.items())))
    views = analysis.memo("vis_views", dict)  # the drawn views, per language and filters: (view, drawing)
    got = views.get(key)
    if got is not None and got[0] is view:
        return got[1]
    parts = analysis.memo("vis_parts", dict)  # per language: node id / edge key -> (as given, as drawn)
    nodes, edges = parts.setdefault(f"{lang}:nodes", {}), parts.setdefault(f"{lang}:edges", {})
    if len(nodes) + len(edges) > PARTS_KEPT:
        nodes.clear()
        edges.clear()
    drawn = dict(view, nodes=[_drawn(n, nodes, n["id"], _node) for n in view["nodes"]],
                 edges=[_drawn(e, edges, (e["from"], e["to"], e["type"]), _edge) for e in view["edges"]])
    if len(views) > 64:
        views.clear()
    views[key] = (view, drawn)
    return drawn


PARTS_KEPT = 10_000  # drawn nodes and edges kept per language for the next drawing (a few KB each, with their data)
_PLACE = ("x", "y")


def _drawn(item: dict, kept: dict, key, draw) -> dict:
    """A node or edge as drawn: the one drawn before when it is the same (or only moved: then a copy at its
    new place), else drawn anew (its words through the catalogue)."""
    hit = kept.get(key)
    if hit is not None:
        was, out = hit
        if was is item or was == item:
            return out
        if "x" in item and len(was) == len(item) and all(
                k in _PLACE or was.get(k, was) == v for k, v in item.items()):
            out = dict(out, x=item["x"], y=item["y"])
            kept[key] = (item, out)
            return out
    out = draw(item)
    kept[key] = (item, out)
    return out


VIS_OPTIONS = {
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True, "navigationButtons": False,
                    "keyboard": False, "multiselect": False},
    "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
              "font": {"size": 10, "align": "middle"}},
    "nodes": {"font": {"size": FONT_SIZE, "face": "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"}},
}
MIN_LABEL_PX = 12  # the smallest label size, in CSS px, the map may open at (app.js keeps to it)


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


# ------------------------------------------------------------------ an entity's neighbourhood
NEIGHBOUR_SHAPES = {"enterprise": "dot", "platform": "diamond", "project": "square", "segment": "box",
                    "target": "triangle", "gov_unit": "hexagon", "document": "box"}


def segment_levels(analysis) -> dict[str, str]:
    """Each segment's coverage level (the one the gap analysis computes), memoised on the snapshot."""
    def compute():
        levels = {r["id"]: r["level"] for r in analysis.coverage()["segments"]}
        for g in analysis.board()["groups"]:  # the whole chain: the level most of its segments reach
            levels[g["id"]] = g["level"]
        return levels
    return analysis.memo("segment_levels", compute)


def neighbour_style(n: dict, *, centre: bool, levels: dict[str, str]) -> dict:
    """How a node of an entity's neighbourhood looks, in the chain map's one scheme.

    Firms, platforms and projects take their locality class's colour (特斯拉, whose place the sources do
    not state, is "not stated", not "in the cluster"); a segment is filled by its coverage level; the
    other kinds keep their kind's colour.
    """
    kind = n.get("kind")
    out = {"shape": NEIGHBOUR_SHAPES.get(kind, "dot"), "size": 18 if centre else 10,
           "font": _font(18 if centre else FONT_SIZE, backed=True)}
    if kind in KIND_SHAPES:
        out["color"] = member_colour(n.get("locality"))
        out["locality_class"] = palette.locality_class(n.get("locality"))
    elif kind == "segment":
        level = levels.get(n["id"], "none")
        out["color"] = {"background": LEVEL_FILL[level], "border": LEVEL_COLOURS[level]}
        out["level"] = level
        out["borderWidth"] = 2
    elif kind == "document":
        out["color"] = {"background": GRAPH["document-fill"], "border": palette.colour("entity", "document")}
    else:
        out["color"] = palette.group("entity").get(kind, GRAPH["other"])
    return out
