"""graph.build: the graph contract (node = entity, edge key = relation type) and its errors."""

import random

import pytest

from graph import InvalidGraphData, build_graph
from graph_rows import ent, rel
from registry.errors import InvalidInput




def test_nodes_and_edges_carry_the_rows():
    src = [{"doc": "001.txt", "section": "16", "quote": "配套企业", "basis": "explicit"}]
    G = build_graph([ent("a", locality="cluster", roles=["leading"]), ent("b"), ent("s", "segment", stage="midstream")],
                    [rel("SUPPLIES", "a", "b", product="氧化镨钕", sources=src), rel("IN_SEGMENT", "a", "s")])
    assert G.nodes["a"] == {"id": "a", "kind": "enterprise", "name": "a", "locality": "cluster", "roles": ["leading"]}
    e = G.edges["a", "b", "SUPPLIES"]
    assert e["id"] == "a>SUPPLIES>b" and e["basis"] == "explicit" and e["product"] == "氧化镨钕"
    assert e["sources"] == src
    assert G.edges["a", "s", "IN_SEGMENT"]["basis"] == "unknown"
    assert sorted(G.edges(keys=True)) == [("a", "b", "SUPPLIES"), ("a", "s", "IN_SEGMENT")]


def test_given_id_and_basis_are_kept():
    G = build_graph([ent("a"), ent("b")], [rel("SUPPLIES", "a", "b", id="r1", basis="implied")])
    assert G.edges["a", "b", "SUPPLIES"]["id"] == "r1"
    assert G.edges["a", "b", "SUPPLIES"]["basis"] == "implied"


def test_the_input_rows_are_not_changed():
    r = rel("SUPPLIES", "a", "b")
    build_graph([ent("a"), ent("b")], [r])
    assert r == {"type": "SUPPLIES", "source": "a", "target": "b"}


def test_same_relation_twice_is_one_edge():
    G = build_graph([ent("a"), ent("b")],
                    [rel("SUPPLIES", "a", "b", product="x"), rel("SUPPLIES", "a", "b", product="y")])
    assert G.number_of_edges() == 1 and G.edges["a", "b", "SUPPLIES"]["product"] == "y"


@pytest.mark.parametrize("entities, relations, message", [
    ([{"kind": "enterprise", "name": "x"}], [], "entity without id"),
    ([ent("a", "company")], [], "unknown kind 'company'"),
    ([ent("a"), ent("a")], [], "duplicate entity id 'a'"),
    ([ent("a"), ent("b")], [rel("LIKES", "a", "b")], "unknown relation type 'LIKES'"),
    ([ent("a")], [rel("SUPPLIES", "a", "zz")], "end 'zz' does not exist"),
    ([ent("a"), ent("s", "segment")], [rel("SUPPLIES", "a", "s")], "SUPPLIES may not go from enterprise to segment"),
])
def test_rows_that_break_the_contract_are_refused(entities, relations, message):
    with pytest.raises(InvalidGraphData) as exc:
        build_graph(entities, relations)
    assert message in str(exc.value)
    assert isinstance(exc.value, InvalidInput)  # answered as bad input by the web app and the CLI


def test_missing_basis_is_the_strongest_basis_of_the_sources():
    # the rule itself is registry.model.basis_of; the graph fills it in for rows without a basis
    cases = [([{"basis": "implied"}, {"basis": "explicit"}], "explicit"), ([{"basis": "implied"}], "implied"),
             ([{"doc": "x"}], "explicit"), (None, "unknown")]
    G = build_graph([ent(x) for x in "abcde"],
                    [dict(rel("SUPPLIES", "a", t), sources=src) for t, (src, _) in zip("bcde", cases)])
    assert [G.edges["a", t, "SUPPLIES"]["basis"] for t in "bcde"] == [want for _, want in cases]


def test_insertion_order_does_not_change_the_graph_content():
    ents = [ent(x) for x in "abcdef"]
    rels = [rel("SUPPLIES", s, t) for s, t in ("ab", "bc", "cd", "de", "ef", "fa")]
    G1 = build_graph(ents, rels)
    rng = random.Random(1)
    rng.shuffle(ents)
    rng.shuffle(rels)
    G2 = build_graph(ents, rels)
    assert sorted(G1.nodes(data=True)) == sorted(G2.nodes(data=True))
    assert sorted(G1.edges(keys=True)) == sorted(G2.edges(keys=True))
