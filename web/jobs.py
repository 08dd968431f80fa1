"""Long work off the request: a small registry of background jobs (an import's preview, apply, undo).

A job runs one function in a thread inside the app's context and records where it is (``stage``, ``done``,
``total``), then its ``result`` or its ``error`` (a ``registry.errors`` error, kept as the error itself so
the page can say what went wrong in words). Jobs belong to the user who started them: another user asking
for it is told there is no such job. Finished jobs are forgotten after ``KEEP_SECONDS``.

The registry lives in the process (``app.extensions``): a page that finds its job gone (the server
restarted) starts the work again from what it saved on disk.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, current_app

from registry.errors import NotFound, RegistryError

EXT = "xijin_jobs"
KEEP_SECONDS = 6 * 3600
MAX_RUNNING = 4  # per process: an import holds a whole file and its plan in memory


@dataclass
class Job:
    id: str
    owner: str
    name: str                      # what it does: "preview", "apply", "undo"
    status: str = "running"        # running | done | error
    stage: str = ""
    done: int = 0
    total: int = 0
    result: Any = None
    error: RegistryError | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def progress(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total

    def status_json(self) -> dict[str, Any]:
        out = {"id": self.id, "name": self.name, "status": self.status, "stage": self.stage, "done": self.done,
               "total": self.total, "seconds": round((self.finished or time.time()) - self.started, 1)}
        if self.error is not None:
            out["error"] = self.error.message
            out["code"] = self.error.code
        return out


class Jobs:
    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, app: Flask, owner: str, name: str, work: Callable[[Job], Any], *, job_id: str | None = None) -> Job:
        """Run ``work(job)`` in a thread inside ``app``'s context; the job under ``job_id`` (or a new id)."""
        with self._lock:
            self._forget_old()
            running = [j for j in self._jobs.values() if j.status == "running"]
            old = self._jobs.get(job_id) if job_id else None
            if old is not None and old.status == "running":
                return old  # the same work asked twice (a double click): one job
            if len(running) >= MAX_RUNNING:
                from registry.errors import Conflict

                raise Conflict(f"已有 {len(running)} 个导入任务在运行，请稍后再试 / {len(running)} imports are "
                               "running: try again in a moment")
            job = Job(job_id or uuid.uuid4().hex, owner, name)
            self._jobs[job.id] = job
        thread = threading.Thread(target=self._run, args=(app, job, work), name=f"job-{name}", daemon=True)
        thread.start()
        return job

    @staticmethod
    def _run(app: Flask, job: Job, work: Callable[[Job], Any]) -> None:
        with app.app_context():
            try:
                job.result = work(job)
                job.status = "done"
            except RegistryError as exc:
                job.error, job.status = exc, "error"
            except Exception as exc:  # a defect: logged, and the page says so instead of spinning for ever
                app.logger.exception("background job %s failed", job.name)
                job.error, job.status = RegistryError(f"内部错误，已记录 / internal error (logged): "
                                                      f"{type(exc).__name__}"), "error"
            finally:
                job.finished = time.time()

    def get(self, job_id: str, owner: str) -> Job | None:
        """The job if it exists and belongs to ``owner``, else None."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def need(self, job_id: str, owner: str) -> Job:
        job = self.get(job_id, owner)
        if job is None:
            raise NotFound("没有这个导入任务（或它不属于你）/ no such import job (or it is not yours)")
        return job

    def drop(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def _forget_old(self) -> None:
        now = time.time()
        for jid in [j.id for j in self._jobs.values() if j.finished and now - j.finished > KEEP_SECONDS]:
            del self._jobs[jid]


def jobs(app: Flask | None = None) -> Jobs:
    return (app or current_app).extensions[EXT]


def init_app(app: Flask) -> None:
    app.extensions[EXT] = Jobs()
