"""The chain map as data (graph.chainboard), issue 11: the default view is segments with counts, the
layout leaves every label its own room, the whole-chain banner follows its segments, the map's search."""

from __future__ import annotations

import itertools

import pytest

from graph import build_graph
from graph.analysis import Analysis
from graph.chainboard import CELL_H, CELL_W, SEG_PITCH, SEG_W, find_in_map, group_coverage
from graph.synthetic import synthetic_registry
from seed.dataset import load_dataset

ALL = {"rel": ["FEEDS", "SUPPLIES", "CHAIN_LEADER", "RESEARCH_PARTNER"], "kinds": ["enterprise", "platform", "project"]}


@pytest.fixture(scope="module")
def seed() -> Analysis:
    return Analysis(build_graph(*load_dataset()))


def slot(n: dict) -> tuple[float, float, float, float]:
    """The room a node may draw its label in (left, top, right, bottom), as the layout reserves it."""
    if n["kind"] == "aggregate":
        return n["x"] - 70, n["y"] - 16, n["x"] + 70, n["y"] + 16   # one line: "还有 940 个"
    if n["kind"] in ("segment", "unassigned"):
        return n["x"] - 75, n["y"] - 32, n["x"] + 75, n["y"] + 32   # a box of at most 150 x 64 px (3 lines)
    return n["x"] - CELL_W / 2 + 10, n["y"] - 10, n["x"] + CELL_W / 2 - 10, n["y"] + CELL_H - 12


def clashes(nodes: list[dict]) -> list[tuple[str, str]]:
    out = []
    for a, b in itertools.combinations(nodes, 2):
        (l1, t1, r1, b1), (l2, t2, r2, b2) = slot(a), slot(b)
        if min(r1, r2) - max(l1, l2) > 0 and min(b1, b2) - max(t1, t2) > 0:
            out.append((a["id"], b["id"]))
    return out


def test_the_default_view_is_segments_with_counts(seed):
    view = seed.chain_map(**ALL)
    assert {n["kind"] for n in view["nodes"]} <= {"segment", "unassigned"}
    segs = {n["segment"]: n for n in view["nodes"] if n["kind"] == "segment"}
    assert len(segs) == 34
    c = segs["seg-re-smelting-separation"]["counts"]
    assert (c["local_enterprises"], c["outside_enterprises"], c["unknown_locality_enterprises"]) == (1, 11, 1)
    assert view["stats"]["visible_members"] == 0 and view["stats"]["aggregated"] == view["stats"]["members"]
    assert clashes(view["nodes"]) == []
    # upstream -> downstream: a later segment never stands left of an earlier column's
    assert segs["seg-re-mining"]["x"] < segs["seg-re-smelting-separation"]["x"] < segs["seg-re-functional-materials"]["x"]


def test_an_expanded_segment_shows_its_firms_in_their_own_room(seed):
    view = seed.chain_map(**ALL, expand=["seg-re-smelting-separation", "seg-re-luminescent-materials"])
    members = [n for n in view["nodes"] if n["kind"] in ("enterprise", "platform", "project")]
    assert {n["segment"] for n in members} == {"seg-re-smelting-separation", "seg-re-luminescent-materials"}
    assert len(members) == view["stats"]["visible_members"] > 10
    assert clashes(view["nodes"]) == []
    # the relations of firms in folded segments are drawn from their segment's box
    assert any(e["type"] == "SUPPLIES" for e in view["edges"])


def test_a_tall_column_is_split_and_nothing_overlaps_with_everything_expanded(seed):
    segs = [r["id"] for r in seed.coverage()["segments"]] + ["__unassigned__"]  # and the firms in no segment
    view = seed.chain_map(**ALL, expand=segs, more=segs)
    assert clashes(view["nodes"]) == []
    assert view["stats"]["aggregated"] == 0


def test_the_whole_chain_banner_follows_its_segments(seed):
    banner = seed.board()["groups"][0]
    assert banner["id"] == "seg-re-industry-chain"
    assert banner["score"] == 92.0  # the root's own all-firm score, which made it read "strong" …
    assert banner["level"] == "none"  # … while 25 of its 33 segments have nothing
    assert (banner["covered"], banner["segments"]) == (8, 33)
    assert banner["by_level"] == {"strong": 0, "medium": 0, "weak": 8, "none": 25}
    root = next(n for n in seed.chain_map(**ALL)["nodes"] if n["id"] == "seg:seg-re-industry-chain")
    assert root["level"] == "none"  # the map's banner node says the same


@pytest.mark.parametrize("levels, expected", [
    (["strong", "strong", "none"], "strong"),
    (["strong", "weak", "none", "none"], "weak"),
    (["medium", "none", "none"], "none"),
    ([], "strong"),  # no segments under it: its own level
])
def test_group_level_is_the_median_of_its_segments(levels, expected):
    kids = [f"s{i}" for i in range(len(levels))]
    st = {"by_id": {"g": {"level": "strong"}, **{k: {"level": lv} for k, lv in zip(kids, levels)}},
          "kids": {"g": kids, **{k: [] for k in kids}}}
    assert group_coverage("g", st)["level"] == expected


def test_find_in_map(seed):
    assert [(h["id"], h["segment"]) for h in find_in_map(seed, "特斯拉")] == [("ent-tesla", None)]
    hits = find_in_map(seed, "金力永磁")
    assert hits[0]["id"] == "ent-jl-mag" and hits[0]["segment"]
    hits = find_in_map(seed, "稀土", limit=5)
    assert len(hits) == 5 and hits[0]["kind"] == "segment"  # segments first
    assert find_in_map(seed, "  ") == [] and find_in_map(seed, "没有这家") == []


def test_the_default_view_at_10k_firms_carries_no_firm():
    a = Analysis(build_graph(*synthetic_registry(10_000)))
    view = a.chain_map(**ALL)
    assert view["stats"]["members"] >= 10_000
    assert {n["kind"] for n in view["nodes"]} <= {"segment", "unassigned"}
    assert len(view["nodes"]) < 60 and clashes(view["nodes"]) == []
    # relations between firms of two folded segments are not drawn box to box (1,000+ lines at 10k)
    assert len(view["edges"]) < 60 and {e["type"] for e in view["edges"]} <= {"FEEDS", "CHAIN_LEADER"}
    big = max((n for n in view["nodes"] if n["kind"] == "segment"), key=lambda n: n["members"])
    expanded = a.chain_map(**ALL, expand=[big["segment"]])  # its first 60 and a "more" node
    assert expanded["stats"]["visible_members"] == 60 < big["members"]
    assert [n["hidden_count"] for n in expanded["nodes"] if n["kind"] == "aggregate"] == [big["members"] - 60]
    assert clashes(expanded["nodes"]) == []
    full = a.chain_map(**ALL, expand=[big["segment"]], more=[big["segment"]])
    assert full["stats"]["visible_members"] == min(big["members"], 1000)
    assert clashes(full["nodes"]) == []


# ------------------------------------------------------------------ kept across writes (issue 12)
def _fresh(a: Analysis) -> Analysis:
    return Analysis(build_graph([dict(d) for _, d in a.G.nodes(data=True)],
                                [dict(d, type=k, source=u, target=v) for u, v, k, d in a.G.edges(keys=True, data=True)]))


def _views(segs: list[str]) -> dict[str, dict]:
    return {"default": dict(ALL),
            "expand_more": dict(ALL, expand=[segs[2], segs[-1], "__unassigned__"], more=[segs[-1]]),
            # a tight budget: a lane growing by one takes room from others (their first members change)
            "tight": dict(ALL, per_segment=3, max_nodes=100),
            "tight_local": dict(ALL, locality="in", per_segment=2, max_nodes=30, expand=[segs[3]]),
            "subtree": dict(ALL, segment=segs[0], per_segment=60, max_nodes=200),
            "supplies": dict(rel=["SUPPLIES"], kinds=["enterprise"], locality="out", per_segment=5)}


def test_views_patched_by_each_write_equal_views_made_whole():
    """Every kind of write the map draws differently (a member moving lanes, coming or going, a relation coming
    or going, a rename, a locality, the lane of members in no segment coming and going), applied one by one:
    the views asked before each write are patched (not made whole) and equal the views of a fresh analysis."""
    import random

    entities, relations = synthetic_registry(400, seed=2)
    a = Analysis(build_graph(entities, relations))
    segs = [r["id"] for r in a.coverage()["segments"]]
    views = _views(segs)
    rng = random.Random(9)
    rows = lambda n: dict(a.G.nodes[n])  # noqa: E731

    def firms():
        return sorted(n for n in a.chain.by_kind["enterprise"])

    def rel(u, t, v, **extra):
        return {f"{u}>{t}>{v}": (u, t, v, {"type": t, "source": u, "target": v, **extra})}
    made = [{name: a.chain_map(**f) for name, f in views.items()}]
    for step in range(40):
        f, g = rng.sample(firms(), 2)
        s = rng.choice(segs)
        kind = step % 8
        if kind == 0:
            delta = {"nodes": {f: dict(rows(f), locality=rng.choice(["cluster", "china", "abroad", "unknown"]))}}
        elif kind == 1:
            delta = {"relations": rel(f, "IN_SEGMENT", s)}
        elif kind == 2:
            own = [(u, v) for u, v, k in a.G.out_edges(f, keys=True) if k == "IN_SEGMENT"]
            delta = {"relations": {f"{u}>IN_SEGMENT>{v}": (u, "IN_SEGMENT", v, None) for u, v in own}}  # no segment
        elif kind == 3:
            delta = {"relations": rel(f, "SUPPLIES", g, product=rng.choice(["钕铁硼", "氧化镨钕"]))}
        elif kind == 4:
            sup = sorted((u, v) for u, v, k in a.G.edges(keys=True) if k == "SUPPLIES")
            u, v = rng.choice(sup)
            delta = {"relations": {f"{u}>SUPPLIES>{v}": (u, "SUPPLIES", v, None)}}
        elif kind == 5:
            delta = {"nodes": {f: dict(rows(f), name=f"改名{step}（SYNTHETIC）", roles=["chain_leader"])}}
        elif kind == 6:
            delta = {"nodes": {f: None}}
        else:
            new = f"syn-new-{step}"
            delta = {"nodes": {new: {"id": new, "kind": rng.choice(["enterprise", "platform"]), "name": f"新{step}",
                                     "locality": "cluster"}}}
            if step % 16:  # else it stands in no segment: the lane of the members in no segment
                delta["relations"] = rel(new, "IN_SEGMENT", s)
        fp = a.apply(delta)
        assert not fp.tree, (step, delta)
        kept = list(a._memo["chain_maps"].values())
        patches = sum(v.patches for v in kept)
        fresh = _fresh(a)
        for name, f_ in views.items():
            got = a.chain_map(**f_)
            assert got == fresh.chain_map(**f_), (step, name)
            # made again (the counts in its boxes changed at least), unless the write changed nothing
            assert (got is made[-1][name]) == fp.quiet, (step, name, fp.as_dict())
        assert list(a._memo["chain_maps"].values()) == kept  # none made whole …
        assert sum(v.patches for v in kept) == patches + (0 if fp.quiet else len(views))  # … each patched once
        made.append({name: a.chain_map(**f_) for name, f_ in views.items()})
        assert all(made[-1][n] is a.chain_map(**f_) for n, f_ in views.items())  # the same until the next write
    # the writes reached what they should: lanes' first members changed under the tight budgets
    firsts = [tuple(n["id"] for n in m["tight"]["nodes"] if n["kind"] == "enterprise") for m in made]
    assert len(set(firsts)) > 5
    assert any(m["expand_more"]["stats"]["aggregated"] != made[0]["expand_more"]["stats"]["aggregated"] for m in made)


def test_a_tree_change_makes_the_views_again_and_few_are_kept():
    from graph.analysis import MAP_VIEWS_KEPT

    entities, relations = synthetic_registry(200, seed=3)
    a = Analysis(build_graph(entities, relations))
    segs = [r["id"] for r in a.coverage()["segments"]]
    before = a.chain_map(**ALL)
    a.apply({"nodes": {segs[1]: dict(a.G.nodes[segs[1]], name="改名的环节")}})  # a segment's own record: the tree
    assert a._memo.get("chain_maps") is None
    after = a.chain_map(**ALL)
    assert after == _fresh(a).chain_map(**ALL) and after != before
    assert [n["name"] for n in after["nodes"] if n["id"] == f"seg:{segs[1]}"] == ["改名的环节"]
    for i in range(MAP_VIEWS_KEPT + 5):
        a.chain_map(**ALL, per_segment=i)
    a.chain_map(**ALL, per_segment=MAP_VIEWS_KEPT + 4)  # the most recent stays, the oldest went
    kept = list(a._memo["chain_maps"])
    assert len(kept) == MAP_VIEWS_KEPT and "per_segment', 0" not in kept[0] and "per_segment', 24" not in kept[0]
