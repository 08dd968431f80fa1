"""Exports that print (issue 11): every XLSX the app writes is A4 landscape, one page wide, with the
header row repeated and frozen, page numbers, row heights that fit wrapped text and contact columns
that are never cut; times are shown in the display zone with the zone named."""

from __future__ import annotations

import io
import math
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from registry import settings
from registry.errors import InvalidInput
from registry.exports import (LINE_HEIGHT, PARTNER_COLUMNS, WHOLE_COL_WIDTH, Column, display_width, generated_at, local_time,
                              row_height, text_lines, to_xlsx, zone_name)

QUOTE = ("全力招引国内外永磁电机行业的龙头企业、配套企业、装备制造企业，支持建设永磁电机技术研发机构，"
         "完善永磁电机检测平台功能，推动稀土永磁电机在新能源汽车、工业节能、轨道交通等领域的推广应用。")
# landscape A4 less the 0.4-inch side margins, in pixels at 96 dpi; a column is about 7 px per unit + 5 px
PRINTABLE_PX = (297 / 25.4 - 0.8) * 96


def _partner_rows(n: int = 6) -> list[dict]:
    return [{"relation": "供应商", "name": f"赣州示范冶炼分离有限公司{i}", "kind": "企业", "locality": "集群内",
             "location": "赣县区", "segments": ["稀土冶炼分离", "稀土金属及合金"], "roles": ["链主"],
             "product": "氧化镨钕", "detail": "长期供应", "contact_person": "张三", "phone": "0797-12345678",
             "email": "zhangsan@crg-ganzhou.com.cn", "address": "赣州市赣县区稀金大道1号",
             "credit_code": "91360700MA35XXXXXX", "basis": "文件", "source_doc": "《赣州市稀土新材料产业链方案》（001.txt）",
             "source_section": "二、重点任务和举措（六）延链强链攻坚行动", "source_quote": QUOTE if i % 2 else "短句",
             "id": f"ent-demo-{i}"} for i in range(n)]


def _sheet(body: bytes, index: int = 0):
    return load_workbook(io.BytesIO(body)).worksheets[index]


def assert_prints(ws, *, title_rows: bool = True) -> None:
    """The page setup every exported sheet has."""
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.page_margins.left == 0.4 and ws.page_margins.top == 0.6
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    if title_rows:
        assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2"


def test_partner_list_page_setup():
    ws = _sheet(to_xlsx(_partner_rows(), PARTNER_COLUMNS, title="合作伙伴", about={"生成时间": generated_at()}))
    assert_prints(ws)
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert_prints(load_workbook(io.BytesIO(to_xlsx(_partner_rows(), about={"a": 1}))).worksheets[1], title_rows=False)


def test_partner_list_is_one_readable_page_wide():
    """The six-row list printed on ten portrait pages; now it fits one landscape page wide at a scale
    that stays readable (estimated from the column widths as Excel lays them out)."""
    ws = _sheet(to_xlsx(_partner_rows(), PARTNER_COLUMNS))
    widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
    scale = PRINTABLE_PX / sum(7 * w + 5 for w in widths)
    assert scale >= 0.5, (sum(widths), scale)
    heights = sum(ws.row_dimensions[r].height for r in range(1, ws.max_row + 1))
    assert heights * scale <= (210 / 25.4 - 1.2) * 72  # and the six rows fit one page tall


def test_contact_columns_are_wide_enough_for_their_values():
    ws = _sheet(to_xlsx(_partner_rows(), PARTNER_COLUMNS))
    letters = {c.value: c.column_letter for c in ws[1]}
    for header, value in (("电话", "0797-12345678"), ("联系人", "张三"), ("邮箱", "zhangsan@crg-ganzhou.com.cn")):
        assert ws.column_dimensions[letters[header]].width >= display_width(value) + 1, header
    # an address beyond the widest contact column wraps in full (its row grows); it is never cut off
    long = "procurement.department.of.the.group@ganzhou-rare-earth-example.com.cn"
    ws = _sheet(to_xlsx([{"email": long}], [Column("email", "邮箱", "E-mail", whole=True)]))
    assert ws.column_dimensions["A"].width == WHOLE_COL_WIDTH and ws["A2"].alignment.wrap_text
    assert ws.row_dimensions[2].height == 2 * LINE_HEIGHT + 3


def test_row_heights_fit_the_wrapped_text():
    ws = _sheet(to_xlsx(_partner_rows(), PARTNER_COLUMNS))
    letters = {c.value: c.column_letter for c in ws[1]}
    quote_width = ws.column_dimensions[letters["原文摘录"]].width
    long_row, short_row = ws.row_dimensions[3].height, ws.row_dimensions[2].height  # rows 1, 0 of the data
    lines = math.ceil(display_width(QUOTE) / (quote_width - 2))
    assert long_row >= lines * LINE_HEIGHT  # every line of the quote has room: nothing prints over the next row
    assert long_row > short_row  # heights grow with the text, not one height for all
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.alignment.wrap_text, cell.coordinate


def test_text_lines_and_row_height():
    assert text_lines("稀土" * 10, 12) == 4  # 40 columns of CJK over 10 usable
    assert text_lines("a\nb\nc", 30) == 3  # line breaks count
    assert row_height(["短", "x" * 100], [10, 22]) == 5 * LINE_HEIGHT + 3
    assert row_height(["", None], [10, 10]) == LINE_HEIGHT + 3


def test_change_log_export_prints(admin_client):
    r = admin_client.get("/admin/changes.xlsx")
    assert r.status_code == 200
    assert_prints(_sheet(r.data))


def test_partner_export_from_the_web_prints(small_client):
    r = small_client.get("/export/partners.xlsx?scope=enterprise&id=ent-b")
    wb = load_workbook(io.BytesIO(r.data))
    assert_prints(wb.worksheets[0])
    assert_prints(wb.worksheets[1], title_rows=False)


def test_english_footer():
    ws = _sheet(to_xlsx(_partner_rows(1), [Column("name", "名称", "Name")], lang="en"))
    assert ws.oddFooter.center.text == "Page &P of &N"


# --- times ------------------------------------------------------------------------------------------

def test_local_time_converts_utc_for_display():
    assert local_time("2026-11-25T19:30:05Z") == "2026-11-26 03:30:05"
    assert local_time("2026-11-25T19:30:05.123456Z", seconds=False) == "2026-11-26 03:30"
    assert local_time("2026-11-25T19:30:05Z", "America/New_York") == "2026-11-25 14:30:05"
    assert local_time(datetime(2026, 1, 1, tzinfo=timezone.utc)) == "2026-01-01 08:00:00"
    assert local_time("") == "" and local_time("soon") == "soon"


def test_the_zone_is_named():
    assert zone_name() == "北京时间 UTC+8" and zone_name(lang="en") == "Beijing time, UTC+8"
    assert zone_name("UTC", "en") == "UTC, UTC"
    summer = datetime(2026, 7, 1, tzinfo=timezone.utc)
    assert zone_name("Europe/London", "zh", summer) == "Europe/London UTC+1"
    assert generated_at().endswith("（北京时间 UTC+8）")
    assert generated_at(lang="en").endswith(" (Beijing time, UTC+8)")


def test_timezone_setting(tmp_path):
    assert settings.load(tmp_path, environ={})["TIMEZONE"] == "Asia/Shanghai"
    assert settings.load(tmp_path, environ={"XIJIN_TIMEZONE": "Asia/Tokyo"})["TIMEZONE"] == "Asia/Tokyo"
    (tmp_path / "config.py").write_text('TIMEZONE = "Europe/Berlin"\n', encoding="utf-8")
    assert settings.load(tmp_path, environ={})["TIMEZONE"] == "Europe/Berlin"
    with pytest.raises(InvalidInput, match="XIJIN_TIMEZONE: 'Beijing' 不是时区名称"):
        settings.load(tmp_path, environ={"XIJIN_TIMEZONE": "Beijing"})
    with pytest.raises(InvalidInput, match="TIMEZONE"):
        settings.load(tmp_path, test_config={"TIMEZONE": "Mars/Olympus"})
