"""graph.gaps: segment, upstream, capability (plan-named) and data gaps, with exact results."""

import json
import random

import pytest

from registry.messages import localise

from graph import LACK_WORDS, build_graph, capability_gaps, data_gaps, find_gap, segment_gaps, upstream_gaps
from graph_rows import ent, rel

GAP_KEYS = {"id", "category", "kind", "severity", "subject_ids", "subjects", "title", "reason", "facts", "sources",
            "impact", "wanted"}
PLAN = "001_5d877c967d85b7a4.txt"




def rows():
    ents = [
        ent("chain", "segment", name="稀土产业链", position=0),
        ent("oxide", "segment", name="稀土氧化物", position=1),
        ent("metal", "segment", name="稀土金属及合金", position=2),
        ent("magnet", "segment", name="稀土磁性材料", position=3),
        ent("ndfeb", "segment", name="钕铁硼", position=3),
        ent("smco", "segment", name="钐钴", position=3),
        ent("motor", "segment", name="永磁电机", position=4, sources=[
            {"doc": PLAN, "section": "19．大力发展永磁电机产业", "quote": "全力招引国内外永磁电机行业的龙头企业、配套企业"}]),
        ent("surface", "segment", name="表面处理", position=5, description="方案第16条点名的配套环节", sources=[
            {"doc": PLAN, "section": "16．强化招大引强", "quote": "以及产品设计、机械加工和表面处理等配套企业"}]),
        ent("m1", name="金属厂", locality="cluster", roles=["leading"], credit_code="91360000000000000X",
            location="赣县区"),
        ent("n1", name="磁材一厂", locality="cluster", location="赣县区", credit_code="x"),
        ent("n2", name="磁材二厂", locality="cluster", credit_code="x"),
        ent("s1", name="钐钴厂", locality="cluster", location="赣县区", credit_code="x"),
        ent("o1", name="外地氧化物厂", locality="china", location="包头"),
        ent("p1", name="外地电机厂", locality="china", location="宁波", credit_code="x"),
        ent("q1", name="无名厂"),
        ent("park", "project", name="稀金谷", project_type="park", locality="cluster"),
    ]
    rels = [rel("PART_OF", c, "chain") for c in ("oxide", "metal", "magnet", "motor", "surface")]
    rels += [rel("PART_OF", "ndfeb", "magnet"), rel("PART_OF", "smco", "magnet")]
    rels += [rel("FEEDS", "oxide", "metal", product="氧化镨钕"), rel("FEEDS", "metal", "magnet"),
             rel("FEEDS", "magnet", "motor"), rel("FEEDS", "surface", "magnet")]
    rels += [rel("IN_SEGMENT", e, s) for e, s in (("m1", "metal"), ("n1", "ndfeb"), ("n2", "ndfeb"), ("s1", "smco"),
                                                 ("o1", "oxide"), ("p1", "motor"))]
    rels += [rel("LOCATED_IN", "n2", "park"),
             rel("SUPPLIES", "m1", "n1", product="镨钕金属"),
             rel("SUPPLIES", "o1", "m1", product="氧化镨钕", sources=[
                 {"by": "张三", "basis": "implied", "note": "由产品推断"}])]
    return ents, rels


@pytest.fixture
def G():
    return build_graph(*rows())


def test_segment_gaps_exact(G):
    gaps = segment_gaps(G)
    assert [(g["id"], g["kind"], g["severity"]) for g in gaps] == [
        ("segment:oxide", "no_local", "high"),
        ("segment:surface", "no_local", "high"),
        ("segment:motor", "no_local", "high"),
        ("segment:metal", "few_local", "medium"),
        ("segment:ndfeb", "few_local", "medium"),
        ("segment:smco", "few_local", "medium"),
    ]
    oxide = gaps[0]
    assert set(oxide) >= GAP_KEYS and oxide["category"] == "segment"
    assert oxide["subjects"] == [{"id": "oxide", "name": "稀土氧化物", "kind": "segment"}]
    # the reason is a message: an id and its parameters, data only
    assert oxide["reason"] == {"msg": "gap.segment.no_local.reason_attract", "params": {"name": "稀土氧化物", "outside": 1}}
    assert oxide["facts"][1] == {"msg": "fact.segment.outside", "params": {"n": 1}, "ids": ["o1"]}
    text = localise(oxide)
    assert text["title_zh"] == "环节无本地企业：稀土氧化物" and text["title_en"] == "No local enterprise: 稀土氧化物"
    assert text["reason_zh"] == "登记册中「稀土氧化物」环节（含下级环节）没有集群内企业。已登记 1 家此环节的非集群内企业，可作为招引对象。"
    assert text["reason_en"] == ("The registry records no enterprise in the cluster in segment '稀土氧化物' "
                                 "(sub-segments included). 1 enterprises not in the cluster are recorded here: "
                                 "candidates to attract.")
    assert text["facts"][1] == {"zh": "非集群内企业 1 家", "en": "1 enterprises not in the cluster", "ids": ["o1"]}
    assert oxide["wanted"] == {"segments": ["oxide"], "product": None, "exclude": []}
    metal = localise(gaps[3])
    assert metal["reason_zh"] == "「稀土金属及合金」环节只有 1 家集群内企业（金属厂），少于 3 家。"
    assert metal["reason_en"] == "Segment '稀土金属及合金' has only 1 local enterprise(s) (金属厂), fewer than 3."
    # magnet has 3 local firms through ndfeb and smco: not a gap; with few=4 it is
    assert "segment:magnet" in [g["id"] for g in segment_gaps(G, few=4)]
    assert [g["id"] for g in segment_gaps(G, few=1)] == ["segment:oxide", "segment:surface", "segment:motor"]


def test_upstream_gap_when_the_input_has_no_local_firm(G):
    gaps = upstream_gaps(G)
    # both high; the one whose downstream holds more local firms first
    assert [(g["id"], g["kind"], g["severity"], g["impact"]) for g in gaps] == [
        ("upstream:magnet:surface", "no_local_upstream", "high", 31),
        ("upstream:metal:oxide", "no_local_upstream", "high", 11),
    ]
    g = gaps[1]
    assert g["subject_ids"] == ["metal", "oxide"]
    assert g["reason"]["params"]["what"] == {"msg": "gap.part.product", "params": {"product": "氧化镨钕"}}
    assert localise(g)["reason_zh"] == ("「稀土金属及合金」的上游投入「稀土氧化物」（氧化镨钕）在集群内没有企业：本环节 1 家本地企业"
                                        "（金属厂）所需的投入在登记册中没有集群内来源。")
    assert localise(g)["reason_en"] == (
        "The upstream input '稀土氧化物' (氧化镨钕) of '稀土金属及合金' has no enterprise in the cluster: the 1 local "
        "firm(s) of '稀土金属及合金' (金属厂) must buy it from outside the cluster (none is recorded in it).")
    assert g["wanted"] == {"segments": ["oxide"], "product": "氧化镨钕", "exclude": []}
    assert g["facts"][0]["ids"] == [] and g["facts"][1]["ids"] == ["m1"]


def test_upstream_gap_medium_when_downstream_is_empty_too():
    G = build_graph([ent("a", "segment"), ent("b", "segment")], [rel("FEEDS", "a", "b")])
    assert [(g["id"], g["severity"]) for g in upstream_gaps(G)] == [("upstream:b:a", "medium")]


def test_upstream_gap_when_local_upstream_firms_are_not_used():
    G = build_graph(
        [ent("up", "segment", name="氧化物"), ent("down", "segment", name="金属"),
         ent("u_local", name="本地氧化物厂", locality="cluster"), ent("u_out", name="外地氧化物厂", locality="abroad"),
         ent("d", name="本地金属厂", locality="cluster")],
        [rel("FEEDS", "up", "down"), rel("IN_SEGMENT", "u_local", "up"), rel("IN_SEGMENT", "u_out", "up"),
         rel("IN_SEGMENT", "d", "down"), rel("SUPPLIES", "u_out", "d")])
    gaps = upstream_gaps(G)
    assert [(g["id"], g["kind"], g["severity"]) for g in gaps] == [
        ("upstream:down:up", "local_upstream_unused", "medium")]
    assert gaps[0]["facts"][-1]["ids"] == ["u_out"]
    # once the local firm supplies too, the gap is gone
    G.add_edge("u_local", "d", key="SUPPLIES", type="SUPPLIES", source="u_local", target="d", id="x")
    assert upstream_gaps(G) == []


def test_capability_gaps_link_the_plan_clause(G):
    gaps = capability_gaps(G)
    assert [(g["id"], g["severity"], g["matched_words"]) for g in gaps] == [
        ("capability:motor", "high", ["招引", "配套"]),
        ("capability:surface", "high", ["配套"]),
    ]
    surface = gaps[1]
    assert surface["clause"] == {"doc": PLAN, "section": "16．强化招大引强", "quote": "以及产品设计、机械加工和表面处理等配套企业",
                                 "matched": ["配套"]}
    assert surface["sources"] == [surface["clause"]]
    assert localise(surface)["reason_zh"] == (
        f"方案点名需要补强「表面处理」（{PLAN} 16．强化招大引强）：“以及产品设计、机械加工和表面处理等配套企业”。"
        "登记册中相关环节现有集群内企业 0 家，尚未补上。")
    assert localise(surface)["reason_en"] == (
        f"The plan names '表面处理' as a need ({PLAN} 16．强化招大引强): “以及产品设计、机械加工和表面处理等配套企业”. "
        "The registry now records 0 local enterprise(s) in the segment(s); the gap is still open.")
    assert surface["facts"][0] == {"msg": "fact.capability.wording", "params": {"words": ["配套"]}, "ids": ["surface"]}
    assert surface["wanted"]["segments"] == ["surface"]


def test_capability_gap_severity_follows_what_the_registry_shows():
    src = [{"doc": PLAN, "section": "18", "quote": "壮大深加工规模，延链"}]
    firms = [ent(f"f{i}", locality="cluster") for i in range(3)]
    G = build_graph([ent("s", "segment", sources=src)] + firms, [rel("IN_SEGMENT", f"f{i}", "s") for i in range(3)])
    assert capability_gaps(G)[0]["severity"] == "low"
    assert "现有集群内企业 3 家" in localise(capability_gaps(G)[0])["reason_zh"]
    G = build_graph([ent("s", "segment", sources=src)] + firms, [rel("IN_SEGMENT", "f0", "s")])
    assert capability_gaps(G)[0]["severity"] == "medium"


def test_capability_gaps_for_targets_use_their_segments():
    G = build_graph(
        [ent("t", "target", name="引进项目", metric="每年引进项目数", value=10,
             sources=[{"doc": PLAN, "section": "16", "quote": "每年引进稀土新材料及应用项目10个以上"}]),
         ent("t2", "target", name="产值", metric="产值", value=200,
             sources=[{"doc": PLAN, "section": "一", "quote": "产值突破200亿元"}]),
         ent("s", "segment", name="永磁电机")],
        [rel("ABOUT", "t", "s")])
    gaps = capability_gaps(G)
    assert [(g["id"], g["kind"], g["severity"], g["wanted"]["segments"]) for g in gaps] == [
        ("capability:t", "plan_named_target", "high", ["s"])]


def test_no_plan_wording_no_capability_gap():
    G = build_graph([ent("s", "segment", sources=[{"doc": PLAN, "section": "一", "quote": "稀土氧化物"}])], [])
    assert capability_gaps(G) == []
    assert "缺" in LACK_WORDS and "配套" in LACK_WORDS


def test_data_gaps_say_what_to_fill_in_first(G):
    gaps = data_gaps(G)
    got = [(g["id"], g["severity"], g.get("missing")) for g in gaps]
    # n2 has no location field but is LOCATED_IN a park: nothing missing
    assert got == [
        ("data:relation:o1>SUPPLIES>m1", "medium", ["basis"]),
        ("data:q1", "medium", ["segment", "locality", "location", "credit_code"]),
        ("data:o1", "low", ["credit_code"]),
    ]
    q1 = localise(gaps[1])
    assert q1["reason_zh"] == "「无名厂」（所在地未说明）缺少：所属环节、是否在集群内、所在地、统一社会信用代码。"
    assert q1["reason_en"] == "'无名厂' (place not stated) lacks: chain segment, in the cluster or not, location, credit code (统一社会信用代码)."
    implied = gaps[0]
    assert implied["kind"] == "implied_relation" and implied["subject_ids"] == ["o1", "m1"]
    assert localise(implied)["reason_zh"] == "关系「外地氧化物厂 -SUPPLIES-> 金属厂」只有推断依据（implied）：由产品推断。请用文件或调研核实。"
    assert implied["sources"] == [{"basis": "implied", "note": "由产品推断", "by": "张三"}]


def test_local_firm_without_segment_is_high():
    G = build_graph([ent("a", locality="cluster", location="赣县区", credit_code="x", roles=["leading"]),
                     ent("b", locality="cluster", location="赣县区", credit_code="x")], [])
    gaps = data_gaps(G)
    assert [(g["id"], g["severity"], g["impact"]) for g in gaps] == [("data:a", "high", 10), ("data:b", "high", 0)]
    # role names come from the catalogue by code
    assert gaps[0]["facts"][1]["params"] == {"roles": [{"label": "role", "code": "leading"}]}
    assert [(f["zh"], f["en"]) for f in localise(gaps[0])["facts"]] == [
        ("已登记关系 0 条", "0 recorded relations"), ("角色：龙头", "roles: Leading firm")]


def test_gaps_are_deterministic_and_json(G):
    ents, rels = rows()
    for seed in range(3):
        random.Random(seed).shuffle(ents)
        random.Random(seed + 10).shuffle(rels)
        G2 = build_graph(ents, rels)
        for f in (segment_gaps, upstream_gaps, capability_gaps, data_gaps):
            assert json.dumps(f(G2), ensure_ascii=False) == json.dumps(f(G), ensure_ascii=False)


def test_ganzhou_firm_needs_its_cluster_membership_checked():
    G = build_graph([ent("g", name="赣州某厂", locality="ganzhou", location="赣州", credit_code="x")], [])
    gaps = data_gaps(G)
    assert [(g["id"], g["severity"], g["missing"]) for g in gaps] == [("data:g", "medium", ["segment", "locality"])]


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


MOTOR_TYPES = ["seg-motor-wind-power", "seg-motor-nev-drive", "seg-motor-robot", "seg-motor-servo",
               "seg-motor-fluid", "seg-motor-micro-special", "seg-motor-green-appliance", "seg-motor-medical"]


def test_seeded_motor_industry_is_one_gap_with_its_eight_types_as_parts(seeded):
    r = seeded.report()
    every = [g for gs in r["gaps"].values() for g in gs]
    motor = [g for g in every if {"seg-pm-motors", *MOTOR_TYPES} & set(g["subject_ids"])
             and g["category"] in ("capability", "segment")]
    assert [g["id"] for g in motor] == ["capability:seg-pm-motors"]
    need = motor[0]
    assert sorted(p["id"] for p in need["parts"]) == sorted(MOTOR_TYPES)
    assert all(p["plan_named"] and p["local_enterprises"] == 0 for p in need["parts"])
    assert need["wanted"]["segments"] == ["seg-pm-motors"] + [p["id"] for p in need["parts"]]
    # the old ids of what was merged still lead to it
    for old in ["segment:seg-pm-motors", "segment:seg-motor-servo", "capability:seg-motor-servo"]:
        assert r["aliases"][old] == "capability:seg-pm-motors"
        assert seeded.gap(old)["id"] == "capability:seg-pm-motors"
        assert find_gap(seeded.G, old)["id"] == "capability:seg-pm-motors"
    # counted once: 18 entries (plan-named + segment gap, for the industry and each type) became one
    assert r["summary"]["gaps"]["by_category"]["capability"]["total"] == len(r["gaps"]["capability"])
    assert not any(g["id"].startswith("segment:seg-motor-") for g in r["gaps"]["segment"])


def test_seeded_data_gaps_are_the_to_do_list_not_gaps(seeded):
    r = seeded.report()
    todo = data_gaps(seeded.G)
    assert len(todo) > 50 and all(g["category"] == "data" for g in todo)
    assert "data" not in r["gaps"]
    assert not any(g["id"].startswith("data:") for gs in r["gaps"].values() for g in gs)
    assert not any(g["category"] == "data" for g in r["top_gaps"] + seeded.all_gaps())
    assert r["summary"]["gaps"]["total"] == sum(len(v) for v in r["gaps"].values())
    assert r["summary"]["data_todo"]["total"] == len(todo)
    assert sum(r["summary"]["data_todo"]["by_severity"].values()) == len(todo)
    assert seeded.data_gaps() == todo
    assert seeded.gap(todo[0]["id"]) is None and seeded.data_gap(todo[0]["id"]) == todo[0]


def test_seeded_first_screen_prefers_gaps_someone_can_act_on(seeded):
    top = seeded.report()["top_gaps"]
    assert top[0]["id"] == "capability:seg-pm-motors" and top[0]["candidates_total"] >= 2
    # plan-named needs and gaps with candidates come first; the first four are not all without candidates
    acts = [g["category"] == "capability" or g["candidates_total"] > 0 for g in top]
    assert acts == sorted(acts, reverse=True)
    assert sum(1 for g in top[:4] if g["candidates_total"]) >= 2
    for g in top:
        if not g["candidates_total"] and (g["wanted"]["segments"] or g["wanted"]["product"]):
            assert g["data_needed"]["msg"].startswith("gaps.data_needed.")
