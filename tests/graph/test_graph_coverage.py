"""graph.coverage: segment coverage through child segments, and the documented score."""

import json

import pytest

from graph import SCORE_FORMULA, EntityNotFound, build_graph, chain_coverage, coverage_score, segment_coverage
from graph_rows import ent, rel
from registry.messages import localise, render




def chain_rows():
    ents = [
        ent("chain", "segment", name="稀土产业链", position=0),
        ent("oxide", "segment", name="稀土氧化物", position=1),
        ent("metal", "segment", name="稀土金属及合金", position=2),
        ent("magnet", "segment", name="稀土磁性材料", position=3),
        ent("ndfeb", "segment", name="钕铁硼", position=3),
        ent("smco", "segment", name="钐钴", position=3),
        ent("motor", "segment", name="永磁电机", position=4),
        ent("m1", name="金属厂", locality="cluster", roles=["leading"]),
        ent("n1", name="磁材一厂", locality="cluster"),
        ent("n2", name="磁材二厂", locality="cluster"),
        ent("s1", name="钐钴厂", locality="cluster"),
        ent("o1", name="外地氧化物厂", locality="china"),
        ent("p1", name="江西电机", locality="jiangxi", roles=["listed"]),
        ent("p2", name="外省电机", locality="china"),
        ent("u1", name="未知厂"),
        ent("pl1", "platform", name="检测中心", locality="cluster", status="existing"),
        ent("pl2", "platform", name="规划中的创新中心", locality="cluster", status="planned"),
        ent("pl3", "platform", name="外地研究院", locality="china", status="existing"),
        ent("pj1", "project", name="磁材项目", locality="cluster", status="planned"),
    ]
    rels = [rel("PART_OF", c, "chain") for c in ("oxide", "metal", "magnet", "motor")]
    rels += [rel("PART_OF", "ndfeb", "magnet"), rel("PART_OF", "smco", "magnet")]
    rels += [rel("FEEDS", "oxide", "metal"), rel("FEEDS", "metal", "magnet"), rel("FEEDS", "magnet", "motor")]
    rels += [rel("IN_SEGMENT", e, s) for e, s in (("m1", "metal"), ("n1", "ndfeb"), ("n2", "ndfeb"), ("s1", "smco"),
                                                 ("o1", "oxide"), ("p1", "motor"), ("p2", "motor"), ("u1", "smco"),
                                                 ("pl1", "magnet"), ("pl2", "ndfeb"), ("pl3", "ndfeb"),
                                                 ("pj1", "ndfeb"))]
    return ents, rels


@pytest.fixture
def G():
    return build_graph(*chain_rows())


def test_segments_in_chain_order(G):
    assert [r["id"] for r in chain_coverage(G)["segments"]] == ["chain", "oxide", "metal", "magnet", "ndfeb", "smco",
                                                                "motor"]
    rows = {r["id"]: r for r in chain_coverage(G)["segments"]}
    assert rows["ndfeb"]["depth"] == 2 and rows["ndfeb"]["parent"] == "magnet"
    assert rows["magnet"]["children"] == ["ndfeb", "smco"]
    assert rows["magnet"]["upstream"] == ["metal"] and rows["magnet"]["downstream"] == ["motor"]


def test_members_are_counted_through_child_segments(G):
    rows = {r["id"]: r for r in chain_coverage(G)["segments"]}
    magnet = rows["magnet"]
    assert [f["id"] for f in magnet["local_enterprises"]] == ["n1", "n2", "s1"]
    assert {f["id"]: f["via"] for f in magnet["local_enterprises"]} == {"n1": ["ndfeb"], "n2": ["ndfeb"],
                                                                        "s1": ["smco"]}
    assert [f["id"] for f in magnet["unknown_locality_enterprises"]] == ["u1"]
    assert magnet["counts"] == {"local_enterprises": 3, "direct_local_enterprises": 0, "outside_enterprises": 0,
                                "unknown_locality_enterprises": 1, "platforms": 2, "projects": 1, "chain_leaders": 0}
    assert [p["id"] for p in magnet["platforms"]] == ["pl1", "pl2"]  # pl3 is outside the cluster
    assert [f["id"] for f in rows["chain"]["local_enterprises"]] == ["m1", "n1", "n2", "s1"]  # the 龙头 first
    # then by name (code-point order: 外 U+5916 before 江 U+6C5F)
    assert [f["id"] for f in rows["motor"]["outside_enterprises"]] == ["p2", "p1"]


def test_score_follows_the_documented_formula(G):
    rows = {r["id"]: r for r in chain_coverage(G)["segments"]}
    # magnet: 3 local -> 24; no leader; platforms 1 + 0.5 planned -> 15; project 0.5 planned -> 5
    assert rows["magnet"]["score_parts"] == {"enterprises": 24.0, "leader": 0.0, "platforms": 15.0, "projects": 5.0}
    assert (rows["magnet"]["score"], rows["magnet"]["level"]) == (44.0, "medium")
    assert (rows["ndfeb"]["score"], rows["ndfeb"]["level"]) == (26.0, "weak")
    assert (rows["metal"]["score"], rows["metal"]["level"]) == (28.0, "weak")   # 8 + 20 for the 龙头
    assert (rows["chain"]["score"], rows["chain"]["level"]) == (72.0, "strong")  # 32 + 20 + 15 + 5
    assert (rows["oxide"]["score"], rows["oxide"]["level"]) == (0.0, "none")
    assert localise(rows["magnet"])["score_explain_zh"] == "本地企业 3 家 → 24；链主/龙头 无 → 0；平台 1.5 → 15；项目 0.5 → 5；合计 44"
    assert render(rows["metal"]["score_explain"], "en") == ("local enterprises 1 -> 8; leader yes -> 20; "
                                                           "platforms 0 -> 0; projects 0 -> 0; total 28")
    assert chain_coverage(G)["levels"] == {"strong": 1, "medium": 1, "weak": 3, "none": 2}


def test_formula_is_in_the_result():
    r = chain_coverage(build_graph([], []))
    assert r["score_formula"] is SCORE_FORMULA and r["segments"] == []
    said = localise(r)["score_formula"]
    assert "40×min(本地企业数, 5)/5" in said["zh"]
    assert "40*min(local enterprises, 5)/5" in said["en"]
    assert said["weights"] == {"enterprises": 40, "leader": 20, "platforms": 20, "projects": 20}


def test_coverage_score_saturates():
    assert coverage_score(9, True, 5, 5)["score"] == 100.0
    assert coverage_score(0, False, 0, 0) == {"score": 0.0, "level": "none",
                                               "score_parts": {"enterprises": 0.0, "leader": 0.0, "platforms": 0.0,
                                                               "projects": 0.0}}


def test_chain_leader_relation_counts_as_leader(G):
    ents, rels = chain_rows()
    G2 = build_graph(ents, rels + [rel("CHAIN_LEADER", "n1", "ndfeb")])
    row = segment_coverage(G2, "magnet")
    assert row["local_leaders"] == ["n1"] and row["score_parts"]["leader"] == 20.0
    assert [x["id"] for x in row["chain_leaders"]] == ["n1"]


def test_members_limit_keeps_counts_exact(G):
    row = {r["id"]: r for r in chain_coverage(G, members_limit=1)["segments"]}["magnet"]
    assert [f["id"] for f in row["local_enterprises"]] == ["n1"]
    assert row["counts"]["local_enterprises"] == 3 and row["truncated"] is True


def test_segment_coverage_of_a_missing_segment(G):
    with pytest.raises(EntityNotFound, match="no entity with id 'nope'"):
        segment_coverage(G, "nope")
    with pytest.raises(EntityNotFound, match="'n1' is a enterprise, not a segment"):
        segment_coverage(G, "n1")


def test_progress_is_reported(G):
    calls = []
    chain_coverage(G, progress=lambda done, total, label: calls.append((done, total, label)))
    assert calls[-1] == (7, 7, "coverage") and len(calls) == 7


def test_result_is_json_and_deterministic(G):
    import random
    ents, rels = chain_rows()
    random.Random(3).shuffle(ents)
    random.Random(4).shuffle(rels)
    a = json.dumps(chain_coverage(G), ensure_ascii=False)
    b = json.dumps(chain_coverage(build_graph(ents, rels)), ensure_ascii=False)
    assert a == b
