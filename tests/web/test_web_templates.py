"""The page templates: every word from the catalogue, enumerations through labels, no inline style or code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import g

import web

TEMPLATES = Path(web.__file__).with_name("templates")
NAMES = sorted(p.name for p in TEMPLATES.glob("*.html"))


@pytest.mark.parametrize("template", NAMES)
def test_templates_take_their_words_from_the_catalogue(template):
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not re.search(r"\bT\(", text)  # the zh/en pairs are gone: _('ui.…') with named placeholders
    ids = re.findall(r"""\b_\(\s*'([^']+)'""", text)
    assert all(i.startswith("ui.") for i in ids), [i for i in ids if not i.startswith("ui.")]


@pytest.mark.parametrize("template", NAMES)
def test_templates_carry_no_inline_style_or_code(template):
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not re.search(r"\sstyle=", text)
    assert not re.search(r"\son[a-z]+=", text)  # no inline event handlers
    if template != "export_chain.html":  # the offline file is one file: its code must be inline (it has its own CSP)
        assert not re.search(r"<style", text)
        for tag in re.findall(r"<script[^>]*>", text):
            assert 'src="' in tag or 'type="application/json"' in tag, tag


@pytest.mark.parametrize("lang, shown", [("zh", "链主龙头"), ("en", "Chain leaderLeading firm")])
def test_roles_show_their_label_and_an_unmigrated_value_as_it_is(app, lang, shown):
    with app.test_request_context("/"):
        g.lang = lang
        tpl = app.jinja_env.from_string('{% from "_macros.html" import role_tags %}{{ role_tags(roles) }}')
        html = tpl.render(roles=["chain_leader", "leading", "瞪羚"])
    assert re.sub(r"<[^>]+>", "", html) == shown + "瞪羚"


def test_placeholders_are_escaped_and_the_catalogue_text_is_trusted(app):
    with app.test_request_context("/"):
        g.lang = "en"
        html = app.jinja_env.from_string("{{ _('ui.search.count_q', q=q, total=3) }}").render(q="<b>x</b>")
    assert html == "Found <b>3</b> records for “&lt;b&gt;x&lt;/b&gt;”"
