"""Pytest fixtures for wuguan and for plugin authors, shipped as a `pytest11` entry point.

A plugin's own tests use these and never this repository's `tests/`.
The database is SQLite in a temporary folder, or PostgreSQL when
`WUGUAN_TEST_DATABASE_URL` names one (each app gets a schema of its own there).
Under `CI=true` an unreachable PostgreSQL fails the run instead of skipping it.
"""
import contextlib
import datetime as dt
import itertools
import os
import re
import shutil
import sys
import textwrap
import uuid
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, text

from core import settings


def _ci():
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _test_database_setting():
    return os.environ.get("WUGUAN_TEST_DATABASE_URL", "").strip()


def _pg_reachable(url):
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # the reason goes into the skip message
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@contextlib.contextmanager
def fresh_database(tmp_path):
    """A database URL nothing else uses: a new SQLite file, or a new PostgreSQL schema."""
    base = _test_database_setting()
    if not base:
        yield f"sqlite:///{tmp_path / 'wuguan-test.sqlite'}"
        return
    base = settings.database_url(base)
    problem = _pg_reachable(base)
    if problem:
        if _ci():
            pytest.fail(f"PostgreSQL at {base} is required under CI: {problem}")
        pytest.skip(f"PostgreSQL at {base} is not reachable: {problem}")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class IsolatedClient(FlaskClient):
    """Each request in an app context of its own, as in production.

    Tests hold an app context open (the `db` fixture), and Flask would reuse it for
    every request: `g` (Flask-Login's user, Flask-WTF's token) and the session would
    then leak from one request, or one client, to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def build_app(database_url, instance_path, **config):
    """An app on `database_url`, migrated to every head, with plugins as the config says."""
    from core import create_app
    from core.cli import upgrade_database
    app = create_app({"WUGUAN_INSTANCE_PATH": str(instance_path), "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                      "SECRET_KEY": "test-" + uuid.uuid4().hex, **config})
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade_database()
    return app


def _dispose(app):
    from core.extensions import db
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app with every installed plugin, on a database migrated once for the session."""
    tmp = tmp_path_factory.mktemp("wuguan")
    with fresh_database(tmp) as url:
        application = build_app(url, tmp / "instance", WUGUAN_STRICT_PLUGINS=True)
        yield application
        _dispose(application)


@pytest.fixture
def db(app):
    """`db` inside an app context; every table is emptied after the test."""
    from core.extensions import db as database
    with app.app_context():
        yield database
        database.session.remove()
        empty_tables(database)


def empty_tables(database):
    with database.engine.begin() as conn:
        existing = set(inspect(conn).get_table_names())
        tables = [t.name for t in reversed(database.metadata.sorted_tables) if t.name in existing]
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def client(app, db):
    return app.test_client()


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, url="/login"):
    """The session's CSRF token, read from a page's form as a browser would."""
    match = CSRF_FIELD.search(client.get(url).get_data(as_text=True))
    return match.group(1) or match.group(2)


def log_in(client, username, password):
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def staff_client(app, db):
    """`staff_client(role, org, sensitive=False)`: a test client logged in as a new staffer."""
    from core.models import Staff
    counter = iter(range(1, 10_000))

    def make(role="community", org=None, sensitive=False):
        n = next(counter)
        staff = Staff(username=f"{role}{n}", display_name=f"{role} {n}", role=role, org=org,
                      can_see_sensitive=sensitive)
        password = uuid.uuid4().hex
        staff.set_password(password)
        db.session.add(staff)
        db.session.commit()
        client = app.test_client()
        log_in(client, staff.username, password)
        client.staff = staff
        return client

    return make


@pytest.fixture
def login_as(staff_client):
    """`login_as(role, org, sensitive=False)`: a test client logged in as a new staffer of `org`
    (`client.staff` is the Staff row); roles are admin, street, community, branch and readonly."""
    return staff_client


@pytest.fixture
def make_member(db):
    """`make_member(category, org=None, **fields)`: a committed active member with a valid 身份证,
    affiliated to `org` (and living there when it is a community); a new community when `org` is None.
    Any Member column may be given in `fields`."""
    from core.idcard import make_number
    from core.models import Member, Organization
    counter = itertools.count(1)

    def make(category, org=None, **fields):
        n = next(counter)
        if org is None:
            org = Organization(kind="community", name=f"测试社区{n}", code=f"test-community-{n}",
                               email=f"community{n}@example.cn")
        gender = fields.pop("gender", "female" if n % 2 else "male")
        birth = fields.pop("birth_date", dt.date(1970, 1, 1) + dt.timedelta(days=97 * n))
        values = {"name": f"测试党员{n}", "gender": gender, "birth_date": birth,
                  "id_number": make_number("620302", birth, n % 500, gender), "joined_on": dt.date(2010, 7, 1),
                  "confirmed_on": dt.date(2011, 7, 1), "status": "full", "category": category, "affiliation": org,
                  "location": org if org.kind == "community" else None, **fields}
        member = Member(**values)
        db.session.add(member)
        db.session.commit()
        return member

    return make


def morning_of(app, day):
    """09:00 on `day` in the app's time zone, as the naive UTC datetime the engines take for `now`."""
    local = dt.datetime.combine(day, dt.time(9), tzinfo=ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"]))
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


@pytest.fixture
def remind(app, db):
    """`remind(rule_code=None, today=None)`: decide the reminders (one rule, or all) at 09:00 on `today`
    and deliver them through their channels at once; returns the new OutboxMessage rows after delivery
    (`state` is "sent" unless the channel failed). Reminders already in the outbox are not repeated."""
    def decide_and_deliver(rule_code=None, today=None):
        from core import reminders
        from core.models import OutboxMessage
        now = morning_of(app, today or dt.date.today())
        ids = reminders.decide(rule_code, now=now)
        for outbox_id in ids:
            not_before = db.session.get(OutboxMessage, outbox_id).not_before
            reminders.deliver(outbox_id, now=max(now, not_before))
        db.session.expire_all()
        return [db.session.get(OutboxMessage, outbox_id) for outbox_id in ids]
    return decide_and_deliver


@pytest.fixture
def compile_bulletin(app, db):
    """`compile_bulletin(org, period, kind="community", today=None)`: compile one 通报 of `org` for the period
    ("2026-10", "2026-Q3", "2026") in-process; returns the Bulletin row, whose `sections` hold each
    section's `key`, `figures`, `columns` and `rows`. A failed compilation fails the test with its error."""
    def compile_now(org, period, kind="community", today=None):
        from core import bulletins
        from core.models import Bulletin
        result = bulletins.compile_bulletin(kind, f"org:{org.id}", period, recompile=True,
                                            now=morning_of(app, today or dt.date.today()))
        bulletin = db.session.get(Bulletin, result.bulletin_id)
        db.session.refresh(bulletin)
        if result.state == "failed":
            pytest.fail(f"the bulletin failed: {bulletin.error}")
        return bulletin
    return compile_now


@pytest.fixture
def load_demo(db):
    """`load_demo(today=None)`: the demo data set (core's and every loaded plugin's records) in this
    test's database; returns the DemoSet (`community_ids`, `members` by category, `today`)."""
    def load(today=None):
        from core import demo
        return demo.load(today=today)
    return load


@pytest.fixture
def make_app(tmp_path):
    """Build further apps, each on its own fresh database: `make_app(WUGUAN_PLUGINS=[...])`."""
    apps, stack = [], contextlib.ExitStack()

    def factory(**config):
        folder = tmp_path / f"app{len(apps)}"
        folder.mkdir()
        url = stack.enter_context(fresh_database(folder))
        application = build_app(url, folder / "instance", **config)
        apps.append(application)
        return application

    with stack:
        yield factory
        for application in apps:
            _dispose(application)


@pytest.fixture
def wuguan_plugin(tmp_path, monkeypatch):
    """Install a throw-away plugin through a real `wuguan` entry point.

    `wuguan_plugin("mymode", source)` writes module `source` as package `mymode`
    with a distribution that declares it under the `wuguan` entry-point group.
    `files` adds more files to the package (e.g. migrations); `package_dir` copies an
    existing package instead of writing `source`; `requires` lists the distribution's
    requirements (e.g. "wuguan>=0.1,<2").
    """
    from core.extensions import db as database
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    created = []

    def install(name, source=None, version="0.1.0", files=None, module=None, package_dir=None, requires=()):
        module = module or name
        package = root / module
        if package_dir is not None:
            shutil.copytree(package_dir, package, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            package.mkdir()
            (package / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
        for rel, content in (files or {}).items():
            target = package / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(content), encoding="utf-8")
        info = root / f"{module}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: {version}\n"
                                       + "".join(f"Requires-Dist: {r}\n" for r in requires))
        (info / "entry_points.txt").write_text(f"[wuguan]\n{name} = {module}\n")
        created.append(module)
        import importlib
        importlib.invalidate_caches()
        return package

    yield install
    _forget_modules(database, created)


def _forget_modules(database, modules):
    """Unload a throw-away plugin completely: its modules, its mapped classes and their tables,
    so the next test (or the next throw-away plugin of the same name) starts clean."""
    def ours(name):
        return any(name == m or name.startswith(m + ".") for m in modules)

    registry = database.Model.registry
    for mapper in list(registry.mappers):
        if ours(mapper.class_.__module__):
            manager = mapper.class_manager
            registry._dispose_manager_and_mapper(manager)
            registry._managers.pop(manager, None)
            if mapper.local_table.name in database.metadata.tables:
                database.metadata.remove(mapper.local_table)
    for name in [m for m in sys.modules if ours(m)]:
        del sys.modules[name]


@pytest.fixture
def run_sweep(db):
    """`run_sweep(today=None, codes=None)`: sweep in-process; returns {check code: {subject id: detail}} of live findings."""
    def sweep_now(today=None, codes=None):
        from sqlalchemy import select
        from core.models import Finding
        from core.models.findings import LIVE_STATES
        from core.sweep import run_sweep as run
        run(today=today, codes=set(codes) if codes else None)
        found = {}
        for finding in db.session.scalars(select(Finding).where(Finding.state.in_(LIVE_STATES))):
            found.setdefault(finding.check_code, {})[finding.subject_id] = finding.detail
        return found
    return sweep_now
