"""The one message catalogue: complete in both languages, consistent, and every id the code uses exists."""

from __future__ import annotations

import pathlib
import re

import pytest

from registry import messages as M

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdgf]")
# ids written literally in code and templates: _('x.y'), text('x.y'), message('x.y', …), msg("x.y")
USED = re.compile(r"""(?:\b_|\btext|\bmessage|\bmsg|\bM\.text|\bM\.message)\(\s*["']((?:label|ui|cli|auth|gap|analysis|list|"""
                  r"""fact|reason|target|cov|cand|export|err)\.[A-Za-z0-9_.:-]+)["']""")


def test_both_languages_have_the_same_ids():
    zh, en = set(M.catalogue("zh")), set(M.catalogue("en"))
    assert zh, "the catalogue is empty"
    assert sorted(zh - en) == [] and sorted(en - zh) == []


@pytest.mark.parametrize("lang", M.LANGS)
def test_no_message_is_empty(lang):
    assert [k for k, v in M.catalogue(lang).items() if not v.strip() and k != "list.sep"] == []


# messages whose languages count differently on purpose ("甲、乙 等7家" counts all, "and 5 more" the rest)
DIFFERENT_PLACEHOLDERS = {"list.more", "list.more.items", "list.more.items_tight", "list.more.candidates",
                          # the English has always left out a value the Chinese shows (kept as it was)
                          "fact.dependence.unnamed", "gap.target.partial.reason", "err.graph.negative_option",
                          "err.graph.unknown_kind", "err.graph.unknown_relation_type", "err.graph.relation_ends"}


def test_placeholders_agree_between_languages():
    zh, en = M.catalogue("zh"), M.catalogue("en")
    bad = {k: (zh[k], en[k]) for k in zh if k not in DIFFERENT_PLACEHOLDERS
           and set(PLACEHOLDER.findall(zh[k])) != set(PLACEHOLDER.findall(en[k]))}
    assert bad == {}


def test_every_id_used_in_code_and_templates_exists():
    cat = M.catalogue("zh")
    missing = []
    for folder in ("web", "graph", "registry", "xijin", "seed"):
        for p in (ROOT / folder).rglob("*"):
            if p.suffix not in (".py", ".html", ".js") or "__pycache__" in p.parts:
                continue
            for m in USED.finditer(p.read_text(encoding="utf-8")):
                if m.group(1) not in cat and not m.group(1).endswith("."):
                    missing.append(f"{p.relative_to(ROOT)}: {m.group(1)}")
    assert missing == []


def test_render_joins_names_the_way_each_language_does():
    m = M.message("list.more", shown={"list": ["甲", "乙"]}, total=7, more=5)
    assert M.render(m, "zh") == "甲、乙 等7家"
    assert M.render(m, "en") == "甲, 乙 and 5 more"


def test_localise_spells_out_bare_messages_as_field_pairs_and_facts_in_place():
    data = {"title": M.message("label.kind.platform"),
            "facts": [dict(M.message("label.kind.enterprise"), ids=["a"])], "n": 3}
    assert M.localise(data) == {"title_zh": "平台", "title_en": "Platform",
                                "facts": [{"ids": ["a"], "zh": "企业", "en": "Enterprise"}], "n": 3}


def test_an_unknown_label_shows_its_code():
    assert M.label("kind", "no_such_kind", "en") == "no_such_kind"
    assert M.label("kind", None) == ""
