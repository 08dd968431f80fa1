"""The seed dataset (seed/data/*.yaml): every record validates, every quote is in the document it cites,
a broken row is reported with its file, row and reason, and the facts a user asks first are exact."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from registry.errors import InvalidInput
from registry.model import relation_id, validate_entity, validate_relation
from seed.dataset import (
    ENTITY_FILES,
    RELATIONS_FILE,
    check_consistency,
    check_quotes,
    default_data_dir,
    documents_dir,
    load_dataset,
)

PLAN = "001_5d877c967d85b7a4.txt"
DOC_FILES = ["000_f4ea2bae68b83bfe.txt", PLAN, "002_5081cec3de1370b7.txt",
             "003_dcab44cefc53b7b9.txt", "004_c0b086dfa7d8d7d9.txt"]


@pytest.fixture(scope="module")
def dataset():
    return load_dataset()


@pytest.fixture(scope="module")
def ents(dataset):
    return {e["id"]: e for e in dataset[0]}


@pytest.fixture(scope="module")
def rels(dataset):
    return dataset[1]


def edges(rels, rtype, source=None, target=None):
    return sorted((r["source"], r["target"]) for r in rels if r["type"] == rtype
                  and (source is None or r["source"] == source) and (target is None or r["target"] == target))


def names(ents, ids):
    return {ents[i]["name"] for i in ids}


def target_by_metric(ents, metric):
    found = [e for e in ents.values() if e["kind"] == "target" and e["metric"] == metric]
    assert len(found) == 1, f"expected one target with metric {metric!r}, found {len(found)}"
    return found[0]


def copy_data(tmp_path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(default_data_dir(), dst)
    return dst


def record_start(path: Path, rid: str) -> tuple[int, int]:
    """(row, line) of the record with this id: 1-based index in the YAML list and its first line."""
    text = path.read_text(encoding="utf-8")
    row = [r["id"] for r in yaml.safe_load(text)].index(rid) + 1
    line = text.splitlines().index(f"- id: {rid}") + 1
    return row, line


def replace_in_record(path: Path, rid: str, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(f"- id: {rid}\n")
    for i in range(start, len(lines)):
        if i > start and lines[i].startswith("- "):
            break
        if lines[i].rstrip("\n") == old:
            lines[i] = new + "\n"
            path.write_text("".join(lines), encoding="utf-8")
            return
    raise AssertionError(f"{old!r} not found in record {rid}")


# ---------------------------------------------------------------- the files as a whole

def test_the_five_documents_are_there_and_each_has_one_record(ents):
    assert sorted(p.name for p in documents_dir().glob("*.txt")) == DOC_FILES
    docs = sorted((e["id"], e["file"]) for e in ents.values() if e["kind"] == "document")
    assert docs == [(f"doc-{f[:3]}", f) for f in DOC_FILES]
    plan = ents["doc-001"]
    assert plan["name"] == "赣县区稀土新材料及应用集群培育提升三年行动方案（2024-2026年）"
    assert (plan["issuer"], plan["date"], plan["doc_no"]) == ("赣州市赣县区人民政府", "2024-05-12", "赣区府字〔2024〕39号")
    assert ents["doc-002"]["name"] == "稀土行业发展规划（2016-2020年）"
    assert ents["doc-004"]["name"] == "稀土功能材料 2035 发展的战略研究"


def test_every_quote_is_found_verbatim_in_its_document(dataset):
    assert check_quotes(*dataset) == []


def test_quotes_from_the_plan_lie_inside_the_section_they_cite(dataset):
    """For 001, the task / goal heading a source names is the one the quote is under."""
    raw = (documents_dir() / PLAN).read_text(encoding="utf-8")
    text = re.sub(r"\s+", "", raw)
    marks = [(h, text.index(h)) for h in ("（一）总体思路", "（二）提升目标", "二、重点任务和举措", "三、保障措施")]
    for m in re.finditer(r"^\d+[．.][^。]*", raw, re.M):
        head = re.sub(r"\s+", "", m.group(0))
        marks.append((head, text.index(head)))
    marks.sort(key=lambda x: x[1])
    checked = 0
    entities, relations = dataset
    for rec in entities + relations:
        for s in rec["sources"]:
            if s["doc"] != PLAN:
                continue
            section = re.sub(r"\s+", "", s["section"])
            for i, (head, start) in enumerate(marks[:-1]):
                if section.endswith(head):
                    quote = re.sub(r"\s+", "", s["quote"])
                    at = text.find(quote, start)
                    assert 0 <= at and at + len(quote) <= marks[i + 1][1], (rec["id"], s["section"], s["quote"])
                    checked += 1
                    break
    assert checked > 300


def test_every_record_and_relation_validates_against_the_model(dataset):
    entities, relations = dataset
    for e in entities:
        assert validate_entity(e).model_dump(exclude_none=True) == e
    for r in relations:
        rel = validate_relation({k: v for k, v in r.items() if k != "id"})
        assert r["id"] == relation_id(rel.type, rel.source, rel.target)


def test_ids_are_unique_and_carry_their_kind_prefix(dataset):
    entities, relations = dataset
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids))
    rids = [r["id"] for r in relations]
    assert len(rids) == len(set(rids))
    prefix = {"document": "doc-", "segment": "seg-", "enterprise": "ent-", "platform": "plat-", "target": "tgt-",
              "gov_unit": "gov-"}
    for e in entities:
        if e["kind"] == "project":
            assert e["id"].startswith({"project": "proj-", "park": "park-", "programme": "prog-"}[e["project_type"]])
        else:
            assert e["id"].startswith(prefix[e["kind"]]), e["id"]
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", e["id"]), e["id"]


def test_every_fact_has_a_source_and_every_implied_fact_a_note(dataset):
    entities, relations = dataset
    for rec in entities + relations:
        label = rec["id"]
        assert rec["sources"], label
        for s in rec["sources"]:
            assert s["doc"] in DOC_FILES and s["section"] and s["quote"], label
            assert s["basis"] in ("explicit", "implied"), label
            if s["basis"] == "implied":
                assert s.get("note"), label


def test_cross_record_rules_hold(dataset):
    assert check_consistency(*dataset) == []


def test_names_are_unique_within_a_kind(ents):
    for kind in ("enterprise", "platform", "project", "segment", "gov_unit", "target"):
        counts = Counter(e["name"] for e in ents.values() if e["kind"] == kind)
        assert [n for n, c in counts.items() if c > 1] == [], kind


# ---------------------------------------------------------------- a broken seed is reported, all at once

def test_a_bad_field_is_reported_with_file_row_line_id_and_reason(tmp_path):
    data = copy_data(tmp_path)
    path = data / "enterprises.yaml"
    row, line = record_start(path, "ent-fumosi")
    replace_in_record(path, "ent-fumosi", "  locality: cluster", "  locality: mars")
    with pytest.raises(InvalidInput) as info:
        load_dataset(data)
    msg = info.value.message
    assert f"enterprises.yaml:{line} row {row} id ent-fumosi: " in msg
    assert "locality" in msg and "mars" in msg
    assert info.value.details == [{"file": "enterprises.yaml", "row": row, "line": line, "id": "ent-fumosi",
                                   "reason": info.value.details[0]["reason"]}]
    assert "locality" in info.value.details[0]["reason"]


def test_every_problem_is_reported_at_once(tmp_path):
    data = copy_data(tmp_path)
    replace_in_record(data / "enterprises.yaml", "ent-fumosi", "  locality: cluster", "  locality: mars")
    replace_in_record(data / "targets.yaml", "tgt-2026-cluster-output", "  comparison: exceeds", "  comparison: more")
    replace_in_record(data / "platforms.yaml", "plat-kaist", "- id: plat-kaist", "- id: plat-pku")  # duplicate id
    with open(data / RELATIONS_FILE, "a", encoding="utf-8") as f:
        f.write("\n- type: SUPPLIES\n  source: ent-jl-mag\n  target: ent-nobody\n"
                "  sources:\n    - {doc: 003_dcab44cefc53b7b9.txt, section: x, quote: 特斯拉}\n")
    with pytest.raises(InvalidInput) as info:
        load_dataset(data)
    got = {(d["file"], d["id"]) for d in info.value.details}
    assert ("enterprises.yaml", "ent-fumosi") in got
    assert ("targets.yaml", "tgt-2026-cluster-output") in got
    assert ("platforms.yaml", "plat-pku") in got
    assert (RELATIONS_FILE, "ent-jl-mag>SUPPLIES>ent-nobody") in got
    msg = info.value.message
    assert "comparison" in msg and "more" in msg
    assert "duplicate id 'plat-pku'" in msg
    assert "ent-nobody" in msg and "does not exist" in msg


def test_a_relation_between_kinds_the_model_forbids_is_reported(tmp_path):
    data = copy_data(tmp_path)
    with open(data / RELATIONS_FILE, "a", encoding="utf-8") as f:
        f.write("\n- type: CHAIN_LEADER\n  source: gov-ghz\n  target: seg-pm-motors\n"
                "  sources:\n    - {doc: 001_5d877c967d85b7a4.txt, section: x, quote: 赣州高新区}\n")
    with pytest.raises(InvalidInput) as info:
        load_dataset(data)
    (d,) = info.value.details
    assert d["file"] == RELATIONS_FILE and d["id"] == "gov-ghz>CHAIN_LEADER>seg-pm-motors"
    assert d["row"] == len(yaml.safe_load((data / RELATIONS_FILE).read_text(encoding="utf-8")))
    assert "CHAIN_LEADER" in d["reason"]


def test_a_quote_not_in_its_document_is_reported(dataset):
    entities, relations = dataset
    bad = [dict(e) for e in entities if e["id"] == "ent-china-rare-earth-group"]
    bad[0]["sources"] = [dict(bad[0]["sources"][0], quote="中国稀土集团为世界第一")]
    problems = check_quotes(bad, [])
    assert len(problems) == 1 and "ent-china-rare-earth-group" in problems[0] and PLAN in problems[0]


def test_each_file_is_a_list_of_mappings():
    for fname in [*ENTITY_FILES, RELATIONS_FILE]:
        data = yaml.safe_load((default_data_dir() / fname).read_text(encoding="utf-8"))
        assert isinstance(data, list) and data and all(isinstance(r, dict) for r in data), fname
        assert all("kind" not in r for r in data), f"{fname}: kind is implied by the file"


# ---------------------------------------------------------------- the facts a user asks first

def test_the_chain_leader_is_china_rare_earth_group(ents, rels):
    assert edges(rels, "CHAIN_LEADER") == [("ent-china-rare-earth-group", "seg-re-industry-chain")]
    crg = ents["ent-china-rare-earth-group"]
    assert crg["name"] == "中国稀土集团"
    assert crg["roles"] == ["chain_leader", "leading"]
    assert crg["locality"] == "cluster"
    leaders = {e["name"] for e in ents.values() if e["kind"] == "enterprise" and {"chain_leader", "leading"} & set(e.get("roles", []))}
    assert leaders == {"中国稀土集团"}
    assert ents["seg-re-industry-chain"]["name"] == "稀土新材料及应用产业链"
    assert edges(rels, "CO_FOUNDED", target="plat-cluster-development-alliance") == [
        ("ent-china-rare-earth-group", "plat-cluster-development-alliance"),
        ("plat-cas-ganjiang-innovation-institute", "plat-cluster-development-alliance"),
        ("plat-jx-w-re-institute", "plat-cluster-development-alliance"),
        ("plat-national-re-functional-materials-ic", "plat-cluster-development-alliance"),
    ]
    assert edges(rels, "RUNS", target="plat-cluster-development-alliance") == [
        ("plat-jx-w-re-institute", "plat-cluster-development-alliance")]


def test_the_firms_the_plan_names_for_support(ents, rels):
    key = {e["name"] for e in ents.values() if e["kind"] == "enterprise" and "key_support" in e.get("roles", [])}
    assert key == {"友力科技", "粤磁科技", "中科三环", "汉驱智能"}
    listing = names(ents, [s for s, _ in edges(rels, "LISTING_TARGET", target="doc-001")])
    assert listing == {"粤磁科技", "浩金欧博"}
    assert {e["name"] for e in ents.values() if "listing_candidate" in e.get("roles", [])} == {"粤磁科技", "浩金欧博", "中国南方稀土集团有限公司"}
    supported = names(ents, [s for s, _ in edges(rels, "SUPPORTED_BY", target="doc-001")])
    assert supported == {"中国稀土集团", "友力科技", "粤磁科技", "中科三环", "汉驱智能", "福默斯", "南方稀土国贸",
                         "中国稀土集团稀金谷产业促进中心", "江西省钨与稀土研究院"}
    recycling = names(ents, [s for s, _ in edges(rels, "IN_SEGMENT", target="seg-re-recycling")])
    assert recycling == {"友力科技", "福默斯"}
    for firm in ("友力科技", "粤磁科技", "中科三环", "汉驱智能", "福默斯", "浩金欧博", "南方稀土国贸"):
        (e,) = [x for x in ents.values() if x["kind"] == "enterprise" and x["name"] == firm]
        assert e["locality"] == "cluster"
    # the plan does not say which segment these firms are in: the seed does not either
    for firm in ("ent-zhongke-sanhuan", "ent-yueci-tech", "ent-hanqu-intelligent", "ent-haojin-oubo"):
        assert edges(rels, "IN_SEGMENT", source=firm) == []


def test_the_2026_scale_targets(ents):
    firms = target_by_metric(ents, "集群规模以上企业数量")
    assert (firms["value"], firms["comparison"], firms["unit"], firms["deadline_year"]) == (50, "reach", "家", 2026)
    assert firms["responsible_units"] == []
    output = target_by_metric(ents, "集群产值")
    assert (output["value"], output["comparison"], output["unit"], output["deadline_year"]) == (200, "exceeds", "亿元", 2026)
    assert output["clause"] == "到2026年，集群规模以上企业达50家、产值突破200亿元。"


@pytest.mark.parametrize("metric, value, value_max, comparison, unit", [
    ("每年新增高新技术企业数量", 5, 10, "range", "家"),
    ("集群平均研发投入强度", 3, None, "exceeds", "%"),
    ("每年实现科技成果转化项数", 2, None, "per_year", "项"),
    ("企业参与制定的国家标准、行业标准和团体标准数量", 3, 5, "range", "项"),
    ("国家级绿色工厂数量", 1, None, "reach", "家"),
    ("省级绿色工厂数量", 2, None, "reach", "家"),
    ("营收超10亿元企业数量", 6, None, "reach", "家"),
    ("营收超20亿元企业数量", 2, None, "reach", "家"),
    ("“独角兽”企业、瞪羚企业、制造业单项冠军企业和专精特新“小巨人”企业数量", 3, None, "at_least", "家"),
    ("每年引进稀土新材料及应用项目数量", 10, None, "at_least", "个"),
    ("稀土金属及合金产量", 10000, None, "at_least", "吨"),
    ("稀土磁性材料产量", 30000, None, "at_least", "吨"),
    ("永磁电机产业链（永磁电机及相关配套）营收", 100, None, "exceeds", "亿元"),
    ("每年参与和举办会议论坛场次", 10, None, "at_least", "场"),
    ("每年开展技术咨询服务次数", 50, None, "at_least", "次"),
])
def test_the_task_targets(ents, metric, value, value_max, comparison, unit):
    t = target_by_metric(ents, metric)
    assert (t["value"], t.get("value_max"), t["comparison"], t["unit"]) == (value, value_max, comparison, unit)
    assert t["deadline_year"] == 2026


def test_there_are_seventeen_targets_all_from_the_plan(ents):
    targets = [e for e in ents.values() if e["kind"] == "target"]
    assert len(targets) == 17
    assert all(s["doc"] == PLAN for t in targets for s in t["sources"])


def test_responsible_units_are_exactly_as_listed(ents, rels):
    motors = target_by_metric(ents, "永磁电机产业链（永磁电机及相关配套）营收")
    assert motors["responsible_units"] == ["区工信局", "区发改委", "区商务局", "区教科体局", "区市场监管局",
                                           "赣州高新区经发局", "赣州高新区招商局", "赣州高新区科创局"]
    standards = target_by_metric(ents, "企业参与制定的国家标准、行业标准和团体标准数量")
    assert standards["responsible_units"] == ["区工信局", "区市场监管局", "江西省钨与稀土研究院", "赣州高新区科创局",
                                              "赣州高新区经发局"]
    assert ("plat-jx-w-re-institute", standards["id"]) in edges(rels, "RESPONSIBLE_FOR", target=standards["id"])
    for t in (e for e in ents.values() if e["kind"] == "target"):
        units = names(ents, [s for s, _ in edges(rels, "RESPONSIBLE_FOR", target=t["id"])])
        assert units == set(t["responsible_units"]), t["id"]


def test_the_parks(ents, rels):
    motor_park = ents["park-xijin-valley-pm-motor-park"]
    assert motor_park["name"] == "“中国稀金谷”永磁电机产业园"
    assert motor_park["project_type"] == "park" and motor_park["locality"] == "cluster"
    assert edges(rels, "IN_SEGMENT", source="park-xijin-valley-pm-motor-park") == [
        ("park-xijin-valley-pm-motor-park", "seg-pm-motors")]
    assert edges(rels, "LOCATED_IN", source="park-xijin-valley-pm-motor-park") == [
        ("park-xijin-valley-pm-motor-park", "park-china-xijin-valley")]
    parks = {e["name"] for e in ents.values() if e["kind"] == "project" and e["project_type"] == "park"
             and e["locality"] == "cluster"}
    assert parks == {"赣县区稀土新材料及应用集群", "“中国稀金谷”永磁电机产业园", "赣县区稀金新材料产业园", "赣州高新区"}
    # task 12 (拓展集群发展空间): its 责任单位, including the one written 赣州高新区经发区, are responsible for both parks
    task12 = {"gov-ganxian-industry-it-bureau", "gov-ganxian-development-reform-commission", "gov-ganxian-commerce-bureau",
              "gov-ganxian-natural-resources-branch", "gov-ganzhou-ganxian-ecology-environment-bureau",
              "gov-ghz-economic-development-bureau", "gov-ghz-investment-promotion-bureau"}
    for park in ("park-xijin-valley-pm-motor-park", "park-ganxian-xijin-new-materials-park"):
        assert {s for s, _ in edges(rels, "RESPONSIBLE_FOR", target=park)} == task12
    assert ents["park-china-xijin-valley"]["location"] == "江西赣州"


def test_the_eight_motor_types_and_the_supporting_services(ents, rels):
    motors = names(ents, [s for s, _ in edges(rels, "PART_OF", target="seg-pm-motors")])
    assert motors == {"风电电机", "新能源汽车驱动电机", "机器人专用电机", "伺服电机", "流体电机", "微特电机",
                      "绿色家电电机", "医用永磁电机"}
    support = names(ents, [s for s, _ in edges(rels, "PART_OF", target="seg-supporting-industries")])
    assert support == {"产品设计", "机械加工", "表面处理"}
    assert ("seg-re-magnetic-materials", "seg-pm-motors") in edges(rels, "FEEDS")


def test_the_integration_chains_of_the_provincial_and_national_texts(rels):
    feeds = edges(rels, "FEEDS")
    for link in [("seg-re-magnetic-materials", "seg-pm-motors"), ("seg-pm-motors", "seg-energy-saving-equipment"),
                 ("seg-re-luminescent-materials", "seg-led-display-devices"),
                 ("seg-re-catalytic-materials", "seg-denitration-devices"),
                 ("seg-re-alloy-materials", "seg-auto-aerospace-parts")]:
        assert link in feeds
    by_link = {(r["source"], r["target"]): {s["doc"][:3] for s in r["sources"]} for r in rels if r["type"] == "FEEDS"}
    assert by_link[("seg-re-magnetic-materials", "seg-pm-motors")] == {"000", "001", "002"}
    assert by_link[("seg-pm-motors", "seg-energy-saving-equipment")] == {"000"}


def test_segments_lay_out_left_to_right(ents, rels):
    pos = {i: e["position"] for i, e in ents.items() if e["kind"] == "segment"}
    for s, t in edges(rels, "FEEDS"):
        if ents[t]["stage"] != "recycling":  # scrap returning to recycling is the one backward flow
            assert pos[s] <= pos[t], (s, t)
    roots = set(pos) - {s for s, _ in edges(rels, "PART_OF")}
    assert roots == {"seg-re-industry-chain"}


def test_entities_in_several_documents_are_one_record(ents):
    csrg = [e for e in ents.values() if "中国南方稀土集团" in [e["name"], *e.get("aliases", [])]]
    assert [e["id"] for e in csrg] == ["ent-china-southern-rare-earth-group"]
    assert {s["doc"][:3] for s in csrg[0]["sources"]} == {"000", "003", "004"}
    for rid in ("ent-grirem", "ent-lynas", "ent-tosoh", "proj-mountain-pass"):  # 003 reprints 004
        assert {"003", "004"} <= {s["doc"][:3] for s in ents[rid]["sources"]}, rid


def test_typos_are_kept_as_aliases(ents):
    assert "赣州高新区经发区" in ents["gov-ghz-economic-development-bureau"]["aliases"]
    assert ents["gov-ghz-economic-development-bureau"]["name"] == "赣州高新区经发局"
    assert "美国加州大学大学洛杉矶分校" in ents["plat-ucla"]["aliases"]
    assert "美国国防后物局" in ents["gov-us-dla"]["aliases"]


def test_media_outlets_are_not_entities(ents):
    media = {"百度新闻", "光明网", "中国工程科学", "科技日报", "生意社", "产业前沿", "中国稀土", "彭博新闻",
             "发展改革委网站", "中国地质调查局", "《自然》"}
    all_names = {n for e in ents.values() for n in [e["name"], *e.get("aliases", [])]}
    assert media & all_names == set()


def test_unknowns_stay_unknown(ents, rels):
    # the texts name these firms but do not say where they are
    for rid in ("ent-tesla", "ent-shenghe-resources", "ent-fortress-vac", "ent-bkzn"):
        assert ents[rid]["locality"] == "unknown", rid
    assert not any("credit_code" in e or "phone" in e or "contact_person" in e for e in ents.values())
    assert edges(rels, "SUPPLIES") == [("ent-ganzhou-rare-earth-mining", "ent-china-rare-earth-group"),
                                       ("ent-jl-mag", "ent-tesla")]
