"""Quotes must be verbatim: the one check that a source's quote is found in the document it cites.

The seed's tests (``seed.dataset.check_quotes``) and the registry's writes use it alike. Whitespace and
line breaks are removed from both the quote and the document before comparing (a PDF's text breaks lines
anywhere); nothing else is normalised: punctuation must match.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from .errors import InvalidInput

# The texts of the documents the registry knows, one .txt per Document record's ``file``. They ship with
# the seed; this is a path, not an import (registry does not import seed).
DEFAULT_DOCUMENTS_DIR = Path(__file__).resolve().parents[1] / "seed" / "documents"

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text with all whitespace (spaces, line breaks, ideographic spaces) removed.

    >>> normalise("赣州 稀土\\n集团　有限")
    '赣州稀土集团有限'
    """
    return _WS.sub("", text)


@lru_cache(maxsize=64)
def document_text(path: str) -> Optional[str]:
    """A document's text, normalised; None when there is no such file."""
    p = Path(path)
    if not p.is_file():
        return None
    return normalise(p.read_text(encoding="utf-8"))


def text_of(doc: str, documents_dir: str | Path | None = None) -> Optional[str]:
    """The normalised text of the document file ``doc``, or None (no such file, or not a plain file name)."""
    if not doc or Path(doc).name != doc or doc.startswith("."):
        return None  # a bare file name only: never a path out of the documents folder
    base = Path(documents_dir) if documents_dir is not None else DEFAULT_DOCUMENTS_DIR
    return document_text(str(base / doc))


def quote_found(quote: str | None, text: str) -> bool:
    """Whether ``quote`` is in the (normalised) ``text``, whitespace-insensitive; an empty quote is not."""
    q = normalise(quote or "")
    return bool(q) and q in text


def check_explicit_quotes(sources: Iterable, registered: set[str], *, field: str = "sources",
                          documents_dir: str | Path | None = None, unchecked: Iterable = ()) -> None:
    """Refuse a source marked ``explicit`` whose quote is not verbatim in the registered document it cites.

    ``sources`` are ``Source`` objects or dicts; ``registered`` the ``file`` names of the Document records.
    A document without a text file cannot be checked and is let through; so are the ``unchecked`` sources
    (those a record already had: an edit of another field is not refused for them).
    """
    unchecked = list(unchecked)
    for i, s in enumerate(sources or ()):
        if s in unchecked:
            continue
        get = s.get if isinstance(s, dict) else (lambda k, _s=s: getattr(_s, k, None))
        doc, basis = get("doc"), get("basis") or "explicit"
        if basis != "explicit" or not doc or doc not in registered:
            continue
        text = text_of(doc, documents_dir)
        if text is None:
            continue
        quote = get("quote")
        if not quote_found(quote, text):
            where = f"{field}.{i}.quote"
            shown = (quote or "")[:80]
            raise InvalidInput(f"{where}: 引文未在文件 {doc} 中逐字找到：{shown!r}（标为明确 explicit 的来源须逐字引用）/ "
                               f"the quote {shown!r} is not found verbatim in {doc} (an explicit source must "
                               "quote its document)",
                               details=[{"field": where, "value": shown, "message": f"not found in {doc}"}])
