"""Validation rules of the domain model, each with the message a user sees."""

from __future__ import annotations

import pytest

from registry.errors import InvalidInput
from registry.model import (ROLE_FROM_ZH, ROLES, check_credit_code, relation_id, uscc_check_char,
                            validate_entity, validate_relation)

# GB 32100-2015 worked example: the check character of 91350100M000100Y4 is 3
GB_EXAMPLE = "91350100M000100Y43"


def test_credit_code_check_digit_matches_the_standard_example():
    assert uscc_check_char(GB_EXAMPLE[:17]) == "3"
    assert check_credit_code(GB_EXAMPLE.lower()) == GB_EXAMPLE


@pytest.mark.parametrize("code,fragment", [
    ("91350100M000100Y44", "校验位错误，应为 '3'"),
    ("91350100M000100Y4", "应为18位"),
    ("91350100M0001O0Y43", "非法字符"),
    ("913A0100M000100Y43", "行政区划码"),
])
def test_bad_credit_codes_are_rejected_with_the_reason(code, fragment):
    with pytest.raises(InvalidInput) as exc:
        validate_entity({"kind": "enterprise", "id": "e1", "name": "甲", "credit_code": code})
    assert fragment in exc.value.message and code in exc.value.message
    assert exc.value.details[0]["field"] == "credit_code"


def test_messages_name_field_and_value():
    with pytest.raises(InvalidInput) as exc:
        validate_entity({"kind": "enterprise", "id": "Bad Id", "name": "甲", "locality": "mars"})
    fields = {d["field"] for d in exc.value.details}
    assert fields == {"id", "locality"}
    assert "Bad Id" in exc.value.message and "mars" in exc.value.message


def test_unknown_kind_and_relation_type():
    with pytest.raises(InvalidInput, match="未知的记录类型"):
        validate_entity({"kind": "company", "id": "x", "name": "y"})
    with pytest.raises(InvalidInput, match="LIKES"):
        validate_relation({"type": "likes", "source": "a", "target": "b"})


def test_sources_rules():
    base = {"kind": "enterprise", "id": "e1", "name": "甲"}
    with pytest.raises(InvalidInput, match="section"):
        validate_entity({**base, "sources": [{"doc": "001.txt"}]})
    with pytest.raises(InvalidInput, match="note"):
        validate_entity({**base, "sources": [{"doc": "001.txt", "section": "一", "quote": "q", "basis": "implied"}]})
    ok = validate_entity({**base, "sources": [{"by": "张三", "basis": "reported", "note": "电话核实"}]})
    assert ok.sources[0].by == "张三"


def test_spreadsheet_cells():
    e = validate_entity({"kind": "enterprise", "id": "e1", "name": " 甲公司 ", "aliases": "甲；甲司、甲公司|甲",
                         "roles": "龙头、专精特新", "location": ""})
    assert e.name == "甲公司" and e.aliases == ["甲", "甲司"] and e.roles == ["leading", "specialised"]
    assert e.location is None


def test_roles_are_codes_and_a_chinese_term_becomes_its_code():
    assert ROLES[:3] == ("chain_leader", "leading", "backbone") and len(ROLES) == len(ROLE_FROM_ZH) == 15
    e = validate_entity({"kind": "enterprise", "id": "e1", "name": "甲", "roles": ["链主", "listed", "龙头", "链主"]})
    assert e.roles == ["chain_leader", "listed", "leading"]  # an old client's terms, stored as codes, once each
    with pytest.raises(InvalidInput) as exc:
        validate_entity({"kind": "enterprise", "id": "e1", "name": "甲", "roles": ["链主", "大企业"]})
    assert exc.value.details[0]["field"] == "roles.1" and exc.value.details[0]["value"] == "大企业"


def test_range_target_needs_ordered_bounds():
    t = {"kind": "target", "id": "t1", "name": "高企", "metric": "新增高新技术企业", "comparison": "range"}
    with pytest.raises(InvalidInput):
        validate_entity({**t, "value": 10, "value_max": 5})
    assert validate_entity({**t, "value": 5, "value_max": 10}).value_max == 10


def test_relation_id_is_type_and_ends():
    assert relation_id("SUPPLIES", "a", "b") == "a>SUPPLIES>b"
    assert validate_relation({"type": "supplies", "source": "a", "target": "b"}).id == "a>SUPPLIES>b"


def test_an_edit_records_only_the_fields_it_changed(registry):
    """A form sends an empty list for a field the store never held: that is no change (no 'roles: — → —')."""
    from registry.repository import change_fields

    registry.create({"kind": "enterprise", "id": "ent-q", "name": "甲公司"}, by="t", why="t")
    registry.update("ent-q", {"phone": "0797-1", "roles": [], "aliases": []}, version=1, by="t", why="t")
    change = registry.changes(entity_id="ent-q", limit=1)[0]
    assert [f["field"] for f in change_fields(change)] == ["phone"]
    assert "phone" in change["summary"] and "roles" not in change["summary"]
