"""Errors become responses here, and only here: one JSON body for the API, one page for people."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from registry.errors import Conflict, DiskFull, InvalidInput, NotFound, RegistryError, StoreUnavailable

from .store import drop_broken_store

# error class -> HTTP status; a subclass (e.g. graph's GapNotFound) answers with its nearest base's
HTTP_STATUS: dict[type[RegistryError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    Conflict: 409,
    StoreUnavailable: 503,
    DiskFull: 507,
}


def http_status(exc: RegistryError) -> int:
    """The HTTP status of a registry error: that of the first class in its MRO with one, else 500."""
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, code: str, details=None):
    if wants_json():
        body = {"ok": False, "status": status, "code": code, "error": message}
        if details is not None:
            body["details"] = details
        return jsonify(body), status
    return render_template("error.html", status=status, message=message, code=code, details=details), status


def init_app(app: Flask) -> None:
    @app.errorhandler(RegistryError)
    def _registry_error(exc: RegistryError):
        if isinstance(exc, StoreUnavailable):
            drop_broken_store()  # the next request tries to reconnect
            current_app.logger.warning("store unavailable: %s", exc.message)
        return error_response(http_status(exc), exc.message, exc.code, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name, exc.name.lower().replace(" ", "_"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        current_app.logger.exception("unexpected error on %s", request.path)
        return error_response(500, "服务器内部错误，已记录 / internal error (logged)", "internal_error")
