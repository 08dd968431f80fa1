"""Read a plan, opinion or report into proposals, each resting on a verbatim quote (issue 14).

Pure functions over text: no network, no model, no store. ``propose(text, names=...)`` returns a dict with the
lists ``organisations``, ``segments`` (chain segments and products the text sets out to develop, each with the
segment the sentence puts it under: 风电电机 < 永磁电机), ``targets``, ``tasks`` and ``relations``; every item
carries a stable ``key`` (org:<kind>:<name>, seg:<name>, task:<n>, target:<offset>, rel:<type>:<source>:<target>)
for a review page to accept or reject it by, ``quote`` (a substring of the text, checked), ``span`` ([start, end)
character offsets into the text) and ``section`` (the numbered headings above it: 一、… （三）… 7．…). A
hard-wrapped text (000's PDF lines) is read with its wraps joined, while spans and quotes still point into the
text as given. Nothing is proposed without a quote, and nothing is written anywhere: a person reviews the
proposals before anything reaches the registry.

The rules are this domain's: organisation suffixes and the verbs that end a name on its left, responsible-unit
clauses, numbers with 万/亿 scales, lists of products under a head (…等领域永磁电机), and the sentence forms that
state a relation (以X为链主, X牵头联合A、B组建Y, X向Y供应, X落户P, X制定的“Y”). No word segmenter: jieba 0.42.1
(offline, dictionary bundled, with the chain's segment names added) was measured against these rules on the five
seed documents: no name found here starts inside one of its words (its boundaries agree with the cuts made here,
so aligning to them changes nothing), and cutting names at the verbs its tagger finds broke 25 right names and
fixed none (创新中心, 促进中心, 稀有稀土 read as verbs); it would also add 1.2-1.5 s of dictionary loading.

Readers: plain text in UTF-8 or GB18030, ``.docx`` and ``.pdf`` with a text layer (``read_document``, which
``registry.documents`` does).

>>> cn_number("一百二十"), cn_number("千亿"), cn_number("1.5万"), cn_number("两千")
(120, 100000000000, 15000, 2000)
>>> parse_quantity("5-10家")["value"], parse_quantity("5-10家")["value_max"], parse_quantity("1.5万吨")["base_value"]
(5, 10, 15000)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional

from .errors import InvalidInput

__all__ = ["read_document", "decode", "propose", "cn_number", "parse_quantity", "sections", "section_at",
           "parse_units", "unwrap", "extract_tasks", "extract_targets", "extract_organisations", "extract_segments",
           "extract_relations"]

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


# A number: Arabic digits with an optional scale (a space may stand between, as in 900 亿元), or Chinese numerals
# (a lone 亿/万/千/百 is a scale, not a number: 900 亿元 is not 1e8 元)
_NUM = r"(?:\d+(?:\.\d+)?(?: ?[十百千万亿])?|[零〇一二两三四五六七八九十百千万亿]{2,}|[零〇一二两三四五六七八九十])"
_RANGE_SEP = r"[-—–~～至到]{1,2}"
UNITS = ("亿元", "万元", "元", "万吨", "吨", "万台", "台", "万套", "套", "家", "个", "项", "场", "次", "人", "名", "亩",
         "平方米", "%", "％", "件", "条", "所", "座", "批", "倍")
_UNIT = "(?:" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + ")"
_QTY = re.compile(rf"(?P<a>{_NUM})(?:(?P<sep>{_RANGE_SEP})(?P<b>{_NUM}))? ?(?P<unit>{_UNIT})")


def parse_quantity(s: str) -> Optional[dict]:
    """``5-10家`` → value 5, value_max 10, unit 家; ``1.5万吨`` → value 1.5, unit 万吨, base_value 15000."""
    m = _QTY.fullmatch(s.strip())
    if m:
        m = _QTY.fullmatch(re.sub(r"\s", "", s))
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
    """The text the rules read (``text``: hard line wraps joined) and the document as written (``orig``).

    ``offs[i]`` is the offset in ``orig`` of ``text[i]``; quotes are always cut from ``orig``, so they stay verbatim
    (line breaks and all) while names read across a wrap (中国稀\n\n金（赣州）新材料研究院) come out whole."""
    text: str
    heads: list
    orig: str = ""
    offs: Optional[list] = None

    def orig_span(self, start: int, end: int) -> list[int]:
        if self.offs is None:
            return [start, end]
        return [self.offs[start], self.offs[end - 1] + 1] if end > start else [self.offs[start]] * 2

    def quote(self, start: int, end: int, **fields) -> dict:
        a, b = self.orig_span(start, end)
        q = (self.orig or self.text)[a:b]
        assert q
        return {**fields, "quote": q, "span": [start, end], "section": section_at(self.heads, start)}


def _doc(text: str) -> _Doc:
    return _Doc(text, sections(text), text, None)


# A line break in a hard-wrapped text (from a PDF or a fixed-width file) and the blank lines after it.
_BREAK = re.compile(r"[ \t]*\n(?:[ \t\u3000]*\n)*[ \t\u3000]*(?=\S)")
_HEADING_START = re.compile(r"[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[．.、](?!\d)|第[一二三四五六七八九十]+[章节条]")
_TERMINAL = "。；：！？〕】）)]"
_SOFT_BREAK = re.compile(r"(?<=[\u4e00-\u9fff])\n(?=[\u4e00-\u9fff])")


def unwrap(text: str) -> tuple[str, Optional[list]]:
    """Join hard-wrapped lines when the document is hard-wrapped (most long lines end mid-sentence);
    returns the joined text and, for each of its characters, its offset in ``text`` (None: left as it was).

    A break is a wrap when the line before it is long and ends mid-sentence, or is as long as the text's usual
    line (the mode) even though it ends with 。 or ： (a wrap can fall after one), and the next line does not open
    a heading. A line ending in a space ends its paragraph, unless the space follows a Latin word (Mountain Pass
    ⏎ 项目: kept as one space)."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    long_open = [ln for ln in lines if len(ln) >= 15 and re.search(r"[\u4e00-\u9fff，、“（A-Za-z0-9]$", ln)]
    if not lines:
        return text, None
    if len(long_open) < 0.3 * len(lines):
        # not a wrapped text, but a paragraph may still break inside a word (白云鄂博稀土资⏎源研究): a single line
        # break between two Chinese characters, after a long line, joins
        keep, pos = [], 0
        for m in _SOFT_BREAK.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if m.start() - line_start >= 30 and not _HEADING_START.match(text, m.end()):
                keep.append((pos, m.start()))
                pos = m.end()
        if not keep:
            return text, None
        keep.append((pos, len(text)))
        return "".join(text[a:b] for a, b in keep), [i for a, b in keep for i in range(a, b)]
    widths = Counter(len(ln.rstrip()) for ln in lines if len(ln.strip()) >= 15)
    full = widths.most_common(1)[0][0] - 2 if widths else 10 ** 6
    keep = []
    pos = 0
    for m in _BREAK.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line = text[line_start:m.start()]
        last = text[m.start() - 1] if m.start() > 0 else "\n"
        if len(line.strip()) < 15 or last == "\n" or _HEADING_START.match(text, m.end()):
            continue
        if text[m.start()] in " \t":  # trailing space: a paragraph's end, or a break between Latin words
            if not re.match(r"[A-Za-z0-9,]", last):
                continue
            keep.append((pos, m.start() + 1))
        elif last in _TERMINAL and len(line) < full:
            continue
        else:
            latin = re.match(r"[A-Za-z0-9]", last)
            keep.append((pos, m.start() + (1 if latin else 0)))  # Pass⏎项目: the break stays, read as a space
        pos = m.end()
    keep.append((pos, len(text)))
    joined = "".join(text[a:b] for a, b in keep)
    offs = [i for a, b in keep for i in range(a, b)]
    return joined, offs


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


# A task says what to do: its title opens with a verb (加强稀土资源管理, 大力培育龙头企业); a box's items are things
_TASK_VERB = re.compile(r"(?:大力|积极|全面|切实|着力|持续|进一步|加快|加大|加强|推进|推动|完善|促进|实现|建立|建设|建成|打造|培育|提升|"
                        r"提高|强化|拓展|拓宽|发展|支持|深化|优化|构建|壮大|组建|创新|扶植|健全|规范|引导|鼓励|开展|按|实施|落实|"
                        r"保障|坚持|扩大|延伸|引进|招引|严格|做强|做大|做优|抓好|办好|筑牢|夯实|聚焦|突出|强链|补链|延链|统筹|"
                        r"稳定|稳步|保护|加速|深入|协同|完善|搭建|培养|激发|畅通|营造|用好|发挥|增强|防范|控制|整合|调整|利用|"
                        r"开拓|探索|拓|建|抓|促|强|育|优)")


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
            if not units and not _TASK_VERB.match(title):
                continue  # 1.稀土磁性材料。…: an item of a box (专栏) listing products or projects, not a task
            start = m.start(1)
            out.append(doc.quote(start, start + len(body), number=number, title=title, responsible_units=units))
    return out


# ---------------------------------------------------------------------------------------------- targets

_COMPARATORS = (("突破", "exceeds"), ("超过", "exceeds"), ("大于", "exceeds"), ("超", "exceeds"), ("达到", "reach"),
                ("高达", "reach"), ("提高到", "reach"), ("提升到", "reach"), ("达", "reach"),
                ("不超过", "at_most"), ("控制在", "at_most"), ("压缩到", "at_most"), ("压减到", "at_most"),
                ("降低到", "at_most"), ("减少到", "at_most"), ("下降到", "at_most"), ("降至", "at_most"),
                ("不少于", "at_least"), ("不低于", "at_least"), ("至少", "at_least"))
_CLAUSE_END = r"(?=[，。；、,;）)]|$|\s)"
_TARGET = re.compile(rf"(?P<qty>{_NUM}(?:{_RANGE_SEP}{_NUM})? ?{_UNIT})(?P<above>以上|左右)?{_CLAUSE_END}")
# A target looks ahead: its clause says so (到2026年, 力争, 每年, 新增, 突破 …); a figure reported (占比约为 37.8%,
# 提高了 38%) is a fact, not a target
_TARGET_CUE = re.compile(r"(?:到|至)20\d\d|力争|目标|确保|每年|年均|新增|培育|打造|引进|建成|实现|形成|达到|达|突破|超过|超|"
                         r"不少于|不低于|至少|累计|争取|提高到|提升到|控制在|参与制定|开展|举办|规模|不超过|压缩到|压减到|"
                         r"降低到|减少到|下降到|降至")
_REVIEW_SECTION = re.compile(r"发展基础|发展现状|现状|回顾|成就|取得的成绩")
_PAST = re.compile(r"了|已经|已|曾|同比|较上年|比上年|上涨|下降|增长了")
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
        if re.search(r"[A-Za-z]$|第$", before.rstrip()):  # 5G, 第48次
            continue
        if not re.search(r"[\u4e00-\u9fff]", before):  # a bare number opening a clause: no metric
            continue
        s_start, s_end = _sentence_bounds(text, m.start())
        lead = text[s_start:m.start()]
        if not (_TARGET_CUE.search(lead) or m.group("above") == "以上") or _PAST.search(before):
            continue
        if _REVIEW_SECTION.search(section_at(doc.heads, m.start())):
            continue  # 一、发展基础: what was achieved, not what is planned
        before = before.rstrip()
        comparison, metric = None, before
        for word, kind in _COMPARATORS:
            if before.endswith(word):
                comparison, metric = kind, before[: -len(word)]
                break
        if qty["value_max"] is not None:
            comparison = "range"
        elif m.group("above") == "以上":
            comparison = "at_least"
        elif m.group("above") == "左右":
            comparison = "approx"
        per_year = "每年" in text[s_start:m.start()] or "每年" in metric
        if comparison is None:
            comparison = "per_year" if per_year else "reach"
        metric = _LEAD_IN.sub("", metric.strip()).strip() or before.strip()
        # the year: in the sentence, else the last one earlier in the same paragraph (never a task above)
        para_start = text.rfind("\n", 0, s_start) + 1
        year = re.search(r"(?:到|至)(20\d\d)年", text[s_start:m.start()]) or \
            ([*re.finditer(r"(?:到|至)(20\d\d)年", text[max(para_start, s_start - 200):s_start])] or [None])[-1]
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
    ("公司", "enterprise"), ("株式会社", "enterprise"),
    ("联合创新中心", "platform"), ("科学技术院", "platform"), ("联合实验室", "platform"), ("研究中心", "platform"), ("分院", "platform"),
    ("科学省", "gov_unit"), ("产业省", "gov_unit"), ("工业司", "gov_unit"),
    ("研究院", "platform"), ("研究所", "platform"), ("创新中心", "platform"), ("检验检测中心", "platform"),
    ("转化中心", "platform"), ("保护中心", "platform"), ("运营中心", "platform"), ("促进中心", "platform"),
    ("报价中心", "platform"), ("信息平台", "platform"), ("交流平台", "platform"), ("分中心", "platform"), ("大学", "platform"), ("学院", "platform"), ("联盟", "platform"),
    ("工作站", "platform"), ("实验室", "platform"), ("产业大脑", "platform"), ("中试基地", "platform"),
    ("孵化器", "platform"), ("检测平台", "platform"), ("研发机构", "platform"), ("互联网平台", "platform"),
    ("服务平台", "platform"), ("二级节点", "platform"), ("重点实验室", "platform"), ("行业协会", "platform"),
    ("产业园区", "park"), ("工业园区", "park"), ("产业园", "park"), ("工业园", "park"), ("核心承载区", "park"), ("集群", "park"), ("稀金谷", "park"), ("科创城", "park"), ("示范区", "park"), ("高新区", "park"), ("开发区", "park"), ("园区", "park"),
    ("项目", "project"), ("建设工程", "project"), ("提升工程", "project"), ("工程", "project"), ("总部基地", "project"), ("展厅", "project"), ("大会", "project"),
    ("招聘会", "project"),
    ("人民政府办公室", "gov_unit"), ("人民政府", "gov_unit"), ("工作专班", "gov_unit"), ("服务专班", "gov_unit"),
    ("管委会", "gov_unit"), ("局", "gov_unit"), ("委", "gov_unit"), ("办", "gov_unit"), ("服务中心", "gov_unit"), ("科创中心", "gov_unit"),
    ("分局", "gov_unit"), ("厅", "gov_unit"), ("部", "gov_unit"), ("政府", "gov_unit"),
]
_SUFFIX_KIND.sort(key=lambda x: len(x[0]), reverse=True)
_SUFFIX_RX = re.compile("(?:" + "|".join(re.escape(s) for s, _ in _SUFFIX_KIND) + ")")
_NAME_CHARS = r"[\u4e00-\u9fff（）“”A-Za-z0-9]"
# Words that end the run to the left of a name (verbs, conjunctions, determiners).
_LEFT_STOP = re.compile(
    r"(?:依托|支持|推动|推进|建设|建成|加快|鼓励|联合|用好|办好|办优|建立|打造|引进|重点扶持|扶持|深化与|与(?!稀土)|组织|和|及(?!应用)|以及|等|把|将|以|在|由|"
    r"共建|签订|签署|满足|基于|纳入|全部|巨头|稀土企业|重点企业|龙头企业|骨干企业|搭建|新建|筹建|开展|上市公司|子公司|母公司|各自|领域|应用于|用于|属于|像|创建|入股|主要是|是|布局|尝试|同时|为|的|了|对|向|同|跟|助力|发挥|成立|组建|完善|实施|承接|加强|突出|通过|高标准|加大|培育|引导|带动|围绕|"
    r"持续|举办|做好|聚集|强化|积极|推进|促进|落实|服务|印发|关于|根据|各|有关|牵头|促进组织|部门|单位|"
    r"一批|全国最权威|最权威|具有|全面|全力|区直|驻区|之一|主要有|主要包括|包括|给|赴|代表|解决方案|制订|过渡到|一家|我国|"
    r"已经|经(?=[省市区县国])|打造成|落户|入驻|进驻|位于|坐落于|落地)")
_GENERIC = {"公司", "集团", "项目", "工程", "园区", "学院", "大学", "研究院", "联盟", "大会", "展厅", "局", "委", "办",
            "中心", "分中心", "产业园", "高新区", "开发区", "有限公司", "平台", "企业", "工作站", "上市公司", "子公司",
            "总部基地", "研发机构", "检测平台", "集群", "产业集群", "核心承载区"}
_BAD_NAME = re.compile(r"^(?:本|该|其|各|相关|有关|重点|一批|新|大(?!数据)|全(?!球)|区内|国内|国际|省内|市内|世界)|(?:等|的)|^[^\u4e00-\u9fff“]|^设区市"
                       r"|(?:设计|加工|处理|材料|装备|电机|技术|企业)$|大集团$|[两三四五六七八九十\d]个|^[一二三四五六七八九十两几多]+[大家个]"
                       r"|^(?:跨国|附属|收购|上市|控股|公共控股|运营|专业运营|材料|合资|独资|国有|民营|外资|投资|子|母|经|"
                       r"澳大利亚|美国|日本|该|这家|此)公司$|上市公司$")
# A platform named only with the words every platform has (产业创新中心, 工业互联网平台): a kind, not a name
_GENERIC_PLATFORM_STEM = re.compile(r"(?:产业|技术|科技|制造业|高校|工业互联网|行业|公共服务|创新|知识产权|运营|企业|研发|工业|工程|"
                                    r"公共技术服务|公共)+")

# A list of short firm names before 等(一批…)企业: 鼓励中科三环、粤磁科技、汉驱智能等企业
_FIRM_LIST = re.compile(r"([\u4e00-\u9fff]{2,12}(?:、[\u4e00-\u9fff]{2,12})+)等(?:一批[^。；]{0,30}?|[^。；，、]{0,4}?)企业")


_SET_UP = re.compile(r"(?:设立|成立|组建)了?(?P<name>[\u4e00-\u9fff]{2,10}(?:办公室|领导小组|工作组|协调小组))(?=[，。；、])")
_BODIES = re.compile(r"欧盟(?!制造|市场|国家|各国|成员)|联合国(?!工业|大会)")
_HOSTED_LAB = re.compile(r"^(?P<host>.{4,}?(?:研究所|研究院|大学|科学院))(?P<lab>[\u4e00-\u9fff]{2,12}国家(?:重点)?实验室)$")
_PERSON_TITLE = re.compile(r"(?:副?书记|常委|副?主任|副?局长|副?市长|副?县长|副?区长|副?部长|副?厅长|副?省长|委员)")
_FIRM_PROJECT = re.compile(r"^(?P<firm>.{4,}?(?:股份有限公司|有限责任公司|有限公司|集团))(?P<project>年产\s?\d.*项目)$")
_LATIN_WORD = r"[A-Z][A-Za-z&\-]+"
_LATIN_FIRM = re.compile(rf"(?<![A-Za-z])(?P<name>{_LATIN_WORD}(?: {_LATIN_WORD})*? (?:Corp|Corporation|Inc|LLC|Ltd|Limited|"
                         rf"Group(?: LLC| Inc)?|Materials|Resources|Minerals|Holdings|Mining))(?![A-Za-z])")
_LATIN_AFTER_COUNTRY = re.compile(r"(?:澳大利亚|美国|日本|比利时|德国|法国|英国|加拿大|韩国)\s?(?P<name>[A-Z][a-z]{3,})(?=\s?[\u4e00-\u9fff])")
_LATIN_PROJECT = re.compile(rf"(?<![A-Za-z]){_LATIN_WORD}(?: {_LATIN_WORD})*\s?项目")
_QUOTED_PROGRAMME = re.compile(r"“(?P<inner>[^“”\n]{2,24})”(?P<suffix>战略|计划|工程|行动计划|行动)?")
_SHARED_HEAD = re.compile(r"(?P<items>[\u4e00-\u9fff（）]{2,24}(?:、[\u4e00-\u9fff（）]{2,20})+)等"
                          r"(?P<head>重点实验室|国家重点实验室|工程研究中心|技术创新中心|制造业创新中心|示范基地)(?![\u4e00-\u9fff])")
_PLACES_HEAD = re.compile(r"(?P<items>[\u4e00-\u9fff]{1,3}[省市县区](?:[、和][\u4e00-\u9fff]{1,3}[省市县区])+)[两三四五六七八九十\d]+个"
                          r"(?P<head>[\u4e00-\u9fff]{2,12}(?:示范区|开发区|高新区|产业园|园区|基地))")
_PLATFORM_LIST = re.compile(r"(?P<items>[\u4e00-\u9fff（）]{2,24}(?:、[\u4e00-\u9fff（）]{2,20})+)等(?:科研|创新|公共服务)?平台")
_ACADEMICIAN_STATION = re.compile(r"[\u4e00-\u9fff]{2,12}院士[、（(]专家[）)]?工作站")
_ENUM = re.compile(r"[\u4e00-\u9fff（）]{2,30}(?:、[\u4e00-\u9fff（）]{2,30})+")
# How short firm names end (the firm's brand then its trade): 科技, 智能, 国贸, 磁业, 稀土 …
_FIRM_SHORT = ("科技", "智能", "国贸", "磁业", "磁材", "股份", "控股", "矿业", "实业", "新材", "电机", "钨业", "稀土")

_OWN_BASE = re.compile(r"(?:加快|推进|启动|开工)?(?P<base>总部基地|研发基地|生产基地|产业基地)(?:建设|项目)")

_MOTOR_WORD = re.compile(r"^(?:伺服|微特|流体|风电|永磁|驱动|直线|步进|同步|异步|无刷|节能|工业|家电|医用|专用|高效|稀土|电动|汽车)")


def _bad_short(name: str) -> bool:
    """A short name in a list of firms that is a phrase, not a firm; 华赣电机 is a firm, 伺服电机 a product."""
    if name.endswith("电机") and len(name) <= 5 and not _MOTOR_WORD.match(name):
        return bool(_BAD_NAME.search(name[:-2] + "公司"))
    return bool(_BAD_NAME.search(name))


def firm_short(name: str) -> str:
    """The name a firm goes by: 江西金盛磁业有限公司 → 金盛磁业, 中国稀土集团 → 稀土集团."""
    short = re.sub(r"^(?:中国|江西省?|赣州市?|广东省?)", "", name)
    return re.sub(r"(?:集团)?(?:股份有限公司|有限责任公司|有限公司)$", "", short)


_REGION = re.compile(r"^(?:区|市|县|省|赣州|赣县|江西|国家|中国|国务院|工业和信息化部|财政部|科技部|商务部|自然资源部|美国|日本|"
                     r"[\u4e00-\u9fff]{1,4}(?:省|市|县|区)(?!域))")
_PROJECT_SPECIFIC = re.compile(r"\d|[万千百]吨级|“|^(?:中国|江西|赣州|赣县)[\u4e00-\u9fff]{0,10}(?:集团|公司|研究院)")


def _plausible(name: str, kind: str, how: str = "suffix") -> bool:
    """Kind-specific checks that keep generic phrases (提升园区, 创新链布局, 传统产业改造项目) out."""
    if kind == "platform":
        bare = re.sub(r"（[^（）]*）$", "", name)
        suffix = next((sf for sf, _ in _SUFFIX_KIND if bare.endswith(sf)), "")
        name = bare
        stem = name[: len(name) - len(suffix)] if suffix else name
        if not stem or _GENERIC_PLATFORM_STEM.fullmatch(stem):
            return False
    if how in ("quoted", "latin"):
        return True
    if kind == "gov_unit":
        return bool(_REGION.search(name)) or "人民政府" in name
    if kind == "park" and re.match(r"[\u4e00-\u9fff]{2,4}(?:高新技术|经济技术|高新|经开|工业|产业)", name) \
            and re.search(r"(?:高新技术|经济技术)(?:产业)?(?:开发区|园区|产业园)$|(?:工业园|工业园区|经开区)$", name):
        return True  # 信丰高新技术产业园区, 龙南经济技术开发区: a development zone named for its county
    if kind == "park":
        return name.startswith(("中国", "江西", "赣州", "“")) or bool(re.search(r"[省市县区州]|“", name[:-2] if name.endswith(("园区", "产业园", "工业园")) else name[:-3]))
    if kind == "project" and name.endswith("工程"):
        return len(name) >= 6 and not re.search(r"^(?:重大|重点|一批|各类|相关)", name)
    if kind == "project" and name.endswith("项目"):
        return bool(_PROJECT_SPECIFIC.search(name))
    return True


def _left_trim(run: str, keep: int = 1, conj: bool = True) -> str:
    """Drop verbs and conjunctions at the left of a candidate name: 加快建设赣县区稀金新材料产业园 → 赣县区稀金新材料产业园.
    The last ``keep`` characters (the suffix: 服务专班, 促进中心) are never cut into, nor a ministry named X和Y
    (工业和信息化部); a conjunction with one character on its left joins nothing (盛和资源控股股份有限公司)."""
    cut = 0
    kept = [(k.start(), k.end()) for k in _KEEP_AND.finditer(run)]
    for m in _LEFT_STOP.finditer(run):
        if m.end() > len(run) - keep or any(a < m.end() and m.start() < b for a, b in kept):
            continue
        if not conj and m.group() in ("和", "与", "及", "以及"):
            continue
        if m.group() in ("和", "及", "与") and len(run[cut:m.start()]) == 1 and \
                re.match(r"[\u4e00-\u9fff]$", run[cut:m.start()]):
            continue
        cut = max(cut, m.end())
    name = run[cut:]
    # 澳大利亚匹克资源有限公司: a firm is named without the country written before it
    c = _COUNTRY.match(name)
    if c and len(name) - c.end() >= 4 and name.endswith(("公司", "株式会社", "集团")):
        name = name[c.end():]
    return name


_KEEP_AND = re.compile(r"(?:工业和信息化|住房和城乡建设|人力资源和社会保障|自然资源和规划|文化和旅游|科学和技术|公共服务|综合服务|"
                       r"技术服务)")
_COUNTRY = re.compile(r"(?:澳大利亚|美国|日本|比利时|德国|法国|英国|加拿大|韩国|巴西|越南|马来西亚|缅甸|坦桑尼亚|俄罗斯|印度)")


def _in_title(text: str, pos: int) -> bool:
    """Is ``pos`` inside a 《…》 title (a document's name, not an organisation's)?"""
    i = text.rfind("《", max(0, pos - 80), pos)
    return i >= 0 and text.find("》", i, pos) < 0


def _kind_of(name: str) -> Optional[str]:
    name = name[:-1] if name.endswith("”") and name.count("“") == name.count("”") else name  # 江西赣州“中国稀金谷”
    name = re.sub(r"（[\u4e00-\u9fff]{2,6}(?:中心|分中心|分院|基地)）$", "", name)  # …创新中心（南方中心）
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

    held: list[tuple[str, str, int, str]] = []  # projects that may be named for a firm found later

    def add(name: str, kind: Optional[str], start: int, how: str) -> None:
        name = name.strip("“”\"") if name.count("“") != name.count("”") else name
        if len(name) < 2 or name in _GENERIC or kind is None:
            return
        if how != "dictionary" and not _plausible(name, kind, how):
            if kind == "project" and name.endswith("项目"):
                held.append((name, kind, start, how))
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
        if _in_title(text, m.start()):  # 《赣州市稀土新材料及应用集群培育提升三年行动方案》: a document's title
            continue
        j = m.start()
        while j > 0 and re.match(_NAME_CHARS, text[j - 1]) and m.start() - j < (40 if suffix == "项目" else 30):
            j -= 1
        run = text[j:end]
        open_paren = run.rfind("（")
        if open_paren >= 0 and "）" not in run[open_paren:]:
            run = run[open_paren + 1:]  # 项目（盛和资源控股股份有限公司收购）: the name starts inside the bracket
        qual = re.match(r"（[\u4e00-\u9fff]{2,6}(?:中心|分中心|分院|基地)）", text[end:end + 10])
        if qual and _kind_of(suffix) == "platform":
            run, end = run + qual.group(), end + len(qual.group())  # 国家稀土新材料技术创新中心（南方中心）
            suffix = suffix + qual.group()
        if text.startswith("”", end) and run.count("“") > run.count("”"):
            run += "”"  # 江西赣州“中国稀金谷”: the closing mark belongs to the name
            end += 1
        name = _left_trim(run, len(suffix) + (1 if run.endswith("”") else 0))
        how = "suffix"
        if name.startswith("“") and name.endswith("”") and name.count("“") == 1 and name.count("”") == 1:
            name, end, how = name[1:-1], end - 1, "quoted"  # “中国稀金谷”: the name is what the marks enclose
        # a name ends at its suffix; a longer suffix found later on the same run wins (研究院 inside …研究院服务专班)
        if name.startswith("“") and name.count("“") > name.count("”"):
            name = name[1:]  # 打造“中国稀金谷: the quote mark opens before the name, not in it
            how = "quoted" if text.startswith("”", end) else how
        if len(name) <= len(suffix) or _BAD_NAME.search(name):
            continue
        if name.count("（") != name.count("）") or name.count("“") != name.count("”"):
            continue
        lo = max(0, end - len(name) - 20)
        latin = re.search(r"(?<![A-Za-z])[A-Z][A-Za-z]{1,15} ?$", text[lo:end - len(name)])
        if latin and lo > 0 and latin.start() == 0:
            latin = None  # the Latin word runs on to the left: not a brand of its own
        if latin and _kind_of(name) == "enterprise" and len(name) <= 6:
            name = latin.group() + name  # TDA 磁力公司, MP 材料公司: the Latin brand is part of the name
        own = _FIRM_PROJECT.match(name)
        if own and _kind_of(name) == "project":  # 江西龙腾稀土新材料有限公司年产3000吨…项目: the firm, and its project
            add(own.group("firm"), "enterprise", end - len(name), how)
            proj = own.group("project")
            add(proj, "project", end - len(proj), how)
            if proj in found:
                found[proj].setdefault("owner", own.group("firm"))
            continue
        if re.search(r"\d", name) and not re.search(r"[A-Za-z]", name) and not re.match(r"年产\d", name):
            continue  # 3个项目, 第48次…: but 年产5000吨高性能钕铁硼磁材项目 is a project's name
        hosted = _HOSTED_LAB.match(name)
        if hosted:  # 中科院福建物质结构研究所结构化学国家重点实验室: a national lab, named for its field, and its host
            add(hosted.group("host"), "platform", end - len(name), how)
            add(hosted.group("lab"), "platform", end - len(hosted.group("lab")), how)
            if hosted.group("lab") in found:
                found[hosted.group("lab")].setdefault("host", hosted.group("host"))
            continue
        if _kind_of(name) == "gov_unit" and _PERSON_TITLE.match(text, end):
            continue  # 龙南市委书记: a person's title, not the body
        add(name, _kind_of(name), end - len(name), how)

    # 2a') a body the sentence says was set up: 设立了稀土办公室, 成立了…领导小组
    for m in _SET_UP.finditer(text):
        add(m.group("name"), "gov_unit", m.start("name"), "quoted")

    # 2a) bodies named without a suffix: 欧盟, 联合国
    for m in _BODIES.finditer(text):
        add(m.group(), "gov_unit", m.start(), "quoted")

    # 2b) names in Latin letters: MP Materials, Fortress Investment Group LLC; 澳大利亚 Lynas; Mountain Pass 项目
    for m in _LATIN_FIRM.finditer(text):
        add(m.group("name"), "enterprise", m.start("name"), "latin")
    for m in _LATIN_AFTER_COUNTRY.finditer(text):
        add(m.group("name"), "enterprise", m.start("name"), "latin")
    for m in _LATIN_PROJECT.finditer(text):
        add(re.sub(r"\s", " ", m.group()), "project", m.start(), "latin")

    # 2c) what the text names in quotes as a strategy, plan or programme: “关键材料战略”, “稀土+”战略; 《中国制造2025》
    for m in _QUOTED_PROGRAMME.finditer(text):
        name = m.group("inner") if not m.group("suffix") else m.group()
        if m.group("suffix") or re.search(r"(?:战略|计划|工程)$", m.group("inner")):
            add(name, "project", m.start() if m.group("suffix") else m.start("inner"), "quoted")
    for m in re.finditer(r"《(?P<name>[\u4e00-\u9fff]{2,8}20\d\d)》", text):
        add(m.group("name"), "project", m.start("name"), "quoted")

    # 3) short firm names listed before 等…企业
    for m in _FIRM_LIST.finditer(text):
        items = m.group(1).split("、")
        items[0] = _left_trim(items[0])
        off = m.start(1)
        for item in m.group(1).split("、"):
            pos = text.find(item, off)
            name = _left_trim(item)
            if 2 <= len(name) <= 8 and not _bad_short(name):
                add(name, _kind_of(name) or "enterprise", pos + len(item) - len(name), "list")
            off = pos + len(item)

    # 3a) a list sharing one head: 新建白云鄂博稀土资源研究与综合利用、稀土永磁材料等重点实验室 (two labs);
    #     赣州市、德兴市两个绿色矿业发展示范区 (two zones)
    for m in _SHARED_HEAD.finditer(text):
        items = m.group("items").split("、")
        items[0] = _left_trim(items[0], conj=False)  # 白云鄂博稀土资源研究与综合利用(重点实验室): one name
        head = m.group("head")
        off = m.start("items")
        for k, item in enumerate(m.group("items").split("、")):
            name = items[k] + head
            if 2 <= len(items[k]) <= 20 and not _BAD_NAME.search(name) and not _kind_of(items[k]):
                s, e = _sentence_bounds(text, off)
                if name not in found:
                    found[name] = doc.quote(s, e, kind=_kind_of(name), name=name, match=_match(name, _kind_of(name), names),
                                            found_by="shared head", name_span=[off + len(item) - len(items[k]), off + len(item)],
                                            mentions=1)
            off += len(item) + 1
    for m in _PLACES_HEAD.finditer(text):
        head = m.group("head")
        off = m.start("items")
        for k, item in enumerate(re.split("[、和]", m.group("items"))):
            if k == 0:
                trimmed = _left_trim(item)
                off += len(item) - len(trimmed)
                item = trimmed
            name = item + head
            s, e = _sentence_bounds(text, off)
            if name not in found and _kind_of(name):
                found[name] = doc.quote(s, e, kind=_kind_of(name), name=name, match=_match(name, _kind_of(name), names),
                                        found_by="shared head", name_span=[off, off + len(item)], mentions=1)
            off += len(item) + 1

    # 3a') a list ending 等平台 with one platform known: the others are platforms too (…研究院、留学人员创业园、大数据中心等平台)
    for m in _PLATFORM_LIST.finditer(text):
        items, off = m.group("items").split("、"), m.start("items")
        spans = []
        for k, item in enumerate(items):
            name = _left_trim(item) if k == 0 else item
            spans.append((off + len(item) - len(name), name))
            off += len(item) + 1
        if not any(n in found and found[n]["kind"] == "platform" for _, n in spans):
            continue
        for start, name in spans:
            if 4 <= len(name) <= 16 and name not in found and not _BAD_NAME.search(name) and \
                    re.search(r"(?:园|中心|院|所|站|室|平台|基地)$", name):
                s, e = _sentence_bounds(text, start)
                found[name] = doc.quote(s, e, kind="platform", name=name, match=_match(name, "platform", names),
                                        found_by="list", name_span=[start, start + len(name)], mentions=1)

    # 3b) 院士、专家工作站 / 院士（专家）工作站: one platform whose name holds a 、
    for m in _ACADEMICIAN_STATION.finditer(text):
        name = _left_trim(m.group(), 7)
        if len(name) > 7:
            add(name, "platform", m.end() - len(name), "suffix")

    # 3c) a short firm name (南方稀土国贸, 粤磁科技) listed with an organisation already found: 把南方稀土国贸、中国稀土集团…中心建设成为
    for m in _ENUM.finditer(text):
        items = m.group().split("、")
        if not any(_kind_of(it) or any(f in it for f in found) for it in items):
            continue
        off = m.start()
        for item in items:
            pos = text.find(item, off)
            off = pos + len(item)
            name = _left_trim(item)
            if 3 <= len(name) <= 8 and name.endswith(_FIRM_SHORT) and not _bad_short(name) and name not in found:
                add(name, "enterprise", pos + len(item) - len(name), "list")

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

    # 4b) a project named for a firm of the text (金盛磁业磁材回收项目): specific enough to be a project's name
    shorts = {firm_short(n) for n in found if found[n]["kind"] == "enterprise"} | \
        {n for n in found if found[n]["kind"] == "enterprise"}
    for name, kind, start, how in held:
        if any(len(sh) >= 3 and name.startswith(sh) and len(name) > len(sh) + 2 for sh in shorts):
            s, e = _sentence_bounds(text, start)
            if name not in found:
                found[name] = doc.quote(s, e, kind=kind, name=name, match=_match(name, kind, names), found_by=how,
                                        name_span=[start, start + len(name)], mentions=1)

    # 5) an organisation's own base: 支持…江西省钨与稀土研究院加快总部基地建设 → 江西省钨与稀土研究院总部基地, run by it
    for m in _OWN_BASE.finditer(text):
        owner = max((n for n in found if found[n]["kind"] in ("enterprise", "platform")
                     and text.endswith(n, 0, m.start())), key=len, default=None)
        if owner:
            name = owner + m.group("base")
            if name not in found:
                s, e = _sentence_bounds(text, m.start())
                found[name] = doc.quote(s, e, kind="project", name=name, match=_match(name, "project", names),
                                        found_by="owner", owner=owner,
                                        name_span=[m.start("base"), m.end("base")], mentions=1)

    # drop a name found only inside longer names (中国科学院 in 中国科学院赣江创新研究院; 区委 in 区委人才办)
    out = sorted(found.values(), key=lambda o: o["name_span"][0])
    occurrences = {o["name"]: [(m.start(), m.end()) for m in re.finditer(re.escape(o["name"]).replace("\\ ", "\\s"), text)]
                   for o in out}
    covered = [span for spans in occurrences.values() for span in spans]
    keep = []
    for o in out:
        if o["found_by"] in ("dictionary", "units", "owner", "shared head"):
            keep.append(o)
            continue
        n = len(o["name"])
        alone = 0
        for a, b in occurrences[o["name"]]:
            if not any(x <= a and b <= y and (y - x) > n for x, y in covered) and not _in_title(text, a):
                alone += 1
        if not alone and o["kind"] == "enterprise" and n >= 5 and not any(
                f["name"] != o["name"] and f["name"].endswith(o["name"]) and f["kind"] == "enterprise" for f in out) \
                and any(f["kind"] == "project" and o["name"] in f["name"] and f["name"] != o["name"] for f in out):
            alone = 1  # 比利时索尔维集团（Solvay）项目: the firm is named in its project's name, and is a firm still
        if alone:
            o["mentions"] = alone
            keep.append(o)
    return keep


# ---------------------------------------------------------------------------------------------- segments

# How the name of a chain segment or product ends: a material, a machine, a process the chain is made of.
_PRODUCT_END = ("材料", "电机", "装备", "合金", "氧化物", "器件", "设备", "零部件", "靶材", "磁体", "金属", "产品",
                "加工", "设计", "处理", "分离", "冶炼", "回收利用", "开采", "选矿", "钕铁硼", "元器件", "部件", "芯片",
                "壳体", "轴承", "磁钢", "磁材", "磁体")
_GENERIC_SEGMENTS = {"产品", "材料", "新材料", "设备", "装备", "金属", "相关产品", "配套产品"}
# 打造成集A、B、C为一体 / 重点发展A、B等领域X / 扩大A、B等功能材料生产规模: a list of things, then 等 and what they are
_SEG_LIST = re.compile(r"(?P<items>[\u4e00-\u9fff（）]{2,40}(?:、[\u4e00-\u9fff（）]{2,24})+(?:(?:和|及|以及)[\u4e00-\u9fff]{2,12})?)"
                       r"等(?P<after>[^。；，]{0,20})")
_SEG_HEAD = re.compile(r"^(?:领域|方向|重点领域|一批重点领域|一批|后端应用领域|相关)?(?P<head>[^的、，。；\s]{0,6}?"
                       r"(?:材料|电机|装备|产业|企业|合金|器件|产品))")
_SEG_LEFT_STOP = re.compile(r"(?:了|的|制造|应用于|用于|属于|包括|像|创建|入股|主要有|主要是|是|重点发展|大力发展|发展|扩大|围绕|突破|攻克|招引|打造成集|打造成|集|在|与|以及|和|推动|支持|培育|"
                            r"布局|聚焦|瞄准|延伸|拓展|包括|涵盖|覆盖)")
# What tells that the list is of things to develop: a verb before it, or what the list is (…等领域, …为一体)
_SEG_CUE = re.compile(r"发展|打造|培育|突破|招引|扩大|围绕|布局|聚焦|壮大|攻关|推动|加快|延伸|拓展|支持|鼓励|引进|开发|研发|"
                      r"瞄准|提升|做强|做大|集聚|招商|建设|生产|重点|制造")
_SEG_CUE_AFTER = re.compile(r"(?:领域|方向|重点领域|一批重点领域|产品研发|[^。；，]{0,12}为一体|[^。；，]{0,6}(?:产业|生产规模|配套企业))")
_DASH_CHAIN = re.compile(r"[\u4e00-\u9fff]{2,12}(?:[—–\-]{1,2}[\u4e00-\u9fff]{2,14})+")
_MAIN_PART = re.compile(r"（以(?P<child>[\u4e00-\u9fff]{2,16})为主）")


def _seg_ends(name: str) -> bool:
    return name.endswith(_PRODUCT_END) and name not in _GENERIC_SEGMENTS


def extract_segments(text: str, names: Optional[Mapping[str, tuple]] = None,
                     doc: Optional[_Doc] = None) -> list[dict]:
    """Chain segments and products the text lists as things to develop, with the segment they belong to when the
    sentence names it: 重点发展风电电机、伺服电机…等领域永磁电机 → 风电电机 < 永磁电机; 器件装备（以稀土永磁电机为主）→
    稀土永磁电机 < 器件装备. A list counts when most of its items end like a product (材料, 电机, 装备, 加工 …)."""
    doc = doc or _doc(text)
    seg_names = {n: v for n, v in (names or {}).items() if v[1] == "segment"}  # a segment is matched to segments only
    found: dict[str, dict] = {}

    def add(name: str, parent: Optional[str], start: int, how: str, length: Optional[int] = None) -> None:
        """``length``: how much of the text at ``start`` the name rests on when it is not written whole
        (磁性 of 磁性、催化…等功能材料 for 磁性材料)."""
        if name in found:
            if parent and not found[name]["parent"]:
                found[name]["parent"] = parent
            return
        s, e = _sentence_bounds(text, start)
        found[name] = doc.quote(s, e, kind="segment", name=name, parent=parent, match=_match(name, "segment", seg_names),
                                found_by=how, name_span=[start, start + (length or len(name))])

    for m in _SEG_LIST.finditer(text):
        # items split at 、; the last one also at 和/以及 when both halves are products (稀土金属及合金 stays one)
        items, off = [], m.start("items")
        for part in m.group("items").split("、"):
            items.append((off, part))
            off += len(part) + 1
        last_off, last = items[-1]
        tail = re.match(r"(.+?)(?:和|以及)(.+)$", last)
        if tail and _seg_ends(tail.group(1)) and _seg_ends(tail.group(2)):
            items[-1:] = [(last_off, tail.group(1)), (last_off + len(last) - len(tail.group(2)), tail.group(2))]
        # the first item carries the words before the list: cut at the last verb, then at the others' common opening
        first_off, first = items[0]
        cut = 0
        for sm in _SEG_LEFT_STOP.finditer(first):
            if sm.end() < len(first) - 1:
                cut = max(cut, sm.end())
        first = first[cut:]
        openings = {it[:2] for _, it in items[1:]}
        if len(openings) == 1:
            op = openings.pop()
            i = first.rfind(op)
            if i > 0:
                first = first[i:]
        items[0] = (first_off + len(items[0][1]) - len(first), first)
        # an item with a verb inside is a clause, not a name (收购、入股和创建像机器人伺服电机): what follows the verb
        for k in range(1, len(items)):
            off, it = items[k]
            cut = max((sm.end() for sm in _SEG_LEFT_STOP.finditer(it) if sm.end() < len(it) - 1), default=0)
            items[k] = (off + cut, it[cut:])
        cleaned = []
        for off, it in items:
            main = _MAIN_PART.search(it)
            bare = _MAIN_PART.sub("", it)
            cleaned.append((off, it, bare, main))
        head_m = _SEG_HEAD.match(m.group("after"))
        qualified = False
        # 用于制造磁性、催化、储氢、发光、抛光等功能材料: the list qualifies the head's noun (磁性材料, 催化材料 …)
        shared = head_m and re.search(r"(材料|器件|电机|装备)$", head_m.group("head"))
        if shared and all(len(c[2]) <= 3 and not _seg_ends(c[2]) for c in cleaned):
            cleaned = [(off, it, bare + shared.group(1), main) for off, it, bare, main in cleaned]
            qualified = True
        good = [c for c in cleaned if _seg_ends(c[2]) and 3 <= len(c[2]) <= 16]
        if len(good) < 2 or len(good) * 3 < len(cleaned) * 2:
            continue
        s_start, _ = _sentence_bounds(text, m.start())
        lead_in = text[max(s_start, _clause_start(text, m.start("items") + 1)):items[0][0]]
        if not (_SEG_CUE.search(lead_in) or _SEG_CUE_AFTER.match(m.group("after"))):
            continue  # a list the text describes (…广泛应用于A、B等), not one it sets out to develop
        parent = head_m.group("head") if head_m else None
        if parent:  # …等先进稀土功能材料: a segment is named without the praise (稀土功能材料)
            parent = re.sub(r"^(?:先进|新型|高端|高性能|关键)(?=.{4})", "", parent)
            parent_at = m.start("after") + head_m.end("head") - len(parent)
        if parent and (parent in _GENERIC_SEGMENTS or not _seg_ends(parent) and not parent.endswith(("产业", "企业"))):
            parent = None
        if parent and parent.endswith("产业") and not re.search(r"配套|电机|材料|装备", parent):
            parent = None
        for off, it, bare, main in good:
            add(bare, parent, off, "list", len(bare) - 2 if qualified else None)
            if main:
                add(main.group("child"), bare, off + main.start("child"), "list")
        if parent:
            add(parent, None, parent_at, "parent")
    # a chain written with dashes, upstream first: 稀土磁性材料—永磁电机—稀土节能装备, “永磁材料-智能电机”
    for m in _DASH_CHAIN.finditer(text):
        parts, off, spans = re.split(r"[—–\-]{1,2}", m.group()), m.start(), []
        for k, part in enumerate(parts):
            start = off
            if k == 0:
                cut = max((sm.end() for sm in _SEG_LEFT_STOP.finditer(part) if sm.end() < len(part) - 1), default=0)
                cut = max(cut, max((sm.end() for sm in _LEFT_STOP.finditer(part) if sm.end() < len(part) - 1), default=0))
                part, start = part[cut:], off + cut
            if k == len(parts) - 1:
                end_m = re.match(r".*?(?:" + "|".join(map(re.escape, _PRODUCT_END)) + ")", part)
                part = end_m.group() if end_m else part
            spans.append((start, part))
            off += len(m.group()[off - m.start():].split(parts[k], 1)[0]) + len(parts[k])
            off += len(re.match(r"[—–\-]{0,2}", text[off:]).group())
        if len(spans) < 2 or not all(_seg_ends(p) and len(p) >= 3 for _, p in spans):
            continue
        for k, (start, part) in enumerate(spans):
            add(part, None, start, "chain")
            if k + 1 < len(spans):
                feeds = found[part].setdefault("feeds", [])
                if spans[k + 1][1] not in feeds:
                    feeds.append(spans[k + 1][1])
    return sorted(found.values(), key=lambda x: x["name_span"][0])


# ---------------------------------------------------------------------------------------------- relations

_REL_PATTERNS = [
    ("CHAIN_LEADER", re.compile(r"以(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)为(?:链主|“链主”)")),
    ("CHAIN_LEADER", re.compile(r"(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)(?:作为|为)(?:链主|“链主”)")),
    ("LEADING", re.compile(r"(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)(?:作为|为)(?:龙头|行业龙头|龙头企业)")),
    ("LEADING", re.compile(r"(?P<src>[\u4e00-\u9fff（）“”]{2,30}?)龙头引领作用")),
    ("LOCATED_IN", re.compile(r"(?:在|落户|入驻|位于)(?P<tgt>[\u4e00-\u9fff（）“”]{2,20}?(?:高新区|产业园区?|工业园区?|园区|开发区))"
                              r"(?:内)?(?P<verb>建设|落户|设立|投产|布局)?(?P<src>[\u4e00-\u9fff（）“”A-Za-z0-9]{2,30}?)(?=[，。；、])")),
    # 推动华赣电机落户信丰高新技术产业园区: the firm, then where it settles
    ("LOCATED_IN", re.compile(r"(?P<src>[\u4e00-\u9fff（）“”A-Za-z0-9]{2,30}?)(?:落户|入驻|位于|坐落于|落地)(?:在|于)?"
                              r"(?P<tgt>[\u4e00-\u9fff（）“”]{2,20}?(?:高新区|产业园区?|工业园区?|园区|开发区))")),
    # 江西金盛磁业有限公司向华赣电机稳定供应高性能磁钢: who supplies whom, as the sentence says it
    ("SUPPLIES", re.compile(r"(?P<src>[\u4e00-\u9fff（）“”A-Za-z0-9]{2,30}?)向(?P<tgt>[\u4e00-\u9fff（）“”A-Za-z0-9]{2,30}?)"
                            r"(?:稳定|长期|批量|定向)?(?:供应|供货|提供原料|提供产品|销售)")),
]


_PAIR = re.compile(r"与(?P<b>[\u4e00-\u9fff（）]{2,30}?)(?:签订|签署|达成)(?P<agreement>[\u4e00-\u9fff]{0,8}?(?:合作协议|合作框架协议|产学研合作))"
                   r"(?:[^。；]{0,20}?(?P<build>共建|合作共建|共同组建|联合组建))?")
_OWNS_VERB = re.compile(r"(?:自主)?(?:制定|发布|实施|推出|启动|主导)的|的\s?")
_CO_FOUND = re.compile(r"(?P<lead>牵头[，,]?)?联合(?P<members>[^。；]{2,80}?)(?:等[^。；]{0,30}?)?(?:共同)?(?:组建|成立|发起成立|共建)")


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


def extract_relations(text: str, orgs: list[dict], doc: Optional[_Doc] = None,
                      segments: Optional[list[dict]] = None) -> list[dict]:
    """Relations a sentence states: 以X为链主 (CHAIN_LEADER), X为龙头 (LEADING), X's project (RUNS), in a park
    (LOCATED_IN), X牵头联合A、B组建Y (RUNS, CO_FOUNDED), a segment's parent (PART_OF), a platform or park named
    for its segment (IN_SEGMENT)."""
    doc = doc or _doc(text)
    segments = segments or []
    by_name = sorted(orgs, key=lambda o: len(o["name"]), reverse=True)
    out, seen = [], set()

    def emit(type_: str, src: str, tgt: Optional[str], a: int, b: int, **extra) -> None:
        key = (type_, src, tgt)
        if src and src != tgt and key not in seen:
            seen.add(key)
            out.append(doc.quote(a, b, type=type_, source=src, target=tgt, **extra))

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
            elif type_ == "SUPPLIES":
                src = find(m.group("src")[-20:], ("enterprise",))
                tgt = find(m.group("tgt"), ("enterprise",))
            else:
                tgt = find(m.group("tgt"), ("park",))
                src = find(m.group("src")[-30:], ("enterprise", "platform", "project"))
            if not src or (type_ in ("RUNS", "LOCATED_IN", "SUPPLIES") and not tgt) or src == tgt:
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
            brand = firm_short(firm)
            if o["name"] != firm and (o["name"].startswith(firm) or len(short) >= 3 and o["name"].startswith(short)
                                      or len(brand) >= 4 and o["name"].startswith(brand)):
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
    # RUNS: a project listed right after one named for its firm shares that firm (稀土集团万吨级分离项目、万吨级稀土金属项目)
    for r in list(out):
        if r["type"] != "RUNS":
            continue
        proj = next((o for o in orgs if o["name"] == r["target"] and o["kind"] == "project"), None)
        if not proj:
            continue
        i = text.find(proj["name"] + "、")
        while i >= 0:
            nxt = text[i + len(proj["name"]) + 1:]
            sib = next((o for o in by_name if o["kind"] == "project" and nxt.startswith(o["name"])), None)
            if not sib:
                break
            a, b = _sentence_bounds(text, i)
            emit("RUNS", r["source"], sib["name"], a, b, basis="listed with " + proj["name"])
            i = text.find(sib["name"] + "、", i + len(proj["name"]))

    # RUNS: an organisation's own base (江西省钨与稀土研究院加快总部基地建设), a lab's host institute
    for o in orgs:
        for field in ("owner", "host"):
            if o.get(field):
                a, b = o["span"]
                emit("RUNS", o[field], o["name"], a, b)

    # X牵头，联合A、B、C等…组建Y: X runs Y; X and each of A, B, C co-found it
    for m in _CO_FOUND.finditer(text):
        tgt = next((o["name"] for o in by_name if text.startswith(o["name"], m.end())), None)
        if not tgt:
            continue
        lead = None
        if m.group("lead"):
            lead = max((o["name"] for o in orgs if text.endswith(o["name"], 0, m.start("lead"))), key=len, default=None)
        members = []
        part = m.group("members")
        for o in by_name:
            if o["name"] in part and o["name"] != tgt and not any(o["name"] in x for x in members):
                members.append(o["name"])
        members.sort(key=part.find)
        a, b = _sentence_bounds(text, m.start())
        if lead:
            emit("RUNS", lead, tgt, a, b)
            emit("CO_FOUNDED", lead, tgt, a, b)
        for name in members:
            emit("CO_FOUNDED", name, tgt, a, b)

    # RUNS as a sentence says it: 美国能源部制定的“关键材料战略” (a body and its programme), 美国钼公司的 Mountain Pass 项目
    # (a firm's project), Mountain Pass 项目（盛和资源控股股份有限公司收购） (its buyer)
    name_rx = {o["name"]: re.compile(re.escape(o["name"]).replace("\\ ", "\\s")) for o in orgs}  # Pass⏎项目

    def ending_at(pos: int, kinds) -> Optional[str]:
        return max((o["name"] for o in orgs if o["kind"] in kinds and pos >= len(o["name"])
                    and name_rx[o["name"]].fullmatch(text, pos - len(o["name"]), pos)), key=len, default=None)

    def starting_at(pos: int, kinds) -> Optional[str]:
        return max((o["name"] for o in orgs if o["kind"] in kinds and name_rx[o["name"]].match(text, pos)),
                   key=len, default=None)

    project_heads = {o["name"][0] for o in orgs if o["kind"] == "project"}
    for m in _OWNS_VERB.finditer(text):
        at = m.end() + (1 if text.startswith("“", m.end()) and m.group().endswith("的") else 0)
        if at >= len(text) or (text[at] not in project_heads and text[m.end()] not in project_heads):
            continue
        tgt = starting_at(at, ("project",)) or starting_at(m.end(), ("project",))
        src = ending_at(m.start(), ("gov_unit", "enterprise", "platform")) if tgt else None
        if src and tgt and (m.group().strip() != "的" or _kind_of(src) == "enterprise" or src in {o["name"] for o in orgs
                                                                                         if o["kind"] == "enterprise"}):
            a, b = _sentence_bounds(text, m.start())
            emit("RUNS", src, tgt, a, b)
    for m in re.finditer(r"（(?P<inner>[^（）]{2,40}?)(?:收购|运营|控股|持有|所有)）", text):
        src = starting_at(m.start("inner"), ("enterprise",))
        tgt = ending_at(m.start(), ("project",))
        if src and tgt and len(src) == len(m.group("inner")):
            a, b = _sentence_bounds(text, m.start())
            emit("RUNS", src, tgt, a, b)

    # A与B签订战略合作协议，双方将共建Y: both co-found Y; an agreement with a university or institute is a research partnership
    for m in _PAIR.finditer(text):
        a_name = ending_at(m.start(), ("enterprise", "platform", "gov_unit"))
        b_name = starting_at(m.start("b"), ("enterprise", "platform", "gov_unit"))
        if not a_name or not b_name or a_name == b_name:
            continue
        a, b = _sentence_bounds(text, m.start())
        kinds = {o["name"]: o["kind"] for o in orgs}
        if m.group("agreement") and "platform" in (kinds[a_name], kinds[b_name]):
            emit("RESEARCH_PARTNER", a_name, b_name, a, b)
        if m.group("build"):
            tgt = starting_at(m.end("build"), ("platform", "project"))
            if tgt:
                emit("CO_FOUNDED", a_name, tgt, a, b)
                emit("CO_FOUNDED", b_name, tgt, a, b)

    # PART_OF: a segment and the one the sentence says it belongs to (…等领域永磁电机: 风电电机 PART_OF 永磁电机)
    for sg in segments:
        if sg.get("parent"):
            a, b = sg["span"]
            emit("PART_OF", sg["name"], sg["parent"], a, b)

    # FEEDS: a chain the text writes with dashes, each segment feeding the next (永磁材料-智能电机)
    for sg in segments:
        for nxt in sg.get("feeds", []):
            a, b = sg["span"]
            emit("FEEDS", sg["name"], nxt, a, b)

    # IN_SEGMENT: a platform, park or project named for a segment (永磁电机检测平台, “中国稀金谷”永磁电机产业园,
    # 万吨级稀土金属项目 for 稀土金属及合金: the part before 及 names it too)
    forms: dict[str, str] = {}
    for sg in segments:
        for form in (sg["name"], sg["name"].split("及")[0]):
            if len(form) >= 4:
                forms.setdefault(form, sg["name"])
    seg_forms = sorted(forms, key=len, reverse=True)
    for o in orgs:
        if o["kind"] not in ("platform", "park") and not (o["kind"] == "project" and o["name"].endswith(("项目", "基地"))):
            continue
        hit = next((f for f in seg_forms if f in o["name"] and forms[f] != o["name"]), None)
        if hit:
            a, b = o["span"]
            emit("IN_SEGMENT", o["name"], forms[hit], a, b)

    # LOCATED_IN: a park or platform named for the park it stands in (“中国稀金谷”永磁电机产业园, …稀金谷产业促进中心)
    parks = [o for o in by_name if o["kind"] == "park"]
    for o in orgs:
        if o["kind"] not in ("platform", "park"):
            continue
        for pk in parks:
            short = re.sub(r"^(?:中国|江西|赣州)", "", pk["name"])
            short = "" if re.match(r"[省市县区]", short) else short
            if pk["name"] == o["name"] or pk["name"] in o["name"] and o["name"].endswith(pk["name"]):
                continue
            if pk["name"] in o["name"] or (len(short) >= 3 and short != pk["name"] and short in o["name"]):
                a, b = o["span"]
                emit("LOCATED_IN", o["name"], pk["name"], a, b)
                break
    return out


# ---------------------------------------------------------------------------------------------- all

def _keys(result: dict) -> None:
    """A stable ``key`` on each proposal, for a review page to accept or reject it by: org:<kind>:<name>,
    seg:<name>, task:<number>, target:<offset of its number>, rel:<type>:<source>:<target>. Two proposals that
    would share one (a document numbering tasks afresh in each section) get @<offset of their quote>. Each
    relation also gets ``source_key`` / ``target_key``: the proposals it joins."""
    used: set[str] = set()
    make = {"organisations": lambda o: f"org:{o['kind']}:{o['name']}",
            "segments": lambda o: f"seg:{o['name']}",
            "tasks": lambda o: f"task:{o['number']}",
            "targets": lambda o: f"target:{o['number_span'][0]}",
            "relations": lambda o: f"rel:{o['type']}:{o['source']}:{o['target'] or ''}"}
    for list_name, fn in make.items():
        for item in result[list_name]:
            key = fn(item)
            if key in used:
                key = f"{key}@{item['span'][0]}"
            used.add(key)
            item["key"] = key
    # a relation names the proposals it joins (None: not proposed here, e.g. 产业链, the chain as a whole)
    by_name = {o["name"]: o["key"] for o in result["segments"]}
    by_name.update({o["name"]: o["key"] for o in result["organisations"]})
    for r in result["relations"]:
        r["source_key"] = by_name.get(r["source"])
        r["target_key"] = by_name.get(r["target"]) if r["target"] else None


def propose(text: str, names: Optional[Mapping[str, tuple]] = None, *, document: Optional[str] = None) -> dict:
    """All proposals for one document's text. ``names``: registry name or alias → (id, kind), for matching.

    Lists: ``organisations``, ``segments``, ``targets``, ``tasks``, ``relations``. Every item has ``key``,
    ``quote`` (verbatim: ``text[span[0]:span[1]]``), ``span`` and ``section``; ``name_span`` / ``number_span``
    point into ``text`` too. A hard-wrapped text is read with its wraps joined; the spans still point into the
    text as given."""
    if not text or not text.strip():
        raise InvalidInput("文档为空 / the document is empty")
    text = text.replace("\r\n", "\n")
    joined, offs = unwrap(text)
    doc = _Doc(joined, sections(joined), text, offs)
    tasks = extract_tasks(joined, doc)
    targets = extract_targets(joined, doc)
    orgs = extract_organisations(joined, names, doc)
    segments = extract_segments(joined, names, doc)
    relations = extract_relations(joined, orgs, doc, segments)
    for item in (*tasks, *targets, *orgs, *segments, *relations):
        for field in ("span", "name_span", "number_span"):
            if field in item:
                item[field] = doc.orig_span(*item[field])
        if "number_text" in item:
            a, b = item["number_span"]
            item["number_text"] = text[a:b]
        a, b = item["span"]
        assert text[a:b] == item["quote"], "quote must be verbatim"
        if document:
            item["document"] = document
    result = {"document": document, "chars": len(text), "organisations": orgs, "segments": segments,
              "targets": targets, "tasks": tasks, "relations": relations}
    _keys(result)
    return result
