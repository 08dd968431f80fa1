"""The registry: every read and write of records, relations and the change log.

All Cypher of the application lives in this module (schema statements and the
full-text call, which differ per store, live in ``dialect``). Query text is
constant; values travel as ``$parameters``; where a label or relation type has
to vary, the text is chosen from a dict built once from the model's
allow-lists, never from input.

Every logical write is one statement, so it is atomic on both stores, and it
records its own entry in the change log (who, when, what, why) in that same
statement.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import logging
import re
import threading
import unicodedata
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Optional

from functools import lru_cache

from pypinyin import Style
from pypinyin.constants import RE_HANS
from pypinyin.converter import UltimateConverter
from pypinyin.seg import mmseg

from . import dialect
from .errors import Conflict, InvalidInput, NotFound
from .model import (
    kind_name,
    KINDS,
    LEAD_ROLES,
    LOCAL,
    ROLE_CHAIN_LEADER,
    LOCALITY_FILTERS,
    MODELS,
    RELATION_TYPES,
    ROLE_FROM_ZH,
    Relation,
    basis_of,
    check_endpoints,
    endpoints_allowed,
    relation_id,
    role_code,
    validate_entity,
    validate_relation,
)
from .quotes import check_explicit_quotes
from .store import GraphStore

_log = logging.getLogger(__name__)

BATCH = 5000
# rows per statement of the batch loader (upsert_many, upsert_relations): the next chunk's derived fields
# are built while the store writes the one before, so a chunk is a fraction of a typical load; the
# engine's rate hardly depends on it between 500 and 10,000 (BENCHMARKS.md, "Loader near the engine")
WRITE_BATCH = 2000
META_FIELDS = ("created_at", "updated_at", "version", "updated_by")
DERIVED_FIELDS = ("search_text", "search_tokens", "search_parts", "sort_key", "alias_text", "content_hash", "sources_json", "basis", "seed_json")
# ``seed_json`` is what the seed last offered for a record or relation (its fields as JSON): a field whose
# value differs from it was changed by a user since, and `xijin seed` leaves it (``Registry.upsert_seed``).
# Every write keeps it; only the seed sets it.


def now_iso() -> str:
    """ISO-8601 UTC with a fixed width, so that string order is time order on both stores."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _per_kind(template: str) -> dict[str, str]:
    return {kind: template.replace("<Label>", label) for kind, label in KINDS.items()}


def _per_type(template: str) -> dict[str, str]:
    return {rtype: template.replace("<TYPE>", rtype) for rtype in RELATION_TYPES}


# ---------------------------------------------------------------- queries
Q_GET = "MATCH (n:Entity {id: $id}) RETURN properties(n) AS n"
Q_GET_MANY = "MATCH (n:Entity) WHERE n.id IN $ids RETURN properties(n) AS n"
Q_KINDS_OF = "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, n.kind AS kind, n.content_hash AS hash"
# the kinds alone (a relation's ends): the content hash, 40 characters a row, is most of the reply
Q_KINDS = "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, n.kind AS kind"

Q_CREATE = _per_kind(
    "CREATE (n:Entity:<Label>) SET n = $props "
    "CREATE (c:Change) SET c = $change "
    "RETURN properties(n) AS n")

Q_UPDATE = (
    "MATCH (n:Entity {id: $id}) WHERE n.version = $version "
    "WITH n, n.seed_json AS seed "
    "SET n = $props, n.seed_json = seed "
    "CREATE (c:Change) SET c = $change "
    "RETURN properties(n) AS n")

Q_DELETE = (
    "MATCH (n:Entity {id: $id}) WHERE $version IS NULL OR n.version = $version "
    "OPTIONAL MATCH (n)-[r]-() "
    "WITH n, count(r) AS rels "
    "DETACH DELETE n "
    "CREATE (c:Change) SET c = $change, c.relations_removed = rels "
    "RETURN rels")

Q_UPSERT = _per_kind(
    "UNWIND $rows AS row "
    "MERGE (n:Entity:<Label> {id: row.id}) "
    "WITH n, row, n.created_at AS created, n.version AS version, n.content_hash AS old_hash, n.seed_json AS seed "
    "WHERE old_hash IS NULL OR old_hash <> row.content_hash "
    "SET n = row, n.seed_json = coalesce(row.seed_json, seed), n.created_at = coalesce(created, $now), "
    "    n.updated_at = $now, "
    "    n.version = coalesce(version, 0) + 1, n.updated_by = $by "
    "WITH count(n) AS changed WHERE changed > 0 "
    "CREATE (c:Change) SET c = $change, c.count = changed "
    "RETURN changed")

# the batch loader's records that its read found new: created, not merged (the engine skips MERGE's look-up
# and creation in one; ids are unique in the store, so a record someone else created meanwhile is refused,
# never overwritten)
Q_CREATE_MANY = _per_kind(
    "UNWIND $rows AS row "
    "CREATE (n:Entity:<Label>) "
    "SET n = row, n.created_at = $now, n.updated_at = $now, n.version = 1, n.updated_by = $by "
    "WITH count(n) AS changed WHERE changed > 0 "
    "CREATE (c:Change) SET c = $change, c.count = changed "
    "RETURN changed")

Q_REL_UPSERT = _per_type(
    "UNWIND $rows AS row "
    "MATCH (a:Entity {id: row.source}) MATCH (b:Entity {id: row.target}) "
    "MERGE (a)-[r:<TYPE> {id: row.id}]->(b) "
    "WITH r, row, r.created_at AS created, r.version AS version, r.content_hash AS old_hash, r.seed_json AS seed "
    "WHERE old_hash IS NULL OR old_hash <> row.content_hash "
    "SET r = row, r.seed_json = coalesce(row.seed_json, seed), r.created_at = coalesce(created, $now), "
    "    r.updated_at = $now, "
    "    r.version = coalesce(version, 0) + 1, r.updated_by = $by "
    "WITH count(r) AS changed WHERE changed > 0 "
    "CREATE (c:Change) SET c = $change, c.count = changed "
    "RETURN changed")

# the ends of a batch of relations, checked in the store: of the ids ($ids) that must be of one of $kinds,
# those missing or of another kind (usually none: a batch of well-formed relations reads an empty reply), and
# with $outs those with an outgoing relation already (per store: dialect.ENDS_CHECK, by the store's dialect)
Q_ENDS_CHECK = dialect.ENDS_CHECK

# a relation id names its two ends (source>TYPE>target), so the lookup starts from indexed nodes
Q_REL_GET = ("MATCH (a:Entity {id: $source})-[r {id: $id}]->(b:Entity {id: $target}) "
             "RETURN properties(r) AS r, type(r) AS type, a.id AS source, b.id AS target")

# the stored relations of a batch ($rows: id, source, target), for merging and for the seed's check
Q_REL_GET_MANY = ("UNWIND $rows AS row "
                  "MATCH (a:Entity {id: row.source})-[r {id: row.id}]->(b:Entity {id: row.target}) "
                  "RETURN properties(r) AS r, type(r) AS type, a.id AS source, b.id AS target")
# the same, of one type (a relation id names its type): FalkorDB then walks that type's edges only, not every
# edge of the source — at 100k stored relations a chunk of 5,000 reads in 0.24 s instead of 1.3 s
Q_REL_GET_MANY_TYPED = _per_type(
    "UNWIND $rows AS row "
    "MATCH (a:Entity {id: row.source})-[r:<TYPE> {id: row.id}]->(b:Entity {id: row.target}) "
    "RETURN properties(r) AS r")
Q_DOC_FILES = "MATCH (d:Document) WHERE d.file IN $files RETURN DISTINCT d.file AS file"

# a backup: everything, as stored (bookkeeping and the change log included)
Q_DUMP_NODES = "MATCH (n:Entity) WITH n ORDER BY n.id RETURN properties(n) AS n"
Q_DUMP_RELS = ("MATCH (a:Entity)-[r]->(b:Entity) WITH a, r, b ORDER BY r.id "
               "RETURN properties(r) AS r, type(r) AS type, a.id AS source, b.id AS target")
Q_DUMP_CHANGES = "MATCH (c:Change) WITH c ORDER BY c.at, c.id RETURN properties(c) AS c"

Q_REL_DELETE = (
    "MATCH (a:Entity {id: $source})-[r {id: $id}]->(b:Entity {id: $target}) "
    "DELETE r "
    "CREATE (c:Change) SET c = $change "
    "RETURN count(*) AS deleted")

_REL_ROW = "properties(r) AS r, type(r) AS type, startNode(r).id AS source, endNode(r).id AS target"

# The whole graph for analysis: named columns rather than property maps, and none of the search
# helpers — at 10k firms the reply is parsed in Python and its size is the cost. The column names
# come from the model's own field list (an allow-list), never from input.
GRAPH_NODE_FIELDS = tuple(sorted(
    {f for m in MODELS.values() for f in m.model_fields if f != "sources"} | {"sources_json", "basis", "version"}))
GRAPH_REL_FIELDS = ("id", "product", "note", "sources_json", "basis")
Q_ALL_NODES = ("MATCH (n:Entity) WITH n ORDER BY n.id RETURN "
               + ", ".join("n." + f + " AS " + f for f in GRAPH_NODE_FIELDS))
Q_ALL_RELS = ("MATCH (a:Entity)-[r]->(b:Entity) RETURN type(r) AS type, a.id AS source, b.id AS target, "
              + ", ".join("r." + f + " AS " + f for f in GRAPH_REL_FIELDS))

# The analysis graph patched from the change log (web/analysis.py, Registry.graph_delta): the changes made
# since a snapshot's marker, then just the records and relations they touched, in the columns of
# Q_ALL_NODES / Q_ALL_RELS so that a patched graph holds exactly what a fresh one would.
_GRAPH_NODE_COLUMNS = ", ".join("n." + f + " AS " + f for f in GRAPH_NODE_FIELDS)
_GRAPH_REL_COLUMNS = ("type(r) AS type, a.id AS source, b.id AS target, "
                      + ", ".join("r." + f + " AS " + f for f in GRAPH_REL_FIELDS))
Q_CHANGE_AT = "MATCH (c:Change {id: $id}) RETURN c.at AS at"
Q_CHANGES_SINCE = ("MATCH (c:Change) WHERE c.at >= $since "
                   "RETURN c.id AS id, c.action AS action, c.entity_id AS entity_id, c.ids AS ids LIMIT $limit")
Q_GRAPH_NODES_OF = "MATCH (n:Entity) WHERE n.id IN $ids RETURN " + _GRAPH_NODE_COLUMNS
Q_GRAPH_RELS_FROM = "MATCH (a:Entity)-[r]->(b:Entity) WHERE a.id IN $ids RETURN " + _GRAPH_REL_COLUMNS
Q_GRAPH_RELS_TO = "MATCH (a:Entity)-[r]->(b:Entity) WHERE b.id IN $ids RETURN " + _GRAPH_REL_COLUMNS
Q_GRAPH_RELS_BY_ID = ("UNWIND $rows AS row "
                      "MATCH (a:Entity {id: row.source})-[r {id: row.id}]->(b:Entity {id: row.target}) "
                      "RETURN " + _GRAPH_REL_COLUMNS)
# change-log actions that write a record's fields only (its relations stay as they were); after any other
# action on a record (delete, undo of an import, one this code does not know) its relations are re-read too
NODE_ONLY_ACTIONS = ("create", "update", "upsert", "migrate", "import_item", "relate", "unrelate")
GRAPH_DELTA_LOOKBACK = 5.0  # seconds: a write's time is taken just before it is written

Q_COUNT_KINDS = "MATCH (n:Entity) RETURN n.kind AS kind, count(*) AS n"
Q_COUNT_RELS = "MATCH (:Entity)-[r]->(:Entity) RETURN type(r) AS type, count(*) AS n"
Q_SCHEMA_VERSION = "MATCH (m:Meta {id: 'schema'}) RETURN m.version AS version"
Q_SET_SCHEMA_VERSION = "MERGE (m:Meta {id: 'schema'}) SET m.version = $v"

# Schema 2: roles are codes. A store written before holds the Chinese terms ($terms: ROLE_FROM_ZH's keys).
Q_ROLES_AS_TERMS = ("MATCH (n:Entity) WHERE any(r IN n.roles WHERE r IN $terms) "
                    "WITH n ORDER BY n.id RETURN properties(n) AS n")
Q_SET_ROLES = (
    "UNWIND $rows AS row "
    "MATCH (n:Entity {id: row.id}) "
    "SET n.roles = row.roles, n.content_hash = row.content_hash "
    "WITH count(n) AS changed WHERE changed > 0 "
    "CREATE (c:Change) SET c = $change, c.count = changed "
    "RETURN changed")
# Idempotency keys of API creates (issue 9): the first answer to a key, kept for a day, so a retry is safe
Q_IDEMPOTENCY_GET = ("MATCH (k:IdempotencyKey {key: $key}) WHERE k.at >= $since "
                     "RETURN k.fingerprint AS fingerprint, k.answer AS answer ORDER BY k.at LIMIT 1")
Q_IDEMPOTENCY_PUT = ("MERGE (k:IdempotencyKey {key: $key}) "
                     "SET k.fingerprint = $fingerprint, k.answer = $answer, k.at = $at")
Q_IDEMPOTENCY_EXPIRE = "MATCH (k:IdempotencyKey) WHERE k.at < $since DELETE k"
IDEMPOTENCY_TTL_HOURS = 24
IDEMPOTENCY_KEY_MAX = 200

# a record's history: changes of the record, and of relations it is an end of (relation ids are source>TYPE>target)
Q_CHANGES = ("MATCH (c:Change) WHERE $entity IS NULL OR c.entity_id = $entity OR $entity IN c.ids "
             "  OR any(i IN coalesce(c.ids, []) WHERE i STARTS WITH ($entity + '>') OR i ENDS WITH ('>' + $entity)) "
             "WITH c ORDER BY c.at DESC, c.id LIMIT $limit RETURN properties(c) AS c")
# the admin's change list: every filter optional; dates are ISO-8601 UTC strings (string order is time order)
_CHANGES_WHERE = (
    "MATCH (c:Change) "
    "WHERE ($entity IS NULL OR c.entity_id = $entity OR $entity IN c.ids) "
    "  AND ($by IS NULL OR c.by = $by) "
    "  AND (($action IS NULL AND ($set IS NOT NULL OR c.action <> 'import_item')) OR c.action = $action) "
    "  AND ($set IS NULL OR c.set_id = $set) "
    "  AND ($kind IS NULL OR c.kind = $kind) "
    "  AND ($since IS NULL OR c.at >= $since) "
    "  AND ($until IS NULL OR c.at < $until) ")
Q_CHANGES_PAGE = _CHANGES_WHERE + "WITH c ORDER BY c.at DESC, c.id SKIP $skip LIMIT $limit RETURN properties(c) AS c"
Q_CHANGES_COUNT = _CHANGES_WHERE + "RETURN count(c) AS total"
Q_CHANGE_AUTHORS = "MATCH (c:Change) RETURN DISTINCT c.by AS by ORDER BY by LIMIT 500"
# an import is one change set: its head ("import") lists in the change log; its items ("import_item", one per
# record or relation written) show in each record's history and under the import, not in the list itself
CHANGE_ACTIONS = ("create", "update", "delete", "upsert", "relate", "unrelate", "migrate", "import", "import_item",
                  "undo_import")

# Browsing by filters alone (a query goes to Registry.search). The segment filter walks PART_OF only
# when one is asked for: its own query text, chosen by whether $segment is set.
_LIST_FILTERS = (
    "MATCH (n:Entity) "
    "WHERE ($kinds IS NULL OR n.kind IN $kinds) "
    "  AND ($localities IS NULL OR n.locality IN $localities) "
    "  AND ($role IS NULL OR $role IN n.roles) "
    "  AND ($level IS NULL OR n.level = $level) ")
_LIST_BODY = {
    False: _LIST_FILTERS,
    True: _LIST_FILTERS + "MATCH (n)-[:IN_SEGMENT]->(:Entity)-[:PART_OF*0..8]->(:Entity {id: $segment}) "
                          "WITH DISTINCT n ",
}
_LIST_ORDER = {
    "name": "WITH n ORDER BY n.sort_key, n.id SKIP $skip LIMIT $limit RETURN properties(n) AS n",
    "-name": "WITH n ORDER BY n.sort_key DESC, n.id SKIP $skip LIMIT $limit RETURN properties(n) AS n",
    "updated": "WITH n ORDER BY n.updated_at, n.id SKIP $skip LIMIT $limit RETURN properties(n) AS n",
    "-updated": "WITH n ORDER BY n.updated_at DESC, n.id SKIP $skip LIMIT $limit RETURN properties(n) AS n",
}
# (sort order, segment asked) -> constant query text (an allow-list, never the request's words)
LIST_SORTS = {(sort, seg): _LIST_BODY[seg] + text for sort, text in _LIST_ORDER.items() for seg in (False, True)}
Q_LIST_COUNT = {seg: _LIST_BODY[seg] + "RETURN count(n) AS total" for seg in (False, True)}
# the one list of sort orders the pages and the API accept; "relevance" (the default) ranks the hits of a
# query (Registry.search) and is the name order when there is no query
SORTS = ("relevance", *_LIST_ORDER)

# Search (Registry.search): one statement (SEARCH_PAGE, built by dialect.search_page) finds the candidates
# through the store's search index, at most SEARCH_CAP of the broad query's, ranks them from what each
# record stores (search_parts) and returns one page of them; Q_SEARCH_MISSING / Q_SET_SEARCH bring older
# records up to schema 4 (search_tokens since schema 3, search_parts since 4).
SEARCH_CAP = 200
SEARCH_MAX_WORDS = 8
SEARCH_MAX_TOKENS = 8  # = the index slots of dialect.SEARCH on the embedded store
Q_SEARCH_MISSING = ("MATCH (n:Entity) WHERE n.search_tokens IS NULL OR n.search_parts IS NULL "
                    "RETURN n.id AS id, n.name AS name, n.aliases AS aliases, n.credit_code AS credit_code, "
                    "n.roles AS roles "
                    "LIMIT $limit")
Q_SET_SEARCH = ("UNWIND $rows AS row MATCH (n:Entity {id: row.id}) "
                "SET n.search_tokens = row.search_tokens, n.search_text = row.search_text, "
                "n.search_parts = row.search_parts "
                "RETURN count(n) AS changed")
Q_MIGRATE_NOTE = "CREATE (c:Change) SET c = $change"
# a page of hits as the API shows them: the record's fields by name (an allow-list from the model), not
# properties(n), which would carry its hundred search tokens to be parsed and thrown away
SEARCH_ITEM_FIELDS = tuple(dict.fromkeys(GRAPH_NODE_FIELDS + META_FIELDS))
Q_SEARCH_ITEMS = ("MATCH (n:Entity) WHERE n.id IN $ids RETURN "
                  + ", ".join("n." + f + " AS " + f for f in SEARCH_ITEM_FIELDS))
# (store, segment asked, sort order) -> the constant text of one page of hits
SEARCH_PAGE = {(store, seg, sort): dialect.search_page(store, seg, sort, SEARCH_ITEM_FIELDS)
               for store in ("falkordb", "neo4j") for seg in (False, True) for sort in dialect.SEARCH_ORDER}
# A record's neighbours, in named columns (m_<field>) rather than properties(m): the search helpers (some 60
# search_tokens a record) made most of the reply, parsed in Python and then dropped (entity_out); the busiest
# firm's neighbourhood at 10k firms read in 61 ms instead of 140 ms
TOUCHING_FIELDS = SEARCH_ITEM_FIELDS
Q_TOUCHING = (
    "MATCH (n:Entity)-[r]-(m:Entity) WHERE n.id IN $ids "
    "RETURN DISTINCT " + _REL_ROW + ", " + ", ".join("m." + f + " AS m_" + f for f in TOUCHING_FIELDS) + " "
    "LIMIT $limit")


# ---------------------------------------------------------------- helpers
# Pinyin the way ``pypinyin.lazy_pinyin(text, errors="default")`` gives it, syllable for syllable, without
# paying for it once per name: pypinyin splits a text into runs of Han and other characters, cuts each Han
# run into words (its phrase dictionary, longest match first: 重庆 chong qing, 银行 yin hang) and converts
# each word on its own. The same steps are taken here, each word's syllables remembered: a batch of 10,000
# new names holds a few thousand distinct words, so the conversion (most of pypinyin's time) is done once
# per word, not once per name. tests/registry/test_loader.py checks the result equals lazy_pinyin's.
_HANS_CLASS = RE_HANS.pattern[len("^(?:["):-len("])+$")]
_HAN_OR_OTHER = re.compile(f"[{_HANS_CLASS}]+|[^{_HANS_CLASS}]+")
_CONVERTER = UltimateConverter()  # lazy_pinyin's own converter, with its defaults


@lru_cache(maxsize=1 << 17)
def _word_syllables(word: str) -> tuple[str, ...]:
    """One word as pypinyin cut it (or a run of other characters, kept as it is), as lower-case syllables."""
    return tuple(s.lower() for item in _CONVERTER.convert(word, Style.NORMAL, False, "default", True) for s in item)


@lru_cache(maxsize=1 << 16)
def _han_words(run: str) -> tuple[str, ...]:
    """A run of Han characters cut into words by pypinyin's own segmenter (its phrase dictionary)."""
    return tuple(mmseg.seg.cut(run))


@lru_cache(maxsize=65536)
def _syllables(text: str) -> tuple[str, ...]:
    """Pinyin syllables of a text, equal to ``lazy_pinyin(text, errors="default")`` lower-cased (its phrase
    dictionary picks the reading of polyphones such as 重 and 长). Pure-ASCII text needs no lookup."""
    if text.isascii():
        return tuple(text.lower().split())
    out: list[str] = []
    for part in _HAN_OR_OTHER.findall(text):
        if RE_HANS.match(part):
            for word in _han_words(part):
                out += _word_syllables(word)
        elif part.isascii():  # kept as it is, lower-cased (what the converter gives, without its cost: a
            out.append(part.lower())  # new name's digits are a new word each time)
        else:
            out += _word_syllables(part)
    return tuple(out)


def _pinyin(text: str) -> tuple[str, str]:
    """Full pinyin and initials of a Chinese name: 中国稀土 -> ('zhongguoxitu', 'zgxt')."""
    syl = [s.replace(" ", "") for s in _syllables(text)]
    return "".join(syl), "".join(s[:1] for s in syl)


def sort_key(name: str) -> str:
    """Chinese names sort by pinyin, as staff expect (and as Excel's Chinese sort does)."""
    return " ".join(_syllables(name))


# ---------------------------------------------------------------- search fields
# A record is found through tokens written with it (``search_tokens``, indexed on both stores) and checked
# against ``search_text`` (its names and their pinyin, one per line). Tokens of a name or alias, after
# normalising (NFKC, lower case, single spaces):
#   - every character and every pair of neighbouring characters (Chinese has no spaces: 稀土 is found in
#     中国稀土集团 through its bigram; a one-character query through the unigram);
#   - every three letters/digits of a Latin run (tesla -> tes, esl, sla);
#   - the pinyin of its Chinese characters: every three letters of the full pinyin (xitu -> xit, itu) and
#     every one, two and three letters of the initials (zgxt -> zgx, gxt);
#   - "=" + the whole name or alias, and "=" + the id and credit code (the exact look-up);
#   - for a chain leader or leading firm (LEAD_ROLES), every token again with "!" in front: the few leaders
#     that hold a broad query's tokens are found by their own look-up, whatever the cap of the broad one.
# A query word asks for its bigrams (Chinese or mixed), its trigrams (Latin, 3+ letters) or itself (1-2
# characters); the store returns records holding all of them whose search_text contains every word.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_RUN = re.compile(r"[a-z0-9]{3,}")


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Text as search compares it: NFKC (full-width letters, digits and brackets become plain), lower
    case, whitespace collapsed to single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@lru_cache(maxsize=65536)
def _han_pinyin(text: str) -> tuple[str, str]:
    """Full pinyin and initials of the Chinese characters of a text (others left out):
    中国稀土集团 -> ('zhongguoxitujituan', 'zgxtjt')."""
    han = "".join(_CJK.findall(text))
    return _pinyin(han) if han else ("", "")


def search_text(name: str, aliases: Iterable[str]) -> str:
    """What a query word must be part of: each name and alias normalised, then the full pinyin and the
    initials of each, one per line (so no word matches across two of them)."""
    parts = [normalise(p) for p in [name, *aliases] if p and p.strip()]
    out = list(parts)
    for p in parts:
        full, initials = _han_pinyin(p)
        if full:
            out += [full, initials]
    return "\n".join(out)


def search_parts(name: str, aliases: Iterable[str]) -> list[str]:
    """What the search's ranking compares a query word with, stored with the record so that the store
    ranks (dialect.search_page): for the name and then each alias, three strings — the text normalised,
    the full pinyin of its Chinese characters and their initials ("" when it has none), as
    ``explain_match`` compares them: 中国稀土集团 / 稀土集团 -> [中国稀土集团, zhongguoxitujituan, zgxtjt, 稀土集团,
    xitujituan, xtjt]."""
    out: list[str] = []
    for part in (name, *aliases):
        v = normalise(part) if part else ""
        out += [v, *_han_pinyin(v)]
    return out


def _gram_list(text: str, n: int) -> list[str]:
    """Every ``n`` neighbouring characters of each whitespace-separated run of ``text``."""
    if " " not in text and text.isprintable():  # no whitespace at all: one run
        return [text[i:i + n] for i in range(len(text) - n + 1)]
    return [run[i:i + n] for run in text.split() for i in range(len(run) - n + 1)]


def _pairs(run: str) -> map:
    return map(str.__add__, run, run[1:])


def _triples(run: str) -> map:
    return map("".join, zip(run, run[1:], run[2:]))


def _part_tokens(p: str) -> set[str]:
    """The tokens of one normalised name or alias (see the comment above ``search_tokens``): the same as
    the grams of ``_gram_list``, built without a Python step per gram (``p`` is normalised: its only
    whitespace is single spaces; pinyin has none)."""
    toks = set(p)
    toks.discard(" ")  # every character of each run
    toks.add("=" + p)
    for run in (p.split(" ") if " " in p else (p,)):
        toks.update(_pairs(run))
    for run in _LATIN_RUN.findall(p):
        toks.update(_triples(run))
    full, initials = _han_pinyin(p)
    if full:
        toks.update(_triples(full))
        toks.update(initials)
        toks.update(_pairs(initials))
        toks.update(_triples(initials))
    return toks


def search_tokens(name: str, aliases: Iterable[str], codes: Iterable[str | None] = (), *,
                  lead: bool = False) -> list[str]:
    """The tokens a record is found by (see the comment above); ``codes``: its id and credit code;
    ``lead``: it is a chain leader or leading firm."""
    toks: set[str] = set()
    for part in (name, *aliases):
        p = normalise(part) if part else ""
        if p:
            toks |= _part_tokens(p)
    if lead:
        toks |= {"!" + t for t in toks if not t.startswith("=")}
    toks.update("=" + normalise(c) for c in codes if c)
    return sorted(toks)


def word_tokens(word: str) -> list[str]:
    """The tokens a record must hold for a query word to be part of it (see ``search_tokens``), the most
    telling first: the trigrams of its Latin/digit runs (合成企业0012 -> 001, 012), then its bigrams from
    both ends inwards."""
    if len(word) <= 2:
        return [word]
    if word.isascii() and word.isalnum():
        return _ends_first([word[i:i + 3] for i in range(len(word) - 2)])
    runs = [run[i:i + 3] for run in _LATIN_RUN.findall(word) for i in range(len(run) - 2)]
    return list(dict.fromkeys(runs + _ends_first([word[i:i + 2] for i in range(len(word) - 1)])))


def _ends_first(grams: list[str]) -> list[str]:
    out, lo, hi = [], 0, len(grams) - 1
    while lo <= hi:
        out.append(grams[lo])
        if hi != lo:
            out.append(grams[hi])
        lo, hi = lo + 1, hi - 1
    return list(dict.fromkeys(out))


def query_tokens(words: list[str]) -> list[str]:
    """At most SEARCH_MAX_TOKENS tokens of the query's words, taken from each word in turn (longest word
    first) and most telling first. A record must hold them all: the embedded store intersects their index
    entries (so one rare token is enough to make a common one cheap); search_text checks the rest."""
    lists = [word_tokens(w) for w in sorted(words, key=len, reverse=True)]
    out: list[str] = []
    for i in range(max(map(len, lists), default=0)):
        for grams in lists:
            if i < len(grams) and grams[i] not in out:
                out.append(grams[i])
    return out[:SEARCH_MAX_TOKENS]


_HASH_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # = json.dumps(obj, ensure_ascii=False, sort_keys=True)


def _hash(obj: Any) -> str:
    return hashlib.sha1(_HASH_JSON.encode(obj).encode()).hexdigest()


def _sources_json(sources: list) -> str:
    return json.dumps(sources, ensure_ascii=False) if sources else "[]"


def content_hash(entity) -> str:
    """What a record says, hashed: an upsert of an unchanged record writes nothing."""
    return _hash(entity.model_dump(exclude_none=True, mode="json"))


def entity_props(entity, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A validated entity as node properties: sources as JSON text, derived search fields added."""
    data = entity.model_dump(exclude_none=True, mode="json")
    digest = _hash(data)
    sources = data.pop("sources", [])
    props = {k: v for k, v in data.items() if v != [] or k in ("aliases",)}
    props["sources_json"] = _sources_json(sources)
    props["basis"] = basis_of(entity.sources)
    props["alias_text"] = " / ".join(entity.aliases)
    props["search_text"] = search_text(entity.name, entity.aliases)
    props["search_parts"] = search_parts(entity.name, entity.aliases)
    props["search_tokens"] = search_tokens(entity.name, entity.aliases,
                                           (entity.id, getattr(entity, "credit_code", None)),
                                           lead=any(r in LEAD_ROLES for r in getattr(entity, "roles", None) or ()))
    props["sort_key"] = sort_key(entity.name)
    props["content_hash"] = digest
    if meta:
        props.update(meta)
    return props


# what relation_props reads of a Relation, in the model's field order (its model_dump's order); a model with
# other fields takes the plain path (model_dump), so a field added to the model is never silently dropped
_REL_FIELDS = ("type", "source", "target", "product", "note", "sources")
_REL_FAST = tuple(Relation.model_fields) == _REL_FIELDS
_json_string = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) writes for a str


def relation_props(rel: Relation, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A validated relation as edge properties: the same as ``_relation_props_plain`` (its model_dump, its
    content hash over sorted-key JSON), built from the fields directly — the loader makes one per row, and
    the dump and the general JSON encoder were most of its cost."""
    if not _REL_FAST:
        return _relation_props_plain(rel, meta=meta)
    source, target, product, note = rel.source, rel.target, rel.product, rel.note
    props = {"source": source, "target": target}
    # the hash text, as _hash writes it: the keys sorted (note, product, source, sources, target, type), ", "
    # and ": ", every value a str but the sources
    text = ""
    if product is not None:
        props["product"] = product
    if note is not None:
        props["note"] = note
        text = '"note": ' + _json_string(note) + ", "
    if product is not None:
        text += '"product": ' + _json_string(product) + ", "
    sources = [s.model_dump(exclude_none=True, mode="json") for s in rel.sources] if rel.sources else []
    text = ("{" + text + '"source": ' + _json_string(source) + ', "sources": '
            + (_HASH_JSON.encode(sources) if sources else "[]") + ', "target": ' + _json_string(target)
            + ', "type": ' + _json_string(rel.type) + "}")
    props["id"] = relation_id(rel.type, source, target)  # (= rel.id)
    props["sources_json"] = _sources_json(sources)
    props["basis"] = basis_of(rel.sources)
    props["content_hash"] = hashlib.sha1(text.encode()).hexdigest()
    if meta:
        props.update(meta)
    return props


def _relation_props_plain(rel: Relation, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    data = rel.model_dump(exclude_none=True, mode="json")
    sources = data.pop("sources", [])
    data.pop("type", None)
    props = dict(data)
    props["id"] = rel.id
    props["sources_json"] = _sources_json(sources)
    props["basis"] = basis_of(rel.sources)
    props["content_hash"] = _hash(data | {"sources": sources, "type": rel.type})
    if meta:
        props.update(meta)
    return props


def entity_out(props: dict[str, Any]) -> dict[str, Any]:
    """Node properties as the API shows a record: sources parsed, search helpers dropped."""
    out = {k: v for k, v in props.items() if k not in ("search_text", "search_tokens", "search_parts", "sort_key",
                                                       "alias_text", "content_hash", "sources_json", "seed_json")}
    out["sources"] = json.loads(props.get("sources_json") or "[]")
    out.setdefault("aliases", [])
    return out


def relation_out(row: dict[str, Any]) -> dict[str, Any]:
    props = row["r"]
    out = {k: v for k, v in props.items() if k not in ("content_hash", "sources_json", "seed_json")}
    out.update(type=row["type"], source=row["source"], target=row["target"])
    out["sources"] = json.loads(props.get("sources_json") or "[]")
    return out


def _record_fields(rec: dict[str, Any]) -> dict[str, Any]:
    """A stored record back to the fields a user edits (no meta, no derived fields)."""
    return {k: v for k, v in rec.items() if k not in META_FIELDS and k not in DERIVED_FIELDS}


def _change(action: str, *, by: str | None, why: str | None, entity_id: str | None = None,
            kind: str | None = None, summary: str = "", ids: list[str] | None = None,
            diff: dict | None = None, at: str | None = None) -> dict[str, Any]:
    c = {"id": uuid.uuid4().hex, "at": at or now_iso(), "action": action, "by": by or "system",
         "summary": summary}
    if why:
        c["why"] = why
    if entity_id:
        c["entity_id"] = entity_id
    if kind:
        c["kind"] = kind
    if ids is not None:
        c["ids"] = ids[:1000]
    if diff is not None:
        c["diff_json"] = capped_json(diff)
    return c


MAX_DIFF_VALUE = 1000   # characters of one field's before or after kept in the change log
MAX_DIFF = 20000        # characters of one change's whole before/after text


def _clip(value: Any, limit: int) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) <= limit:
        return value
    return text[:limit] + f"…（截断，共 {len(text)} 字 / cut, {len(text)} characters）"


def capped_json(diff: dict) -> str:
    """A change's before/after as JSON text, capped in size: a long value is cut (saying so), and if the
    whole is still too long only the field names are kept."""
    def clip_all(obj, limit):
        if isinstance(obj, dict):
            return {k: clip_all(v, limit) for k, v in obj.items()}
        if isinstance(obj, list) and len(obj) == 2:
            return [_clip(v, limit) if v is not None else None for v in obj]
        return _clip(obj, limit) if obj is not None else None

    text = json.dumps(diff, ensure_ascii=False)
    if len(text) <= MAX_DIFF:
        return text
    text = json.dumps({k: clip_all(v, MAX_DIFF_VALUE) for k, v in diff.items()}, ensure_ascii=False)
    if len(text) <= MAX_DIFF:
        return text
    fields = sorted(diff.get("before") or diff.get("after") or diff)[:200]
    return json.dumps({"truncated": fields}, ensure_ascii=False)


def _blank(value: Any) -> bool:
    """No value: absent, empty text or an empty list (the store keeps no empty list; the model makes one)."""
    return value is None or value == "" or value == []


def same_value(a: Any, b: Any) -> bool:
    """Whether a field holds the same value before and after a change (every kind of blank is one value)."""
    return (_blank(a) and _blank(b)) or a == b


def change_fields(change: dict[str, Any]) -> list[dict[str, Any]]:
    """Every field a change touched with its value before and after (None: absent), whatever the shape
    of its stored diff: ``{field: [before, after]}`` (update), ``{"before": {...}}`` (delete, unrelate),
    ``{"after": {...}}`` (create) or ``{"truncated": [fields]}`` (too long to keep)."""
    diff = change.get("diff")
    if not isinstance(diff, dict):
        return []
    if set(diff) <= {"before", "after"} and all(isinstance(v, dict) for v in diff.values()):
        before, after = diff.get("before") or {}, diff.get("after") or {}
        return [{"field": k, "before": before.get(k), "after": after.get(k)}
                for k in sorted(set(before) | set(after)) if not same_value(before.get(k), after.get(k))]
    if set(diff) == {"truncated"}:
        return [{"field": k, "before": None, "after": None, "truncated": True} for k in diff["truncated"]]
    return [{"field": k, "before": v[0], "after": v[1]} for k, v in sorted(diff.items())
            if isinstance(v, list) and len(v) == 2]


_DERIVED_REL_KEYS = frozenset(("id", "basis", *META_FIELDS))  # what a relation row may carry that is not input


# A batch builds hundreds of thousands of small objects (models, rows, tokens) that live until it is
# written; the cyclic garbage collector, triggered by the allocations, walks all of them again and again
# (measured: 0.4-0.6 s of a 10,000-record load, two full collections). None of them is part of a cycle
# that reference counting would not free, so the collector is paused for the batch's length (counted, so
# that nested or concurrent batches resume it once, when the last ends) and resumed as it was.
_GC_LOCK = threading.Lock()
_gc_pause = {"depth": 0, "was_enabled": False}


def bulk_work(fn: Callable) -> Callable:
    """Run ``fn`` with the cyclic garbage collector paused (see above)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with _GC_LOCK:
            if _gc_pause["depth"] == 0:
                _gc_pause["was_enabled"] = gc.isenabled()
                gc.disable()
            _gc_pause["depth"] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with _GC_LOCK:
                _gc_pause["depth"] -= 1
                if _gc_pause["depth"] == 0 and _gc_pause["was_enabled"]:
                    gc.enable()
    return run


def _chunks(rows: list, size: int = BATCH):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


Progress = Optional[Callable[[int, int], None]]


# ---------------------------------------------------------------- the registry
class Registry:
    """Records, relations, search and the change log over one graph store."""

    def __init__(self, store: GraphStore, *, documents_dir=None):
        self.store = store
        self.documents_dir = documents_dir  # the texts of the Document records' files (None: the seed's)

    # -- quotes ------------------------------------------------------
    def _check_quotes(self, items: list[tuple[str, list]], *, also_registered: Iterable[str] = (),
                      unchecked: list = ()) -> None:
        """Refuse an explicit source whose quote is not verbatim in the registered document it cites.

        ``items``: (where, sources) pairs; ``where`` prefixes the field named in the error. Documents
        registered in the same batch count (``also_registered``)."""
        cited = {(s.get("doc") if isinstance(s, dict) else s.doc) for _, srcs in items for s in srcs or ()}
        cited.discard(None)
        if not cited:
            return
        registered = set(also_registered) & cited
        rest = sorted(cited - registered)
        if rest:
            registered |= {r["file"] for r in self.store.read(Q_DOC_FILES, {"files": rest})}
        for where, srcs in items:
            try:
                check_explicit_quotes(srcs, registered, documents_dir=self.documents_dir, unchecked=unchecked)
            except InvalidInput as exc:
                if not where:
                    raise
                raise InvalidInput(f"{where}: {exc.message}", details=exc.details) from None

    # -- retries -----------------------------------------------------
    def idempotent(self, key: str | None, what: str, request: Any, do: Callable[[], Any]) -> Any:
        """Run ``do`` once per idempotency ``key``: a retry of the same request (same ``what`` and body)
        gets the first answer without writing again; the key reused for another request is a Conflict.

        A request that failed keeps no key, so it can be retried as it is. Keys expire after a day.
        """
        if key is None:
            return do()
        if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
            raise InvalidInput(f"Idempotency-Key: 需要 1–{IDEMPOTENCY_KEY_MAX} 个可打印 ASCII 字符 / "
                               f"must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters",
                               details=[{"field": "Idempotency-Key", "message": "invalid"}])
        fingerprint = hashlib.sha256(json.dumps([what, request], sort_keys=True, ensure_ascii=False,
                                                default=str).encode()).hexdigest()
        now = datetime.now(timezone.utc)
        since = (now - timedelta(hours=IDEMPOTENCY_TTL_HOURS)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        rows = self.store.read(Q_IDEMPOTENCY_GET, {"key": key, "since": since})
        if rows:
            if rows[0]["fingerprint"] != fingerprint:
                raise Conflict(f"Idempotency-Key '{key}' 已用于另一个请求 / was already used for a different request",
                               details=[{"field": "Idempotency-Key", "value": key,
                                         "message": "used for a different request"}])
            return json.loads(rows[0]["answer"])
        answer = do()
        self.store.write(Q_IDEMPOTENCY_EXPIRE, {"since": since})
        self.store.write(Q_IDEMPOTENCY_PUT, {"key": key, "fingerprint": fingerprint, "at": now_iso(),
                                             "answer": json.dumps(answer, ensure_ascii=False, default=str)})
        return answer

    # -- records -----------------------------------------------------
    def get(self, entity_id: str) -> dict[str, Any]:
        rows = self.store.read(Q_GET, {"id": entity_id})
        if not rows:
            raise NotFound(f"记录 '{entity_id}' 不存在 / no record with id '{entity_id}'")
        return entity_out(rows[0]["n"])

    def get_many(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        return {r["n"]["id"]: entity_out(r["n"]) for r in self.store.read(Q_GET_MANY, {"ids": ids})}

    def kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(ids))
        kinds: dict[str, str] = {}
        for chunk in _chunks(ids):
            kinds.update({r["id"]: r["kind"] for r in self.store.read(Q_KINDS, {"ids": chunk})})
        return kinds

    def create(self, data: dict[str, Any], *, by: str | None = None, why: str | None = None) -> dict[str, Any]:
        entity = validate_entity(data)
        self._check_quotes([("", entity.sources)])
        at = now_iso()
        props = entity_props(entity, meta={"created_at": at, "updated_at": at, "version": 1,
                                           "updated_by": by or "system"})
        change = _change("create", by=by, why=why, entity_id=entity.id, kind=entity.kind, at=at,
                         diff={"after": entity.model_dump(exclude_none=True, mode="json")},
                         summary=f"新建{kind_name(entity.kind)}：{entity.name}")
        try:
            rows = self.store.write(Q_CREATE[entity.kind], {"props": props, "change": change})
        except Conflict:
            raise Conflict(f"编号 '{entity.id}' 已存在 / a record with id '{entity.id}' already exists",
                           details=[{"field": "id", "value": entity.id, "message": "already exists"}]) from None
        return entity_out(rows[0]["n"])

    def update(self, entity_id: str, changes: dict[str, Any], *, version: int, by: str | None = None,
               why: str | None = None) -> dict[str, Any]:
        """Apply ``changes`` made against ``version``; a stale version is a Conflict, never applied."""
        current = self.get(entity_id)
        if "kind" in changes and changes["kind"] != current["kind"]:
            raise InvalidInput(f"kind: 记录类型不能修改（'{current['kind']}' → '{changes['kind']}'）/ "
                               "the kind of a record cannot change")
        if "id" in changes and changes["id"] != entity_id:
            raise InvalidInput(f"id: 编号不能修改 / the id of a record cannot change ('{entity_id}')")
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidInput(f"version: 需要整数版本号，收到 {version!r} / version must be an integer")
        if current["version"] != version:
            raise self._stale(entity_id, version, current["version"])
        old = _record_fields(current)
        merged = {**old, **{k: v for k, v in changes.items() if k not in META_FIELDS}}
        entity = validate_entity(merged)
        new_fields = entity.model_dump(exclude_none=True, mode="json")
        self._check_quotes([("", new_fields.get("sources", []))], unchecked=old.get("sources", []))
        diff = {k: [old.get(k), new_fields.get(k)] for k in sorted(set(old) | set(new_fields))
                if not same_value(old.get(k), new_fields.get(k))}
        at = now_iso()
        props = entity_props(entity, meta={"created_at": current.get("created_at", at), "updated_at": at,
                                           "version": version + 1, "updated_by": by or "system"})
        change = _change("update", by=by, why=why, entity_id=entity_id, kind=entity.kind, at=at, diff=diff,
                         summary=f"修改{kind_name(entity.kind)}：{entity.name}（{', '.join(diff) or '无变化'}）")
        rows = self.store.write(Q_UPDATE, {"id": entity_id, "version": version, "props": props, "change": change})
        if not rows:  # someone else wrote in between our read and our write
            latest = self.get(entity_id)
            raise self._stale(entity_id, version, latest["version"])
        return entity_out(rows[0]["n"])

    @staticmethod
    def _stale(entity_id: str, version: int, current: int) -> Conflict:
        return Conflict(f"记录 '{entity_id}' 已被他人修改（您的版本 {version}，当前版本 {current}），请刷新后重试 / "
                        f"record '{entity_id}' was changed since version {version} (now {current}); reload and retry",
                        details=[{"field": "version", "value": version, "message": f"current version is {current}"}])

    def delete(self, entity_id: str, *, version: int | None = None, by: str | None = None,
               why: str | None = None) -> int:
        """Delete a record and its relations; returns how many relations went with it."""
        current = self.get(entity_id)
        change = _change("delete", by=by, why=why, entity_id=entity_id, kind=current["kind"],
                         summary=f"删除{kind_name(current['kind'])}：{current['name']}",
                         diff={"before": _record_fields(current)})
        rows = self.store.write(Q_DELETE, {"id": entity_id, "version": version, "change": change})
        if not rows:
            latest = self.get(entity_id)
            raise self._stale(entity_id, version or 0, latest["version"])
        return rows[0]["rels"]

    @bulk_work
    def upsert_many(self, records: list[dict[str, Any]], *, by: str | None = None, why: str | None = None,
                    progress: Progress = None, provenance: dict[str, str] | None = None) -> dict[str, int]:
        """Insert or update many records of any kinds. Everything is validated before anything is written.

        Unchanged records are left alone (version and timestamps stay), so loading the same
        data twice leaves the same graph. Returns the number of records written per kind.
        """
        entities, errors = [], []
        for i, data in enumerate(records, 1):
            try:
                entities.append(validate_entity(data))
            except InvalidInput as exc:
                errors.append(f"第{i}行 / row {i}: {exc.message}")
        if errors:
            raise InvalidInput("; ".join(errors[:50]) + (f" …(+{len(errors) - 50})" if len(errors) > 50 else ""),
                               details=errors)
        seen: dict[str, int] = {}
        for i, e in enumerate(entities, 1):
            if e.id in seen:
                raise InvalidInput(f"编号 '{e.id}' 在第{seen[e.id]}行和第{i}行重复 / id '{e.id}' appears in rows "
                                   f"{seen[e.id]} and {i}")
            seen[e.id] = i
        existing: dict[str, tuple[str, str | None]] = {}
        for chunk in _chunks(list(seen)):
            existing.update({r["id"]: (r["kind"], r["hash"]) for r in self.store.read(Q_KINDS_OF, {"ids": chunk})})
        self._check_quotes([(f"{kind_name(e.kind)} {e.id}", e.sources) for e in entities if e.sources],
                           also_registered={e.file for e in entities if e.kind == "document"})
        clashes = [f"'{e.id}' 已是{kind_name(existing[e.id][0])}/is a {existing[e.id][0]}"
                   for e in entities if e.id in existing and existing[e.id][0] != e.kind]
        if clashes:
            raise Conflict("编号已被其他类型的记录使用 / ids already used by a record of another kind: "
                           + "; ".join(clashes[:20]))
        changed: dict[str, list] = {}
        new: dict[str, list] = {}
        for e in entities:
            if e.id not in existing:
                new.setdefault(e.kind, []).append(e)
            # unchanged records are skipped here, before the costly derived fields (the query checks again)
            elif existing[e.id][1] != content_hash(e):
                changed.setdefault(e.kind, []).append(e)
        groups = [(kind, Q_UPSERT[kind], changed[kind]) for kind in changed]
        groups += [(kind, Q_CREATE_MANY[kind], new[kind]) for kind in new]

        def prepare(e) -> dict[str, Any]:
            props = entity_props(e)
            if provenance and e.id in provenance:
                props["seed_json"] = provenance[e.id]
            return props

        written = {k: 0 for k in dict.fromkeys(e.kind for e in entities)}
        written.update(self._write_batches(
            groups, action="upsert", by=by, why=why, progress=progress, total=len(entities),
            prepare=prepare, summary=lambda kind, n: f"批量写入{kind_name(kind)} {n} 条"))
        return written

    def _write_batches(self, groups: list[tuple[str, str, list]], *, action: str,
                       summary: Callable[[str, int], str], by: str | None, why: str | None,
                       progress: Progress, total: int,
                       prepare: Callable[[Any], dict[str, Any]] | None = None) -> dict[str, int]:
        """Write rows a group and a chunk at a time; ``groups``: (key: a kind or relation type, the query
        of that key from the allow-list dicts, items). Each chunk is one statement that also records its
        change-log entry. ``prepare`` turns an item of ``groups`` into its row (the
        derived fields); it runs a chunk at a time, the next chunk's while the store writes the one before
        (one writer thread: the statements still go one after another, in order, and the first that fails
        stops the rest). Returns rows changed per group."""
        written: dict[str, int] = {}
        done = total - sum(len(rows) for _, _, rows in groups)  # rows skipped before writing
        now = now_iso()

        def write(key: str, query: str, chunk: list[dict]) -> tuple[str, int, int]:
            change = _change(action, by=by, why=why, at=now, ids=[r["id"] for r in chunk],
                             kind=key if key in KINDS else None, summary=summary(key, len(chunk)))
            res = self.store.write(query, {"rows": chunk, "now": now, "by": by or "system", "change": change})
            return key, len(chunk), res[0]["changed"] if res else 0

        def count(key: str, n: int, changed: int) -> None:
            nonlocal done
            written[key] = written.get(key, 0) + changed
            done += n
            if progress:
                progress(done, total)

        chunks = [(key, query, chunk) for key, query, rows in groups for chunk in _chunks(rows, WRITE_BATCH)]
        if len(chunks) <= 1:  # one statement at most: no thread
            for key, query, chunk in chunks:
                count(*write(key, query, [prepare(x) for x in chunk] if prepare else chunk))
            return written
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xijin-loader") as writer:
            pending = None
            for key, query, chunk in chunks:
                rows = [prepare(x) for x in chunk] if prepare else chunk  # while the chunk before is written
                if pending is not None:
                    count(*pending.result())  # a write that failed raises here, before the next is sent
                pending = writer.submit(write, key, query, rows)
            if pending is not None:
                count(*pending.result())
        return written

    # -- relations ---------------------------------------------------
    def _validated_relations(self, rows: list[dict[str, Any]], known_kinds: dict[str, str] | None = None, *,
                             linked: set[str] | None = None):
        """The rows as Relations, or InvalidInput naming every bad row: a field the model refuses, an end
        missing or of a kind the type does not allow. Without ``known_kinds`` (kinds of ids, taken as they
        are) the ends are checked in the store, which answers with the bad ones only; then ``linked``, if
        given, receives the sources that already have an outgoing relation (the only ones whose relations
        can be stored already)."""
        rels, errors = self._checked_fields(rows)
        errors += self._check_ends(rels, known_kinds) if known_kinds else self._check_in_store(rels, linked)
        _refuse_rows(errors)
        return rels

    def _check_in_store(self, rels: list[Relation], linked: set[str] | None = None) -> list[str]:
        """Endpoint errors of ``rels``, as ``_check_ends`` gives them, without reading every end's kind: each
        id must be of a kind every use of it allows (``Q_ENDS_CHECK`` returns the ids that are not), and only
        the relations touching those are looked at closer. With ``linked`` (a set) the same read also adds
        to it the sources that have an outgoing relation in the store."""
        needed: dict[str, frozenset] = {}
        for rel in rels:
            allowed_src, allowed_dst = RELATION_TYPES[rel.type][:2]
            cur = needed.get(rel.source)  # (the same set again, usually: no new one made)
            needed[rel.source] = allowed_src if cur is None or cur is allowed_src else cur & allowed_src
            cur = needed.get(rel.target)
            needed[rel.target] = allowed_dst if cur is None or cur is allowed_dst else cur & allowed_dst
        sources = {rel.source for rel in rels} if linked is not None else ()
        by_kinds: dict[tuple[frozenset, bool], list[str]] = {}
        for rid, kinds in needed.items():
            by_kinds.setdefault((kinds, rid in sources), []).append(rid)
        bad: set[str] = set()
        query = Q_ENDS_CHECK[self.store.dialect]
        for (kinds, outs), ids in by_kinds.items():
            for chunk in _chunks(ids):
                for r in self.store.read(query, {"ids": chunk, "kinds": sorted(kinds), "outs": outs}):
                    if r["kind"] is None or r["kind"] not in kinds:
                        bad.add(r["id"])
                    if r["linked"] and linked is not None:
                        linked.add(r["id"])
        if not bad:
            return []
        touching = [(i, rel) for i, rel in enumerate(rels, 1) if rel.source in bad or rel.target in bad]
        kinds = self.kinds_of({x for _, rel in touching for x in (rel.source, rel.target)})
        errors = []
        for i, rel in touching:
            source_kind, target_kind = kinds.get(rel.source), kinds.get(rel.target)
            if endpoints_allowed(rel.type, source_kind, target_kind):
                continue
            try:
                check_endpoints(rel, source_kind, target_kind)
            except InvalidInput as exc:
                errors.append(f"第{i}行 / row {i}: {exc.message}")
        return errors

    def _checked_fields(self, rows: list[dict[str, Any]]) -> tuple[list[Relation], list[str]]:
        rels, errors = [], []
        for i, data in enumerate(rows, 1):
            # a relation read back from the registry (or an export) carries its id, basis and
            # bookkeeping: those are derived, not input
            if not _DERIVED_REL_KEYS.isdisjoint(data):
                data = {k: v for k, v in data.items() if k not in _DERIVED_REL_KEYS}
            try:
                rels.append(validate_relation(data))
            except InvalidInput as exc:
                errors.append(f"第{i}行 / row {i}: {exc.message}")
        return rels, errors

    def _check_ends(self, rels: list[Relation], known_kinds: dict[str, str] | None) -> list[str]:
        """Endpoint errors of ``rels`` (numbered by their place among the valid rows), the kinds read from
        the store unless known."""
        errors = []
        kinds = dict(known_kinds or {})
        missing = {x for r in rels for x in (r.source, r.target)} - set(kinds)
        kinds.update(self.kinds_of(missing))
        for i, rel in enumerate(rels, 1):
            source_kind, target_kind = kinds.get(rel.source), kinds.get(rel.target)
            if endpoints_allowed(rel.type, source_kind, target_kind):
                continue  # (check_endpoints below would pass: both ends exist, of kinds the type allows)
            try:
                check_endpoints(rel, source_kind, target_kind)
            except InvalidInput as exc:
                errors.append(f"第{i}行 / row {i}: {exc.message}")
        return errors

    def relate(self, data: dict[str, Any], *, by: str | None = None, why: str | None = None) -> dict[str, Any]:
        """Add one relation, or add to it: a relation that exists keeps every field this one does not set,
        and gains its new sources. Its ends must exist and be of kinds the type allows."""
        rel = self._validated_relations([data])[0]
        self.upsert_relations([data], by=by, why=why)
        return self.get_relation(rel.id)

    def stored_relations(self, rels: Iterable[Relation]) -> dict[str, dict[str, Any]]:
        """The stored properties of those of ``rels`` that exist, by relation id (bookkeeping included)."""
        by_type: dict[str, list[dict[str, str]]] = {}
        for r in rels:
            by_type.setdefault(r.type, []).append({"id": r.id, "source": r.source, "target": r.target})
        out: dict[str, dict[str, Any]] = {}
        for rtype, keys in by_type.items():
            for chunk in _chunks(keys):
                out.update({row["r"]["id"]: row["r"]
                            for row in self.store.read(Q_REL_GET_MANY_TYPED[rtype], {"rows": chunk})})
        return out

    @bulk_work
    def upsert_relations(self, rows: list[dict[str, Any]], *, by: str | None = None, why: str | None = None,
                         known_kinds: dict[str, str] | None = None, progress: Progress = None,
                         merge: bool = True, provenance: dict[str, str] | None = None) -> dict[str, int]:
        """Write many relations. With ``merge`` (the default) a relation that exists is added to, never
        overwritten: fields a row does not set keep their stored value and new sources are appended to
        the stored ones. Without it (the seed, which merges itself) a row is the relation's whole content."""
        # the ends' check in the store also names the sources that have relations already (``linked``): a
        # relation from any other cannot be stored, so only those are looked up (none in a first load)
        linked: set[str] | None = set() if merge and not known_kinds else None
        rels, errors = self._checked_fields(rows)
        by_type: dict[str, dict[str, Relation]] = {}
        for rel in rels:
            by_type.setdefault(rel.type, {})[rel.id] = rel  # last row for a fact wins

        def prepare(rel: Relation) -> dict[str, Any]:
            props = relation_props(rel)
            if provenance and rel.id in provenance:
                props["seed_json"] = provenance[rel.id]
            return props

        if known_kinds:
            errors += self._check_ends(rels, known_kinds)
            props = {} if errors else {rid: prepare(rel) for by_id in by_type.values() for rid, rel in by_id.items()}
        else:
            # the store checks the ends while the rows' properties are made here (most of them are written as
            # they are; those merged with a stored relation are made again below); a refused batch wastes them
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xijin-ends") as reader:
                checking = reader.submit(self._check_in_store, rels, linked)
                props = {} if errors else {rid: prepare(rel) for by_id in by_type.values()
                                           for rid, rel in by_id.items()}
                errors += checking.result()
        _refuse_rows(errors)
        self._check_quotes([(f"关系/relation {rel.id}", rel.sources) for rel in rels if rel.sources])
        if not merge:
            stored = {}
        elif linked is None:
            stored = self.stored_relations(rels)
        else:
            stored = self.stored_relations([rel for rel in rels if rel.source in linked]) if linked else {}
        for rid, raw in stored.items():
            by_id = by_type[_rel_type_of(rid)]
            by_id[rid] = _merged_relation(by_id[rid], raw)
            props[rid] = prepare(by_id[rid])
        groups = [(rtype, Q_REL_UPSERT[rtype], [props[rid] for rid in by_id]) for rtype, by_id in by_type.items()]
        return self._write_batches(
            groups, action="relate", by=by, why=why, progress=progress,
            total=sum(len(rows) for _, _, rows in groups),
            summary=lambda rtype, n: f"写入关系 {rtype}（{RELATION_TYPES[rtype][2]}）{n} 条")

    # -- the seed: never over a user's change ------------------------
    @bulk_work
    def upsert_seed(self, records: list[dict[str, Any]], relations: list[dict[str, Any]], *, by: str,
                    why: str | None = None, known_kinds: dict[str, str] | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
        """Write a dataset the way `xijin seed` does: a field a user changed since the seed last wrote it
        (its value differs from the seed's last one, kept in ``seed_json``) is left as the user made it,
        and listed as a conflict when the dataset now says something else; everything else is written.

        A record stored before the seed kept its values, and last written by someone other than ``by``,
        counts every field that differs from the dataset as the user's. Sources are merged: the dataset's
        own, plus those a user added. Returns ``written``, ``relations_written`` and ``conflicts``
        (``record``, ``field``, ``seed``, ``current``).
        """
        entities = [validate_entity(data) for data in records]
        current: dict[str, dict] = {}
        for chunk in _chunks([e.id for e in entities]):
            current.update({r["n"]["id"]: r["n"] for r in self.store.read(Q_GET_MANY, {"ids": chunk})})
        conflicts: list[dict[str, Any]] = []
        rows, provenance = [], {}
        for e in entities:
            new = e.model_dump(exclude_none=True, mode="json")
            provenance[e.id] = _hash_text(new)
            raw = current.get(e.id)
            if raw is None or raw.get("kind") != e.kind:  # a kind clash is upsert_many's to refuse
                rows.append(new)
                continue
            merged, found = _keep_user_fields(e.id, new, _record_fields(entity_out(raw)), raw, by,
                                              skip=("id", "kind"))
            rows.append(merged)
            conflicts += found
        written = self.upsert_many(rows, by=by, why=why, provenance=provenance,
                                   progress=(lambda d, t: progress("records", d, t)) if progress else None)

        rels = self._validated_relations(relations, known_kinds)
        stored = self.stored_relations(rels)
        rel_rows, rel_prov = [], {}
        for rel in rels:
            new = rel.model_dump(exclude_none=True, mode="json")
            rel_prov[rel.id] = _hash_text(new)
            raw = stored.get(rel.id)
            if raw is None:
                rel_rows.append(new)
                continue
            cur = relation_out({"r": raw, "type": rel.type, "source": rel.source, "target": rel.target})
            cur = {k: v for k, v in cur.items() if k in Relation.model_fields}
            merged, found = _keep_user_fields(rel.id, new, cur, raw, by, skip=("type", "source", "target"))
            rel_rows.append(merged)
            conflicts += found
        kinds = dict(known_kinds or {}) | {e.id: e.kind for e in entities}
        rel_written = self.upsert_relations(
            rel_rows, by=by, why=why, known_kinds=kinds, merge=False, provenance=rel_prov,
            progress=(lambda d, t: progress("relations", d, t)) if progress else None)
        return {"written": written, "relations_written": rel_written, "conflicts": conflicts}

    def dump(self) -> dict[str, Any]:
        """Everything the store holds, as stored: records, relations and the change log (a backup)."""
        return {
            "format": "xijin-backup", "format_version": 1, "at": now_iso(),
            "schema_version": self.schema_version(),
            "records": [r["n"] for r in self.store.read(Q_DUMP_NODES)],
            "relations": [{"type": r["type"], "source": r["source"], "target": r["target"], "props": r["r"]}
                          for r in self.store.read(Q_DUMP_RELS)],
            "changes": [r["c"] for r in self.store.read(Q_DUMP_CHANGES)],
        }

    def get_relation(self, rel_id: str) -> dict[str, Any]:
        source, _, rest = rel_id.partition(">")
        _, _, target = rest.partition(">")
        rows = self.store.read(Q_REL_GET, {"id": rel_id, "source": source, "target": target}) if target else []
        if not rows:
            raise NotFound(f"关系 '{rel_id}' 不存在 / no relation with id '{rel_id}'")
        return relation_out(rows[0])

    def unrelate(self, rel_id: str, *, by: str | None = None, why: str | None = None) -> None:
        rel = self.get_relation(rel_id)
        change = _change("unrelate", by=by, why=why, entity_id=rel["source"], ids=[rel_id, rel["source"], rel["target"]],
                         summary=f"删除关系 {rel['type']}：{rel['source']} → {rel['target']}",
                         diff={"before": {k: v for k, v in rel.items() if k not in META_FIELDS}})
        self.store.write(Q_REL_DELETE, {"id": rel_id, "source": rel["source"], "target": rel["target"],
                                        "change": change})

    # -- finding -----------------------------------------------------
    def _filters(self, *, kinds, locality, role, level, sort, page, per_page) -> dict[str, Any]:
        if sort not in SORTS:
            raise InvalidInput(f"sort: 不支持的排序 '{sort}'，可用：{', '.join(SORTS)} / unknown sort order")
        if kinds:
            bad = [k for k in kinds if k not in KINDS]
            if bad:
                raise InvalidInput(f"kind: 未知的记录类型 {bad}，可用：{', '.join(KINDS)} / unknown kind")
        if not (1 <= per_page <= 500):
            raise InvalidInput(f"per_page: 每页条数应在 1-500 之间，收到 {per_page} / page size is out of range (1-500)")
        if page < 1:
            raise InvalidInput(f"page: 页码应从 1 开始，收到 {page} / page must be 1 or more")
        if locality is not None and locality not in LOCALITY_FILTERS:
            raise InvalidInput(f"locality: 未知的所在地 '{locality}'，可用：{', '.join(LOCALITY_FILTERS)} / unknown locality")
        return {"kinds": kinds or None, "role": role, "level": level,
                "localities": list(LOCALITY_FILTERS[locality]) if locality else None}

    def list(self, *, kinds: list[str] | None = None, q: str | None = None, locality: str | None = None,
             role: str | None = None, level: str | None = None, segment: str | None = None,
             sort: str = "relevance", page: int = 1, per_page: int = 50) -> dict[str, Any]:
        """Records matching every given filter, a page at a time, with the total. With a query ``q`` this
        is ``search`` (ranked by relevance unless another sort is asked for)."""
        if q is not None and q.strip():
            return self.search(q, kinds=kinds, locality=locality, role=role, level=level, segment=segment,
                               sort=sort, page=page, per_page=per_page)
        params = self._filters(kinds=kinds, locality=locality, role=role, level=level, sort=sort, page=page,
                               per_page=per_page)
        params.update(segment=segment, skip=(page - 1) * per_page, limit=per_page)
        seg = segment is not None
        total = self.store.read(Q_LIST_COUNT[seg], params)[0]["total"]
        order = "name" if sort == "relevance" else sort
        items = [entity_out(r["n"]) for r in self.store.read(LIST_SORTS[(order, seg)], params)]
        return {"items": items, "total": total, "page": page, "per_page": per_page,
                "pages": max(1, -(-total // per_page))}

    def search(self, q: str, *, kinds: list[str] | None = None, locality: str | None = None,
               role: str | None = None, level: str | None = None, segment: str | None = None,
               sort: str = "relevance", page: int = 1, per_page: int = 50) -> dict[str, Any]:
        """Find records by a name, an alias, part of one, its pinyin or pinyin initials, an id or a credit
        code; every word of ``q`` must match. The one search of the pages, the API and the exports.

        One statement (SEARCH_PAGE, see dialect.search_page) finds, ranks, orders and cuts in the store.
        Candidates come from the store's search index (``search_tokens``; never a scan of every record):
        the exact look-up ("=" + the whole query), the chain leaders and leading firms that match (their
        "!" tokens), and the records holding every token of the query whose ``search_text`` contains every
        word — at most SEARCH_CAP of those (``capped`` says when there were more: the query should be
        narrowed). They are ranked as ``rank_key`` states: how the weakest word matched (exact name or
        alias, prefix, substring, pinyin, initials), then importance (chain leader, in the cluster, number
        of relations), then pinyin name order; the store compares the words with each record's
        ``search_parts``. Only the page's rows come back, with the total. Each item says why it matched
        (``matched`` as text, ``match`` as data) and carries its ``score`` parts. When nothing matches,
        ``suggestions`` lists records one typo away ("您是不是要找").
        """
        if q is None or not q.strip():
            raise InvalidInput("q: 请输入要查找的名称或简称 / type part of a name or alias")
        if len(q) > 200:
            raise InvalidInput(f"q: 查询过长（{len(q)} 字）/ the query is too long ({len(q)} > 200 characters)")
        norm = normalise(q)
        words = list(dict.fromkeys(norm.split()))
        if len(words) > SEARCH_MAX_WORDS:
            raise InvalidInput(f"q: 查询词过多（{len(words)} 个，最多 {SEARCH_MAX_WORDS} 个）/ too many words "
                               f"({len(words)} > {SEARCH_MAX_WORDS})")
        filters = self._filters(kinds=kinds, locality=locality, role=role, level=level, sort=sort, page=page,
                                per_page=per_page)
        filters["segment"] = segment
        seg = segment is not None
        tokens = query_tokens(words)
        # the exact look-up (as typed, and without its spaces), the leaders (whatever the cap of the broad
        # query) and the broad query, one row past its cap
        params = dict(filters, **self.store.search_params(
            [(["=" + norm], [], 50), (["=" + norm.replace(" ", "")], [], 50 if " " in norm else 0),
             (["!" + t for t in tokens], words, 50), (tokens, words, SEARCH_CAP + 1)]))
        params.update({dialect.SEARCH_PARTS[-1] + "keep": SEARCH_CAP, "words": words, "whole": "".join(words),
                       "leader": ROLE_CHAIN_LEADER, "leads": list(LEAD_ROLES), "local": LOCAL,
                       "bonus": LEADER_BONUS, "skip": (page - 1) * per_page, "end": page * per_page})
        rows = self.store.read(SEARCH_PAGE[(self.store.dialect, seg, sort)], params)
        total = rows[0]["total"] if rows else 0
        capped = bool(rows and rows[0]["capped"])
        items = []
        for r in rows:
            if r["id"] is None:  # the page is past the end: the row only carries the total
                continue
            row = {k: v for k, v in r.items() if v is not None and k not in ("total", "capped")}
            match = explain_match(row, words)
            if match is None:  # the store and explain_match disagree (stale search_parts?): said, not shown
                _log.warning("search: the store ranked %s as a hit for %r; explain_match did not", row["id"], norm)
                continue
            item = entity_out(row)
            item.pop("relations", None)
            item["match"] = match
            item["matched"] = list(dict.fromkeys(match_text(m) for m in match))
            item["score"] = score_parts(row, match)
            items.append(item)
        out = {"items": items, "total": total, "page": page, "per_page": per_page,
               "pages": max(1, -(-total // per_page)), "capped": capped, "query": norm, "suggestions": []}
        if not total:
            out["suggestions"] = self.suggest(norm, filters, segment=seg)
        return out

    def suggest(self, norm: str, filters: dict[str, Any], *, segment: bool, limit: int = 5) -> list[dict[str, Any]]:
        """Records one typo away from a query that found nothing ("您是不是要找").

        Candidates through the index: the same pinyin (a homophone typed by the input method, 中国希土 ->
        zhongguoxitu), and for each character left out, the records holding the rest (中国?土 -> 中国 and 土).
        rapidfuzz then keeps the names and aliases closest to the query, compared as written and as spoken
        (each Chinese character replaced by its pinyin, so a homophone costs nothing): about one edit.
        """
        whole = norm.replace(" ", "")
        if len(whole) < 2:
            return []
        probes: list[tuple[list[str], list[str]]] = []
        full, _ = _han_pinyin(whole)
        if full and len(full) >= 3:  # the same sound; the rest of the query (digits, Latin) as written
            rest = [p for p in _CJK.split(whole) if p]
            probes.append((query_tokens([full, *rest]), [full, *rest]))
        # one character typed wrong: the rest of the query as it stands; in a long query only its Chinese
        # characters are tried (an input method's slips), at most 16 of them
        places = range(len(whole)) if len(whole) <= 12 else [i for i, ch in enumerate(whole) if _CJK.match(ch)]
        for i in list(places)[:16]:
            pieces = [p for p in (whole[:i], whole[i + 1:]) if p]
            if pieces:
                probes.append((query_tokens(pieces), pieces))
        spoken = _spoken(whole)
        seen: dict[str, tuple[dict, float, str]] = {}
        answers = self.store.search_candidates([(toks, words, 50) for toks, words in probes], filters,
                                               segment=segment)
        for rows in answers:
            for row in rows:
                if row["id"] in seen:
                    continue
                best, best_text = 0.0, ""
                for text in [row["name"], *(row.get("aliases") or [])]:
                    t = normalise(text).replace(" ", "")
                    score = max(similarity(whole, t), similarity(spoken, _spoken(t)) - 1)  # as written first
                    if score > best:
                        best, best_text = score, text
                seen[row["id"]] = (row, best, best_text)
        keep = [(row, score, text) for row, score, text in seen.values() if score >= SUGGEST_MIN]
        keep.sort(key=lambda x: (-x[1], *importance_key(x[0]), x[0].get("sort_key") or "", x[0]["id"]))
        return [{"id": row["id"], "name": row["name"], "kind": row["kind"], "matched_text": text,
                 "similarity": round(score, 1)} for row, score, text in keep[:limit]]

    def neighbourhood(self, entity_id: str, *, hops: int = 1, limit: int = 500) -> dict[str, Any]:
        """The records and relations within ``hops`` steps of a record (at most ``limit`` relations)."""
        if hops not in (1, 2, 3):
            raise InvalidInput(f"hops: 只支持 1-3 跳，收到 {hops} / hops must be 1, 2 or 3")
        centre = self.get(entity_id)
        nodes = {entity_id: centre}
        rels: dict[str, dict] = {}
        frontier = [entity_id]
        truncated = False
        for _ in range(hops):
            if not frontier:
                break
            # rows repeat relations already seen from the previous ring, so ask for enough to see past the cap
            rows = self.store.read(Q_TOUCHING, {"ids": frontier, "limit": limit + len(rels) + 1})
            nxt = []
            for row in rows:
                rel = relation_out(row)
                if len(rels) >= limit and rel["id"] not in rels:
                    truncated = True
                    break
                rels[rel["id"]] = rel
                m = entity_out({f: row["m_" + f] for f in TOUCHING_FIELDS if row["m_" + f] is not None})
                if m["id"] not in nodes:
                    nodes[m["id"]] = m
                    nxt.append(m["id"])
            if truncated:
                break
            frontier = nxt
        return {"centre": entity_id, "nodes": list(nodes.values()), "relations": list(rels.values()),
                "truncated": truncated}

    def export_graph(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every record and relation, as plain dicts (what graph.build.build_graph takes)."""
        nodes = [_graph_node(r) for r in self.store.read(Q_ALL_NODES, slow=True)]
        rels = [_graph_rel(r) for r in self.store.read(Q_ALL_RELS, slow=True)]
        rels.sort(key=lambda r: r["id"])
        return nodes, rels

    def graph_delta(self, marker: tuple, *, limit: int,
                    lookback: float = GRAPH_DELTA_LOOKBACK) -> dict[str, Any] | None:
        """What changed in the analysis graph since the change-log entry ``marker`` (its ``(at, id)``), read
        from the change log and then from the store, for :func:`graph.build.patch_graph`; None when only a
        whole new read will do: the marker is not in the log (cleared, restored, compacted), more than
        ``limit`` records and relations (or ten times as many changes) were touched since, or a change's
        list of ids was cut.

        Returns ``{"changes": n, "nodes": {id: entity or None}, "edges_of": {id: [relation, ...]},
        "relations": {id: (source, type, target, relation or None)}}``: ``None`` means gone; ``edges_of``
        lists every relation a record has now (its relations are replaced, after a delete or an undo)."""
        if len(marker) != 2 or not marker[1]:
            return None
        at, cid = marker
        found = self.store.read(Q_CHANGE_AT, {"id": cid})
        if not found or found[0]["at"] != at:
            return None
        # the marker's own change is in the snapshot; one with the same time may not be (same-time changes
        # come in any order), and a change's time is taken before it is written, so a concurrent write can land
        # after a newer one: every change from ``lookback`` seconds before the marker on is applied
        # again (applying one twice is harmless: the rows are read as they are now)
        try:
            since = (datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")
                     - timedelta(seconds=lookback)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        except (TypeError, ValueError):
            return None
        # ``limit`` bounds the records and relations to read; the changes naming them may repeat ids
        most = 10 * limit
        changes = [c for c in self.store.read(Q_CHANGES_SINCE, {"since": since, "limit": most + 2}) if c["id"] != cid]
        if len(changes) > most:
            return None
        entity_ids: set[str] = set()
        refresh: set[str] = set()
        rel_ids: set[str] = set()
        for c in changes:
            ids = c.get("ids") or []
            if c["action"] == "import":
                continue  # the head of an import: each record and relation it wrote has its own import_item
            if len(ids) >= 1000:  # _change keeps the first 1000 ids of a batch: the rest are unknown
                return None
            for i in [c.get("entity_id"), *ids]:
                if not i:
                    continue
                if ">" in i:
                    rel_ids.add(i)
                else:
                    entity_ids.add(i)
                    if c["action"] not in NODE_ONLY_ACTIONS:
                        refresh.add(i)
        if len(entity_ids) + len(rel_ids) > limit:
            return None
        nodes: dict[str, Any] = dict.fromkeys(entity_ids)
        for chunk in _chunks(sorted(entity_ids)):
            for r in self.store.read(Q_GRAPH_NODES_OF, {"ids": chunk}):
                nodes[r["id"]] = _graph_node(r)
        edges_of: dict[str, list] = {i: [] for i in refresh}
        for chunk in _chunks(sorted(refresh)):
            seen = set()
            for q in (Q_GRAPH_RELS_FROM, Q_GRAPH_RELS_TO):
                for r in self.store.read(q, {"ids": chunk}):
                    rel = _graph_rel(r)
                    if rel["id"] in seen:
                        continue
                    seen.add(rel["id"])
                    for end in (rel["source"], rel["target"]):
                        if end in edges_of:
                            edges_of[end].append(rel)
        relations: dict[str, tuple] = {}
        keys = []
        for rid in sorted(rel_ids):
            source, rtype, target = rid.split(">", 2)
            relations[rid] = (source, rtype, target, None)
            keys.append({"id": rid, "source": source, "target": target})
        for chunk in _chunks(keys):
            for r in self.store.read(Q_GRAPH_RELS_BY_ID, {"rows": chunk}):
                rel = _graph_rel(r)
                relations[rel["id"]] = (rel["source"], rel["type"], rel["target"], rel)
        return {"changes": len(changes), "nodes": nodes, "edges_of": edges_of, "relations": relations}

    def counts(self) -> dict[str, Any]:
        kinds = {r["kind"]: r["n"] for r in self.store.read(Q_COUNT_KINDS)}
        rels = {r["type"]: r["n"] for r in self.store.read(Q_COUNT_RELS)}
        return {"entities": {k: kinds.get(k, 0) for k in KINDS}, "relations": dict(sorted(rels.items())),
                "total_entities": sum(kinds.values()), "total_relations": sum(rels.values())}

    def setup_schema(self) -> None:
        """Put the indexes and constraints in place, bring stored data written by an older version to
        this version's shape, then record the schema version. Safe to run again: a migration that finds
        nothing left to change writes nothing."""
        self.store.setup_schema()
        before = self.schema_version() or 0
        if before < 2:
            self.migrate_roles_to_codes()
        if before < 4:
            self.migrate_search_tokens()
        self.store.write(Q_SET_SCHEMA_VERSION, {"v": dialect.SCHEMA_VERSION})

    def migrate_roles_to_codes(self) -> int:
        """Rewrite the Chinese role terms of records stored before schema 2 as role codes; returns how
        many records changed. Versions and timestamps stay (no one edited the records); the content
        hash is recomputed so that loading the same data again still writes nothing."""
        rows = []
        for r in self.store.read(Q_ROLES_AS_TERMS, {"terms": list(ROLE_FROM_ZH)}):
            props = r["n"]
            try:
                entity = validate_entity(_record_fields(entity_out(props)))
                rows.append({"id": props["id"], "roles": entity.roles, "content_hash": content_hash(entity)})
            except InvalidInput:  # a record an older model allowed: convert its roles, keep its hash
                rows.append({"id": props["id"], "roles": list(dict.fromkeys(role_code(x) for x in props["roles"])),
                             "content_hash": props.get("content_hash")})
        changed = 0
        for chunk in _chunks(rows):
            change = _change("migrate", by="system", why=f"模式升级到版本 {dialect.SCHEMA_VERSION} / schema upgrade",
                             ids=[row["id"] for row in chunk],
                             summary=f"角色改为代码 {len(chunk)} 条 / roles stored as codes")
            res = self.store.write(Q_SET_ROLES, {"rows": chunk, "change": change})
            changed += res[0]["changed"] if res else 0
        return changed

    def migrate_search_tokens(self) -> int:
        """Schemas 3 and 4: give every record written before them its search tokens (and the search text in
        the form they are checked against) and what the ranking compares (``search_parts``). Derived fields only: versions, timestamps and content hashes stay.
        One ``migrate`` entry in the change log says how many records were brought up; a second run finds
        none and writes nothing."""
        changed, ids = 0, []
        while True:
            rows = self.store.read(Q_SEARCH_MISSING, {"limit": BATCH})
            if not rows:
                break
            batch = [{"id": r["id"], "search_text": search_text(r["name"] or "", r["aliases"] or []),
                      "search_parts": search_parts(r["name"] or "", r["aliases"] or []),
                      "search_tokens": search_tokens(r["name"] or "", r["aliases"] or [], (r["id"], r["credit_code"]),
                                                     lead=any(x in LEAD_ROLES for x in r["roles"] or ()))}
                     for r in rows]
            res = self.store.write(Q_SET_SEARCH, {"rows": batch})
            changed += res[0]["changed"] if res else 0
            ids += [r["id"] for r in rows]
            if len(rows) < BATCH:
                break
        if changed:
            change = _change("migrate", by="system", why=f"模式升级到版本 {dialect.SCHEMA_VERSION} / schema upgrade",
                             ids=ids, summary=f"建立搜索索引 {changed} 条 / search tokens for {changed} records")
            change["count"] = changed
            self.store.write(Q_MIGRATE_NOTE, {"change": change})
        return changed

    def schema_version(self) -> int | None:
        rows = self.store.read(Q_SCHEMA_VERSION)
        return rows[0]["version"] if rows else None

    def changes(self, *, entity_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.store.read(Q_CHANGES, {"entity": entity_id, "limit": limit})
        return [_change_out(r["c"]) for r in rows]

    def change_page(self, *, by: str | None = None, action: str | None = None, kind: str | None = None,
                    entity_id: str | None = None, since: str | None = None, until: str | None = None,
                    change_set: str | None = None, page: int = 1, per_page: int = 50) -> dict[str, Any]:
        """The change log filtered (who, action, record kind, record, UTC time range), newest first, a page
        at a time, with the total."""
        if action is not None and action not in CHANGE_ACTIONS:
            raise InvalidInput(f"action: 未知的变更类型 '{action}'，可用：{', '.join(CHANGE_ACTIONS)} / unknown action")
        if kind is not None and kind not in KINDS:
            raise InvalidInput(f"kind: 未知的记录类型 '{kind}'，可用：{', '.join(KINDS)} / unknown kind")
        if not (1 <= per_page <= 10000) or page < 1:
            raise InvalidInput("page, per_page: 页码从 1 开始，每页 1-10000 条 / page from 1, 1-10000 a page")
        params = {"entity": entity_id, "by": by, "action": action, "kind": kind, "since": since, "until": until,
                  "set": change_set}
        total = self.store.read(Q_CHANGES_COUNT, params)[0]["total"]
        rows = self.store.read(Q_CHANGES_PAGE, {**params, "skip": (page - 1) * per_page, "limit": per_page})
        return {"items": [_change_out(r["c"]) for r in rows], "total": total, "page": page, "per_page": per_page,
                "pages": max(1, -(-total // per_page))}

    def change_authors(self) -> list[str]:
        return [r["by"] for r in self.store.read(Q_CHANGE_AUTHORS) if r["by"]]


def _graph_node(row: dict[str, Any]) -> dict[str, Any]:
    """A row of Q_ALL_NODES (or Q_GRAPH_NODES_OF) as the entity dict the analysis graph holds."""
    return entity_out({k: v for k, v in row.items() if v is not None})


def _graph_rel(row: dict[str, Any]) -> dict[str, Any]:
    """A row of Q_ALL_RELS (or the Q_GRAPH_RELS_* queries) as the relation dict the analysis graph holds."""
    rel = {k: v for k, v in row.items() if v is not None and k != "sources_json"}
    rel["sources"] = json.loads(row.get("sources_json") or "[]")
    return rel


def _change_out(props: dict[str, Any]) -> dict[str, Any]:
    c = dict(props)
    if "diff_json" in c:
        c["diff"] = json.loads(c.pop("diff_json"))
    return c


def _hash_text(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def _value(v: Any) -> Any:
    """A field's value for comparing: empty (None, "", []) is one thing, as the store keeps none of them."""
    return None if v in (None, "", []) else v


def _merged_sources(new: list, current: list, dropped: list = ()) -> list:
    """``new`` sources, then those of ``current`` not among them (and not in ``dropped``)."""
    return list(new) + [s for s in current if s not in new and s not in dropped]


def _refuse_rows(errors: list[str]) -> None:
    """InvalidInput naming every bad row (the first 50 in the message), if there are any."""
    if errors:
        raise InvalidInput("; ".join(errors[:50]) + (f" …(+{len(errors) - 50})" if len(errors) > 50 else ""),
                           details=errors)


def _rel_type_of(rel_id: str) -> str:
    """The type a relation id names (``source>TYPE>target``; ids hold no ``>``)."""
    return rel_id.split(">", 2)[1]


def _merged_relation(rel: Relation, stored: dict[str, Any]) -> Relation:
    """A relation added again: stored fields it does not set stay, its new sources join the stored ones."""
    data = rel.model_dump(exclude_none=True, mode="json")
    for field in ("product", "note"):
        if field not in data and stored.get(field) is not None:
            data[field] = stored[field]
    data["sources"] = _merged_sources(json.loads(stored.get("sources_json") or "[]"), data.get("sources", []))
    return validate_relation(data)


def _keep_user_fields(rid: str, new: dict[str, Any], current: dict[str, Any], raw: dict[str, Any], by: str,
                      *, skip: tuple[str, ...]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The seed's ``new`` fields over ``current`` ones, except the fields a user changed (see
    ``Registry.upsert_seed``); returns the fields to write and the conflicts."""
    last = json.loads(raw["seed_json"]) if raw.get("seed_json") else None
    seed_wrote_last = raw.get("updated_by") == by
    merged = {k: v for k, v in new.items() if k in skip}
    conflicts = []
    for field in sorted((set(new) | set(current)) - set(skip)):
        seed_now, cur = _value(new.get(field)), _value(current.get(field))
        if field == "sources":
            # the seed's own sources are replaced by its new ones; a user's are kept
            dropped = (last or {}).get("sources", []) if last is not None else (cur or []) if seed_wrote_last else []
            merged["sources"] = _merged_sources(seed_now or [], cur or [], dropped)
            continue
        if last is not None:
            user_changed = cur != _value(last.get(field)) and cur != seed_now
        else:
            user_changed = not seed_wrote_last and cur != seed_now
        if user_changed:
            if cur is not None:
                merged[field] = cur
            conflicts.append({"record": rid, "field": field, "seed": seed_now, "current": cur})
        elif seed_now is not None:
            merged[field] = seed_now
    return merged, conflicts


SUGGEST_MIN = 70.0  # rapidfuzz similarity (0-100) of a suggestion: one edit in four characters is 75


def similarity(query: str, text: str) -> float:
    """How close a query is to a name (0-100): to the whole name, or to its best-matching part when the
    name is longer (中国希土 is one edit from the start of 中国稀土集团)."""
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(query, text) if len(text) > len(query) else fuzz.ratio(query, text)


def _spoken(text: str) -> str:
    """A text with each Chinese character replaced by its pinyin (others kept): 中国希土 -> zhongguoxitu."""
    return "".join(_syllables(text)).replace(" ", "") if _CJK.search(text) else text


# how a word matched, strongest first; a record ranks by its weakest word
MATCH_TIERS = ("exact", "prefix", "substring", "pinyin", "initials")
MATCH_POINTS = {"exact": 100, "prefix": 80, "substring": 60, "pinyin": 40, "initials": 30}


def explain_match(item: dict[str, Any], words: list[str] | str) -> list[dict[str, Any]] | None:
    """Why a record matches every word of a query, or None if one word does not.

    One entry per word (or one for the whole query when it is exactly a name, an alias, the id or the
    credit code): ``{"word", "how", "field", "value"}`` — ``how`` one of MATCH_TIERS, ``field`` name, alias,
    id or credit_code, ``value`` the name, alias, pinyin or initials matched."""
    if isinstance(words, str):
        words = normalise(words).split()
    names = [("name", item["name"])] + [("alias", a) for a in item.get("aliases") or []]
    whole = "".join(words)
    for field, value in names + [("id", item.get("id")), ("credit_code", item.get("credit_code"))]:
        if value and normalise(value).replace(" ", "") == whole:
            return [{"word": " ".join(words), "how": "exact", "field": field, "value": value}]
    out = []
    for word in words:
        best = None
        for field, value in names:
            v = normalise(value)
            how = "exact" if v == word else "prefix" if v.startswith(word) else "substring" if word in v else None
            if how is None:
                full, initials = _han_pinyin(v)
                how = "pinyin" if full and word in full else "initials" if initials and word in initials else None
                if how:
                    value = f"{full if how == 'pinyin' else initials}（{value}）"
            if how and (best is None or MATCH_TIERS.index(how) < MATCH_TIERS.index(best["how"])):
                best = {"word": word, "how": how, "field": field, "value": value}
        if best is None:
            return None
        out.append(best)
    return out


def importance_key(row: dict[str, Any]) -> tuple:
    """Chain leaders first (链主, then other leading firms), then records in the cluster, then those with
    more relations."""
    roles = row.get("roles") or []
    return (ROLE_CHAIN_LEADER not in roles, not any(r in LEAD_ROLES for r in roles), row.get("locality") != LOCAL,
            -(row.get("relations") or 0))  # relations last: Registry._rank relies on it


LEADER_BONUS = 20  # a chain leader found by part of its name ranks with the names that start with the query


def relevance(row: dict[str, Any], match: list[dict[str, Any]]) -> int:
    """Points of the weakest word's match (MATCH_POINTS); a chain leader matched by less than its whole
    name or alias gains LEADER_BONUS (稀土 finds 中国稀土集团 among the names starting with 稀土, not after
    the eighty that contain it)."""
    points = min(MATCH_POINTS[m["how"]] for m in match)
    if points < MATCH_POINTS["exact"] and ROLE_CHAIN_LEADER in (row.get("roles") or []):
        points += LEADER_BONUS
    return points


def rank_key(row: dict[str, Any], match: list[dict[str, Any]]) -> tuple:
    """Relevance first (``relevance``; then the points of every word, the leader's bonus included; a name
    before an alias), then importance, then pinyin name order. The order of Registry.search: the store
    computes it (dialect.search_page); this is its statement in Python, which the tests hold it to
    (tests/registry/test_search_engine.py)."""
    points = relevance(row, match)
    every_word = sum(MATCH_POINTS[m["how"]] for m in match) + points - min(MATCH_POINTS[m["how"]] for m in match)
    return (-points, -every_word, sum(m["field"] == "alias" for m in match), *importance_key(row),
            row.get("sort_key") or "", row["id"])


def score_parts(row: dict[str, Any], match: list[dict[str, Any]]) -> dict[str, Any]:
    """The parts of a hit's rank, for people and programs: ``match`` (points of the weakest word: exact 100,
    prefix 80, substring 60, pinyin 40, initials 30), ``relevance`` (with a chain leader's bonus), then the
    importance that breaks ties."""
    return {"match": min(MATCH_POINTS[m["how"]] for m in match), "relevance": relevance(row, match),
            "leader": any(r in LEAD_ROLES for r in row.get("roles") or []),
            "in_cluster": row.get("locality") == LOCAL, "relations": row.get("relations")}


def match_text(m: dict[str, Any]) -> str:
    """One reason in both languages, e.g. ``名称前缀/name prefix: 中国稀土集团`` (``matched`` of the API)."""
    zh, en = _reason(m["how"], m["field"], m["word"])
    return f"{zh}/{en}: {m['value']}"


@lru_cache(maxsize=4096)
def _reason(how: str, field: str, word: str) -> tuple[str, str]:
    # the hits of one page share a few reasons (same words, few ways to match): each is looked up in the
    # catalogues once (19 µs a hit before)
    from .messages import text

    return tuple(text("search.why", lang, how=text(f"search.how.{how}", lang),
                      field=text(f"search.field.{field}", lang), word=word) for lang in ("zh", "en"))


def model_fields(kind: str) -> list[str]:
    """The fields a record of this kind has, in the model's order (forms and exports use it)."""
    return [f for f in MODELS[kind].model_fields if f != "kind"]
