"""Read a plan, opinion or report into proposals, each resting on a verbatim quote (issue 14, first slice).

Pure functions over text: no network, no model, no store. ``propose(text, names=...)`` returns a dict with the
lists ``organisations``, ``targets``, ``tasks`` and ``relations``; every item carries ``quote`` (a substring of
the text, checked), ``span`` ([start, end) character offsets into the text) and ``section`` (the numbered
headings above it: 一、… （三）… 7．…). Nothing is proposed without a quote, and nothing is written anywhere:
a person reviews the proposals before anything reaches the registry (the review page is not built yet).

Readers: plain text in UTF-8 or GB18030, ``.docx`` and ``.pdf`` with a text layer (``read_document``, which
``registry.documents`` does).

>>> cn_number("一百二十"), cn_number("千亿"), cn_number("1.5万"), cn_number("两千")
(120, 100000000000, 15000, 2000)
>>> parse_quantity("5-10家")["value"], parse_quantity("5-10家")["value_max"], parse_quantity("1.5万吨")["base_value"]
(5, 10, 15000)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional

from .errors import InvalidInput

__all__ = ["read_document", "decode", "propose", "cn_number", "parse_quantity", "sections", "section_at",
           "parse_units", "extract_tasks", "extract_targets", "extract_organisations", "extract_relations"]

# ---------------------------------------------------------------------------------------------- reading

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}


def decode(data: bytes) -> str:
    """Bytes of a plain-text document: UTF-8 (with or without BOM), else GB18030, else what charset-normalizer finds."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # pragma: no cover - the library is installed; keep the refusal clear anyway
        best = None
    if best is None:
        raise InvalidInput("无法识别文件编码（请存为 UTF-8 或 GB18030 文本）/ cannot tell the file's encoding "
                           "(save it as UTF-8 or GB18030 text)")
    return str(best)


def read_document(path: str | Path) -> str:
    """The text of a document file: plain text (UTF-8 / GB18030), ``.docx`` or ``.pdf`` with a text layer
    (``registry.documents``); anything else is refused with a clear message."""
    from .documents import read_path

    return read_path(path)


# ---------------------------------------------------------------------------------------------- numbers

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def _num(x: float):
    return int(x) if float(x).is_integer() else x


def cn_number(s: str):
    """A number written in Arabic or Chinese numerals, with 十/百/千/万/亿 scales: 一百二十, 千亿, 1.5万, 两千."""
    s = s.strip()
    if not s:
        raise ValueError("empty number")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万亿]*)", s)
    if m:
        value = float(m.group(1))
        for ch in m.group(2):
            value *= _CN_SMALL.get(ch) or _CN_BIG[ch]
        return _num(round(value, 6))
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[ch]
            digit = None
        elif ch in _CN_BIG:
            section += digit or 0
            if section == 0:
                section = 1
            total = (total + section) * _CN_BIG[ch] if ch == "亿" else total + section * _CN_BIG[ch]
            section, digit = 0, None
        else:
            raise ValueError(f"not a number: {s}")
    return _num(total + section + (digit or 0))


_NUM = r"(?:\d+(?:\.\d+)?[十百千万亿]?|[零〇一二两三四五六七八九十百千万亿]+)"
_RANGE_SEP = r"[-—–~～至到]{1,2}"
UNITS = ("亿元", "万元", "元", "万吨", "吨", "万台", "台", "万套", "套", "家", "个", "项", "场", "次", "人", "名", "亩",
         "平方米", "%", "％", "件", "条", "所", "座", "批", "倍")
_UNIT = "(?:" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + ")"
_QTY = re.compile(rf"(?P<a>{_NUM})(?:(?P<sep>{_RANGE_SEP})(?P<b>{_NUM}))?(?P<unit>{_UNIT})")


def parse_quantity(s: str) -> Optional[dict]:
    """``5-10家`` → value 5, value_max 10, unit 家; ``1.5万吨`` → value 1.5, unit 万吨, base_value 15000."""
    m = _QTY.fullmatch(s.strip())
    if not m:
        return None
    unit = m.group("unit").replace("％", "%")
    a = m.group("a")
    if m.group("b") is None and len(a) > 1 and a[-1] in _CN_BIG and a[-1] + unit in UNITS:
        a, unit = a[:-1], a[-1] + unit  # 200亿元: value 200, unit 亿元 (not 2e10 元)
    out = {"value": cn_number(a), "value_max": cn_number(m.group("b")) if m.group("b") else None,
           "unit": unit}
    scale = 1
    if unit[0] in _CN_BIG and len(unit) > 1:
        scale = _CN_BIG[unit[0]]
    out["base_value"] = _num(out["value"] * scale)
    return out


# ---------------------------------------------------------------------------------------------- sections

_H1 = re.compile(r"^[ \t\u3000]*([一二三四五六七八九十]+、)([^\n]*)", re.M)
_H2 = re.compile(r"^[ \t\u3000]*(（[一二三四五六七八九十]+）)([^\n]*)", re.M)
_H3 = re.compile(r"^[ \t\u3000]*(\d{1,2}[．.、])(?!\d)([^\n]*)", re.M)


def _head(marker: str, rest: str) -> str:
    """A heading as the section path shows it: the marker and the text up to the first 。 (a task's title)."""
    title = re.split(r"[。；]", rest.strip(), maxsplit=1)[0]
    return marker + title[:40]


def sections(text: str) -> list[tuple[int, int, str]]:
    """Every numbered heading: (offset, level, heading) in text order."""
    out = []
    for level, rx in ((1, _H1), (2, _H2), (3, _H3)):
        for m in rx.finditer(text):
            out.append((m.start(1), level, _head(m.group(1), m.group(2))))
    out.sort()
    return out


def section_at(heads: list[tuple[int, int, str]], pos: int) -> str:
    """The section path above ``pos``: ``二、重点任务和举措（一）科技协同创新赋能行动 1．提升自主创新能力``."""
    path: dict[int, str] = {}
    for off, level, head in heads:
        if off > pos:
            break
        path[level] = head
        for deeper in [k for k in path if k > level]:
            del path[deeper]
    parts = [path[k] for k in sorted(path)]
    if not parts:
        return "开头"
    out = "".join(p for p in parts if not re.match(r"\d", p))
    numbered = [p for p in parts if re.match(r"\d", p)]
    return (out + " " + numbered[0]).strip() if numbered else out


@dataclass
class _Doc:
    text: str
    heads: list

    def quote(self, start: int, end: int, **fields) -> dict:
        q = self.text[start:end]
        assert q and self.text.find(q) >= 0
        return {**fields, "quote": q, "span": [start, end], "section": section_at(self.heads, start)}


def _doc(text: str) -> _Doc:
    return _Doc(text, sections(text))


# ---------------------------------------------------------------------------------------------- tasks

_UNIT_CLAUSE = re.compile(r"[〔（(\[【]\s*(?:牵头单位|责任单位|牵头部门|责任部门|配合单位)\s*[：:][^〔〕（）()\[\]【】]*[〕）)\]】]")
_UNIT_LABEL = re.compile(r"(?:牵头单位|责任单位|牵头部门|责任部门|配合单位)\s*[：:]")


def parse_units(clause: str) -> list[str]:
    """The units a 〔责任单位：…〕 / （牵头单位：…；责任单位：…） clause lists, in the order written, lead first."""
    inner = clause.strip()[1:-1]
    inner = _UNIT_LABEL.sub("、", inner)
    out = []
    for part in re.split(r"[、，,；;]", inner):
        part = part.strip().rstrip("等")
        if part and part not in out:
            out.append(part)
    return out


def _task_sections(doc: _Doc) -> list[tuple[int, int]]:
    """Spans of the level-1 sections that hold tasks (headings naming 任务 / 举措 / 工作); the whole text if none."""
    h1 = [(off, head) for off, level, head in doc.heads if level == 1]
    spans = []
    for i, (off, head) in enumerate(h1):
        if re.search(r"任务|举措|工作|行动", head):
            end = h1[i + 1][0] if i + 1 < len(h1) else len(doc.text)
            spans.append((off, end))
    return spans or [(0, len(doc.text))]


def extract_tasks(text: str, doc: Optional[_Doc] = None) -> list[dict]:
    """The numbered tasks (``7．大力培育龙头企业。…〔责任单位：…〕``) of the task sections, in text order."""
    doc = doc or _doc(text)
    out = []
    for lo, hi in _task_sections(doc):
        for m in _H3.finditer(text, lo, hi):
            line_end = text.find("\n", m.start())
            line_end = hi if line_end < 0 or line_end > hi else line_end
            body = text[m.start(1):line_end].rstrip(" \t\u3000\r")
            number = int(re.match(r"\d+", m.group(1)).group())
            title = re.split(r"[。；]", m.group(2).strip(), maxsplit=1)[0].strip()
            units_m = None
            for units_m in _UNIT_CLAUSE.finditer(body):
                pass
            units = parse_units(units_m.group()) if units_m else []
            start = m.start(1)
            out.append(doc.quote(start, start + len(body), number=number, title=title, responsible_units=units))
    return out


# ---------------------------------------------------------------------------------------------- targets

_COMPARATORS = (("突破", "exceeds"), ("超过", "exceeds"), ("超", "exceeds"), ("达到", "reach"), ("达", "reach"),
                ("不少于", "at_least"), ("不低于", "at_least"), ("至少", "at_least"))
_CLAUSE_END = r"(?=[，。；、,;）)]|$|\s)"
_TARGET = re.compile(rf"(?P<qty>{_NUM}(?:{_RANGE_SEP}{_NUM})?{_UNIT})(?P<above>以上|左右)?{_CLAUSE_END}")
_PLAN_PERIOD = re.compile(r"[（(](20\d\d)\s*[-—–~～至到]\s*(20\d\d)年?[）)]")
_LEAD_IN = re.compile(r"^(?:到20\d\d年|20\d\d年|力争|确保|其中|同时|每年|培育|打造|新增|实现|引进|开展|建成|建设|形成|推动|"
                      r"参与和举办|参与制定)+")


def _clause_start(text: str, pos: int) -> int:
    """Start of the clause holding ``pos``: after the last 。；，、 (or line break) before it."""
    i = pos
    while i > 0 and text[i - 1] not in "。；，\n;,、：:":
        i -= 1
    return i


def _sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    i = pos
    while i > 0 and text[i - 1] not in "。；\n":
        i -= 1
    j = pos
    while j < len(text) and text[j] not in "。；\n":
        j += 1
    if j < len(text) and text[j] in "。；":
        j += 1
    return i, j


def extract_targets(text: str, doc: Optional[_Doc] = None) -> list[dict]:
    """Numeric targets: metric, comparison, value (and value_max), unit, period, qualifier (力争), quote."""
    doc = doc or _doc(text)
    plan = _PLAN_PERIOD.search(text[:3000])
    plan_period = f"{plan.group(1)}-{plan.group(2)}" if plan else None
    out = []
    for m in _TARGET.finditer(text):
        qty = parse_quantity(m.group("qty"))
        if qty is None:
            continue
        cstart = _clause_start(text, m.start())
        before = text[cstart:m.start()]
        if re.search(r"[A-Za-z]$|第$", before):  # 5G, 第48次
            continue
        if not re.search(r"[\u4e00-\u9fff]", before):  # a bare number opening a clause: no metric
            continue
        s_start, s_end = _sentence_bounds(text, m.start())
        sentence = text[s_start:s_end]
        comparison, metric = None, before
        for word, kind in _COMPARATORS:
            if before.endswith(word):
                comparison, metric = kind, before[: -len(word)]
                break
        if qty["value_max"] is not None:
            comparison = "range"
        elif m.group("above") == "以上":
            comparison = "at_least"
        per_year = "每年" in text[s_start:m.start()] or "每年" in metric
        if comparison is None:
            comparison = "per_year" if per_year else "reach"
        metric = _LEAD_IN.sub("", metric.strip()).strip() or before.strip()
        year = re.search(r"(?:到|至)(20\d\d)年", text[s_start:m.start()]) or \
            re.search(r"(?:到|至)(20\d\d)年", text[max(0, s_start - 200):s_start])
        if per_year:
            period = f"每年（{plan_period}年）" if plan_period else "每年"
        elif year:
            period = plan_period if plan_period and plan_period.endswith(year.group(1)) else year.group(1)
        else:
            period = plan_period
        qualifier = "力争" if "力争" in text[s_start:m.start()] else None
        end = m.end()
        out.append(doc.quote(s_start, s_end, metric=metric, comparison=comparison, value=qty["value"],
                             value_max=qty["value_max"], unit=qty["unit"], base_value=qty["base_value"],
                             period=period, year=int(year.group(1)) if year else None, qualifier=qualifier,
                             number_span=[m.start(), end], number_text=text[m.start():end]))
    return out


# ---------------------------------------------------------------------------------------------- organisations

# Suffixes that end a name, and the kind they tell (longest first).
_SUFFIX_KIND = [
    ("股份有限公司", "enterprise"), ("有限责任公司", "enterprise"), ("有限公司", "enterprise"), ("集团", "enterprise"),
    ("公司", "enterprise"),
    ("研究院", "platform"), ("研究所", "platform"), ("创新中心", "platform"), ("检验检测中心", "platform"),
    ("转化中心", "platform"), ("保护中心", "platform"), ("运营中心", "platform"), ("促进中心", "platform"),
    ("报价中心", "platform"), ("分中心", "platform"), ("大学", "platform"), ("学院", "platform"), ("联盟", "platform"),
    ("工作站", "platform"), ("实验室", "platform"), ("产业大脑", "platform"), ("中试基地", "platform"),
    ("孵化器", "platform"), ("检测平台", "platform"), ("研发机构", "platform"), ("互联网平台", "platform"),
    ("服务平台", "platform"), ("二级节点", "platform"), ("重点实验室", "platform"), ("行业协会", "platform"),
    ("产业园", "park"), ("工业园", "park"), ("稀金谷", "park"), ("科创城", "park"), ("示范区", "park"), ("高新区", "park"), ("开发区", "park"), ("园区", "park"),
    ("项目", "project"), ("工程", "project"), ("总部基地", "project"), ("展厅", "project"), ("大会", "project"),
    ("招聘会", "project"),
    ("人民政府办公室", "gov_unit"), ("人民政府", "gov_unit"), ("工作专班", "gov_unit"), ("服务专班", "gov_unit"),
    ("局", "gov_unit"), ("委", "gov_unit"), ("办", "gov_unit"), ("服务中心", "gov_unit"), ("科创中心", "gov_unit"),
    ("分局", "gov_unit"), ("厅", "gov_unit"), ("部", "gov_unit"), ("政府", "gov_unit"),
]
_SUFFIX_KIND.sort(key=lambda x: len(x[0]), reverse=True)
_SUFFIX_RX = re.compile("(?:" + "|".join(re.escape(s) for s, _ in _SUFFIX_KIND) + ")")
_NAME_CHARS = r"[\u4e00-\u9fff（）“”A-Za-z0-9]"
# Words that end the run to the left of a name (verbs, conjunctions, determiners).
_LEFT_STOP = re.compile(
    r"(?:依托|支持|推动|推进|建设|建成|加快|鼓励|联合|用好|办好|办优|建立|打造|引进|重点扶持|扶持|深化与|与(?!稀土)|组织|和|及(?!应用)|以及|等|把|将|以|在|由|"
    r"为|的|了|对|向|同|跟|助力|发挥|成立|组建|完善|实施|承接|加强|突出|通过|高标准|加大|培育|引导|带动|围绕|"
    r"持续|举办|做好|聚集|强化|积极|推进|促进|落实|服务|印发|关于|根据|各|有关|牵头|促进组织|部门|单位|"
    r"一批|全国最权威|最权威|具有|全面|全力|区直|驻区|之一|主要有|主要包括|包括|给|赴|代表|解决方案|制订|过渡到|一家|我国)")
_GENERIC = {"公司", "集团", "项目", "工程", "园区", "学院", "大学", "研究院", "联盟", "大会", "展厅", "局", "委", "办",
            "中心", "分中心", "产业园", "高新区", "开发区", "有限公司", "平台", "企业", "工作站", "上市公司", "子公司",
            "总部基地", "研发机构", "检测平台"}
_BAD_NAME = re.compile(r"^(?:本|该|其|各|相关|有关|重点|一批|新|大|全|区内|国内|国际|省内|市内|世界)|(?:等|的)|^[^\u4e00-\u9fff“]|^设区市"
                       r"|(?:设计|加工|处理|材料|装备|电机|技术|企业)$|大集团$")

# A list of short firm names before 等(一批…)企业: 鼓励中科三环、粤磁科技、汉驱智能等企业
_FIRM_LIST = re.compile(r"([\u4e00-\u9fff]{2,12}(?:、[\u4e00-\u9fff]{2,12})+)等(?:一批[^。；]{0,30}?|[^。；，、]{0,4}?)企业")


_REGION = re.compile(r"^(?:区|市|县|省|赣州|赣县|江西|国家|中国|国务院|工业和信息化部|财政部|科技部|商务部|自然资源部|美国|日本|"
                     r"[\u4e00-\u9fff]{1,4}(?:省|市|县|区)(?!域))")
_PROJECT_SPECIFIC = re.compile(r"\d|[万千百]吨级|“|^(?:中国|江西|赣州|赣县)[\u4e00-\u9fff]{0,10}(?:集团|公司|研究院)")


def _plausible(name: str, kind: str) -> bool:
    """Kind-specific checks that keep generic phrases (提升园区, 创新链布局, 传统产业改造项目) out."""
    if kind == "gov_unit":
        return bool(_REGION.search(name)) or "人民政府" in name
    if kind == "park":
        return name.startswith(("中国", "江西", "赣州", "“")) or bool(re.search(r"[省市县区州]|“", name[:-2] if name.endswith(("园区", "产业园", "工业园")) else name[:-3]))
    if kind == "project" and name.endswith("工程"):
        return len(name) >= 6 and not re.search(r"^(?:重大|重点|一批|各类|相关)", name)
    if kind == "project" and name.endswith("项目"):
        return bool(_PROJECT_SPECIFIC.search(name))
    return True


def _left_trim(run: str, keep: int = 1) -> str:
    """Drop verbs and conjunctions at the left of a candidate name: 加快建设赣县区稀金新材料产业园 → 赣县区稀金新材料产业园.
    The last ``keep`` characters (the suffix: 服务专班, 促进中心) are never cut into."""
    cut = 0
    for m in _LEFT_STOP.finditer(run):
        if m.end() <= len(run) - keep:
            cut = max(cut, m.end())
    return run[cut:]


def _kind_of(name: str) -> Optional[str]:
    for suffix, kind in _SUFFIX_KIND:
        if name.endswith(suffix):
            return kind
    return None


def _match(name: str, kind: Optional[str], names: Mapping[str, tuple]) -> dict:
    """How a proposed name meets the registry: exact (id), near (candidates, never merged), or new."""
    if not names:
        return {"status": "new"}
    hit = names.get(name)
    if hit:
        return {"status": "exact", "id": hit[0], "kind": hit[1]}
    try:
        from rapidfuzz import fuzz, process
    except Exception:  # pragma: no cover
        return {"status": "new"}
    near = process.extract(name, list(names), scorer=fuzz.ratio, limit=3, score_cutoff=80)
    if near:
        return {"status": "near", "candidates": [{"name": n, "id": names[n][0], "kind": names[n][1],
                                                  "score": round(s)} for n, s, _ in near]}
    return {"status": "new"}


def extract_organisations(text: str, names: Optional[Mapping[str, tuple]] = None,
                          doc: Optional[_Doc] = None) -> list[dict]:
    """Organisations named in the text, one proposal per distinct name (quote: its first sentence)."""
    doc = doc or _doc(text)
    names = dict(names or {})
    found: dict[str, dict] = {}

    def add(name: str, kind: Optional[str], start: int, how: str) -> None:
        name = name.strip("“”\"") if name.count("“") != name.count("”") else name
        if len(name) < 2 or name in _GENERIC or kind is None:
            return
        if how != "dictionary" and not _plausible(name, kind):
            return
        if name in found:
            found[name]["mentions"] += 1
            return
        s, e = _sentence_bounds(text, start)
        found[name] = doc.quote(s, e, kind=kind, name=name, match=_match(name, kind, names), found_by=how,
                                name_span=[start, start + len(name)], mentions=1)

    # 1) the registry's own names and aliases, longest first, whole occurrences only
    for known in sorted(names, key=len, reverse=True):
        if len(known) < 2:
            continue
        i = text.find(known)
        if i >= 0 and not any(known in other and known != other for other in found):
            add(known, names[known][1], i, "dictionary")

    # 2) names by suffix: the run of name characters before a suffix, trimmed at verbs and conjunctions
    for m in _SUFFIX_RX.finditer(text):
        suffix = m.group()
        end = m.end()
        if end < len(text) and text[end] in "级型化类内外":  # 万吨级, 园区内: not the end of a name
            continue
        j = m.start()
        while j > 0 and re.match(_NAME_CHARS, text[j - 1]) and m.start() - j < 30:
            j -= 1
        run = text[j:end]
        name = _left_trim(run, len(suffix))
        # a name ends at its suffix; a longer suffix found later on the same run wins (研究院 inside …研究院服务专班)
        if len(name) <= len(suffix) or _BAD_NAME.search(name):
            continue
        if name.count("（") != name.count("）") or name.count("“") != name.count("”"):
            continue
        if re.search(r"\d", name) and not re.search(r"[A-Za-z]", name):
            continue
        add(name, _kind_of(name), end - len(name), "suffix")

    # 3) short firm names listed before 等…企业
    for m in _FIRM_LIST.finditer(text):
        items = m.group(1).split("、")
        items[0] = _left_trim(items[0])
        off = m.start(1)
        for item in m.group(1).split("、"):
            pos = text.find(item, off)
            name = _left_trim(item)
            if 2 <= len(name) <= 8 and not _BAD_NAME.search(name):
                add(name, _kind_of(name) or "enterprise", pos + len(item) - len(name), "list")
            off = pos + len(item)

    # 4) the units a task's 〔责任单位：…〕 lists are organisations too (高新投, 江西省钨与稀土研究院)
    for m in _UNIT_CLAUSE.finditer(text):
        off = m.start()
        for unit in parse_units(m.group()):
            pos = text.find(unit, off)
            unit = re.sub(r"\s+", "", unit)
            kind = _kind_of(unit) or ("gov_unit" if _REGION.search(unit) else "enterprise")
            if pos >= 0 and unit not in found:
                add(unit, kind, pos, "units")
            off = max(off, pos)

    # drop a name found only inside longer names (中国科学院 in 中国科学院赣江创新研究院; 区委 in 区委人才办)
    out = sorted(found.values(), key=lambda o: o["name_span"][0])
    covered = []
    for o in out:
        for i in (m.start() for m in re.finditer(re.escape(o["name"]), text)):
            covered.append((i, i + len(o["name"])))
    keep = []
    for o in out:
        if o["found_by"] in ("dictionary", "units"):
            keep.append(o)
            continue
        n = len(o["name"])
        alone = 0
        for m in re.finditer(re.escape(o["name"]), text):
            a, b = m.start(), m.end()
            if not any(x <= a and b <= y and (y - x) > n for x, y in covered):
                alone += 1
        if alone:
            o["mentions"] = alone
            keep.append(o)
    return keep


# ---------------------------------------------------------------------------------------------- relations

_REL_PATTERNS = [
    ("CHAIN_LEADER", re.compile(r"以(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)为(?:链主|“链主”)")),
    ("CHAIN_LEADER", re.compile(r"(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)(?:作为|为)(?:链主|“链主”)")),
    ("LEADING", re.compile(r"(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)(?:作为|为)(?:龙头|行业龙头|龙头企业)")),
    ("LEADING", re.compile(r"(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)龙头引领作用")),
    ("LOCATED_IN", re.compile(r"(?:在|落户|入驻|位于)(?P<tgt>[\u4e00-\u9fff（）“”]{2,20}?(?:高新区|产业园|工业园|园区|开发区))"
                              r"(?:内)?(?P<verb>建设|落户|设立|投产|布局)?(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)(?=[，。；、])")),
]


def _org_at(orgs: list[dict], start: int, end: int, kinds: Iterable[str]) -> Optional[dict]:
    best = None
    for o in orgs:
        if o["kind"] not in kinds:
            continue
        name = o["name"]
        i = -1
        # any mention of the name inside [start, end)
        i = o["_text"].find(name, start, end) if "_text" in o else -1
        if i >= 0 and (best is None or len(name) > len(best["name"])):
            best = o
    return best


def extract_relations(text: str, orgs: list[dict], doc: Optional[_Doc] = None) -> list[dict]:
    """Relations a sentence states: 以X为链主 (CHAIN_LEADER), X为龙头 (LEADING), X's project (RUNS), in a park (LOCATED_IN)."""
    doc = doc or _doc(text)
    by_name = sorted(orgs, key=lambda o: len(o["name"]), reverse=True)
    out, seen = [], set()

    def find(fragment: str, kinds) -> Optional[str]:
        for o in by_name:
            if o["kind"] in kinds and o["name"] in fragment:
                return o["name"]
        return None

    for type_, rx in _REL_PATTERNS:
        for m in rx.finditer(text):
            s, e = _sentence_bounds(text, m.start())
            if type_ in ("CHAIN_LEADER", "LEADING"):
                src = find(m.group("src")[-20:], ("enterprise",))
                tgt = "产业链" if type_ == "CHAIN_LEADER" else None
            else:
                tgt = find(m.group("tgt"), ("park",))
                src = find(m.group("src"), ("enterprise", "platform", "project"))
            if not src or (type_ in ("RUNS", "LOCATED_IN") and not tgt) or src == tgt:
                continue
            key = (type_, src, tgt)
            if key in seen:
                continue
            seen.add(key)
            out.append(doc.quote(s, e, type=type_, source=src, target=tgt))

    # RUNS: a project named after its firm (稀土集团万吨级分离项目, 中国稀土集团产业项目): the name says who runs it
    firms = [o["name"] for o in by_name if o["kind"] == "enterprise"]
    for o in orgs:
        if o["kind"] != "project":
            continue
        for firm in firms:
            short = re.sub(r"^(?:中国|江西|赣州)", "", firm)
            if len(short) >= 3 and (o["name"].startswith(firm) or o["name"].startswith(short)) and o["name"] != firm:
                a, b = o["span"]
                key = ("RUNS", firm, o["name"])
                if key not in seen:
                    seen.add(key)
                    out.append(doc.quote(a, b, type="RUNS", source=firm, target=o["name"]))
                break

    # RUNS: an institution named after its parent (江西理工大学稀金新材料研究院, 中科三环博士后科研实践工作站)
    parents = [o for o in by_name if o["kind"] in ("enterprise", "platform") and len(o["name"]) >= 4]
    for o in orgs:
        if o["kind"] != "platform":
            continue
        for par in parents:
            if o["name"].startswith(par["name"]) and o["name"] != par["name"]:
                key = ("RUNS", par["name"], o["name"])
                if key not in seen:
                    seen.add(key)
                    a, b = o["span"]
                    out.append(doc.quote(a, b, type="RUNS", source=par["name"], target=o["name"]))
                break

    # RUNS: 分中心 listed right after their centre (赣州市科技成果转化中心、稀土新材料及应用分中心、…)
    for o in orgs:
        if not o["name"].endswith("分中心"):
            continue
        a, b = o["span"]
        sentence = text[a:b]
        i = sentence.find(o["name"])
        head = [c for c in orgs if c["name"].endswith("中心") and not c["name"].endswith("分中心")
                and 0 <= sentence.find(c["name"]) < i and re.fullmatch(r"(?:[^、，。；]+分中心、)*",
                                                                         sentence[sentence.find(c["name"]) + len(c["name"]) + 1:i])]
        if head:
            key = ("RUNS", head[-1]["name"], o["name"])
            if key not in seen:
                seen.add(key)
                out.append(doc.quote(a, b, type="RUNS", source=head[-1]["name"], target=o["name"]))
    return out


# ---------------------------------------------------------------------------------------------- all

def propose(text: str, names: Optional[Mapping[str, tuple]] = None, *, document: Optional[str] = None) -> dict:
    """All proposals for one document's text. ``names``: registry name or alias → (id, kind), for matching."""
    if not text or not text.strip():
        raise InvalidInput("文档为空 / the document is empty")
    text = text.replace("\r\n", "\n")
    doc = _doc(text)
    tasks = extract_tasks(text, doc)
    targets = extract_targets(text, doc)
    orgs = extract_organisations(text, names, doc)
    relations = extract_relations(text, orgs, doc)
    for item in (*tasks, *targets, *orgs, *relations):
        a, b = item["span"]
        assert text[a:b] == item["quote"], "quote must be verbatim"
        if document:
            item["document"] = document
    return {"document": document, "chars": len(text), "organisations": orgs, "targets": targets, "tasks": tasks,
            "relations": relations}
