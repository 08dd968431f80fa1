"""The small error hierarchy of the analysis package.

The classes carry the same ``http_status``, ``exit_code`` and ``code``
attributes as ``registry.errors`` so that the web and CLI layers can map
them in their one place without ``graph`` importing anything beyond
networkx.  Messages are Chinese first, English after, and name the value.
"""

from __future__ import annotations


class GraphError(Exception):
    """Base of every expected error raised by ``graph``."""

    http_status = 500
    exit_code = 1
    code = "error"

    def __init__(self, message: str, *, details: list | dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details


class EntityNotFound(GraphError):
    """An id passed to an analysis is not a node of the graph."""

    http_status = 404
    exit_code = 3
    code = "not_found"


class GapNotFound(GraphError):
    """A gap id does not name a gap of the current graph."""

    http_status = 404
    exit_code = 3
    code = "not_found"


class InvalidGraphData(GraphError):
    """Rows handed to ``build_graph`` break the graph contract."""

    http_status = 400
    exit_code = 2
    code = "invalid_input"


class InvalidOption(GraphError):
    """A keyword option has a value outside its allowed set or range."""

    http_status = 400
    exit_code = 2
    code = "invalid_input"
