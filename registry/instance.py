"""Opening the registry of an instance: the one way the web app and the CLI reach the store.

An instance is a folder holding the embedded store and an optional
``config.py``; its settings come from ``registry.settings.load``. A process
keeps one ``StoreHolder``: the web app for its lifetime, a CLI command for the
length of the command.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Mapping

from . import settings
from .repository import Registry
from .store import StoreHolder


def instance_holder(instance: str | os.PathLike | None = None, *,
                    environ: Mapping[str, str] | None = None) -> StoreHolder:
    """The store holder of an instance folder (created if missing), configured as the web app is."""
    return StoreHolder(settings.load(settings.instance_folder(instance), environ=environ))


def registry_of(store_holder: StoreHolder) -> Registry:
    """A Registry over the holder's store (opened if need be; a store that cannot be opened raises
    StoreUnavailable, and the next call tries again)."""
    return Registry(store_holder.get())


@contextmanager
def open_registry(instance: str | os.PathLike | None = None, *, setup: bool = False) -> Iterator[Registry]:
    """The registry of an instance for one piece of work; the store is closed afterwards.

    ``setup`` puts the schema in place (and migrates stored data) first, as the app does on start.
    """
    h = instance_holder(instance)
    try:
        reg = registry_of(h)
        if setup:
            reg.setup_schema()
        yield reg
    finally:
        h.close()
