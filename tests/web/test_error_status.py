"""Errors become HTTP answers in web/errors.py alone: one status per error class, one JSON body."""

from __future__ import annotations

import pytest

from graph.errors import EntityNotFound, GapNotFound, InvalidGraphData, InvalidOption
from registry.errors import Conflict, InvalidInput, NotFound, RegistryError, StoreUnavailable
from web.errors import http_status


class OtherError(RegistryError):
    """An expected error of no more specific kind."""


ERRORS = {cls.__name__: cls for cls in (InvalidInput, NotFound, Conflict, StoreUnavailable, RegistryError, OtherError,
                                         GapNotFound, EntityNotFound, InvalidGraphData, InvalidOption)}


@pytest.fixture
def raising_client(app):
    @app.get("/api/v1/test-raise/<name>")
    def _raise(name):
        raise ERRORS[name]("说明 / what went wrong", details=[{"field": "x", "value": name, "message": "m"}])

    return app.test_client()


@pytest.mark.parametrize("name, status", [
    ("InvalidInput", 400), ("NotFound", 404), ("Conflict", 409), ("StoreUnavailable", 503),
    ("RegistryError", 500), ("OtherError", 500),
    # graph's errors answer as their registry bases
    ("GapNotFound", 404), ("EntityNotFound", 404), ("InvalidGraphData", 400), ("InvalidOption", 400),
])
def test_each_error_class_answers_with_its_status(raising_client, name, status):
    assert http_status(ERRORS[name]("x")) == status
    r = raising_client.get(f"/api/v1/test-raise/{name}")
    assert r.status_code == status
    assert r.get_json() == {"ok": False, "status": status, "code": ERRORS[name].code,
                            "error": "说明 / what went wrong",
                            "details": [{"field": "x", "value": name, "message": "m"}]}


def test_registry_errors_carry_no_transport_codes():
    for cls in ERRORS.values():
        assert not hasattr(cls, "http_status") and not hasattr(cls, "exit_code")
