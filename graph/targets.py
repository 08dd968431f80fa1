"""Plan targets against what the registry can say about them today."""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

from registry.messages import message

from ._chain import OUTSIDE, Chain, clean_sources, fact, gap_sort_key, make_gap, names
from .vocabulary import VOCABULARY, words as vocabulary

__all__ = ["target_progress", "target_gaps", "MEASURABILITY", "STATUSES"]

MEASURABILITY = ("measured", "partial", "not_measurable")
# met / behind: measured and compared; unknown: a related stock is counted, it cannot be compared;
# unmeasurable: the registry cannot compute it (no record carries the data the metric counts, or the
# registry has no field for it) — never "behind"
STATUSES = ("met", "behind", "unknown", "unmeasurable")
LISTED = 20
_WORDS = {rule: tuple(words) for rule, words in VOCABULARY["target_rule_words"].items()}


class _Rule(NamedTuple):
    id: str
    words: tuple[str, ...]
    measurability: str
    count: Optional[Callable[[Chain], list[str]]]
    method: Optional[str]  # message ids: how the registry counts it, which data would make it measurable
    needed: str
    # the data the count rests on: the kind of record and the field (and, for roles, which values);
    # field None: the records themselves; kind None: the registry has no field for it yet
    needs: dict = {}


def _with_roles(*roles: str) -> Callable[[Chain], list[str]]:
    wanted = set(roles)
    return lambda chain: [f for f in chain.by_kind.get("enterprise", ())
                          if chain.is_local(f) and wanted & set(chain.roles(f))]


def _revenue_banded(chain: Chain) -> list[str]:
    return [f for f in chain.by_kind.get("enterprise", ()) if chain.is_local(f) and chain.node[f].get("revenue_band")]


def _platforms(chain: Chain) -> list[str]:
    return [p for p in chain.by_kind.get("platform", ())
            if chain.node[p].get("locality") not in OUTSIDE and chain.node[p].get("status") != "planned"]


def _projects(chain: Chain) -> list[str]:
    return [p for p in chain.by_kind.get("project", ())
            if chain.node[p].get("project_type", "project") == "project"
            and chain.node[p].get("locality") not in OUTSIDE]


def _signed_year(chain: Chain) -> int | None:
    """This year (Beijing) when any project carries a signing date (``signed_on``), else None: without one,
    projects introduced per year cannot be counted."""
    if not any(chain.node[p].get("signed_on") for p in chain.by_kind.get("project", ())):
        return None
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone(timedelta(hours=8))).year


def _signed_projects(chain: Chain, year: int) -> list[str]:
    """The projects (in the cluster or not placed) signed in ``year``."""
    return [p for p in _projects(chain) if str(chain.node[p].get("signed_on") or "").startswith(f"{year}-")]


_NOT = "not_measurable"


def _needs(kind: str | None, field: str | None = None, *values: str) -> dict:
    return {"kind": kind, "field": field, "values": list(values)}


def _needs_message(needs: dict) -> dict:
    """What a target whose data no record carries needs, said as a message."""
    kind = {"label": "kind", "code": needs["kind"]}
    if needs.get("values"):
        return message("target.needs.roles", kind=kind,
                       roles=[{"label": "role", "code": r} for r in needs["values"]])
    if needs.get("field"):
        return message("target.needs.field", kind=kind, field={"label": "field", "code": needs["field"]})
    return message("target.needs.records", kind=kind)


def _carried(chain: Chain, needs: dict) -> bool:
    """Whether any record (in the cluster or not) carries the data a count rests on: with none, a count of
    zero says nothing about the target."""
    kind, field, values = needs.get("kind"), needs.get("field"), set(needs.get("values") or ())
    if kind is None:
        return False
    for n in chain.by_kind.get(kind, ()):
        if field is None:
            return True
        v = chain.node[n].get(field)
        if values:
            if values & set(v or ()):
                return True
        elif v not in (None, "", [], ()):
            return True
    return False
# first rule whose word occurs in the target's metric (then its name) decides; order matters
RULES: tuple[_Rule, ...] = (
    _Rule("growth_firms", _WORDS["growth_firms"], "measured",
          _with_roles("unicorn", "gazelle", "single_champion", "little_giant"),
          "target.method.growth_firms", "target.needed.growth_firms",
          _needs("enterprise", "roles", "unicorn", "gazelle", "single_champion", "little_giant")),
    _Rule("hightech_firms", _WORDS["hightech_firms"], "partial", _with_roles("high_tech"),
          "target.method.hightech_firms", "target.needed.hightech_firms", _needs("enterprise", "roles", "high_tech")),
    _Rule("scale_firms", _WORDS["scale_firms"], "measured", _with_roles("above_scale"),
          "target.method.scale_firms", "target.needed.scale_firms", _needs("enterprise", "roles", "above_scale")),
    _Rule("revenue_firms", _WORDS["revenue_firms"], "partial", _revenue_banded,
          "target.method.revenue_firms", "target.needed.revenue_firms", _needs("enterprise", "revenue_band")),
    _Rule("green_factory", _WORDS["green_factory"], _NOT, None, None, "target.needed.green_factory"),
    _Rule("rd_intensity", _WORDS["rd_intensity"], _NOT, None, None, "target.needed.rd_intensity"),
    _Rule("output_value", _WORDS["output_value"], _NOT, None, None, "target.needed.output_value"),
    _Rule("production", _WORDS["production"], _NOT, None, None, "target.needed.production"),
    _Rule("revenue", _WORDS["revenue"], _NOT, None, None, "target.needed.revenue"),
    _Rule("tech_transfer", _WORDS["tech_transfer"], _NOT, None, None, "target.needed.tech_transfer"),
    _Rule("standards", _WORDS["standards"], _NOT, None, None, "target.needed.standards"),
    _Rule("events", _WORDS["events"], _NOT, None, None, "target.needed.events"),
    _Rule("projects", _WORDS["projects"], "partial", _projects,
          "target.method.projects", "target.needed.projects", _needs("project")),
    _Rule("platforms", _WORDS["platforms"], "measured", _platforms,
          "target.method.platforms", "target.needed.platforms", _needs("platform")),
)

PER_YEAR_WORDS = vocabulary("per_year_words")
FIRM_COUNT_UNITS = vocabulary("firm_count_units")


def _match(metric: str, name: str) -> Optional[_Rule]:
    for text in (metric, name):
        for rule in RULES:
            if any(w in text for w in rule.words):
                return rule
    return None


def _status(current: float | None, d: dict) -> str:
    value, comparison = d.get("value"), d.get("comparison") or "reach"
    if current is None or value is None:
        return "unknown"
    if comparison == "exceeds":
        ok = current > value
    elif comparison == "at_most":
        ok = current <= value
    else:  # at_least, reach, approx, per_year; range: the lower bound reached
        ok = current >= value
    return "met" if ok else "behind"


class _Only:
    """The chain seen through a few records: ``by_kind`` holds only them, the rest is the chain's. A rule's
    count (a filter of records one by one) over it says which of them it counts."""

    def __init__(self, chain: Chain, ids):
        self._chain = chain
        self.by_kind: dict[str, list[str]] = {}
        for n in sorted(ids):
            k = chain.kind(n)
            if k is not None:
                self.by_kind.setdefault(k, []).append(n)

    def __getattr__(self, name):
        return getattr(self._chain, name)


def _recounted_row(chain: Chain, t: str, before: list[str] | None, touched: set, out: dict) -> dict:
    """:func:`_progress_row` after the records ``touched`` changed, from what the row counted before
    (``before``, every id; None: count again): the others stand, only the touched are counted again."""
    d = chain.node[t]
    rule = _match(d.get("metric") or "", d.get("name") or t)
    count = None
    if rule is not None and rule.count is not None and before is not None:
        merged = sorted([x for x in before if x not in touched] + rule.count(_Only(chain, touched)))
        count = lambda _chain: merged  # noqa: E731
    return _progress_row(chain, t, count=count, out=out)


def _progress_row(chain: Chain, t: str, *, count: Callable[[Chain], list[str]] | None = None,
                  out: dict | None = None) -> dict:
    """A target's progress row. ``count``: the rule's count when the caller has it (see :func:`_recounted_row`);
    ``out``: takes ``t`` -> every id counted (the row lists the first few)."""
    d = chain.node[t]
    metric, name = d.get("metric") or "", d.get("name") or t
    about = chain.about.get(t, [])
    about_segs = [a for a in about if chain.kind(a) == "segment"]
    rule = _match(metric, name)
    per_year = (d.get("comparison") == "per_year") or any(w in metric or w in name for w in PER_YEAR_WORDS)
    counted: list[str] = []
    current = None
    rule_id = rule.id if rule else None
    needs = None
    signed_year = _signed_year(chain) if rule is not None and rule.id == "projects" and per_year else None
    if signed_year is not None:
        # projects carry their signing date (signed leads, issue 13): this year's signings are the measure
        measurability, rule_id = "measured", "projects_signed"
        counted = _signed_projects(chain, signed_year)
        current = len(counted)
        method = message("target.method.projects_signed", year=signed_year)
        needed = message("target.needed.projects_signed")
    elif rule is not None and rule.count is not None and not _carried(chain, rule.needs):
        # e.g. 规上企业达50家 with no firm tagged 规上: a count of 0 would say "behind" when the truth is
        # that the registry cannot tell
        measurability, needs = _NOT, dict(rule.needs)
        method, needed = message(rule.method), _needs_message(rule.needs)
    elif rule is not None and rule.count is not None:
        measurability = rule.measurability
        counted = (count or rule.count)(chain)
        current = len(counted)
        method, needed = message(rule.method), message(rule.needed)
        if per_year and measurability == "measured":
            measurability = "partial"
            needed = message("target.needed.per_year")
    elif rule is not None:
        measurability, needs = _NOT, _needs(None)
        method, needed = message("target.method.no_data"), message(rule.needed)
    elif about_segs and (d.get("unit") or "") in FIRM_COUNT_UNITS:
        measurability, rule_id = "partial", "about_segments"
        counted = sorted({f for s in about_segs for f in chain.local_firms(s)})
        current = len(counted)
        method = message("target.method.about_segments", segments=names(chain, about_segs))
        needed = message("target.needed.about_segments")
    else:
        measurability, needs = _NOT, _needs(None)
        method = message("target.method.no_data")
        needed = message("target.needed.metric", metric=metric or name)
    # a partly measurable target has a status only when the count is the metric itself (firms of the
    # target's segments); a stock of high-tech firms or the firms with any revenue band is not
    comparable = measurability == "measured" or (rule_id == "about_segments" and not per_year)
    if measurability == _NOT:
        status = "unmeasurable"
    else:
        status = _status(current, d) if comparable else "unknown"
    units = [chain.ref(u) for u in chain.responsible.get(t, ())]
    linked = {u["name"] for u in units}
    units += [{"id": None, "name": u, "kind": "gov_unit"} for u in d.get("responsible_units") or () if u not in linked]
    value = d.get("value")
    if out is not None:
        out[t] = counted
    return {
        "id": t,
        "name": name,
        "metric": metric,
        "value": value,
        "value_max": d.get("value_max"),
        "comparison": d.get("comparison") or "reach",
        "unit": d.get("unit"),
        "period": d.get("period"),
        "deadline_year": d.get("deadline_year"),
        "clause": d.get("clause"),
        "responsible_units": units,
        "about": [chain.ref(a) for a in about],
        "rule": rule_id,
        "measurability": measurability,
        "current": current,
        "status": status,
        "shortfall": (value - current) if status == "behind" and d.get("comparison") != "at_most" else None,
        "counted": [chain.ref(x) for x in counted[:LISTED]],
        "counted_total": len(counted),
        "method": method,
        "needed_data": needed,
        "needs": needs,
        "sources": clean_sources(d.get("sources")),
    }


def _target_progress(chain: Chain, out: dict | None = None) -> list[dict]:
    return [_progress_row(chain, t, out=out) for t in chain.by_kind.get("target", ())]


def target_progress(G) -> list[dict]:
    """Every plan target with what the registry can say about it today, sorted by id.

    ``measurability`` is ``measured`` (the registry counts it directly, e.g.
    规上 or 专精特新小巨人 firms from their roles), ``partial`` (it counts a
    related stock, e.g. high-tech firms when the target is *new* ones per
    year) or ``not_measurable`` (e.g. output value, R&D intensity,
    production).  ``current`` and ``status`` (met / behind / unknown) come
    with the ``counted`` entities, the ``method`` and ``needed_data`` (messages):
    which data would make the target (fully) measurable.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph(
    ...     [{"id": "t1", "kind": "target", "name": "规上企业50家", "metric": "规模以上企业数", "value": 50},
    ...      {"id": "a", "kind": "enterprise", "name": "甲", "locality": "cluster", "roles": ["above_scale"]}], [])
    >>> r = target_progress(G)[0]
    >>> r["measurability"], r["current"], r["status"], r["shortfall"]
    ('measured', 1, 'behind', 49)
    """
    return _target_progress(Chain(G))


def _target_gaps(chain: Chain, rows: list[dict] | None = None) -> list[dict]:
    gaps = []
    for r in rows if rows is not None else _target_progress(chain):
        if r["status"] == "met":
            continue
        name, unit = r["name"], r["unit"] or ""
        said = {
            "name": name, "unit": unit, "method": r["method"], "needed": r["needed_data"],
            "goal": message("target.goal", value=r["value"], unit=unit) if isinstance(r["value"], (int, float))
            else message("target.goal.none"),
            "when": message("target.deadline", year=r["deadline_year"]) if r["deadline_year"] else "",
        }
        if r["measurability"] == "measured" or (r["measurability"] == "partial" and r["status"] == "behind"):
            severity = "high" if r["measurability"] == "measured" else "medium"
            reason = message("gap.target.counted.reason", current=r["current"], **said) if r["shortfall"] is None \
                else message("gap.target.counted.reason_short", current=r["current"], shortfall=r["shortfall"], **said)
        elif r["measurability"] == "partial":
            severity = "medium"
            reason = message("gap.target.partial.reason", current=r["current"], **said)
        else:
            severity = "low"
            reason = message("gap.target.not_measurable.reason", **said)
        units = [u["name"] for u in r["responsible_units"]]
        facts = [fact("fact.target.state", [r["id"]],
                      measurability={"label": "inline.measurability", "code": r["measurability"]},
                      status={"label": "inline.target_status", "code": r["status"]})]
        if r["counted_total"]:
            ids = [x["id"] for x in r["counted"]]
            facts.append(fact("fact.target.counted", ids, n=r["counted_total"], names=names(chain, ids)))
        if units:
            facts.append(fact("fact.target.units", [u["id"] for u in r["responsible_units"] if u["id"]], units=units))
        segs = [a["id"] for a in r["about"] if a["kind"] == "segment"]
        gaps.append(make_gap(
            gid=f"target:{r['id']}", category="target", kind=r["measurability"], severity=severity,
            subjects=[chain.ref(r["id"])], title=message("gap.target.title", name=name), reason=reason,
            facts=facts, sources=r["sources"],
            impact=int(r["shortfall"] or 0), wanted={"segments": segs, "product": None, "exclude": []},
            measurability=r["measurability"], status=r["status"]))
    gaps.sort(key=gap_sort_key)
    return gaps


def target_gaps(G) -> list[dict]:
    """Targets the registry shows behind (``high`` when measured, ``medium`` when partly measured),
    or cannot measure (``low``, with the data that would make it measurable).

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "t", "kind": "target", "name": "产值200亿元", "metric": "集群产值", "value": 200}], [])
    >>> [(g["id"], g["severity"], g["kind"]) for g in target_gaps(G)]
    [('target:t', 'low', 'not_measurable')]
    """
    return _target_gaps(Chain(G))
