"""协管 records: the mobile record, the contact log, the 活动证, collective stations, temporary relationships.

Every table is audited; every row is validated before it is written (forms, imports and
scripts alike), refusing bad input with a Chinese message and saving nothing.
"""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.plugin_api import Audited, Organization, Timestamps, ValidationError, db, sensitive

DIRECTIONS = {"out": _l("流出"), "in": _l("流入")}
REASONS = {"work": _l("务工"), "business": _l("经商"), "study": _l("求学"), "family": _l("随迁"),
           "other": _l("其他")}
RECORD_STATES = {"active": _l("在外/在此"), "returned": _l("已返回"), "transferred": _l("关系已转移"),
                 "lost": _l("失去联系")}
PARTIES = {"member": _l("党员本人"), "outflow_org": _l("流出地党组织"), "inflow_org": _l("流入地党组织")}
METHODS = {"phone": _l("电话"), "letter": _l("信函"), "email": _l("电子邮件"), "visit": _l("走访"),
           "message": _l("短信/微信")}


def _title(choices, key):
    return str(choices.get(key, key)) if key else ""


class MobileRecord(Audited, Timestamps, db.Model):
    """One stay away (outflow) or here (inflow) of a mobile member, agreed by the three parties."""
    __tablename__ = "assist_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8), index=True)
    # The other side: an organization here, or one named elsewhere with its contact.
    other_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    other_org_name: Mapped[str | None] = mapped_column(String(120))
    other_contact_person: Mapped[str | None] = mapped_column(String(60))
    other_phone: Mapped[str | None] = mapped_column(String(32), info=sensitive("phone"))
    other_email: Mapped[str | None] = mapped_column(String(120), info=sensitive("email"))
    other_address: Mapped[str | None] = mapped_column(String(255), info=sensitive(None))
    place: Mapped[str] = mapped_column(String(120))
    workplace: Mapped[str | None] = mapped_column(String(120))
    since: Mapped[dt.date] = mapped_column(Date, index=True)
    expected_back: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16), default="work")
    fixed_place: Mapped[bool] = mapped_column(default=True)
    settled: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="active", index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("assist_station.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)

    member = relationship("Member")
    other_org = relationship("Organization", foreign_keys=[other_org_id])
    station = relationship("Station", back_populates="records")

    def __str__(self):
        return f"{self.member.name if self.member else ''}（{_title(DIRECTIONS, self.direction)}，{self.place}）"

    @property
    def other_side(self):
        return str(self.other_org) if self.other_org else (self.other_org_name or "")

    def validate(self):
        errors = {}
        if self.direction not in DIRECTIONS:
            errors["direction"] = [_("流动方向应为流出或流入")]
        if self.member_id is None and self.member is None:
            errors["member"] = [_("须选择党员")]
        if self.other_org_id is None and self.other_org is None and not (self.other_org_name or "").strip():
            errors["other_org"] = [_("须填写对方党组织（本市的选择组织，外地的填写名称）")]
        if not (self.place or "").strip():
            errors["place"] = [_("须填写现居住地/所在地")]
        if self.since is None:
            errors["since"] = [_("须填写外出或流入日期")]
        elif self.since > dt.date.today():
            errors["since"] = [_("外出或流入日期不能晚于今天")]
        if self.expected_back is not None and self.since is not None and self.expected_back < self.since:
            errors["expected_back"] = [_("预计返回日期不能早于外出日期")]
        if self.reason not in REASONS:
            errors["reason"] = [_("流动原因无效")]
        if self.state not in RECORD_STATES:
            errors["state"] = [_("状态无效")]
        if self.other_email and "@" not in self.other_email:
            errors["other_email"] = [_("电子邮箱格式不正确")]
        if errors:
            raise ValidationError(errors)


class Contact(Audited, Timestamps, db.Model):
    """The contact log: who was reached, how, and what was learned."""
    __tablename__ = "assist_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("assist_record.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    contacted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    party: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    is_report: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    feedback: Mapped[str | None] = mapped_column(Text)
    # The outbox row of the mailed feedback; no foreign key, so this branch needs only core_0001.
    feedback_outbox_id: Mapped[int | None] = mapped_column()

    record = relationship("MobileRecord", backref="contacts")
    member = relationship("Member")

    def validate(self):
        errors = {}
        if self.record is not None:
            self.member_id = self.record.member_id
        elif self.record_id is not None and self.member_id is None:
            self.member_id = db.session.get(MobileRecord, self.record_id).member_id
        if self.record_id is None and self.record is None:
            errors["record"] = [_("须选择流动党员记录")]
        if self.contacted_on is None:
            errors["contacted_on"] = [_("须填写联系日期")]
        elif self.contacted_on > dt.date.today():
            errors["contacted_on"] = [_("联系日期不能晚于今天")]
        if self.party not in PARTIES:
            errors["party"] = [_("联系对象应为党员本人、流出地或流入地党组织")]
        if self.method not in METHODS:
            errors["method"] = [_("联系方式无效")]
        if self.is_report and self.party != "member":
            errors["is_report"] = [_("只有党员本人才能向党组织汇报")]
        if errors:
            raise ValidationError(errors)


class Card(Audited, Timestamps, db.Model):
    """《流动党员活动证》."""
    __tablename__ = "assist_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    issuing_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date, index=True)
    checked_on: Mapped[dt.date | None] = mapped_column(Date)
    returned_on: Mapped[dt.date | None] = mapped_column(Date)

    member = relationship("Member")
    issuing_org = relationship("Organization")

    def __str__(self):
        return self.number

    def validate(self):
        errors = {}
        if not (self.number or "").strip():
            errors["number"] = [_("须填写活动证编号")]
        else:
            self.number = self.number.strip()
            clash = db.session.scalar(db.select(Card.id).where(Card.number == self.number,
                                                               Card.id != (self.id or 0)))
            if clash:
                errors["number"] = [_("活动证编号%(n)s已被使用", n=self.number)]
        if self.member_id is None and self.member is None:
            errors["member"] = [_("须选择持证党员")]
        if self.issuing_org_id is None and self.issuing_org is None:
            errors["issuing_org"] = [_("须选择发证党组织")]
        if self.issued_on is None:
            errors["issued_on"] = [_("须填写发证日期")]
        elif self.valid_until is None or self.valid_until <= self.issued_on:
            errors["valid_until"] = [_("有效期须晚于发证日期")]
        for name in ("checked_on", "returned_on"):
            value = getattr(self, name)
            if value is not None and self.issued_on is not None and value < self.issued_on:
                errors[name] = [_("日期不能早于发证日期")]
        if errors:
            raise ValidationError(errors)


class Station(Audited, Timestamps, db.Model):
    """集出集管: a group from here working together elsewhere, with a mobile-member station."""
    __tablename__ = "assist_station"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(120))
    employer: Mapped[str | None] = mapped_column(String(120))
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    temp_branch_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)

    org = relationship("Organization", foreign_keys=[org_id])
    temp_branch = relationship("Organization", foreign_keys=[temp_branch_id])
    records = relationship("MobileRecord", back_populates="station")

    def __str__(self):
        return self.name

    def validate(self):
        errors = {}
        if not (self.name or "").strip():
            errors["name"] = [_("须填写管理站名称")]
        if not (self.place or "").strip():
            errors["place"] = [_("须填写从业地")]
        org = self.org
        if org is None and self.org_id is not None:
            org = db.session.get(Organization, self.org_id)
        if org is None:
            errors["org"] = [_("须选择管理站的党组织")]
        elif org.kind != "mobile_station":
            errors["org"] = [_("“%(n)s”不是流动党员管理站", n=org.name)]
        if errors:
            raise ValidationError(errors)


class TempRelation(Audited, Timestamps, db.Model):
    """A temporary organizational relationship to the branch where the member is, moved by a core letter."""
    __tablename__ = "assist_temp_relation"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("assist_record.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    branch_name: Mapped[str | None] = mapped_column(String(120))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfer.id"), unique=True)

    member = relationship("Member")
    record = relationship("MobileRecord")
    branch = relationship("Organization")
    transfer = relationship("Transfer")

    @property
    def branch_title(self):
        return str(self.branch) if self.branch else (self.branch_name or "")

    def validate(self):
        errors = {}
        if self.member_id is None and self.member is None:
            errors["member"] = [_("须选择党员")]
        if self.branch_id is None and self.branch is None and not (self.branch_name or "").strip():
            errors["branch"] = [_("须填写临时组织关系所在支部")]
        if self.started_on is None:
            errors["started_on"] = [_("须填写开始日期")]
        elif self.ended_on is not None and self.ended_on < self.started_on:
            errors["ended_on"] = [_("结束日期不能早于开始日期")]
        if errors:
            raise ValidationError(errors)


MODELS = (MobileRecord, Contact, Card, Station, TempRelation)


@event.listens_for(Session, "before_flush")
def _validate(session, flush_context, instances):
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, MODELS) and (obj in session.new or session.is_modified(obj)):
            obj.validate()
