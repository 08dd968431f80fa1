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

__all__ = ["build_graph"]


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
        eid = e.get("id")
        if not eid or not isinstance(eid, str):
            raise InvalidGraphData(message("err.graph.entity_without_id", row=_short(e)))
        kind = e.get("kind")
        if kind not in KINDS:
            raise InvalidGraphData(message("err.graph.unknown_kind", id=eid, kind=kind, kinds=", ".join(KINDS)))
        if eid in kinds:
            raise InvalidGraphData(message("err.graph.duplicate_id", id=eid))
        kinds[eid] = kind
        G.add_node(eid, **e)
    for r in relations:
        rtype, src, dst = r.get("type"), r.get("source"), r.get("target")
        spec = RELATION_TYPES.get(rtype)
        if spec is None:
            raise InvalidGraphData(message("err.graph.unknown_relation_type", type=rtype, source=src, target=dst))
        for msgid, nid in (("err.graph.missing_source", src), ("err.graph.missing_target", dst)):
            if nid not in kinds:
                raise InvalidGraphData(message(msgid, source=src, type=rtype, target=dst, id=nid))
        sk, dk = kinds[src], kinds[dst]
        if not endpoints_allowed(rtype, sk, dk):
            raise InvalidGraphData(message("err.graph.relation_ends", type=rtype,
                                           relation={"label": "relation", "code": rtype}, source_kind=sk,
                                           source=src, target_kind=dk, target=dst))
        attrs = dict(r)
        if not attrs.get("id"):
            attrs["id"] = relation_id(rtype, src, dst)
        if not attrs.get("basis"):
            attrs["basis"] = basis_of(attrs.get("sources"))
        G.add_edge(src, dst, key=rtype, **attrs)
    return G


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 80 else s[:77] + "..."
