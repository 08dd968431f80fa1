"""graph.candidates: outside firms that could fill a gap, ranked, each with its reasons."""

import json

from graph import CANDIDATE_FORMULA, build_graph, candidates_for_gap, dependence_gaps, segment_gaps
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


def test_ranking_order_and_reasons():
    G = build_graph(*rows())
    gap = next(g for g in segment_gaps(G) if g["id"] == "segment:motor")
    r = candidates_for_gap(G, gap)
    got = [(c["id"], c["score"], [(x["code"], x["weight"]) for x in c["reasons"]]) for c in r["candidates"]]
    assert got == [
        # 3 segment + 2 local links (supplies local2, buys from local) + 1 local platform
        ("x2", 6, [("segment", 3), ("local_link", 2), ("platform_link", 1)]),
        # 3 segment + 2 roles (capped) + 1 leader wording; the outside platform does not count
        ("x1", 6, [("segment", 3), ("role", 2), ("source_wording", 1)]),
        ("x4", 3, [("segment", 3), ("locality_unknown", 0)]),
        ("x3", 1, [("parent_segment", 1)]),
    ]
    x2 = r["candidates"][0]
    assert x2["reasons"][0] == {"msg": "cand.reason.segment_via", "params": {"segment": "永磁电机", "via": ["伺服电机"]},
                                "ids": ["motor", "servo"], "code": "segment", "weight": 3}
    said = localise(r)["candidates"]
    assert said[0]["reasons"][0] == {"zh": "在缺口环节「永磁电机」（伺服电机）", "en": "in the gap's segment '永磁电机' (伺服电机)",
                                     "ids": ["motor", "servo"], "code": "segment", "weight": 3}
    assert said[0]["reasons"][1]["zh"] == "已与集群内 2 家企业有供应或合作关系：本地磁材厂、本地电机厂"
    assert said[0]["reasons"][1]["en"] == "already linked to 2 local enterprise(s): 本地磁材厂, 本地电机厂"
    assert x2["reasons"][1]["ids"] == ["local", "local2"]
    assert said[1]["reasons"][1]["zh"] == "角色：龙头、上市公司、专精特新"
    assert said[1]["reasons"][1]["en"] == "roles: Leading firm, Listed company, Specialised and innovative (专精特新)"
    assert said[1]["reasons"][2]["zh"] == "来源原文称其为：头部"
    assert said[1]["roles"] == ["leading", "listed", "specialised"]
    assert r["total"] == 4 and r["gap_id"] == "segment:motor"
    assert r["wanted"]["segments"] == [{"id": "motor", "name": "永磁电机", "kind": "segment"}]
    assert r["score_formula"] is CANDIDATE_FORMULA
    assert localise(r)["score_formula"]["zh"].startswith("候选得分 = 环节匹配 3")
    assert all(c["reasons"] for c in r["candidates"])  # never a bare score
    assert [c["id"] for c in candidates_for_gap(G, gap, limit=2)["candidates"]] == ["x2", "x1"]
    json.dumps(r, ensure_ascii=False)


def test_local_and_excluded_firms_are_never_candidates():
    G = build_graph(*rows())
    r = candidates_for_gap(G, {"id": "g", "wanted": {"segments": ["chain"], "product": None, "exclude": ["x1"]}})
    ids = [c["id"] for c in r["candidates"]]
    assert "local" not in ids and "local2" not in ids and "x1" not in ids
    assert ids == ["x2", "x3", "x4"]


def test_product_fit_for_a_single_supplier_gap():
    ents = [ent("m", name="本地电机厂", locality="cluster"), ent("s", name="唯一供应商", locality="china"),
            ent("alt", name="另一磁材厂", locality="china"), ent("alt2", name="磁体贸易商", locality="abroad"),
            ent("c", name="外地客户", locality="china")]
    rels = [rel("SUPPLIES", "s", "m", product="钕铁硼磁体"), rel("SUPPLIES", "alt", "c", product="钕铁硼磁体"),
            rel("SUPPLIES", "alt2", "c", product="烧结钕铁硼磁体")]
    G = build_graph(ents, rels)
    gap = next(g for g in dependence_gaps(G) if g["kind"] == "single_supplier")
    r = candidates_for_gap(G, gap)
    assert [(c["id"], c["score"]) for c in r["candidates"]] == [("alt", 3), ("alt2", 3)]
    said = localise(r["candidates"])
    assert said[0]["reasons"][0]["zh"] == "已供应「钕铁硼磁体」（客户：外地客户）"
    assert said[0]["reasons"][0]["en"] == "already supplies '钕铁硼磁体' (to 外地客户)"
    assert said[1]["reasons"][0]["zh"] == "已供应「烧结钕铁硼磁体」（客户：外地客户）"
    assert "s" not in [c["id"] for c in r["candidates"]]  # the current supplier is excluded


def test_gap_without_segment_or_product_has_no_candidates():
    G = build_graph(*rows())
    r = candidates_for_gap(G, {"id": "data:x", "wanted": {"segments": [], "product": None, "exclude": []}})
    assert r["candidates"] == [] and r["total"] == 0
