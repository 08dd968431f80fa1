"""Parsing request input with exact messages (a bad value is a 400 that names it, never a 500)."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable

from registry.errors import InvalidInput
from registry.model import ROLES, bad_character, role_code

MAX_QUERY = 200
MAX_DEPTH = 50  # no record nests deeper than a few levels; a deep body is an attack on the parser
_WHOLE = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)


def whole_number(raw: str, name: str) -> int:
    """ASCII digits only: Python's int() also takes '１２３', '1_000' and ' 12 ', which are not numbers here."""
    if not _WHOLE.fullmatch(raw):
        raise InvalidInput(f"{name}: 应为整数（半角数字），收到 {raw[:40]!r} / {name} must be a whole number",
                           details=[{"field": name, "value": raw[:40], "message": "not a whole number"}])
    return int(raw)


def int_arg(args, name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw, name)
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


class _NotANumber:
    """What NaN, Infinity and -Infinity parse to, so that the walk can say where they were."""

    def __init__(self, name: str):
        self.name = name


def json_body(request) -> dict:
    """The request's JSON object, parsed strictly: NaN and Infinity are not JSON, nesting deeper than
    MAX_DEPTH and a string holding a lone surrogate or a control character in a key are refused, each a
    400 that names where. (The body's size is capped by MAX_CONTENT_LENGTH: a larger one is a 413.)"""
    if not request.is_json:
        # not only tidiness: a cross-site page can post text/plain without a CORS preflight, never JSON
        raise InvalidInput("请求体应为 JSON（Content-Type: application/json）/ the request body must be JSON "
                           "(Content-Type: application/json)",
                           details=[{"field": "(body)", "value": request.mimetype, "message": "not JSON"}])
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw, parse_constant=_NotANumber)
    except RecursionError:
        raise InvalidInput(f"请求体嵌套过深（上限 {MAX_DEPTH} 层）/ the JSON body nests too deep (limit {MAX_DEPTH})",
                           details=[{"field": "(body)", "value": None, "message": "nested too deep"}]) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
        raise InvalidInput(f"请求体应为 JSON 对象 / the request body must be a JSON object: {str(exc)[:120]}",
                           details=[{"field": "(body)", "value": None, "message": str(exc)[:120]}]) from None
    if not isinstance(data, dict):
        raise InvalidInput("请求体应为 JSON 对象 / the request body must be a JSON object")
    _check_tree(data)
    return data


def _check_tree(data: Any) -> None:
    """Walk the parsed body without recursion: depth, and strings that cannot be stored or even encoded."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{path or '(body)'}: 嵌套过深（上限 {MAX_DEPTH} 层）/ nested too deep (limit {MAX_DEPTH})",
                               details=[{"field": path or "(body)", "value": None, "message": "nested too deep"}])
        if isinstance(node, dict):
            for k, v in node.items():
                where = f"{path}.{k}" if path else k
                if bad_character(k):
                    _refuse(where.encode("unicode_escape").decode("ascii"), k)
                stack.append((v, where, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, f"{path}.{i}", depth + 1) for i, v in enumerate(node))
        elif isinstance(node, str) and re.search(r"[\ud800-\udfff]", node):
            _refuse(path, node)
        elif isinstance(node, _NotANumber) or (isinstance(node, float) and not math.isfinite(node)):
            name = node.name if isinstance(node, _NotANumber) else "a number too large"
            raise InvalidInput(f"{path or '(body)'}: {name} 不是有限的数 / {name} is not a finite number (NaN and "
                               "Infinity are not JSON)",
                               details=[{"field": path or "(body)", "value": None, "message": f"{name} is not a number"}])


def _refuse(field: str, value: str) -> None:
    bad = bad_character(value)
    raise InvalidInput(f"{field}: 含不允许的字符 {bad}（孤立代理项或控制字符）/ contains the character {bad} "
                       "(a lone surrogate or a control character)",
                       details=[{"field": field, "value": value[:80].encode("unicode_escape").decode("ascii"),
                                 "message": f"bad character {bad}"}])
