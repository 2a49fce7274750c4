"""共管 records: the retiree's profile, agreements with former units, care visits and hardships."""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.plugin_api import Audited, Member, Organization, Timestamps, ValidationError, db, sensitive

HEALTH = {"good": _l("良好"), "fair": _l("一般"), "poor": _l("较差"), "bedridden": _l("卧床")}
FRAIL = ("poor", "bedridden")
# What a retiree may take on; a community adds its own in 共管 › 可承担事项. These are data, stored by
# name beside the communities' own, so they are not translated.
TASKS = ["民事调解", "治安防范", "美化社区", "宣传教育", "关心下一代"]
OCCASIONS = {"birthday": _l("生日"), "illness": _l("生病"), "festival": _l("节日"), "hardship": _l("困难"),
             "routine": _l("日常走访")}
HARDSHIP_KINDS = {"illness": _l("疾病"), "housing": _l("住房"), "income": _l("收入"), "care": _l("照料"),
                  "other": _l("其他")}
HARDSHIP_STATES = {"open": _l("待处理"), "in_progress": _l("处理中"), "resolved": _l("已解决")}


def task_field(names):
    """Tasks are kept as ",民事调解,治安防范," so one task is an indexed-free LIKE match in any database."""
    names = [n.strip() for n in names if n and n.strip()]
    return "," + ",".join(dict.fromkeys(names)) + "," if names else ""


def task_list(value):
    return [n for n in (value or "").split(",") if n]


class _Errors(dict):
    def fail(self, field, message):
        self.setdefault(field, []).append(message)

    def raise_any(self):
        if self:
            raise ValidationError(self)


class JointProfile(Audited, Timestamps, db.Model):
    """One per retiree: the former unit and its contact, health, expertise, what they take on, limits."""
    __tablename__ = "joint_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), unique=True)
    former_unit_id: Mapped[int | None] = mapped_column(ForeignKey("work_unit.id"), index=True)
    unit_contact: Mapped[str | None] = mapped_column(String(60))
    unit_contact_phone: Mapped[str | None] = mapped_column(String(32), info=sensitive("phone"))
    retired_on: Mapped[dt.date | None] = mapped_column(Date)
    health: Mapped[str] = mapped_column(String(16), default="good", index=True)
    expertise: Mapped[str | None] = mapped_column(String(255))
    tasks: Mapped[str] = mapped_column(String(255), default="")
    no_stairs: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_company: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)

    member = relationship("Member")
    former_unit = relationship("WorkUnit")

    def __str__(self):
        return str(self.member) if self.member else f"#{self.member_id}"

    def validate(self):
        errors = _Errors()
        member = self.member
        if member is None and self.member_id is not None:
            member = db.session.get(Member, self.member_id)
        if member is None:
            errors.fail("member", _("须选择离退休党员"))
        elif member.category != "retired":
            errors.fail("member", _("“%(n)s”不是离退休党员，不能建立共管档案", n=member.name))
        if self.health not in HEALTH:
            errors.fail("health", _("健康状况应为良好、一般、较差或卧床"))
        if self.retired_on is not None:
            if self.retired_on > dt.date.today():
                errors.fail("retired_on", _("退休日期 %(d)s 晚于今天", d=self.retired_on.isoformat()))
            if member is not None and member.birth_date and self.retired_on < member.birth_date:
                errors.fail("retired_on", _("退休日期不能早于出生日期"))
        if self.unit_contact_phone and not all(c.isdigit() or c in "-+ " for c in self.unit_contact_phone):
            errors.fail("unit_contact_phone", _("联系电话只能包含数字、空格、“-”和“+”"))
        errors.raise_any()


class JointTaskOption(Audited, Timestamps, db.Model):
    """A task a community adds to the built-in list (e.g. 文艺宣传, 垃圾分类督导)."""
    __tablename__ = "joint_task_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))

    org = relationship("Organization")

    def __str__(self):
        return self.name

    def validate(self):
        errors = _Errors()
        name = (self.name or "").strip()
        if not name:
            errors.fail("name", _("事项名称不能为空"))
        elif "," in name or "，" in name:
            errors.fail("name", _("事项名称不能包含逗号"))
        if self.org_id is None and self.org is None:
            errors.fail("org", _("须选择社区"))
        errors.raise_any()
        self.name = name


class JointAgreement(Audited, Timestamps, db.Model):
    """共管协议 between a community and a retiree's former unit."""
    __tablename__ = "joint_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    work_unit_id: Mapped[int] = mapped_column(ForeignKey("work_unit.id"), index=True)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    review_on: Mapped[dt.date] = mapped_column(Date, index=True)
    community_duties: Mapped[str | None] = mapped_column(Text)
    unit_duties: Mapped[str | None] = mapped_column(Text)
    community_contact: Mapped[str | None] = mapped_column(String(60))
    unit_contact: Mapped[str | None] = mapped_column(String(60))
    unit_contact_phone: Mapped[str | None] = mapped_column(String(32), info=sensitive("phone"))

    org = relationship("Organization")
    work_unit = relationship("WorkUnit")

    def __str__(self):
        return f"{self.work_unit or ''} / {self.org or ''}"

    def validate(self):
        errors = _Errors()
        if self.org is None and self.org_id is not None:
            self.org = db.session.get(Organization, self.org_id)
        if self.org is None:
            errors.fail("org", _("须选择社区"))
        elif self.org.kind != "community":
            errors.fail("org", _("协议的一方须为社区党组织，“%(n)s”不是", n=self.org.name))
        if self.work_unit_id is None and self.work_unit is None:
            errors.fail("work_unit", _("须选择原单位"))
        if self.signed_on is None:
            errors.fail("signed_on", _("签订日期不能为空"))
        elif self.signed_on > dt.date.today():
            errors.fail("signed_on", _("签订日期 %(d)s 晚于今天", d=self.signed_on.isoformat()))
        if self.review_on is None:
            errors.fail("review_on", _("复核日期不能为空"))
        elif self.signed_on is not None and self.review_on <= self.signed_on:
            errors.fail("review_on", _("复核日期须晚于签订日期"))
        errors.raise_any()


class JointVisit(Audited, Timestamps, db.Model):
    """走访慰问."""
    __tablename__ = "joint_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date, index=True)
    visitors: Mapped[str] = mapped_column(String(120))
    occasion: Mapped[str] = mapped_column(String(16), default="routine")
    given: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)

    member = relationship("Member")

    def __str__(self):
        return f"{self.member or ''} {self.visited_on or ''}"

    def validate(self):
        errors = _Errors()
        if self.member_id is None and self.member is None:
            errors.fail("member", _("须选择走访对象"))
        if self.visited_on is None:
            errors.fail("visited_on", _("走访日期不能为空"))
        elif self.visited_on > dt.date.today():
            errors.fail("visited_on", _("走访日期 %(d)s 晚于今天", d=self.visited_on.isoformat()))
        if not (self.visitors or "").strip():
            errors.fail("visitors", _("走访人不能为空"))
        if self.occasion not in OCCASIONS:
            errors.fail("occasion", _("走访事由无效"))
        errors.raise_any()


class JointHardship(Audited, Timestamps, db.Model):
    """困难: reported, acted upon (the actions), resolved."""
    __tablename__ = "joint_hardship"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    reported_on: Mapped[dt.date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date, index=True)

    member = relationship("Member")
    actions = relationship("JointHardshipAction", back_populates="hardship", cascade="all, delete-orphan",
                           order_by="JointHardshipAction.acted_on")

    def __str__(self):
        return f"{self.member or ''} {HARDSHIP_KINDS.get(self.kind, self.kind)}"

    def validate(self):
        errors = _Errors()
        if self.member_id is None and self.member is None:
            errors.fail("member", _("须选择党员"))
        if self.kind not in HARDSHIP_KINDS:
            errors.fail("kind", _("困难类型无效"))
        if self.state not in HARDSHIP_STATES:
            errors.fail("state", _("处理状态无效"))
        today = dt.date.today()
        if self.reported_on is None:
            errors.fail("reported_on", _("反映日期不能为空"))
        elif self.reported_on > today:
            errors.fail("reported_on", _("反映日期 %(d)s 晚于今天", d=self.reported_on.isoformat()))
        if self.state == "resolved":
            if self.resolved_on is None:
                errors.fail("resolved_on", _("已解决的困难须填写解决日期"))
            elif self.reported_on is not None and self.resolved_on < self.reported_on:
                errors.fail("resolved_on", _("解决日期不能早于反映日期"))
            elif self.resolved_on > today:
                errors.fail("resolved_on", _("解决日期 %(d)s 晚于今天", d=self.resolved_on.isoformat()))
        elif self.resolved_on is not None:
            errors.fail("resolved_on", _("尚未解决的困难不能填写解决日期"))
        errors.raise_any()


class JointHardshipAction(Audited, Timestamps, db.Model):
    """One thing done about a hardship, with its date."""
    __tablename__ = "joint_hardship_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    hardship_id: Mapped[int] = mapped_column(ForeignKey("joint_hardship.id"), index=True)
    acted_on: Mapped[dt.date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(255))

    hardship = relationship("JointHardship", back_populates="actions")

    def __str__(self):
        return f"{self.acted_on or ''} {self.action or ''}"

    def validate(self):
        errors = _Errors()
        if self.acted_on is None:
            errors.fail("acted_on", _("措施日期不能为空"))
        elif self.acted_on > dt.date.today():
            errors.fail("acted_on", _("措施日期 %(d)s 晚于今天", d=self.acted_on.isoformat()))
        elif self.hardship is not None and self.hardship.reported_on and self.acted_on < self.hardship.reported_on:
            errors.fail("acted_on", _("措施日期不能早于反映日期"))
        if not (self.action or "").strip():
            errors.fail("action", _("措施内容不能为空"))
        errors.raise_any()


VALIDATED = (JointProfile, JointTaskOption, JointAgreement, JointVisit, JointHardship, JointHardshipAction)


@event.listens_for(Session, "before_flush")
def _validate(session, flush_context, instances):
    """Every path (forms, imports, scripts) goes through the same rules; a bad row saves nothing."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, VALIDATED) and (obj in session.new or session.is_modified(obj)):
            obj.validate()
