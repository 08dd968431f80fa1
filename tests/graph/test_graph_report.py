"""graph.report: the full gap report, determinism and progress; its text and CJK-aligned tables (xijin.report_text)."""

import json
import random

import pytest

from graph import CATEGORIES, GapNotFound, InvalidOption, all_gaps, build_graph, find_gap, gap_report
from graph_rows import ent, rel
from registry.exports import display_width
from registry.messages import localise
from xijin.report_text import format_report_text, format_table

PLAN = "001_5d877c967d85b7a4.txt"




def rows():
    ents = [
        ent("chain", "segment", name="稀土产业链", position=0),
        ent("metal", "segment", name="稀土金属及合金", position=2),
        ent("magnet", "segment", name="稀土磁性材料", position=3),
        ent("surface", "segment", name="表面处理", position=5, sources=[
            {"doc": PLAN, "section": "16．强化招大引强", "quote": "以及产品设计、机械加工和表面处理等配套企业"}]),
        ent("m1", name="金属厂", locality="cluster", location="赣县区", credit_code="x"),
        ent("n1", name="磁材厂", locality="cluster", location="赣县区", credit_code="x"),
        ent("o1", name="外地金属厂", locality="china", location="包头", credit_code="x"),
        ent("sx", name="外地表面处理厂", locality="jiangxi", location="南昌", credit_code="x", roles=["specialised"]),
        ent("t1", "target", name="规上企业达50家", metric="规模以上企业数", value=50, unit="家"),
    ]
    rels = [rel("PART_OF", c, "chain") for c in ("metal", "magnet", "surface")]
    rels += [rel("FEEDS", "metal", "magnet"), rel("FEEDS", "surface", "magnet")]
    rels += [rel("IN_SEGMENT", e, s) for e, s in (("m1", "metal"), ("n1", "magnet"), ("o1", "metal"),
                                                 ("sx", "surface"))]
    rels += [rel("SUPPLIES", "o1", "n1", product="镨钕金属")]
    return ents, rels


@pytest.fixture
def G():
    return build_graph(*rows())


def test_report_shape_and_summary(G):
    r = gap_report(G)
    assert list(r) == ["summary", "top_gaps", "gaps", "coverage", "target_progress", "score_formula",
                       "candidate_formula", "approximations", "options", "aliases"]
    assert list(r["gaps"]) == list(CATEGORIES) and "data" not in r["gaps"]  # data gaps: the data to-do list
    s = r["summary"]
    assert s["enterprises"] == {"total": 4, "local": 2, "outside": 2, "unknown_locality": 0}
    assert s["gaps"]["by_category"]["capability"] == {"high": 1, "medium": 0, "low": 0, "total": 1}
    assert s["gaps"]["by_category"]["dependence"] == {"high": 1, "medium": 1, "low": 0, "total": 2}
    assert s["gaps"]["total"] == sum(len(v) for v in r["gaps"].values())
    # no firm is tagged 规上: the registry cannot measure the target, it is not "behind" (issue 11)
    assert s["targets"] == {"measured": 0, "partial": 0, "not_measurable": 1, "behind": 0, "met": 0}
    assert localise(r["score_formula"])["zh"].startswith("覆盖度得分")
    assert all({"what", "msg", "params", "exact"} <= set(a) for a in r["approximations"])
    assert localise(r["approximations"][1]) == {
        "what": "listing_limits", "exact": True,
        "zh": "列表截断：覆盖度每个名单最多列 20 个、每个关键节点最多列 10 家被断开企业，计数均为精确值。",
        "en": "listing limits: at most 20 members per coverage list and 10 cut-off firms per cut point are listed; "
              "every count is exact."}
    for gaps in r["gaps"].values():
        for g in gaps:
            assert {"id", "category", "severity", "subject_ids", "subjects", "title", "reason", "facts",
                    "sources"} <= set(g)
            assert g["severity"] in ("high", "medium", "low")


def test_top_gaps_show_the_plan_clause_once_with_candidates(G):
    r = gap_report(G)
    top = [(g["id"], g["severity"]) for g in r["top_gaps"]]
    assert top[0] == ("capability:surface", "high")
    # the segment gap of the same segment is not repeated on the first screen
    assert "segment:surface" not in [g for g, _ in top]
    first = r["top_gaps"][0]
    assert [c["id"] for c in first["candidates"]] == ["sx"] and first["candidates_total"] == 1
    assert first["candidates"][0]["reasons"][0]["code"] == "segment"
    assert all("data" != g["category"] for g in r["top_gaps"])
    assert len(gap_report(G, top=2)["top_gaps"]) == 2


def test_report_is_json_and_deterministic(G):
    expected = json.dumps(gap_report(G), ensure_ascii=False, sort_keys=False)
    assert json.dumps(gap_report(G), ensure_ascii=False) == expected  # same input, same output
    ents, rels = rows()
    for seed in range(3):
        random.Random(seed).shuffle(ents)
        random.Random(seed + 1).shuffle(rels)
        assert json.dumps(gap_report(build_graph(ents, rels)), ensure_ascii=False) == expected


def test_progress_callback(G):
    calls = []
    gap_report(G, progress=lambda done, total, label: calls.append((done, total, label)))
    assert calls[0] == (0, 11, "index") and calls[-1] == (11, 11, "done")
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls)
    assert {label for _, _, label in calls} >= {"coverage", "dependence gaps", "cut points and bridges", "data gaps"}


def test_all_gaps_and_find_gap(G):
    flat = all_gaps(G)
    assert flat[0]["id"] == "capability:surface"
    assert len(flat) == gap_report(G)["summary"]["gaps"]["total"]
    for g in flat:
        assert find_gap(G, g["id"]) == g
    with pytest.raises(GapNotFound, match="no gap with id 'segment:nope'") as err:
        find_gap(G, "segment:nope")
    assert err.value.msg == {"msg": "err.graph.no_gap", "params": {"id": "segment:nope"}}
    with pytest.raises(GapNotFound):
        find_gap(G, "weird")


def test_report_text_first_screen(G):
    report = localise(gap_report(G))
    text = format_report_text(report)
    lines = text.splitlines()
    assert lines[0] == "稀金图谱 · 产业链缺口报告"
    assert lines[2].startswith("图谱：企业 4 家（集群内 2，非集群内 2，所在地未登记 0）")
    assert lines[3].startswith("缺口合计 ")
    first_screen = "\n".join(lines[:40])
    assert "优先处理的缺口" in first_screen
    assert " 1. [高] 方案点名的补链需求 · 方案点名的补链需求：表面处理" in first_screen
    assert f"依据：{PLAN} 16．强化招大引强 “以及产品设计、机械加工和表面处理等配套企业”" in first_screen
    assert "可招引：外地表面处理厂（江西省（未写明在赣州），在缺口环节「表面处理」；角色：专精特新）" in first_screen
    assert "评分公式：覆盖度得分" in text and "目标进展" in text and "计算说明" in text
    en = format_report_text(report, lang="en").splitlines()
    assert en[:2] == ["Xijin Atlas - chain gap report", "=============================="]
    assert en[2] == ("Graph: 4 enterprises (2 in the cluster, 2 not in it, 0 locality unknown); 0 platforms; "
                     "0 projects/parks; 4 segments; 1 targets; 10 relations")
    assert " 1. [high] plan-named needs · Plan-named need: 表面处理" in en
    assert ("    Candidates: 外地表面处理厂 (Jiangxi, not stated to be in Ganzhou; in the gap's segment '表面处理'; "
            "roles: Specialised and innovative (专精特新))") in en
    assert ("Data to fill in first: 0 lack chain segment, 0 lack in the cluster or not, 0 lack location, "
            "0 lack credit code (统一社会信用代码), 0 implied relations to verify") in en
    assert "数据缺口（先补这些）：缺所属环节 0 家，缺是否在集群内 0 家，缺所在地 0 家，缺统一社会信用代码 0 家，推断关系待核实 0 条" in lines
    with pytest.raises(InvalidOption):
        format_report_text(report, lang="fr")


def test_format_table_aligns_chinese():
    out = format_table([{"环节": "氧化物", "n": 3, "x": None}, {"环节": "永磁电机", "n": 12, "x": "ok"}],
                       ["环节", ("n", "企业数"), ("x", "备注")])
    assert out.splitlines() == [
        "环节      企业数  备注",
        "--------  ------  ----",
        "氧化物         3",
        "永磁电机      12  ok",
    ]
    # the number column ends at the same display column on both rows
    assert display_width("氧化物         3") == display_width("永磁电机      12") == 16
    assert display_width("ＡＢ稀土ab") == 10


def test_format_table_clips_wide_cells_and_reads_sequences():
    out = format_table([("稀土新材料及应用产业链", 1.5)], [(0, "名称"), (1, "值")], max_width=9)
    assert out.splitlines()[2] == "稀土新材…  1.5"


def test_one_clause_naming_several_segments_is_one_first_screen_entry():
    clause = {"doc": PLAN, "section": "16．强化招大引强", "quote": "以及产品设计、机械加工和表面处理等配套企业"}
    longer = dict(clause, quote="以及产品设计、机械加工和表面处理等配套企业，全力招引国内外行业头部企业")
    G = build_graph(
        [ent("support", "segment", name="配套产业", sources=[longer]),
         ent("design", "segment", name="产品设计", sources=[clause]),
         ent("machining", "segment", name="机械加工", sources=[clause]),
         ent("other", "segment", name="储氢材料", sources=[dict(clause, section="17", quote="有序引进孵化深加工企业")]),
         ent("x", name="外地机加厂", locality="china")],
        [rel("PART_OF", "design", "support"), rel("PART_OF", "machining", "support"),
         rel("IN_SEGMENT", "x", "machining")])
    r = gap_report(G)
    # one gap per need: the sub-segments the plan names are parts of the supporting-industries need
    assert [g["id"] for g in r["gaps"]["capability"]] == ["capability:support", "capability:other"]
    assert [p["id"] for p in r["gaps"]["capability"][0]["parts"]] == ["design", "machining"]
    assert r["aliases"]["capability:design"] == "capability:support"
    top = r["top_gaps"]
    assert [g["id"] for g in top] == ["capability:support", "capability:other"]
    first = localise(top[0])
    assert first["subject_ids"] == ["support"] and first["merged_ids"] == [
        "segment:support", "capability:design", "segment:design", "capability:machining", "segment:machining"]
    assert first["wanted"]["segments"] == ["support", "design", "machining"]
    assert first["title_zh"] == "方案点名的补链需求：配套产业"
    assert {"zh": "这一需求包括 2 个下级环节：产品设计、机械加工", "en": "this need has 2 part(s): 产品设计, 机械加工",
            "ids": ["design", "machining"]} in first["facts"]
    assert [c["id"] for c in first["candidates"]] == ["x"]
