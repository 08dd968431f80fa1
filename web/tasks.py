"""The plan's 23 tasks and their follow-up (督办, issue 13): ``/tasks``, ``/tasks/<n>``, ``/tasks/export.xlsx``
and ``/api/v1/tasks``, ``/api/v1/tasks/<n>``.

Readers see every task, by responsible unit (what each unit leads, what it shares, what is late); editors set
a task's status with a dated evidence note (a versioned write, in the change log). The facts come from
``registry.tasks``; this module only parses, asks and renders.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import current_user

from registry import exports
from registry.errors import Conflict, InvalidInput
from registry.tasks import TASK_STATUSES, Tasks, by_unit, parse_number

from . import params as P
from .api import _actor, ok
from .downloads import download
from .i18n import current_lang, label, text, time_zone
from .store import get_registry

bp = Blueprint("tasks", __name__)


def api_blueprint(bp_api: Blueprint) -> Blueprint:
    """An API blueprint of its own, guarded as the ``api`` one is: exempt from the form CSRF check (a token
    needs none), but a write made with the session cookie must carry the form token (web/auth.py's rule)."""
    from flask_login import current_user as user

    from .auth import SAFE_METHODS
    from .forms import csrf

    @bp_api.before_request
    def _session_writes_need_the_token():
        if request.method not in SAFE_METHODS and getattr(user, "via", None) == "session":
            csrf.protect()
    return bp_api


api_bp = api_blueprint(Blueprint("tasks_api", __name__, url_prefix="/api/v1"))


def tasks() -> Tasks:
    return Tasks(get_registry())


def with_targets(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each task's ``targets`` as ``{id, name}`` (a target no longer in the registry keeps its id as name)."""
    ids = [t for item in items for t in item["targets"]]
    names = {i: r["name"] for i, r in get_registry().get_many(ids).items()}
    for item in items:
        item["targets"] = [{"id": t, "name": names.get(t, t)} for t in item["targets"]]
    return items


def task_api(t: dict[str, Any]) -> dict[str, Any]:
    keys = ("number", "id", "title", "action", "responsible_units", "lead_unit", "status", "targets", "period",
            "clause", "sources", "notes", "version", "updated_at", "updated_by")
    out = {k: t.get(k) for k in keys}
    out["status_label"] = {"zh": label("task_status", t["status"], "zh"), "en": label("task_status", t["status"], "en")}
    return out


def filtered(items: list[dict[str, Any]], unit: str | None, status: str | None) -> list[dict[str, Any]]:
    return [t for t in items if (not unit or unit in t["responsible_units"]) and (not status or t["status"] == status)]


# ---------------------------------------------------------------- API
@api_bp.get("/tasks")
def api_list():
    unit = P.text_arg(request.args, "unit", 100)
    status = P.choice_arg(request.args, "status", TASK_STATUSES)
    return ok([task_api(t) for t in filtered(with_targets(tasks().list()), unit, status)])


@api_bp.get("/tasks/<number>")
def api_get(number: str):
    t = with_targets([tasks().get(number)])[0]
    return ok({**task_api(t), "history": tasks().history(number)})


@api_bp.patch("/tasks/<number>")
def api_update(number: str):
    body = P.json_body(request)
    if "version" not in body:
        raise InvalidInput("version: 修改需要提供当前版本号 / an update must say which version it changes",
                           details=[{"field": "version", "value": None, "message": "required"}])
    by, why = _actor(body)
    t = tasks().set_status(number, status=body.get("status"), version=body.get("version"), note=body.get("note"),
                           date=body.get("date"), by=by, why=why)
    return ok(task_api(with_targets([t])[0]))


# ---------------------------------------------------------------- pages
@bp.get("/tasks")
def tasks_page():
    items = with_targets(tasks().list())
    unit = P.text_arg(request.args, "unit", 100)
    status = P.choice_arg(request.args, "status", TASK_STATUSES)
    units = by_unit(items)
    shown_units = [u for u in units if not unit or u["unit"] == unit]
    return render_template("tasks.html", items=filtered(items, unit, status), units=units, shown_units=shown_units,
                           unit=unit, status=status, statuses=TASK_STATUSES,
                           late=sum(t["status"] == "late" for t in items),
                           done=sum(t["status"] == "done" for t in items))


@bp.get("/tasks/<number>")
def task_page(number: str, error: Exception | None = None, code: int = 200):
    t = with_targets([tasks().get(number)])[0]
    history = list(reversed(t["notes"]))
    today = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m-%d")
    can_edit = current_user.is_authenticated and current_user.can("editor")
    return render_template("task.html", t=t, history=history, statuses=TASK_STATUSES, today=today, error=error,
                           can_edit=can_edit, saved=request.args.get("saved") == "1"), code


@bp.post("/tasks/<number>/status")
def task_status(number: str):
    n = parse_number(number)
    form = request.form
    by, _ = _actor(None)
    try:
        version = P.whole_number(form.get("version", ""), "version")
        tasks().set_status(n, status=form.get("status"), version=version, note=form.get("note"),
                           date=form.get("date") or None, by=by)
    except (InvalidInput, Conflict) as exc:
        return task_page(str(n), error=exc, code=409 if isinstance(exc, Conflict) else 400)
    return redirect(url_for("tasks.task_page", number=n, saved=1), 303)


# ---------------------------------------------------------------- export per unit
COLUMNS = (
    exports.Column("number", "序号", "No.", 6),
    exports.Column("title", "任务", "Task", 18),
    exports.Column("role", "本单位角色", "Role of the unit", 8),
    exports.Column("units", "责任单位（首位牵头）", "Responsible units (first leads)", 30),
    exports.Column("status", "状态", "Status", 8),
    exports.Column("latest", "最新进展", "Latest evidence", 30),
    exports.Column("targets", "相关目标", "Targets", 24),
    exports.Column("clause", "方案原文", "Clause", 60),
)


def export_rows(items: list[dict[str, Any]], unit: str | None, lang: str) -> list[dict[str, Any]]:
    rows = []
    for t in items:
        latest = t["notes"][-1] if t["notes"] else None
        role = ""
        if unit:
            role = text("ui.tasks.role.lead" if t["responsible_units"][0] == unit else "ui.tasks.role.co")
        rows.append({
            "number": t["number"], "title": t["title"], "role": role,
            "units": "、".join(t["responsible_units"]), "status": label("task_status", t["status"], lang),
            "latest": f"{latest['date']} {latest['note']}（{latest['by']}）" if latest else "",
            "targets": "\n".join(x["name"] for x in t["targets"]), "clause": t["clause"]})
    return rows


@bp.get("/tasks/export.xlsx")
def tasks_export():
    unit = P.text_arg(request.args, "unit", 100)
    lang = current_lang()
    items = filtered(with_targets(tasks().list()), unit, None)
    if unit and not items:
        raise InvalidInput(f"unit: 没有责任单位“{unit}”的任务 / no task names the unit {unit!r}",
                           details=[{"field": "unit", "value": unit, "message": "no task names this unit"}])
    # a unit's own lead tasks first, then the ones it shares, in plan order
    if unit:
        items.sort(key=lambda t: (t["responsible_units"][0] != unit, t["number"]))
    columns = COLUMNS if unit else tuple(c for c in COLUMNS if c.key != "role")
    about = {text("ui.tasks.xlsx.title"): unit or text("ui.tasks.all"),
             text("ui.tasks.xlsx.made"): exports.generated_at(time_zone(), lang),
             text("ui.tasks.xlsx.source"): text("ui.tasks.xlsx.source_text")}
    body = exports.to_xlsx(export_rows(items, unit, lang), columns, title=unit or text("ui.tasks.xlsx.title"),
                           lang=lang, about=about)
    today = datetime.now(timezone(timedelta(hours=8))).strftime("%Y%m%d")
    name = f"重点任务督办_{unit or '全部'}_{today}.xlsx" if lang == "zh" else f"plan_tasks_{today}.xlsx"
    return download(body, "xlsx", name, f"plan_tasks_{today}.xlsx")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    from .forms import csrf

    csrf.exempt(api_bp)  # a token needs no form token; a session's write is checked by the blueprint's own guard
    app.register_blueprint(api_bp)
