"""The `xijin` command. Its default command is `serve`.

Expected errors (bad input, store unreachable, conflicts) print one line and
exit non-zero, with the exit code of the error's class; no traceback.
"""

from __future__ import annotations

import json
import signal
import sys
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from registry import settings
from registry.dialect import SCHEMA_VERSION
from registry.errors import Conflict, DiskFull, InvalidInput, NotFound, RegistryError, StoreUnavailable
from registry.instance import open_registry, registry_of
from registry.messages import localise, text
from registry.repository import Registry

# error class -> exit code; a subclass (e.g. graph's GapNotFound) exits with its nearest base's
EXIT_CODES: dict[type[RegistryError], int] = {
    InvalidInput: 2,
    NotFound: 3,
    Conflict: 4,
    StoreUnavailable: 5,
    DiskFull: 6,
}


def exit_code(exc: RegistryError) -> int:
    """The exit code of a registry error: that of the first class in its MRO with one, else 1."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


# The instance folder holds the embedded store and an optional config.py.
instance_option = click.option(
    "--instance", type=click.Path(file_okay=False, path_type=Path), envvar="XIJIN_INSTANCE",
    default=None, help="实例目录（内置数据库与 config.py 所在）/ instance folder [default: ./instance]")


def require_registry(instance: Path | None) -> dict:
    """The settings of an instance that holds a registry; else NotFound "no registry at …" (exit 3). Creates
    nothing: read-only commands must not leave an empty instance behind a typing mistake."""
    folder = (Path(instance) if instance is not None else settings.default_instance()).expanduser().resolve()
    config = settings.load(folder)
    if config.get("NEO4J_URI"):
        return config  # the registry is on the server; the folder only holds settings, if anything
    if not folder.is_dir() or not Path(config["DATA_DIR"]).is_dir():
        raise NotFound(_both("print.cli.no_registry", path=str(folder)))
    return config


@contextmanager
def read_registry(instance: Path | None) -> Iterator[Registry]:
    """The registry of an existing instance for a read-only command (see :func:`require_registry`)."""
    from registry.store import StoreHolder

    holder = StoreHolder(require_registry(instance))
    try:
        yield registry_of(holder)
    finally:
        holder.close()


def _app(instance: Path | None):
    """The web app of an instance: only `serve` (and its `--get`) needs one."""
    from web import create_app

    return create_app(instance_path=str(settings.instance_folder(instance)))


def _progress(label: str):
    """A one-line progress display on stderr for long work."""
    state = {"t": 0.0}

    def show(done: int, total: int, what: str | None = None):
        now = time.monotonic()
        if done < total and now - state["t"] < 0.2:
            return
        state["t"] = now
        width = 30
        filled = int(width * done / total) if total else width
        click.echo(f"\r{label}{' ' + what if what else ''} [{'#' * filled}{'.' * (width - filled)}] "
                   f"{done}/{total}", nl=done >= total, err=True)
    return show


class DefaultGroup(click.Group):
    """`xijin` alone, or `xijin --port 8080`, means `xijin serve`.

    An expected error of any command prints one line (no traceback) and exits with its class's code.
    """

    def parse_args(self, ctx, args):
        if not args or (args[0].startswith("-") and args[0] not in ("--help", "-h", "--version")):
            args = ["serve", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except RegistryError as exc:  # graph's errors are registry errors too
            click.echo(f"错误 / error: {exc.message}", err=True)
            if isinstance(exc, StoreUnavailable):
                click.echo("  提示 / hint: `xijin doctor` 检查存储 / checks the store", err=True)
            ctx.exit(exit_code(exc))


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xijin-atlas")
def cli():
    """稀金图谱 Xijin Atlas — 赣州稀土新材料及应用集群 企业名录与产业链图谱."""


@cli.command()
@instance_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址。默认只允许本机访问；在办公网内共享需先在 TRUSTED_HOSTS 中写明本机的名称，并用 "
                   "xijin user add 创建账号 / listen address; the default accepts this computer only. To share on "
                   "the office network, name this server in TRUSTED_HOSTS and create accounts with xijin user add")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="端口 / port")
@click.option("--no-seed", is_flag=True, help="空库时不载入种子数据 / do not seed an empty store")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--get", "get_path", metavar="PATH",
              help="只应答一个请求并退出（自检）/ answer one request for PATH, print it and exit (smoke test)")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="与 --get 同用：把应答写入文件（如 XLSX）/ with --get: write the body to this file (e.g. an XLSX)")
def serve(instance, host, port, no_seed, threads, get_path, output):
    """启动网页应用（默认命令）/ Start the web app (the default command)."""
    if get_path:
        require_registry(instance)  # a smoke test reads: it never makes an instance
    app = _app(instance)
    from web.store import store_holder

    # listen before anything else: a bad host or a busy port is one line and exit 2, before the store opens
    server = None if get_path else _listen(app, host, port, threads)
    holder = store_holder(app)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that `finally` stops the store cleanly
    try:
        t0 = time.monotonic()
        reg = registry_of(holder)
        reg.setup_schema()
        click.echo(f"存储 / store: {_describe(reg)}  ({time.monotonic() - t0:.2f}s)", err=True)
        if app.config.get("SEED_ON_START") and not no_seed:
            from seed.loader import seed_if_empty

            result = seed_if_empty(reg)
            if result:
                click.echo(f"已载入种子数据 / seeded: {result['entities']} records, "
                           f"{result['relations']} relations", err=True)
        if get_path:
            client = app.test_client()
            resp = client.get(get_path)
            _write_body(resp, output)
            sys.exit(0 if resp.status_code < 400 else 1)
        click.echo(f"稀金图谱已启动 / Xijin Atlas is running: http://{host}:{port}/  (Ctrl-C 停止 / to stop)",
                   err=True)
        server.run()
    finally:
        # a second TERM or Ctrl-C while the store is closing must not cut the close short (the store would be
        # left running, its last writes unconfirmed): from here on both are ignored
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if server is not None:
            server.close()
        problem = holder.close()
        if not get_path:
            # say "saved" only when the store confirmed that its log of every acknowledged write is intact
            click.echo(f"已停止，但数据可能未全部保存 / stopped, but the data may NOT all be saved: {problem}"
                       if problem else "已停止，数据已保存 / stopped, data saved", err=True)


def _listen(app, host: str, port: int, threads: int):
    """The waitress server, bound to host:port; a host or port it cannot use is an InvalidInput (exit 2)."""
    import errno

    from waitress import create_server

    try:
        return create_server(app, host=host, port=port, threads=threads, ident="xijin")
    except ValueError:  # waitress: the host is not a name or address it can resolve
        reason = "bad_host"
    except OSError as exc:
        reason = {errno.EADDRINUSE: "port_busy", errno.EADDRNOTAVAIL: "not_here",
                  errno.EACCES: "no_permission"}.get(exc.errno, "other")
        if reason == "other":
            raise InvalidInput(f"{text('print.cli.listen.other', 'zh', host=host, port=port, why=exc.strerror)} / "
                               f"{text('print.cli.listen.other', 'en', host=host, port=port, why=exc.strerror)}") from None
    raise InvalidInput(_both(f"print.cli.listen.{reason}", host=host, port=port)) from None


def _write_body(resp, output: Path | None) -> None:
    """A `--get` answer as it is: text to the terminal, any other body (an XLSX, an image) byte for byte to
    standard output or to ``output``."""
    body = resp.get_data()
    if output is not None:
        output.write_bytes(body)
        click.echo(_both("print.cli.get.written", path=str(output), n=len(body), status=resp.status_code), err=True)
        return
    textual = resp.mimetype.startswith("text/") or resp.mimetype in ("application/json", "application/javascript",
                                                                      "image/svg+xml") or resp.is_json
    if textual:
        click.echo(resp.get_data(as_text=True))
        return
    out = sys.stdout.buffer
    out.write(body)
    out.flush()


def _describe(reg: Registry) -> str:
    d = reg.store.describe()
    where = d.get("uri") or d.get("data_dir") or d.get("socket")
    return f"{d['store']} @ {where}"


@cli.command()
@instance_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
def status(instance, as_json):
    """存储、位置、记录数与模式版本 / Which store, where, counts and schema version."""
    with read_registry(instance) as reg:
        counts = reg.counts()
        info = {"store": reg.store.describe(), "schema_version": reg.schema_version(), "counts": counts}
        if as_json:
            click.echo(json.dumps(info, ensure_ascii=False, indent=2))
            return
        click.echo(f"存储 / store:        {_describe(reg)}")
        click.echo(f"模式版本 / schema:   {info['schema_version'] or '未建立 / not set up'}")
        from registry.model import kind_name

        for kind, n in counts["entities"].items():
            click.echo(f"  {kind_name(kind):<8} {kind:<11} {n:>7}")
        click.echo(f"  关系 relations        {counts['total_relations']:>7}")


@cli.command()
@instance_option
def doctor(instance):
    """检查存储可达、模式就绪 / Check the store is reachable and its schema is in place."""
    with read_registry(instance) as reg:
        reg.store.ping()
        click.echo(f"✓ 存储可达 / store reachable: {_describe(reg)}")
        ok, missing = reg.store.schema_ok()
        if not ok:
            click.echo(f"✗ 模式不完整，缺少 / schema incomplete, missing: {missing}\n"
                       "  运行 `xijin serve` 或 `xijin seed` 会自动建立 / `xijin serve` or `xijin seed` sets it up",
                       err=True)
            sys.exit(1)
        version = reg.schema_version()
        if version is not None and version < SCHEMA_VERSION:
            click.echo(f"✗ 数据由旧版本写入（模式版本 {version}），需要迁移 / the data was written by an older "
                       f"version (schema {version}, now {SCHEMA_VERSION}) and needs migrating\n"
                       "  运行 `xijin serve` 或 `xijin seed` 会自动迁移 / `xijin serve` or `xijin seed` migrates it",
                       err=True)
            sys.exit(1)
        click.echo(f"✓ 模式就绪 / schema in place (version {version})")


def _both(msgid: str, **params) -> str:
    """A catalogue message in Chinese, then English (the seed command speaks both, as its other lines do)."""
    return f"{text(msgid, 'zh', **params)} / {text(msgid, 'en', **params)}"


def _shown(value, width: int = 60) -> str:
    out = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return out if len(out) <= width else out[:width - 1] + "…"


@cli.command()
@instance_option
@click.option("--reset", is_flag=True,
              help="先备份再清空整个库（含变更日志）后载入，需确认 / back everything up, delete it, then load (asks first)")
@click.option("--yes", "-y", is_flag=True, help="--reset 不再询问（脚本用）/ do not ask before --reset (for scripts)")
def seed(instance, reset, yes):
    """载入种子数据（可重复运行，不覆盖用户的修改）/ Load the seed dataset (safe to run again; never over a user's edit)."""
    from registry.instance import write_backup
    from seed.loader import load_seed

    if reset and not yes and not sys.stdin.isatty():
        click.echo(_both("cli.seed.reset_needs_yes"), err=True)
        sys.exit(2)
    with open_registry(instance, setup=True) as reg:
        if reset:
            counts = reg.counts()
            if not yes and not click.confirm(_both("cli.seed.reset_confirm", records=counts["total_entities"],
                                                   relations=counts["total_relations"]), default=False):
                click.echo(_both("cli.seed.reset_aborted"), err=True)
                sys.exit(1)
            path = write_backup(reg, instance)
            click.echo(_both("cli.seed.backup", path=str(path)))
            reg.store.clear()
            reg.setup_schema()
        bar = _progress("载入 / loading")
        result = load_seed(reg, progress=lambda what, d, t: bar(d, t, what))
        click.echo(f"种子数据 / seed: {result['entities']} records, {result['relations']} relations read; "
                   f"written now: {sum(result['written'].values())} records, "
                   f"{sum(result['relations_written'].values())} relations (unchanged ones are left alone)")
        for kind, n in sorted(result["by_kind"].items()):
            click.echo(f"  {kind:<11} {n:>5}")
        if result["conflicts"]:
            click.echo(_both("cli.seed.conflicts", n=len(result["conflicts"])))
            for c in result["conflicts"]:
                click.echo(text("cli.seed.conflict", "zh", record=c["record"], field=c["field"],
                                seed=_shown(c["seed"]), current=_shown(c["current"])))


def _analysis_graph(reg: Registry):
    """The registry as a networkx graph for the analysis package (one read of everything)."""
    from graph import build_graph

    return build_graph(*reg.export_graph())


def _emit(data, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else text)


json_option = click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)


# ---------------------------------------------------------------- names or ids
def _norm(value) -> str:
    """A name as compared: full-width forms folded (NFKC), case and spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", str(value or "")).casefold().split())


def _choice_line(n: str, d: dict) -> str:
    from registry.model import kind_name

    return f"  {n}  {d.get('name') or n}（{kind_name(d.get('kind')) if d.get('kind') else '?'}）"


def closest_names(G, wanted: str, *, kinds: tuple[str, ...] | None = None, limit: int = 5) -> list[str]:
    """Ids of the records whose name or alias is nearest to ``wanted``: names containing it (or contained in
    it) first, shortest first, then by similarity (rapidfuzz)."""
    key = _norm(wanted)
    names: dict[str, str] = {}
    for n, d in G.nodes(data=True):
        if kinds and d.get("kind") not in kinds:
            continue
        for name in [d.get("name") or n, *(d.get("aliases") or ())]:
            names.setdefault(f"{n}\x00{name}", _norm(name))
    inside = sorted((len(v), k.split("\x00")[0]) for k, v in names.items() if key and v and (key in v or v in key))
    out = list(dict.fromkeys(n for _, n in inside))[:limit]
    if len(out) < limit and key:
        from rapidfuzz import fuzz, process

        for _, _, k in process.extract(key, names, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=40):
            n = k.split("\x00")[0]
            if n not in out:
                out.append(n)
            if len(out) >= limit:
                break
    return out


def resolve_entity(G, wanted: str, *, kinds: tuple[str, ...] | None = None) -> str:
    """The id of the record ``wanted`` names: an id, or an exact name or alias (full-width forms, case and
    spaces ignored). Several records of that name: InvalidInput listing them (exit 2); none: NotFound
    with the closest names (exit 3)."""
    if wanted in G:
        return wanted
    key = _norm(wanted)
    hits = [n for n, d in G.nodes(data=True) if (not kinds or d.get("kind") in kinds)
            and key and (key == _norm(d.get("name")) or key in {_norm(a) for a in d.get("aliases") or ()})]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise InvalidInput("\n".join([_both("print.cli.ambiguous", name=wanted, n=len(hits))]
                                      + [_choice_line(n, G.nodes[n]) for n in sorted(hits)]))
    near = closest_names(G, wanted, kinds=kinds)
    lines = [_both("print.cli.no_match", name=wanted)]
    if near:
        lines.append(_both("print.cli.closest"))
        lines += [_choice_line(n, G.nodes[n]) for n in near]
    raise NotFound("\n".join(lines))


def resolve_gap(G, wanted: str) -> dict:
    """The gap ``wanted`` names: a gap id (as `xijin gaps` prints them) or a gap's exact title."""
    from graph import find_gap, gap_report
    from graph.errors import GapNotFound

    try:
        return find_gap(G, wanted)
    except GapNotFound:
        pass
    gaps = [g for gs in localise(gap_report(G, top=0))["gaps"].values() for g in gs]
    key = _norm(wanted)
    hits = [g for g in gaps if key in (_norm(g.get("title_zh")), _norm(g.get("title_en")))]
    if len(hits) == 1:
        return find_gap(G, hits[0]["id"])
    if hits:
        raise InvalidInput("\n".join([_both("print.cli.ambiguous", name=wanted, n=len(hits))]
                                      + [f"  {g['id']}  {g.get('title_zh')}" for g in hits]))
    from rapidfuzz import fuzz, process

    near = process.extract(key, {g["id"]: _norm(g.get("title_zh")) for g in gaps}, scorer=fuzz.partial_ratio,
                           limit=5, score_cutoff=50)
    lines = [_both("print.cli.no_gap", name=wanted)]
    if near:
        titles = {g["id"]: g.get("title_zh") for g in gaps}
        lines.append(_both("print.cli.closest"))
        lines += [f"  {gid}  {titles[gid]}" for _, _, gid in near]
    raise NotFound("\n".join(lines))


@cli.group(invoke_without_command=True)
@instance_option
@json_option
@lang_option
@click.option("--top", type=click.IntRange(0, 200), default=10, show_default=True,
              help="首屏列出的重点缺口数 / how many top gaps on the first screen")
@click.pass_context
def gaps(ctx, instance, as_json, lang, top):
    """缺口分析报告（补链、强链、延链）/ The gap report: what to attract and strengthen."""
    ctx.ensure_object(dict)
    ctx.obj["instance"] = instance
    ctx.obj["lang"] = lang
    if ctx.invoked_subcommand:
        return
    from graph import gap_report
    from xijin.report_text import format_report_text

    with read_registry(instance) as reg:
        bar = _progress("分析 / analysing")
        G = _analysis_graph(reg)
        report = localise(gap_report(G, top=top, progress=lambda d, t, label: bar(d, t, label)))
        _emit(report, as_json, format_report_text(report, lang=lang))


@gaps.command("candidates")
@click.argument("gap_id", metavar="GAP")
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@json_option
@instance_option
@click.pass_context
def gaps_candidates(ctx, instance, gap_id, limit, as_json):
    """可填补某缺口的集群外企业（附理由）；GAP 为缺口编号或标题 / Outside firms that could fill a gap (GAP: its id or title)."""
    from graph import candidates_for_gap
    from xijin.report_text import format_table

    with read_registry(instance or ctx.obj["instance"]) as reg:
        G = _analysis_graph(reg)
        gap = resolve_gap(G, gap_id)
        result = localise(candidates_for_gap(G, gap, limit=limit))
        gap = localise(gap)
        rows = [{"rank": i, "id": c["id"], "name": c["name"],
                 "reasons": "；".join(r["zh"] for r in c.get("reasons", []))}
                for i, c in enumerate(result.get("candidates", []), 1)]
        text = f"{gap.get('title_zh') or gap['id']}  [{gap['id']}]\n{gap.get('reason_zh', '')}\n\n" + (
            format_table(rows, ["rank", "id", "name", "reasons"], max_width=60) if rows
            else "没有可推荐的候选企业 / no candidates in the registry")
        _emit(result, as_json, text)


def _analyse(ctx, instance, lang, compute, as_json: bool, formatter) -> None:
    """Run one analysis over the registry's graph and print it as text (``formatter``) or JSON. The
    instance may be named on the subcommand or on `gaps`."""
    with read_registry(instance or ctx.obj["instance"]) as reg:
        result = localise(compute(_analysis_graph(reg)))
    _emit(result, as_json, "" if as_json else formatter(result, lang=lang or ctx.obj.get("lang") or "zh"))


@gaps.command("impact")
@click.argument("firm", metavar="FIRM")
@json_option
@instance_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="zh（默认）/ en")
@click.pass_context
def gaps_impact(ctx, instance, lang, firm, as_json):
    """若该企业离开，谁受影响；FIRM 为编号、名称或别名 / What if this firm leaves (FIRM: id, name or alias)."""
    from graph import departure_impact
    from xijin.report_text import format_impact

    _analyse(ctx, instance, lang, lambda G: departure_impact(G, resolve_entity(G, firm, kinds=("enterprise",))), as_json,
             format_impact)


@gaps.command("measures")
@click.argument("entity", metavar="ENTITY")
@json_option
@instance_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="zh（默认）/ en")
@click.pass_context
def gaps_measures(ctx, instance, lang, entity, as_json):
    """网络指标：度、中介中心性、PageRank、社区；ENTITY 为编号或名称 / Network measures of an entity (id or name)."""
    from graph import entity_measures
    from xijin.report_text import format_measures

    _analyse(ctx, instance, lang, lambda G: entity_measures(G, resolve_entity(G, entity)), as_json, format_measures)


@gaps.command("path")
@click.argument("source")
@click.argument("target")
@click.option("--via", type=click.Choice(["supply", "partner", "business", "any"]), default="supply",
              show_default=True)
@json_option
@instance_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="zh（默认）/ en")
@click.pass_context
def gaps_path(ctx, instance, lang, source, target, via, as_json):
    """两个主体之间的最短供应/合作路径（编号或名称）/ Shortest supply or partner path between two entities (ids or names)."""
    from graph import shortest_path
    from xijin.report_text import format_path

    _analyse(ctx, instance, lang, lambda G: shortest_path(G, resolve_entity(G, source), resolve_entity(G, target), via=via),
             as_json, format_path)


# ---------------------------------------------------------------- people and tokens
@cli.command()
@instance_option
@json_option
@lang_option
@click.option("--limit", type=click.IntRange(0, 100_000), default=20, show_default=True,
              help="每组最多列出几行（0：全部）/ lines shown per group (0: all)")
def todo(instance, as_json, lang, limit):
    """待补数据清单：分析需要、登记册还缺的数据 / The data to-do list: what the registry lacks that the analysis needs."""
    from graph.analysis import Analysis
    from xijin.todo_text import fix_path, format_todo_text

    with open_registry(instance) as reg:
        todo_list = localise(Analysis(_analysis_graph(reg)).data_todo())
    if as_json:
        items = [dict(x, fix_path=fix_path(x["fix"])) for g in todo_list["groups"] for x in g["items"]]
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        click.echo(format_todo_text(todo_list, lang=lang, limit=limit or None), nl=False)


@cli.group()
def user():
    """用户与接口令牌 / Users and API tokens."""


def _users(reg: Registry):
    from registry.users import Users

    return Users(reg.store)


def _t(msgid: str, **params) -> str:
    from registry.messages import text

    return f"{text(msgid, 'zh', **params)} / {text(msgid, 'en', **params)}"


@user.command("add")
@instance_option
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "editor", "admin"]), required=True,
              help="viewer 查看/导出，editor 可修改数据，admin 另管理用户与设置 / viewer reads and exports, "
                   "editor changes data, admin also manages users and settings")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（脚本用）/ read the password from standard input")
def user_add(instance, name, role, password_stdin):
    """添加用户（密码在提示下输入两次）/ Add a user (the password is asked twice)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(_t("auth.cli.password"), hide_input=True,
                                confirmation_prompt=_t("auth.cli.password_again"), err=True)
    with open_registry(instance, setup=True) as reg:
        u = _users(reg).add(name, role, password)
    click.echo(_t("auth.cli.added", name=u["name"], role=u["role"]))


@user.command("list")
@instance_option
@json_option
def user_list(instance, as_json):
    """列出用户 / List the users."""
    with open_registry(instance, setup=True) as reg:
        rows = _users(reg).list()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(_t("auth.cli.no_users"))
        return
    from xijin.report_text import format_table

    click.echo(format_table([{**r, "disabled": "disabled" if r["disabled"] else "active",
                              "last_login_at": r["last_login_at"] or ""} for r in rows],
                            ["name", "role", "disabled", "created_at", "last_login_at", "tokens"], max_width=40))


@user.command("disable")
@instance_option
@click.argument("name")
def user_disable(instance, name):
    """停用用户（登录与令牌失效）/ Disable a user: sign-in and every token stop working."""
    with open_registry(instance, setup=True) as reg:
        _users(reg).disable(name)
    click.echo(_t("auth.cli.disabled", name=name))


@user.command("token")
@instance_option
@click.argument("name")
def user_token(instance, name):
    """为用户生成新的接口令牌并打印 / Make a new API token for a user and print it."""
    with open_registry(instance, setup=True) as reg:
        token = _users(reg).new_token(name)
    click.echo(_t("auth.cli.token_note"), err=True)
    click.echo(token)


@user.command("password")
@instance_option
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（脚本用）/ read the password from standard input")
def user_password(instance, name, password_stdin):
    """为用户设置新密码（如从不含密码的备份恢复之后）/ Give a user a new password (e.g. after a restore without passwords)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(_t("auth.cli.password"), hide_input=True,
                                confirmation_prompt=_t("auth.cli.password_again"), err=True)
    with open_registry(instance, setup=True) as reg:
        _users(reg).set_password(name, password)
    click.echo(_t("backup.cli.password_set", name=name))


# ---------------------------------------------------------------- backup and restore
@cli.command("backup")
@instance_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-users", is_flag=True,
              help="连同用户的密码哈希与令牌摘要一起备份（请妥善保管文件）/ include the users' password hashes and "
                   "token digests (keep the file safe)")
def backup_cmd(instance, file, with_users):
    """把整个库（记录、关系、来源文件、变更日志、用户与设置）备份到一个文件；以 .gz 结尾则压缩 /
    Back up the whole registry (records, relations, sources, change log, users, settings) to one file
    (gzip when FILE ends with .gz)."""
    from registry import backup as backups

    bar = _progress(_t("backup.cli.progress_backup"))
    with open_registry(instance) as reg:
        result = backups.backup(reg, file, with_users=with_users, progress=lambda what, d, t: bar(d, t, what))
    c = result["counts"]
    note = "backup.cli.with_credentials" if with_users else "backup.cli.no_credentials"
    click.echo(" / ".join(text("backup.cli.written", lang, path=result["path"], records=c["records"],
                               relations=c["relations"], changes=c["changes"], users=c["users"],
                               settings=c["settings"], credentials=text(note, lang)) for lang in ("zh", "en")))
    if result["left_out"].get("IdempotencyKey"):
        click.echo(_t("backup.cli.left_out", n=result["left_out"]["IdempotencyKey"]), err=True)


@cli.command("restore")
@instance_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True,
              help="目标库不空时替换其全部内容（先完整备份到实例目录的 backups/），需确认 / replace a non-empty "
                   "store's whole content (backed up in full to the instance's backups/ first); asks first")
@click.option("--yes", "-y", is_flag=True, help="--replace 不再询问（脚本用）/ do not ask before --replace (for scripts)")
def restore_cmd(instance, file, replace, yes):
    """把备份文件恢复到空库（非空库需 --replace）/ Restore a backup file into an empty store (--replace for a
    non-empty one)."""
    from registry import backup as backups

    size = file.stat().st_size if file.is_file() else 0
    if size > 10 << 20:
        click.echo(_t("backup.cli.reading", path=str(file), mb=f"{size / (1 << 20):.0f}"), err=True)
    data = backups.read_file(file)  # the whole file is checked before the store is touched
    with open_registry(instance) as reg:
        if replace and not backups.is_empty(reg):
            if not yes and not sys.stdin.isatty():
                click.echo(_t("backup.cli.replace_needs_yes"), err=True)
                sys.exit(2)
            counts = reg.counts()
            if not yes and not click.confirm(_t("backup.cli.replace_confirm", records=counts["total_entities"],
                                                relations=counts["total_relations"],
                                                users=len(_users(reg).list())), default=False):
                click.echo(_t("backup.cli.aborted"), err=True)
                sys.exit(1)
        bar = _progress(_t("backup.cli.progress_restore"))
        result = backups.restore(reg, data, replace=replace,
                                 backup_dir=settings.instance_folder(instance) / "backups",
                                 progress=lambda what, d, t: bar(d, t), checked=True)
    if result["safety_backup"]:
        click.echo(_t("backup.cli.safety", path=result["safety_backup"]))
    c = result["counts"]
    click.echo(_t("backup.cli.restored", path=str(file), records=c["records"], relations=c["relations"],
                  changes=c["changes"], users=c["users"], settings=c["settings"]))
    if result["users_without_password"]:
        click.echo(_t("backup.cli.need_password", n=result["users_without_password"]))


from xijin.import_cmd import make_command as _import_command  # noqa: E402  (needs the options above)

cli.add_command(_import_command(instance_option, _progress))
from xijin.ingest_cmd import make_command as _ingest_command  # noqa: E402

cli.add_command(_ingest_command(instance_option))


def main(argv=None):
    try:
        code = cli.main(args=argv, prog_name="xijin", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消 / aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    if isinstance(code, int) and code:  # a command's ctx.exit(n): an expected error's exit code
        sys.exit(code)
