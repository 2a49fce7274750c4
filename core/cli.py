"""The `wuguan` command: Flask's and Flask-Migrate's commands plus wuguan's own."""
import json
import logging
from pathlib import Path
import secrets
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from . import audit, create_app
from .extensions import db

ADMIN_FILE = "initial-admin.txt"


def _upgrade_to_every_head():
    """Core and each plugin are separate Alembic branches, so "head" is ambiguous: `wuguan db upgrade`
    means every head, as `wuguan init` does."""
    from flask_migrate.cli import db as migrate_group
    for param in migrate_group.commands["upgrade"].params:
        if param.name == "revision":
            param.default = "heads"


_upgrade_to_every_head()


def upgrade_database():
    """Take the database, empty or not, to every head: core's branch and each plugin's."""
    upgrade(revision="heads")


def ensure_admin(username="admin"):
    """The first admin, with a random password kept (0600) in the instance folder for the operator."""
    from pathlib import Path
    from .models import Staff
    path = Path(current_app.instance_path) / ADMIN_FILE
    if db.session.scalar(select(func.count()).select_from(Staff).where(Staff.role == "admin")):
        return (username, path.read_text().strip()) if path.exists() else (None, None)
    password = secrets.token_urlsafe(16)  # 128 random bits: far beyond core.passwords' rule
    create_staff(username, password, "系统管理员", "admin")
    path.write_text(password + "\n")
    path.chmod(0o600)
    return username, password


def create_staff(username, password, display_name, role, org=None):
    from .models import Staff
    staff = Staff(username=username, display_name=display_name, role=role, org=org, can_see_sensitive=role == "admin")
    staff.set_password(password)
    with audit.acting_as("cli"):
        db.session.add(staff)
        db.session.commit()
    return staff


def load_demo(members=None):
    from . import demo
    with click.progressbar(length=demo.STEPS, label="装入演示数据") as bar:
        with audit.acting_as("cli"):
            result = demo.load(progress=lambda step: bar.update(1), members=members or demo.SEED_MEMBERS)
    counts = {c: len(ids) for c, ids in result.members.items()}
    click.echo(f"社区 {len(result.community_ids)} 个，党员 {sum(counts.values())} 名 {counts}，"
               f"单位在职党员报到 {len(result.employer_member_ids)} 名")


def _app():
    return _APP or create_app()


_APP = None


cli = FlaskGroup(create_app=_app, add_default_commands=True, help="五管 wuguan: 社区党员分层分类管理")


@cli.command("init")
@with_appcontext
def init_command():
    """Create the database or upgrade it to every head."""
    upgrade_database()
    click.echo("数据库已就绪: " + db.engine.url.render_as_string(hide_password=True))


@cli.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--display-name", default="系统管理员")
@click.password_option()
@with_appcontext
def create_admin_command(username, display_name, password):
    """Create an administrator (or reset one's password, which ends her sessions)."""
    from . import passwords
    from .models import Staff
    existing = db.session.scalar(select(Staff).where(Staff.username == username))
    found = passwords.problems(password, username, existing.display_name if existing else display_name)
    if found:
        raise click.ClickException(f"{found[0]}。{passwords.RULE}")
    if existing is not None:
        existing.set_password(password)
        existing.role = "admin"
        existing.end_sessions()
        with audit.acting_as("cli"):
            db.session.commit()
        click.echo(f"已重设管理员 {username} 的密码")
        return
    create_staff(username, password, display_name, "admin")
    click.echo(f"已创建管理员 {username}")


@cli.command("demo")
@click.option("--members", type=click.IntRange(min=1000), help="把演示城市按比例扩大（或缩小）到这么多名党员")
@with_appcontext
def demo_command(members):
    """Load the demo data set (the article's seed city, or that city grown to --members) into an empty database."""
    from .demo import DemoError
    upgrade_database()
    try:
        load_demo(members)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("plugins")
@with_appcontext
def plugins_command():
    """Print every plugin with its version, hooks, modes and state, as JSON."""
    records = current_app.extensions["wuguan"].records.values()
    click.echo(json.dumps([r.as_dict() for r in records], ensure_ascii=False, indent=2))


@cli.command("docs")
@click.option("--output", type=click.Path(dir_okay=False), help="写到该文件（默认 docs/reference.md）")
@with_appcontext
def docs_command(output):
    """Write docs/reference.md from the code: core's tables and value sets, categories, core.plugin_api."""
    from . import reference
    try:
        path = reference.write(Path(output) if output else reference.PATH)
    except reference.UndocumentedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(str(path))


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo/--no-demo", default=False, help="装入演示数据（仅当数据库为空）")
@with_appcontext
def run_command(host, port, demo):
    """Run web, Celery worker and beat together; Ctrl-C stops them all."""
    from . import runner
    from .models import Member
    upgrade_database()
    if demo and not db.session.scalar(select(func.count()).select_from(Member)):
        load_demo()
    username, password = ensure_admin()
    instance_path = current_app.instance_path
    click.echo("五管 wuguan 正在启动……")

    def announce():
        click.echo(f"五管 wuguan: http://{host}:{port}/")
        if username:
            click.echo(f"管理员: {username}  密码: {password}  (保存在 {instance_path}/{ADMIN_FILE})")

    db.session.remove()
    sys.exit(runner.run_all(host, port, ready=announce))


def main():
    """Console script: build the app once, let plugins add commands, then dispatch."""
    global _APP
    # Plugin failures, and each hook call under WUGUAN_TRACE_PLUGINS=1, reach the operator's terminal.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _APP = create_app()
    plugin_host = _APP.extensions["wuguan"]
    for record in plugin_host.loaded():
        plugin_host.guarded(record, "wuguan_cli", cli=cli)
    cli.main(prog_name="wuguan")


@cli.command("checks")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@with_appcontext
def checks_command(as_json):
    """List every registered check: code, title, severity, plugin."""
    from .sweep import registered_checks
    items = [{"code": i.check.code, "title": str(i.check.title), "severity": i.check.severity, "plugin": i.plugin,
              "subject": i.check.subject} for i in registered_checks()]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        click.echo(f"{item['code']:<32} {item['severity']:<9} {item['plugin']:<10} {item['title']}")


@cli.command("sweep")
@click.option("--org", "org_code", help="只检查该组织（编码）及其下级")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@with_appcontext
def sweep_command(org_code, as_json):
    """Run the check sweep in-process; print open, new and resolved findings per check, and failures."""
    from .models import Organization
    from .sweep import Scope, run_sweep
    scope = Scope.city()
    if org_code:
        org = db.session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            raise click.ClickException(f"没有编码为 {org_code} 的组织")
        scope = Scope.subtree(org)
    with audit.acting_as("cli"):
        run = run_sweep(scope, trigger="cli")
    if as_json:
        click.echo(json.dumps({"run_id": run.id, "state": run.state, "failures": run.failures, "checks": run.stats},
                              ensure_ascii=False, indent=2))
    else:
        for code, counts in run.stats.items():
            if "error" in counts:
                click.echo(f"{code:<32} 失败: {counts['error']}")
            else:
                click.echo(f"{code:<32} 待处理 {counts['open']:>6}  新发现 {counts['new']:>6}  "
                           f"已解决 {counts['resolved']:>6}")
    if run.failures:
        sys.exit(1)


@cli.command("remind")
@click.option("--rule", "rule_code", help="只运行该提醒规则（代码）")
@click.option("--send/--no-send", default=True, show_default=True, help="决定后立即在本进程发送到期的消息")
@with_appcontext
def remind_command(rule_code, send):
    """Decide reminders now and (by default) deliver every due outbox row in this process."""
    from . import reminders
    try:
        ids = reminders.decide(rule_code)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"新增提醒 {len(ids)} 条")
    if send:
        outcomes = [outcome.state for batch in reminders.batches(reminders.due_messages())
                    for outcome in reminders.deliver_batch(batch).values()]
        click.echo("发送: " + json.dumps({s: outcomes.count(s) for s in sorted(set(outcomes))}, ensure_ascii=False))


@cli.command("bulletin")
@click.option("--kind", type=click.Choice(["community", "street", "employer"]), required=True)
@click.option("--period", required=True, help="2026-10、2026-Q3 或 2026")
@click.option("--org", "org_code", help="只编制该组织（社区或街道编码）的通报")
@click.option("--recompile", is_flag=True, help="已编制过的也重新编制一个新版本")
@with_appcontext
def bulletin_command(kind, period, org_code, recompile):
    """Compile bulletins for a period in-process (each scope once, unless --recompile)."""
    from . import bulletins, periods, reminders
    from .errors import ValidationError
    from .models import Organization
    try:
        periods.parse(period)
    except ValidationError as exc:
        raise click.ClickException(str(exc.errors)) from None
    scopes = bulletins.scopes(kind)
    if org_code:
        org = db.session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            raise click.ClickException(f"没有编码为 {org_code} 的组织")
        scopes = [s for s in scopes if s[1] == org.id]
    for scope, _, _ in scopes:
        result = bulletins.compile_bulletin(kind, scope, period, recompile=recompile)
        reminders.deliver_batch(result.outbox_ids)
        click.echo(f"{scope:<12} {result.state:<9} #{result.bulletin_id}")


@cli.command("indicators")
@click.option("--period", required=True, help="2026-10、2026-Q3 或 2026")
@click.option("--org", "org_code", help="计算全市后只显示该组织（社区或街道编码）的指标")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@with_appcontext
def indicators_command(period, org_code, as_json):
    """Compute every indicator of a period for the whole city (again, if it was), then show one scope's."""
    from . import indicator_pass
    from .errors import ValidationError
    try:
        asked, org = indicator_pass.check_request(period, org_code)
        label = asked.label
        indicator_pass.compute(label)
    except ValidationError as exc:
        raise click.ClickException("；".join(m for ms in exc.errors.values() for m in ms)) from None
    scope = f"org:{org.id}" if org is not None else "city"
    rows = sorted(indicator_pass.stored(scope, label).values(), key=lambda r: r.indicator)
    figures = [{"indicator": r.indicator, "title": r.title, "value": r.value, "unit": r.unit,
                "numerator": r.numerator, "denominator": r.denominator, "rank": r.rank, "peers": r.peers,
                "city_rank": r.city_rank, "city_peers": r.city_peers, "previous": r.previous} for r in rows]
    if as_json:
        click.echo(json.dumps({"period": label, "scope": scope, "indicators": figures}, ensure_ascii=False, indent=2))
        return
    for f in figures:
        rank = f"  第{f['rank']}/{f['peers']}名" if f["rank"] else ""
        previous = "" if f["previous"] is None else f"  上期 {f['previous']:g}"
        value = "—" if f["value"] is None else f"{f['value']:g}"
        click.echo(f"{f['indicator']:<28} {f['title']} {value}{f['unit']}{previous}{rank}")


@cli.group("import")
def import_group():
    """Import spreadsheets (XLSX or CSV)."""


@import_group.command("members")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--commit", is_flag=True, help="校验全部通过后写入（默认只试运行）")
@click.option("--as", "username", help="以该工作人员的管理范围导入（默认全市）")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False), help="把错误报告写成 XLSX")
@with_appcontext
def import_members_command(path, commit, username, errors_path):
    """Import a member roster: a dry run unless --commit; all rows or none."""
    from . import roster
    run_import(path, commit, username, errors_path, check=roster.validate, write=roster.commit,
               error_report=roster.error_report_xlsx)


def run_import(path, commit, username, errors_path, check, write, error_report):
    """What every `wuguan import` command does with a file (plugins' importers too): dry run or commit
    as a staffer (or the whole city), print the summary and the errors, exit 1 on any error.
    `check`/`write(data, filename, staff, progress=)` return a `core.roster.Report`."""
    from pathlib import Path
    from . import roster, scope
    from .models import Staff
    staff = scope.OPERATOR
    if username:
        staff = db.session.scalar(select(Staff).where(Staff.username == username))
        if staff is None:
            raise click.ClickException(f"没有工作人员 {username}")
    data, name = Path(path).read_bytes(), Path(path).name
    try:
        with audit.acting_as(staff.username, staff.id), \
                click.progressbar(length=roster.estimate_rows(data) or 1, label="校验", file=sys.stderr) as bar:
            report = (write if commit else check)(data, name, staff, progress=lambda rows: bar.update(rows - bar.pos))
    except roster.ImportRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.summary())
    for error in report.errors[:50]:
        click.echo(f"  第 {error.row} 行 {error.column}「{error.value if error.value is not None else ''}」：{error.message}")
    if len(report.errors) > 50:
        click.echo(f"  …… 另有 {len(report.errors) - 50} 处错误")
    if errors_path and report.errors:
        Path(errors_path).write_bytes(error_report(data, name, report))
        click.echo(f"错误报告：{errors_path}")
    if report.errors:
        raise SystemExit(1)
    click.echo("已导入" if report.committed else "试运行：未写入（加 --commit 写入）")


@cli.command("new-plugin")
@click.argument("name")
@click.option("--path", "folder", type=click.Path(file_okay=False), help="新插件的文件夹（默认 ./wuguan-NAME）")
def new_plugin_command(name, folder):
    """Create a new management mode's package: hooks, model, migration, screen, check, reminder,
    bulletin section, translations and a passing test (tutorial: docs/plugins.md)."""
    from . import scaffold
    try:
        target = scaffold.create(name, folder)
    except scaffold.ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建插件 {name}：{target}")
    click.echo(f"下一步：pip install -e {target}，然后在该文件夹中运行 pytest")


@cli.command("health")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@with_appcontext
def health_command(as_json):
    """Database, broker, last sweep, stuck leases, outbox, missing bulletins; exit 1 when any is red."""
    from .health import report
    result = report()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        for line in result["checks"]:
            click.echo(f"{'正常' if line['ok'] else '异常'}  {line['name']:<14} {line['detail']}")
    if result["status"] != "ok":
        sys.exit(1)
