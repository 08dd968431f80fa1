"""graph.measures: degree, betweenness, PageRank, communities, shortest path and k-hop neighbourhood."""

from graph_rows import ent, rel
import json

import pytest

from graph import (EntityNotFound, InvalidOption, betweenness, build_graph, communities, degree_summary,
                   entity_measures, neighbourhood, network_measures, pagerank, shortest_path)




def rows():
    ents = [ent(x, name=f"企业{x}", locality="cluster") for x in "abcdef"]
    ents += [ent("lab", "platform", name="研究院"), ent("seg", "segment", name="磁材")]
    rels = [rel("SUPPLIES", "a", "b", product="氧化物"), rel("SUPPLIES", "b", "c", product="金属"),
            rel("SUPPLIES", "c", "d", product="磁体"), rel("SUPPLIES", "a", "e"),
            rel("RESEARCH_PARTNER", "d", "lab"), rel("RESEARCH_PARTNER", "f", "lab"),
            rel("IN_SEGMENT", "a", "seg"), rel("IN_SEGMENT", "f", "seg")]
    return ents, rels


@pytest.fixture
def G():
    return build_graph(*rows())


def test_shortest_supply_path_follows_the_goods(G):
    r = shortest_path(G, "a", "d")
    assert r["found"] and r["length"] == 3 and r["directed"] is True
    assert [p["id"] for p in r["path"]] == ["a", "b", "c", "d"]
    assert r["path"][0] == {"id": "a", "name": "企业a", "kind": "enterprise"}
    assert [(e["source"], e["target"], e["type"], e["product"]) for e in r["edges"]] == [
        ("a", "b", "SUPPLIES", "氧化物"), ("b", "c", "SUPPLIES", "金属"), ("c", "d", "SUPPLIES", "磁体")]
    back = shortest_path(G, "d", "a")
    assert back["found"] is False and back["path"] == [] and back["length"] is None
    und = shortest_path(G, "d", "a", directed=False)
    assert [p["id"] for p in und["path"]] == ["d", "c", "b", "a"]
    assert und["edges"][0] == {"id": "c>SUPPLIES>d", "type": "SUPPLIES", "source": "c", "target": "d",
                               "product": "磁体", "basis": "unknown"}


def test_partner_and_business_paths(G):
    assert [p["id"] for p in shortest_path(G, "d", "f", via="partner")["path"]] == ["d", "lab", "f"]
    assert shortest_path(G, "a", "f", via="partner")["found"] is False
    assert [p["id"] for p in shortest_path(G, "a", "f", via="business")["path"]] == ["a", "b", "c", "d", "lab", "f"]
    assert [p["id"] for p in shortest_path(G, "a", "f", via="any")["path"]] == ["a", "seg", "f"]


def test_shortest_path_errors(G):
    with pytest.raises(InvalidOption, match="via must be one of"):
        shortest_path(G, "a", "b", via="rail")
    with pytest.raises(EntityNotFound, match="'zz'"):
        shortest_path(G, "a", "zz")


def test_k_hop_neighbourhood(G):
    r = neighbourhood(G, "c", k=1)
    assert [(n["id"], n["hop"]) for n in r["nodes"]] == [("c", 0), ("b", 1), ("d", 1)]
    assert [(e["source"], e["target"]) for e in r["edges"]] == [("b", "c"), ("c", "d")]
    r = neighbourhood(G, "c", k=2)
    assert [(n["id"], n["hop"]) for n in r["nodes"]] == [("c", 0), ("b", 1), ("d", 1), ("a", 2), ("lab", 2)]
    assert [(e["source"], e["target"], e["type"]) for e in r["edges"]] == [
        ("a", "b", "SUPPLIES"), ("b", "c", "SUPPLIES"), ("c", "d", "SUPPLIES"), ("d", "lab", "RESEARCH_PARTNER")]
    assert r["truncated"] is False
    assert [n["id"] for n in neighbourhood(G, "c", k=0)["nodes"]] == ["c"]
    only_supply = neighbourhood(G, "a", k=5, types=["SUPPLIES"])
    assert [n["id"] for n in only_supply["nodes"]] == ["a", "b", "e", "c", "d"]


def test_neighbourhood_limit_truncates_nearest_first(G):
    r = neighbourhood(G, "a", k=3, limit=3)
    assert [(n["id"], n["hop"]) for n in r["nodes"]] == [("a", 0), ("b", 1), ("e", 1)]
    assert r["truncated"] is True
    with pytest.raises(InvalidOption):
        neighbourhood(G, "a", k=-1)


def test_degree_summary(G):
    assert degree_summary(G, "d") == {"id": "d", "total": 2, "in": {"SUPPLIES": 1}, "out": {"RESEARCH_PARTNER": 1},
                                      "suppliers": 1, "customers": 0, "partners": 1}


def test_betweenness_exact_on_a_path():
    G = build_graph([ent(x) for x in "abcd"], [rel("SUPPLIES", s, t) for s, t in ("ab", "bc", "cd")])
    r = betweenness(G)
    assert r["values"] == {"a": 0.0, "b": 0.666667, "c": 0.666667, "d": 0.0}
    assert r["approximate"] is False and r["k"] is None


def test_betweenness_sampled_is_repeatable(G):
    r1, r2 = betweenness(G, k=3, seed=7), betweenness(G, k=3, seed=7)
    assert r1 == r2 and r1["approximate"] is True and r1["k"] == 3
    assert betweenness(G, k=3, exact=True)["approximate"] is False


def test_pagerank_favours_suppliers(G):
    r = pagerank(G)["values"]
    assert abs(sum(r.values()) - 1.0) < 1e-6
    assert r["a"] > r["b"] > r["e"]  # a supplies b and e; b supplies c


def test_pagerank_keeps_the_values_of_the_hand_written_iteration(G):
    # issue 8: nx.pagerank replaced a hand-written power iteration; these are that iteration's values
    assert pagerank(G) == {"values": {"a": 0.20025562, "b": 0.1360315, "c": 0.10621902, "d": 0.14229106,
                                      "e": 0.04574533, "f": 0.14229106, "lab": 0.22716641}, "alpha": 0.85}


def test_communities_are_numbered_by_size():
    G = build_graph([ent(x) for x in "abcdefg"],
                    [rel("SUPPLIES", s, t) for s, t in ("ab", "bc", "ca", "de", "ef", "fg", "gd")])
    r = communities(G)
    assert r["communities"] == [["d", "e", "f", "g"], ["a", "b", "c"]]
    assert r["membership"]["a"] == 1 and r["method"] == "louvain"


def test_network_and_entity_measures(G):
    m = network_measures(G)
    assert sorted(m["nodes"]) == ["a", "b", "c", "d", "e", "f", "lab"]
    assert m["approximations"] == []
    e = entity_measures(G, "c", measures=m)
    assert e["degree"]["suppliers"] == 1 and e["in_business_network"] is True
    assert e["betweenness"]["rank"] == 1 and e["betweenness"]["of"] == 7
    assert e["community"]["size"] >= 1
    assert entity_measures(G, "seg", measures=m)["in_business_network"] is False
    json.dumps(m, ensure_ascii=False)


@pytest.mark.parametrize("seed", range(6))
def test_betweenness_matches_networkx(seed):
    import random as _random

    import networkx as nx

    from graph.measures import _betweenness_values

    rng = _random.Random(seed)
    n = rng.randrange(3, 60)
    H = nx.gnm_random_graph(n, rng.randrange(n, 3 * n), seed=seed)
    H = nx.relabel_nodes(H, {i: f"n{i:02d}" for i in H})
    exact = nx.betweenness_centrality(H)
    assert _betweenness_values(H, k=None, seed=0) == pytest.approx(exact, abs=1e-12)
    k = rng.randrange(2, n) if n > 3 else 2
    sampled = nx.betweenness_centrality(H, k=k, seed=seed)
    assert _betweenness_values(H, k=k, seed=seed) == pytest.approx(sampled, abs=1e-12)


def test_measures_do_not_depend_on_insertion_order():
    import random as _random

    ents, rels = rows()
    ents += [ent(f"z{i}", locality="china") for i in range(30)]
    rels += [rel("SUPPLIES", f"z{i}", f"z{(i * 7 + 3) % 30}") for i in range(30) if i != (i * 7 + 3) % 30]
    rels += [rel("SUPPLIES", "z0", "a")]
    G1 = build_graph(ents, rels)
    expected = json.dumps([network_measures(G1, k=5), neighbourhood(G1, "a", k=3),
                           shortest_path(G1, "z1", "d", via="business")], ensure_ascii=False)
    for seed in range(3):
        _random.Random(seed).shuffle(ents)
        _random.Random(seed).shuffle(rels)
        G2 = build_graph(ents, rels)
        got = json.dumps([network_measures(G2, k=5), neighbourhood(G2, "a", k=3),
                          shortest_path(G2, "z1", "d", via="business")], ensure_ascii=False)
        assert got == expected
