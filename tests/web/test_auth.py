"""Sign-in and roles (issue 9): the permission matrix over every write route, tokens, the sign-in rate limit,
trusted hosts, and a change log that records the signed-in user with before → after in Beijing time."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from accounts import PASSWORD, make_user

from registry.repository import Registry
from registry.users import Users
from web.store import store_holder

VIEWER, EDITOR, ADMIN = "viewer", "editor", "admin"


def csrf_of(client, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def state(reg: Registry):
    """What a refused write must leave alone: every record, relation and change-log entry."""
    nodes, rels = reg.export_graph()
    return nodes, rels, len(reg.changes(limit=10000))


# Every write route: (method, path, form-or-json body, role it needs). Form bodies get the CSRF token added.
FORM_WRITES = [
    ("POST", "/entity/ent-b/edit", {"version": "1", "name": "赣县磁材科技有限公司", "locality": "cluster",
                                    "why": "核实"}, EDITOR),
    ("POST", "/entity/ent-c/relations", {"type": "SUPPLIES:in", "other": "ent-a", "why": "合同"}, EDITOR),
    ("POST", "/entity/ent-c/relations/delete", {"relation": "ent-b>SUPPLIES>ent-c", "why": "终止"}, EDITOR),
    ("POST", "/admin/settings", {"read_open": "1"}, ADMIN),
    ("POST", "/tasks/7/status", {"version": "1", "status": "in_progress", "note": "已走访"}, EDITOR),
    ("POST", "/leads", {"firm": "ent-c", "segment": "seg-motor", "gap": "segment:seg-motor"}, EDITOR),
    ("POST", "/leads/lead-1", {"version": "1", "stage": "contacted", "note": "电话联系"}, EDITOR),
]
API_WRITES = [
    ("POST", "/api/v1/entities", {"kind": "enterprise", "id": "ent-new", "name": "新公司", "reason": "录入"}, EDITOR),
    ("PATCH", "/api/v1/entities/ent-b", {"version": 1, "location": "南康区", "reason": "核实"}, EDITOR),
    ("DELETE", "/api/v1/entities/ent-b?version=1", None, EDITOR),
    ("POST", "/api/v1/relations", {"type": "SUPPLIES", "source": "ent-a", "target": "ent-c"}, EDITOR),
    ("DELETE", "/api/v1/relations/ent-b>SUPPLIES>ent-c", None, EDITOR),
    ("PATCH", "/api/v1/tasks/7", {"version": 1, "status": "late", "note": "未按期", "reason": "调度"}, EDITOR),
    ("POST", "/api/v1/leads", {"firm": "ent-c", "segment": "seg-motor", "reason": "招商会"}, EDITOR),
    ("PATCH", "/api/v1/leads/lead-1", {"version": 1, "stage": "contacted", "reason": "已电话联系"}, EDITOR),
]
RANK = {None: -1, VIEWER: 0, EDITOR: 1, ADMIN: 2}
# write routes whose roles are tested in their own files: spreadsheet import (tests/web/test_web_import.py),
# reading a document (tests/web/test_web_ingest.py)
COVERED_ELSEWHERE = {"/import", "/import/<id>/decide", "/import/<id>/again", "/import/<id>/apply",
                     "/import/set/<id>/undo", "/api/v1/import", "/ingest", "/ingest/<id>/review"}


def with_pipeline(reg: Registry, path: str) -> None:
    """The plan tasks (issue 13) for the routes that write them: the small chain has none."""
    if "/tasks/" in path:
        from registry.tasks import Tasks, read_tasks
        from seed.dataset import default_data_dir

        Tasks(reg).load(read_tasks(default_data_dir()), by="seed")
    if "/leads/" in path:  # a lead to change, owned by a user of its own
        from registry.leads import Leads

        Users(reg.store).add("跟进人", EDITOR, PASSWORD)
        Leads(reg).create({"firm": "ent-c", "segment": "seg-motor"}, by="跟进人")


def test_the_matrix_covers_every_write_route(app):
    """A write route added later must join the matrix below (the gate covers it anyway)."""
    covered = {re.sub(r"ent-\w+|lead-\d+|(?<=/tasks/)\d+", "<id>", p.split("?")[0]) for _, p, _, _ in FORM_WRITES + API_WRITES}
    covered = {p.replace("<id>>SUPPLIES><id>", "<id>") for p in covered}
    routes = set()
    for rule in app.url_map.iter_rules():
        if set(rule.methods or ()) - {"GET", "HEAD", "OPTIONS"} and rule.endpoint not in ("auth.login", "auth.logout"):
            routes.add(re.sub(r"<(?:path:)?\w+>", "<id>", rule.rule))
    assert routes == covered | COVERED_ELSEWHERE


@pytest.mark.parametrize("role", [None, VIEWER, EDITOR, ADMIN])
@pytest.mark.parametrize("method, path, body, needs", FORM_WRITES, ids=[w[1] for w in FORM_WRITES])
def test_form_writes_need_their_role(small_app, sign_in, role, method, path, body, needs):
    client = small_app.test_client()
    if role:
        sign_in(client, role, f"{role}-x")
    reg = Registry(store_holder(small_app).get())
    with_pipeline(reg, path)
    before = state(reg)
    r = client.open(path, method=method, data={**body, "csrf_token": csrf_of(client)})
    if role is None:
        assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")
    elif RANK[role] < RANK[needs]:
        assert r.status_code == 403 and "权限不足" in unescape(r.get_data(as_text=True))
    else:
        assert r.status_code == 303, r.get_data(as_text=True)[:2000]
        return
    assert state(reg) == before


@pytest.mark.parametrize("role", [None, VIEWER, EDITOR, ADMIN])
@pytest.mark.parametrize("method, path, body, needs", API_WRITES, ids=[f"{w[0]} {w[1]}" for w in API_WRITES])
def test_api_writes_need_an_editor_token(small_app, bearer, role, method, path, body, needs):
    client = small_app.test_client()
    if role:
        bearer(client, role, f"{role}-t")
    reg = Registry(store_holder(small_app).get())
    with_pipeline(reg, path)
    before = state(reg)
    r = client.open(path, method=method, json=body)
    if role is None or RANK[role] < RANK[needs]:
        status, code = (401, "unauthorized") if role is None else (403, "forbidden")
        assert r.status_code == status and r.get_json() == {"ok": False, "status": status, "code": code,
                                                           "error": r.get_json()["error"]}
        if role is None:
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert state(reg) == before
    else:
        assert r.status_code in (200, 201), r.get_json()


def test_an_api_write_with_the_session_cookie_needs_the_form_token(small_editor, reg):
    """A signed-in browser's cookie goes along with cross-site requests: without a token in the header, no write."""
    r = small_editor.post("/api/v1/entities", json={"kind": "enterprise", "id": "ent-z", "name": "某公司"})
    assert r.status_code == 400 and r.get_json()["code"] == "csrf_failed"
    r = small_editor.post("/api/v1/entities", json={"kind": "enterprise", "id": "ent-z", "name": "某公司"},
                          headers={"X-CSRFToken": csrf_of(small_editor)})
    assert r.status_code == 201 and reg.changes(entity_id="ent-z")[0]["by"] == "李四"


def test_x_user_is_ignored_the_token_names_who(small_app, bearer, reg):
    client = bearer(small_app.test_client(), EDITOR, "王五")
    r = client.patch("/api/v1/entities/ent-b", json={"version": 1, "phone": "0797-1", "reason": "电话核实"},
                     headers={"X-User": "admin", "X-Reason": "伪造"})
    assert r.status_code == 200
    c = reg.changes(entity_id="ent-b", limit=1)[0]
    assert c["by"] == "王五" and c["why"] == "电话核实"


def test_a_bad_token_is_401_even_for_reading(small_client):
    r = small_client.get("/api/v1/entities", headers={"Authorization": "Bearer xj_nope"})
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"


def test_a_disabled_users_token_and_session_stop_working(small_app, bearer, sign_in):
    api = bearer(small_app.test_client(), EDITOR, "赵六")
    page = sign_in(small_app.test_client(), EDITOR, "钱七")
    users = Users(store_holder(small_app).get())
    users.disable("赵六")
    users.disable("钱七")
    assert api.post("/api/v1/relations", json={"type": "SUPPLIES", "source": "ent-a", "target": "ent-c"}).status_code == 401
    assert page.get("/entity/ent-b/edit").status_code == 303


# ------------------------------------------------------------------ signing in
def test_sign_in_and_out_with_a_chinese_name(small_app):
    make_user(small_app, "张三丰", EDITOR)
    client = small_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and 'name="password"' in page
    r = client.post("/login", data={"name": "张三丰", "password": PASSWORD, "next": "/entity/ent-b/edit",
                                    "csrf_token": csrf_of(client)})
    assert r.status_code == 303 and r.headers["Location"] == "/entity/ent-b/edit"
    html = client.get("/entity/ent-b/edit").get_data(as_text=True)
    assert 'id="f-by">张三丰<' in html and "张三丰" in client.get("/").get_data(as_text=True)
    assert Users(store_holder(small_app).get()).get("张三丰")["last_login_at"].endswith("Z")
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert client.get("/entity/ent-b/edit").status_code == 303


def test_a_wrong_password_is_refused_and_the_next_link_stays_on_this_site(small_app):
    make_user(small_app, "甲", EDITOR)
    client = small_app.test_client()
    r = client.post("/login", data={"name": "甲", "password": "wrong password", "csrf_token": csrf_of(client)})
    assert r.status_code == 401 and "用户名或密码不正确" in r.get_data(as_text=True)
    r = client.post("/login", data={"name": "甲", "password": PASSWORD, "next": "//evil.example/",
                                    "csrf_token": csrf_of(client)})
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_sign_in_attempts_are_rate_limited_per_address_and_name(small_app):
    make_user(small_app, "乙", EDITOR)
    client = small_app.test_client()
    token = csrf_of(client)
    codes = [client.post("/login", data={"name": "乙", "password": "guess-%d" % i, "csrf_token": token}).status_code
             for i in range(11)]
    assert codes == [401] * 10 + [429]
    r = client.post("/login", data={"name": "乙", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "登录尝试过于频繁" in r.get_data(as_text=True) and r.headers["Retry-After"]
    r = client.post("/login", data={"name": "乙", "password": PASSWORD, "csrf_token": token},
                    headers={"Accept": "application/json"})
    assert r.get_json()["code"] == "too_many_requests"
    other = small_app.test_client()  # another name from the same address is still let through
    make_user(small_app, "丙", EDITOR)
    assert other.post("/login", data={"name": "丙", "password": PASSWORD,
                                      "csrf_token": csrf_of(other)}).status_code == 303


def test_one_address_trying_many_names_is_limited_too(app_factory):
    app = app_factory(LOGIN_RATE_LIMIT_PER_ADDRESS="5 per minute")
    client = app.test_client()
    token = csrf_of(client)
    codes = [client.post("/login", data={"name": f"name{i}", "password": "guess", "csrf_token": token}).status_code
             for i in range(6)]
    assert codes == [401] * 5 + [429]


def test_sessions_expire_after_idle_hours(small_app):
    from datetime import timedelta

    assert small_app.permanent_session_lifetime == timedelta(hours=8)
    make_user(small_app, "丁", VIEWER)
    client = small_app.test_client()
    client.post("/login", data={"name": "丁", "password": PASSWORD, "csrf_token": csrf_of(client)})
    cookie = client.get_cookie("session")
    assert cookie.expires is not None  # a permanent session: the browser drops it when it expires


# ------------------------------------------------------------------ reading open or closed
def test_reading_is_open_by_default_and_an_admin_can_close_it(small_app, sign_in):
    anon = small_app.test_client()
    assert anon.get("/entity/ent-b").status_code == 200 and anon.get("/api/v1/entities").status_code == 200
    admin = sign_in(small_app.test_client(), ADMIN, "管理员")
    r = admin.post("/admin/settings", data={"csrf_token": csrf_of(admin, "/admin/settings")})  # unticked
    assert r.status_code == 303
    assert anon.get("/entity/ent-b").status_code == 303
    assert anon.get("/api/v1/entities").status_code == 401
    assert anon.get("/login").status_code == 200
    with anon.get("/static/app.css") as css:
        assert css.status_code == 200
    viewer = sign_in(small_app.test_client(), VIEWER, "看客")
    assert viewer.get("/entity/ent-b").status_code == 200
    assert viewer.get("/admin/changes").status_code == 403


def test_read_open_can_be_fixed_in_the_config(app_factory):
    app = app_factory(READ_OPEN=False)
    assert app.test_client().get("/api/v1/entities").status_code == 401
    assert app.test_client().get("/api/v1/health").status_code == 200


# ------------------------------------------------------------------ trusted hosts
@pytest.mark.parametrize("host, status", [
    ("localhost", 200), ("localhost:5000", 200), ("127.0.0.1:8080", 200), ("[::1]:5000", 200), ("[::1]", 200),
    ("evil.example", 400), ("attacker.example:5000", 400), ("127.0.0.1.evil.example", 400), ("", 400),
])
def test_only_trusted_hosts_are_answered(client, host, status):
    r = client.get("/api/v1/health", headers={"Host": host})
    assert r.status_code == status
    if status == 400:
        assert "TRUSTED_HOSTS" in r.get_json()["error"]


def test_a_configured_host_is_trusted(app_factory):
    c = app_factory(TRUSTED_HOSTS=["atlas.example.org", ".corp.local"]).test_client()
    assert c.get("/api/v1/health", headers={"Host": "atlas.example.org:8000"}).status_code == 200
    assert c.get("/api/v1/health", headers={"Host": "x.corp.local"}).status_code == 200
    assert c.get("/api/v1/health", headers={"Host": "localhost"}).status_code == 200
    assert c.get("/api/v1/health", headers={"Host": "other.example"}).status_code == 400


def test_trusted_hosts_from_the_environment_are_parsed_strictly():
    from registry.errors import InvalidInput
    from registry.settings import from_env

    assert from_env({"XIJIN_TRUSTED_HOSTS": "atlas.local, 10.1.2.3"})["TRUSTED_HOSTS"] == ["atlas.local", "10.1.2.3"]
    for junk in ("http://atlas.local", "atlas.local:5000", "a,,b", "a b"):
        with pytest.raises(InvalidInput, match="XIJIN_TRUSTED_HOSTS"):
            from_env({"XIJIN_TRUSTED_HOSTS": junk})


# ------------------------------------------------------------------ the audit trail
def test_an_edit_stores_before_and_after_and_the_page_shows_them_in_beijing_time(small_editor, reg):
    t = csrf_of(small_editor, "/entity/ent-b/edit")
    rec = reg.get("ent-b")
    data = {k: rec.get(k) or "" for k in ("name", "locality", "location", "phone")}
    r = small_editor.post("/entity/ent-b/edit", data={**data, "roles": rec.get("roles") or [], "aliases": "磁材科技",
                                                      "location": "南康区", "version": "1", "why": "走访核实",
                                                      "csrf_token": t})
    assert r.status_code == 303
    c = reg.changes(entity_id="ent-b", limit=1)[0]
    assert c["by"] == "李四" and c["why"] == "走访核实" and c["diff"]["location"] == [rec["location"], "南康区"]
    assert c["at"].endswith("Z")  # stored in UTC
    from web.i18n import beijing_time

    shown = beijing_time(c["at"])
    assert int(shown[11:13]) == (int(c["at"][11:13]) + 8) % 24
    html = unescape(small_editor.get("/entity/ent-b").get_data(as_text=True))
    assert shown in html and "时间（北京时间）" in html
    assert f"<del>{rec['location']}</del> → <ins>南康区</ins>" in html


def test_beijing_time_crosses_midnight():
    from web.i18n import beijing_time

    assert beijing_time("2026-01-31T17:30:00.000000Z") == "2026-02-01 01:30:00"
    assert beijing_time(None) == ""


def test_a_deleted_records_history_stays_readable(small_app, bearer, reg):
    client = bearer(small_app.test_client(), EDITOR, "周八")
    assert client.delete("/api/v1/entities/ent-d?version=1&reason=企业注销").status_code == 200
    r = client.get("/entity/ent-d")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 404 and 'id="gone"' in html and "企业注销" in html and "周八" in html
    name = [c for c in reg.changes(entity_id="ent-d") if c["action"] == "delete"][0]["diff"]["before"]["name"]
    assert f"<del>{name}</del> → <ins>—</ins>" in html
    assert client.get("/entity/never-was").status_code == 404


def test_the_change_logs_before_and_after_are_capped_in_size():
    import json

    from registry.repository import MAX_DIFF, capped_json, change_fields

    diff = {f"f{i}": ["旧" * 3000, "新" * 3000] for i in range(8)}
    text = capped_json(diff)
    assert len(text) <= MAX_DIFF and "截断" in json.loads(text)["f0"][1]
    many = {f"f{i}": ["x" * 900, "y" * 900] for i in range(100)}
    kept = json.loads(capped_json(many))
    assert len(capped_json(many)) <= MAX_DIFF and kept["truncated"][:2] == ["f0", "f1"]
    assert change_fields({"diff": kept})[0] == {"field": "f0", "before": None, "after": None, "truncated": True}


def test_the_admin_change_list_filters_pages_and_exports(small_app, sign_in, bearer, reg):
    writer = bearer(small_app.test_client(), EDITOR, "吴九")
    writer.patch("/api/v1/entities/ent-b", json={"version": 1, "phone": "0797-9", "reason": "电话"})
    admin = sign_in(small_app.test_client(), ADMIN, "管理员")
    html = unescape(admin.get("/admin/changes?by=吴九").get_data(as_text=True))
    assert "共 1 条" in html and "吴九" in html and "→ <ins>0797-9</ins>" in html
    assert "共 0 条" in unescape(admin.get("/admin/changes?by=吴九&action=delete").get_data(as_text=True))
    assert admin.get("/admin/changes?from=2026-13-01").status_code == 400
    assert admin.get("/admin/changes?action=drop").status_code == 400
    assert "共 0 条" in unescape(admin.get("/admin/changes?to=2000-01-01").get_data(as_text=True))
    r = admin.get("/admin/changes.csv?by=吴九")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][0] == "时间（北京时间）" and rows[1][2] == "吴九" and "0797-9" in rows[1][7]
    x = admin.get("/admin/changes.xlsx")
    assert x.status_code == 200 and x.data[:2] == b"PK"
    assert admin.get("/admin/users").status_code == 200 and "吴九" in admin.get("/admin/users").get_data(as_text=True)
    editor = sign_in(small_app.test_client(), EDITOR, "编辑乙")
    assert editor.get("/admin/changes").status_code == 403 and editor.get("/admin/changes.csv").status_code == 403


def test_a_records_history_includes_its_relations(small_app, bearer, reg):
    client = bearer(small_app.test_client(), EDITOR, "郑十")
    r = client.post("/api/v1/relations", json={"type": "SUPPLIES", "source": "ent-a", "target": "ent-c", "reason": "合同"})
    assert r.status_code == 201
    for end in ("ent-a", "ent-c"):
        c = reg.changes(entity_id=end, limit=1)[0]
        assert c["action"] == "relate" and c["by"] == "郑十" and c["why"] == "合同"
    assert "ent-a>SUPPLIES>ent-c" not in [c.get("entity_id") for c in reg.changes(entity_id="ent-b")]
