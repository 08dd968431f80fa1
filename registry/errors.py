"""The one error hierarchy of the registry.

Every expected failure is one of these four; the web layer maps them to HTTP
status codes and the CLI to exit codes, each in exactly one place.
Messages name the field and the value, in Chinese and English.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every expected registry error."""

    http_status = 500
    exit_code = 1
    code = "error"

    def __init__(self, message: str, *, details: list | dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(RegistryError):
    http_status = 404
    exit_code = 3
    code = "not_found"


class Conflict(RegistryError):
    """A duplicate id, or an update made against a stale version."""

    http_status = 409
    exit_code = 4
    code = "conflict"


class InvalidInput(RegistryError):
    http_status = 400
    exit_code = 2
    code = "invalid_input"


class StoreUnavailable(RegistryError):
    """The graph store cannot be reached, refused our credentials, or failed to start."""

    http_status = 503
    exit_code = 5
    code = "store_unavailable"
