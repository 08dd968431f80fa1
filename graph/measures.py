"""Network measures: degree, betweenness, PageRank, communities, shortest paths and neighbourhoods.

The measures are taken on the *business network*: enterprises, platforms and
projects joined by supply links (``SUPPLIES``) and partner links
(``RESEARCH_PARTNER``, ``CO_FOUNDED``, ``MEMBER_OF``, ``RUNS``, ``OWNED_BY``,
``REORGANISES``).  Structural edges (segment membership, plan targets,
documents) are left out: they would make every firm of a segment a
neighbour of every other.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Callable, Iterable, Optional

import igraph
import networkx as nx

from registry.messages import message

from ._chain import PARTNER_TYPES, Chain, noop_progress, require_node
from .errors import InvalidOption

__all__ = ["business_network", "degree_summary", "betweenness", "pagerank", "communities", "network_measures",
           "entity_measures", "shortest_path", "neighbourhood", "EXACT_BETWEENNESS_LIMIT", "BETWEENNESS_SAMPLES"]

Progress = Optional[Callable[[int, int, str], None]]
NETWORK_KINDS = ("enterprise", "platform", "project")
EXACT_BETWEENNESS_LIMIT = 1000   # nodes; above it betweenness is estimated from sampled sources
BETWEENNESS_SAMPLES = 100
LOUVAIN_LIMIT = 20000            # edges; above it communities come from fast label propagation
PATH_TYPES = {
    "supply": ("SUPPLIES",),
    "partner": PARTNER_TYPES,
    "business": ("SUPPLIES",) + PARTNER_TYPES,
    "any": None,
}


def business_network(G) -> nx.Graph:
    """The undirected business network (see the module docstring), nodes and edges added in id order.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "ab"]
    ...                 + [{"id": "s", "kind": "segment", "name": "s"}],
    ...     [{"type": "SUPPLIES", "source": "a", "target": "b"}, {"type": "IN_SEGMENT", "source": "a", "target": "s"}])
    >>> sorted(business_network(G).edges())
    [('a', 'b')]
    """
    return _business(Chain(G))


def _business(chain: Chain) -> nx.Graph:
    H = nx.Graph()
    for kind in NETWORK_KINDS:
        H.add_nodes_from(chain.by_kind.get(kind, ()))
    edges = set()
    for c, ins in chain.sup_in.items():
        for s, _ in ins:
            edges.add((s, c) if s < c else (c, s))
    for a, lst in chain.partners.items():
        for b, _, _ in lst:
            if a != b and chain.kind(a) in NETWORK_KINDS and chain.kind(b) in NETWORK_KINDS:
                edges.add((a, b) if a < b else (b, a))
    H.add_edges_from(sorted(edges))
    return H


def degree_summary(G, node: str) -> dict:
    """Relations of one entity counted by type and direction.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abc"],
    ...     [{"type": "SUPPLIES", "source": "a", "target": "b"}, {"type": "SUPPLIES", "source": "c", "target": "b"}])
    >>> degree_summary(G, "b")
    {'id': 'b', 'total': 2, 'in': {'SUPPLIES': 2}, 'out': {}, 'suppliers': 2, 'customers': 0, 'partners': 0}
    """
    require_node(G, node)
    return _degree(G, node)


def _degree(G, node: str) -> dict:
    ins: dict[str, int] = {}
    outs: dict[str, int] = {}
    suppliers, customers, partners = set(), set(), set()
    for u, _, t in G.in_edges(node, keys=True):
        ins[t] = ins.get(t, 0) + 1
        if t == "SUPPLIES":
            suppliers.add(u)
        elif t in PARTNER_TYPES:
            partners.add(u)
    for _, v, t in G.out_edges(node, keys=True):
        outs[t] = outs.get(t, 0) + 1
        if t == "SUPPLIES":
            customers.add(v)
        elif t in PARTNER_TYPES:
            partners.add(v)
    return {"id": node, "total": sum(ins.values()) + sum(outs.values()),
            "in": dict(sorted(ins.items())), "out": dict(sorted(outs.items())),
            "suppliers": len(suppliers), "customers": len(customers), "partners": len(partners)}


def betweenness(G, *, k: int | None = None, seed: int = 0, exact: bool = False) -> dict:
    """Betweenness centrality on the business network (normalised, undirected).

    Exact up to ``EXACT_BETWEENNESS_LIMIT`` (1000) nodes or when ``exact`` is
    true; above that, or when ``k`` is given, estimated from ``k`` sampled
    source nodes (default ``BETWEENNESS_SAMPLES`` = 100) with a fixed
    ``seed``, so repeated runs agree.  ``result["approximate"]`` says which
    was done.  The values equal ``networkx.betweenness_centrality`` with the
    same ``k`` and ``seed`` (the same sampled sources); igraph computes them.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abc"],
    ...     [{"type": "SUPPLIES", "source": "a", "target": "b"}, {"type": "SUPPLIES", "source": "b", "target": "c"}])
    >>> r = betweenness(G)
    >>> r["values"], r["approximate"]
    ({'a': 0.0, 'b': 1.0, 'c': 0.0}, False)
    """
    if k is not None and (not isinstance(k, int) or k < 1):
        raise InvalidOption(message("err.graph.k_positive", value=k))
    return _betweenness(_business(Chain(G)), k=k, seed=seed, exact=exact)


def _betweenness(H: nx.Graph, *, k: int | None = None, seed: int = 0, exact: bool = False) -> dict:
    n = H.number_of_nodes()
    if exact:
        k = None
    elif k is None and n > EXACT_BETWEENNESS_LIMIT:
        k = BETWEENNESS_SAMPLES
    if k is not None and k >= n:
        k = None
    values = _betweenness_values(H, k=k, seed=seed)
    return {"values": {x: round(values[x], 6) for x in sorted(values)}, "approximate": k is not None, "k": k,
            "seed": seed if k else None, "nodes": n}


def _betweenness_values(H: nx.Graph, *, k: int | None, seed: int) -> dict:
    """``nx.betweenness_centrality(H, k=k, seed=seed)`` (all sources when ``k`` is None), computed by igraph.

    The ``k`` sources are drawn as networkx draws them
    (``random.Random(seed).sample(list(H), k)``); igraph sums the same pair
    dependencies over those sources, halved on an undirected graph (hence
    the 2 below), and the sums are rescaled as networkx rescales them
    (normalised, endpoints excluded).  The values equal networkx's up to the
    order of floating-point additions (1e-15).  Why igraph: networkx takes
    165 s for 100 sources at 100k firms, igraph about 2 s; rustworkx has no
    sampled sources.
    """
    nodes = list(H)
    n = len(nodes)
    if n < 3:  # networkx leaves these unscaled: no pair has a node between its ends
        return dict.fromkeys(nodes, 0.0)
    idx = {x: i for i, x in enumerate(nodes)}
    net = igraph.Graph(n=n, edges=[(idx[u], idx[v]) for u, v in H.edges() if u != v])
    sampled = None if k is None else random.Random(seed).sample(nodes, k)
    raw = net.betweenness(directed=False, sources=None if sampled is None else [idx[x] for x in sampled])
    N = n - 1
    if sampled is None:
        scale = 2.0 / (N * (N - 1))
        return {x: raw[i] * scale for i, x in enumerate(nodes)}
    chosen = set(sampled)
    source_scale = 2.0 / ((k - 1) * (N - 1)) if k > 1 else float("nan")
    other_scale = 2.0 / (k * (N - 1))
    return {x: raw[i] * (source_scale if x in chosen else other_scale) for i, x in enumerate(nodes)}


def pagerank(G, *, alpha: float = 0.85, tol: float = 1.0e-8, max_iter: int = 100) -> dict:
    """PageRank of the business network, with supply links pointing from customer to supplier.

    A firm ranks high when firms that rank high buy from it or work with it:
    a measure of how much of the network leans on it.  Partner links count
    both ways.  ``networkx.pagerank`` (power iteration, stopping when the
    summed change is below ``len(nodes) * tol``): the values are those of
    the earlier hand-written iteration within 1e-8 (rounded to 8 places, the
    same).  More exact solvers (igraph's PRPACK, rustworkx) differ from them
    by up to 1e-4 at 100k firms, because this stopping rule is loose there.

    Raises
    ------
    networkx.PowerIterationFailedConvergence
        If ``max_iter`` iterations do not reach ``tol``.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abc"],
    ...     [{"type": "SUPPLIES", "source": "a", "target": "b"}, {"type": "SUPPLIES", "source": "a", "target": "c"}])
    >>> r = pagerank(G)["values"]
    >>> r["a"] > r["b"] == r["c"]
    True
    """
    return _pagerank(Chain(G), alpha=alpha, tol=tol, max_iter=max_iter)


def _pagerank(chain: Chain, *, alpha=0.85, tol=1.0e-8, max_iter=100) -> dict:
    D = nx.DiGraph()
    D.add_nodes_from(sorted(n for kind in NETWORK_KINDS for n in chain.by_kind.get(kind, ())))
    if D.number_of_nodes() == 0:
        return {"values": {}, "alpha": alpha}
    D.add_edges_from((c, s) for c, ins in chain.sup_in.items() for s, _ in ins)
    D.add_edges_from((a, b) for a, lst in chain.partners.items() if a in D for b, _, _ in lst if b in D and b != a)
    x = nx.pagerank(D, alpha=alpha, tol=tol, max_iter=max_iter, weight=None)
    return {"values": {n: round(x[n], 8) for n in D}, "alpha": alpha}


def communities(G, *, seed: int = 0) -> dict:
    """Communities of the business network: Louvain (seeded) up to ``LOUVAIN_LIMIT`` edges, else fast label
    propagation (seeded).  Numbered by size, largest first (ties: smallest member id).

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abcdef"],
    ...     [{"type": "SUPPLIES", "source": s, "target": t} for s, t in ("ab", "bc", "ca", "de", "ef", "fd")])
    >>> communities(G)["communities"]
    [['a', 'b', 'c'], ['d', 'e', 'f']]
    """
    return _communities(_business(Chain(G)), seed=seed)


def _communities(H: nx.Graph, *, seed: int = 0) -> dict:
    m = H.number_of_edges()
    if m <= LOUVAIN_LIMIT:
        method = "louvain"
        parts = nx.community.louvain_communities(H, seed=seed)
    else:
        method = "fast_label_propagation"
        parts = nx.community.fast_label_propagation_communities(H, seed=seed)
    comms = sorted((sorted(c) for c in parts), key=lambda c: (-len(c), c[0]))
    member = {n: i for i, c in enumerate(comms) for n in c}
    return {"communities": comms, "membership": {n: member[n] for n in sorted(member)}, "method": method,
            "seed": seed, "approximate": method != "louvain"}


def network_measures(G, *, k: int | None = None, seed: int = 0, progress: Progress = None) -> dict:
    """Degree, betweenness, PageRank and community of every node of the business network.

    Compute once and pass to :func:`entity_measures` (the web can cache it:
    it depends on the graph only).  ``result["approximations"]`` lists what
    was estimated rather than computed exactly.
    """
    progress = progress or noop_progress
    chain = Chain(G)
    H = _business(chain)
    progress(0, 4, "business network")
    bc = _betweenness(H, k=k, seed=seed)
    progress(1, 4, "betweenness")
    pr = _pagerank(chain)
    progress(2, 4, "pagerank")
    cm = _communities(H, seed=seed)
    progress(3, 4, "communities")
    nodes = {}
    for n in sorted(H.nodes):
        nodes[n] = {"degree": H.degree(n), "betweenness": bc["values"].get(n, 0.0),
                    "pagerank": pr["values"].get(n, 0.0), "community": cm["membership"].get(n)}
    progress(4, 4, "done")
    approximations = []
    if bc["approximate"]:
        approximations.append(dict(message("analysis.approx.betweenness_sampled", k=bc["k"], seed=seed),
                                   measure="betweenness"))
    if cm["approximate"]:
        approximations.append(dict(message("analysis.approx.communities_label_propagation"), measure="community"))
    return {"nodes": nodes, "communities": cm["communities"], "community_method": cm["method"],
            "betweenness": {k_: v for k_, v in bc.items() if k_ != "values"},
            "pagerank": {k_: v for k_, v in pr.items() if k_ != "values"},
            "network": {"nodes": H.number_of_nodes(), "edges": H.number_of_edges()},
            "approximations": approximations}


def entity_measures(G, node: str, *, measures: dict | None = None) -> dict:
    """The measures of one entity: its degree by relation type, and its betweenness, PageRank and
    community (with rank among all nodes and the community's size and first members).

    ``measures`` is a :func:`network_measures` result to reuse; without it
    the whole-network measures are computed here.

    Raises
    ------
    EntityNotFound
        If ``node`` is not in ``G``.
    """
    require_node(G, node)
    measures = measures or network_measures(G)
    row = measures["nodes"].get(node)
    out = {"entity": _ref(G, node), "degree": _degree(G, node), "in_business_network": row is not None,
           "approximations": measures["approximations"]}
    if row is not None:
        n = len(measures["nodes"])
        for key in ("betweenness", "pagerank"):
            higher = sum(1 for r in measures["nodes"].values() if r[key] > row[key])
            out[key] = {"value": row[key], "rank": higher + 1, "of": n}
        comm = measures["communities"][row["community"]]
        out["community"] = {"id": row["community"], "size": len(comm),
                            "members": [_ref(G, x) for x in comm[:20]]}
    return out


def _edge_ref(d: dict, u: str, v: str, t: str) -> dict:
    return {"id": d.get("id"), "type": t, "source": u, "target": v, "product": d.get("product"),
            "basis": d.get("basis")}


def _steps(G, n: str, types: tuple[str, ...] | None, directed: bool) -> list[tuple[str, str, str, str]]:
    """(neighbour, type, edge source, edge target) of the allowed edges at ``n``, sorted."""
    out = []
    for _, v, t in G.out_edges(n, keys=True):
        if types is None or t in types:
            out.append((v, t, n, v))
    if not directed:
        for u, _, t in G.in_edges(n, keys=True):
            if types is None or t in types:
                out.append((u, t, u, n))
    out.sort()
    return out


def shortest_path(G, source: str, target: str, *, via: str = "supply", directed: bool = True) -> dict:
    """The shortest path between two entities, with every step.

    Parameters
    ----------
    via : {"supply", "partner", "business", "any"}
        Which relations a step may follow: supply links, partner links, both,
        or any relation.
    directed : bool
        For ``via="supply"``: follow supply links only from supplier to
        customer (how goods can travel).  Other networks are undirected.

    Returns
    -------
    dict
        ``{"found", "source", "target", "via", "directed", "length", "path": [entity refs],
        "edges": [{"id", "type", "source", "target", "product", "basis"}]}``; among equally
        short paths the one first in id order is returned.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abc"],
    ...     [{"type": "SUPPLIES", "source": "a", "target": "b"}, {"type": "SUPPLIES", "source": "b", "target": "c"}])
    >>> r = shortest_path(G, "a", "c")
    >>> r["length"], [p["id"] for p in r["path"]]
    (2, ['a', 'b', 'c'])
    >>> shortest_path(G, "c", "a")["found"]
    False
    """
    if via not in PATH_TYPES:
        raise InvalidOption(message("err.graph.via", choices=", ".join(PATH_TYPES), value=via))
    for n in (source, target):
        require_node(G, n)
    types = PATH_TYPES[via]
    is_directed = directed and via == "supply"
    prev: dict[str, tuple[str, str, str, str] | None] = {source: None}
    queue = deque([source])
    while queue and target not in prev:
        x = queue.popleft()
        for y, t, u, v in _steps(G, x, types, is_directed):
            if y not in prev:
                prev[y] = (x, t, u, v)
                queue.append(y)
    result = {"found": target in prev, "source": _ref(G, source), "target": _ref(G, target), "via": via,
              "directed": is_directed, "length": None, "path": [], "edges": []}
    if target in prev:
        path, edges, x = [target], [], target
        while prev[x] is not None:
            p, t, u, v = prev[x]
            edges.append(_edge_ref(G.edges[u, v, t], u, v, t))
            path.append(p)
            x = p
        path.reverse()
        edges.reverse()
        result.update(length=len(edges), path=[_ref(G, n) for n in path], edges=edges)
    return result


def _ref(G, n: str) -> dict:
    d = G.nodes[n]
    return {"id": n, "name": d.get("name") or n, "kind": d.get("kind")}


def neighbourhood(G, node: str, *, k: int = 1, types: Iterable[str] | None = None, limit: int = 500) -> dict:
    """Entities within ``k`` hops of ``node`` (edges taken both ways) and the edges between them.

    Parameters
    ----------
    k : int
        Hops, >= 0.
    types : iterable of str, optional
        Relation types a hop may follow (default: all).
    limit : int
        At most this many nodes, nearest first then by id; ``truncated`` says
        whether some were left out.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abcd"],
    ...     [{"type": "SUPPLIES", "source": s, "target": t} for s, t in ("ab", "bc", "cd")])
    >>> r = neighbourhood(G, "b", k=1)
    >>> [(n["id"], n["hop"]) for n in r["nodes"]], [(e["source"], e["target"]) for e in r["edges"]]
    ([('b', 0), ('a', 1), ('c', 1)], [('a', 'b'), ('b', 'c')])
    """
    require_node(G, node)
    if not isinstance(k, int) or k < 0:
        raise InvalidOption(message("err.graph.k_not_negative", value=k))
    if limit < 1:
        raise InvalidOption(message("err.graph.limit", value=limit))
    type_set = tuple(types) if types is not None else None
    hop = {node: 0}
    frontier = [node]
    truncated = False
    for h in range(1, k + 1):
        nxt = set()
        for x in frontier:
            for y, _, _, _ in _steps(G, x, type_set, False):
                if y not in hop:
                    nxt.add(y)
        room = limit - len(hop)
        layer = sorted(nxt)
        if len(layer) > room:
            layer, truncated = layer[:room], True
        for y in layer:
            hop[y] = h
        frontier = layer
        if truncated or not frontier:
            break
    ordered = sorted(hop, key=lambda n: (hop[n], n))
    edges = []
    for u in ordered:
        for v, t, a, b in _steps(G, u, type_set, True):
            if v in hop:
                edges.append(_edge_ref(G.edges[a, b, t], a, b, t))
    edges.sort(key=lambda e: (e["source"], e["target"], e["type"]))
    nodes = []
    for n in ordered:
        d = G.nodes[n]
        nodes.append({"id": n, "name": d.get("name") or n, "kind": d.get("kind"),
                      "locality": d.get("locality"), "hop": hop[n]})
    return {"center": _ref(G, node), "k": k, "types": list(type_set) if type_set else None, "nodes": nodes,
            "edges": edges, "truncated": truncated}
