"""The store ranks a search page (schema 4, dialect.search_page) exactly as the Python ranking did.

``reference_search`` is the search as it was before the store ranked: the candidates of the same four asks
(dialect.SEARCH, through ``GraphStore.search_candidates``), ``explain_match`` and ``rank_key`` in Python,
the number of relations counted for the ties that decide the page (``GraphStore.degrees``) and the page's
records read by id. ``Registry.search`` must give the same page — ids, order, why, score, every field —
the same total and the same ``capped``, for many queries (whole names, prefixes, parts, pinyin, initials,
ids, credit codes, two words, single characters), filters, sort orders and pages, on the seeded registry
and on a synthetic one built to hold aliases, spaces, Latin names, leaders and more hits than the cap.
"""

from __future__ import annotations

import random

import pytest

from registry import dialect
from registry.model import uscc_check_char
from registry.repository import (Q_SEARCH_ITEMS, SEARCH_CAP, SEARCH_PAGE, Registry, _han_pinyin, entity_out, explain_match,
                                 match_text, normalise, query_tokens, rank_key, score_parts)
from registry.store import FalkorStore


def reference_search(reg: Registry, q: str, *, sort: str = "relevance", page: int = 1, per_page: int = 50,
                     segment: str | None = None, **filters) -> dict:
    norm = normalise(q)
    words = list(dict.fromkeys(norm.split()))
    params = reg._filters(kinds=filters.get("kinds"), locality=filters.get("locality"), role=filters.get("role"),
                          level=filters.get("level"), sort=sort, page=page, per_page=per_page)
    params["segment"] = segment
    tokens = query_tokens(words)
    exact, joined, leaders, rows = reg.store.search_candidates(
        [(["=" + norm], [], 50), (["=" + norm.replace(" ", "")], [], 50 if " " in norm else 0),
         (["!" + t for t in tokens], words, 50), (tokens, words, SEARCH_CAP + 1)], params, segment=segment is not None)
    found = {row["id"]: row for row in exact + joined + leaders}
    for row in rows[:SEARCH_CAP]:
        found.setdefault(row["id"], row)
    ranked = [(row, m) for row in found.values() if (m := explain_match(row, words)) is not None]
    window = page * per_page
    if sort == "relevance":
        ranked.sort(key=lambda rm: rank_key(rm[0], rm[1]))
        base = [rank_key(r, m)[:-3] for r, m in ranked]
        need = [r["id"] for (r, _), b in zip(ranked, base) if ranked and b <= base[min(window, len(ranked)) - 1]]
        degrees = reg.store.degrees(need) if need else {}
        for row, _ in ranked:
            row["relations"] = degrees.get(row["id"])
        ranked.sort(key=lambda rm: rank_key(rm[0], rm[1]))
    else:
        field = "updated_at" if sort.lstrip("-") == "updated" else "sort_key"
        ranked.sort(key=lambda rm: (rm[0].get(field) or "", rm[0]["id"]), reverse=sort.startswith("-"))
    chosen = ranked[(page - 1) * per_page: window]
    unknown = [row["id"] for row, _ in chosen if row.get("relations") is None]
    for rid, n in (reg.store.degrees(unknown) if unknown else {}).items():
        found[rid]["relations"] = n
    full = {r["id"]: entity_out({k: v for k, v in r.items() if v is not None})
            for r in (reg.store.read(Q_SEARCH_ITEMS, {"ids": [row["id"] for row, _ in chosen]}) if chosen else [])}
    items = []
    for row, match in chosen:
        item = full[row["id"]]
        item.update(match=match, matched=list(dict.fromkeys(match_text(m) for m in match)),
                    score=score_parts(row, match))
        items.append(item)
    return {"items": items, "total": len(ranked), "capped": len(rows) > SEARCH_CAP}


def queries_of(records: list[dict], rng: random.Random, k: int) -> list[str]:
    """What staff type, taken from the records: whole names and aliases, prefixes, parts, pinyin,
    initials, ids, credit codes, two words, one character."""
    qs: set[str] = set()
    for e in rng.sample(records, min(k, len(records))):
        v = normalise(rng.choice([e["name"], *(e.get("aliases") or [])]))
        qs.update([v, e["id"], v[rng.randrange(len(v))]])
        if e.get("credit_code"):
            qs.add(e["credit_code"].lower())
        if len(v) > 2:
            i = rng.randrange(len(v) - 1)
            qs.update([v[i:rng.randrange(i + 1, len(v) + 1)], v[:rng.randrange(1, len(v))]])
        full, initials = _han_pinyin(v)
        if full:
            i = rng.randrange(len(full))
            qs.update([full[i:i + rng.randrange(2, 8)], initials[:rng.randrange(1, len(initials) + 1)]])
        if len(v) >= 4:
            qs.add(v[:2] + " " + v[-2:])
    return sorted(q for q in qs if q.strip() and len(q.split()) <= 8)


def same(reg: Registry, q: str, **kw) -> None:
    want, got = reference_search(reg, q, **kw), reg.search(q, **kw)
    assert [i["id"] for i in got["items"]] == [i["id"] for i in want["items"]], (q, kw)
    assert got["items"] == want["items"], (q, kw)
    assert (got["total"], got["capped"]) == (want["total"], want["capped"]), (q, kw)


VARIANTS = [{"per_page": 20}, {"per_page": 7, "page": 2}, {"per_page": 50, "sort": "name"},
            {"per_page": 10, "sort": "-updated"}]


@pytest.fixture(scope="module")
def seeded(store_dir, seeded_graph_name):
    s = FalkorStore(store_dir, graph=seeded_graph_name)
    yield Registry(s)
    s.close()


def test_the_seed_ranks_as_before(seeded):
    records = [r for p in (1, 2, 3) for r in seeded.list(per_page=500, page=p)["items"]]
    qs = queries_of(records, random.Random(7), 60) + ["稀土", "稀土 集团", "公司", "zgxt", "xitu", "有限", "ＭＰ",
                                                      "DPA Title III", "mountain pass", "工信"]
    segment = next(r["id"] for r in records if r["kind"] == "segment")
    for q in qs:
        for kw in VARIANTS:
            same(seeded, q, **kw)
    for kw in ({"kinds": ["enterprise"]}, {"locality": "cluster"}, {"role": "chain_leader"}, {"segment": segment},
               {"sort": "-name", "per_page": 30}, {"per_page": 20, "page": 5}):
        for q in ("稀土", "公司", "xt", "集团"):
            same(seeded, q, **kw)
    for sort in ("relevance", "name", "-updated"):  # a page past the end: no hits, the total still said
        past = seeded.search("稀土", sort=sort, per_page=20, page=9)
        assert past["items"] == [] and past["total"] == 83 and past["pages"] == 5, sort


def synthetic_firms(n: int, rng: random.Random) -> list[dict]:
    """Firms whose names share parts (so ranks tie and relations decide), with aliases, spaces, Latin
    letters, credit codes, leaders, and localities in and out of the cluster."""
    heads = ["赣州", "江西", "中国", "南方", "Ganzhou", "Rare Earth"]
    mids = ["稀土", "磁材", "永磁", "钨业", "新材料", "Magnet", "冶炼"]
    tails = ["有限公司", "集团", "科技", "研究院", " Co Ltd", "厂"]
    out = []
    for i in range(n):
        name = rng.choice(heads) + rng.choice(mids) + rng.choice(["", f"{i:03d}", rng.choice(mids)]) + rng.choice(tails)
        rec = {"kind": "enterprise", "id": f"ent-{i:04d}", "name": name,
               "locality": rng.choice(["cluster", "cluster", "ganzhou", "china", "abroad"])}
        if rng.random() < 0.4:
            rec["aliases"] = rng.sample([rng.choice(mids) + rng.choice(["集团", "公司", ""]), name[:4], f"别名{i}",
                                         rng.choice(heads) + " " + rng.choice(mids)], rng.randint(1, 2))
        if rng.random() < 0.3:
            base = f"91360700MA{i:06d}X"[:17]
            rec["credit_code"] = base + uscc_check_char(base)
        r = rng.random()
        if r < 0.05:
            rec["roles"] = ["chain_leader"]
        elif r < 0.15:
            rec["roles"] = ["leading"]
        out.append(rec)
    return out


def test_a_synthetic_registry_ranks_as_before(registry):
    rng = random.Random(3)
    firms = synthetic_firms(500, rng)
    many = [{"kind": "enterprise", "id": f"ent-many-{i:03d}", "name": f"合成磁材{i:03d}有限公司",
             "locality": "cluster" if i % 3 else "china", **({"roles": ["leading"]} if i % 50 == 7 else {})}
            for i in range(SEARCH_CAP + 10)]
    registry.upsert_many(firms + many, by="test", why="SYNTHETIC")
    # relations, unevenly: a few firms with many (the ties' last key)
    rels = [{"type": "SUPPLIES", "source": firms[rng.choice([0, 1, 2, 3, rng.randrange(500)])]["id"],
             "target": firms[j]["id"], "product": "钕铁硼"} for j in range(4, 500)]
    registry.upsert_relations(rels, by="test", why="SYNTHETIC")
    qs = queries_of(firms, rng, 80) + ["稀土", "赣州", "gz", "xitu", "稀土 集团", "rare earth", "co ltd", "磁材 有限"]
    for q in qs:
        for kw in VARIANTS[:2]:
            same(registry, q, **kw)
    capped = registry.search("合成磁材", per_page=20)
    assert capped["capped"] and SEARCH_CAP <= capped["total"] <= SEARCH_CAP + 5
    for kw in ({"per_page": 20}, {"per_page": 20, "page": 3}, {"per_page": 50, "sort": "name"}):
        same(registry, "合成磁材", **kw)
        same(registry, "hccc", **kw)


def test_the_page_is_one_statement_from_the_index(falkor):
    """One read a page (no second read for the ties or the items) and, on the embedded store, every ask
    starts from the range index over search_tokens, never from a scan."""
    reg = Registry(falkor)
    reg.upsert_many(synthetic_firms(40, random.Random(1)), by="test", why="SYNTHETIC")
    reads = []
    real = falkor.read
    falkor.read = lambda q, p=None, **kw: reads.append(q) or real(q, p, **kw)
    try:
        res = reg.search("稀土", per_page=5)
    finally:
        falkor.read = real
    assert res["total"] > 5 and len(res["items"]) == 5 and len(reads) == 1
    assert "search_tokens" in reads[0] and "properties(" not in reads[0]
    params = {"kinds": None, "localities": None, "role": None, "level": None, "segment": "seg-x", "words": ["稀土"],
              "whole": "稀土", "leader": "chain_leader", "leads": ["chain_leader"], "local": "cluster", "bonus": 20,
              "skip": 0, "end": 5, "dkeep": 200}
    params.update(falkor.search_params([(["稀土"], ["稀土"], 10)] * 4))
    for key, text in ((k, t) for k, t in SEARCH_PAGE.items() if k[0] == "falkordb"):
        plan = falkor.graph.explain(text, params)
        plan = "\n".join(plan) if isinstance(plan, list) else str(plan)
        assert plan.count("Node By Index Scan | (n:Entity)") == len(dialect.SEARCH_PARTS), key
        assert "All Node Scan" not in plan and "Label Scan" not in plan, key
        assert ("PART_OF" in text) == key[1], key


def test_a_hit_the_store_ranks_but_its_record_no_longer_says_is_left_out_and_logged(registry, caplog):
    """A record whose name was changed behind the registry's back (not through entity_props) still holds
    the old search fields: the store finds and ranks it, explain_match on its name does not agree. The
    page leaves it out and says so in the log (a defect to fix, never a 500 or a hit without a reason)."""
    registry.upsert_many([{"kind": "enterprise", "id": "ent-1", "name": "甲磁材有限公司", "locality": "cluster"},
                          {"kind": "enterprise", "id": "ent-2", "name": "乙磁材有限公司", "locality": "cluster"}])
    registry.store.write("MATCH (n:Entity {id: 'ent-1'}) SET n.name = '丙公司'")
    with caplog.at_level("WARNING", logger="registry.repository"):
        res = registry.search("磁材")
    assert [i["id"] for i in res["items"]] == ["ent-2"]
    assert any("ent-1" in r.getMessage() for r in caplog.records)
