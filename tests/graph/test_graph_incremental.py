"""graph.Analysis.apply on plain graphs: the fields it treats as unread are read by no analysis, the chain
index it keeps equals a fresh one, and a refused delta leaves the graph as it was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import graph
from graph._chain import Chain
from graph.analysis import UNREAD_FIELDS, Analysis
from graph.build import build_graph
from graph.errors import InvalidGraphData
from graph.synthetic import synthetic_registry

GRAPH_DIR = Path(graph.__file__).parent
TABLES = ("by_kind", "loc", "direct", "ent_segs", "sup_in", "sup_out", "partners", "leaders", "about", "about_rev",
          "responsible", "located", "implied", "lead", "n_edges", "seg_order", "seg_parents", "seg_children",
          "feeds", "feeds_in", "feeds_out", "seg_subtree")


def test_no_analysis_reads_the_fields_a_write_of_which_keeps_every_result():
    for path in GRAPH_DIR.glob("*.py"):
        if path.name in ("partners.py", "analysis.py", "synthetic.py", "build.py"):
            continue  # the partner lists show contacts (dropped on every write); the others name them, not read them
        text = path.read_text(encoding="utf-8")
        for field in UNREAD_FIELDS:
            assert not re.search(rf"""["']{field}["']""", text), (path.name, field)


def _tables(chain: Chain) -> dict:
    out = {}
    for t in TABLES:
        v = getattr(chain, t)
        out[t] = dict(v) if isinstance(v, dict) else v
    return out


@pytest.fixture
def small():
    return synthetic_registry(150, seed=4)


def test_the_chain_index_kept_up_to_date_equals_a_fresh_one(small):
    entities, relations = small
    a = Analysis(build_graph(entities, relations))
    a.report()
    firms = [e["id"] for e in entities if e["kind"] == "enterprise"]
    segs = [e["id"] for e in entities if e["kind"] == "segment"]
    rows = {e["id"]: e for e in entities}
    rels = {r.get("id") or f"{r['source']}>{r['type']}>{r['target']}": r for r in relations}
    deltas = [
        {"nodes": {firms[0]: dict(rows[firms[0]], locality="abroad", name="改名（SYNTHETIC）")}},
        {"relations": {f"{firms[1]}>SUPPLIES>{firms[2]}": (firms[1], "SUPPLIES", firms[2], {
            "type": "SUPPLIES", "source": firms[1], "target": firms[2], "product": "合成产品"})}},
        {"relations": {f"{firms[3]}>IN_SEGMENT>{segs[1]}": (firms[3], "IN_SEGMENT", segs[1], {
            "type": "IN_SEGMENT", "source": firms[3], "target": segs[1]})}},
        {"nodes": {firms[4]: None}},  # gone, with its relations
        {"relations": {rid: (r["source"], r["type"], r["target"], None)
                       for rid, r in list(rels.items())[:5] if r["source"] != firms[4] and r["target"] != firms[4]}},
    ]
    for delta in deltas:
        a.apply(delta)
        assert _tables(a.chain) == _tables(Chain(a.G))
        fresh = Analysis(build_graph([dict(d) for _, d in a.G.nodes(data=True)],
                                     [dict(d, type=k, source=u, target=v) for u, v, k, d in a.G.edges(keys=True, data=True)]))
        assert a.report() == fresh.report()


def test_a_refused_delta_changes_nothing(small):
    entities, relations = small
    a = Analysis(build_graph(entities, relations))
    before = (dict(a.G.nodes(data=True)), sorted(a.G.edges(keys=True)))
    report = a.report()
    firm = next(e["id"] for e in entities if e["kind"] == "enterprise")
    with pytest.raises(InvalidGraphData):
        a.apply({"nodes": {firm: dict(a.G.nodes[firm], name="新名")},
                 "relations": {f"{firm}>SUPPLIES>nobody": (firm, "SUPPLIES", "nobody", {
                     "type": "SUPPLIES", "source": firm, "target": "nobody"})}})
    assert (dict(a.G.nodes(data=True)), sorted(a.G.edges(keys=True))) == before
    assert a.report() is report
