"""The chain map (产业链图谱) drawn: vis-network nodes and edges from the chain map ``graph`` computes.

``graph.chainboard`` lays the segments and their members out (columns upstream
→ downstream, a grid of members under each segment, an aggregate node past the
node budget); this module gives each node its words (label, tooltip) and its
look (shape, colour) in the page's language, and parses the map's filters.

Everything a node shows (label, title) is plain text: vis-network puts a
string title in with ``innerText``, and labels are drawn on a canvas.
"""

from __future__ import annotations

from graph.chainboard import EXPANDED_CAP, MAX_NODES, MEMBER_KINDS, PER_SEGMENT
from registry.errors import InvalidInput, NotFound
from registry.model import RELATION_TYPES

from . import palette
from . import params as P
from .i18n import current_lang, label, text

DEFAULT_RELATIONS = ("FEEDS", "CHAIN_LEADER", "SUPPLIES", "RESEARCH_PARTNER", "CO_FOUNDED", "RUNS", "MEMBER_OF",
                     "OWNED_BY", "REORGANISES")
GRAPH_RELATIONS = tuple(t for t in RELATION_TYPES if t not in ("IN_SEGMENT", "PART_OF"))
LOCALITY_FILTERS = ("all", "in", "out")

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
GRAPH = palette.group("graph")  # fills, lines and the fallback colour of the drawings


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
    return {
        "rel": rels,
        "kinds": kinds,
        "locality": P.choice_arg(args, "locality", LOCALITY_FILTERS, "all"),
        "expand": expand,
        "per_segment": P.int_arg(args, "per_segment", PER_SEGMENT, 0, EXPANDED_CAP),
        "max_nodes": P.int_arg(args, "max_nodes", MAX_NODES, 50, 5000),
        "segment": P.text_arg(args, "segment", 100),
    }


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


def _node(n: dict) -> dict:
    kind = n["kind"]
    at = {"id": n["id"], "x": n["x"], "y": n["y"]}
    if kind == "unassigned":
        return dict(at, label=text("web.map.unassigned"), title=text("web.map.unassigned_title", n=n["count"]),
                    shape="box", color={"background": GRAPH["unassigned-fill"], "border": GRAPH["unassigned-line"]}, font={"size": 16},
                    kind="unassigned")
    if kind == "segment":
        c, level = n["counts"], n["level"]
        title = "\n".join([n["name"], text("web.map.coverage", score=f"{n['score']:g}", level=label("level_cov", level)),
                           text("web.map.counts", local=c["local_enterprises"], outside=c["outside_enterprises"],
                                platforms=c["platforms"], projects=c["projects"]),
                           text("web.map.open_segment")])
        return dict(at, label=("  " * n["depth"]) + short(n["name"], 16), title=title, shape="box", kind="segment",
                    segment=n["segment"], level=level, font={"size": 16 if n["depth"] == 0 else 14},
                    color={"background": LEVEL_FILL[level], "border": LEVEL_COLOURS[level]}, borderWidth=2)
    if kind == "aggregate":
        parts = "、".join(f"{k} {label('kind', kd)}" for kd, k in n["hidden_by_kind"].items())
        name = n["name"] if n["name"] is not None else text("web.map.unassigned")
        return dict(at, label=text("web.map.more", n=n["hidden_count"]),
                    title=text("web.map.more_title", name=name, parts=parts), shape="box",
                    color={"background": _MEMBER["aggregate"], "border": GRAPH["aggregate-line"]}, kind="aggregate", segment=n["segment"],
                    hidden_count=n["hidden_count"])
    style = KIND_STYLE[n["group"]]
    return dict(at, label=short(n["name"]), title=_member_title(n), shape=style["shape"], size=style["size"],
                color=style["color"], kind=kind, group=n["group"])


def _edge(e: dict) -> dict:
    k = e["type"]
    lines = [f"{e['source_name']} → {e['target_name']}", label("relation", k)]
    if e["product"]:
        lines.append(text("web.map.supplies", product=e["product"]))
    out = {"from": e["from"], "to": e["to"], "type": k, "title": "\n".join(lines), "count": e["count"],
           "color": {"color": EDGE_COLOURS.get(k, GRAPH["other"]), "opacity": 0.9 if k == "FEEDS" else 0.45},
           "arrows": "to", "width": 3 if k == "FEEDS" else 1}
    if e["count"] > 1:
        out["label"] = str(e["count"])
        out["title"] += "\n" + text("web.map.merged", n=e["count"])
    return out


def graph_view(analysis, *, segment: str | None = None, **filters) -> dict:
    """The chain map of ``graph.chainboard.chain_map`` as vis-network data, in the page's language."""
    if segment is not None and segment not in analysis.coverage_by_segment():
        raise NotFound(f"环节 '{segment}' 不存在 / no chain segment with id '{segment}'")
    lang = current_lang()
    key = f"vis:{lang}:" + repr((segment, sorted((k, tuple(v) if isinstance(v, list) else v)
                                                 for k, v in filters.items())))

    def compute():
        view = analysis.chain_map(segment=segment, **filters)
        return dict(view, nodes=[_node(n) for n in view["nodes"]], edges=[_edge(e) for e in view["edges"]])
    views = analysis.memo("vis_views", dict)  # the drawn views of this snapshot, per language and filters
    got = views.get(key)
    if got is None:
        if len(views) > 64:
            views.clear()
        got = views[key] = compute()
    return got


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
