"""The registry's domain model and its validation rules.

Records are validated with pydantic; every message names the field and the
value, in Chinese first and English after, so that a user who typed the
value can see at once what is wrong with it.

The allow-lists here (kinds, relation types, enumerations) are also what the
store layer uses to turn a varying label or relation type into constant
Cypher text: nothing outside these dicts ever becomes query text.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal, Optional

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InvalidInput

# kind (as used in ids, URLs and the API) -> node label in the graph store
KINDS: dict[str, str] = {
    "enterprise": "Enterprise",
    "platform": "Platform",
    "project": "Project",
    "segment": "Segment",
    "target": "Target",
    "gov_unit": "GovUnit",
    "document": "Document",
}
def kind_name(kind: str, lang: str = "zh") -> str:
    """A kind's name for people, from the message catalogue (``label.kind.<kind>``)."""
    from .messages import label

    return label("kind", kind, lang)

ORGS = {"enterprise", "platform", "gov_unit"}

# relation type -> (allowed source kinds, allowed target kinds, Chinese name, meaning)
RELATION_TYPES: dict[str, tuple[frozenset, frozenset, str, str]] = {
    "IN_SEGMENT": (frozenset({"enterprise", "platform", "project", "target"}), frozenset({"segment"}),
                   "所属环节", "works in / belongs to this chain segment"),
    "PART_OF": (frozenset({"segment"}), frozenset({"segment"}),
                "上级环节", "child segment -> parent segment"),
    "FEEDS": (frozenset({"segment"}), frozenset({"segment"}),
              "上游→下游", "upstream segment supplies the downstream one"),
    "CHAIN_LEADER": (frozenset({"enterprise"}), frozenset({"segment"}),
                     "链主", "chain leader of this segment or chain"),
    "SUPPLIES": (frozenset({"enterprise"}), frozenset({"enterprise"}),
                 "供应", "supplier -> customer (property `product`: what is supplied)"),
    "RESEARCH_PARTNER": (frozenset(ORGS), frozenset(ORGS),
                         "产学研合作", "research / technology partner"),
    "CO_FOUNDED": (frozenset(ORGS), frozenset({"platform", "project", "enterprise"}),
                   "共建", "co-founder / co-builder of a platform, project or firm"),
    "LOCATED_IN": (frozenset({"enterprise", "platform", "project"}), frozenset({"project"}),
                   "位于", "located in a park (a project of type park)"),
    "RUNS": (frozenset(ORGS), frozenset({"project", "platform"}),
             "运营/承建", "runs, owns, leads or hosts a project or platform"),
    "SUPPORTED_BY": (frozenset({"enterprise", "platform", "project"}),
                     frozenset({"gov_unit", "document", "platform", "enterprise"}),
                     "受支持", "is supported by (a unit, a platform, or the plan itself)"),
    "MEMBER_OF": (frozenset({"enterprise", "platform"}), frozenset({"platform", "project"}),
                  "成员", "member of an alliance, organisation or park"),
    "REORGANISES": (frozenset({"enterprise"}), frozenset({"enterprise"}),
                    "重组/整合", "reorganises / integrates another firm"),
    "OWNED_BY": (frozenset({"enterprise", "platform"}), frozenset({"enterprise", "gov_unit"}),
                 "隶属", "subsidiary of / owned by"),
    "LISTING_TARGET": (frozenset({"enterprise"}), frozenset({"document", "gov_unit"}),
                       "上市培育", "named for listing support by the plan or a unit"),
    "RESPONSIBLE_FOR": (frozenset({"gov_unit", "platform", "enterprise"}),
                        frozenset({"target", "project", "platform"}),
                        "责任单位", "responsible unit (责任单位) for a target or task"),
    "ABOUT": (frozenset({"target"}), frozenset({"segment", "enterprise", "platform", "project"}),
              "指向", "a plan target concerns this segment or entity"),
}

LOCALITIES = ("cluster", "ganzhou", "jiangxi", "china", "abroad", "unknown")
# A locality says how precisely the sources place a firm, no more: "ganzhou" is "in Ganzhou, not stated
# to be in the cluster". Only "cluster" counts as local; the analysis treats the others as not (yet) local.
# The one definition of "in the cluster" and "outside the cluster": only "cluster" is local; "outside" is
# every place the sources name that is not the cluster; "unknown" is neither in nor out.
LOCAL = "cluster"
OUTSIDE = ("ganzhou", "jiangxi", "china", "abroad")
OUTSIDE_SET = frozenset(OUTSIDE)
LOCALITY_FILTERS = {**{loc: (loc,) for loc in LOCALITIES}, "outside": OUTSIDE}


def locality_group(locality: str | None) -> str:
    """"local", "outside" or "unknown": where a record stands with respect to the cluster."""
    if locality == LOCAL:
        return "local"
    return "outside" if locality in OUTSIDE_SET else "unknown"


# An enterprise's roles (designations the plans give it) are stored as these codes; their labels for
# people are in the message catalogue (label.role.<code>). The Chinese term each code stands for is the
# one place that turns a Chinese role, from an older client, a spreadsheet or a store written before the
# codes, into its code.
ROLE_FROM_ZH: dict[str, str] = {
    "链主": "chain_leader",
    "龙头": "leading",
    "骨干": "backbone",
    "重点扶持": "key_support",
    "上市培育": "listing_candidate",
    "上市公司": "listed",
    "专精特新": "specialised",
    "专精特新小巨人": "little_giant",
    "单项冠军": "single_champion",
    "高新技术企业": "high_tech",
    "规上": "above_scale",
    "独角兽": "unicorn",
    "瞪羚": "gazelle",
    "央企": "central_soe",
    "国企": "soe",
}
ROLES = tuple(ROLE_FROM_ZH.values())


def role_code(value: str) -> str:
    """The code of a role given as a code or as its Chinese term; anything else is returned as it is
    (for the validator to refuse with the list of codes)."""
    value = value.strip()
    return ROLE_FROM_ZH.get(value, value)


ROLE_CHAIN_LEADER = "chain_leader"  # the role that makes a firm a chain leader without a CHAIN_LEADER relation
ROLE_LEADING = "leading"
LEAD_ROLES = (ROLE_CHAIN_LEADER, ROLE_LEADING)  # a leading firm of its segment: listed first, counts as a leader
PLATFORM_TYPES = ("research_institute", "innovation_center", "test_center", "university", "ip_center",
                  "promotion_org", "alliance", "trading_venue", "industrial_internet", "incubator",
                  "service_center", "other")
LEVELS = ("national", "provincial", "municipal", "district", "enterprise", "unknown")
PLATFORM_STATUS = ("existing", "planned", "unknown")
PROJECT_TYPES = ("project", "park", "programme")
PROJECT_STATUS = ("planned", "under_construction", "operating", "completed", "unknown")
STAGES = ("resource", "upstream", "midstream", "downstream", "application", "recycling", "service")
COMPARISONS = ("at_least", "exceeds", "reach", "range", "at_most", "approx", "per_year")
BASES = ("explicit", "implied", "reported")

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")

# GB 32100-2015: 统一社会信用代码 alphabet (no I, O, Z, S, V) and weights of the 17 positions.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The check character of a 统一社会信用代码 from its first 17 characters (GB 32100-2015)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str:
    """Return the normalised code, or raise ValueError with a message that names the value."""
    code = code.strip().upper()
    if len(code) != 18:
        raise ValueError(f"统一社会信用代码应为18位，'{code}' 是 {len(code)} 位 / "
                         f"credit code must be 18 characters, '{code}' has {len(code)}")
    bad = [c for c in code if c not in _USCC_CHARS]
    if bad:
        raise ValueError(f"统一社会信用代码 '{code}' 含非法字符 {''.join(bad)!r}（不使用 I、O、Z、S、V）/ "
                         f"credit code '{code}' contains invalid characters {''.join(bad)!r}")
    if not code[2:8].isdigit():
        raise ValueError(f"统一社会信用代码 '{code}' 第3-8位应为行政区划码（数字）/ "
                         f"credit code '{code}': positions 3-8 must be an administrative division code")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValueError(f"统一社会信用代码 '{code}' 校验位错误，应为 '{expected}' / "
                         f"credit code '{code}' has a wrong check digit, expected '{expected}'")
    return code


# ---- input that cannot hurt: one check for every text, list and number a record takes
# Limits: a name is a line, a description a page. A field not listed here is a short line.
MAX_NAME = 200
MAX_LINE = 500
MAX_TEXT = 5000
MAX_QUOTE = 1000
MAX_LIST = 200
FIELD_LIMITS: dict[str, int] = {
    "name": MAX_NAME, "aliases": MAX_NAME, "description": MAX_TEXT, "note": 2000, "quote": MAX_QUOTE,
    "address": MAX_LINE, "clause": MAX_LINE, "metric": MAX_LINE, "section": MAX_LINE, "product": MAX_LINE,
    "website": MAX_LINE, "responsible_units": MAX_NAME, "doc": MAX_NAME, "file": MAX_NAME,
}
DEFAULT_LIMIT = MAX_NAME
# every C0/C1 control character but tab and newline (Word pastes a vertical tab for a line break; XLSX
# cannot hold one), and lone surrogates (half a UTF-16 pair: no UTF-8 encoding exists)
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_ASCII_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)


def bad_character(text: str) -> str | None:
    """The first character a stored text may not hold, as U+XXXX, or None.

    >>> bad_character("赣州\\t稀土\\n"), bad_character("a\\x0bb")
    (None, 'U+000B (VT)')
    """
    m = _BAD_CHARS.search(text)
    if not m:
        return None
    code = ord(m.group())
    return f"U+{code:04X}" + {0: " (NUL)", 0x0B: " (VT)", 0x0C: " (FF)", 0x1B: " (ESC)"}.get(code, "")


def check_text(value: str, field: str, limit: int | None = None) -> str:
    """A text with Windows line ends made plain, or ValueError naming the field: too long, or holding a
    control character or a lone surrogate."""
    if not value.isprintable():  # a line end, a tab or a character to refuse (every one of those is unprintable)
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        bad = bad_character(value)
        if bad:
            raise ValueError(f"含不允许的字符 {bad}（控制字符或孤立代理项；只允许制表符和换行）/ contains the "
                             f"character {bad}, a control character or lone surrogate (only tab and newline are allowed)")
    limit = limit or FIELD_LIMITS.get(field, DEFAULT_LIMIT)
    if len(value) > limit:
        raise ValueError(f"过长（{len(value)} 字，上限 {limit}）/ too long ({len(value)} > {limit} characters)")
    return value


def _guard(value: Any, field: str) -> Any:
    """Every text of a field's value checked; a list no longer than MAX_LIST."""
    if isinstance(value, str):
        return check_text(value, field)
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            raise ValueError(f"项数过多（{len(value)}，上限 {MAX_LIST}）/ too many items ({len(value)} > {MAX_LIST})")
        return [_guard(v, field) for v in value]
    return value


def plain_number(value: Any, field: str, *, whole: bool = False) -> Any:
    """A number as JSON or a form sends it, strictly: ASCII digits only (no full-width １２３, no 1_000),
    no true/false, no NaN or infinity. Returns the value for the model to convert, or raises ValueError."""
    zh, en = ("整数", "a whole number") if whole else ("数字", "a number")
    if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"应为{zh}，不是 {value!r} / must be {en}, not {value!r}")
    if isinstance(value, str):
        pattern = _ASCII_INT if whole else _ASCII_NUMBER
        if len(value) > 40 or not pattern.fullmatch(value.strip()):
            raise ValueError(f"应为半角数字写的{zh}，不是 {value[:40]!r} / must be {en} in ASCII digits "
                             "(no full-width digits, no '_')")
        return value.strip()
    return value


class Source(BaseModel):
    """Where a fact comes from: a clause of a seed document, or a user who reported it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    doc: Optional[str] = Field(None, description="document file name, e.g. 001_5d877c967d85b7a4.txt")
    section: Optional[str] = None
    quote: Optional[str] = None
    basis: Literal["explicit", "implied", "reported"] = "explicit"
    note: Optional[str] = None
    by: Optional[str] = Field(None, description="who added the fact (for user-reported facts)")
    at: Optional[str] = Field(None, description="ISO-8601 UTC time the fact was added")

    @field_validator("*", mode="before")
    @classmethod
    def _safe_text(cls, v, info):
        return _guard(v, info.field_name)

    @model_validator(mode="after")
    def _complete(self):
        if self.doc and not (self.section and self.quote):
            raise ValueError(f"来源 '{self.doc}' 需要 section 和 quote / a document source needs section and quote")
        if not self.doc and not self.by:
            raise ValueError("来源需要文件(doc)或填报人(by) / a source needs a document or a person (by)")
        if self.basis == "implied" and not self.note:
            raise ValueError("推断(implied)的事实需要说明推断依据(note) / an implied fact needs a note saying how")
        return self


# numeric fields of any kind -> whole numbers only?
NUMBER_FIELDS = {"position": True, "deadline_year": True, "value": False, "value_max": False}


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, v, info):
        # spreadsheets and forms send "" for an empty cell: that is "unknown", not a value
        if isinstance(v, str) and not v.strip():
            return None
        if info.field_name in NUMBER_FIELDS:
            return plain_number(v, info.field_name, whole=NUMBER_FIELDS[info.field_name])
        return _guard(v, info.field_name)


class Entity(_Record):
    id: str
    kind: str
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list)
    description: Optional[str] = None
    sources: list[Source] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"编号 '{v}' 只能含小写字母、数字、. _ -，且以字母或数字开头 / "
                             f"id '{v}' may only hold a-z, 0-9, '.', '_' and '-' and must start with a letter or digit")
        return v

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, v):
        if v is None:
            return []
        if isinstance(v, str):  # a spreadsheet cell: 简称 separated by ; ； 、 or |
            v = re.split(r"[;；、|]", v)
        if not isinstance(v, (list, tuple)) or not all(isinstance(a, str) for a in v):
            raise ValueError("简称应为文字列表 / aliases must be a list of texts")
        seen, out = set(), []
        for a in v:
            a = a.strip()
            if a and a not in seen:
                seen.add(a)
                out.append(a)
        return out

    @model_validator(mode="after")
    def _aliases_not_name(self):
        self.aliases = [a for a in self.aliases if a != self.name]
        return self


class Enterprise(Entity):
    kind: Literal["enterprise"] = "enterprise"
    credit_code: Optional[str] = None
    locality: Literal[LOCALITIES] = "unknown"  # type: ignore[valid-type]
    location: Optional[str] = Field(None, description="place as written, e.g. 赣县区 / 包头")
    roles: list[Literal[ROLES]] = Field(default_factory=list)  # type: ignore[valid-type]
    size_band: Optional[str] = None
    revenue_band: Optional[str] = None
    listing_status: Optional[str] = None
    contact_person: Optional[str] = None
    phone: Optional[str] = None
    email: Optional[str] = None
    website: Optional[str] = None
    address: Optional[str] = None

    @field_validator("credit_code")
    @classmethod
    def _uscc(cls, v):
        return None if v is None else check_credit_code(v)

    @field_validator("roles", mode="before")
    @classmethod
    def _roles(cls, v):
        if isinstance(v, str):
            v = [r for r in re.split(r"[;；、|,，]", v) if r.strip()]
        if v is not None and not isinstance(v, (list, tuple)):
            raise ValueError("角色应为列表 / roles must be a list")
        # a Chinese role (an old client, a spreadsheet) is accepted and kept as its code
        return list(dict.fromkeys(role_code(r) if isinstance(r, str) else r for r in (v or [])))


class Platform(Entity):
    kind: Literal["platform"] = "platform"
    platform_type: Literal[PLATFORM_TYPES] = "other"  # type: ignore[valid-type]
    level: Literal[LEVELS] = "unknown"  # type: ignore[valid-type]
    status: Literal[PLATFORM_STATUS] = "unknown"  # type: ignore[valid-type]
    locality: Literal[LOCALITIES] = "unknown"  # type: ignore[valid-type]
    location: Optional[str] = None


class Project(Entity):
    kind: Literal["project"] = "project"
    project_type: Literal[PROJECT_TYPES] = "project"  # type: ignore[valid-type]
    status: Literal[PROJECT_STATUS] = "unknown"  # type: ignore[valid-type]
    locality: Literal[LOCALITIES] = "unknown"  # type: ignore[valid-type]
    location: Optional[str] = None
    period: Optional[str] = None
    investment: Optional[str] = Field(None, description="as written, e.g. 10亿元")
    signed_on: Optional[str] = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                                     description="签约日期 YYYY-MM-DD: a project introduced (signed) that day (issue 13)")


class Segment(Entity):
    kind: Literal["segment"] = "segment"
    stage: Literal[STAGES] = "midstream"  # type: ignore[valid-type]
    position: int = Field(0, ge=0, le=1000, description="column, upstream (0) to downstream")


class Target(Entity):
    kind: Literal["target"] = "target"
    metric: str
    value: Optional[float] = Field(None, allow_inf_nan=False)
    value_max: Optional[float] = Field(None, allow_inf_nan=False)
    comparison: Literal[COMPARISONS] = "reach"  # type: ignore[valid-type]
    unit: Optional[str] = None
    period: Optional[str] = None
    deadline_year: Optional[int] = Field(None, ge=2000, le=2100)
    responsible_units: list[str] = Field(default_factory=list)
    clause: Optional[str] = None

    @model_validator(mode="after")
    def _range(self):
        if self.comparison == "range":
            if self.value is None or self.value_max is None or self.value_max < self.value:
                raise ValueError(f"区间目标需要 value ≤ value_max：{self.value}–{self.value_max} / "
                                 "a range target needs value <= value_max")
        return self


class GovUnit(Entity):
    kind: Literal["gov_unit"] = "gov_unit"
    level: Literal[LEVELS] = "unknown"  # type: ignore[valid-type]


class Document(Entity):
    kind: Literal["document"] = "document"
    file: str
    issuer: Optional[str] = None
    date: Optional[str] = None
    doc_no: Optional[str] = None


MODELS: dict[str, type[Entity]] = {
    "enterprise": Enterprise,
    "platform": Platform,
    "project": Project,
    "segment": Segment,
    "target": Target,
    "gov_unit": GovUnit,
    "document": Document,
}


class Relation(_Record):
    type: str
    source: str
    target: str
    product: Optional[str] = Field(None, description="SUPPLIES: what is supplied")
    note: Optional[str] = None
    sources: list[Source] = Field(default_factory=list)

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        v = v.strip().upper()
        if v not in RELATION_TYPES:
            raise ValueError(f"未知的关系类型 '{v}'，可用：{', '.join(RELATION_TYPES)} / unknown relation type '{v}'")
        return v

    @property
    def id(self) -> str:
        return relation_id(self.type, self.source, self.target)

    @property
    def basis(self) -> str:
        return basis_of(self.sources)


def relation_id(rtype: str, source: str, target: str) -> str:
    """A relation is identified by its type and its two ends: one fact, one edge."""
    return f"{source}>{rtype}>{target}"


BASIS_ORDER = ("explicit", "reported", "implied")


def basis_of(sources) -> str:
    """The strongest basis among a fact's sources: explicit beats reported beats implied.

    ``sources`` are ``Source`` objects or plain dicts (a dict without ``basis`` is explicit).

    >>> basis_of([{"basis": "implied"}, {"basis": "reported"}]), basis_of([])
    ('reported', 'unknown')
    """
    bases = {(s.get("basis") if isinstance(s, dict) else s.basis) or "explicit" for s in (sources or ())}
    for b in BASIS_ORDER:
        if b in bases:
            return b
    return "unknown"


def _format_errors(exc: ValidationError, where: str) -> InvalidInput:
    items = []
    for e in exc.errors():
        field = ".".join(str(p) for p in e["loc"]) or "(record)"
        msg = e["msg"].removeprefix("Value error, ")
        items.append({"field": field, "value": _short(e.get("input")), "message": msg})
    text = "; ".join(f"{i['field']}: {i['message']}"
                     + ("" if str(i["value"]) in i["message"] else f" (值/value: {i['value']!r})")
                     for i in items)
    return InvalidInput(f"{where}: {text}", details=items)


def _short(v: Any) -> Any:
    if isinstance(v, str) and bad_character(v):  # shown escaped: a lone surrogate cannot even be encoded
        v = v.encode("unicode_escape").decode("ascii")
    if isinstance(v, str) and len(v) > 80:
        return v[:77] + "..."
    if isinstance(v, (dict, list)):
        return str(v)[:80]
    return v


def validate_entity(data: dict[str, Any]) -> Entity:
    """Validate a record of any kind; raise InvalidInput naming every bad field and its value."""
    kind = data.get("kind")
    if kind not in MODELS:
        raise InvalidInput(f"kind: 未知的记录类型 {kind!r}，可用：{', '.join(MODELS)} / unknown kind {kind!r}",
                           details=[{"field": "kind", "value": kind, "message": "unknown kind"}])
    try:
        return MODELS[kind].model_validate(data)
    except ValidationError as exc:
        raise _format_errors(exc, f"{kind_name(kind)} {data.get('id', '')!s}".strip()) from None


def validate_relation(data: dict[str, Any]) -> Relation:
    try:
        return Relation.model_validate(data)
    except ValidationError as exc:
        raise _format_errors(exc, f"关系/relation {data.get('source')}-{data.get('type')}->{data.get('target')}") from None


def endpoints_allowed(rtype: str, source_kind: Optional[str], target_kind: Optional[str]) -> bool:
    """Whether a relation of type ``rtype`` may go from a ``source_kind`` record to a ``target_kind`` one."""
    spec = RELATION_TYPES.get(rtype)
    return spec is not None and source_kind in spec[0] and target_kind in spec[1]


def check_endpoints(rel: Relation, source_kind: Optional[str], target_kind: Optional[str]) -> None:
    """Raise InvalidInput when an end is missing or of a kind the relation type does not allow."""
    if source_kind is None:
        raise InvalidInput(f"关系起点 '{rel.source}' 不存在 / relation source '{rel.source}' does not exist",
                           details=[{"field": "source", "value": rel.source, "message": "does not exist"}])
    if target_kind is None:
        raise InvalidInput(f"关系终点 '{rel.target}' 不存在 / relation target '{rel.target}' does not exist",
                           details=[{"field": "target", "value": rel.target, "message": "does not exist"}])
    allowed_src, allowed_dst, zh, _ = RELATION_TYPES[rel.type]
    if not endpoints_allowed(rel.type, source_kind, target_kind):
        raise InvalidInput(
            f"{rel.type}（{zh}）不能从{kind_name(source_kind)} '{rel.source}' 指向{kind_name(target_kind)} "
            f"'{rel.target}' / {rel.type} may go from {sorted(allowed_src)} to {sorted(allowed_dst)}, "
            f"not {source_kind} -> {target_kind}",
            details=[{"field": "type", "value": rel.type, "message": "endpoint kinds not allowed"}])
