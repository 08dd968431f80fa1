"""graph.supply: single suppliers, outside-only suppliers, cut points, bridges and the "what if it leaves" view."""

from graph_rows import ent
import json
import random

import networkx as nx
import pytest

from registry.messages import localise

from graph import (EntityNotFound, bridge_gaps, build_graph, cut_point_gaps, departure_impact, dependence_gaps,
                   supply_cut_structure)



def sup(s, d, product=None, **kw):
    r = {"type": "SUPPLIES", "source": s, "target": d, **kw}
    if product:
        r["product"] = product
    return r


def firms(spec):
    """'a:cluster b:china' -> enterprises with that locality."""
    return [ent(x.split(":")[0], locality=x.split(":")[1]) for x in spec.split()]


# --- dependence ------------------------------------------------------------------------------
def test_single_supplier_outside_and_all_suppliers_outside():
    G = build_graph([ent("m", name="磁材厂", locality="cluster"), ent("o", name="外地氧化物厂", locality="china")],
                    [sup("o", "m", "氧化镨钕")])
    gaps = dependence_gaps(G)
    assert [(g["id"], g["kind"], g["severity"]) for g in gaps] == [
        ("dependence:single:m:氧化镨钕", "single_supplier", "high"),
        ("dependence:outside:m", "all_suppliers_outside", "medium"),
    ]
    single = gaps[0]
    assert single["reason"]["params"]["locality"] == {"label": "inline.locality", "code": "china"}
    assert localise(single)["reason_zh"] == ("「磁材厂」的投入「氧化镨钕」只有一家供应商「外地氧化物厂」（国内，未写明在江西省）："
                                             "它一旦断供，这项投入没有替代来源。")
    assert localise(single)["reason_en"] == ("'磁材厂' has a single supplier for '氧化镨钕': '外地氧化物厂' (in China, not stated to be in Jiangxi); "
                                             "if it stops, there is no second source.")
    assert localise(gaps[1])["facts"][0] == {"zh": "供应商 1 家，都不是集群内企业：外地氧化物厂（国内，未写明在江西省）",
                                             "en": "1 supplier(s), none in the cluster: 外地氧化物厂 (in China, not stated to be in Jiangxi)",
                                             "ids": ["o"]}
    assert single["subject_ids"] == ["m", "o"] and single["product"] == "氧化镨钕"
    assert single["wanted"] == {"segments": [], "product": "氧化镨钕", "exclude": ["m", "o"]}


def test_single_local_supplier_is_medium_and_no_outside_gap():
    G = build_graph(firms("m:cluster s:cluster"), [sup("s", "m")])
    assert [(g["id"], g["severity"]) for g in dependence_gaps(G)] == [("dependence:single:m:-", "medium")]
    assert dependence_gaps(G)[0]["reason"]["params"]["what"] == {"msg": "gap.part.product_unrecorded", "params": {}}
    assert "（未注明产品）" in localise(dependence_gaps(G)[0])["reason_zh"]


def test_single_supplier_is_per_input():
    # x: two sources of oxide, one of metal -> one gap, for the metal
    G = build_graph(firms("x:cluster a:cluster b:china c:abroad"),
                    [sup("a", "x", "氧化物"), sup("b", "x", "氧化物"), sup("c", "x", "金属")])
    gaps = dependence_gaps(G)
    assert [(g["id"], g["severity"]) for g in gaps] == [("dependence:single:x:金属", "high")]
    assert gaps[0]["subject_ids"] == ["x", "c"]


def test_unnamed_products_are_flagged_in_the_facts():
    G = build_graph(firms("x:cluster a:cluster b:cluster"), [sup("a", "x", "金属"), sup("b", "x")])
    gaps = dependence_gaps(G)
    assert [g["id"] for g in gaps] == ["dependence:single:x:金属"]
    assert gaps[0]["facts"][2]["ids"] == ["b"]
    assert localise(gaps[0]["facts"][2])["zh"] == "另有 1 家供应商未注明产品，可能也供应此项：b"


def test_all_suppliers_outside_high_when_one_is_abroad():
    G = build_graph(firms("x:cluster a:china b:abroad"), [sup("a", "x", "p"), sup("b", "x", "p")])
    gaps = dependence_gaps(G)
    assert [(g["id"], g["severity"]) for g in gaps] == [("dependence:outside:x", "high")]
    assert localise(gaps[0]["facts"][1]) == {"zh": "其中境外 1 家", "en": "1 of them abroad", "ids": ["b"]}


def test_unknown_locality_suppliers_are_not_counted_as_outside():
    G = build_graph(firms("x:cluster a:china b:unknown"), [sup("a", "x", "p"), sup("b", "x", "p")])
    assert dependence_gaps(G) == []


def test_only_local_customers_count():
    G = build_graph(firms("x:china a:china"), [sup("a", "x")])
    assert dependence_gaps(G) == []


# --- cut points and bridges ----------------------------------------------------------------------
def hub_graph():
    # h supplies c1, c2, c3 (each only from h); a - h link; d-e-f triangle hangs off a
    spec = "h:cluster c1:cluster c2:cluster c3:china a:cluster d:cluster e:cluster f:china"
    rels = [sup("h", c) for c in ("c1", "c2", "c3")] + [sup("a", "h"), sup("d", "a"), sup("d", "e"), sup("e", "f"),
                                                        sup("f", "d")]
    return firms(spec), rels


def test_cut_points_exact():
    G = build_graph(*hub_graph())
    gaps = cut_point_gaps(G)
    # h cuts off c1, c2, c3 (rest: a, d, e, f); a cuts off d, e, f (rest: h and its customers);
    # d cuts off e, f (rest: a, h, c1-c3)
    assert [(g["id"], g["cut_off"], g["cut_off_local"], g["severity"], g["impact"]) for g in gaps] == [
        ("cut_point:a", 3, 2, "medium", 32),
        ("cut_point:h", 3, 2, "medium", 32),
        ("cut_point:d", 2, 1, "low", 21),
    ]
    s = supply_cut_structure(G)
    assert [(c["id"], c["cut_off"], c["cut_off_local"], c["pieces"]) for c in s["cut_points"]] == [
        ("a", 3, 2, [4, 3]),
        ("d", 2, 1, [5, 2]),
        ("h", 3, 2, [4, 1, 1, 1]),
    ]
    assert s["nodes"] == 8 and s["links"] == 8


def test_cut_point_gap_content():
    G = build_graph(*hub_graph())
    by_id = {g["id"]: g for g in cut_point_gaps(G)}
    h = by_id["cut_point:h"]
    assert h["cut_off_examples"] == ["c1", "c2", "c3"]  # local ones first, then by id
    assert h["wanted"] == {"segments": [], "product": None, "exclude": ["h"]}
    assert localise(h)["reason_zh"] == ("「h」（集群内）是供应网络的关键节点：它一旦退出，3 家企业（其中集群内 2 家）与其余供应网络断开，"
                                        "如 c1、c2、c3。")
    assert localise(h)["reason_en"] == ("'h' (in the cluster) is a cut point of the supply network: if it leaves, 3 firms "
                                        "(2 in the cluster) are cut off from the rest, e.g. c1, c2, c3.")
    assert by_id["cut_point:a"]["cut_off_examples"] == ["d", "e", "f"]
    assert [g["id"] for g in cut_point_gaps(G, min_cut_off=3)] == ["cut_point:a", "cut_point:h"]


def test_bridges_exact():
    G = build_graph(*hub_graph())
    s = supply_cut_structure(G)
    assert [(b["ends"], b["cut_off"], b["cut_off_local"]) for b in s["bridges"]] == [
        (["a", "d"], 3, 2), (["a", "h"], 4, 3), (["c1", "h"], 1, 1), (["c2", "h"], 1, 1), (["c3", "h"], 1, 0)]
    gaps = bridge_gaps(G)  # a bridge to a single firm is that firm's dependence gap, not repeated here
    assert [(g["id"], g["cut_off"], g["subject_ids"], g["severity"]) for g in gaps] == [
        ("bridge:a>SUPPLIES>h", 4, ["a", "h"], "medium"),
        ("bridge:d>SUPPLIES>a", 3, ["d", "a"], "medium"),
    ]
    # a-h splits the network 4/4: the side away from the search root (h's) is the one cut off
    assert gaps[0]["cut_off_examples"] == ["c1", "c2", "h", "c3"]
    assert gaps[1]["cut_off_examples"] == ["d", "e", "f"]
    assert localise(gaps[1])["reason_zh"] == ("「d」向「a」的供应是两部分供应网络之间的唯一连接：这条关系中断，3 家企业（集群内 2 家）"
                                              "与其余网络断开，如 d、e、f。")
    assert len(bridge_gaps(G, min_side=1)) == 5


def test_firms_that_supply_each_other_are_not_a_bridge():
    G = build_graph(firms("a:cluster b:cluster"), [sup("a", "b"), sup("b", "a")])
    assert supply_cut_structure(G) == {"nodes": 2, "links": 2, "cut_points": [], "bridges": []}


def test_path_tie_cuts_off_the_side_away_from_the_search_root():
    G = build_graph(firms("a:cluster b:cluster c:cluster"), [sup("a", "b"), sup("b", "c")])
    assert [(g["id"], g["cut_off_examples"]) for g in cut_point_gaps(G)] == [("cut_point:b", ["c"])]


@pytest.mark.parametrize("seed", range(12))
def test_cut_structure_agrees_with_networkx_and_brute_force(seed):
    rng = random.Random(seed)
    n = rng.randrange(5, 40)
    U = nx.gnm_random_graph(n, rng.randrange(n - 1, 2 * n), seed=seed)
    names = {i: f"f{i:02d}" for i in U}
    ents = [ent(names[i], locality=rng.choice(["cluster", "china"])) for i in U]
    rels = [sup(names[u], names[v]) if rng.random() < 0.5 else sup(names[v], names[u]) for u, v in U.edges()]
    G = build_graph(ents, rels)
    s = supply_cut_structure(G)
    H = nx.relabel_nodes(U, names)
    H.remove_nodes_from([x for x in list(H) if H.degree(x) == 0])
    assert [c["id"] for c in s["cut_points"]] == sorted(nx.articulation_points(H))
    assert [tuple(b["ends"]) for b in s["bridges"]] == sorted(tuple(sorted(e)) for e in nx.bridges(H))
    local = {e["id"] for e in ents if e["locality"] == "cluster"}
    for c in s["cut_points"]:
        K = H.copy()
        K.remove_node(c["id"])
        comp = nx.node_connected_component(H, c["id"]) - {c["id"]}
        pieces = sorted((sorted(p) for p in nx.connected_components(K.subgraph(comp))), key=lambda p: -len(p))
        assert sorted((len(p) for p in pieces), reverse=True) == c["pieces"]
        assert c["cut_off"] == len(comp) - len(pieces[0])
        # the local count is the one of the pieces other than the one kept (sizes may tie: check the total)
        kept = [p for p in pieces if len(p) == len(pieces[0])]
        assert any(c["cut_off_local"] == len(local & comp) - len(local & set(k)) for k in kept)


# --- what if a firm leaves --------------------------------------------------------------------
def test_departure_impact():
    ents = firms("h:cluster c1:cluster c2:cluster c3:china a:cluster d:cluster e:cluster f:china x:china "
                 "y:china g:cluster")
    ents += [ent("seg", "segment", name="金属"), ent("pl", "platform", name="研究院")]
    rels = [sup("h", "c1"), sup("h", "c2", "氧化物"), sup("h", "c3", "氧化物"), sup("x", "c2", "氧化物"),
            sup("y", "c3", "金属"), sup("c1", "g"), sup("a", "h"), sup("d", "a"), sup("d", "e"), sup("e", "f"),
            sup("f", "d")]
    rels += [{"type": "IN_SEGMENT", "source": "h", "target": "seg"},
             {"type": "CHAIN_LEADER", "source": "h", "target": "seg"},
             {"type": "RESEARCH_PARTNER", "source": "h", "target": "pl"},
             {"type": "RUNS", "source": "h", "target": "pl"}]
    G = build_graph(ents, rels)
    r = departure_impact(G, "h")
    assert r["firm"]["id"] == "h"
    assert [x["id"] for x in r["loses_only_supplier"]] == ["c1"]
    assert [(x["id"], x["products"]) for x in r["loses_only_source"]] == [("c3", ["氧化物"])]
    assert [x["id"] for x in r["loses_a_supplier"]] == ["c2"]
    assert [(x["id"], x["step"]) for x in r["cascade"]] == [("g", 2)]
    assert [x["id"] for x in r["loses_only_customer"]] == ["a"]
    assert [[x["id"] for x in p] for p in r["cut_off"]] == [["c1", "g"], ["c2", "x"], ["c3", "y"]]
    assert [x["id"] for x in r["segments_emptied"]] == ["seg"]
    assert [x["id"] for x in r["chain_leader_of"]] == ["seg"]
    assert [(x["id"], x["relation"]) for x in r["runs"]] == [("pl", "RUNS")]
    assert [(x["id"], x["relation"]) for x in r["partners"]] == [("pl", "RESEARCH_PARTNER")]
    assert r["summary"] == {"msg": "analysis.departure.summary",
                            "params": {"firm": "h", "only_supplier": 1, "only_source": 1, "cascade": 1, "cut_off": 6,
                                       "segments": 1}}
    said = localise(r)
    assert said["summary_zh"] == ("若「h」退出：1 家客户失去唯一供应商，1 家失去某项产品的唯一来源，连锁断供 1 家，"
                                  "6 家企业与供应网络主体断开，1 个环节失去唯一的本地企业。")
    assert said["summary_en"] == ("If 'h' leaves: 1 customer(s) lose their only supplier, 1 lose their only source of a "
                                  "product, 1 more fall in cascade, 6 firm(s) are cut off from the main supply network, "
                                  "and 1 segment(s) lose their only local firm.")
    json.dumps(r, ensure_ascii=False)


def test_departure_impact_of_an_unknown_or_non_firm():
    G = build_graph([ent("s", "segment")], [])
    with pytest.raises(EntityNotFound) as err:
        departure_impact(G, "nope")
    assert err.value.msg == {"msg": "err.graph.no_entity", "params": {"id": "nope"}}
    assert str(err.value) == "图中没有编号为 'nope' 的实体 / no entity with id 'nope' in the graph"
    with pytest.raises(EntityNotFound) as err:
        departure_impact(G, "s")
    assert str(err.value) == "'s' 是 segment，不是 enterprise / 's' is a segment, not a enterprise"


def test_supply_results_are_deterministic():
    ents, rels = hub_graph()
    G = build_graph(ents, rels)
    expected = json.dumps([dependence_gaps(G), cut_point_gaps(G), bridge_gaps(G), departure_impact(G, "a")],
                          ensure_ascii=False)
    for seed in range(4):
        random.Random(seed).shuffle(ents)
        random.Random(seed).shuffle(rels)
        G2 = build_graph(ents, rels)
        got = json.dumps([dependence_gaps(G2), cut_point_gaps(G2), bridge_gaps(G2), departure_impact(G2, "a")],
                         ensure_ascii=False)
        assert got == expected


@pytest.mark.parametrize("seed", range(10))
def test_departure_cut_off_agrees_with_brute_force(seed):
    rng = random.Random(seed)
    n = rng.randrange(4, 40)
    U = nx.gnm_random_graph(n, rng.randrange(n - 1, 2 * n), seed=seed)
    names = {i: f"f{i:02d}" for i in U}
    G = build_graph([ent(names[i], locality="cluster") for i in U],
                    [sup(names[u], names[v]) if rng.random() < 0.5 else sup(names[v], names[u]) for u, v in U.edges()])
    H = nx.relabel_nodes(U, names)
    for firm in sorted(H):
        if not H.degree(firm):
            continue
        comp = nx.node_connected_component(H, firm) - {firm}
        K = H.subgraph(comp)
        pieces = sorted((sorted(p) for p in nx.connected_components(K)), key=lambda p: (-len(p), p[0]))
        got = [[x["id"] for x in p] for p in departure_impact(G, firm)["cut_off"]]
        assert got == pieces[1:], firm


def test_cut_structure_numbers_firms_in_id_ordered_depth_first_order():
    # a piece of more than 200 firms lists its examples from the first 200 of this order: it must stay
    # the depth-first order with neighbours in id order, from the smallest id of each component
    from graph._chain import Chain
    from graph.supply import _CutStructure

    U = nx.gnm_random_graph(600, 900, seed=7)
    names = {i: f"f{i:03d}" for i in U}
    G = build_graph([ent(names[i], locality="cluster") for i in U], [sup(names[u], names[v]) for u, v in U.edges()])
    cs = _CutStructure(Chain(G))
    H = nx.relabel_nodes(U, names)
    H.remove_nodes_from([x for x in list(H) if H.degree(x) == 0])
    expected = []
    for comp in sorted(nx.connected_components(H), key=min):
        expected += nx.dfs_preorder_nodes(H, min(comp), sort_neighbors=sorted)
    assert [cs.nodes[i] for i in cs.order] == expected
