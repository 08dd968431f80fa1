"""The one error hierarchy of the registry.

Every expected failure is one of these kinds. Each carries a stable ``code``
(a string the API and logs show) and a message; what a failure means to a
transport (an HTTP status, an exit code) is decided by the web layer and the
CLI, each in exactly one place (``web/errors.py``, ``xijin/cli.py``).
Messages name the field and the value, in Chinese and English.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every expected registry error."""

    code = "error"

    def __init__(self, message: str, *, details: list | dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(RegistryError):
    code = "not_found"


class Conflict(RegistryError):
    """A duplicate id, or an update made against a stale version."""

    code = "conflict"


class InvalidInput(RegistryError):
    code = "invalid_input"


class StoreUnavailable(RegistryError):
    """The graph store cannot be reached, refused our credentials, or failed to start."""

    code = "store_unavailable"


class DiskFull(StoreUnavailable):
    """The store cannot persist a write (no space left on its disk): the write was refused, not acknowledged."""

    code = "disk_full"
