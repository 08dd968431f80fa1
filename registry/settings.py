"""Settings: named environment variables with defaults, parsed strictly and read only when asked.

Nothing here runs at import time: ``create_app`` and the CLI call ``load`` once,
so a test's config dict is never overridden by the shell it runs in. Both read
an instance the same way: defaults, then ``instance/config.py``, then the
environment (each later source wins).
"""

from __future__ import annotations

import errno
import os
import re
import types
from pathlib import Path
from typing import Any, Mapping

from .errors import InvalidInput

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
CONFIG_FILE = "config.py"


def _bool(name: str, raw: str) -> bool:
    v = raw.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise InvalidInput(f"环境变量 {name}={raw!r} 应为 true/false / {name} must be true or false, not {raw!r}")


def default_instance() -> Path:
    return Path(os.environ.get("XIJIN_INSTANCE") or Path.cwd() / "instance").resolve()


def instance_folder(path: str | os.PathLike | None = None) -> Path:
    """The instance folder (``path``, else the default), resolved and created if missing."""
    folder = (Path(path) if path is not None else default_instance()).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
    if env.get("XIJIN_TRUSTED_HOSTS"):
        out["TRUSTED_HOSTS"] = trusted_hosts(env["XIJIN_TRUSTED_HOSTS"], "XIJIN_TRUSTED_HOSTS")
    if env.get("XIJIN_READ_OPEN"):
        out["READ_OPEN"] = _bool("XIJIN_READ_OPEN", env["XIJIN_READ_OPEN"])
    if env.get("XIJIN_TIMEZONE"):
        out["TIMEZONE"] = time_zone(env["XIJIN_TIMEZONE"], "XIJIN_TIMEZONE")
    return out


def time_zone(raw: str, name: str = "TIMEZONE") -> str:
    """An IANA time zone name (``Asia/Shanghai``) that this system knows; anything else is refused."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = raw.strip() if isinstance(raw, str) else raw
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput(f"{name}: {raw!r} 不是时区名称（如 Asia/Shanghai）/ not a time zone name "
                           "such as Asia/Shanghai") from None
    return value


# the hosts every instance answers to: this computer only
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_HOST = re.compile(r"(?:\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
                   r"|\[[0-9a-f:.]+\])", re.IGNORECASE)


def trusted_hosts(raw: str | list | tuple, name: str = "TRUSTED_HOSTS") -> list[str]:
    """Host names (no port, no scheme; ``.example.org`` also trusts its subdomains), from a comma-separated
    text or a list; anything else is refused, not guessed."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    out = []
    for item in items:
        if not isinstance(item, str) or not _HOST.fullmatch(item.strip()):
            raise InvalidInput(f"{name}: {item!r} 不是主机名（不带端口和协议，逗号分隔）/ not a host name "
                               "(no port or scheme; separate names with commas)")
        out.append(item.strip().lower())
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
        # Every request body (JSON or form) up to 2 MB: a larger one is a 413 before a view reads it. The
        # import of spreadsheets (a later issue) needs larger uploads: give that one route its own limit
        # (Flask >= 3.1: ``request.max_content_length`` set in the view) rather than raising this one.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "TRUSTED_HOSTS": [],          # names besides this computer's (LOOPBACK_HOSTS) the app answers to
        "READ_OPEN": None,            # None: the admin's stored setting decides whether reading needs sign-in
        "SESSION_IDLE_HOURS": 8,      # a session ends after this long without a request
        "LOGIN_RATE_LIMIT": "10 per minute",  # sign-in attempts per address and name
        "LOGIN_RATE_LIMIT_PER_ADDRESS": "50 per minute",  # sign-in attempts per address, all names together
        "RATELIMIT_ENABLED": True,
        # seconds to wait for the embedded store (connect, each answer, a server that does not answer):
        # a hung store gives a 503 within this, not a frozen page; whole-graph reads get the slow timeout
        "STORE_TIMEOUT": 3.0,
        "STORE_SLOW_TIMEOUT": 120.0,
        # the zone times are shown in, on pages and in exports (stored times stay UTC)
        "TIMEZONE": "Asia/Shanghai",
    }


def from_pyfile(path: str | os.PathLike) -> dict[str, Any]:
    """The upper-case names a config file sets (none if it does not exist), as Flask's ``from_pyfile`` reads them."""
    path = Path(path)
    try:
        source = path.read_bytes()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
            return {}
        raise
    module = types.ModuleType("config")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)  # the operator's own file, as Flask does
    return {k: v for k, v in vars(module).items() if k.isupper()}


def load(instance_path: str | os.PathLike, *, test_config: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings of an instance: defaults, then ``instance/config.py``, then the environment;
    or, for a test, defaults then ``test_config`` alone."""
    config = defaults(instance_path)
    if test_config is None:
        config.update(from_pyfile(Path(instance_path) / CONFIG_FILE))
        config.update(from_env(environ))
    else:
        config.update(test_config)
    config["TIMEZONE"] = time_zone(config["TIMEZONE"] or "Asia/Shanghai")
    return config
