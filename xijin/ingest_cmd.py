"""`xijin ingest`: read a plan, opinion or report into proposals, each with its verbatim quote (issue 14).

    xijin ingest FILE [--json] [--instance DIR]

Read-only: it prints proposals (organisations, chain segments, targets, tasks, relations) and writes nothing.
With an existing instance, organisation and segment names are matched against that registry's names and aliases
(exact, or near matches flagged; never merged). The review page and the apply path are not built yet.
Exit 0 when read; 2 on a file it cannot read (.docx / .pdf / not text); 3 when --instance has no registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from registry.messages import text


def _both(msgid: str, **params) -> str:
    return f"{text(msgid, 'zh', **params)} / {text(msgid, 'en', **params)}"


def registry_names(reg) -> dict[str, tuple[str, str]]:
    """Name and every alias of each record → (id, kind), for matching proposals against the registry."""
    nodes, _ = reg.export_graph()
    out: dict[str, tuple[str, str]] = {}
    for n in nodes:
        for name in [n.get("name"), *(n.get("aliases") or [])]:
            if name and name not in out:
                out[name] = (n["id"], n.get("kind"))
    return out


def _short(s: str, n: int = 60) -> str:
    s = s.replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


def _tag(m: dict) -> str:
    return {"exact": f"= {m.get('id')}", "near": "≈ " + ", ".join(c["name"] for c in m.get("candidates", [])),
            "new": "+"}[m["status"]]


def make_command(instance_option):
    @click.command("ingest")
    @instance_option
    @click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
    @click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象 / print one JSON object")
    def ingest(instance, file, as_json):
        """从政策文件中提取企业、目标、任务与关系（只读，附原文引用）/ Propose records from a document's text."""
        from registry import ingest as ing

        names = {}
        if instance is not None:
            from xijin.cli import read_registry

            with read_registry(instance) as reg:
                names = registry_names(reg)
        body = ing.read_document(file).replace("\r\n", "\n")
        result = ing.propose(body, names, document=Path(file).name)
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False, indent=1))
            return
        click.echo(_both("ingest.cli.summary", file=Path(file).name, organisations=len(result["organisations"]),
                         segments=len(result["segments"]), targets=len(result["targets"]), tasks=len(result["tasks"]),
                         relations=len(result["relations"])))
        click.echo("\n# " + _both("ingest.cli.tasks"))
        for t in result["tasks"]:
            click.echo(f"  {t['number']}. {t['title']} — {'、'.join(t['responsible_units'])}")
        click.echo("\n# " + _both("ingest.cli.targets"))
        for t in result["targets"]:
            value = f"{t['value']}-{t['value_max']}" if t.get("value_max") is not None else str(t["value"])
            q = f" [{t['qualifier']}]" if t.get("qualifier") else ""
            click.echo(f"  {t['metric']} {t['comparison']} {value}{t['unit']} ({t['period']}){q}")
        click.echo("\n# " + _both("ingest.cli.organisations"))
        for o in result["organisations"]:
            click.echo(f"  [{o['kind']}] {o['name']}  {_tag(o['match'])}")
        click.echo("\n# " + _both("ingest.cli.segments"))
        for sg in result["segments"]:
            parent = f" < {sg['parent']}" if sg.get("parent") else ""
            click.echo(f"  {sg['name']}{parent}  {_tag(sg['match'])}")
        click.echo("\n# " + _both("ingest.cli.relations"))
        for r in result["relations"]:
            click.echo(f"  {r['source']} -{r['type']}-> {r['target'] or ''}  「{_short(r['quote'])}」")
        click.echo("\n" + _both("ingest.cli.readonly"))

    return ingest
