"""The edit forms: which fields each kind shows, reading them back, and a cross-site-request check.

The check is a double-submit token: a random value in a SameSite cookie and
in a hidden field of every form; a POST whose two values differ is refused
with a 400 that tells the user to reload the page.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timezone

from flask import Flask, g, request

from registry.errors import InvalidInput
from registry.model import (LEVELS, LOCALITIES, PLATFORM_STATUS, PLATFORM_TYPES, PROJECT_STATUS, PROJECT_TYPES,
                            RELATION_TYPES, ROLES)

CSRF_COOKIE = "xijin_csrf"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
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
MAX_FIELD = 4000


def csrf_token() -> str:
    tok = g.get("csrf")
    if tok:
        return tok
    tok = request.cookies.get(CSRF_COOKIE)
    if not tok or not _TOKEN.match(tok):
        tok = secrets.token_hex(16)
        g.new_csrf = tok
    g.csrf = tok
    return tok


def check_csrf() -> None:
    sent, cookie = request.form.get("csrf", ""), request.cookies.get(CSRF_COOKIE, "")
    if not sent or not cookie or not hmac.compare_digest(sent, cookie):
        raise InvalidInput("表单已失效，请刷新页面后重新提交 / the form has expired: reload the page and submit again")


def actor(form) -> tuple[str, str]:
    """Who is making the change and why: both are required and go into the change log."""
    by = (form.get("by") or "").strip()
    why = (form.get("why") or "").strip()
    missing = [f for f, v in (("by", by), ("why", why)) if not v]
    if missing:
        raise InvalidInput(f"{'、'.join(missing)}: 请填写修改人和修改理由（记入变更日志）/ "
                           "say who you are and why you make this change (it goes into the change log)",
                           details=[{"field": f, "value": "", "message": "required"} for f in missing])
    if len(by) > 100 or len(why) > 500:
        raise InvalidInput("by/why: 修改人不超过100字，理由不超过500字 / who: at most 100, why: at most 500 characters")
    return by, why


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
    raw = form.get("version", "")
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"version: 版本号应为整数，收到 {raw[:20]!r} / version must be a whole number") from None


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


def init_app(app: Flask) -> None:
    @app.after_request
    def _set_csrf(resp):
        tok = g.get("new_csrf")
        if tok:
            resp.set_cookie(CSRF_COOKIE, tok, samesite="Strict", httponly=True)
        return resp

    app.jinja_env.globals.update(csrf_token=csrf_token)
