"""Party members: the one record every mode hangs its own records on."""
import datetime as dt
import re

from email_validator import EmailNotValidError, validate_email
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
# How a member prefers to be reached; a preference without its address falls back to the other one.
CHANNELS = {"sms": _l("短信"), "email": _l("电子邮件")}
# 中国大陆手机号码: 11 digits from 13x to 19x; "+86"/"86" and separators are accepted on the way in.
MOBILE = re.compile(r"1[3-9]\d{9}")
MOBILE_NOISE = re.compile(r"[\s\-()（）]")


class Member(Audited, Timestamps, db.Model):
    """A Party member: the one record every mode hangs its own records on. Validated before every flush."""
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    name: Mapped[str] = mapped_column(search_text(60), index=True, doc="姓名")
    name_pinyin: Mapped[str] = mapped_column(search_text(240), default="", index=True,
                                             doc="the name in pinyin, for search (written by validation)")
    name_initials: Mapped[str] = mapped_column(search_text(60), default="", index=True,
                                               doc="the pinyin initials, for search (written by validation)")
    gender: Mapped[str] = mapped_column(String(8), doc="性别 (see Genders; must agree with the 身份证)")
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族", doc="民族")
    birth_date: Mapped[dt.date] = mapped_column(Date, doc="出生日期 (must agree with the 身份证)", info=sensitive("birth_date"))
    id_number: Mapped[str] = mapped_column(search_text(18), unique=True,
                                           doc="身份证 number, 18 characters with a valid check digit; sensitive", info=sensitive("id_number"))
    phone: Mapped[str | None] = mapped_column(search_text(32), index=True, doc="联系电话; sensitive", info=sensitive("phone"))
    address: Mapped[str | None] = mapped_column(String(255), doc="家庭住址; sensitive", info=sensitive("address"))
    # The member's own addresses for reminders.
    email: Mapped[str | None] = mapped_column(String(254), info=sensitive("email"), doc="the member's own e-mail, for reminders to the member; sensitive")
    mobile: Mapped[str | None] = mapped_column(String(20), info=sensitive("phone"), doc="the member's own mobile, for SMS reminders to the member; sensitive")
    preferred_channel: Mapped[str | None] = mapped_column(String(8), doc="sms or email: how reminders reach the member (see Member channels)")
    building: Mapped[str | None] = mapped_column(String(32), doc="楼栋", info=sensitive("address"))
    unit_no: Mapped[str | None] = mapped_column(String(16), doc="单元", info=sensitive("address"))
    room: Mapped[str | None] = mapped_column(String(16), doc="房号", info=sensitive("address"))
    education: Mapped[str | None] = mapped_column(String(16), doc="学历 (see Educations)")
    joined_on: Mapped[dt.date] = mapped_column(Date, doc="入党日期: the branch meeting's approval, the start of the 预备期")
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date, doc="转正日期; set for full members only")
    probation_extension_months: Mapped[int] = mapped_column(default=0,
                                                            doc="months the 预备期 was extended by (0, or 6-12)")
    status: Mapped[str] = mapped_column(String(16), default="full", doc="probationary or full (see Member statuses)")
    category: Mapped[str] = mapped_column(String(32), index=True,
                                          doc="the management category, claimed by one mode (see Member categories)")
    # Set by core.members.change_category: the mode a member left, for the mode they joined.
    previous_category: Mapped[str | None] = mapped_column(String(32), doc="the category the member last left (set by core.members.change_category)")
    state: Mapped[str] = mapped_column(String(20), default="active", index=True,
                                       doc="active, transferred_out, suspended or deceased (see Member states); checks consider active members")
    affiliation_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                                       doc="所属: the organization holding the Party relationship")
    location_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                                    doc="所在: the community the member lives in")
    liaison_group_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                                         doc="the 楼寓党员联络小组 (a liaison_group under the location)")
    work_unit_id: Mapped[int | None] = mapped_column(ForeignKey("work_unit.id"), index=True,
                                                     doc="工作单位: the employer, if any")

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
        _validate_contacts(self, fail)
        if self.probation_extension_months and not 6 <= self.probation_extension_months <= 12:
            fail("probation_extension_months", _("预备期只能延长6至12个月"))
        if errors:
            raise ValidationError(errors)
        self.name = self.name.strip()
        self.name_pinyin, self.name_initials = names.pinyin_keys(self.name)


def _validate_contacts(member, fail):
    """Normalizes the addresses in place (so a reminder goes to one spelling of each), or fails. A function, not a
    method: the roster's `Candidate` borrows `Member.validate` alone."""
    mobile = MOBILE_NOISE.sub("", member.mobile or "")
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    elif len(mobile) == 13 and mobile.startswith("86"):
        mobile = mobile[2:]
    if mobile and not MOBILE.fullmatch(mobile):
        fail("mobile", _("“%(v)s”不是有效的手机号码（应为11位，以13至19开头）", v=member.mobile))
    else:
        member.mobile = mobile or None
    email = (member.email or "").strip()
    if email:
        try:
            member.email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            fail("email", _("“%(v)s”不是有效的电子邮箱地址", v=email))
    else:
        member.email = None
    if member.preferred_channel in ("", None):
        member.preferred_channel = None
    elif member.preferred_channel not in CHANNELS:
        fail("preferred_channel", _("首选联系方式应为短信或电子邮件"))
    elif member.preferred_channel == "sms" and not mobile:
        fail("preferred_channel", _("首选短信须填写手机号码"))
    elif member.preferred_channel == "email" and not email:
        fail("preferred_channel", _("首选电子邮件须填写电子邮箱"))


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
