"""Period indicators: one pass per period for the whole city, rolled up, ranked, compared, and read by bulletins."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import demo, indicator_pass
from core.errors import ValidationError
from core.models import IndicatorRun, IndicatorValue

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def loaded(db):
    return demo.load(today=TODAY)


def _values(period, key):
    return {row.scope: row for row in database_rows(period, key)}


def database_rows(period, key):
    from core.extensions import db
    return db.session.scalars(select(IndicatorValue).where(IndicatorValue.period == period,
                                                           IndicatorValue.indicator == key)).all()


def test_smoke(db, loaded):
    n = indicator_pass.compute("2026-10", today=TODAY)
    assert n > 0
