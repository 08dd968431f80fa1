"""Shared fixtures: the real embedded store (one server per test session, one graph per test),
and Neo4j when NEO4J_URI is set.

The same store contract tests run on both: parametrised by the ``store`` fixture.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
import web_data
from accounts import make_user

from registry.repository import Registry
from registry.store import FalkorStore, GraphStore, Neo4jStore
from web.store import store_holder

NEO4J_URI = os.environ.get("NEO4J_URI")
NEO4J_SKIP = "NEO4J_URI is not set: the Neo4j contract tests are skipped (set NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD)"


def pytest_report_header(config):
    return [f"neo4j: {NEO4J_URI}" if NEO4J_URI else f"neo4j: {NEO4J_SKIP}"]


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory):
    """One embedded server for the whole session; stopped when the session ends."""
    path = tmp_path_factory.mktemp("store")
    keeper = FalkorStore(path, graph="keeper")
    yield path
    keeper.close()


@contextmanager
def _fresh_falkor(store_dir):
    """An empty graph of its own on the session's embedded server, dropped afterwards."""
    s = FalkorStore(store_dir, graph=f"t{uuid.uuid4().hex[:12]}")
    s.setup_schema()
    try:
        yield s
    finally:
        s.drop_graph()
        s.close()


def _neo4j() -> Neo4jStore:
    return Neo4jStore(NEO4J_URI, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""),
                      database=os.environ.get("NEO4J_DATABASE"))


@pytest.fixture(params=["falkordb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request, store_dir) -> GraphStore:
    """A fresh, empty store with its schema in place — embedded always, Neo4j when configured."""
    if request.param == "neo4j":
        if not NEO4J_URI:
            pytest.skip(NEO4J_SKIP)
        s = _neo4j()
        s.clear()  # Community has one user database: isolate by clearing what tests wrote
        s.setup_schema()
        yield s
        s.clear()
        s.close()
    else:
        with _fresh_falkor(store_dir) as s:
            yield s


@pytest.fixture
def falkor(store_dir) -> FalkorStore:
    """An embedded store only (for tests of the embedded server itself or of app behaviour)."""
    with _fresh_falkor(store_dir) as s:
        yield s


@pytest.fixture
def registry(store) -> Registry:
    return Registry(store)


def app_config(store_dir, tmp_path, **extra) -> dict:
    return {"TESTING": True, "DATA_DIR": str(store_dir), "GRAPH_NAME": f"t{uuid.uuid4().hex[:12]}",
            "SEED_ON_START": False, "NEO4J_URI": None, **extra}


@pytest.fixture
def app(store_dir, tmp_path):
    """The web app on its own empty graph of the session's embedded server."""
    from web import create_app
    from web.store import close_store, store_holder

    app = create_app(app_config(store_dir, tmp_path), instance_path=str(tmp_path / "instance"))
    reg = Registry(store_holder(app).get())
    reg.store.setup_schema()
    yield app
    reg.store.drop_graph()
    close_store(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def seeded_graph_name(store_dir):
    """One graph loaded with the seed dataset, shared read-only by the tests that need it."""
    from seed.loader import load_seed

    name = f"seeded{uuid.uuid4().hex[:8]}"
    s = FalkorStore(store_dir, graph=name)
    s.setup_schema()
    load_seed(Registry(s))
    yield name
    s.drop_graph()
    s.close()


@pytest.fixture
def seeded_app(store_dir, tmp_path, seeded_graph_name):
    """The web app on the seeded graph. Tests using it must not write."""
    from web import create_app
    from web.store import close_store

    app = create_app(app_config(store_dir, tmp_path, GRAPH_NAME=seeded_graph_name),
                     instance_path=str(tmp_path / "instance"))
    yield app
    close_store(app)


@pytest.fixture
def seeded_client(seeded_app):
    return seeded_app.test_client()


# --- the small, fully known chain of the web tests (tests/web_data.py) ---

@pytest.fixture
def small_app(app):
    """The ``app`` fixture's empty graph, loaded with the small chain above."""
    with app.app_context():
        web_data.load_small_chain(Registry(store_holder(app).get()))
    return app


@pytest.fixture
def small_client(small_app):
    return small_app.test_client()


@pytest.fixture
def reg(small_app) -> Registry:
    return Registry(store_holder(small_app).get())


# --- signed-in clients: the user is made in the app's own graph, the session carries their name ---
@pytest.fixture
def sign_in():
    """``sign_in(client, role="editor", name=None)``: make a user of that role in the client's app and sign the
    client in as them (as a completed /login does: Flask-Login's session keys, a permanent session)."""
    def sign_in(client, role: str = "editor", name: str | None = None):
        name = name or f"{role}-user"
        make_user(client.application, name, role)
        with client.session_transaction() as sess:
            sess["_user_id"] = name
            sess["_fresh"] = True
            sess.permanent = True
        return client
    return sign_in


@pytest.fixture
def editor_client(app, sign_in):
    return sign_in(app.test_client(), "editor", "编辑甲")


@pytest.fixture
def admin_client(app, sign_in):
    return sign_in(app.test_client(), "admin", "管理员")


@pytest.fixture
def small_editor(small_app, sign_in):
    """``small_client`` signed in as an editor named 李四."""
    return sign_in(small_app.test_client(), "editor", "李四")


@pytest.fixture
def bearer():
    """``bearer(client, role="editor", name=None)``: make a user, make them an API token (as ``xijin user token``
    does) and send it with every request of the client; returns the client."""
    def bearer(client, role: str = "editor", name: str | None = None):
        from registry.users import Users

        name = name or f"{role}-token"
        make_user(client.application, name, role)
        token = Users(store_holder(client.application).get()).new_token(name)
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client
    return bearer


@pytest.fixture
def app_factory(store_dir, tmp_path):
    """``app_factory(**config)``: a web app with extra settings on a graph of its own (closed and dropped afterwards)."""
    from web import create_app
    from web.store import close_store

    made = []

    def make(**extra):
        app = create_app(app_config(store_dir, tmp_path, **extra), instance_path=str(tmp_path / f"inst{len(made)}"))
        made.append(app)
        return app
    yield make
    for app in made:
        store_holder(app).get().drop_graph()
        close_store(app)


@pytest.fixture
def writer_client(small_editor, bearer):
    """A client allowed to write, on the small chain: an editor signed in (for the forms) who also sends an
    API token (for the JSON API). The hostile-input corpus and the other write tests that take this fixture
    follow it."""
    return bearer(small_editor, "editor", "李四的脚本")
