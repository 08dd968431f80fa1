"""The pages people use: home, search, entity, chain map, gaps, exports, dossier and the edit forms.

Views parse input, call the registry or the analysis snapshot (``views_data``),
and render. Data for scripts goes into ``<script type="application/json">``
blocks through ``|tojson``; every name is escaped by Jinja's autoescaping.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for

from graph.report import CATEGORIES
from registry.errors import Conflict, InvalidInput, NotFound
from registry.exports import PARTNER_COLUMNS, to_csv, to_json, to_xlsx

from . import analysis, chainmap, forms, i18n, palette
from . import params as P
from . import views_data as V
from .auth import role_required
from .downloads import content_disposition, download
from .i18n import current_lang, label, text
from .partners import partner_count as partners_count
from .partners import FORMATS, SCOPES, export_filename, nothing_to_export, partner_list
from .store import get_registry

bp = Blueprint("pages", __name__)

# no 'unsafe-inline' anywhere: templates carry no style attributes and no inline code (data goes in
# <script type="application/json"> blocks), colours come from /palette.css
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'self'")


# ------------------------------------------------------------------ home and search
@bp.get("/")
def home():
    return render_template("home.html", o=V.overview(get_registry()))


@bp.get("/search")
def search():
    f = V.search_filters(request.args)
    reg = get_registry()
    result = V.search(reg, f)
    return render_template("search.html", f=f, result=result, segments=V.segment_options(reg),
                           reason=V.match_reason)


@bp.get("/search/export.<fmt>")
def search_export(fmt: str):
    """The search the page shows, every hit in its order, as a file (same query parameters as /search)."""
    if fmt not in ("csv", "xlsx"):
        abort(404, f"不支持的导出格式 '{fmt[:20]}'，可用：csv, xlsx / unknown export format")
    f = V.search_filters(request.args)
    lang = current_lang()
    rows, about = V.search_export(get_registry(), f, lang)
    if fmt == "csv":
        body = to_csv(rows, V.SEARCH_COLUMNS, lang=lang)
    else:
        body = to_xlsx(rows, V.SEARCH_COLUMNS, title=text("search.export.sheet"), lang=lang, about=about)
    stem = f"搜索_{f['q']}" if f["q"] else "搜索结果"
    return download(body, fmt, f"{stem[:60]}.{fmt}", f"search.{fmt}")


# ------------------------------------------------------------------ entity
@bp.get("/entity/<entity_id>")
def entity(entity_id: str):
    hops = P.int_arg(request.args, "hops", 1, 1, 2)
    reg = get_registry()
    try:
        d = V.entity_detail(reg, entity_id, hops=hops)
    except NotFound as exc:
        # a deleted record's history stays readable: its change log outlives it
        history = reg.changes(entity_id=entity_id, limit=200) if len(entity_id) <= 400 else []
        if not history:
            raise
        return render_template("entity_gone.html", entity_id=entity_id, changes=history, message=exc.message,
                               field_name=V.field_name), 404
    return render_template("entity.html", d=d, e=d["entity"], field_name=V.field_name)


@bp.get("/entity/<entity_id>/dossier")
def dossier(entity_id: str):
    reg = get_registry()
    rec = reg.get(entity_id)
    if rec["kind"] not in ("enterprise", "platform"):
        raise InvalidInput(f"'{entity_id}' 是{label('kind', rec['kind'], 'zh')}：档案页只适用于企业和平台 / "
                           "dossiers are for enterprises and platforms")
    a = analysis.current()
    plist = partner_list(a, rec["kind"], entity_id)
    segments = [a.name(v) for v in a.segments_of(entity_id)]
    return render_template("dossier.html", e=rec, attributes=V.attributes(rec), field_name=V.field_name,
                           partners=plist["rows"], generated=plist["about"], segments=segments)


def _editable(entity_id: str) -> dict:
    rec = get_registry().get(entity_id)
    if rec["kind"] not in forms.EDITABLE_KINDS:
        raise InvalidInput(f"'{entity_id}' 是{label('kind', rec['kind'], 'zh')}：网页表单只能编辑企业、平台和项目 / "
                           "the forms edit enterprises, platforms and projects")
    return rec


def _render_edit(rec: dict, *, values: dict | None = None, error=None, conflict=None, status: int = 200,
                 version: int | None = None, by: str = "", why: str = "", rel_error=None):
    reg = get_registry()
    nb = reg.neighbourhood(rec["id"], hops=1, limit=500)
    return render_template(
        "entity_edit.html", e=rec, values=values or rec, version=rec["version"] if version is None else version,
        fields=forms.FORM_FIELDS[rec["kind"]], field_name=V.field_name, error=error, conflict=conflict,
        rel_error=rel_error, by=by, why=why, relations=V.relation_groups(rec["id"], nb),
        rel_types=forms.relation_types_for(rec["kind"])), status


@bp.get("/entity/<entity_id>/edit")
@role_required("editor")
def edit(entity_id: str):
    return _render_edit(_editable(entity_id))


@bp.post("/entity/<entity_id>/edit")
def edit_post(entity_id: str):
    rec = _editable(entity_id)
    values = forms.read_entity_form(rec["kind"], request.form)
    version = forms.parse_version(request.form)
    by, why = "", request.form.get("why", "").strip()
    shown = dict(rec, **values)
    try:
        by, why = forms.actor(request.form)
        get_registry().update(entity_id, values, version=version, by=by, why=why)
    except Conflict as exc:
        current = get_registry().get(entity_id)
        return _render_edit(current, values=shown, conflict={"message": exc.message, "current": current,
                                                             "yours": version},
                            status=409, version=version, by=by, why=why)
    except InvalidInput as exc:
        return _render_edit(rec, values=shown, error=exc, status=400, version=version, by=by, why=why)
    return redirect(url_for("pages.entity", entity_id=entity_id, saved=1), 303)


def _resolve(reg, ref: str) -> str:
    """An id, or a name that exactly one record has."""
    ref = ref.strip()
    if not ref:
        raise InvalidInput("other: 请填写对方的编号或全称 / give the id or the full name of the other record")
    try:
        return reg.get(ref)["id"]
    except NotFound:
        pass
    hits = [i for i in reg.list(q=ref[:200], per_page=50)["items"] if i["name"] == ref or ref in i.get("aliases", [])]
    if len(hits) == 1:
        return hits[0]["id"]
    if not hits:
        raise InvalidInput(f"other: 找不到编号或名称为 '{ref[:60]}' 的记录 / no record with id or name '{ref[:60]}'")
    raise InvalidInput(f"other: 名称 '{ref[:60]}' 对应多条记录，请填写编号 / several records are named '{ref[:60]}': "
                       "give the id")


@bp.post("/entity/<entity_id>/relations")
def relation_add(entity_id: str):
    rec = _editable(entity_id)
    reg = get_registry()
    f = request.form
    try:
        by, why = forms.actor(f)
        spec = P.text_arg(f, "type", 40) or ""
        rtype, _, direction = spec.partition(":")
        if rtype not in forms.RELATION_TYPES or direction not in ("out", "in"):
            raise InvalidInput(f"type: 不支持的关系 {spec[:40]!r} / unknown relation type")
        other = _resolve(reg, f.get("other", "")[:200])
        src, dst = (entity_id, other) if direction == "out" else (other, entity_id)
        data = {"type": rtype, "source": src, "target": dst, "sources": [forms.user_source(by, why)]}
        if f.get("product", "").strip():
            data["product"] = f["product"].strip()[:200]
        if f.get("note", "").strip():
            data["note"] = f["note"].strip()[:500]
        reg.relate(data, by=by, why=why)
    except InvalidInput as exc:
        return _render_edit(rec, rel_error=exc, status=400, by=f.get("by", ""), why=f.get("why", ""))
    return redirect(url_for("pages.edit", entity_id=entity_id, related=1) + "#relations", 303)


@bp.post("/entity/<entity_id>/relations/delete")
def relation_delete(entity_id: str):
    rec = _editable(entity_id)
    reg = get_registry()
    f = request.form
    try:
        by, why = forms.actor(f)
        rel_id = P.text_arg(f, "relation", 400)
        if not rel_id:
            raise InvalidInput("relation: 请选择要删除的关系 / choose the relation to delete")
        rel = reg.get_relation(rel_id)
        if entity_id not in (rel["source"], rel["target"]):
            raise InvalidInput(f"relation: 关系 '{rel_id[:80]}' 不属于本记录 / the relation is not this record's")
        reg.unrelate(rel_id, by=by, why=why)
    except InvalidInput as exc:
        return _render_edit(rec, rel_error=exc, status=400, by=f.get("by", ""), why=f.get("why", ""))
    return redirect(url_for("pages.edit", entity_id=entity_id, unrelated=1) + "#relations", 303)


# ------------------------------------------------------------------ chain map
@bp.get("/chain")
def chain():
    f = chainmap.parse_filters(request.args)
    view = chainmap.graph_view(analysis.current(), **f)
    return render_template("chain.html", c=V.chain_overview(), view=view, f=f, options=chainmap.VIS_OPTIONS,
                           rel_types=chainmap.GRAPH_RELATIONS, colours=chainmap.LEVEL_COLOURS,
                           fills=chainmap.LEVEL_FILL)


@bp.get("/chain/<segment_id>")
def segment(segment_id: str):
    d = V.segment_detail(get_registry(), segment_id)
    view = chainmap.graph_view(analysis.current(), rel=list(chainmap.DEFAULT_RELATIONS), kinds=list(chainmap.MEMBER_KINDS),
                               segment=segment_id, per_segment=60, max_nodes=600)
    return render_template("segment.html", d=d, view=view, options=chainmap.VIS_OPTIONS,
                           colours=chainmap.LEVEL_COLOURS, fills=chainmap.LEVEL_FILL)


# ------------------------------------------------------------------ gaps
@bp.get("/gaps")
def gaps():
    if request.args.get("category") == "data":  # data gaps moved to the data to-do list
        return redirect(V.todo_url(), 302)
    f = V.gaps_filters(request.args)
    return render_template("gaps.html", d=V.gaps_view(f), f=f, categories=CATEGORIES)


@bp.get("/gaps/<path:gap_id>")
def gap(gap_id: str):
    if len(gap_id) > 400:
        raise InvalidInput(f"gap: 编号过长（{len(gap_id)} 字）/ the gap id is too long")
    moved = V.gap_moved(gap_id)  # merged into a need, or a data gap (now on the data to-do list)
    if moved:
        return redirect(url_for("pages.gap", gap_id=moved[1]) if moved[0] == "gap" else V.todo_url(), 302)
    return render_template("gap.html", d=V.gap_detail(gap_id))


# ------------------------------------------------------------------ exports
@bp.get("/exports")
def exports():
    a = analysis.current()
    segs = V.localised(a, "coverage", a.coverage)["segments"]
    platforms = sorted(a.records("platform"), key=lambda e: e.get("sort_key") or "")
    gaps = [g for g in a.all_gaps() if g["category"] != "data"][:60]
    return render_template("exports.html", segments=segs, platforms=platforms[:500],
                           gaps=V.present(gaps), leaders=a.chain_leaders())


@bp.get("/export/partners.<fmt>")
def export_partners(fmt: str):
    if fmt not in FORMATS:
        abort(404, f"不支持的导出格式 '{fmt[:20]}'，可用：{', '.join(FORMATS)} / unknown export format")
    scope = P.choice_arg(request.args, "scope", SCOPES)
    ident = P.text_arg(request.args, "id", 400)
    if not scope or not ident:
        raise InvalidInput("scope, id: 请指定导出对象（scope=enterprise|platform|segment|gap 与 id）/ "
                           "say what to export: scope and id")
    plist = partner_list(analysis.current(), scope, ident)
    if not plist["rows"]:
        raise nothing_to_export(plist)  # never a file with a header and nothing under it
    lang = current_lang()
    name, fallback = export_filename(scope, plist["title"], fmt)
    if fmt == "csv":
        body = to_csv(plist["rows"], PARTNER_COLUMNS, lang=lang)
    elif fmt == "xlsx":
        body = to_xlsx(plist["rows"], PARTNER_COLUMNS, title=text("web.partner.sheet"), lang=lang, about=plist["about"])
    else:
        body = to_json(plist["rows"], PARTNER_COLUMNS, about=dict(plist["about"], scope=scope, id=ident))
    return download(body, fmt, name, fallback)


def _inline(path: str, tag: str) -> str:
    """A static file's text to put inside <script> / <style>: it must not close its element early."""
    with open(f"{current_app.static_folder}/{path}", encoding="utf-8") as fh:
        text = fh.read()
    return text.replace(f"</{tag}", f"<\\/{tag}") if tag == "script" else text.replace(f"</{tag}", "")


@bp.get("/export/chain.html")
def export_chain():
    f = chainmap.parse_filters(request.args)
    a = analysis.current()
    view = chainmap.graph_view(a, **f)
    net = chainmap.standalone_network(view)
    nodes, edges, _, _, _, _ = net.get_network_data()
    html = render_template("export_chain.html", data={"nodes": nodes, "edges": edges, "options": net.options},
                           view=view, segments=V.localised(a, "coverage", a.coverage)["segments"],
                           vis_js=_inline("vendor/vis-network.min.js", "script"),
                           vis_css=_inline("vendor/vis-network.css", "style"),
                           legend_css=_inline("legend.css", "style"),
                           app_js=_inline("chain_standalone.js", "script"),
                           colours=chainmap.LEVEL_COLOURS, fills=chainmap.LEVEL_FILL, generated=i18n.now_shown())
    return download(html.encode("utf-8"), "html", "产业链图谱.html", "chain-map.html")


# ------------------------------------------------------------------ language
@bp.get("/lang/<lang>")
def set_lang(lang: str):
    if lang not in i18n.LANGS:
        abort(404, f"不支持的语言 '{lang[:10]}' / unknown language")
    nxt = request.args.get("next") or "/"
    if not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        nxt = "/"
    resp = redirect(nxt, 303)
    resp.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return resp


def init_app(app: Flask) -> None:
    forms.init_app(app)
    palette.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(content_disposition=content_disposition, doc_title=analysis.doc_title)
    app.jinja_env.globals.update(partner_count=partners_count)

    @app.after_request
    def _headers(resp):
        if resp.mimetype == "text/html" and "Content-Disposition" not in resp.headers:
            resp.headers.setdefault("Content-Security-Policy", CSP)
            resp.headers.setdefault("X-Content-Type-Options", "nosniff")
            resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp
