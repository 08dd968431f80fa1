"""Chinese first, English on request: the language of a page, and the catalogue's words in it.

The language comes from ``?lang=zh|en`` (remembered in a cookie) or the cookie alone;
anything else means Chinese. Every word comes from the one message catalogue
(``registry.messages``, gettext through Babel): templates call ``_('ui.…')``
through Jinja's i18n extension, ``label(group, code)`` for enumerated values, and
``text('msg.id', **params)`` / ``render(message)`` from Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask, g, request

from registry import messages
from registry.messages import LANGS

COOKIE = "lang"


def current_lang() -> str:
    return getattr(g, "lang", None) or messages.DEFAULT_LANG


def text(msgid: str, **params) -> str:
    """A catalogue message in the page's language."""
    return messages.text(msgid, current_lang(), **params)


def render(message: dict) -> str:
    """An analysis message (``{"msg", "params"}``) in the page's language."""
    return messages.render(message, current_lang())


def label(group: str, value, lang: str | None = None) -> str:
    """The name of an enumerated value in the page's language; unknown values are shown as they are."""
    return messages.label(group, value, lang or current_lang())


def rel_heading(rtype: str, outgoing: bool) -> str:
    """How a group of relations reads from one end ("Suppliers", "Customers (supplies to)" …)."""
    return label("rel_out" if outgoing else "rel_in", rtype)


def pick(obj: dict, field: str) -> str:
    """``obj[field_zh]`` or ``obj[field_en]`` by the page's language (falls back to the other)."""
    zh, en = obj.get(f"{field}_zh"), obj.get(f"{field}_en")
    return (en or zh or "") if current_lang() == "en" else (zh or en or "")


BEIJING = timezone(timedelta(hours=8), "UTC+8")


def beijing_time(iso: str | None) -> str:
    """A stored UTC time (ISO-8601, ``…Z``) as people read it: in the display zone (setting TIMEZONE,
    Beijing time by default), to the second. The one place a time is formatted for a page or an export."""
    from flask import current_app, has_app_context

    from registry.exports import local_time

    return local_time(iso, current_app.config.get("TIMEZONE") if has_app_context() else None)


def time_zone() -> str | None:
    """The display time zone's IANA name (setting TIMEZONE)."""
    from flask import current_app, has_app_context

    return current_app.config.get("TIMEZONE") if has_app_context() else None


def zone_shown() -> str:
    """The display time zone as the page's language names it: ``北京时间 UTC+8``."""
    from registry.exports import zone_name

    return zone_name(time_zone(), current_lang())


def now_shown() -> str:
    """Now, in the display zone with the zone named, for a file's or a brief's 'generated' line."""
    from registry.exports import generated_at

    return generated_at(time_zone(), current_lang())


def shown(value) -> str:
    """A stored value as a cell shows it: lists joined with 、, nothing as —."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, (list, tuple)):
        return "、".join(shown(v) for v in value)
    if isinstance(value, dict):  # e.g. a source: its fields, in order, without JSON punctuation
        return "；".join(f"{k}: {shown(v)}" for k, v in value.items())
    return str(value)


def _gettext(msgid: str) -> str:
    return messages.translations(current_lang()).gettext(msgid)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return messages.translations(current_lang()).ngettext(singular, plural, n)


def init_app(app: Flask) -> None:
    @app.before_request
    def _lang():
        asked = request.args.get("lang")
        if asked in LANGS:
            g.lang, g.set_lang = asked, asked
        else:
            cookie = request.cookies.get(COOKIE)
            g.lang = cookie if cookie in LANGS else messages.DEFAULT_LANG

    @app.after_request
    def _remember(resp):
        lang = g.get("set_lang")
        if lang:
            resp.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return resp

    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    from registry.repository import change_fields

    app.jinja_env.globals.update(label=label, rel_heading=rel_heading, pick=pick, lang=current_lang,
                                 render=render, text=text, change_fields=change_fields, shown_value=shown)
    app.jinja_env.filters["bjt"] = beijing_time
    app.jinja_env.globals.update(zone_shown=zone_shown)
