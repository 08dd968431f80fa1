"""Load the seed dataset into the registry.

Everything is read and validated first (``seed.dataset.load_dataset``): a bad
row stops the load with its file, row and reason before anything is written.
Loading twice leaves the same graph: unchanged records are not rewritten, and a
field a user changed after the seed wrote it is never overwritten: it is listed
as a conflict instead (``Registry.upsert_seed``).
"""

from __future__ import annotations

from typing import Callable, Optional

from registry.repository import Registry

SEED_USER = "seed"


def load_seed(registry: Registry, *, data_dir=None,
              progress: Optional[Callable[[str, int, int], None]] = None) -> dict:
    """Write the seed into the registry; returns what was read, what changed, and the conflicts: the
    fields a user changed since the seed wrote them, which are left as the user made them
    (``record``, ``field``, ``seed`` value, ``current`` value)."""
    from seed.dataset import load_dataset

    entities, relations = load_dataset(data_dir)
    from registry.tasks import Tasks, read_tasks
    from seed.dataset import default_data_dir

    tasks = read_tasks(data_dir if data_dir is not None else default_data_dir())  # the plan's 23 tasks (issue 13)
    kinds = {e["id"]: e["kind"] for e in entities}
    why = "种子数据：来自五份政策文件 / seed data from the five source documents"
    result = registry.upsert_seed(entities, relations, by=SEED_USER, why=why, known_kinds=kinds, progress=progress)
    tasks_written = Tasks(registry).load(tasks, by=SEED_USER, why=why)
    read_kinds: dict[str, int] = {}
    for e in entities:
        read_kinds[e["kind"]] = read_kinds.get(e["kind"], 0) + 1
    return {"entities": len(entities), "relations": len(relations), "by_kind": read_kinds,
            "written": result["written"], "relations_written": result["relations_written"],
            "conflicts": result["conflicts"], "tasks": len(tasks), "tasks_written": tasks_written}


def seed_if_empty(registry: Registry) -> dict | None:
    """Seed a registry that holds no records yet (the first run of the app)."""
    if registry.counts()["total_entities"]:
        return None
    return load_seed(registry)
