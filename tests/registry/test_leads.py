"""The 招商 pipeline (issue 13): leads on the real store — every stage change, versions, reasons, the project a
signed lead creates (and what it moves: coverage, the projects-introduced target), the change log."""

from __future__ import annotations

import pytest

from graph import build_graph, segment_coverage, target_progress
from registry.errors import Conflict, InvalidInput, NotFound
from registry.leads import PIPELINE, Leads, is_overdue, weekly
from registry.repository import Registry
from registry.users import Users
from seed.loader import load_seed

SEG, GAP = "seg-pm-motors", "capability:seg-pm-motors"
TARGET = "tgt-projects-introduced-per-year"


@pytest.fixture(scope="module")
def seeded(store_dir):
    """One seeded graph for this module's tests; each test works on leads of its own firms."""
    import uuid

    from registry.store import FalkorStore

    s = FalkorStore(store_dir, graph=f"leads{uuid.uuid4().hex[:8]}")
    s.setup_schema()
    reg = Registry(s)
    load_seed(reg)
    users = Users(s)
    for name, role in (("王招商", "editor"), ("李招商", "editor"), ("只读者", "viewer")):
        users.add(name, role, "correct horse 1")
    yield reg
    s.drop_graph()
    s.close()


def coverage(reg, seg=SEG):
    nodes, rels = reg.export_graph()
    return segment_coverage(build_graph(nodes, rels), seg)


def projects_target(reg):
    nodes, rels = reg.export_graph()
    return next(t for t in target_progress(build_graph(nodes, rels)) if t["id"] == TARGET)


def test_a_lead_walks_every_stage_to_production_and_its_project_follows(seeded):
    reg, leads = seeded, Leads(seeded)
    before_cov = coverage(reg)
    before_target = projects_target(reg)
    lead = leads.create({"firm": "ent-jl-mag", "segment": SEG, "gaps": [GAP], "owner": "王招商",
                         "next_step": "电话联系董办", "due": "2026-12-01", "contacts": ["张经理 0797-1234567"],
                         "note": "从缺口候选名单中选出"}, by="李招商", why="招商会")
    assert lead["stage"] == "lead" and lead["version"] == 1 and lead["owner"] == "王招商"
    assert lead["firm_name"] == reg.get("ent-jl-mag")["name"] and lead["segment_name"] == "稀土永磁电机"
    lid = lead["id"]
    assert leads.list(gap=GAP, owner="王招商")[0]["id"] == lid
    v = 1
    for stage in PIPELINE[1:]:
        extra = {"park": "park-xijin-valley-pm-motor-park", "project_name": "金力永磁电机项目",
                 "investment": "10亿元"} if stage == "signed" else {}
        lead = leads.update(lid, {"stage": stage, **extra}, version=v, by="王招商")
        v += 1
        assert lead["stage"] == stage and lead["version"] == v
    project = reg.get(lead["project"])
    assert project["name"] == "金力永磁电机项目" and project["status"] == "operating"
    assert project["signed_on"] and project["locality"] == "cluster"
    assert project["sources"][0]["by"] == "王招商" and project["sources"][0]["basis"] == "reported"
    rels = {(r["type"], r["source"], r["target"]) for r in reg.export_graph()[1]}
    assert {("RUNS", "ent-jl-mag", project["id"]), ("IN_SEGMENT", project["id"], SEG),
            ("LOCATED_IN", project["id"], "park-xijin-valley-pm-motor-park")} <= rels
    after_cov = coverage(reg)
    assert after_cov["counts"]["projects"] == before_cov["counts"]["projects"] + 1
    assert after_cov["score"] > before_cov["score"]
    after_target = projects_target(reg)
    assert before_target["rule"] == "projects" and after_target["rule"] == "projects_signed"
    assert after_target["current"] == 1 and after_target["measurability"] == "measured"
    assert after_target["status"] == "behind" and after_target["counted"][0]["id"] == project["id"]
    # every step is in the change log, newest first, with before -> after
    history = leads.history(lid)
    assert [c["action"] for c in history] == ["update"] * 6 + ["create"]
    assert history[0]["diff"]["stage"] == ["started", "producing"] and history[0]["by"] == "王招商"
    signed = history[2]
    assert signed["diff"]["stage"] == ["negotiating", "signed"] and signed["diff"]["project"] == [None, project["id"]]
    assert history[-1]["by"] == "李招商" and history[-1]["why"] == "招商会"
    assert [s["stage"] for s in lead["stages"]] == list(PIPELINE)


def test_on_hold_and_dropped_need_a_reason_and_a_signed_lead_cannot_go_back(seeded):
    leads = Leads(seeded)
    lead = leads.create({"firm": "ent-tesla", "segment": SEG, "owner": "李招商"}, by="李招商")
    lid = lead["id"]
    with pytest.raises(InvalidInput) as exc:
        leads.update(lid, {"stage": "on_hold"}, version=1, by="李招商")
    assert "pause_reason" in exc.value.message
    held = leads.update(lid, {"stage": "on_hold", "pause_reason": "timing", "pause_note": "企业明年再议"}, version=1,
                        by="李招商")
    assert held["pause_reason"] == "timing" and held["stages"][-1]["pause_reason"] == "timing"
    back = leads.update(lid, {"stage": "contacted"}, version=2, by="李招商")
    assert "pause_reason" not in back and back["stage"] == "contacted"
    dropped = leads.update(lid, {"stage": "dropped", "pause_reason": "elsewhere"}, version=3, by="李招商")
    assert dropped["stage"] == "dropped"
    with pytest.raises(InvalidInput):
        leads.update(lid, {"stage": "dropped", "pause_reason": "because"}, version=4, by="李招商")


def test_versions_conflict_and_nothing_is_half_written(seeded):
    reg, leads = seeded, Leads(seeded)
    lead = leads.create({"firm": "ent-jl-mag", "segment": SEG}, by="王招商")
    lid = lead["id"]
    leads.update(lid, {"next_step": "寄送资料"}, version=1, by="王招商")
    with pytest.raises(Conflict) as exc:
        leads.update(lid, {"stage": "signed"}, version=1, by="李招商")
    assert "版本 1" in exc.value.message
    with pytest.raises(NotFound):
        reg.get(f"proj-{lid}")  # no project for a refused signing
    with pytest.raises(InvalidInput):
        leads.update(lid, {"stage": "signed"}, version="2", by="李招商")
    with pytest.raises(InvalidInput):
        leads.update(lid, {"firm": "ent-tesla"}, version=2, by="李招商")
    with pytest.raises(InvalidInput):
        leads.update(lid, {}, version=2, by="李招商")
    assert leads.get(lid)["version"] == 2


def test_signing_needs_a_segment_and_owners_are_active_users(seeded):
    leads = Leads(seeded)
    with pytest.raises(InvalidInput) as exc:
        leads.create({"firm": "ent-jl-mag", "owner": "不存在的人"}, by="王招商")
    assert "不存在的人" in exc.value.message
    with pytest.raises(InvalidInput):
        leads.create({"firm": "seg-pm-motors"}, by="王招商")  # a segment is no firm
    with pytest.raises(InvalidInput):
        leads.create({"firm": "ent-jl-mag", "due": "2026-13-01"}, by="王招商")
    with pytest.raises(InvalidInput):
        leads.create({"firm": "ent-jl-mag", "park": "ent-tesla"}, by="王招商")
    lead = leads.create({"firm": "ent-jl-mag"}, by="王招商")
    with pytest.raises(InvalidInput) as exc:
        leads.update(lead["id"], {"stage": "signed"}, version=1, by="王招商")
    assert "segment" in exc.value.message
    with pytest.raises(NotFound):
        leads.get("lead-999999")
    with pytest.raises(NotFound):
        leads.get("../x")


def test_a_firm_not_in_the_registry_is_created_with_the_lead(seeded):
    reg, leads = seeded, Leads(seeded)
    lead = leads.create({"new_firm": {"name": "深圳某永磁电机有限公司", "locality": "china", "location": "深圳"},
                         "segment": SEG}, by="王招商", why="展会结识")
    firm = reg.get(lead["firm"])
    assert firm["name"] == "深圳某永磁电机有限公司" and firm["locality"] == "china" and lead["firm_added"]
    assert firm["sources"][0]["by"] == "王招商" and firm["sources"][0]["basis"] == "reported" and firm["sources"][0]["at"]
    assert (SEG in {r["target"] for r in reg.export_graph()[1] if r["source"] == firm["id"] and r["type"] == "IN_SEGMENT"})
    assert reg.changes(entity_id=firm["id"])[0]["by"] == "王招商"


def test_overdue_and_the_weekly_report(seeded):
    leads = Leads(seeded)
    a = leads.create({"firm": "ent-jl-mag", "segment": SEG, "due": "2020-01-01"}, by="王招商")
    b = leads.create({"firm": "ent-tesla", "segment": SEG, "due": "2999-01-01"}, by="李招商")
    leads.update(b["id"], {"stage": "contacted"}, version=1, by="李招商")
    assert leads.get(a["id"])["overdue"] and not leads.get(b["id"])["overdue"]
    assert not is_overdue({"stage": "dropped", "due": "2020-01-01"})
    report = weekly(leads.list())
    assert report["total"] == len(leads.list())
    assert {a["id"], b["id"]} <= {x["id"] for x in report["new"]}
    assert b["id"] in {x["id"] for x in report["moved"]} and a["id"] in {x["id"] for x in report["overdue"]}
    seg = next(s for s in report["by_segment"] if s["segment"] == SEG)
    assert seg["total"] >= 2 and sum(report["by_stage"].values()) == report["total"]
    later = weekly(leads.list(), today="2999-06-01")
    assert later["new"] == [] and later["moved"] == []
