"""The `wuguan` command: Flask's and Flask-Migrate's commands plus wuguan's own."""
import json
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
    password = secrets.token_urlsafe(12)
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


def load_demo():
    from . import demo
    with click.progressbar(length=6, label="装入演示数据") as bar:
        with audit.acting_as("cli"):
            result = demo.load(progress=lambda step: bar.update(1))
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
    """Create an administrator (or reset one's password)."""
    from .models import Staff
    existing = db.session.scalar(select(Staff).where(Staff.username == username))
    if existing is not None:
        existing.set_password(password)
        existing.role = "admin"
        with audit.acting_as("cli"):
            db.session.commit()
        click.echo(f"已重设管理员 {username} 的密码")
        return
    create_staff(username, password, display_name, "admin")
    click.echo(f"已创建管理员 {username}")


@cli.command("demo")
@with_appcontext
def demo_command():
    """Load the demo data set (the article's seed city) into an empty database."""
    from .demo import DemoError
    upgrade_database()
    try:
        load_demo()
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("plugins")
@with_appcontext
def plugins_command():
    """Print every plugin with its version, hooks, modes and state, as JSON."""
    records = current_app.extensions["wuguan"].records.values()
    click.echo(json.dumps([r.as_dict() for r in records], ensure_ascii=False, indent=2))


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
    click.echo(f"五管 wuguan: http://{host}:{port}/")
    if username:
        click.echo(f"管理员: {username}  密码: {password}  (保存在 {current_app.instance_path}/{ADMIN_FILE})")
    db.session.remove()
    sys.exit(runner.run_all(host, port))


def main():
    """Console script: build the app once, let plugins add commands, then dispatch."""
    global _APP
    _APP = create_app()
    _APP.extensions["wuguan"].hook.wuguan_cli(cli=cli)
    cli.main(prog_name="wuguan")
