"""The first places two plain-data results differ (for assertion messages of the incremental-analysis tests)."""

from __future__ import annotations


def differences(a, b, path: str = "", limit: int = 5) -> list[str]:
    """Paths where ``a`` and ``b`` differ, with both values (shortened), at most ``limit``."""
    out: list[str] = []

    def walk(x, y, p):
        if len(out) >= limit or x == y:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y), key=repr):
                if k not in x or k not in y:
                    out.append(f"{p}/{k}: only in {'new' if k in y else 'incremental'}")
                else:
                    walk(x[k], y[k], f"{p}/{k}")
            return
        if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{p}[{i}]")
            return
        out.append(f"{p}: {repr(x)[:300]} != {repr(y)[:300]}")

    walk(a, b, path)
    return out
