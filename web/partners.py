"""Partner lists for meetings, in words: the rows ``graph.partners`` finds, as the exports and pages show them.

Each row: the relation, the partner's name, kind, in/out of the cluster, location,
segments, roles, what is supplied, a detail, contact fields and the source of the
fact (document title, section, quote, basis). ``registry.exports`` writes them out.
"""

from __future__ import annotations

from typing import Any, Iterable

from graph.analysis import Analysis
from graph.partners import SCOPES
from registry.errors import InvalidInput, NotFound
from registry import messages
from registry.messages import localise

from . import analysis
from .i18n import current_lang, label, now_shown, pick, render, text

FORMATS = ("csv", "xlsx", "json")


class NothingToExport(NotFound):
    """A list with no rows: there is no file to download (an error page or body says why)."""
ORG_SCOPES = ("enterprise", "platform")


def _sources_cells(sources: Iterable[dict] | None, titles: dict[str, str]) -> dict[str, str]:
    docs, sections, quotes, who = [], [], [], []
    for s in sources or ():
        if s.get("doc"):
            title = titles.get(s["doc"])
            docs.append(f"《{title}》（{s['doc']}）" if title else s["doc"])
            sections.append(s.get("section") or "")
            quotes.append(s.get("quote") or "")
        elif s.get("by"):
            who.append(text("web.partner.reported_by", who=s["by"]) + (f"（{s['note']}）" if s.get("note") else ""))
    return {"source_doc": "；".join(dict.fromkeys(docs + who)), "source_section": "；".join(x for x in sections if x),
            "source_quote": "；".join(x for x in quotes if x)}


def _in_lang(obj: dict) -> str:
    """A localised message's text in the page's language (``zh``/``en`` keys), falling back to the other."""
    zh, en = obj.get("zh"), obj.get("en")
    return (en or zh or "") if current_lang() == "en" else (zh or en or "")


def candidate_reason(c: dict) -> str:
    """A candidate's reasons as one line."""
    return "；".join(p for p in (_in_lang(r) for r in localise(c.get("reasons") or [])) if p)


def _detail(detail: Any) -> Any:
    if isinstance(detail, dict) and "reasons" in detail:
        return candidate_reason(detail)
    if isinstance(detail, dict) and "fact" in detail:
        return _in_lang(localise(detail["fact"]))
    return detail


def _row_in_words(row: dict, titles: dict[str, str]) -> dict[str, Any]:
    out = {
        "relation": render(row["relation"]),
        "name": row["name"],
        "kind": label("kind", row["kind"]),
        "locality": label("locality", row["locality"]) if row["locality"] is not None else "",
        "location": row["location"],
        "segments": row["segments"],
        "roles": [label(r["label"], r["code"]) for r in row["roles"]],
        "product": row["product"],
        "detail": _detail(row["detail"]),
        "contact_person": row["contact_person"],
        "phone": row["phone"],
        "email": row["email"],
        "address": row["address"],
        "credit_code": row["credit_code"],
        "basis": label("basis", row["basis"]),
        "id": row["id"],
    }
    out.update(_sources_cells(row["sources"], titles))
    return out


def rows_in_words(a: Analysis, rows: list[dict], *, ordered: bool) -> list[dict]:
    """Partner rows in the page's language; ``ordered``: by group, then the relation's words, then name."""
    titles = analysis.document_titles()
    out = [(r["rank"], _row_in_words(r, titles)) for r in rows]
    if ordered:
        out.sort(key=lambda x: (x[0], x[1]["relation"], x[1]["name"]))
    return [r for _, r in out]


def _check(a: Analysis, scope: str, ident: str) -> None:
    """Raise a clear error unless ``ident`` names something a ``scope`` list can be made for."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope: 不支持的值 {scope[:40]!r}，可用：{', '.join(SCOPES)} / unknown value for scope")
    if scope == "gap":
        if a.gap(ident) is None:
            raise NotFound(f"缺口 '{ident}' 不存在（数据变化后缺口可能已消除）/ no gap with id '{ident}'")
        return
    e = a.record(ident)
    if e is None:
        raise NotFound(f"记录 '{ident}' 不存在 / no record with id '{ident}'")
    if e.get("kind") != scope:
        raise InvalidInput(f"id: '{ident}' 是{label('kind', e.get('kind'), 'zh')}，不是{label('kind', scope, 'zh')} / "
                           f"'{ident}' is a {e.get('kind')}, not a {scope}")


def partner_list(a: Analysis, scope: str, ident: str) -> dict[str, Any]:
    """The partner list of one enterprise, platform, segment or gap, with a title and an 'about' block."""
    _check(a, scope, ident)
    rows = rows_in_words(a, a.partners(scope, ident), ordered=scope in ORG_SCOPES)
    if scope == "gap":
        gap = localise(a.gap(ident))
        title = pick(gap, "title") or ident
        subject = text("web.partner.gap")
    else:
        title = a.record(ident)["name"]
        subject = label("kind", scope)
    about = {
        text("web.partner.about.list"): text("web.partner.about.list_value", subject=subject, title=title),
        text("web.partner.about.id"): ident,
        text("web.partner.about.rows"): len(rows),
        text("web.partner.about.generated"): now_shown(),
        text("web.partner.about.note"): text("web.partner.about.note_value"),
    }
    return {"scope": scope, "id": ident, "title": title, "rows": rows, "about": about}


def partner_count(scope: str, ident: str) -> int:
    """How many rows the partner list of ``ident`` has (0 for something no list can be made for): a page
    offers an export only when there is something in it."""
    a = analysis.current()
    try:
        _check(a, scope, ident)
    except (InvalidInput, NotFound):
        return 0
    return len(a.partners(scope, ident))


def nothing_to_export(plist: dict[str, Any]) -> NothingToExport:
    """The answer to a download of an empty list: what it is and why it is empty, not a header-only file."""
    key = "gap" if plist["scope"] == "gap" else "record"
    params = {"title": plist["title"], "kind": label("kind", plist["scope"], "zh") if key == "record" else ""}
    zh = messages.text(f"print.empty.{key}", "zh", **params)
    en = messages.text(f"print.empty.{key}", "en", **dict(params, kind=label("kind", plist["scope"], "en")
                                                          if key == "record" else ""))
    return NothingToExport(f"{zh} / {en}")


def export_filename(scope: str, title: str, fmt: str) -> tuple[str, str]:
    """(Chinese filename, ASCII fallback) for a partner list download: file names stay Chinese in both
    languages, since staff pass the files on."""
    safe = "".join(ch for ch in title if ch not in '\\/:*?"<>|\r\n\t').strip()[:60] or scope
    return messages.text(f"web.partner.filename.{scope}", "zh", title=safe, ext=fmt), f"partners-{scope}.{fmt}"
