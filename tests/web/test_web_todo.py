"""The data to-do list page, its JSON and who may read it (issue 10); targets the registry cannot measure read
无法测算 in grey on every page that shows targets, with the data they need and a link to the list (issue 11)."""

from __future__ import annotations

import io
import re

import pytest

from registry.repository import Registry
from registry.messages import label
from web.store import store_holder

SCALE = "tgt-2026-above-scale-enterprises"
THREE = {"ent-zhongke-sanhuan": "中科三环", "ent-yueci-tech": "粤磁科技", "ent-hanqu-intelligent": "汉驱智能"}


def data(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    body = resp.get_json()
    assert body["ok"] is True
    return body["data"]


def rows_of(html: str, code: str) -> str:
    m = re.search(rf'<section class="todo-group" id="todo-{code}".*?</section>', html, re.S)
    assert m, code
    return m.group(0)


def test_page_lists_each_group_with_counts_and_fixes(seeded_client):
    html = seeded_client.get("/todo").get_data(as_text=True)
    assert "<h1>待补数据清单" in html
    api = data(seeded_client.get("/api/v1/todo"))
    for g in api["groups"]:
        assert f'data-code="{g["code"]}"><b>{g["count"]}</b>' in html
    seg = rows_of(html, "segment_missing")
    for ent_id, name in THREE.items():
        assert f'data-id="{ent_id}"' in seg and name in seg
        assert f'href="/entity/{ent_id}/edit#relation-add"' in seg
    # local firms first: the three come before any firm outside the cluster
    ids = re.findall(r'<tr data-id="([^"]+)"', seg)
    local = [i for i, x in enumerate(api["groups"][0]["items"]) if x["local"]]
    assert local == list(range(len(local))) and set(THREE) <= {ids[i] for i in local}
    tgt = rows_of(html, "target_unmeasurable")
    assert f'data-id="{SCALE}"' in tgt and 'href="/import?kind=enterprise"' in tgt and "规上" in tgt
    assert "无法测算：登记册缺少测算所需的数据，并不表示未达到。" in tgt
    empty = rows_of(html, "segment_empty")
    assert 'href="/import?kind=enterprise"' in empty
    cc = rows_of(html, "credit_code_missing")
    assert 'href="/entity/ent-zhongke-sanhuan/edit#f-credit_code"' in cc
    # the nav links to the page
    assert 'href="/todo" class="on"' in html


def test_api_items_carry_code_record_fields_use_clauses_and_fix(seeded_client):
    t = data(seeded_client.get("/api/v1/todo"))
    assert [g["code"] for g in t["groups"]] == ["segment_missing", "locality_missing", "target_unmeasurable",
                                                "segment_empty", "credit_code_missing", "location_missing",
                                                "relation_implied"]
    assert t["total"] == sum(t["counts"].values()) == sum(len(g["items"]) for g in t["groups"])
    first = {x["id"]: x for x in t["groups"][0]["items"]}
    z = first["ent-zhongke-sanhuan"]
    assert (z["kind"], z["locality"], z["local"], z["fields"]) == ("enterprise", "cluster", True, ["segment"])
    assert z["needed_for"] == ["coverage", "segment_gaps", "candidates"]
    assert z["fix"] == {"action": "edit", "id": "ent-zhongke-sanhuan", "kind": "enterprise", "field": "segment"}
    assert z["fix_url"] == "/entity/ent-zhongke-sanhuan/edit#relation-add"
    assert z["clauses"][0]["doc"].startswith("001_") and "中科三环" in z["clauses"][0]["quote"]
    assert z["reason_zh"].startswith("中科三环（集群内）未登记所属产业链环节")
    assert "has no chain segment" in z["reason_en"]
    scale = next(x for x in t["groups"][2]["items"] if x["id"] == SCALE)
    assert scale["needs"] == {"kind": "enterprise", "field": "roles", "values": ["above_scale"]}
    assert scale["fix"]["action"] == "import" and scale["fix_url"] == "/import?kind=enterprise"


@pytest.mark.parametrize("path", ["/todo", "/api/v1/todo"])
def test_who_may_read(app_factory, sign_in, path):
    """Open reading: anyone reads. Closed reading: a viewer reads, a visitor is sent to sign in (401 for the API)."""
    app = app_factory(READ_OPEN=False)
    anon = app.test_client()
    got = anon.get(path)
    assert got.status_code == (401 if path.startswith("/api/") else 303)
    viewer = sign_in(app.test_client(), "viewer", "看客")
    assert viewer.get(path).status_code == 200
    assert app_factory(READ_OPEN=True).test_client().get(path).status_code == 200


def test_the_list_takes_no_writes(seeded_client):
    for path in ("/todo", "/api/v1/todo"):
        assert seeded_client.post(path).status_code in (401, 403, 405)


# --- targets on every page that shows them (issue 11) ---
def _scale_row(html: str) -> str:
    m = re.search(rf'<tr><td><a href="/entity/{SCALE}">.*?</tr>', html, re.S)
    assert m, "the 规上 target is not listed"
    return m.group(0)


def test_home_shows_unmeasurable_targets_grey_with_needs_and_link(seeded_client):
    html = seeded_client.get("/").get_data(as_text=True)
    row = _scale_row(html)
    assert '<span class="st unmeasurable" data-status="unmeasurable">无法测算</span>' in row
    assert "未达到" not in row and "<meter" not in row
    assert "需要：登记册中没有任何企业标注“规上”" in row
    assert 'href="/todo#todo-target_unmeasurable"' in row
    assert re.search(r'id="targets-summary">已达到 0 · 未达到 0 · 无法测算 \d+ · 未知 1<', html)


def test_gap_report_and_target_page_show_unmeasurable(seeded_client):
    html = seeded_client.get("/gaps").get_data(as_text=True)
    table = html[html.index('id="target-table"'):]
    row = _scale_row(table)
    assert 'data-status="unmeasurable">无法测算' in row and "未达到" not in row
    assert 'href="/todo#todo-target_unmeasurable"' in row
    page = seeded_client.get(f"/entity/{SCALE}").get_data(as_text=True)
    card = page[page.index('id="progress"'):page.index("</table>", page.index('id="progress"'))]
    assert 'data-status="unmeasurable">无法测算' in card and "未达到" not in card
    en = seeded_client.get(f"/entity/{SCALE}?lang=en").get_data(as_text=True)
    assert "cannot be measured" in en


def test_api_targets_say_unmeasurable_with_needs(seeded_client):
    rows = {r["id"]: r for r in data(seeded_client.get("/api/v1/targets"))}
    r = rows[SCALE]
    assert (r["status"], r["status_zh"], r["status_en"], r["current"]) == \
        ("unmeasurable", "无法测算", "cannot be measured", None)
    assert r["needs"] == {"kind": "enterprise", "field": "roles", "values": ["above_scale"]}
    assert r["needed_data_zh"].startswith("登记册中没有任何企业标注“规上”")
    assert not [x["id"] for x in rows.values() if x["status"] == "behind" and x["measurability"] != "measured"
                and x["rule"] != "about_segments"]


@pytest.fixture
def seeded_writable(app):
    """The seed dataset in the ``app`` fixture's own graph, which the test may write to."""
    from seed.loader import load_seed

    with app.app_context():
        load_seed(Registry(store_holder(app).get()))
    return app


def test_tagging_one_firm_above_scale_makes_the_target_measurable(seeded_writable, sign_in, bearer):
    client = bearer(sign_in(seeded_writable.test_client(), "editor", "王五"), "editor", "王五的脚本")
    assert data(client.get("/api/v1/targets"))[0]  # warm the snapshot
    before = {x["id"] for x in data(client.get("/api/v1/todo"))["groups"][2]["items"]}
    assert SCALE in before
    firm = data(client.get("/api/v1/entities/ent-youli-tech"))
    got = client.patch("/api/v1/entities/ent-youli-tech",
                       json={"version": firm["version"], "roles": [*firm.get("roles", []), "above_scale"],
                             "reason": "区工信局名单：规上企业"})
    assert got.status_code == 200, got.get_data(as_text=True)
    r = next(x for x in data(client.get("/api/v1/targets")) if x["id"] == SCALE)
    assert (r["measurability"], r["status"], r["current"], r["value"], r["shortfall"]) == \
        ("measured", "behind", 1, 50, 49)
    assert [c["id"] for c in r["counted"]] == ["ent-youli-tech"]
    after = {x["id"] for x in data(client.get("/api/v1/todo"))["groups"][2]["items"]}
    assert after == before - {SCALE}
    html = client.get("/").get_data(as_text=True)
    row = _scale_row(html)
    assert '<span class="st behind" data-status="behind">未达到</span>' in row
    assert '<meter class="target-bar" min="0" max="50.0" value="1"' in row


# --- the whole list as a pre-filled import workbook, completed in Excel and imported back ---
def _sheet_rows(ws) -> list[dict]:
    head = [c.value for c in ws[1]]
    return [dict(zip(head, r)) for r in ws.iter_rows(min_row=3, values_only=True)]


def test_export_is_one_prefilled_import_workbook(seeded_client):
    from openpyxl import load_workbook

    got = seeded_client.get("/todo/export.xlsx")
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    cd = got.headers["Content-Disposition"]
    assert cd.startswith('attachment; filename="data_todo_import_template_') and "filename*=UTF-8''" in cd
    wb = load_workbook(io.BytesIO(got.data))
    assert wb.sheetnames[:3] == ["企业", "关系", "说明"]
    firms = _sheet_rows(wb["企业"])
    assert firms[0]["集群内外"] == "集群内"  # local firms first
    assert [f["集群内外"] for f in firms].index(label("locality", "unknown")) > max(i for i, f in enumerate(firms) if f["集群内外"] == "集群内")
    by_id = {f["编号"]: f for f in firms}
    assert set(THREE) <= set(by_id) and by_id["ent-zhongke-sanhuan"]["名称"] == "中科三环"
    rels = _sheet_rows(wb["关系"])
    assert any((r["关系类型"], r["来源"], r["目标"]) == ("所属环节", "中科三环", None) for r in rels)
    assert any(r["来源"] is None and r["目标"] == "稀土储氢材料" for r in rels)  # a segment with no firm
    page = seeded_client.get("/todo").get_data(as_text=True)
    assert 'id="todo-export" href="/todo/export.xlsx"' in page


def test_completed_export_imports_back(seeded_writable, sign_in):
    """Staff tag one firm 规上 and give 中科三环 its segment in the exported workbook; the import applies exactly
    that, and the 规上 target becomes measurable (1/50)."""
    from openpyxl import load_workbook

    from registry import tabular
    from registry.importer import apply_import, plan_import

    client = sign_in(seeded_writable.test_client(), "viewer", "看客")
    wb = load_workbook(io.BytesIO(client.get("/todo/export.xlsx").data))
    head = {c.value: c.column for c in wb["企业"][1]}
    for row in wb["企业"].iter_rows(min_row=3):
        if row[head["编号"] - 1].value == "ent-youli-tech":
            cell = row[head["角色"] - 1]
            cell.value = "、".join(x for x in (cell.value, "规上") if x)
    rhead = {c.value: c.column for c in wb["关系"][1]}
    for row in wb["关系"].iter_rows(min_row=3):
        if row[rhead["来源"] - 1].value == "中科三环" and row[rhead["关系类型"] - 1].value == "所属环节":
            row[rhead["目标"] - 1].value = "稀土永磁材料"
    buf = io.BytesIO()
    wb.save(buf)
    reg = Registry(store_holder(seeded_writable).get())
    with seeded_writable.app_context():
        plan = plan_import(reg, tabular.read_file(buf.getvalue(), "待补数据.xlsx"), file="待补数据.xlsx", by="王五")
        assert plan.counts["changed"] == 1 and plan.counts["created"] == 1  # the role; the membership
        assert plan.counts["rejected_rows"] > 0  # the rows left blank are refused, never guessed
        apply_import(reg, plan, by="王五", why="补全待补数据", skip_invalid=True)
    rows = {r["id"]: r for r in data(client.get("/api/v1/targets"))}
    assert (rows[SCALE]["status"], rows[SCALE]["current"]) == ("behind", 1)
    todo = data(client.get("/api/v1/todo"))
    assert "ent-zhongke-sanhuan" not in {x["id"] for x in todo["groups"][0]["items"]}
