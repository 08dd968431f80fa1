"""Everything that differs between Neo4j 5 and the embedded FalkorDB, in one place.

See shared/docs/dialect.md for what was measured. The rest of the registry
writes Cypher in the subset both stores accept; only schema set-up, the
full-text call and error classification live here.
"""

from __future__ import annotations

# 2: enterprise roles are stored as codes (registry.model.ROLES), no longer as Chinese terms
SCHEMA_VERSION = 2

# Neo4j 5: every statement idempotent by IF NOT EXISTS.
NEO4J_SCHEMA = (
    "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT change_id IF NOT EXISTS FOR (c:Change) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT user_name IF NOT EXISTS FOR (u:User) REQUIRE u.name IS UNIQUE",
    "CREATE INDEX entity_kind IF NOT EXISTS FOR (n:Entity) ON (n.kind)",
    "CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name)",
    "CREATE INDEX change_at IF NOT EXISTS FOR (c:Change) ON (c.at)",
    # the cjk analyzer indexes overlapping bigrams; the default one splits Chinese into single characters
    "CREATE FULLTEXT INDEX entity_names IF NOT EXISTS FOR (n:Entity) ON EACH [n.name, n.alias_text] "
    "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
)
NEO4J_FULLTEXT = (
    "CALL db.index.fulltext.queryNodes('entity_names', $q) YIELD node, score "
    "RETURN node.id AS id, score ORDER BY score DESC, id LIMIT $limit"
)
NEO4J_SCHEMA_CHECK = (
    "SHOW INDEXES YIELD name, state WHERE name IN $names RETURN name, state"
)
NEO4J_INDEX_NAMES = ["entity_id", "change_id", "user_name", "entity_kind", "entity_name", "change_at", "entity_names"]

# FalkorDB: a unique constraint needs an exact-match index on the same property first.
FALKOR_INDEXES = (
    ("Entity", "id"),
    ("Entity", "kind"),
    ("Entity", "name"),
    ("Change", "id"),
    ("Change", "at"),
    ("User", "name"),
)
FALKOR_UNIQUE = (("Entity", "id"), ("Change", "id"), ("User", "name"))
FALKOR_INDEX_TEXT = {
    ("Entity", "id"): "CREATE INDEX FOR (n:Entity) ON (n.id)",
    ("Entity", "kind"): "CREATE INDEX FOR (n:Entity) ON (n.kind)",
    ("Entity", "name"): "CREATE INDEX FOR (n:Entity) ON (n.name)",
    ("Change", "id"): "CREATE INDEX FOR (c:Change) ON (c.id)",
    ("Change", "at"): "CREATE INDEX FOR (c:Change) ON (c.at)",
    ("User", "name"): "CREATE INDEX FOR (u:User) ON (u.name)",
}
FALKOR_FULLTEXT_CREATE = (
    "CALL db.idx.fulltext.createNodeIndex({label: 'Entity', language: 'chinese'}, 'name', 'alias_text')"
)
FALKOR_FULLTEXT = (
    "CALL db.idx.fulltext.queryNodes('Entity', $q) YIELD node, score "
    "RETURN node.id AS id, score ORDER BY score DESC, id LIMIT $limit"
)
FALKOR_LIST_INDEXES = "CALL db.indexes() YIELD label, properties, types RETURN label, properties, types"
FALKOR_LIST_CONSTRAINTS = "CALL db.constraints() YIELD type, label, properties, status RETURN type, label, properties, status"


def is_unique_violation(message: str) -> bool:
    """FalkorDB reports a broken unique constraint only as text."""
    return "unique constraint" in message.lower()
