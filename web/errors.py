"""Errors become responses here, and only here: one JSON body for the API, one page for people."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from registry.errors import RegistryError, StoreUnavailable

from .store import store_holder


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
            store_holder().reset()  # the next request tries to reconnect
            current_app.logger.warning("store unavailable: %s", exc.message)
        return error_response(exc.http_status, exc.message, exc.code, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name, exc.name.lower().replace(" ", "_"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        current_app.logger.exception("unexpected error on %s", request.path)
        return error_response(500, "服务器内部错误，已记录 / internal error (logged)", "internal_error")
