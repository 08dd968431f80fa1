"""The cut structure kept across writes (graph.Analysis._cut_updated): after each kind of write, the cut-point
and bridge gaps of the kept structure equal a fresh structure's, and the write took the way it should (the
structure kept for a link inside one block and for a locality, made again otherwise)."""

from __future__ import annotations

import random

import pytest

from graph.analysis import Analysis, _cut_runs
from graph.build import build_graph
from graph.supply import _CutStructure
from graph.synthetic import synthetic_registry


def _add(u: str, v: str) -> dict:
    return {"relations": {f"{u}>SUPPLIES>{v}": (u, "SUPPLIES", v, {"type": "SUPPLIES", "source": u, "target": v,
                                                                    "product": "合成产品（SYNTHETIC）"})}}


def _remove(u: str, v: str) -> dict:
    return {"relations": {f"{u}>SUPPLIES>{v}": (u, "SUPPLIES", v, None)}}


def _relocate(a: Analysis, n: str) -> dict:
    now = a.G.nodes[n].get("locality")
    return {"nodes": {n: dict(a.G.nodes[n], locality="china" if now == "cluster" else "cluster")}}


def _same_as_fresh(a: Analysis, what: str) -> str:
    """Assert the kept cut gaps equal a fresh analysis's; returns the way the last write took."""
    cut = a._cut()
    fresh = Analysis(a.G.copy())._cut()
    # the links kept (and igraph's graph changed in place, in step with them) are the network's links
    cs, fs = cut["cs"], fresh["cs"]
    links = [tuple(sorted(x)) for x in cs._links.tolist()]
    assert [tuple(sorted(x)) for x in cs._net.get_edgelist()] == links, what
    assert sorted(tuple(sorted((cs.nodes[u], cs.nodes[v]))) for u, v in links) == sorted(
        tuple(sorted((fs.nodes[u], fs.nodes[v]))) for u, v in fs._links.tolist()), what
    assert cut["cut_point"] == fresh["cut_point"], what
    assert cut["bridge"] == fresh["bridge"], what
    # the index of mentioned ids names every gap that mentions a record
    for k, g in cut["by"].items():
        for i in cut["ment"][k]:
            assert k in cut["index"][i], (what, k, i)
    return cut["path"]


def _linked(a: Analysis, u: str, v: str) -> bool:
    return a.G.has_edge(u, v, "SUPPLIES") or a.G.has_edge(v, u, "SUPPLIES")


def _pairs(a: Analysis, rng: random.Random, want: str, tries: int = 4000) -> tuple[str, str]:
    """Two firms of the network, not linked, in one block (``same``), in one component but no shared block
    (``across``)."""
    cs = a._cut()["cs"]
    nodes = cs.nodes
    for _ in range(tries):
        u, v = rng.sample(nodes, 2)
        if _linked(a, u, v):
            continue
        same = cs.same_block(u, v)
        one_comp = cs.comp[cs.idx[u]] == cs.comp[cs.idx[v]]
        if want == "same" and same or want == "across" and one_comp and not same:
            return u, v
    raise AssertionError(f"no pair {want}")


@pytest.mark.parametrize("seed", [1, 2])
def test_the_kept_cut_structure_equals_a_fresh_one_after_each_kind_of_write(seed):
    entities, relations = synthetic_registry(250, seed=seed)
    a = Analysis(build_graph(entities, relations))
    a.report()
    rng = random.Random(seed)
    paths, made = [], []

    def write(delta, what, expect):
        a.apply(delta)
        got = _same_as_fresh(a, what)
        paths.append(got)
        made.append(a._cut()["cs"].made_from)
        assert got == expect, (what, got)

    for i in range(3):
        u, v = _pairs(a, rng, "same")
        write(_add(u, v), f"link within one block {u}-{v}", "same-block")
        u, v = _pairs(a, rng, "across")
        write(_add(u, v), f"link across blocks {u}-{v}", "rebuild")
    # a firm in a piece a cut point cuts off, then one in no cut-off piece, then a cut point itself
    cut = a._cut()
    cs = cut["cs"]
    item = next(it for k, it in sorted(cut["items"].items()) if k[0] == "c" and it["cut_total"] >= 2)
    lo, hi = item["cut"][0]["ranges"][0]
    inside = cs.nodes[cs.order[hi - 1]]
    before = cut["by"][("c", item["node"])]
    write(_relocate(a, inside), f"locality of {inside}, cut off by {item['node']}", "locality")
    assert a._cut()["by"][("c", item["node"])] != before  # its local count changed
    lo_, hi_, _ = _cut_runs(a._cut()["items"])
    free = [n for n in cs.nodes if not ((lo_ <= cs.disc[cs.idx[n]]) & (cs.disc[cs.idx[n]] < hi_)).any()]
    kept = {k: g for k, g in a._cut()["by"].items()}
    write(_relocate(a, free[0]), f"locality of {free[0]}, in no cut-off piece", "locality")
    remade = [k for k, g in a._cut()["by"].items() if g is not kept[k]]
    assert all(free[0] in a._cut()["ment"][k] for k in remade), remade  # only the gaps that mention it
    write(_relocate(a, item["node"]), f"locality of the cut point {item['node']}", "locality")
    # a link removed: a bridge, then a link inside a block
    cs = a._cut()["cs"]
    p, c = cs.bridge_list[0]
    u, v = cs.nodes[p], cs.nodes[c]
    write(_remove(u, v) if a.G.has_edge(u, v, "SUPPLIES") else _remove(v, u), "bridge removed", "rebuild")
    u, v, _ = next((u, v, t) for u, v, t in a.G.edges(keys=True) if t == "SUPPLIES" and u != v
                   and a._cut()["cs"].same_block(u, v))
    write(_remove(u, v), "link removed inside a block", "rebuild")
    # a new firm linked to a new firm (a new component), then to the network (across components)
    for n in ("syn-new-1", "syn-new-2"):
        a.apply({"nodes": {n: {"id": n, "kind": "enterprise", "name": f"新企业{n}（SYNTHETIC）",
                               "locality": "cluster"}}})
    write(_add("syn-new-1", "syn-new-2"), "a new component", "rebuild")
    assert len(a._cut()["cs"].comps) >= 2
    write(_add("syn-new-2", a._cut()["cs"].nodes[0]), "link across components", "rebuild")
    # a rename of a firm the gaps mention, and an unrelated write
    named = next(iter(a._cut()["ment"][next(k for k in a._cut()["by"] if a._cut()["by"][k])]))
    write({"nodes": {named: dict(a.G.nodes[named], name="改名（SYNTHETIC）")}}, "rename", "mentions")
    assert {"same-block", "rebuild", "locality", "mentions"} <= set(paths)
    # a rebuild took the firms, links and keys over from the structure before, except when a firm came
    assert made[paths.index("rebuild")] == "previous" and "chain" in made


def _ring(ids):
    return [(ids[i], ids[(i + 1) % len(ids)]) for i in range(len(ids))]


def test_a_link_inside_a_block_at_a_cut_point_orders_its_pieces_as_a_fresh_search_would():
    # v cuts off two pieces of three firms each, x1-x3 and w1,y1,y2 (rest: a1..a4, a path to v); its first
    # neighbour in the x piece is x2 < y1, so that piece comes first; a link v-w1 (inside w1's block) makes
    # w1 its first neighbour in the other piece, which then comes first, as a fresh search numbers them
    links = [("a1", "a2"), ("a2", "a3"), ("a3", "a4"), ("a4", "v")]
    links += _ring(["v", "x2", "x1", "x3"]) + _ring(["v", "y1", "w1", "y2"])
    ids = sorted({x for link in links for x in link})
    G = build_graph([{"id": x, "kind": "enterprise", "name": x, "locality": "cluster"} for x in ids],
                    [{"type": "SUPPLIES", "source": s, "target": t} for s, t in links])
    a = Analysis(G)
    gap = a.gap("cut_point:v")
    assert gap["cut_off"] == 6 and gap["cut_off_examples"] == ["x1", "x2", "x3", "w1", "y1", "y2"]
    assert a._cut()["cs"].same_block("v", "w1")
    a.apply(_add("v", "w1"))
    assert _same_as_fresh(a, "v-w1") == "same-block"
    assert a.gap("cut_point:v")["cut_off_examples"] == ["w1", "y1", "y2", "x1", "x2", "x3"]


def test_a_second_link_between_a_bridges_ends_makes_the_structure_again():
    G = build_graph([{"id": x, "kind": "enterprise", "name": x, "locality": "cluster"} for x in "abcd"],
                    [{"type": "SUPPLIES", "source": s, "target": t} for s, t in ("ab", "bc", "cd")])
    a = Analysis(G)
    assert [g["id"] for g in a._cut()["bridge"]] == ["bridge:b>SUPPLIES>c"]
    assert not a._cut()["cs"].same_block("c", "b")  # a block of two firms: the link would end the bridge
    a.apply(_add("c", "b"))
    assert _same_as_fresh(a, "c>b") == "rebuild"
    assert a._cut()["bridge"] == []


def test_examples_are_the_first_firms_of_the_whole_piece_by_locality_then_id():
    # a ring a000..a399 through "hub", and a path f000..f299 hanging from the hub: the hub and the link hub-f000
    # cut the path off. Its examples are its local firms of smallest id anywhere in it, then the others by id
    # (they were chosen among the first 200 firms the search visited: f250 and f299 were never shown)
    ring = [f"a{i:03d}" for i in range(400)] + ["hub"]
    path = [f"f{i:03d}" for i in range(300)]
    local = {"f299", "f250", "f007"}
    ents = [{"id": x, "kind": "enterprise", "name": x, "locality": "cluster" if x in local else "china"}
            for x in ring + path]
    rels = _ring(ring) + [("hub", "f000")] + [(path[i], path[i + 1]) for i in range(299)]
    G = build_graph(ents, [{"type": "SUPPLIES", "source": s, "target": t} for s, t in rels])
    want = ["f007", "f250", "f299"] + path[:7]
    a = Analysis(G)
    assert a.gap("cut_point:hub")["cut_off"] == 300
    assert a.gap("cut_point:hub")["cut_off_examples"] == want
    assert a.gap("bridge:hub>SUPPLIES>f000")["cut_off_examples"] == want
    # a locality changed deep in the piece moves the examples at once (the kept structure, point update)
    a.apply(_relocate(a, "f100"))
    assert a._cut()["path"] == "locality"
    assert a.gap("cut_point:hub")["cut_off_examples"] == ["f007", "f100", "f250", "f299"] + path[:6]
    assert a.gap("cut_point:hub")["cut_off_local"] == 4
    _same_as_fresh(a, "f100 local")


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_random_supply_and_locality_writes_keep_the_cut_gaps_equal_to_fresh_ones(seed):
    # many small writes of the kinds the cut structure tells apart, at random, on a sparse network (many
    # blocks, cut points and bridges); after each the kept gaps equal a fresh analysis's
    rng = random.Random(seed)
    firms = [f"f{i:03d}" for i in range(120)]
    links = set()
    for i in range(1, len(firms)):  # a random tree, then a few more links: a network with many cut points
        links.add((firms[rng.randrange(i)], firms[i]))
    for _ in range(25):
        u, v = rng.sample(firms, 2)
        links.add((u, v))
    G = build_graph([{"id": f, "kind": "enterprise", "name": f, "locality": rng.choice(["cluster", "china"])}
                     for f in firms], [{"type": "SUPPLIES", "source": u, "target": v} for u, v in sorted(links)])
    a = Analysis(G)
    a.report()
    paths = []
    for step in range(60):
        r = rng.random()
        edges = sorted((u, v) for u, v, t in a.G.edges(keys=True) if t == "SUPPLIES")
        if r < 0.35:
            u, v = rng.sample(firms, 2)
            delta = _add(u, v)
        elif r < 0.6 and edges:
            delta = _remove(*rng.choice(edges))
        elif r < 0.85:
            delta = _relocate(a, rng.choice(firms))
        else:  # a link and a locality in one write
            u, v = rng.sample(firms, 2)
            delta = {**_add(u, v), **_relocate(a, rng.choice(firms))}
        a.apply(delta)
        paths.append(_same_as_fresh(a, f"step {step}"))
    assert {"same-block", "rebuild", "locality"} <= set(paths), paths
