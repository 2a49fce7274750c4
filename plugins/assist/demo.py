"""The seed city's 170 mobile members: records, contacts, 活动证, temporary relationships and two stations,
with gaps so that every 协管 check finds something. Bulk inserts; only `demo.random` and `demo.faker`."""
import datetime as dt

from sqlalchemy import select

from core.plugin_api import Member, Organization, add_months, insert_rows

from .models import Card, Contact, MobileRecord, Station, TempRelation

PLACES = ["兰州市城关区", "嘉峪关市雄关区", "乌鲁木齐市天山区", "西安市雁塔区", "北京市朝阳区", "深圳市南山区",
          "银川市兴庆区", "天津市滨海新区", "成都市武侯区", "上海市浦东新区"]
HOMES = ["张掖市甘州区", "武威市凉州区", "白银市白银区", "定西市安定区", "天水市秦州区", "平凉市崆峒区"]
REASONS = ["work"] * 6 + ["business"] * 2 + ["study", "family", "other"]


def _day(today, lo, hi, rng):
    return today - dt.timedelta(days=rng.randint(lo, hi))


def load(session, demo):
    rng, fake, today = demo.random, demo.faker, demo.today
    homes = dict(session.execute(select(Member.id, Member.location_id).where(
        Member.category.in_(("mobile_out", "mobile_in")))).all())
    cut = (today - add_months(today, -6)).days  # away this many days or more: six months or more
    records, plan = [], {}
    for direction, category in (("out", "mobile_out"), ("in", "mobile_in")):
        for mid in demo.members.get(category, []):
            long_away = rng.random() < 0.6
            since = _day(today, cut + 1, 900, rng) if long_away else _day(today, 10, cut - 1, rng)
            place = rng.choice(PLACES) if direction == "out" else "金昌市金川区"
            side = rng.choice(PLACES if direction == "out" else HOMES)
            roll = rng.random()
            state = "lost" if roll < 0.04 else "returned" if roll < 0.08 else "active"
            records.append({
                "member_id": mid, "direction": direction, "other_org_id": None,
                "other_org_name": f"{side}{fake.street_name()}社区党委",
                "other_contact_person": fake.name(), "other_phone": fake.phone_number(),
                "other_email": f"party{rng.randint(100, 999)}@{fake.domain_name()}",
                "other_address": f"{side}{fake.street_address()}", "place": place,
                "workplace": fake.company(), "since": since,
                "expected_back": since + dt.timedelta(days=rng.randint(200, 900)) if rng.random() < 0.5 else None,
                "reason": rng.choice(REASONS), "fixed_place": rng.random() < 0.85,
                "settled": direction == "out" and long_away and rng.random() < 0.08,
                "state": state, "station_id": None, "note": None})
            plan[mid] = (direction, since, long_away, state)
    insert_rows(session, MobileRecord.__table__, records)
    record_ids = dict(session.execute(select(MobileRecord.member_id, MobileRecord.id)).all())

    # Two collective stations (集出集管) of outflow members: one with its 临时党支部, one still without.
    by_home = {}
    for mid, (direction, _since, _long, state) in plan.items():
        if direction == "out" and state == "active":
            by_home.setdefault(homes.get(mid), []).append(mid)
    crowded = sorted((c for c in by_home if c is not None), key=lambda c: (-len(by_home[c]), c))[:2]
    station_orgs = dict(session.execute(select(Organization.parent_id, Organization.id).where(
        Organization.kind == "mobile_station", Organization.parent_id.in_(crowded))).all())
    for index, community in enumerate(crowded):
        org_id = station_orgs[community]
        members = by_home[community][:4]
        temp_branch = None
        if index == 0:
            station_org = session.get(Organization, org_id)
            branch = Organization(kind="temp_branch", name=f"{station_org.name}新疆项目部临时党支部",
                                  code=f"{station_org.code}-T1", parent_id=org_id, address="乌鲁木齐市天山区")
            session.add(branch)
            session.flush()
            temp_branch = branch.id
        insert_rows(session, Station.__table__, [{
            "name": ("新疆项目部流动党员管理站" if index == 0 else "深圳电子厂流动党员管理站"),
            "place": ("乌鲁木齐市天山区" if index == 0 else "深圳市南山区"),
            "employer": fake.company(), "org_id": org_id, "temp_branch_id": temp_branch}])
        station_id = session.scalar(select(Station.id).where(Station.org_id == org_id))
        session.execute(MobileRecord.__table__.update().where(MobileRecord.member_id.in_(members))
                        .values(station_id=station_id))

    contacts, cards, relations, number = [], [], [], 0
    for mid, (direction, since, long_away, state) in plan.items():
        rid = record_ids[mid]
        days_away = (today - since).days
        other = "inflow_org" if direction == "out" else "outflow_org"
        quiet = state == "lost" or rng.random() < 0.12       # gap: no contact with the member for 90 days
        member_gap = rng.randint(95, 300) if quiet else rng.randint(0, 80)
        for k in range(rng.randint(1, 4)):
            back = min(days_away, member_gap + k * rng.randint(20, 60))
            contacts.append({"record_id": rid, "member_id": mid, "contacted_on": today - dt.timedelta(days=back),
                             "party": "member", "method": rng.choice(["phone", "message", "visit", "email"]),
                             "is_report": False, "summary": rng.choice(["工作稳定，身体健康", "已参加所在地支部主题党日",
                                                                         "已交纳党费", "近期换了工作单位"]),
                             "feedback": None, "feedback_outbox_id": None})
        if rng.random() < 0.85:  # gap: the other side not contacted for 180 days
            back = min(days_away, rng.randint(0, 170))
            contacts.append({"record_id": rid, "member_id": mid, "contacted_on": today - dt.timedelta(days=back),
                             "party": other, "method": rng.choice(["phone", "letter", "email"]),
                             "is_report": False, "summary": "了解党员在当地参加组织生活情况",
                             "feedback": None, "feedback_outbox_id": None})
        if direction == "out" and rng.random() < 0.8:  # gap: no yearly report
            start = max(dt.date(today.year, 1, 1), since)
            contacts.append({"record_id": rid, "member_id": mid,
                             "contacted_on": start + dt.timedelta(days=rng.randint(0, (today - start).days)),
                             "party": "member", "method": rng.choice(["letter", "email"]), "is_report": True,
                             "summary": "本人书面汇报思想、工作和学习情况", "feedback": None,
                             "feedback_outbox_id": None})
        roll = rng.random()
        if roll < 0.55 or (not long_away and roll < 0.7):
            number += 1
            issued = max(since, today - dt.timedelta(days=rng.randint(30, 300)))
            cards.append({"number": f"金流证〔{issued.year}〕{number:04d}号", "member_id": mid,
                          "issuing_org_id": homes.get(mid), "issued_on": issued,
                          "valid_until": add_months(issued, 12), "checked_on": None, "returned_on": None})
        elif long_away and roll < 0.75:
            relations.append({"member_id": mid, "record_id": rid, "branch_id": None,
                              "branch_name": f"{rng.choice(PLACES)}{fake.street_name()}社区党支部",
                              "started_on": since + dt.timedelta(days=rng.randint(0, 60)), "ended_on": None,
                              "transfer_id": None})
        elif long_away and roll < 0.88:  # gap: a card that ran out and was neither renewed nor returned
            number += 1
            issued = max(since, today - dt.timedelta(days=rng.randint(400, 700)))
            cards.append({"number": f"金流证〔{issued.year}〕{number:04d}号", "member_id": mid,
                          "issuing_org_id": homes.get(mid), "issued_on": issued,
                          "valid_until": min(add_months(issued, 12), today - dt.timedelta(days=1)),
                          "checked_on": None, "returned_on": None})
        # else gap: away 6 months or more with nothing arranged
    insert_rows(session, Contact.__table__, contacts)
    insert_rows(session, Card.__table__, cards)
    if relations:
        insert_rows(session, TempRelation.__table__, relations)
