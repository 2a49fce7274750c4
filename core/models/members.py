"""Party members: the one record every mode hangs its own records on."""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String, event, or_
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .. import idcard, names, privacy
from ..privacy import sensitive
from ..errors import ValidationError
from ..extensions import db
from .base import Audited, Timestamps

# Byte-ordered on PostgreSQL, so `LIKE 'prefix%'` searches use the plain B-tree index.
def search_text(length):
    return String(length).with_variant(String(length, collation="C"), "postgresql")

GENDERS = {"male": _l("男"), "female": _l("女")}
STATUSES = {"probationary": _l("预备党员"), "full": _l("正式党员")}
STATES = {"active": _l("在册"), "transferred_out": _l("转出"), "suspended": _l("停止党籍"), "deceased": _l("去世")}
EDUCATIONS = {
    "primary": _l("小学"), "junior": _l("初中"), "senior": _l("高中/中专"), "college": _l("大专"),
    "bachelor": _l("本科"), "master": _l("硕士研究生"), "doctor": _l("博士研究生"),
}
MIN_JOIN_AGE = 18


class Member(Audited, Timestamps, db.Model):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(search_text(60), index=True)
    name_pinyin: Mapped[str] = mapped_column(search_text(240), default="", index=True)
    name_initials: Mapped[str] = mapped_column(search_text(60), default="", index=True)
    gender: Mapped[str] = mapped_column(String(8))
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族")
    birth_date: Mapped[dt.date] = mapped_column(Date, info=sensitive("birth_date"))
    id_number: Mapped[str] = mapped_column(search_text(18), unique=True, info=sensitive("id_number"))
    phone: Mapped[str | None] = mapped_column(search_text(32), index=True, info=sensitive("phone"))
    address: Mapped[str | None] = mapped_column(String(255), info=sensitive("address"))
    building: Mapped[str | None] = mapped_column(String(32))
    unit_no: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    education: Mapped[str | None] = mapped_column(String(16))
    joined_on: Mapped[dt.date] = mapped_column(Date)
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    probation_extension_months: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="full")
    category: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(20), default="active", index=True)
    affiliation_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    liaison_group_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    work_unit_id: Mapped[int | None] = mapped_column(ForeignKey("work_unit.id"), index=True)

    affiliation = relationship("Organization", foreign_keys=[affiliation_id])
    location = relationship("Organization", foreign_keys=[location_id])
    liaison_group = relationship("Organization", foreign_keys=[liaison_group_id])
    work_unit = relationship("WorkUnit")

    def __str__(self):
        return self.name

    @classmethod
    def search(cls, term, staff=None):
        """One search term as an indexed prefix match: digits find 身份证 and phone,
        latin letters find pinyin ("zhangsan") and initials ("zs"), anything else the name.
        Numbers are matched as `staff` (default: the current user) may see them (core.privacy.matches)."""
        term = term.strip()
        if term[:-1].isdigit() and len(term) >= 3:
            term = term.upper()
            declared = privacy.columns(cls)
            return or_(privacy.matches(cls.id_number, declared["id_number"], term, staff),
                       privacy.matches(cls.phone, declared["phone"], term, staff))
        if term.isascii() and term.isalpha():
            term = term.lower()
            return or_(cls.name_pinyin.startswith(term, autoescape=True),
                       cls.name_initials.startswith(term, autoescape=True))
        return cls.name.startswith(term, autoescape=True)

    def validate(self):
        """Collect every problem at once so a form or an import row can show them all."""
        errors = {}

        def fail(field, message):
            errors.setdefault(field, []).append(message)

        if not (self.name or "").strip():
            fail("name", _("姓名不能为空"))
        card = None
        try:
            card = idcard.parse(self.id_number)
            self.id_number = card.number
        except ValidationError as exc:
            errors.update(exc.errors)
        if card:
            if self.birth_date and self.birth_date != card.birth_date:
                fail("birth_date", _("出生日期 %(b)s 与身份证号码中的 %(c)s 不一致",
                                     b=self.birth_date.isoformat(), c=card.birth_date.isoformat()))
            if self.gender and self.gender != card.gender:
                fail("gender", _("性别与身份证号码不一致（身份证号码第17位表示%(g)s）", g=GENDERS[card.gender]))
            self.birth_date = self.birth_date or card.birth_date
            self.gender = self.gender or card.gender
        if self.gender not in GENDERS:
            fail("gender", _("性别应为男或女"))
        today = dt.date.today()
        if self.joined_on is None:
            fail("joined_on", _("入党日期不能为空"))
        elif self.joined_on > today:
            fail("joined_on", _("入党日期 %(d)s 晚于今天", d=self.joined_on.isoformat()))
        elif self.birth_date and self.joined_on < _years_after(self.birth_date, MIN_JOIN_AGE):
            fail("joined_on", _("入党日期 %(d)s 早于年满%(n)d周岁", d=self.joined_on.isoformat(), n=MIN_JOIN_AGE))
        if self.confirmed_on is not None:
            if self.joined_on and self.confirmed_on < self.joined_on:
                fail("confirmed_on", _("转正日期不能早于入党日期"))
            if self.confirmed_on > today:
                fail("confirmed_on", _("转正日期 %(d)s 晚于今天", d=self.confirmed_on.isoformat()))
        if self.status not in STATUSES:
            fail("status", _("党员类型应为预备党员或正式党员"))
        elif self.status == "full" and self.confirmed_on is None:
            fail("confirmed_on", _("正式党员须填写转正日期"))
        elif self.status == "probationary" and self.confirmed_on is not None:
            fail("status", _("已有转正日期的党员应为正式党员"))
        if self.state not in STATES:
            fail("state", _("党籍状态无效"))
        if not (self.category or "").strip():
            fail("category", _("类别不能为空"))
        if self.affiliation_id is None and self.affiliation is None and self.work_unit_id is None \
                and self.work_unit is None:
            fail("affiliation", _("须填写所属党组织，或其组织关系所在的工作单位"))
        location = self.location
        if location is not None and location.kind != "community":
            fail("location", _("所在社区须为社区党组织，“%(n)s”不是", n=location.name))
        group = self.liaison_group
        if group is not None:
            if group.kind != "liaison_group":
                fail("liaison_group", _("“%(n)s”不是楼寓党员联络小组", n=group.name))
            elif location is not None and not location.contains(group):
                fail("liaison_group", _("联络小组“%(g)s”不在所在社区“%(c)s”之下", g=group.name, c=location.name))
        if self.probation_extension_months and not 6 <= self.probation_extension_months <= 12:
            fail("probation_extension_months", _("预备期只能延长6至12个月"))
        if errors:
            raise ValidationError(errors)
        self.name = self.name.strip()
        self.name_pinyin, self.name_initials = names.pinyin_keys(self.name)


def _years_after(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


Index("ix_member_location_category", Member.location_id, Member.category)


@event.listens_for(Session, "before_flush")
def _validate_members(session, flush_context, instances):
    """No path writes a member without these rules: forms, imports and scripts alike."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Member) and (obj in session.new or session.is_modified(obj)):
            obj.validate()
