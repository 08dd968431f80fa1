"""The edit form (optimistic locking, who/why in the change log) and adding / deleting relations.

Every write needs an editor: the tests sign in as one (``small_editor``, named 李四); the "who" of a change is
the signed-in user, a ``by`` field in the form is ignored."""

from __future__ import annotations

import re
from html import unescape

import pytest



def form_tokens(client, entity_id: str) -> dict:
    """The edit page's CSRF token (Flask-WTF's, tied to the client's session cookie) and the record's version."""
    html = client.get(f"/entity/{entity_id}/edit").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    version = int(re.search(r'name="version" value="(\d+)"', html)[1])
    return {"csrf_token": csrf, "version": version}


def enterprise_form(rec: dict, **changes) -> dict:
    base = {k: rec.get(k) or "" for k in ("name", "credit_code", "locality", "location", "size_band", "revenue_band",
                                          "listing_status", "contact_person", "phone", "email", "website", "address",
                                          "description")}
    base["aliases"] = "、".join(rec.get("aliases") or [])
    base["roles"] = rec.get("roles") or []
    base.update(changes)
    return base


def test_edit_form_shows_the_record_and_its_version(small_editor):
    r = small_editor.get("/entity/ent-b/edit")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'value="赣县磁材科技有限公司"' in html and 'name="version" value="1"' in html
    assert 'name="by"' not in html and 'name="why"' in html  # who: the signed-in user, shown, not typed
    assert 'id="f-by">李四<' in html
    assert "session=" in r.headers["Set-Cookie"]  # the token's secret lives in the signed session cookie
    assert html.count('name="csrf_token"') == 4  # the edit form, both relation forms and signing out


def test_edit_saves_and_records_who_and_why(small_app, sign_in, reg):
    small_editor = sign_in(small_app.test_client(), "editor", "李四（招商科）")
    t = form_tokens(small_editor, "ent-b")
    rec = reg.get("ent-b")
    r = small_editor.post("/entity/ent-b/edit", data={
        **enterprise_form(rec, phone="0797-8888888", roles=["specialised", "above_scale"]), **t,
        "by": "冒名者", "why": "企业走访核实"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/entity/ent-b?saved=1")
    after = reg.get("ent-b")
    assert after["phone"] == "0797-8888888" and after["roles"] == ["specialised", "above_scale"] and after["version"] == 2
    change = reg.changes(entity_id="ent-b", limit=1)[0]
    assert change["by"] == "李四（招商科）" and change["why"] == "企业走访核实"
    assert set(change["diff"]) == {"phone", "roles"}
    html = small_editor.get("/entity/ent-b?saved=1").get_data(as_text=True)
    assert "已保存" in html and "企业走访核实" in html


def test_a_stale_version_is_a_409_that_overwrites_nothing(small_editor, reg):
    t = form_tokens(small_editor, "ent-b")
    reg.update("ent-b", {"location": "章贡区"}, version=t["version"], by="王五", why="先改了")
    r = small_editor.post("/entity/ent-b/edit", data={
        **enterprise_form(reg.get("ent-b"), location="南康区"), **t, "by": "李四", "why": "晚了一步"})
    assert r.status_code == 409
    html = unescape(r.get_data(as_text=True))
    assert 'id="conflict"' in html and "已被他人修改（您的版本 1，当前版本 2）" in html
    assert "当前：章贡区" in html and "您填写：南康区" in html
    assert reg.get("ent-b")["location"] == "章贡区"


@pytest.mark.parametrize("changes, message", [
    ({"why": "  "}, "请填写修改理由"),
    ({"why": ""}, "请填写修改理由"),
    ({"credit_code": "123"}, "统一社会信用代码应为18位"),
    ({"name": ""}, "name"),
    ({"locality": "moon"}, "locality"),
])
def test_invalid_edits_are_400_and_change_nothing(small_editor, reg, changes, message):
    t = form_tokens(small_editor, "ent-b")
    data = {**enterprise_form(reg.get("ent-b")), **t, "by": "李四", "why": "测试", **changes}
    r = small_editor.post("/entity/ent-b/edit", data=data)
    assert r.status_code == 400
    assert message in unescape(r.get_data(as_text=True))
    assert reg.get("ent-b")["version"] == 1


@pytest.mark.parametrize("token", [None, "", "0" * 32, "forged.token.value"])
def test_a_form_without_its_token_is_refused(small_editor, reg, token):
    t = form_tokens(small_editor, "ent-b")
    data = {**enterprise_form(reg.get("ent-b"), phone="0797-1111111"), "version": t["version"], "by": "x", "why": "y"}
    if token is not None:
        data["csrf_token"] = token
    r = small_editor.post("/entity/ent-b/edit", data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="error" data-status="400"' in html  # the app's own error page
    assert "表单已失效，请刷新页面后重新提交" in html
    assert reg.get("ent-b")["version"] == 1 and reg.get("ent-b").get("phone") != "0797-1111111"


def test_a_token_from_another_session_is_refused(small_app, sign_in, reg):
    mine, theirs = sign_in(small_app.test_client(), "editor", "甲"), sign_in(small_app.test_client(), "editor", "乙")
    t = form_tokens(theirs, "ent-b")
    form_tokens(mine, "ent-b")  # a session of its own
    r = mine.post("/entity/ent-b/edit", data={**enterprise_form(reg.get("ent-b"), phone="0797-2222222"), **t,
                                              "by": "x", "why": "y"})
    assert r.status_code == 400 and reg.get("ent-b")["version"] == 1


@pytest.mark.parametrize("path, data", [
    ("/entity/ent-c/relations", {"type": "SUPPLIES:in", "other": "ent-b", "by": "李四", "why": "测试"}),
    ("/entity/ent-c/relations/delete", {"relation": "ent-b>SUPPLIES>ent-c", "by": "李四", "why": "测试"}),
])
def test_relation_forms_without_a_token_change_nothing(small_editor, reg, path, data):
    before = reg.changes(limit=1000)
    r = small_editor.post(path, data=data)
    assert r.status_code == 400 and "表单已失效" in r.get_data(as_text=True)
    assert reg.changes(limit=1000) == before
    assert reg.get_relation("ent-b>SUPPLIES>ent-c")


def test_the_refusal_speaks_the_pages_language(small_editor):
    small_editor.get("/?lang=en")
    r = small_editor.post("/entity/ent-b/edit", data={"version": "1"})
    assert r.status_code == 400 and "The form has expired: reload the page and submit again." in r.get_data(as_text=True)


def test_only_enterprises_platforms_and_projects_are_edited_here(small_editor):
    r = small_editor.get("/entity/seg-mag/edit")
    assert r.status_code == 400 and "只能编辑企业、平台和项目" in r.get_data(as_text=True)
    assert small_editor.get("/entity/plat-1/edit").status_code == 200
    assert small_editor.get("/entity/nope/edit").status_code == 404


def test_add_and_delete_a_relation(small_editor, reg):
    t = form_tokens(small_editor, "ent-c")
    r = small_editor.post("/entity/ent-c/relations", data={
        "csrf_token": t["csrf_token"], "type": "SUPPLIES:in", "other": "赣县磁材科技有限公司", "product": "烧结钕铁硼",
        "by": "李四", "why": "企业提供的采购合同"})
    assert r.status_code == 303
    rel = reg.get_relation("ent-b>SUPPLIES>ent-c")
    assert rel["product"] == "烧结钕铁硼"
    # the relation existed (from a document): it is added to, not replaced
    assert rel["sources"][0]["doc"] and rel["sources"][-1]["by"] == "李四" and rel["sources"][-1]["basis"] == "reported"
    r = small_editor.post("/entity/ent-c/relations/delete", data={
        "csrf_token": t["csrf_token"], "relation": "ent-b>SUPPLIES>ent-c", "by": "李四", "why": "合同已终止"})
    assert r.status_code == 303
    with pytest.raises(Exception):
        reg.get_relation("ent-b>SUPPLIES>ent-c")
    change = reg.changes(entity_id="ent-b", limit=1)[0]
    assert change["action"] == "unrelate" and change["why"] == "合同已终止"


@pytest.mark.parametrize("data, message", [
    ({"type": "SUPPLIES:in", "other": "不存在的公司"}, "找不到编号或名称为"),
    ({"type": "SUPPLIES:in", "other": ""}, "请填写对方的编号或全称"),
    ({"type": "BOGUS:out", "other": "ent-b"}, "type: 不支持的关系"),
    ({"type": "CHAIN_LEADER:out", "other": "ent-b"}, "不能从"),
    ({"type": "SUPPLIES:in", "other": "ent-b", "why": ""}, "请填写修改理由"),
])
def test_bad_relations_are_400(small_editor, data, message):
    t = form_tokens(small_editor, "ent-c")
    r = small_editor.post("/entity/ent-c/relations", data={"csrf_token": t["csrf_token"], "by": "李四", "why": "测试", **data})
    assert r.status_code == 400
    assert message in unescape(r.get_data(as_text=True))


def test_deleting_another_records_relation_is_refused(small_editor):
    t = form_tokens(small_editor, "ent-c")
    r = small_editor.post("/entity/ent-c/relations/delete", data={
        "csrf_token": t["csrf_token"], "relation": "ent-a>SUPPLIES>ent-b", "by": "x", "why": "y"})
    assert r.status_code == 400 and "不属于本记录" in unescape(r.get_data(as_text=True))


def test_pages_never_show_stale_analysis_after_a_write(small_editor, reg):
    html = small_editor.get("/chain/seg-h2").get_data(as_text=True)
    assert '本地企业 0 家' in html or "lv none" in html
    rec = reg.get("ent-d")
    reg.update("ent-d", {"locality": "cluster"}, version=rec["version"], by="李四", why="已落户")
    html = small_editor.get("/chain/seg-h2").get_data(as_text=True)
    assert 'class="lv none"' not in html.split('id="segment-name"')[1].split("</h1>")[0]
    data = small_editor.get("/api/v1/chain/seg-h2").get_json()["data"]
    assert data["coverage"]["counts"]["local_enterprises"] == 1
