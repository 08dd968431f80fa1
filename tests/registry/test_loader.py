"""The batch loader's fast paths give exactly what the plain ones gave (issue 12, the loader):

- pinyin through pypinyin's own segmenter with each word remembered equals ``lazy_pinyin`` syllable for
  syllable, over thousands of real and rare characters, polyphones and the seed documents' text;
- search tokens equal their plain definition (every gram of every part, as the comment in the repository
  says), for the seed's names and aliases and awkward texts;
- the control-character check skips its scan only for texts where it can find nothing;
- relations checked in the store (one read per type, only the rows to act on) are refused with the same
  messages, row numbers included, as when every end's kind is read, and nothing is written;
- a relation's properties built from its fields are those of its model_dump, key for key, in order, hash
  included; only the rows whose source already has a relation are looked up in the store, typed, and what
  that reads is what the untyped lookup read;
- writes overlapped with the next chunk's preparation go in order, every row and change-log entry
  written, and a failed statement stops the ones after it.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from pypinyin import lazy_pinyin

from registry import repository as R
from registry.errors import InvalidInput
from registry.model import check_text
from seed.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[2]


def _plain_pinyin(text: str) -> tuple[str, ...]:
    """What ``_syllables`` gave before it remembered words: one call to pypinyin per text."""
    if text.isascii():
        return tuple(text.lower().split())
    return tuple(s.lower() for s in lazy_pinyin(text, errors="default"))


def _seed_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "seed" / "documents").glob("*.txt")):
        texts += [s.strip() for s in re.split(r"[。；\n]", path.read_text(encoding="utf-8")) if s.strip()]
    return texts


POLYPHONES = ["重庆", "重量", "重新", "长沙", "长大", "行长", "银行", "行业", "还款", "还有", "音乐", "快乐", "朝阳",
              "朝代", "单于", "单位", "曾经", "曾国藩", "传记", "传递", "调查", "调整", "都市", "首都", "中国重汽集团",
              "长江稀土行业协会", "赣州稀土行业重点企业", "乐平市", "蚌埠", "六安", "尉迟恭", "厦门钨业"]


def test_remembered_pinyin_equals_lazy_pinyin_for_thousands_of_characters_and_texts():
    rng = random.Random(12)
    chars = ([chr(c) for c in range(0x4E00, 0xA000, 3)]            # the basic block, every third
             + [chr(c) for c in range(0x3400, 0x4DC0, 5)]           # extension A (rare)
             + [chr(c) for c in range(0xF900, 0xFB00)]              # compatibility ideographs
             + ["\u3007", "\U00020000", "\U0002A700", "\U00030000", "\ue815"])
    mixed = ["".join(rng.choice(chars) for _ in range(rng.randint(2, 14))) for _ in range(3000)]
    awkward = ["赣州稀土ＡＢＣ１２３集团", "合成企业0012号（SYNTHETIC）", "ABC中国 x  y", "〇一二", "中\n国\t人",
               "Tesla 中国", "稀土-永磁/电机", "", " ", "a", "稀", "（赣州）稀土有限公司"]
    # Han runs between ASCII runs (spaces, digits, punctuation, case): the ASCII runs skip the converter
    ascii_bits = ["0012", " ", "  x Y ", "(Tesla)", "-", "A.B", "\t", "~!@#$%^&*_+=|;:'\",<>?/", "Co., Ltd"]
    mixed_ascii = ["".join(rng.choice([rng.choice(chars), rng.choice(ascii_bits)]) for _ in range(rng.randint(2, 9)))
                   for _ in range(1000)]
    texts = chars + mixed + mixed_ascii + POLYPHONES + awkward + _seed_texts()
    assert len(texts) > 10_000 and len(_seed_texts()) > 500
    R._syllables.cache_clear()
    R._word_syllables.cache_clear()
    R._han_words.cache_clear()
    differ = [t for t in texts if R._syllables(t) != _plain_pinyin(t)]
    assert differ == []
    # the polyphones really were read by their phrase, not char by char
    assert R._syllables("重庆") == ("chong", "qing") and R._syllables("银行行长")[:2] == ("yin", "hang")
    # asked again (now from the memo of words), the same
    assert [R._syllables.__wrapped__(t) for t in POLYPHONES] == [_plain_pinyin(t) for t in POLYPHONES]


def _grams(text, sizes):
    out = set()
    for run in text.split():
        for n in sizes:
            out.update(run[i:i + n] for i in range(len(run) - n + 1))
    return out


def _plain_tokens(name, aliases, codes=(), *, lead=False):
    """The search tokens as first written (one set of grams per size, per whitespace run)."""
    toks = set()
    for part in [name, *aliases]:
        p = R.normalise(part or "")
        if not p:
            continue
        toks.add("=" + p)
        toks |= _grams(p, (1, 2))
        for run in R._LATIN_RUN.findall(p):
            toks |= _grams(run, (3,))
        full, initials = R._han_pinyin(p)
        toks |= _grams(full, (3,)) | _grams(initials, (1, 2, 3))
    if lead:
        toks |= {"!" + t for t in toks if not t.startswith("=")}
    toks.update("=" + R.normalise(c) for c in codes if c)
    return sorted(toks)


def test_search_tokens_equal_their_plain_definition():
    entities, _ = load_dataset()
    cases = [(e["name"], e.get("aliases") or [], (e["id"], e.get("credit_code"))) for e in entities]
    cases += [(t[:40], [], ("x-1", None)) for t in _seed_texts()[:800]]
    cases += [("ＡＢＣ　稀土\u3000集团", ["Tesla  Inc.", "稀土 (赣州) co., ltd"], ("ent-a", "91360700MA35FUKE1X")),
              ("a\tb\nc", ["中\x85国"], ()), ("x", [""], ()), ("  ", [], ("ent-b",))]
    assert len(cases) > 1000
    for name, aliases, codes in cases:
        for lead in (False, True):
            assert R.search_tokens(name, aliases, codes, lead=lead) == _plain_tokens(name, aliases, codes, lead=lead)


@pytest.mark.parametrize("value", ["赣州稀土", "a" * 200, "a" * 201, "行1\r\n行2", "tab\there", "bad\x0bchar", "nul\x00",
                                   "half \ud800 pair", "del\x7f", "nbsp\u00a0", "line\u2028sep", "", "Ｆｕｌｌ"])
def test_the_printable_fast_path_of_check_text_changes_nothing(value):
    def slow(v, field, limit=None):  # check_text before the fast path
        v = v.replace("\r\n", "\n").replace("\r", "\n")
        from registry.model import DEFAULT_LIMIT, FIELD_LIMITS, bad_character
        bad = bad_character(v)
        if bad:
            raise ValueError("bad " + bad)
        if len(v) > (limit or FIELD_LIMITS.get(field, DEFAULT_LIMIT)):
            raise ValueError("long")
        return v

    for limit in (None, 200):
        try:
            expected = slow(value, "name", limit)
        except ValueError as exc:
            with pytest.raises(ValueError) as got:
                check_text(value, "name", limit)
            assert ("bad" in str(exc)) == ("含不允许的字符" in str(got.value))
        else:
            assert check_text(value, "name", limit) == expected


def _firms(n, prefix="ent-l"):
    return [{"kind": "enterprise", "id": f"{prefix}{i}", "name": f"合成测试企业{i}号（SYNTHETIC）"} for i in range(n)]


BAD_RELATIONS = [
    {"type": "SUPPLIES", "source": "ent-l0", "target": "ent-l1"},          # fine
    {"type": "SUPPLIES", "source": "ent-l1", "target": "ent-missing"},     # an end missing
    {"type": "SUPPLIES", "source": "ent-l2", "target": "seg-l0"},          # a kind the type does not allow
    {"type": "NO_SUCH", "source": "ent-l0", "target": "ent-l1"},           # a type the model refuses
    {"type": "SUPPLIES", "source": "nobody", "target": "nothing"},         # both ends missing
    {"type": "IN_SEGMENT", "source": "ent-l3", "target": "seg-l0"},         # fine
    {"type": "IN_SEGMENT", "source": "seg-l0", "target": "ent-l3"},         # the wrong way round
    {"type": "IN_SEGMENT", "source": "ent-l2", "target": "ent-l0"},         # ent-l0: a fine source above, a bad target here
]


def test_relations_checked_in_the_store_are_refused_as_before_and_nothing_is_written(registry):
    registry.upsert_many(_firms(4) + [{"kind": "segment", "id": "seg-l0", "name": "合成环节"}], by="tester")
    before = registry.counts()
    with pytest.raises(InvalidInput) as in_store:
        registry.upsert_relations(BAD_RELATIONS, by="tester")           # the ends checked in the store (Q_ENDS_CHECK)
    known = registry.kinds_of(["ent-l0", "ent-l1", "ent-l2", "ent-l3", "seg-l0"])
    with pytest.raises(InvalidInput) as by_kinds:
        registry.upsert_relations(BAD_RELATIONS, by="tester", known_kinds=known)  # every end's kind looked up
    assert in_store.value.message == by_kinds.value.message
    assert in_store.value.details == by_kinds.value.details
    assert [d.split(":")[0] for d in in_store.value.details] == [
        "第4行 / row 4", "第2行 / row 2", "第3行 / row 3", "第4行 / row 4", "第6行 / row 6",
        "第7行 / row 7"]  # (the ends' row numbers count the valid rows, as before)
    assert "ent-missing" in in_store.value.message and "IN_SEGMENT" in in_store.value.message
    assert registry.counts() == before
    assert [c["action"] for c in registry.changes()] == ["upsert", "upsert"]  # (the records: one a kind)


def test_a_relation_stored_already_is_added_to_through_the_store_check(registry):
    registry.upsert_many(_firms(2), by="tester")
    registry.upsert_relations([{"type": "SUPPLIES", "source": "ent-l0", "target": "ent-l1", "product": "氧化镨钕"}],
                              by="tester")
    registry.upsert_relations([{"type": "SUPPLIES", "source": "ent-l0", "target": "ent-l1", "note": "合成说明",
                                "sources": [{"basis": "reported", "by": "tester"}]}], by="tester")
    rel = registry.get_relation("ent-l0>SUPPLIES>ent-l1")
    assert rel["product"] == "氧化镨钕" and rel["note"] == "合成说明"   # the stored field kept, the new one added
    assert rel["version"] == 2 and [s["by"] for s in rel["sources"]] == ["tester"]



def test_only_sources_with_relations_are_looked_up_and_a_mixed_batch_merges_as_before(registry, monkeypatch):
    """The ends' check names the sources that have an outgoing relation (of any type); only their rows are
    looked up, typed: a relation from a source with none is new, one from a linked source is added to."""
    registry.upsert_many(_firms(5) + [{"kind": "segment", "id": "seg-l0", "name": "合成环节"}], by="tester")
    registry.upsert_relations([
        {"type": "SUPPLIES", "source": "ent-l0", "target": "ent-l1", "product": "氧化镨钕",
         "sources": [{"basis": "reported", "by": "first"}]},
        {"type": "IN_SEGMENT", "source": "ent-l2", "target": "seg-l0", "note": "合成说明"}], by="tester")
    looked_up = []
    stored = registry.stored_relations
    monkeypatch.setattr(registry, "stored_relations", lambda rels: looked_up.append([r.id for r in rels]) or stored(rels))
    written = registry.upsert_relations([
        {"type": "SUPPLIES", "source": "ent-l0", "target": "ent-l1", "note": "又一说明",
         "sources": [{"basis": "reported", "by": "second"}]},                     # stored: added to
        {"type": "SUPPLIES", "source": "ent-l2", "target": "ent-l3"},           # linked source, other type stored
        {"type": "SUPPLIES", "source": "ent-l3", "target": "ent-l4"},           # a source without relations
        {"type": "IN_SEGMENT", "source": "ent-l2", "target": "seg-l0"},         # stored: its note kept
    ], by="tester")
    assert looked_up == [["ent-l0>SUPPLIES>ent-l1", "ent-l2>SUPPLIES>ent-l3", "ent-l2>IN_SEGMENT>seg-l0"]]
    assert written == {"SUPPLIES": 3, "IN_SEGMENT": 0}  # (the segment link says nothing new: not rewritten)
    rel = registry.get_relation("ent-l0>SUPPLIES>ent-l1")
    assert rel["product"] == "氧化镨钕" and rel["note"] == "又一说明" and rel["version"] == 2
    assert [s["by"] for s in rel["sources"]] == ["first", "second"]
    assert registry.get_relation("ent-l2>IN_SEGMENT>seg-l0")["note"] == "合成说明"
    assert registry.get_relation("ent-l3>SUPPLIES>ent-l4")["version"] == 1
    # a first load (no relation in the store) looks nothing up at all
    registry.upsert_many(_firms(2, prefix="ent-n"), by="tester")
    looked_up.clear()
    registry.upsert_relations([{"type": "SUPPLIES", "source": "ent-n0", "target": "ent-n1"}], by="tester")
    assert looked_up == []


def test_the_typed_lookup_reads_what_the_untyped_one_read(registry):
    registry.upsert_many(_firms(4) + [{"kind": "segment", "id": "seg-l0", "name": "合成环节"}], by="tester")
    rows = [{"type": "SUPPLIES", "source": f"ent-l{i}", "target": f"ent-l{(i + 1) % 4}", "product": f"产品{i}"}
            for i in range(4)] + [{"type": "IN_SEGMENT", "source": "ent-l1", "target": "seg-l0"}]
    registry.upsert_relations(rows, by="tester")
    rels = registry._validated_relations(rows + [{"type": "SUPPLIES", "source": "ent-l0", "target": "ent-l2"}])
    untyped = {r["r"]["id"]: r["r"] for r in registry.store.read(
        R.Q_REL_GET_MANY, {"rows": [{"id": x.id, "source": x.source, "target": x.target} for x in rels]})}
    assert len(untyped) == 5 and registry.stored_relations(rels) == untyped


def test_relation_props_equal_the_plain_dump_and_hash_key_for_key_in_order():
    """The loader's relation properties, built from the fields, are the model_dump-and-JSON ones: the same
    keys in the same order, the same values, the same content hash (awkward text, Chinese, every source)."""
    from registry.model import validate_relation

    assert R._REL_FAST  # (the model has the fields the fast path reads: it is the path tested here)
    rng = random.Random(7)
    texts = ["氧化镨钕", 'a "quoted" \\ back', "emoji 🧲 and \u2028 sep", "ＡＢＣ　全角", "x" * 300, "é/ü", "</script>"]
    sources = [{"basis": "reported", "by": "张三"}, {"doc": "001_x.txt", "section": "§2", "quote": "“稀土”\\n"},
               {"basis": "implied", "note": "推断：同一园区", "by": "tester", "at": "2026-01-01T00:00:00Z"}]
    rows = []
    for i in range(300):
        row = {"type": rng.choice(["SUPPLIES", "IN_SEGMENT", "FEEDS"]), "source": f"ent-{i}", "target": f"t-{i}"}
        if rng.random() < 0.5:
            row["product"] = rng.choice(texts)
        if rng.random() < 0.5:
            row["note"] = rng.choice(texts)
        if rng.random() < 0.6:
            row["sources"] = rng.sample(sources, rng.randint(1, 3))
        rows.append(row)
    meta = {"created_at": "2026-12-07T00:00:00Z", "version": 1, "updated_by": "tester"}
    compared = 0
    for row in rows:
        rel = validate_relation(row)
        for m in (None, meta):
            fast, plain = R.relation_props(rel, meta=m), R._relation_props_plain(rel, meta=m)
            assert list(fast.items()) == list(plain.items())
            compared += 1
    assert compared == 600 and sum(1 for row in rows if "sources" in row) > 100

def test_overlapped_writes_go_in_order_and_log_every_chunk(registry, monkeypatch):
    monkeypatch.setattr(R, "WRITE_BATCH", 40)
    seen = []
    written = registry.upsert_many(_firms(230), by="tester", why="批量测试", progress=lambda d, t: seen.append((d, t)))
    assert written == {"enterprise": 230}
    assert seen == [(min(40 * k, 230), 230) for k in range(1, 7)]
    changes = [c for c in registry.changes(limit=50) if c["action"] == "upsert"]
    assert len(changes) == 6 and all(c["by"] == "tester" and c["why"] == "批量测试" for c in changes)
    assert sorted(i for c in changes for i in c["ids"]) == sorted(f"ent-l{i}" for i in range(230))
    rec = registry.get("ent-l229")
    assert rec["version"] == 1 and rec["name"] == "合成测试企业229号（SYNTHETIC）"
    # relations the same way, and loading both again writes nothing
    rels = [{"type": "SUPPLIES", "source": f"ent-l{i}", "target": f"ent-l{(i * 7 + 1) % 230}"} for i in range(230)]
    assert registry.upsert_relations(rels, by="tester") == {"SUPPLIES": 230}
    assert registry.counts()["relations"] == {"SUPPLIES": 230}
    assert registry.upsert_many(_firms(230), by="tester") == {"enterprise": 0}
    assert registry.upsert_relations(rels, by="tester", merge=False) == {"SUPPLIES": 0}


def test_a_failed_statement_stops_the_chunks_after_it(registry, monkeypatch):
    monkeypatch.setattr(R, "WRITE_BATCH", 50)
    real_write, calls = registry.store.write, []

    def failing_write(query, params=None):
        if "UNWIND $rows" in query:
            calls.append(len(params["rows"]))
            if len(calls) == 3:
                raise RuntimeError("the store went away (test)")
        return real_write(query, params)

    monkeypatch.setattr(registry.store, "write", failing_write)
    with pytest.raises(RuntimeError, match="went away"):
        registry.upsert_many(_firms(400), by="tester")
    assert calls == [50, 50, 50]            # the fourth chunk was never sent
    monkeypatch.setattr(registry.store, "write", real_write)
    assert len(registry.kinds_of(f"ent-l{i}" for i in range(400))) == 100
    assert len([c for c in registry.changes(limit=50) if c["action"] == "upsert"]) == 2


def test_a_record_created_meanwhile_is_refused_not_overwritten(registry, monkeypatch):
    """New records are created, not merged: one someone else created between the loader's read and its write
    (simulated: the read misses it) makes the statement fail with a conflict, and that record stays as it was."""
    registry.create({"kind": "enterprise", "id": "ent-l1", "name": "别人刚建的企业"}, by="someone")
    real_read = registry.store.read

    def read_missing_it(query, params=None, **kw):
        rows = real_read(query, params, **kw)
        return [r for r in rows if r.get("id") != "ent-l1"] if query == R.Q_KINDS_OF else rows

    monkeypatch.setattr(registry.store, "read", read_missing_it)
    from registry.errors import Conflict
    with pytest.raises(Conflict):
        registry.upsert_many(_firms(3), by="tester")
    monkeypatch.setattr(registry.store, "read", real_read)
    rec = registry.get("ent-l1")
    assert rec["name"] == "别人刚建的企业" and rec["updated_by"] == "someone" and rec["version"] == 1


def test_the_collector_is_paused_for_a_batch_and_resumed_as_it_was(registry, monkeypatch):
    import gc

    seen = []
    write = registry.store.write

    def spy(query, params=None):
        seen.append(gc.isenabled())
        return write(query, params)

    monkeypatch.setattr(registry.store, "write", spy)
    assert gc.isenabled()
    registry.upsert_many([{"kind": "enterprise", "id": "gc-1", "name": "甲公司"},
                          {"kind": "enterprise", "id": "gc-2", "name": "乙公司"}], by="t", why="t")
    registry.upsert_seed([{"kind": "enterprise", "id": "gc-3", "name": "丙公司"}],
                         [{"type": "SUPPLIES", "source": "gc-1", "target": "gc-3"}], by="t")
    assert seen and not any(seen)  # paused while writing, nested calls included
    assert gc.isenabled()          # and resumed after
    with pytest.raises(InvalidInput):
        registry.upsert_many([{"kind": "enterprise", "id": "gc-4"}], by="t", why="t")  # no name
    assert gc.isenabled()          # resumed after a refusal too
    gc.disable()
    try:
        registry.upsert_many([{"kind": "enterprise", "id": "gc-5", "name": "丁公司"}], by="t", why="t")
        assert not gc.isenabled()  # a collector paused by the caller stays paused
    finally:
        gc.enable()
