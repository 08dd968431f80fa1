"""Partner lists as files staff open in Excel: CSV (UTF-8 with BOM), XLSX and JSON.

Pure formatting: rows in, bytes out. No store, no Flask. A row is a dict; the
columns say which keys go out, in which order, under which headers.

Spreadsheet safety: a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab
or carriage return, which Excel also reads as the start of a formula) is
written with a leading ``'`` so that a spreadsheet shows it as text and never
runs it (CSV/formula injection). JSON is data for programs and stays exact.
"""

from __future__ import annotations

import csv
import io
import json
import re
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_COL_WIDTH = 16    # a column sized to its content wraps beyond this, so that the sheet prints one page wide
MAX_HEADER_WIDTH = 10  # a longer header wraps rather than widening its column
WHOLE_COL_WIDTH = 48  # a contact column (phone, e-mail) is as wide as its longest value, up to this
MIN_COL_WIDTH = 6
LINE_HEIGHT = 16.0    # points per line of 11-point text, CJK included, with room to spare (Excel and WPS default fonts)
ROW_PADDING = 3.0     # points above and below the text of a wrapped row
MAX_ROW_HEIGHT = 409  # Excel's largest row height
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    width: int | None = None  # in Excel character units; None = size to the content
    whole: bool = False       # contact fields: never wrapped or cut, the column is as wide as the value

    def header(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


# The fields a meeting needs, and the source of each row.
PARTNER_COLUMNS: tuple[Column, ...] = (
    Column("relation", "关系", "Relation"),
    Column("name", "名称", "Name"),
    Column("kind", "类型", "Kind"),
    Column("locality", "集群内外", "In / out of cluster"),
    Column("location", "所在地", "Location"),
    Column("segments", "所属环节", "Chain segments"),
    Column("roles", "角色/级别", "Roles / level"),
    Column("product", "供应内容", "What is supplied"),
    Column("detail", "说明", "Note", 22),
    Column("contact_person", "联系人", "Contact", whole=True),
    Column("phone", "电话", "Phone", whole=True),
    Column("email", "邮箱", "E-mail", whole=True),
    Column("address", "地址", "Address"),
    Column("credit_code", "统一社会信用代码", "Credit code"),
    Column("basis", "依据", "Basis"),
    Column("source_doc", "来源文件", "Source document"),
    Column("source_section", "章节", "Section"),
    Column("source_quote", "原文摘录", "Quote", 30),
    Column("id", "编号", "ID"),
)


def neutralise(value: Any) -> Any:
    """A cell value that a spreadsheet will show and never evaluate.

    >>> neutralise("=HYPERLINK(\\"x\\")")
    '\\'=HYPERLINK("x")'
    >>> neutralise("赣州") , neutralise(3)
    ('赣州', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cell_text(value: Any) -> Any:
    """Lists become one cell joined by '；'; None becomes empty; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value if v not in (None, ""))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    return str(value)


# what an XLSX cell cannot hold (openpyxl raises on the C0 controls but tab, newline and carriage return),
# and lone surrogates, which no UTF-8 file can hold: data stored before input was checked may have them
_NOT_IN_CELL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def cell_safe(value: Any) -> Any:
    """A cell value with the characters a workbook cannot hold removed, so that an export never fails.

    >>> cell_safe("a\\x0bb"), cell_safe(3)
    ('ab', 3)
    """
    return _NOT_IN_CELL.sub("", value) if isinstance(value, str) else value


def _cells(row: dict[str, Any], columns: Sequence[Column]) -> list[Any]:
    return [cell_safe(neutralise(cell_text(row.get(c.key)))) for c in columns]


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[Column] = PARTNER_COLUMNS, *,
           lang: str = "zh") -> bytes:
    """CSV that Excel on Windows opens with Chinese intact: UTF-8 with a BOM, CRLF line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutralise(c.header(lang)) for c in columns])
    for row in rows:
        w.writerow(_cells(row, columns))
    return buf.getvalue().encode("utf-8-sig", "replace")  # a lone surrogate in old data becomes '?', not a 500


def display_width(text: str) -> int:
    """Columns a text takes in a terminal or a spreadsheet: CJK and other wide characters count twice,
    combining marks not at all (the one definition; the CLI's text tables use it too).

    Examples
    --------
    >>> display_width("稀土ab")
    6
    """
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
               for ch in text)


def text_lines(text: str, width: float) -> int:
    """Lines a wrapped cell of ``width`` (Excel character units) needs for ``text``: each paragraph
    takes its display width over the usable width, rounded up (a CJK character counts two).

    >>> text_lines("稀土" * 10, 12), text_lines("ab\\ncd", 12), text_lines("", 12)
    (4, 2, 1)
    """
    usable = max(1.0, width - 2)  # Excel keeps a little padding on each side of a cell
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(text).split("\n")) or 1


def row_height(cells: Sequence[Any], widths: Sequence[float]) -> float:
    """Points a row needs so that every wrapped cell shows all its lines (none prints over the next row)."""
    lines = max((text_lines(v, w) for v, w in zip(cells, widths) if v not in (None, "")), default=1)
    return min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + ROW_PADDING)


def print_setup(ws, *, lang: str = "zh", title_rows: str | None = "1:1") -> None:
    """Page setup for printing a list: A4 landscape, fitted to one page wide (as many pages tall as it
    takes), the header row repeated on every page, narrow margins, page numbers in the footer."""
    from openpyxl.worksheet.page import PageMargins
    from .messages import text

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: as many pages tall as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = text("print.xlsx.footer", lang)
    ws.evenFooter.center.text = text("print.xlsx.footer", lang)


def to_xlsx(rows: Iterable[dict[str, Any]], columns: Sequence[Column] = PARTNER_COLUMNS, *,
            title: str = "partners", lang: str = "zh", about: dict[str, Any] | None = None) -> bytes:
    """A real workbook that prints: header row bold, frozen and repeated on every printed page, an
    autofilter, columns sized to their content (long text wraps; contact fields are never cut), row
    heights that fit the wrapped text, A4 landscape fitted to one page wide.

    ``about`` (optional) becomes a second sheet of key/value lines: what the list is, when it was
    made, and how to read it.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(cell_safe(title))
    headers = [cell_safe(neutralise(c.header(lang))) for c in columns]
    body = [_cells(row, columns) for row in rows]
    longest = [min(MAX_HEADER_WIDTH, display_width(h)) for h in headers]
    for cells in body:
        for i, v in enumerate(cells):
            longest[i] = max(longest[i], max((display_width(part) for part in str(v).split("\n")), default=0))
    widths = []
    for i, col in enumerate(columns):
        if col.width:
            widths.append(col.width)
        elif col.whole:
            widths.append(min(WHOLE_COL_WIDTH, max(MIN_COL_WIDTH, longest[i] + 2)))
        else:
            widths.append(min(MAX_COL_WIDTH, max(MIN_COL_WIDTH, longest[i] + 2)))
    ws.append(headers)
    for cells in body:
        ws.append(cells)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF5")
    head = Alignment(wrap_text=True, vertical="center")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = head
    ws.row_dimensions[1].height = row_height(headers, widths)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    # the rows just written, walked once: ws[r] would measure the whole sheet for every row (quadratic: a
    # 2,000-row partner list took 4.8 s instead of 0.5 s)
    written = ws.iter_rows(min_row=2, max_row=len(body) + 1, max_col=len(headers))
    for r, (cells, row_cells) in enumerate(zip(body, written), start=2):
        for cell in row_cells:
            cell.alignment = wrap
        ws.row_dimensions[r].height = row_height(cells, widths)
    ws.freeze_panes = "A2"
    if body:
        ws.auto_filter.ref = ws.dimensions
    print_setup(ws, lang=lang)
    if about:
        info = wb.create_sheet("说明" if lang != "en" else "About")
        info.column_dimensions["A"].width = 18
        info.column_dimensions["B"].width = 80
        for k, v in about.items():
            pair = [cell_safe(neutralise(cell_text(k))), cell_safe(neutralise(cell_text(v)))]
            info.append(pair)
            for cell in info[info.max_row]:
                cell.alignment = wrap
            info.row_dimensions[info.max_row].height = row_height(pair, (18, 80))
        print_setup(info, lang=lang, title_rows=None)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_json(rows: Iterable[dict[str, Any]], columns: Sequence[Column] = PARTNER_COLUMNS, *,
            about: dict[str, Any] | None = None) -> bytes:
    """The same rows as JSON (values exact: no spreadsheet escaping), with the column headers."""
    keys = [c.key for c in columns]
    body = {
        "about": about or {},
        "columns": [{"key": c.key, "zh": c.zh, "en": c.en} for c in columns],
        "rows": [{k: row.get(k) for k in keys} for row in rows],
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8", "replace")


def _sheet_title(title: str) -> str:
    # Excel forbids []:*?/\ in sheet names and allows 31 characters
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in title).strip("'") or "sheet"
    return clean[:31]


def _zone(tz: str | None):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz or DEFAULT_TIMEZONE)


def zone_name(tz: str | None = None, lang: str = "zh", at: datetime | None = None) -> str:
    """The display time zone as people read it, with its offset: ``北京时间 UTC+8`` / ``Beijing time, UTC+8``;
    a zone the catalogue does not name is shown by its IANA name.

    >>> zone_name("Asia/Shanghai"), zone_name("Asia/Shanghai", "en"), zone_name("Asia/Kolkata", "en")
    ('北京时间 UTC+8', 'Beijing time, UTC+8', 'Asia/Kolkata, UTC+5:30')
    """
    from .messages import has, text

    tz = tz or DEFAULT_TIMEZONE
    offset = (at or datetime.now(timezone.utc)).astimezone(_zone(tz)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    utc = "UTC" if not minutes else f"UTC{sign}{h}" + (f":{m:02d}" if m else "")
    msgid = f"print.zone.{tz}"
    named = text(msgid, lang) if has(msgid) else tz
    return text("print.zone.with_offset", lang, zone=named, offset=utc)


def local_time(value: str | datetime | None, tz: str | None = None, *, seconds: bool = True) -> str:
    """A stored UTC time (ISO-8601, ``…Z``, or an aware datetime) in the display zone, for a page or a
    file; storage stays UTC. A value that is not a time is returned as it is.

    >>> local_time("2026-11-25T19:30:05Z"), local_time("2026-11-25T19:30:05Z", "UTC", seconds=False)
    ('2026-11-26 03:30:05', '2026-11-25 19:30')
    >>> local_time(None), local_time("not a time")
    ('', 'not a time')
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        at = value
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def generated_at(tz: str | None = None, lang: str = "zh") -> str:
    """Now, in the display zone, with the zone named: ``2026-11-26 03:30（北京时间 UTC+8）``."""
    from .messages import text

    now = datetime.now(timezone.utc)
    return text("print.time.with_zone", lang, time=local_time(now, tz, seconds=False),
                zone=zone_name(tz, lang, now))
