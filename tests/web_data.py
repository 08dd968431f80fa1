"""A small, fully known chain for the web tests (written through the Registry into the ``app`` fixture's graph).

It holds the awkward cases on purpose: a firm named ``<img src=x onerror=alert(1)>``, an alias and a
quote with ``<script>``, a name that starts with ``=`` (spreadsheet formula injection), and a segment
with no firm at all (a gap). conftest.py turns it into the ``small_app``, ``small_client`` and ``reg`` fixtures.
"""

from __future__ import annotations

from registry.repository import Registry

DOC = "900_test_plan.txt"  # no text file: its invented quotes cannot be checked (registry.quotes)
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ALIAS = '"><script>alert(2)</script>'
XSS_QUOTE = "</script><script>alert(3)</script>"
FORMULA_NAME = "=HYPERLINK(\"http://example.invalid\",\"点我\")公式测试公司"


def src(quote: str = "培育打造链主企业", section: str = "二、重点任务") -> list[dict]:
    return [{"doc": DOC, "section": section, "quote": quote}]


RECORDS = [
    {"kind": "document", "id": "doc-test", "name": "测试方案", "file": DOC, "sources": src("测试方案")},
    {"kind": "segment", "id": "seg-root", "name": "稀土新材料产业链", "position": 0, "stage": "midstream",
     "sources": src("稀土新材料产业链")},
    {"kind": "segment", "id": "seg-sep", "name": "冶炼分离", "aliases": ["分离冶炼"], "position": 1,
     "stage": "upstream", "sources": src("冶炼分离")},
    {"kind": "segment", "id": "seg-mag", "name": "稀土磁性材料", "position": 2, "stage": "midstream",
     "sources": src("稀土磁性材料")},
    {"kind": "segment", "id": "seg-ndfeb", "name": "钕铁硼永磁", "position": 2, "stage": "midstream",
     "sources": src("钕铁硼")},
    {"kind": "segment", "id": "seg-h2", "name": "稀土储氢材料", "position": 2, "stage": "midstream",
     "sources": src("补齐稀土储氢材料短板，加快引进配套企业")},
    {"kind": "segment", "id": "seg-motor", "name": "永磁电机", "position": 3, "stage": "application",
     "sources": src("永磁电机")},
    {"kind": "enterprise", "id": "ent-a", "name": "赣州示范冶炼分离有限公司", "aliases": ["示范冶炼"],
     "locality": "cluster", "location": "赣县区", "roles": ["chain_leader", "leading"], "contact_person": "张三",
     "phone": "0797-0000000", "sources": src("示范冶炼")},
    {"kind": "enterprise", "id": "ent-b", "name": "赣县磁材科技有限公司", "aliases": ["磁材科技"],
     "locality": "cluster", "location": "赣县区", "roles": ["specialised"], "sources": src("磁材科技")},
    {"kind": "enterprise", "id": "ent-c", "name": "外地电机股份有限公司", "locality": "china", "location": "宁波",
     "roles": ["listed"], "sources": src("外地电机")},
    {"kind": "enterprise", "id": "ent-d", "name": "境外储氢材料公司", "locality": "abroad",
     "sources": src("储氢材料")},
    {"kind": "enterprise", "id": "ent-x", "name": XSS_NAME, "aliases": [XSS_ALIAS], "locality": "cluster",
     "description": "<b>not bold</b>", "sources": src(XSS_QUOTE)},
    {"kind": "enterprise", "id": "ent-f", "name": FORMULA_NAME, "locality": "cluster", "phone": "+86 797 1234",
     "sources": src("公式")},
    {"kind": "platform", "id": "plat-1", "name": "国家稀土功能材料创新中心", "platform_type": "innovation_center",
     "level": "national", "status": "existing", "locality": "cluster", "sources": src("创新中心")},
    {"kind": "project", "id": "proj-park", "name": "永磁电机产业园", "project_type": "park", "status": "operating",
     "locality": "cluster", "sources": src("永磁电机产业园")},
    {"kind": "gov_unit", "id": "gov-gxj", "name": "赣县区工信局", "level": "district", "sources": src("区工信局")},
    {"kind": "target", "id": "tgt-gs", "name": "规上企业达到50家", "metric": "规模以上工业企业数", "value": 50,
     "comparison": "at_least", "unit": "家", "deadline_year": 2026, "clause": "一（二）提升目标",
     "sources": src("规上企业达到50家")},
]

RELATIONS = [
    {"type": "PART_OF", "source": "seg-sep", "target": "seg-root", "sources": src("冶炼分离")},
    {"type": "PART_OF", "source": "seg-mag", "target": "seg-root", "sources": src("磁性材料")},
    {"type": "PART_OF", "source": "seg-ndfeb", "target": "seg-mag", "sources": src("钕铁硼")},
    {"type": "PART_OF", "source": "seg-h2", "target": "seg-root", "sources": src("储氢")},
    {"type": "PART_OF", "source": "seg-motor", "target": "seg-root", "sources": src("电机")},
    {"type": "FEEDS", "source": "seg-sep", "target": "seg-mag", "sources": src("冶炼分离 磁性材料")},
    {"type": "FEEDS", "source": "seg-sep", "target": "seg-h2", "sources": src("冶炼分离 储氢")},
    {"type": "FEEDS", "source": "seg-mag", "target": "seg-motor", "sources": src("磁性材料 电机")},
    {"type": "IN_SEGMENT", "source": "ent-a", "target": "seg-sep", "sources": src("示范冶炼")},
    {"type": "IN_SEGMENT", "source": "ent-b", "target": "seg-ndfeb", "sources": src("磁材")},
    {"type": "IN_SEGMENT", "source": "ent-c", "target": "seg-motor", "sources": src("电机")},
    {"type": "IN_SEGMENT", "source": "ent-d", "target": "seg-h2", "sources": src("储氢")},
    {"type": "IN_SEGMENT", "source": "ent-x", "target": "seg-ndfeb", "sources": src(XSS_QUOTE)},
    {"type": "IN_SEGMENT", "source": "ent-f", "target": "seg-ndfeb", "sources": src("公式")},
    {"type": "IN_SEGMENT", "source": "plat-1", "target": "seg-mag", "sources": src("创新中心")},
    {"type": "IN_SEGMENT", "source": "proj-park", "target": "seg-motor", "sources": src("产业园")},
    {"type": "CHAIN_LEADER", "source": "ent-a", "target": "seg-root", "sources": src("链主")},
    {"type": "SUPPLIES", "source": "ent-a", "target": "ent-b", "product": "氧化镨钕", "sources": src("氧化镨钕")},
    {"type": "SUPPLIES", "source": "ent-b", "target": "ent-c", "product": "钕铁硼磁钢", "sources": src("磁钢")},
    {"type": "SUPPLIES", "source": "ent-x", "target": "ent-b", "product": XSS_NAME, "sources": src(XSS_QUOTE)},
    {"type": "RESEARCH_PARTNER", "source": "ent-b", "target": "plat-1", "sources": src("产学研")},
    {"type": "RESEARCH_PARTNER", "source": "ent-f", "target": "ent-b", "sources": src("=1+1")},
    {"type": "LOCATED_IN", "source": "ent-b", "target": "proj-park", "sources": src("入驻")},
    {"type": "RESPONSIBLE_FOR", "source": "gov-gxj", "target": "tgt-gs", "sources": src("区工信局")},
    {"type": "ABOUT", "source": "tgt-gs", "target": "seg-root", "sources": src("规上")},
]


def load_small_chain(reg: Registry) -> None:
    reg.upsert_many(RECORDS, by="test", why="web test data")
    reg.upsert_relations(RELATIONS, by="test", why="web test data")
