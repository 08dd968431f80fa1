"""The edit forms: which fields each kind shows, reading them back, and their protection against forged posts.

Every POST, PUT, PATCH or DELETE to a page is checked by Flask-WTF's
``CSRFProtect``: the form carries ``csrf_token()`` (a signed, timed token tied to
the session cookie), and a request without a valid one is refused with the
app's 400 page before the view runs, so nothing is written.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, current_app
from flask_wtf.csrf import CSRFError, CSRFProtect

from registry.errors import InvalidInput
from registry.model import (LEVELS, LOCALITIES, MAX_TEXT, PLATFORM_STATUS, PLATFORM_TYPES, PROJECT_STATUS,
                            PROJECT_TYPES, RELATION_TYPES, ROLES, bad_character)

from .params import whole_number

csrf = CSRFProtect()
SECRET_FILE = "secret_key"
EDITABLE_KINDS = ("enterprise", "platform", "project")

# field -> (widget, label group or options)
FORM_FIELDS: dict[str, list[tuple[str, str, object]]] = {
    "enterprise": [
        ("name", "text", None), ("aliases", "text", None), ("credit_code", "text", None),
        ("locality", "select", ("locality", LOCALITIES)), ("location", "text", None),
        ("roles", "multi", ("role", ROLES)), ("size_band", "text", None), ("revenue_band", "text", None),
        ("listing_status", "text", None), ("contact_person", "text", None), ("phone", "text", None),
        ("email", "text", None), ("website", "text", None), ("address", "text", None),
        ("description", "textarea", None),
    ],
    "platform": [
        ("name", "text", None), ("aliases", "text", None),
        ("platform_type", "select", ("platform_type", PLATFORM_TYPES)), ("level", "select", ("level", LEVELS)),
        ("status", "select", ("platform_status", PLATFORM_STATUS)),
        ("locality", "select", ("locality", LOCALITIES)), ("location", "text", None),
        ("description", "textarea", None),
    ],
    "project": [
        ("name", "text", None), ("aliases", "text", None),
        ("project_type", "select", ("project_type", PROJECT_TYPES)),
        ("status", "select", ("project_status", PROJECT_STATUS)),
        ("locality", "select", ("locality", LOCALITIES)), ("location", "text", None), ("period", "text", None),
        ("investment", "text", None), ("description", "textarea", None),
    ],
}
MAX_FIELD = MAX_TEXT  # the model's own limit for the longest field; each field's is checked by the model


def actor(form) -> tuple[str, str]:
    """Who is making the change (the signed-in user, never a form field) and why (required): both go into
    the change log."""
    from .auth import actor_name

    why = (form.get("why") or "").strip()
    if not why:
        raise InvalidInput("why: 请填写修改理由（记入变更日志）/ say why you make this change (it goes into the "
                           "change log)", details=[{"field": "why", "value": "", "message": "required"}])
    if len(why) > 500:
        raise InvalidInput("why: 理由不超过500字 / why: at most 500 characters")
    bad = bad_character(why.replace("\r\n", "\n"))
    if bad:
        raise InvalidInput(f"why: 含不允许的字符 {bad} / contains the character {bad}",
                           details=[{"field": "why", "value": None, "message": f"bad character {bad}"}])
    return actor_name(), why


def read_entity_form(kind: str, form) -> dict:
    """The changed record fields from a submitted form (blank = unknown)."""
    out: dict = {}
    for field, widget, _ in FORM_FIELDS[kind]:
        if widget == "multi":
            out[field] = [v for v in form.getlist(field) if v]
        else:
            raw = form.get(field, "")
            if len(raw) > MAX_FIELD:
                raise InvalidInput(f"{field}: 过长（{len(raw)} 字，上限 {MAX_FIELD}）/ {field} is too long")
            out[field] = raw.strip() or None
    if out.get("aliases"):
        out["aliases"] = [a.strip() for a in re.split(r"[;；、|,，\n]", out["aliases"]) if a.strip()]
    else:
        out["aliases"] = []
    return out


def parse_version(form) -> int:
    return whole_number(form.get("version", ""), "version")


def relation_types_for(kind: str) -> list[tuple[str, bool]]:
    """(type, this record is the source?) for every relation a record of this kind can take part in."""
    out = []
    for t, (src, dst, _, _) in RELATION_TYPES.items():
        if kind in src:
            out.append((t, True))
        if kind in dst:
            out.append((t, False))
    return out


def user_source(by: str, why: str) -> dict:
    at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"by": by, "at": at, "basis": "reported", "note": why}


def instance_secret(instance_path: str | os.PathLike) -> str:
    """The instance's own secret key, made once and kept in ``instance/secret_key`` (readable by its owner only).

    Used when no ``SECRET_KEY`` is configured (``XIJIN_SECRET_KEY`` or ``instance/config.py``), so that form
    tokens survive a restart and every process serving the same instance signs with the same key.
    """
    path = Path(instance_path) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise InvalidInput(f"{path}: 密钥文件内容过短，请删除后重启 / the secret key file is too short: delete it "
                               "and restart") from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def init_app(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app.instance_path)
    # a form may stay open through a long phone call: a token lasts a working day (Flask-WTF's default is an hour)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"  # the session cookie only carries the form token's secret
    csrf.init_app(app)
    # The JSON API (/api/v1) is exempt for now: it will get bearer tokens in a later issue. Until then a
    # cross-site page cannot forge its writes with a plain form post: they take a JSON body
    # (Content-Type: application/json) or DELETE/PATCH, which a browser only sends cross-site after a CORS
    # preflight, and the app sends no CORS headers.
    from .api import bp as api_bp

    csrf.exempt(api_bp)

    @app.errorhandler(CSRFError)
    def _csrf_failed(exc: CSRFError):
        from .errors import error_response
        from .i18n import text

        current_app.logger.info("refused a form without a valid CSRF token: %s", exc.description)
        return error_response(400, text("ui.error.csrf"), "csrf_failed")

    # the roles a record may have, for the search filter (shown with label('role', r))
    app.jinja_env.globals.update(role_codes=ROLES)
