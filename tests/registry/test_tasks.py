"""The plan's 23 tasks (issue 13): loaded by the seed with their sources, responsible units exactly as the plan
lists them (the first leads), status set by editors against a version, each change in the change log."""

from __future__ import annotations

import re
import shutil

import pytest

from registry.errors import Conflict, InvalidInput, NotFound
from registry.quotes import DEFAULT_DOCUMENTS_DIR
from registry.repository import Registry
from registry.tasks import Tasks, by_unit, read_tasks
from seed.dataset import default_data_dir
from seed.loader import load_seed

PLAN = DEFAULT_DOCUMENTS_DIR / "001_5d877c967d85b7a4.txt"


def plan_units() -> dict[int, list[str]]:
    """Each numbered task's 〔责任单位：…〕 list, read straight from the plan's text."""
    out = {}
    for line in PLAN.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*(\d+)[．.].*〔责任单位：(.+)〕\s*$", line)
        if m:
            out[int(m[1])] = re.split(r"[、，]", m[2])
    return out


def test_the_seed_has_the_23_tasks_with_their_units_as_the_plan_lists_them():
    tasks = read_tasks(default_data_dir())
    assert [t["number"] for t in tasks] == list(range(1, 24))
    units = plan_units()
    assert len(units) == 23
    for t in tasks:
        assert t["responsible_units"] == units[t["number"]], t["number"]
        src = t["sources"][0]
        assert src["doc"] == PLAN.name and f"{t['number']}" in src["section"] and t["clause"] in src["quote"]
        assert t["period"] == "2024-2026"
    by_number = {t["number"]: t for t in tasks}
    assert by_number[1]["responsible_units"][0] == "区科创中心"
    assert by_number[15]["responsible_units"][0] == "赣州高新区经发局"
    assert by_number[21]["responsible_units"][0] == "江西省钨与稀土研究院"
    assert by_number[16]["targets"] == ["tgt-projects-introduced-per-year"]
    assert by_number[17]["responsible_units"] == ["区商务局", "区工信局", "区财政局", "赣州高新区经发局",
                                                   "赣州高新区招商局", "高新投"]


def test_a_task_quote_not_in_the_plan_stops_the_seed(falkor, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    text = (data / "tasks.yaml").read_text(encoding="utf-8")
    (data / "tasks.yaml").write_text(text.replace("〔责任单位：区科创中心、区工信局、区市场监管局",
                                                  "〔责任单位：区工信局、区科创中心、区市场监管局", 1), encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        load_seed(Registry(falkor), data_dir=data)
    assert "tasks.yaml row 1" in exc.value.message and "001_5d877c967d85b7a4.txt" in exc.value.message
    assert Registry(falkor).counts()["total_entities"] == 0


def test_seeded_tasks_read_back_and_a_second_seed_keeps_the_status(falkor):
    reg = Registry(falkor)
    first = load_seed(reg)
    assert first["tasks"] == 23 and first["tasks_written"] == 23
    tasks = Tasks(reg)
    items = tasks.list()
    assert len(items) == 23 and all(t["status"] == "not_started" and t["version"] == 1 for t in items)
    t7 = tasks.get(7)
    assert t7["lead_unit"] == "区工信局" and t7["sources"][0]["quote"].startswith("7.大力培育龙头企业")
    done = tasks.set_status("7", status="in_progress", version=1, note="已走访友力科技，确定扩产计划", by="张三",
                            date="2026-11-20")
    assert done["status"] == "in_progress" and done["version"] == 2
    assert done["notes"] == [{"date": "2026-11-20", "at": done["updated_at"], "by": "张三", "status": "in_progress",
                              "note": "已走访友力科技，确定扩产计划"}]
    again = load_seed(reg)
    assert again["tasks_written"] == 0 and tasks.get(7)["status"] == "in_progress"
    change = tasks.history(7)[0]
    assert change["by"] == "张三" and change["entity_id"] == "task-07"
    assert change["diff"]["status"] == ["not_started", "in_progress"]
    # the chain analysis does not see the tasks: they are no records of the registry
    assert reg.counts()["total_entities"] == first["entities"]


def test_status_changes_need_the_current_version_a_known_status_and_evidence(falkor):
    reg = Registry(falkor)
    load_seed(reg)
    tasks = Tasks(reg)
    tasks.set_status(3, status="late", version=1, note="标准制定未启动", by="甲")
    with pytest.raises(Conflict) as exc:
        tasks.set_status(3, status="done", version=1, note="已完成", by="乙")
    assert "版本 1" in exc.value.message and "2" in exc.value.message
    for bad in ({"status": "finished", "version": 2, "note": "x"}, {"status": "done", "version": "2", "note": "x"},
                {"status": "done", "version": 2, "note": "  "}, {"status": "done", "version": 2, "note": "x",
                                                                 "date": "2026/11/01"}):
        with pytest.raises(InvalidInput):
            tasks.set_status(3, by="乙", **bad)
    with pytest.raises(NotFound):
        tasks.get(24)
    with pytest.raises(InvalidInput):
        tasks.get("１")
    assert tasks.get(3)["status"] == "late"
    assert [c["action"] for c in tasks.history(3)] == ["update", "upsert"]  # the status, then the seed


def test_by_unit_lists_what_each_unit_leads_and_shares_and_what_is_late():
    tasks = [dict(t, status="not_started", notes=[]) for t in read_tasks(default_data_dir())]
    tasks[0]["status"] = "late"
    units = {u["unit"]: u for u in by_unit(tasks)}
    kc = units["区科创中心"]
    assert [t["number"] for t in kc["lead"]] == [1, 2] and kc["late"] == 1
    assert 6 in [t["number"] for t in kc["co"]]
    gx = units["区工信局"]
    assert len(gx["lead"]) + len(gx["co"]) == sum("区工信局" in t["responsible_units"] for t in tasks)
    assert sum(len(u["lead"]) for u in units.values()) == 23
