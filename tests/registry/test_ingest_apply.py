"""Reviewing and applying a document's proposals (issue 14): accepted proposals only, edits validated, exact
matches not duplicated, one change set with the document as source, undone as one step, nothing written when
the precheck fails. Run on the real embedded store (and Neo4j when NEO4J_URI is set)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry import importer
from registry.errors import Conflict, InvalidInput
from registry.ingest import propose, read_document
from registry.ingest_apply import accept_all, apply_ingest, plan_ingest
from registry.model import Enterprise
from registry.repository import entity_props, now_iso
from registry.tasks import Tasks

SEEDS = Path("/work/shared/seeds")
ROOT = Path(__file__).resolve().parents[2]
DOC = "001_5d877c967d85b7a4.txt"
BY = "editor1"


def doc_001() -> str:
    for base in (ROOT / "seed" / "documents", SEEDS):
        if (base / DOC).exists():
            return read_document(base / DOC)
    pytest.skip("document 001 not found")


@pytest.fixture(scope="module")
def text():
    return doc_001()


@pytest.fixture(scope="module")
def proposals(text):
    return propose(text, document=DOC)


def entities(registry, kind=None):
    rows = registry.store.read("MATCH (n:Entity) RETURN properties(n) AS n")
    out = [r["n"] for r in rows]
    return [n for n in out if kind is None or n["kind"] == kind]


def sources(node) -> list[dict]:
    return json.loads(node.get("sources_json") or "[]")


def test_accept_all_of_001_into_an_empty_registry(registry, text, proposals):
    review = plan_ingest(registry, proposals, text, file=DOC, by=BY, decisions=accept_all(proposals))
    assert review.problems == [], [(r.key, r.problem) for r in review.problems]
    summary = apply_ingest(registry, review, by=BY, why="新方案读入")
    assert summary["applied"] and summary["tasks"] == 23

    # the document itself, with its title and file name
    docs = entities(registry, "document")
    assert [(d["name"], d["file"]) for d in docs] == [("赣县区稀土新材料及应用集群培育提升三年行动方案（2024-2026年）", DOC)]

    # the chain leader: 以中国稀土集团为链主 -> the firm's role, the sentence as its source
    firm = next(n for n in entities(registry, "enterprise") if n["name"] == "中国稀土集团")
    assert "chain_leader" in firm["roles"]
    assert any("突出以中国稀土集团为链主" in s["quote"] and s["doc"] == DOC for s in sources(firm))

    # the 2026 targets with their values and quotes
    targets = {(t["metric"], t.get("deadline_year")): t for t in entities(registry, "target")}
    t50 = targets[("集群规模以上企业", 2026)]
    assert (t50["value"], t50["unit"], t50["comparison"]) == (50, "家", "reach")
    assert sources(t50)[0]["quote"] == "到2026年，集群规模以上企业达50家、产值突破200亿元。"
    out = targets[("产值", 2026)]
    assert (out["value"], out["unit"], out["comparison"]) == (200, "亿元", "exceeds")
    for t in entities(registry, "target"):
        s = sources(t)[0]
        assert s["doc"] == DOC and s["quote"] in text and s["section"]

    # the parks are projects of type park
    parks = {n["name"] for n in entities(registry, "project") if n.get("project_type") == "park"}
    assert parks and all(p in text for p in parks)

    # the 23 tasks, their responsible units in the order written, their quotes
    tasks = Tasks(registry).list()
    assert [t["number"] for t in tasks] == list(range(1, 24))
    assert tasks[0]["title"] == "提升自主创新能力"
    assert tasks[0]["responsible_units"] == ["区科创中心", "区工信局", "区市场监管局", "赣州高新区科创局", "赣州高新区经发局"]
    assert tasks[16]["responsible_units"][-1] == "高新投"
    for t, p in zip(tasks, proposals["tasks"]):
        assert t["responsible_units"] == p["responsible_units"]
        assert t["sources"][0]["quote"] == p["quote"] and t["sources"][0]["doc"] == DOC
        assert t["period"] == "2024-2026" and t["status"] == "not_started"

    # the relations the text states, with their quotes
    rels = registry.store.read("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.name AS a, b.name AS b, r.sources_json AS s")
    assert rels and all(json.loads(r["s"])[0]["quote"] in text for r in rels)

    # one change set: a head naming the document, one item per record, relation and task
    cs = importer.change_set(registry, summary["change_set"])
    assert cs["head"]["document"] == DOC and cs["head"]["by"] == BY and cs["head"]["why"] == "新方案读入"
    assert cs["head"]["tasks"] == 23
    written = len(entities(registry)) + len(rels) + 23
    assert len(cs["items"]) == written

    # undo removes all of it
    undone = importer.undo_import(registry, summary["change_set"], by=BY, why="读错了文件")
    assert undone["tasks_deleted"] == 23
    assert entities(registry) == [] and Tasks(registry).list() == []
    assert registry.store.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"] == 0


def test_pending_and_rejected_proposals_are_not_written_and_edits_are(registry, text, proposals):
    orgs = proposals["organisations"]
    firm = next(i for i, o in enumerate(orgs) if o["name"] == "中国稀土集团")
    other = next(i for i, o in enumerate(orgs) if o["kind"] == "platform")
    target = next(i for i, t in enumerate(proposals["targets"]) if t["metric"] == "集群规模以上企业")
    decisions = {f"org:{firm}": {"do": "accept", "edit": {"name": "中国稀土集团有限公司"}},
                 f"org:{other}": {"do": "reject"},
                 f"tgt:{target}": {"do": "accept", "edit": {"value": "60"}},
                 "task:0": {"do": "accept", "edit": {"title": "提升自主创新能力（改）", "responsible_units": "区工信局、区科创中心"}}}
    review = plan_ingest(registry, proposals, text, file=DOC, by=BY, decisions=decisions)
    c = review.counts
    assert c["accepted"] == 3 and c["rejected"] == 1 and c["pending"] == len(review.rows) - 4
    apply_ingest(registry, review, by=BY, why="部分接受")
    names = sorted(n["name"] for n in entities(registry) if n["kind"] != "document")
    assert names == sorted(["中国稀土集团有限公司", "到2026年集群规模以上企业达60家"])
    t = entities(registry, "target")[0]
    assert t["value"] == 60 and sources(t)[0]["quote"].startswith("到2026年，集群规模以上企业达50家")
    tasks = Tasks(registry).list()
    assert [(t["title"], t["responsible_units"]) for t in tasks] == [("提升自主创新能力（改）", ["区工信局", "区科创中心"])]


def test_an_edit_the_model_refuses_blocks_the_apply_with_a_clear_message(registry, text, proposals):
    target = next(i for i, t in enumerate(proposals["targets"]) if t["metric"] == "集群规模以上企业")
    review = plan_ingest(registry, proposals, text, file=DOC, by=BY,
                         decisions={f"tgt:{target}": {"do": "accept", "edit": {"value": "五十"}}})
    [bad] = review.problems
    assert "value" in bad.problem[0] and "五十" in bad.problem[0]
    with pytest.raises(InvalidInput, match="有 1 条已接受的提议尚有问题"):
        apply_ingest(registry, review, by=BY, why="试")
    assert entities(registry) == []
    with pytest.raises(InvalidInput, match="请先接受至少一条提议"):
        apply_ingest(registry, plan_ingest(registry, proposals, text, file=DOC, by=BY, decisions={}), by=BY, why="试")
    with pytest.raises(InvalidInput, match="理由"):
        apply_ingest(registry, plan_ingest(registry, proposals, text, file=DOC, by=BY,
                                           decisions={"task:0": {"do": "accept"}}), by=BY, why=" ")


def _store_firm(registry, rid, name, **extra):
    at = now_iso()
    e = Enterprise(id=rid, name=name, sources=[{"by": "someone", "basis": "reported", "at": at}], **extra)
    registry.store.write("CREATE (n:Entity:Enterprise) SET n = $p",
                         {"p": entity_props(e, meta={"created_at": at, "updated_at": at, "version": 1, "updated_by": "x"})})


def test_an_exact_match_is_not_duplicated_and_only_gains_a_source(registry, text, proposals):
    _store_firm(registry, "ent-crg", "中国稀土集团有限公司", aliases=["中国稀土集团"], locality="china", roles=["soe"])
    orgs = proposals["organisations"]
    firm = next(i for i, o in enumerate(orgs) if o["name"] == "中国稀土集团")
    leader = next(i for i, r in enumerate(proposals["relations"]) if r["type"] == "CHAIN_LEADER")
    review = plan_ingest(registry, proposals, text, file=DOC, by=BY, decisions={f"org:{firm}": {"do": "accept"}})
    row = review.of("organisations")[firm]
    assert (row.outcome, row.id) == ("source", "ent-crg")
    apply_ingest(registry, review, by=BY, why="补来源")
    [stored] = entities(registry, "enterprise")
    assert stored["name"] == "中国稀土集团有限公司" and stored["roles"] == ["soe"] and stored["locality"] == "china"
    assert stored["version"] == 2 and [s.get("doc") for s in sources(stored)] == [None, DOC]
    # a second reading of the same document adds nothing; the chain-leader role is not put on a stored record
    again = plan_ingest(registry, proposals, text, file=DOC, by=BY,
                        decisions={f"org:{firm}": {"do": "accept"}, f"rel:{leader}": {"do": "accept"}})
    assert again.of("organisations")[firm].outcome == "exists"
    assert again.document["action"] == "exists"
    assert [r.key for r in again.problems] == [f"rel:{leader}"]


def test_a_near_match_waits_for_the_reviewer(registry, text, proposals):
    _store_firm(registry, "ent-crg", "中国稀土集团有限公司")  # same core name, not the same name
    orgs = proposals["organisations"]
    firm = next(i for i, o in enumerate(orgs) if o["name"] == "中国稀土集团")
    review = plan_ingest(registry, proposals, text, file=DOC, by=BY, decisions={f"org:{firm}": {"do": "accept"}})
    row = review.of("organisations")[firm]
    assert row.outcome == "near" and row.near[0]["id"] == "ent-crg"
    with pytest.raises(InvalidInput):
        apply_ingest(registry, review, by=BY, why="试")
    same = plan_ingest(registry, proposals, text, file=DOC, by=BY,
                       decisions={f"org:{firm}": {"do": "accept", "match": "ent-crg"}})
    assert same.of("organisations")[firm].outcome == "source"
    new = plan_ingest(registry, proposals, text, file=DOC, by=BY,
                      decisions={f"org:{firm}": {"do": "accept", "match": "new"}})
    assert new.of("organisations")[firm].outcome == "create"
    apply_ingest(registry, new, by=BY, why="另一家")
    assert len(entities(registry, "enterprise")) == 2


def test_segments_and_their_parents_are_written_when_proposed(registry):
    body = "一、总体思路\n重点发展稀土永磁电机，包括伺服电机、直驱电机等产品。\n"
    proposals = {"organisations": [], "targets": [], "tasks": [], "relations": [],
                 "segments": [{"name": "稀土永磁电机", "parent": None, "quote": "稀土永磁电机", "section": "一、总体思路"},
                              {"name": "伺服电机", "parent": "稀土永磁电机", "quote": "伺服电机", "section": "一、总体思路"},
                              {"name": "直驱电机", "parent": "稀土永磁电机", "quote": "直驱电机", "section": "一、总体思路"}]}
    review = plan_ingest(registry, proposals, body, file="motors.txt", by=BY, decisions=accept_all(proposals))
    apply_ingest(registry, review, by=BY, why="环节")
    segs = {n["name"] for n in entities(registry, "segment")}
    assert segs == {"稀土永磁电机", "伺服电机", "直驱电机"}
    rels = registry.store.read("MATCH (a)-[r:PART_OF]->(b) RETURN a.name AS a, b.name AS b ORDER BY a")
    assert [(r["a"], r["b"]) for r in rels] == [("伺服电机", "稀土永磁电机"), ("直驱电机", "稀土永磁电机")]


def test_a_failing_precheck_writes_nothing(registry, text, proposals):
    review = plan_ingest(registry, proposals, text, file=DOC, by=BY, decisions=accept_all(proposals))
    # someone creates one of the records the review would create, between the review and the apply
    first = next(i for i in review.plan.items if i.kind == "enterprise" and i.action == "create")
    _store_firm(registry, first.id, "抢先写入的企业")
    with pytest.raises(Conflict, match="未导入任何内容"):
        apply_ingest(registry, review, by=BY, why="试")
    assert [n["name"] for n in entities(registry)] == ["抢先写入的企业"]
    assert Tasks(registry).list() == []
    assert registry.store.read("MATCH (c:Change) RETURN count(c) AS n")[0]["n"] == 0


def test_reading_001_again_into_the_seeded_registry_duplicates_nothing(registry, text):
    from seed.loader import load_seed

    from registry.ingest_apply import registry_names

    load_seed(registry)
    proposals = propose(text, registry_names(registry), document=DOC)
    review = plan_ingest(registry, proposals, text, file=DOC, by=BY, decisions=accept_all(proposals))
    assert review.problems == []
    assert review.document["action"] == "exists" and review.document["id"] == "doc-001"
    assert {r.outcome for r in review.of("tasks")} == {"exists"}
    assert {r.outcome for r in review.of("targets")} == {"exists"}     # same number in the same sentence
    assert review.of("targets")[0].id == "tgt-2026-above-scale-enterprises"
    created = [i for i in review.plan.items if i.action == "create" and i.kind != "relation"]
    stored = registry_names(registry)
    assert all(i.name not in stored for i in created) and len(created) <= 5, [i.name for i in created]
    assert not [i for i in review.plan.items if i.action == "change"]  # records citing 001 already: left alone


def test_the_matching_index_is_kept_until_the_registry_changes(registry):
    from registry.ingest_apply import stored_index

    first = stored_index(registry)
    assert stored_index(registry) is first
    _store_firm(registry, "ent-new", "新写入的企业")
    second = stored_index(registry)
    assert second is not first and second.kind_of.get("ent-new") == "enterprise"
