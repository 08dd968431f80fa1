"""The data to-do list (issue 10): ``/todo``, ``/api/v1/todo`` and ``/todo/export.xlsx``.

The export is the whole list as one pre-filled import workbook (``registry.tabular``'s template: a sheet per
kind, the 说明 sheet, the drop-downs): staff complete it in Excel and bring it back through ``/import``.

What the registry lacks that the analysis needs comes from ``graph.Analysis.data_todo`` (plain data); this
module only spells its messages out, adds the link of each line's fix and renders. Reading is what any
reader may do; the fixes themselves are made on the edit pages and the import page, by editors.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, url_for

from registry import tabular
from registry.messages import localise

from . import analysis
from .api import ok
from .downloads import download
from .i18n import current_lang

bp = Blueprint("todo", __name__)

IMPORT_PATH = "/import"  # the import page (built beside this one): the fix of whatever is not one record's field
LOCALITY_RANK = {"cluster": 0, "unknown": 1, "ganzhou": 1}
# where on a record's edit page each field is filled in
EDIT_ANCHORS = {"segment": "relation-add", "relation": "relation-delete"}


def fix_url(fix: dict) -> str:
    """The page where a line of the list is fixed: the record's edit form at the field, or the import page."""
    if fix.get("action") == "edit" and fix.get("id"):
        anchor = EDIT_ANCHORS.get(fix.get("field") or "", f"f-{fix.get('field')}")
        return url_for("pages.edit", entity_id=fix["id"], _anchor=anchor)
    return f"{IMPORT_PATH}?kind={fix.get('kind') or 'enterprise'}"


def todo_view() -> dict[str, Any]:
    """The list as the page and the API show it: messages in both languages, each item with ``fix_url``."""
    a = analysis.current()

    def compute():
        todo = localise(a.data_todo())
        for g in todo["groups"]:
            for item in g["items"]:
                item["fix_url"] = fix_url(item["fix"])
        return todo

    return a.memo("presented:data_todo", compute)


@bp.get("/todo")
def todo_page():
    return render_template("todo.html", t=todo_view(), import_path=IMPORT_PATH,
                           has_export="todo.todo_export" in current_app.view_functions)


@bp.get("/api/v1/todo")
def todo_api():
    return ok(todo_view())


def template_rows(todo: dict) -> dict[str, list[dict]]:
    """The pre-filled rows of every line, merged per record: one row per enterprise (its id, name and every field
    a line asks for), one per relation (type and ends); in the list's order, local firms first."""
    entities: dict[tuple[str, str], dict] = {}
    relations: dict[tuple, dict] = {}
    for g in todo["groups"]:
        for item in g["items"]:
            for t in item.get("template") or ():
                row = t["row"]
                if t["kind"] == "relation":
                    relations.setdefault((row.get("type"), row.get("source"), row.get("target")), dict(row))
                else:
                    have = entities.setdefault((t["kind"], row["id"]), {})
                    for k, v in row.items():
                        if have.get(k) is None:
                            have[k] = v
    rows: dict[str, list[dict]] = {}
    for (kind, _), row in entities.items():
        rows.setdefault(kind, []).append(row)
    for got in rows.values():  # local firms first, then those not yet placed, then the rest (a stable sort)
        got.sort(key=lambda r: LOCALITY_RANK.get(r.get("locality"), 2))
    rows["relation"] = list(relations.values())
    return rows


def export_workbook(todo: dict, *, lang: str = "zh") -> bytes:
    """The whole list as one import workbook: the enterprise and relation sheets pre-filled (and the sheet of any
    other kind a target needs records of), the 说明 sheet and the drop-downs of the import template."""
    rows = template_rows(todo)
    wanted = {"enterprise", "relation"} | set(rows) | {
        x["fix"]["kind"] for g in todo["groups"] for x in g["items"] if x["fix"].get("action") == "import"}
    kinds = tuple(k for k in tabular.IMPORT_KINDS if k in wanted)
    buf = io.BytesIO()
    tabular.write_workbook_template(buf, rows=rows, kinds=kinds, lang=lang)
    return buf.getvalue()


@bp.get("/todo/export.xlsx")
def todo_export():
    today = datetime.now(timezone(timedelta(hours=8))).strftime("%Y%m%d")  # the date in Beijing
    lang = current_lang()
    name = f"待补数据_导入模板_{today}.xlsx" if lang == "zh" else f"data_todo_import_template_{today}.xlsx"
    return download(export_workbook(analysis.current().data_todo(), lang=lang), "xlsx", name,
                    f"data_todo_import_template_{today}.xlsx")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
