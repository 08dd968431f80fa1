"""The chain map (产业链图谱) as data: segments in columns upstream → downstream, members under them.

A segment's column is its root card's ``position``; its sub-segments stay in
its column, nested in its card. Each segment's firms, platforms and projects
sit in a small grid under it. Positions are computed here so that the browser
draws 2,000 nodes with physics off in about a second. A segment with more
members than its share of the node budget shows the first ones and one
aggregate node, which the user can expand.

Nodes and edges carry codes and facts (kind, class, level, counts, names);
the web turns them into labels, tooltips and colours.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any, Iterable

from registry.model import LEAD_ROLES, LOCAL, OUTSIDE_SET, locality_group

from .errors import EntityNotFound

__all__ = ["structure", "board", "group_coverage", "chain_map", "MapView", "find_in_map", "MEMBER_KINDS", "PER_SEGMENT", "EXPANDED_CAP", "MAX_NODES"]

MEMBER_KINDS = ("enterprise", "platform", "project")
PER_SEGMENT = 0  # the default view: segments with counts; a segment's members come when it is expanded
EXPAND_FIRST = 60  # an expanded segment shows its first members (leaders, local firms first) and a "more" node
EXPANDED_CAP = 1000  # … which shows them all, up to this many
MAX_NODES = 2000

# The geometry (in canvas px at scale 1) is chosen so that, drawn at 14 px, no two labels can meet:
# a segment is a box at most 150 px wide (web.chainmap.SEG_BOX) in a SEG_W x SEG_PITCH slot; a member
# is a dot with a label of at most 10 characters (about 140 px) in a CELL_W x CELL_H cell.
GRID_COLS = 3
CELL_W, CELL_H = 170, 48
SEG_W = 166          # a segment box's slot width
SEG_PITCH = 72       # a segment box's slot height (two lines of 14 px are about 44 px; three, should the counts wrap, 62)
INDENT = 10          # a nested segment's indent per level
COL_GAP = 36
MAX_COL_H = 11 * SEG_PITCH  # a column taller than this is split into sub-columns (whole cards only)
UNASSIGNED = "__unassigned__"
LEVEL_ORDER = ("strong", "medium", "weak", "none")


# ------------------------------------------------------------------ the board (columns of cards)
def structure(rows: list[dict]) -> dict:
    """How the segments stand on the map, from the coverage rows (chain order).

    A segment's column is its own ``position``. A sub-segment in its parent's column nests inside the
    parent's card; one in another column stands as a card of its own there. A top segment whose
    sub-segments spread over several columns (the root of the whole chain) is a *group*: a banner
    above the columns.
    """
    by_id = {r["id"]: r for r in rows}
    pos = {r["id"]: r.get("position") or 0 for r in rows}
    kids = {r["id"]: [c for c in r.get("children") or [] if c in by_id] for r in rows}
    groups = [r["id"] for r in rows if r.get("parent") not in by_id
              and any(pos[c] != pos[r["id"]] for c in kids[r["id"]])]
    group_set = set(groups)
    tops = [r["id"] for r in rows if r["id"] not in group_set
            and (r.get("parent") not in by_id or r.get("parent") in group_set
                 or pos[r["parent"]] != pos[r["id"]])]
    top_of: dict[str, str] = {}
    lane_order: list[str] = []

    def walk(s: str, top: str, seen: set):
        if s in seen:
            return
        seen.add(s)
        top_of[s] = top
        lane_order.append(s)
        for c in kids[s]:
            if c not in group_set and pos[c] == pos[s]:  # same column: nested in this card
                walk(c, top, seen)
    seen: set[str] = set()
    for t in tops:
        walk(t, t, seen)
    for r in rows:  # anything left (a PART_OF cycle): a card of its own
        if r["id"] not in seen and r["id"] not in group_set:
            walk(r["id"], r["id"], seen)
    positions = sorted({pos[top_of[s]] for s in lane_order})
    return {"groups": groups, "tops": [t for t in dict.fromkeys(top_of.values())], "top_of": top_of,
            "lane_order": lane_order, "positions": positions, "by_id": by_id, "kids": kids,
            "group_set": group_set}


def board(rows: list[dict], gap_counts: dict[str, int]) -> dict:
    """The board: group banners, then columns upstream → downstream with nested cards."""
    st = structure(rows)
    by_id, kids, group_set = st["by_id"], st["kids"], st["group_set"]

    def card(s: str, seen: set) -> dict:
        r = by_id[s]
        seen.add(s)
        children = [card(c, seen) for c in kids[s] if c not in group_set and c not in seen
                    and (by_id[c].get("position") or 0) == (r.get("position") or 0)]
        out = {"id": s, "name": r["name"], "level": r["level"], "score": r["score"], "stage": r.get("stage"),
               "counts": r["counts"], "gaps": gap_counts.get(s, 0), "children": children}
        for key in ("score_explain", "score_explain_zh", "score_explain_en"):
            if key in r:
                out[key.replace("score_", "")] = r[key]
        return out

    cols: dict[Any, list] = defaultdict(list)
    seen: set[str] = set()
    for t in st["tops"]:
        cols[by_id[t].get("position") or 0].append(card(t, seen))
    banners = [dict(card(g, set()), children=[], **group_coverage(g, st)) for g in st["groups"]]
    return {"groups": banners, "columns": [{"position": p, "segments": cols[p]} for p in sorted(cols)]}


def group_coverage(group: str, st: dict) -> dict:
    """How a group banner (the whole chain) stands, from the coverage of the segments under it.

    The root's own score counts every local firm of the chain at once, so one strong segment made the
    whole chain read "strong" while most segments had nothing. The banner's level is instead the level
    at least half of its segments reach (the median), and it says how many segments have any coverage.

    >>> st = {"by_id": {"g": {"level": "strong"}, "a": {"level": "strong"}, "b": {"level": "none"},
    ...                 "c": {"level": "none"}}, "kids": {"g": ["a", "b", "c"], "a": [], "b": [], "c": []}}
    >>> group_coverage("g", st)
    {'level': 'none', 'covered': 1, 'segments': 3, 'by_level': {'strong': 1, 'medium': 0, 'weak': 0, 'none': 2}}
    """
    by_id, kids = st["by_id"], st["kids"]
    seen, stack, levels = {group}, list(kids.get(group, ())), []
    while stack:
        s = stack.pop()
        if s in seen:
            continue
        seen.add(s)
        levels.append(by_id[s]["level"])
        stack.extend(kids.get(s, ()))
    by_level = {lv: levels.count(lv) for lv in LEVEL_ORDER}
    if not levels:
        return {"level": by_id[group]["level"], "covered": 0, "segments": 0, "by_level": by_level}
    ranked = sorted(levels, key=LEVEL_ORDER.index)
    return {"level": ranked[(len(ranked) - 1) // 2], "covered": len(levels) - by_level["none"],
            "segments": len(levels), "by_level": by_level}


# ------------------------------------------------------------------ the interactive map
def member_class(d: dict) -> str:
    """How a member is drawn: local / outside / unknown enterprise, or its kind."""
    kind = d.get("kind")
    return locality_group(d.get("locality")) if kind == "enterprise" else kind


def _passes(d: dict, kinds: Iterable[str], locality: str) -> bool:
    if d.get("kind") not in kinds:
        return False
    loc = d.get("locality")
    if locality == "in":
        return loc == LOCAL
    if locality == "out":
        return loc in OUTSIDE_SET
    return True


_KIND_RANK = {k: i for i, k in enumerate(MEMBER_KINDS)}
_MEMBER_KIND_BY_RANK = dict(enumerate(MEMBER_KINDS))


def _member_rank(d: dict) -> tuple:
    roles = d.get("roles") or []
    return (_KIND_RANK[d["kind"]], d.get("locality") != LOCAL,
            not any(r in LEAD_ROLES for r in roles), d.get("sort_key") or d.get("name", ""), d["id"])


def _nesting(s: str, st: dict) -> int:
    """How deep a segment sits inside its top card (0 for the card itself)."""
    by_id, top, n = st["by_id"], st["top_of"].get(s, s), 0
    while s != top and by_id[s].get("parent") in by_id and n < 10:
        s = by_id[s]["parent"]
        n += 1
    return n


def chain_map(analysis, *, rel: list[str], kinds: list[str], locality: str = "all", expand: list[str] = (),
              per_segment: int = PER_SEGMENT, max_nodes: int = MAX_NODES, segment: str | None = None,
              more: list[str] = ()) -> dict:
    """Nodes with fixed positions and the edges between them, within a node budget.

    ``segment`` limits the view to one segment's subtree (its firms and their relations). A segment in
    ``expand`` shows its first ``EXPAND_FIRST`` members (or ``per_segment``, if more); one also in ``more``
    shows up to ``EXPANDED_CAP``.
    Node kinds: ``segment`` (with level, score and counts), ``unassigned`` (members with no segment),
    a member kind (with its ``group``: local / outside / unknown / platform / project) and
    ``aggregate`` (the members left out of a segment, counted by kind).

    The view is made whole here; :class:`MapView` keeps what it is made of so that a write patches it
    (what ``Analysis.chain_map`` memoises).
    """
    return MapView(analysis, rel=rel, kinds=kinds, locality=locality, expand=expand, per_segment=per_segment,
                   max_nodes=max_nodes, segment=segment, more=more).view(analysis)


class MapView:
    """One chain-map view (one set of filters) as the pieces it is assembled from, kept across writes.

    What a write can change is kept per member and per relation: each member's lane (its primary segment
    under the view's filters) in rank order, where it is drawn (itself, its segment's aggregate node or its
    folded segment's box), and each relation's contribution to a drawn edge (from, to, type) with every
    relation of that edge (the one with the smallest id names it). :meth:`touch` marks the records a write
    reached (and the relations it added or removed); the next :meth:`view` moves those members between
    lanes, redraws the members whose place changed (theirs, and those that came into or fell out of a
    lane's shown first ones), takes the relations at them out and puts them back, and assembles nodes and
    edges again — the segments (a few hundred) and the shown members only. What depends on the segment
    tree (which segments are shown, their order, columns and nesting) is fixed at construction: a write
    that changes the tree drops the view (``Analysis._update_memo``).
    """

    def __init__(self, analysis, *, rel: list[str], kinds: list[str], locality: str = "all",
                 expand: list[str] = (), per_segment: int = PER_SEGMENT, max_nodes: int = MAX_NODES,
                 segment: str | None = None, more: list[str] = ()):
        cov = analysis.coverage()["segments"]
        by_seg = {r["id"]: r for r in cov}
        if segment is not None and segment not in by_seg:
            raise EntityNotFound(f"no chain segment with id '{segment}'", details={"segment": segment})
        self.rel, self.kinds, self.locality, self.segment = rel, kinds, locality, segment
        self.expand, self.per_segment, self.max_nodes = list(expand), per_segment, max_nodes
        self.rel_set, self.kind_set = set(rel), set(kinds) & set(MEMBER_KINDS)
        self.expand_set = set(expand)
        self.more_set = set(more) & self.expand_set
        self.patches = 0  # how many times a write was patched in (rather than the view made whole)
        st = analysis.board_structure()
        self.st_kids = st["kids"]
        self.group_set = group_set = st["group_set"]
        self.order = {r["id"]: i for i, r in enumerate(cov)}
        shown_segs = list(st["lane_order"]) + list(st["groups"])
        if segment:
            keep, stack = set(), [segment]
            while stack:
                s = stack.pop()
                if s not in keep:
                    keep.add(s)
                    stack.extend(by_seg[s].get("children") or [])
            shown_segs = [s for s in shown_segs if s in keep]
        self.shown_segs = shown_segs
        self.seg_node = {s: f"seg:{s}" for s in shown_segs}

        def column_key(s: str):  # a segment's column: its top card's position; groups stand left of all
            if s in group_set:
                return -1
            return by_seg[st["top_of"][s]].get("position") or 0
        self.column = {s: column_key(s) for s in shown_segs}
        positions = sorted(set(self.column.values()))
        self.col_index = {p: i for i, p in enumerate(positions)}
        self.n_positions = len(positions)
        self.top_of = {s: st["top_of"].get(s, s) for s in shown_segs}
        self.depth = {s: 0 if s in group_set else _nesting(s, st) for s in shown_segs}
        self.depth[UNASSIGNED] = 0

        # members by lane (primary segment: the first of its segments in chain order), in rank order
        G = analysis.G
        self.lane_of: dict[str, str] = {}
        self.rank_of: dict[str, tuple] = {}
        self.lanes: dict[str, list[tuple]] = defaultdict(list)
        self.kind_count: dict[str, dict[str, int]] = defaultdict(dict)
        ent_segs = analysis.chain.ent_segs
        for n, d in G.nodes(data=True):
            lane = self._lane(n, d, ent_segs)
            if lane is not None:
                self._join(n, d, lane, sort=False)
        for ms in self.lanes.values():
            ms.sort()
        # the lanes' shown counts and members (the others are drawn as their lane's aggregate node or box)
        self.shown: set[str] = set()
        self.shown_ids: dict[str, list[str]] = {}
        self.caps, self.more_of = self._caps()
        for lane, ms in self.lanes.items():
            self._show(lane, ms)
        # the relations drawn: each one's edge key, each edge's relations (id by relation), the relations at a member
        self.rel_key: dict[tuple, tuple] = {}
        self.groups: dict[tuple, dict[tuple, str]] = {}
        self.rels_at: dict[str, set] = defaultdict(set)
        self._dirty_keys: set[tuple] = set()  # the edges whose relations changed since the last assembly
        rel_set = self.rel_set
        for u, v, k, d in G.edges(keys=True, data=True):
            if k in rel_set:
                self._count((u, v, k), d)
        self.edges: dict[tuple, dict] = {}
        self.edge_keys: list[tuple] = []
        self._touched: set[str] = set()
        self._touched_rels: set[tuple] = set()
        self._result: dict | None = None

    # ---------------------------------------------------------------- members and their lanes
    def _lane(self, n: str, d: dict, ent_segs: dict) -> str | None:
        """The lane a record is drawn in under this view's filters (None: not in this view)."""
        if d.get("kind") not in self.kind_set or not _passes(d, self.kinds, self.locality):
            return None
        segs = ent_segs.get(n, ())
        inside = [s for s in segs if s in self.seg_node]
        if inside:
            return min(inside, key=self.order.__getitem__) if len(inside) > 1 else inside[0]
        if not segs and not self.segment:
            return UNASSIGNED
        return None

    def _join(self, n: str, d: dict, lane: str, *, sort: bool = True) -> None:
        rank = _member_rank(d)
        self.lane_of[n], self.rank_of[n] = lane, rank
        if sort:
            bisect.insort(self.lanes[lane], rank)
        else:
            self.lanes[lane].append(rank)
        kc = self.kind_count[lane]
        kc[d["kind"]] = kc.get(d["kind"], 0) + 1

    def _leave(self, n: str) -> str | None:
        lane = self.lane_of.pop(n, None)
        if lane is None:
            return None
        rank = self.rank_of.pop(n)
        ms = self.lanes[lane]
        i = bisect.bisect_left(ms, rank)
        del ms[i]
        kind = _MEMBER_KIND_BY_RANK[rank[0]]
        kc = self.kind_count[lane]
        kc[kind] -= 1
        if not kc[kind]:
            del kc[kind]
        return lane

    def _lane_list(self) -> list[str]:
        """The lanes drawn, in order: every shown segment, then the members in no segment (when there are any)."""
        return self.shown_segs + ([UNASSIGNED] if self.lanes.get(UNASSIGNED) else [])

    def _caps(self) -> tuple[dict, dict]:
        """How many members each lane shows, and whether it has an aggregate ("more") node: the node budget
        holds the segments always; expanded segments come first, then an even share each."""
        lanes = self._lane_list()
        size = {s: len(self.lanes.get(s, ())) for s in lanes}
        budget = max(0, self.max_nodes - len(lanes))
        expand_set, more_set, per_segment = self.expand_set, self.more_set, self.per_segment

        def first_cap(s: str) -> int:
            if s in more_set:
                return EXPANDED_CAP
            return max(per_segment, EXPAND_FIRST) if s in expand_set else per_segment
        caps = {s: min(size[s], first_cap(s)) for s in lanes}

        def total():
            return sum(caps[s] + (1 if 0 < caps[s] < size[s] or (s in expand_set and caps[s] < size[s]) else 0)
                       for s in lanes)
        if any(caps.values()):
            while total() > budget and any(caps.values()):
                biggest = max(caps, key=lambda s: (s not in expand_set, caps[s]))
                if caps[biggest] == 0:
                    break
                over = total() - budget
                caps[biggest] = max(0, caps[biggest] - max(1, min(over, caps[biggest] // 2 or 1)))
        more_of = {s: size[s] > caps[s] and (caps[s] > 0 or s in expand_set) for s in lanes}
        return caps, more_of

    def _show(self, lane: str, ms: list[tuple]) -> list[str]:
        """A lane's first ``caps[lane]`` members, drawn as themselves (those it showed before are taken out
        of ``shown`` first, for every lane that changed: a member may have moved between them)."""
        shown = [r[-1] for r in ms[:self.caps.get(lane, 0)]]
        if shown:
            self.shown_ids[lane] = shown
            self.shown.update(shown)
        return shown

    # ---------------------------------------------------------------- relations and the edges they draw
    def _end(self, n: str) -> tuple[str | None, bool]:
        """Where a record is drawn (its box, itself, its lane's aggregate node or its folded lane's box; None:
        not in this view) and whether it is folded into its lane's box."""
        got = self.seg_node.get(n)
        if got is not None or n in self.shown:
            return got or n, False
        lane = self.lane_of.get(n)
        if lane is None:
            return None, False
        if self.more_of.get(lane):
            return f"agg:{lane}", False
        return f"seg:{lane}", True

    def _count(self, h: tuple, d: dict) -> None:
        u, v, k = h
        (a, fa), (b, fb) = self._end(u), self._end(v)
        if a is None or b is None or a == b:
            return
        if fa and fb:  # between two folded segments: a hairball of box-to-box lines at 10k
            return
        key = (a, b, k)
        self.rel_key[h] = key
        self.groups.setdefault(key, {})[h] = d.get("id") or ""
        self.rels_at[u].add(h)
        self.rels_at[v].add(h)
        self._dirty_keys.add(key)

    def _uncount(self, h: tuple) -> None:
        key = self.rel_key.pop(h, None)
        if key is None:
            return
        group = self.groups[key]
        del group[h]
        if not group:
            del self.groups[key]
        for n in h[:2]:
            at = self.rels_at.get(n)
            if at is not None:
                at.discard(h)
                if not at:
                    del self.rels_at[n]
        self._dirty_keys.add(key)

    def _edge(self, analysis, key: tuple) -> dict:
        """A drawn edge, named by the relation with the smallest id of those it stands for; the others are
        counted. A shown member's relation with a folded segment's member ends at that segment's box: the map
        keeps it for when the member is picked (dozens of such lines per firm at 10k firms)."""
        group = self.groups[key]
        h = min(group, key=lambda x: (group[x], x))
        u, v, k = h
        d = analysis.G.edges[u, v, k]
        return {"from": key[0], "to": key[1], "type": k, "count": len(group),
                "source_name": analysis.name(u), "target_name": analysis.name(v), "product": d.get("product"),
                "to_folded": self._end(u)[1] or self._end(v)[1]}

    # ---------------------------------------------------------------- a write
    def touch(self, recs: Iterable[str], rels: Iterable[tuple] = ()) -> None:
        """Mark what a write reached (records whose analysed fields changed, came or went, or at an end of a
        changed relation; the relations added or removed as (source, target, type)): the next :meth:`view`
        brings the view up to date. The segment tree must be as it was (else drop the view)."""
        self._touched.update(recs)
        self._touched_rels.update(h for h in rels if h[2] in self.rel_set)
        self._result = None  # the segments' counts and levels are read again in any case

    def _patch(self, analysis) -> None:
        G, ent_segs = analysis.G, analysis.chain.ent_segs
        touched, self._touched = self._touched, set()
        rels, self._touched_rels = self._touched_rels, set()
        self.patches += 1
        lanes_changed: set[str] = set()
        members: set[str] = set()  # members whose relations are counted again
        for n in touched:
            was = self._leave(n)
            if was is not None:
                lanes_changed.add(was)
                members.add(n)
            d = G.nodes[n] if n in G else None
            lane = self._lane(n, d, ent_segs) if d is not None else None
            if lane is not None:
                self._join(n, d, lane)
                lanes_changed.add(lane)
                members.add(n)
        old_caps, old_more = self.caps, self.more_of
        self.caps, self.more_of = self._caps()
        for lane in set(old_caps) | set(self.caps):
            if lane in lanes_changed or old_caps.get(lane) != self.caps.get(lane) or \
                    old_more.get(lane) != self.more_of.get(lane):
                lanes_changed.add(lane)
        olds = {lane: self.shown_ids.pop(lane, []) for lane in lanes_changed}
        for was in olds.values():
            self.shown.difference_update(was)
        for lane, was in olds.items():
            ms = self.lanes.get(lane, [])
            self._show(lane, ms)
            if old_more.get(lane) != self.more_of.get(lane):
                members.update(r[-1] for r in ms)  # every hidden member moves between the aggregate and the box
            else:
                members.update(set(was).symmetric_difference(self.shown_ids.get(lane, ())))
        # the relations at every member whose place changed (and those the write added or removed), again
        hs = set(rels)
        for n in members:
            hs.update(self.rels_at.get(n, ()))
            if n in G:
                for v, by_type in G.succ[n].items():
                    hs.update((n, v, k) for k in by_type if k in self.rel_set)
                for u, by_type in G.pred[n].items():
                    hs.update((u, n, k) for k in by_type if k in self.rel_set)
        for h in hs:
            self._uncount(h)
        for h in hs:
            u, v, k = h
            if G.has_edge(u, v, k):
                self._count(h, G.edges[u, v, k])

    # ---------------------------------------------------------------- the view
    def view(self, analysis) -> dict:
        """The view as plain data (the same object until a write touches it)."""
        if self._touched or self._touched_rels:
            self._patch(analysis)
        if self._result is None:
            self._result = self._assemble(analysis)
        return self._result

    def _assemble(self, analysis) -> dict:
        by_seg = analysis.coverage_by_segment()
        group_set, caps, more_of = self.group_set, self.caps, self.more_of
        lanes = self._lane_list()
        size = {s: len(self.lanes.get(s, ())) for s in lanes}
        # blocks: a segment's box, then its shown members in a grid under it (and an aggregate node)
        blocks: dict[str, dict] = {}
        for s in lanes:
            shown = caps[s]
            rows = -(-shown // GRID_COLS) + (1 if more_of[s] else 0)
            depth = self.depth[s]
            width = depth * INDENT + max(SEG_W, min(GRID_COLS, max(shown, 1)) * CELL_W if shown else SEG_W)
            blocks[s] = {"depth": depth, "shown": shown, "more": more_of[s], "w": width,
                         "h": SEG_PITCH + (rows * CELL_H + 12 if rows else 0)}

        # cards (a top segment with the segments nested in it) stacked in columns upstream -> downstream; a
        # column taller than MAX_COL_H is split into sub-columns, whole cards only; groups form a row above
        cards: dict[Any, list[tuple[str, list[str]]]] = defaultdict(list)  # column -> [(top, its shown lanes)]
        group_row: list[str] = []
        for s in lanes:
            if s in group_set:
                group_row.append(s)
                continue
            col = self.n_positions if s == UNASSIGNED else self.col_index[self.column[s]]
            top = s if s == UNASSIGNED else self.top_of[s]
            if not cards[col] or cards[col][-1][0] != top:
                cards[col].append((top, [s]))
            else:
                cards[col][-1][1].append(s)
        origin: dict[str, tuple[float, float]] = {}
        x, y_top = 0.0, 0.0
        if group_row:
            for s in group_row:
                origin[s] = (x, 0.0)
                x += blocks[s]["w"] + COL_GAP
            y_top = max(blocks[s]["h"] for s in group_row) + 20
        x = 0.0
        for col in sorted(cards):
            subcols: list[list[str]] = [[]]
            height = 0.0
            for _, card_ in cards[col]:
                h = sum(blocks[s]["h"] for s in card_)
                if subcols[-1] and height + h > MAX_COL_H:
                    subcols.append([])
                    height = 0.0
                subcols[-1].extend(card_)
                height += h
            for sub in subcols:
                y = y_top
                for s in sub:
                    origin[s] = (x, y)
                    y += blocks[s]["h"]
                x += max(blocks[s]["w"] for s in sub) + COL_GAP

        st = {"by_id": by_seg, "kids": self.st_kids}
        G, ent_segs = analysis.G, analysis.chain.ent_segs
        nodes: list[dict] = []
        n_hidden = 0
        for s in lanes:
            b = blocks[s]
            x0, y0 = origin[s]
            x0 += b["depth"] * INDENT
            head = (x0 + SEG_W / 2 - 5, y0 + SEG_PITCH / 2 - 4)
            n_members = size[s]
            if s == UNASSIGNED:
                nodes.append({"id": f"seg:{UNASSIGNED}", "kind": "unassigned", "x": head[0], "y": head[1],
                              "count": n_members})
                name = None
            else:
                r = by_seg[s]
                name = r["name"]
                # a group (the whole chain) takes the level most of its segments reach, as on the board
                level = group_coverage(s, st)["level"] if s in group_set else r["level"]
                nodes.append({"id": f"seg:{s}", "kind": "segment", "segment": s, "name": name, "depth": b["depth"],
                              "x": head[0], "y": head[1], "level": level, "score": r["score"],
                              "counts": r["counts"], "members": n_members, "expanded": s in self.expand_set})
            shown = self.shown_ids.get(s, [])
            shown_kinds: dict[str, int] = {}
            for i, m in enumerate(shown):
                d = G.nodes[m]
                r_, q = divmod(i, GRID_COLS)
                shown_kinds[d["kind"]] = shown_kinds.get(d["kind"], 0) + 1
                nodes.append({"id": d["id"], "kind": d["kind"], "group": member_class(d),
                              "name": d.get("name") or d["id"],
                              "aliases": list(d.get("aliases") or ()), "locality": d.get("locality"),
                              "has_locality": "locality" in d, "roles": list(d.get("roles") or ()),
                              "segment": None if s == UNASSIGNED else s,
                              "segment_names": [analysis.name(x) for x in ent_segs.get(d["id"], ())],
                              "x": x0 + q * CELL_W + CELL_W / 2, "y": y0 + SEG_PITCH + r_ * CELL_H + 14})
            hidden = n_members - len(shown)
            if hidden:
                n_hidden += hidden
                if b["more"]:
                    kc = self.kind_count[s]
                    counts = {k: c for k in MEMBER_KINDS if (c := kc.get(k, 0) - shown_kinds.get(k, 0)) > 0}
                    rows_used = -(-len(shown) // GRID_COLS)
                    nodes.append({"id": f"agg:{s}", "kind": "aggregate", "segment": s, "name": name,
                                  "hidden_count": hidden, "hidden_by_kind": counts, "x": x0 + SEG_W / 2 - 5,
                                  "y": y0 + SEG_PITCH + rows_used * CELL_H + 20})

        # the edges: those whose relations changed made again, kept in one order (whatever order the graph holds)
        edges, keys = self.edges, self.edge_keys
        for key in self._dirty_keys:
            if key in self.groups:
                if key not in edges:
                    bisect.insort(keys, key)
                edges[key] = self._edge(analysis, key)
            elif key in edges:
                del edges[key]
                del keys[bisect.bisect_left(keys, key)]
        self._dirty_keys = set()
        member_total = sum(size.values())
        return {
            "nodes": nodes,
            "edges": [edges[key] for key in keys],
            "stats": {"segments": len(self.shown_segs), "members": member_total,
                      "visible_members": member_total - n_hidden, "aggregated": n_hidden, "nodes": len(nodes),
                      "edges": len(edges), "max_nodes": self.max_nodes},
            "filters": {"rel": self.rel, "kinds": self.kinds, "locality": self.locality, "expand": list(self.expand),
                        "more": sorted(self.more_set), "per_segment": self.per_segment, "max_nodes": self.max_nodes,
                        "segment": self.segment},
        }


def find_in_map(analysis, q: str, *, limit: int = 8) -> list[dict]:
    """Segments and members whose name or an alias contains ``q`` (case-insensitive), for the map's search.

    Each hit says which segment box it is drawn in (``segment``: the first of its segments in chain
    order, ``None`` for a member with no segment), so the map can expand that segment and focus it.
    Segments come first, then exact names, then shorter names.
    """
    needle = (q or "").strip().casefold()
    if not needle:
        return []
    cov = analysis.coverage()["segments"]
    order = {r["id"]: i for i, r in enumerate(cov)}
    hits = []
    for n, d in analysis.G.nodes(data=True):
        kind = d.get("kind")
        if kind != "segment" and kind not in MEMBER_KINDS:
            continue
        names = [d.get("name") or n, *(d.get("aliases") or ())]
        if not any(needle in str(x).casefold() for x in names):
            continue
        exact = any(needle == str(x).casefold() for x in names)
        if kind == "segment":
            if n not in order:
                continue
            seg = n
        else:
            segs = sorted((s for s in analysis.segments_of(n) if s in order), key=order.__getitem__)
            seg = segs[0] if segs else None
        hits.append(((kind != "segment", not exact, len(d.get("name") or n), d.get("name") or n, n),
                     {"id": n, "kind": kind, "name": d.get("name") or n, "segment": seg,
                      "locality": d.get("locality")}))
    hits.sort(key=lambda h: h[0])
    return [h[1] for h in hits[:limit]]
