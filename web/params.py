"""Parsing request input with exact messages (a bad value is a 400 that names it, never a 500)."""

from __future__ import annotations

from typing import Iterable

from registry.errors import InvalidInput
from registry.model import ROLES, role_code

MAX_QUERY = 200


def int_arg(args, name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name}: 应为整数，收到 {raw[:40]!r} / {name} must be a whole number") from None
    if not lo <= value <= hi:
        raise InvalidInput(f"{name}: {value} 超出范围（{lo}-{hi}）/ {name} is out of range ({lo}-{hi})")
    return value


def choice_arg(args, name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    allowed = list(allowed)
    if raw not in allowed:
        raise InvalidInput(f"{name}: 不支持的值 {raw[:40]!r}，可用：{', '.join(allowed)} / unknown value for {name}")
    return raw


def role_arg(args, name: str = "role") -> str | None:
    """A role filter as its code; the Chinese term that an older link or bookmark carries is accepted too."""
    raw = args.get(name)
    return choice_arg({name: role_code(raw)} if raw else args, name, ROLES)


def text_arg(args, name: str, max_len: int = MAX_QUERY) -> str | None:
    raw = args.get(name)
    if raw is None or not raw.strip():
        return None
    if len(raw) > max_len:
        raise InvalidInput(f"{name}: 过长（{len(raw)} 字，上限 {max_len}）/ {name} is too long ({len(raw)} > {max_len})")
    return raw.strip()


def json_body(request) -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("请求体应为 JSON 对象 / the request body must be a JSON object")
    return data
