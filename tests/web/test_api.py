"""The JSON API's record endpoints and its one error body. Writes send an editor's bearer token (``bearer``)."""

from __future__ import annotations

from web import create_app

FIRM = {"kind": "enterprise", "id": "ent-a", "name": "赣州甲磁材有限公司", "aliases": ["甲磁材"]}


def test_health_and_status(client):
    assert client.get("/api/v1/health").get_json()["data"]["status"] == "ok"
    st = client.get("/api/v1/status").get_json()["data"]
    assert st["schema_ok"] is True and st["counts"]["total_entities"] == 0


def test_create_read_update_conflict_delete(client, bearer):
    bearer(client, name="张三")
    r = client.post("/api/v1/entities", json=FIRM, headers={"X-User": "张三", "X-Reason": "新录入"})
    assert r.status_code == 201 and r.get_json()["data"]["version"] == 1
    assert client.post("/api/v1/entities", json=FIRM).status_code == 409
    r = client.patch("/api/v1/entities/ent-a", json={"version": 1, "location": "赣县区"})
    assert r.status_code == 200 and r.get_json()["data"]["version"] == 2
    r = client.patch("/api/v1/entities/ent-a", json={"version": 1, "location": "南康区"})
    body = r.get_json()
    assert r.status_code == 409 and body == {"ok": False, "status": 409, "code": "conflict",
                                             "error": body["error"], "details": body["details"]}
    assert client.get("/api/v1/entities/ent-a").get_json()["data"]["location"] == "赣县区"
    changes = client.get("/api/v1/entities/ent-a/changes").get_json()["data"]
    assert [c["action"] for c in changes] == ["update", "create"] and changes[1]["by"] == "张三"
    r = client.delete("/api/v1/entities/ent-a")  # a delete must say which version it deletes
    assert r.status_code == 400 and r.get_json()["details"][0]["field"] == "version"
    r = client.delete("/api/v1/entities/ent-a?version=1")  # stale: someone changed it since
    assert r.status_code == 409 and r.get_json()["code"] == "conflict"
    assert client.delete("/api/v1/entities/ent-a?version=2").status_code == 200
    assert client.get("/api/v1/entities/ent-a").status_code == 404


def test_validation_error_names_field_and_value(client, bearer):
    bearer(client)
    r = client.post("/api/v1/entities", json={**FIRM, "credit_code": "91360700MA35FUKE10"})
    body = r.get_json()
    assert r.status_code == 400 and body["code"] == "invalid_input"
    assert body["details"][0]["field"] == "credit_code" and "91360700MA35FUKE10" in body["error"]


def test_relations_and_search(client, bearer):
    bearer(client)
    client.post("/api/v1/entities", json=FIRM)
    client.post("/api/v1/entities", json={"kind": "enterprise", "id": "ent-b", "name": "乙电机"})
    r = client.post("/api/v1/relations", json={"type": "SUPPLIES", "source": "ent-a", "target": "ent-b",
                                               "product": "钕铁硼磁钢"})
    assert r.status_code == 201
    rid = r.get_json()["data"]["id"]
    assert client.get(f"/api/v1/relations/{rid}").get_json()["data"]["product"] == "钕铁硼磁钢"
    hits = client.get("/api/v1/search?q=甲磁").get_json()["data"]
    assert [i["id"] for i in hits["items"]] == ["ent-a"] and hits["items"][0]["matched"]
    nb = client.get("/api/v1/entities/ent-a/neighbourhood").get_json()["data"]
    assert {n["id"] for n in nb["nodes"]} == {"ent-a", "ent-b"}
    assert client.delete(f"/api/v1/relations/{rid}").status_code == 200


def test_bad_input_is_400_never_500(client, bearer):
    bearer(client)
    assert client.get("/api/v1/entities?page=abc").status_code == 400
    assert client.get("/api/v1/entities?page=-1").status_code == 400
    assert client.get("/api/v1/entities?kind=alien").status_code == 400
    assert client.get("/api/v1/entities?sort=name%20DESC").status_code == 400
    assert client.get("/api/v1/search?q=" + "稀" * 5000).status_code == 400
    assert client.get("/api/v1/search").status_code == 400
    assert client.post("/api/v1/entities", data="not json").status_code == 400
    assert client.patch("/api/v1/entities/x", json={"name": "y"}).status_code == 400
    assert client.get("/api/v1/nowhere").get_json()["status"] == 404


def test_store_unavailable_is_503_and_recovers(store_dir, tmp_path):
    app = create_app({"TESTING": True, "NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x",
                      "DATA_DIR": str(store_dir), "GRAPH_NAME": "t503"}, instance_path=str(tmp_path))
    client = app.test_client()
    r = client.get("/api/v1/health")
    assert r.status_code == 503 and "Neo4j" in r.get_json()["error"]
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 503 and "Neo4j" in page.get_data(as_text=True)
    app.config["NEO4J_URI"] = None  # the store "comes back" (here: the embedded one)
    assert client.get("/api/v1/health").status_code == 200


def test_a_nul_character_is_refused_not_a_500(client, bearer):
    bearer(client)
    r = client.post("/api/v1/entities", json={**FIRM, "name": "甲\x00公司"})
    assert r.status_code == 400 and "NUL" in r.get_json()["error"]
    assert client.get("/api/v1/entities/ent-a").status_code == 404


def test_a_nul_character_in_a_page_request_is_a_400(client):
    assert client.get("/search?q=%00").status_code == 400
    assert client.get("/entity/ent%00a").status_code in (400, 404)
    assert client.get("/api/v1/search?q=a%00b").status_code == 400


def test_search_page_offers_outside_the_cluster(client, bearer):
    bearer(client)
    client.post("/api/v1/entities", json={**FIRM, "locality": "abroad"})
    page = client.get("/search?q=甲磁&locality=outside").get_data(as_text=True)
    assert "赣州甲磁材有限公司" in page
    hits = client.get("/api/v1/search?q=甲磁&locality=cluster").get_json()["data"]
    assert hits["total"] == 0


def test_the_app_recovers_when_the_embedded_store_dies(tmp_path, bearer):
    """kill -9 of the store under a running app: at most a clear 503, then it answers again by itself."""
    import os
    import signal

    from web.store import close_store

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "store"), "GRAPH_NAME": "xijin",
                      "NEO4J_URI": None}, instance_path=str(tmp_path))
    client = app.test_client()
    try:
        assert client.get("/api/v1/health").status_code == 200
        bearer(client)
        assert client.post("/api/v1/entities", json=FIRM).status_code == 201
        os.kill(int((tmp_path / "store" / "falkordb.pid").read_text()), signal.SIGKILL)
        first = client.get("/api/v1/entities/ent-a")
        assert first.status_code in (200, 503)
        if first.status_code == 503:
            assert "embedded store" in first.get_json()["error"]
        again = client.get("/api/v1/entities/ent-a")
        assert again.status_code == 200 and again.get_json()["data"]["name"] == FIRM["name"]
    finally:
        close_store(app)
