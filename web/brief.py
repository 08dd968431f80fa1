"""The 招商简报: one printable A4 page per gap for a meeting — the gap, the plan's clause behind it, the
best candidates with why and how to reach them, and when the page was made (in the display time zone).

The gap and its candidates come from the snapshot's analysis (``views_data.gap_detail``), as the gap
page shows them; this module only picks what fits on one page.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from . import analysis
from . import views_data as V
from .i18n import now_shown
from .partners import partner_count

bp = Blueprint("brief", __name__)

BRIEF_CANDIDATES = 6   # candidates on the page: what fits one A4 sheet with their reasons and contacts
BRIEF_REASONS = 3      # reasons per candidate
BRIEF_FACTS = 3
BRIEF_SOURCES = 2
QUOTE_CHARS = 160      # a clause quote longer than this is cut (the gap page has it whole)
CONTACT_FIELDS = ("contact_person", "phone", "email", "address")
CONTACT_CHARS = {"contact_person": 24, "phone": 40, "email": 80, "address": 36}  # longer is cut (the record has it)


def _clip(value: str | None, n: int) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= n else value[:n - 1] + "…"


def brief_view(gap_id: str) -> dict:
    """What the brief of one gap shows, bounded so that it fits one page."""
    d = V.gap_detail(gap_id, limit=BRIEF_CANDIDATES)
    a = analysis.current()
    gap = d["gap"]
    candidates = []
    for c in gap.get("candidates") or []:
        rec = a.record(c["id"]) or {}
        candidates.append({**c, "reasons": (c.get("reasons") or [])[:BRIEF_REASONS],
                           "more_reasons": max(0, len(c.get("reasons") or []) - BRIEF_REASONS),
                           "contact": {f: _clip(str(rec[f]), CONTACT_CHARS[f]) for f in CONTACT_FIELDS if rec.get(f)},
                           "location": rec.get("location")})
    sources = [dict(s, quote=_clip(s.get("quote"), QUOTE_CHARS)) for s in (gap.get("sources") or [])[:BRIEF_SOURCES]]
    facts = list({f.get("zh"): f for f in gap.get("facts") or []}.values())
    return {"gap": gap, "candidates": candidates, "total": gap.get("candidates_total") or 0,
            "sources": sources, "more_sources": max(0, len(gap.get("sources") or []) - BRIEF_SOURCES),
            "facts": facts[:BRIEF_FACTS], "formula": d.get("candidate_formula"),
            "generated": now_shown(), "exportable": partner_count("gap", gap_id) > 0}


@bp.get("/gaps/<path:gap_id>/brief")
def gap_brief(gap_id: str):
    return render_template("brief.html", b=brief_view(gap_id[:400]))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
