"""Incremental analysis (issue 12): after a write, the next snapshot is the previous one's analysis with what
the change log says changed applied to its graph in place, and that graph equals a fresh read of the
registry — nodes, edges and attributes (not their order: an added record or relation comes last; no
analysis depends on the order, tests/web/test_incremental_analysis.py compares every result) — after every
kind of write."""

from __future__ import annotations

import pytest

from graph.build import build_graph, patch_graph
from registry import tabular
from registry.importer import apply_import, plan_import, undo_import
from registry.messages import label
from web.analysis import _cache, snapshot

BY = "editor1"


def shape(G) -> dict:
    """Everything a graph holds: records with their attributes, relations (by ends and type) with theirs."""
    return {"nodes": dict(G.nodes(data=True)), "edges": {(u, v, k): d for u, v, k, d in G.edges(keys=True, data=True)},
            "adjacency": {n: (sorted(G.succ[n]), sorted(G.pred[n])) for n in G}}


def next_snapshot(app):
    with app.test_request_context("/"):
        return snapshot(), dict(_cache().last or {})


def assert_patched_equals_fresh(app, reg, *, mode="patch"):
    snap, last = next_snapshot(app)
    assert last["mode"] == mode, last
    fresh = build_graph(*reg.export_graph())
    assert shape(snap.analysis.G) == shape(fresh)
    # and the analyses on it agree with those of a fresh build
    from graph.analysis import Analysis

    from tests.diffing import differences

    inc, new = snap.analysis.report(), Analysis(fresh).report()
    assert inc == new, differences(inc, new)
    return snap, last


def _seconds_before(at: str, seconds: float) -> str:
    from datetime import datetime, timedelta

    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return (datetime.strptime(at, fmt) - timedelta(seconds=seconds)).strftime(fmt)


def csv_file(rows: list[tuple[str, str, str]]) -> bytes:
    head = "编号,名称,集群内外"
    return ("\n".join([head] + [",".join(r) for r in rows])).encode("utf-8-sig")


def test_every_kind_of_write_patches_the_graph_to_what_a_fresh_read_gives(small_app, reg, monkeypatch):
    # the writes below follow each other within milliseconds: with the usual look-back every patch would read
    # the small chain's own load again and, past PATCH_MIN records, the registry whole
    monkeypatch.setattr("web.analysis.PATCH_LOOKBACK", 0.0)
    snap, last = next_snapshot(small_app)
    assert last["mode"] == "full"
    first = snap.analysis.G

    reg.create({"kind": "enterprise", "id": "ent-new", "name": "新建测试企业", "locality": "cluster"}, by=BY, why="t")
    s, last = assert_patched_equals_fresh(small_app, reg)
    # the same analysis, brought up to date in place: a request still holding the old snapshot sees the new data
    assert "ent-new" in s.analysis.G and s.analysis.G is first
    assert last["changes"] >= 1 and "ent-new" in last.get("ids", ["ent-new"])

    cur = reg.get("ent-a")
    reg.update("ent-a", {"phone": "0797-1111111", "aliases": ["示范", "冶炼一号"]}, version=cur["version"], by=BY, why="t")
    assert_patched_equals_fresh(small_app, reg)

    reg.relate({"type": "SUPPLIES", "source": "ent-new", "target": "ent-b", "product": "氧化镨钕"}, by=BY, why="t")
    reg.relate({"type": "IN_SEGMENT", "source": "ent-new", "target": "seg-sep"}, by=BY, why="t")
    assert_patched_equals_fresh(small_app, reg)

    reg.relate({"type": "SUPPLIES", "source": "ent-new", "target": "ent-b", "note": "补充说明"}, by=BY, why="t")
    assert_patched_equals_fresh(small_app, reg)

    reg.unrelate("ent-new>SUPPLIES>ent-b", by=BY, why="t")
    assert_patched_equals_fresh(small_app, reg)

    # a record with relations both ways goes, and its relations with it
    assert s.analysis.G.degree("ent-b") > 0
    reg.delete("ent-b", by=BY, why="t")
    s, _ = assert_patched_equals_fresh(small_app, reg)
    assert "ent-b" not in s.analysis.G

    reg.upsert_many([{"kind": "enterprise", "id": f"ent-batch{i}", "name": f"批量测试企业{i}"} for i in range(5)],
                    by=BY, why="t")
    reg.upsert_relations([{"type": "IN_SEGMENT", "source": f"ent-batch{i}", "target": "seg-mag"} for i in range(5)],
                         by=BY, why="t")
    assert_patched_equals_fresh(small_app, reg)

    # an import that creates records and changes one, then its undo
    cluster = label("locality", "cluster")
    data = csv_file([("", "导入测试企业甲", cluster), ("", "导入测试企业乙", cluster),
                     ("ent-c", "外地电机股份有限公司", cluster)])
    plan = plan_import(reg, tabular.read_file(data, "名录.csv", kind="enterprise"), file="名录.csv", by=BY)
    assert (plan.counts["created"], plan.counts["changed"]) == (2, 1)
    result = apply_import(reg, plan, by=BY, why="t")
    assert_patched_equals_fresh(small_app, reg)
    undo_import(reg, result["change_set"], by=BY, why="t")
    s, _ = assert_patched_equals_fresh(small_app, reg)
    assert s.analysis.record("ent-c")["locality"] == "china"

    # a record deleted and made again: the new one has none of the old one's relations
    reg.delete("ent-new", by=BY, why="t")
    reg.create({"kind": "enterprise", "id": "ent-new", "name": "再建测试企业"}, by=BY, why="t")
    s, _ = assert_patched_equals_fresh(small_app, reg)
    assert s.analysis.G.degree("ent-new") == 0


def test_the_log_decides_when_only_a_whole_read_will_do(small_app, reg):
    with small_app.app_context():
        # (the small chain was loaded in batches that share one time: a change of that time may be newer)
        reg.create({"kind": "enterprise", "id": "ent-one", "name": "单条测试企业"}, by=BY, why="t")
        latest = reg.changes(limit=1)[0]
        marker = (latest["at"], latest["id"])
        quiet = reg.graph_delta(marker, limit=50)  # only what was written in the seconds before the marker
        assert "ent-one" not in quiet["nodes"] and quiet["changes"] == len([
            c for c in reg.changes(limit=100) if c["at"] >= _seconds_before(marker[0], 5) and c["id"] != marker[1]])
        assert reg.graph_delta(("2020-01-01T00:00:00.000000Z", "no-such-change"), limit=50) is None  # not in the log
        assert reg.graph_delta(("empty",), limit=50) is None
        reg.upsert_many([{"kind": "enterprise", "id": f"ent-many{i}", "name": f"批量企业{i}"} for i in range(3)],
                        by=BY, why="t")
        assert reg.graph_delta(marker, limit=2) is None  # more records changed than the limit
        assert {"ent-many0", "ent-many1", "ent-many2"} <= set(reg.graph_delta(marker, limit=50)["nodes"])
        # a batch of 1000 or more ids: the change log keeps only the first 1000, so the rest are unknown
        reg.upsert_many([{"kind": "enterprise", "id": f"ent-big{i}", "name": f"大批企业{i}"} for i in range(1000)],
                        by=BY, why="t")
        assert reg.graph_delta(marker, limit=100000) is None


def test_a_change_written_late_with_an_earlier_time_is_still_applied(small_app, reg, monkeypatch):
    monkeypatch.setattr("web.analysis.PATCH_MIN", 1000)  # the small chain's load is within the look-back too
    """A change's time is taken before it is written: a concurrent write can land after a newer one."""
    from registry.repository import _change, Q_CREATE, entity_props, now_iso
    from registry.model import validate_entity

    reg.create({"kind": "enterprise", "id": "ent-first", "name": "先写企业"}, by=BY, why="t")
    early = now_iso()  # the slow writer takes its time now ...
    reg.create({"kind": "enterprise", "id": "ent-second", "name": "后写企业"}, by=BY, why="t")
    next_snapshot(small_app)  # ... a page is made on the newer change ...
    entity = validate_entity({"kind": "enterprise", "id": "ent-slow", "name": "慢写企业"})
    props = entity_props(entity, meta={"created_at": early, "updated_at": early, "version": 1, "updated_by": BY})
    reg.store.write(Q_CREATE["enterprise"], {"props": props, "change": _change(
        "create", by=BY, why="t", entity_id="ent-slow", kind="enterprise", at=early)})  # ... then it lands
    reg.create({"kind": "enterprise", "id": "ent-third", "name": "再写企业"}, by=BY, why="t")
    snap, last = assert_patched_equals_fresh(small_app, reg)
    assert "ent-slow" in snap.analysis.G


def test_a_large_batch_makes_the_next_snapshot_read_the_registry_whole(small_app, reg):
    next_snapshot(small_app)
    reg.upsert_many([{"kind": "enterprise", "id": f"ent-big{i}", "name": f"大批企业{i}"} for i in range(1000)],
                    by=BY, why="t")
    snap, last = next_snapshot(small_app)
    assert last["mode"] == "full" and "ent-big999" in snap.analysis.G


def test_a_patch_that_does_not_fit_the_graph_is_refused():
    from graph.errors import InvalidGraphData

    G = build_graph([{"id": "a", "kind": "enterprise"}], [])
    with pytest.raises(InvalidGraphData):
        patch_graph(G, relations={"a>SUPPLIES>zz": ("a", "SUPPLIES", "zz",
                                                    {"type": "SUPPLIES", "source": "a", "target": "zz"})})
    with pytest.raises(InvalidGraphData):
        patch_graph(G, nodes={"b": {"id": "b", "kind": "no-such-kind"}})
    assert list(G) == ["a"]


def test_a_patched_snapshot_knows_whether_the_registry_holds_synthetic_records(small_app, reg, monkeypatch):
    monkeypatch.setattr("web.analysis.PATCH_LOOKBACK", 0.0)
    snap, _ = next_snapshot(small_app)
    assert snap.synthetic is False
    reg.create({"kind": "enterprise", "id": "syn-ent-test", "name": "合成测试企业（SYNTHETIC）"}, by=BY, why="t")
    snap, last = next_snapshot(small_app)
    assert last["mode"] == "patch" and snap.synthetic is True
    reg.delete("syn-ent-test", by=BY, why="t")
    snap, last = next_snapshot(small_app)
    assert last["mode"] == "patch" and snap.synthetic is False
