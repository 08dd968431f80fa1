"""The 招商 pipeline through the API and the pages (issue 13): every stage change, versions, permissions, the
one-click lead from a gap's candidate, the board's filters, the weekly report (page and XLSX)."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from registry.leads import PIPELINE, STAGES
from registry.repository import Registry
from web.store import store_holder


def csrf_of(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


@pytest.fixture
def api(small_app, bearer):
    return bearer(small_app.test_client(), "editor", "王招商")


def new_lead(api, **extra):
    r = api.post("/api/v1/leads", json={"firm": "ent-c", "segment": "seg-motor", "gaps": ["segment:seg-motor"],
                                        "next_step": "寄资料", "due": "2026-12-31", **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["data"]


def test_every_stage_change_through_the_api(api, small_app):
    lead = new_lead(api, park="proj-park", project_name="外地电机赣州项目")
    assert lead["stage"] == "lead" and lead["owner"] == "王招商" and lead["id"] == "lead-1"
    v = 1
    for stage in PIPELINE[1:]:
        r = api.patch(f"/api/v1/leads/{lead['id']}", json={"version": v, "stage": stage, "reason": f"推进到{stage}"})
        assert r.status_code == 200, r.get_json()
        v += 1
        got = r.get_json()["data"]
        assert got["stage"] == stage and got["version"] == v
    reg = Registry(store_holder(small_app).get())
    project = reg.get(got["project"])
    assert project["status"] == "operating" and project["name"] == "外地电机赣州项目"
    hist = api.get(f"/api/v1/leads/{lead['id']}").get_json()["data"]["history"]
    assert [c["diff"]["stage"][1] for c in hist if c["action"] == "update"] == list(reversed(PIPELINE[1:]))
    assert all(c["by"] == "王招商" for c in hist) and hist[0]["why"] == "推进到producing"
    # a signed lead does not go back, nor on hold
    assert api.patch(f"/api/v1/leads/{lead['id']}", json={"version": v, "stage": "negotiating"}).status_code == 400
    assert api.patch(f"/api/v1/leads/{lead['id']}",
                     json={"version": v, "stage": "dropped", "pause_reason": "terms"}).status_code == 400


@pytest.mark.parametrize("stage", ["on_hold", "dropped"])
def test_on_hold_and_dropped_through_the_api_need_a_reason_code(api, stage):
    lead = new_lead(api)
    url = f"/api/v1/leads/{lead['id']}"
    r = api.patch(url, json={"version": 1, "stage": stage})
    assert r.status_code == 400 and r.get_json()["details"][0]["field"] == "pause_reason"
    r = api.patch(url, json={"version": 1, "stage": stage, "pause_reason": "land_policy", "pause_note": "用地指标未落实",
                             "reason": "周调度"})
    got = r.get_json()["data"]
    assert r.status_code == 200 and got["pause_reason"] == "land_policy" and got["pause_note"] == "用地指标未落实"
    assert api.get(url).get_json()["data"]["history"][0]["why"] == "周调度"
    r = api.patch(url, json={"version": 2, "stage": "lead"})
    assert r.status_code == 200 and "pause_reason" not in r.get_json()["data"]


def test_versions_and_bad_input(api):
    lead = new_lead(api)
    url = f"/api/v1/leads/{lead['id']}"
    assert api.patch(url, json={"version": 1, "next_step": "约考察"}).status_code == 200
    r = api.patch(url, json={"version": 1, "stage": "contacted"})
    assert r.status_code == 409 and r.get_json()["code"] == "conflict"
    assert api.patch(url, json={"stage": "contacted"}).status_code == 400
    assert api.patch(url, json={"version": 2, "stage": "won"}).status_code == 400
    assert api.patch(url, json={"version": 2, "owner": "没有此人"}).status_code == 400
    assert api.patch(url, json={"version": 2, "due": "明天"}).status_code == 400
    assert api.get("/api/v1/leads/lead-999").status_code == 404
    assert api.post("/api/v1/leads", json={"firm": "ent-nope"}).status_code == 400
    assert api.post("/api/v1/leads", json={"firm": "ent-c", "colour": "red"}).status_code == 400
    assert api.get("/api/v1/leads?stage=won").status_code == 400


def test_viewers_read_editors_write(small_app, bearer, api):
    lead = new_lead(api)
    viewer = bearer(small_app.test_client(), "viewer", "看客")
    assert viewer.get("/api/v1/leads").get_json()["data"][0]["id"] == lead["id"]
    assert viewer.get(f"/api/v1/leads/{lead['id']}").status_code == 200
    assert viewer.post("/api/v1/leads", json={"firm": "ent-c"}).status_code == 403
    assert viewer.patch(f"/api/v1/leads/{lead['id']}", json={"version": 1, "stage": "contacted"}).status_code == 403
    assert small_app.test_client().post("/api/v1/leads", json={"firm": "ent-c"}).status_code == 401


def test_list_filters(api, small_app, bearer):
    bearer(small_app.test_client(), "editor", "李招商")
    a = new_lead(api)
    b = new_lead(api, firm="ent-d", segment="seg-h2", gaps=[], owner="李招商")
    api.patch(f"/api/v1/leads/{b['id']}", json={"version": 1, "stage": "visit"})
    ids = lambda q: [x["id"] for x in api.get(f"/api/v1/leads{q}").get_json()["data"]]  # noqa: E731
    assert ids("") == [a["id"], b["id"]]
    assert ids("?stage=visit") == [b["id"]] and ids("?owner=王招商") == [a["id"]]
    assert ids("?segment=seg-h2") == [b["id"]] and ids("?gap=segment:seg-motor") == [a["id"]]


def test_one_click_from_a_gap_candidate_and_the_pages(small_app, sign_in):
    client = sign_in(small_app.test_client(), "editor", "王招商")
    li = sign_in(small_app.test_client(), "editor", "李招商")
    token = csrf_of(client, "/leads/new")
    r = client.post("/leads", data={"csrf_token": token, "firm": "ent-c", "segment": "seg-motor",
                                    "gap": "segment:seg-motor", "owner": "李招商"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/leads/lead-1?created=1")
    page = unescape(client.get("/leads/lead-1?created=1").get_data(as_text=True))
    assert "外地电机股份有限公司" in page and "李招商" in page and 'id="lead-form"' in page
    r = client.post("/leads/lead-1", data={"csrf_token": token, "version": "1", "stage": "on_hold", "note": "等预算"})
    assert r.status_code == 400 and "搁置或放弃需要原因" in unescape(r.get_data(as_text=True))
    r = client.post("/leads/lead-1", data={"csrf_token": token, "version": "1", "stage": "contacted",
                                           "note": "首次电话", "owner": "李招商"})
    assert r.status_code == 303
    r = client.post("/leads/lead-1", data={"csrf_token": token, "version": "1", "stage": "visit"})
    assert r.status_code == 409
    mine = unescape(li.get("/leads").get_data(as_text=True))
    assert 'data-lead="lead-1"' in mine
    board = unescape(client.get("/leads/board?segment=seg-motor").get_data(as_text=True))
    assert re.search(r'data-stage="contacted"><h3>已接洽 <span class="count">1</span>', board)
    assert 'data-lead="lead-1"' in unescape(client.get("/leads/board?owner=李招商").get_data(as_text=True))
    assert 'data-lead="lead-1"' not in client.get("/leads/board?owner=王招商").get_data(as_text=True)
    # a firm not yet in the registry, by hand
    r = client.post("/leads", data={"csrf_token": token, "new_firm_name": "宁波新电机有限公司",
                                    "new_firm_locality": "china", "segment": "seg-motor", "owner": "王招商"})
    assert r.status_code == 303
    lead2 = client.get("/api/v1/leads/lead-2").get_json()["data"]
    assert lead2["firm_added"] and lead2["firm_name"] == "宁波新电机有限公司"


def test_the_gap_page_offers_the_button_to_editors_only(seeded_client, seeded_app, sign_in):
    page = seeded_client.get("/gaps/capability:seg-pm-motors").get_data(as_text=True)
    assert "lead-from-gap" not in page


def test_the_weekly_report_page_and_workbook(api, small_app, sign_in):
    a = new_lead(api)
    b = new_lead(api, firm="ent-d", segment="seg-h2", due="2020-01-01")
    api.patch(f"/api/v1/leads/{a['id']}", json={"version": 1, "stage": "contacted"})
    client = sign_in(small_app.test_client(), "viewer", "只读")
    page = unescape(client.get("/leads/weekly").get_data(as_text=True))
    for lead_id in (a["id"], b["id"]):
        assert f'data-lead="{lead_id}"' in page
    assert "北京时间" in page and "线索 → 已接洽" in re.sub(r"<[^>]+>", "", page)
    r = client.get("/leads/weekly.xlsx")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(r.data)).worksheets[0].iter_rows(values_only=True))
    sections = [row[0] for row in rows[1:]]
    assert sections.count("按阶段") == len(STAGES) and "本周新增" in sections and "本周推进" in sections
    assert "逾期未办" in sections
    data = client.get("/api/v1/leads/weekly").get_json()["data"]
    assert data["by_stage"]["contacted"] == 1 and [x["id"] for x in data["overdue"]] == [b["id"]]


def test_from_a_search_result_to_the_prefilled_form(small_app, sign_in):
    client = sign_in(small_app.test_client(), "editor", "王招商")
    page = unescape(client.get("/search?q=外地电机").get_data(as_text=True))
    assert 'href="/leads/new?firm=ent-c"' in page
    form = unescape(client.get("/leads/new?firm=ent-c").get_data(as_text=True))
    assert 'id="lead-firm-name"' in form and "外地电机股份有限公司" in form
    viewer = sign_in(small_app.test_client(), "viewer", "看客")
    assert "lead-from-search" not in viewer.get("/search?q=外地电机").get_data(as_text=True)
