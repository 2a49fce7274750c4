"""Core's own checks: the gaps the 五管 method exists to close, whatever modes are loaded.

Each is one SELECT over all members (or letters), labelled subject_id, org_id, detail.
Dates are turned into cut-offs in Python, so the SQL stays portable between SQLite
and PostgreSQL and exact at month ends.
"""
import datetime as dt
import re

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import String, and_, case, cast, func, literal, or_, select

from . import rules
from .models import Activity, Attendance, Member, Transfer
from .contract import Check
from .plugins import host


def sql_message(translated, **values):
    """A translated sentence with `%(name)s` placeholders, filled in SQL from columns (or literals)."""
    parts = re.split(r"%\((\w+)\)s", translated)
    expression = literal(parts[0])
    for index in range(1, len(parts), 2):
        value = values[parts[index]]
        value = value if hasattr(value, "self_group") else literal(str(value))
        expression = expression + cast(value, String) + literal(parts[index + 1])
    return expression


def _member_org():
    """Where a member is managed: the community they live in, else the organization that holds them."""
    return func.coalesce(Member.location_id, Member.affiliation_id)


def _active(ctx):
    """Active members in the swept scope, narrowed through the indexed organization columns."""
    return and_(Member.state == "active",
                or_(ctx.covers(Member.location_id),
                    and_(Member.location_id.is_(None), ctx.covers(Member.affiliation_id))))


def unclassified(ctx):
    claimed = sorted(host().categories)
    return (select(Member.id.label("subject_id"), _member_org().label("org_id"),
                   sql_message(_("类别“%(category)s”未被任何已启用的管理方式认领"), category=Member.category)
                   .label("detail"))
            .where(_active(ctx), Member.category.not_in(claimed) if claimed else literal(True)))


def no_liaison_group(ctx):
    return (select(Member.id.label("subject_id"), _member_org().label("org_id"),
                   literal(_("未编入楼寓党员联络小组")).label("detail"))
            .where(_active(ctx), Member.liaison_group_id.is_(None)))


def transfer_unreceived(ctx):
    return (select(Transfer.id.label("subject_id"),
                   func.coalesce(Transfer.from_org_id, Transfer.to_org_id).label("org_id"),
                   sql_message(_("介绍信%(letter)s已于%(day)s过期，未见回执"), letter=Transfer.letter_no,
                               day=Transfer.valid_until).label("detail"))
            .where(Transfer.state == "issued", Transfer.valid_until < ctx.today,
                   ctx.covers(func.coalesce(Transfer.from_org_id, Transfer.to_org_id))))


def latest_start(deadline, months):
    """The latest date d with add_months(d, months) <= deadline (month ends clamp, so search forward)."""
    day = rules.add_months(deadline, -months)
    while rules.add_months(day + dt.timedelta(days=1), months) <= deadline:
        day += dt.timedelta(days=1)
    return day


def _probation_ends_by(ctx, deadline):
    """Probationary members whose probation (with its extension) ends on or before `deadline`."""
    extensions = [0, *range(ctx.rules["probation_extension_min_months"],
                            ctx.rules["probation_extension_max_months"] + 1)]
    return or_(*(and_(func.coalesce(Member.probation_extension_months, 0) == ext,
                      Member.joined_on <= latest_start(deadline, ctx.rules["probation_months"] + ext))
                 for ext in extensions))


def probation_due(ctx):
    notice = ctx.today + dt.timedelta(days=ctx.rules["probation_notice_days"])
    overdue = _probation_ends_by(ctx, ctx.today - dt.timedelta(days=1))
    detail = case((overdue, sql_message(_("预备期已满，尚未讨论转正（入党日期%(joined)s）"), joined=Member.joined_on)),
                  else_=sql_message(_("预备期将在%(n)s天内届满（入党日期%(joined)s）"),
                                    n=ctx.rules["probation_notice_days"], joined=Member.joined_on))
    return (select(Member.id.label("subject_id"), _member_org().label("org_id"), detail.label("detail"))
            .where(_active(ctx), Member.status == "probationary", _probation_ends_by(ctx, notice)))


def lapse_warning(ctx):
    last_life = (select(func.max(Activity.held_on))
                 .join(Attendance, Attendance.activity_id == Activity.id)
                 .where(Attendance.member_id == Member.id, Attendance.present.is_(True))
                 .correlate(Member).scalar_subquery())
    since = func.coalesce(last_life, Member.joined_on)
    first, second = sorted(ctx.rules["lapse_warn_months"])
    lapse = ctx.rules["lapse_months"]
    detail = case(
        (since < rules.add_months(ctx.today, -lapse),
         literal(_("已连续%(n)d个月未参加组织生活，按规定可视为自行脱党", n=lapse))),
        (since < rules.add_months(ctx.today, -second),
         literal(_("已连续%(n)d个月未参加组织生活", n=second))),
        else_=literal(_("已连续%(n)d个月未参加组织生活", n=first)))
    # Only members whose relationship a community organization holds: an employer records its own.
    return (select(Member.id.label("subject_id"), _member_org().label("org_id"), detail.label("detail"))
            .where(_active(ctx), Member.affiliation_id.is_not(None), since < rules.add_months(ctx.today, -first)))


CHECKS = [
    Check(code="core.unclassified", title=_l("类别无人认领（漏管）"), severity="critical", query=unclassified,
          description=_l("党员的类别不属于任何已启用的管理方式，无人负责")),
    Check(code="core.no_liaison_group", title=_l("未编入联络小组"), severity="warning", query=no_liaison_group,
          description=_l("每名党员都应编入一个楼寓党员联络小组（纵向到底、横向到边）")),
    Check(code="core.transfer_unreceived", title=_l("介绍信过期未回执（口袋党员风险）"), severity="serious",
          query=transfer_unreceived, subject="transfer",
          description=_l("组织关系介绍信已过有效期，仍未收到回执")),
    Check(code="core.probation_due", title=_l("预备期届满"), severity="warning", query=probation_due,
          description=_l("预备党员的预备期30天内届满或已届满，支部应及时讨论转正")),
    Check(code="core.lapse_warning", title=_l("长期未参加组织生活"), severity="serious", query=lapse_warning,
          description=_l("连续3个月、5个月未参加组织生活的预警；满6个月按规定可视为自行脱党")),
]
