"""Spreadsheet import on the web (issue 10): real files made with registry.tabular's templates and openpyxl (and
a GBK CSV as a Chinese Excel saves it), uploaded through the test client, previewed in the background,
applied, shown as a change set and undone, on the real embedded store."""

from __future__ import annotations

import io
import re

from markupsafe import escape
import time
from html import unescape
from pathlib import Path

import pytest
from openpyxl import load_workbook

from registry import tabular
from registry.repository import Registry
from web.store import store_holder

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client, path: str = "/import") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True))[1]


def filled(rows: list[dict], kind: str = "enterprise") -> bytes:
    """The kind's template with ``rows`` (header -> value) written from row 3 on (row 2 is the example)."""
    buf = io.BytesIO()
    tabular.write_template(kind, buf)
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    ws = wb[wb.sheetnames[0]]
    headers = [c.value for c in ws[1]]
    for i, row in enumerate(rows):
        for header, value in row.items():
            ws.cell(row=3 + i, column=headers.index(header) + 1, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "企业名录.xlsx", **form):
    body = {"file": (io.BytesIO(data), name), "csrf_token": csrf_of(client), **form}
    return client.post("/import", data=body, content_type="multipart/form-data")


def raw_upload(client, data: bytes, name: str):
    """An upload whose body is built here as bytes (for big files: the test client would spool its own body to a
    temporary file that it never closes)."""
    from urllib.parse import quote

    boundary = "xijin-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf_of(client)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''{quote(name)}\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def token_of(resp) -> str:
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    return resp.headers["Location"].rstrip("/").split("/")[-1]


def finished(client, token: str, seconds: float = 60) -> dict:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = client.get(f"/import/{token}/status.json").get_json()
        if s["status"] != "running":
            return s
        time.sleep(0.05)
    raise AssertionError("the import job did not finish")


def page(client, token: str) -> tuple[int, str]:
    finished(client, token)
    r = client.get(f"/import/{token}")
    return r.status_code, unescape(r.get_data(as_text=True))


def stat(html: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}"><b>(\d+)</b>', html)[1])


def apply(client, token: str, **form):
    return client.post(f"/import/{token}/apply", data={"csrf_token": csrf_of(client, f"/import/{token}"), **form})


def registry_of(app) -> Registry:
    return Registry(store_holder(app).get())


FIRMS = [{"名称": f"赣州测试磁材{i:02d}有限公司", "集群内外": "集群内", "所在地": "赣县区"} for i in range(1, 9)]
BAD = [{"名称": "信用代码错误有限公司", "统一社会信用代码": "91360700MA35XJ0T0X"},   # wrong check digit
       {"名称": "集群内外写错有限公司", "集群内外": "火星"}]


# ---------------------------------------------------------------- the import page
def test_the_page_offers_templates_the_form_and_the_rules(small_editor):
    r = small_editor.get("/import")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 200
    for kind in ("all", "enterprise", "platform", "project", "relation"):
        assert f'href="/import/template/{kind}.xlsx"' in html
    assert 'id="upload-form"' in html and 'enctype="multipart/form-data"' in html
    assert "统一社会信用代码" in html and "空白单元格不会清除" in html and "全部成功才写入" in html
    assert 'id="nav-import"' in html


def test_a_viewer_sees_the_page_and_templates_but_no_upload_form(small_app, sign_in):
    viewer = sign_in(small_app.test_client(), "viewer", "看客")
    html = unescape(viewer.get("/import").get_data(as_text=True))
    assert 'id="upload-forbidden"' in html and 'id="upload-form"' not in html
    assert viewer.get("/import/template/enterprise.xlsx").status_code == 200


@pytest.mark.parametrize("name, zh", [("enterprise", "企业"), ("relation", "关系"), ("all", "全部")])
def test_templates_download_with_a_chinese_file_name(small_editor, name, zh):
    r = small_editor.get(f"/import/template/{name}.xlsx")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    cd = r.headers["Content-Disposition"]
    assert f'filename="xijin-import-template-{name}.xlsx"' in cd
    from urllib.parse import quote
    assert "filename*=UTF-8''" + quote(f"稀金图谱导入模板_{zh}.xlsx", safe="") in cd
    wb = load_workbook(io.BytesIO(r.data))
    assert "说明" in wb.sheetnames
    if name == "all":
        assert {"企业", "平台", "项目"} <= set(wb.sheetnames)


def test_an_unknown_template_is_404_with_words(small_editor):
    r = small_editor.get("/import/template/..%2f..%2fetc.xlsx")
    assert r.status_code == 404
    r = small_editor.get("/import/template/firms.xlsx")
    assert r.status_code == 404 and "没有" in unescape(r.get_data(as_text=True))


# ---------------------------------------------------------------- preview, skip, apply, change set, undo
def test_preview_counts_rejected_rows_skip_apply_and_the_change_set(small_app, sign_in):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    rows = FIRMS[:4] + [BAD[0]] + FIRMS[4:] + [BAD[1], {"名称": "磁材科技", "所在地": "南康区"}]
    token = token_of(upload(editor, filled(rows)))
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    status, html = page(editor, token)
    assert status == 200
    assert (stat(html, "created"), stat(html, "changed"), stat(html, "unchanged"), stat(html, "rejected")) == (8, 1, 0, 2)
    # rejected rows as the spreadsheet numbers them: header row 1, example row 2, data from row 3
    rejected = re.search(r'<table id="rejected">.*?</table>', html, re.S)[0]
    assert re.search(r"<td>企业</td><td class=\"num\">7</td><td>统一社会信用代码</td>", rejected)
    assert re.search(r"<td>企业</td><td class=\"num\">12</td><td>集群内外</td><td class=\"value\">火星</td>", rejected)
    # the change, field by field, with the catalogue's field names
    changed = re.search(r'<table id="changed".*?</table>', html, re.S)[0]
    assert "赣县磁材科技有限公司" in changed and "所在地" in changed and "<del>赣县区</del> → <ins>南康区</ins>" in changed
    assert "跳过 2 行" in html and 'id="f-skip"' in html

    # without ticking skip: refused, nothing written
    reg = registry_of(small_app)
    before = len(reg.changes(limit=10000))
    r = apply(editor, token, why="区工信局名录")
    assert r.status_code == 400 and "跳过" in unescape(r.get_data(as_text=True))
    # without a reason: refused
    r = apply(editor, token, skip_invalid="1", why="  ")
    assert r.status_code == 400 and "理由" in unescape(r.get_data(as_text=True))
    assert len(reg.changes(limit=10000)) == before

    r = apply(editor, token, skip_invalid="1", why="区工信局名录")
    assert r.status_code == 303
    status, html = page(editor, token)
    assert 'id="import-done"' in html, html[:3000]
    set_id = re.search(r'href="/import/set/([0-9a-f]{32})"', html)[1]
    assert reg.get("ent-b")["location"] == "南康区"
    names = {n["name"] for n in reg.export_graph()[0]}
    assert {r["名称"] for r in FIRMS} <= names and not {r["名称"] for r in BAD} & names
    head = reg.change_page(action="import")["items"][0]
    assert (head["by"], head["why"], head["created"], head["changed"], head["rejected"]) == ("编辑甲", "区工信局名录", 8, 1, 2)

    r = editor.get(f"/import/set/{set_id}")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 200
    assert "编辑甲" in html and "区工信局名录" in html and "北京时间" in html and "企业名录.xlsx" in html
    assert html.count("<del>赣县区</del> → <ins>南康区</ins>") == 1
    assert 'id="undo-form"' not in html  # an editor cannot undo
    # the recent imports on /import link to it
    assert f"/import/set/{set_id}" in editor.get("/import").get_data(as_text=True)
    # the home page's recent changes show the import as one line linking the set, not a line per record
    home = re.search(r'<table id="changes">.*?</table>', unescape(editor.get("/").get_data(as_text=True)), re.S)[0]
    assert home.count(f'href="/import/set/{set_id}"') == 1 and "区工信局名录" in home
    items = reg.change_page(action="import_item", per_page=100)["items"]
    assert len(items) == 9 and not any(escape(c["summary"]) in home for c in items)


def test_undo_restores_and_only_an_admin_may(small_app, sign_in):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    reg = registry_of(small_app)
    nodes_before, rels_before = reg.export_graph()
    token = token_of(upload(editor, filled(FIRMS[:3] + [{"名称": "磁材科技", "所在地": "南康区"}])))
    page(editor, token)
    assert apply(editor, token, why="导入").status_code == 303
    _, html = page(editor, token)
    set_id = re.search(r'href="/import/set/([0-9a-f]{32})"', html)[1]
    assert reg.get("ent-b")["location"] == "南康区"

    r = editor.post(f"/import/set/{set_id}/undo", data={"csrf_token": csrf_of(editor), "why": "导错了"})
    assert r.status_code == 403
    admin = sign_in(small_app.test_client(), "admin", "管理员")
    html = admin.get(f"/import/set/{set_id}").get_data(as_text=True)
    assert 'id="undo-form"' in html
    r = admin.post(f"/import/set/{set_id}/undo", data={"csrf_token": csrf_of(admin), "why": ""})
    assert r.status_code == 400 and "理由" in unescape(r.get_data(as_text=True))
    r = admin.post(f"/import/set/{set_id}/undo", data={"csrf_token": csrf_of(admin), "why": "导错了"})
    assert r.status_code == 303
    end = time.monotonic() + 60
    while admin.get(f"/import/set/{set_id}/status.json").get_json()["status"] == "running" and time.monotonic() < end:
        time.sleep(0.05)
    html = unescape(admin.get(f"/import/set/{set_id}").get_data(as_text=True))
    assert 'id="undo-done"' in html and "删除 3 条" in html and "恢复 1 条" in html
    assert "已于" in html and "管理员" in html and 'id="undo-form"' not in html
    nodes_after, rels_after = reg.export_graph()
    assert {n["id"] for n in nodes_after} == {n["id"] for n in nodes_before}
    assert reg.get("ent-b")["location"] == "赣县区"


def test_an_undo_refused_because_a_record_changed_since_names_it_and_changes_nothing(small_app, sign_in, bearer):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    reg = registry_of(small_app)
    token = token_of(upload(editor, filled([{"名称": "磁材科技", "所在地": "南康区"}])))
    page(editor, token)
    apply(editor, token, why="导入")
    _, html = page(editor, token)
    set_id = re.search(r'href="/import/set/([0-9a-f]{32})"', html)[1]
    api = bearer(small_app.test_client(), "editor", "脚本")
    v = reg.get("ent-b")["version"]
    assert api.patch("/api/v1/entities/ent-b", json={"version": v, "location": "章贡区", "reason": "更正"}).status_code == 200
    admin = sign_in(small_app.test_client(), "admin", "管理员")
    admin.post(f"/import/set/{set_id}/undo", data={"csrf_token": csrf_of(admin), "why": "撤销"})
    end = time.monotonic() + 60
    while admin.get(f"/import/set/{set_id}/status.json").get_json()["status"] == "running" and time.monotonic() < end:
        time.sleep(0.05)
    html = unescape(admin.get(f"/import/set/{set_id}").get_data(as_text=True))
    assert 'id="undo-error"' in html and "ent-b" in html and "未作任何更改" in html
    assert reg.get("ent-b")["location"] == "章贡区"


def test_a_store_changed_since_the_preview_is_a_conflict_offering_a_new_preview(small_app, sign_in, bearer):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    reg = registry_of(small_app)
    token = token_of(upload(editor, filled([{"名称": "磁材科技", "所在地": "南康区"}] + FIRMS[:2])))
    page(editor, token)
    api = bearer(small_app.test_client(), "editor", "脚本")
    v = reg.get("ent-b")["version"]
    assert api.patch("/api/v1/entities/ent-b", json={"version": v, "location": "章贡区", "reason": "更正"}).status_code == 200
    n = len(reg.changes(limit=10000))
    assert apply(editor, token, why="导入").status_code == 303
    status, html = page(editor, token)
    assert status == 409 and 'id="apply-error"' in html and "ent-b" in html and 'id="preview-again"' in html
    assert len(reg.changes(limit=10000)) == n and reg.get("ent-b")["location"] == "章贡区"
    r = editor.post(f"/import/{token}/again", data={"csrf_token": csrf_of(editor, f"/import/{token}")})
    assert r.status_code == 303
    status, html = page(editor, token)
    assert status == 200 and "<del>章贡区</del> → <ins>南康区</ins>" in html


def test_a_possible_duplicate_is_held_and_the_users_choice_replans(small_app, sign_in):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    reg = registry_of(small_app)
    token = token_of(upload(editor, filled([{"名称": "赣州示范冶炼分离股份有限公司", "所在地": "龙南市"}])))
    _, html = page(editor, token)
    assert stat(html, "near") == 1 and stat(html, "created") == 0
    near = re.search(r'<table id="near">.*?</table>', html, re.S)[0]
    assert "赣州示范冶炼分离有限公司" in near and 'value="ent-a"' in near and 'value="new"' in near
    key = re.search(r'name="decide:([^"]+)" value="ent-a"', near)[1]
    assert key == "企业:3"
    r = editor.post(f"/import/{token}/decide", data={"csrf_token": csrf_of(editor, f"/import/{token}"),
                                                     f"decide:{key}": "ent-a"})
    assert r.status_code == 303
    _, html = page(editor, token)
    assert stat(html, "near") == 0 and stat(html, "changed") == 1 and "<ins>龙南市</ins>" in html
    apply(editor, token, why="确认同一家")
    page(editor, token)
    assert reg.get("ent-a")["location"] == "龙南市"


def test_a_possible_duplicate_confirmed_as_new_is_created(small_app, sign_in):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    token = token_of(upload(editor, filled([{"名称": "赣州示范冶炼分离股份有限公司", "集群内外": "集群内"}])))
    page(editor, token)
    editor.post(f"/import/{token}/decide", data={"csrf_token": csrf_of(editor, f"/import/{token}"), "decide:企业:3": "new"})
    _, html = page(editor, token)
    assert stat(html, "near") == 0 and stat(html, "created") == 1 and 'id="f-skip"' not in html
    assert "跳过" not in re.search(r'id="apply-button">([^<]*)<', html)[1]


def test_the_pages_speak_english_when_asked(small_editor):
    html = unescape(small_editor.get("/import?lang=en").get_data(as_text=True))
    assert "Spreadsheet import" in html and "Blank cells never erase" in html and "Upload and preview" in html
    token = token_of(upload(small_editor, filled(FIRMS[:1] + BAD[1:])))
    _, html = page(small_editor, token)
    assert "Rejected rows (1)" in html and "is not an allowed value" in html and "Skip the 1 rejected" in html
    assert "Apply (write 1, skip 1 rows)" in html


def test_a_gbk_csv_as_chinese_excel_saves_it(small_editor, small_app):
    text = "名称,集群内外,所在地\r\n赣州甲乙稀土有限公司,集群内,赣县区\r\n赣州丙丁磁业有限公司,集群内,信丰县\r\n"
    token = token_of(upload(small_editor, text.encode("gbk"), "企业名录.csv", kind="enterprise"))
    status, html = page(small_editor, token)
    assert status == 200 and stat(html, "created") == 2, re.sub(r"<[^>]+>", " ", html)[-2500:]
    assert "赣州甲乙稀土有限公司" in html


def test_the_preview_report_has_four_sheets(small_editor):
    token = token_of(upload(small_editor, filled(FIRMS[:2] + BAD[:1] + [{"名称": "磁材科技", "所在地": "南康区"},
                                                                         {"名称": "外地电机股份有限公司"}])))
    page(small_editor, token)
    r = small_editor.get(f"/import/{token}/report.xlsx")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["新建", "修改", "未变", "无效"]
    assert wb["新建"].max_row == 3 and wb["未变"].max_row == 2
    assert [c.value for c in wb["修改"][2]][-3:] == ["所在地", "赣县区", "南康区"]
    assert wb["无效"][2][1].value == 5 and wb["无效"][2][2].value == "统一社会信用代码"


def test_a_file_that_cannot_be_read_says_why(small_editor):
    token = token_of(upload(small_editor, b"PK\x03\x04 not really a workbook", "坏文件.xlsx"))
    status, html = page(small_editor, token)
    assert status == 400 and 'id="read-error"' in html and "坏文件.xlsx" in html


def test_an_old_excel_file_is_refused_at_once_with_what_to_do(small_editor):
    r = upload(small_editor, b"\xd0\xcf\x11\xe0 old excel", "名录.xls")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and 'id="upload-error"' in html and ".xls" in html


# ---------------------------------------------------------------- who may, forged posts, hostile files
def test_a_viewer_cannot_upload_or_apply_and_nobody_signed_in_is_sent_to_sign_in(small_app, sign_in):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    token = token_of(upload(editor, filled(FIRMS[:1])))
    page(editor, token)
    viewer = sign_in(small_app.test_client(), "viewer", "看客")
    t = csrf_of(viewer)
    r = viewer.post("/import", data={"csrf_token": t, "file": (io.BytesIO(filled(FIRMS[:1])), "a.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 403
    for path in (f"/import/{token}/apply", f"/import/{token}/decide", f"/import/{token}/again"):
        assert viewer.post(path, data={"csrf_token": t, "why": "x", "skip_invalid": "1"}).status_code == 403
    assert viewer.get(f"/import/{token}").status_code == 403
    nobody = small_app.test_client()
    r = nobody.post("/import", data={"file": (io.BytesIO(b"x"), "a.csv")}, content_type="multipart/form-data")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    # another editor cannot see or apply this upload
    other = sign_in(small_app.test_client(), "editor", "编辑乙")
    assert other.get(f"/import/{token}").status_code == 404
    assert other.post(f"/import/{token}/apply", data={"csrf_token": csrf_of(other), "why": "x"}).status_code == 404
    assert registry_of(small_app).change_page(action="import")["total"] == 0


def test_an_upload_and_an_apply_need_the_form_token(small_app, sign_in):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    r = editor.post("/import", data={"file": (io.BytesIO(filled(FIRMS[:1])), "a.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "imports" not in {p.name for p in Path(small_app.instance_path).iterdir()}
    token = token_of(upload(editor, filled(FIRMS[:1])))
    page(editor, token)
    r = editor.post(f"/import/{token}/apply", data={"why": "x"})
    assert r.status_code == 400
    assert registry_of(small_app).change_page(action="import")["total"] == 0


def test_a_too_big_upload_is_refused_in_words(small_app, sign_in):
    from registry.tabular import MAX_BYTES

    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    # just over the file limit but within the body limit: the view refuses it
    r = raw_upload(editor, b"a" * (MAX_BYTES + 10), "大文件.csv")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and "文件过大" in html and "50 MB" in html
    # a body over the limit: refused before it is read, with the same words (not a bare 413 page)
    r = raw_upload(editor, b"a" * (MAX_BYTES + 2 * 1024 * 1024), "更大.csv")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 413 and "文件过大" in html and "50 MB" in html
    assert not list((Path(small_app.instance_path) / "imports").glob("*.csv"))


@pytest.mark.parametrize("name", ["../../../../etc/passwd.csv", "..\\..\\windows\\win.ini.csv",
                                  "企业" * 200 + ".csv", "赣州<script>alert(1)</script>名录.csv",
                                  "\u202egpj.csv", "名录.csv\x00.exe"])
def test_hostile_file_names_are_shown_safely_and_never_used_as_paths(small_app, sign_in, name):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    body = "名称,集群内外\r\n赣州戊己稀土有限公司,集群内\r\n".encode("utf-8-sig")
    r = upload(editor, body, name, kind="enterprise")
    if r.status_code == 400:  # a name whose extension is not .csv after cleaning: refused in words
        assert "CSV" in unescape(r.get_data(as_text=True))
        return
    token = token_of(r)
    status, html = page(editor, token)
    assert status == 200 and stat(html, "created") == 1
    raw = editor.get(f"/import/{token}").get_data(as_text=True)
    assert "<script>alert(1)" not in raw
    folder = Path(small_app.instance_path) / "imports"
    assert sorted(p.name for p in folder.iterdir()) == [f"{token}.csv", f"{token}.json"]
    shown = re.search(r'id="file-name">([^<]*)<', raw)[1]
    assert len(unescape(shown)) <= 121 and "/" not in shown and "\\" not in shown
    assert not Path("/etc/passwd.csv").exists()


def test_someone_elses_or_a_malformed_token_is_not_found(small_editor):
    assert small_editor.get("/import/../../etc/passwd").status_code == 404
    assert small_editor.get("/import/" + "0" * 32).status_code == 404
    assert small_editor.get("/import/set/" + "0" * 32).status_code == 404
    assert small_editor.get("/import/set/zzz").status_code == 404


# ---------------------------------------------------------------- the JSON API and the admin change log
def test_the_api_answers_as_the_cli_does(small_app, bearer):
    api = bearer(small_app.test_client(), "editor", "脚本")
    data = filled(FIRMS[:3] + BAD[:1])
    r = api.post("/api/v1/import", data={"file": (io.BytesIO(data), "名录.xlsx"), "reason": "脚本导入"},
                 content_type="multipart/form-data")
    body = r.get_json()
    assert r.status_code == 422 and body["applied"] is False and body["created"] == 3
    assert body["rejected"][0]["row"] == 6 and body["rejected"][0]["column"] == "统一社会信用代码"
    r = api.post("/api/v1/import", data={"file": (io.BytesIO(data), "名录.xlsx"), "dry_run": "1"},
                 content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json()["applied"] is False
    r = api.post("/api/v1/import", data={"file": (io.BytesIO(data), "名录.xlsx"), "reason": "脚本导入",
                                         "skip_invalid": "1"}, content_type="multipart/form-data")
    body = r.get_json()
    assert r.status_code == 200 and body["applied"] is True and body["created"] == 3
    assert set(body) >= {"created", "changed", "unchanged", "rejected", "applied"}
    head = registry_of(small_app).change_page(action="import")["items"][0]
    assert head["by"] == "脚本" and head["why"] == "脚本导入"


def test_the_api_refuses_a_viewer_and_nobody(small_app, bearer):
    r = small_app.test_client().post("/api/v1/import", data={"file": (io.BytesIO(b"x"), "a.csv")},
                                     content_type="multipart/form-data")
    assert r.status_code == 401 and r.get_json()["ok"] is False
    viewer = bearer(small_app.test_client(), "viewer", "只读脚本")
    r = viewer.post("/api/v1/import", data={"file": (io.BytesIO(b"x"), "a.csv")}, content_type="multipart/form-data")
    assert r.status_code == 403


def test_the_admin_change_log_links_an_import_to_its_change_set(small_app, sign_in):
    editor = sign_in(small_app.test_client(), "editor", "编辑甲")
    token = token_of(upload(editor, filled(FIRMS[:1])))
    page(editor, token)
    apply(editor, token, why="导入")
    _, html = page(editor, token)
    set_id = re.search(r'href="/import/set/([0-9a-f]{32})"', html)[1]
    admin = sign_in(small_app.test_client(), "admin", "管理员")
    html = admin.get("/admin/changes?action=import").get_data(as_text=True)
    assert f'href="/import/set/{set_id}"' in html
