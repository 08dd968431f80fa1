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
