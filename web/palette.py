"""The one colour palette: ``web/static/palette.json``, read once.

The pages get it as CSS custom properties from ``/palette.css`` (group ``ui`` as
``--name``, every other group as ``--group-name``: ``--level-strong``,
``--edge-feeds``), so ``app.css`` only says ``var(--…)``; the graph drawing code
(``chainmap``, ``views_data``) reads the same colours from here, and the offline
chain map inlines the same CSS text. Change a colour in the JSON and every page,
graph and export follows.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from flask import Flask, Response, request
from markupsafe import Markup

SOURCE = Path(__file__).with_name("static") / "palette.json"
_COLOUR = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|rgba\(\d{1,3},\d{1,3},\d{1,3},(0|1|0?\.\d+)\))$")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _load(path: Path = SOURCE) -> Mapping[str, Mapping[str, str]]:
    """The palette, checked: names are plain words and values are colours (the CSS text is made from them)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for group, colours in raw.items():
        if group.startswith("_"):
            continue
        if not _KEY.match(group) or not isinstance(colours, dict):
            raise ValueError(f"{path.name}: group {group!r} must be a name holding name → colour")
        for name, value in colours.items():
            if not _KEY.match(name) or not isinstance(value, str) or not _COLOUR.match(value):
                raise ValueError(f"{path.name}: {group}.{name} = {value!r} is not a colour (#rgb, #rrggbb or rgba())")
        out[group] = MappingProxyType(dict(colours))
    return MappingProxyType(out)


PALETTE = _load()


def group(name: str) -> dict[str, str]:
    """One group of colours (a fresh dict: callers may keep or change their copy)."""
    return dict(PALETTE[name])


def colour(group_name: str, name: str) -> str:
    return PALETTE[group_name][name]


def var_name(group_name: str, name: str) -> str:
    """The CSS custom property of a colour: ``ui.ink`` → ``--ink``, ``edge.FEEDS`` → ``--edge-feeds``."""
    slug = name.lower().replace("_", "-")
    return f"--{slug}" if group_name == "ui" else f"--{group_name.replace('_', '-')}-{slug}"


def _css() -> str:
    lines = ["/* generated from web/static/palette.json by web/palette.py: edit the JSON, not this */", ":root {"]
    for g, colours in PALETTE.items():
        lines.extend(f"  {var_name(g, n)}: {v};" for n, v in colours.items())
    lines.append("}")
    return "\n".join(lines) + "\n"


CSS = _css()
_ETAG = hashlib.sha256(CSS.encode()).hexdigest()[:16]


def css() -> str:
    """The palette as CSS custom properties on ``:root``."""
    return CSS


def init_app(app: Flask) -> None:
    def palette_css():
        resp = Response(CSS, mimetype="text/css")
        resp.set_etag(_ETAG)
        return resp.make_conditional(request)

    app.add_url_rule("/palette.css", "palette_css", palette_css)
    # for the offline chain map, which carries its styles inline: the text is made from checked colours only
    app.jinja_env.globals.update(palette_css=lambda: Markup(CSS))

    def chain_legend_data(aggregate: bool = True) -> dict:  # the maps' one legend (web.chainmap.legend)
        from . import chainmap

        return chainmap.legend(aggregate=aggregate)

    app.jinja_env.globals.update(chain_legend_data=chain_legend_data)


# ------------------------------------------------------------------ the legend's locality classes
# How the maps colour a firm, platform or project by where the sources place it: one colour per class,
# the same on the chain map, a segment's map, an entity's neighbourhood, the offline file and the PNG.
# "jiangxi" and "china" share a class: both say "in China, not stated to be in Ganzhou", no more.
LOCALITY_CLASSES = ("cluster", "ganzhou", "china", "abroad", "unknown")
LOCALITY_CLASS = {"cluster": "cluster", "ganzhou": "ganzhou", "jiangxi": "china", "china": "china",
                  "abroad": "abroad", "unknown": "unknown"}


def locality_class(locality: str | None) -> str:
    """The legend class of a stored locality (a missing or unknown value is "unknown")."""
    return LOCALITY_CLASS.get(locality or "unknown", "unknown")
