"""One pass over the graph into the look-up tables every analysis needs.

Internal: public functions build a ``Chain`` from the graph they are given;
``gap_report`` builds it once and hands it to each analysis, so the full
report walks the edges a single time.  Nothing here depends on insertion
order: every list is sorted by id (or by position, id for segments).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any, Iterable

from registry.messages import message
from registry.model import LEAD_ROLES, LOCAL, OUTSIDE_SET

from .errors import EntityNotFound

# "in the cluster" and "outside" have one definition, in registry.model
OUTSIDE = OUTSIDE_SET
# organisation-to-organisation links that make two entities partners
PARTNER_TYPES = ("RESEARCH_PARTNER", "CO_FOUNDED", "MEMBER_OF", "RUNS", "OWNED_BY", "REORGANISES")
SEVERITIES = ("high", "medium", "low")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
SOURCE_KEYS = ("doc", "section", "quote", "basis", "note", "by", "at")


def _first_two(x):
    return (x[0], x[1])


def noop_progress(done: int, total: int, label: str) -> None:
    return None


class Chain:
    """Look-up tables over one graph (read-only; built in one pass over the edges)."""

    def __init__(self, G):
        self.G = G
        # one plain dict of node attributes (a copy of the references, cheap) and one pass over
        # G.edges(keys=True, data=True): the cheapest public routes, about 0.05 s slower at 450k edges
        # than reading networkx's internal dicts
        node = self.node = dict(G.nodes(data=True))
        by_kind: dict[str, list[str]] = defaultdict(list)
        loc: dict[str, str] = {}
        for n, d in node.items():
            by_kind[d.get("kind")].append(n)
            loc[n] = d.get("locality") or "unknown"
        for ids in by_kind.values():
            ids.sort()
        self.by_kind = dict(by_kind)
        self.loc = loc

        parent: dict[str, list[str]] = defaultdict(list)
        children: dict[str, list[str]] = defaultdict(list)
        direct: dict[str, list[str]] = defaultdict(list)
        ent_segs: dict[str, list[str]] = defaultdict(list)
        feeds: list[tuple[str, str, dict]] = []
        leaders: dict[str, list[str]] = defaultdict(list)
        sup_in: dict[str, list[tuple[str, dict]]] = defaultdict(list)
        sup_out: dict[str, list[tuple[str, dict]]] = defaultdict(list)
        about: dict[str, list[str]] = defaultdict(list)
        about_rev: dict[str, list[str]] = defaultdict(list)
        responsible: dict[str, list[str]] = defaultdict(list)
        located: dict[str, list[str]] = defaultdict(list)
        partners: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
        implied: list[dict] = []
        n_edges = 0
        for u, v, t, d in G.edges(keys=True, data=True):
            n_edges += 1
            if d.get("basis") == "implied":
                implied.append(d)
            if t == "SUPPLIES":
                if u != v:
                    sup_in[v].append((u, d))
                    sup_out[u].append((v, d))
            elif t == "IN_SEGMENT":
                direct[v].append(u)
                ent_segs[u].append(v)
            elif t == "PART_OF":
                parent[u].append(v)
                children[v].append(u)
            elif t == "FEEDS":
                feeds.append((u, v, d))
            elif t == "CHAIN_LEADER":
                leaders[v].append(u)
            elif t == "ABOUT":
                about[u].append(v)
                about_rev[v].append(u)
            elif t == "RESPONSIBLE_FOR":
                responsible[v].append(u)
            elif t == "LOCATED_IN":
                located[u].append(v)
            elif t in PARTNER_TYPES:
                partners[u].append((v, t, d))
                partners[v].append((u, t, d))
        self.n_edges = n_edges
        for table in (direct, ent_segs, leaders, about, about_rev, responsible, located):
            for lst in table.values():
                if len(lst) > 1:
                    lst.sort()
        # (other end, edge) pairs: one SUPPLIES edge per ordered pair, so the ends never tie and
        # plain tuple order never reaches the dicts
        for table in (sup_in, sup_out):
            for lst in table.values():
                if len(lst) > 1:
                    lst.sort()
        for lst in partners.values():
            if len(lst) > 1:
                lst.sort(key=_first_two)
        feeds.sort(key=_first_two)
        implied.sort(key=lambda d: d.get("id", ""))
        # plain dicts from here on: a look-up of a missing key must not add it
        self.direct, self.ent_segs, self.feeds, self.leaders = dict(direct), dict(ent_segs), feeds, dict(leaders)
        self.sup_in, self.sup_out = dict(sup_in), dict(sup_out)
        self.about, self.about_rev = dict(about), dict(about_rev)
        self.responsible, self.located, self.partners, self.implied = dict(responsible), dict(located), \
            dict(partners), implied
        lead = set()
        for n in by_kind.get("enterprise", ()):
            roles = node[n].get("roles")
            if roles and any(r in LEAD_ROLES for r in roles):
                lead.add(n)
        self.lead = lead

        self._segment_tree(parent, children, feeds)

    def _segment_tree(self, parent: dict, children: dict, feeds: list) -> None:
        node = self.node
        segs = self.by_kind.get("segment", [])
        pos = {s: (node[s].get("position") or 0, s) for s in segs}
        self.seg_parents = {s: sorted(p) for s, p in parent.items()}
        self.seg_parent = {s: p[0] for s, p in self.seg_parents.items()}
        self.seg_children = {s: sorted(children.get(s, ()), key=pos.__getitem__) for s in segs}
        # tree order: roots by (position, id), children depth-first; a PART_OF cycle cannot loop forever
        order: list[str] = []
        depth: dict[str, int] = {}
        roots = sorted((s for s in segs if s not in self.seg_parent), key=pos.__getitem__)
        leftovers = sorted(segs, key=pos.__getitem__)
        for root in roots + leftovers:
            if root in depth:
                continue
            stack = [(root, self._depth_hint(root, depth))]
            while stack:
                s, dep = stack.pop()
                if s in depth:
                    continue
                depth[s] = dep
                order.append(s)
                for c in reversed(self.seg_children[s]):
                    if c not in depth:
                        stack.append((c, dep + 1))
        self.seg_order, self.seg_depth = order, depth
        subtree: dict[str, list[str]] = {}
        for s in order:  # segments are few: a walk per segment is cheap and copes with several parents
            seen, have, stack = [], set(), [s]
            while stack:
                x = stack.pop()
                if x in have:
                    continue
                have.add(x)
                seen.append(x)
                stack.extend(reversed(self.seg_children.get(x, ())))
            subtree[s] = seen
        self.seg_subtree = subtree
        self.feeds_in: dict[str, list[str]] = defaultdict(list)
        self.feeds_out: dict[str, list[str]] = defaultdict(list)
        for u, v, _ in feeds:
            self.feeds_in[v].append(u)
            self.feeds_out[u].append(v)
        self._members: dict[str, dict[str, list[str]]] = {}
        self._local: dict[str, list[str]] = {}  # local firms per segment (members in the cluster)

    def _depth_hint(self, s, depth):
        p = self.seg_parent.get(s)
        return depth[p] + 1 if p in depth else 0

    # --- look-ups -------------------------------------------------------
    def require(self, n: str, kind: str | Iterable[str] | None = None) -> dict:
        return require_node(self.G, n, kind)

    def name(self, n: str) -> str:
        d = self.node.get(n)
        return (d.get("name") or n) if d else n

    def kind(self, n: str) -> str | None:
        d = self.node.get(n)
        return d.get("kind") if d else None

    def locality(self, n: str) -> str:
        return self.loc[n]

    def is_local(self, n: str) -> bool:
        return self.loc[n] == LOCAL

    def is_outside(self, n: str) -> bool:
        return self.loc[n] in OUTSIDE

    def roles(self, n: str) -> list[str]:
        return list(self.node[n].get("roles") or ())

    def degree(self, n: str) -> int:
        """Number of relations at ``n``, both directions."""
        return self.G.degree(n)

    def ref(self, n: str) -> dict:
        d = self.node.get(n) or {}
        return {"id": n, "name": d.get("name") or n, "kind": d.get("kind")}

    def firm_ref(self, n: str) -> dict:
        d = self.node[n]
        loc = d.get("locality") or "unknown"
        return {"id": n, "name": d.get("name") or n, "kind": d.get("kind"), "locality": loc,
                "roles": list(d.get("roles") or ())}

    def members(self, seg: str) -> dict[str, list[str]]:
        """Members of a segment and its sub-segments, by kind, each list sorted by id."""
        got = self._members.get(seg)
        if got is None:
            ids: set[str] = set()
            for s in self.seg_subtree.get(seg, [seg]):
                ids.update(self.direct.get(s, ()))
            got: dict[str, list[str]] = {}
            node = self.node
            for n in sorted(ids):
                got.setdefault(node[n].get("kind"), []).append(n)
            self._members[seg] = got
        return got

    def local_firms(self, seg: str) -> list[str]:
        got = self._local.get(seg)
        if got is None:
            loc = self.loc
            got = self._local[seg] = [n for n in self.members(seg).get("enterprise", ()) if loc[n] == LOCAL]
        return list(got)

    def segments_with_ancestors(self, n: str) -> list[str]:
        """The segments an entity is in, and every segment above them, in chain order."""
        seen: set[str] = set()
        stack = list(self.ent_segs.get(n, ()))
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(self.seg_parents.get(s, ()))
        return [s for s in self.seg_order if s in seen]

    def has_lead_role(self, n: str) -> bool:
        return n in self.lead


class _PerNode(dict):
    """A table filled on first look-up of each key (``get`` and ``[]`` both compute)."""

    def __init__(self, compute):
        super().__init__()
        self._compute = compute

    def __missing__(self, n):
        v = self[n] = self._compute(n)
        return v

    def get(self, n, default=None):
        v = self[n]
        return v if v else default


class _Locality(dict):
    def __init__(self, node):
        super().__init__()
        self.attrs = node

    def __missing__(self, n):
        v = self[n] = self.attrs[n].get("locality") or "unknown"
        return v


class _Leads:
    def __init__(self, node):
        self.attrs = node

    def __contains__(self, n):
        roles = self.attrs[n].get("roles") if n in self.attrs else None
        return bool(roles) and any(r in LEAD_ROLES for r in roles)


class LocalChain(Chain):
    """The same look-ups as :class:`Chain`, computed per node on demand.

    For questions about one entity or one gap (what if this firm leaves,
    candidates for a gap) on a large graph: only the segments are indexed up
    front; suppliers, customers, partners and memberships are read from the
    graph for the nodes the question touches.
    """

    def __init__(self, G):  # noqa: D107 - deliberately does not make the full pass of Chain
        self.G = G
        node = self.node = dict(G.nodes(data=True))
        succ, pred = G.succ, G.pred
        by_kind: dict[str, list[str]] = defaultdict(list)
        for n, d in node.items():
            by_kind[d.get("kind")].append(n)
        for ids in by_kind.values():
            ids.sort()
        self.by_kind = dict(by_kind)
        self.loc = _Locality(node)
        self.lead = _Leads(node)

        def ends(adj, key):
            return lambda n: sorted(m for m, keyed in adj[n].items() if key in keyed)

        def supplies(adj):
            return lambda n: sorted((m, keyed["SUPPLIES"]) for m, keyed in adj[n].items()
                                    if "SUPPLIES" in keyed and m != n)

        def partners(n):
            out = [(m, t, d) for adj in (succ, pred) for m, keyed in adj[n].items() for t, d in keyed.items()
                   if t in PARTNER_TYPES]
            out.sort(key=_first_two)
            return out

        self.sup_in, self.sup_out = _PerNode(supplies(pred)), _PerNode(supplies(succ))
        self.partners = _PerNode(partners)
        self.ent_segs, self.direct = _PerNode(ends(succ, "IN_SEGMENT")), _PerNode(ends(pred, "IN_SEGMENT"))
        self.leaders, self.located = _PerNode(ends(pred, "CHAIN_LEADER")), _PerNode(ends(succ, "LOCATED_IN"))
        self.about, self.about_rev = _PerNode(ends(succ, "ABOUT")), _PerNode(ends(pred, "ABOUT"))
        self.responsible = _PerNode(ends(pred, "RESPONSIBLE_FOR"))
        parent, children, feeds = _segment_links(succ, self.by_kind.get("segment", ()))
        self.feeds = feeds
        self._segment_tree(parent, children, feeds)


def _segment_links(succ, segments: Iterable[str]) -> tuple[dict, dict, list]:
    """The segment tree's PART_OF links (parent and children lists) and the FEEDS relations, sorted, read
    from the graph's successor table for ``segments``."""
    parent: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    feeds: list[tuple[str, str, dict]] = []
    for s in segments:
        for m, keyed in succ[s].items():
            if "PART_OF" in keyed:
                parent[s].append(m)
                children[m].append(s)
            if "FEEDS" in keyed:
                feeds.append((s, m, keyed["FEEDS"]))
    feeds.sort(key=_first_two)
    return parent, children, feeds


def require_node(G, n: str, kind: str | Iterable[str] | None = None) -> dict:
    """The attributes of node ``n``; raise EntityNotFound when it is missing or of another kind."""
    if n not in G:
        raise EntityNotFound(message("err.graph.no_entity", id=n))
    d = G.nodes[n]
    if kind is not None:
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        if d.get("kind") not in kinds:
            raise EntityNotFound(message("err.graph.wrong_kind", id=n, kind=d.get("kind"), wanted="/".join(kinds)))
    return d


def clean_sources(sources: Iterable[dict] | None) -> list[dict]:
    """Sources reduced to their citation fields (doc, section, quote, basis, note, by, at)."""
    out = []
    for s in sources or ():
        if not isinstance(s, dict):
            s = getattr(s, "model_dump", lambda: {})()
        out.append({k: s.get(k) for k in SOURCE_KEYS if s.get(k) is not None})
    return out


def fact(msgid: str, ids: Iterable[str] = (), /, **params: Any) -> dict:
    """One plain fact behind a gap: a message (id and parameters) with the ids it is about."""
    return dict(message(msgid, **params), ids=list(ids))


def make_gap(*, gid: str, category: str, kind: str, severity: str, subjects: list[dict], title: dict,
             reason: dict, facts: list[dict], sources: list[dict] | None = None, impact: int = 0,
             wanted: dict | None = None, **extra: Any) -> dict:
    """A gap as plain data; every category shares these keys (``title`` and ``reason`` are messages)."""
    gap = {
        "id": gid,
        "category": category,
        "kind": kind,
        "severity": severity,
        "subject_ids": [s["id"] for s in subjects],
        "subjects": subjects,
        "title": title,
        "reason": reason,
        "facts": facts,
        "sources": sources or [],
        "impact": impact,
        "wanted": wanted or {"segments": [], "product": None, "exclude": []},
    }
    gap.update(extra)
    return gap


def gap_sort_key(g: dict) -> tuple:
    return (SEVERITY_RANK[g["severity"]], -g.get("impact", 0), g["id"])


def names(chain: Chain, ids: Iterable[str], limit: int = 5) -> dict:
    """The names of the first ``limit`` entities and how many there are: a list parameter of a message
    (shown as "甲、乙 等7家" / "甲, 乙 and 5 more")."""
    ids = list(ids)
    return {"list": [chain.name(i) for i in ids[:limit]], "total": len(ids)}


def locality(code: str) -> dict:
    """A locality as it reads inside a sentence (a label parameter of a message)."""
    return {"label": "inline.locality", "code": code}


def role_labels(roles: Iterable[str]) -> list[dict]:
    """Role codes as label parameters (joined in the language's way when rendered)."""
    return [{"label": "role", "code": r} for r in roles]


# ---------------------------------------------------------------- keeping a Chain up to date
def _first(x):
    return x[0]


def _sorted_add(table: dict, key: str, item, sort_key=None) -> None:
    lst = table.get(key)
    if lst is None:
        table[key] = [item]
    else:
        bisect.insort(lst, item, key=sort_key)


def _sorted_remove(table: dict, key: str, item, sort_key=None, same=None) -> None:
    """Remove ``item`` from the sorted list ``table[key]`` (dropping the key when it empties); ``same``
    tells the entry to remove among entries of equal sort key (default: equality)."""
    lst = table.get(key)
    if not lst:
        return
    k = sort_key(item) if sort_key else item
    i = bisect.bisect_left(lst, k, key=sort_key)
    while i < len(lst) and (sort_key(lst[i]) if sort_key else lst[i]) == k:
        if (same or (lambda a, b: a == b))(lst[i], item):
            del lst[i]
            break
        i += 1
    if not lst:
        del table[key]


def _same_edge(a, b) -> bool:
    return a[0] == b[0] and a[-1] is b[-1] or a[:-1] == b[:-1] and a[-1] == b[-1]


def chain_apply(chain: "Chain", *, nodes_before: dict, edges_removed: list, edges_added: list) -> None:
    """Bring ``chain`` (built over ``chain.G``) up to date after ``chain.G`` was changed in place.

    ``nodes_before``: id -> the record's attributes before the change (None: it is new) for every record
    added, removed or changed; ``edges_removed`` / ``edges_added``: ``(u, v, type, attrs)`` of the relations
    gone and come (a relation whose attributes changed is in both). Time in proportion to what changed
    (plus a rebuild of the segment tree, a walk over the segments only, when segments or PART_OF/FEEDS
    relations changed). The result equals ``Chain(chain.G)``.
    """
    G = chain.G
    tree = False
    for n, before in nodes_before.items():
        old_kind = before.get("kind") if before is not None else None
        now = G.nodes[n] if n in G else None
        new_kind = now.get("kind") if now is not None else None
        if old_kind is not None and (now is None or new_kind != old_kind):
            _sorted_remove(chain.by_kind, old_kind, n)
        if now is not None and new_kind != old_kind:
            _sorted_add(chain.by_kind, new_kind, n)
        if now is None:
            chain.node.pop(n, None)
            chain.loc.pop(n, None)
            chain.lead.discard(n)
        else:
            chain.node[n] = now
            chain.loc[n] = now.get("locality") or "unknown"
            roles = now.get("roles")
            if new_kind == "enterprise" and roles and any(r in LEAD_ROLES for r in roles):
                chain.lead.add(n)
            else:
                chain.lead.discard(n)
        if "segment" in (old_kind, new_kind):
            if (before or {}).get("position") != (now or {}).get("position") or old_kind != new_kind:
                tree = True
    for sign, edges in ((-1, edges_removed), (1, edges_added)):
        for u, v, t, d in edges:
            chain.n_edges += sign
            put = (lambda tb, k, it, sk=None: _sorted_add(tb, k, it, sk)) if sign > 0 else \
                (lambda tb, k, it, sk=None: _sorted_remove(tb, k, it, sk, _same_edge if sk else None))
            if d.get("basis") == "implied":
                if sign > 0:
                    bisect.insort(chain.implied, d, key=_implied_key)
                else:
                    i = bisect.bisect_left(chain.implied, _implied_key(d), key=_implied_key)
                    while i < len(chain.implied) and _implied_key(chain.implied[i]) == _implied_key(d):
                        if chain.implied[i] is d or chain.implied[i] == d:
                            del chain.implied[i]
                            break
                        i += 1
            if t == "SUPPLIES":
                if u != v:
                    put(chain.sup_in, v, (u, d), _first)
                    put(chain.sup_out, u, (v, d), _first)
            elif t == "IN_SEGMENT":
                put(chain.direct, v, u)
                put(chain.ent_segs, u, v)
            elif t in ("PART_OF", "FEEDS"):
                tree = True
            elif t == "CHAIN_LEADER":
                put(chain.leaders, v, u)
            elif t == "ABOUT":
                put(chain.about, u, v)
                put(chain.about_rev, v, u)
            elif t == "RESPONSIBLE_FOR":
                put(chain.responsible, v, u)
            elif t == "LOCATED_IN":
                put(chain.located, u, v)
            elif t in PARTNER_TYPES:
                put(chain.partners, u, (v, t, d), _first_two)
                put(chain.partners, v, (u, t, d), _first_two)
    if tree:
        parent, children, feeds = _segment_links(G.succ, chain.by_kind.get("segment", ()))
        chain.feeds = feeds
        chain._segment_tree(parent, children, feeds)  # also empties the members cache
    return tree


def _implied_key(d: dict) -> str:
    return d.get("id", "")


def patch_members(chain: "Chain", seg: str, touched: set) -> None:
    """Bring the cached members of ``seg`` (:meth:`Chain.members`) and its local firms
    (:meth:`Chain.local_firms`) up to date after the records ``touched`` changed (memberships, kinds,
    localities, or came or went): they are taken out and put back where they now belong, in time
    proportional to the touched records (the lists are sorted by id; each is copied, so a result that holds
    the list from before keeps it)."""
    got = chain._members.get(seg)
    if got is None:
        chain._local.pop(seg, None)
        return
    subset = set(chain.seg_subtree.get(seg, [seg]))
    order = sorted(touched)
    local = chain._local.get(seg)
    if local is not None:
        local = chain._local[seg] = list(local)
    for kind in list(got):
        ids = got[kind] = list(got[kind])
        for n in order:
            i = bisect.bisect_left(ids, n)
            if i < len(ids) and ids[i] == n:
                del ids[i]
        if not ids:
            del got[kind]
    if local is not None:
        for n in order:
            i = bisect.bisect_left(local, n)
            if i < len(local) and local[i] == n:
                del local[i]
    loc = chain.loc
    for n in order:
        if n in chain.node and subset.intersection(chain.ent_segs.get(n, ())):
            kind = chain.node[n].get("kind")
            _sorted_add(got, kind, n)
            if local is not None and kind == "enterprise" and loc[n] == LOCAL:
                bisect.insort(local, n)
