"""The full gap report, and its text form for the CLI.

``gap_report`` runs every analysis over one pass of the graph and returns
plain data (JSON-serialisable, deterministic order); ``format_report_text``
turns it into what a 招商 officer reads first: the counts, then the gaps to
act on with their reasons, clauses and candidates.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Callable, Iterable, Optional, Sequence

from ._chain import SEVERITIES, SEVERITY_RANK, SEVERITY_ZH, Chain, noop_progress
from .candidates import CANDIDATE_FORMULA, _candidates
from .coverage import SCORE_FORMULA, _coverage
from .errors import GapNotFound, InvalidOption
from .gaps import DEFAULT_FEW, FIELD_EN, FIELD_ZH, _capability_gaps, _data_gaps, _segment_gaps, _upstream_gaps
from .supply import _bridge_gaps, _CutStructure, _cut_point_gaps, _dependence_gaps
from .targets import MEASURABILITY, _target_gaps, _target_progress

__all__ = ["gap_report", "all_gaps", "find_gap", "format_report_text", "format_table", "CATEGORIES"]

Progress = Optional[Callable[[int, int, str], None]]

# the order gaps are shown in: what the plan names first, then the chain, then dependence, then data
CATEGORIES = ("capability", "segment", "upstream", "dependence", "cut_point", "bridge", "target", "data")
CATEGORY_ZH = {"capability": "方案点名的补链需求", "segment": "环节缺口", "upstream": "上游缺口", "dependence": "供应依赖",
               "cut_point": "关键节点", "bridge": "唯一连接", "target": "目标进展", "data": "数据缺口"}
CATEGORY_EN = {"capability": "plan-named needs", "segment": "segment gaps", "upstream": "upstream gaps",
               "dependence": "supply dependence", "cut_point": "cut points", "bridge": "bridges",
               "target": "target progress", "data": "data gaps"}
CATEGORY_RANK = {c: i for i, c in enumerate(CATEGORIES)}
MEMBERS_LIMIT = 20


def _order(g: dict) -> tuple:
    return (SEVERITY_RANK[g["severity"]], CATEGORY_RANK[g["category"]], -g.get("impact", 0), g["id"])


def _merge_clause_group(chain: Chain, first: dict) -> dict:
    """One first-screen entry for a plan clause that names several segments or targets."""
    gaps = [first] + first.pop("grouped")
    subjects = [s for g in gaps for s in g["subjects"]]
    ids = [s["id"] for s in subjects]
    names = [s["name"] for s in subjects]
    clause = first["clause"]
    segs = [x for g in gaps for x in g["wanted"]["segments"]]
    segs = list(dict.fromkeys(segs))
    empty = [chain.name(x) for x in segs if not chain.local_firms(x)]
    local = sorted({f for x in segs for f in chain.local_firms(x)})
    where_zh = f"（{clause.get('doc')} {clause.get('section')}）" if clause.get("doc") else ""
    where_en = f" ({clause.get('doc')} {clause.get('section')})" if clause.get("doc") else ""
    quote = " ".join((clause.get("quote") or "").split()).rstrip("。；，;, ")
    shown_zh = "、".join(f"「{n}」" for n in names[:8]) + (f"等 {len(names)} 项" if len(names) > 8 else "")
    shown_en = ", ".join(f"'{n}'" for n in names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    state_zh = (f"其中尚无集群内企业的：{'、'.join(empty)}。" if empty else "") + \
        (f"已有集群内企业 {len(local)} 家：{'、'.join(chain.name(f) for f in local[:5])}。" if local else "")
    state_en = (f"Still without a local enterprise: {', '.join(empty)}. " if empty else "") + \
        (f"{len(local)} local enterprise(s) recorded: {', '.join(chain.name(f) for f in local[:5])}." if local else "")
    merged = dict(first)
    merged.update(
        subjects=subjects, subject_ids=ids, group_ids=[g["id"] for g in gaps],
        title_zh=f"方案点名的补链需求：{'、'.join(names[:4])}" + (f" 等 {len(names)} 项" if len(names) > 4 else ""),
        title_en=f"Plan-named needs: {', '.join(names[:4])}"
        + (f" and {len(names) - 4} more" if len(names) > 4 else ""),
        reason_zh=f"方案点名需要补强{shown_zh}{where_zh}：“{quote}”。{state_zh}",
        reason_en=f"The plan names {shown_en} as needs{where_en}: “{quote}”. {state_en}".rstrip(),
        facts=[f for g in gaps for f in g["facts"][:1]] + [
            {"zh": f"同一条款点名 {len(gaps)} 项：{'、'.join(names)}", "en": f"one clause names {len(gaps)}: "
             f"{', '.join(names)}", "ids": ids}],
        wanted={"segments": segs, "product": None, "exclude": []},
        impact=max(g["impact"] for g in gaps))
    return merged


def _gaps_by_category(chain: Chain, *, few: int, progress: Callable, step: int, total: int) -> tuple[dict, list, int]:
    def tick(label: str) -> None:
        nonlocal step
        step += 1
        progress(step, total, label)

    out: dict[str, list] = {}
    for category, label, find in (
        ("segment", "segment gaps", lambda: _segment_gaps(chain, few)),
        ("upstream", "upstream gaps", lambda: _upstream_gaps(chain)),
        ("capability", "capability gaps", lambda: _capability_gaps(chain, few)),
        ("dependence", "dependence gaps", lambda: _dependence_gaps(chain)),
    ):
        out[category] = find()
        tick(label)
    cs = _CutStructure(chain)
    tick("supply network structure")
    out["cut_point"] = _cut_point_gaps(chain, cs)
    out["bridge"] = _bridge_gaps(chain, cs)
    tick("cut points and bridges")
    rows = _target_progress(chain)
    out["target"] = _target_gaps(chain, rows)
    tick("targets")
    out["data"] = _data_gaps(chain)
    tick("data gaps")
    return {c: out[c] for c in CATEGORIES}, rows, step


def all_gaps(G, *, few: int = DEFAULT_FEW, progress: Progress = None) -> list[dict]:
    """Every gap of every category in one list: by severity, then category (``CATEGORIES``), impact and id.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "s", "kind": "segment", "name": "储氢材料"},
    ...                  {"id": "a", "kind": "enterprise", "name": "甲", "locality": "cluster"}], [])
    >>> [g["id"] for g in all_gaps(G)]
    ['segment:s', 'data:a']
    """
    chain = Chain(G)
    grouped, _, _ = _gaps_by_category(chain, few=few, progress=progress or noop_progress, step=0, total=8)
    return sorted((g for gs in grouped.values() for g in gs), key=_order)


def find_gap(G, gap_id: str, *, few: int = DEFAULT_FEW) -> dict:
    """The gap with this id, recomputed from ``G`` (only its own category is computed).

    Raises
    ------
    GapNotFound
        If no gap of the current graph has this id.
    """
    category = gap_id.split(":", 1)[0]
    chain = Chain(G)
    if category == "segment":
        gaps = _segment_gaps(chain, few)
    elif category == "upstream":
        gaps = _upstream_gaps(chain)
    elif category == "capability":
        gaps = _capability_gaps(chain, few)
    elif category == "dependence":
        gaps = _dependence_gaps(chain)
    elif category in ("cut_point", "bridge"):
        cs = _CutStructure(chain)
        gaps = _cut_point_gaps(chain, cs) if category == "cut_point" else _bridge_gaps(chain, cs)
    elif category == "target":
        gaps = _target_gaps(chain)
    elif category == "data":
        gaps = _data_gaps(chain)
    else:
        gaps = []
    for g in gaps:
        if g["id"] == gap_id:
            return g
    raise GapNotFound(f"当前图谱中没有编号为 '{gap_id}' 的缺口 / no gap with id '{gap_id}' in the current graph")


def gap_report(G, *, progress: Progress = None, few: int = DEFAULT_FEW, top: int = 10,
               candidates_per_gap: int = 3, members_limit: int | None = MEMBERS_LIMIT) -> dict:
    """The full gap report of a registry graph.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        From :func:`graph.build.build_graph`.
    progress : callable(done, total, label), optional
        Called after each step (for a CLI progress bar).
    few : int
        A segment with fewer local enterprises than this is a gap.
    top : int
        How many gaps to put in ``top_gaps`` (the first screen).
    candidates_per_gap : int
        Candidates attached to each top gap.
    members_limit : int or None
        Members listed per coverage list (counts stay exact).

    Returns
    -------
    dict
        ``summary`` (counts: entities, gaps by category and severity, targets by
        measurability, data gaps by missing field), ``top_gaps`` (the most
        urgent non-data gaps, one per subject, each with ``candidates``),
        ``gaps`` (every gap, grouped by category in ``CATEGORIES`` order; in
        ``top_gaps`` the capability gaps citing the same clause are merged into
        one entry whose ``group_ids`` lists them),
        ``coverage`` (see :func:`graph.chain_coverage`), ``target_progress``,
        ``score_formula``, ``candidate_formula`` and ``approximations``
        (what is estimated or cut short, and when).

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": "s", "kind": "segment", "name": "储氢材料"}], [])
    >>> r = gap_report(G)
    >>> r["summary"]["gaps"]["total"], [g["id"] for g in r["top_gaps"]]
    (1, ['segment:s'])
    """
    if top < 0 or candidates_per_gap < 0:
        raise InvalidOption(f"top 与 candidates_per_gap 不能为负：{top}, {candidates_per_gap} / "
                            f"top and candidates_per_gap must not be negative")
    return _gap_report(G, progress=progress or noop_progress, few=few, top=top,
                       candidates_per_gap=candidates_per_gap, members_limit=members_limit)


def _gap_report(G, *, progress, few, top, candidates_per_gap, members_limit) -> dict:
    total = 11
    progress(0, total, "index")
    chain = Chain(G)
    progress(1, total, "index")
    coverage = _coverage(chain, members_limit=members_limit)
    progress(2, total, "coverage")
    grouped, rows, step = _gaps_by_category(chain, few=few, progress=progress, step=2, total=total)
    ordered = sorted((g for c in CATEGORIES if c != "data" for g in grouped[c]), key=_order)
    top_gaps, seen_subjects, by_clause = [], set(), {}
    for g in ordered:
        if len(top_gaps) >= top and g["category"] != "capability":
            continue  # the first screen is full; later capability gaps may still join a clause shown
        key = tuple(sorted(g["subject_ids"]))
        if key in seen_subjects:
            continue  # the same segment named by the plan and empty: show it once, with the clause
        clause = g.get("clause") if g["category"] == "capability" else None
        where = (clause.get("doc"), clause.get("section")) if clause else None
        quote = "".join((clause.get("quote") or "").split()) if clause else ""
        # one clause naming several segments (or one quoted more or less fully): one entry
        same = next((e for q, e in by_clause.get(where, ()) if quote and (quote in q or q in quote)), None)
        if same is not None:
            same["grouped"].append(g)
            seen_subjects.add(key)
            continue
        if len(top_gaps) >= top:
            continue
        seen_subjects.add(key)
        entry = dict(g, grouped=[])
        if where:
            by_clause.setdefault(where, []).append((quote, entry))
        top_gaps.append(entry)
    for i, entry in enumerate(top_gaps):
        if entry["grouped"]:
            entry = top_gaps[i] = _merge_clause_group(chain, entry)
        if candidates_per_gap and (entry["wanted"]["segments"] or entry["wanted"]["product"]):
            got = _candidates(chain, entry, candidates_per_gap)
            entry["candidates"], entry["candidates_total"] = got["candidates"], got["total"]
        else:
            entry["candidates"], entry["candidates_total"] = [], 0
    progress(step + 1, total, "candidates")

    kinds = {k: len(v) for k, v in sorted(chain.by_kind.items()) if k}
    firms = chain.by_kind.get("enterprise", [])
    locs = [chain.loc[f] for f in firms]
    n_local = locs.count("cluster")
    n_outside = sum(locs.count(x) for x in ("ganzhou", "jiangxi", "china", "abroad"))
    by_cat = {c: {s: sum(1 for g in grouped[c] if g["severity"] == s) for s in SEVERITIES} for c in CATEGORIES}
    for c in CATEGORIES:
        by_cat[c]["total"] = len(grouped[c])
    by_sev = {s: sum(by_cat[c][s] for c in CATEGORIES) for s in SEVERITIES}
    missing = {f: 0 for f in FIELD_ZH}
    for g in grouped["data"]:
        for f in g.get("missing", ()):
            if f in missing:
                missing[f] += 1
    implied = sum(1 for g in grouped["data"] if g["kind"] == "implied_relation")
    summary = {
        "entities": kinds,
        "relations": chain.n_edges,
        "enterprises": {"total": len(firms), "local": n_local, "outside": n_outside,
                        "unknown_locality": len(firms) - n_local - n_outside},
        "segments": {"total": len(chain.seg_order), "levels": coverage["levels"]},
        "gaps": {"total": sum(by_sev.values()), "by_severity": by_sev, "by_category": by_cat},
        "targets": {m: sum(1 for r in rows if r["measurability"] == m) for m in MEASURABILITY}
        | {"behind": sum(1 for r in rows if r["status"] == "behind"),
           "met": sum(1 for r in rows if r["status"] == "met")},
        "data_missing_fields": missing,
        "implied_relations": implied,
    }
    approximations = [
        {"what": "cut_points_bridges", "exact": True,
         "zh": "关键节点与唯一连接：精确计算（一次线性深度优先搜索），不抽样。",
         "en": "cut points and bridges: exact (one linear-time depth-first search), no sampling."},
        {"what": "listing_limits", "exact": True,
         "zh": f"列表截断：覆盖度每个名单最多列 {members_limit} 个、每个关键节点最多列 10 家被断开企业，计数均为精确值。"
         if members_limit else "列表截断：每个关键节点最多列 10 家被断开企业，计数均为精确值。",
         "en": (f"listing limits: at most {members_limit} members per coverage list and 10 cut-off firms per cut "
                f"point are listed; every count is exact.") if members_limit else
         "listing limits: at most 10 cut-off firms per cut point are listed; every count is exact."},
        {"what": "betweenness", "exact": None,
         "zh": "介数中心性不在缺口报告中（见 network_measures：超过 1000 个节点时按 100 个抽样起点估计，固定随机种子）。",
         "en": "betweenness is not part of the gap report (see network_measures: above 1000 nodes it is estimated "
               "from 100 sampled sources with a fixed seed)."},
    ]
    progress(total, total, "done")
    return {
        "summary": summary,
        "top_gaps": top_gaps,
        "gaps": grouped,
        "coverage": coverage,
        "target_progress": rows,
        "score_formula": SCORE_FORMULA,
        "candidate_formula": CANDIDATE_FORMULA,
        "approximations": approximations,
        "options": {"few": few, "top": top, "candidates_per_gap": candidates_per_gap, "members_limit": members_limit},
    }


# --- text -------------------------------------------------------------------------------------
def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide and full-width (CJK) characters take two.

    Examples
    --------
    >>> display_width("稀土ab")
    6
    """
    return sum(_char_width(c) for c in text)


def _clip(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = _char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "、".join(_cell(x) for x in v)
    text = str(v)
    indent = len(text) - len(text.lstrip(" "))  # keep a tree's indentation, fold the rest
    return " " * indent + " ".join(text.split())


def format_table(rows: Iterable[Any], columns: Sequence[Any], *, max_width: int | None = 40,
                 align: dict | None = None) -> str:
    """A plain-text table whose columns line up with Chinese text (wide characters count as two columns).

    Parameters
    ----------
    rows : iterable of dict or sequence
        Dict rows are read by key, sequence rows by position.
    columns : sequence of str or (key, header) pairs
        A plain string is both key and header.  Numbers are right-aligned.
    max_width : int or None
        Cells wider than this are cut with "…".
    align : dict, optional
        ``{key: "left" | "right"}`` to override the default (numbers right, text left).

    Examples
    --------
    >>> print(format_table([{"环节": "氧化物", "n": 3}, {"环节": "永磁电机", "n": 12}], ["环节", ("n", "企业数")]))
    环节      企业数
    --------  ------
    氧化物         3
    永磁电机      12
    """
    cols = [(c, c) if isinstance(c, (str, int)) else (c[0], c[1]) for c in columns]
    table, numeric = [], [True] * len(cols)
    for r in rows:
        cells = []
        for i, (key, _) in enumerate(cols):
            v = r.get(key) if isinstance(r, dict) else (r[key] if isinstance(key, int) and key < len(r) else None)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                numeric[i] = False
            text = _cell(v)
            cells.append(_clip(text, max_width) if max_width else text)
        table.append(cells)
    for i, (key, _) in enumerate(cols):
        if align and key in align:
            if align[key] not in ("left", "right"):
                raise InvalidOption(f"对齐方式只能是 left 或 right，不是 {align[key]!r} / align must be 'left' or 'right'")
            numeric[i] = align[key] == "right"
    headers = [str(h) for _, h in cols]
    widths = [max([display_width(headers[i])] + [display_width(row[i]) for row in table]) for i in range(len(cols))]

    def line(cells, align_numbers):
        parts = []
        for i, c in enumerate(cells):
            pad = " " * (widths[i] - display_width(c))
            parts.append(pad + c if align_numbers and numeric[i] else c + pad)
        return "  ".join(parts).rstrip()

    out = [line(headers, False), "  ".join("-" * w for w in widths)]
    out.extend(line(row, True) for row in table)
    return "\n".join(out)


def _cite(src: dict, lang: str) -> str:
    where = " ".join(x for x in (src.get("doc"), src.get("section")) if x)
    quote = src.get("quote")
    if quote:
        quote = " ".join(quote.split())
        quote = quote if len(quote) <= 70 else quote[:69] + "…"
        return f"{where} “{quote}”" if where else f"“{quote}”"
    return where or (src.get("by") or "")


def format_report_text(report: dict, *, lang: str = "zh", top: int | None = None) -> str:
    """The report as text: first the counts and the top gaps with reasons, clauses and candidates,
    then target progress, coverage, data to fill in first, and the notes on exactness.

    Parameters
    ----------
    report : dict
        A :func:`gap_report` result.
    lang : {"zh", "en"}
    top : int, optional
        Show at most this many top gaps (default: all in the report).
    """
    if lang not in ("zh", "en"):
        raise InvalidOption(f"lang 只能是 zh 或 en，不是 {lang!r} / lang must be 'zh' or 'en', not {lang!r}")
    zh = lang == "zh"
    s = report["summary"]
    L: list[str] = []
    ent, ef = s["entities"], s["enterprises"]
    if zh:
        L.append("稀金图谱 · 产业链缺口报告")
        L.append("=" * 26)
        L.append(f"图谱：企业 {ef['total']:,} 家（集群内 {ef['local']:,}，非集群内 {ef['outside']:,}，所在地未登记 "
                 f"{ef['unknown_locality']:,}）；平台 {ent.get('platform', 0):,}；项目/园区 {ent.get('project', 0):,}；"
                 f"环节 {ent.get('segment', 0):,}；目标 {ent.get('target', 0):,}；关系 {s['relations']:,} 条")
        g = s["gaps"]
        L.append(f"缺口合计 {g['total']:,} 项：高 {g['by_severity']['high']:,}，中 {g['by_severity']['medium']:,}，"
                 f"低 {g['by_severity']['low']:,}")
    else:
        L.append("Xijin Atlas - chain gap report")
        L.append("=" * 30)
        L.append(f"Graph: {ef['total']:,} enterprises ({ef['local']:,} in the cluster, {ef['outside']:,} not in it, "
                 f"{ef['unknown_locality']:,} locality unknown); {ent.get('platform', 0):,} platforms; "
                 f"{ent.get('project', 0):,} projects/parks; {ent.get('segment', 0):,} segments; "
                 f"{ent.get('target', 0):,} targets; {s['relations']:,} relations")
        g = s["gaps"]
        L.append(f"Gaps: {g['total']:,} (high {g['by_severity']['high']:,}, medium {g['by_severity']['medium']:,}, "
                 f"low {g['by_severity']['low']:,})")
    L.append("")
    cat_rows = [{"c": (CATEGORY_ZH if zh else CATEGORY_EN)[c], **g["by_category"][c]} for c in CATEGORIES]
    L.append(format_table(cat_rows, [("c", "类别" if zh else "category"), ("high", "高" if zh else "high"),
                                     ("medium", "中" if zh else "medium"), ("low", "低" if zh else "low"),
                                     ("total", "合计" if zh else "total")]))
    L.append("")
    tops = report["top_gaps"][:top] if top is not None else report["top_gaps"]
    L.append((f"优先处理的缺口（前 {len(tops)} 项）" if zh else f"Gaps to act on first (top {len(tops)})"))
    for i, gp in enumerate(tops, 1):
        sev = SEVERITY_ZH[gp["severity"]] if zh else gp["severity"]
        cat = (CATEGORY_ZH if zh else CATEGORY_EN)[gp["category"]]
        L.append(f"{i:>2}. [{sev}] {cat} · {gp['title_zh'] if zh else gp['title_en']}")
        L.append(f"    原因：{gp['reason_zh']}" if zh else f"    Why: {gp['reason_en']}")
        docs = [x for x in gp["sources"] if x.get("doc")]
        if docs:
            L.append(f"    {'依据：' if zh else 'Source: '}{_cite(docs[0], lang)}")
        cands = gp.get("candidates") or []
        if cands:
            parts = []
            for c in cands:
                why = ("；" if zh else "; ").join(r["zh" if zh else "en"] for r in c["reasons"][:2])
                parts.append(f"{c['name']}（{c['locality_zh']}，{why}）" if zh else
                             f"{c['name']} ({c['locality']}; {why})")
            more = gp.get("candidates_total", 0) - len(cands)
            tail = (f" 等共 {gp['candidates_total']} 家" if zh else f" and {more} more") if more > 0 else ""
            L.append(("    可招引：" if zh else "    Candidates: ") + ("；" if zh else "; ").join(parts) + tail)
        elif gp["category"] in ("segment", "capability", "upstream"):
            L.append("    可招引：登记册中暂无该环节的非集群内企业，需先补充招商线索。" if zh else
                     "    Candidates: no firm outside the cluster is recorded for this segment yet; add leads first.")
    L.append("")
    L.append("—— 详细内容 ——" if zh else "--- details ---")
    L.append("")
    L.append("目标进展" if zh else "Target progress")
    trows = []
    for r in report["target_progress"]:
        goal = f"{r['value']:g}{r['unit'] or ''}" if isinstance(r["value"], (int, float)) else ""
        trows.append({"name": r["name"], "goal": goal, "current": r["current"],
                      "m": r["measurability_zh"] if zh else r["measurability_en"],
                      "status": r["status_zh"] if zh else r["status"],
                      "need": r["needed_data_zh"] if zh else r["needed_data_en"]})
    L.append(format_table(trows, [("name", "目标" if zh else "target"), ("goal", "目标值" if zh else "goal"),
                                  ("current", "登记册现状" if zh else "registry"),
                                  ("m", "可衡量性" if zh else "measurability"),
                                  ("status", "状态" if zh else "status"),
                                  ("need", "需要的数据" if zh else "data needed")], max_width=30))
    L.append("")
    cov = report["coverage"]
    L.append("环节覆盖度" if zh else "Segment coverage")
    L.append(("评分公式：" if zh else "Score: ") + cov["score_formula"]["zh" if zh else "en"])
    crow = []
    for r in cov["segments"]:
        c = r["counts"]
        crow.append({"name": "  " * r["depth"] + r["name"], "local": c["local_enterprises"],
                     "outside": c["outside_enterprises"], "platforms": c["platforms"], "projects": c["projects"],
                     "score": r["score"], "level": r["level_zh"] if zh else r["level"]})
    L.append(format_table(crow, [("name", "环节" if zh else "segment"), ("local", "本地企业" if zh else "local"),
                                 ("outside", "非集群内" if zh else "not local"), ("platforms", "平台" if zh else "platforms"),
                                 ("projects", "项目" if zh else "projects"), ("score", "得分" if zh else "score"),
                                 ("level", "等级" if zh else "level")]))
    L.append("")
    miss = s["data_missing_fields"]
    if zh:
        L.append("数据缺口（先补这些）：" + "，".join(f"缺{FIELD_ZH[f]} {n} 家" for f, n in miss.items())
                 + f"，推断关系待核实 {s['implied_relations']} 条")
    else:
        L.append("Data to fill in first: " + ", ".join(f"{n} lack {FIELD_EN[f]}" for f, n in miss.items())
                 + f", {s['implied_relations']} implied relations to verify")
    data = report["gaps"]["data"][:10]
    if data:
        L.append(format_table([{"sev": SEVERITY_ZH[d["severity"]] if zh else d["severity"],
                                "what": d["reason_zh"] if zh else d["reason_en"]} for d in data],
                              [("sev", "级别" if zh else "sev"), ("what", "内容" if zh else "what")], max_width=90))
    L.append("")
    L.append("计算说明" if zh else "Notes on exactness")
    for a in report["approximations"]:
        L.append("- " + a["zh" if zh else "en"])
    return "\n".join(L) + "\n"
