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
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_COL_WIDTH = 60
MIN_COL_WIDTH = 6


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    width: int | None = None  # in Excel character units; None = size to the content

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
    Column("detail", "说明", "Note", 40),
    Column("contact_person", "联系人", "Contact"),
    Column("phone", "电话", "Phone"),
    Column("email", "邮箱", "E-mail"),
    Column("address", "地址", "Address"),
    Column("credit_code", "统一社会信用代码", "Credit code"),
    Column("basis", "依据", "Basis"),
    Column("source_doc", "来源文件", "Source document"),
    Column("source_section", "章节", "Section"),
    Column("source_quote", "原文摘录", "Quote", 50),
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


def to_xlsx(rows: Iterable[dict[str, Any]], columns: Sequence[Column] = PARTNER_COLUMNS, *,
            title: str = "partners", lang: str = "zh", about: dict[str, Any] | None = None) -> bytes:
    """A real workbook: header row bold and frozen, an autofilter, columns sized to their content.

    ``about`` (optional) becomes a second sheet of key/value lines: what the list is, when it was
    made, and how to read it.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(cell_safe(title))
    headers = [c.header(lang) for c in columns]
    ws.append([cell_safe(neutralise(h)) for h in headers])
    widths = [display_width(h) for h in headers]
    n = 0
    for row in rows:
        cells = _cells(row, columns)
        ws.append(cells)
        n += 1
        for i, v in enumerate(cells):
            longest = max((display_width(part) for part in str(v).split("\n")), default=0)
            widths[i] = max(widths[i], longest)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF5")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, col in enumerate(columns, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        width = col.width or min(MAX_COL_WIDTH, max(MIN_COL_WIDTH, widths[i - 1] + 2))
        ws.column_dimensions[letter].width = width
        if col.width:  # long text columns wrap instead of growing
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = wrap
    ws.freeze_panes = "A2"
    if n:
        ws.auto_filter.ref = ws.dimensions
    if about:
        info = wb.create_sheet("说明" if lang != "en" else "About")
        for k, v in about.items():
            info.append([cell_safe(neutralise(cell_text(k))), cell_safe(neutralise(cell_text(v)))])
        info.column_dimensions["A"].width = 18
        info.column_dimensions["B"].width = 80
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


def generated_at() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
