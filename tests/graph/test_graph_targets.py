"""graph.targets: every plan target classified as measured, partly measurable or not measurable."""

import json

from graph import build_graph, target_gaps, target_progress
from graph_rows import ent
from registry.messages import localise, render



def tgt(i, name, metric, value, unit, **kw):
    return ent(i, "target", name=name, metric=metric, value=value, unit=unit, **kw)


def rows():
    ents = [
        tgt("t-scale", "规上企业达50家", "规模以上企业数", 50, "家", deadline_year=2026, comparison="reach",
            responsible_units=["区工信局", "赣州高新区经发局"],
            sources=[{"doc": "001.txt", "section": "一（二）", "quote": "集群规模以上企业达50家"}]),
        tgt("t-giants", "培育独角兽等企业3家以上", "独角兽、瞪羚、单项冠军和专精特新小巨人企业数", 3, "家", comparison="at_least"),
        tgt("t-hitech", "每年新增高新技术企业5-10家", "每年新增高新技术企业数", 5, "家", value_max=10,
            comparison="range"),
        tgt("t-output", "产值突破200亿元", "集群产值", 200, "亿元", comparison="exceeds"),
        tgt("t-rd", "研发投入强度超过3%", "集群平均研发投入强度", 3, "%", comparison="exceeds"),
        tgt("t-projects", "每年引进项目10个以上", "每年引进稀土新材料及应用项目数", 10, "个", comparison="per_year"),
        tgt("t-motor", "永磁电机企业", "永磁电机企业数", 2, "家"),
        tgt("t-odd", "集群影响力", "国际影响力", None, None),
        tgt("t-rev", "培育营收超10亿元企业6家", "营收超10亿元企业数量", 6, "家"),
        ent("seg-motor", "segment", name="永磁电机"),
        ent("gov-gx", "gov_unit", name="区工信局"),
        ent("a", name="甲", locality="cluster", roles=["above_scale", "little_giant"]),
        ent("b", name="乙", locality="cluster", roles=["above_scale", "high_tech"]),
        ent("c", name="丙", locality="china", roles=["above_scale", "gazelle"]),
        ent("d", name="丁", locality="cluster", roles=["single_champion", "gazelle"]),
        ent("e", name="戊", locality="cluster", revenue_band="10-20亿元"),
        ent("p1", "project", name="项目一", locality="cluster"),
        ent("p2", "project", name="园区", project_type="park", locality="cluster"),
    ]
    rels = [{"type": "RESPONSIBLE_FOR", "source": "gov-gx", "target": "t-scale"},
            {"type": "ABOUT", "source": "t-motor", "target": "seg-motor"},
            {"type": "IN_SEGMENT", "source": "e", "target": "seg-motor"},
            {"type": "IN_SEGMENT", "source": "c", "target": "seg-motor"}]
    return ents, rels


def by_id():
    return {r["id"]: r for r in target_progress(build_graph(*rows()))}


def test_classification_and_current_values():
    got = {k: (r["measurability"], r["current"], r["status"], r["rule"]) for k, r in by_id().items()}
    assert got == {
        "t-scale": ("measured", 2, "behind", "scale_firms"),
        "t-giants": ("measured", 2, "behind", "growth_firms"),
        "t-hitech": ("partial", 1, "unknown", "hightech_firms"),
        "t-output": ("not_measurable", None, "unmeasurable", "output_value"),
        "t-rd": ("not_measurable", None, "unmeasurable", "rd_intensity"),
        "t-projects": ("partial", 1, "unknown", "projects"),
        "t-motor": ("partial", 1, "behind", "about_segments"),
        "t-odd": ("not_measurable", None, "unmeasurable", None),
        "t-rev": ("partial", 1, "unknown", "revenue_firms"),
    }


def test_rows_say_how_and_what_data_is_needed():
    r = by_id()
    scale = r["t-scale"]
    assert [x["id"] for x in scale["counted"]] == ["a", "b"] and scale["counted_total"] == 2
    assert scale["shortfall"] == 48
    assert scale["responsible_units"] == [{"id": "gov-gx", "name": "区工信局", "kind": "gov_unit"},
                                          {"id": None, "name": "赣州高新区经发局", "kind": "gov_unit"}]
    assert scale["sources"] == [{"doc": "001.txt", "section": "一（二）", "quote": "集群规模以上企业达50家"}]
    assert [x["id"] for x in r["t-giants"]["counted"]] == ["a", "d"]  # c is outside the cluster
    assert r["t-output"]["needed_data"] == {"msg": "target.needed.output_value", "params": {}}
    assert render(r["t-output"]["needed_data"]) == "各企业年产值（数值与年份）"
    assert render(r["t-output"]["needed_data"], "en") == "each firm's annual output value (amount and year)"
    assert render(r["t-hitech"]["needed_data"]) == "各企业高新技术企业的认定年份（才能算出每年新增）"
    assert [x["id"] for x in r["t-motor"]["counted"]] == ["e"]
    assert r["t-motor"]["about"] == [{"id": "seg-motor", "name": "永磁电机", "kind": "segment"}]
    odd = localise(r["t-odd"])
    assert odd["needed_data_zh"] == "指标“国际影响力”的统计数据（来源、口径、年份）"
    assert odd["needed_data_en"] == "statistics for '国际影响力' (source, definition, year)"
    assert odd["method_zh"] == "登记册没有这项数据" and odd["method_en"] == "the registry holds no such data"
    assert localise(r["t-motor"])["method_zh"] == "统计目标所指环节（永磁电机）的集群内企业"
    assert list(r) == sorted(r)  # rows sorted by id


def test_met_targets_and_comparisons():
    G = build_graph([tgt("t1", "规上2家", "规上企业数", 2, "家"), tgt("t2", "规上超过2家", "规上企业数", 2, "家", comparison="exceeds"),
                     tgt("t3", "规上至多1家", "规上企业数", 1, "家", comparison="at_most"),
                     ent("a", locality="cluster", roles=["above_scale"]),
                     ent("b", locality="cluster", roles=["above_scale"])], [])
    got = {r["id"]: (r["status"], r["shortfall"]) for r in target_progress(G)}
    assert got == {"t1": ("met", None), "t2": ("behind", 0), "t3": ("behind", None)}


def test_target_gaps():
    gaps = target_gaps(build_graph(*rows()))
    assert [(g["id"], g["severity"], g["kind"]) for g in gaps] == [
        ("target:t-scale", "high", "measured"),
        ("target:t-giants", "high", "measured"),
        ("target:t-motor", "medium", "partial"),
        ("target:t-hitech", "medium", "partial"),
        ("target:t-projects", "medium", "partial"),
        ("target:t-rev", "medium", "partial"),
        ("target:t-odd", "low", "not_measurable"),
        ("target:t-output", "low", "not_measurable"),
        ("target:t-rd", "low", "not_measurable"),
    ]
    scale = localise(gaps[0])
    assert scale["reason_zh"] == ("目标「规上企业达50家」：登记册现有 2家，目标 50家（2026年），差 48家。"
                                  "口径：统计角色含“规上”的集群内企业；只统计登记册中已标注“规上”的企业；需补全各企业是否规上。")
    assert scale["reason_en"] == ("Target '规上企业达50家': the registry shows 2家 against 50家 by 2026, 48 short. "
                                  "Method: count local enterprises with the role 规上; only enterprises marked 规上 count; "
                                  "record whether each firm is above designated size.")
    assert scale["facts"][0] == {"zh": "可衡量性：可衡量；状态：未达到", "en": "measurability: measured; status: behind",
                                 "ids": ["t-scale"]}
    assert scale["facts"][2] == {"zh": "责任单位：区工信局、赣州高新区经发局", "en": "responsible units: 区工信局, 赣州高新区经发局",
                                 "ids": ["gov-gx"]}
    assert localise(gaps[-1])["reason_zh"] == "目标「研发投入强度超过3%」（3%）无法从登记册衡量。需要补充：各企业年研发投入与营业收入。"
    assert localise(gaps[3])["reason_en"] == (
        "Target '每年新增高新技术企业5-10家' (5家) is only partly measurable: count local enterprises with the role "
        "高新技术企业 (the current stock), now 1. Needed: the year each firm was recognised (to count new ones per year).")
    assert gaps[2]["wanted"]["segments"] == ["seg-motor"]
    json.dumps(gaps, ensure_ascii=False)


# --- honest targets (issue 11): a target the registry cannot compute is "unmeasurable", never "behind" ---
SCALE = tgt("t-scale", "到2026年规上企业达50家", "规模以上企业数", 50, "家", deadline_year=2026)


def test_a_count_of_a_tag_no_record_carries_is_unmeasurable_not_behind():
    G = build_graph([SCALE, ent("a", name="甲", locality="cluster", roles=["key_support"])], [])
    r = target_progress(G)[0]
    assert (r["measurability"], r["status"], r["current"], r["shortfall"], r["counted_total"]) == \
        ("not_measurable", "unmeasurable", None, None, 0)
    assert r["needs"] == {"kind": "enterprise", "field": "roles", "values": ["above_scale"]}
    assert render(r["needed_data"]) == "登记册中没有任何企业标注“规上”；需为符合条件的企业标注该角色"
    assert render(r["needed_data"], "en") == ('no Enterprise record in the registry carries the role '
                                              '"Above designated size (规上)"; '
                                              'tag the Enterprise records that qualify')
    g = localise(target_gaps(G)[0])
    assert (g["severity"], g["kind"], g["status"]) == ("low", "not_measurable", "unmeasurable")
    assert g["facts"][0]["zh"] == "可衡量性：无法从登记册衡量；状态：无法测算"
    assert "未达到" not in json.dumps(g, ensure_ascii=False)


def test_tagging_one_firm_makes_it_measurable():
    G = build_graph([SCALE, ent("a", name="甲", locality="cluster", roles=["above_scale"])], [])
    r = target_progress(G)[0]
    assert (r["measurability"], r["status"], r["current"], r["shortfall"], r["needs"]) == \
        ("measured", "behind", 1, 49, None)


def test_a_tag_carried_only_outside_the_cluster_is_measurable_and_counts_zero():
    # the registry does record 规上 (on a firm outside): 0 local firms carry it is a measurement
    G = build_graph([SCALE, ent("c", name="丙", locality="china", roles=["above_scale"])], [])
    r = target_progress(G)[0]
    assert (r["measurability"], r["status"], r["current"]) == ("measured", "behind", 0)


def test_what_each_rule_needs_when_nothing_carries_it():
    G = build_graph([tgt("t-hitech", "每年新增高新技术企业5-10家", "每年新增高新技术企业数", 5, "家", value_max=10,
                         comparison="range"),
                     tgt("t-rev", "培育营收超10亿元企业6家", "营收超10亿元企业数量", 6, "家"),
                     tgt("t-giants", "培育独角兽等企业3家以上", "独角兽、瞪羚、单项冠军和专精特新小巨人企业数", 3, "家"),
                     tgt("t-output", "产值突破200亿元", "集群产值", 200, "亿元", comparison="exceeds"),
                     ent("a", name="甲", locality="cluster")], [])
    got = {r["id"]: (r["status"], r["needs"]) for r in target_progress(G)}
    assert got == {
        "t-hitech": ("unmeasurable", {"kind": "enterprise", "field": "roles", "values": ["high_tech"]}),
        "t-rev": ("unmeasurable", {"kind": "enterprise", "field": "revenue_band", "values": []}),
        "t-giants": ("unmeasurable", {"kind": "enterprise", "field": "roles",
                                      "values": ["unicorn", "gazelle", "single_champion", "little_giant"]}),
        # no field of the registry holds output value: unmeasurable, and no record kind to fill in
        "t-output": ("unmeasurable", {"kind": None, "field": None, "values": []}),
    }
    rev = next(r for r in target_progress(G) if r["id"] == "t-rev")
    assert render(rev["needed_data"]) == "登记册中没有任何企业填写“营收区间”；需补充各企业的营收区间"


def test_no_status_is_behind_unless_measured():
    for r in target_progress(build_graph(*rows())):
        if r["status"] == "behind":
            assert r["measurability"] == "measured" or r["rule"] == "about_segments"
        if r["measurability"] == "not_measurable":
            assert r["status"] == "unmeasurable" and r["current"] is None
