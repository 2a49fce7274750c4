"""直管's part of the demo set: every community's buildings in zones, cards for most residents, pairings
with visits, 争五好 ratings, and a few gaps so each of the plugin's checks has something to find.
Only `demo.random` and `demo.faker`; one bulk insert per table."""
import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select

from core.plugin_api import Member, Organization, insert_rows

from . import SETTINGS
from .checks import rating_year
from .models import DIFFICULTIES, GOODS, ROLES, Card, Pairing, Rating, Visit, Zone, ZoneBuilding, ZoneResponsible

RESULTS = ["困难已反映至社区", "已协调解决", "情况稳定", "已送去慰问品", "已帮助申请低保", "需继续跟进"]
DONE = ["上门走访，了解生活情况", "帮助打扫卫生、代购生活用品", "陪同就医", "宣传惠民政策", "协助办理救助手续"]


def fill(session, demo):
    rng, fake, today = demo.random, demo.faker, demo.today
    residents = {}
    for mid, community, building in session.execute(
            select(Member.id, Member.location_id, Member.building)
            .where(Member.category == "resident")
            .order_by(Member.id)):
        residents.setdefault(community, []).append((mid, building))
    codes = dict(session.execute(select(Organization.id, Organization.code)
                                 .where(Organization.id.in_(demo.community_ids))).all())

    # Zones: each community's buildings in runs of two to four.
    zone_rows, building_rows = [], []
    for cid in demo.community_ids:
        buildings = list(demo.buildings.get(cid, []))
        n = 0
        while buildings:
            n += 1
            size = rng.randint(2, 4)
            take, buildings = buildings[:size], buildings[size:]
            zone_rows.append({"community_id": cid, "name": f"第{n}责任区", "note": None})
            building_rows.extend({"community_id": cid, "zone": (cid, f"第{n}责任区"), "building": b,
                                  "units": None if rng.random() < 0.8 else "1-2单元"} for b in take)
    insert_rows(session, Zone.__table__, zone_rows)
    zone_ids = {(c, name): zid for zid, c, name in session.execute(
        select(Zone.id, Zone.community_id, Zone.name).where(Zone.community_id.in_(demo.community_ids)))}
    for row in building_rows:
        row["zone_id"] = zone_ids[row.pop("zone")]
    insert_rows(session, ZoneBuilding.__table__, building_rows)
    zone_of = {(row["community_id"], row["building"]): row["zone_id"] for row in building_rows}

    # Cards: most residents hold this year's card, some only last year's, some none at all.
    year = today.year
    card_rows, holders = [], {}
    for cid, people in residents.items():
        seq = 0
        for mid, building in people:
            roll = rng.random()
            if roll < 0.08:
                continue  # no card: direct.no_zone, unless the member is responsible for a zone
            card_year = year if roll >= 0.15 else year - 1
            first = dt.date(card_year, 1, 1)
            issued = first + dt.timedelta(days=rng.randint(0, max(0, min(60, (today - first).days))))
            seq += 1
            roles = rng.sample(list(ROLES), rng.randint(1, 3))
            card_rows.append({
                "community_id": cid, "number": f"{codes[cid]}-{card_year}-{seq:03d}", "member_id": mid,
                "zone_id": zone_of.get((cid, building)), "issued_on": issued, "year": card_year,
                **{key: key in roles for key in ROLES}, "duties": None,
                "email": f"resident{mid}@mail.example.cn" if rng.random() < 0.3 else None})
            holders.setdefault(cid, []).append(mid)
    insert_rows(session, Card.__table__, card_rows)

    # Responsible members: one or two card holders per zone; a few zones left without (zone_unstaffed).
    responsible_rows = []
    for (cid, _name), zid in sorted(zone_ids.items(), key=lambda item: item[1]):
        candidates = holders.get(cid, [])
        if not candidates or rng.random() < 0.05:
            continue
        for mid in rng.sample(candidates, min(len(candidates), rng.randint(1, 2))):
            responsible_rows.append({"zone_id": zid, "member_id": mid})
    insert_rows(session, ZoneResponsible.__table__, responsible_rows)

    # Pairings with visits every few weeks; some went quiet (direct.pairing_no_visit).
    pairing_rows, plans = [], []
    for cid, people in residents.items():
        for mid, _building in people:
            if rng.random() >= 0.3:
                continue
            started = today - dt.timedelta(days=rng.randint(90, 700))
            ended = started + dt.timedelta(days=rng.randint(60, 360)) if rng.random() < 0.15 else None
            if ended and ended >= today:
                ended = None
            pairing_rows.append({"member_id": mid, "household_name": fake.name(),
                                 "household_address": f"{rng.choice(demo.buildings[cid])}{rng.randint(1, 4)}单元"
                                                      f"{rng.randint(1, 6)}0{rng.randint(1, 4)}",
                                 "difficulty": rng.choice(list(DIFFICULTIES)), "started_on": started,
                                 "ended_on": ended, "note": None})
            quiet = rng.random() < 0.15
            plans.append((mid, started, ended or today, rng.randint(70, 150) if quiet else rng.randint(0, 30)))
    insert_rows(session, Pairing.__table__, pairing_rows)
    pairing_ids = session.scalars(select(Pairing.id).order_by(Pairing.id)).all()[-len(pairing_rows):] \
        if pairing_rows else []
    visit_rows = []
    for pid, (mid, started, until, gap) in zip(pairing_ids, plans):
        day = started + dt.timedelta(days=rng.randint(3, 20))
        last = until - dt.timedelta(days=gap)
        while day <= last:
            visit_rows.append({"pairing_id": pid, "member_id": mid, "visited_on": day, "done": rng.choice(DONE),
                               "result": rng.choice(RESULTS)})
            day += dt.timedelta(days=rng.randint(20, 50))
    if visit_rows:
        insert_rows(session, Visit.__table__, visit_rows)

    # 争五好: the last year whose deadline has passed, for most residents (the rest: direct.rating_missing).
    rated_year, _deadline = rating_year(SimpleNamespace(today=today, settings=SETTINGS))
    rating_rows = []
    for cid, people in residents.items():
        for mid, _building in people:
            if rng.random() < 0.1:
                continue
            met = {key: rng.random() < 0.85 for key in GOODS}
            rating_rows.append({"member_id": mid, "year": rated_year, **met,
                                "note": "五好全部达标" if all(met.values()) else None})
    insert_rows(session, Rating.__table__, rating_rows)
