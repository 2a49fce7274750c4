from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade
from sqlalchemy import inspect

from core.extensions import db


def test_empty_database_upgrades_to_every_head_and_matches_the_models(make_app):
    app = make_app()
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            heads = set(context.get_current_heads())
        config = app.extensions["migrate"].migrate.get_config()
        assert heads == set(ScriptDirectory.from_config(config).get_heads())
        assert "core_0002" in heads


def test_upgrade_is_idempotent_and_downgrade_empties(make_app):
    from core.cli import upgrade_database
    app = make_app()
    with app.app_context():
        upgrade_database()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade_database()
        assert "member" in inspect(db.engine).get_table_names()


def test_create_all_is_not_used_outside_tests():
    from pathlib import Path
    root = Path(__file__).parent.parent
    offenders = [p for folder in ("core", "plugins", "workers") for p in (root / folder).rglob("*.py")
                 if "create_all(" in p.read_text(encoding="utf-8")]
    assert offenders == []
