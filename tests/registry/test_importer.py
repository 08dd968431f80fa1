"""Spreadsheet import (issue 10): matching, preview, all-or-nothing apply, one change set, undo.

Files are real: the import template written by ``registry.tabular``, filled with openpyxl as a person
would in Excel, and CSVs encoded as Excel on a Chinese Windows saves them. Run on the embedded store,
and on Neo4j when NEO4J_URI is set.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from registry import importer, tabular
from registry.errors import Conflict, InvalidInput
from registry.importer import apply_import, change_set, core_name, plan_import, undo_import
from registry.messages import label
from seed.loader import load_seed

BY = "editor1"
EXTRA = 3  # the seed's own records are in the registry already


def template_with(rows: list[list], kind: str = "enterprise") -> bytes:
    """The import template of ``kind`` with ``rows`` (cells in the template's column order) filled in."""
    buf = io.BytesIO()
    tabular.write_template(kind, buf)
    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    ws = wb.worksheets[0]
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def headers(kind: str = "enterprise") -> list[str]:
    return [c.zh for c in tabular.columns(kind)]


def firm_row(name, *, id="", aliases="", code="", locality="", roles="", phone="") -> list:
    cells = {"编号": id, "名称": name, "简称/别名": aliases, "统一社会信用代码": code, "集群内外": locality,
             "角色": roles, "电话": phone}
    return [cells.get(h, "") for h in headers()]


def plan_of(reg, data: bytes, name="名录.xlsx", **kw):
    return plan_import(reg, tabular.read_file(data, name), file=name, by=BY, **kw)


@pytest.fixture
def seeded(registry):
    load_seed(registry)
    return registry


def firms_500_with_20_bad() -> list[list]:
    rows = []
    for i in range(500):
        if i % 25 == 7:
            rows.append(firm_row(f"测试企业{i:03d}", locality="火星"))           # not a locality
        else:
            rows.append(firm_row(f"测试企业{i:03d}", locality=label("locality", "cluster" if i % 2 else "ganzhou"),
                                 roles="专精特新、规上" if i % 3 == 0 else ""))
    return rows


# ---------------------------------------------------------------- the path of the "done when"

def test_500_firms_with_20_bad_rows_preview_refuse_skip_apply_and_undo(seeded):
    before = seeded.counts()
    data = template_with(firms_500_with_20_bad())
    plan = plan_of(seeded, data)
    c = plan.counts
    assert (c["created"], c["changed"], c["rejected_rows"]) == (480, 0, 20)
    bad = plan.rejected[0]
    assert (bad.sheet, bad.row, bad.column, bad.value) == ("企业", 3 + 7, "集群内外", "火星")  # row 1 header, 2 example
    assert "火星" in bad.value and bad.reason and bad.reason != bad.reason_en

    with pytest.raises(InvalidInput, match="20"):
        apply_import(seeded, plan, by=BY, why="导入名录")
    assert seeded.counts() == before  # nothing written

    result = apply_import(seeded, plan, by=BY, why="导入2025年企业名录", skip_invalid=True)
    assert result["applied"] and result["created"] == 480 and len(result["rejected"]) == 20
    after = seeded.counts()
    assert after["entities"]["enterprise"] == before["entities"]["enterprise"] + 480
    hit = seeded.search("测试企业006")["items"][0]
    assert hit["locality"] == "cluster" or hit["locality"] == "ganzhou"
    assert hit["sources"][-1]["by"] == BY and "名录.xlsx" in hit["sources"][-1]["note"]

    # one change set in the change log; each record's history shows its own part
    listed = seeded.change_page(action=None)["items"]
    assert [c["action"] for c in listed].count("import") == 1
    assert not any(c["action"] == "import_item" for c in listed)
    cs = change_set(seeded, result["change_set"])
    assert cs["head"]["by"] == BY and cs["head"]["why"] == "导入2025年企业名录"
    assert cs["head"]["file"] == "名录.xlsx" and cs["head"]["created"] == 480 and cs["head"]["rejected"] == 20
    assert len(cs["items"]) == 480
    history = seeded.changes(entity_id=hit["id"])
    mine = [c for c in history if c["action"] == "import_item"]
    assert len(mine) == 1 and mine[0]["diff"]["after"]["name"] == hit["name"] and mine[0]["why"] == "导入2025年企业名录"

    undone = undo_import(seeded, result["change_set"], by="admin1", why="导错了文件")
    assert undone["deleted"] == 480
    assert seeded.counts() == before
    with pytest.raises(Conflict, match="already undone"):
        undo_import(seeded, result["change_set"], by="admin1", why="again")


def test_a_gbk_csv_from_chinese_excel_plans_the_same_as_the_xlsx(seeded):
    rows = firms_500_with_20_bad()[:60]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers())
    w.writerows(rows)
    gbk = buf.getvalue().encode("gbk")
    plan_csv = plan_import(seeded, tabular.read_file(gbk, "名录.csv"), file="名录.csv", by=BY)
    plan_xlsx = plan_of(seeded, template_with(rows))
    assert plan_csv.counts == plan_xlsx.counts
    assert [(r.row, r.column, r.value) for r in plan_csv.rejected] == \
           [(r.row - 1, r.column, r.value) for r in plan_xlsx.rejected]  # the CSV has no example row


# ---------------------------------------------------------------- matching

def test_matching_by_id_then_credit_code_then_name_or_alias(seeded):
    seeded.create({"kind": "enterprise", "id": "ent-coded", "name": "有代码的企业", "credit_code": "91360700MA35XJ0T0L"},
                  by=BY)
    data = template_with([
        firm_row("随便写的名字", id="ent-china-rare-earth-group", roles="链主、龙头、上市公司"),  # by id
        firm_row("另一个名字", code="91360700MA35XJ0T0L", phone="0797-1234567"),             # by credit code
        firm_row("金力永磁", phone="0797-7654321"),                                          # by alias
        firm_row("中科三环"),                                                                # by name, nothing new
    ])
    plan = plan_of(seeded, data)
    by_row = {i.row: i for i in plan.items}
    assert (by_row[3].action, by_row[3].id) == ("change", "ent-china-rare-earth-group")
    assert {f["field"] for f in by_row[3].fields} == {"name", "roles"}
    assert (by_row[4].action, by_row[4].id) == ("change", "ent-coded")
    assert by_row[4].fields == [{"field": "name", "before": "有代码的企业", "after": "另一个名字"},
                                {"field": "phone", "before": None, "after": "0797-1234567"}]
    assert by_row[5].action == "change" and by_row[5].name == "江西金力永磁科技股份有限公司"
    assert by_row[6].action == "unchanged"
    assert not plan.rejected


def test_a_near_duplicate_is_held_never_merged_and_a_decision_settles_it(seeded):
    data = template_with([firm_row("江西金力永磁科技有限公司")])
    plan = plan_of(seeded, data)
    [held] = plan.of("near")
    assert held.near[0]["name"] == "江西金力永磁科技股份有限公司" and held.near[0]["score"] >= importer.NEAR_SCORE
    assert plan.counts["rejected_rows"] == 1 and "江西金力永磁科技股份有限公司" in plan.rejected[0].reason
    with pytest.raises(InvalidInput):
        apply_import(seeded, plan, by=BY, why="x")
    stored_id = held.near[0]["id"]
    merge = plan_of(seeded, data, decisions={held.key: stored_id})
    assert [(i.action, i.id) for i in merge.items] == [("change", stored_id)]
    new = plan_of(seeded, data, decisions={held.key: "new"})
    assert [i.action for i in new.items] == ["create"] and new.items[0].id.startswith("ent-")


def test_core_names_drop_place_and_company_form():
    assert core_name("江西金力永磁科技股份有限公司") == "金力永磁"
    assert core_name("赣州稀土矿业有限公司") == "稀土矿业"
    assert core_name("中国稀土集团") == "稀土"


def test_blank_cells_never_erase_and_the_same_file_twice_changes_nothing(seeded):
    seeded.create({"kind": "enterprise", "id": "ent-x", "name": "某企业", "phone": "0797-1"}, by=BY)
    data = template_with([firm_row("某企业", locality=label("locality", "cluster"))])
    result = apply_import(seeded, plan_of(seeded, data), by=BY, why="补充所在地")
    assert result["changed"] == 1
    rec = seeded.get("ent-x")
    assert rec["phone"] == "0797-1" and rec["locality"] == "cluster"
    again = plan_of(seeded, data)
    assert again.counts["unchanged"] == 1 and again.counts["changed"] == 0


def test_rows_repeating_a_record_in_one_file_are_rejected(seeded):
    plan = plan_of(seeded, template_with([firm_row("新企业甲", id="ent-a"), firm_row("新企业甲", id="ent-a")]))
    assert plan.counts["created"] == 1 and plan.rejected[0].row == 4
    plan = plan_of(seeded, template_with([firm_row("新企业乙"), firm_row("新企业乙", phone="1")]))
    assert plan.counts["created"] == 1 and [(r.row, r.column) for r in plan.rejected] == [(4, "名称")]


def test_relations_name_their_ends_including_records_of_the_same_file(seeded):
    buf = io.BytesIO()
    tabular.write_workbook_template(buf)
    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    firm_sheet = wb[tabular._sheet_name("enterprise")]
    firm_sheet.append(firm_row("赣州新磁材有限公司", locality=label("locality", "cluster")))
    rel_sheet = wb[tabular._sheet_name("relation")]
    rel_headers = [c.zh for c in tabular.columns("relation")]
    cells = {"关系类型": "供应", "来源": "赣州新磁材有限公司", "目标": "中国稀土集团", "供应内容": "钕铁硼磁粉"}
    rel_sheet.append([cells.get(h, "") for h in rel_headers])
    cells = {"关系类型": "供应", "来源": "不存在的企业", "目标": "中国稀土集团"}
    rel_sheet.append([cells.get(h, "") for h in rel_headers])
    out = io.BytesIO()
    wb.save(out)
    plan = plan_of(seeded, out.getvalue(), name="全部.xlsx")
    rels = [i for i in plan.items if i.kind == "relation"]
    assert [(r.action, r.rel["type"], r.rel["target"]) for r in rels] == \
           [("create", "SUPPLIES", "ent-china-rare-earth-group")]
    assert [r.value for r in plan.rejected] == ["不存在的企业"]
    result = apply_import(seeded, plan, by=BY, why="供应关系", skip_invalid=True)
    rel = seeded.get_relation(rels[0].id)
    assert rel["product"] == "钕铁硼磁粉" and result["created"] == 2
    undo_import(seeded, result["change_set"], by="admin1", why="撤销")
    with pytest.raises(Exception):
        seeded.get_relation(rels[0].id)


# ---------------------------------------------------------------- nothing lost, nothing half-done

def test_a_record_changed_after_the_preview_abandons_the_whole_import(seeded):
    data = template_with([firm_row("新企业乙"), firm_row("中科三环", phone="0797-3")])
    plan = plan_of(seeded, data)
    assert plan.counts["changed"] == 1
    target = plan.of("change")[0].id
    rec = seeded.get(target)
    seeded.update(target, {"phone": "0797-2"}, version=rec["version"], by="someone", why="电话")
    before = seeded.counts()
    with pytest.raises(Conflict, match="since the preview"):
        apply_import(seeded, plan, by=BY, why="x")
    assert seeded.counts() == before and seeded.get(target)["phone"] == "0797-2"


def test_undo_is_refused_when_an_imported_record_was_changed_since(seeded):
    result = apply_import(seeded, plan_of(seeded, template_with([firm_row("新企业丙")])), by=BY, why="x")
    rid = change_set(seeded, result["change_set"])["items"][0]["entity_id"]
    seeded.update(rid, {"phone": "1"}, version=1, by="someone", why="补电话")
    with pytest.raises(Conflict, match="cannot be undone"):
        undo_import(seeded, result["change_set"], by="admin1", why="撤销")
    assert seeded.get(rid)["phone"] == "1"


def test_undo_of_a_change_puts_the_fields_back_as_a_new_version(seeded):
    rec = seeded.get("ent-china-rare-earth-group")
    result = apply_import(seeded, plan_of(seeded, template_with([firm_row("中国稀土集团", phone="010-1")])),
                          by=BY, why="补电话")
    assert seeded.get(rec["id"])["phone"] == "010-1"
    undo_import(seeded, result["change_set"], by="admin1", why="撤销")
    back = seeded.get(rec["id"])
    assert back.get("phone") is None and back["sources"] == rec["sources"]
    assert back["version"] == rec["version"] + 2 and back["updated_by"] == "admin1"


def test_a_reason_is_required(seeded):
    with pytest.raises(InvalidInput, match="why"):
        apply_import(seeded, plan_of(seeded, template_with([firm_row("新企业丁")])), by=BY, why=" ")


def test_core_name_equals_its_plain_definition_on_thousands_of_names():
    """core_name skips the word lists when no word can match, and is remembered: the same result as the
    plain loop over every place and form word, pass after pass."""
    import random

    from registry import importer as I

    def plain(name):
        s = I._PUNCT.sub("", name)
        changed = True
        while changed:
            changed = False
            for p in I._PLACES:
                if s.startswith(p) and len(s) > len(p) + 1:
                    s, changed = s[len(p):], True
            for x in I._SUFFIXES:
                if s.endswith(x) and len(s) > len(x) + 1:
                    s, changed = s[:-len(x)], True
        return s.lower()

    rng = random.Random(3)
    bits = list(I._PLACES) + list(I._SUFFIXES) + ["金力", "永磁", "稀土", "ABC", "（", "）", " ", "-", "江", "司", "中"]
    names = ["".join(rng.choice(bits) for _ in range(rng.randint(0, 8))) for _ in range(5000)]
    names += ["江西金力永磁科技股份有限公司", "中国稀土集团有限公司", "赣州市", "公司", "中国中国", ""]
    I.core_name.cache_clear()
    assert [I.core_name(n) for n in names] == [plain(n) for n in names]
    assert I.core_name("江西金力永磁科技股份有限公司") == "金力永磁"
