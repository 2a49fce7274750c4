"""The plugin contract: every hook documented with its exact signature, and tested."""
import ast
import inspect
import json
import os
from pathlib import Path
import re
import subprocess
import sys

import pytest

from core import create_app, hookspecs

ROOT = Path(__file__).parent.parent
SAMPLE = Path(__file__).parent / "thirdparty" / "wuguan_sample" / "src" / "wuguan_sample"
HOOKS = [name for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("wuguan_")]


def test_every_hook_is_documented_with_its_exact_signature():
    documented = dict(re.findall(r"^### `(wuguan_\w+)(\(.*\))`$", (ROOT / "docs" / "plugins.md").read_text(), re.M))
    for name in HOOKS:
        assert name in documented, f"{name} is missing from docs/plugins.md"
        assert documented[name] == str(inspect.signature(getattr(hookspecs, name))), name
    assert set(documented) == set(HOOKS), "docs/plugins.md documents a hook that does not exist"


def test_every_hook_has_a_one_line_docstring():
    for name in HOOKS:
        doc = getattr(hookspecs, name).__doc__
        assert doc and "\n" not in doc.strip(), name


def test_every_hook_has_a_test_of_its_own():
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                defined.add(node.name)
    missing = [name for name in HOOKS if f"test_hook_{name}" not in defined]
    assert missing == []


def test_hook_wuguan_modes(wuguan_plugin, tmp_path):
    wuguan_plugin("grid", """
        from core.plugin_api import Mode, hookimpl

        @hookimpl
        def wuguan_modes():
            return [Mode(key="grid", title="网格管", categories={"grid_member": "网格党员"},
                         activity_kinds={"grid_patrol": "网格巡查"})]
    """)
    host = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)}).extensions["wuguan"]
    assert host.categories["grid_member"][0].key == "grid"
    assert host.activity_kinds()["grid_patrol"] == "网格巡查"
    assert host.activity_kinds()["theme_day"] == "主题党日"


def test_hook_wuguan_settings(wuguan_plugin, tmp_path):
    wuguan_plugin("grid", """
        from core.plugin_api import hookimpl

        @hookimpl
        def wuguan_settings():
            return {"patrol_days": 7, "cells": 3}
    """)
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "PLUGINS": {"grid": {"cells": 5}}})
    assert app.config["PLUGINS"]["grid"] == {"patrol_days": 7, "cells": 5}


def test_hook_wuguan_migrations(wuguan_plugin, make_app):
    wuguan_plugin("grid", """
        from pathlib import Path
        from core.plugin_api import hookimpl

        @hookimpl
        def wuguan_migrations():
            return Path(__file__).parent / "versions"
    """, files={"versions/grid_0001.py": '''
        from alembic import op
        import sqlalchemy as sa
        revision = "grid_0001"
        down_revision = None
        branch_labels = ("grid",)
        depends_on = "core_0001"

        def upgrade():
            op.create_table("grid_cell", sa.Column("id", sa.Integer, primary_key=True))

        def downgrade():
            op.drop_table("grid_cell")
    '''})
    app = make_app()
    with app.app_context():
        from sqlalchemy import inspect as db_inspect
        from core.extensions import db
        assert {"grid_cell", "member"} <= set(db_inspect(db.engine).get_table_names())
        assert "grid_0001" in {r for (r,) in db.session.execute(db.text("select version_num from alembic_version"))}


def test_hook_wuguan_demo_data(wuguan_plugin, make_app):
    wuguan_plugin("grid", """
        from core.plugin_api import hookimpl
        from core.models import Organization

        @hookimpl
        def wuguan_demo_data(session, demo):
            session.add(Organization(kind="branch", name="网格党支部", code="GRID",
                                     parent_id=demo.community_ids[0]))
    """)
    app = make_app()
    with app.app_context():
        from core import demo
        from core.extensions import db
        from core.models import Organization
        demo.load()
        grid = db.session.scalar(db.select(Organization).where(Organization.code == "GRID"))
        assert grid.name == "网格党支部"
        assert grid.parent.kind == "community"


def test_hook_wuguan_demo_data_after(wuguan_plugin, make_app):
    wuguan_plugin("census", """
        from sqlalchemy import func, select
        from core.plugin_api import hookimpl
        from core.models import Organization
        from plugins.direct.models import Zone

        @hookimpl
        def wuguan_demo_data_after(session, demo):
            zones = session.scalar(select(func.count()).select_from(Zone))
            session.add(Organization(kind="branch", name=f"{zones}个责任区", code="CENSUS",
                                     parent_id=demo.community_ids[0]))
    """)
    app = make_app(WUGUAN_PLUGINS=["census", "direct"])
    with app.app_context():
        from core import demo
        from core.extensions import db
        from core.models import Organization
        from plugins.direct.models import Zone
        demo.load(members=1000)
        zones = db.session.scalar(db.select(db.func.count()).select_from(Zone))
        census = db.session.scalar(db.select(Organization).where(Organization.code == "CENSUS"))
        assert zones > 0 and census.name == f"{zones}个责任区"


def test_hook_wuguan_blueprints(wuguan_plugin, make_app):
    wuguan_plugin("kiosk", """
        from flask import Blueprint
        from core.plugin_api import hookimpl

        bp = Blueprint("kiosk_public", __name__, url_prefix="/kiosk")
        bp.add_url_rule("/hello", "hello", lambda: "欢迎")

        @hookimpl
        def wuguan_blueprints(app):
            app.register_blueprint(bp)
    """)
    app = make_app()
    assert app.test_client().get("/kiosk/hello").get_data(as_text=True) == "欢迎"  # public: no log-in
    assert app.test_client().get("/dual/register").status_code == 200  # 双管's 自助报到 comes through it too


def test_hook_wuguan_member_category_changed(wuguan_plugin, make_app):
    wuguan_plugin("watcher", """
        from core.plugin_api import hookimpl
        from core.models import Organization

        @hookimpl
        def wuguan_member_category_changed(member, old, new):
            from core.extensions import db
            if new == "mobile_out":
                raise RuntimeError("no station to take the member")
            db.session.add(Organization(kind="branch", name=f"{old}->{new}", code=f"MOVED{member.id}",
                                        parent=member.location))
    """)
    app = make_app()
    with app.app_context():
        from core.errors import ValidationError
        from core.extensions import db
        from core.members import change_category
        from core.models import AuditEntry, Member, Organization
        from factories import member, org_tree
        tree = org_tree()
        someone = member(tree, category="retired")
        db.session.add(someone)
        db.session.commit()
        change_category(someone, "resident", "搬回本社区居住")
        db.session.expire_all()
        moved = db.session.get(Member, someone.id)
        assert (moved.category, moved.previous_category) == ("resident", "retired")
        assert db.session.scalar(db.select(Organization.name).where(Organization.code == f"MOVED{moved.id}")) \
            == "retired->resident"  # the plugin's rows went in with the move
        assert db.session.scalar(db.select(AuditEntry.note).where(AuditEntry.note.like("变更类别%"))) \
            == "变更类别：retired → resident，理由：搬回本社区居住"
        with pytest.raises(RuntimeError):  # a plugin that refuses stops the move: nothing changes
            change_category(moved, "mobile_out", "外出务工")
        for new, reason, field in (("laid_off", "", "reason"), ("astronaut", "上天", "category"),
                                   ("resident", "再次", "category")):
            with pytest.raises(ValidationError) as err:
                change_category(moved, new, reason)
            assert field in err.value.errors
        db.session.expire_all()
        assert db.session.get(Member, someone.id).category == "resident"


def test_hook_wuguan_cli(wuguan_plugin, tmp_path):
    package = wuguan_plugin("grid", """
        import click
        from core.plugin_api import hookimpl

        @hookimpl
        def wuguan_cli(cli):
            @cli.command("grid-hello")
            @click.argument("who")
            def grid_hello(who):
                click.echo(f"你好, {who}")
    """)
    env = {**os.environ, "PYTHONPATH": str(package.parent), "WUGUAN_INSTANCE_PATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", "from core.cli import main; main()", "grid-hello", "社区"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "你好, 社区"
    listing = subprocess.run([sys.executable, "-c", "from core.cli import main; main()", "plugins"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert next(p for p in json.loads(listing.stdout) if p["name"] == "grid")["hooks"] == ["wuguan_cli"]


def _two_communities_with_notes(db):
    import datetime as dt
    from core import idcard
    from core.models import Member, Organization
    from wuguan_sample import SampleNote
    street = Organization(kind="street", name="街道", code="S")
    made = {}
    for key, seq in (("A", 1), ("B", 2)):
        community = Organization(kind="community", name=f"社区{key}", code=key, parent=street)
        birth = dt.date(2001, 3, seq)
        member = Member(name=f"学生{key}", gender="male", birth_date=birth,
                        id_number=idcard.make_number("620302", birth, seq, "male"), joined_on=dt.date(2022, 5, 4),
                        confirmed_on=dt.date(2023, 5, 4), status="full", category="student",
                        affiliation=community, location=community)
        note = SampleNote(member=member, text=f"{key}的记录")
        db.session.add_all([street, community, member, note])
        made[key] = (community, member, note)
    db.session.commit()
    return made


def _community_a_client(app):
    """Communities A and B with a student and a note each; a client logged in as A's staffer."""
    from core.testing import log_in
    with app.app_context():
        from core.extensions import db
        from core.models import Staff
        made = _two_communities_with_notes(db)
        staff = Staff(username="a", display_name="A", role="community", org=made["A"][0])
        staff.set_password("0123456789ab")
        db.session.add(staff)
        db.session.commit()
        ids = {key: (community.id, member.id, note.id) for key, (community, member, note) in made.items()}
    return log_in(app.test_client(), "a", "0123456789ab"), ids


def test_hook_wuguan_admin_views(wuguan_plugin, make_app):
    wuguan_plugin("sample", module="wuguan_sample", package_dir=SAMPLE)
    client, made = _community_a_client(make_app())
    notes = {key: note_id for key, (_, _, note_id) in made.items()}
    page = client.get("/admin/sample_note/").get_data(as_text=True)
    assert "学生管" in page  # its own menu category
    assert "A的记录" in page and "B的记录" not in page
    assert client.get(f"/admin/sample_note/details/?id={notes['B']}").status_code == 404
    assert client.get(f"/admin/sample_note/details/?id={notes['A']}").status_code == 200


def test_a_plugin_view_without_a_declared_scope_is_refused(wuguan_plugin, tmp_path):
    from core.plugins import PluginLoadError
    wuguan_plugin("careless", """
        from core.plugin_api import ScopedModelView, db, hookimpl

        class CarelessNote(db.Model):
            __tablename__ = "careless_note"
            id = db.Column(db.Integer, primary_key=True)

        @hookimpl
        def wuguan_admin_views(admin):
            admin.add_view(ScopedModelView(CarelessNote, endpoint="careless"))
    """)
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False})
    record = app.extensions["wuguan"].records["careless"]
    assert record.state == "failed" and "scope_org_column or scope_member_column" in record.reason
    assert "careless" not in app.blueprints
    with pytest.raises(PluginLoadError, match="scope_org_column or scope_member_column"):
        create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path / "strict"), "WUGUAN_STRICT_PLUGINS": True})


def test_hook_wuguan_member_panels(wuguan_plugin, make_app):
    wuguan_plugin("sample", module="wuguan_sample", package_dir=SAMPLE)
    client, made = _community_a_client(make_app())
    member_id = made["A"][1]
    page = client.get(f"/admin/member/details/?id={member_id}").get_data(as_text=True)
    assert '<ul class="sample-notes"><li>A的记录</li></ul>' in page
    assert "<p>学生A</p>" in page
