"""A month's bulletins of one street office: the street's, each of its communities', and those of
the employers of its members (HTML data, XLSX and PDF), after a city sweep.

    .venv/bin/python bench/bulletins.py DATABASE_URL [PERIOD]   (a database filled by bench/generate.py)

A street's communities hold about the same number of members at every size of the
generated city, so time per bulletin should not grow with the city; statements per
compile must not grow with anything.
"""
import json
import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import app_for, counting, result, stopwatch  # noqa: E402

EMPLOYERS = 6


def measure(database_url, period="2026-10"):
    from core import bulletins, indicator_pass, periods
    from core.extensions import db
    from core.models import Member, Organization
    from core.sweep import Scope, run_sweep
    app = app_for(database_url)
    out = {}
    with app.app_context():
        run_sweep(Scope.city())
        # The period's pass (and the previous period's, for 上期) runs once for the city, before any bulletin.
        with stopwatch() as seconds:
            indicator_pass.compute(period)
        out["indicators_month"] = result(seconds(), "s")
        indicator_pass.ensure(periods.parse(period).previous().label)
        street = db.session.scalar(select(Organization.id).where(Organization.kind == "street")
                                   .order_by(Organization.id))
        communities = db.session.scalars(select(Organization.id).where(Organization.parent_id == street)
                                         .where(Organization.kind == "community").order_by(Organization.id)).all()
        units = db.session.scalars(select(Member.work_unit_id).where(Member.location_id.in_(communities),
                                                                     Member.work_unit_id.is_not(None))
                                   .distinct().order_by(Member.work_unit_id).limit(EMPLOYERS)).all()
        plan = {"street": [f"org:{street}"], "community": [f"org:{c}" for c in communities],
                "employer": [f"unit:{u}" for u in units]}
        for kind, scopes in plan.items():
            with counting(db.engine) as statements, stopwatch() as seconds:
                states = [bulletins.compile_bulletin(kind, scope, period).state for scope in scopes]
            assert set(states) == {"compiled"}, states
            out[f"bulletin_{kind}"] = result(seconds() / len(scopes), "s each", statements() // len(scopes))
        db.engine.dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(measure(*sys.argv[1:]), ensure_ascii=False))
