"""Build the analysis graph from registry rows.

The graph contract: one node per entity (node id = ``entity["id"]``, node
attributes = the entity dict) and one edge per relation (edge key = the
relation type, edge attributes = the relation dict, with ``id`` and ``basis``
filled in when the row lacks them).  Every analysis in ``graph`` takes such
a graph as its first argument and never changes it.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import networkx as nx

from registry.messages import message
from registry.model import KINDS, RELATION_TYPES, basis_of, endpoints_allowed, relation_id

from .errors import InvalidGraphData

__all__ = ["build_graph", "patch_graph"]


def build_graph(entities: Iterable[Mapping[str, Any]], relations: Iterable[Mapping[str, Any]]) -> nx.MultiDiGraph:
    """Return the registry as a ``networkx.MultiDiGraph``.

    Parameters
    ----------
    entities : iterable of dict
        Entity rows as the store returns them; each needs ``id`` and ``kind``.
    relations : iterable of dict
        Relation rows with ``type``, ``source`` and ``target``.  ``id``
        defaults to ``"{source}>{type}>{target}"`` and ``basis`` to the
        strongest basis of the row's ``sources``.

    Returns
    -------
    G : networkx.MultiDiGraph
        Node attributes are (a shallow copy of) the entity dict; the edge key
        is the relation type, so one (source, type, target) is one edge.

    Raises
    ------
    InvalidGraphData
        An entity without id or with an unknown kind, a duplicate id, a
        relation of unknown type, with a missing end, or between kinds its
        type does not allow.

    Examples
    --------
    >>> G = build_graph(
    ...     [{"id": "a", "kind": "enterprise", "name": "甲"},
    ...      {"id": "b", "kind": "enterprise", "name": "乙"}],
    ...     [{"type": "SUPPLIES", "source": "a", "target": "b", "product": "氧化镨钕"}])
    >>> G.edges["a", "b", "SUPPLIES"]["id"], G.edges["a", "b", "SUPPLIES"]["basis"]
    ('a>SUPPLIES>b', 'unknown')
    """
    G = nx.MultiDiGraph()
    kinds: dict[str, str] = {}  # id -> kind: membership and the endpoint check without a view look-up
    for e in entities:
        eid, kind = _entity(e)
        if eid in kinds:
            raise InvalidGraphData(message("err.graph.duplicate_id", id=eid))
        kinds[eid] = kind
        G.add_node(eid, **e)
    for r in relations:
        src, dst, rtype, attrs = _edge(r, kinds.get)
        G.add_edge(src, dst, key=rtype, **attrs)
    return G


def _entity(e: Mapping[str, Any]) -> tuple[str, str]:
    """An entity row's id and kind, checked as :func:`build_graph` checks them."""
    eid = e.get("id")
    if not eid or not isinstance(eid, str):
        raise InvalidGraphData(message("err.graph.entity_without_id", row=_short(e)))
    kind = e.get("kind")
    if kind not in KINDS:
        raise InvalidGraphData(message("err.graph.unknown_kind", id=eid, kind=kind, kinds=", ".join(KINDS)))
    return eid, kind


def _edge(r: Mapping[str, Any], kind_of) -> tuple[str, str, str, dict]:
    """A relation row as (source, target, key, attributes), checked against the kinds of its ends
    (``kind_of(id)``: the kind of a node in the graph, None if there is none)."""
    rtype, src, dst = r.get("type"), r.get("source"), r.get("target")
    spec = RELATION_TYPES.get(rtype)
    if spec is None:
        raise InvalidGraphData(message("err.graph.unknown_relation_type", type=rtype, source=src, target=dst))
    for msgid, nid in (("err.graph.missing_source", src), ("err.graph.missing_target", dst)):
        if kind_of(nid) is None:
            raise InvalidGraphData(message(msgid, source=src, type=rtype, target=dst, id=nid))
    sk, dk = kind_of(src), kind_of(dst)
    if not endpoints_allowed(rtype, sk, dk):
        raise InvalidGraphData(message("err.graph.relation_ends", type=rtype,
                                       relation={"label": "relation", "code": rtype}, source_kind=sk,
                                       source=src, target_kind=dk, target=dst))
    attrs = dict(r)
    if not attrs.get("id"):
        attrs["id"] = relation_id(rtype, src, dst)
    if not attrs.get("basis"):
        attrs["basis"] = basis_of(attrs.get("sources"))
    return src, dst, rtype, attrs


def patch_graph(G: nx.MultiDiGraph, *, nodes: Mapping[str, Mapping | None] = (),
                edges_of: Mapping[str, Iterable[Mapping]] = (),
                relations: Mapping[str, tuple] = (), **_ignored) -> nx.MultiDiGraph:
    """A new graph: ``G`` with some records and relations as they are now; ``G`` itself is not changed.

    ``nodes``: id -> entity row, or None for a record that is gone (its edges go with it);
    ``edges_of``: id -> every relation row the record has now (its edges are replaced by these);
    ``relations``: relation id -> ``(source, type, target, row or None)`` (None: the relation is gone).
    (What ``registry.repository.Registry.graph_delta`` returns.) Changed rows are checked as
    :func:`build_graph` checks them (:class:`InvalidGraphData`).

    The result equals :func:`build_graph` over the registry as it is now — node order (by id), edge
    order (by relation id) and attributes included — so every analysis gives what a fresh read would.
    It is built from ``G``'s rows in memory through networkx's public API; the attribute dicts of
    unchanged records and relations are shared, not copied.

    >>> G = build_graph([{"id": "a", "kind": "enterprise"}, {"id": "b", "kind": "enterprise"}], [])
    >>> H = patch_graph(G, nodes={"c": {"id": "c", "kind": "enterprise"}},
    ...                 relations={"a>SUPPLIES>c": ("a", "SUPPLIES", "c",
    ...                            {"type": "SUPPLIES", "source": "a", "target": "c"})})
    >>> list(H), list(H.edges(keys=True)), G.number_of_edges()
    (['a', 'b', 'c'], [('a', 'c', 'SUPPLIES')], 0)
    """
    node_rows: dict[str, Mapping] = dict(G.nodes(data=True))
    edge_rows: dict[str, tuple] = {d["id"]: (u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True)}

    def kind_of(n):
        d = node_rows.get(n)
        return d.get("kind") if d is not None else None

    added, gone = False, set()
    for n, row in dict(nodes).items():
        if row is None:
            if node_rows.pop(n, None) is not None:
                gone.add(n)
            continue
        eid, _ = _entity(row)
        if eid != n:
            raise InvalidGraphData(message("err.graph.duplicate_id", id=n))
        added = added or n not in node_rows
        node_rows[n] = row
    if gone:
        edge_rows = {i: e for i, e in edge_rows.items() if e[0] not in gone and e[1] not in gone}
    for n, rows in dict(edges_of).items():
        if n not in node_rows:
            continue
        if n in G:
            for u, v, k, d in (*G.out_edges(n, keys=True, data=True), *G.in_edges(n, keys=True, data=True)):
                edge_rows.pop(d["id"], None)
        for r in rows:
            src, dst, rtype, attrs = _edge(r, kind_of)
            edge_rows[attrs["id"]] = (src, dst, rtype, attrs)
    for rid, (src, rtype, dst, row) in dict(relations).items():
        if row is None:
            edge_rows.pop(rid, None)
            continue
        src, dst, rtype, attrs = _edge(row, kind_of)
        edge_rows[attrs["id"]] = (src, dst, rtype, attrs)
    H = nx.MultiDiGraph()
    H.graph.update(G.graph)
    H.add_nodes_from((n, node_rows[n]) for n in (sorted(node_rows) if added else node_rows))
    H.add_edges_from(edge_rows[i] for i in sorted(edge_rows))
    return H


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 80 else s[:77] + "..."
