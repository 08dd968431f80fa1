"""The Chinese words the analyses match in plan clauses, quotes and target metrics.

They live in ``vocabulary.yaml`` beside this module (data, not code: one list per use, each
with a comment), read once on import.  What the analyses *say* is in the message catalogue.
"""

from __future__ import annotations

from pathlib import Path

import yaml

__all__ = ["VOCABULARY", "words"]

with (Path(__file__).with_name("vocabulary.yaml")).open(encoding="utf-8") as _fh:
    VOCABULARY: dict = yaml.safe_load(_fh)


def words(name: str) -> tuple[str, ...]:
    """One list of the vocabulary, e.g. ``words("lack_words")``.

    Examples
    --------
    >>> "补链" in words("lack_words")
    True
    """
    return tuple(VOCABULARY[name])
