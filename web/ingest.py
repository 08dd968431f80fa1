"""Reading a plan, opinion or report on the web (issue 14): upload or paste, review each proposal, apply.

    GET  /ingest                       the upload / paste form (editor) and recent ingestions
    POST /ingest                       a file (.txt UTF-8/GB18030, .docx, .pdf with a text layer) or pasted text:
                                       its text saved under <instance>/ingest/, proposals made in the background
    GET  /ingest/<token>               progress, then the REVIEW page (or the result once applied)
    GET  /ingest/<token>/status.json   where the background work is (polled by static/import.js)
    POST /ingest/<token>/review        the reviewer's decisions saved (accept / edit / reject, near matches,
                                       "accept all" / "reject all" per group); with ``apply``: applied in the
                                       background as one change set (reason required)

The decisions are kept on disk with the upload (``<token>.json``), so a reload, another tab or a restarted
server shows the review as it was left. The work is ``registry.ingest.propose`` (proposals with quotes),
``registry.ingest_apply`` (what the decisions would write; the apply through the import's all-or-nothing
path) and ``registry.documents`` (reading the file); this module only moves text and decisions between the
person and those. The change set is shown by the import's page (``/import/set/<id>``), undone there.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, url_for

from registry import ingest_apply as IA
from registry.errors import Conflict, InvalidInput, NotFound

from .auth import actor_name, require, role_required
from .i18n import text
from .imports import clean_filename
from .jobs import jobs
from .store import get_registry

bp = Blueprint("ingest", __name__)

FOLDER = "ingest"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_BYTES = 20 * 1024 * 1024       # a plan as a PDF with pictures; its text is far less
MAX_CHARS = 300_000                # text proposed on: a long plan is some 30 000 characters
MULTIPART_SLACK = 1024 * 1024
CONTEXT = 40                       # characters shown either side of a quote
STAGES = ("read", "propose", "apply")


def both(msgid: str, **params) -> str:
    from registry.messages import text as in_lang

    return f"{in_lang(msgid, 'zh', **params)} / {in_lang(msgid, 'en', **params)}"


def _max_bytes() -> int:
    return int(current_app.config.get("INGEST_MAX_BYTES") or MAX_BYTES)


# ---------------------------------------------------------------- files on disk
def _folder() -> Path:
    path = Path(current_app.instance_path) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(token: str, suffix: str) -> Path:
    return _folder() / f"{token}{suffix}"


def _write(path: Path, body: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, path)


def _save_meta(token: str, meta: dict) -> None:
    _write(_path(token, ".json"), json.dumps(meta, ensure_ascii=False))


def _meta(token: str) -> dict:
    """The upload's notes, if ``token`` is one of the signed-in user's uploads (else: not found)."""
    if not TOKEN.match(token or ""):
        raise NotFound(both("ui.ingestweb.err.no_upload"))
    try:
        meta = json.loads(_path(token, ".json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        raise NotFound(both("ui.ingestweb.err.no_upload")) from None
    if meta.get("owner") != actor_name():
        raise NotFound(both("ui.ingestweb.err.no_upload"))
    return meta


def _text(token: str) -> str:
    try:
        return _path(token, ".txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(both("ui.ingestweb.err.gone")) from None


def _proposals(token: str) -> dict | None:
    try:
        return json.loads(_path(token, ".proposals.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


# ---------------------------------------------------------------- background work
def _start_propose(token: str, meta: dict):
    app = current_app._get_current_object()
    folder = _folder()

    def work(job):
        from registry import ingest

        from .store import get_registry as reg_of

        job.progress("read", 0, 0)
        text_path = folder / f"{token}.txt"
        if meta.get("raw") and not text_path.exists():  # a .docx or .pdf: its text read here, kept as .txt
            from registry.documents import text_of_bytes

            raw = folder / f"{token}{meta['raw']}"
            try:
                data = raw.read_bytes()
            except FileNotFoundError:
                raise NotFound(both("ui.ingestweb.err.gone")) from None
            body = _checked(text_of_bytes(data, meta["filename"]), meta["filename"])
            _write(text_path, body)
            meta["chars"] = len(body)
            meta.pop("raw")
            _save_meta(token, meta)
            raw.unlink()
        body = text_path.read_text(encoding="utf-8")
        names = IA.registry_names(reg_of())
        job.progress("propose", 0, 0)
        proposals = ingest.propose(body, names, document=meta["filename"])
        IA.stored_index(reg_of())  # built now, in the background: the review page matches against it
        _write(folder / f"{token}.proposals.json", json.dumps(proposals, ensure_ascii=False))
        return True

    return jobs().start(app, meta["owner"], "propose", work, job_id=f"ingest:{token}:propose")


# ---------------------------------------------------------------- pages
def _recent() -> list[dict]:
    page = get_registry().change_page(action="import", per_page=50)
    return [c for c in page["items"] if c.get("document")][:20]


def _form_page(error=None, form=None, status=200):
    return render_template("ingest.html", error=error, form=form or {}, recent=_recent(),
                           max_mb=_max_bytes() // (1024 * 1024)), status


@bp.get("/ingest")
def start():
    require("editor")
    return _form_page()


@bp.post("/ingest")
@role_required("editor")
def upload():
    form = {"pasted": request.form.get("pasted") or "", "title": (request.form.get("title") or "").strip()}
    try:
        token, meta = _receive(request.files.get("file"), form)
    except InvalidInput as exc:
        return _form_page(error=exc, form=form, status=400)
    _start_propose(token, meta)
    return redirect(url_for("ingest.review", token=token), 303)


DEFERRED = (".pdf", ".docx")   # read in the background: a long PDF takes seconds


def _receive(storage, form: dict) -> tuple[str, dict]:
    """Check and save an upload or pasted text; its token and notes. A .txt or pasted text is checked here;
    a .docx or .pdf only looked at (``sniff``) and read by the background job."""
    from registry.documents import sniff, text_of_bytes

    pasted = form["pasted"].replace("\r\n", "\n")
    has_file = storage is not None and bool(storage.filename)
    if has_file and pasted.strip():
        raise InvalidInput(both("ui.ingestweb.err.both"))
    token = secrets.token_hex(16)
    meta = {"owner": actor_name(), "pasted": not has_file, "decisions": {},
            "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if has_file:
        name = clean_filename(storage.filename)
        limit = _max_bytes()
        data = storage.stream.read(limit + 1)
        if len(data) > limit:
            raise InvalidInput(both("ui.ingestweb.err.too_big", mb=limit // (1024 * 1024)),
                               details=[{"field": "file", "value": name, "message": "too big"}])
        meta.update(filename=name, size=len(data))
        suffix = Path(name).suffix.lower()
        if suffix in DEFERRED:
            sniff(data, name)
            _path(token, suffix).write_bytes(data)
            meta["raw"] = suffix
            _save_meta(token, meta)
            return token, meta
        body = text_of_bytes(data, name)
    elif pasted.strip():
        title = form["title"] or "粘贴的文字"
        meta.update(filename=clean_filename(re.sub(r"[\\/:*?\"<>|]+", "_", title)[:80] + ".txt"),
                    size=len(pasted.encode("utf-8")))
        body = pasted
    else:
        raise InvalidInput(both("ui.ingestweb.err.nothing"), details=[{"field": "file", "value": "", "message": "required"}])
    body = _checked(body, meta["filename"])
    _write(_path(token, ".txt"), body)
    meta["chars"] = len(body)
    _save_meta(token, meta)
    return token, meta


def _checked(body: str, name: str) -> str:
    from registry.documents import plain

    if len(body) > MAX_CHARS:
        raise InvalidInput(both("ui.ingestweb.err.too_long", chars=len(body), max=MAX_CHARS))
    body = plain(body)
    if not body.strip():
        raise InvalidInput(both("ui.ingestweb.err.no_text", name=name))
    return body


@bp.get("/ingest/<token>")
def review(token: str):
    require("editor")
    meta = _meta(token)
    apply_job = jobs().get(f"ingest:{token}:apply", meta["owner"])
    if meta.get("result") and (apply_job is None or apply_job.status != "running"):
        return _page(token, meta, result=meta["result"])
    if apply_job is not None and apply_job.status == "running":
        return _page(token, meta, job=apply_job)
    proposals = _proposals(token)
    if proposals is None:
        job = jobs().get(f"ingest:{token}:propose", meta["owner"]) or _start_propose(token, meta)
        if job.status == "running":
            return _page(token, meta, job=job)
        if job.status == "error":
            return _page(token, meta, read_error=job.error, status=400 if isinstance(job.error, InvalidInput) else 500)
        proposals = _proposals(token)
        if proposals is None:
            raise NotFound(both("ui.ingestweb.err.gone"))
    apply_error = apply_job.error if apply_job is not None and apply_job.status == "error" else None
    return _review_page(token, meta, proposals, apply_error=apply_error,
                        status=(409 if isinstance(apply_error, Conflict) else 400) if apply_error else 200)


def _review_page(token, meta, proposals, *, form_error=None, apply_error=None, why="", status=200):
    body = _text(token)
    rev = IA.plan_ingest(get_registry(), proposals, body, file=meta["filename"], by=meta["owner"],
                         decisions=meta.get("decisions") or {})
    groups = [(g, [_view(r, body) for r in rev.of(g)]) for g in IA.GROUPS if proposals.get(g)]
    return _page(token, meta, review=rev, groups=groups, form_error=form_error, apply_error=apply_error, why=why,
                 status=status)


def _view(row, body: str) -> dict[str, Any]:
    """A proposal as the review shows it: its quote with some text either side and the part it rests on marked."""
    p = row.proposal
    a, b = (p.get("span") or [0, 0])[:2]
    quote = p.get("quote") or ""
    if not (0 <= a <= b <= len(body)) or body[a:b] != quote:
        a = body.find(quote) if quote else -1
        b = a + len(quote) if a >= 0 else -1
    before = body[max(0, a - CONTEXT):a] if a > 0 else ""
    after = body[b:b + CONTEXT] if b >= 0 else ""
    mark = p.get("name_span") or p.get("number_span")
    spans: list[tuple[int, int]] = []
    if mark and a >= 0 and a <= mark[0] <= mark[1] <= b:
        spans = [(mark[0] - a, mark[1] - a)]
    else:  # the names the proposal is about, where the quote has them (a relation's two ends)
        names = [p.get("name")] if row.group in ("organisations", "segments") else [p.get("source"), p.get("target")]
        for n in filter(None, names):
            i = quote.find(str(n))
            if i >= 0 and all(j >= i + len(n) or i >= k for j, k in spans):
                spans.append((i, i + len(n)))
    parts, at = [], 0
    for i, j in sorted(spans):
        parts += [(quote[at:i], False), (quote[i:j], True)]
        at = j
    parts.append((quote[at:], False))
    return {"row": row, "p": p, "before": before.replace("\n", " "), "after": after.replace("\n", " "),
            "parts": [(t, m) for t, m in parts if t], "long": len(quote) > 160,
            "edit": {f: row.edit.get(f, _shown_field(p, f)) for f in IA.EDITABLE[row.group]}}


def _shown_field(p: dict, f: str) -> str:
    v = p.get(f)
    if f == "deadline_year":
        v = p.get("deadline_year") or p.get("year")
    if isinstance(v, list):
        return "、".join(map(str, v))
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def _page(token, meta, *, job=None, result=None, read_error=None, review=None, groups=None, form_error=None,
          apply_error=None, why="", status=200):
    return render_template("ingest_review.html", token=token, meta=meta, job=job, result=result,
                           read_error=read_error, review=review, groups=groups or [], form_error=form_error,
                           apply_error=apply_error, why=why, editable=IA.EDITABLE), status


@bp.get("/ingest/<token>/status.json")
def status(token: str):
    require("editor")
    meta = _meta(token)
    job = (jobs().get(f"ingest:{token}:apply", meta["owner"]) or jobs().get(f"ingest:{token}:propose", meta["owner"]))
    if job is None:
        return jsonify({"status": "done" if meta.get("result") or _proposals(token) else "gone"})
    body = job.status_json()
    body["stage_text"] = text(f"ui.ingestweb.stage.{job.stage}") if job.stage in STAGES else job.stage
    return jsonify(body)


def read_decisions(form, proposals: dict, old: dict) -> dict:
    """The decisions the review form sends, on top of those saved: ``do:<key>`` accept / reject / (blank:
    undecided), ``edit:<key>:<field>`` (kept only where it differs from the proposal), ``match:<key>``,
    ``doc_name``; a ``bulk`` button ``accept:<group>`` / ``reject:<group>`` / ``accept:all`` decides a group."""
    out = {k: dict(v) for k, v in (old or {}).items() if isinstance(v, dict)}
    rows = {r.key: r for r in IA.proposal_rows(proposals)}
    for key, row in rows.items():
        d = out.setdefault(key, {})
        if f"do:{key}" in form:
            do = form.get(f"do:{key}")
            if do in ("accept", "reject"):
                d["do"] = do
            else:
                d.pop("do", None)
        edit = dict(d.get("edit") or {})
        for f in IA.EDITABLE[row.group]:
            name = f"edit:{key}:{f}"
            if name not in form:
                continue
            value = (form.get(name) or "").strip()[:1000]
            if value == _shown_field(row.proposal, f):
                edit.pop(f, None)
            else:
                edit[f] = value
        if edit:
            d["edit"] = edit
        else:
            d.pop("edit", None)
        if f"match:{key}" in form:
            m = (form.get(f"match:{key}") or "").strip()[:100]
            if m:
                d["match"] = m
            else:
                d.pop("match", None)
        if not d:
            out.pop(key)
    bulk = form.get("bulk") or ""
    do, _, group = bulk.partition(":")
    if do in ("accept", "reject", "clear") and (group in IA.GROUPS or group == "all"):
        for key, row in rows.items():
            if group in ("all", row.group):
                d = out.setdefault(key, {})
                if do == "clear":
                    d.pop("do", None)
                else:
                    d["do"] = do
                if not d:
                    out.pop(key)
    name = (form.get("doc_name") or "").strip()[:200]
    if name:
        out["document"] = {"name": name}
    elif "doc_name" in form:
        out.pop("document", None)
    return IA.clean_decisions(out)


@bp.post("/ingest/<token>/review")
@role_required("editor")
def decide(token: str):
    from .forms import actor

    meta = _meta(token)
    if meta.get("result"):
        raise Conflict(both("ui.ingestweb.err.applied"))
    proposals = _proposals(token)
    if proposals is None:
        raise Conflict(both("ui.ingestweb.err.not_ready"))
    meta["decisions"] = read_decisions(request.form, proposals, meta.get("decisions") or {})
    _save_meta(token, meta)
    if request.form.get("apply") != "1":
        group = (request.form.get("bulk") or "").partition(":")[2]
        anchor = f"#group-{group}" if group in IA.GROUPS else ""
        return redirect(url_for("ingest.review", token=token) + anchor, 303)
    why = request.form.get("why") or ""
    try:
        by, why = actor(request.form)
        body = _text(token)
        rev = IA.plan_ingest(get_registry(), proposals, body, file=meta["filename"], by=by,
                             decisions=meta["decisions"])
        if rev.problems:
            raise InvalidInput(both("ui.ingestweb.err.problems", n=len(rev.problems)))
        if not rev.counts["writes"]:
            raise InvalidInput(both("ui.ingestweb.err.nothing_accepted"))
    except InvalidInput as exc:
        return _review_page(token, meta, proposals, form_error=exc, why=why, status=400)
    app = current_app._get_current_object()
    decisions = meta["decisions"]

    def work(job):
        from .store import get_registry as reg_of

        job.progress("apply", 0, 0)
        reg = reg_of()
        fresh = IA.plan_ingest(reg, proposals, body, file=meta["filename"], by=by, decisions=decisions)
        summary = IA.apply_ingest(reg, fresh, by=by, why=why, progress=job.progress)
        done = {k: summary.get(k) for k in ("created", "changed", "tasks", "change_set", "document")}
        done.update({"why": why, "relations": sum(1 for i in fresh.plan.items if i.kind == "relation")})
        meta["result"] = done
        _save_meta(token, meta)
        return done

    jobs().start(app, by, "apply", work, job_id=f"ingest:{token}:apply")
    return redirect(url_for("ingest.review", token=token), 303)


# ---------------------------------------------------------------- wiring
def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    def _upload_limit(endpoint, values):
        if endpoint == "ingest.upload" and request.method == "POST":
            request.max_content_length = _max_bytes() + MULTIPART_SLACK + 4 * MAX_CHARS
        elif endpoint == "ingest.decide" and request.method == "POST":
            request.max_content_length = 4 * 1024 * 1024  # a review of a few hundred proposals and their edits

    app.url_value_preprocessor(_upload_limit)
