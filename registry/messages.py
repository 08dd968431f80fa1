"""Words for people: one Chinese/English message catalogue, looked up by message id.

The catalogue is gettext: ``registry/translations/<lang>/LC_MESSAGES/<domain>.po``,
read with Babel and compiled in memory on first use (no build step, no .mo
files to keep in step). Message ids are symbolic (``label.kind.enterprise``,
``gap.segment.no_local.title``), never the Chinese text and never a position in
a tuple; the pages (through Jinja's i18n extension), the CLI and the exports
all read this one catalogue.

Analysis results (``graph``) carry *messages* instead of sentences: a dict
``{"msg": id, "params": {...}}``. :func:`render` turns one into text in a
language; :func:`localise` spells out every message of a result in both
languages, so a JSON answer keeps its ``title_zh`` / ``title_en`` fields.

Domains, one file each, so that separate parts of the code do not edit one file:
``labels`` (names of enumerated values and fields), ``auth`` (sign-in, roles, admin pages, user commands), ``analysis`` (gap reasons,
facts, formulas), ``ui`` (the page templates), ``web`` (what the web's view models
and exports say), ``cli`` (the command line), ``data`` (spreadsheet templates and reading files), ``todo``
(the data to-do list and target measurability), ``search``, ``chain`` (the chain map), ``print`` (print-ready
exports and the one-page brief), ``gaps`` (gap grouping and candidate scores), ``backup`` (backup and restore), ``imports`` (matching, preview, apply and undo of an import), ``ingestweb`` (reviewing and applying a document read into proposals).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any, Iterable, Mapping

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
DOMAINS = ("labels", "analysis", "ui", "web", "cli", "auth", "data", "todo", "search", "chain", "print", "gaps", "backup",
           "imports", "importweb", "pipeline", "ingest", "ingestweb")
TRANSLATIONS = Path(__file__).with_name("translations")

__all__ = ["LANGS", "DEFAULT_LANG", "translations", "catalogue", "has", "text", "label", "render", "localise",
           "message", "is_message"]


def po_path(lang: str, domain: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / f"{domain}.po"


@functools.lru_cache(maxsize=None)
def translations(lang: str) -> Translations:
    """The gettext translations of one language, every domain merged (compiled once per process)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    merged: Translations | None = None
    for domain in DOMAINS:
        path = po_path(lang, domain)
        if not path.exists():
            continue
        with path.open("rb") as fh:
            cat = read_po(fh, locale="zh_Hans_CN" if lang == "zh" else "en", domain=domain)
        buf = io.BytesIO()
        write_mo(buf, cat, use_fuzzy=False)
        buf.seek(0)
        t = Translations(fp=buf, domain=domain)
        if merged is None:
            merged = t
        else:
            merged.merge(t)
    return merged or Translations()


@functools.lru_cache(maxsize=None)
def catalogue(lang: str) -> Mapping[str, str]:
    """Message id -> text of one language (every domain)."""
    return dict(translations(lang)._catalog)  # the compiled catalogue: ids are str, plurals are not used


def has(msgid: str, lang: str = DEFAULT_LANG) -> bool:
    return msgid in catalogue(lang)


def text(msgid: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    """The message ``msgid`` in ``lang``, with ``%(name)s`` parameters filled in.

    A message missing from the catalogue shows its id (the catalogue tests keep that from happening).
    """
    got = catalogue(lang if lang in LANGS else DEFAULT_LANG).get(msgid, msgid)
    return got % params if params else got


def label(group: str, code: Any, lang: str = DEFAULT_LANG) -> str:
    """The name of an enumerated value (``label.<group>.<code>``); an unknown code is shown as it is."""
    if code is None:
        return ""
    msgid = f"label.{group}.{code}"
    cat = catalogue(lang if lang in LANGS else DEFAULT_LANG)
    return cat.get(msgid, str(code))


# ------------------------------------------------------------------ messages in analysis results
def message(msgid: str, **params: Any) -> dict:
    """A message as data: what ``graph`` returns instead of a sentence."""
    return {"msg": msgid, "params": params}


def is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("msg"), str)


def _param(value: Any, lang: str) -> Any:
    if is_message(value):
        return render(value, lang)
    if isinstance(value, dict) and "list" in value:
        return _names(value, lang)
    if isinstance(value, dict) and "label" in value:
        return label(value["label"], value.get("code"), lang)
    if isinstance(value, (list, tuple)):
        return text("list.sep", lang).join(str(_param(v, lang)) for v in value)
    return value


def _names(value: dict, lang: str) -> str:
    """``{"list": [...], "total": N}``: the items joined, with "and N more" when some were left out."""
    items = [str(_param(v, lang)) for v in value["list"]]
    sep = text(value.get("sep") or "list.sep", lang)
    shown = sep.join(items)
    total = value.get("total", len(items))
    if total > len(items):
        return text(value.get("more") or "list.more", lang, shown=shown, total=total, more=total - len(items))
    return shown


def render(m: Mapping[str, Any], lang: str = DEFAULT_LANG) -> str:
    """The text of a message ``{"msg", "params"}`` in ``lang``.

    A parameter may itself be a message, a list of names (``{"list": [...], "total": N}``, joined in
    the language's way), a label (``{"label": group, "code": code}``) or a plain list (joined).
    """
    params = {k: _param(v, lang) for k, v in (m.get("params") or {}).items()}
    return text(m["msg"], lang, **params)


def localise(data: Any, langs: Iterable[str] = LANGS) -> Any:
    """``data`` with every message spelled out in each language, for JSON answers, exports and the CLI.

    - a value that is a bare message (``{"msg", "params"}`` only) under key ``K`` becomes ``K_zh``, ``K_en``;
    - a message with more keys (``{"msg", "params", "ids", ...}``) keeps them and gains ``zh``, ``en``.

    Everything else is copied as it is (lists and dicts recursively).
    """
    langs = tuple(langs)
    if isinstance(data, list):
        return [localise(x, langs) for x in data]
    if not isinstance(data, dict):
        return data
    if is_message(data):
        out = {k: localise(v, langs) for k, v in data.items() if k not in ("msg", "params")}
        for lang in langs:
            out[lang] = render(data, lang)
        return out
    out: dict = {}
    for k, v in data.items():
        if is_message(v) and set(v) <= {"msg", "params"}:
            for lang in langs:
                out[f"{k}_{lang}"] = render(v, lang)
        else:
            out[k] = localise(v, langs)
    return out
