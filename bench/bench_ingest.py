"""How well ingestion reads the seed's five documents (issue 14): recall and precision by category against
the seed dataset, the hand-made answer key, each document read alone into an empty registry (no names given).

    python -m bench.bench_ingest [--json] [--with-names]

Categories: firms (enterprises.yaml), platforms, projects/parks (projects.yaml: projects, programmes, parks),
gov units, targets (targets.yaml; value, value_max and unit must match), tasks (tasks.yaml; number, title and
responsible units exactly, in order), relations (relations.yaml, the types ingestion proposes: CHAIN_LEADER by its
source, RUNS, LOCATED_IN; LEADING against the firm's ``leading`` role).
A proposal counts as correct when the key holds it for that document (by name or alias; any kind for
organisations, so a right name filed under another kind still counts as found, and the kind table says so).
Recall is over the key's items whose sources cite that document; a category with no key items shows "-".
Quotes: every proposal's quote must be a verbatim substring of the document (checked, 100% required).
``--with-names`` passes the seed's names and aliases as the registry dictionary (an upper bound, not the
empty-registry case). Pure reading: no store, no network.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml

from registry import ingest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "seed" / "data"
DOCS = ROOT / "seed" / "documents"
ORG_FILES = {"firms": "enterprises", "platforms": "platforms", "projects/parks": "projects", "gov units": "gov_units"}
KIND_CAT = {"enterprise": "firms", "platform": "platforms", "project": "projects/parks", "park": "projects/parks",
            "gov_unit": "gov units"}
CATEGORIES = (*ORG_FILES, "targets", "tasks", "relations")


def load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8")) or []


def cites(record: dict, doc: str) -> bool:
    return any(s.get("doc") == doc for s in record.get("sources", []))


def names_of(record: dict) -> set[str]:
    return {record["name"], *(record.get("aliases") or [])}


def score(doc: str, p: dict, seed: dict) -> dict:
    rows = {}
    # organisations
    key_all = {cat: [r for r in seed[f] if cites(r, doc)] for cat, f in ORG_FILES.items()}
    any_name = set().union(*(names_of(r) for recs in key_all.values() for r in recs)) if key_all else set()
    for cat in ORG_FILES:
        props = [o for o in p["organisations"] if KIND_CAT[o["kind"]] == cat]
        got = {o["name"] for o in p["organisations"]}
        key = key_all[cat]
        found = [r for r in key if names_of(r) & got]
        correct = [o for o in props if o["name"] in any_name]
        rows[cat] = {"key": len(key), "found": len(found), "proposed": len(props), "correct": len(correct),
                     "missed": [r["name"] for r in key if not names_of(r) & got],
                     "wrong": [o["name"] for o in props if o["name"] not in any_name]}
    # targets
    key = [t for t in seed["targets"] if cites(t, doc)]
    want = {(t["value"], t.get("value_max"), t["unit"]) for t in key}
    props = p["targets"]
    have = {(t["value"], t.get("value_max"), t["unit"]) for t in props}
    rows["targets"] = {"key": len(key),
                       "found": sum((t["value"], t.get("value_max"), t["unit"]) in have for t in key), "proposed": len(props) if key else 0,
                       "correct": sum((t["value"], t.get("value_max"), t["unit"]) in want for t in props) if key else 0,
                       "unkeyed": 0 if key else len(props),
                       "missed": [t["name"] for t in key if (t["value"], t.get("value_max"), t["unit"]) not in have],
                       "wrong": [t["number_text"] for t in props
                                 if key and (t["value"], t.get("value_max"), t["unit"]) not in want]}
    # tasks
    key = [t for t in seed["tasks"] if cites(t, doc)]
    by_n = {t["number"]: t for t in p["tasks"]}
    ok = [t for t in key if t["number"] in by_n and by_n[t["number"]]["title"] == t["title"]
          and by_n[t["number"]]["responsible_units"] == t["responsible_units"]]
    rows["tasks"] = {"key": len(key), "found": len(ok), "proposed": len(p["tasks"]) if key else 0,
                     "correct": len(ok) if key else 0, "unkeyed": 0 if key else len(p["tasks"]),
                     "missed": [t["number"] for t in key if t not in ok], "wrong": []}
    # relations
    ids = {r["id"]: names_of(r) for f in ("enterprises", "platforms", "projects", "gov_units") for r in seed[f]}
    rels = [r for r in seed["relations"] if cites(r, doc) and r["type"] in ("CHAIN_LEADER", "RUNS", "LOCATED_IN")]
    leading = [r for r in seed["enterprises"] if cites(r, doc) and "leading" in (r.get("roles") or [])]

    def hit(prop, rel):
        if prop["type"] != rel["type"] or prop["source"] not in ids.get(rel["source"], ()):
            return False
        return rel["type"] == "CHAIN_LEADER" or prop["target"] in ids.get(rel["target"], ())

    found = [r for r in rels if any(hit(x, r) for x in p["relations"])]
    correct = [x for x in p["relations"] if any(hit(x, r) for r in rels)
               or (x["type"] == "LEADING" and any(x["source"] in names_of(e) for e in leading))]
    rows["relations"] = {"key": len(rels), "found": len(found), "proposed": len(p["relations"]),
                         "correct": len(correct), "missed": [f"{r['source']}-{r['type']}->{r['target']}"
                                                             for r in rels if r not in found],
                         "wrong": [f"{x['source']}-{x['type']}->{x['target']}" for x in p["relations"]
                                   if x not in correct]}
    return rows


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "    -"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--with-names", action="store_true", help="give the seed's names as the registry dictionary")
    args = ap.parse_args(argv)
    seed = {f: load(f) for f in ("enterprises", "platforms", "projects", "gov_units", "targets", "tasks",
                                  "relations")}
    names = {}
    if args.with_names:
        for f, kind in (("enterprises", "enterprise"), ("platforms", "platform"), ("projects", "project"),
                        ("gov_units", "gov_unit")):
            for r in seed[f]:
                k = "park" if r["id"].startswith("park-") else kind
                for n in names_of(r):
                    names.setdefault(n, (r["id"], k))
    report, quotes_total, quotes_ok = {}, 0, 0
    for path in sorted(DOCS.glob("00*.txt")):
        text = ingest.read_document(path).replace("\r\n", "\n")
        t0 = time.perf_counter()
        p = ingest.propose(text, names, document=path.name)
        ms = (time.perf_counter() - t0) * 1000
        items = [*p["organisations"], *p["targets"], *p["tasks"], *p["relations"]]
        quotes_total += len(items)
        quotes_ok += sum(1 for i in items if i["quote"] and i["quote"] in text)
        report[path.name] = {"ms": round(ms, 1), "chars": len(text), "rows": score(path.name, p, seed)}
    if args.json:
        print(json.dumps({"documents": report, "quotes": {"total": quotes_total, "verbatim": quotes_ok}},
                         ensure_ascii=False, indent=1))
        return 0 if quotes_ok == quotes_total else 1
    print(f"{'doc':5} {'category':15} {'key':>4} {'found':>5} {'recall':>7} {'prop':>5} {'right':>5} {'precision':>9}")
    for doc, r in report.items():
        for cat in CATEGORIES:
            row = r["rows"][cat]
            extra = f"  ({row['unkeyed']} unkeyed)" if row.get("unkeyed") else ""
            print(f"{doc[:3]:5} {cat:15} {row['key']:4} {row['found']:5} {pct(row['found'], row['key']):>7} "
                  f"{row['proposed']:5} {row['correct']:5} {pct(row['correct'], row['proposed']):>9}{extra}")
        print(f"{doc[:3]:5} {'(time)':15} {r['ms']:.1f} ms for {r['chars']} chars")
    print(f"quotes verbatim: {quotes_ok}/{quotes_total} ({pct(quotes_ok, quotes_total).strip()})")
    return 0 if quotes_ok == quotes_total else 1


if __name__ == "__main__":
    raise SystemExit(main())
