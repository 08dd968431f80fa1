"""The people who may use the registry, their API tokens, and the settings an admin changes.

Users are ``User`` nodes in the same graph store as the records (both stores):
a unique ``name``, a ``role`` (``viewer`` reads and exports, ``editor`` also
changes data, ``admin`` also manages users and settings), an argon2 password
hash, a ``disabled`` flag, and the sha256 digests of their API tokens (a token
itself is shown once, when it is made, and never stored). Times are ISO-8601 UTC.

Cypher text is constant; every value is a ``$parameter``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import Conflict, InvalidInput, NotFound
from .repository import now_iso
from .store import GraphStore

USER_ROLES = ("viewer", "editor", "admin")
RANK = {role: i for i, role in enumerate(USER_ROLES)}
MIN_PASSWORD = 8
MAX_PASSWORD = 200
MAX_NAME = 64
TOKEN_PREFIX = "xj_"

Q_USER_CREATE = "CREATE (u:User) SET u = $props RETURN properties(u) AS u"
Q_USER_GET = "MATCH (u:User {name: $name}) RETURN properties(u) AS u"
Q_USER_LIST = "MATCH (u:User) WITH u ORDER BY u.name RETURN properties(u) AS u"
Q_USER_DISABLE = "MATCH (u:User {name: $name}) SET u.disabled = true, u.token_hashes = [] RETURN properties(u) AS u"
Q_USER_ADD_TOKEN = ("MATCH (u:User {name: $name}) "
                    "SET u.token_hashes = coalesce(u.token_hashes, []) + [$hash] RETURN properties(u) AS u")
Q_USER_BY_TOKEN = "MATCH (u:User) WHERE $hash IN u.token_hashes RETURN properties(u) AS u LIMIT 1"
Q_USER_LOGIN = "MATCH (u:User {name: $name}) SET u.last_login_at = $at RETURN properties(u) AS u"
Q_USER_REHASH = "MATCH (u:User {name: $name}) SET u.password_hash = $hash"
Q_USER_SET_PASSWORD = "MATCH (u:User {name: $name}) SET u.password_hash = $hash RETURN properties(u) AS u"
Q_SETTING_GET = "MATCH (s:Setting {key: $key}) RETURN s.value_json AS v"
Q_SETTING_SET = "MERGE (s:Setting {key: $key}) SET s.value_json = $v, s.updated_at = $at, s.updated_by = $by"

# the settings an admin may change on the settings page, with their defaults
STORED_SETTINGS: dict[str, Any] = {"read_open": True}

_hasher = PasswordHasher()


def token_digest(token: str) -> str:
    """What is stored of an API token: its sha256 (a random 256-bit token needs no slow hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    """A user name as stored: trimmed, NFC; 1–64 characters, no control characters (Chinese is fine)."""
    if not isinstance(name, str):
        raise InvalidInput("name: 用户名应为文本 / the user name must be text")
    name = unicodedata.normalize("NFC", name.strip())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"name: 用户名应为 1-{MAX_NAME} 个字符 / a user name has 1 to {MAX_NAME} characters",
                           details=[{"field": "name", "value": name[:80], "message": "length"}])
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in name):
        raise InvalidInput("name: 用户名不能含控制字符 / a user name cannot hold control characters",
                           details=[{"field": "name", "value": name[:80], "message": "control character"}])
    return name


def check_role(role: str) -> str:
    if role not in USER_ROLES:
        raise InvalidInput(f"role: 未知的角色 '{role}'，可用：{', '.join(USER_ROLES)} / unknown role",
                           details=[{"field": "role", "value": role, "message": "unknown role"}])
    return role


def check_password(password: str) -> str:
    if not isinstance(password, str) or not (MIN_PASSWORD <= len(password) <= MAX_PASSWORD):
        raise InvalidInput(f"password: 密码应为 {MIN_PASSWORD}-{MAX_PASSWORD} 个字符 / a password has "
                           f"{MIN_PASSWORD} to {MAX_PASSWORD} characters",
                           details=[{"field": "password", "message": "length"}])
    return password


def public(u: dict[str, Any]) -> dict[str, Any]:
    """A user as shown: no password hash, no token digests (only how many tokens there are)."""
    return {"name": u["name"], "role": u["role"], "disabled": bool(u.get("disabled")),
            "created_at": u.get("created_at"), "last_login_at": u.get("last_login_at"),
            "tokens": len(u.get("token_hashes") or [])}


def has_role(user_role: str | None, needed: str) -> bool:
    """Whether a role includes another: admin ⊇ editor ⊇ viewer."""
    return user_role in RANK and RANK[user_role] >= RANK[needed]


class Users:
    """The user accounts and stored settings of one graph store."""

    def __init__(self, store: GraphStore):
        self.store = store

    def add(self, name: str, role: str, password: str) -> dict[str, Any]:
        name, role, password = check_name(name), check_role(role), check_password(password)
        props = {"name": name, "role": role, "password_hash": _hasher.hash(password), "disabled": False,
                 "created_at": now_iso(), "token_hashes": []}
        if self.store.read(Q_USER_GET, {"name": name}):
            raise self._exists(name)
        try:
            rows = self.store.write(Q_USER_CREATE, {"props": props})
        except Conflict:  # two adds at once: the unique constraint decides
            raise self._exists(name) from None
        return public(rows[0]["u"])

    @staticmethod
    def _exists(name: str) -> Conflict:
        return Conflict(f"用户 '{name}' 已存在 / user '{name}' already exists",
                        details=[{"field": "name", "value": name, "message": "already exists"}])

    def _raw(self, name: str) -> dict[str, Any] | None:
        rows = self.store.read(Q_USER_GET, {"name": name})
        return rows[0]["u"] if rows else None

    def get(self, name: str) -> dict[str, Any]:
        u = self._raw(name)
        if u is None:
            raise NotFound(f"用户 '{name}' 不存在 / no user named '{name}'")
        return public(u)

    def find(self, name: str) -> dict[str, Any] | None:
        """An enabled user by name, or None (a session of a disabled or deleted user ends)."""
        u = self._raw(name)
        return public(u) if u and not u.get("disabled") else None

    def list(self) -> list[dict[str, Any]]:
        return [public(r["u"]) for r in self.store.read(Q_USER_LIST)]

    def disable(self, name: str) -> dict[str, Any]:
        """Disable a user: sign-in fails, open sessions end, every API token stops working."""
        rows = self.store.write(Q_USER_DISABLE, {"name": name})
        if not rows:
            raise NotFound(f"用户 '{name}' 不存在 / no user named '{name}'")
        return public(rows[0]["u"])

    def new_token(self, name: str) -> str:
        """A new API token for a user (shown once; only its digest is kept)."""
        u = self._raw(name)
        if u is None:
            raise NotFound(f"用户 '{name}' 不存在 / no user named '{name}'")
        if u.get("disabled"):
            raise InvalidInput(f"用户 '{name}' 已停用 / user '{name}' is disabled")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.store.write(Q_USER_ADD_TOKEN, {"name": name, "hash": token_digest(token)})
        return token

    def by_token(self, token: str) -> dict[str, Any] | None:
        """The enabled user an API token belongs to, or None."""
        if not token or len(token) > 200:
            return None
        rows = self.store.read(Q_USER_BY_TOKEN, {"hash": token_digest(token)})
        if not rows or rows[0]["u"].get("disabled"):
            return None
        return public(rows[0]["u"])

    def authenticate(self, name: str, password: str) -> dict[str, Any] | None:
        """The user if the name and password match an enabled account (and the sign-in time is recorded)."""
        try:
            name = check_name(name)
        except InvalidInput:
            return None
        u = self._raw(name)
        if u is None or u.get("disabled") or not password or len(password) > MAX_PASSWORD:
            if u is None:
                _hasher.hash("x" * MIN_PASSWORD)  # an unknown name takes as long as a wrong password
            return None
        try:
            _hasher.verify(u["password_hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        if _hasher.check_needs_rehash(u["password_hash"]):
            self.store.write(Q_USER_REHASH, {"name": name, "hash": _hasher.hash(password)})
        rows = self.store.write(Q_USER_LOGIN, {"name": name, "at": now_iso()})
        return public(rows[0]["u"])

    def set_password(self, name: str, password: str) -> dict[str, Any]:
        """Give a user a new password (e.g. one restored from a backup made without passwords)."""
        password = check_password(password)
        rows = self.store.write(Q_USER_SET_PASSWORD, {"name": name, "hash": _hasher.hash(password)})
        if not rows:
            raise NotFound(f"用户 '{name}' 不存在 / no user named '{name}'")
        return public(rows[0]["u"])

    # -- settings an admin changes -------------------------------------
    def setting(self, key: str) -> Any:
        if key not in STORED_SETTINGS:
            raise InvalidInput(f"setting: 未知的设置 '{key}' / unknown setting")
        rows = self.store.read(Q_SETTING_GET, {"key": key})
        return json.loads(rows[0]["v"]) if rows and rows[0]["v"] is not None else STORED_SETTINGS[key]

    def set_setting(self, key: str, value: Any, *, by: str) -> None:
        if key not in STORED_SETTINGS:
            raise InvalidInput(f"setting: 未知的设置 '{key}' / unknown setting")
        if type(value) is not type(STORED_SETTINGS[key]):
            raise InvalidInput(f"{key}: 取值类型不对 / wrong type of value")
        self.store.write(Q_SETTING_SET, {"key": key, "v": json.dumps(value), "at": now_iso(), "by": by})
