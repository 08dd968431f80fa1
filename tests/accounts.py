"""Accounts for the tests (shared by every layer's tests, like web_data): one password, users made in an app's graph."""

from __future__ import annotations

PASSWORD = "correct horse 1"


def make_user(app, name: str, role: str, password: str = PASSWORD) -> dict:
    from registry.users import Users
    from web.store import store_holder

    return Users(store_holder(app).get()).add(name, role, password)
