"""Exports: partner lists as CSV (UTF-8 + BOM), XLSX and JSON; the offline chain map; the printable dossier."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from registry.exports import (PARTNER_COLUMNS, Column, cell_text, display_width, neutralise, to_csv, to_json,
                              to_xlsx)
from web_data import FORMULA_NAME, XSS_NAME
from web.downloads import content_disposition

HEADERS_ZH = [c.zh for c in PARTNER_COLUMNS]


def csv_rows(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with the UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def disposition_name(resp) -> str:
    cd = resp.headers["Content-Disposition"]
    m = re.search(r"filename\*=UTF-8''([^;]+)", cd)
    assert m, cd
    assert re.search(r'filename="[ -~]+"', cd), "an ASCII fallback filename is required"
    return unquote(m.group(1))


# ------------------------------------------------------------------ pure formatting
@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 797", "'+86 797"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("赣州", "赣州"), ("a=b", "a=b"), (3, 3), ("", ""),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_cell_text_and_width():
    assert cell_text(["甲", None, "乙"]) == "甲；乙"
    assert cell_text(None) == "" and cell_text(2.5) == 2.5
    assert display_width("稀土ab") == 6


def test_to_csv_is_excel_friendly():
    cols = (Column("a", "名称", "Name"), Column("b", "电话", "Phone"))
    data = to_csv([{"a": "赣州稀土", "b": "=cmd|' /C calc'!A0"}], cols)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["名称", "电话"], ["赣州稀土", "'=cmd|' /C calc'!A0"]]
    assert to_csv([], cols, lang="en").decode("utf-8-sig") == "Name,Phone\r\n"


def test_to_xlsx_is_a_real_workbook():
    cols = (Column("a", "名称", "Name"), Column("b", "说明", "Note", 40))
    wb = load_workbook(io.BytesIO(to_xlsx([{"a": "=1+2", "b": "长" * 100}], cols, title="伙伴[1]",
                                          about={"清单": "测试"})))
    ws = wb.worksheets[0]
    assert ws.title == "伙伴_1_" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["名称", "说明"] and ws["A1"].font.bold
    assert ws["A2"].value == "'=1+2" and ws["A2"].data_type == "s"
    assert ws.column_dimensions["B"].width == 40 and ws.column_dimensions["A"].width >= 6
    assert wb.worksheets[1]["B1"].value == "测试"


def test_to_json_keeps_values_exact():
    body = json.loads(to_json([{"name": "=1+1", "extra": "dropped"}], about={"x": 1}))
    assert body["rows"][0]["name"] == "=1+1" and "extra" not in body["rows"][0]
    assert body["columns"][0] == {"key": "relation", "zh": "关系", "en": "Relation"}


def test_content_disposition_has_utf8_name_and_ascii_fallback():
    cd = content_disposition("企业合作伙伴_赣州.csv", "partners-enterprise.csv")
    assert cd.startswith('attachment; filename="partners-enterprise.csv"; ')
    assert "filename*=UTF-8''%E4%BC%81%E4%B8%9A" in cd
    assert content_disposition("稀土.csv") == "attachment; filename=\"download.csv\"; filename*=UTF-8''%E7%A8%80%E5%9C%9F.csv"
    assert 'filename="a_b.html"' in content_disposition("x", 'a"b.html')


# ------------------------------------------------------------------ partner lists over HTTP
def test_enterprise_partner_list_as_csv(small_client):
    r = small_client.get("/export/partners.csv?scope=enterprise&id=ent-b")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert disposition_name(r) == "企业合作伙伴_赣县磁材科技有限公司.csv"
    rows = csv_rows(r.data)
    assert list(rows[0].keys()) == HEADERS_ZH
    by_name = {row["名称"]: row for row in rows}
    leaders = [row for row in rows if row["关系"].startswith("链主")]
    assert [(x["关系"], x["名称"]) for x in leaders] == [("链主（稀土新材料产业链）", "赣州示范冶炼分离有限公司")]
    assert rows[0]["关系"].startswith("链主")  # the chain leader comes first
    supplier = [row for row in rows if row["关系"] == "供应商" and row["名称"] == "赣州示范冶炼分离有限公司"][0]
    assert supplier["供应内容"] == "氧化镨钕" and supplier["原文摘录"] == "氧化镨钕"
    assert supplier["来源文件"] == "《测试方案》（900_test_plan.txt）" and supplier["集群内外"] == "集群内"
    assert supplier["联系人"] == "张三"
    assert by_name["外地电机股份有限公司"]["关系"] == "客户"
    assert by_name["国家稀土功能材料创新中心"]["关系"] == "产学研合作"
    assert by_name["永磁电机产业园"]["关系"].startswith("位于")
    # a partner whose name would run as a formula is neutralised, and so is its phone number
    bad = by_name["'" + FORMULA_NAME]
    assert bad["电话"] == "'+86 797 1234" and bad["原文摘录"] == "'=1+1"
    assert by_name[XSS_NAME]["供应内容"] == XSS_NAME  # plain text in a CSV cell


def test_enterprise_partner_list_as_xlsx(small_client):
    r = small_client.get("/export/partners.xlsx?scope=enterprise&id=ent-b")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert disposition_name(r) == "企业合作伙伴_赣县磁材科技有限公司.xlsx"
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == HEADERS_ZH
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "赣州示范冶炼分离有限公司" in names and "'" + FORMULA_NAME in names
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # no formula anywhere
    assert ws.column_dimensions["B"].width > 10  # sized to the names
    assert wb.worksheets[1].title == "说明"


def test_english_headers_follow_the_language(small_client):
    small_client.get("/?lang=en")
    rows = csv_rows(small_client.get("/export/partners.csv?scope=enterprise&id=ent-b").data)
    assert list(rows[0])[:3] == ["Relation", "Name", "Kind"]
    assert any(row["Relation"] == "Supplier" for row in rows)


def test_partner_list_as_json(small_client):
    r = small_client.get("/export/partners.json?scope=platform&id=plat-1")
    assert r.status_code == 200 and disposition_name(r) == "平台合作伙伴_国家稀土功能材料创新中心.json"
    body = json.loads(r.data)
    assert body["about"]["scope"] == "platform"
    assert [(row["relation"], row["name"]) for row in body["rows"]] == [
        ("链主（稀土新材料产业链）", "赣州示范冶炼分离有限公司"), ("产学研合作", "赣县磁材科技有限公司")]
    assert body["rows"][1]["source_doc"] == "《测试方案》（900_test_plan.txt）"


def test_segment_and_gap_partner_lists(small_client):
    rows = csv_rows(small_client.get("/export/partners.csv?scope=segment&id=seg-ndfeb").data)
    names = {row["名称"] for row in rows}
    assert {"赣县磁材科技有限公司", XSS_NAME} <= names
    rows = csv_rows(small_client.get("/export/partners.csv?scope=segment&id=seg-h2").data)
    assert any(row["名称"] == "境外储氢材料公司" for row in rows)
    r = small_client.get("/export/partners.xlsx?scope=gap&id=segment:seg-h2")
    assert r.status_code == 200 and disposition_name(r).startswith("缺口合作伙伴_")
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert any(row[1] == "境外储氢材料公司" and str(row[0]).startswith("候选") for row in rows)


@pytest.mark.parametrize("url, status, message", [
    ("/export/partners.csv?scope=enterprise&id=nope", 404, "记录 'nope' 不存在"),
    ("/export/partners.csv?scope=segment&id=ent-b", 400, "不是产业链环节"),
    ("/export/partners.csv?scope=enterprise&id=seg-mag", 400, "不是企业"),
    ("/export/partners.csv?scope=firm&id=ent-b", 400, "scope: 不支持的值"),
    ("/export/partners.csv?scope=enterprise", 400, "scope, id"),
    ("/export/partners.pdf?scope=enterprise&id=ent-b", 404, "不支持的导出格式"),
    ("/export/partners.csv?scope=gap&id=segment:nope", 404, "缺口 'segment:nope' 不存在"),
])
def test_export_errors(small_client, url, status, message):
    r = small_client.get(url)
    assert r.status_code == status
    assert message in r.get_data(as_text=True).replace("&#39;", "'")


# ------------------------------------------------------------------ the offline chain map
# Strings inside the bundled vis-network library that contain "://" but load nothing:
# licence and project links in its header comment, an error-message link, and the SVG namespace.
INERT_URLS = {"http://almende.com", "http://opensource.org/licenses/MIT", "http://www.apache.org/licenses/LICENSE-2.0",
              "http://www.w3.org/2000/svg", "https://github.com/uuidjs/uuid#getrandomvalues-not-supported",
              "https://github.com/visjs", "https://github.com/zloirock/core-js",
              "https://github.com/zloirock/core-js/blob/v3.21.1/LICENSE", "https://visjs.github.io/vis-network/"}


def test_offline_chain_map_has_no_outside_url(small_client):
    r = small_client.get("/export/chain.html")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert disposition_name(r) == "产业链图谱.html"
    html = r.get_data(as_text=True)
    # nothing is loaded from anywhere: no src/href to a URL, no CSS import or url() to one
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(https?:|//)""", html, re.I)
    assert not re.search(r"""@import|<link\b|<script[^>]+src=""", html, re.I)
    # (the data block is left out here: a name may contain a URL as text — it is checked escaped below)
    code = re.sub(r'<script type="application/json" id="graph-data">.*?</script>', "", html, flags=re.S)
    found = set(re.findall(r"""https?://[^\s"'`)<>\\]+""", code))
    assert found <= INERT_URLS, found - INERT_URLS
    assert "bootstrap" not in html and "cdnjs" not in html and "jsdelivr" not in html
    assert "vis.Network" in html  # vis-network is inlined
    data = json.loads(re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html, re.S)[1])
    assert data["options"]["physics"] == {"enabled": False}
    assert any(n["id"] == "seg:seg-mag" for n in data["nodes"])


def test_offline_chain_map_escapes_names(small_client):
    html = small_client.get("/export/chain.html?per_segment=24").get_data(as_text=True)  # a view with the firms
    assert XSS_NAME not in html  # in the JSON block it is \u003cimg …
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html


# ------------------------------------------------------------------ the printable dossier
def test_dossier_is_one_printable_page(small_client):
    r = small_client.get("/entity/ent-b/dossier")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="dossier-name">赣县磁材科技有限公司<' in html
    assert "氧化镨钕" in html and "赣州示范冶炼分离有限公司" in html
    assert 'href="/static/dossier.css"' in html and 'data-action="print"' in html and "onclick" not in html
    with small_client.get("/static/dossier.css") as resp:
        css = resp.get_data(as_text=True)
    assert "@media print" in css and "@page" in css


def test_dossier_only_for_enterprises_and_platforms(small_client):
    assert small_client.get("/entity/plat-1/dossier").status_code == 200
    r = small_client.get("/entity/seg-mag/dossier")
    assert r.status_code == 400 and "档案页只适用于企业和平台" in r.get_data(as_text=True)
    assert small_client.get("/entity/nope/dossier").status_code == 404
