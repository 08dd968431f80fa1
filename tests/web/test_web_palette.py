"""One palette (web/static/palette.json) for the pages and the graphs, and pages that need no 'unsafe-inline'."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from web import chainmap, palette, views_data

STATIC = Path(palette.__file__).with_name("static")
COLOUR_LITERAL = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")


def defined_vars() -> set[str]:
    return set(re.findall(r"(--[\w-]+):", palette.css()))


def test_palette_css_is_served_from_the_json(client):
    r = client.get("/palette.css")
    assert r.status_code == 200 and r.mimetype == "text/css"
    css = r.get_data(as_text=True)
    raw = json.loads((STATIC / "palette.json").read_text(encoding="utf-8"))
    assert "--ink: " + raw["ui"]["ink"] + ";" in css
    assert "--level-fill-strong: " + raw["level_fill"]["strong"] + ";" in css
    assert "--edge-feeds: " + raw["edge"]["FEEDS"] + ";" in css
    again = client.get("/palette.css", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("sheet", ["app.css", "dossier.css"])
def test_stylesheets_hold_no_colours_of_their_own(sheet):
    text = (STATIC / sheet).read_text(encoding="utf-8")
    assert COLOUR_LITERAL.findall(re.sub(r"/\*.*?\*/", "", text, flags=re.S)) == []
    assert set(re.findall(r"var\((--[\w-]+)\)", text)) <= defined_vars()


def test_the_graph_drawing_code_reads_the_same_palette():
    raw = json.loads((STATIC / "palette.json").read_text(encoding="utf-8"))
    assert chainmap.LEVEL_COLOURS == raw["level"] and chainmap.LEVEL_FILL == raw["level_fill"]
    assert chainmap.EDGE_COLOURS == raw["edge"]
    assert {k: s["color"] for k, s in chainmap.KIND_STYLE.items()} == raw["member"]
    assert views_data.NODE_COLOURS == raw["entity"]


def test_a_palette_value_that_is_not_a_colour_is_refused(tmp_path):
    bad = tmp_path / "palette.json"
    bad.write_text(json.dumps({"ui": {"ink": "red; } body { display: none"}}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a colour"):
        palette._load(bad)


def test_pages_are_served_with_a_csp_without_unsafe_inline(seeded_client):
    for path in ("/", "/search?q=稀土", "/chain", "/gaps", "/exports", "/entity/no-such-record"):
        csp = seeded_client.get(path).headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "style-src 'self';" in csp and "script-src 'self';" in csp, path


def test_the_offline_map_carries_its_own_policy_and_the_palette(seeded_client):
    r = seeded_client.get("/export/chain.html")
    assert "Content-Security-Policy" not in r.headers  # a download: the file's own meta tag governs it
    html = r.get_data(as_text=True)
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';" in html
    assert palette.css() in html and ' style="' not in html
