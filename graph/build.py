"""Build the analysis graph from registry rows.

The graph contract: one node per entity (node id = ``entity["id"]``, node
attributes = the entity dict) and one edge per relation (edge key = the
relation type, edge attributes = the relation dict, with ``id`` and ``basis``
filled in when the row lacks them).  Every analysis in ``graph`` takes such
a graph as its first argument and never changes it; only a write does, through
:func:`graph_changes` and :func:`apply_changes` (``graph.Analysis.apply``), in
place, or :func:`patch_graph`, into a new graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import networkx as nx

from registry.messages import message
from registry.model import KINDS, RELATION_TYPES, basis_of, endpoints_allowed, relation_id

from .errors import InvalidGraphData

__all__ = ["build_graph", "patch_graph", "graph_changes", "apply_changes", "GraphChanges"]


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


@dataclass
class GraphChanges:
    """What a delta changes in a graph, record by record and relation by relation (nothing unchanged).

    ``nodes``: id -> (attributes before or None when new, row after or None when gone);
    ``edges_removed`` / ``edges_added``: ``(source, target, type, attributes)``; a relation whose attributes
    change is in both (its old attributes dict, then its new one).
    """

    nodes: dict = field(default_factory=dict)
    edges_removed: list = field(default_factory=list)
    edges_added: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes or self.edges_removed or self.edges_added)


def graph_changes(G: nx.MultiDiGraph, *, nodes: Mapping[str, Mapping | None] = (),
                  edges_of: Mapping[str, Iterable[Mapping]] = (),
                  relations: Mapping[str, tuple] = (), **_ignored) -> GraphChanges:
    """What applying a delta (as :func:`patch_graph` takes it) would change in ``G``, checked as
    :func:`build_graph` checks rows (:class:`InvalidGraphData`) — before anything is changed, so a refused
    delta leaves ``G`` as it was. ``G`` is not changed (see :func:`apply_changes`).

    >>> G = build_graph([{"id": "a", "kind": "enterprise"}, {"id": "b", "kind": "enterprise", "phone": "1"}], [])
    >>> ch = graph_changes(G, nodes={"a": {"id": "a", "kind": "enterprise"}, "b": {"id": "b", "kind": "enterprise"}})
    >>> sorted(ch.nodes), ch.edges_added
    (['b'], [])
    """
    rows = dict(nodes)

    def kind_of(n):
        if n in rows:
            row = rows[n]
            return row.get("kind") if row is not None else None
        return G.nodes[n].get("kind") if n in G else None

    for n, row in rows.items():
        if row is not None:
            eid, _ = _entity(row)
            if eid != n:
                raise InvalidGraphData(message("err.graph.duplicate_id", id=n))
    desired: dict[tuple, dict | None] = {}  # (source, target, type) -> attributes, or None: gone

    def incident(n):
        return (*G.out_edges(n, keys=True), *G.in_edges(n, keys=True)) if n in G else ()

    for n, row in rows.items():
        if row is None:
            for e in incident(n):
                desired[e] = None
    for n, rel_rows in dict(edges_of).items():
        if kind_of(n) is None:
            continue
        for e in incident(n):
            desired[e] = None
        for r in rel_rows:
            src, dst, rtype, attrs = _edge(r, kind_of)
            desired[(src, dst, rtype)] = attrs
    for rid, (src, rtype, dst, row) in dict(relations).items():
        if row is None:
            desired[(src, dst, rtype)] = None
            continue
        src, dst, rtype, attrs = _edge(row, kind_of)
        desired[(src, dst, rtype)] = attrs
    out = GraphChanges()
    for n, row in rows.items():
        if n in G:
            before = G.nodes[n]
            if row is None or dict(row) != before:
                out.nodes[n] = (dict(before), row)
        elif row is not None:
            out.nodes[n] = (None, row)
    for (u, v, t), attrs in desired.items():
        cur = G.succ[u][v].get(t) if u in G and v in G.succ[u] else None
        if attrs is None:
            if cur is not None:
                out.edges_removed.append((u, v, t, cur))
        elif cur is None:
            out.edges_added.append((u, v, t, attrs))
        elif cur != attrs:
            out.edges_removed.append((u, v, t, cur))
            out.edges_added.append((u, v, t, attrs))
    return out


def apply_changes(G: nx.MultiDiGraph, changes: GraphChanges) -> None:
    """Make the changes (from :func:`graph_changes` on this same ``G``) in ``G`` itself, through networkx's
    public API: relations removed, records removed, records added or their attribute dicts updated in place,
    relations added. Afterwards the entries of ``changes.edges_added`` are the graph's own attribute dicts."""
    for u, v, t, _ in changes.edges_removed:
        G.remove_edge(u, v, key=t)
    for n, (before, row) in changes.nodes.items():
        if row is None:
            G.remove_node(n)
        elif before is None:
            G.add_node(n, **row)
        else:
            attrs = G.nodes[n]
            for k in [k for k in attrs if k not in row]:
                del attrs[k]
            attrs.update(row)
    added = []
    for u, v, t, attrs in changes.edges_added:
        G.add_edge(u, v, key=t, **attrs)
        added.append((u, v, t, G.edges[u, v, t]))
    changes.edges_added = added


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 80 else s[:77] + "..."
