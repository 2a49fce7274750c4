"""Work units (单位): employers and former employers, with their Party organization's contact."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..privacy import sensitive
from .base import Audited, Timestamps

KINDS = {
    "government": _l("机关"),
    "state_owned": _l("国有企业"),
    "collective": _l("集体企业"),
    "institution": _l("事业单位"),
    "private": _l("非公企业"),
    "social": _l("社会组织"),
}


class WorkUnit(Audited, Timestamps, db.Model):
    """An employer (工作单位); its in-service members are managed by 双管."""
    __tablename__ = "work_unit"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    name: Mapped[str] = mapped_column(String(120), unique=True, doc="the employer's full name")
    kind: Mapped[str] = mapped_column(String(32), index=True, doc="state_owned, private, ... (see Work unit kinds)")
    address: Mapped[str | None] = mapped_column(String(255), doc="its address", info=sensitive(None))
    # The unit's own Party organization: the addressee of 双向反馈 and of 通报.
    party_org_name: Mapped[str | None] = mapped_column(String(120), doc="its own Party organization's name")
    contact_person: Mapped[str | None] = mapped_column(String(60), doc="who to contact there")
    phone: Mapped[str | None] = mapped_column(String(32), doc="its phone", info=sensitive(None))
    email: Mapped[str | None] = mapped_column(String(120), doc="where its bulletins and feedback go", info=sensitive(None))

    def __str__(self):
        return self.name
