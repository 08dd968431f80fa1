"""The error classes of the analysis package.

They are the registry's own error kinds (``registry.errors``: not found,
invalid input) under names that say what went wrong in an analysis, so the
web and CLI layers map them in their one place with no extra case.
``registry.errors`` imports nothing beyond the standard library.
An error is raised with a message of the catalogue (``registry.messages.message(id, ...)``),
kept as ``error.msg``; its text is the Chinese, then the English, and names the value.
"""

from __future__ import annotations

from typing import Any

from registry.errors import InvalidInput, NotFound, RegistryError
from registry.messages import is_message, render


class GraphError(RegistryError):
    """Base of every expected error raised by ``graph``."""

    def __init__(self, message: Any, **kwargs: Any):
        self.msg = message if is_message(message) else None
        if self.msg is not None:
            message = f"{render(self.msg, 'zh')} / {render(self.msg, 'en')}"
        super().__init__(message, **kwargs)


class EntityNotFound(GraphError, NotFound):
    """An id passed to an analysis is not a node of the graph."""


class GapNotFound(GraphError, NotFound):
    """A gap id does not name a gap of the current graph."""


class InvalidGraphData(GraphError, InvalidInput):
    """Rows handed to ``build_graph`` break the graph contract."""


class InvalidOption(GraphError, InvalidInput):
    """A keyword option has a value outside its allowed set or range."""
