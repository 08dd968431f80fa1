"""The plan tasks on the web (issue 13): /api/v1/tasks, /tasks (督办 by unit), /tasks/<n>, the per-unit export."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from registry.repository import Registry
from registry.tasks import Tasks, read_tasks
from seed.dataset import default_data_dir
from web.store import store_holder


def load_tasks(app) -> Tasks:
    tasks = Tasks(Registry(store_holder(app).get()))
    tasks.load(read_tasks(default_data_dir()), by="seed")
    return tasks


@pytest.fixture
def task_app(small_app):
    load_tasks(small_app)
    return small_app


def csrf_of(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def test_the_api_lists_the_23_tasks_with_units_status_and_targets(seeded_client):
    r = seeded_client.get("/api/v1/tasks")
    assert r.status_code == 200
    items = r.get_json()["data"]
    assert [t["number"] for t in items] == list(range(1, 24))
    for t in items:
        assert set(t) >= {"number", "title", "responsible_units", "status", "targets"}
        assert t["status"] == "not_started" and t["lead_unit"] == t["responsible_units"][0]
    assert items[15]["targets"] == [{"id": "tgt-projects-introduced-per-year", "name": "每年引进稀土新材料及应用项目10个以上"}]
    one = seeded_client.get("/api/v1/tasks/19").get_json()["data"]
    assert one["title"] == "大力发展永磁电机产业" and len(one["responsible_units"]) == 8
    assert seeded_client.get("/api/v1/tasks?unit=高新投").get_json()["data"][0]["number"] == 17
    assert seeded_client.get("/api/v1/tasks/99").status_code == 404
    assert seeded_client.get("/api/v1/tasks/x1").status_code == 400
    assert seeded_client.get("/api/v1/tasks?status=bad").status_code == 400


def test_an_editor_sets_a_status_through_the_api_and_a_viewer_cannot(task_app, bearer):
    viewer = bearer(task_app.test_client(), "viewer", "看客")
    r = viewer.patch("/api/v1/tasks/16", json={"version": 1, "status": "in_progress", "note": "x"})
    assert r.status_code == 403
    editor = bearer(task_app.test_client(), "editor", "王招商")
    r = editor.patch("/api/v1/tasks/16", json={"version": 1, "status": "in_progress", "note": "已签约 2 个项目",
                                               "date": "2026-11-20", "reason": "月度调度"})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()["data"]
    assert got["status"] == "in_progress" and got["version"] == 2 and got["notes"][0]["by"] == "王招商"
    stale = editor.patch("/api/v1/tasks/16", json={"version": 1, "status": "done", "note": "x"})
    assert stale.status_code == 409
    assert editor.patch("/api/v1/tasks/16", json={"status": "done", "note": "x"}).status_code == 400
    assert editor.patch("/api/v1/tasks/16", json={"version": 2, "status": "完成", "note": "x"}).status_code == 400
    hist = editor.get("/api/v1/tasks/16").get_json()["data"]["history"]
    assert hist[0]["by"] == "王招商" and hist[0]["why"] == "月度调度"


def test_the_duban_page_lists_every_task_and_unit(seeded_client):
    page = unescape(seeded_client.get("/tasks").get_data(as_text=True))
    for t in read_tasks(default_data_dir()):
        assert f'data-number="{t["number"]}"' in page and t["title"] in page
        assert "、".join(t["responsible_units"]) in re.sub(r"<[^>]+>", "", page)
    assert 'data-unit="赣州高新区经发区"' in page  # task 12 writes it so; kept as written
    only = unescape(seeded_client.get("/tasks?unit=高新投").get_data(as_text=True))
    assert only.count("data-number=") == 1 and 'data-unit="高新投"' in only


def test_the_task_page_form_sets_the_status_and_shows_the_history(task_app, sign_in):
    client = sign_in(task_app.test_client(), "editor", "赵督办")
    page = unescape(client.get("/tasks/1").get_data(as_text=True))
    assert "区科创中心" in page and 'id="task-form"' in page and "每年新增高新技术企业5-10家" in page
    token = csrf_of(client, "/tasks/1")
    r = client.post("/tasks/1/status", data={"csrf_token": token, "version": "1", "status": "late",
                                             "note": "高企认定申报偏少", "date": "2026-11-25"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/tasks/1?saved=1")
    page = unescape(client.get("/tasks/1?saved=1").get_data(as_text=True))
    assert "高企认定申报偏少" in page and "赵督办" in page and "北京时间" in page
    r = client.post("/tasks/1/status", data={"csrf_token": token, "version": "1", "status": "done", "note": "x"})
    assert r.status_code == 409 and "已被他人修改" in unescape(r.get_data(as_text=True))
    late = unescape(client.get("/tasks?status=late").get_data(as_text=True))
    assert late.count("data-number=") == 1


def test_a_viewer_sees_no_form(task_app, sign_in):
    client = sign_in(task_app.test_client(), "viewer", "只读")
    page = client.get("/tasks/2").get_data(as_text=True)
    assert 'id="task-form"' not in page and r"加快科技成果转化" in unescape(page)


def test_the_per_unit_export_is_a_workbook_of_that_units_tasks(seeded_client):
    r = seeded_client.get("/tasks/export.xlsx?unit=区商务局")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "任务", "本单位角色")
    numbers = [row[0] for row in rows[1:]]
    assert numbers[:2] == [16, 17] and set(numbers) == {12, 15, 16, 17, 19}
    assert [row[2] for row in rows[1:3]] == ["牵头", "牵头"]
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert seeded_client.get("/tasks/export.xlsx?unit=不存在的局").status_code == 400
    everything = load_workbook(io.BytesIO(seeded_client.get("/tasks/export.xlsx").data)).worksheets[0]
    assert everything.max_row == 24


def test_a_session_write_to_the_tasks_api_needs_the_form_token(task_app, sign_in):
    client = sign_in(task_app.test_client(), "editor", "钱督办")
    body = {"version": 1, "status": "in_progress", "note": "已调度"}
    r = client.patch("/api/v1/tasks/5", json=body)
    assert r.status_code == 400 and r.get_json()["code"] == "csrf_failed"
    r = client.patch("/api/v1/tasks/5", json=body, headers={"X-CSRFToken": csrf_of(client, "/tasks/5")})
    assert r.status_code == 200 and r.get_json()["data"]["notes"][0]["by"] == "钱督办"
