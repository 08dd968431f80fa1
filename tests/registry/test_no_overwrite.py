"""Issue 9, no silent overwrite: the seed never writes over a user's change, re-adding a relation adds to
it, and an explicit source must quote the registered document it cites. On the real embedded store."""

from __future__ import annotations

import shutil

import pytest
import yaml

from registry.errors import InvalidInput
from registry.repository import Registry
from seed.dataset import default_data_dir
from seed.loader import load_seed

FIRM = "ent-china-rare-earth-group"
PLAN = "001_5d877c967d85b7a4.txt"
REAL_QUOTE = "突出以中国稀土集团为链主，加大资金、土地、人才等政策供给。"


@pytest.fixture
def reg(falkor) -> Registry:
    return Registry(falkor)


def _edited_seed(tmp_path, **fields):
    """A copy of the seed data where the firm FIRM says ``fields``."""
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    path = data / "enterprises.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(r for r in records if r["id"] == FIRM).update(fields)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return data


def test_seed_again_keeps_a_users_edit_and_lists_the_conflict(reg, tmp_path):
    first = load_seed(reg)
    assert first["conflicts"] == []
    seed_text = reg.get(FIRM)["description"]
    v = reg.get(FIRM)["version"]
    reg.update(FIRM, {"description": "用户核实后的简介", "phone": "0797-1234567"}, version=v, by="张三", why="电话核实")

    again = load_seed(reg)  # the same seed: nothing to write, the edit stays, the conflict is listed
    rec = reg.get(FIRM)
    assert rec["description"] == "用户核实后的简介" and rec["phone"] == "0797-1234567"
    assert again["conflicts"] == [{"record": FIRM, "field": "description", "seed": seed_text,
                                   "current": "用户核实后的简介"},
                                  {"record": FIRM, "field": "phone", "seed": None, "current": "0797-1234567"}]
    assert sum(again["written"].values()) == 0

    # a newer seed changes the field the user changed and one the user left: only the latter is written
    newer = load_seed(reg, data_dir=_edited_seed(tmp_path, description="种子的新简介", location="赣县区"))
    rec = reg.get(FIRM)
    assert rec["description"] == "用户核实后的简介" and rec["location"] == "赣县区"
    assert {"record": FIRM, "field": "description", "seed": "种子的新简介", "current": "用户核实后的简介"} \
        in newer["conflicts"]
    assert newer["written"]["enterprise"] == 1
    # other records are untouched by the user and carry no conflict
    assert {c["record"] for c in newer["conflicts"]} == {FIRM}


def test_a_field_the_user_did_not_touch_follows_the_seed(reg, tmp_path):
    load_seed(reg)
    load_seed(reg, data_dir=_edited_seed(tmp_path, aliases=["稀土集团", "中稀集团"]))
    assert reg.get(FIRM)["aliases"] == ["稀土集团", "中稀集团"]


def test_a_relation_field_the_user_changed_survives_the_seed(reg):
    load_seed(reg)
    rid = "ent-jl-mag>SUPPLIES>ent-tesla"
    reg.relate({"type": "SUPPLIES", "source": "ent-jl-mag", "target": "ent-tesla", "product": "高性能钕铁硼磁钢",
                "sources": [{"by": "李四", "basis": "reported", "note": "企业年报"}]}, by="李四", why="年报")
    result = load_seed(reg)
    rel = reg.get_relation(rid)
    assert rel["product"] == "高性能钕铁硼磁钢"
    assert [s.get("by") for s in rel["sources"]] == [None, "李四"]  # the seed's source, then the user's
    assert [(c["record"], c["field"]) for c in result["conflicts"]] == [(rid, "product")]


def _two_firms(reg):
    for i in ("a", "b"):
        reg.create({"kind": "enterprise", "id": f"ent-{i}", "name": f"{i}公司",
                    "sources": [{"by": "u", "basis": "reported"}]}, by="u")


def test_adding_a_relation_that_exists_merges(reg):
    _two_firms(reg)
    first = {"type": "SUPPLIES", "source": "ent-a", "target": "ent-b", "product": "氧化镨钕", "note": "长期合同",
             "sources": [{"doc": "report.txt", "section": "一", "quote": "甲向乙供应氧化镨钕"}]}
    reg.relate(first, by="u")
    again = {"type": "SUPPLIES", "source": "ent-a", "target": "ent-b",
             "sources": [{"by": "李四", "basis": "reported", "note": "电话核实"}]}
    rel = reg.relate(again, by="李四")
    assert rel["product"] == "氧化镨钕" and rel["note"] == "长期合同"
    assert [s.get("quote") or s.get("by") for s in rel["sources"]] == ["甲向乙供应氧化镨钕", "李四"]
    assert rel["version"] == 2
    # the same source again adds nothing; a field it does set is written
    rel = reg.relate({**again, "product": "金属镨钕"}, by="李四")
    assert rel["product"] == "金属镨钕" and len(rel["sources"]) == 2


def test_an_explicit_source_must_quote_its_registered_document(reg):
    reg.create({"kind": "document", "id": "doc-plan", "name": "方案", "file": PLAN,
                "sources": [{"doc": PLAN, "section": "一", "quote": REAL_QUOTE}]})
    invented = {"kind": "enterprise", "id": "ent-x", "name": "X公司",
                "sources": [{"doc": PLAN, "section": "一", "quote": "赣州X公司是链主"}]}
    with pytest.raises(InvalidInput) as exc:
        reg.create(invented)
    assert exc.value.details[0]["field"] == "sources.0.quote" and "赣州X公司是链主" in exc.value.message
    # whitespace and line breaks do not matter; a quote that is there passes
    spaced = " 突出以中国稀土集团\n为链主，加大资金、 土地、人才等政策供给。"
    reg.create({**invented, "sources": [{"doc": PLAN, "section": "一", "quote": spaced}]})
    # implied and reported sources, and documents nobody registered, are not checked
    reg.create({**invented, "id": "ent-y", "sources": [{"doc": PLAN, "section": "一", "quote": "推断", "basis": "implied",
                                                          "note": "据上下文"}]})
    reg.create({**invented, "id": "ent-z", "sources": [{"doc": "other.txt", "section": "一", "quote": "任意"}]})
    with pytest.raises(InvalidInput, match="sources.0.quote"):
        reg.relate({"type": "RESEARCH_PARTNER", "source": "ent-x", "target": "ent-y",
                    "sources": [{"doc": PLAN, "section": "一", "quote": "两家合作"}]})
    with pytest.raises(InvalidInput, match="sources.1.quote"):
        v = reg.get("ent-x")["version"]
        reg.update("ent-x", {"sources": [{"doc": PLAN, "section": "一", "quote": spaced},
                                         {"doc": PLAN, "section": "二", "quote": "编造的话"}]}, version=v)
