"""Ingest (issue 14, first slice): a plan's text into tasks, targets, organisations and relations, each quoted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from registry import ingest
from registry.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
DOC_001 = ROOT / "seed" / "documents" / "001_5d877c967d85b7a4.txt"


@pytest.fixture(scope="module")
def text_001() -> str:
    return ingest.read_document(DOC_001)


@pytest.fixture(scope="module")
def p001(text_001) -> dict:
    return ingest.propose(text_001, document=DOC_001.name)


def all_items(p):
    return [*p["organisations"], *p["targets"], *p["tasks"], *p["relations"]]


def test_the_23_tasks_of_001_with_exactly_their_responsible_units(p001):
    key = yaml.safe_load((ROOT / "seed" / "data" / "tasks.yaml").read_text(encoding="utf-8"))
    assert len(key) == 23
    got = {t["number"]: t for t in p001["tasks"]}
    assert sorted(got) == list(range(1, 24))
    for want in key:
        t = got[want["number"]]
        assert t["title"] == want["title"]
        assert t["responsible_units"] == want["responsible_units"], want["number"]
        assert t["quote"] == want["sources"][0]["quote"]
        assert t["section"] == want["sources"][0]["section"]


def test_unit_clause_forms():
    assert ingest.parse_units("（牵头单位：市工信局；责任单位：市发改委、市财政局）") == ["市工信局", "市发改委", "市财政局"]
    assert ingest.parse_units("(责任单位:区商务局,区工信局)") == ["区商务局", "区工信局"]
    assert ingest.parse_units("〔责任单位：区商务局、区财政局，赣州高新区经发局〕") == ["区商务局", "区财政局", "赣州高新区经发局"]


def test_every_numeric_target_of_001(p001):
    key = yaml.safe_load((ROOT / "seed" / "data" / "targets.yaml").read_text(encoding="utf-8"))
    got = {(t["value"], t.get("value_max"), t["unit"], t["comparison"]) for t in p001["targets"]}
    for want in key:
        assert (want["value"], want.get("value_max"), want["unit"], want["comparison"]) in got, want["id"]
    assert len(p001["targets"]) == len(key)  # nothing extra: 5G, 第48次, 万吨级 are not targets
    steel = [t for t in p001["targets"] if t["value"] == 10000]
    assert steel[0]["qualifier"] == "力争" and steel[0]["metric"] == "稀土金属及合金产量"
    output = [t for t in p001["targets"] if t["unit"] == "亿元" and t["value"] == 200][0]
    assert output["period"] == "2024-2026" and output["year"] == 2026


def test_numbers():
    assert ingest.cn_number("一百二十") == 120
    assert ingest.cn_number("千亿") == 100_000_000_000
    assert ingest.cn_number("十五") == 15
    assert ingest.cn_number("三千五百万") == 35_000_000
    assert ingest.parse_quantity("1.5万吨") == {"value": 1.5, "value_max": None, "unit": "万吨", "base_value": 15000}
    assert ingest.parse_quantity("千亿元")["value"] == 1000 and ingest.parse_quantity("千亿元")["unit"] == "亿元"
    q = ingest.parse_quantity("3—5项")
    assert (q["value"], q["value_max"], q["unit"]) == (3, 5, "项")


def test_named_firms_and_platforms_of_001(p001):
    names = {o["name"]: o["kind"] for o in p001["organisations"]}
    for firm in ("中国稀土集团", "赣州稀土矿业有限公司", "中科三环", "粤磁科技", "汉驱智能", "友力科技", "福默斯", "浩金欧博"):
        assert names.get(firm) == "enterprise", firm
    for plat in ("中国科学院赣江创新研究院", "国家稀土功能材料创新中心", "国家钨与稀土产品质量检验检测中心",
                 "江西省钨与稀土研究院", "江西理工大学", "江西理工大学稀金新材料研究院", "集群发展联盟"):
        assert names.get(plat) == "platform", plat
    assert names.get("赣州高新区") == "park" and names.get("区工信局") == "gov_unit"
    for junk in ("中国科学院", "稀土研究院", "提升园区", "创新链布局", "工业互联网"):
        assert junk not in names


def test_relations_the_text_states(p001):
    rels = {(r["type"], r["source"], r["target"]) for r in p001["relations"]}
    assert ("CHAIN_LEADER", "中国稀土集团", "产业链") in rels
    assert ("RUNS", "中国稀土集团", "稀土集团万吨级分离项目") in rels
    assert ("LOCATED_IN", "集群宣传展厅", "赣州高新区") in rels
    assert ("RUNS", "江西理工大学", "江西理工大学稀金新材料研究院") in rels
    assert ("RUNS", "中科三环", "中科三环博士后科研实践工作站") in rels
    assert ("RUNS", "赣州市科技成果转化中心", "钨新材料应用分中心") in rels


def test_every_quote_is_verbatim_and_its_span(p001, text_001):
    items = all_items(p001)
    assert len(items) > 100
    for item in items:
        a, b = item["span"]
        assert item["quote"] and item["quote"] in text_001 and text_001[a:b] == item["quote"]
        assert item["section"] and item["document"] == DOC_001.name


def test_registry_names_match_exact_and_flag_near_never_merge(text_001):
    names = {"中国稀土集团": ("ent-crg", "enterprise"), "江西理工大学稀金新材料研究所": ("plat-x", "platform")}
    p = ingest.propose(text_001, names)
    by = {o["name"]: o for o in p["organisations"]}
    assert by["中国稀土集团"]["match"] == {"status": "exact", "id": "ent-crg", "kind": "enterprise"}
    near = by["江西理工大学稀金新材料研究院"]["match"]
    assert near["status"] == "near" and near["candidates"][0]["id"] == "plat-x"


OWN_TEXT = """某市永磁产业链三年行动计划（2025-2027年）
一、发展目标
到2027年，全市永磁材料产量突破1.5万吨，产业链营收达到一千二百亿元，力争新增规上企业20家以上。
二、主要任务
1．壮大龙头企业。以金力永磁科技股份有限公司为链主，支持其在赣州经济技术开发区建设高性能磁材项目，每年引进配套企业5—8家。（牵头单位：市工信局；责任单位：市发改委、市商务局）
2．建设创新平台。依托江西理工大学组建稀土永磁创新联盟，建设检测中心3个。(责任单位:市科技局,市市场监管局)
"""


def test_a_text_of_our_own_in_the_same_style():
    p = ingest.propose(OWN_TEXT)
    tasks = {t["number"]: t for t in p["tasks"]}
    assert tasks[1]["title"] == "壮大龙头企业" and tasks[1]["responsible_units"] == ["市工信局", "市发改委", "市商务局"]
    assert tasks[2]["responsible_units"] == ["市科技局", "市市场监管局"]
    t = {(x["value"], x["unit"]): x for x in p["targets"]}
    assert t[(1.5, "万吨")]["comparison"] == "exceeds" and t[(1.5, "万吨")]["base_value"] == 15000
    assert t[(1200, "亿元")]["comparison"] == "reach" and t[(1200, "亿元")]["period"] == "2025-2027"
    assert t[(20, "家")]["comparison"] == "at_least" and t[(20, "家")]["qualifier"] == "力争"
    assert t[(5, "家")]["value_max"] == 8 and t[(5, "家")]["comparison"] == "range"
    names = {o["name"]: o["kind"] for o in p["organisations"]}
    assert names.get("金力永磁科技股份有限公司") == "enterprise"
    assert names.get("江西理工大学") == "platform"
    rels = {(r["type"], r["source"]) for r in p["relations"]}
    assert ("CHAIN_LEADER", "金力永磁科技股份有限公司") in rels
    for item in all_items(p):
        assert OWN_TEXT[item["span"][0]:item["span"][1]] == item["quote"]


def test_reading_gb18030_and_refusing_broken_docx_and_pdf(tmp_path):
    f = tmp_path / "plan.txt"
    f.write_bytes(OWN_TEXT.encode("gb18030"))
    assert ingest.read_document(f) == OWN_TEXT
    for suffix in (".docx", ".pdf"):
        g = tmp_path / f"plan{suffix}"
        g.write_bytes(b"PK\x03\x04")
        with pytest.raises(InvalidInput, match="is not a valid"):  # readable types, but these bytes are broken
            ingest.read_document(g)
    with pytest.raises(InvalidInput):
        ingest.propose("   ")


def test_module_examples():
    import doctest

    result = doctest.testmod(ingest)
    assert result.attempted >= 2 and result.failed == 0


# ------------------------------------------------------------------------------------- segments and keys

MOTORS = ["风电电机", "新能源汽车驱动电机", "机器人专用电机", "伺服电机", "流体电机", "微特电机", "绿色家电电机", "医用永磁电机"]


def test_the_eight_motor_types_of_001_are_segments_under_permanent_magnet_motors(p001, text_001):
    segs = {s["name"]: s for s in p001["segments"]}
    for name in MOTORS:
        s = segs[name]
        assert s["parent"] == "永磁电机", name
        assert s["quote"] in text_001 and name in s["quote"] and s["section"].endswith("19．大力发展永磁电机产业")
        a, b = s["name_span"]
        assert text_001[a:b] == name
    assert segs["永磁电机"]["parent"] is None  # the parent is proposed too, so accepting all creates it
    assert segs["稀土永磁电机"]["parent"] == "器件装备"  # 器件装备（以稀土永磁电机为主）
    rels = {(r["type"], r["source"], r["target"]) for r in p001["relations"]}
    for name in MOTORS:
        assert ("PART_OF", name, "永磁电机") in rels
    # not products: the factors of production, the business steps, the achievements' process names
    for junk in ("土地开发", "能源供给", "设计", "物流", "钕铁硼废料闪速焙烧", "智能制造"):
        assert junk not in segs


def test_segments_need_a_list_of_products():
    near_miss = "重点发展土地开发、能源供给、原料供应等生产要素。加快攻克设计、生产、管理等核心业务环节。"
    assert ingest.extract_segments(near_miss) == []
    one = "重点发展高端永磁材料、永磁电机、智能装备等方向。"
    assert [(s["name"], s["parent"]) for s in ingest.extract_segments(one)] == [
        ("高端永磁材料", None), ("永磁电机", None), ("智能装备", None)]


def test_segments_match_the_registry_names():
    names = {"永磁电机": ("seg-pm-motors", "segment"), "伺服电机": ("seg-motor-servo", "segment")}
    p = ingest.propose("4．发展电机。重点发展风电电机、伺服电机等领域永磁电机。", names)
    segs = {s["name"]: s["match"] for s in p["segments"]}
    assert segs["伺服电机"] == {"status": "exact", "id": "seg-motor-servo", "kind": "segment"}
    assert segs["永磁电机"]["status"] == "exact" and segs["风电电机"]["status"] != "exact"


def test_every_proposal_has_a_stable_unique_key(text_001):
    a = ingest.propose(text_001)
    b = ingest.propose(text_001)
    lists = ("organisations", "segments", "targets", "tasks", "relations")
    keys = [x["key"] for k in lists for x in a[k]]
    assert len(keys) == len(set(keys)) and all(keys)
    assert keys == [x["key"] for k in lists for x in b[k]]
    by = {x["key"]: x for k in lists for x in a[k]}
    assert by["task:7"]["title"] == "大力培育龙头企业"
    assert by["org:enterprise:中国稀土集团"]["name"] == "中国稀土集团"
    assert by["seg:伺服电机"]["parent"] == "永磁电机"
    assert by["rel:CHAIN_LEADER:中国稀土集团:产业链"]["type"] == "CHAIN_LEADER"
    t = [x for x in a["targets"] if x["value"] == 200 and x["unit"] == "亿元"][0]
    assert t["key"] == f"target:{t['number_span'][0]}" and text_001[slice(*t["number_span"])] == "200亿元"
    for o in a["organisations"]:
        assert o["section"] and text_001[slice(*o["name_span"])] == o["name"] or o.get("found_by") == "owner"


def test_keys_stay_unique_when_a_document_numbers_tasks_afresh():
    text = ("二、主要任务\n（一）甲\n1．建设平台。〔责任单位：区工信局〕\n（二）乙\n1．培育企业。〔责任单位：区商务局〕\n")
    p = ingest.propose(text)
    assert [t["key"].split("@")[0] for t in p["tasks"]] == ["task:1", "task:1"]
    assert len({t["key"] for t in p["tasks"]}) == 2


# ------------------------------------------------------------------------------------- the rules, each with a near miss

def orgs_of(text: str) -> dict:
    return {o["name"]: o["kind"] for o in ingest.propose(text)["organisations"]}


def rels_of(text: str) -> set:
    return {(r["type"], r["source"], r["target"]) for r in ingest.propose(text)["relations"]}


def test_a_name_opened_by_a_quote_mark_and_none_inside_a_title():
    assert orgs_of("打造具有全球影响力的“中国稀金谷”名片。").get("中国稀金谷") == "park"
    got = orgs_of("根据《赣州市稀土新材料及应用集群培育提升三年行动方案》，制定本方案。")
    assert "赣州市稀土新材料及应用集群" not in got
    assert orgs_of("推动赣州市稀土新材料及应用集群发展。").get("赣州市稀土新材料及应用集群") == "park"


def test_academician_station_and_the_verb_before_a_government():
    assert orgs_of("建立稀金产业院士、专家工作站，聚集智力资源。").get("稀金产业院士、专家工作站") == "platform"
    assert not any("工作站" in n for n in orgs_of("邀请院士、专家和学者开展咨询。"))
    got = orgs_of("已经区政府第48次常务会议审议通过。")
    assert "区政府" in got and "已经区政府" not in got


def test_short_firm_names_listed_with_an_organisation():
    got = orgs_of("支持把南方稀土国贸、中国稀土集团稀金谷产业促进中心建设成为交易集散场所。")
    assert got.get("南方稀土国贸") == "enterprise"
    assert "数字科技" not in orgs_of("发展数字科技、人工智能、工业互联网。")  # no organisation in the list


def test_a_firm_list_keeps_a_firm_named_for_motors_but_not_a_motor_type():
    got = orgs_of("引导华赣电机、赣信精工等企业开展配套协作。")
    assert got.get("华赣电机") == "enterprise" and got.get("赣信精工") == "enterprise"
    assert "伺服电机" not in orgs_of("引导伺服电机、赣信精工等企业开展配套协作。")


def test_co_founded_and_run_by_the_lead():
    text = "支持赣南科技学院牵头，联合江西金盛磁业有限公司、华赣电机等单位组建稀土永磁电机产业技术创新联盟。"
    rels = rels_of(text)
    assert ("RUNS", "赣南科技学院", "稀土永磁电机产业技术创新联盟") in rels
    assert ("CO_FOUNDED", "江西金盛磁业有限公司", "稀土永磁电机产业技术创新联盟") in rels
    assert not any(r[0] in ("RUNS", "CO_FOUNDED") for r in rels_of("支持赣南科技学院联合江西金盛磁业有限公司开展技术攻关。"))


def test_projects_listed_after_a_firms_project_and_an_own_base():
    rels = rels_of("中国稀土集团为链主。加快实施稀土集团万吨级分离项目、万吨级稀土金属项目。")
    assert ("RUNS", "中国稀土集团", "稀土集团万吨级分离项目") in rels
    assert ("RUNS", "中国稀土集团", "万吨级稀土金属项目") in rels
    rels = rels_of("中国稀土集团为链主。加快实施万吨级稀土金属项目、稀土集团万吨级分离项目。")
    assert ("RUNS", "中国稀土集团", "万吨级稀土金属项目") not in rels  # listed before it: no owner stated
    p = ingest.propose("支持江西省钨与稀土研究院加快总部基地建设。")
    assert {o["name"] for o in p["organisations"]} >= {"江西省钨与稀土研究院总部基地"}
    assert ("RUNS", "江西省钨与稀土研究院", "江西省钨与稀土研究院总部基地") in rels_of("支持江西省钨与稀土研究院加快总部基地建设。")
    assert not any("总部基地" in n for n in orgs_of("加快总部基地建设。"))


def test_located_in_and_supplies_as_the_sentence_says():
    rels = rels_of("推动江西金盛磁业有限公司落户信丰高新技术产业园区。")
    assert ("LOCATED_IN", "江西金盛磁业有限公司", "信丰高新技术产业园区") in rels
    assert not any(r[0] == "LOCATED_IN" for r in rels_of("江西金盛磁业有限公司考察信丰高新技术产业园区。"))
    rels = rels_of("推动江西金盛磁业有限公司向华赣电机有限公司稳定供应高性能磁钢。")
    assert ("SUPPLIES", "江西金盛磁业有限公司", "华赣电机有限公司") in rels
    assert not any(r[0] == "SUPPLIES" for r in rels_of("江西金盛磁业有限公司与华赣电机有限公司开展合作。"))


def test_named_for_a_segment_or_a_park():
    rels = rels_of("完善永磁电机检测平台功能。重点发展风电电机、伺服电机等领域永磁电机。")
    assert ("IN_SEGMENT", "永磁电机检测平台", "永磁电机") in rels
    assert not any(r[0] == "IN_SEGMENT" for r in rels_of("完善永磁电机检测平台功能。"))  # no segment proposed
    rels = rels_of("加快建设“中国稀金谷”永磁电机产业园，打造“中国稀金谷”名片。")
    assert ("LOCATED_IN", "“中国稀金谷”永磁电机产业园", "中国稀金谷") in rels


def test_a_hard_wrapped_text_is_read_across_its_wraps_and_quoted_as_written():
    line = "支持企业与科研院所开展联合攻关，加快建设中国稀"
    text = "\n\n".join([line, "金（赣州）新材料研究院，推动创新平台提质增效，持续", "提升产业链整体竞争力和发展水平。", "二、重点任务"]) + "\n"
    joined, offs = ingest.unwrap(text)
    assert "中国稀金（赣州）新材料研究院" in joined and offs is not None
    p = ingest.propose(text)
    o = [o for o in p["organisations"] if o["name"] == "中国稀金（赣州）新材料研究院"][0]
    assert text[o["span"][0]:o["span"][1]] == o["quote"] and "\n\n" in o["quote"]
    assert text[o["name_span"][0]:o["name_span"][1]].replace("\n", "") == o["name"]
    assert ingest.unwrap("一、总体要求\n二、重点任务\n")[1] is None  # short lines, not a wrapped text


def test_the_plan_of_our_own_in_the_data_folder():
    path = Path(__file__).parent / "data" / "ingest_own_plan.txt"
    text = ingest.read_document(path)
    p = ingest.propose(text, document=path.name)
    tasks = {t["number"]: t["responsible_units"] for t in p["tasks"]}
    assert tasks == {1: ["县工信局", "县发改委", "县商务局", "信丰高新区管委会"], 2: ["县工信局", "县商务局"],
                     3: ["县科技局", "县市场监管局"], 4: ["县工信局", "县发改委"], 5: ["信丰高新区管委会", "县自然资源局"]}
    t = {(x["value"], x.get("value_max"), x["unit"]): x for x in p["targets"]}
    assert t[(2.5, None, "万吨")]["base_value"] == 25000 and t[(150, None, "亿元")]["comparison"] == "exceeds"
    assert t[(30, 40, "家")]["comparison"] == "range" and t[(100, None, "万台")]["period"] == "2026"
    assert t[(200000, None, "平方米")]["period"] == "2025-2027"  # its own paragraph has no year: not task 4's 2026
    kinds = {o["name"]: o["kind"] for o in p["organisations"]}
    assert kinds["信丰高新技术产业园区"] == "park" and kinds["华赣电机"] == "enterprise"
    assert kinds["年产5000吨高性能钕铁硼磁材项目"] == "project" and kinds["金盛磁业磁材回收项目"] == "project"
    rels = {(r["type"], r["source"], r["target"]) for r in p["relations"]}
    assert {("CHAIN_LEADER", "江西金盛磁业有限公司", "产业链"),
            ("LOCATED_IN", "年产5000吨高性能钕铁硼磁材项目", "信丰高新技术产业园区"),
            ("LOCATED_IN", "华赣电机", "信丰高新技术产业园区"),
            ("SUPPLIES", "江西金盛磁业有限公司", "华赣电机"),
            ("RUNS", "江西金盛磁业有限公司", "金盛磁业磁材回收项目"),
            ("PART_OF", "新能源汽车驱动电机", "永磁电机")} <= rels
    for k in ("organisations", "segments", "targets", "tasks", "relations"):
        for item in p[k]:
            assert text[item["span"][0]:item["span"][1]] == item["quote"]


def test_a_body_runs_what_it_made_a_firm_its_project_a_buyer_what_it_bought():
    rels = rels_of("美国能源部制定的“关键材料战略”、欧盟制定的“欧盟危急原材料计划”均将稀土元素列为重点。")
    assert ("RUNS", "美国能源部", "关键材料战略") in rels and ("RUNS", "欧盟", "欧盟危急原材料计划") in rels
    rels = rels_of("主要有美国钼公司的 Mountain Pass\n项目（盛和资源控股股份有限公司收购）、比利时项目。")
    assert ("RUNS", "美国钼公司", "Mountain Pass 项目") in rels
    assert ("RUNS", "盛和资源控股股份有限公司", "Mountain Pass 项目") in rels
    # near misses: a government's project is not said to be run by "的" (only a firm's is); no buyer named
    assert not any(r[0] == "RUNS" for r in rels_of("美国能源部的 Mountain Pass 项目（已经收购）进展顺利。"))


def test_a_list_sharing_one_head_names_each():
    got = orgs_of("新建白云鄂博稀土资源研究与综合利用、稀土永磁材料等重点实验室，组建创新中心。")
    assert got.get("白云鄂博稀土资源研究与综合利用重点实验室") == "platform"
    assert got.get("稀土永磁材料重点实验室") == "platform"
    got = orgs_of("推进了赣州市和德兴市两个绿色矿业发展示范区建设。")
    assert got.get("赣州市绿色矿业发展示范区") == "park" and got.get("德兴市绿色矿业发展示范区") == "park"
    assert not any("两个" in n for n in got)
    assert not any(n.endswith("重点实验室") for n in orgs_of("依托稀土永磁材料、稀土发光材料等重点领域开展攻关。"))


def test_a_word_broken_across_lines_and_a_closing_quote_mark():
    text = "新建白云鄂博稀土资源研究与综合利用、稀土永磁材料等重点实验室，组建先进稀土材料产业创新中心，支持赣州稀\n土新材料发展。\n"
    joined, offs = ingest.unwrap(text)
    assert "赣州稀土新材料" in joined and text[offs[joined.index("土新材料")]] == "土"
    assert ingest.unwrap("第一行。\n第二行。\n")[1] is None  # short lines ending a sentence: nothing joined
    assert orgs_of("支持江西赣州“中国稀金谷”建设。").get("江西赣州“中国稀金谷”") == "park"


def test_000_is_read_across_its_hard_wraps(tmp_path):
    text = ingest.read_document(ROOT / "seed" / "documents" / "000_f4ea2bae68b83bfe.txt")
    p = ingest.propose(text)
    tasks = {t["number"]: t for t in p["tasks"]}
    assert tasks[1]["title"] == "加大创新平台建设力度" and tasks[1]["responsible_units"][0] == "省发展改革委"
    names = {o["name"] for o in p["organisations"]}
    assert "中国稀金（赣州）新材料研究院" in names and "稀金科创城" in names
    for k in ("organisations", "segments", "targets", "tasks", "relations"):
        for item in p[k]:
            assert text.replace("\r\n", "\n")[item["span"][0]:item["span"][1]] == item["quote"]


def test_the_benchmark_scores_001_at_the_issues_targets(capsys):
    from bench import bench_ingest

    assert bench_ingest.main(["--json"]) == 0  # 0: every quote verbatim
    figures = {}
    for line in capsys.readouterr().out.splitlines():
        row = __import__("json").loads(line)
        figures[row["figure"]] = row
    assert figures["ingest.quotes_verbatim"]["value"] == 100.0
    for cat in ("firms", "platforms", "targets", "tasks"):
        assert figures[f"ingest.001.{cat}.recall"]["value"] == 100.0, cat
    for cat in ("firms", "platforms", "projects_parks", "gov_units", "targets", "tasks", "relations", "segments"):
        assert figures[f"ingest.001.{cat}.precision"]["value"] >= 90.0, cat
    # the scorer is not a rubber stamp: a wrong proposal lowers precision, a missing one recall
    seed = {f: bench_ingest.load(f) for f in bench_ingest.SEED_FILES}
    p = ingest.propose(ingest.read_document(DOC_001))
    p["organisations"] = [o for o in p["organisations"] if o["name"] != "中科三环"] + [
        {**p["organisations"][0], "kind": "enterprise", "name": "并不存在的公司"}]
    rows = bench_ingest.score(DOC_001.name, p, seed)
    assert rows["firms"]["found"] == rows["firms"]["key"] - 1 and "并不存在的公司" in rows["firms"]["wrong"]


def test_a_chain_written_with_dashes_and_a_list_qualifying_its_head():
    p = ingest.propose("重点推进稀土磁性材料—永磁电机—稀土节能装备、稀土合金材料—汽车及航空航天零部件等深加工及应用产业一体化。")
    rels = {(r["type"], r["source"], r["target"]) for r in p["relations"]}
    assert {("FEEDS", "稀土磁性材料", "永磁电机"), ("FEEDS", "永磁电机", "稀土节能装备"),
            ("FEEDS", "稀土合金材料", "汽车及航空航天零部件")} <= rels
    assert ("FEEDS", "稀土节能装备", "稀土合金材料") not in rels  # 、 separates two chains
    assert not ingest.extract_segments("建立“专精特新—瞪羚—独角兽”多位一体的企业梯度培育体系。")  # firms' tiers, not products
    text = "80%以上的初级加工品被用于制造磁性、催化、储氢、发光等功能材料。"
    segs = {s["name"]: s for s in ingest.propose(text)["segments"]}
    assert segs["磁性材料"]["parent"] == "功能材料" and segs["储氢材料"]["parent"] == "功能材料"
    a, b = segs["磁性材料"]["name_span"]
    assert text[a:b] == "磁性"  # the name is not written whole: its span is what the text has
    assert not ingest.extract_segments("重点加强土地、资金、人才等要素保障。")


def test_a_target_looks_ahead_and_a_reported_figure_is_not_one():
    got = {(t["value"], t["unit"], t["comparison"]) for t in ingest.propose(
        "二、发展目标\n到2027年，稀土冶炼分离产能控制在 30 万吨，产业链营收达到 900 亿元，综合回收率 95%左右。\n")["targets"]}
    assert got == {(30, "万吨", "at_most"), (900, "亿元", "reach"), (95, "%", "approx")}
    assert ingest.parse_quantity("900 亿元") == {"value": 900, "value_max": None, "unit": "亿元", "base_value": 90_000_000_000}
    facts = "2018 年中国稀土产业链产值约为 900 亿元，其中稀土功能材料占比为 56%。小鼠的免疫能力提高了 38%。"
    assert ingest.propose(facts)["targets"] == []
    review = "一、发展基础\n（一）行业现状\n3.结构优化。冶炼分离产能从40万吨压缩到30万吨，研发费用比重达到3%以上。\n"
    assert ingest.propose(review)["targets"] == []  # what the plan reports as done, not what it sets


def test_firms_named_inside_a_project_after_a_latin_brand_or_after_a_descriptor():
    got = orgs_of("主要有澳大利亚 Lynas 在马来西亚关丹的冶炼分离项目、比利时索尔维集团（Solvay）项目。")
    assert got.get("索尔维集团") == "enterprise" and got.get("Lynas") == "enterprise"
    assert "稀土集团" not in orgs_of("中国稀土集团为链主。加快实施稀土集团万吨级分离项目。")  # its short name, inside
    assert orgs_of("根据与 TDA 磁力公司签订的协议。").get("TDA 磁力公司") == "enterprise"
    got = orgs_of("江西金力永磁科技股份有限公司与新能源巨头特斯拉公司签署协议；通过对我国重点稀土企业甘肃稀土公司的调查。")
    assert got.get("特斯拉公司") == "enterprise" and got.get("甘肃稀土公司") == "enterprise"
    assert not any("六家" in n for n in orgs_of("资源综合利用全部纳入六家集团。"))


def test_programme_names_keep_their_verb_and_service_compounds():
    got = orgs_of("启动实施产业集群应用场景建设工程。启动实施产业集群公共服务能力提升工程。")
    assert got.get("产业集群应用场景建设工程") == "project" and got.get("产业集群公共服务能力提升工程") == "project"
    assert "和行业协会" not in orgs_of("与重点企业和行业协会等建立长效合作机制。")


def test_a_national_lab_is_named_for_its_field_and_run_by_its_host():
    text = "依托中科院福建物质结构研究所结构化学国家重点实验室开展研究。"
    got = orgs_of(text)
    assert got.get("结构化学国家重点实验室") == "platform" and got.get("中科院福建物质结构研究所") == "platform"
    assert ("RUNS", "中科院福建物质结构研究所", "结构化学国家重点实验室") in rels_of(text)
    assert "江西理工大学稀金新材料研究院" in orgs_of("办好江西理工大学稀金新材料研究院。")  # not a national lab: kept whole
    assert orgs_of("韩国科学技术院的研究人员。").get("韩国科学技术院") == "platform"


def test_a_bracketed_branch_a_list_of_platforms_and_a_body_set_up():
    assert orgs_of("推进国家稀土新材料技术创新中心（南方中心）建设。").get("国家稀土新材料技术创新中心（南方中心）") == "platform"
    got = orgs_of("支持打造中国稀金（赣州）新材料研究院、留学人员创业园、大数据中心等平台。")
    assert got.get("留学人员创业园") == "platform" and got.get("大数据中心") == "platform"
    assert "数据中心" not in orgs_of("建设数据中心、算力中心等平台。")  # no platform known in the list
    assert orgs_of("设立了稀土办公室，组建了中国稀土行业协会。").get("稀土办公室") == "gov_unit"
    assert not any(k == "gov_unit" for k in orgs_of("设立了专项资金。").values())


def test_relations_name_the_proposals_they_join(p001):
    keys = {x["key"] for k in ("organisations", "segments") for x in p001[k]}
    for r in p001["relations"]:
        assert r["source_key"] in keys, r
        assert r["target_key"] in keys or r["target_key"] is None and r["target"] in (None, "产业链"), r
    motor = [r for r in p001["relations"] if r["type"] == "PART_OF" and r["source"] == "伺服电机"][0]
    assert (motor["source_key"], motor["target_key"]) == ("seg:伺服电机", "seg:永磁电机")
    leader = [r for r in p001["relations"] if r["type"] == "CHAIN_LEADER"][0]
    assert leader["source_key"] == "org:enterprise:中国稀土集团" and leader["target_key"] is None


def test_a_news_report_of_projects_signed_of_our_own():
    path = Path(__file__).parent / "data" / "ingest_own_news.txt"
    text = ingest.read_document(path)
    p = ingest.propose(text, document=path.name)
    kinds = {o["name"]: o["kind"] for o in p["organisations"]}
    assert kinds["江西龙腾稀土新材料有限公司"] == "enterprise" and kinds["年产3000吨高性能稀土永磁材料项目"] == "project"
    assert kinds["龙南经济技术开发区"] == "park" and kinds["稀土绿色冶炼联合实验室"] == "platform"
    assert "龙南市委" not in kinds  # 龙南市委书记: a person's title
    assert "共建稀土绿色冶炼联合实验室" not in kinds
    rels = {(r["type"], r["source"], r["target"]) for r in p["relations"]}
    assert {("RUNS", "江西龙腾稀土新材料有限公司", "年产3000吨高性能稀土永磁材料项目"),
            ("RESEARCH_PARTNER", "龙南市人民政府", "江西理工大学"),
            ("CO_FOUNDED", "江西理工大学", "稀土绿色冶炼联合实验室"),
            ("LEADING", "江西龙腾稀土新材料有限公司", None)} <= rels
    assert not any(r[0] == "LOCATED_IN" for r in rels)  # a ceremony held in a zone places no firm there
    # near miss: an agreement between two firms is no research partnership
    assert not any(r[0] == "RESEARCH_PARTNER" for r in rels_of(
        "江西龙腾稀土新材料有限公司与赣州华茂钨材料有限公司签订战略合作协议。"))
    for k in ("organisations", "segments", "targets", "tasks", "relations"):
        for item in p[k]:
            assert text[item["span"][0]:item["span"][1]] == item["quote"]
