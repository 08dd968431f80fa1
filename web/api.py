"""The JSON API, /api/v1/… — everything the pages show, in one error body shape."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from registry.errors import InvalidInput
from registry.model import KINDS, LEVELS, LOCALITY_FILTERS

from registry.exports import PARTNER_COLUMNS
from registry.repository import SORTS

from . import analysis, chainmap, partners
from . import params as P
from . import views_data as V
from .auth import actor_name
from .store import get_registry

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def ok(data, status: int = 200):
    return jsonify({"ok": True, "data": data}), status


def _actor(body: dict | None = None) -> tuple[str, str | None]:
    """Who (the signed-in user or the token's user; ``X-User`` is ignored) and why (the body's ``reason``,
    or ``?reason=`` on a DELETE; optional)."""
    why = body.pop("reason", None) if body is not None else request.args.get("reason")
    if why is not None and (not isinstance(why, str) or len(why) > 500):
        raise InvalidInput("reason: 理由应为不超过500字的文本 / reason must be text of at most 500 characters",
                           details=[{"field": "reason", "message": "text of at most 500 characters"}])
    return actor_name(), (why.strip() or None) if why else None


def list_filters(args) -> dict:
    kind = P.choice_arg(args, "kind", KINDS)
    return {
        "kinds": [kind] if kind else None,
        "q": P.text_arg(args, "q"),
        "locality": P.choice_arg(args, "locality", LOCALITY_FILTERS),
        "role": P.role_arg(args),
        "level": P.choice_arg(args, "level", LEVELS),
        "segment": P.text_arg(args, "segment", 100),
        "sort": P.choice_arg(args, "sort", SORTS, "relevance"),
        "page": P.int_arg(args, "page", 1, 1, 100_000),
        "per_page": P.int_arg(args, "per_page", 50, 1, 500),
    }


@bp.get("/health")
def health():
    reg = get_registry()
    reg.store.ping()
    return ok({"status": "ok", "store": reg.store.describe()["store"]})


@bp.get("/status")
def status():
    reg = get_registry()
    ok_schema, missing = reg.store.schema_ok()
    return ok({"store": reg.store.describe(), "counts": reg.counts(), "schema_version": reg.schema_version(),
               "schema_ok": ok_schema, "schema_missing": missing})


@bp.get("/entities")
def entities():
    return ok(get_registry().list(**list_filters(request.args)))


@bp.get("/search")
def search():
    filters = list_filters(request.args)
    if not filters["q"]:
        raise InvalidInput("q: 请输入要查找的名称或简称 / type part of a name or alias")
    return ok(get_registry().search(**filters))


def _idempotency_key() -> str | None:
    """A client's ``Idempotency-Key`` header: a create retried with it (after a 503) is answered, not written twice."""
    return request.headers.get("Idempotency-Key")


@bp.post("/entities")
def create_entity():
    body, reg = P.json_body(request), get_registry()
    by, why = _actor(body)
    return ok(reg.idempotent(_idempotency_key(), "entities", body, lambda: reg.create(body, by=by, why=why)), 201)


@bp.get("/entities/<entity_id>")
def get_entity(entity_id: str):
    return ok(get_registry().get(entity_id))


@bp.patch("/entities/<entity_id>")
def update_entity(entity_id: str):
    body = P.json_body(request)
    if "version" not in body:
        raise InvalidInput("version: 修改需要提供当前版本号 / an update must say which version it changes")
    by, why = _actor(body)
    version = body.pop("version")
    return ok(get_registry().update(entity_id, body, version=version, by=by, why=why))


@bp.delete("/entities/<entity_id>")
def delete_entity(entity_id: str):
    by, why = _actor()
    if not request.args.get("version"):
        raise InvalidInput("version: 删除需要提供当前版本号（?version=N）/ a delete must say which version it "
                           "deletes (?version=N)", details=[{"field": "version", "value": None, "message": "required"}])
    version = P.int_arg(request.args, "version", 0, 1, 10**9)
    removed = get_registry().delete(entity_id, version=version, by=by, why=why)
    return ok({"deleted": entity_id, "relations_removed": removed})


@bp.get("/entities/<entity_id>/neighbourhood")
def neighbourhood(entity_id: str):
    hops = P.int_arg(request.args, "hops", 1, 1, 3)
    limit = P.int_arg(request.args, "limit", 500, 1, 5000)
    return ok(get_registry().neighbourhood(entity_id, hops=hops, limit=limit))


@bp.get("/entities/<entity_id>/changes")
def entity_changes(entity_id: str):
    reg = get_registry()
    reg.get(entity_id)
    return ok(reg.changes(entity_id=entity_id, limit=P.int_arg(request.args, "limit", 50, 1, 500)))


@bp.post("/relations")
def create_relation():
    body, reg = P.json_body(request), get_registry()
    by, why = _actor(body)
    return ok(reg.idempotent(_idempotency_key(), "relations", body, lambda: reg.relate(body, by=by, why=why)), 201)


@bp.get("/relations/<path:rel_id>")
def get_relation(rel_id: str):
    return ok(get_registry().get_relation(rel_id))


@bp.delete("/relations/<path:rel_id>")
def delete_relation(rel_id: str):
    by, why = _actor()
    get_registry().unrelate(rel_id, by=by, why=why)
    return ok({"deleted": rel_id})


@bp.get("/changes")
def changes():
    return ok(get_registry().changes(limit=P.int_arg(request.args, "limit", 50, 1, 500)))


# ---------------------------------------------------------------- what the pages show (issue 5)
@bp.get("/overview")
def overview_api():
    """The home page: counts, chain leaders, target progress, top gaps, the chain strip, recent changes."""
    return ok(V.overview(get_registry()))


@bp.get("/entities/<entity_id>/detail")
def entity_detail_api(entity_id: str):
    """The entity page: attributes, relations grouped by type with their sources, neighbourhood graph, changes."""
    hops = P.int_arg(request.args, "hops", 1, 1, 2)
    return ok(V.entity_detail(get_registry(), entity_id, hops=hops))


@bp.get("/chain")
def chain_api():
    """The chain board: segments in columns upstream -> downstream, with counts, scores and gap counts."""
    a = analysis.current()
    return ok(dict(V.chain_overview(), coverage=V.localised(a, "coverage", a.coverage)["segments"]))


@bp.get("/chain/graph")
def chain_graph():
    """The chain map's graph: nodes with server-computed positions, edges, and what was merged."""
    f = chainmap.parse_filters(request.args)
    return ok(chainmap.graph_view(analysis.current(), **f))


@bp.get("/chain/graph/find")
def chain_find():
    """The chain map's search: segments and members by name or alias, each with the segment it is drawn in."""
    return ok(chainmap.find(analysis.current(), request.args))


@bp.get("/chain/<segment_id>")
def segment_api(segment_id: str):
    return ok(V.segment_detail(get_registry(), segment_id, limit=P.int_arg(request.args, "limit", 200, 1, 100_000)))


@bp.get("/gaps")
def gaps_api():
    return ok(V.gaps_view(V.gaps_filters(request.args),
                          candidates_per_gap=P.int_arg(request.args, "candidates", 3, 0, 50)))


@bp.get("/gaps/<path:gap_id>")
def gap_api(gap_id: str):
    if len(gap_id) > 400:
        raise InvalidInput(f"gap: 编号过长（{len(gap_id)} 字）/ the gap id is too long")
    return ok(V.gap_detail(gap_id, limit=P.int_arg(request.args, "limit", 30, 1, 500)))


@bp.get("/targets")
def targets_api():
    return ok(V.report(analysis.current(), "target_progress"))


@bp.get("/partners")
def partners_api():
    """A partner list (the rows the CSV/XLSX exports hold), for scope=enterprise|platform|segment|gap and id."""
    scope = P.choice_arg(request.args, "scope", partners.SCOPES)
    ident = P.text_arg(request.args, "id", 400)
    if not scope or not ident:
        raise InvalidInput("scope, id: 请指定导出对象（scope=enterprise|platform|segment|gap 与 id）/ "
                           "say what to export: scope and id")
    plist = partners.partner_list(analysis.current(), scope, ident)
    cols = [{"key": c.key, "zh": c.zh, "en": c.en} for c in PARTNER_COLUMNS]
    return ok(dict(plist, columns=cols))


def init_app(app):
    app.register_blueprint(bp)
