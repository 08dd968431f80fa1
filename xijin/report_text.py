"""The gap report as text for the terminal, and plain-text tables that line up with Chinese.

``graph.gap_report`` returns data; the CLI spells its messages out with
``registry.messages.localise`` and hands the result to :func:`format_report_text`.
Every heading and fixed word comes from the message catalogue (``cli.report.*``
in ``cli.po``), so the text reads the same in both languages as the pages do.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from graph import CATEGORIES
from graph.errors import InvalidOption
from registry.exports import display_width
from registry.messages import LANGS, label, message, render, text

__all__ = ["format_report_text", "format_table", "format_impact", "format_measures", "format_path"]


def _clip(value: str, width: int) -> str:
    if display_width(value) <= width:
        return value
    out, used = [], 0
    for ch in value:
        w = display_width(ch)
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
    value = str(v)
    indent = len(value) - len(value.lstrip(" "))  # keep a tree's indentation, fold the rest
    return " " * indent + " ".join(value.split())


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
            cell = _cell(v)
            cells.append(_clip(cell, max_width) if max_width else cell)
        table.append(cells)
    for i, (key, _) in enumerate(cols):
        if align and key in align:
            if align[key] not in ("left", "right"):
                raise InvalidOption(message("err.cli.align", value=align[key]))
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


def _cite(src: dict) -> str:
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
        A :func:`graph.gap_report` result spelled out by ``registry.messages.localise``.
    lang : {"zh", "en"}
    top : int, optional
        Show at most this many top gaps (default: all in the report).
    """
    if lang not in LANGS:
        raise InvalidOption(message("err.cli.lang", value=lang))

    def t(msgid: str, **params: Any) -> str:
        return text(msgid, lang, **params)

    def col(name: str) -> str:
        return t(f"cli.report.col.{name}")

    s = report["summary"]
    L: list[str] = []
    ent, ef, g = s["entities"], s["enterprises"], s["gaps"]
    L.append(t("cli.report.title"))
    L.append(t("cli.report.graph", total=f"{ef['total']:,}", local=f"{ef['local']:,}", outside=f"{ef['outside']:,}",
               unknown=f"{ef['unknown_locality']:,}", platforms=f"{ent.get('platform', 0):,}",
               projects=f"{ent.get('project', 0):,}", segments=f"{ent.get('segment', 0):,}",
               targets=f"{ent.get('target', 0):,}", relations=f"{s['relations']:,}"))
    L.append(t("cli.report.gaps", total=f"{g['total']:,}", high=f"{g['by_severity']['high']:,}",
               medium=f"{g['by_severity']['medium']:,}", low=f"{g['by_severity']['low']:,}"))
    L.append("")
    cat_rows = [{"c": label("cli.category", c, lang), **g["by_category"][c]} for c in CATEGORIES]
    L.append(format_table(cat_rows, [("c", col("category")), ("high", col("high")), ("medium", col("medium")),
                                     ("low", col("low")), ("total", col("total"))]))
    L.append("")
    tops = report["top_gaps"][:top] if top is not None else report["top_gaps"]
    L.append(t("cli.report.top", n=len(tops)))
    for i, gp in enumerate(tops, 1):
        sev, cat = label("cli.severity", gp["severity"], lang), label("cli.category", gp["category"], lang)
        L.append(f"{i:>2}. [{sev}] {cat} · {gp[f'title_{lang}']}")
        L.append("    " + t("print.cli.gap_id", id=gp["id"]))
        L.append("    " + t("cli.report.why", reason=gp[f"reason_{lang}"]))
        docs = [x for x in gp["sources"] if x.get("doc")]
        if docs:
            L.append("    " + t("cli.report.source", cite=_cite(docs[0])))
        cands = gp.get("candidates") or []
        if cands:
            parts = [message("cli.report.candidate", name=c["name"],
                             locality={"label": "inline.locality", "code": c["locality"]},
                             why=t("list.semi").join(r[lang] for r in c["reasons"][:2])) for c in cands]
            shown = {"list": parts, "total": max(gp.get("candidates_total", 0), len(cands)), "sep": "list.semi",
                     "more": "list.more.candidates"}
            L.append("    " + render(message("cli.report.candidates", candidates=shown), lang))
        elif gp["category"] in ("segment", "capability", "upstream"):
            L.append("    " + t("cli.report.no_candidates"))
    L.append("")
    L.append(t("cli.report.details"))
    L.append("")
    L.append(t("cli.report.targets"))
    trows = []
    for r in report["target_progress"]:
        goal = f"{r['value']:g}{r['unit'] or ''}" if isinstance(r["value"], (int, float)) else ""
        trows.append({"name": r["name"], "goal": goal, "current": r["current"],
                      "m": label("inline.measurability", r["measurability"], lang),
                      "status": label("inline.target_status", r["status"], lang),
                      "need": r[f"needed_data_{lang}"]})
    L.append(format_table(trows, [("name", col("target")), ("goal", col("goal")), ("current", col("registry")),
                                  ("m", col("measurability")), ("status", col("status")),
                                  ("need", col("needed"))], max_width=30))
    if any(r["status"] == "unmeasurable" for r in report["target_progress"]):
        L.append(t("cli.todo.see_todo"))  # what the registry lacks to measure them: the data to-do list
    L.append("")
    cov = report["coverage"]
    L.append(t("cli.report.coverage"))
    L.append(t("cli.report.score_formula", formula=cov["score_formula"][lang]))
    crow = []
    for r in cov["segments"]:
        c = r["counts"]
        crow.append({"name": "  " * r["depth"] + r["name"], "local": c["local_enterprises"],
                     "outside": c["outside_enterprises"], "platforms": c["platforms"], "projects": c["projects"],
                     "score": r["score"], "level": label("cli.level_cov", r["level"], lang)})
    L.append(format_table(crow, [("name", col("segment")), ("local", col("local")), ("outside", col("not_local")),
                                 ("platforms", col("platforms")), ("projects", col("projects")),
                                 ("score", col("score")), ("level", col("level"))]))
    L.append("")
    fields = [message("cli.report.data_field", field={"label": "inline.field", "code": f}, n=n)
              for f, n in s["data_missing_fields"].items()]
    L.append(render(message("cli.report.data_missing", fields={"list": fields, "sep": "list.comma"},
                            implied=s["implied_relations"]), lang))
    data = report["gaps"].get("data", [])[:10]  # data gaps are the data to-do list now, not gaps
    if data:
        L.append(format_table([{"sev": label("cli.severity", d["severity"], lang), "what": d[f"reason_{lang}"]}
                               for d in data], [("sev", col("sev")), ("what", col("what"))], max_width=90))
    L.append("")
    L.append(t("cli.report.notes"))
    for a in report["approximations"]:
        L.append("- " + a[lang])
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- impact, measures, path as text
def _ref(r: dict) -> str:
    return f"{r.get('name') or r.get('id')} ({r.get('id')})" if r.get("name") != r.get("id") else str(r.get("id"))


def format_impact(result: dict, *, lang: str = "zh") -> str:
    """:func:`graph.departure_impact`, localised, as text: the summary, then each group of those affected."""
    def t(msgid: str, **params: Any) -> str:
        return text(msgid, lang, **params)

    L = [t("print.cli.impact.title", firm=_ref(result["firm"])), result.get(f"summary_{lang}") or "", ""]
    sections = ("loses_only_supplier", "loses_only_source", "loses_a_supplier", "cascade", "loses_only_customer",
                "segments_emptied", "chain_leader_of", "runs", "partners")
    shown = 0
    for key in sections:
        rows = result.get(key) or []
        if not rows:
            continue
        shown += 1
        L.append(t(f"print.cli.impact.{key}", n=len(rows)))
        for r in rows:
            extra = []
            if r.get("products"):
                extra.append(t("print.cli.impact.products", products=t("list.comma").join(r["products"])))
            if r.get("step") is not None:
                extra.append(t("print.cli.impact.step", step=r["step"]))
            if r.get("relation"):
                extra.append(label("relation", r["relation"], lang))
            L.append(f"  - {_ref(r)}" + (f"  [{t('list.semi').join(extra)}]" if extra else ""))
    cut = result.get("cut_off") or []
    if cut:
        shown += 1
        L.append(t("print.cli.impact.cut_off", n=sum(len(p) for p in cut)))
        for i, piece in enumerate(cut, 1):
            L.append(f"  {i}. " + t("list.comma").join(_ref(r) for r in piece))
    if not shown:
        L.append(t("print.cli.impact.nothing"))
    return "\n".join(L).rstrip() + "\n"


def format_measures(result: dict, *, lang: str = "zh") -> str:
    """:func:`graph.entity_measures`, localised, as text: degree by relation, centralities with ranks,
    the community and the notes on approximations."""
    def t(msgid: str, **params: Any) -> str:
        return text(msgid, lang, **params)

    e, d = result["entity"], result["degree"]
    L = [t("print.cli.measures.title", entity=_ref(e), kind=label("kind", e.get("kind"), lang)), ""]
    L.append(t("print.cli.measures.degree", total=d["total"], suppliers=d["suppliers"], customers=d["customers"],
               partners=d["partners"]))
    by_type = [{"type": label("relation", k, lang), "out": d["out"].get(k, 0), "in": d["in"].get(k, 0)}
               for k in sorted(set(d["in"]) | set(d["out"]))]
    if by_type:
        L.append(format_table(by_type, [("type", t("print.cli.measures.col.type")), ("out", t("print.cli.measures.col.out")),
                                        ("in", t("print.cli.measures.col.in"))]))
    L.append("")
    if not result.get("in_business_network"):
        L.append(t("print.cli.measures.not_in_network"))
    for key in ("betweenness", "pagerank"):
        m = result.get(key)
        if m:
            L.append(t(f"print.cli.measures.{key}", value=f"{m['value']:.4f}", rank=m["rank"], of=m["of"]))
    c = result.get("community")
    if c:
        L.append(t("print.cli.measures.community", id=c["id"], size=c["size"]))
        L.append("  " + t("list.comma").join(m.get("name") or m["id"] for m in c["members"])
                 + (" …" if c["size"] > len(c["members"]) else ""))
    for a in result.get("approximations") or []:
        L.append("- " + (a.get(lang) or ""))
    return "\n".join(L).rstrip() + "\n"


def format_path(result: dict, *, lang: str = "zh") -> str:
    """:func:`graph.shortest_path`, localised, as text: each entity on the path and the relation to the next."""
    def t(msgid: str, **params: Any) -> str:
        return text(msgid, lang, **params)

    via = t(f"print.cli.path.via.{result['via']}")
    src, dst = _ref(result["source"]), _ref(result["target"])
    if not result["found"]:
        return t("print.cli.path.none", source=src, target=dst, via=via) + "\n"
    L = [t("print.cli.path.title", source=src, target=dst, via=via, n=result["length"]), ""]
    path, edges = result["path"], result["edges"]
    for i, node in enumerate(path):
        L.append(f"{i + 1:>3}. {_ref(node)}")
        if i < len(edges):
            e = edges[i]
            forward = e["source"] == node["id"]
            rel = label("relation", e["type"], lang) + (f"：{e['product']}" if e.get("product") and lang == "zh"
                                                       else f": {e['product']}" if e.get("product") else "")
            if forward:
                L.append(f"       ↓ {rel}")
            else:  # the relation runs from the next entity to this one
                L.append(f"       ↕ {rel}  " + t("print.cli.path.reverse", source=path[i + 1].get("name"),
                                                    target=node.get("name")))
    return "\n".join(L) + "\n"
