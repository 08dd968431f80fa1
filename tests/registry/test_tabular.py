"""The file layer of spreadsheet import: templates, and reading the XLSX and CSV files staff fill.

Every test writes a real file (openpyxl, or bytes in the encoding a Chinese Excel saves) to tmp_path and
reads it back through ``registry.tabular``.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from registry import tabular as T
from registry.errors import InvalidInput
from registry.messages import label
from registry.model import MODELS, RELATION_TYPES, ROLES, Relation, uscc_check_char, validate_entity, validate_relation

CODE = "91360700MA35XJ0T0" + uscc_check_char("91360700MA35XJ0T0")  # a well-formed, made-up credit code
# an all-digit credit code (some are): Excel turns it into a number unless the column is text
DIGIT_CODE = next(c + uscc_check_char(c) for c in (f"9136072112345{i:04d}" for i in range(100))
                  if uscc_check_char(c).isdigit())


def _template(tmp_path, kind="enterprise", **kw):
    path = tmp_path / f"{kind}.xlsx"
    with path.open("wb") as fh:
        T.write_template(kind, fh, **kw)
    return path


def _read(path, **kw):
    return T.read_file(path.read_bytes(), path.name, **kw)


def _refusal(data, name, **kw) -> str:
    with pytest.raises(InvalidInput) as exc:
        T.read_file(data, name, **kw)
    return exc.value.message


# ------------------------------------------------------------------ columns
@pytest.mark.parametrize("kind", T.IMPORT_KINDS)
def test_columns_come_from_the_model(kind):
    cols = T.columns(kind)
    fields = [c.field for c in cols]
    model = Relation if kind == "relation" else MODELS[kind]
    own = [f for f in fields if f not in T.SOURCE_FIELDS]
    assert own == [f for f in model.model_fields if f not in ("kind", "sources")]
    assert fields[len(own):] == list(T.SOURCE_FIELDS)
    assert all(c.zh and c.en and c.zh != c.field for c in cols)
    required = {c.field for c in cols if c.required}
    assert required == ({"type", "source", "target"} if kind == "relation" else {"name"})


def test_column_types_follow_the_annotations():
    ent = {c.field: c for c in T.columns("enterprise")}
    assert (ent["roles"].type, ent["roles"].choices) == ("multi_enum", ROLES)
    assert ent["locality"].type == "enum" and "cluster" in ent["locality"].choices
    assert ent["aliases"].type == "list" and ent["credit_code"].type == "text"
    rel = {c.field: c for c in T.columns("relation")}
    assert rel["type"].type == "enum" and rel["type"].choices == tuple(RELATION_TYPES)
    plat = {c.field: c for c in T.columns("platform")}
    assert plat["status"].group == "platform_status"
    assert {c.field: c for c in T.columns("project")}["status"].group == "project_status"
    with pytest.raises(InvalidInput, match="segment"):
        T.columns("segment")


# ------------------------------------------------------------------ templates
def test_template_has_a_bold_frozen_chinese_header_drop_downs_and_instructions(tmp_path):
    wb = openpyxl.load_workbook(_template(tmp_path))
    assert wb.sheetnames == ["企业", "说明", "_lists"]
    assert wb["_lists"].sheet_state == "hidden"
    ws = wb["企业"]
    headers = [c.value for c in ws[1]]
    assert headers == [c.zh for c in T.columns("enterprise")]
    assert headers[:3] == ["编号", "名称", "简称/别名"]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    letter = {c.field: openpyxl.utils.get_column_letter(i) for i, c in enumerate(T.columns("enterprise"), 1)}
    dvs = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    # every enumeration has a list: short ones inline, roles (15 values) from the hidden sheet
    assert set(dvs) == {f"{letter['locality']}2", f"{letter['roles']}2"}
    loc = dvs[f"{letter['locality']}2"]
    assert loc.type == "list" and "集群内" in loc.formula1 and loc.showErrorMessage
    roles = dvs[f"{letter['roles']}2"]
    assert roles.formula1.startswith("'_lists'!$") and not roles.showErrorMessage  # several roles in a cell
    listed = [c.value for c in wb["_lists"][roles.formula1.split("!")[1].replace("$", "").split(":")[0][0]]][1:]
    assert listed == [label("role", r) for r in ROLES]
    assert ws.column_dimensions[letter["credit_code"]].number_format == "@"
    assert ws.column_dimensions[letter["name"]].width >= 12
    # one example row, marked
    assert ws["A2"].value == T.EXAMPLE_MARK and ws.max_row == 2
    about = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "先按编号，再按统一社会信用代码，最后按全称或简称" in about and T.EXAMPLE_MARK in about
    assert "统一社会信用代码" in about and "专精特新小巨人" in about and "、" in about


def test_every_enumeration_of_every_kind_has_a_drop_down(tmp_path):
    path = tmp_path / "all.xlsx"
    with path.open("wb") as fh:
        T.write_workbook_template(fh)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["企业", "平台", "项目", "关系", "说明", "_lists"]
    for kind in T.IMPORT_KINDS:
        ws = wb[T._sheet_name(kind)]
        want = {openpyxl.utils.get_column_letter(i) for i, c in enumerate(T.columns(kind), 1) if c.choices}
        got = {str(dv.sqref)[0] for dv in ws.data_validations.dataValidation}
        assert got == want, kind
        assert [c.value for c in ws[1]] == [c.zh for c in T.columns(kind)]
    rel = wb["关系"].data_validations.dataValidation[0]
    assert rel.formula1.startswith("'_lists'!")
    # the whole template reads back as four empty tables: the example rows are skipped
    tables = _read(path)
    assert [(t.sheet, t.kind, t.rows) for t in tables] == [
        ("企业", "enterprise", []), ("平台", "platform", []), ("项目", "project", []), ("关系", "relation", [])]


def test_english_template_reads_back_too(tmp_path):
    path = _template(tmp_path, "platform", lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Platforms", "Instructions", "_lists"]
    ws = wb["Platforms"]
    assert ws["B1"].value == "Name" and ws["A2"].value == T.EXAMPLE_MARK_EN
    ws.append([None, "赣州稀土检测中心", None, None, "Test & inspection centre", "Provincial", "existing"])
    wb.save(path)
    (table,) = _read(path)
    assert table.kind == "platform" and [r.row for r in table.rows] == [3]
    record, problems = T.to_record("platform", table.rows[0])
    assert problems == []
    assert record == {"kind": "platform", "name": "赣州稀土检测中心", "platform_type": "test_center",
                      "level": "provincial", "status": "existing"}


def _fill(path, rows, sheet="企业"):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    fields = [c.field for c in T.columns(T._sheet_kinds()[T._norm(sheet)])]
    for row in rows:
        ws.append([row.get(f) for f in fields])
    wb.save(path)


def test_round_trip_chinese_lists_and_enumerations_by_label(tmp_path):
    path = _template(tmp_path)
    _fill(path, [
        {"name": "江西金力永磁科技股份有限公司", "aliases": "金力永磁、金力；JL MAG", "credit_code": CODE,
         "locality": "集群内", "roles": "链主、专精特新小巨人,above_scale", "phone": "0797-8068000",
         "location": "赣州经济技术开发区", "source_note": "2024年企业名录"},
        {"name": "  中科三环  ", "locality": " Abroad ", "roles": "龙头|Listed company"},
        {"name": "ＡＢＣ稀土", "locality": "ｃｌｕｓｔｅｒ", "roles": "规上\n国企"},
    ])
    (table,) = _read(path)
    assert table.sheet == "企业" and table.kind == "enterprise" and table.header[1] == "名称"
    assert [r.row for r in table.rows] == [3, 4, 5]  # header row 1, example row 2 skipped
    first = table.rows[0]
    assert first.cells["name"].value == "江西金力永磁科技股份有限公司" and first.cells["name"].column == "名称"
    assert first.cells["description"].value == ""  # every column of the file, blank ones too
    records = []
    for row in table.rows:
        record, problems = T.to_record("enterprise", row)
        assert problems == []
        records.append(record)
    assert records[0] == {"kind": "enterprise", "name": "江西金力永磁科技股份有限公司",
                          "aliases": ["金力永磁", "金力", "JL MAG"], "credit_code": CODE, "locality": "cluster",
                          "location": "赣州经济技术开发区", "roles": ["chain_leader", "little_giant", "above_scale"],
                          "phone": "0797-8068000",
                          "sources": [{"note": "2024年企业名录", "basis": "reported"}]}
    assert records[1]["name"] == "中科三环" and records[1]["locality"] == "abroad"
    assert records[1]["roles"] == ["leading", "listed"]
    assert records[2]["locality"] == "cluster" and records[2]["roles"] == ["above_scale", "soe"]
    # what the importer gets validates (it adds an id and who reported the source)
    first = dict(records[0], id="e-jl", sources=[dict(records[0]["sources"][0], by="editor")])
    assert validate_entity(first).roles == ["chain_leader", "little_giant", "above_scale"]


def test_prefilled_rows_come_back_as_the_same_record(tmp_path):
    rows = [{"id": "e-zksh", "name": "中科三环", "aliases": ["三环"], "locality": "china",
             "roles": ["listed", "high_tech"], "credit_code": CODE, "phone": "13812345678",
             "description": "=HYPERLINK(\"x\")"},
            {"id": "e-x", "name": "粤磁科技"}]
    path = _template(tmp_path, rows=rows)
    ws = openpyxl.load_workbook(path)["企业"]
    assert ws["F3"].value == label("locality", "china") and ws["H3"].value == "上市公司、高新技术企业"
    (table,) = _read(path)
    assert [r.row for r in table.rows] == [3, 4]
    got = [T.to_record("enterprise", r)[0] for r in table.rows]
    assert got[0] == {"kind": "enterprise", **rows[0]}
    assert got[1] == {"kind": "enterprise", **rows[1]}


def test_relation_template_round_trip(tmp_path):
    path = _template(tmp_path, "relation")
    wb = openpyxl.load_workbook(path)
    ws = wb["关系"]
    assert ws["A2"].value == "供应" and T.EXAMPLE_MARK in [c.value for c in ws[2]]
    ws.append(["供应", "江西金力永磁科技股份有限公司", "e-motor", "钕铁硼磁钢", None, None, None, None, "走访记录"])
    ws.append(["CHAIN_LEADER", "e-jl", "seg.magnet"])
    ws.append(["产学研合作", "e-jl", "p-ganzhou-lab"])
    ws.append(["卖给", "e-jl", "e-x"])
    wb.save(path)
    (table,) = _read(path)
    got = [T.to_record("relation", r) for r in table.rows]
    assert [r.row for r in table.rows] == [3, 4, 5, 6]
    assert got[0] == ({"type": "SUPPLIES", "source": "江西金力永磁科技股份有限公司", "target": "e-motor",
                       "product": "钕铁硼磁钢", "sources": [{"note": "走访记录", "basis": "reported"}]}, [])
    assert got[1][0]["type"] == "CHAIN_LEADER" and got[2][0]["type"] == "RESEARCH_PARTNER"
    assert validate_relation(got[1][0]).id == "e-jl>CHAIN_LEADER>seg.magnet"
    record, (problem,) = got[3]
    assert "type" not in record
    assert (problem.sheet, problem.row, problem.column, problem.value) == ("关系", 6, "关系类型", "卖给")
    assert "不是可选值" in problem.reason_zh and "供应" in problem.reason_zh
    assert "SUPPLIES" in problem.reason_en and "not an allowed value" in problem.reason_en


# ------------------------------------------------------------------ XLSX details
def _workbook(tmp_path, rows, title="企业", name="book.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def test_numbers_that_are_text_come_back_as_displayed(tmp_path):
    path = _workbook(tmp_path, [
        ["名称", "电话", "统一社会信用代码", "编号", "简介"],
        ["甲", 13812345678, CODE, 3.0, 0.5],
        ["乙", "0797-1234567", int(DIGIT_CODE), 42, date(2024, 5, 1)],
        ["丙", 8.0, None, "e-3", datetime(2024, 5, 1, 8, 30)],
    ])
    (table,) = _read(path)
    rows = [{f: c.value for f, c in r.cells.items()} for r in table.rows]
    assert rows[0] == {"name": "甲", "phone": "13812345678", "credit_code": CODE, "id": "3", "description": "0.5"}
    assert rows[1]["phone"] == "0797-1234567" and rows[1]["id"] == "42" and rows[1]["description"] == "2024-05-01"
    assert rows[2]["phone"] == "8" and rows[2]["description"] == "2024-05-01 08:30:00"
    assert not any("E+" in v or v.endswith(".0") for r in rows for v in r.values())
    # an 18-digit number Excel stored as a number has already lost digits: said so, never imported
    record, (problem,) = T.to_record("enterprise", table.rows[1])
    assert "credit_code" not in record and problem.column == "统一社会信用代码" and problem.row == 3
    assert "15" in problem.reason_zh and "15 digits" in problem.reason_en
    assert T.to_record("enterprise", table.rows[0])[0]["phone"] == "13812345678"


def _with_cached_value(path, cell_ref, cached):
    """Give a formula cell the value Excel would have stored with it (openpyxl writes none)."""
    out = path.with_name("cached.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode("utf-8")
                new, n = re.subn(rf'(<c r="{cell_ref}"[^>]*>\s*<f>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>)?',
                                 rf"\1<v>{cached}</v>", xml)
                assert n == 1, xml[:2000]
                data = new.encode("utf-8")
            dst.writestr(item, data)
    return out


def test_formula_cells_come_back_as_their_stored_value_never_evaluated(tmp_path):
    path = _workbook(tmp_path, [["名称", "电话", "简介"], ["甲", "=1+2", '=CONCAT("赣","州")']])
    # as openpyxl saves it: formulas with no stored value -> nothing to show, nothing computed
    (table,) = _read(path)
    assert table.rows[0].cells["phone"].value == "" and table.rows[0].cells["description"].value == ""
    cached = _with_cached_value(path, "B2", "3")
    (table,) = _read(cached)
    assert table.rows[0].cells["phone"].value == "3"  # what Excel showed
    assert table.rows[0].cells["description"].value == ""


def test_a_text_that_starts_like_a_formula_stays_text(tmp_path):
    path = _workbook(tmp_path, [["名称", "简介"], ["甲", "'=cmd|' /C calc'!A0"], ["乙", "+86 797"]])
    wb = openpyxl.load_workbook(path)
    wb.active["B2"].data_type = "s"
    wb.save(path)
    (table,) = _read(path)
    assert [r.cells["description"].value for r in table.rows] == ["=cmd|' /C calc'!A0", "+86 797"]


def test_a_title_line_above_the_header_is_skipped_and_rows_keep_their_numbers(tmp_path):
    path = _workbook(tmp_path, [["赣州市稀土企业名录（2024年）"], ["序号", "企业名称", "简称"], [1, "甲公司", "甲"],
                                [], [2, "乙公司", None]])
    (table,) = _read(path)
    assert table.header_row == 2 and table.header == ["序号", "企业名称", "简称"]
    assert [(r.row, r.cells["name"].value) for r in table.rows] == [(3, "甲公司"), (5, "乙公司")]
    assert "序号" not in [c.column for c in table.rows[0].cells.values()]


def test_rows_are_numbered_as_the_spreadsheet_shows_them_with_blank_leading_columns(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "平台"
    ws["C3"], ws["D3"] = "名称", "平台类型"
    ws["C4"], ws["D4"] = "稀土研究院", label("platform_type", "research_institute")
    ws["C7"] = "检测中心"
    wb.save(tmp_path / "p.xlsx")
    (table,) = _read(tmp_path / "p.xlsx")
    assert table.kind == "platform" and table.header_row == 3
    assert [(r.row, r.cells["name"].value) for r in table.rows] == [(4, "稀土研究院"), (7, "检测中心")]
    assert T.to_record("platform", table.rows[0])[0]["platform_type"] == "research_institute"


def test_kind_from_english_sheet_names_or_headers_and_sheet_choice(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active.append(["Name", "Credit code"])
    wb.active.append(["甲", CODE])
    rel = wb.create_sheet("Relations")
    rel.append(["type", "source", "target"])
    rel.append(["SUPPLIES", "a", "b"])
    wb.create_sheet("Sheet3")  # an empty sheet, as WPS adds: ignored
    notes = wb.create_sheet("说明")
    notes.append(["随便写的说明"])
    wb.save(tmp_path / "b.xlsx")
    tables = _read(tmp_path / "b.xlsx")
    assert [(t.sheet, t.kind) for t in tables] == [("Sheet1", "enterprise"), ("Relations", "relation")]
    (only,) = _read(tmp_path / "b.xlsx", sheet="Relations")
    assert only.kind == "relation" and only.rows[0].row == 2
    msg = _refusal((tmp_path / "b.xlsx").read_bytes(), "b.xlsx", sheet="企业库")
    assert "没有名为“企业库”的工作表" in msg and "Sheet1、Relations" in msg


def test_a_sheet_whose_kind_cannot_be_told_is_refused(tmp_path):
    path = _workbook(tmp_path, [["名称", "简称"], ["甲", "乙"]], title="Sheet1")
    msg = _refusal(path.read_bytes(), "b.xlsx")
    assert "看不出“Sheet1”是哪种数据" in msg and "企业、平台、项目、关系" in msg
    assert "cannot tell what 'Sheet1' holds" in msg
    (table,) = T.read_file(path.read_bytes(), "b.xlsx", kind="project")
    assert table.kind == "project"


def test_unknown_duplicate_missing_and_unnamed_columns_are_refused(tmp_path):
    msg = _refusal(_workbook(tmp_path, [["名称", "注册资本", "法人"], ["甲", 1, 2]]).read_bytes(), "a.xlsx")
    assert "不认识的列：注册资本、法人" in msg and "可用的表头：编号、名称、简称/别名" in msg
    assert "unknown columns: 注册资本, 法人" in msg and "Accepted headers: ID, Name, Aliases" in msg
    msg = _refusal(_workbook(tmp_path, [["名称", "企业名称"], ["甲", "乙"]]).read_bytes(), "a.xlsx")
    assert "“名称”和“企业名称”是同一列" in msg
    msg = _refusal(_workbook(tmp_path, [["简称", "统一社会信用代码"], ["甲", CODE]]).read_bytes(), "a.xlsx")
    assert "缺少必填列：名称" in msg and "lacks required columns: Name" in msg
    msg = _refusal(_workbook(tmp_path, [["名称", None, "简称"], ["甲", "多出来的", "乙"]]).read_bytes(), "a.xlsx")
    assert "B 列有数据但没有表头" in msg


def test_too_many_columns_sheets_and_rows_are_refused(tmp_path):
    msg = _refusal(_workbook(tmp_path, [["名称"] + [f"列{i}" for i in range(80)]]).read_bytes(), "a.xlsx")
    assert "列数太多（81 列，上限 64）" in msg
    wb = openpyxl.Workbook()
    for i in range(T.MAX_SHEETS):
        wb.create_sheet(f"s{i}")
    wb.save(tmp_path / "many.xlsx")
    assert "工作表太多（17 个，上限 16）" in _refusal((tmp_path / "many.xlsx").read_bytes(), "many.xlsx")
    csv_text = "名称\n" + "甲\n" * (T.MAX_ROWS + 11)
    msg = _refusal(csv_text.encode(), "big.csv", kind="enterprise")
    assert "行数太多" in msg and "上限 200000" in msg


# ------------------------------------------------------------------ CSV
ROWS_ZH = "名称,简称,集群内外,角色,电话\n赣州稀土集团有限公司,赣州稀土、赣稀,集群内,链主、国企,0797-8888888\n𠮷祥磁材,,境外,,13812345678\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_the_encodings_excel_saves(tmp_path, encoding):
    content = ROWS_ZH if encoding in ("gb18030", "utf-8-sig", "utf-8") else ROWS_ZH.replace("𠮷", "吉")
    path = tmp_path / "企业.csv"
    path.write_bytes(content.replace("\n", "\r\n").encode(encoding))
    (table,) = _read(path)
    assert table.kind == "enterprise" and table.header[0] == "名称" and table.sheet == "企业.csv"
    assert [r.row for r in table.rows] == [2, 3]
    first, _ = T.to_record("enterprise", table.rows[0])
    assert first == {"kind": "enterprise", "name": "赣州稀土集团有限公司", "aliases": ["赣州稀土", "赣稀"],
                     "locality": "cluster", "roles": ["chain_leader", "soe"], "phone": "0797-8888888"}
    second, _ = T.to_record("enterprise", table.rows[1])
    assert second["name"].endswith("祥磁材") and second["phone"] == "13812345678"


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_csv_delimiter_is_sniffed_from_the_header(tmp_path, delimiter):
    data = f"名称{delimiter}所在地{delimiter}简介\n甲{delimiter}赣县区{delimiter}a,b\n".encode()
    (table,) = T.read_file(data, "x.csv", kind="enterprise")
    assert table.rows[0].cells["description"].value == "a,b"


def test_csv_formula_text_is_kept_as_text_and_quoted_cells_keep_line_breaks(tmp_path):
    data = '名称,简介,电话\n甲,"=HYPERLINK(""http://x"")",+8613812345678\n"乙","第一行\n第二行","@x"\n丙,-1,\'=1+2\n'
    (table,) = T.read_file(data.encode("utf-8"), "x.csv", kind="enterprise")
    got = [(r.row, r.cells["description"].value, r.cells["phone"].value) for r in table.rows]
    assert got == [(2, '=HYPERLINK("http://x")', "+8613812345678"), (3, "第一行\n第二行", "@x"), (4, "-1", "=1+2")]


@pytest.mark.parametrize("encoding,named", [("big5", "big5"), ("shift_jis", "cp932")])
def test_csv_in_another_encoding_is_refused_naming_it(tmp_path, encoding, named):
    text = {"big5": "名稱,簡稱,所在地\n贛州稀土礦業有限公司,贛州稀土,贛縣區\n江西金力永磁科技股份有限公司,金力永磁,贛州經濟技術開發區\n",
            "shift_jis": "名称,略称,所在地\n東京磁石株式会社,東京磁石,東京都千代田区\n大阪レアアース株式会社,大阪レア,大阪市北区\n"}[encoding]
    msg = _refusal(text.encode(encoding), "x.csv", kind="enterprise")
    assert f"编码看来是 {named}" in msg and "不是 UTF-8 或 GBK/GB18030" in msg and f"encoded as {named}" in msg


def test_csv_kind_from_headers_and_refusals(tmp_path):
    (rel,) = T.read_file("关系类型,来源,目标,供应内容\n供应,甲,乙,磁钢\n".encode(), "links.csv")
    assert rel.kind == "relation"
    (proj,) = T.read_file("名称,项目类型,投资额\n某项目,园区,10亿元\n".encode(), "p.csv")
    assert proj.kind == "project"
    assert T.to_record("project", proj.rows[0])[0]["project_type"] == "park"
    msg = _refusal("名称,注册资本\n甲,1\n".encode(), "a.csv")
    assert "看不出 a.csv 是哪种数据" in msg and "导入时请选择数据类型" in msg and "不认识的列：注册资本" in msg
    msg = _refusal("名称,统一社会信用代码,注册资本\n甲,乙,1\n".encode(), "a.csv")
    assert "“a.csv”（企业）中有不认识的列：注册资本" in msg
    assert "没有可导入的数据" in _refusal(b"", "a.csv", kind="enterprise")
    assert "不是文本格式" in _refusal("名称\x00\n".encode(), "a.csv", kind="enterprise")


# ------------------------------------------------------------------ files that are not what they say
def test_big_files_are_refused_without_being_read(tmp_path):
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as fh:
        fh.truncate(T.MAX_BYTES + 1)

    class Counting(io.FileIO):
        taken = 0

        def read(self, size=-1):
            got = super().read(size)
            Counting.taken += len(got)
            return got

    with Counting(path, "rb") as fh:
        with pytest.raises(InvalidInput) as exc:
            T.read_file(fh, "huge.xlsx")
    assert Counting.taken == 0
    assert "文件太大（50.0 MB），上限 50 MB" in exc.value.message and "too big" in exc.value.message
    assert "文件太大" in _refusal(b"x" * (T.MAX_BYTES + 1), "huge.csv")


def test_unreadable_and_unknown_files_are_refused_clearly(tmp_path):
    msg = _refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "名录.xls")
    assert "名录.xls 是 .xls 格式" in msg and "另存为" in msg and ".xlsx" in msg
    msg = _refusal("名称\n甲\n".encode(), "名录.txt")
    assert "不支持的文件类型 .txt" in msg and "unsupported file type .txt" in msg
    assert "不支持的文件类型 （无扩展名）" in _refusal(b"abc", "noext")
    msg = _refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "renamed.xlsx")
    assert "旧版 .xls 或加了密码" in msg
    assert "不是有效的 .xlsx 文件" in _refusal(bytes(range(256)) * 10, "garbage.xlsx")
    assert "无法读取 broken.xlsx" in _refusal(b"PK\x03\x04" + b"\x00" * 300, "broken.xlsx")
    msg = _refusal(bytes(range(128, 256)) * 40, "garbage.csv")
    assert "不是 UTF-8 或 GBK/GB18030" in msg or "认不出" in msg or "不是文本格式" in msg


# ------------------------------------------------------------------ to_record
def _row(kind, **values):
    cols = {c.field: c for c in T.columns(kind)}
    return T.Row("企业", 7, {f: T.Cell(cols[f].zh, f, v) for f, v in values.items()})


def test_to_record_converts_numbers_leaves_blanks_out_and_reports_what_it_cannot_convert():
    record, problems = T.to_record("enterprise", _row("enterprise", name="甲", roles="链主、超级企业",
                                                      locality="集群外", email="", aliases=" ; 、"))
    assert record == {"kind": "enterprise", "name": "甲", "aliases": []}
    assert [(p.row, p.column, p.value) for p in problems] == [(7, "角色", "链主、超级企业"), (7, "集群内外", "集群外")]
    assert "“超级企业”不是可选值" in problems[0].reason_zh and "链主" in problems[0].reason_zh
    assert "'超级企业' is not an allowed value" in problems[0].reason_en and "Chain leader (chain_leader)" in problems[0].reason_en


def test_numbers_are_converted_with_full_width_digits_and_separators():
    # no import kind has a numeric column today: the converter is tested directly
    assert T._plain(" １，２３４ ") == "1234" and T._plain("1,234.5") == "1234.5"
    assert T._INT.fullmatch(T._plain("３.0")) and not T._INT.fullmatch(T._plain("3.5"))
    assert T.display(1234.5) == "1234.5" and T.display(1e21) == "1e+21" and T.display(0.1 + 0.2) == "0.3"


def test_headers_match_whatever_the_case_spaces_and_width(tmp_path):
    data = " ＮＡＭＥ ,credit  CODE,In / Out Of Cluster,简 称\n甲,{code},ｃｌｕｓｔｅｒ,乙\n".format(code=CODE)
    (table,) = T.read_file(data.encode("utf-8"), "x.csv")
    assert table.kind == "enterprise" and table.header == ["ＮＡＭＥ", "credit  CODE", "In / Out Of Cluster", "简 称"]
    record, problems = T.to_record("enterprise", table.rows[0])
    assert problems == [] and record == {"kind": "enterprise", "name": "甲", "credit_code": CODE,
                                         "locality": "cluster", "aliases": ["乙"]}
    assert table.rows[0].cells["credit_code"].column == "credit  CODE"


def test_a_sheet_named_for_a_kind_keeps_it_whatever_kind_is_given(tmp_path):
    path = tmp_path / "all.xlsx"
    with path.open("wb") as fh:
        T.write_workbook_template(fh)
    assert [t.kind for t in _read(path, kind="enterprise")] == list(T.IMPORT_KINDS)
    (one,) = _read(path, sheet="关系")
    assert one.kind == "relation"


def test_the_row_limit_counts_data_rows_exactly(monkeypatch):
    monkeypatch.setattr(T, "MAX_ROWS", 3)
    (table,) = T.read_file("名称\n甲\n乙\n丙\n".encode(), "x.csv", kind="enterprise")
    assert [r.row for r in table.rows] == [2, 3, 4]
    msg = _refusal("名称\n甲\n乙\n丙\n丁\n".encode(), "x.csv", kind="enterprise")
    assert "行数太多（4 行，上限 3）" in msg


def test_a_workbook_that_unpacks_too_big_is_refused_before_unpacking(tmp_path, monkeypatch):
    path = _template(tmp_path)
    monkeypatch.setattr(T, "MAX_UNPACKED", 1000)
    msg = _refusal(path.read_bytes(), "enterprise.xlsx")
    assert "enterprise.xlsx 解压后太大" in msg and "too big once unpacked" in msg


def test_a_label_without_its_parenthesis_is_understood():
    cols = {c.field: c for c in T.columns("enterprise")}
    row = T.Row("企业", 2, {"name": T.Cell("名称", "name", "甲"), "locality": T.Cell("集群内外", "locality", "赣州市")})
    assert T.to_record("enterprise", row) == ({"kind": "enterprise", "name": "甲", "locality": "ganzhou"}, [])
    assert label("locality", "ganzhou") == "赣州市（未写明在集群内）" and cols["locality"].choices[1] == "ganzhou"


def test_prefilled_and_example_cells_keep_the_text_format(tmp_path):
    path = _template(tmp_path, rows=[{"name": "甲", "phone": "0797-1", "credit_code": CODE, "locality": "cluster"}])
    ws = openpyxl.load_workbook(path)["企业"]
    fields = [c.field for c in T.columns("enterprise")]
    for r in (2, 3):
        assert ws.cell(row=r, column=fields.index("phone") + 1).number_format == "@"
        assert ws.cell(row=r, column=fields.index("credit_code") + 1).number_format == "@"


def test_damaged_utf8_is_refused_naming_the_line_not_read_as_gbk():
    good = ROWS_ZH.encode("utf-8")
    lines = good.split(b"\n")
    lines[2] = lines[2][:6] + b"\xff" + lines[2][6:]
    msg = _refusal(b"\n".join(lines), "x.csv", kind="enterprise")
    assert "是 UTF-8 编码，但第 3 行有损坏的字节" in msg and "damaged bytes on line 3" in msg


def test_a_one_word_title_above_the_header_is_not_taken_for_it(tmp_path):
    path = _workbook(tmp_path, [["名称"], ["名称", "简称", "所在地"], ["甲公司", "甲", "赣县区"]], title="企业")
    (table,) = _read(path)
    assert table.header_row == 2 and [r.row for r in table.rows] == [3]
    (only,) = T.read_file("名称\n甲\n".encode(), "one.csv", kind="enterprise")
    assert only.header_row == 1 and only.rows[0].cells["name"].value == "甲"
