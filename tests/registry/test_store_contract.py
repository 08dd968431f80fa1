"""The store contract: the same tests on the embedded store and (when NEO4J_URI is set) on Neo4j 5."""

from __future__ import annotations

import pytest

from registry.errors import Conflict, InvalidInput, NotFound
from registry.model import uscc_check_char

SRC = [{"doc": "001_5d877c967d85b7a4.txt", "section": "一、总体思路和提升目标",
        "quote": "中国稀土集团龙头引领作用显著增强", "basis": "explicit"}]


def valid_code(prefix17: str = "91360700MA35FUKE1") -> str:
    return prefix17 + uscc_check_char(prefix17)


def firm(id_, name, **kw):
    return {"kind": "enterprise", "id": id_, "name": name, **kw}


def test_schema_setup_is_idempotent(store):
    store.setup_schema()
    store.setup_schema()
    ok, missing = store.schema_ok()
    assert ok, missing


def test_create_and_read_back(registry):
    code = valid_code()
    rec = registry.create(firm("ent-crg", "中国稀土集团有限公司", aliases=["中国稀土集团", "中国稀土"],
                               credit_code=code, locality="cluster", roles=["leading"], sources=SRC),
                          by="张三", why="录入")
    assert rec["version"] == 1
    got = registry.get("ent-crg")
    assert got["name"] == "中国稀土集团有限公司"
    assert got["aliases"] == ["中国稀土集团", "中国稀土"]
    assert got["credit_code"] == code
    assert got["roles"] == ["leading"]
    assert got["sources"] == SRC
    assert got["basis"] == "explicit"
    assert got["updated_by"] == "张三"
    assert got["created_at"].endswith("Z") and got["created_at"] == got["updated_at"]
    assert "search_text" not in got and "sources_json" not in got


def test_duplicate_id_is_a_conflict_and_writes_nothing(registry):
    registry.create(firm("ent-a", "甲公司"))
    with pytest.raises(Conflict) as exc:
        registry.create({"kind": "platform", "id": "ent-a", "name": "乙平台"})
    assert "ent-a" in exc.value.message
    assert registry.get("ent-a")["name"] == "甲公司"
    assert registry.counts()["total_entities"] == 1
    assert [c["action"] for c in registry.changes()] == ["create"]


def test_update_with_version_and_stale_update_refused(registry):
    registry.create(firm("ent-a", "甲公司"))
    rec = registry.update("ent-a", {"location": "赣县区", "aliases": "甲；甲司"}, version=1, by="李四", why="核实")
    assert rec["version"] == 2 and rec["location"] == "赣县区" and rec["aliases"] == ["甲", "甲司"]
    with pytest.raises(Conflict) as exc:
        registry.update("ent-a", {"location": "南康区"}, version=1)
    assert "version" in str(exc.value.details)
    assert registry.get("ent-a")["location"] == "赣县区"
    change = registry.changes(entity_id="ent-a")[0]
    assert change["by"] == "李四" and change["why"] == "核实"
    assert change["diff"]["location"] == [None, "赣县区"]


def test_update_cannot_change_kind_or_id(registry):
    registry.create(firm("ent-a", "甲公司"))
    with pytest.raises(InvalidInput):
        registry.update("ent-a", {"kind": "platform"}, version=1)
    with pytest.raises(InvalidInput):
        registry.update("ent-a", {"id": "ent-b"}, version=1)


def test_update_validates_the_merged_record(registry):
    registry.create(firm("ent-a", "甲公司"))
    with pytest.raises(InvalidInput) as exc:
        registry.update("ent-a", {"credit_code": "91360700MA35FUKE10"}, version=1)
    assert "校验位" in exc.value.message and "91360700MA35FUKE10" in exc.value.message
    assert registry.get("ent-a")["version"] == 1


def test_missing_record_is_not_found(registry):
    with pytest.raises(NotFound):
        registry.get("ent-nope")
    with pytest.raises(NotFound):
        registry.update("ent-nope", {"name": "x"}, version=1)
    with pytest.raises(NotFound):
        registry.delete("ent-nope")


def test_delete_removes_relations_and_is_logged(registry):
    registry.create(firm("ent-a", "甲公司"))
    registry.create(firm("ent-b", "乙公司"))
    registry.relate({"type": "SUPPLIES", "source": "ent-a", "target": "ent-b", "product": "氧化镨钕"})
    assert registry.delete("ent-a", by="王五", why="注销") == 1
    assert registry.counts()["total_relations"] == 0
    change = registry.changes(entity_id="ent-a")[0]
    assert change["action"] == "delete" and change["diff"]["before"]["name"] == "甲公司"


def test_relations_validated(registry):
    registry.create(firm("ent-a", "甲公司"))
    registry.create({"kind": "segment", "id": "seg-m", "name": "稀土磁性材料"})
    with pytest.raises(InvalidInput, match="SUPPLIES"):
        registry.relate({"type": "SUPPLIES", "source": "ent-a", "target": "seg-m"})
    with pytest.raises(InvalidInput, match="不存在"):
        registry.relate({"type": "SUPPLIES", "source": "ent-a", "target": "ent-ghost"})
    with pytest.raises(InvalidInput, match="未知的关系类型"):
        registry.relate({"type": "LIKES", "source": "ent-a", "target": "seg-m"})
    assert registry.counts()["total_relations"] == 0
    rel = registry.relate({"type": "in_segment", "source": "ent-a", "target": "seg-m", "sources": SRC})
    assert rel["type"] == "IN_SEGMENT" and rel["id"] == "ent-a>IN_SEGMENT>seg-m" and rel["sources"] == SRC


def test_batch_upsert_is_idempotent_and_atomic_on_validation(registry):
    rows = [firm(f"ent-{i}", f"企业{i}号") for i in range(30)]
    assert registry.upsert_many(rows) == {"enterprise": 30}
    assert registry.upsert_many(rows) == {"enterprise": 0}  # unchanged rows are left alone
    assert registry.get("ent-3")["version"] == 1
    rows[3]["location"] = "赣县区"
    assert registry.upsert_many(rows) == {"enterprise": 1}
    assert registry.get("ent-3")["version"] == 2
    bad = [firm("ent-x1", "好企业"), firm("ent-x2", "坏企业", credit_code="123")]
    with pytest.raises(InvalidInput) as exc:
        registry.upsert_many(bad)
    assert "row 2" in exc.value.message and "18" in exc.value.message
    assert registry.counts()["entities"]["enterprise"] == 30


def test_batch_upsert_refuses_an_id_of_another_kind(registry):
    registry.create(firm("x-1", "甲公司"))
    with pytest.raises(Conflict, match="x-1"):
        registry.upsert_many([{"kind": "platform", "id": "x-1", "name": "平台"}])


def test_batch_relations(registry):
    registry.upsert_many([firm(f"ent-{i}", f"企业{i}") for i in range(10)])
    rels = [{"type": "SUPPLIES", "source": f"ent-{i}", "target": f"ent-{i + 1}"} for i in range(9)]
    assert registry.upsert_relations(rels) == {"SUPPLIES": 9}
    assert registry.upsert_relations(rels) == {"SUPPLIES": 0}
    assert registry.counts()["relations"] == {"SUPPLIES": 9}


@pytest.mark.parametrize("query,expected", [
    ("稀土", {"ent-crg", "ent-gzre"}),
    ("中国稀土", {"ent-crg"}),
    ("中国稀土集团", {"ent-crg"}),
    ("中稀", {"ent-crg"}),            # alias
    ("ZGXT", {"ent-crg"}),            # pinyin initials, any case
    ("ganzhou", {"ent-gzre"}),        # full pinyin
    ("磁", {"ent-mag"}),
])
def test_search_by_any_part_of_name_or_alias(registry, query, expected):
    registry.create(firm("ent-crg", "中国稀土集团有限公司", aliases=["中稀"]))
    registry.create(firm("ent-gzre", "赣州稀土集团"))
    registry.create(firm("ent-mag", "江西金力永磁科技股份有限公司", aliases=["金力永磁"]))
    result = registry.search(query)
    assert {i["id"] for i in result["items"]} == expected
    assert all(i["matched"] for i in result["items"])


def test_search_rejects_empty_and_huge_queries(registry):
    with pytest.raises(InvalidInput):
        registry.search("  ")
    with pytest.raises(InvalidInput, match="过长"):
        registry.search("稀" * 500)


def test_list_filters_sorting_and_pages(registry):
    registry.upsert_many([
        firm("ent-a", "安远磁材", locality="cluster", roles=["specialised"]),
        firm("ent-b", "北方稀土", locality="china"),
        firm("ent-c", "赣州磁业", locality="cluster"),
        {"kind": "platform", "id": "plat-a", "name": "国家稀土功能材料创新中心", "level": "national"},
        {"kind": "segment", "id": "seg-root", "name": "全产业链"},
        {"kind": "segment", "id": "seg-mag", "name": "稀土磁性材料"},
    ])
    registry.upsert_relations([
        {"type": "PART_OF", "source": "seg-mag", "target": "seg-root"},
        {"type": "IN_SEGMENT", "source": "ent-c", "target": "seg-mag"},
    ])
    names = [i["name"] for i in registry.list(kinds=["enterprise"])["items"]]
    assert names == ["安远磁材", "北方稀土", "赣州磁业"]  # pinyin order: an, bei, gan
    assert [i["id"] for i in registry.list(kinds=["enterprise"], sort="-name")["items"]] == ["ent-c", "ent-b", "ent-a"]
    assert [i["id"] for i in registry.list(locality="cluster")["items"]] == ["ent-a", "ent-c"]
    assert [i["id"] for i in registry.list(role="specialised")["items"]] == ["ent-a"]
    assert [i["id"] for i in registry.list(level="national")["items"]] == ["plat-a"]
    # through child segments
    assert [i["id"] for i in registry.list(segment="seg-root", kinds=["enterprise"])["items"]] == ["ent-c"]
    page = registry.list(kinds=["enterprise"], per_page=2, page=2)
    assert page["total"] == 3 and page["pages"] == 2 and [i["id"] for i in page["items"]] == ["ent-c"]
    with pytest.raises(InvalidInput):
        registry.list(sort="name; DROP")
    with pytest.raises(InvalidInput):
        registry.list(per_page=0)


def test_neighbourhood(registry):
    registry.upsert_many([firm(f"e{i}", f"企业{i}") for i in range(5)])
    registry.upsert_relations([{"type": "SUPPLIES", "source": f"e{i}", "target": f"e{i + 1}"} for i in range(4)])
    one = registry.neighbourhood("e2")
    assert {n["id"] for n in one["nodes"]} == {"e1", "e2", "e3"} and len(one["relations"]) == 2
    two = registry.neighbourhood("e2", hops=2)
    assert {n["id"] for n in two["nodes"]} == {"e0", "e1", "e2", "e3", "e4"} and len(two["relations"]) == 4
    capped = registry.neighbourhood("e2", hops=2, limit=3)
    assert capped["truncated"] and len(capped["relations"]) == 3


def test_unrelate(registry):
    registry.upsert_many([firm("e1", "甲"), firm("e2", "乙")])
    rel = registry.relate({"type": "SUPPLIES", "source": "e1", "target": "e2"})
    registry.unrelate(rel["id"], by="赵六")
    assert registry.counts()["total_relations"] == 0
    with pytest.raises(NotFound):
        registry.get_relation(rel["id"])


def test_export_graph(registry):
    registry.upsert_many([firm("e1", "甲"), firm("e2", "乙")])
    registry.relate({"type": "SUPPLIES", "source": "e1", "target": "e2", "product": "钕铁硼", "sources": SRC})
    nodes, rels = registry.export_graph()
    assert [n["id"] for n in nodes] == ["e1", "e2"]
    assert rels[0]["type"] == "SUPPLIES" and rels[0]["product"] == "钕铁硼" and rels[0]["sources"] == SRC


def test_fulltext_index_answers(store, registry):
    registry.create(firm("ent-crg", "中国稀土集团有限公司"))
    rows = store.fulltext("稀土")
    assert [r["id"] for r in rows] == ["ent-crg"]


def test_values_are_parameters_not_query_text(registry):
    """A name full of Cypher syntax is stored and found as plain text."""
    evil = "x'}) DETACH DELETE n //"
    registry.create(firm("ent-evil", evil, aliases=["\" OR 1=1"]))
    assert registry.get("ent-evil")["name"] == evil
    assert [i["id"] for i in registry.search("DETACH")["items"]] == ["ent-evil"]


def test_outside_filter_takes_every_named_place_but_the_cluster(registry):
    registry.upsert_many([
        firm("e1", "甲", locality="cluster"), firm("e2", "乙", locality="ganzhou"),
        firm("e3", "丙", locality="abroad"), firm("e4", "丁"),
    ])
    assert [i["id"] for i in registry.list(locality="outside")["items"]] == ["e3", "e2"]  # bing, yi
    with pytest.raises(InvalidInput):
        registry.list(locality="mars")
