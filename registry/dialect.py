"""Everything that differs between Neo4j 5 and the embedded FalkorDB, in one place.

See shared/docs/dialect.md for what was measured. The rest of the registry
writes Cypher in the subset both stores accept; only schema set-up, the
full-text call and error classification live here.
"""

from __future__ import annotations

# 2: enterprise roles are stored as codes (registry.model.ROLES), no longer as Chinese terms
# 3: every record carries search tokens (``search_tokens``, see repository.search_tokens), indexed on both stores
SCHEMA_VERSION = 3

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
    # search (schema 3): the record's search tokens (a list of strings: n-grams, pinyin trigrams, initials,
    # "=" + whole name/alias/id/credit code), with the same cjk analyzer; queried by SEARCH_NEO4J
    "CREATE FULLTEXT INDEX entity_search IF NOT EXISTS FOR (n:Entity) ON EACH [n.search_tokens] "
    "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
)
NEO4J_FULLTEXT = (
    "CALL db.index.fulltext.queryNodes('entity_names', $q) YIELD node, score "
    "RETURN node.id AS id, score ORDER BY score DESC, id LIMIT $limit"
)
NEO4J_SCHEMA_CHECK = (
    "SHOW INDEXES YIELD name, state WHERE name IN $names RETURN name, state"
)
NEO4J_INDEX_NAMES = ["entity_id", "change_id", "user_name", "entity_kind", "entity_name", "change_at", "entity_names",
                     "entity_search"]

# FalkorDB: a unique constraint needs an exact-match index on the same property first.
FALKOR_INDEXES = (
    ("Entity", "id"),
    ("Entity", "kind"),
    ("Entity", "name"),
    ("Change", "id"),
    ("Change", "at"),
    ("User", "name"),
    ("Entity", "search_tokens"),
)
FALKOR_UNIQUE = (("Entity", "id"), ("Change", "id"), ("User", "name"))
FALKOR_INDEX_TEXT = {
    ("Entity", "id"): "CREATE INDEX FOR (n:Entity) ON (n.id)",
    ("Entity", "kind"): "CREATE INDEX FOR (n:Entity) ON (n.kind)",
    ("Entity", "name"): "CREATE INDEX FOR (n:Entity) ON (n.name)",
    ("Change", "id"): "CREATE INDEX FOR (c:Change) ON (c.id)",
    ("Change", "at"): "CREATE INDEX FOR (c:Change) ON (c.at)",
    ("User", "name"): "CREATE INDEX FOR (u:User) ON (u.name)",
    # a range index over a list property indexes each element: `$t IN n.search_tokens` is an index scan
    ("Entity", "search_tokens"): "CREATE INDEX FOR (n:Entity) ON (n.search_tokens)",
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


# ---------------------------------------------------------------- search candidates (registry.Registry.search)
# Both stores answer the same question, SEARCH_PARTS times in one statement (one round trip): for each part
# p, the records that hold every search token $p0..$p7, whose search_text contains every word of $pwords,
# that pass the filters; at most $pcap of them, unordered (ranking happens in Python over these few). A
# search asks for the exact look-up, the leaders and the broad query at once; suggestions ask for four
# probes a time. A part not needed has cap 0. The number of relations, which breaks ties, is asked for only
# where it decides the page (DEGREES): counting the edges of 200 candidates (hubs among them) costs more
# than finding them.
# FalkorDB's own full-text index does not segment Chinese and knows no pinyin, so the embedded store looks
# the tokens up in a range index over the token list: all eight tokens are index predicates, which FalkorDB
# intersects (one rare token makes a common one cheap); fewer tokens repeat the last. Neo4j asks its cjk
# full-text index with a Lucene query of the same tokens ($plucene, built by Neo4jStore.search_candidates).
SEARCH_PARTS = ("a", "b", "c", "d")
SEARCH_SLOTS = 8
# the segment filter walks PART_OF only when asked (its own query text)
_SEARCH_SEGMENT = "WITH n MATCH (n)-[:IN_SEGMENT]->(:Entity)-[:PART_OF*0..8]->(:Entity {id: $segment}) WITH DISTINCT n "


def _search_part(store: str, p: str, segment: bool) -> str:
    # ``p`` is one of SEARCH_PARTS, a fixed prefix of *parameter names* ($ap0, $alucene, …): the texts are
    # built once, at import, into the constant SEARCH dict; every value still travels as a $parameter
    if store == "falkordb":
        start = "MATCH (n:Entity) WHERE " + " AND ".join(f"${p}{i} IN n.search_tokens" for i in range(SEARCH_SLOTS))
    else:
        start = f"CALL db.index.fulltext.queryNodes('entity_search', ${p}lucene) YIELD node AS n WHERE true"
    return (start + f" AND all(w IN ${p}words WHERE n.search_text CONTAINS w) "
            "AND ($kinds IS NULL OR n.kind IN $kinds) "
            "AND ($localities IS NULL OR n.locality IN $localities) "
            "AND ($role IS NULL OR $role IN n.roles) "
            "AND ($level IS NULL OR n.level = $level) "
            + (_SEARCH_SEGMENT if segment else "")
            + f"WITH n LIMIT ${p}cap "
            f"RETURN '{p}' AS part, n.id AS id, n.name AS name, n.aliases AS aliases, n.kind AS kind, "
            "n.locality AS locality, n.roles AS roles, n.credit_code AS credit_code, n.sort_key AS sort_key, "
            "n.updated_at AS updated_at")


# (store, segment asked) -> constant query text
SEARCH = {(store, seg): " UNION ALL ".join(_search_part(store, p, seg) for p in SEARCH_PARTS)
          for store in ("falkordb", "neo4j") for seg in (False, True)}

# the number of relations of a few records (ids), by the store's cheapest means
DEGREES = {
    "falkordb": "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, indegree(n) + outdegree(n) AS relations",
    "neo4j": "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, COUNT { (n)--() } AS relations",
}


# The batch loader's check of relation ends (registry.Registry._check_in_store): of the ids ($ids) that must be
# of one of $kinds, those missing or of another kind; with $outs (the ids are sources of the batch) also those
# that already have an outgoing relation, so the loader looks up stored relations only from those (a first
# load of a file reads an empty reply and no stored relation at all). The out-degree is the store's cheapest
# count: FalkorDB's outdegree(); Neo4j 5's COUNT subquery (Cypher 5; FalkorDB refuses it, as it does a pattern
# predicate on a node an OPTIONAL MATCH left null — hence the CASE around both).
ENDS_CHECK = {
    "falkordb": "UNWIND $ids AS id OPTIONAL MATCH (n:Entity {id: id}) "
                "WITH id, n.kind AS kind, CASE WHEN $outs AND n IS NOT NULL THEN outdegree(n) ELSE 0 END AS out "
                "WHERE kind IS NULL OR NOT kind IN $kinds OR out > 0 RETURN id, kind, out > 0 AS linked",
    "neo4j": "UNWIND $ids AS id OPTIONAL MATCH (n:Entity {id: id}) "
             "WITH id, n, n.kind AS kind "
             "WITH id, kind, CASE WHEN $outs AND n IS NOT NULL THEN COUNT { (n)-->() } ELSE 0 END AS out "
             "WHERE kind IS NULL OR NOT kind IN $kinds OR out > 0 RETURN id, kind, out > 0 AS linked",
}


def lucene_all(tokens) -> str:
    """A Lucene query that requires every token, each as a quoted phrase (so no query syntax of the
    user's text is ever interpreted): ``+"稀土" +"土集"``."""
    return " ".join('+"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in tokens)


def is_unique_violation(message: str) -> bool:
    """FalkorDB reports a broken unique constraint only as text."""
    return "unique constraint" in message.lower()
