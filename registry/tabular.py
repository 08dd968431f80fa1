"""Spreadsheets in: import templates, and reading the files staff fill (XLSX and CSV).

This is the file layer of an import, nothing more: which columns each kind takes (:func:`columns`, built
from the model), an XLSX template per kind (:func:`write_template`) or for all four
(:func:`write_workbook_template`), reading a file into tables of displayed text (:func:`read_file`), and
turning one row's text into the dict that ``model.validate_entity`` / ``validate_relation`` accept
(:func:`to_record`). Matching, preview and apply live in ``registry.importer``.

What a reader sees is what the spreadsheet shows, never what it would compute: formula cells come back as
the value the file stores (python-calamine never evaluates), a number that is really text (a phone number,
an 18-digit credit code) comes back as its digits, never ``3.0`` or ``1.2E+17``, a date as ISO text.

Rules of the file, also written on the template's 说明 sheet:

- headers in Chinese, English or the field name (case, spaces and full-width forms do not matter); a
  column headed 序号 / No. is ignored; any other unknown column refuses the file;
- the row whose cell reads :data:`EXAMPLE_MARK` (the template's example row) is skipped; blank rows too;
- the sheet named 说明 / Instructions and the template's hidden list sheet are not data;
- lists are split on 、 ; ； , ， | and line breaks; enumerations take the Chinese label, the English label
  or the code.
"""

from __future__ import annotations

import csv
import io
import math
import re
import typing
import unicodedata
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, BinaryIO

from .errors import InvalidInput
from .messages import label, text
from .model import MODELS, RELATION_TYPES, ROLE_FROM_ZH, Relation, uscc_check_char

IMPORT_KINDS = ("enterprise", "platform", "project", "relation")
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_SHEETS = 16          # data sheets and others together; the full template has 6
MAX_COLUMNS = 64         # the widest kind has 24 columns
MAX_UNPACKED = 1024 * 1024 * 1024  # an XLSX is a zip: what it unpacks to is bounded too (no zip bombs)
EXAMPLE_MARK = "示例（导入时忽略）"
EXAMPLE_MARK_EN = "example (ignored on import)"
LISTS_SHEET = "_lists"  # the template's hidden sheet of drop-down values
INSTRUCTION_SHEETS = ("说明", "instructions", "readme")
IGNORED_HEADERS = ("序号", "no", "no.", "#", "行号")
LIST_SPLIT = re.compile(r"[、;；,，|\n\r]+")
SOURCE_FIELDS = {"source_doc": "doc", "source_section": "section", "source_quote": "quote", "source_note": "note"}
HEADER_ROWS_SCANNED = 10  # a title line above the header (赣州市企业名录…) is allowed

__all__ = ["IMPORT_KINDS", "MAX_BYTES", "MAX_ROWS", "EXAMPLE_MARK", "Column", "Cell", "Row", "Table", "Problem",
           "columns", "read_file", "to_record", "write_template", "write_workbook_template"]


# ------------------------------------------------------------------ columns
@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    type: str  # "text" | "list" | "enum" | "multi_enum" | "int" | "number"
    required: bool
    choices: tuple[str, ...] = ()  # codes, for enum / multi_enum
    help_zh: str = ""
    help_en: str = ""
    group: str = ""  # the catalogue group of the choices' labels (label.<group>.<code>)

    def header(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


# the catalogue group naming an enumerated field's values; status depends on the kind
_ENUM_GROUP = {"locality": "locality", "platform_type": "platform_type", "level": "level",
               "project_type": "project_type", "roles": "role", "stage": "stage", "comparison": "comparison",
               "type": "relation"}
_STATUS_GROUP = {"platform": "platform_status", "project": "project_status"}
# fields the import does not take from a file: the kind is the sheet's, sources come from the source columns
_NOT_COLUMNS = {"kind", "sources"}
# fields a file must have, whatever the model requires (an id is optional: rows match by credit code or name)
_REQUIRED = {"relation": ("type", "source", "target")}
_REQUIRED_ENTITY = ("name",)
# a few more ways staff head a column (matched like the catalogue's headers)
_SYNONYMS = {
    "id": ("id", "编号", "记录编号"),
    "name": ("企业名称", "公司名称", "单位名称", "平台名称", "项目名称", "园区名称", "全称"),
    "aliases": ("简称", "别名", "曾用名"),
    "credit_code": ("信用代码", "社会信用代码", "统一信用代码", "uscc"),
    "contact_person": ("联系人姓名",),
    "phone": ("联系电话", "电话号码", "手机"),
    "locality": ("集群内/外", "集群内/集群外"),
    "roles": ("企业角色", "企业类型标签"),
    "type": ("relation type", "关系类别"),
    "source": ("起点", "源", "from"),
    "target": ("终点", "to"),
}


def _annotation_type(annotation: Any) -> tuple[str, tuple[str, ...]]:
    """The column type and the allowed codes of a pydantic field annotation."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union:  # Optional[X]
        inner = [a for a in args if a is not type(None)]
        return _annotation_type(inner[0]) if len(inner) == 1 else ("text", ())
    if origin is typing.Literal:
        return "enum", tuple(args)
    if origin in (list, tuple):
        kind, choices = _annotation_type(args[0]) if args else ("text", ())
        return ("multi_enum", choices) if kind == "enum" else ("list", ())
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "number", ()
    return "text", ()


def _msg(msgid: str, lang: str, **params: Any) -> str:
    return text(msgid, lang, **params)


@lru_cache(maxsize=None)
def _columns(kind: str) -> tuple[Column, ...]:
    model = Relation if kind == "relation" else MODELS[kind]
    required = _REQUIRED.get(kind, _REQUIRED_ENTITY)
    out = []
    for name, info in model.model_fields.items():
        if name in _NOT_COLUMNS or (kind != "relation" and name == "kind"):
            continue
        ctype, choices = _annotation_type(info.annotation)
        if name == "id" and kind != "relation":
            ctype = "text"
        group = _STATUS_GROUP.get(kind, "") if name == "status" else _ENUM_GROUP.get(name, "")
        if name == "type" and kind == "relation":
            ctype, choices = "enum", tuple(RELATION_TYPES)
        out.append(_column(name, ctype, name in required, choices, group))
    for name in SOURCE_FIELDS:
        out.append(_column(name, "text", False, (), ""))
    return tuple(out)


def _column(name: str, ctype: str, required: bool, choices: tuple[str, ...], group: str) -> Column:
    def head(lang: str) -> str:
        own = f"data.col.{name}"
        got = text(own, lang)
        return got if got != own else text(f"label.field.{name}", lang)

    def help_(lang: str) -> str:
        own = f"data.help.{name}"
        got = text(own, lang)
        return "" if got == own else got

    return Column(field=name, zh=head("zh"), en=head("en"), type=ctype, required=required, choices=choices,
                  help_zh=help_("zh"), help_en=help_("en"), group=group)


def columns(kind: str) -> list[Column]:
    """The columns of one kind's sheet, in template order (the model's field order, then the source columns)."""
    _check_kind(kind)
    return list(_columns(kind))


def _check_kind(kind: str) -> None:
    if kind not in IMPORT_KINDS:
        raise InvalidInput(_both("data.err.unknown_kind", kind=kind, kinds=", ".join(IMPORT_KINDS)),
                           details=[{"field": "kind", "value": kind, "message": "unknown kind"}])


def _both(msgid: str, **params: Any) -> str:
    """A refusal in Chinese, then English (the way every registry error reads). A parameter given as a
    ``(zh, en)`` pair is spelled in each language."""
    def pick(lang: int) -> dict:
        return {k: (v[lang] if isinstance(v, tuple) else v) for k, v in params.items()}
    return f"{text(msgid, 'zh', **pick(0))} / {text(msgid, 'en', **pick(1))}"


def _norm(value: str) -> str:
    """A header, sheet name or label as compared: NFKC (full-width → half-width), no spaces, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()


@lru_cache(maxsize=None)
def _header_index(kind: str) -> dict[str, str]:
    """Normalised header -> field, for one kind."""
    index: dict[str, str] = {}
    for col in _columns(kind):
        for h in (col.field, col.zh, col.en, *_SYNONYMS.get(col.field, ())):
            index.setdefault(_norm(h), col.field)
    return index


@lru_cache(maxsize=None)
def _choice_index(kind: str, field: str) -> dict[str, str]:
    """Normalised code, Chinese label or English label -> code, for one enumerated column."""
    col = next(c for c in _columns(kind) if c.field == field)
    index: dict[str, str] = {}
    for code in col.choices:
        index.setdefault(_norm(code), code)
    for lang in ("zh", "en"):
        for code in col.choices:
            index.setdefault(_norm(label(col.group, code, lang)), code)
    # a label's words before its parenthesis (赣州市 for 赣州市（未写明在集群内）), when no other label starts so
    for lang in ("zh", "en"):
        short = [(_norm(label(col.group, c, lang)).split("(")[0], c) for c in col.choices]
        for key, code in short:
            if key and sum(1 for k, _ in short if k == key) == 1:
                index.setdefault(key, code)
    if field == "roles":
        for zh, code in ROLE_FROM_ZH.items():
            index.setdefault(_norm(zh), code)
    if field == "type":
        for code, (_, _, zh, _) in RELATION_TYPES.items():
            index.setdefault(_norm(zh), code)
    return index


def _sheet_name(kind: str, lang: str = "zh") -> str:
    return text(f"data.sheet.{kind}", lang)


def _kind_names(kind: str) -> tuple[str, str]:
    return _sheet_name(kind, "zh"), _sheet_name(kind, "en")


# more names staff give a kind's sheet
_SHEET_SYNONYMS = {"enterprise": ("企业名录", "企业信息", "企业清单", "公司", "firms", "companies"),
                   "platform": ("平台名录", "平台清单", "创新平台"),
                   "project": ("项目清单", "项目库", "园区", "项目/园区", "projects and parks"),
                   "relation": ("关系清单", "企业关系", "links")}


@lru_cache(maxsize=None)
def _sheet_kinds() -> dict[str, str]:
    """Normalised sheet name -> kind: the template's names, the catalogue's kind names, the codes."""
    out: dict[str, str] = {}
    for kind in IMPORT_KINDS:
        names = [kind, kind + "s", _sheet_name(kind, "zh"), _sheet_name(kind, "en")]
        if kind != "relation":
            names += [label("kind", kind, "zh"), label("kind", kind, "en")]
        names += _SHEET_SYNONYMS[kind]
        for n in names:
            if n:
                out.setdefault(_norm(n), kind)
    return out


# ------------------------------------------------------------------ what a read gives
@dataclass(slots=True)
class Cell:
    column: str  # the header as written in the file
    field: str
    value: str   # the displayed text, stripped
    number: bool = False  # the file stored a number here (not text)


@dataclass(slots=True)
class Row:
    sheet: str
    row: int  # as the spreadsheet shows it: the header is row 1 when it is the first line
    cells: dict[str, Cell]  # by field; every column of the file, blank cells with value ""


@dataclass(slots=True)
class Table:
    sheet: str
    kind: str
    header: list[str]
    rows: list[Row] = dc_field(default_factory=list)
    header_row: int = 1  # the spreadsheet row of the header (a title line above it moves it down)


@dataclass(slots=True)
class Problem:
    sheet: str
    row: int
    column: str
    value: str
    reason_zh: str
    reason_en: str


# ------------------------------------------------------------------ reading
def read_file(data: bytes | BinaryIO, filename: str, *, kind: str | None = None,
              sheet: str | None = None) -> list[Table]:
    """The data tables of an XLSX or CSV file, as the text the spreadsheet shows.

    ``data`` is the file's bytes or a binary file object (whose size is checked before it is read, so a
    file over :data:`MAX_BYTES` is refused without being read). ``kind`` says what a CSV holds, or a
    sheet whose name names no kind (企业/平台/项目/关系, Enterprises…); failing both, the headers tell.
    ``sheet`` picks one sheet of a workbook. Blank rows and the template's example row are left out;
    every other row keeps the number the spreadsheet shows.
    Raises ``InvalidInput`` with a Chinese and English message for every file it cannot read.
    """
    if kind is not None:
        _check_kind(kind)
    data = _bounded_bytes(data)
    ext = _extension(filename)
    if ext == ".xlsx":
        return _read_xlsx(data, filename, kind=kind, sheet=sheet)
    if ext in (".csv", ".tsv"):
        return [_read_csv(data, filename, kind=kind)]
    if ext in (".xls", ".et", ".ods", ".numbers", ".xlsb", ".xlsm"):
        raise InvalidInput(_both("data.err.save_as", name=filename, ext=ext),
                           details=[{"field": "file", "value": filename, "message": "unsupported format"}])
    raise InvalidInput(_both("data.err.extension", name=filename, ext=ext or ("（无扩展名）", "(no extension)")),
                       details=[{"field": "file", "value": filename, "message": "unknown extension"}])


def _bounded_bytes(data: bytes | BinaryIO) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        size = len(data)
        if size > MAX_BYTES:
            _too_big(size)
        return bytes(data)
    try:  # a file object: its size first, then at most MAX_BYTES + 1 bytes
        pos = data.tell()
        size = data.seek(0, io.SEEK_END) - pos
        data.seek(pos)
        if size > MAX_BYTES:
            _too_big(size)
    except (AttributeError, OSError):
        pass
    got = data.read(MAX_BYTES + 1)
    if len(got) > MAX_BYTES:
        _too_big(len(got), more=True)
    return got


def _too_big(size: int, more: bool = False) -> typing.NoReturn:
    mb = f"{size / 1024 / 1024:.1f}" + ("+" if more else "")
    raise InvalidInput(_both("data.err.too_big", size=mb, limit=MAX_BYTES // 1024 // 1024),
                       details=[{"field": "file", "value": size, "message": "too big"}])


def _extension(filename: str) -> str:
    m = re.search(r"(\.[A-Za-z0-9]{1,8})$", (filename or "").strip())
    return m.group(1).lower() if m else ""


# -------- XLSX
def _read_xlsx(data: bytes, filename: str, *, kind: str | None, sheet: str | None) -> list[Table]:
    import python_calamine as pc

    if data[:4] != b"PK\x03\x04":
        old = data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE file: .xls renamed, or an encrypted workbook
        raise InvalidInput(_both("data.err.not_xlsx_ole" if old else "data.err.not_xlsx", name=filename),
                           details=[{"field": "file", "value": filename, "message": "not an xlsx file"}])
    _check_unpacked(data, filename)
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = wb.sheets_metadata
    except Exception as exc:  # calamine's errors (zip, xml, password) all mean "cannot read this file"
        raise InvalidInput(_both("data.err.unreadable", name=filename, why=str(exc)[:200]),
                           details=[{"field": "file", "value": filename, "message": "unreadable"}]) from None
    names = [m.name for m in metas]
    if len(names) > MAX_SHEETS:
        raise InvalidInput(_both("data.err.too_many_sheets", n=len(names), limit=MAX_SHEETS),
                           details=[{"field": "file", "value": len(names), "message": "too many sheets"}])
    if sheet is not None:
        chosen = [n for n in names if n == sheet] or [n for n in names if _norm(n) == _norm(sheet)]
        if not chosen:
            raise InvalidInput(_both("data.err.no_such_sheet", sheet=sheet, sheets="、".join(names)),
                               details=[{"field": "sheet", "value": sheet, "message": "no such sheet"}])
        names = chosen[:1]
    else:
        names = [n for n in names if n != LISTS_SHEET and _norm(n) not in INSTRUCTION_SHEETS]
    tables = []
    for name in names:
        try:
            grid = wb.get_sheet_by_name(name)
            if grid.height > MAX_ROWS + HEADER_ROWS_SCANNED:
                _too_many_rows(name, grid.height)
            if grid.width > MAX_COLUMNS and grid.end and grid.end[1] >= MAX_COLUMNS:
                _too_many_columns(name, grid.end[1] + 1)
            values = grid.to_python(skip_empty_area=False)
        except InvalidInput:
            raise
        except Exception as exc:
            raise InvalidInput(_both("data.err.unreadable_sheet", name=filename, sheet=name, why=str(exc)[:200]),
                               details=[{"field": "sheet", "value": name, "message": "unreadable"}]) from None
        table = _table(name, values, kind=kind, by_sheet_name=True, number_cells=True)
        if table is not None:
            tables.append(table)
    if not tables:
        raise InvalidInput(_both("data.err.no_data", name=filename),
                           details=[{"field": "file", "value": filename, "message": "no data"}])
    return tables


def _check_unpacked(data: bytes, filename: str) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_UNPACKED, before anything is unpacked."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            size = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput(_both("data.err.unreadable", name=filename, why=str(exc)[:200]),
                           details=[{"field": "file", "value": filename, "message": "unreadable"}]) from None
    if size > MAX_UNPACKED:
        raise InvalidInput(_both("data.err.too_big_unpacked", name=filename, size=size // 1024 // 1024,
                                 limit=MAX_UNPACKED // 1024 // 1024),
                           details=[{"field": "file", "value": size, "message": "too big unpacked"}])


def _too_many_rows(sheet: str, n: int) -> typing.NoReturn:
    raise InvalidInput(_both("data.err.too_many_rows", sheet=sheet, n=n, limit=MAX_ROWS),
                       details=[{"field": "sheet", "value": sheet, "message": "too many rows"}])


def _too_many_columns(sheet: str, n: int) -> typing.NoReturn:
    raise InvalidInput(_both("data.err.too_many_columns", sheet=sheet, n=n, limit=MAX_COLUMNS),
                       details=[{"field": "sheet", "value": sheet, "message": "too many columns"}])


def display(value: Any) -> str:
    """A cell's value as the spreadsheet shows it in the General format, as text.

    >>> display(3.0), display(13812345678.0), display(0.5), display(date(2024, 5, 1)), display(True)
    ('3', '13812345678', '0.5', '2024-05-01', 'TRUE')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return format(value, ".15g")  # what Excel keeps: 15 significant digits
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return "" if value is None else str(value)


_QUOTED_FORMULA = re.compile(r"^'[=+\-@]")
_EXAMPLE_START = frozenset("示ｅeEＥ")  # first characters of the example mark, as typed or full-width


def _clean(value: Any) -> str:
    s = display(value).strip()
    # our own exports write '=… so that Excel shows it as text: the quote is not part of the value
    return s[1:] if _QUOTED_FORMULA.match(s) else s


# -------- CSV
def _read_csv(data: bytes, filename: str, *, kind: str | None) -> Table:
    content = _decode(data, filename)
    if "\x00" in content:
        raise InvalidInput(_both("data.err.binary", name=filename),
                           details=[{"field": "file", "value": filename, "message": "binary"}])
    first = content[:content.find("\n")] if "\n" in content[:65536] else content[:65536]
    delimiter = ","
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",\t;").delimiter
    except csv.Error:
        pass
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    values: list[list[str]] = []
    try:
        for record in reader:
            values.append(record)
            if len(values) > MAX_ROWS + HEADER_ROWS_SCANNED:
                _too_many_rows(filename, len(values))
    except csv.Error as exc:
        raise InvalidInput(_both("data.err.csv", name=filename, row=len(values) + 1, why=str(exc)[:200]),
                           details=[{"field": "file", "value": filename, "message": "bad csv"}]) from None
    table = _table(filename, values, kind=kind, by_sheet_name=False, number_cells=False)
    if table is None:
        raise InvalidInput(_both("data.err.no_data", name=filename),
                           details=[{"field": "file", "value": filename, "message": "no data"}])
    return table


# encodings charset-normalizer may name that are really the Chinese national one
_GB_FAMILY = {"gb18030", "gbk", "gb2312", "cp936", "hz", "ascii"}


def _decode(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM), else GB18030 (which GBK and GB2312 are part of); else a refusal
    naming what the file looks like."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _refuse_damaged_utf8(data, filename, exc)
    try:
        content = data.decode("gb18030")
    except UnicodeDecodeError:
        _refuse_encoding(data, filename)
    # Big5 and Shift-JIS bytes are mostly valid GB18030 too, as mojibake of rare characters: when few
    # characters are ordinary simplified Chinese, ask what the bytes really are.
    wide = [ch for ch in content[:100_000] if ord(ch) > 0x7F]  # a sample is enough to tell
    if wide:
        rare = sum(1 for ch in wide if not _in_gb2312(ch))
        if rare / len(wide) > 0.2:
            found = _guess(data)
            if found and found.replace("-", "_") not in _GB_FAMILY:
                _refuse_encoding(data, filename, found)
    return content


def _refuse_damaged_utf8(data: bytes, filename: str, exc: UnicodeDecodeError) -> None:
    """UTF-8 with a few broken bytes would read as GB18030 mojibake: when nearly every non-ASCII character
    is good UTF-8, say where the file is damaged instead."""
    sample = data[:2_000_000].decode("utf-8", "replace")
    bad = sample.count("\ufffd")
    wide = sum(1 for ch in sample if ord(ch) > 0x7F)
    if wide >= 10 and bad / wide < 0.2:  # GBK read as UTF-8 is nearly all replacement characters
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(_both("data.err.utf8_damaged", name=filename, line=line),
                           details=[{"field": "file", "value": filename, "message": f"bad UTF-8 on line {line}"}])


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    return best.encoding if best else None


def _refuse_encoding(data: bytes, filename: str, found: str | None = None) -> typing.NoReturn:
    found = found or _guess(data)
    if found:
        msg = _both("data.err.encoding", name=filename, found=found)
    else:
        msg = _both("data.err.encoding_unknown", name=filename)
    raise InvalidInput(msg, details=[{"field": "file", "value": filename, "message": f"encoding {found}"}])


# -------- one grid of cells -> a table
def _table(name: str, values: list[list[Any]], *, kind: str | None, by_sheet_name: bool,
           number_cells: bool) -> Table | None:
    """The table of one sheet (or CSV); None for a sheet with no data at all."""
    width = max((len(r) for r in values), default=0)
    if not width:
        return None
    if len(values) > MAX_ROWS + HEADER_ROWS_SCANNED:
        _too_many_rows(name, len(values))
    header_at = _header_row(values)
    if header_at is None:
        return None
    raw_header = [_clean(v) for v in values[header_at]]
    while raw_header and not raw_header[-1]:
        raw_header.pop()
    if len(raw_header) > MAX_COLUMNS:
        _too_many_columns(name, len(raw_header))
    # a sheet named for a kind is that kind; else the kind the caller gave; else what the headers say
    kind = ((_sheet_kinds().get(_norm(name)) if by_sheet_name else None) or kind
            or _kind_from_header(name, raw_header, csv_file=not by_sheet_name))
    if len(values) - header_at - 1 > MAX_ROWS:
        _too_many_rows(name, len(values) - header_at - 1)
    index = _header_index(kind)
    fields: list[tuple[int, str, str]] = []  # (position, header, field)
    unknown, seen = [], {}
    for pos, h in enumerate(raw_header):
        key = _norm(h)
        if not key or key in IGNORED_HEADERS:
            continue
        f = index.get(key)
        if f is None:
            unknown.append(h)
        elif f in seen:
            raise InvalidInput(_both("data.err.duplicate_column", sheet=name, a=seen[f], b=h),
                               details=[{"field": h, "value": h, "message": "duplicate column"}])
        else:
            seen[f] = h
            fields.append((pos, h, f))
    if unknown:
        accepted = ("、".join(c.zh for c in _columns(kind)), ", ".join(c.en for c in _columns(kind)))
        raise InvalidInput(_both("data.err.unknown_columns", sheet=name, kind=_kind_names(kind),
                                 columns=("、".join(unknown), ", ".join(unknown)), accepted=accepted),
                           details=[{"field": u, "value": u, "message": "unknown column"} for u in unknown])
    missing = [c for c in _columns(kind) if c.required and c.field not in seen]
    if missing:
        raise InvalidInput(_both("data.err.missing_columns", sheet=name, kind=_kind_names(kind),
                                 columns=("、".join(c.zh for c in missing), ", ".join(c.en for c in missing))),
                           details=[{"field": c.field, "value": "", "message": "missing column"} for c in missing])
    headless = [pos for pos, h in enumerate(raw_header) if not h] + list(range(len(raw_header), width))
    unnamed = [pos for pos in headless if any(pos < len(r) and _clean(r[pos]) for r in values[header_at + 1:])]
    if unnamed:
        raise InvalidInput(_both("data.err.unnamed_column", sheet=name,
                                 columns="、".join(sorted({_letter(p) for p in unnamed}))),
                           details=[{"field": _letter(p), "value": "", "message": "no header"} for p in unnamed])
    table = Table(sheet=name, kind=kind, header=raw_header, header_row=header_at + 1)
    example = {_norm(EXAMPLE_MARK), _norm(EXAMPLE_MARK_EN)}
    rows = table.rows
    # the hot loop of a 100k-row file: plain text cells take the short way
    for i in range(header_at + 1, len(values)):
        record = values[i]
        n = len(record)
        cells = {}
        blank = True
        marked = False
        for pos, h, f in fields:
            raw = record[pos] if pos < n else ""
            if type(raw) is str:
                v = raw.strip()
                number = False
                if v and v[0] == "'" and _QUOTED_FORMULA.match(v):
                    v = v[1:]
            else:
                v = _clean(raw)
                number = number_cells and isinstance(raw, (int, float)) and not isinstance(raw, bool)
            if v:
                blank = False
                if v[0] in _EXAMPLE_START and _norm(v) in example:
                    marked = True
            cells[f] = Cell(h, f, v, number)
        if blank or marked:
            continue
        rows.append(Row(name, i + 1, cells))
    return table


def _letter(pos: int) -> str:
    """The spreadsheet's letter of a 0-based column position: 0 -> A, 27 -> AB."""
    out = ""
    pos += 1
    while pos:
        pos, rem = divmod(pos - 1, 26)
        out = chr(65 + rem) + out
    return out


@lru_cache(maxsize=None)
def _all_headers() -> frozenset[str]:
    return frozenset(k for kind in IMPORT_KINDS for k in _header_index(kind)) | frozenset(IGNORED_HEADERS)


def _header_row(values: list[list[Any]]) -> int | None:
    """The header's position among the first few rows (a title line above it is allowed): the first row
    naming two known columns, else the first whose every cell is a known column, else the first non-blank
    row (whose unknown headers are then reported)."""
    known = _all_headers()
    first = single = None
    for i, record in enumerate(values[:HEADER_ROWS_SCANNED]):
        cells = [c for c in (_norm(_clean(v)) for v in record) if c]
        if not cells:
            continue
        if first is None:
            first = i
        hits = sum(1 for c in cells if c in known)
        if hits >= 2:
            return i
        if hits and hits == len(cells) and single is None:
            single = i
    return single if single is not None else first


def _kind_from_header(name: str, header: list[str], *, csv_file: bool = False) -> str:
    """The kind whose columns explain the most headers; on a tie, the one with most columns only it has.

    A kind that explains only some headers is still chosen when it is the only one that does best (the
    caller then names the unknown columns); a tie is refused, naming the headers no kind knows."""
    keys = [_norm(h) for h in header if _norm(h) and _norm(h) not in IGNORED_HEADERS]
    score = {k: sum(1 for h in keys if h in _header_index(k)) for k in IMPORT_KINDS}
    top = max(score.values(), default=0)
    fits = [k for k in IMPORT_KINDS if top and score[k] == top]
    if len(fits) > 1:
        def own(k: str) -> int:
            others = set().union(*({c.field for c in _columns(o)} for o in fits if o != k))
            return sum(1 for h in keys if h in _header_index(k) and _header_index(k)[h] not in others)
        best = max(own(k) for k in fits)
        fits = [k for k in fits if own(k) == best] if best else fits
    if len(fits) == 1:
        return fits[0]
    names = ("、".join(_sheet_name(k, "zh") for k in IMPORT_KINDS), ", ".join(_sheet_name(k, "en") for k in IMPORT_KINDS))
    msg = _both("data.err.unknown_kind_of_csv" if csv_file else "data.err.unknown_kind_of_sheet", sheet=name,
                names=names)
    unknown = [h for h in header if _norm(h) and _norm(h) not in _all_headers()]
    if unknown:
        msg += "; " + _both("data.err.unknown_headers", columns=("、".join(unknown), ", ".join(unknown)))
    raise InvalidInput(msg, details=[{"field": "sheet", "value": name, "message": "kind unknown"}])


# ------------------------------------------------------------------ a row's text -> a record
_INT = re.compile(r"[+-]?\d+(?:\.0*)?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def to_record(kind: str, row: Row) -> tuple[dict, list[Problem]]:
    """The record a row's text stands for, as ``validate_entity`` / ``validate_relation`` take it, and the
    cells that could not be converted (a value that is not one of the choices, not a number…).

    Blank cells leave their field out. Lists are split on 、 ; ； , ， | and line breaks. Enumerations
    accept the Chinese label, the English label or the code (roles also the Chinese terms of
    ``ROLE_FROM_ZH``). The source columns become one source ``{"doc", "section", "quote", "note",
    "basis": "reported"}``: the importer adds who (``by``) and when (``at``).
    """
    _check_kind(kind)
    cols = {c.field: c for c in _columns(kind)}
    record: dict[str, Any] = {} if kind == "relation" else {"kind": kind}
    problems: list[Problem] = []
    source: dict[str, str] = {}

    def problem(cell: Cell, msgid: str, **params: Any) -> None:  # a (zh, en) parameter is spelled per language
        zh = {k: v[0] if isinstance(v, tuple) else v for k, v in params.items()}
        en = {k: v[1] if isinstance(v, tuple) else v for k, v in params.items()}
        problems.append(Problem(row.sheet, row.row, cell.column, cell.value,
                                text(msgid, "zh", **zh), text(msgid, "en", **en)))

    for f, cell in row.cells.items():
        value = cell.value
        col = cols.get(f)
        if not value or col is None:
            continue
        if f in SOURCE_FIELDS:
            source[SOURCE_FIELDS[f]] = value
            continue
        # a text column (credit code, phone, id) that Excel stored as a number of more than 15 digits:
        # the digits past the 15th are gone, importing them would store a wrong value
        if cell.number and col.type in ("text", "list") and len(value) > 15 and value.isdigit():
            problem(cell, "data.problem.digits_lost")
            continue
        if col.type == "text":
            record[f] = value
        elif col.type == "list":
            record[f] = _split(value)
        elif col.type in ("enum", "multi_enum"):
            index = _choice_index(kind, f)
            parts = _split(value) if col.type == "multi_enum" else [value]
            codes, bad = [], []
            for p in parts:
                code = index.get(_norm(p))
                (codes if code else bad).append(code or p)
            if bad:
                choices = "、".join(label(col.group, c, "zh") for c in col.choices)
                choices_en = ", ".join(f"{label(col.group, c, 'en')} ({c})" for c in col.choices)
                problem(cell, "data.problem.choice", bad=("、".join(bad), ", ".join(bad)), choices=(choices, choices_en))
                continue
            record[f] = list(dict.fromkeys(codes)) if col.type == "multi_enum" else codes[0]
        elif col.type == "int":
            v = _plain(value)
            if not _INT.fullmatch(v):
                problem(cell, "data.problem.int")
                continue
            record[f] = int(float(v)) if "." in v else int(v)
        elif col.type == "number":
            v = _plain(value)
            if not _NUMBER.fullmatch(v) or not math.isfinite(float(v)):
                problem(cell, "data.problem.number")
                continue
            record[f] = float(v)
    if source:
        record["sources"] = [{**source, "basis": "reported"}]
    return record, problems


def _split(value: str) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in LIST_SPLIT.split(value) if p.strip()))


def _plain(value: str) -> str:
    """A number as typed, made plain: full-width digits to ASCII, no spaces, no thousands separators."""
    v = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    return re.sub(r"(?<=\d),(?=\d{3}(?:\D|$))", "", v)


# ------------------------------------------------------------------ templates
def write_template(kind: str, stream: BinaryIO, *, rows: list[dict] | None = None, lang: str = "zh") -> None:
    """An XLSX template of one kind: its data sheet, the 说明 sheet and the hidden sheet of choices.

    ``rows`` (dicts field -> value: codes, lists, numbers, as records hold them) are written after the
    example row, for staff to complete; enumerations are written as labels in ``lang``.
    """
    _check_kind(kind)
    _workbook((kind,), stream, rows={kind: rows or []}, lang=lang)


def write_workbook_template(stream: BinaryIO, *, rows: dict[str, list[dict]] | None = None,
                            kinds: tuple[str, ...] = IMPORT_KINDS, lang: str = "zh") -> None:
    """One workbook with a sheet for each of ``kinds`` (企业, 平台, 项目, 关系), the 说明 sheet and the choices;
    ``rows`` pre-fills sheets by kind (the data to-do list exports what is missing this way)."""
    for kind in kinds:
        _check_kind(kind)
    _workbook(tuple(kinds), stream, rows=dict(rows or {}), lang=lang)


def _workbook(kinds: tuple[str, ...], stream: BinaryIO, *, rows: dict[str, list[dict]], lang: str) -> None:
    from openpyxl import Workbook

    lang = "en" if lang == "en" else "zh"
    wb = Workbook()
    wb.remove(wb.active)
    lists = wb.create_sheet(LISTS_SHEET)
    list_ranges: dict[tuple[str, str], str] = {}
    for kind in kinds:
        _data_sheet(wb, kind, rows.get(kind) or [], lang, lists, list_ranges)
    _instructions(wb.create_sheet(text("data.sheet.instructions", lang)), kinds, lang)
    wb.move_sheet(lists, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(LISTS_SHEET))
    lists.sheet_state = "hidden"
    wb.active = 0
    wb.save(stream)


def _data_sheet(wb, kind: str, rows: list[dict], lang: str, lists, list_ranges: dict) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from .exports import display_width

    ws = wb.create_sheet(_sheet_name(kind, lang))
    cols = _columns(kind)
    bold = Font(bold=True)
    fill_required = PatternFill("solid", fgColor="FCE4D6")
    fill = PatternFill("solid", fgColor="E8EEF5")
    for i, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=i, value=col.header(lang))
        cell.font = bold
        cell.fill = fill_required if col.required else fill
        cell.alignment = Alignment(vertical="center")
        note = _column_note(col, lang)
        if note:
            cell.comment = Comment(note, "Xijin Atlas", width=300, height=150)
        letter = get_column_letter(i)
        width = max(display_width(col.header(lang)) + 4, 12)
        if col.type in ("enum", "multi_enum"):
            width = max(width, max(display_width(label(col.group, c, lang)) for c in col.choices) + 4)
        width = _WIDTHS.get(col.field, width)
        ws.column_dimensions[letter].width = min(width, 50)
        if col.type in ("text", "list"):
            ws.column_dimensions[letter].number_format = "@"  # digits typed here stay text: no 1.2E+17
        if col.choices:
            ref = _choice_range(lists, list_ranges, kind, col, lang)
            dv = DataValidation(type="list", formula1=ref, allow_blank=True)
            if col.type == "multi_enum":  # several values in one cell: the list helps, it does not forbid
                dv.showErrorMessage = False
                dv.promptTitle = col.header(lang)[:32]
                dv.prompt = text("data.prompt.multi", lang)
                dv.showInputMessage = True
            else:
                dv.showErrorMessage = True
                dv.errorTitle = col.header(lang)[:32]
                dv.error = text("data.prompt.choice", lang)
            dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            ws.add_data_validation(dv)
    grey = Font(italic=True, color="808080")
    example = _example(kind, lang)
    for i, col in enumerate(cols, start=1):
        cell = ws.cell(row=2, column=i, value=_cell_value(example.get(col.field), col, lang))
        cell.font = grey
        if col.type in ("text", "list"):
            cell.number_format = "@"  # a written cell has its own style: keep the column's text format
        if isinstance(cell.value, str):
            cell.data_type = "s"
    for r, record in enumerate(rows, start=3):
        for i, col in enumerate(cols, start=1):
            value = _record_value(record, col)
            if value in (None, "", []):
                continue
            cell = ws.cell(row=r, column=i, value=_cell_value(value, col, lang))
            if col.type in ("text", "list"):
                cell.number_format = "@"
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a text starting with = is text, never a formula
    ws.freeze_panes = "A2"


# columns whose content is wider than their header (Excel character units)
_WIDTHS = {"name": 32, "aliases": 20, "description": 40, "credit_code": 22, "address": 36, "email": 24,
           "website": 24, "source": 32, "target": 32, "product": 20, "note": 30, "source_doc": 20,
           "source_quote": 40, "source_note": 24, "phone": 16, "location": 16}


def _record_value(record: dict, col: Column) -> Any:
    if col.field in SOURCE_FIELDS:
        sources = record.get("sources") or []
        return sources[0].get(SOURCE_FIELDS[col.field]) if sources and isinstance(sources[0], dict) else None
    return record.get(col.field)


def _cell_value(value: Any, col: Column, lang: str) -> Any:
    from .exports import cell_safe

    if value is None:
        return None
    if col.choices:
        codes = value if isinstance(value, (list, tuple)) else [value]
        return "、".join(label(col.group, c, lang) if c in col.choices else str(c) for c in codes)
    if isinstance(value, (list, tuple)):
        return cell_safe("、".join(str(v) for v in value))
    if isinstance(value, float) and value.is_integer() and col.type == "int":
        return int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and col.type in ("int", "number"):
        return value
    return cell_safe(str(value))


def _choice_range(lists, list_ranges: dict, kind: str, col: Column, lang: str) -> str:
    """The drop-down's source: a quoted list when it is short, else a column of the hidden sheet."""
    from openpyxl.utils import get_column_letter, quote_sheetname

    labels = [label(col.group, c, lang) for c in col.choices]
    inline = ",".join(labels)
    # Excel allows 255 characters in an inline list (fewer, some versions, for Chinese): longer lists are
    # read from the hidden sheet
    if len(labels) <= 8 and len(inline) <= 60 and not any("," in x or '"' in x for x in labels):
        return f'"{inline}"'
    key = (col.group, lang)
    if key not in list_ranges:
        n = len(list_ranges) + 1
        letter = get_column_letter(n)
        lists.cell(row=1, column=n, value=col.group)
        for r, x in enumerate(labels, start=2):
            lists.cell(row=r, column=n, value=x).data_type = "s"
        list_ranges[key] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(labels) + 1}"
    return list_ranges[key]


def _column_note(col: Column, lang: str) -> str:
    parts = [text("data.note.required" if col.required else "data.note.optional", lang),
             text(f"data.format.{col.type}", lang)]
    helptext = col.help_en if lang == "en" else col.help_zh
    if helptext:
        parts.append(helptext)
    return "\n".join(parts)


def _example_credit_code() -> str:
    first17 = "91360700MA35XJ0T0"  # 赣州 (3607), made up: it names no real firm
    return first17 + uscc_check_char(first17)


def _example(kind: str, lang: str) -> dict[str, Any]:
    """The template's example row: the id cell holds the mark that makes the reader skip it."""
    out: dict[str, Any] = {"id": EXAMPLE_MARK if lang == "zh" else EXAMPLE_MARK_EN}
    for col in _columns(kind):
        msgid = f"data.example.{kind}.{col.field}"
        got = text(msgid, lang)
        if got != msgid:
            out[col.field] = got
    if kind == "enterprise":
        out["credit_code"] = _example_credit_code()
        out["locality"] = "cluster"
        out["roles"] = ["specialised", "above_scale"]
    elif kind == "platform":
        out.update(platform_type="test_center", level="provincial", status="existing", locality="cluster")
    elif kind == "project":
        out.update(project_type="project", status="under_construction", locality="cluster")
    else:
        out.update(type="SUPPLIES", id=None)
        out["note"] = EXAMPLE_MARK if lang == "zh" else EXAMPLE_MARK_EN  # no id column: the mark goes here
    return out


def _instructions(ws, kinds: tuple[str, ...], lang: str) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append([text("data.help.title", lang)])
    ws["A1"].font = Font(bold=True, size=14)
    for msgid in ("data.help.rule.header", "data.help.rule.example", "data.help.rule.blank",
                  "data.help.rule.lists", "data.help.rule.choices", "data.help.rule.match",
                  "data.help.rule.digits", "data.help.rule.csv", "data.help.rule.sheets"):
        ws.append([text(msgid, lang, mark=EXAMPLE_MARK if lang == "zh" else EXAMPLE_MARK_EN,
                        mb=MAX_BYTES // 1024 // 1024, rows=f"{MAX_ROWS:,}")])
        ws.cell(row=ws.max_row, column=1).alignment = wrap
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=5)
        ws.row_dimensions[ws.max_row].height = 32
    for kind in kinds:
        ws.append([])
        ws.append([_sheet_name(kind, lang)])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
        ws.append([text(f"data.help.head.{h}", lang) for h in ("column", "required", "format", "choices", "about")])
        for c in ws[ws.max_row]:
            c.font = bold
        for col in _columns(kind):
            choices = "、".join(label(col.group, c, lang) for c in col.choices) if col.choices else ""
            ws.append([col.header(lang), text("data.yes" if col.required else "data.no", lang),
                       text(f"data.format.{col.type}", lang), choices, col.help_en if lang == "en" else col.help_zh])
            for c in ws[ws.max_row]:
                c.alignment = wrap
    for letter, width in zip("ABCDE", (22, 8, 34, 50, 60)):
        ws.column_dimensions[letter].width = width
