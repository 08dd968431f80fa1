"""Chinese first, English on request: the language of a page and the names of every enumerated value.

The language comes from ``?lang=zh|en`` (remembered in a cookie) or the cookie alone;
anything else means Chinese. Templates call ``T('中文', 'English')`` and ``label(group, value)``.
"""

from __future__ import annotations

from flask import Flask, g, request

from registry.model import KIND_NAMES_ZH, LOCALITY_ZH, RELATION_TYPES

LANGS = ("zh", "en")
COOKIE = "lang"

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {k: (zh, en) for (k, zh), en in zip(KIND_NAMES_ZH.items(), (
        "Enterprise", "Platform", "Project / park", "Chain segment", "Plan target", "Government unit",
        "Source document"))},
    "locality": {**{k: (zh, en) for (k, zh), en in zip(LOCALITY_ZH.items(), (
        "In the cluster", "Ganzhou (not stated to be in the cluster)", "Jiangxi (not stated to be in Ganzhou)",
        "Elsewhere in China", "Abroad", "Not stated"))},
        "outside": ("集群外（任一已写明的外地）", "Outside the cluster (any place named)")},
    "level": {"national": ("国家级", "National"), "provincial": ("省级", "Provincial"),
              "municipal": ("市级", "Municipal"), "district": ("区级", "District"),
              "enterprise": ("企业级", "Enterprise"), "unknown": ("未说明", "Not stated")},
    "platform_status": {"existing": ("已建", "Existing"), "planned": ("规划中", "Planned"),
                        "unknown": ("未说明", "Not stated")},
    "project_status": {"planned": ("规划", "Planned"), "under_construction": ("在建", "Under construction"),
                       "operating": ("运营中", "Operating"), "completed": ("已完成", "Completed"),
                       "unknown": ("未说明", "Not stated")},
    "platform_type": {"research_institute": ("研究院所", "Research institute"),
                      "innovation_center": ("创新中心", "Innovation centre"),
                      "test_center": ("检验检测中心", "Test & inspection centre"),
                      "university": ("高校", "University / college"),
                      "ip_center": ("知识产权中心", "IP centre"),
                      "promotion_org": ("促进机构", "Promotion organisation"),
                      "alliance": ("产业联盟", "Alliance"), "trading_venue": ("交易平台", "Trading venue"),
                      "industrial_internet": ("工业互联网平台", "Industrial internet platform"),
                      "incubator": ("孵化器", "Incubator"), "service_center": ("服务中心", "Service centre"),
                      "other": ("其他", "Other")},
    "project_type": {"project": ("项目", "Project"), "park": ("园区", "Park"), "programme": ("计划/工程", "Programme")},
    "stage": {"resource": ("资源", "Resources"), "upstream": ("上游", "Upstream"), "midstream": ("中游", "Midstream"),
              "downstream": ("下游", "Downstream"), "application": ("应用", "Application"),
              "recycling": ("回收", "Recycling"), "service": ("配套服务", "Supporting services")},
    "comparison": {"at_least": ("不少于", "at least"), "exceeds": ("超过", "more than"), "reach": ("达到", "reach"),
                   "range": ("区间", "between"), "at_most": ("不超过", "at most"), "approx": ("约", "about"),
                   "per_year": ("每年", "per year")},
    "basis": {"explicit": ("原文明示", "stated"), "implied": ("推断", "implied"), "reported": ("用户填报", "reported"),
              "unknown": ("未注明", "unknown")},
    "severity": {"high": ("高", "High"), "medium": ("中", "Medium"), "low": ("低", "Low")},
    "level_cov": {"strong": ("强", "Strong"), "medium": ("中", "Medium"), "weak": ("弱", "Weak"),
                  "none": ("无", "None")},
    "category": {"capability": ("方案点名的补链需求", "Needs the plan names"), "segment": ("环节缺口", "Segment gaps"),
                 "upstream": ("上游缺口", "Upstream gaps"), "dependence": ("供应依赖", "Supply dependence"),
                 "cut_point": ("关键节点", "Cut points"), "bridge": ("唯一连接", "Bridges"),
                 "target": ("目标进展", "Target progress"), "data": ("数据缺口", "Data gaps")},
    "target_status": {"met": ("已达到", "Met"), "behind": ("未达到", "Behind"), "unknown": ("未知", "Unknown")},
    "measurability": {"measured": ("可衡量", "Measured"), "partial": ("部分可衡量", "Partly measurable"),
                      "not_measurable": ("无法从登记册衡量", "Not measurable from the registry")},
    "relation": {t: (spec[2], en) for (t, spec), en in zip(RELATION_TYPES.items(), (
        "In segment", "Part of", "Feeds (upstream → downstream)", "Chain leader", "Supplies", "Research partner",
        "Co-founded", "Located in", "Runs / hosts", "Supported by", "Member of", "Reorganises", "Owned by",
        "Listing target", "Responsible for", "About"))},
}

# relation type -> ((outgoing zh, en), (incoming zh, en)): how a group of relations reads from one end
REL_DIRECTION: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "SUPPLIES": (("客户（供应给）", "Customers (supplies to)"), ("供应商", "Suppliers")),
    "IN_SEGMENT": (("所属环节", "Segments"), ("环节成员", "Members")),
    "PART_OF": (("上级环节", "Parent segment"), ("下级环节", "Sub-segments")),
    "FEEDS": (("下游环节", "Downstream segments"), ("上游环节", "Upstream segments")),
    "CHAIN_LEADER": (("担任链主", "Chain leader of"), ("链主企业", "Chain leaders")),
    "RESEARCH_PARTNER": (("产学研合作", "Research partners"), ("产学研合作", "Research partners")),
    "CO_FOUNDED": (("共建", "Co-founded"), ("共建单位", "Co-founders")),
    "LOCATED_IN": (("位于", "Located in"), ("入驻单位", "Tenants")),
    "RUNS": (("运营/承建", "Runs / hosts"), ("运营方/承建方", "Run by")),
    "SUPPORTED_BY": (("受支持于", "Supported by"), ("支持对象", "Supports")),
    "MEMBER_OF": (("成员单位，所属", "Member of"), ("成员单位", "Members")),
    "REORGANISES": (("重组/整合", "Reorganises"), ("被重组/整合", "Reorganised by")),
    "OWNED_BY": (("隶属于", "Owned by"), ("下属单位", "Subsidiaries")),
    "LISTING_TARGET": (("上市培育（列入）", "Listing support from"), ("上市培育企业", "Listing candidates")),
    "RESPONSIBLE_FOR": (("负责", "Responsible for"), ("责任单位", "Responsible units")),
    "ABOUT": (("指向", "Concerns"), ("相关规划目标", "Plan targets")),
}


def current_lang() -> str:
    return getattr(g, "lang", None) or "zh"


def T(zh: str, en: str) -> str:
    """The text in the page's language."""
    return en if current_lang() == "en" else zh


def label(group: str, value, lang: str | None = None) -> str:
    """The name of an enumerated value in the page's language; unknown values are shown as they are."""
    if value is None:
        return ""
    pair = LABELS.get(group, {}).get(value)
    if pair is None:
        return str(value)
    return pair[1] if (lang or current_lang()) == "en" else pair[0]


def rel_heading(rtype: str, outgoing: bool) -> str:
    pair = REL_DIRECTION.get(rtype, ((rtype, rtype), (rtype, rtype)))[0 if outgoing else 1]
    return pair[1] if current_lang() == "en" else pair[0]


def pick(obj: dict, field: str) -> str:
    """``obj[field_zh]`` or ``obj[field_en]`` by the page's language (falls back to the other)."""
    zh, en = obj.get(f"{field}_zh"), obj.get(f"{field}_en")
    return (en or zh or "") if current_lang() == "en" else (zh or en or "")


def init_app(app: Flask) -> None:
    @app.before_request
    def _lang():
        asked = request.args.get("lang")
        if asked in LANGS:
            g.lang, g.set_lang = asked, asked
        else:
            cookie = request.cookies.get(COOKIE)
            g.lang = cookie if cookie in LANGS else "zh"

    @app.after_request
    def _remember(resp):
        lang = g.get("set_lang")
        if lang:
            resp.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return resp

    app.jinja_env.globals.update(T=T, label=label, rel_heading=rel_heading, pick=pick, lang=current_lang)
