"""`xijin import`: a spreadsheet into the registry, previewed, then applied all or nothing (issue 10).

    xijin import FILE [--dry-run] [--skip-invalid] [--json] --as USER --reason TEXT
    xijin import --template KIND FILE
    xijin import --undo CHANGE_SET --as USER --reason TEXT

Exit 0 when applied (or a clean dry run), 2 when rows were rejected and nothing was applied.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from registry.errors import InvalidInput
from registry.messages import text


def _both(msgid: str, **params) -> str:
    return f"{text(msgid, 'zh', **params)} / {text(msgid, 'en', **params)}"


def _signed_in(reg, name: str | None, *, admin: bool = False) -> str:
    """The user a command writes as: an enabled editor (or admin) of this registry."""
    from registry.users import RANK, Users

    if not name:
        raise InvalidInput("--as: 请写明以哪个用户的身份导入（记入变更日志）/ say which user imports (--as USER)")
    user = Users(reg.store).find(name)
    need = "admin" if admin else "editor"
    if user is None or user.get("disabled") or RANK.get(user.get("role"), -1) < RANK[need]:
        raise InvalidInput(f"--as: '{name}' 不是可用的{'管理员' if admin else '编辑或管理员'}账号 / "
                           f"'{name}' is not an enabled {need} account of this registry (xijin user list)")
    return user["name"]


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise InvalidInput("--reason: 请写明导入理由（记入变更日志）/ say why (--reason TEXT; it goes into the change log)")
    return reason.strip()


def _print_plan(plan, applied: bool, set_id: str | None) -> None:
    c = plan.counts
    click.echo(_both("imports.cli.counts", created=c["created"], changed=c["changed"], unchanged=c["unchanged"],
                     rejected=c["rejected_rows"]))
    for item in plan.of("change")[:20]:
        fields = "; ".join(f"{f['field']}: {_short(f['before'])} → {_short(f['after'])}" for f in item.fields)
        click.echo(f"  ~ {item.sheet}:{item.row} {item.name} ({item.id}): {fields}")
    if len(plan.of("change")) > 20:
        click.echo(f"  … (+{len(plan.of('change')) - 20})")
    for r in plan.rejected[:50]:
        click.echo(f"  ✗ {r.sheet} 第{r.row}行/row {r.row} [{r.column}] {_short(r.value)!s}: {r.reason}")
    if len(plan.rejected) > 50:
        click.echo(f"  … (+{len(plan.rejected) - 50})")
    if applied:
        click.echo(_both("imports.cli.applied", set_id=set_id))
    elif plan.rejected:
        click.echo(_both("imports.cli.not_applied"), err=True)
    else:
        click.echo(_both("imports.cli.dry_run"))


def _short(value, width: int = 40) -> str:
    s = "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return s if len(s) <= width else s[:width - 1] + "…"


def make_command(instance_option, progress):
    @click.command("import")
    @instance_option
    @click.argument("file", type=click.Path(path_type=Path), required=False)
    @click.option("--dry-run", is_flag=True, help="只预览，不写入 / preview only, write nothing")
    @click.option("--skip-invalid", is_flag=True, help="跳过无效行，导入其余 / skip the rejected rows, import the rest")
    @click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象 / print one JSON object")
    @click.option("--as", "as_user", metavar="USER", help="以该用户身份导入 / the user who imports")
    @click.option("--reason", metavar="TEXT", help="导入理由（记入变更日志）/ why (goes into the change log)")
    @click.option("--kind", type=click.Choice(["enterprise", "platform", "project", "relation"]),
                  help="CSV 文件的记录类型（默认由表头判断）/ kind of a CSV's rows (told from its headers by default)")
    @click.option("--sheet", help="只导入这个工作表 / import this sheet only")
    @click.option("--template", "template", metavar="KIND",
                  type=click.Choice(["enterprise", "platform", "project", "relation", "all"]),
                  help="把导入模板写到 FILE / write the import template of KIND to FILE")
    @click.option("--undo", "undo", metavar="CHANGE_SET", help="撤销一次导入（管理员）/ undo an import (admin)")
    def import_(instance, file, dry_run, skip_invalid, as_json, as_user, reason, kind, sheet, template, undo):
        """从 XLSX/CSV 导入企业、平台、项目与关系（先预览，全部成功才写入）/ Import records from XLSX or CSV."""
        from registry import importer, tabular
        from registry.instance import open_registry

        if template:
            if file is None:
                raise click.UsageError("--template KIND FILE: 请给出要写入的文件 / give the file to write")
            with open(file, "wb") as fh:
                if template == "all":
                    tabular.write_workbook_template(fh)
                else:
                    tabular.write_template(template, fh)
            click.echo(_both("imports.cli.template", kind=template, file=str(file)))
            return
        if undo:
            with open_registry(instance, setup=True) as reg:
                who = _signed_in(reg, as_user, admin=True)
                result = importer.undo_import(reg, undo, by=who, why=_reason(reason),
                                              progress=None if as_json else _stage_progress(progress))
            click.echo(json.dumps(result, ensure_ascii=False) if as_json else _both("imports.cli.undone", **result))
            return
        if file is None:
            raise click.UsageError("FILE: 请给出要导入的文件 / give the file to import")
        data = _read(file)
        with open_registry(instance, setup=True) as reg:
            who = _signed_in(reg, as_user)
            why = _reason(reason)
            tables = tabular.read_file(data, file.name, kind=kind, sheet=sheet)
            show = None if as_json else _stage_progress(progress)
            plan = importer.plan_import(reg, tables, file=file.name, by=who, progress=show)
            applied, set_id = False, None
            if not dry_run and (not plan.rejected or skip_invalid):
                set_id = importer.apply_import(reg, plan, by=who, why=why, skip_invalid=skip_invalid,
                                               progress=show)["change_set"]
                applied = True
        if as_json:
            click.echo(json.dumps(plan.summary(applied=applied, set_id=set_id), ensure_ascii=False))
        else:
            _print_plan(plan, applied, set_id)
        if plan.rejected and not applied and not (dry_run and skip_invalid):
            sys.exit(2)

    return import_


def _read(path: Path) -> bytes:
    from registry.tabular import MAX_BYTES

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InvalidInput(f"文件过大（{size // (1024 * 1024)} MB，上限 {MAX_BYTES // (1024 * 1024)} MB）/ "
                               f"the file is too big ({size} bytes, at most {MAX_BYTES})")
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"找不到文件 {path} / no such file: {path}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} 是目录，不是文件 / {path} is a folder, not a file") from None
    except PermissionError:
        raise InvalidInput(f"没有读取 {path} 的权限 / no permission to read {path}") from None


def _stage_progress(progress):
    shows = {}

    def show(stage: str, done: int, total: int):
        if stage not in shows:
            shows[stage] = progress({"preview": "预览/preview", "apply": "写入/apply", "undo": "撤销/undo"}.get(stage, stage))
        shows[stage](done, total)
    return show
