"""The data to-do list as text for the terminal (`xijin todo`): grouped by code, counted, local firms first."""

from __future__ import annotations

from registry.messages import label, text

from .report_text import format_table

EDIT_ANCHORS = {"segment": "relation-add", "relation": "relation-delete"}


def fix_path(fix: dict) -> str:
    """Where a line is fixed in the web app (the same places the /todo page links to)."""
    if fix.get("action") == "edit" and fix.get("id"):
        field = fix.get("field") or ""
        return f"/entity/{fix['id']}/edit#{EDIT_ANCHORS.get(field, 'f-' + field)}"
    return f"/import?kind={fix.get('kind') or 'enterprise'}"


def format_todo_text(todo: dict, *, lang: str = "zh", limit: int | None = 20) -> str:
    """``todo`` localised (``registry.messages.localise``); at most ``limit`` lines per group (None: all)."""
    def t(msgid: str, **params) -> str:
        return text(msgid, lang, **params)

    L = [t("cli.todo.title"), t("cli.todo.summary", total=todo["total"], records=todo["records"]), ""]
    if not todo["total"]:
        L.append(t("cli.todo.none"))
        return "\n".join(L)
    head = {k: t(f"ui.todo.col.{k}") for k in ("record", "fill", "for", "fix")}
    for g in todo["groups"]:
        if not g["count"]:
            continue
        name = label("todo_code", g["code"], lang)
        firms = any(x.get("locality") for x in g["items"])  # a group of records that have a locality
        L.append(t("cli.todo.group", label=name, count=g["count"], local=g["local"]) if firms
                 else t("cli.todo.group_records", label=name, count=g["count"]))
        shown = g["items"] if limit is None else g["items"][:limit]
        rows = []
        for x in shown:
            where = f" ({label('locality', x['locality'], lang)})" if x.get("locality") else ""
            other = f" -> {x['other']['name']}" if x.get("other") else ""
            fields = [label("field", f, lang) for f in x["fields"]]
            fields += [label("role", v, lang) for v in (x.get("needs") or {}).get("values") or ()]
            rows.append({"record": f"{x['name']}{other}{where}", "fill": text("list.sep", lang).join(fields),
                         "for": text("list.sep", lang).join(label("todo_use", u, lang) for u in x["needed_for"]),
                         "fix": fix_path(x["fix"])})
        L.append(format_table(rows, [(k, head[k]) for k in ("record", "fill", "for", "fix")], max_width=None))
        if g["code"] == "target_unmeasurable":
            for x in shown:
                L.append(("  · " if lang == "zh" else "  - ") + x[f"reason_{lang}"])
        if len(shown) < g["count"]:
            L.append(t("cli.todo.more", n=g["count"] - len(shown)))
        L.append("")
    return "\n".join(L).rstrip() + "\n"
