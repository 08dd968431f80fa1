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


BACKUPS = "backups"


def write_backup(reg: Registry, instance: str | os.PathLike | None = None) -> "os.PathLike":
    """Write everything the store holds (``Registry.dump``: records, relations, change log) to
    ``<instance>/backups/<UTC time>.json`` and return the path. Written to a temporary file, flushed
    to disk and renamed, so a backup that exists is whole."""
    import json
    from datetime import datetime, timezone

    folder = settings.instance_folder(instance) / BACKUPS
    folder.mkdir(parents=True, exist_ok=True)
    data = json.dumps(reg.dump(), ensure_ascii=False, indent=1).encode("utf-8", "backslashreplace")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    path = folder / f"{stamp}.json"
    tmp = folder / f".{stamp}.json.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path
