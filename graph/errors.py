"""The error classes of the analysis package.

They are the registry's own error kinds (``registry.errors``: not found,
invalid input) under names that say what went wrong in an analysis, so the
web and CLI layers map them in their one place with no extra case.
``registry.errors`` imports nothing beyond the standard library.
Messages are Chinese first, English after, and name the value.
"""

from __future__ import annotations

from registry.errors import InvalidInput, NotFound, RegistryError


class GraphError(RegistryError):
    """Base of every expected error raised by ``graph``."""


class EntityNotFound(GraphError, NotFound):
    """An id passed to an analysis is not a node of the graph."""


class GapNotFound(GraphError, NotFound):
    """A gap id does not name a gap of the current graph."""


class InvalidGraphData(GraphError, InvalidInput):
    """Rows handed to ``build_graph`` break the graph contract."""


class InvalidOption(GraphError, InvalidInput):
    """A keyword option has a value outside its allowed set or range."""
