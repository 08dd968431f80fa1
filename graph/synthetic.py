"""Synthetic registries for benchmarks and load tests — labelled synthetic everywhere they show.

Every id starts with ``syn-`` and every name contains 合成 or SYNTHETIC; every
source says ``by: synthetic-generator``.  The chain segments follow the real
rare-earth chain (resources → separation → oxides → metals and alloys →
functional materials → devices led by permanent-magnet motors, recycling,
trading, supporting services); the supply network grows by preferential
attachment (a few firms supply very many, most supply few), with goods
flowing from upstream segments to downstream ones.  Nothing here describes
a real enterprise.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Iterator

import yaml

from registry.model import uscc_check_char

__all__ = ["synthetic_registry", "synthetic_chunks", "SYNTHETIC_SEGMENTS"]

with Path(__file__).with_name("synthetic.yaml").open(encoding="utf-8") as _fh:
    _DATA = yaml.safe_load(_fh)  # names, roles and targets: data, kept out of the code

# key, name, stage, position, parent key, weight of firms (leaf segments only)
SYNTHETIC_SEGMENTS = tuple(tuple(row) for row in _DATA["segments"])
_FEEDS = (("mine", "separation"), ("recycle", "separation"), ("separation", "oxide"), ("oxide", "metal"),
          ("oxide", "luminescent"), ("oxide", "catalytic"), ("oxide", "polishing"), ("metal", "magnet"),
          ("metal", "hydrogen"), ("magnet", "motor"), ("magnet", "other-device"), ("machining", "motor"),
          ("surface", "magnet"), ("design", "motor"))
_NEEDS = _DATA["needs"]
_NAMES = _DATA["names"]
_LOCALITIES = (("cluster", 0.35), ("ganzhou", 0.10), ("jiangxi", 0.10), ("china", 0.35), ("abroad", 0.05),
               ("unknown", 0.05))
_M = ((1, 0.30), (2, 0.25), (3, 0.20), (4, 0.15), (5, 0.04), (6, 0.03), (8, 0.03))
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _pick(rng: random.Random, table):
    x, acc = rng.random(), 0.0
    for value, p in table:
        acc += p
        if x < acc:
            return value
    return table[-1][0]


def _credit_code(rng: random.Random) -> str:
    # region 000000 exists nowhere, so a synthetic code can never be a real firm's
    body = "91000000" + "".join(rng.choice(_USCC) for _ in range(9))
    return body + uscc_check_char(body)


def synthetic_registry(n_enterprises: int, *, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """A synthetic registry of ``n_enterprises`` firms: ``(entities, relations)`` as the store returns them.

    About five relations per firm: ~2.65 supply links (preferential
    attachment, goods flowing downstream), ~1.15 segment memberships, park
    location for local firms, research partners, alliance membership; plus
    segments, platforms, projects, parks, units and targets.  Some fields
    are left empty and some links marked implied on purpose, as in a real
    registry.  Same ``seed``, same registry.  ``synthetic_chunks`` yields the
    same rows piece by piece (for registries too big to hold whole).

    Examples
    --------
    >>> ents, rels = synthetic_registry(50)
    >>> all(e["id"].startswith("syn-") for e in ents), all("合成" in e["name"] or "SYNTHETIC" in e["name"] for e in ents)
    (True, True)
    """
    entities: list[dict] = []
    relations: list[dict] = []
    for ents, rels in synthetic_chunks(n_enterprises, seed=seed):
        entities += ents
        relations += rels
    return entities, relations


def synthetic_chunks(n_enterprises: int, *, seed: int = 0, chunk: int = 50_000) -> Iterator[tuple[list[dict], list[dict]]]:
    """``synthetic_registry``'s rows in pieces of about ``chunk`` firms: ``(entities, relations)`` pairs whose
    concatenation is ``synthetic_registry(n_enterprises, seed=seed)``, row for row and in the same order.
    Every relation's ends are in its own piece's entities or in an earlier piece's, so the pieces can be
    written one after another. What is held between pieces is the generator's state (segments, degrees,
    the supply pairs seen), not the rows: a million firms fit.

    >>> whole = synthetic_registry(120, seed=5)
    >>> pieces = list(synthetic_chunks(120, seed=5, chunk=7))
    >>> [e for es, _ in pieces for e in es] == whole[0], [r for _, rs in pieces for r in rs] == whole[1]
    (True, True)
    """
    if chunk < 1:
        raise ValueError("chunk must be 1 or more")
    rng = random.Random(seed)
    src = [{"by": "synthetic-generator", "basis": "reported", "note": _NAMES["note"]}]
    entities: list[dict] = []
    relations: list[dict] = []

    def rel(t, s, d, **kw):
        relations.append({"type": t, "source": s, "target": d, "sources": src, **kw})

    def take() -> tuple[list[dict], list[dict]]:
        out = (entities[:], relations[:])
        entities.clear()
        relations.clear()
        return out

    seg_id = {k: f"syn-seg-{k}" for k, *_ in SYNTHETIC_SEGMENTS}
    seg_pos = {k: pos for k, _, _, pos, _, _ in SYNTHETIC_SEGMENTS}
    seg_name = {k: name for k, name, *_ in SYNTHETIC_SEGMENTS}
    for k, name, stage, pos, parent, _ in SYNTHETIC_SEGMENTS:
        sources = src
        if k in _NEEDS:
            sources = [{"by": "synthetic-generator", "basis": "reported", "quote": _NEEDS[k],
                        "note": _NAMES["note"]}]
        entities.append({"id": seg_id[k], "kind": "segment", "name": _NAMES["segment"].format(name=name),
                         "stage": stage, "position": pos, "sources": sources})
        if parent:
            rel("PART_OF", seg_id[k], seg_id[parent])
    for a, b in _FEEDS:
        rel("FEEDS", seg_id[a], seg_id[b], product=seg_name[a])
    leaves = [(k, w) for k, *_, w in SYNTHETIC_SEGMENTS if w]
    total_w = sum(w for _, w in leaves)
    leaf_table = [(k, w / total_w) for k, w in leaves]

    units = [f"syn-unit-{i}" for i in range(3)]
    for i, u in enumerate(units):
        entities.append({"id": u, "kind": "gov_unit", "name": _NAMES["unit"].format(i=i), "level": "district",
                         "sources": src})
    parks = [f"syn-park-{i}" for i in range(3)]
    for i, p in enumerate(parks):
        entities.append({"id": p, "kind": "project", "name": _NAMES["park"].format(i=i), "project_type": "park",
                         "status": "operating", "locality": "cluster", "sources": src})
    yield take()  # the segments (a PART_OF may name a parent listed after it), units and parks

    firms = [f"syn-ent-{i:06d}" for i in range(n_enterprises)]
    firm_seg: list[str] = []
    local: list[bool] = []
    for i, f in enumerate(firms):
        loc = _pick(rng, _LOCALITIES)
        seg = _pick(rng, leaf_table)
        firm_seg.append(seg)
        local.append(loc == "cluster")
        roles = []
        for role, p in _DATA["roles_local"] if loc == "cluster" else _DATA["roles_outside"]:
            if rng.random() < p:
                roles.append(role)
        e = {"id": f, "kind": "enterprise", "name": _NAMES["enterprise"].format(i=i), "locality": loc,
             "roles": roles, "sources": src}
        if rng.random() < 0.9:
            e["credit_code"] = _credit_code(rng)
        if loc != "unknown" and rng.random() < 0.95:
            e["location"] = _NAMES["park_location"] if loc == "cluster" else \
                _NAMES["city_location"].format(n=rng.randrange(50))
        if loc == "cluster" and rng.random() < 0.3:
            e["revenue_band"] = rng.choice(tuple(_DATA["revenue_bands"]))
        entities.append(e)
        if rng.random() < 0.95:
            rel("IN_SEGMENT", f, seg_id[seg])
            if rng.random() < 0.15:
                other = _pick(rng, leaf_table)
                if other != seg:
                    rel("IN_SEGMENT", f, seg_id[other])
        if loc == "cluster" and rng.random() < 0.9:
            rel("LOCATED_IN", f, rng.choice(parks))
        if len(entities) >= chunk:
            yield take()
    if entities or relations:
        yield take()

    # supply network: preferential attachment; goods flow from the upstream segment to the downstream one
    repeated: list[int] = []
    seen_pairs: set[tuple[int, int]] = set()
    start = min(5, n_enterprises)
    for i in range(n_enterprises):
        m = _pick(rng, _M) if i >= start else 0
        targets: set[int] = set()
        tries = 0
        while len(targets) < min(m, i) and tries < 4 * m:
            tries += 1
            j = repeated[rng.randrange(len(repeated))] if repeated and rng.random() < 0.9 else rng.randrange(i)
            targets.add(j)
        for j in sorted(targets):
            pi, pj = seg_pos[firm_seg[i]], seg_pos[firm_seg[j]]
            s, c = (j, i) if pj < pi or (pj == pi and rng.random() < 0.5) else (i, j)
            if (s, c) in seen_pairs:
                continue
            seen_pairs.add((s, c))
            if rng.random() < 0.05:
                rel("SUPPLIES", firms[s], firms[c], product=seg_name[firm_seg[s]],
                    sources=[{"by": "synthetic-generator", "basis": "implied", "note": _NAMES["implied_note"]}])
            else:
                rel("SUPPLIES", firms[s], firms[c], product=seg_name[firm_seg[s]])
            repeated.extend((i, j))
        if i < start:
            repeated.append(i)
        if len(relations) >= 3 * chunk:
            yield take()
    del seen_pairs

    n_platforms = max(5, n_enterprises // 200)
    plats = [f"syn-plat-{i:05d}" for i in range(n_platforms)]
    for i, p in enumerate(plats):
        entities.append({"id": p, "kind": "platform", "name": _NAMES["platform"].format(i=i),
                         "platform_type": rng.choice(("research_institute", "innovation_center", "test_center")),
                         "level": rng.choice(("national", "provincial", "municipal")),
                         "status": "existing" if rng.random() < 0.8 else "planned",
                         "locality": "cluster" if rng.random() < 0.7 else "china", "sources": src})
        rel("IN_SEGMENT", p, seg_id[_pick(rng, leaf_table)])
    alliance = "syn-plat-alliance"
    entities.append({"id": alliance, "kind": "platform", "name": _NAMES["alliance"],
                     "platform_type": "alliance", "status": "existing", "locality": "cluster", "sources": src})
    for i, f in enumerate(firms):
        if rng.random() < 0.3:
            rel("RESEARCH_PARTNER", f, plats[rng.randrange(n_platforms)])
        if local[i] and rng.random() < 0.4:
            rel("MEMBER_OF", f, alliance)
        if len(relations) >= 3 * chunk:
            yield take()
    n_projects = max(3, n_enterprises // 300)
    for i in range(n_projects):
        p = f"syn-proj-{i:05d}"
        entities.append({"id": p, "kind": "project", "name": _NAMES["project"].format(i=i), "project_type": "project",
                         "status": rng.choice(("planned", "under_construction", "operating")),
                         "locality": "cluster", "sources": src})
        rel("IN_SEGMENT", p, seg_id[_pick(rng, leaf_table)])
        rel("RUNS", firms[rng.randrange(n_enterprises)], p)
        rel("LOCATED_IN", p, rng.choice(parks))
    # chain leaders: the best-connected local firm of a few segments
    degree: dict[int, int] = {}
    for x in repeated:
        degree[x] = degree.get(x, 0) + 1
    for k in ("separation", "metal", "magnet", "motor-ev"):
        best = max((i for i in range(n_enterprises) if local[i] and firm_seg[i] == k),
                   key=lambda i: (degree.get(i, 0), -i), default=None)
        if best is not None:
            rel("CHAIN_LEADER", firms[best], seg_id[k])
    for k, name, metric, value, unit, quote in _DATA["targets"]:
        if value == "n/10":
            value = max(1, n_enterprises // 10)
        t = f"syn-target-{k}"
        sources = [{"by": "synthetic-generator", "basis": "reported", "quote": quote, "note": _NAMES["note"]}] \
            if quote else src
        entities.append({"id": t, "kind": "target", "name": name, "metric": metric, "value": value,
                         "comparison": "at_least", "unit": unit, "deadline_year": 2026, "sources": sources})
        rel("RESPONSIBLE_FOR", units[0], t)
        if k == "motor":
            rel("ABOUT", t, seg_id["motor"])
    yield take()
