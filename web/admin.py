"""The admin pages: the change log with filters and exports, the users, and the settings (admins only)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for

from registry.errors import InvalidInput
from registry.exports import Column, to_csv, to_xlsx
from registry.model import KINDS
from registry.repository import CHANGE_ACTIONS, change_fields
from registry.users import Users

from . import params as P
from .auth import actor_name, role_required
from .downloads import download
from .i18n import BEIJING, beijing_time, current_lang, label, shown, text
from .store import get_registry

bp = Blueprint("admin", __name__, url_prefix="/admin")
EXPORT_LIMIT = 10000
CHANGE_COLUMNS = (
    Column("at", "时间（北京时间）", "Time (Beijing, UTC+8)"),
    Column("at_utc", "时间（UTC）", "Time (UTC)"),
    Column("by", "修改人", "By"),
    Column("action", "变更类型", "Action"),
    Column("kind", "记录类型", "Kind"),
    Column("record", "记录", "Record"),
    Column("summary", "内容", "What", 40),
    Column("fields", "修改前 → 修改后", "Before → after", 60),
    Column("why", "理由", "Why", 30),
)


def _day(args, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name}: 日期应为 YYYY-MM-DD，收到 {raw[:20]!r} / a date is YYYY-MM-DD") from None


def _utc(day: date) -> str:
    """The start of a Beijing calendar day as the change log's UTC text."""
    start = datetime.combine(day, time(0), BEIJING).astimezone(timezone.utc)
    return start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def change_filters(args) -> dict:
    """The filters of the change list, exactly checked; dates are Beijing calendar days, both ends included."""
    since, until = _day(args, "from"), _day(args, "to")
    if since and until and until < since:
        raise InvalidInput("from, to: 结束日期早于开始日期 / the end date is before the start date")
    return {
        "by": P.text_arg(args, "by", 64),
        "action": P.choice_arg(args, "action", CHANGE_ACTIONS),
        "kind": P.choice_arg(args, "kind", KINDS),
        "entity": P.text_arg(args, "entity", 400),
        "from": since.isoformat() if since else None,
        "to": until.isoformat() if until else None,
        "since": _utc(since) if since else None,
        "until": _utc(until + timedelta(days=1)) if until else None,
    }


def _query(f: dict) -> dict:
    return {k: f[k] for k in ("by", "action", "kind", "entity", "from", "to") if f[k]}


def _page(f: dict, page: int, per_page: int) -> dict:
    return get_registry().change_page(by=f["by"], action=f["action"], kind=f["kind"], entity_id=f["entity"],
                                      since=f["since"], until=f["until"], page=page, per_page=per_page)


@bp.get("/changes")
@role_required("admin")
def changes():
    f = change_filters(request.args)
    result = _page(f, P.int_arg(request.args, "page", 1, 1, 100_000), 50)
    return render_template("admin_changes.html", f=f, result=result, query=_query(f), actions=CHANGE_ACTIONS,
                           kinds=tuple(KINDS), authors=get_registry().change_authors())


def change_rows(items: list[dict]) -> list[dict]:
    """Changes as export rows: Beijing time first, every changed field as 'field: before → after'."""
    lang = current_lang()
    rows = []
    for c in items:
        fields = "\n".join(f"{label('field', d['field'])}: {shown(d['before'])} → {shown(d['after'])}"
                           for d in change_fields(c))
        rows.append({"at": beijing_time(c.get("at")), "at_utc": c.get("at"), "by": c.get("by"),
                     "action": label("change_action", c.get("action"), lang), "kind": c.get("kind") or "",
                     "record": c.get("entity_id") or "、".join((c.get("ids") or [])[:20]),
                     "summary": c.get("summary"), "fields": fields, "why": c.get("why") or ""})
    return rows


@bp.get("/changes.<fmt>")
@role_required("admin")
def changes_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(f"format: 不支持的导出格式 '{fmt[:10]}'，可用：csv, xlsx / unknown export format")
    f = change_filters(request.args)
    rows = change_rows(_page(f, 1, EXPORT_LIMIT)["items"])
    lang = current_lang()
    if fmt == "csv":
        body = to_csv(rows, CHANGE_COLUMNS, lang=lang)
    else:
        body = to_xlsx(rows, CHANGE_COLUMNS, title=text("ui.auth.admin.changes"), lang=lang,
                       about={"filters": "; ".join(f"{k}={v}" for k, v in _query(f).items()) or "—",
                              "rows": len(rows)})
    return download(body, fmt, f"变更日志.{fmt}", f"changes.{fmt}")


@bp.get("/users")
@role_required("admin")
def users():
    return render_template("admin_users.html", users=Users(get_registry().store).list())


@bp.route("/settings", methods=["GET", "POST"])
@role_required("admin")
def settings():
    store = Users(get_registry().store)
    if request.method == "POST":
        store.set_setting("read_open", request.form.get("read_open") == "1", by=actor_name())
        return redirect(url_for("admin.settings", saved=1), 303)
    return render_template("admin_settings.html", read_open=store.setting("read_open"),
                           fixed=current_app.config.get("READ_OPEN") is not None)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
