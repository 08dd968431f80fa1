"""Spreadsheet import on the web (issue 10): templates, upload, preview, decisions, apply, change sets, undo.

    GET  /import                          templates, the upload form, how matching works, recent imports
    GET  /import/template/<kind>.xlsx     a template (``all.xlsx``: the workbook with every kind)
    POST /import                          upload (editor): saved under <instance>/imports/, previewed in the background
    GET  /import/<token>                  progress, then the preview (or the result once applied)
    GET  /import/<token>/status.json      where the background work is (polled by static/import.js)
    GET  /import/<token>/report.xlsx      the whole preview: sheets 新建/修改/未变/无效
    POST /import/<token>/decide           settle possible duplicates, preview again
    POST /import/<token>/again            preview again (after the registry changed)
    POST /import/<token>/apply            reason + "skip rejected rows": apply in the background
    GET  /import/set/<set_id>             an import's change set (paginated), whether it was undone
    POST /import/set/<set_id>/undo        undo the whole import (admin)
    POST /api/v1/import                   the CLI's JSON answer for scripts (bearer token of an editor)

The work itself is ``registry.importer`` (matching, plan, all-or-nothing apply, undo) and ``registry.tabular``
(reading files, templates); this module only moves files and results between the person and those.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import (Blueprint, Flask, current_app, jsonify, redirect, render_template, request, url_for)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from registry import importer
from registry.errors import Conflict, InvalidInput, NotFound, RegistryError
from registry.exports import cell_safe, cell_text, display_width, neutralise

from .auth import actor_name, require, role_required
from .downloads import download
from .i18n import current_lang, label, shown, text
from .jobs import jobs
from .store import get_registry

bp = Blueprint("imports", __name__)
api_bp = Blueprint("import_api", __name__)

FOLDER = "imports"
EXTENSIONS = (".xlsx", ".csv", ".tsv")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
SET_ID = re.compile(r"^[0-9a-f]{32}$")
SHOW = {"change": 100, "create": 100, "unchanged": 50, "near": 100, "rejected": 200}  # rows shown on the page
SET_PAGE = 50
MULTIPART_SLACK = 1024 * 1024  # the form's other fields and the multipart framing around the file


def _max_bytes() -> int:
    from registry.tabular import MAX_BYTES

    return int(current_app.config.get("IMPORT_MAX_BYTES") or MAX_BYTES)


def _kinds() -> tuple[str, ...]:
    from registry.tabular import IMPORT_KINDS

    return tuple(IMPORT_KINDS)


def both(msgid: str, **params) -> str:
    """An error's message in Chinese and English ("中文 / English"), as every registry error reads."""
    from registry.messages import text as in_lang

    return f"{in_lang(msgid, 'zh', **params)} / {in_lang(msgid, 'en', **params)}"


def kind_name(kind: str) -> str:
    return text("ui.importweb.kind.relation") if kind == "relation" else label("kind", kind)


HIDDEN_FIELDS = ("id", "kind", "sources")  # shown elsewhere on the page (the record's id) or noise (the import's own source)


def _groups(kind: str | None) -> dict[str, str]:
    """field -> the catalogue group naming its codes (locality -> locality, roles -> role …), from the template's columns."""
    from registry import tabular

    if kind not in _kinds():
        return {}
    return {c.field: c.group for c in tabular.columns(kind) if c.group}


def field_value(kind: str | None, field: str, value, lang: str | None = None) -> str:
    """A field's value as people read it: codes of enumerations by their names (cluster -> 集群内), lists joined."""
    group = _groups(kind).get(field)
    if group and value not in (None, "", []):
        values = value if isinstance(value, (list, tuple)) else [value]
        return "、".join(label(group, v, lang) for v in values)
    return shown(value)


@bp.context_processor
def _helpers():
    return {"kind_name": kind_name, "field_value": field_value, "hidden_fields": HIDDEN_FIELDS}


# ---------------------------------------------------------------- files and their notes on disk
def _folder() -> Path:
    path = Path(current_app.instance_path) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_filename(raw: str | None) -> str:
    """The name of an uploaded file as shown and logged: its last path part, printable characters only,
    at most 120 characters with its extension kept. Never used as a path (files are saved by token)."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "\u202e\u202d\u2066\u2067\u2068\u2069")
    name = name.strip().strip(".").strip()
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot and len(ext) <= 10 else ""
        name = (stem if dot else name)[:100] + "…" + (f".{ext}" if ext else "")
    return name or "upload"


def _meta_path(token: str) -> Path:
    return _folder() / f"{token}.json"


def _data_path(token: str, ext: str) -> Path:
    return _folder() / f"{token}{ext}"


def _save_meta(token: str, meta: dict) -> None:
    path = _meta_path(token)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _meta(token: str) -> dict:
    """The upload's notes, if ``token`` is one of the signed-in user's uploads (else: not found)."""
    if not TOKEN.match(token or ""):
        raise NotFound(both("ui.importweb.err.no_upload"))
    try:
        meta = json.loads(_meta_path(token).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        raise NotFound(both("ui.importweb.err.no_upload")) from None
    if meta.get("owner") != actor_name():
        raise NotFound(both("ui.importweb.err.no_upload"))
    return meta


# ---------------------------------------------------------------- background work
def _start_preview(token: str, meta: dict, *, again: bool = False):
    app = current_app._get_current_object()
    path = _data_path(token, meta["ext"])
    by = meta["owner"]
    if again:
        jobs().drop(f"{token}:preview")
        jobs().drop(f"{token}:apply")

    def work(job):
        from registry import tabular

        job.progress("read", 0, 0)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound("上传的文件已不在服务器上，请重新上传 / the uploaded file is gone: upload it again") from None
        tables = tabular.read_file(data, meta["filename"], kind=meta.get("kind"), sheet=meta.get("sheet"))
        from .store import get_registry as reg_of

        return importer.plan_import(reg_of(), tables, file=meta["filename"], by=by,
                                    decisions=meta.get("decisions") or None, progress=job.progress)

    return jobs().start(app, by, "preview", work, job_id=f"{token}:preview")


def _preview_job(token: str, meta: dict):
    job = jobs().get(f"{token}:preview", meta["owner"])
    if job is None:  # the server restarted since the upload: the file is still there, preview it again
        job = _start_preview(token, meta)
    return job


# ---------------------------------------------------------------- pages
@bp.get("/import")
def start():
    require("viewer")
    recent = get_registry().change_page(action="import", per_page=20)
    return render_template("import.html", kinds=_kinds(), recent=recent, max_mb=_max_bytes() // (1024 * 1024),
                           error=None, form={})


@bp.get("/import/template/<name>.xlsx")
def template(name: str):
    from registry import tabular

    require("viewer")
    buf = io.BytesIO()
    lang = current_lang()
    if name == "all":
        tabular.write_workbook_template(buf, lang=lang)
        zh, en = "全部", "all"
    elif name in _kinds():
        tabular.write_template(name, buf, lang=lang)
        zh, en = kind_label(name, "zh"), name
    else:
        raise NotFound(both("ui.importweb.err.no_template", name=name[:40], kinds="、".join((*_kinds(), "all"))))
    return download(buf.getvalue(), "xlsx", f"稀金图谱导入模板_{zh}.xlsx", f"xijin-import-template-{en}.xlsx")


@bp.post("/import")
@role_required("editor")
def upload():
    form = {"kind": (request.form.get("kind") or "").strip(), "sheet": (request.form.get("sheet") or "").strip()}
    try:
        token, meta = _receive(request.files.get("file"), form)
    except InvalidInput as exc:
        recent = get_registry().change_page(action="import", per_page=20)
        return render_template("import.html", kinds=_kinds(), recent=recent, max_mb=_max_bytes() // (1024 * 1024),
                               error=exc, form=form), 400
    _start_preview(token, meta)
    return redirect(url_for("imports.preview", token=token), 303)


def _receive(storage, form: dict) -> tuple[str, dict]:
    """Check and save an upload; its token and notes."""
    if storage is None or not storage.filename:
        raise InvalidInput(both("ui.importweb.err.no_file"), details=[{"field": "file", "value": "", "message": "required"}])
    name = clean_filename(storage.filename)
    ext = os.path.splitext(name)[1].lower()
    kind = form.get("kind") or None
    if kind is not None and kind not in _kinds():
        raise InvalidInput(both("ui.importweb.err.kind", kind=kind[:40], kinds="、".join(_kinds())))
    sheet = form.get("sheet") or None
    if sheet is not None and len(sheet) > 100:
        raise InvalidInput(both("ui.importweb.err.sheet"))
    limit = _max_bytes()
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(both("ui.importweb.err.too_big", mb=limit // (1024 * 1024)),
                           details=[{"field": "file", "value": name, "message": f"more than {limit} bytes"}])
    if not data:
        raise InvalidInput(both("ui.importweb.err.empty", name=name))
    if ext not in EXTENSIONS:
        from registry import tabular

        tabular.read_file(data, name)  # says what to do with this kind of file (e.g. save an .xls as .xlsx)
        raise InvalidInput(both("ui.importweb.err.extension", name=name))
    token = secrets.token_hex(16)
    _data_path(token, ext).write_bytes(data)
    meta = {"owner": actor_name(), "filename": name, "ext": ext, "kind": kind, "sheet": sheet, "size": len(data),
            "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "decisions": {}}
    _save_meta(token, meta)
    return token, meta


@bp.get("/import/<token>")
def preview(token: str):
    require("editor")
    meta = _meta(token)
    apply_job = jobs().get(f"{token}:apply", meta["owner"])
    if meta.get("result") and (apply_job is None or apply_job.status != "running"):
        return _page(token, meta, result=meta["result"])
    if apply_job is not None:
        if apply_job.status == "running":
            return _page(token, meta, job=apply_job)
        if apply_job.status == "error":
            job = _preview_job(token, meta)
            if job.status == "done":
                return _page(token, meta, plan=job.result, apply_error=apply_job.error,
                             status=409 if isinstance(apply_job.error, Conflict) else 400)
    job = _preview_job(token, meta)
    if job.status == "running":
        return _page(token, meta, job=job)
    if job.status == "error":
        return _page(token, meta, read_error=job.error, status=400 if isinstance(job.error, InvalidInput) else 500)
    return _page(token, meta, plan=job.result)


def _page(token: str, meta: dict, *, plan=None, job=None, result=None, read_error=None, apply_error=None,
          form_error=None, form=None, status: int = 200):
    view = _plan_view(plan) if plan is not None else None
    return render_template("import_preview.html", token=token, meta=meta, plan=plan, view=view, job=job,
                           result=result, read_error=read_error, apply_error=apply_error, form_error=form_error,
                           form=form or {}, show=SHOW), status


def _plan_view(plan) -> dict[str, Any]:
    c = plan.counts
    rows = {a: plan.of(a) for a in ("create", "change", "unchanged", "near")}
    held = {(i.sheet, i.row) for i in rows["near"]}
    # a held possible duplicate shows in its own table, not again among the rejected rows
    rejected = [r for r in plan.rejected if (r.sheet, r.row) not in held]
    return {"counts": c, "rows": rows, "rejected": rejected,
            "invalid_rows": len({(r.sheet, r.row) for r in rejected}), "held_rows": len(held)}


@bp.get("/import/<token>/status.json")
def status(token: str):
    require("editor")
    meta = _meta(token)
    job = jobs().get(f"{token}:apply", meta["owner"]) or jobs().get(f"{token}:preview", meta["owner"])
    if job is None:
        return jsonify({"status": "done" if meta.get("result") else "gone"})
    body = job.status_json()
    body["stage_text"] = text(f"ui.importweb.stage.{job.stage}") if job.stage in STAGES else job.stage
    return jsonify(body)


STAGES = ("read", "preview", "apply", "undo")


@bp.post("/import/<token>/decide")
@role_required("editor")
def decide(token: str):
    meta = _meta(token)
    decisions = dict(meta.get("decisions") or {})
    for key, value in request.form.items():
        if not key.startswith("decide:"):
            continue
        row_key, value = key[len("decide:"):][:300], value.strip()[:200]
        if value:
            decisions[row_key] = value
        else:
            decisions.pop(row_key, None)
    if len(decisions) > 100_000:
        raise InvalidInput(both("ui.importweb.err.decisions"))
    meta["decisions"] = decisions
    _save_meta(token, meta)
    _start_preview(token, meta, again=True)
    return redirect(url_for("imports.preview", token=token), 303)


@bp.post("/import/<token>/again")
@role_required("editor")
def again(token: str):
    meta = _meta(token)
    meta.pop("result", None)
    _save_meta(token, meta)
    _start_preview(token, meta, again=True)
    return redirect(url_for("imports.preview", token=token), 303)


@bp.post("/import/<token>/apply")
@role_required("editor")
def apply(token: str):
    from .forms import actor

    meta = _meta(token)
    if meta.get("result"):
        raise Conflict(both("ui.importweb.err.applied"))
    job = jobs().get(f"{token}:preview", meta["owner"])
    if job is None or job.status != "done":
        raise Conflict(both("ui.importweb.err.not_ready"))
    plan = job.result
    skip = request.form.get("skip_invalid") == "1"
    form = {"why": request.form.get("why") or "", "skip_invalid": skip}
    try:
        by, why = actor(request.form)
        if plan.rejected and not skip:
            raise InvalidInput(both("ui.importweb.err.must_skip", n=plan.counts["rejected_rows"]))
        if not plan.of("create") and not plan.of("change"):
            raise InvalidInput(both("ui.importweb.err.nothing"))
    except InvalidInput as exc:
        return _page(token, meta, plan=plan, form_error=exc, form=form, status=400)
    app = current_app._get_current_object()

    def work(j):
        from .store import get_registry as reg_of

        summary = importer.apply_import(reg_of(), plan, by=by, why=why, skip_invalid=skip, progress=j.progress)
        done = {k: summary[k] for k in ("created", "changed", "unchanged", "applied")}
        done.update({"rejected_rows": plan.counts["rejected_rows"], "change_set": summary["change_set"],
                     "why": why})
        meta["result"] = done
        _save_meta(token, meta)  # the job runs inside the app's context
        jobs().drop(f"{token}:preview")  # the plan (all rows) need not stay in memory once written
        try:  # the file is in the change log's hands now; its bytes need not stay on the server
            _data_path(token, meta["ext"]).unlink()
        except OSError:
            pass
        return done

    jobs().start(app, by, "apply", work, job_id=f"{token}:apply")
    return redirect(url_for("imports.preview", token=token), 303)


# ---------------------------------------------------------------- the preview as a workbook
REPORT_SHEETS = (("create", "新建", "Created"), ("change", "修改", "Changed"), ("unchanged", "未变", "Unchanged"),
                 ("rejected", "无效", "Rejected"))


@bp.get("/import/<token>/report.xlsx")
def report(token: str):
    require("editor")
    meta = _meta(token)
    job = jobs().get(f"{token}:preview", meta["owner"])
    if job is None or job.status != "done":
        raise Conflict(both("ui.importweb.err.not_ready"))
    body = report_xlsx(job.result, lang=current_lang())
    stem = os.path.splitext(meta["filename"])[0][:60]
    return download(body, "xlsx", f"导入预览_{stem}.xlsx", "import-preview.xlsx")


def report_xlsx(plan, *, lang: str = "zh") -> bytes:
    """The whole preview, one sheet per outcome; every cell escaped as the app's exports are (no formulas)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    en = lang == "en"
    heads = {
        "item": ["工作表", "行号", "类型", "编号", "名称"] if not en else ["Sheet", "Row", "Kind", "ID", "Name"],
        "change": ["字段", "修改前", "修改后"] if not en else ["Field", "Before", "After"],
        "rejected": ["工作表", "行号", "列", "值", "原因"] if not en else ["Sheet", "Row", "Column", "Value", "Reason"],
    }
    wb = Workbook()
    wb.remove(wb.active)
    for action, zh, en_name in REPORT_SHEETS:
        ws = wb.create_sheet(en_name if en else zh)
        if action == "rejected":
            ws.append(heads["rejected"])
            for r in plan.rejected:
                ws.append(_cells([r.sheet, r.row, r.column, r.value, r.reason_en if en else r.reason]))
        else:
            ws.append(heads["item"] + (heads["change"] if action == "change" else []))
            for i in plan.of(action):
                base = [i.sheet, i.row, kind_label(i.kind, lang), i.id, i.name]
                if action == "change":
                    for f in i.fields:
                        ws.append(_cells(base + [label("field", f["field"], lang),
                                                 field_value(i.kind, f["field"], f["before"], lang),
                                                 field_value(i.kind, f["field"], f["after"], lang)]))
                else:
                    ws.append(_cells(base))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for col in ws.columns:
            width = max((display_width(str(c.value or "")) for c in col[:500]), default=6)
            ws.column_dimensions[col[0].column_letter].width = min(60, max(6, width + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def kind_label(kind: str, lang: str) -> str:
    if kind == "relation":
        return "Relation" if lang == "en" else "关系"
    return label("kind", kind, lang)


def _cells(values: list) -> list:
    return [cell_safe(neutralise(cell_text(v))) for v in values]


# ---------------------------------------------------------------- change sets and undo
def _set_id(set_id: str) -> str:
    if not SET_ID.match(set_id or ""):
        raise NotFound(f"导入批次 '{set_id[:40]}' 不存在 / no import with id '{set_id[:40]}'")
    return set_id


@bp.get("/import/set/<set_id>")
def change_set(set_id: str):
    from . import params as P

    require("viewer")
    cs = importer.change_set(get_registry(), _set_id(set_id))
    page = _set_page(cs, P.int_arg(request.args, "page", 1, 1, 100_000))
    undo_job = None
    if current_user.is_authenticated and current_user.can("admin"):
        undo_job = jobs().get(f"undo:{set_id}", current_user.name)
    return render_template("import_set.html", set_id=set_id, head=cs["head"], undone=cs["undone"], page=page,
                           undo_job=undo_job, undo_error=None, why="", item_action=_item_action)


def _set_page(cs: dict, page: int) -> dict:
    """One page of a change set's items: changed records first, then created ones, each in id order (new ids
    are the names' pinyin), with their stored before -> after parsed."""
    items = []
    for c in cs["items"]:
        c = dict(c)
        try:
            c["diff"] = json.loads(c.pop("diff_json", None) or "null")
        except ValueError:
            c["diff"] = None
        items.append(c)
    items.sort(key=lambda c: (_item_action(c) != "change", c.get("kind") is None, c.get("entity_id") or "",
                              c.get("ids") or []))
    total = len(items)
    pages = max(1, -(-total // SET_PAGE))
    page = min(page, pages)
    return {"items": items[(page - 1) * SET_PAGE:page * SET_PAGE], "total": total, "page": page, "pages": pages}


def _item_action(c: dict) -> str:
    try:
        return json.loads(c.get("undo_json") or "{}").get("action") or ""
    except ValueError:
        return ""


@bp.post("/import/set/<set_id>/undo")
@role_required("admin")
def undo(set_id: str):
    from .forms import actor

    reg = get_registry()
    cs = importer.change_set(reg, _set_id(set_id))
    try:
        by, why = actor(request.form)
        if cs["undone"]:
            raise Conflict(both("ui.importweb.err.undone"))
    except (InvalidInput, Conflict) as exc:
        return render_template("import_set.html", set_id=set_id, head=cs["head"], undone=cs["undone"],
                               page=_set_page(cs, 1), undo_job=None, undo_error=exc, why=request.form.get("why") or "",
                               item_action=_item_action), (409 if isinstance(exc, Conflict) else 400)
    app = current_app._get_current_object()

    def work(job):
        from .store import get_registry as reg_of

        return importer.undo_import(reg_of(), set_id, by=by, why=why, progress=job.progress)

    jobs().start(app, by, "undo", work, job_id=f"undo:{set_id}")
    return redirect(url_for("imports.change_set", set_id=set_id), 303)


@bp.get("/import/set/<set_id>/status.json")
def undo_status(set_id: str):
    require("admin")
    job = jobs().need(f"undo:{_set_id(set_id)}", current_user.name)
    body = job.status_json()
    body["stage_text"] = text(f"ui.importweb.stage.{job.stage}") if job.stage in STAGES else job.stage
    return jsonify(body)


# ---------------------------------------------------------------- the JSON API
@api_bp.post("/api/v1/import")
def api_import():
    """The CLI's answer for scripts: ``{"created","changed","unchanged","rejected":[...],"applied"}``; 422 when
    rows were rejected and nothing was applied. Runs in the request (a script waits for its answer)."""
    from registry import tabular

    require("editor")
    if current_user.via == "session":
        from .forms import csrf

        csrf.protect()
    dry_run = _flag("dry_run")
    skip = _flag("skip_invalid")
    why = (request.form.get("reason") or "").strip()
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        raise InvalidInput(both("ui.importweb.err.no_file"))
    name = clean_filename(storage.filename)
    limit = _max_bytes()
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(both("ui.importweb.err.too_big", mb=limit // (1024 * 1024)))
    kind = (request.form.get("kind") or "").strip() or None
    sheet = (request.form.get("sheet") or "").strip() or None
    if not dry_run and not why:
        raise InvalidInput("reason: 请写明导入理由（记入变更日志）/ say why (reason; it goes into the change log)")
    reg = get_registry()
    by = actor_name()
    tables = tabular.read_file(data, name, kind=kind, sheet=sheet)
    plan = importer.plan_import(reg, tables, file=name, by=by)
    applied, set_id = False, None
    if not dry_run and (not plan.rejected or skip):
        set_id = importer.apply_import(reg, plan, by=by, why=why, skip_invalid=skip)["change_set"]
        applied = True
    body = plan.summary(applied=applied, set_id=set_id)
    return jsonify(body), (422 if plan.rejected and not applied and not dry_run else 200)


def _flag(name: str) -> bool:
    return (request.form.get(name) or request.args.get(name) or "").strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------- wiring
def init_app(app: Flask) -> None:
    from .forms import csrf
    from .jobs import init_app as init_jobs

    init_jobs(app)
    app.register_blueprint(bp)
    csrf.exempt(api_bp)  # a token's request carries no form token; a session's is checked in the view
    app.register_blueprint(api_bp)

    def _upload_limit(endpoint, values):
        # the app's bodies are capped small (MAX_CONTENT_LENGTH); an upload may be as big as the largest file.
        # A URL value preprocessor runs before every before_request hook, so before CSRFProtect reads the form.
        if endpoint in UPLOADS and request.method == "POST":
            request.max_content_length = _max_bytes() + MULTIPART_SLACK

    app.url_value_preprocessor(_upload_limit)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc):
        from .errors import error_response

        if request.endpoint in UPLOADS:
            return error_response(413, both("ui.importweb.err.too_big", mb=_max_bytes() // (1024 * 1024)),
                                  "too_large")
        return error_response(413, exc.description or exc.name, "request_entity_too_large")  # as errors.py does


UPLOADS = ("imports.upload", "import_api.api_import")
