"""Schema 2 stores roles as codes: a store written by the previous version is migrated once, on start.

Runs on the real embedded store (and on Neo4j when NEO4J_URI is set), with records written exactly as
the previous version wrote them: Chinese role terms, a content hash over those terms, schema version 1.
"""

from __future__ import annotations

import hashlib
import json

from registry import dialect
from registry.model import validate_entity
from registry.repository import Registry, entity_props

SRC = [{"doc": "001_5d877c967d85b7a4.txt", "section": "6．培育打造链主企业", "quote": "突出以中国稀土集团为链主"}]
RECORDS = [
    {"kind": "enterprise", "id": "ent-crg", "name": "中国稀土集团", "locality": "cluster",
     "roles": ["链主", "龙头"], "sources": SRC},
    {"kind": "enterprise", "id": "ent-ym", "name": "粤磁科技", "locality": "cluster",
     "roles": ["重点扶持", "上市培育"], "sources": SRC},
    {"kind": "enterprise", "id": "ent-none", "name": "无角色企业", "locality": "cluster", "sources": SRC},
]
# what the previous version wrote (the test's own Cypher: the app has no reason to write old data)
WRITE_OLD = "CREATE (n:Entity:Enterprise) SET n = $props"
STAMP_OLD = "MERGE (m:Meta {id: 'schema'}) SET m.version = 1"
RAW = "MATCH (n:Entity) RETURN properties(n) AS n ORDER BY n.id"


def old_props(record: dict) -> dict:
    """Node properties as version 1 stored them: the Chinese terms, hashed as they were."""
    entity = validate_entity(record)
    meta = {"created_at": "2025-01-01T00:00:00.000000Z", "updated_at": "2025-01-01T00:00:00.000000Z",
            "version": 1, "updated_by": "seed"}
    props = entity_props(entity, meta=meta)
    if "roles" in record:
        props["roles"] = record["roles"]
        dumped = entity.model_dump(exclude_none=True, mode="json") | {"roles": record["roles"]}
        props["content_hash"] = hashlib.sha1(
            json.dumps(dumped, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return props


def raw_nodes(registry: Registry) -> dict[str, dict]:
    return {r["n"]["id"]: r["n"] for r in registry.store.read(RAW)}


def test_roles_written_as_chinese_terms_become_codes_once(registry):
    for rec in RECORDS:
        registry.store.write(WRITE_OLD, {"props": old_props(rec)})
    registry.store.write(STAMP_OLD)
    before = raw_nodes(registry)
    assert registry.schema_version() == 1
    assert registry.list(role="chain_leader")["total"] == 0

    registry.setup_schema()

    assert registry.schema_version() == dialect.SCHEMA_VERSION
    assert registry.get("ent-crg")["roles"] == ["chain_leader", "leading"]
    assert registry.get("ent-ym")["roles"] == ["key_support", "listing_candidate"]
    assert "roles" not in registry.get("ent-none")
    assert [i["id"] for i in registry.list(role="chain_leader")["items"]] == ["ent-crg"]
    after = raw_nodes(registry)
    # nobody edited the records: version and timestamps stay; only roles and the hash over them change
    for rid in ("ent-crg", "ent-ym"):
        changed = {k for k in before[rid].keys() | after[rid].keys() if before[rid].get(k) != after[rid].get(k)}
        assert changed == {"roles", "content_hash"}, rid
    assert after["ent-none"] == before["ent-none"]
    migrations = [c for c in registry.changes() if c["action"] == "migrate"]
    assert len(migrations) == 1 and migrations[0]["ids"] == ["ent-crg", "ent-ym"] and migrations[0]["by"] == "system"
    # the recomputed hash is the one the current version computes: the same data again writes nothing
    assert registry.upsert_many([{**r, "roles": validate_entity(r).roles} if "roles" in r else r
                                 for r in RECORDS]) == {"enterprise": 0}

    # a second start changes nothing
    registry.setup_schema()
    assert registry.migrate_roles_to_codes() == 0
    assert raw_nodes(registry) == after
    assert len([c for c in registry.changes() if c["action"] == "migrate"]) == 1
    assert registry.schema_version() == dialect.SCHEMA_VERSION


def test_a_new_store_is_stamped_with_the_current_version(registry):
    assert registry.schema_version() is None
    registry.setup_schema()
    assert registry.schema_version() == dialect.SCHEMA_VERSION
    assert registry.changes() == []  # nothing to migrate, nothing written
