"""What every benchmark shares: a database of its own per size, statement counting, peak memory,
and one shape for a measurement so bench/run.py can put them side by side."""
from contextlib import contextmanager
from pathlib import Path
import resource
import tempfile
import time
import uuid

from sqlalchemy import create_engine, event, text


def database_for(label, base_url):
    """A URL nothing else uses: a new SQLite file, or a new schema in the PostgreSQL database
    `base_url`; and a function that drops it again."""
    if not base_url:
        return f"sqlite:///{tempfile.mkdtemp()}/bench-{label}.sqlite", lambda: None
    from core.settings import database_url
    base_url = database_url(base_url)
    schema = f"bench_{label}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}", drop


def app_for(database_url, **config):
    from core import create_app
    return create_app({"WUGUAN_INSTANCE_PATH": tempfile.mkdtemp(), "SQLALCHEMY_DATABASE_URI": database_url,
                       **config})


def result(value, unit, statements=None):
    """One measurement: a number, its unit, and the SQL statements it took where that matters."""
    return {"value": round(value, 2 if abs(value) < 100 else 1), "unit": unit, "statements": statements}


@contextmanager
def counting(engine):
    """Count the statements sent through `engine` inside the block: `with counting(e) as n: ...; n()`."""
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@contextmanager
def stopwatch():
    """Seconds spent inside the block: `with stopwatch() as s: ...; s()`."""
    started, stopped = time.perf_counter(), []
    yield lambda: (stopped[0] if stopped else time.perf_counter()) - started
    stopped.append(time.perf_counter())


def peak_mb():
    """This process's peak resident memory (each benchmark runs in a process of its own). Linux's
    VmHWM starts afresh at exec; ru_maxrss, the fallback elsewhere, keeps the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
