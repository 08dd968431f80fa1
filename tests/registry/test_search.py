"""Search (issue 11): one ranked search over an index, on the real embedded store (Neo4j when configured).

The TABLE runs over the seeded registry (read-only, shared): each query with the records expected at the
top. The other tests use a fresh store of their own: ids and credit codes, filters, the cap, typos, the
schema 3 migration and what a search costs (no scan of every record).
"""

from __future__ import annotations

import pytest

from registry import dialect
from registry.errors import InvalidInput
from registry.repository import (SEARCH_CAP, Registry, explain_match, normalise, query_tokens, search_text,
                                 search_tokens, word_tokens)
from registry.store import FalkorStore

CRG = "ent-china-rare-earth-group"  # 中国稀土集团, the chain leader


@pytest.fixture(scope="module")
def seeded(store_dir, seeded_graph_name):
    s = FalkorStore(store_dir, graph=seeded_graph_name)
    yield Registry(s)
    s.close()


def ids(res, n=None):
    return [i["id"] for i in res["items"]][:n]


# query -> (where the first expected id must rank at worst, expected ids); the cases first
TABLE = [
    ("稀土", 3, [CRG]),                                   # 83 hits; the chain leader on top, not by pinyin order
    ("稀土集团", 1, [CRG]),                               # its own alias: first
    ("稀土 集团", 1, [CRG]),                              # two words: both must match; joined, its alias
    ("中国稀土集团", 1, [CRG]),                           # its exact name
    ("中国稀土", 1, [CRG]),                               # a prefix of its name
    ("zgxt", 1, [CRG]),                                   # pinyin initials
    ("xitu", 1, [CRG]),                                   # part of the full pinyin
    ("zhongguoxitujituan", 1, [CRG]),                     # the whole pinyin
    (CRG, 1, [CRG]),                                      # an id, exactly
    ("工信", 3, ["gov-miit", "gov-miit-raw-materials-department", "gov-ganxian-industry-it-bureau"]),
    ("工信局", 1, ["gov-ganxian-industry-it-bureau"]),
    ("工信部", 1, ["gov-miit"]),
    ("Lynas", 1, ["ent-lynas"]),                          # English letters, any case
    ("lynas", 1, ["ent-lynas"]),
    ("mountain pass", 1, ["proj-mountain-pass"]),
    ("ＭＰ", 1, ["ent-mp-materials"]),                    # full-width letters as typed by a Chinese IME
    ("DPA Title III", 1, ["prog-dpa-title-iii"]),
]


@pytest.mark.parametrize("query, within, expected", TABLE, ids=[t[0] for t in TABLE])
def test_search_table(seeded, query, within, expected):
    res = seeded.search(query, per_page=20)
    got = ids(res)
    assert got[:within].count(expected[0]) == 1, (query, got[:5])
    assert set(expected) <= set(got), (query, got[:10])
    top = res["items"][got.index(expected[0])]
    assert top["match"] and top["matched"] and top["score"]["match"] > 0  # each hit says why


def test_rare_earth_finds_every_record_that_says_it_and_puts_the_leader_first(seeded):
    res = seeded.search("稀土", per_page=100)
    assert res["total"] == 83 and not res["capped"]
    assert ids(res, 1) == [CRG]
    first = res["items"][0]
    assert first["score"] == {"match": 80, "relevance": 100, "leader": True, "in_cluster": True,
                              "relations": first["score"]["relations"]}
    assert first["match"] == [{"word": "稀土", "how": "prefix", "field": "alias", "value": "稀土集团"}]
    # relevance never goes up down the list
    rel = [i["score"]["relevance"] for i in res["items"]]
    assert rel == sorted(rel, reverse=True)


def test_two_words_mean_both(seeded):
    both = set(ids(seeded.search("稀土 集团", per_page=100)))
    assert both == set(ids(seeded.search("稀土", per_page=100))) & set(ids(seeded.search("集团", per_page=100)))
    assert CRG in both and len(both) == 9


def test_a_one_character_typo_suggests_the_record(seeded):
    res = seeded.search("中国希土")  # 希 for 稀: same pinyin
    assert res["total"] == 0 and res["items"] == []
    assert res["suggestions"][0]["id"] == CRG and res["suggestions"][0]["name"] == "中国稀土集团"
    res = seeded.search("中国稀士集团")  # 士 for 土: looks alike, sounds different
    assert res["total"] == 0 and res["suggestions"][0]["id"] == CRG
    assert seeded.search("完全无关的词语")["suggestions"] == []


def test_nothing_is_found_for_what_no_record_says(seeded):
    res = seeded.search("zzzqqq")
    assert res["total"] == 0 and res["items"] == [] and res["pages"] == 1


@pytest.mark.parametrize("q", ["", "   ", "稀" * 201, " ".join(f"词{i}" for i in range(9))])
def test_empty_too_long_or_too_many_words_refused(seeded, q):
    with pytest.raises(InvalidInput) as exc:
        seeded.search(q)
    assert exc.value.message.startswith("q: ")


def test_filters_combine_with_a_query(seeded):
    enterprises = seeded.search("稀土", kinds=["enterprise"], per_page=100)
    assert enterprises["total"] > 0 and {i["kind"] for i in enterprises["items"]} == {"enterprise"}
    assert ids(enterprises, 1) == [CRG]
    local = seeded.search("稀土", locality="cluster", per_page=100)
    assert local["total"] > 0 and {i["locality"] for i in local["items"]} == {"cluster"}
    leaders = seeded.search("稀土", role="chain_leader", per_page=100)
    assert ids(leaders) == [CRG]
    abroad = seeded.search("稀土", kinds=["enterprise"], locality="abroad", per_page=100)
    assert CRG not in ids(abroad) and all(i["locality"] == "abroad" for i in abroad["items"])
    # the segment filter: only records in that segment or below it
    seg = seeded.list(kinds=["segment"], per_page=500)["items"]
    counts = {s["id"]: seeded.search("公司", segment=s["id"], per_page=100)["total"] for s in seg}
    busiest = max(counts, key=counts.get)
    in_seg = seeded.search("公司", segment=busiest, per_page=100)
    assert 0 < in_seg["total"] < seeded.search("公司", per_page=100)["total"]
    assert set(ids(in_seg)) == set(ids(seeded.list(segment=busiest, per_page=500))) & set(
        ids(seeded.search("公司", per_page=500)))


def test_other_sort_orders_keep_the_same_hits(seeded):
    by_rel = seeded.search("稀土", per_page=100)
    by_name = seeded.search("稀土", sort="name", per_page=100)
    assert set(ids(by_rel)) == set(ids(by_name)) and ids(by_rel) != ids(by_name)
    with pytest.raises(InvalidInput):
        seeded.search("稀土", sort="n.name; DROP")


def test_pages_slice_the_ranked_list(seeded):
    whole = ids(seeded.search("稀土", per_page=100))
    assert ids(seeded.search("稀土", per_page=20, page=2)) == whole[20:40]
    assert seeded.search("稀土", per_page=20)["pages"] == 5


def test_list_with_a_query_is_the_search(seeded):
    assert ids(seeded.list(q="稀土", per_page=50)) == ids(seeded.search("稀土", per_page=50))


# ------------------------------------------------------------------ a store of our own
def firm(i, name, **extra):
    return {"kind": "enterprise", "id": f"ent-{i}", "name": name, "locality": "cluster", **extra}


def test_a_credit_code_is_found_exactly(registry):
    from registry.model import uscc_check_char

    code = "91360700MA35ABCD1" + uscc_check_char("91360700MA35ABCD1")
    registry.upsert_many([firm(1, "甲磁材有限公司", credit_code=code), firm(2, "乙磁材有限公司")])
    res = registry.search(code.lower())
    assert ids(res) == ["ent-1"] and res["items"][0]["match"][0]["field"] == "credit_code"
    assert res["items"][0]["score"]["match"] == 100


def test_more_hits_than_the_cap_are_cut_and_said(registry):
    registry.upsert_many([firm(i, f"测试磁材企业{i:04d}") for i in range(SEARCH_CAP + 20)]
                         + [firm("lead", "赣州测试磁材集团", roles=["chain_leader"])])
    res = registry.search("测试磁材", per_page=10)
    assert res["capped"] and SEARCH_CAP <= res["total"] <= SEARCH_CAP + 2
    assert ids(res, 1) == ["ent-lead"]  # the chain leader has its own look-up: never lost to the cap
    exact = registry.search("测试磁材企业0210")  # whether or not the broad query reached it, found exactly
    assert ids(exact, 1) == ["ent-210"] and exact["items"][0]["score"]["match"] == 100


def test_an_edit_is_searchable_at_once(registry):
    registry.create(firm(1, "甲磁材有限公司"))
    assert ids(registry.search("甲磁材")) == ["ent-1"]
    rec = registry.get("ent-1")
    registry.update("ent-1", {"aliases": ["新简称"]}, version=rec["version"])
    assert ids(registry.search("新简称")) == ["ent-1"]
    assert ids(registry.search("xjc")) == ["ent-1"]
    registry.delete("ent-1")
    assert registry.search("甲磁材")["total"] == 0


def test_no_query_syntax_of_either_store_is_read_from_the_text(registry):
    registry.upsert_many([firm(1, 'A"B\\C) OR 1=1 //*')])
    for q in ('"', "\\", ") OR", "1=1", "//*", 'a"b'):
        assert ids(registry.search(q)) == ["ent-1"], q


# ------------------------------------------------------------------ the tokens
def test_tokens_of_a_record():
    toks = set(search_tokens("中国稀土集团", ["稀土集团"], ("ent-x", None)))
    assert {"=中国稀土集团", "=稀土集团", "=ent-x", "稀土", "中", "xit", "itu", "zgx", "gxt", "zg"} <= toks
    assert "中国稀土" not in toks  # only short n-grams: the words are checked against search_text
    assert search_text("中国稀土集团", ["ＭＰ材料"]).split("\n") == [
        "中国稀土集团", "mp材料", "zhongguoxitujituan", "zgxtjt", "cailiao", "cl"]


def test_every_query_word_finds_its_records_through_tokens_they_hold():
    record = set(search_tokens("江西省钨与稀土研究院", ["Rare Earth Salts"]))
    for word in ("稀土", "研究院", "xitu", "jxs", "rare", "salts", "ra", "稀"):
        assert set(word_tokens(word)) <= record, word
    assert query_tokens(["稀土集团有限公司", "zgxt"])[:4] == ["稀土", "zgx", "公司", "gxt"]  # each word in turn
    assert word_tokens("合成企业0012") == ["001", "012", "合成", "12", "成企", "01", "企业", "00", "业0"]
    assert normalise("  ＭＰ　Materials ") == "mp materials"


def test_explain_match_says_how_and_where():
    item = {"id": "ent-x", "name": "中国稀土集团", "aliases": ["稀土集团"]}
    assert explain_match(item, ["中国稀土集团"])[0]["how"] == "exact"
    assert explain_match(item, ["中国"])[0] == {"word": "中国", "how": "prefix", "field": "name",
                                               "value": "中国稀土集团"}
    assert explain_match(item, ["集团"])[0]["how"] == "substring"
    assert explain_match(item, ["xitu"])[0]["how"] == "pinyin"
    assert explain_match(item, ["zgxt"])[0]["how"] == "initials"
    assert explain_match(item, ["稀土", "南方"]) is None


# ------------------------------------------------------------------ the schema 3 and 4 migrations
OLD = "CREATE (n:Entity:Enterprise) SET n = $props"
RAW = "MATCH (n:Entity) RETURN properties(n) AS n ORDER BY n.id"


def test_records_written_before_schema_3_get_their_tokens_once(registry):
    from registry.model import validate_entity
    from registry.repository import entity_props

    for i, name in enumerate(["中国稀土集团", "赣州磁材科技有限公司"]):
        props = entity_props(validate_entity(firm(i, name)), meta={"version": 1, "updated_by": "seed",
                                                                  "created_at": "2025-01-01T00:00:00.000000Z",
                                                                  "updated_at": "2025-01-01T00:00:00.000000Z"})
        props.pop("search_tokens")
        props.pop("search_parts")
        registry.store.write(OLD, {"props": props})
    registry.store.write("MERGE (m:Meta {id: 'schema'}) SET m.version = 2")
    before = {r["n"]["id"]: r["n"] for r in registry.store.read(RAW)}
    assert registry.search("稀土")["total"] == 0  # not in the index yet

    registry.setup_schema()

    assert registry.schema_version() == dialect.SCHEMA_VERSION == 4
    assert ids(registry.search("稀土")) == ["ent-0"] and ids(registry.search("gzcc")) == ["ent-1"]
    after = {r["n"]["id"]: r["n"] for r in registry.store.read(RAW)}
    for rid in before:  # derived fields only: nobody edited the records
        changed = {k for k in before[rid].keys() | after[rid].keys() if before[rid].get(k) != after[rid].get(k)}
        assert changed == {"search_tokens", "search_parts"}, rid
    migrations = [c for c in registry.changes() if c["action"] == "migrate"]
    assert len(migrations) == 1 and migrations[0]["ids"] == ["ent-0", "ent-1"] and migrations[0]["by"] == "system"

    registry.setup_schema()  # a second start changes nothing
    assert registry.migrate_search_tokens() == 0
    assert {r["n"]["id"]: r["n"] for r in registry.store.read(RAW)} == after
    assert len([c for c in registry.changes() if c["action"] == "migrate"]) == 1


def test_records_written_at_schema_3_get_what_the_ranking_compares_once(registry):
    """Schema 4: a record with its tokens but without ``search_parts`` is ranked by the store only once it
    has them; the migration gives them (and nothing else) to the records that lack them."""
    from registry.model import validate_entity
    from registry.repository import entity_props, search_parts

    registry.upsert_many([firm(9, "赣州稀土磁材有限公司")])  # written now: has its parts already
    for i, (name, aliases) in enumerate([("中国稀土集团", ["稀土集团"]), ("赣州磁材科技有限公司", [])]):
        props = entity_props(validate_entity(firm(i, name, aliases=aliases)),
                             meta={"version": 1, "updated_by": "seed", "created_at": "2025-01-01T00:00:00.000000Z",
                                   "updated_at": "2025-01-01T00:00:00.000000Z"})
        props.pop("search_parts")
        registry.store.write(OLD, {"props": props})
    registry.store.write("MERGE (m:Meta {id: 'schema'}) SET m.version = 3")
    before = {r["n"]["id"]: r["n"] for r in registry.store.read(RAW)}
    assert ids(registry.search("稀土", per_page=10)) == ["ent-9"]  # found by the index, but nothing to rank yet

    registry.setup_schema()

    assert registry.schema_version() == 4
    assert ids(registry.search("稀土", per_page=10)) == ["ent-0", "ent-9"]
    assert registry.search("稀土集团")["items"][0]["match"][0] == {"word": "稀土集团", "how": "exact",
                                                                  "field": "alias", "value": "稀土集团"}
    after = {r["n"]["id"]: r["n"] for r in registry.store.read(RAW)}
    assert after["ent-0"]["search_parts"] == search_parts("中国稀土集团", ["稀土集团"]) == [
        "中国稀土集团", "zhongguoxitujituan", "zgxtjt", "稀土集团", "xitujituan", "xtjt"]
    for rid in before:
        changed = {k for k in before[rid].keys() | after[rid].keys() if before[rid].get(k) != after[rid].get(k)}
        assert changed == ({"search_parts"} if rid != "ent-9" else set()), rid
    migrations = [c for c in registry.changes() if c["action"] == "migrate"]
    assert len(migrations) == 1 and migrations[0]["ids"] == ["ent-0", "ent-1"]
    registry.setup_schema()
    assert registry.migrate_search_tokens() == 0


# ------------------------------------------------------------------ through the index
def test_the_embedded_store_answers_from_the_index(falkor):
    """Every part of the candidate query starts from the range index over search_tokens, never from a scan
    of every node or of a label; the segment walk is only in the text that asks for a segment."""
    params = {"kinds": None, "localities": None, "role": None, "level": None, "segment": "seg-x"}
    for p in dialect.SEARCH_PARTS:
        params.update({f"{p}{i}": "稀土" for i in range(dialect.SEARCH_SLOTS)}, **{p + "words": ["稀土"], p + "cap": 10})
    for segment in (False, True):
        plan = falkor.graph.explain(dialect.SEARCH[("falkordb", segment)], params)
        text = "\n".join(plan) if isinstance(plan, list) else str(plan)
        assert text.count("Node By Index Scan | (n:Entity)") == len(dialect.SEARCH_PARTS)
        assert "All Node Scan" not in text and "Label Scan" not in text
    assert "PART_OF" not in dialect.SEARCH[("falkordb", False)] and "PART_OF" in dialect.SEARCH[("falkordb", True)]


@pytest.mark.neo4j
def test_neo4j_has_the_search_index(store):
    if store.dialect != "neo4j":
        pytest.skip("Neo4j only")
    ok, missing = store.schema_ok()
    assert ok, missing
    reg = Registry(store)
    reg.upsert_many([firm(1, "中国稀土集团", aliases=["稀土集团"]), firm(2, "赣州磁材科技有限公司")])
    assert ids(reg.search("稀土集团"), 1) == ["ent-1"]
    assert ids(reg.search("zgxt")) == ["ent-1"]
    assert ids(reg.search("磁材")) == ["ent-2"]
    assert reg.search("中国希土")["suggestions"][0]["id"] == "ent-1"
