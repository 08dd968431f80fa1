"""Dependence in the supply network: single suppliers, outside-only suppliers, cut points and bridges.

The supply network is the ``SUPPLIES`` edges between enterprises.  For cut
points and bridges it is taken as undirected (a link is a link whichever way
the goods flow; a pair that supplies each other is two links).  Both are
computed exactly by igraph (blocks, cut points, bridges), linear in the size
of the network; the search that orders the firms visits nodes and neighbours
in id order, so results do not depend on insertion order.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from typing import Callable, Iterable, Optional

import igraph
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import depth_first_order

from registry.messages import message

from ._chain import (OUTSIDE, Chain, LocalChain, clean_sources, fact, gap_sort_key, locality, make_gap, names,
                     noop_progress)

__all__ = ["dependence_gaps", "cut_point_gaps", "bridge_gaps", "supply_cut_structure", "departure_impact"]

Progress = Optional[Callable[[int, int, str], None]]
EXAMPLES = 10  # cut-off firms listed in a gap; departure_impact lists them all


def _cut_severity(cut_local: int, cut_total: int) -> str:
    if cut_local >= 5 or cut_total >= 20:
        return "high"
    if cut_local >= 2 or cut_total >= 5:
        return "medium"
    return "low"


# --- single supplier and outside-only suppliers ----------------------------------------------
def _dependence_gaps(chain: Chain) -> list[dict]:
    gaps = [g for c in chain.by_kind.get("enterprise", ()) for g in _firm_dependence_gaps(chain, c)]
    gaps.sort(key=gap_sort_key)
    return gaps


def _firm_dependence_gaps(chain: Chain, c: str) -> list[dict]:
    """The dependence gaps of one local firm (kept up to date per firm by graph.Analysis)."""
    gaps: list[dict] = []
    loc, LOCAL_ = chain.loc, "cluster"
    ins = chain.sup_in.get(c)
    if not ins or loc[c] != LOCAL_:
        return gaps
    cname = chain.name(c)
    suppliers = [s for s, _ in ins]  # sorted, one edge per supplier
    by_product: dict[str, list[str]] = {}
    unnamed = []
    for s, d in ins:
        p = d.get("product")
        p = p.strip() if p else ""
        if p:
            by_product.setdefault(p, []).append(s)
        else:
            unnamed.append(s)
    outs = chain.sup_out.get(c, ())
    n_customers = len(outs)
    singles: list[tuple[str | None, str, dict]] = []
    if len(ins) == 1:
        products = sorted(by_product)
        singles.append(("、".join(products) if products else None, ins[0][0], ins[0][1]))
    else:
        edge_of = dict(ins)
        for p in sorted(by_product):
            if len(by_product[p]) == 1:
                s = by_product[p][0]
                singles.append((p, s, edge_of[s]))
    common = []
    if singles:
        common.append(fact("fact.dependence.suppliers", suppliers, firm=cname, n=len(suppliers)))
        if unnamed and len(suppliers) > 1:
            common.append(fact("fact.dependence.unnamed", unnamed, n=len(unnamed), names=names(chain, unnamed)))
        if n_customers:
            common.append(fact("fact.dependence.customers", [x for x, _ in outs[:20]], firm=cname, n=n_customers))
    for product, s, edge in singles:
        sname, sloc = chain.name(s), loc[s]
        what = message("gap.part.product_quoted", product=product) if product else \
            message("gap.part.product_unrecorded")
        gaps.append(make_gap(
            gid=f"dependence:single:{c}:{product or '-'}", category="dependence", kind="single_supplier",
            severity="medium" if sloc == LOCAL_ else "high",
            subjects=[chain.ref(c), chain.ref(s)],
            title=message("gap.dependence.single_supplier.title", firm=cname, supplier=sname),
            reason=message("gap.dependence.single_supplier.reason", firm=cname, what=what, supplier=sname,
                           locality=locality(sloc)),
            facts=[fact("fact.dependence.supplier", [s], supplier=sname, locality=locality(sloc))] + common,
            sources=clean_sources(edge.get("sources")), impact=1 + n_customers,
            wanted={"segments": list(chain.ent_segs.get(s, ())), "product": product, "exclude": [c, s]},
            product=product))
    if all(loc[s] in OUTSIDE for s in suppliers):
        abroad = [s for s in suppliers if loc[s] == "abroad"]
        shown = [message("fact.part.firm_at", name=chain.name(s), locality=locality(loc[s]))
                 for s in suppliers[:10]]
        facts = [fact("fact.dependence.all_outside", suppliers, n=len(suppliers),
                      suppliers={"list": shown, "sep": "list.semi"})]
        if abroad:
            facts.append(fact("fact.dependence.abroad", abroad, n=len(abroad)))
        segs = sorted({x for s in suppliers for x in chain.ent_segs.get(s, ())})
        gaps.append(make_gap(
            gid=f"dependence:outside:{c}", category="dependence", kind="all_suppliers_outside",
            severity="high" if abroad else "medium",
            subjects=[chain.ref(c)],
            title=message("gap.dependence.all_suppliers_outside.title", firm=cname),
            reason=message("gap.dependence.all_suppliers_outside.reason", firm=cname, n=len(suppliers),
                           names=names(chain, suppliers)),
            facts=facts, sources=[x for _, d in ins[:10] for x in clean_sources(d.get("sources"))][:10],
            impact=len(suppliers) + n_customers,
            wanted={"segments": segs, "product": None, "exclude": [c]}))
    return gaps


def dependence_gaps(G) -> list[dict]:
    """Local enterprises that hang on one supplier for an input, or whose suppliers are all outside the cluster.

    A single-supplier gap (kind ``single_supplier``) is raised per input: per
    named ``product`` with exactly one supplier, or once when the firm has
    one supplier in all.  It is ``high`` when that supplier is not in the
    cluster, ``medium`` when it is.  An ``all_suppliers_outside`` gap is
    ``high`` when one of them is abroad, else ``medium``.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph(
    ...     [{"id": "m", "kind": "enterprise", "name": "磁材厂", "locality": "cluster"},
    ...      {"id": "o", "kind": "enterprise", "name": "外地氧化物厂", "locality": "china"}],
    ...     [{"type": "SUPPLIES", "source": "o", "target": "m", "product": "氧化镨钕"}])
    >>> [(g["id"], g["severity"]) for g in dependence_gaps(G)]
    [('dependence:single:m:氧化镨钕', 'high'), ('dependence:outside:m', 'medium')]
    """
    return _dependence_gaps(Chain(G))


# --- cut points and bridges ------------------------------------------------------------------
class _CutStructure:
    """Articulation points and bridges of the undirected supply network, with the pieces each one cuts off.

    igraph finds the blocks (biconnected components), the cut points and the
    bridges.  A depth-first search (scipy's, in C), rooted at the smallest id
    of each component and taking neighbours in id order, numbers the firms so
    that every piece a cut point or a bridge cuts off is one run of numbers
    (or a component less such runs): sizes and local counts come from subtree
    sizes and prefix sums, linear in the size of the network.

    The examples of a piece are the ``EXAMPLES`` members that come first by
    (not local, id) over the whole piece: a segment tree over the search order
    whose nodes hold the first keys of their run answers them in
    O(log n) per run, whatever the order of the search (so they are the same
    for any numbering of the same pieces, and a kept structure gives what a
    fresh one gives).

    Everything a gap shows is a function of the network, not of the search:
    the rest of a cut point is its largest piece (ties: the side holding the
    component's smallest id, then the piece holding its smallest neighbour),
    the other pieces in that order too; a bridge cuts off its smaller side
    (ties: the side without the smallest id).

    The structure is kept across writes that change no cut point, bridge or
    piece (:meth:`same_block`: a new link inside one block; :meth:`resort`
    orders the pieces at its ends again), and across a change of locality
    (:meth:`set_local`, then :meth:`refresh_counts`).
    """

    def __init__(self, chain: Chain, progress: Progress = None, *, previous: "_CutStructure | None" = None,
                 removed: Iterable[tuple[str, str]] = (), added: Iterable[tuple[str, str]] = (),
                 touched: Iterable[str] = ()):
        """``previous``: the structure of the same chain before SUPPLIES links ``removed`` and ``added``
        (pairs source, customer) and a change to the records ``touched``: its firms, links and locality keys
        are taken over (made only when a firm joins or leaves the network)."""
        progress = progress or noop_progress
        removed, added = list(removed), list(added)
        ends = {x for link in (*removed, *added) for x in link}
        if previous is not None and previous.chain is chain and previous._net is not None and all(
                x in previous.idx and (x in chain.sup_in or x in chain.sup_out) for x in ends):
            nodes, idx = previous.nodes, previous.idx
            N = len(nodes)
            # igraph's graph changed in place (it is the previous structure's no more), the link array in
            # step with it: igraph keeps the order of the edges it keeps and adds new ones last
            e, net = previous._links, previous._net
            previous._net = None
            if removed:
                gone = sorted(net.get_eid(idx[u], idx[v]) for u, v in removed)
                net.delete_edges(gone)
                e = np.delete(e, gone, axis=0)
            if added:
                pairs = [(idx[u], idx[v]) for u, v in added]
                net.add_edges(pairs)
                e = np.concatenate((e, np.asarray(pairs, dtype=np.int64)))
            key_idx = previous._key_idx.copy()
            self.made_from = "previous"
            for n in touched:
                i = idx.get(n)
                if i is not None:
                    key_idx[i] = (0 if chain.is_local(n) else N) + i
        else:
            nodes = sorted(set(chain.sup_in) | set(chain.sup_out))
            idx = {n: i for i, n in enumerate(nodes)}
            N = len(nodes)
            # one link per SUPPLIES edge: a pair that supplies each other is two links, so not a bridge
            links = []
            for c, lst in chain.sup_in.items():
                i = idx[c]
                links.extend([(idx[s], i) for s, _ in lst])
            e = np.asarray(links, dtype=np.int64).reshape(-1, 2)
            net = igraph.Graph(n=N, edges=links)
            key_idx = None
            self.made_from = "chain"
        self.chain, self.nodes, self.idx, self.n_links, self._links, self._net = chain, nodes, idx, len(e), e, net
        membership = np.asarray(igraph.GraphBase.connected_components(net), dtype=np.int64)
        roots = np.sort(np.unique(membership, return_index=True)[1]) if N else np.zeros(0, np.int64)
        comp_of_label = np.empty(len(roots), dtype=np.int64)
        comp_of_label[membership[roots]] = np.arange(len(roots))
        comp = comp_of_label[membership] if N else membership
        sizes = np.bincount(comp, minlength=len(roots))
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])) if len(roots) else sizes
        # one search over all components: a virtual root (N) linked to the root of each, taken in id order
        if N:
            rows = np.concatenate((e[:, 0], e[:, 1], np.full(len(roots), N)))
            cols = np.concatenate((e[:, 1], e[:, 0], roots))
            adj = csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(N + 1, N + 1))
            adj.sum_duplicates()
            adj.sort_indices()
            order_a, pred = depth_first_order(adj, N, directed=True, return_predecessors=True)
            order_a = order_a[1:]
            parent_a = pred[:N].astype(np.int64)
            parent_a[parent_a == N] = -1
        else:
            order_a = parent_a = np.zeros(0, np.int64)
        disc_a = np.empty(N, dtype=np.int64)
        disc_a[order_a] = np.arange(N)
        order, parent, disc = order_a.tolist(), parent_a.tolist(), disc_a.tolist()
        sub = [1] * N
        for i in reversed(order):
            p = parent[i]
            if p != -1:
                sub[p] += sub[i]
        # each block hangs below its first-visited firm (its top) through the top's one child in the search
        # tree inside it.  That child's subtree is a piece the top cuts off (unless the top is a root whose
        # only block this is).
        # igraph gives each block as the edges of a spanning tree of it: its firms are their ends
        trees, cut_points = igraph.GraphBase.biconnected_components(net, True)
        sep_children: dict[int, list[int]] = {}
        block_of = np.full(N, -1, dtype=np.int64)
        cut_blocks: dict[int, set] = {c: set() for c in cut_points}
        block_len: list[int] = []
        if trees:
            t_lens = np.fromiter(map(len, trees), dtype=np.int64, count=len(trees))
            t_edges = np.fromiter(itertools.chain.from_iterable(trees), dtype=np.int64, count=int(t_lens.sum()))
            t_bid = np.repeat(np.arange(len(trees)), t_lens)
            pairs = np.unique(np.concatenate((t_bid * N + e[t_edges, 0], t_bid * N + e[t_edges, 1])))
            bid, flat = pairs // N, pairs % N  # by block, then firm
            lens = np.bincount(bid, minlength=len(trees))
            block_len = lens.tolist()
            firsts = np.concatenate(([0], np.cumsum(lens)[:-1]))
            top = order_a[np.minimum.reduceat(disc_a[flat], firsts)]
            inside = parent_a[flat] == top[bid]  # the top's child in the block: exactly one per block
            for t, c in sorted(zip(top.tolist(), flat[inside].tolist()), key=lambda tc: disc[tc[1]]):
                sep_children.setdefault(t, []).append(c)
            block_of[flat] = bid
            is_cut = np.zeros(N, dtype=bool)
            is_cut[cut_points] = True
            on_cut = is_cut[flat]
            for v, b in zip(flat[on_cut].tolist(), bid[on_cut].tolist()):
                cut_blocks[v].add(b)
        bridges = []
        for eid in net.bridges():
            a, b = e[eid].tolist()
            bridges.append((a, b) if disc[a] < disc[b] else (b, a))
        progress(N, N, "supply network")
        self.disc, self.sub, self.parent, self.comp, self.order = disc, sub, parent, comp.tolist(), order
        self.comps = list(zip(starts.tolist(), sizes.tolist()))
        self.sep_children = sep_children
        self.cut_points, self.bridge_list = sorted(cut_points), bridges
        self.block_of, self.cut_blocks, self.block_len = block_of.tolist(), cut_blocks, block_len
        self.relocal(key_idx)

    # ------------------------------------------------------------------ localities: counts and examples
    def relocal(self, keys=None) -> None:
        """Count the local firms along the search order again, and the examples' keys (after localities
        changed; the network did not). ``keys``: firm index -> key (not local, index), when known."""
        N, nodes, is_local = len(self.nodes), self.nodes, self.chain.is_local
        if keys is None:
            keys = np.fromiter(((0 if is_local(n) else N) + i for i, n in enumerate(nodes)), dtype=np.int64,
                               count=N)
        self._key_idx = keys
        self._keypos = keys[np.asarray(self.order, dtype=np.int64)] if N else keys
        self._keys = self._keypos.tolist()
        # segment tree over the search order: node k holds the first EXAMPLES keys of its run, sorted
        P = 1 << max(0, (N - 1).bit_length())
        tree = np.full((2 * P, EXAMPLES), 2 * N, dtype=np.int64)
        tree[P:P + N, 0] = self._keypos
        h = P // 2
        while h >= 1:
            tree[h:2 * h] = np.sort(tree[2 * h:4 * h].reshape(h, 2 * EXAMPLES), axis=1)[:, :EXAMPLES]
            h //= 2
        self._P, self._tree = P, tree
        self.refresh_counts()

    def set_local(self, n: str) -> int | None:
        """Take a firm's locality as it is now; its position in the search order if that changed anything
        (then :meth:`refresh_counts` before counting)."""
        i = self.idx.get(n)
        if i is None:
            return None
        N = len(self.nodes)
        key = (0 if self.chain.is_local(n) else N) + i
        pos = self.disc[i]
        if self._keys[pos] == key:
            return None
        self._keys[pos] = key
        self._keypos[pos] = key
        self._key_idx[i] = key
        tree, k = self._tree, self._P + pos
        tree[k, 0] = key
        k >>= 1
        while k:
            tree[k] = np.sort(tree[2 * k:2 * k + 2].ravel())[:EXAMPLES]
            k >>= 1
        return pos

    def refresh_counts(self) -> None:
        N = len(self.nodes)
        self.prefix = np.concatenate(([0], np.cumsum(self._keypos < N))).tolist()

    def _top(self, ranges, limit: int = EXAMPLES) -> list[str]:
        """The ``limit`` firms of some runs of the search order that come first by (not local, id)."""
        total = sum(b - a for a, b in ranges)
        if total <= 4 * EXAMPLES:
            got = [k for a, b in ranges for k in self._keys[a:b]]
            got.sort()
        else:
            ids = []
            P = self._P
            for a, b in ranges:
                lo, hi = a + P, b + P
                while lo < hi:
                    if lo & 1:
                        ids.append(lo)
                        lo += 1
                    if hi & 1:
                        hi -= 1
                        ids.append(hi)
                    lo >>= 1
                    hi >>= 1
            got = np.sort(self._tree[ids].ravel())[:limit].tolist()
        N = len(self.nodes)
        return [self.nodes[k % N] for k in got[:limit] if k < 2 * N]

    def _local_range(self, a: int, b: int) -> int:
        return self.prefix[b] - self.prefix[a]

    def _comp_local(self, v: int) -> int:
        start, size = self.comps[self.comp[v]]
        return self._local_range(start, start + size)

    # ------------------------------------------------------------------ kept across a write
    def blocks_of(self, n: str) -> set[int]:
        i = self.idx.get(n)
        if i is None:
            return set()
        return self.cut_blocks.get(i) or {self.block_of[i]}

    def same_block(self, x: str, y: str) -> bool:
        """Whether a new link x–y leaves every cut point, bridge and piece as it is: both ends in one block
        of three firms or more (a link added to a block of two, a bridge or a pair that supplies each other,
        can make a bridge a non-bridge)."""
        return any(self.block_len[b] >= 3 for b in self.blocks_of(x) & self.blocks_of(y))

    def add_links(self, links: list[tuple[str, str]]) -> None:
        """Take new links inside blocks into the link list (the structure stands: see :meth:`same_block`)."""
        if links:
            pairs = [(self.idx[u], self.idx[v]) for u, v in links]
            self._net.add_edges(pairs)
            self._links = np.concatenate((self._links, np.asarray(pairs, dtype=np.int64)))
            self.n_links = len(self._links)

    def resort(self, n: str) -> None:
        """Order the pieces below a cut point as a fresh search would: by the first neighbour the cut point
        has in each (after a new link at it; the pieces themselves did not change)."""
        v = self.idx.get(n)
        seps = self.sep_children.get(v) if v is not None else None
        if not seps or len(seps) < 2:
            return
        chain, idx, disc = self.chain, self.idx, self.disc
        starts = sorted((disc[c], c) for c in seps)
        first: dict[int, int] = {}
        for w, _ in (*chain.sup_in.get(n, ()), *chain.sup_out.get(n, ())):
            j = idx[w]
            k = bisect.bisect_right(starts, (disc[j], len(self.nodes))) - 1
            if k >= 0:
                a, c = starts[k]
                if disc[j] < a + self.sub[c] and j < first.get(c, j + 1):
                    first[c] = j
        seps.sort(key=first.__getitem__)

    # ------------------------------------------------------------------ cut points and bridges
    def cut_point(self, v: int) -> dict:
        """One cut point with the pieces its removal leaves, the largest one first ("the rest")."""
        seps = self.sep_children[v]
        disc, sub, prefix = self.disc, self.sub, self.prefix
        is_root = self.parent[v] == -1
        start, size = self.comps[self.comp[v]]
        pieces = []
        total = local = 0
        for c in seps:
            a = disc[c]
            b = a + sub[c]
            n_local = prefix[b] - prefix[a]
            total += sub[c]
            local += n_local
            pieces.append({"size": sub[c], "local": n_local, "ranges": [(a, b)], "parent_side": False})
        if not is_root:
            plocal = (prefix[start + size] - prefix[start] - (prefix[disc[v] + 1] - prefix[disc[v]]) - local)
            pieces.append({"size": size - 1 - total, "local": plocal, "ranges": None, "parent_side": True})
        # the rest = the largest piece (ties: the side towards the search root, then the earlier subtree)
        rest_i = max(range(len(pieces)), key=lambda i: (pieces[i]["size"], pieces[i]["parent_side"], -i))
        rest = pieces[rest_i]
        cut = pieces[:rest_i] + pieces[rest_i + 1:]
        if not is_root and not rest["parent_side"]:  # the side towards the root is cut off: its runs
            dv = disc[v]
            skip = sorted([(dv, dv + 1)] + [p["ranges"][0] for p in pieces if not p["parent_side"]])
            runs, at = [], start
            for a, b in skip:
                if at < a:
                    runs.append((at, a))
                at = max(at, b)
            if at < start + size:
                runs.append((at, start + size))
            pieces[-1]["ranges"] = runs
        whole_size = total + (size - 1 - total if not is_root else 0)
        whole_local = local + (pieces[-1]["local"] if not is_root else 0)
        return {"node": self.nodes[v], "v": v, "pieces": pieces, "rest": rest, "cut": cut,
                "cut_total": whole_size - rest["size"], "cut_local": whole_local - rest["local"]}

    def articulation_points(self) -> list[dict]:
        """Each cut point (:meth:`cut_point`), by id."""
        return [self.cut_point(v) for v in self.cut_points]  # indices are in id order

    def bridge(self, p: int, c: int) -> dict:
        start, size = self.comps[self.comp[p]]
        a = self.disc[c]
        child_size, child_local = self.sub[c], self._local_range(a, a + self.sub[c])
        other_size, other_local = size - child_size, self._comp_local(p) - child_local
        if child_size <= other_size:
            cut = {"size": child_size, "local": child_local, "ranges": [(a, a + child_size)], "side": c}
        else:
            runs = [r for r in ((start, a), (a + child_size, start + size)) if r[0] < r[1]]
            cut = {"size": other_size, "local": other_local, "ranges": runs, "side": p}
        return {"ends": (self.nodes[p], self.nodes[c]), "p": p, "c": c, "cut": cut, "rest_size": size - cut["size"]}

    def bridges(self, min_side: int = 0) -> list[dict]:
        """Each bridge (:meth:`bridge`) whose smaller side holds at least ``min_side`` firms, by its ends."""
        sub, comp, comps = self.sub, self.comp, self.comps
        out = [self.bridge(p, c) for p, c in self.bridge_list
               if min(sub[c], comps[comp[c]][1] - sub[c]) >= min_side]
        out.sort(key=lambda x: tuple(sorted(x["ends"])))
        return out

    def piece_members(self, piece: dict, v: int | None = None, limit: int = EXAMPLES) -> list[str]:
        """The ``limit`` members of a piece that come first by (not local, id)."""
        return self._top(piece["ranges"], limit)

    def cut_point_examples(self, a: dict) -> list[str]:
        """The examples of a cut point's gap: its cut-off pieces, largest first, each by (not local, id)."""
        examples: list[str] = []
        for p in sorted(a["cut"], key=lambda p: -p["size"]):
            examples.extend(self.piece_members(p, a["v"]))
            if len(examples) >= EXAMPLES:
                break
        return examples[:EXAMPLES]


def supply_cut_structure(G) -> dict:
    """Cut points (articulation points) and bridges of the undirected supply network, exactly.

    Returns
    -------
    dict
        ``{"cut_points": [{"id", "cut_off", "cut_off_local", "pieces": [size, ...]}],
        "bridges": [{"ends": [a, b], "cut_off", "cut_off_local"}], "nodes", "links"}``,
        sorted by id.  ``cut_off`` counts the firms separated from the largest
        remaining piece.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abc"],
    ...     [{"type": "SUPPLIES", "source": "a", "target": "b"}, {"type": "SUPPLIES", "source": "b", "target": "c"}])
    >>> s = supply_cut_structure(G)
    >>> [c["id"] for c in s["cut_points"]], [b["ends"] for b in s["bridges"]]
    (['b'], [['a', 'b'], ['b', 'c']])
    """
    cs = _CutStructure(Chain(G))
    return {
        "nodes": len(cs.nodes),
        "links": cs.n_links,
        "cut_points": [{"id": a["node"], "cut_off": a["cut_total"], "cut_off_local": a["cut_local"],
                        "pieces": sorted((p["size"] for p in a["pieces"]), reverse=True)}
                       for a in cs.articulation_points()],
        "bridges": [{"ends": sorted(b["ends"]), "cut_off": b["cut"]["size"], "cut_off_local": b["cut"]["local"]}
                    for b in cs.bridges()],
    }


def _cut_point_gaps(chain: Chain, cs: _CutStructure, min_cut_off: int = 1) -> list[dict]:
    gaps = [g for g in (_cut_point_gap(chain, cs, a, min_cut_off) for a in cs.articulation_points()) if g is not None]
    gaps.sort(key=gap_sort_key)
    return gaps


def _cut_point_gap(chain: Chain, cs: _CutStructure, a: dict, min_cut_off: int = 1,
                   examples: list[str] | None = None) -> dict | None:
    """The gap of one cut point (an entry of ``cs.articulation_points()``), or None (``examples``: its
    :meth:`_CutStructure.cut_point_examples` when already known)."""
    if a["cut_total"] < min_cut_off:
        return None
    n = a["node"]
    name = chain.name(n)
    if examples is None:
        examples = cs.cut_point_examples(a)
    k, loc = a["cut_total"], a["cut_local"]
    customers = [x for x, _ in chain.sup_out.get(n, ())]
    suppliers = [x for x, _ in chain.sup_in.get(n, ())]
    facts = [fact("fact.cut_point.cuts_off", examples, n=k, local=loc, pieces=len(a["cut"]),
                  examples=names(chain, examples)),
             fact("fact.cut_point.neighbours", customers[:20] + suppliers[:20], customers=len(customers),
                  suppliers=len(suppliers)),
             fact("fact.cut_point.rest", [], n=a["rest"]["size"])]
    return make_gap(
        gid=f"cut_point:{n}", category="cut_point", kind="articulation_point",
        severity=_cut_severity(loc, k), subjects=[chain.ref(n)],
        title=message("gap.cut_point.articulation_point.title", name=name),
        reason=message("gap.cut_point.articulation_point.reason", name=name, locality=locality(chain.locality(n)),
                       n=k, local=loc, examples=names(chain, examples, 3)),
        facts=facts, impact=k * 10 + loc,
        wanted={"segments": list(chain.ent_segs.get(n, ())), "product": None, "exclude": [n]},
        cut_off=k, cut_off_local=loc, cut_off_examples=examples)


def _bridge_gaps(chain: Chain, cs: _CutStructure, min_side: int = 2) -> list[dict]:
    gaps = [g for g in (_bridge_gap(chain, cs, b, min_side) for b in cs.bridges()) if g is not None]
    gaps.sort(key=gap_sort_key)
    return gaps


def _bridge_gap(chain: Chain, cs: _CutStructure, b: dict, min_side: int = 2,
                examples: list[str] | None = None) -> dict | None:
    """The gap of one bridge (an entry of ``cs.bridges()``), or None (``examples``: those of its cut-off
    side when already known)."""
    G = chain.G
    cut = b["cut"]
    if cut["size"] < min_side:
        return None
    x, y = b["ends"]
    if G.has_edge(x, y, "SUPPLIES"):
        sup, cus = x, y
    else:
        sup, cus = y, x
    d = G.edges[sup, cus, "SUPPLIES"]
    product = d.get("product")
    if examples is None:
        examples = cs.piece_members(cut)
    k, loc = cut["size"], cut["local"]
    sn, cn = chain.name(sup), chain.name(cus)
    what = message("gap.part.product", product=product) if product else ""
    return make_gap(
        gid=f"bridge:{d.get('id')}", category="bridge", kind="bridge",
        severity=_cut_severity(loc, k), subjects=[chain.ref(sup), chain.ref(cus)],
        title=message("gap.bridge.bridge.title", supplier=sn, customer=cn),
        reason=message("gap.bridge.bridge.reason", supplier=sn, customer=cn, what=what, n=k, local=loc,
                       examples=names(chain, examples, 3)),
        facts=[fact("fact.bridge.cut_side", examples, n=k, local=loc, examples=names(chain, examples)),
               fact("fact.bridge.other_side", [], n=b["rest_size"])],
        sources=clean_sources(d.get("sources")), impact=k * 10 + loc,
        wanted={"segments": list(chain.ent_segs.get(sup, ())), "product": product, "exclude": [sup, cus]},
        relation_id=d.get("id"), cut_off=k, cut_off_local=loc, cut_off_examples=examples)


def cut_point_gaps(G, *, min_cut_off: int = 1) -> list[dict]:
    """Firms whose exit would cut part of the supply network off (articulation points), exact.

    Severity from what is cut off: ``high`` when >= 5 local firms or >= 20
    firms, ``medium`` when >= 2 local or >= 5 firms, else ``low``.  The
    pieces are counted against the largest piece that remains.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x, "locality": "cluster"} for x in "abc"],
    ...     [{"type": "SUPPLIES", "source": "a", "target": "b"}, {"type": "SUPPLIES", "source": "b", "target": "c"}])
    >>> [(g["id"], g["cut_off"], g["cut_off_examples"]) for g in cut_point_gaps(G)]
    [('cut_point:b', 1, ['c'])]
    """
    chain = Chain(G)
    return _cut_point_gaps(chain, _CutStructure(chain), min_cut_off)


def bridge_gaps(G, *, min_side: int = 2) -> list[dict]:
    """Supply links that are the only connection between two parts of the network (bridges), exact.

    Only bridges whose smaller side holds at least ``min_side`` firms are
    reported: a bridge to a single firm is that firm's single-supplier (or
    single-customer) link and is reported as a dependence gap instead.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abcd"],
    ...     [{"type": "SUPPLIES", "source": s, "target": t} for s, t in ("ab", "bc", "cd")])
    >>> [g["id"] for g in bridge_gaps(G)]
    ['bridge:b>SUPPLIES>c']
    """
    chain = Chain(G)
    return _bridge_gaps(chain, _CutStructure(chain), min_side)


# --- what if this firm leaves ----------------------------------------------------------------
def _pieces_cut_off(G, firm: str, starts: list[str]) -> list[list[str]]:
    """The pieces of the undirected supply network that lose touch with its largest part once ``firm`` is gone.

    The connected components (igraph) of the supply network without
    ``firm`` that hold one of its neighbours ``starts``; the largest of them
    (ties: the one with the first id) is the rest.  Returns the others, each
    sorted, largest first, ties by first id.
    """
    links = [(u, v) for u, v, t in G.edges(keys=True) if t == "SUPPLIES" and u != v and firm != u and firm != v]
    ids = sorted({x for link in links for x in link})
    idx = {x: i for i, x in enumerate(ids)}
    net = igraph.Graph(n=len(ids), edges=[(idx[u], idx[v]) for u, v in links])
    membership = net.connected_components().membership
    touched = {membership[idx[s]] for s in starts if s in idx}
    members: dict[int, list[str]] = {c: [] for c in touched}
    for i, c in enumerate(membership):
        if c in members:
            members[c].append(ids[i])
    pieces = list(members.values()) + [[s] for s in starts if s not in idx]  # a neighbour linked to firm only
    pieces.sort(key=lambda p: (-len(p), p[0]))
    return pieces[1:]


def departure_impact(G, firm: str) -> dict:
    """Who is affected if an enterprise leaves (closes, moves away or stops supplying).

    Returns
    -------
    dict
        ``firm``; ``loses_only_supplier`` (customers left with no supplier);
        ``loses_only_source`` (customers left without a source for a named
        product, with the products); ``loses_a_supplier`` (other customers);
        ``cascade`` (firms further downstream whose every supplier is gone,
        with the step at which they fall); ``loses_only_customer`` (suppliers
        left without a customer); ``cut_off`` (firms separated from the
        largest remaining part of the supply network, by piece);
        ``segments_emptied`` (segments where it is the only local
        enterprise); ``chain_leader_of``; ``runs`` and ``partners``; and a
        ``summary`` (a message of those counts).  All lists are sorted by id.

    Raises
    ------
    EntityNotFound
        If ``firm`` is not an enterprise of ``G``.

    Examples
    --------
    >>> from graph import build_graph
    >>> G = build_graph([{"id": x, "kind": "enterprise", "name": x} for x in "abcd"],
    ...     [{"type": "SUPPLIES", "source": s, "target": t} for s, t in ("ab", "bc", "cd")])
    >>> r = departure_impact(G, "b")
    >>> [x["id"] for x in r["loses_only_supplier"]], [(x["id"], x["step"]) for x in r["cascade"]]
    (['c'], [('d', 2)])
    >>> [[x["id"] for x in piece] for piece in r["cut_off"]]
    [['a']]
    """
    chain = LocalChain(G)
    chain.require(firm, "enterprise")
    ref = chain.firm_ref
    customers = [c for c, _ in chain.sup_out.get(firm, ())]
    only_supplier, only_source, a_supplier = [], [], []
    for c in customers:
        ins = chain.sup_in[c]
        others = {s for s, _ in ins if s != firm}
        if not others:
            only_supplier.append(ref(c))
            continue
        mine = sorted({(d.get("product") or "").strip() for s, d in ins if s == firm} - {""})
        theirs = {(d.get("product") or "").strip() for s, d in ins if s != firm}
        lost = [p for p in mine if p not in theirs]
        if lost:
            only_source.append(dict(ref(c), products=lost))
        else:
            a_supplier.append(ref(c))
    # cascade: a firm falls when every one of its suppliers has fallen
    fallen = {firm: 0}
    queue = deque([firm])
    while queue:
        x = queue.popleft()
        for c, _ in chain.sup_out.get(x, ()):
            if c in fallen:
                continue
            if all(s in fallen for s, _ in chain.sup_in[c]):
                fallen[c] = fallen[x] + 1
                queue.append(c)
    cascade = [dict(ref(n), step=s) for n, s in sorted(fallen.items(), key=lambda x: (x[1], x[0])) if s >= 2]
    suppliers = [s for s, _ in chain.sup_in.get(firm, ())]
    only_customer = [ref(s) for s in suppliers if {c for c, _ in chain.sup_out[s]} == {firm}]
    starts = sorted(set(customers) | set(suppliers))
    cut_off_ids = _pieces_cut_off(G, firm, starts)
    cut_off = [[ref(n) for n in p] for p in cut_off_ids]
    def only_local_firm(seg):
        for x in chain.seg_subtree.get(seg, [seg]):
            for m in chain.direct.get(x, ()):
                if m != firm and chain.kind(m) == "enterprise" and chain.loc[m] == "cluster":
                    return False
        return True

    segments_emptied = [chain.ref(s) for s in chain.segments_with_ancestors(firm)
                        if chain.is_local(firm) and only_local_firm(s)]
    leader_of = [chain.ref(s) for s in chain.seg_order if firm in chain.leaders.get(s, ())]
    runs = [dict(chain.ref(o), relation=t) for o, t, _ in chain.partners.get(firm, ())
            if t in ("RUNS", "CO_FOUNDED") and G.has_edge(firm, o, t)]
    partners = [dict(chain.ref(o), relation=t) for o, t in
                sorted({(o, t) for o, t, _ in chain.partners.get(firm, ()) if t == "RESEARCH_PARTNER"})]
    n_cut = sum(len(p) for p in cut_off)
    summary = message("analysis.departure.summary", firm=chain.name(firm), only_supplier=len(only_supplier),
                      only_source=len(only_source), cascade=len(cascade), cut_off=n_cut,
                      segments=len(segments_emptied))
    return {
        "firm": ref(firm),
        "loses_only_supplier": only_supplier,
        "loses_only_source": only_source,
        "loses_a_supplier": a_supplier,
        "cascade": cascade,
        "loses_only_customer": only_customer,
        "cut_off": cut_off,
        "segments_emptied": segments_emptied,
        "chain_leader_of": leader_of,
        "runs": runs,
        "partners": partners,
        "summary": summary,
    }
