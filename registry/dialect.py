"""Everything that differs between Neo4j 5 and the embedded FalkorDB, in one place.

See shared/docs/dialect.md for what was measured. The rest of the registry
writes Cypher in the subset both stores accept; only schema set-up, the
full-text call and error classification live here.
"""

from __future__ import annotations

# 2: enterprise roles are stored as codes (registry.model.ROLES), no longer as Chinese terms
# 3: every record carries search tokens (``search_tokens``, see repository.search_tokens), indexed on both stores
# 4: every record carries what the search's ranking compares (``search_parts``, see repository.search_parts):
#    the engine ranks, orders and cuts a page of hits in one statement (SEARCH_PAGE)
SCHEMA_VERSION = 4

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

# ---------------------------------------------------------------- one page of hits (registry.Registry.search)
# One statement finds, ranks, orders and cuts: the four asks above (the exact look-up as typed and without
# its spaces, the leaders, the broad query) in a CALL { … UNION ALL … } subquery, each from the search index
# with its own cap, as SEARCH; the broad ask reads one row past its cap ($dcap = $dkeep + 1) to say
# whether it was cut (``capped``, even when another ask found that row too) and that extra row is dropped
# unless another ask found it too. Then, for
# each distinct record, the rank that ``repository.rank_key`` states in Python, computed from what the
# record stores (``search_parts``: each name and alias normalised, its full pinyin and its initials, three
# strings a name), and its number of relations (the ties' last key); ordered, counted and cut in the engine.
# The reply is the page's rows in named columns plus the total and whether the broad ask was cut: one row
# of nulls with the total when the page is past the end (or nothing matched).
#
# How a word matches one name (``tier``): 100 the whole name, 80 a prefix, 60 part of it, 40 part of its
# full pinyin, 30 part of its initials, 0 not at all; a word's best is its best name's, and the name field
# counts as the match's field when it reaches that best (an alias only when it does better: Python's
# "strictly better" scan). The whole query (spaces left out) equal to a name, an alias, the id or the credit
# code is one exact match. Parameters: $words, $whole, $leader (the chain-leader role), $leads (the lead
# roles), $local (the in-cluster locality), $skip, $end.
_TIER = ("CASE WHEN p[i] = w THEN 100 WHEN p[i] STARTS WITH w THEN 80 WHEN p[i] CONTAINS w THEN 60 "
         "WHEN p[i + 1] CONTAINS w THEN 40 WHEN p[i + 2] CONTAINS w THEN 30 ELSE 0 END")
_DEGREE = {"falkordb": "indegree(n) + outdegree(n)", "neo4j": "COUNT { (n)--() }"}
# A subquery that imports nothing: Neo4j 5.26's manual writes it with an empty variable scope clause,
# ``CALL () { … }`` (since 5.23; the form without one is deprecated there); FalkorDB 4.16 knows only
# ``CALL { … }`` (measured: "Invalid input '('" for the other).
_CALL = {"falkordb": "CALL { ", "neo4j": "CALL () { "}
# sort order (an allow-list: registry.repository.SORTS) -> ORDER BY of the hits; "relevance" is _RELEVANCE_TAIL
SEARCH_ORDER = {
    "relevance": None,
    "name": "coalesce(n.sort_key, ''), n.id",
    "-name": "coalesce(n.sort_key, '') DESC, n.id DESC",
    "updated": "coalesce(n.updated_at, '') , n.id",
    "-updated": "coalesce(n.updated_at, '') DESC, n.id DESC",
}


# Relevance: the rank without the number of relations is one integer ``g`` (greater ranks first; the parts
# of rank_key before the relations, each within its range: points <= 120, every <= 8 * 100 + 20, aliased
# <= 8 words). Counting a record's relations costs more than everything else here (a hub's edges: 250
# candidates took 12–25 ms at 100k firms against 4 ms for the rest), and it only breaks ties: it is counted
# for the hits whose place on the pages up to this one it decides (those ranking at least as high as the
# one at $end, as the Python ranking before schema 4 did), then those are ordered again with it; the others are only counted.
# They are left out by WHERE, not by a CASE: FalkorDB 4.16 evaluates the arms of a CASE whatever the
# condition (measured over 20,000 rows: ``CASE WHEN false THEN reduce(…50 items…) ELSE 0 END`` 75 ms, the
# reduce alone 107 ms, neither 1.9 ms; ``CASE WHEN false THEN indegree(n) …`` here 15 ms against 7 ms).
_RELEVANCE_TAIL = (
    "WITH n, over, coalesce(n.sort_key, '') AS sk, "
    "  (((points * 1000 + every) * 10 + 9 - aliased) * 8 + (1 - not_leader) * 4 + (1 - not_lead) * 2 + 1 - not_local) "
    "  AS g "
    "ORDER BY g DESC "
    "WITH collect({n: n, g: g, sk: sk}) AS hits, max(over) AS over "
    "WITH hits, over, size(hits) AS total, hits[(CASE WHEN size(hits) < $end THEN size(hits) ELSE $end END) - 1].g "
    "  AS edge "
    "UNWIND hits AS h "
    "WITH h.n AS n, h.g AS g, h.sk AS sk, over, total, edge WHERE g >= edge "
    "WITH n, g, sk, over, total, <DEGREE> AS relations "
    "ORDER BY g DESC, relations DESC, sk, n.id "
    "WITH collect({n: n, relations: relations}) AS hits, max(over) AS over, max(total) AS total ")


def _page_part(store: str, p: str, segment: bool, last: bool) -> str:
    text = _search_part(store, p, segment)
    body = text[:text.index(f"WITH n LIMIT ${p}cap ")]
    if last:  # the broad ask: one row past its cap says it was cut
        return (body + f"WITH n LIMIT ${p}cap WITH collect(n) AS found UNWIND range(0, size(found) - 1) AS i "
                f"RETURN found[i] AS n, CASE WHEN i < ${p}keep THEN 0 ELSE 1 END AS extra")
    return body + f"WITH n LIMIT ${p}cap RETURN n, 0 AS extra"


def search_page(store: str, segment: bool, sort: str, fields) -> str:
    """The one statement of a page of hits (see above); ``fields``: the columns of a hit (an allow-list
    of the model's field names)."""
    parts = " UNION ALL ".join(_page_part(store, p, segment, p == SEARCH_PARTS[-1]) for p in SEARCH_PARTS)
    return (
        _CALL[store] + parts + " } "
        "WITH n, min(extra) AS extra, max(extra) AS cut "
        "WITH collect(CASE WHEN extra = 0 THEN n END) AS kept, max(cut) AS over "
        "UNWIND kept AS n "
        "WITH n, over, coalesce(n.search_parts, []) AS p "
        "WITH n, over, p, [w IN $words | [i IN range(0, size(p) - 1, 3) | " + _TIER + "]] AS t "
        "WITH n, over, t, [r IN t | reduce(m = 0, v IN r | CASE WHEN v > m THEN v ELSE m END)] AS best, "
        "  size(p) > 0 AND replace(p[0], ' ', '') = $whole AS whole_name, "
        "  any(i IN range(3, size(p) - 1, 3) WHERE replace(p[i], ' ', '') = $whole) AS whole_alias, "
        "  n.id = $whole OR toLower(coalesce(n.credit_code, '')) = $whole AS whole_code "
        # the weakest word's best, the sum of the words' bests and the words an alias matched better than
        # the name, in one pass over the words
        "WITH n, over, whole_name OR whole_alias OR whole_code AS whole, whole_alias AND NOT whole_name "
        "  AS whole_by_alias, reduce(a = [1000, 0, 0], k IN range(0, size(t) - 1) | "
        "    [CASE WHEN best[k] < a[0] THEN best[k] ELSE a[0] END, a[1] + best[k], "
        "     a[2] + CASE WHEN t[k][0] < best[k] THEN 1 ELSE 0 END]) AS words, "
        "  CASE WHEN $leader IN coalesce(n.roles, []) THEN 0 ELSE 1 END AS not_leader "
        "WITH n, over, whole, whole_by_alias, words[0] AS weakest, words[1] AS every_word, words[2] AS by_alias, "
        "  not_leader "
        "WHERE whole OR weakest > 0 "
        "WITH n, over, not_leader, "
        "  CASE WHEN whole THEN 100 WHEN not_leader = 0 AND weakest < 100 THEN weakest + $bonus ELSE weakest END "
        "  AS points, "
        "  CASE WHEN whole THEN 100 WHEN not_leader = 0 AND weakest < 100 THEN every_word + $bonus ELSE every_word END "
        "  AS every, "
        "  CASE WHEN whole THEN CASE WHEN whole_by_alias THEN 1 ELSE 0 END ELSE by_alias END AS aliased, "
        "  CASE WHEN any(r IN coalesce(n.roles, []) WHERE r IN $leads) THEN 0 ELSE 1 END AS not_lead, "
        "  CASE WHEN n.locality = $local THEN 0 ELSE 1 END AS not_local "
        + (_RELEVANCE_TAIL.replace("<DEGREE>", _DEGREE[store]) if sort == "relevance" else
           "WITH n, over ORDER BY " + SEARCH_ORDER[sort] + " WITH collect({n: n}) AS hits, max(over) AS over, "
           "count(*) AS total ")
        + "UNWIND CASE WHEN size(hits) > $skip THEN hits[$skip..$end] ELSE [null] END AS hit "
        "WITH total, over, hit, hit.n AS n "
        "RETURN coalesce(total, 0) AS total, over = 1 AS capped, "
        + ("hit.relations" if sort == "relevance" else f"CASE WHEN n IS NULL THEN null ELSE {_DEGREE[store]} END")
        + " AS relations, " + ", ".join("n." + f + " AS " + f for f in fields))


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
