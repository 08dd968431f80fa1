"""`xijin ingest`: read a plan, opinion or report into proposals, each with its verbatim quote (issue 14).

    xijin ingest FILE [--json] [--instance DIR]

    xijin ingest FILE --apply --accept-all --as USER --reason TEXT [--instance DIR] [--json]

Without ``--apply`` it prints proposals (organisations, chain segments, targets, tasks, relations) and writes nothing. With an
existing instance, organisation and segment names are matched against that registry's names and aliases (exact, or
near matches flagged; never merged). ``--apply --accept-all`` writes every proposal as one change set, as the
named editor (``registry.ingest_apply``); review proposal by proposal on the web page /ingest.
Exit 0 when read (or applied); 2 on a file it cannot read (a scan, an old .doc, not text) or, with --apply, proposals still needing a choice; 3 when --instance has no registry.
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
    @click.option("--apply", "apply_", is_flag=True,
                  help="把接受的建议写入登记库（一个变更批次）/ write the accepted proposals (one change set)")
    @click.option("--accept-all", is_flag=True, help="接受全部建议（与 --apply 同用）/ accept every proposal (with --apply)")
    @click.option("--as", "as_user", metavar="USER", help="以该用户身份写入 / the user who applies")
    @click.option("--reason", metavar="TEXT", help="理由（记入变更日志）/ why (goes into the change log)")
    def ingest(instance, file, as_json, apply_, accept_all, as_user, reason):
        """从政策文件中提取企业、目标、任务与关系（附原文引用；加 --apply 才写入）/ Propose records from a document's text."""
        from registry import ingest as ing

        if apply_:
            return _apply(instance, file, as_json=as_json, accept_all=accept_all, as_user=as_user, reason=reason)
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


def _apply(instance, file: Path, *, as_json: bool, accept_all: bool, as_user, reason) -> None:
    """``--apply``: propose against the registry, accept every proposal (``--accept-all``: the person named by
    ``--as`` takes them all, as the review page's "accept all" does), and write them as one change set. Refused
    (exit 2, nothing written) while a proposal needs a choice (a near match) or has a problem: review those on
    the web page (/ingest)."""
    import sys

    from registry import ingest as ing
    from registry import ingest_apply as IA
    from registry.instance import open_registry
    from xijin.import_cmd import _reason, _signed_in

    if not accept_all:
        raise click.UsageError("--apply 需要 --accept-all（逐条审阅请用网页 /ingest）/ --apply needs --accept-all "
                               "(review proposal by proposal on the web page /ingest)")
    body = ing.read_document(file).replace("\r\n", "\n")
    with open_registry(instance, setup=True) as reg:
        who = _signed_in(reg, as_user)
        why = _reason(reason)
        proposals = ing.propose(body, IA.registry_names(reg), document=file.name)
        review = IA.plan_ingest(reg, proposals, body, file=file.name, by=who, decisions=IA.accept_all(proposals))
        if review.problems:
            for r in review.problems[:50]:
                click.echo(f"  ✗ {r.key} {r.name}: {' / '.join(r.problem or ('', ''))}", err=True)
            click.echo(f"有 {len(review.problems)} 条建议需要处理，未写入任何内容；请在网页 /ingest 审阅 / "
                       f"{len(review.problems)} proposals need a decision; nothing was written: review them on /ingest",
                       err=True)
            sys.exit(2)
        summary = IA.apply_ingest(reg, review, by=who, why=why)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo(f"已写入：新建 {summary['created']} 条，补充来源 {summary['changed']} 条，规划任务 {summary['tasks']} 项；"
                   f"变更批次 {summary['change_set']} / written: {summary['created']} created, {summary['changed']} "
                   f"given a source, {summary['tasks']} plan tasks; change set {summary['change_set']}")
