"""共管 in the 通报: retirees by age and health, care this period against the last, hardships, tasks;
and, quarterly, each former unit's share: the state of its retirees."""
import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, select

from core.plugin_api import BulletinSection, Member, Organization, db

from .checks import former_unit, years_before
from .models import HEALTH, TASKS, JointHardship, JointProfile, JointVisit

AGE_BANDS = ((90, None), (80, 90), (70, 80), (60, 70), (0, 60))


def _band_titles():
    return {90: _("90岁以上"), 80: _("80至89岁"), 70: _("70至79岁"), 60: _("60至69岁"), 0: _("60岁以下")}


def age_band(on):
    """A CASE giving the lower bound of the member's age band on `on`."""
    return case(*[(Member.birth_date <= years_before(on, low), literal(low)) for low, _high in AGE_BANDS[:-1]],
                else_=literal(0))


def _retirees(ctx):
    return and_(Member.category == "retired", Member.state == "active", ctx.members_in_scope())


def _between(column, period):
    return and_(column >= period.start, column < period.end)


def community_sections(ctx):
    on = ctx.period.end - dt.timedelta(days=1)
    health = func.coalesce(JointProfile.health, "unknown")
    people = (select(age_band(on).label("band"), health.label("health"))
              .select_from(Member).outerjoin(JointProfile, JointProfile.member_id == Member.id)
              .where(_retirees(ctx)).subquery())
    counts = db.session.execute(
        select(people.c.band, people.c.health, func.count()).group_by(people.c.band, people.c.health)).all()
    grid = {}
    for band, state, count in counts:
        grid.setdefault(int(band), {})[state] = count
    health_keys = [*HEALTH, "unknown"]
    titles = _band_titles()
    rows = []
    for low, _high in AGE_BANDS:
        cells = [grid.get(low, {}).get(key, 0) for key in health_keys]
        rows.append([titles[low], *cells, sum(cells)])
    total = sum(r[-1] for r in rows)
    old = sum(r[-1] for r in rows if r[0] in (titles[80], titles[90]))
    frail = sum(r[3] + r[4] for r in rows)

    in_scope = select(Member.id).where(_retirees(ctx))
    visits_now, visits_before, visited_now = db.session.execute(
        select(func.sum(case((_between(JointVisit.visited_on, ctx.period), 1), else_=0)),
               func.sum(case((_between(JointVisit.visited_on, ctx.previous), 1), else_=0)),
               func.count(func.distinct(case((_between(JointVisit.visited_on, ctx.period), JointVisit.member_id)))))
        .where(JointVisit.member_id.in_(in_scope),
               JointVisit.visited_on >= ctx.previous.start, JointVisit.visited_on < ctx.period.end)).one()
    opened, resolved, still_open = db.session.execute(
        select(func.sum(case((_between(JointHardship.reported_on, ctx.period), 1), else_=0)),
               func.sum(case((and_(JointHardship.state == "resolved",
                                   _between(JointHardship.resolved_on, ctx.period)), 1), else_=0)),
               func.sum(case((JointHardship.state != "resolved", 1), else_=0)))
        .where(JointHardship.member_id.in_(in_scope))).one()
    task_names = [str(t) for t in TASKS]
    taken = dict(zip(task_names, db.session.execute(
        select(*[func.sum(case((JointProfile.tasks.contains(f",{name},"), 1), else_=0)) for name in task_names])
        .where(JointProfile.member_id.in_(in_scope))).one()))
    visits_now, visits_before, visited_now = int(visits_now or 0), int(visits_before or 0), int(visited_now or 0)
    opened, resolved, still_open = int(opened or 0), int(resolved or 0), int(still_open or 0)
    taken = {name: int(n or 0) for name, n in taken.items()}

    profile = BulletinSection(
        key="joint.retirees", title=_("离退休党员共管情况"), order=50,
        summary=_("离退休党员%(total)d名，其中80岁以上%(old)d名，健康较差或卧床%(frail)d名。",
                  total=total, old=old, frail=frail),
        columns=[_("年龄段"), *[str(HEALTH[k]) for k in HEALTH], _("未登记"), _("合计")], rows=rows,
        chart={"type": "bar", "labels": [r[0] for r in rows], "values": [r[-1] for r in rows]},
        figures={_("离退休党员"): total, _("80岁以上"): old, _("体弱卧床"): frail}, indicators=("joint.retirees",))
    care = BulletinSection(
        key="joint.care", title=_("离退休党员走访慰问与困难帮扶"), order=51,
        summary=_("本期走访慰问%(now)d人次（上期%(before)d人次），走访%(people)d人；新反映困难%(opened)d件，"
                  "解决%(resolved)d件，尚未解决%(open)d件。", now=visits_now, before=visits_before,
                  people=visited_now, opened=opened, resolved=resolved, open=still_open),
        columns=[_("项目"), _("数量")],
        rows=[[_("本期走访人次"), visits_now], [_("上期走访人次"), visits_before], [_("本期走访人数"), visited_now],
              [_("新反映困难"), opened], [_("解决困难"), resolved], [_("尚未解决困难"), still_open],
              *[[_("承担%(task)s", task=name), n] for name, n in taken.items()]],
        figures={_("走访人次"): visits_now, _("新反映困难"): opened, _("解决困难"): resolved,
                 _("尚未解决困难"): still_open, **{name: n for name, n in taken.items()}},
        indicators=("joint.visits", "joint.hardships_resolved", "joint.hardships_open"))
    return [profile, care]


def former_unit_section(ctx):
    """The unit's share of 共管: its retirees, where they live, their health, last visit, open hardships."""
    last_visit = (select(func.max(JointVisit.visited_on)).where(JointVisit.member_id == Member.id)
                  .correlate(Member).scalar_subquery())
    open_hardships = (select(func.count(JointHardship.id))
                      .where(JointHardship.member_id == Member.id, JointHardship.state != "resolved")
                      .correlate(Member).scalar_subquery())
    rows = db.session.execute(
        select(Member.name, Organization.name, Member.birth_date, JointProfile.health, last_visit, open_hardships)
        .select_from(Member).outerjoin(JointProfile, JointProfile.member_id == Member.id)
        .outerjoin(Organization, Organization.id == Member.location_id)
        .where(Member.category == "retired", Member.state == "active", former_unit() == ctx.unit.id)
        .order_by(Organization.name, Member.name)).all()
    on = ctx.period.end - dt.timedelta(days=1)
    table = []
    for name, community, born, health, visited, hardships in rows:
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        table.append([name, community or "", age, str(HEALTH.get(health, _("未登记"))),
                      str(visited) if visited else _("未走访"), int(hardships or 0)])
    visited = sum(1 for r in rows if r[4] is not None and r[4] >= ctx.period.start)
    needing = sum(1 for r in table if r[5])
    return BulletinSection(
        key="joint.former_unit", title=_("本单位离退休党员共管情况"), order=50,
        summary=_("本单位离退休党员%(n)d名由所在社区共管，本期走访%(v)d人，%(h)d人有尚未解决的困难。",
                  n=len(table), v=visited, h=needing),
        columns=[_("姓名"), _("所在社区"), _("年龄"), _("健康状况"), _("最近走访"), _("未解决困难")], rows=table,
        figures={_("离退休党员"): len(table), _("本期走访人数"): visited, _("有困难人数"): needing})


def sections(ctx):
    if ctx.kind == "employer":
        if ctx.period.kind != "quarter":
            return []
        return [former_unit_section(ctx)]
    return community_sections(ctx)
