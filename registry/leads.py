"""The 招商 pipeline (issue 13): leads followed from a gap's candidate to a signed, started, producing project.

A lead is a ``Lead`` node (not an ``Entity``: the chain analysis never sees it) linked to the firm record it
courts (``(:Lead)-[:LEAD_FOR]->(:Entity)``). It says which segment and gap(s) the firm would fill, who owns it
(a user), its stage (线索 → 已接洽 → 考察 → 洽谈 → 签约 → 开工 → 投产, or 搁置 / 放弃 with a reason), the next step
and its due date, contacts and dated notes. Every write checks the version it was made against and leaves one
change-log entry with before → after.

When a lead reaches 签约 a project record is created through the registry (so it is an ordinary, reported
fact with its source): the firm RUNS it, it is IN_SEGMENT the lead's segment and LOCATED_IN the park if one is
given, and it carries ``signed_on``. Coverage, gaps and the "projects introduced per year" target then move
with it. 开工 and 投产 move the project's status on.

Cypher text is constant; every value is a ``$parameter``.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Optional

from .errors import Conflict, InvalidInput, NotFound
from .messages import label
from .model import check_text
from .repository import Registry, _change, now_iso

PIPELINE = ("lead", "contacted", "visit", "negotiating", "signed", "started", "producing")
PAUSED = ("on_hold", "dropped")  # 搁置 / 放弃: need a reason
STAGES = PIPELINE + PAUSED
SIGNED = ("signed", "started", "producing")  # a project record exists from 签约 on
REASONS = ("no_interest", "terms", "land_policy", "elsewhere", "funding", "timing", "other")
PROJECT_STATUS = {"signed": "planned", "started": "under_construction", "producing": "operating"}
OPEN_STAGES = tuple(s for s in PIPELINE if s not in ("producing",))  # still followed up: due dates matter

EDITABLE = ("owner", "segment", "gaps", "next_step", "due", "contacts", "park", "project_name", "investment")
MAX_LINE = 500
MAX_NOTE = 2000
MAX_CONTACTS = 20
BEIJING = timezone(timedelta(hours=8))

# ---------------------------------------------------------------- queries
Q_LEAD_CREATE = (
    "MATCH (f:Entity {id: $firm}) "
    "MERGE (m:Meta {id: 'lead_seq'}) SET m.n = coalesce(m.n, 0) + 1 "
    "WITH f, m.n AS n "
    "CREATE (l:Lead) SET l = $props, l.number = n, l.id = 'lead-' + toString(n) "
    "CREATE (l)-[:LEAD_FOR]->(f) "
    "CREATE (c:Change) SET c = $change, c.entity_id = 'lead-' + toString(n) "
    "RETURN properties(l) AS l")
Q_LEAD_GET = "MATCH (l:Lead {id: $id}) RETURN properties(l) AS l"
Q_LEAD_LIST = "MATCH (l:Lead) WITH l ORDER BY l.number RETURN properties(l) AS l"
Q_LEAD_UPDATE = (
    "MATCH (l:Lead {id: $id}) WHERE l.version = $version "
    "SET l = $props "
    "CREATE (c:Change) SET c = $change "
    "RETURN properties(l) AS l")
Q_LEAD_USERS = "MATCH (u:User) WHERE u.name IN $names AND coalesce(u.disabled, false) = false RETURN u.name AS name"


def beijing_today() -> str:
    return datetime.now(BEIJING).strftime("%Y-%m-%d")


def _bad(field: str, zh: str, en: str, value: Any = None) -> InvalidInput:
    shown = value if value is None or isinstance(value, (int, float)) else str(value)[:60]
    return InvalidInput(f"{field}: {zh} / {en}", details=[{"field": field, "value": shown, "message": en}])


def _text(value: Any, field: str, limit: int = MAX_LINE) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(field, "应为文字", "must be text", value)
    try:
        value = check_text(value.strip(), field, limit)
    except ValueError as exc:
        raise _bad(field, str(exc), str(exc), value) from None
    return value or None


def _date(value: Any, field: str) -> Optional[str]:
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise _bad(field, f"日期应写作 YYYY-MM-DD，不是 {text[:20]!r}", "a date is YYYY-MM-DD", text) from None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise _bad(field, f"日期应写作 YYYY-MM-DD，不是 {text[:20]!r}", "a date is YYYY-MM-DD", text)
    return text


def _list(value: Any, field: str, limit: int = MAX_CONTACTS) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[\n;；]", value)]
    if not isinstance(value, list) or len(value) > limit:
        raise _bad(field, f"应为不超过 {limit} 项的文字列表", f"must be a list of at most {limit} texts", value)
    out = []
    for v in value:
        t = _text(v, field)
        if t and t not in out:
            out.append(t)
    return out


def _blank(v: Any) -> bool:
    return v is None or v == [] or v == ""


def lead_out(props: dict[str, Any]) -> dict[str, Any]:
    """A stored lead as the API shows it: lists restored, notes as a list, overdue said."""
    lead = {k: v for k, v in props.items() if not k.endswith("_json")}
    lead["notes"] = json.loads(props.get("notes_json") or "[]")
    lead["stages"] = json.loads(props.get("stages_json") or "[]")
    lead["gaps"] = list(props.get("gaps") or [])
    lead["contacts"] = list(props.get("contacts") or [])
    lead["overdue"] = is_overdue(lead)
    return lead


def is_overdue(lead: dict[str, Any], today: str | None = None) -> bool:
    """A lead still followed up whose next step's due date has passed (Beijing date)."""
    due = lead.get("due")
    return bool(due) and lead.get("stage") in OPEN_STAGES and due < (today or beijing_today())


class Leads:
    """The leads over one registry's store."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.store = registry.store

    # -- reading ------------------------------------------------------
    def get(self, lead_id: str) -> dict[str, Any]:
        if not isinstance(lead_id, str) or not re.fullmatch(r"lead-[0-9]{1,9}", lead_id):
            raise NotFound(f"招商线索 '{str(lead_id)[:40]}' 不存在 / no lead '{str(lead_id)[:40]}'")
        rows = self.store.read(Q_LEAD_GET, {"id": lead_id})
        if not rows:
            raise NotFound(f"招商线索 '{lead_id}' 不存在 / no lead '{lead_id}'")
        return lead_out(rows[0]["l"])

    def list(self, *, stage: str | None = None, segment: str | None = None, gap: str | None = None,
             owner: str | None = None, firm: str | None = None) -> list[dict[str, Any]]:
        """Leads filtered (every filter optional), in number order."""
        if stage is not None and stage not in STAGES:
            raise _bad("stage", f"未知的阶段 {stage!r}，可用：{', '.join(STAGES)}", "unknown stage", stage)
        out = []
        for r in self.store.read(Q_LEAD_LIST):
            lead = lead_out(r["l"])
            if stage and lead["stage"] != stage or segment and lead.get("segment") != segment \
                    or gap and gap not in lead["gaps"] or owner and lead.get("owner") != owner \
                    or firm and lead.get("firm") != firm:
                continue
            out.append(lead)
        return out

    def history(self, lead_id: str) -> list[dict[str, Any]]:
        self.get(lead_id)
        return self.registry.changes(entity_id=lead_id, limit=500)

    # -- checks -------------------------------------------------------
    def _user(self, name: Any, field: str = "owner") -> str:
        name = _text(name, field, 64)
        if not name:
            raise _bad(field, "请指定跟进人", "say who follows the lead up")
        if not self.store.read(Q_LEAD_USERS, {"names": [name]}):
            raise _bad(field, f"没有名为“{name}”的在用用户", f"there is no active user named {name!r}", name)
        return name

    def _of_kind(self, rec_id: Any, kinds: Iterable[str], field: str) -> dict[str, Any]:
        if not isinstance(rec_id, str) or not rec_id:
            raise _bad(field, "需要记录编号", "a record id is needed", rec_id)
        try:
            rec = self.registry.get(rec_id)
        except NotFound:
            raise _bad(field, f"记录 '{rec_id[:60]}' 不存在", f"no record '{rec_id[:60]}'", rec_id) from None
        if rec["kind"] not in kinds:
            raise _bad(field, f"'{rec_id}' 不是{'/'.join(kinds)}", f"'{rec_id}' is not a {'/'.join(kinds)}", rec_id)
        return rec

    def _park(self, park_id: Any) -> Optional[dict[str, Any]]:
        if park_id in (None, ""):
            return None
        park = self._of_kind(park_id, ("project",), "park")
        if park.get("project_type") != "park":
            raise _bad("park", f"'{park_id}' 不是园区", f"'{park_id}' is not a park", park_id)
        return park

    def _gaps(self, value: Any) -> list[str]:
        gaps = _list(value, "gaps", 20)
        for g in gaps:
            if not re.fullmatch(r"[a-z_]+:[A-Za-z0-9._:>-]{1,200}", g):
                raise _bad("gaps", f"缺口编号格式不对：{g[:60]!r}", f"not a gap id: {g[:60]!r}", g)
        return gaps

    # -- writing ------------------------------------------------------
    def create(self, data: dict[str, Any], *, by: str, why: str | None = None) -> dict[str, Any]:
        """A new lead at stage 线索. ``firm`` is an existing enterprise's id, or ``new_firm`` ({name, locality,
        location}) creates the firm with it (marked as added by ``by``, basis reported)."""
        if not isinstance(data, dict):
            raise _bad("(body)", "应为 JSON 对象", "must be a JSON object")
        unknown = set(data) - {"firm", "new_firm", "owner", "segment", "gaps", "next_step", "due", "contacts",
                               "note", "park", "project_name", "investment"}
        if unknown:
            raise _bad(sorted(unknown)[0], "未知字段", "unknown field", sorted(unknown)[0])
        segment = self._of_kind(data["segment"], ("segment",), "segment") if data.get("segment") else None
        gaps = self._gaps(data.get("gaps"))
        owner = self._user(data.get("owner") or by)
        due = _date(data.get("due"), "due")
        park = self._park(data.get("park"))
        note = _text(data.get("note"), "note", MAX_NOTE)
        fields = {"next_step": _text(data.get("next_step"), "next_step"),
                  "contacts": _list(data.get("contacts"), "contacts"),
                  "project_name": _text(data.get("project_name"), "project_name", 200),
                  "investment": _text(data.get("investment"), "investment", 100)}
        if data.get("firm") and data.get("new_firm"):
            raise _bad("firm", "请只给 firm（已有企业）或 new_firm（新企业）之一", "give firm or new_firm, not both")
        created_firm = None
        if data.get("new_firm"):
            firm = created_firm = self._new_firm(data["new_firm"], segment, by=by, why=why)
        else:
            firm = self._of_kind(data.get("firm"), ("enterprise",), "firm")
        at = now_iso()
        props = {"firm": firm["id"], "firm_name": firm["name"], "segment": segment["id"] if segment else None,
                 "segment_name": segment["name"] if segment else None, "gaps": gaps, "owner": owner,
                 "stage": "lead", "due": due, "park": park["id"] if park else None,
                 "notes_json": json.dumps([{"date": at[:10], "at": at, "by": by, "text": note}] if note else [],
                                          ensure_ascii=False),
                 "stages_json": json.dumps([{"stage": "lead", "at": at, "by": by}], ensure_ascii=False),
                 "created_at": at, "created_by": by, "updated_at": at, "updated_by": by, "stage_at": at,
                 "version": 1, "firm_added": bool(created_firm), **fields}
        props = {k: v for k, v in props.items() if v is not None}
        after = {k: v for k, v in props.items() if not k.endswith("_json") and v is not False
                 and k not in ("created_at", "updated_at", "stage_at", "updated_by", "created_by", "version")}
        change = _change("create", by=by, why=why, at=at, diff={"after": after},
                         summary=f"新建招商线索：{firm['name']}（跟进人 {owner}）/ new lead")
        rows = self.store.write(Q_LEAD_CREATE, {"firm": firm["id"], "props": props, "change": change})
        if not rows:
            raise NotFound(f"企业 '{firm['id']}' 不存在 / no firm '{firm['id']}'")
        return lead_out(rows[0]["l"])

    def _new_firm(self, spec: Any, segment: Optional[dict], *, by: str, why: str | None) -> dict[str, Any]:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"].strip():
            raise _bad("new_firm.name", "新企业需要名称", "a new firm needs a name")
        at = now_iso()
        note = "招商线索新建（用户填报）/ added with a lead"
        record = {"kind": "enterprise", "id": f"ent-u{uuid.uuid4().hex[:10]}", "name": spec["name"].strip(),
                  "locality": spec.get("locality") or "unknown", "location": spec.get("location") or None,
                  "contact_person": spec.get("contact_person") or None, "phone": spec.get("phone") or None,
                  "sources": [{"by": by, "at": at, "basis": "reported", "note": note}]}
        firm = self.registry.create(record, by=by, why=why or note)
        if segment:
            self.registry.relate({"type": "IN_SEGMENT", "source": firm["id"], "target": segment["id"],
                                  "sources": [{"by": by, "at": at, "basis": "reported", "note": note}]},
                                 by=by, why=why or note)
        return firm

    def update(self, lead_id: str, changes: dict[str, Any], *, version: Any, by: str,
               why: str | None = None) -> dict[str, Any]:
        """Change a lead made against ``version``: its fields, a dated ``note`` added, and/or its ``stage``
        (``pause_reason`` code and ``pause_note`` for 搁置/放弃). A stale version is a Conflict, never applied.
        Reaching 签约 (or later) the first time creates the project; 开工/投产 move its status."""
        if not isinstance(changes, dict):
            raise _bad("(body)", "应为 JSON 对象", "must be a JSON object")
        if not isinstance(version, int) or isinstance(version, bool):
            raise _bad("version", f"需要整数版本号，收到 {version!r}", "version must be an integer", version)
        unknown = set(changes) - set(EDITABLE) - {"stage", "pause_reason", "pause_note", "note", "note_date"}
        if unknown:
            raise _bad(sorted(unknown)[0], "未知或不能修改的字段（企业不能更换：请新建线索）",
                       "unknown field, or one that cannot change (the firm cannot: make a new lead)",
                       sorted(unknown)[0])
        current = self.get(lead_id)
        if current["version"] != version:
            raise self._stale(lead_id, version, current["version"])
        new = {k: v for k, v in current.items() if k not in ("notes", "stages", "overdue")}
        if "owner" in changes:
            new["owner"] = self._user(changes["owner"])
        if "segment" in changes:
            seg = self._of_kind(changes["segment"], ("segment",), "segment") if changes["segment"] else None
            if current.get("project") and (seg or {}).get("id") != current.get("segment"):
                raise _bad("segment", "已签约的线索不能更换环节（项目已按原环节登记）",
                           "a signed lead's segment cannot change (its project is registered in it)")
            new["segment"], new["segment_name"] = (seg["id"], seg["name"]) if seg else (None, None)
        if "gaps" in changes:
            new["gaps"] = self._gaps(changes["gaps"])
        if "next_step" in changes:
            new["next_step"] = _text(changes["next_step"], "next_step")
        if "due" in changes:
            new["due"] = _date(changes["due"], "due")
        if "contacts" in changes:
            new["contacts"] = _list(changes["contacts"], "contacts")
        if "park" in changes:
            park = self._park(changes["park"])
            new["park"] = park["id"] if park else None
        for f, limit in (("project_name", 200), ("investment", 100)):
            if f in changes:
                new[f] = _text(changes[f], f, limit)
        at = now_iso()
        notes, stages = list(current["notes"]), list(current["stages"])
        note = _text(changes.get("note"), "note", MAX_NOTE)
        if note:
            notes.append({"date": _date(changes.get("note_date"), "note_date") or beijing_today(), "at": at, "by": by,
                          "text": note})
        stage = changes.get("stage", current["stage"])
        if stage not in STAGES:
            raise _bad("stage", f"未知的阶段 {str(stage)[:40]!r}，可用：{', '.join(STAGES)}", "unknown stage", stage)
        project_step = None
        if stage != current["stage"]:
            project_step = self._check_move(current, stage, changes, new)
            new["stage"], new["stage_at"] = stage, at
            entry = {"stage": stage, "at": at, "by": by, "from": current["stage"]}
            if stage in PAUSED:
                entry.update(pause_reason=new["pause_reason"], pause_note=new.get("pause_note"))
            stages.append(entry)
        skip = {"version", "updated_at", "updated_by", "stage_at", "notes", "stages", "overdue"}
        diff = {k: [current.get(k), new.get(k)] for k in sorted((set(new) | set(current)) - skip)
                if current.get(k) != new.get(k) and not (_blank(current.get(k)) and _blank(new.get(k)))}
        if note:
            diff["note"] = [None, note]
        if not diff:
            raise _bad("(body)", "没有要修改的内容", "nothing to change")
        # the project first: a lead never says 签约 without its project; a project whose lead update then
        # fails (someone else wrote) is taken back
        project = None
        if project_step == "create":
            project = self._sign(current, new, by=by, why=why)
            new["project"] = project["id"]
            diff["project"] = [None, project["id"]]
        elif project_step == "status":
            self._project_status(current["project"], PROJECT_STATUS[stage], by=by, why=why)
        props = {**{k: v for k, v in new.items() if v is not None}, "version": version + 1, "updated_at": at,
                 "updated_by": by, "notes_json": json.dumps(notes, ensure_ascii=False),
                 "stages_json": json.dumps(stages, ensure_ascii=False)}
        props.pop("notes", None)
        summary = (f"招商线索 {lead_id}（{current['firm_name']}）阶段：{label('lead_stage', current['stage'])} → "
                   f"{label('lead_stage', stage)}"
                   if stage != current["stage"] else f"修改招商线索 {lead_id}（{current['firm_name']}）：{', '.join(diff)}")
        change = _change("update", by=by, why=why, entity_id=lead_id, at=at, diff=diff, summary=summary)
        rows = self.store.write(Q_LEAD_UPDATE, {"id": lead_id, "version": version, "props": props, "change": change})
        if not rows:
            if project is not None:
                self.registry.delete(project["id"], by=by, why="线索已被他人修改，撤回刚建的项目 / lead changed meanwhile")
            latest = self.get(lead_id)
            raise self._stale(lead_id, version, latest["version"])
        return lead_out(rows[0]["l"])

    @staticmethod
    def _stale(lead_id: str, version: int, current: int) -> Conflict:
        return Conflict(f"招商线索 '{lead_id}' 已被他人修改（您的版本 {version}，当前版本 {current}），请刷新后重试 / "
                        f"lead '{lead_id}' was changed since version {version} (now {current}); reload and retry",
                        details=[{"field": "version", "value": version, "message": f"current version is {current}"}])

    def _check_move(self, current: dict, stage: str, changes: dict, new: dict) -> Optional[str]:
        """Whether the stage may change so, and what it does to the project: None, "create" or "status"."""
        if stage in PAUSED:
            reason = changes.get("pause_reason")
            if reason not in REASONS:
                raise _bad("pause_reason", f"搁置或放弃需要原因，可用：{', '.join(REASONS)}",
                           f"putting a lead on hold or dropping it needs a reason: one of {', '.join(REASONS)}", reason)
            if current.get("project"):
                raise _bad("stage", "已签约的线索不能搁置或放弃（项目已登记）：请修改项目状态",
                           "a signed lead cannot be put on hold or dropped (its project is registered)", stage)
            new["pause_reason"] = reason
            new["pause_note"] = _text(changes.get("pause_note"), "pause_note")
            return None
        new.pop("pause_reason", None)
        new.pop("pause_note", None)
        if current.get("project") and stage not in SIGNED:
            raise _bad("stage", "已签约的线索不能退回签约之前的阶段（项目已登记）",
                       "a signed lead cannot go back before 签约 (its project is registered)", stage)
        if stage in SIGNED:
            if not current.get("project"):
                if not new.get("segment"):
                    raise _bad("segment", "签约前请先填写线索所属的产业链环节（项目要登记在该环节）",
                               "say the lead's segment before signing (the project is registered in it)")
                return "create"
            return "status"
        return None

    def _sign(self, current: dict, new: dict, *, by: str, why: str | None) -> dict[str, Any]:
        """The project of a lead reaching 签约: a reported project record, run by the firm, in the segment,
        located in the park if given."""
        at = now_iso()
        day = beijing_today()
        note = f"招商线索 {current['id']} 签约（{day}）/ signed through lead {current['id']}"
        src = [{"by": by, "at": at, "basis": "reported", "note": note}]
        park = self.registry.get(new["park"]) if new.get("park") else None
        name = new.get("project_name") or f"{current['firm_name']}{new.get('segment_name') or ''}项目"
        record = {"kind": "project", "id": f"proj-{current['id']}", "name": name, "project_type": "project",
                  "status": PROJECT_STATUS[new["stage"]] if new.get("stage") in PROJECT_STATUS else "planned",
                  "locality": "cluster", "location": park["name"] if park else None,
                  "investment": new.get("investment"), "signed_on": day, "sources": src}
        why = why or note
        project = self.registry.create(record, by=by, why=why)
        self.registry.relate({"type": "RUNS", "source": current["firm"], "target": project["id"], "sources": src},
                             by=by, why=why)
        self.registry.relate({"type": "IN_SEGMENT", "source": project["id"], "target": new["segment"], "sources": src},
                             by=by, why=why)
        if park:
            self.registry.relate({"type": "LOCATED_IN", "source": project["id"], "target": park["id"], "sources": src},
                                 by=by, why=why)
        return project

    def _project_status(self, project_id: str, status: str, *, by: str, why: str | None) -> None:
        try:
            project = self.registry.get(project_id)
        except NotFound:
            return  # deleted by someone since: the lead's stage still moves
        if project.get("status") != status:
            self.registry.update(project_id, {"status": status}, version=project["version"], by=by,
                                 why=why or "招商线索阶段变化 / the lead's stage moved")


# ---------------------------------------------------------------- the weekly report
def week_start(today: str | None = None) -> str:
    """Monday of the week of ``today`` (a Beijing date), as YYYY-MM-DD."""
    d = datetime.strptime(today or beijing_today(), "%Y-%m-%d")
    return (d - timedelta(days=d.weekday())).strftime("%Y-%m-%d")


def _beijing_day(iso: str | None) -> str:
    if not iso:
        return ""
    t = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return t.astimezone(BEIJING).strftime("%Y-%m-%d")


def weekly(leads: list[dict[str, Any]], *, today: str | None = None) -> dict[str, Any]:
    """The week's pipeline: counts by stage and by segment, the leads new this week, moved this week (a stage
    change since Monday, Beijing time) and overdue. Plain data; words come from the catalogue."""
    today = today or beijing_today()
    start = week_start(today)
    by_stage = {s: 0 for s in STAGES}
    segments: dict[str, dict[str, Any]] = {}
    for lead in leads:
        by_stage[lead["stage"]] += 1
        key = lead.get("segment") or ""
        seg = segments.setdefault(key, {"segment": lead.get("segment"), "name": lead.get("segment_name"),
                                        "total": 0, "by_stage": {s: 0 for s in STAGES}})
        seg["total"] += 1
        seg["by_stage"][lead["stage"]] += 1
    new = [lead for lead in leads if _beijing_day(lead.get("created_at")) >= start]
    moved = []
    for lead in leads:
        steps = [s for s in lead["stages"][1:] if _beijing_day(s.get("at")) >= start]
        if steps:
            moved.append({**lead, "moves": steps})
    overdue = sorted((lead for lead in leads if is_overdue(lead, today)), key=lambda x: x["due"])
    return {"week_start": start, "today": today, "total": len(leads), "by_stage": by_stage,
            "by_segment": sorted(segments.values(), key=lambda s: (-s["total"], s["name"] or "")),
            "new": new, "moved": moved, "overdue": overdue}
