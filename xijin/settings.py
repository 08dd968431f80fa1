"""Settings: named environment variables with defaults, parsed strictly and read only when asked.

Nothing here runs at import time: ``create_app`` and the CLI call ``from_env``
once, so a test's config dict is never overridden by the shell it runs in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from registry.errors import InvalidInput

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _bool(name: str, raw: str) -> bool:
    v = raw.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise InvalidInput(f"环境变量 {name}={raw!r} 应为 true/false / {name} must be true or false, not {raw!r}")


def default_instance() -> Path:
    return Path(os.environ.get("XIJIN_INSTANCE") or Path.cwd() / "instance").resolve()


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings the environment gives (only those it sets)."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        if env.get(key):
            out[key] = env[key]
    if env.get("XIJIN_GRAPH"):
        out["GRAPH_NAME"] = env["XIJIN_GRAPH"]
    if env.get("XIJIN_SEED_ON_START"):
        out["SEED_ON_START"] = _bool("XIJIN_SEED_ON_START", env["XIJIN_SEED_ON_START"])
    if env.get("XIJIN_SECRET_KEY"):
        out["SECRET_KEY"] = env["XIJIN_SECRET_KEY"]
    return out


def defaults(instance_path: str | os.PathLike) -> dict[str, Any]:
    return {
        "DATA_DIR": str(Path(instance_path) / "store"),
        "GRAPH_NAME": "xijin",
        "SEED_ON_START": True,
        "NEO4J_URI": None,
        "NEO4J_USER": "neo4j",
        "NEO4J_PASSWORD": None,
        "NEO4J_DATABASE": None,
        "JSON_AS_ASCII": False,
    }
