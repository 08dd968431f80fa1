"""One graph store per app, opened lazily and shared by requests; closed when the app stops.

Views call ``get_registry()``; a request that finds the store gone gets a 503
and the next request reconnects by itself.
"""

from __future__ import annotations

import atexit

from flask import Flask, current_app, g

from registry.errors import StoreUnavailable
from registry.instance import registry_of
from registry.repository import Registry
from registry.store import StoreHolder

EXT = "xijin_store"


def init_app(app: Flask) -> None:
    holder = StoreHolder(app.config)
    app.extensions[EXT] = holder
    atexit.register(holder.close)

    @app.teardown_appcontext
    def _forget(exc):  # the registry object is per request; the store behind it is per process
        reg = g.pop("registry", None)
        if isinstance(exc, StoreUnavailable) and reg is not None:
            holder.reset(reg.store)  # only the store this request found broken


def get_registry() -> Registry:
    if "registry" not in g:
        g.registry = registry_of(current_app.extensions[EXT])
    return g.registry


def drop_broken_store() -> None:
    """The store this request used did not answer: drop it (not one another thread has opened since)."""
    reg = g.get("registry")
    if reg is not None:
        store_holder().reset(reg.store)


def store_holder(app: Flask | None = None) -> StoreHolder:
    return (app or current_app).extensions[EXT]


def close_store(app: Flask) -> None:
    app.extensions[EXT].close()
