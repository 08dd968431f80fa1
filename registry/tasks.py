"""The plan's key tasks (重点任务和举措) as records, and the status editors keep on them (督办).

A task is a ``PlanTask`` node of its own (not an ``Entity``): it is not part of the industrial chain, so the
chain analysis, the record exports and the import never see it. Its facts (number, title, clause,
responsible units in the order the plan lists them, the plan period, the targets that belong to it) come
from the seed with their sources, checked verbatim like every other quote. Its ``status`` and the dated
evidence ``notes`` are set by editors: a versioned update, one change-log entry each (before -> after).

Cypher text is constant; every value is a ``$parameter``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import Field, ValidationError, field_validator

from .errors import InvalidInput, NotFound
from .model import Source, _format_errors, _Record, check_text
from .quotes import check_explicit_quotes
from .repository import Registry, _change, now_iso

TASK_STATUSES = ("not_started", "in_progress", "done", "late")  # 未启动 / 推进中 / 已完成 / 滞后
DEFAULT_STATUS = "not_started"
TASK_COUNT = 23
MAX_NOTE = 2000
TASKS_FILE = "tasks.yaml"


class PlanTask(_Record):
    """One numbered task of the plan, as the text writes it."""

    id: str = Field(pattern=r"^task-[0-9]{2}$")
    number: int = Field(ge=1, le=99)
    title: str = Field(min_length=1, max_length=200)
    action: Optional[str] = None
    clause: str = Field(min_length=1, max_length=2000)
    responsible_units: list[str] = Field(default_factory=list)
    period: Optional[str] = None
    targets: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)

    @field_validator("clause", mode="before")
    @classmethod
    def _clause(cls, v):
        return check_text(v, "clause", 2000) if isinstance(v, str) else v


def validate_task(data: dict[str, Any]) -> PlanTask:
    try:
        return PlanTask.model_validate(data)
    except ValidationError as exc:
        raise _format_errors(exc, f"任务/task {data.get('number', '')}") from None


def read_tasks(data_dir: str | Path, *, documents_dir=None) -> list[dict[str, Any]]:
    """The tasks of ``tasks.yaml`` in ``data_dir``, validated, quotes checked verbatim; [] when there is no file."""
    path = Path(data_dir) / TASKS_FILE
    if not path.exists():
        return []
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    out, problems = [], []
    for i, rec in enumerate(rows, 1):
        try:
            task = validate_task(rec)
            check_explicit_quotes(task.sources, {s.doc for s in task.sources if s.doc}, documents_dir=documents_dir)
        except InvalidInput as exc:
            problems.append(f"{TASKS_FILE} row {i}: {exc.message}")
            continue
        out.append(task.model_dump(exclude_none=True, mode="json"))
    numbers = [t["number"] for t in out]
    if len(set(numbers)) != len(numbers):
        problems.append(f"{TASKS_FILE}: 任务编号重复 / duplicate task numbers")
    if problems:
        raise InvalidInput("\n".join(problems))
    return out


# ---------------------------------------------------------------- queries
Q_TASK_UPSERT = (
    "UNWIND $rows AS row "
    "MERGE (t:PlanTask {id: row.id}) "
    "WITH t, row, t.content_hash AS old_hash, t.version AS version, t.status AS status, t.notes_json AS notes, "
    "     t.created_at AS created "
    "WHERE old_hash IS NULL OR old_hash <> row.content_hash "
    "SET t = row, t.status = coalesce(status, $status), t.notes_json = coalesce(notes, '[]'), "
    "    t.created_at = coalesce(created, $now), t.updated_at = $now, t.version = coalesce(version, 0) + 1, "
    "    t.updated_by = $by "
    "WITH count(t) AS changed WHERE changed > 0 "
    "CREATE (c:Change) SET c = $change, c.count = changed "
    "RETURN changed")
Q_TASK_LIST = "MATCH (t:PlanTask) WITH t ORDER BY t.number RETURN properties(t) AS t"
Q_TASK_GET = "MATCH (t:PlanTask {number: $number}) RETURN properties(t) AS t"
Q_TASK_SET_STATUS = (
    "MATCH (t:PlanTask {number: $number}) WHERE t.version = $version "
    "SET t.status = $status, t.notes_json = $notes, t.version = $version + 1, t.updated_at = $now, "
    "    t.updated_by = $by "
    "CREATE (c:Change) SET c = $change "
    "RETURN properties(t) AS t")


def _hash(task: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(task, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def task_out(props: dict[str, Any]) -> dict[str, Any]:
    """A stored task as the API shows it: lists restored, sources and notes as lists, the lead unit named."""
    t = {k: v for k, v in props.items() if k not in ("sources_json", "notes_json", "content_hash")}
    t["sources"] = json.loads(props.get("sources_json") or "[]")
    t["notes"] = json.loads(props.get("notes_json") or "[]")
    t["responsible_units"] = list(props.get("responsible_units") or [])
    t["targets"] = list(props.get("targets") or [])
    t["lead_unit"] = t["responsible_units"][0] if t["responsible_units"] else None
    t.setdefault("status", DEFAULT_STATUS)
    return t


def parse_number(value: Any) -> int:
    """A task number from a URL or a form: 1-99 in ASCII digits, else InvalidInput."""
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= 99:
        raise InvalidInput(f"任务编号应为 1–99 的数字，不是 {text[:20]!r} / a task number is 1 to 99, not {text[:20]!r}",
                           details=[{"field": "number", "value": text[:20], "message": "not a task number"}])
    return int(text)


class Tasks:
    """The plan tasks over one registry's store."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.store = registry.store

    def load(self, tasks: list[dict[str, Any]], *, by: str, why: str | None = None) -> int:
        """Write the seed's tasks; a task whose facts are unchanged is not rewritten. Status and notes stay."""
        rows = []
        for t in tasks:
            row = {k: v for k, v in t.items() if k != "sources"}
            row["sources_json"] = json.dumps(t.get("sources", []), ensure_ascii=False)
            row["content_hash"] = _hash(t)
            rows.append(row)
        if not rows:
            return 0
        change = _change("upsert", by=by, why=why, ids=[r["id"] for r in rows],
                         summary=f"载入规划任务 {len(rows)} 项 / plan tasks loaded")
        res = self.store.write(Q_TASK_UPSERT, {"rows": rows, "now": now_iso(), "by": by, "status": DEFAULT_STATUS,
                                               "change": change})
        return res[0]["changed"] if res else 0

    def list(self) -> list[dict[str, Any]]:
        return [task_out(r["t"]) for r in self.store.read(Q_TASK_LIST)]

    def get(self, number: Any) -> dict[str, Any]:
        n = parse_number(number)
        rows = self.store.read(Q_TASK_GET, {"number": n})
        if not rows:
            raise NotFound(f"规划任务 {n} 不存在 / there is no plan task {n}")
        return task_out(rows[0]["t"])

    def history(self, number: Any) -> list[dict[str, Any]]:
        """The task's status changes, newest first (from the change log)."""
        task = self.get(number)
        return [c for c in self.registry.changes(entity_id=task["id"], limit=500)]

    def set_status(self, number: Any, *, status: str, version: Any, note: str | None, by: str,
                   date: str | None = None, why: str | None = None) -> dict[str, Any]:
        """Set a task's status against ``version`` with a dated evidence note; a stale version is a Conflict."""
        if status not in TASK_STATUSES:
            raise InvalidInput(f"status: 未知的任务状态 {str(status)[:40]!r}，可用：{', '.join(TASK_STATUSES)} / "
                               "unknown task status",
                               details=[{"field": "status", "value": str(status)[:40], "message": "unknown status"}])
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidInput(f"version: 需要整数版本号，收到 {version!r} / version must be an integer",
                               details=[{"field": "version", "value": str(version)[:20], "message": "integer"}])
        if note is not None and not isinstance(note, str):
            raise InvalidInput("note: 说明应为文字 / note must be text")
        note = (note or "").strip()
        try:
            note = check_text(note, "note", MAX_NOTE)
        except ValueError as exc:
            raise InvalidInput(f"note: {exc}", details=[{"field": "note", "message": str(exc)}]) from None
        if not note:
            raise InvalidInput("note: 请写明进展依据（日期、事实）/ write the evidence for the status (what, when)",
                               details=[{"field": "note", "message": "required"}])
        at = now_iso()
        day = _day(date) if date else at[:10]
        current = self.get(number)
        if current["version"] != version:
            raise Registry._stale(current["id"], version, current["version"])
        notes = current["notes"] + [{"date": day, "at": at, "by": by, "status": status, "note": note}]
        change = _change("update", by=by, why=why or note, entity_id=current["id"], at=at,
                         diff={"status": [current["status"], status], "note": [None, note]},
                         summary=f"规划任务 {current['number']}（{current['title']}）状态 / task status: "
                                 f"{current['status']} → {status}")
        rows = self.store.write(Q_TASK_SET_STATUS, {
            "number": current["number"], "version": version, "status": status,
            "notes": json.dumps(notes, ensure_ascii=False), "now": at, "by": by, "change": change})
        if not rows:
            latest = self.get(number)
            raise Registry._stale(current["id"], version, latest["version"])
        return task_out(rows[0]["t"])


def _day(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"20[0-9]{2}-[01][0-9]-[0-3][0-9]", text):
        raise InvalidInput(f"date: 日期应写作 YYYY-MM-DD，不是 {text[:20]!r} / a date is YYYY-MM-DD",
                           details=[{"field": "date", "value": text[:20], "message": "YYYY-MM-DD"}])
    return text


def by_unit(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each responsible unit owes: its tasks as lead unit and as co-responsible unit, and how many are late.

    Units in the order they first appear in the plan; tasks in plan order."""
    units: dict[str, dict[str, Any]] = {}
    for t in tasks:
        for i, name in enumerate(t["responsible_units"]):
            u = units.setdefault(name, {"unit": name, "lead": [], "co": [], "late": 0, "done": 0})
            (u["lead"] if i == 0 else u["co"]).append(t)
            u["late"] += t["status"] == "late"
            u["done"] += t["status"] == "done"
    return list(units.values())
