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

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    period: Mapped[str] = mapped_column(String(10), doc="the period's label: 2026-11, 2026-Q4 or 2026")
    indicator: Mapped[str] = mapped_column(String(80), doc="the indicator's key (`dual.registered_rate`)")
    scope: Mapped[str] = mapped_column(String(40), doc='"org:<id>", "unit:<id>" or "city", as bulletins name it')
    level: Mapped[str] = mapped_column(String(16), doc="community, street, city, employer or branch")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), doc="the organization, for organization levels")
    work_unit_id: Mapped[int | None] = mapped_column(ForeignKey("work_unit.id"), doc="the employer, for the employer level")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), doc="a community's street")
    plugin: Mapped[str] = mapped_column(String(64), doc="the plugin that declared the indicator")
    title: Mapped[str] = mapped_column(String(120), doc="the indicator's title, copied so figures of a disabled plugin still read")
    unit: Mapped[str] = mapped_column(String(20), default="", doc="its unit (人, %, 次)")
    higher_is_better: Mapped[bool] = mapped_column(default=True, doc="whether a higher value ranks first")
    value: Mapped[float | None] = mapped_column(Float, doc="the value; for rates numerator / denominator")
    numerator: Mapped[float | None] = mapped_column(Float, doc="a rate's numerator (streets and the city add these up)")
    denominator: Mapped[float | None] = mapped_column(Float, doc="a rate's denominator")
    rank: Mapped[int | None] = mapped_column(doc="among peers: a community within its street, others within the city")
    peers: Mapped[int | None] = mapped_column(doc="how many peers were ranked")
    city_rank: Mapped[int | None] = mapped_column(doc="a community among all communities of the city")
    city_peers: Mapped[int | None] = mapped_column(doc="how many communities were ranked")
    previous: Mapped[float | None] = mapped_column(Float, doc="the previous period's value")


class IndicatorRun(db.Model):
    __tablename__ = "indicator_run"

    period: Mapped[str] = mapped_column(String(10), primary_key=True, doc="the period's label: 2026-11, 2026-Q4 or 2026")
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, doc="when the pass ran (UTC)")
    indicators: Mapped[list] = mapped_column(JSON, default=list, doc="the keys of the indicators this pass computed")
