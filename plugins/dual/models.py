"""双管's records: registration with the community (到社区报到), posts (设岗定责), service, evaluation,
feedback to the employer (双向反馈), opinion requests, and self-service registration requests.

Every model is audited; bad input raises `ValidationError` with a Chinese message from a
`before_flush` listener, so forms, imports and scripts obey the same rules.
"""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import (Column, Date, DateTime, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint,
                        and_, event, exists, or_, select)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.plugin_api import (Audited, Timestamps, ValidationError, db, parse_id_number, parse_period,
                             sensitive, utcnow)

REGISTRATION_STATES = {"registered": _l("在册"), "left": _l("已离开")}
# A member registers where they live: a community may not register someone living in a community outside its
# staff's scope (form and import alike), which would take them from that community.
LIVES_ELSEWHERE = _l("该党员居住在其他社区，报到须由其居住社区办理")
GRADES = {"excellent": _l("优秀"), "qualified": _l("合格"), "basic": _l("基本合格"), "unqualified": _l("不合格")}
# "合格 or better": the grades a member who never registered that year cannot be given.
QUALIFIED_OR_BETTER = ("excellent", "qualified")
SIGNUP_STATES = {"pending": _l("待审核"), "approved": _l("已批准"), "rejected": _l("已驳回")}
POST_NAMES = ["政策宣传", "矛盾调解", "环境整治", "治安巡逻", "志愿服务"]


class Post(Audited, Timestamps, db.Model):
    """A post the community sets up (设岗) for in-service members to claim (定责)."""
    __tablename__ = "dual_post"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    duties: Mapped[str | None] = mapped_column(Text)
    needed: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)

    org = relationship("Organization")

    def __str__(self):
        return f"{self.name}（{self.org.name}）" if self.org else self.name

    def validate(self):
        errors = {}
        if not (self.name or "").strip():
            errors["name"] = [_("岗位名称不能为空")]
        if self.needed is None or self.needed < 1:
            errors["needed"] = [_("岗位所需人数至少为1")]
        _require_community(self.org, errors)
        if errors:
            raise ValidationError(errors)


class Registration(Audited, Timestamps, db.Model):
    """到社区报到: one in-service member registered with one community, with the 社区联系卡."""
    __tablename__ = "dual_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    registered_on: Mapped[dt.date] = mapped_column(Date, index=True)
    card_no: Mapped[str] = mapped_column(String(32), unique=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("dual_post.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="registered", index=True)
    left_on: Mapped[dt.date | None] = mapped_column(Date)

    member = relationship("Member")
    org = relationship("Organization")
    post = relationship("Post")

    def __str__(self):
        return f"{self.card_no} {self.member.name if self.member else ''}"

    def validate(self):
        errors = {}

        def fail(field, message):
            errors.setdefault(field, []).append(message)

        if not (self.card_no or "").strip():
            fail("card_no", _("社区联系卡号不能为空"))
        if self.registered_on is None:
            fail("registered_on", _("报到日期不能为空"))
        elif self.registered_on > dt.date.today():
            fail("registered_on", _("报到日期 %(d)s 晚于今天", d=self.registered_on.isoformat()))
        if self.state not in REGISTRATION_STATES:
            fail("state", _("报到状态无效"))
        if self.state == "left" and self.left_on is None:
            fail("left_on", _("已离开的须填写离开日期"))
        if self.left_on and self.registered_on and self.left_on < self.registered_on:
            fail("left_on", _("离开日期不能早于报到日期"))
        member = self.member
        if member is None:
            fail("member", _("请选择党员"))
        elif member.category != "in_service":
            fail("member", _("“%(n)s”不是在职党员，不能到社区报到", n=member.name))
        _require_community(self.org, errors)
        post = self.post
        if post is not None and self.org is not None and post.org is not self.org:
            fail("post", _("岗位“%(p)s”不属于报到社区", p=post.name))
        if errors:
            raise ValidationError(errors)
        self.card_no = self.card_no.strip()


class Service(Audited, Timestamps, db.Model):
    """A service record outside working time; the 社区联系卡's log is the list of these."""
    __tablename__ = "dual_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    served_on: Mapped[dt.date] = mapped_column(Date, index=True)
    activity: Mapped[str] = mapped_column(String(200))
    hours: Mapped[float] = mapped_column(Numeric(6, 1, asdecimal=False))
    verified_by: Mapped[str | None] = mapped_column(String(60))

    member = relationship("Member")
    org = relationship("Organization")

    def validate(self):
        errors = {}
        if not (self.activity or "").strip():
            errors["activity"] = [_("服务内容不能为空")]
        if self.hours is None or not 0 < float(self.hours) <= 24:
            errors["hours"] = [_("服务时长应在0到24小时之间")]
        if self.served_on is None:
            errors["served_on"] = [_("服务日期不能为空")]
        elif self.served_on > dt.date.today():
            errors["served_on"] = [_("服务日期 %(d)s 晚于今天", d=self.served_on.isoformat())]
        if self.member is None:
            errors["member"] = [_("请选择党员")]
        _require_community(self.org, errors)
        if errors:
            raise ValidationError(errors)


class Evaluation(Audited, Timestamps, db.Model):
    """The community's evaluation of one member for one period (2026, or 2026-Q3 where quarterly)."""
    __tablename__ = "dual_evaluation"
    __table_args__ = (UniqueConstraint("member_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    grade: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    evaluated_on: Mapped[dt.date] = mapped_column(Date, default=dt.date.today)

    member = relationship("Member")
    org = relationship("Organization")

    def validate(self):
        errors = {}

        def fail(field, message):
            errors.setdefault(field, []).append(message)

        period = None
        try:
            period = parse_period(self.period)
            if period.kind == "month":
                raise ValidationError.single("period", _("评价期间应为年度（如2026）或季度（如2026-Q3）"))
            self.period = period.label
        except ValidationError as exc:
            errors.update(exc.errors)
            period = None
        if self.grade not in GRADES:
            fail("grade", _("评价等次应为优秀、合格、基本合格或不合格"))
        member_id = self.member.id if self.member else None
        if member_id is None:
            fail("member", _("请选择党员"))
        _require_community(self.org, errors)
        if period and member_id and self.grade in QUALIFIED_OR_BETTER \
                and not registered_in_year(member_id, period.start.year):
            fail("grade", _("该党员%(y)d年未到社区报到，不能评为合格及以上等次", y=period.start.year))
        if errors:
            raise ValidationError(errors)


def registered_during(start, end):
    """A condition on Registration: registered before `end` and not gone before `start` (end exclusive)."""
    return and_(Registration.registered_on < end,
                or_(Registration.left_on.is_(None), Registration.left_on >= start))


def registered_in_year(member_id, year):
    """The one rule: a member counts as registered in `year` if a registration covered any day of it."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    return db.session.scalar(select(exists().where(Registration.member_id == member_id,
                                                   registered_during(start, end))))


feedback_member = Table(
    "dual_feedback_member", db.metadata,
    Column("feedback_id", ForeignKey("dual_feedback.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("member.id"), primary_key=True, index=True),
)


class Feedback(Audited, Timestamps, db.Model):
    """双向反馈: what the community tells an employer about its members, per unit per quarter."""
    __tablename__ = "dual_feedback"
    __table_args__ = (UniqueConstraint("org_id", "work_unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    work_unit_id: Mapped[int] = mapped_column(ForeignKey("work_unit.id"), index=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    content: Mapped[str] = mapped_column(Text)
    sent_on: Mapped[dt.date | None] = mapped_column(Date)
    acknowledged_on: Mapped[dt.date | None] = mapped_column(Date)
    acknowledgement: Mapped[str | None] = mapped_column(Text)

    org = relationship("Organization")
    work_unit = relationship("WorkUnit")
    members = relationship("Member", secondary=feedback_member)

    def validate(self):
        errors = {}
        try:
            period = parse_period(self.period)
            if period.kind != "quarter":
                errors["period"] = [_("反馈期间应为季度，如2026-Q3")]
            else:
                self.period = period.label
        except ValidationError as exc:
            errors.update(exc.errors)
        if not (self.content or "").strip():
            errors["content"] = [_("反馈内容不能为空")]
        if self.acknowledged_on and (self.sent_on is None or self.acknowledged_on < self.sent_on):
            errors["acknowledged_on"] = [_("单位回复日期不能早于发送日期")]
        if self.work_unit is None:
            errors["work_unit"] = [_("请选择工作单位")]
        _require_community(self.org, errors)
        if errors:
            raise ValidationError(errors)


class OpinionRequest(Audited, Timestamps, db.Model):
    """考察党员干部听取社区党组织意见: the employer asks before promoting a member."""
    __tablename__ = "dual_opinion_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    work_unit_id: Mapped[int | None] = mapped_column(ForeignKey("work_unit.id"), index=True)
    purpose: Mapped[str | None] = mapped_column(String(200))
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    opinion: Mapped[str | None] = mapped_column(Text)

    member = relationship("Member")
    org = relationship("Organization")
    work_unit = relationship("WorkUnit")

    def validate(self):
        errors = {}
        if self.received_on is None:
            errors["received_on"] = [_("收到日期不能为空")]
        if self.answered_on is not None:
            if self.received_on and self.answered_on < self.received_on:
                errors["answered_on"] = [_("答复日期不能早于收到日期")]
            if not (self.opinion or "").strip():
                errors["opinion"] = [_("已答复的须填写社区党组织意见")]
        if self.member is None:
            errors["member"] = [_("请选择党员")]
        _require_community(self.org, errors)
        if errors:
            raise ValidationError(errors)


class Signup(Audited, Timestamps, db.Model):
    """A self-service registration from the public form, waiting for the community's staff."""
    __tablename__ = "dual_signup"
    __audit_exclude__ = ("created_at", "updated_at", "address")

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(String(18), info=sensitive("id_number"))
    phone: Mapped[str] = mapped_column(String(32), info=sensitive("phone"))
    employer: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    address: Mapped[str] = mapped_column(String(64), index=True, info=sensitive("secret"))
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("dual_registration.id"))
    note: Mapped[str | None] = mapped_column(String(200))

    org = relationship("Organization")
    registration = relationship("Registration")

    def validate(self):
        errors = {}
        if not (self.name or "").strip():
            errors["name"] = [_("姓名不能为空")]
        try:
            self.id_number = parse_id_number(self.id_number).number
        except ValidationError as exc:
            errors.update(exc.errors)
        if not (self.phone or "").strip():
            errors["phone"] = [_("联系电话不能为空")]
        if not (self.employer or "").strip():
            errors["employer"] = [_("工作单位不能为空")]
        _require_community(self.org, errors)
        if errors:
            raise ValidationError(errors)


Index("ix_dual_service_member_served", Service.member_id, Service.served_on)
Index("ix_dual_registration_org_state", Registration.org_id, Registration.state)


def _require_community(org, errors):
    if org is None:
        errors.setdefault("org", []).append(_("请选择社区"))
    elif org.kind != "community":
        errors.setdefault("org", []).append(_("“%(n)s”不是社区党组织", n=org.name))


VALIDATED = (Post, Registration, Service, Evaluation, Feedback, OpinionRequest, Signup)


@event.listens_for(Session, "before_flush")
def _validate(session, flush_context, instances):
    """No path writes a record of this plugin without its rules: forms, imports and scripts alike."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, VALIDATED) and (obj in session.new or session.is_modified(obj)):
            with session.no_autoflush:
                obj.validate()
