"""The 招商 pipeline on the web (issue 13): ``/api/v1/leads``, ``/api/v1/leads/<id>``, ``/api/v1/leads/weekly``;
``/leads`` (我的跟进: my leads, overdue first), ``/leads/board`` (by stage, filtered by segment, gap, owner),
``/leads/<id>`` (a lead, its history, the update form), ``POST /leads`` (one click from a gap's candidate, or the
form by hand), ``/leads/weekly`` (printable) and ``/leads/weekly.xlsx``.

The rules live in ``registry.leads``; this module parses, asks and renders. Writes go through web/auth.py's gate
(editors; the API with a token, or the session and the form token).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import current_user

from registry import exports
from registry.errors import Conflict, InvalidInput, NotFound
from registry.leads import PAUSED, PIPELINE, REASONS, STAGES, Leads, beijing_today, weekly
from registry.users import Users

from . import params as P
from .api import _actor, _idempotency_key, ok
from .downloads import download
from .i18n import beijing_time, current_lang, label, text, time_zone
from .store import get_registry
from .tasks import api_blueprint

bp = Blueprint("leads", __name__)
api_bp = api_blueprint(Blueprint("leads_api", __name__, url_prefix="/api/v1"))


def leads() -> Leads:
    return Leads(get_registry())


def filters(args) -> dict[str, Any]:
    return {"stage": P.choice_arg(args, "stage", STAGES), "segment": P.text_arg(args, "segment", 100),
            "gap": P.text_arg(args, "gap", 300), "owner": P.text_arg(args, "owner", 64)}


def active_users() -> list[str]:
    return [u["name"] for u in Users(get_registry().store).list() if not u.get("disabled")
            and u.get("role") in ("editor", "admin")]


def gap_leads(gap_id: str) -> dict[str, str]:
    """The firms already courted for a gap: firm id -> lead id (the gap page links them instead of a button)."""
    return {x["firm"]: x["id"] for x in leads().list(gap=gap_id) if x["stage"] != "dropped"}


def segments() -> list[dict[str, Any]]:
    return get_registry().list(kinds=["segment"], per_page=500)["items"]


def parks() -> list[dict[str, Any]]:
    return [p for p in get_registry().list(kinds=["project"], per_page=500)["items"] if p.get("project_type") == "park"]


def can_edit() -> bool:
    return current_user.is_authenticated and current_user.can("editor")


# ---------------------------------------------------------------- API
@api_bp.get("/leads")
def api_list():
    return ok(leads().list(**filters(request.args)))


@api_bp.post("/leads")
def api_create():
    body, reg = P.json_body(request), get_registry()
    by, why = _actor(body)
    return ok(reg.idempotent(_idempotency_key(), "leads", body, lambda: leads().create(body, by=by, why=why)), 201)


@api_bp.get("/leads/weekly")
def api_weekly():
    return ok(weekly(leads().list()))


@api_bp.get("/leads/<lead_id>")
def api_get(lead_id: str):
    return ok({**leads().get(lead_id), "history": leads().history(lead_id)})


@api_bp.patch("/leads/<lead_id>")
def api_update(lead_id: str):
    body = P.json_body(request)
    if "version" not in body:
        raise InvalidInput("version: 修改需要提供当前版本号 / an update must say which version it changes",
                           details=[{"field": "version", "value": None, "message": "required"}])
    by, why = _actor(body)
    version = body.pop("version")
    return ok(leads().update(lead_id, body, version=version, by=by, why=why))


# ---------------------------------------------------------------- pages
def overdue_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Overdue first (oldest due date first), then by due date (none last), then newest."""
    return sorted(items, key=lambda x: (not x["overdue"], x.get("due") or "9999", -x["number"]))


@bp.get("/leads")
def my_leads():
    owner = P.text_arg(request.args, "owner", 64) or (current_user.name if current_user.is_authenticated else None)
    items = overdue_first(leads().list(owner=owner)) if owner else []
    active = [x for x in items if x["stage"] not in PAUSED and x["stage"] != "producing"]
    return render_template("leads.html", items=items, active=active, owner=owner, today=beijing_today(),
                           can_edit=can_edit())


@bp.get("/leads/board")
def board():
    f = filters(request.args)
    items = leads().list(segment=f["segment"], gap=f["gap"], owner=f["owner"])
    columns = [{"stage": s, "items": [x for x in items if x["stage"] == s]} for s in STAGES]
    all_items = leads().list()
    seg_ids = sorted({x["segment"] for x in all_items if x.get("segment")})
    seg_names = {x["segment"]: x.get("segment_name") for x in all_items if x.get("segment")}
    gap_ids = sorted({g for x in all_items for g in x["gaps"]})
    owners = sorted({x["owner"] for x in all_items if x.get("owner")})
    return render_template("leads_board.html", columns=columns, total=len(items), f=f, seg_ids=seg_ids,
                           seg_names=seg_names, gap_ids=gap_ids, owners=owners, can_edit=can_edit())


@bp.get("/leads/new")
def new_lead(error: Exception | None = None, values: dict | None = None, code: int = 200):
    values = values or {k: request.args.get(k, "") for k in ("firm", "segment", "gap", "new_firm_name")}
    firm = None
    if values.get("firm"):
        try:
            firm = get_registry().get(values["firm"])
        except NotFound:
            firm = None
    return render_template("leads_new.html", v=values, firm=firm, error=error, users=active_users(), segments=segments(),
                           parks=parks(), me=current_user.name if current_user.is_authenticated else ""), code


@bp.post("/leads")
def create_lead():
    form = request.form
    by, why = _actor(None)
    data: dict[str, Any] = {k: form.get(k) or None for k in ("firm", "segment", "owner", "next_step", "due", "note",
                                                            "park")}
    data["gaps"] = [g for g in form.getlist("gap") if g]
    if form.get("contacts"):
        data["contacts"] = form.get("contacts")
    name = (form.get("new_firm_name") or "").strip()
    if name and not data.get("firm"):
        data["new_firm"] = {"name": name, "locality": form.get("new_firm_locality") or "unknown",
                            "location": form.get("new_firm_location") or None}
    data = {k: v for k, v in data.items() if v not in (None, [], "")}
    try:
        lead = leads().create(data, by=by, why=form.get("why") or None)
    except InvalidInput as exc:
        values = {**form.to_dict(), "gap": form.get("gap", "")}
        return new_lead(error=exc, values=values, code=400)
    return redirect(url_for("leads.lead_page", lead_id=lead["id"], created=1), 303)


@bp.get("/leads/<lead_id>")
def lead_page(lead_id: str, error: Exception | None = None, code: int = 200):
    lead = leads().get(lead_id)
    history = leads().history(lead_id)
    project = None
    if lead.get("project"):
        try:
            project = get_registry().get(lead["project"])
        except Exception:  # noqa: BLE001 — a project deleted since still leaves the lead readable
            project = None
    return render_template("lead.html", lead=lead, history=history, project=project, stages=STAGES,
                           pipeline=PIPELINE, paused=PAUSED, reasons=REASONS, users=active_users(), parks=parks(),
                           error=error, can_edit=can_edit(), today=beijing_today(),
                           created=request.args.get("created") == "1", saved=request.args.get("saved") == "1"), code


@bp.post("/leads/<lead_id>")
def update_lead(lead_id: str):
    form = request.form
    by, why = _actor(None)
    current = leads().get(lead_id)
    changes: dict[str, Any] = {}
    for f in ("stage", "owner", "next_step", "due", "pause_reason", "pause_note", "note", "park", "project_name",
              "investment"):
        if f in form:
            value = form.get(f, "").strip() or None
            if f in ("stage", "owner") and not value:
                continue
            if value != current.get(f) and not (f in ("pause_reason", "pause_note") and form.get("stage") not in PAUSED):
                changes[f] = value
    if "contacts" in form:
        contacts = [c.strip() for c in form.get("contacts", "").splitlines() if c.strip()]
        if contacts != current["contacts"]:
            changes["contacts"] = contacts
    changes = {k: v for k, v in changes.items() if not (k == "note" and not v)}
    try:
        version = P.whole_number(form.get("version", ""), "version")
        leads().update(lead_id, changes, version=version, by=by, why=form.get("why") or None)
    except (InvalidInput, Conflict) as exc:
        return lead_page(lead_id, error=exc, code=409 if isinstance(exc, Conflict) else 400)
    return redirect(url_for("leads.lead_page", lead_id=lead_id, saved=1), 303)


# ---------------------------------------------------------------- weekly report
@bp.get("/leads/weekly")
def weekly_page():
    return render_template("weekly.html", w=weekly(leads().list()), stages=STAGES, generated=_generated())


def _generated() -> str:
    return exports.generated_at(time_zone(), current_lang())


WEEKLY_COLUMNS = (
    exports.Column("section", "栏目", "Section", 10),
    exports.Column("id", "线索", "Lead", 8),
    exports.Column("firm", "企业", "Firm", 22),
    exports.Column("segment", "环节", "Segment", 14),
    exports.Column("owner", "跟进人", "Owner", 8),
    exports.Column("stage", "阶段", "Stage", 8),
    exports.Column("moves", "本周变化", "Moves this week", 24),
    exports.Column("next_step", "下一步", "Next step", 20),
    exports.Column("due", "截止日期", "Due", 11),
)


def weekly_rows(w: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for s in STAGES:
        rows.append({"section": text("ui.leads.weekly.by_stage"), "stage": label("lead_stage", s, lang),
                     "id": w["by_stage"][s]})
    for seg in w["by_segment"]:
        rows.append({"section": text("ui.leads.weekly.by_segment"), "segment": seg["name"] or "—", "id": seg["total"],
                     "moves": "、".join(f"{label('lead_stage', s, lang)} {n}" for s, n in seg["by_stage"].items() if n)})

    def lead_row(section: str, x: dict[str, Any], moves: str = "") -> dict[str, Any]:
        return {"section": section, "id": x["id"], "firm": x["firm_name"], "segment": x.get("segment_name") or "",
                "owner": x.get("owner"), "stage": label("lead_stage", x["stage"], lang), "moves": moves,
                "next_step": x.get("next_step") or "", "due": x.get("due") or ""}

    for x in w["new"]:
        rows.append(lead_row(text("ui.leads.weekly.new"), x))
    for x in w["moved"]:
        moves = "；".join(f"{label('lead_stage', m.get('from'), lang)} → {label('lead_stage', m['stage'], lang)}"
                         f"（{beijing_time(m['at'])}）" for m in x["moves"])
        rows.append(lead_row(text("ui.leads.weekly.moved"), x, moves))
    for x in w["overdue"]:
        rows.append(lead_row(text("ui.leads.weekly.overdue"), x))
    return rows


@bp.get("/leads/weekly.xlsx")
def weekly_xlsx():
    lang = current_lang()
    w = weekly(leads().list())
    about = {text("ui.leads.weekly.title"): text("ui.leads.weekly.week", start=w["week_start"], today=w["today"]),
             text("ui.tasks.xlsx.made"): _generated(), text("ui.leads.weekly.zone"): text("ui.leads.weekly.zone_note")}
    body = exports.to_xlsx(weekly_rows(w, lang), WEEKLY_COLUMNS, title=text("ui.leads.weekly.title"), lang=lang,
                           about=about)
    day = datetime.now(timezone(timedelta(hours=8))).strftime("%Y%m%d")
    name = f"招商周报_{day}.xlsx" if lang == "zh" else f"leads_weekly_{day}.xlsx"
    return download(body, "xlsx", name, f"leads_weekly_{day}.xlsx")


def init_app(app: Flask) -> None:
    from .forms import csrf

    csrf.exempt(api_bp)
    app.jinja_env.globals.update(lead_owners=active_users, gap_leads=gap_leads)  # the gap page's lead buttons
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
