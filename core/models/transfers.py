"""组织关系转接: the letter that moves a member's Party relationship, and its receipt."""
import datetime as dt

from flask import current_app, has_app_context
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .. import rules
from ..errors import ValidationError
from ..extensions import db
from .base import Audited, Timestamps

DIRECTIONS = {"in": _l("转入"), "out": _l("转出"), "internal": _l("内部转接")}
STATES = {"issued": _l("已开具"), "received": _l("已接收"), "completed": _l("回执已返回"),
          "cancelled": _l("已作废")}


class Transfer(Audited, Timestamps, db.Model):
    """A relationship transfer (组织关系转接) with its letter (介绍信), its validity and its receipt (回执)."""
    __tablename__ = "transfer"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True,
                                           doc="the member whose relationship moves")
    direction: Mapped[str] = mapped_column(String(16), doc="in, out or internal (see Transfer directions)")
    within_city: Mapped[bool] = mapped_column(default=True,
                                              doc="whether both ends are in the city (the letter's validity depends on it)")
    from_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"),
                                                    doc="the issuing organization, when it is in the system")
    from_org_name: Mapped[str | None] = mapped_column(String(120),
                                                      doc="the issuing organization's name, when it is not")
    to_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"),
                                                  doc="the receiving organization, when it is in the system")
    to_org_name: Mapped[str | None] = mapped_column(String(120),
                                                    doc="the receiving organization's name, when it is not")
    letter_no: Mapped[str] = mapped_column(String(40), unique=True, doc="the 介绍信 number")
    issued_on: Mapped[dt.date] = mapped_column(Date, doc="the day the letter was issued")
    valid_until: Mapped[dt.date] = mapped_column(Date, index=True, doc="the letter's last valid day")
    received_on: Mapped[dt.date | None] = mapped_column(Date,
                                                        doc="the day the receiving organization took the member in")
    receipt_returned_on: Mapped[dt.date | None] = mapped_column(Date, doc="the day the 回执 came back")
    state: Mapped[str] = mapped_column(String(16), default="issued", index=True,
                                       doc="issued, received, completed or cancelled (see Transfer states)")

    member = relationship("Member", backref="transfers")
    from_org = relationship("Organization", foreign_keys=[from_org_id])
    to_org = relationship("Organization", foreign_keys=[to_org_id])

    def validate(self):
        settings = current_app.config["RULES"] if has_app_context() else rules.DEFAULTS
        errors = {}
        if self.direction not in DIRECTIONS:
            errors["direction"] = [_("转接方向无效")]
        if self.from_org_id is None and self.from_org is None and not self.from_org_name:
            errors["from_org"] = [_("须填写转出党组织")]
        if self.to_org_id is None and self.to_org is None and not self.to_org_name:
            errors["to_org"] = [_("须填写接收党组织")]
        if self.issued_on is None:
            errors["issued_on"] = [_("开具日期不能为空")]
        else:
            if self.valid_until is None:
                self.valid_until = rules.transfer_valid_until(self.issued_on, self.within_city, settings)
            latest = self.issued_on + dt.timedelta(days=settings["transfer_valid_days_max"])
            if not self.issued_on <= self.valid_until <= latest:
                errors["valid_until"] = [_("介绍信有效期须在开具日期之后，且最长%(n)d天",
                                           n=settings["transfer_valid_days_max"])]
            for field in ("received_on", "receipt_returned_on"):
                value = getattr(self, field)
                if value is not None and value < self.issued_on:
                    errors[field] = [_("日期不能早于开具日期")]
        if self.state not in STATES:
            errors["state"] = [_("转接状态无效")]
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self):
        """Past validity and no receipt: a likely 口袋党员."""
        return self.state == "issued" and self.valid_until < dt.date.today()


@event.listens_for(Session, "before_flush")
def _validate_transfers(session, flush_context, instances):
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Transfer):
            obj.validate()
