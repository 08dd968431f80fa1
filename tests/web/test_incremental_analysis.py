"""Incremental analysis (issue 12) against the truth: after each of many random writes made through the real
Registry on the embedded store, the analysis brought up to date in place (``graph.Analysis.apply``, through
the web snapshot) gives what a fresh ``Analysis(build_graph(*reg.export_graph()))`` gives — the whole report,
coverage, every gap, the candidates of every gap, the data gaps and to-do list, the board, the chain map,
counts, chain leaders and partner lists. On the small test chain, on the seed dataset and on a small
synthetic registry."""

from __future__ import annotations

import random

import pytest

from graph.analysis import Analysis, _cut_runs
from graph.build import build_graph
from registry import tabular
from registry.importer import apply_import, plan_import, undo_import
from registry.messages import label
from registry.repository import Registry
from tests.diffing import differences
from web.analysis import _cache, snapshot
from web.store import store_holder

BY = "editor1"
PRODUCTS = ("氧化镨钕", "钕铁硼磁钢", "稀土金属", "伺服电机")
ROLES = ("chain_leader", "leading", "listed", "high_tech", "above_scale", "specialised")
LOCALITIES = ("cluster", "ganzhou", "jiangxi", "china", "abroad", "unknown")


def _results(a: Analysis, probe: list[str]) -> dict:
    """Everything the pages ask of an analysis (asking also fills the memo the next write must keep right)."""
    from web.chainmap import DEFAULT_RELATIONS, MEMBER_KINDS

    out = {"report": a.report(), "coverage": a.coverage(), "all_gaps": a.all_gaps(), "data_gaps": a.data_gaps(),
           "data_todo": a.data_todo(), "board": a.board(), "counts": a.counts(), "leaders": a.chain_leaders(),
           "gap_counts": a.gap_counts(), "target_progress": a.target_progress(),
           "maps": _maps(a),
           "candidates": {g["id"]: a.candidates(g, limit=5) for g in a.all_gaps()},
           "top_candidates": {g["id"]: a.candidates(g) for g in a.all_gaps()[:15]},
           "partners": {n: a.partners("enterprise", n) for n in probe if a.record(n)
                        and a.record(n).get("kind") == "enterprise"}}
    for gid in list(out["report"]["aliases"])[:3]:
        out[f"gap:{gid}"] = a.gap(gid)
    from web.views_data import _with_candidates

    for g in a.all_gaps()[:12]:  # the web layer's memo of a gap as shown (kept across a write when unchanged)
        _with_candidates(a, g, 5)
    return out


def _map_views(a: Analysis) -> dict[str, dict]:
    """The chain-map views checked after every write (each asked before the next write too, so that the write
    patches it): the default view, expanded segments (one with all its members, and the members in no
    segment), a locality filter, one segment's subtree under a tight budget, a relation and a kind filter."""
    from web.chainmap import DEFAULT_RELATIONS, MEMBER_KINDS

    segs = sorted(r["id"] for r in a.coverage()["segments"])
    rel, kinds = list(DEFAULT_RELATIONS), list(MEMBER_KINDS)
    return {"default": dict(rel=rel, kinds=kinds),
            "expand": dict(rel=rel, kinds=kinds, expand=[segs[0], segs[-1], "__unassigned__"], more=[segs[-1]]),
            "local": dict(rel=rel, kinds=kinds, locality="in", expand=[segs[0]]),
            "outside_budget": dict(rel=rel, kinds=kinds, locality="out", per_segment=3, max_nodes=50),
            "segment": dict(rel=rel, kinds=kinds, segment=segs[len(segs) // 2], per_segment=60, max_nodes=600),
            "supplies": dict(rel=["SUPPLIES", "RESEARCH_PARTNER"], kinds=["enterprise"], per_segment=2)}


def _maps(a: Analysis) -> dict:
    out = {name: a.chain_map(**f) for name, f in _map_views(a).items()}
    from flask import has_request_context

    if has_request_context():  # the same views as the web draws them
        from web.chainmap import graph_view

        out.update({f"drawn:{name}": graph_view(a, **f) for name, f in _map_views(a).items()})
    return out


def _map_patches(a: Analysis) -> int:
    """How many times a write was patched into the chain-map views the analysis keeps."""
    return sum(v.patches for v in a._memo.get("chain_maps", {}).values())


def _shown_gaps(a: Analysis, fresh: Analysis) -> tuple[dict, dict]:
    """Every gap the web layer holds as shown on the kept analysis, and the same made on the fresh one."""
    from web.views_data import present

    kept, made = {}, {}
    by_id = {g["id"]: g for g in fresh.all_gaps()}
    a.settle()  # (the candidate lists are brought up to date when next asked for; the memo is read directly here)
    for key, value in list(a._memo.items()):
        if key.startswith("presented-gap:"):
            gid, limit = key[len("presented-gap:"):].rsplit(":", 1)
            g = by_id.get(gid)
            if g is None:  # kept for a gap that is gone: a defect
                made[key] = None
            else:
                c = fresh.candidates(g, limit=int(limit))
                made[key] = present(dict(g, candidates=c["candidates"], candidates_total=c["total"],
                                         data_needed=c.get("data_needed")))
            kept[key] = value
    return kept, made


class Writer:
    """Random writes of every kind the issue names, through the real Registry."""

    def __init__(self, reg: Registry, rng: random.Random):
        self.reg, self.rng, self.n = reg, rng, 0
        self.kinds_done: dict[str, int] = {}

    def ids(self, kind: str) -> list[str]:
        return sorted(e["id"] for e in self.reg.list(kinds=[kind], per_page=500)["items"])

    def rels(self, rtype: str) -> list[str]:
        G = build_graph(*self.reg.export_graph())
        return sorted(d["id"] for _, _, k, d in G.edges(keys=True, data=True) if k == rtype)

    def counted(self) -> list[str]:
        """The enterprises some target row lists as counted."""
        a = Analysis(build_graph(*self.reg.export_graph()))
        return sorted({c["id"] for row in a.target_progress() for c in row["counted"]
                       if c.get("kind") == "enterprise"})

    def update(self, n: str, changes: dict) -> None:
        cur = self.reg.get(n)
        self.reg.update(n, changes, version=cur["version"], by=BY, why="random write")

    def relate(self, rtype: str, src: str, dst: str, **extra) -> None:
        self.reg.relate({"type": rtype, "source": src, "target": dst, **extra}, by=BY, why="random write")

    def step(self) -> str:
        r, firms, segs = self.rng, self.ids("enterprise"), self.ids("segment")
        self.n += 1
        kind = r.choice(["unread", "field", "locality", "name", "roles", "in_segment", "in_segment_off",
                         "supplies", "supplies_off", "part_of", "chain_leader", "located_in", "create", "delete",
                         "partner", "feeds", "segment_field", "target", "counted_name", "counted_in_segment"])
        f, g = r.choice(firms), r.choice(firms)
        s = r.choice(segs)
        if kind == "unread":
            self.update(f, {"phone": f"0797-{r.randrange(10**7):07d}", "website": f"https://e{r.randrange(99)}.cn"})
        elif kind == "field":
            self.update(f, r.choice([{"credit_code": None}, {"location": r.choice(["章贡区", "赣县区", None])},
                                     {"description": r.choice(["永磁电机研发", "稀土冶炼分离", ""]) or None},
                                     {"aliases": [r.choice(["磁材", "冶炼", "电机"])]},
                                     {"revenue_band": r.choice(["lt_20m", "20m_100m", None])}]))
        elif kind == "locality":
            self.update(f, {"locality": r.choice(LOCALITIES)})
        elif kind == "name":
            self.update(f, {"name": f"改名测试企业{self.n}号{r.choice(['甲', '乙', 'A'])}"})
        elif kind == "roles":
            self.update(f, {"roles": r.sample(ROLES, r.randrange(3))})
        elif kind == "in_segment":
            self.relate("IN_SEGMENT", f, s)
        elif kind == "in_segment_off" and self.rels("IN_SEGMENT"):
            self.reg.unrelate(r.choice(self.rels("IN_SEGMENT")), by=BY, why="random write")
        elif kind == "supplies" and f != g:
            self.relate("SUPPLIES", f, g, product=r.choice(PRODUCTS))
        elif kind == "supplies_off" and self.rels("SUPPLIES"):
            self.reg.unrelate(r.choice(self.rels("SUPPLIES")), by=BY, why="random write")
        elif kind == "part_of" and len(segs) > 2:
            own = [x for x in self.rels("PART_OF") if x.startswith(s + ">")]
            if own:
                self.reg.unrelate(own[0], by=BY, why="random write")
            else:
                self.relate("PART_OF", s, r.choice([x for x in segs if x != s]))
        elif kind == "chain_leader":
            self.relate("CHAIN_LEADER", f, s)
        elif kind == "located_in":
            parks = self.ids("project")
            if parks:
                self.relate("LOCATED_IN", f, r.choice(parks))
        elif kind == "create":
            new = f"ent-rnd{self.n}"
            self.reg.create({"kind": "enterprise", "id": new, "name": f"随机新企业{self.n}",
                             "locality": r.choice(LOCALITIES), "roles": r.sample(ROLES, r.randrange(2))},
                            by=BY, why="random write")
            self.relate("IN_SEGMENT", new, s)
            self.relate("SUPPLIES", new, g, product=r.choice(PRODUCTS))
        elif kind == "delete":
            self.reg.delete(f, by=BY, why="random write")
        elif kind == "partner" and f != g:
            self.relate("RESEARCH_PARTNER", f, g)
        elif kind == "feeds" and len(segs) > 1:
            self.relate("FEEDS", s, r.choice([x for x in segs if x != s]), product=r.choice(PRODUCTS))
        elif kind == "segment_field":
            self.update(s, r.choice([{"name": f"改名环节{self.n}"}, {"aliases": [f"别名{self.n}"]}]))
        elif kind in ("counted_name", "counted_in_segment") and self.counted():
            # a firm a target row lists: renamed (the rows listing it take the new name, nothing is counted
            # again), or put in one more segment (rows counting by fields stand; rows counting a segment's
            # firms follow)
            c = r.choice(self.counted())
            if kind == "counted_name":
                self.update(c, {"name": f"被计数企业改名{self.n}"})
            else:
                self.relate("IN_SEGMENT", c, s)
        elif kind == "target":
            targets = self.ids("target")
            if targets:
                self.update(r.choice(targets), {"value": float(r.randrange(1, 50))})
        else:
            kind = "unread"
            self.update(f, {"email": f"e{self.n}@example.cn"})
        self.kinds_done[kind] = self.kinds_done.get(kind, 0) + 1
        return kind


KEPT: list[int] = []  # how many gaps as shown each write kept (so that the check above is not vacuous)
PATCHED: list[int] = []  # how many chain-map views each write patched (not made whole)
APPLIED: list[dict] = []  # what bringing the snapshot up to date said, write by write (the same object: no change)
CUT_PATHS: dict[str, int] = {}  # which way the cut structure was brought up to date (Analysis._cut_updated)


def _check(app, reg: Registry, probe: list[str], what: str) -> Analysis:
    with app.test_request_context("/"):
        snap = snapshot()
        APPLIED.append(_cache().last)
        last = dict(_cache().last or {})
    assert last["mode"] == "patch", (what, last)  # brought up to date, not read whole
    fresh_analysis = Analysis(build_graph(*reg.export_graph()))
    with app.test_request_context("/"):
        kept, made = _shown_gaps(snap.analysis, fresh_analysis)
        assert kept == made, (what, differences(kept, made))
        KEPT.append(len(kept))
        patches = _map_patches(snap.analysis)
        inc = _results(snap.analysis, probe)
        PATCHED.append(_map_patches(snap.analysis) - patches)
        fresh = _results(fresh_analysis, probe)
    for key in fresh:
        assert inc[key] == fresh[key], (what, key, differences(inc[key], fresh[key]))
    path = snap.analysis._memo["_cut"].get("path")
    CUT_PATHS[path] = CUT_PATHS.get(path, 0) + 1
    return snap.analysis


def _run(app, reg: Registry, steps: int, seed: int, monkeypatch) -> dict:
    monkeypatch.setattr("web.analysis.PATCH_LOOKBACK", 0.0)  # the writes follow each other within milliseconds
    monkeypatch.setattr("web.analysis.PATCH_MIN", 10_000)
    with app.test_request_context("/"):
        first = snapshot().analysis
        assert _cache().last["mode"] == "full"
    probe = sorted(first.chain.by_kind.get("enterprise", ()))[:4]
    with app.test_request_context("/"):
        _results(first, probe)  # every result memoised, so that each write has something to keep up to date
    w = Writer(reg, random.Random(seed))
    KEPT.clear()
    PATCHED.clear()
    CUT_PATHS.clear()
    for i in range(steps):
        kind = w.step()
        a = _check(app, reg, probe, f"step {i}: {kind}")
        assert a is first  # one analysis, brought up to date in place
        applied = len(APPLIED) < 2 or APPLIED[-1] is not APPLIED[-2]  # (a write may have had nothing to do)
        if applied and not a.last_apply["quiet"] and not a.last_apply["tree"]:
            # every view asked before the write was patched (and came out equal to the one made whole)
            assert PATCHED[-1] >= len(_map_views(a)), (i, kind, PATCHED[-1])
    assert sum(KEPT) > 0  # some writes kept gaps as shown, and they were right
    assert sum(PATCHED) >= steps  # the chain-map views were patched, and they were right
    return w.kinds_done


def _import_and_undo(app, reg: Registry, probe: list[str]) -> None:
    cluster = label("locality", "cluster")
    head = "编号,名称,集群内外"
    data = "\n".join([head, f",导入随机企业甲,{cluster}", f",导入随机企业乙,{cluster}"]).encode("utf-8-sig")
    plan = plan_import(reg, tabular.read_file(data, "名录.csv", kind="enterprise"), file="名录.csv", by=BY)
    result = apply_import(reg, plan, by=BY, why="t")
    _check(app, reg, probe, "import")
    undo_import(reg, result["change_set"], by=BY, why="t")
    _check(app, reg, probe, "undo of the import")


def test_random_writes_on_the_small_chain(small_app, reg, monkeypatch):
    done = _run(small_app, reg, 40, seed=12, monkeypatch=monkeypatch)
    _import_and_undo(small_app, reg, [])
    assert len(done) >= 12, done  # most kinds of write were made


def test_random_writes_on_the_seed_dataset(app, monkeypatch):
    from seed.loader import load_seed

    reg = Registry(store_holder(app).get())
    with app.app_context():
        load_seed(reg)
    done = _run(app, reg, 30, seed=7, monkeypatch=monkeypatch)
    assert len(done) >= 10, done


def test_random_writes_on_a_small_synthetic_registry(app, monkeypatch):
    from graph.synthetic import synthetic_registry

    reg = Registry(store_holder(app).get())
    entities, relations = synthetic_registry(300, seed=3)
    reg.upsert_many(entities, by="synthetic-generator", why="test (SYNTHETIC data)")
    reg.upsert_relations(relations, by="synthetic-generator", why="test (SYNTHETIC data)")
    done = _run(app, reg, 30, seed=1, monkeypatch=monkeypatch)  # a seed whose writes take all four cut paths
    assert len(done) >= 10, done
    # every way the cut structure is brought up to date was taken, and each time it equalled a fresh one
    assert {"rebuild", "same-block", "locality", "mentions"} <= set(CUT_PATHS), CUT_PATHS


def _synthetic_analysed(app, monkeypatch, firms: int, *, seed: int) -> tuple[Registry, Analysis]:
    """A synthetic registry of ``firms`` firms in the app's store, its snapshot with every result memoised, and
    the snapshot made to take every write after it as a patch."""
    from graph.synthetic import synthetic_registry

    reg = Registry(store_holder(app).get())
    entities, relations = synthetic_registry(firms, seed=seed)
    reg.upsert_many(entities, by="synthetic-generator", why="test (SYNTHETIC data)")
    reg.upsert_relations(relations, by="synthetic-generator", why="test (SYNTHETIC data)")
    monkeypatch.setattr("web.analysis.PATCH_LOOKBACK", 0.0)
    monkeypatch.setattr("web.analysis.PATCH_MIN", 10_000)
    with app.test_request_context("/"):
        a = snapshot().analysis
        _results(a, [])
    return reg, a


def test_supply_writes_of_every_kind_through_the_registry(app, monkeypatch):
    """A link inside one block, across blocks, across components, a link removed, a locality inside a piece a
    cut point cuts off and outside every such piece: each through the Registry, each equal to a fresh analysis,
    each the way it should go (graph.Analysis._cut_updated)."""
    reg, a = _synthetic_analysed(app, monkeypatch, 200, seed=8)
    w = Writer(reg, random.Random(1))
    rng = random.Random(2)

    def cut():
        return a._memo["_cut"] if "_cut" in a._memo else a._cut()

    def pair(same: bool) -> tuple[str, str]:
        cs = cut()["cs"]
        while True:
            u, v = rng.sample(cs.nodes, 2)
            linked = a.G.has_edge(u, v, "SUPPLIES") or a.G.has_edge(v, u, "SUPPLIES")
            if not linked and cs.same_block(u, v) == same and cs.comp[cs.idx[u]] == cs.comp[cs.idx[v]]:
                return u, v

    def check(what: str, way: str) -> None:
        _check(app, reg, [], what)
        assert cut()["path"] == way, (what, cut()["path"])

    u, v = pair(True)
    w.relate("SUPPLIES", u, v)
    check("link inside one block", "same-block")
    u, v = pair(False)
    w.relate("SUPPLIES", u, v)
    check("link across blocks", "rebuild")
    item = next(it for k, it in sorted(cut()["items"].items()) if k[0] == "c" and it["cut_total"] >= 2)
    cs = cut()["cs"]
    inside = cs.nodes[cs.order[item["cut"][0]["ranges"][0][0]]]
    w.update(inside, {"locality": "abroad" if cs.chain.is_local(inside) else "cluster"})
    check("locality inside a cut-off piece", "locality")
    lo, hi, _ = _cut_runs(cut()["items"])
    free = next(n for n in cs.nodes if not ((lo <= cs.disc[cs.idx[n]]) & (cs.disc[cs.idx[n]] < hi)).any())
    w.update(free, {"locality": "abroad" if cs.chain.is_local(free) else "cluster"})
    check("locality outside every cut-off piece", "locality")
    w.reg.unrelate(f"{u}>SUPPLIES>{v}", by=BY, why="t")
    check("link removed", "rebuild")
    for n in ("ent-island-1", "ent-island-2"):
        reg.create({"kind": "enterprise", "id": n, "name": f"孤岛企业{n[-1]}", "locality": "cluster"}, by=BY, why="t")
    w.relate("SUPPLIES", "ent-island-1", "ent-island-2")
    check("a new component", "rebuild")
    w.relate("SUPPLIES", "ent-island-2", u)
    check("link across components", "rebuild")


@pytest.mark.parametrize("write", ["phone", "rename"])
def test_a_write_recomputes_only_what_it_reaches(small_app, reg, monkeypatch, write):
    """A phone number keeps every result (the same objects); a rename keeps the chain index and what does
    not show the name."""
    monkeypatch.setattr("web.analysis.PATCH_LOOKBACK", 0.0)
    with small_app.test_request_context("/"):
        a = snapshot().analysis
        _results(a, [])
    before = dict(a._memo)
    cur = reg.get("ent-a")
    change = {"phone": "0797-2222222"} if write == "phone" else {"name": "改名后的示范企业"}
    reg.update("ent-a", change, version=cur["version"], by=BY, why="t")
    _check(small_app, reg, [], write)
    assert a.chain is before["chain"]
    if write == "phone":
        assert a.last_apply["quiet"] is True
        assert a.report() is before["report"] and a.coverage() is before["coverage"]
    else:
        assert a.last_apply["quiet"] is False and a.last_apply["records"] == 1
        assert a.report() is not before["report"]
        # the coverage rows of segments the firm is not in are the same objects
        segs = set(a.chain.segments_with_ancestors("ent-a"))
        same = [r["id"] for r in a.coverage()["segments"]
                if any(r is x for x in before["coverage"]["segments"])]
        assert same and not segs & set(same)


def test_a_firm_a_target_counts_renamed_and_moved_on_the_seed(app, monkeypatch):
    """The target rows after a write to a firm they list: a rename re-refs the rows (no count again), one more
    segment keeps the rows counting by fields; both equal a fresh analysis, and the renamed name shows."""
    from seed.loader import load_seed

    import graph.analysis as ga

    reg = Registry(store_holder(app).get())
    with app.app_context():
        load_seed(reg)
    w = Writer(reg, random.Random(1))
    fresh = Analysis(build_graph(*reg.export_graph()))
    local = [n for n in fresh.chain.by_kind["enterprise"] if fresh.chain.is_local(n)][:3]
    for n in local:  # the seed carries no roles a target counts by: three local firms take some
        w.update(n, {"roles": list(ROLES)})
    monkeypatch.setattr("web.analysis.PATCH_LOOKBACK", 0.0)
    monkeypatch.setattr("web.analysis.PATCH_MIN", 10_000)
    with app.test_request_context("/"):
        a = snapshot().analysis
        _results(a, [])
    counted = w.counted()
    assert counted, "the seed's target rows list no enterprise"
    made: list[str] = []
    orig = ga._progress_row
    monkeypatch.setattr(ga, "_progress_row", lambda chain, t: made.append(t) or orig(chain, t))
    firm = counted[0]
    w.update(firm, {"name": "被计数企业改名（测试）"})
    a = _check(app, reg, [], "rename of a counted firm")
    assert made == []  # re-refed, not counted again
    assert any(c["name"] == "被计数企业改名（测试）" for row in a.target_progress() for c in row["counted"])
    segs = w.ids("segment")
    new_seg = next(s for s in segs if s not in a.segments_of(firm))
    w.relate("IN_SEGMENT", firm, new_seg)
    a = _check(app, reg, [], "a counted firm in one more segment")
    rules = {row["id"]: row["rule"] for row in a.target_progress()}
    assert all(rules[t] == "about_segments" for t in made), made  # only rows counting a segment's firms again
    # its locality: every row again, a rule counting only the touched firm again (graph.targets._Only)
    import graph.targets as gt

    seen: list[int] = []
    only = gt._Only
    monkeypatch.setattr(gt, "_Only", lambda chain, ids: seen.append(len(ids)) or only(chain, ids))
    w.update(firm, {"locality": "china"})
    a = _check(app, reg, [], "a counted firm leaves the cluster")
    assert seen and max(seen) <= 2, seen  # counted over the touched records only
    assert firm not in {c["id"] for row in a.target_progress() for c in row["counted"]}
    w.update(firm, {"locality": "cluster"})
    a = _check(app, reg, [], "and comes back")
    assert firm in {c["id"] for row in a.target_progress() for c in row["counted"]}


def test_candidates_brought_up_to_date_after_several_writes_nobody_asked_between(app, monkeypatch):
    """The candidate lists are refreshed when next asked for: writes applied meanwhile (a chain-map page after
    each, asking no candidates) add up, and the lists and gaps as shown then equal a fresh analysis's."""
    reg, a = _synthetic_analysed(app, monkeypatch, 300, seed=3)
    w = Writer(reg, random.Random(4))
    firms, segs = w.ids("enterprise"), w.ids("segment")
    for round_ in range(3):
        hub = max(firms, key=lambda f: len(a.chain.sup_out.get(f, ())) + len(a.chain.sup_in.get(f, ())))
        loc = a.chain.loc[hub]
        w.update(hub, {"locality": "china" if loc == "cluster" else "cluster"})  # its neighbours' standing
        with app.test_request_context("/"):
            snapshot().analysis.gap_counts()  # what /chain asks: no candidates
        assert a._pending is not None
        w.relate("IN_SEGMENT", firms[round_ * 7], segs[(round_ * 5) % len(segs)])
        with app.test_request_context("/"):
            snapshot().analysis.gap_counts()
        w.relate("SUPPLIES", firms[round_ * 11 + 1], firms[round_ * 13 + 2], product="氧化镨钕")
        _check(app, reg, [], f"round {round_}: three writes, candidates asked after the last")
        assert a._pending is None
