"""直管 records: responsibility zones (党员责任区), responsibility cards (责任卡), pairings with households
in need (结对帮扶) and their visits, and the yearly 争五好 rating.

Every model is audited; `validate()` runs from a `before_flush` listener, so forms, imports and
scripts alike are refused with a Chinese message and nothing is saved.
"""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.plugin_api import Audited, Member, Organization, Timestamps, ValidationError, db, sensitive

# The five roles of a responsibility card, in the article's order.
ROLES = {
    "role_policy": _l("党的政策宣传员"),
    "role_mediation": _l("民间纠纷调解员"),
    "role_liaison": _l("居民群众联系员"),
    "role_security": _l("社区治安保安员"),
    "role_environment": _l("环境卫生监督员"),
}
# The five goods of 争五好.
GOODS = {
    "good_citizen": _l("好公民"),
    "good_member": _l("好党员"),
    "good_worker": _l("好职工"),
    "good_neighbour": _l("好邻居"),
    "good_parent": _l("好家长"),
}
DIFFICULTIES = {
    "low_income": _l("低保户"),
    "disabled": _l("残疾人家庭"),
    "elderly_alone": _l("空巢/独居老人"),
    "illness": _l("因病致困"),
    "unemployed": _l("失业家庭"),
    "single_parent": _l("单亲家庭"),
    "other": _l("其他困难"),
}


class _Errors(dict):
    def fail(self, field, message):
        self.setdefault(field, []).append(message)

    def raise_any(self):
        if self:
            raise ValidationError(self)


class Zone(Audited, Timestamps, db.Model):
    """党员责任区: a community's buildings (楼栋/单元) in the care of one or more resident members."""
    __tablename__ = "direct_zone"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)

    community = relationship("Organization")
    buildings = relationship("ZoneBuilding", back_populates="zone", cascade="all, delete-orphan",
                             order_by="ZoneBuilding.id")
    responsibles = relationship("ZoneResponsible", back_populates="zone", cascade="all, delete-orphan",
                                order_by="ZoneResponsible.id")

    def __str__(self):
        return self.name

    def validate(self, session):
        errors = _Errors()
        if not (self.name or "").strip():
            errors.fail("name", _("责任区名称不能为空"))
        community = self.community or (session.get(Organization, self.community_id) if self.community_id else None)
        if community is None:
            errors.fail("community", _("须选择责任区所在社区"))
        elif community.kind != "community":
            errors.fail("community", _("责任区须属于社区党组织，“%(n)s”不是", n=community.name))
        errors.raise_any()
        self.name = self.name.strip()


class ZoneBuilding(Audited, db.Model):
    """A building (and, if given, its units) a zone covers; a building belongs to one zone of its community."""
    __tablename__ = "direct_zone_building"
    __table_args__ = (UniqueConstraint("community_id", "building"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("direct_zone.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    building: Mapped[str] = mapped_column(String(32))
    units: Mapped[str | None] = mapped_column(String(60))

    zone = relationship("Zone", back_populates="buildings")
    community = relationship("Organization")

    def __str__(self):
        return f"{self.building}{self.units or ''}"


class ZoneResponsible(Audited, db.Model):
    """A member responsible for a zone."""
    __tablename__ = "direct_zone_member"
    __table_args__ = (UniqueConstraint("zone_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("direct_zone.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)

    zone = relationship("Zone", back_populates="responsibles")
    member = relationship("Member")

    def __str__(self):
        return str(self.member) if self.member else ""


class Card(Audited, Timestamps, db.Model):
    """责任卡: issued to a member for one year, with the roles taken from the five."""
    __tablename__ = "direct_card"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("direct_zone.id", ondelete="SET NULL"), index=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(index=True)
    role_policy: Mapped[bool] = mapped_column(Boolean, default=False)
    role_mediation: Mapped[bool] = mapped_column(Boolean, default=False)
    role_liaison: Mapped[bool] = mapped_column(Boolean, default=False)
    role_security: Mapped[bool] = mapped_column(Boolean, default=False)
    role_environment: Mapped[bool] = mapped_column(Boolean, default=False)
    duties: Mapped[str | None] = mapped_column(Text)
    # Where the holder's reminders go (the member record has no e-mail); else the community's mailbox.
    email: Mapped[str | None] = mapped_column(String(120), info=sensitive("email"))

    community = relationship("Organization")
    member = relationship("Member")
    zone = relationship("Zone")

    def __str__(self):
        return self.number

    @property
    def role_titles(self):
        return [str(title) for key, title in ROLES.items() if getattr(self, key)]

    def validate(self, session):
        errors = _Errors()
        if not (self.number or "").strip():
            errors.fail("number", _("责任卡编号不能为空"))
        community = self.community or (session.get(Organization, self.community_id) if self.community_id else None)
        member = self.member or (session.get(Member, self.member_id) if self.member_id else None)
        zone = self.zone or (session.get(Zone, self.zone_id) if self.zone_id else None)
        if community is None:
            errors.fail("community", _("须选择发卡社区"))
        elif community.kind != "community":
            errors.fail("community", _("发卡单位须为社区党组织，“%(n)s”不是", n=community.name))
        if member is None:
            errors.fail("member", _("须选择持卡党员"))
        elif community is not None and _org_id(member, "location") != community.id \
                and _org_id(member, "affiliation") not in _subtree_ids(session, community):
            errors.fail("member", _("党员%(m)s不在%(c)s", m=member.name, c=community.name))
        zone_community = (zone.community.id if zone.community is not None else zone.community_id) if zone else None
        if zone is not None and community is not None and zone_community != community.id:
            errors.fail("zone", _("责任区“%(z)s”不属于%(c)s", z=zone.name, c=community.name))
        if self.issued_on is None:
            errors.fail("issued_on", _("发卡日期不能为空"))
        elif self.issued_on > dt.date.today():
            errors.fail("issued_on", _("发卡日期 %(d)s 晚于今天", d=self.issued_on.isoformat()))
        if self.year is None:
            errors.fail("year", _("有效年度不能为空"))
        elif self.issued_on is not None and not self.issued_on.year <= self.year <= self.issued_on.year + 1:
            errors.fail("year", _("有效年度应为发卡当年或次年"))
        if not any(getattr(self, key) for key in ROLES):
            errors.fail("role_policy", _("须至少承担五员中的一项职责"))
        if self.email and "@" not in self.email:
            errors.fail("email", _("电子邮箱格式不正确"))
        if community is not None and (self.number or "").strip():
            clash = session.scalar(select(Card.id).where(Card.community_id == community.id,
                                                         Card.number == self.number.strip(),
                                                         Card.id != (self.id or 0)))
            if clash:
                errors.fail("number", _("本社区已有编号为%(n)s的责任卡", n=self.number.strip()))
        errors.raise_any()
        self.number = self.number.strip()


class Pairing(Audited, Timestamps, db.Model):
    """结对帮扶: a member helps a household in need."""
    __tablename__ = "direct_pairing"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    household_name: Mapped[str] = mapped_column(String(60))
    household_address: Mapped[str | None] = mapped_column(String(255), info=sensitive("address"))
    difficulty: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    member = relationship("Member")
    visits = relationship("Visit", back_populates="pairing", cascade="all, delete-orphan",
                          order_by="Visit.visited_on")

    def __str__(self):
        return self.household_name

    def active_on(self, day):
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)

    def validate(self, session):
        errors = _Errors()
        if not (self.household_name or "").strip():
            errors.fail("household_name", _("帮扶对象户主姓名不能为空"))
        if self.member is None and self.member_id is None:
            errors.fail("member", _("须选择结对党员"))
        if self.difficulty not in DIFFICULTIES:
            errors.fail("difficulty", _("请选择困难类型"))
        if self.started_on is None:
            errors.fail("started_on", _("结对日期不能为空"))
        elif self.started_on > dt.date.today():
            errors.fail("started_on", _("结对日期 %(d)s 晚于今天", d=self.started_on.isoformat()))
        elif self.ended_on is not None and self.ended_on < self.started_on:
            errors.fail("ended_on", _("结束日期不能早于结对日期"))
        errors.raise_any()
        self.household_name = self.household_name.strip()


class Visit(Audited, Timestamps, db.Model):
    """A visit to a paired household: when, what was done, with what result."""
    __tablename__ = "direct_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("direct_pairing.id", ondelete="CASCADE"), index=True)
    # The pairing's member, kept here so a visit is scoped like the member (set on every flush).
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date, index=True)
    done: Mapped[str] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(255))

    pairing = relationship("Pairing", back_populates="visits")
    member = relationship("Member")

    def __str__(self):
        return self.visited_on.isoformat() if self.visited_on else ""

    def validate(self, session):
        errors = _Errors()
        pairing = self.pairing or (session.get(Pairing, self.pairing_id) if self.pairing_id else None)
        if pairing is None:
            errors.fail("pairing", _("须选择结对帮扶记录"))
        if not (self.done or "").strip():
            errors.fail("done", _("须填写走访内容"))
        if self.visited_on is None:
            errors.fail("visited_on", _("走访日期不能为空"))
        elif self.visited_on > dt.date.today():
            errors.fail("visited_on", _("走访日期 %(d)s 晚于今天", d=self.visited_on.isoformat()))
        elif pairing is not None and pairing.started_on and self.visited_on < pairing.started_on:
            errors.fail("visited_on", _("走访日期不能早于结对日期 %(d)s", d=pairing.started_on.isoformat()))
        elif pairing is not None and pairing.ended_on and self.visited_on > pairing.ended_on:
            errors.fail("visited_on", _("走访日期不能晚于结对结束日期 %(d)s", d=pairing.ended_on.isoformat()))
        errors.raise_any()
        if pairing.member is not None:
            self.member = pairing.member
        else:
            self.member_id = pairing.member_id


class Rating(Audited, Timestamps, db.Model):
    """争五好: one rating per member per year, each of the five goods met or not, with the community's note."""
    __tablename__ = "direct_rating"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    good_citizen: Mapped[bool] = mapped_column(Boolean, default=False)
    good_member: Mapped[bool] = mapped_column(Boolean, default=False)
    good_worker: Mapped[bool] = mapped_column(Boolean, default=False)
    good_neighbour: Mapped[bool] = mapped_column(Boolean, default=False)
    good_parent: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)

    member = relationship("Member")

    def __str__(self):
        return f"{self.year}"

    @property
    def met(self):
        return [str(title) for key, title in GOODS.items() if getattr(self, key)]

    def validate(self, session):
        errors = _Errors()
        if self.member is None and self.member_id is None:
            errors.fail("member", _("须选择党员"))
        if self.year is None:
            errors.fail("year", _("评定年度不能为空"))
        elif not 2000 <= self.year <= dt.date.today().year:
            errors.fail("year", _("评定年度 %(y)s 无效", y=self.year))
        member_id = self.member.id if self.member is not None else self.member_id
        if member_id is not None and self.year is not None:
            clash = session.scalar(select(Rating.id).where(Rating.member_id == member_id, Rating.year == self.year,
                                                           Rating.id != (self.id or 0)))
            if clash:
                errors.fail("year", _("该党员%(y)s年度已有争五好评定", y=self.year))
        errors.raise_any()


def _org_id(obj, name):
    related = getattr(obj, name)
    return related.id if related is not None else getattr(obj, f"{name}_id")


def _subtree_ids(session, org):
    return set(session.scalars(select(Organization.id).where(Organization.in_subtree(org.path))))


def _validate_buildings(session, zones):
    """A building belongs to one zone of its community: the zone's own rows and the stored ones."""
    for zone in zones:
        community_id = zone.community.id if zone.community is not None else zone.community_id
        seen = set()
        for row in zone.buildings:
            row.building = (row.building or "").strip()
            if not row.building:
                raise ValidationError.single("buildings", _("楼栋不能为空"))
            if row.building in seen:
                raise ValidationError.single("buildings", _("楼栋%(b)s重复填写", b=row.building))
            seen.add(row.building)
            if zone.community is not None:
                row.community = zone.community
            else:
                row.community_id = community_id
        if not seen:
            continue
        own = [b.id for b in zone.buildings if b.id is not None]
        taken = session.execute(
            select(ZoneBuilding.building, Zone.name).join(Zone, Zone.id == ZoneBuilding.zone_id)
            .where(ZoneBuilding.community_id == community_id, ZoneBuilding.building.in_(seen),
                   ZoneBuilding.zone_id != (zone.id or 0), ZoneBuilding.id.not_in(own or [0]))).first()
        if taken:
            raise ValidationError.single("buildings", _("%(b)s已属于责任区“%(z)s”，一栋楼只能属于一个责任区",
                                                        b=taken[0], z=taken[1]))


@event.listens_for(Session, "before_flush")
def _validate_direct(session, flush_context, instances):
    changed = [o for o in list(session.new) + list(session.dirty)
               if o in session.new or session.is_modified(o)]
    zones = set()
    with session.no_autoflush:
        for obj in changed:
            if isinstance(obj, (Zone, Card, Pairing, Visit, Rating)):
                obj.validate(session)
            if isinstance(obj, Zone):
                zones.add(obj)
            elif isinstance(obj, ZoneBuilding) and obj.zone is not None:
                zones.add(obj.zone)
        _validate_buildings(session, zones)
