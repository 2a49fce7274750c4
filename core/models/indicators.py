"""Period indicators: one row per (period, scope, indicator), written by one pass over the city.

Each row carries what a bulletin, a ranking or a dashboard needs without touching the
members table again: the value (and for rates its numerator and denominator), the rank
among its peers and in the city, and the previous period's value. `title` and `unit`
are copied in, so a plugin disabled later leaves figures that still read correctly.
`indicator_run` says which periods were computed, and with which indicators.
"""
import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class IndicatorValue(db.Model):
    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("period", "indicator", "scope", name="uq_indicator_value"),
                      Index("ix_indicator_value_scope", "scope", "period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(10))
    indicator: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(40))  # "org:<id>", "unit:<id>" or "city", as bulletins name it
    level: Mapped[str] = mapped_column(String(16))  # community, street, city, employer, branch
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    work_unit_id: Mapped[int | None] = mapped_column(ForeignKey("work_unit.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))  # a community's street
    plugin: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(20), default="")
    higher_is_better: Mapped[bool] = mapped_column(default=True)
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column()  # among peers: a community in its street, others in the city
    peers: Mapped[int | None] = mapped_column()
    city_rank: Mapped[int | None] = mapped_column()  # a community among all communities
    city_peers: Mapped[int | None] = mapped_column()
    previous: Mapped[float | None] = mapped_column(Float)


class IndicatorRun(db.Model):
    __tablename__ = "indicator_run"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    indicators: Mapped[list] = mapped_column(JSON, default=list)  # the keys this pass computed
