"""graph returns messages, never sentences: every message id and label it can emit is in both catalogues."""

import json
import pathlib
import re

import pytest

from registry.model import RELATION_TYPES

from graph import build_graph, departure_impact, gap_report, network_measures
from graph.candidates import STRONG_ROLES
from graph.gaps import FIELDS
from graph.synthetic import synthetic_registry
from graph.targets import MEASURABILITY, RULES
from graph._chain import LEAD_ROLES
from registry import messages as M
from registry.model import LOCALITIES, RELATION_TYPES

GRAPH = pathlib.Path(__file__).resolve().parents[2] / "graph"
# a quoted id of one of the analysis prefixes, wherever it is written (message(...), fact(...), a rule's ids)
LITERAL_ID = re.compile(r"""["']((?:gap|fact|cand|cov|target|analysis|err|list)\.[a-z0-9_.]+)["']""")
LABEL_CODES = {
    "inline.locality": LOCALITIES,
    "inline.field": FIELDS,
    "inline.measurability": MEASURABILITY,
    "inline.target_status": ("met", "behind", "unknown", "unmeasurable"),
    "kind": ("enterprise", "platform", "project"),  # graph.targets: what a target that cannot be measured needs
    "field": ("revenue_band",),
    "relation": tuple(RELATION_TYPES),
    "role": tuple(dict.fromkeys(LEAD_ROLES + STRONG_ROLES + ("unicorn", "gazelle", "single_champion",
                                                             "little_giant", "high_tech", "above_scale"))),
    "relation": tuple(RELATION_TYPES),  # graph.partners: a platform partner names the relation
}


def literal_ids():
    return sorted({m.group(1) for p in GRAPH.glob("*.py") for m in LITERAL_ID.finditer(p.read_text("utf-8"))})


def test_the_scan_sees_the_ids():
    ids = literal_ids()
    assert "gap.segment.no_local.reason" in ids and "target.needed.output_value" in ids and len(ids) > 100


@pytest.mark.parametrize("lang", M.LANGS)
def test_every_literal_id_in_graph_is_in_the_catalogue(lang):
    assert [i for i in literal_ids() if not M.has(i, lang)] == []


@pytest.mark.parametrize("lang", M.LANGS)
def test_every_rule_of_the_targets_has_its_words(lang):
    for rule in RULES:
        assert rule.words, rule.id
        assert M.has(rule.needed, lang) and (rule.method is None or M.has(rule.method, lang))


@pytest.mark.parametrize("lang", M.LANGS)
def test_every_code_graph_shows_by_label_has_one(lang):
    groups = {m.group(1) for p in GRAPH.glob("*.py")
              for m in re.finditer(r"""["']label["']:\s*["']([\w.]+)["']""", p.read_text("utf-8"))}
    assert groups == set(LABEL_CODES)
    missing = [f"label.{g}.{c}" for g, codes in LABEL_CODES.items() for c in codes
               if not M.has(f"label.{g}.{c}", lang)]
    assert missing == []


def _walk(x, found):
    """Every message id, list separator/"more" id and (label group, code) reached in a result."""
    if isinstance(x, list):
        for v in x:
            _walk(v, found)
    elif isinstance(x, dict):
        if M.is_message(x):
            found["ids"].add(x["msg"])
        if "list" in x:
            found["ids"].update(v for v in (x.get("sep"), x.get("more")) if v)
        if "label" in x and "code" in x:
            found["labels"].add((x["label"], x["code"]))
        for v in x.values():
            _walk(v, found)


@pytest.fixture(scope="module")
def results():
    G = build_graph(*synthetic_registry(1500, seed=4))
    firms = sorted(n for n, d in G.nodes(data=True) if d.get("kind") == "enterprise")[:200]
    return [gap_report(G, top=40, candidates_per_gap=5), gap_report(G, members_limit=None),
            network_measures(G)["approximations"]] + [departure_impact(G, f) for f in firms]


@pytest.mark.parametrize("lang", M.LANGS)
def test_every_message_a_report_reaches_renders(results, lang):
    found = {"ids": set(), "labels": set()}
    _walk(results, found)
    assert len(found["ids"]) > 40
    assert sorted(i for i in found["ids"] if not M.has(i, lang)) == []
    assert sorted(f"label.{g}.{c}" for g, c in found["labels"] if not M.has(f"label.{g}.{c}", lang)) == []
    said = M.localise(results, (lang,))  # a parameter a text names but the message lacks would raise here
    assert "%(" not in json.dumps(said, ensure_ascii=False)


def test_results_hold_no_sentences(results):
    """Only messages carry words: no *_zh / *_en field and no bare "zh"/"en" key anywhere in a result."""
    def keys(x):
        if isinstance(x, dict):
            for k, v in x.items():
                yield k
                yield from keys(v)
        elif isinstance(x, list):
            for v in x:
                yield from keys(v)
    assert sorted({k for k in keys(results) if k in ("zh", "en") or k.endswith(("_zh", "_en"))}) == []
