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
        assert "core_0008" in heads


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


def test_wuguan_db_upgrade_takes_every_branch_to_its_head(wuguan_plugin, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path
    sample = Path(__file__).parent / "thirdparty" / "wuguan_sample" / "src" / "wuguan_sample"
    package = wuguan_plugin("sample", module="wuguan_sample", package_dir=sample)
    env = {**os.environ, "PYTHONPATH": str(package.parent), "WUGUAN_INSTANCE_PATH": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", "from core.cli import main; main()", "db", "upgrade"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    from sqlalchemy import create_engine
    engine = create_engine(f"sqlite:///{tmp_path / 'wuguan.sqlite'}")
    assert {"member", "sample_note"} <= set(inspect(engine).get_table_names())
    engine.dispose()
