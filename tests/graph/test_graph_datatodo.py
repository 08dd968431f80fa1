"""graph.datatodo: what the registry lacks that the analysis needs, each line with its fix (issue 10)."""

from __future__ import annotations

import doctest
import json

import pytest

import graph.datatodo
from graph import build_graph, data_gaps
from graph.analysis import Analysis
from graph.datatodo import CODES, data_todo, todo_items
from graph_rows import ent, rel
from registry.messages import localise, render

SCALE = "tgt-2026-above-scale-enterprises"
THREE = {"ent-zhongke-sanhuan", "ent-yueci-tech", "ent-hanqu-intelligent"}


def test_docstring_examples():
    result = doctest.testmod(graph.datatodo, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# --- a tiny graph, every line known ---
def small():
    ents = [
        ent("chain", "segment", name="稀土产业链", position=0),
        ent("metal", "segment", name="稀土金属", position=1),
        ent("h2", "segment", name="储氢材料", position=2),
        ent("a", name="甲磁材", locality="cluster", credit_code="91360700MA35XXXX0X", location="赣县区"),
        ent("b", name="乙科技", locality="cluster",
            sources=[{"doc": "001.txt", "section": "任务7", "quote": "重点扶持乙科技", "basis": "explicit"}]),
        ent("c", name="丙公司", locality="unknown", credit_code="x", location="包头"),
        ent("d", name="丁公司", locality="china", credit_code="y", location="上海"),
        ent("t", "target", name="规上企业达50家", metric="规模以上企业数", value=50, unit="家"),
        ent("t2", "target", name="产值200亿元", metric="集群产值", value=200, unit="亿元"),
    ]
    rels = [rel("PART_OF", "metal", "chain"), rel("PART_OF", "h2", "chain"),
            rel("IN_SEGMENT", "a", "metal"), rel("IN_SEGMENT", "d", "metal"),
            rel("SUPPLIES", "d", "a", id="d>SUPPLIES>a", basis="implied",
                sources=[{"doc": "002.txt", "section": "三", "basis": "implied", "note": "推断"}])]
    return build_graph(ents, rels)


def test_small_graph_every_line():
    t = data_todo(small())
    got = {g["code"]: [(x["id"], x["fields"]) for x in g["items"]] for g in t["groups"]}
    assert got == {
        "segment_missing": [("b", ["segment"]), ("c", ["segment"])],  # local first
        "locality_missing": [("c", ["locality"])],
        "target_unmeasurable": [("t", ["roles"])],  # 产值 has no field in the registry: nothing to import
        "segment_empty": [("h2", ["segment"])],  # chain and metal have firms (in themselves or below)
        "credit_code_missing": [("b", ["credit_code"])],
        "location_missing": [("b", ["location"])],
        "relation_implied": [("d", ["basis"])],
    }
    assert list(t["counts"]) == list(CODES) and t["total"] == 8 and t["records"] == 5
    assert [(g["code"], g["count"], g["local"]) for g in t["groups"]][:2] == \
        [("segment_missing", 2, 1), ("locality_missing", 1, 0)]


def test_items_say_what_for_where_in_the_plan_and_the_fix():
    items = {(x["code"], x["id"]): x for x in todo_items(data_todo(small()))}
    b = items[("segment_missing", "b")]
    assert (b["kind"], b["name"], b["locality"], b["local"]) == ("enterprise", "乙科技", "cluster", True)
    assert b["needed_for"] == ["coverage", "segment_gaps", "candidates"]
    assert b["clauses"] == [{"doc": "001.txt", "section": "任务7", "quote": "重点扶持乙科技"}]
    assert b["fix"] == {"action": "edit", "id": "b", "kind": "enterprise", "field": "segment"}
    assert render(b["reason"]) == "乙科技（集群内）未登记所属产业链环节：覆盖度、环节缺口和候选企业排名都看不到它。"
    assert render(b["reason"], "en") == ("乙科技 (locality: in the cluster) has no chain segment: coverage, segment gaps and "
                                         "candidate rankings cannot see it.")
    # pre-filled rows of the import template: a membership to complete (by name), the firm's own fields
    assert b["template"] == [{"kind": "relation", "row": {"type": "IN_SEGMENT", "source": "乙科技", "target": None}}]
    assert items[("credit_code_missing", "b")]["template"] == [
        {"kind": "enterprise", "row": {"id": "b", "name": "乙科技", "locality": "cluster", "credit_code": None}}]
    assert items[("locality_missing", "c")]["template"] == [
        {"kind": "enterprise", "row": {"id": "c", "name": "丙公司", "locality": "unknown"}}]
    t = items[("target_unmeasurable", "t")]
    assert (t["locality"], t["local"], t["needed_for"]) == (None, False, ["targets"])
    assert t["fix"] == {"action": "import", "kind": "enterprise", "field": "roles", "values": ["above_scale"]}
    assert t["needs"] == {"kind": "enterprise", "field": "roles", "values": ["above_scale"]}
    assert render(t["reason"]) == ("目标「规上企业达50家」：登记册中没有任何企业标注“规上”；"
                                   "需为符合条件的企业标注该角色。")
    # every local firm, with the roles it has, to which staff add 规上
    assert t["template"] == [{"kind": "enterprise", "row": {"id": "a", "name": "甲磁材", "locality": "cluster", "roles": None}},
                             {"kind": "enterprise", "row": {"id": "b", "name": "乙科技", "locality": "cluster", "roles": None}}]
    h2 = items[("segment_empty", "h2")]
    assert h2["fix"] == {"action": "import", "kind": "enterprise", "field": "segment", "values": ["h2"]}
    assert h2["template"] == [{"kind": "relation", "row": {"type": "IN_SEGMENT", "source": None, "target": "储氢材料"}}]
    assert h2["parent"] == "chain"
    r = items[("relation_implied", "d")]
    assert (r["relation_id"], r["relation_type"], r["other"]["id"]) == ("d>SUPPLIES>a", "SUPPLIES", "a")
    assert r["clauses"] == [{"doc": "002.txt", "section": "三"}]
    assert r["template"] == [{"kind": "relation", "row": {"type": "SUPPLIES", "source": "丁公司", "target": "甲磁材",
                                                          "product": None}}]
    assert render(r["reason"]) == "丁公司 —供应→ 甲磁材 只是推断，文件没有写明：请补充依据，或删除该关系。"
    json.dumps(data_todo(small()), ensure_ascii=False)  # plain data


def test_covers_every_data_gap_of_the_gap_report():
    """Data gaps move here from the gap report: every field a data gap names is a line of the list."""
    G = small()
    lines = {(x["id"], f) for x in todo_items(data_todo(G)) for f in x["fields"]}
    for g in data_gaps(G):
        if g["kind"] == "missing_fields":
            for f in g["missing"]:
                assert (g["subject_ids"][0], f) in lines
        else:
            assert (g["subject_ids"][0], "basis") in lines


# --- the seeded registry ---
@pytest.fixture(scope="module")
def seeded():
    from seed.dataset import load_dataset

    return load_dataset()


@pytest.fixture(scope="module")
def todo(seeded):
    return Analysis(build_graph(*seeded)).data_todo()


def group(todo, code):
    return next(g for g in todo["groups"] if g["code"] == code)


def test_seed_local_firms_without_segment_come_first(todo):
    g = group(todo, "segment_missing")
    local = [x["id"] for x in g["items"] if x["local"]]
    assert THREE <= set(local)
    assert [x["id"] for x in g["items"][: len(local)]] == local  # local firms first
    assert g["local"] == len(local)
    names = {x["id"]: x["name"] for x in g["items"]}
    assert {names[i] for i in THREE} == {"中科三环", "粤磁科技", "汉驱智能"}
    z = next(x for x in g["items"] if x["id"] == "ent-zhongke-sanhuan")
    assert z["clauses"][0]["section"].startswith("二、重点任务和举措") and "中科三环" in z["clauses"][0]["quote"]


def test_seed_segments_with_no_firm(todo, seeded):
    g = group(todo, "segment_empty")
    ids = [x["id"] for x in g["items"]]
    assert g["count"] == len(ids) > 0
    entities, relations = seeded
    kinds = {e["id"]: e["kind"] for e in entities}
    firms_in = {r["target"] for r in relations if r["type"] == "IN_SEGMENT" and kinds[r["source"]] == "enterprise"}
    assert not set(ids) & firms_in
    h2 = [e["id"] for e in entities if e["kind"] == "segment" and e["name"] == "稀土储氢材料"]
    assert h2 and h2[0] in ids


def test_seed_scale_target_unmeasurable_then_measurable_after_tagging(seeded, todo):
    assert SCALE in {x["id"] for x in group(todo, "target_unmeasurable")["items"]}
    entities, relations = seeded
    tagged = [dict(e, roles=[*(e.get("roles") or []), "above_scale"]) if e["id"] == "ent-youli-tech" else e
              for e in entities]
    a = Analysis(build_graph(tagged, relations))
    row = next(r for r in a.target_progress() if r["id"] == SCALE)
    assert (row["measurability"], row["status"], row["current"], row["value"]) == ("measured", "behind", 1, 50)
    assert SCALE not in {x["id"] for x in group(a.data_todo(), "target_unmeasurable")["items"]}


def test_seed_list_is_memoised_and_localises(seeded):
    a = Analysis(build_graph(*seeded))
    assert a.data_todo() is a.data_todo()
    text = json.dumps(localise(a.data_todo()), ensure_ascii=False)
    assert '"msg"' not in text and "未达到" not in text
