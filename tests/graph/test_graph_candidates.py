"""graph.candidates: outside firms that could fill a gap, ranked, each with its reasons."""

import json

import pytest

from graph import CANDIDATE_FORMULA, build_graph, candidates_for_gap, dependence_gaps, segment_gaps
from graph.candidates import PART_POINTS
from graph_rows import ent, rel
from registry.messages import localise




def rows():
    ents = [
        ent("chain", "segment", name="产业链"),
        ent("motor", "segment", name="永磁电机", position=4),
        ent("servo", "segment", name="伺服电机", position=4),
        ent("x1", name="外地电机龙头", locality="china", roles=["leading", "listed", "specialised"],
            sources=[{"doc": "002.txt", "section": "三", "quote": "行业头部企业"}]),
        ent("x2", name="伺服电机厂", locality="jiangxi"),
        ent("x3", name="整链企业", locality="ganzhou"),
        ent("x4", name="未登记所在地", locality="unknown"),
        ent("x5", name="境外电机厂", locality="abroad"),
        ent("local", name="本地磁材厂", locality="cluster"),
        ent("local2", name="本地电机厂", locality="cluster"),
        ent("lab", "platform", name="本地研究院", locality="cluster"),
        ent("far", "platform", name="外地研究院", locality="china"),
    ]
    rels = [rel("PART_OF", "motor", "chain"), rel("PART_OF", "servo", "motor"),
            rel("IN_SEGMENT", "x1", "motor"), rel("IN_SEGMENT", "x2", "servo"), rel("IN_SEGMENT", "x3", "chain"),
            rel("IN_SEGMENT", "x4", "motor"), rel("IN_SEGMENT", "local", "chain"),
            rel("SUPPLIES", "local", "x2", product="钕铁硼磁体"),
            rel("SUPPLIES", "x2", "local2", product="伺服电机"),
            rel("RESEARCH_PARTNER", "x2", "lab"), rel("RESEARCH_PARTNER", "x1", "far")]
    return ents, rels


def test_ranking_order_and_parts():
    G = build_graph(*rows())
    gap = next(g for g in segment_gaps(G) if g["id"] == "segment:motor")
    r = candidates_for_gap(G, gap)
    got = [(c["id"], c["score"], [(p["part"], p["points"]) for p in c["parts"]]) for c in r["candidates"]]
    assert got == [
        # 5 sub-segment + 2 local links x 2 + 1 local platform + 2 in Jiangxi; ties with x1, 伺服 (si) < 外地 (wai)
        ("x2", 12, [("sub_segment", 5), ("local_link", 4), ("platform_link", 1), ("locality", 2)]),
        # 6 segment + roles 2 + 2 + 1 capped at 4 + 1 leader wording + 1 elsewhere in China; the outside
        # platform does not count
        ("x1", 12, [("segment", 6), ("role", 4), ("source_wording", 1), ("locality", 1)]),
        ("x4", 6, [("segment", 6), ("locality", 0)]),
        ("x3", 6, [("parent_segment", 3), ("locality", 3)]),
    ]
    for c in r["candidates"]:
        assert sum(p["points"] for p in c["parts"]) == c["score"]
    x2 = r["candidates"][0]
    assert x2["parts"][0] == {"msg": "cand.part.sub_segment", "params": {"segment": "伺服电机"},
                              "part": "sub_segment", "points": 5, "facts": {"segment": "servo"}, "ids": ["servo"]}
    # the older shape stays: reasons with code and weight, the parts that add points (and an unknown locality)
    assert [(x["code"], x["weight"]) for x in r["candidates"][2]["reasons"]] == [("segment", 6), ("locality", 0)]
    said = localise(r)["candidates"]
    assert said[0]["parts"][0]["zh"] == "在下级环节「伺服电机」"
    assert said[0]["parts"][0]["en"] == "in the sub-segment '伺服电机'"
    assert said[0]["parts"][1]["zh"] == "已与集群内 2 家企业有供应或合作关系：本地磁材厂、本地电机厂"
    assert said[0]["parts"][1]["en"] == "already linked to 2 local enterprise(s): 本地磁材厂, 本地电机厂"
    assert x2["parts"][1]["ids"] == ["local", "local2"]
    assert said[1]["parts"][1]["zh"] == "角色：龙头、上市公司、专精特新"
    assert said[1]["parts"][1]["en"] == "roles: Leading firm, Listed company, Specialised and innovative (专精特新)"
    assert said[1]["parts"][2]["zh"] == "来源原文称其为：头部"
    assert said[2]["parts"][1]["zh"] == "所在地未登记：先核实是否已在集群内"
    assert said[3]["parts"][1]["en"] == "in Ganzhou (not stated whether in the cluster)"
    assert said[1]["roles"] == ["leading", "listed", "specialised"]
    assert r["total"] == 4 and r["gap_id"] == "segment:motor" and r["data_needed"] is None
    assert r["wanted"]["segments"] == [{"id": "motor", "name": "永磁电机", "kind": "segment"}]
    assert r["score_formula"] is CANDIDATE_FORMULA
    assert localise(r)["score_formula"]["zh"].startswith("候选得分 = 各部分之和")
    assert [c["id"] for c in candidates_for_gap(G, gap, limit=2)["candidates"]] == ["x2", "x1"]
    json.dumps(r, ensure_ascii=False)


def test_closeness_of_the_segment_fit_orders_the_candidates():
    """In the segment > below it > above it > up/downstream of it > only mentions it; each part says which."""
    ents = [ent("top", "segment", name="器件"), ent("mot", "segment", name="永磁电机", aliases=["电机"]),
            ent("servo", "segment", name="伺服电机"), ent("mag", "segment", name="磁材"),
            ent("a", name="甲", locality="abroad"), ent("b", name="乙", locality="abroad"),
            ent("c", name="丙", locality="abroad"), ent("d", name="丁", locality="abroad"),
            ent("e", name="戊", locality="abroad", description="做电机的企业"),
            ent("f", name="己", locality="abroad"), ent("z", name="无关", locality="abroad")]
    rels = [rel("PART_OF", "mot", "top"), rel("PART_OF", "servo", "mot"), rel("FEEDS", "mag", "mot"),
            rel("IN_SEGMENT", "a", "mot"), rel("IN_SEGMENT", "b", "servo"), rel("IN_SEGMENT", "c", "top"),
            rel("IN_SEGMENT", "d", "mag"), rel("SUPPLIES", "d", "f", product="磁钢")]
    G = build_graph(ents, rels)
    r = candidates_for_gap(G, {"id": "g", "wanted": {"segments": ["mot"], "product": None, "exclude": []}})
    got = [(c["id"], c["score"], c["parts"][0]["part"]) for c in r["candidates"]]
    # 丁 (ding) before 己 (ji) and 戊 (wu): equal scores by pinyin
    assert got == [("a", 6, "segment"), ("b", 5, "sub_segment"), ("c", 3, "parent_segment"),
                   ("d", 2, "adjacent_segment"), ("f", 2, "buys_input"), ("e", 2, "keyword")]
    d, f, e = r["candidates"][3:]
    assert d["parts"][0]["facts"] == {"segment": "mag", "direction": "up"}
    assert f["parts"][0]["facts"] == {"suppliers": ["d"], "products": ["磁钢"]}
    assert e["parts"][0]["facts"] == {"words": ["电机"]}
    assert "z" not in [c["id"] for c in r["candidates"]]


def test_no_candidates_say_what_data_would_give_them():
    G = build_graph([ent("h", "segment", name="储氢材料", aliases=["储氢合金"]),
                     ent("x", name="无关企业", locality="china")], [])
    r = candidates_for_gap(G, {"id": "segment:h", "wanted": {"segments": ["h"], "product": None, "exclude": []}})
    assert r["candidates"] == [] and r["total"] == 0
    assert r["data_needed"] == {"msg": "gaps.data_needed.segment",
                                "params": {"segments": ["储氢材料"],
                                           "words": {"list": ["储氢材料", "储氢合金"], "total": 2, "more": "list.more.items"}}}
    said = localise(r)
    assert said["data_needed_zh"].startswith("登记库中没有企业在「储氢材料」环节，也没有企业的名称、简介或来源提到 储氢材料、储氢合金。")
    assert "Import firms of these segments" in said["data_needed_en"]


def test_local_and_excluded_firms_are_never_candidates():
    G = build_graph(*rows())
    r = candidates_for_gap(G, {"id": "g", "wanted": {"segments": ["chain"], "product": None, "exclude": ["x1"]}})
    ids = [c["id"] for c in r["candidates"]]
    assert "local" not in ids and "local2" not in ids and "x1" not in ids
    assert ids == ["x2", "x3", "x4"]  # 12, 9 (in the segment itself, in Ganzhou), 5


def test_product_fit_for_a_single_supplier_gap():
    ents = [ent("m", name="本地电机厂", locality="cluster"), ent("s", name="唯一供应商", locality="china"),
            ent("alt", name="另一磁材厂", locality="china"), ent("alt2", name="磁体贸易商", locality="abroad"),
            ent("c", name="外地客户", locality="china")]
    rels = [rel("SUPPLIES", "s", "m", product="钕铁硼磁体"), rel("SUPPLIES", "alt", "c", product="钕铁硼磁体"),
            rel("SUPPLIES", "alt2", "c", product="烧结钕铁硼磁体")]
    G = build_graph(ents, rels)
    gap = next(g for g in dependence_gaps(G) if g["kind"] == "single_supplier")
    r = candidates_for_gap(G, gap)
    # 6 product + 1 elsewhere in China; 6 product + 0 abroad
    assert [(c["id"], c["score"]) for c in r["candidates"]] == [("alt", 7), ("alt2", 6)]
    said = localise(r["candidates"])
    assert said[0]["parts"][0]["zh"] == said[0]["reasons"][0]["zh"]
    assert said[0]["reasons"][0]["zh"] == "已供应「钕铁硼磁体」（客户：外地客户）"
    assert said[0]["reasons"][0]["en"] == "already supplies '钕铁硼磁体' (to 外地客户)"
    assert said[1]["reasons"][0]["zh"] == "已供应「烧结钕铁硼磁体」（客户：外地客户）"
    assert "s" not in [c["id"] for c in r["candidates"]]  # the current supplier is excluded


def test_gap_without_segment_or_product_has_no_candidates():
    G = build_graph(*rows())
    r = candidates_for_gap(G, {"id": "data:x", "wanted": {"segments": [], "product": None, "exclude": []}})
    assert r["candidates"] == [] and r["total"] == 0


# --- on the seeded registry (the real embedded store, loaded with the seed dataset) ----------------------
@pytest.fixture(scope="module")
def seeded(store_dir, seeded_graph_name):
    from graph.analysis import Analysis
    from registry.repository import Registry
    from registry.store import FalkorStore

    s = FalkorStore(store_dir, graph=seeded_graph_name)
    try:
        G = build_graph(*Registry(s).export_graph())
    finally:
        s.close()
    return Analysis(G)


def test_seeded_motor_gap_ranks_candidates_that_differ_and_says_why(seeded):
    gap = seeded.gap("capability:seg-pm-motors")
    r = seeded.candidates(gap, limit=None)
    got = [(c["id"], c["score"], [(p["part"], p["points"]) for p in c["parts"]]) for c in r["candidates"]]
    assert got == [
        # makes the magnets motors are built from (upstream segment), in Ganzhou
        ("ent-jl-mag", 5, [("adjacent_segment", 2), ("locality", 3)]),
        # buys those magnets from it (a user of the motor industry's input); locality not recorded
        ("ent-tesla", 2, [("buys_input", 2), ("locality", 0)]),
    ]
    for c in r["candidates"]:
        assert sum(p["points"] for p in c["parts"]) == c["score"]
    said = localise(r["candidates"])
    assert said[0]["parts"][0]["zh"].startswith("在上游环节「稀土磁性材料」（供给稀土永磁电机")
    assert said[1]["parts"][0]["zh"] == "向上游企业采购：江西金力永磁科技股份有限公司（钕铁硼永磁材料（2021年至2023年））"
    assert said[1]["parts"][1]["en"] == "locality not recorded: check whether it is already in the cluster"


def test_seeded_candidates_of_a_segment_no_longer_all_score_the_same(seeded):
    r = seeded.candidates(seeded.gap("segment:seg-re-functional-materials"), limit=None)
    scores = [c["score"] for c in r["candidates"]]
    assert len(scores) >= 7 and len(set(scores)) >= 3
    assert scores == sorted(scores, reverse=True)
    assert len({tuple(p["part"] for p in c["parts"]) for c in r["candidates"]}) >= 3
    for c in r["candidates"]:
        assert c["parts"] and sum(p["points"] for p in c["parts"]) == c["score"]


def test_seeded_gap_without_candidates_says_what_data_would_give_them(seeded):
    r = seeded.candidates(seeded.gap("capability:seg-supporting-industries"), limit=None)
    assert r["candidates"] == [] and r["total"] == 0
    said = localise(r)
    assert said["data_needed_zh"].startswith("登记库中没有企业在「配套产业（产品设计、机械加工、表面处理等）、机械加工、产品设计、表面处理」环节")
    assert "永磁电机相关配套、相关配套产业、机械加工、产品设计 等 7 项。导入这些环节的企业" in said["data_needed_zh"]
    assert "机械加工" in said["data_needed_en"] and "Import firms of these segments" in said["data_needed_en"]


def test_seeded_every_candidate_score_is_the_sum_of_its_parts(seeded):
    checked = 0
    for g in seeded.all_gaps():
        r = seeded.candidates(g, limit=None)
        keys = [(-c["score"], c["name"]) for c in r["candidates"]]
        assert len(r["candidates"]) == r["total"]
        for c in r["candidates"]:
            assert c["parts"] and sum(p["points"] for p in c["parts"]) == c["score"], (g["id"], c["id"])
            assert all(p["part"] in {*PART_POINTS, "role", "locality"} for p in c["parts"])
            checked += 1
        scores = [k[0] for k in keys]
        assert scores == sorted(scores), g["id"]
    assert checked > 100
