"""The home page: the staffer's subtree at a glance, every number one grouped query."""
from flask_admin import AdminIndexView, expose
from sqlalchemy import func, select

from .. import audit, scope
from ..extensions import db
from ..models import AuditEntry, Finding, Member, Organization
from ..plugins import host
from .scoped import StaffOnly
from .views.engines import SEVERITY_TITLES


def member_counts():
    """{(community id, category): count} of active members in scope."""
    rows = db.session.execute(
        select(Member.location_id, Member.category, func.count())
        .where(scope.clause(Member), Member.state == "active")
        .group_by(Member.location_id, Member.category)).all()
    return {(location, category): n for location, category, n in rows}


class DashboardView(StaffOnly, AdminIndexView):
    @expose("/")
    def index(self):
        counts = member_counts()
        categories = host().categories
        modes = list(host().modes.values())
        community_ids = sorted({loc for loc, _ in counts if loc is not None})
        names = dict(db.session.execute(select(Organization.id, Organization.name)
                                        .where(Organization.id.in_(community_ids))).all())
        by_mode = {mode.key: 0 for mode in modes}
        table = {}
        unclassified = 0
        for (location, category), n in counts.items():
            row = table.setdefault(location, {mode.key: 0 for mode in modes} | {"_total": 0})
            row["_total"] += n
            if category in categories:
                key = categories[category][0].key
                row[key] += n
                by_mode[key] += n
            else:
                unclassified += n
        open_findings = dict(db.session.execute(
            select(Finding.severity, func.count()).where(scope.clause(Finding), Finding.state == "open")
            .group_by(Finding.severity)).all())
        recent = db.session.scalars(select(AuditEntry).where(scope.clause(AuditEntry))
                                    .order_by(AuditEntry.id.desc()).limit(15)).all()
        chart = {"labels": [str(mode.title) for mode in modes], "data": [by_mode[m.key] for m in modes]}
        rows = sorted(((names.get(loc, "—"), loc, table[loc]) for loc in table), key=lambda r: r[0])
        return self.render("admin/dashboard.html", modes=modes, rows=rows, by_mode=by_mode,
                           total=sum(counts.values()), unclassified=unclassified, recent=recent, chart=chart,
                           actions=audit.ACTIONS, tables=audit.TABLES, open_findings=open_findings,
                           severities=SEVERITY_TITLES)
