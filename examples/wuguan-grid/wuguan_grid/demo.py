"""Demo data: every community of the demo city divided into cells of four buildings, the
community's own members assigned to the cell of their building, and a season of patrols.

No member is added or re-categorized, so the demo keeps the article's figures.
Only `demo.random` and `demo.faker` are used, so the data is the same on every run.
"""
import datetime as dt

from sqlalchemy import select

from core.plugin_api import Member

from .models import GridAssignment, GridCell, GridPatrol

BUILDINGS_PER_CELL = 4
NOTES = ["巡查楼道消防通道", "走访独居老人", "宣传垃圾分类", "调解邻里纠纷", "收集居民意见", "检查楼院环境"]


def load(session, demo):
    cells = {}
    for community in demo.community_ids:
        buildings = demo.buildings[community]
        for n, start in enumerate(range(0, len(buildings), BUILDINGS_PER_CELL), 1):
            covered = buildings[start:start + BUILDINGS_PER_CELL]
            cell = GridCell(org_id=community, name=f"第{n}网格", buildings="、".join(covered),
                            worker=demo.faker.name(), worker_phone=demo.faker.phone_number(),
                            created_on=demo.today - dt.timedelta(days=365))
            session.add(cell)
            for building in covered:
                cells[(community, building)] = cell
    session.flush()
    community_members = session.execute(
        select(Member.id, Member.location_id, Member.building)
        .where(Member.affiliation_id.is_not(None), Member.location_id.in_(demo.community_ids))
        .order_by(Member.id)).all()
    assigned = {}
    for member_id, community, building in community_members:
        cell = cells.get((community, building))
        if cell is not None:
            session.add(GridAssignment(member_id=member_id, cell_id=cell.id))
            assigned.setdefault(cell.id, []).append(member_id)
    for cell in sorted(set(cells.values()), key=lambda c: c.id):
        # Most cells are walked every few weeks; some fell behind and show up in the sweep.
        gap = demo.random.choice([10, 14, 21, 21, 28, 45])
        day = demo.today - dt.timedelta(days=demo.random.randint(1, gap))
        while day > demo.today - dt.timedelta(days=120):
            visited = demo.random.choice(assigned.get(cell.id, [None]))
            session.add(GridPatrol(cell=cell, member_id=visited, patrolled_on=day,
                                   notes=demo.random.choice(NOTES)))
            day -= dt.timedelta(days=gap)
