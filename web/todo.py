"""The data to-do list (issue 10): ``/todo``, ``/api/v1/todo`` and ``/todo/export.xlsx``.

What the registry lacks that the analysis needs comes from ``graph.Analysis.data_todo`` (plain data); this
module only spells its messages out, adds the link of each line's fix and renders. Reading is what any
reader may do; the fixes themselves are made on the edit pages and the import page, by editors.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template, url_for

from registry.messages import localise

from . import analysis
from .api import ok

bp = Blueprint("todo", __name__)

IMPORT_PATH = "/import"  # the import page (built beside this one): the fix of whatever is not one record's field
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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
