"""Plan targets against what the registry can say about them today."""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

from ._chain import OUTSIDE, Chain, clean_sources, fact, gap_sort_key, make_gap, names_en, names_zh

__all__ = ["target_progress", "target_gaps", "MEASURABILITY"]

MEASURABILITY = {"measured": ("可衡量", "measured"), "partial": ("部分可衡量", "partly measurable"),
                 "not_measurable": ("无法从登记册衡量", "not measurable from the registry")}
STATUS_ZH = {"met": "已达到", "behind": "未达到", "unknown": "未知"}
LISTED = 20


class _Rule(NamedTuple):
    id: str
    words: tuple[str, ...]
    measurability: str
    count: Optional[Callable[[Chain], list[str]]]
    method_zh: str
    method_en: str
    needed_zh: str
    needed_en: str


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


_NOT = "not_measurable"
# first rule whose word occurs in the target's metric (then its name) decides; order matters
RULES: tuple[_Rule, ...] = (
    _Rule("growth_firms", ("独角兽", "瞪羚", "单项冠军", "小巨人"), "measured",
          _with_roles("unicorn", "gazelle", "single_champion", "little_giant"),
          "统计角色含独角兽、瞪羚、单项冠军或专精特新小巨人的集群内企业",
          "count local enterprises with the role 独角兽, 瞪羚, 单项冠军 or 专精特新小巨人",
          "只统计登记册中已标注角色的企业；需补全各企业的认定情况",
          "only enterprises whose roles are recorded count; record each firm's designations"),
    _Rule("hightech_firms", ("高新技术企业",), "partial", _with_roles("high_tech"),
          "统计角色含高新技术企业的集群内企业（现有存量）",
          "count local enterprises with the role 高新技术企业 (the current stock)",
          "各企业高新技术企业的认定年份（才能算出每年新增）",
          "the year each firm was recognised (to count new ones per year)"),
    _Rule("scale_firms", ("规模以上", "规上"), "measured", _with_roles("above_scale"),
          "统计角色含“规上”的集群内企业", "count local enterprises with the role 规上",
          "只统计登记册中已标注“规上”的企业；需补全各企业是否规上",
          "only enterprises marked 规上 count; record whether each firm is above designated size"),
    _Rule("revenue_firms", ("营收超", "营业收入超", "亿元企业"), "partial", _revenue_banded,
          "列出已登记营收区间的集群内企业", "list local enterprises with a revenue band recorded",
          "各企业的年营业收入（数值与年份）", "each firm's annual revenue (amount and year)"),
    _Rule("green_factory", ("绿色工厂",), _NOT, None, "", "",
          "绿色工厂认定名单（企业、级别、年份）", "the list of green-factory designations (firm, level, year)"),
    _Rule("rd_intensity", ("研发投入", "研发强度"), _NOT, None, "", "",
          "各企业年研发投入与营业收入", "each firm's annual R&D spending and revenue"),
    _Rule("output_value", ("产值",), _NOT, None, "", "",
          "各企业年产值（数值与年份）", "each firm's annual output value (amount and year)"),
    _Rule("production", ("产量",), _NOT, None, "", "",
          "各企业按产品的年产量（吨）", "each firm's annual production by product (tonnes)"),
    _Rule("revenue", ("营收", "营业收入", "收入"), _NOT, None, "", "",
          "相关企业的年营业收入（数值与年份）", "the annual revenue of the firms concerned (amount and year)"),
    _Rule("tech_transfer", ("成果转化",), _NOT, None, "", "",
          "科技成果转化项目记录（项目、承担单位、年份）", "records of technology-transfer projects (project, unit, year)"),
    _Rule("standards", ("标准",), _NOT, None, "", "",
          "参与制定的标准清单（标准号、企业、年份）", "the standards drafted (number, firm, year)"),
    _Rule("events", ("会议", "论坛", "咨询服务", "活动"), _NOT, None, "", "",
          "会议论坛与技术咨询服务的活动记录（名称、日期）", "records of events and consulting services (name, date)"),
    _Rule("projects", ("项目",), "partial", _projects,
          "统计集群内（或所在地未注明）的项目", "count projects in the cluster (or of unrecorded locality)",
          "各项目的签约或引进年份（才能算出每年引进数）", "each project's signing or introduction year (to count per year)"),
    _Rule("platforms", ("平台", "中心", "研究院", "工作站"), "measured", _platforms,
          "统计集群内已建成（或状态未注明）的平台", "count existing (or status-unrecorded) platforms in the cluster",
          "只统计登记册中的平台", "only platforms in the registry count"),
)

PER_YEAR_WORDS = ("每年", "年均", "新增")


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


def _progress_row(chain: Chain, t: str) -> dict:
    d = chain.node[t]
    metric, name = d.get("metric") or "", d.get("name") or t
    about = chain.about.get(t, [])
    about_segs = [a for a in about if chain.kind(a) == "segment"]
    rule = _match(metric, name)
    per_year = (d.get("comparison") == "per_year") or any(w in metric or w in name for w in PER_YEAR_WORDS)
    counted: list[str] = []
    current = None
    rule_id = rule.id if rule else None
    if rule is not None and rule.count is not None:
        measurability = rule.measurability
        counted = rule.count(chain)
        current = len(counted)
        method_zh, method_en, needed_zh, needed_en = rule.method_zh, rule.method_en, rule.needed_zh, rule.needed_en
        if per_year and measurability == "measured":
            measurability = "partial"
            needed_zh, needed_en = "各记录的认定或登记年份（才能算出每年新增）", \
                "the year of each record (to count new ones per year)"
    elif rule is not None:
        measurability = _NOT
        method_zh, method_en = "登记册没有这项数据", "the registry holds no such data"
        needed_zh, needed_en = rule.needed_zh, rule.needed_en
    elif about_segs and (d.get("unit") or "") == "家":
        measurability, rule_id = "partial", "about_segments"
        counted = sorted({f for s in about_segs for f in chain.local_firms(s)})
        current = len(counted)
        method_zh = f"统计目标所指环节（{names_zh(chain, about_segs)}）的集群内企业"
        method_en = f"count local enterprises in the target's segment(s) ({names_en(chain, about_segs)})"
        needed_zh, needed_en = "指标口径（哪些企业计入）", "the metric's definition (which firms count)"
    else:
        measurability = _NOT
        method_zh, method_en = "登记册没有这项数据", "the registry holds no such data"
        needed_zh, needed_en = f"指标“{metric or name}”的统计数据（来源、口径、年份）", \
            f"statistics for '{metric or name}' (source, definition, year)"
    # a partly measurable target has a status only when the count is the metric itself (firms of the
    # target's segments); a stock of high-tech firms or the firms with any revenue band is not
    comparable = measurability == "measured" or (rule_id == "about_segments" and not per_year)
    status = _status(current, d) if comparable else "unknown"
    units = [chain.ref(u) for u in chain.responsible.get(t, ())]
    linked = {u["name"] for u in units}
    units += [{"id": None, "name": u, "kind": "gov_unit"} for u in d.get("responsible_units") or () if u not in linked]
    value = d.get("value")
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
        "measurability_zh": MEASURABILITY[measurability][0],
        "measurability_en": MEASURABILITY[measurability][1],
        "current": current,
        "status": status,
        "status_zh": STATUS_ZH[status],
        "shortfall": (value - current) if status == "behind" and d.get("comparison") != "at_most" else None,
        "counted": [chain.ref(x) for x in counted[:LISTED]],
        "counted_total": len(counted),
        "method_zh": method_zh,
        "method_en": method_en,
        "needed_data_zh": needed_zh,
        "needed_data_en": needed_en,
        "sources": clean_sources(d.get("sources")),
    }


def _target_progress(chain: Chain) -> list[dict]:
    return [_progress_row(chain, t) for t in chain.by_kind.get("target", ())]


def target_progress(G) -> list[dict]:
    """Every plan target with what the registry can say about it today, sorted by id.

    ``measurability`` is ``measured`` (the registry counts it directly, e.g.
    规上 or 专精特新小巨人 firms from their roles), ``partial`` (it counts a
    related stock, e.g. high-tech firms when the target is *new* ones per
    year) or ``not_measurable`` (e.g. output value, R&D intensity,
    production).  ``current`` and ``status`` (met / behind / unknown) come
    with the ``counted`` entities, the method, and ``needed_data_zh/en``:
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
        goal = f"{r['value']:g}{unit}" if isinstance(r["value"], (int, float)) else "—"
        when_zh = f"（{r['deadline_year']}年）" if r["deadline_year"] else ""
        when_en = f" by {r['deadline_year']}" if r["deadline_year"] else ""
        if r["measurability"] == "measured" or (r["measurability"] == "partial" and r["status"] == "behind"):
            severity = "high" if r["measurability"] == "measured" else "medium"
            reason_zh = (f"目标「{name}」：登记册现有 {r['current']}{unit}，目标 {goal}{when_zh}"
                         + (f"，差 {r['shortfall']:g}{unit}" if r["shortfall"] is not None else "") + "。"
                         + f"口径：{r['method_zh']}；{r['needed_data_zh']}。")
            reason_en = (f"Target '{name}': the registry shows {r['current']}{unit} against {goal}{when_en}"
                         + (f", {r['shortfall']:g} short" if r["shortfall"] is not None else "") + ". "
                         + f"Method: {r['method_en']}; {r['needed_data_en']}.")
        elif r["measurability"] == "partial":
            severity = "medium"
            reason_zh = (f"目标「{name}」（{goal}{when_zh}）只能部分衡量：{r['method_zh']}，现有 {r['current']}{unit}。"
                         f"需要补充：{r['needed_data_zh']}。")
            reason_en = (f"Target '{name}' ({goal}{when_en}) is only partly measurable: {r['method_en']}, now "
                         f"{r['current']}. Needed: {r['needed_data_en']}.")
        else:
            severity = "low"
            reason_zh = f"目标「{name}」（{goal}{when_zh}）无法从登记册衡量。需要补充：{r['needed_data_zh']}。"
            reason_en = f"Target '{name}' ({goal}{when_en}) cannot be measured from the registry. " \
                        f"Needed: {r['needed_data_en']}."
        units = [u["name"] for u in r["responsible_units"]]
        facts = [fact(f"可衡量性：{r['measurability_zh']}；状态：{r['status_zh']}",
                      f"measurability: {r['measurability_en']}; status: {r['status']}", [r["id"]])]
        if r["counted_total"]:
            ids = [x["id"] for x in r["counted"]]
            facts.append(fact(f"已计入 {r['counted_total']} 个：{names_zh(chain, ids)}",
                              f"{r['counted_total']} counted: {names_en(chain, ids)}", ids))
        if units:
            facts.append(fact(f"责任单位：{'、'.join(units)}", f"responsible units: {', '.join(units)}",
                              [u["id"] for u in r["responsible_units"] if u["id"]]))
        segs = [a["id"] for a in r["about"] if a["kind"] == "segment"]
        gaps.append(make_gap(
            gid=f"target:{r['id']}", category="target", kind=r["measurability"], severity=severity,
            subjects=[chain.ref(r["id"])], title_zh=f"目标：{name}", title_en=f"Target: {name}",
            reason_zh=reason_zh, reason_en=reason_en, facts=facts, sources=r["sources"],
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
