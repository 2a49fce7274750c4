"""接管's records: the takeover itself, the yearly 五个一, trainings, job referrals, and the
building-to-branch distances that let staff follow 就近."""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.plugin_api import Audited, Member, Organization, Timestamps, ValidationError, db

CATEGORIES = ("laid_off", "contract_ended", "demobilized", "graduate")
REASONS = {
    "laid_off": _l("下岗待岗"),
    "contract_ended": _l("解除劳动合同"),
    "demobilized": _l("未安置复转军人"),
    "graduate": _l("未就业大中专毕业生"),
}
BRANCH_KINDS = ("branch", "building_branch", "temp_branch")
# The yearly 五个一: (field prefix, title).
FIVE_ONES = (
    ("life_meeting", _l("过一次组织生活会")),
    ("thought_report", _l("作一次思想汇报")),
    ("skill", _l("掌握一门技术")),
    ("job", _l("找一个合适岗位")),
    ("contribution", _l("为社区建设做一份贡献")),
)
OUTCOMES = {"pending": _l("待反馈"), "hired": _l("已录用"), "declined": _l("未录用/本人放弃"),
            "no_answer": _l("无回音")}
# Where a member who found work goes: in-service (双管) or resident (直管).
RECLASSIFY_TARGETS = {"in_service": _l("在职党员"), "resident": _l("居民党员")}


class TakeoverRecord(Audited, Timestamps, db.Model):
    """接管登记: who was taken over, why, from where, when, into which branch, by whom."""
    __tablename__ = "takeover_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    from_unit: Mapped[str | None] = mapped_column(String(120))
    arrived_on: Mapped[dt.date | None] = mapped_column(Date)
    taken_over_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    assigned_by: Mapped[str | None] = mapped_column(String(60))
    notes: Mapped[str | None] = mapped_column(Text)

    member = relationship("Member")
    branch = relationship("Organization")

    def __str__(self):
        return f"{self.member}" if self.member else str(self.id)

    def validate(self):
        errors = {}

        def fail(field, message):
            errors.setdefault(field, []).append(message)

        member = self.member or (db.session.get(Member, self.member_id) if self.member_id else None)
        branch = self.branch or (db.session.get(Organization, self.branch_id) if self.branch_id else None)
        today = dt.date.today()
        if member is None:
            fail("member", _("须选择被接管的党员"))
        if self.reason not in REASONS:
            fail("reason", _("接管原因应为下岗待岗、解除劳动合同、未安置复转军人或未就业大中专毕业生"))
        for field in ("arrived_on", "taken_over_on"):
            value = getattr(self, field)
            if value is not None and value > today:
                fail(field, _("日期 %(d)s 晚于今天", d=value.isoformat()))
        if self.arrived_on and self.taken_over_on and self.taken_over_on < self.arrived_on:
            fail("taken_over_on", _("接管日期不能早于组织关系转入日期"))
        if branch is not None:
            if branch.kind not in BRANCH_KINDS:
                fail("branch", _("“%(n)s”不是党支部", n=branch.name))
            elif member is not None and member.location is not None and not member.location.contains(branch):
                fail("branch", _("支部“%(b)s”不在党员所在社区“%(c)s”之下", b=branch.name, c=member.location.name))
            if self.taken_over_on is None:
                fail("taken_over_on", _("编入支部须填写接管日期"))
        if errors:
            raise ValidationError(errors)


class FiveOnes(Audited, Timestamps, db.Model):
    """五个一, one row per member per year; an item is done when it has a date (and evidence)."""
    __tablename__ = "takeover_five_ones"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    life_meeting_on: Mapped[dt.date | None] = mapped_column(Date)
    life_meeting_evidence: Mapped[str | None] = mapped_column(String(255))
    thought_report_on: Mapped[dt.date | None] = mapped_column(Date)
    thought_report_evidence: Mapped[str | None] = mapped_column(String(255))
    skill_on: Mapped[dt.date | None] = mapped_column(Date)
    skill_evidence: Mapped[str | None] = mapped_column(String(255))
    job_on: Mapped[dt.date | None] = mapped_column(Date)
    job_evidence: Mapped[str | None] = mapped_column(String(255))
    contribution_on: Mapped[dt.date | None] = mapped_column(Date)
    contribution_evidence: Mapped[str | None] = mapped_column(String(255))

    member = relationship("Member")

    @property
    def done(self):
        return sum(1 for key, _title in FIVE_ONES if getattr(self, f"{key}_on") is not None)

    def items(self):
        return [(title, getattr(self, f"{key}_on"), getattr(self, f"{key}_evidence")) for key, title in FIVE_ONES]

    def validate(self):
        errors = {}
        today = dt.date.today()
        if self.member_id is None and self.member is None:
            errors["member"] = [_("须选择党员")]
        if self.year is None or not 2000 <= self.year <= today.year:
            errors["year"] = [_("年度应在2000年至%(y)d年之间", y=today.year)]
        for key, title in FIVE_ONES:
            day, evidence = getattr(self, f"{key}_on"), (getattr(self, f"{key}_evidence") or "").strip()
            if day is None:
                if evidence:
                    errors.setdefault(f"{key}_on", []).append(_("“%(t)s”填写了佐证，须填写完成日期", t=title))
                continue
            if self.year and day.year != self.year:
                errors.setdefault(f"{key}_on", []).append(
                    _("“%(t)s”的完成日期 %(d)s 不在%(y)d年度内", t=title, d=day.isoformat(), y=self.year))
            elif day > today:
                errors.setdefault(f"{key}_on", []).append(_("日期 %(d)s 晚于今天", d=day.isoformat()))
            if not evidence:
                errors.setdefault(f"{key}_evidence", []).append(_("“%(t)s”须填写佐证材料", t=title))
        if errors:
            raise ValidationError(errors)


class Training(Audited, Timestamps, db.Model):
    """技能培训."""
    __tablename__ = "takeover_training"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    course: Mapped[str] = mapped_column(String(120))
    provider: Mapped[str | None] = mapped_column(String(120))
    starts_on: Mapped[dt.date] = mapped_column(Date, index=True)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    completed: Mapped[bool] = mapped_column(default=False)
    certificate: Mapped[str | None] = mapped_column(String(120))

    member = relationship("Member")

    def validate(self):
        errors = {}
        if self.member_id is None and self.member is None:
            errors["member"] = [_("须选择党员")]
        if not (self.course or "").strip():
            errors["course"] = [_("培训课程不能为空")]
        if self.starts_on is None:
            errors["starts_on"] = [_("开始日期不能为空")]
        elif self.ends_on is not None and self.ends_on < self.starts_on:
            errors["ends_on"] = [_("结束日期不能早于开始日期")]
        if self.certificate and not self.completed:
            errors["certificate"] = [_("未结业的培训不能填写证书")]
        if errors:
            raise ValidationError(errors)


class Referral(Audited, Timestamps, db.Model):
    """就业信息/推荐: employer, post, date and what came of it."""
    __tablename__ = "takeover_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    employer: Mapped[str] = mapped_column(String(120))
    post: Mapped[str | None] = mapped_column(String(120))
    referred_on: Mapped[dt.date] = mapped_column(Date, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    outcome_on: Mapped[dt.date | None] = mapped_column(Date)

    member = relationship("Member")

    def validate(self):
        errors = {}
        if self.member_id is None and self.member is None:
            errors["member"] = [_("须选择党员")]
        if not (self.employer or "").strip():
            errors["employer"] = [_("用人单位不能为空")]
        if self.referred_on is None:
            errors["referred_on"] = [_("推荐日期不能为空")]
        elif self.referred_on > dt.date.today():
            errors["referred_on"] = [_("日期 %(d)s 晚于今天", d=self.referred_on.isoformat())]
        if self.outcome not in OUTCOMES:
            errors["outcome"] = [_("推荐结果无效")]
        elif self.outcome != "pending" and self.outcome_on is None:
            errors["outcome_on"] = [_("已有推荐结果的须填写结果日期")]
        if self.outcome_on is not None and self.referred_on is not None and self.outcome_on < self.referred_on:
            errors["outcome_on"] = [_("结果日期不能早于推荐日期")]
        if errors:
            raise ValidationError(errors)


class BranchDistance(Audited, Timestamps, db.Model):
    """How far a branch (its meeting place) is from a building of the community, in metres: 就近."""
    __tablename__ = "takeover_distance"
    __table_args__ = (UniqueConstraint("community_id", "building", "branch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    building: Mapped[str] = mapped_column(String(32))
    branch_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    metres: Mapped[int]

    community = relationship("Organization", foreign_keys=[community_id])
    branch = relationship("Organization", foreign_keys=[branch_id])

    def validate(self):
        errors = {}
        community = self.community or (db.session.get(Organization, self.community_id) if self.community_id else None)
        branch = self.branch or (db.session.get(Organization, self.branch_id) if self.branch_id else None)
        if community is None or community.kind != "community":
            errors["community"] = [_("须选择社区党组织")]
        if not (self.building or "").strip():
            errors["building"] = [_("楼栋不能为空")]
        if branch is None or branch.kind not in BRANCH_KINDS:
            errors["branch"] = [_("须选择党支部")]
        elif community is not None and not community.contains(branch):
            errors["branch"] = [_("支部“%(b)s”不在社区“%(c)s”之下", b=branch.name, c=community.name)]
        if self.metres is None or self.metres < 0:
            errors["metres"] = [_("距离应为不小于0的整数（米）")]
        if errors:
            raise ValidationError(errors)


Index("ix_takeover_distance_lookup", BranchDistance.community_id, BranchDistance.building)

VALIDATED = (TakeoverRecord, FiveOnes, Training, Referral, BranchDistance)


@event.listens_for(Session, "before_flush")
def _validate(session, flush_context, instances):
    """Forms, imports and scripts alike: bad input raises and nothing is saved."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, VALIDATED) and (obj in session.new or session.is_modified(obj)):
            obj.validate()
