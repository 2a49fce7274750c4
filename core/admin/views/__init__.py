"""Core's admin screens; `register` adds them to the Flask-Admin instance."""
from flask_babel import lazy_gettext as _l

from ...models import Activity, AuditEntry, IdentityConflict, Member, Organization, Staff, Transfer, WorkUnit
from ...models.bulletins import Bulletin
from ...models.findings import Finding, SweepRun
from ...models.outbox import InboxItem, OutboxMessage
from .activities import ActivityView
from .audit import AuditView
from .conflicts import ConflictView
from .imports import ImportView
from .engines import BulletinView, FindingView, InboxView, OutboxView, SweepRunView
from .members import MemberView
from .organizations import OrganizationTreeView, OrganizationView
from .staff import StaffView
from .transfers import TransferView
from .units import WorkUnitView

ORGS, MEMBERS, SUPERVISION, SYSTEM = _l("组织"), _l("党员"), _l("督查"), _l("系统")


def register(admin):
    admin.add_view(OrganizationTreeView(name=_l("组织树"), category=ORGS, endpoint="orgtree"))
    admin.add_view(OrganizationView(Organization, name=_l("党组织"), category=ORGS, endpoint="organization"))
    admin.add_view(WorkUnitView(WorkUnit, name=_l("工作单位"), category=ORGS, endpoint="work_unit"))
    admin.add_view(MemberView(Member, name=_l("党员名册"), category=MEMBERS, endpoint="member"))
    admin.add_view(ImportView(name=_l("导入名册"), category=MEMBERS, endpoint="roster_import"))
    admin.add_view(TransferView(Transfer, name=_l("组织关系转接"), category=MEMBERS, endpoint="transfer"))
    admin.add_view(ConflictView(IdentityConflict, name=_l("身份冲突核查"), category=MEMBERS, endpoint="identity_conflict"))
    admin.add_view(ActivityView(Activity, name=_l("组织生活"), category=MEMBERS, endpoint="activity"))
    admin.add_view(FindingView(Finding, name=_l("问题清单"), category=SUPERVISION, endpoint="finding"))
    admin.add_view(BulletinView(Bulletin, name=_l("通报"), category=SUPERVISION, endpoint="bulletin"))
    admin.add_view(SweepRunView(SweepRun, name=_l("巡检记录"), category=SUPERVISION, endpoint="sweep_run"))
    admin.add_view(OutboxView(OutboxMessage, name=_l("提醒发送"), category=SUPERVISION, endpoint="outbox"))
    admin.add_view(InboxView(InboxItem, name=_l("我的消息"), category=SUPERVISION, endpoint="inbox"))


def register_system(admin):
    """Staff and the audit log come last in the menu, after the modes' categories."""
    admin.add_view(StaffView(Staff, name=_l("工作人员"), category=SYSTEM, endpoint="staff"))
    admin.add_view(AuditView(AuditEntry, name=_l("操作日志"), category=SYSTEM, endpoint="audit"))
