"""共管 demo data: a profile for each of the 927 retirees, visits, hardships, agreements, with gaps
so that every check finds something. Bulk inserts only; `demo.random` and `demo.faker` only."""
import datetime as dt

from sqlalchemy import select

from core.plugin_api import Member, insert_rows

from .models import (FRAIL, TASKS, JointAgreement, JointHardship, JointHardshipAction, JointProfile, JointVisit,
                     task_field)

HEALTH_WEIGHTS = (("good", 45), ("fair", 33), ("poor", 16), ("bedridden", 6))
EXPERTISE = ("法律", "调解", "书法", "摄影", "医疗保健", "教育", "会计", "电工", "园艺", "文艺", "历史", "烹饪")
GIFTS = ("米面油", "慰问金500元", "生日蛋糕", "药品", "帮助打扫卫生", "送《党员学习》读本", "水果")
ACTIONS = ("联系原单位协调补助", "申请临时救助", "协调家政服务", "陪同就医", "联系物业维修", "申报低保")


def _pick(rng, weighted):
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def load(session, demo):
    rng, fake, today = demo.random, demo.faker, demo.today
    ids = demo.members.get("retired", [])
    if not ids:
        return
    retirees = session.execute(select(Member.id, Member.birth_date, Member.location_id, Member.work_unit_id)
                               .where(Member.category == "retired").order_by(Member.id)).all()
    task_names = [str(t) for t in TASKS]
    profiles, visits, hardships = [], [], []
    for index, (member_id, born, community, unit) in enumerate(retirees):
        health = _pick(rng, HEALTH_WEIGHTS)
        age = today.year - born.year
        if age >= 85 and health == "good" and rng.random() < 0.6:
            health = rng.choice(("fair", "poor", "bedridden"))
        willing = [] if health in FRAIL else rng.sample(task_names, rng.choice((0, 1, 1, 2, 3)))
        gap = index % 40 == 7  # 1 in 40: no former unit or no contact recorded (joint.no_former_unit)
        retire_age = rng.choice((50, 55, 60))
        retired_on = born.replace(year=born.year + retire_age, day=min(born.day, 28))
        profiles.append({
            "member_id": member_id, "former_unit_id": None if gap and index % 80 == 7 else unit,
            "unit_contact": None if gap else fake.name(), "unit_contact_phone": None if gap else fake.phone_number(),
            "retired_on": retired_on if retired_on <= today else None, "health": health,
            "expertise": "、".join(rng.sample(EXPERTISE, rng.choice((0, 1, 1, 2)))) or None,
            "tasks": task_field(willing), "no_stairs": health != "good" and rng.random() < 0.4,
            "needs_company": health in FRAIL and rng.random() < 0.6, "notes": None,
        })
        # Visits: most within the last quarter, some only long ago (joint.visit_due), a few never.
        roll = rng.random()
        if roll < 0.04:
            count, oldest = 0, 0
        elif roll < 0.14:
            count, oldest = 1, 500
        else:
            count, oldest = rng.randint(1, 4), 360
        for n in range(count):
            days_ago = rng.randint(400, oldest) if oldest == 500 else rng.randint(1, oldest if n else 85)
            visits.append({"member_id": member_id, "visited_on": today - dt.timedelta(days=days_ago),
                           "visitors": f"{fake.name()}、{fake.name()}",
                           "occasion": rng.choice(("routine", "routine", "festival", "birthday", "illness")),
                           "given": rng.choice(GIFTS), "notes": None})
        if rng.random() < 0.09:
            reported = today - dt.timedelta(days=rng.randint(5, 300))
            state = rng.choice(("open", "in_progress", "resolved", "resolved"))
            resolved = None
            if state == "resolved":
                resolved = min(today, reported + dt.timedelta(days=rng.randint(3, 60)))
            hardships.append({"member_id": member_id, "kind": rng.choice(("illness", "housing", "income", "care",
                                                                            "other")),
                              "description": rng.choice(("长期患病，医药费负担重", "老旧楼房无电梯，下楼困难",
                                                         "独居，无人照料", "退休金偏低，生活困难", "房屋漏水")),
                              "reported_on": reported, "state": state, "resolved_on": resolved,
                              "_acted": state != "open" or rng.random() < 0.3})
    insert_rows(session, JointProfile.__table__, profiles)
    insert_rows(session, JointVisit.__table__, visits)
    acted = [h for h in hardships if h.pop("_acted")]
    if hardships:
        insert_rows(session, JointHardship.__table__, hardships)
    # Actions point at hardships by id: read the new rows back in one query (no explicit ids inserted).
    found = {(mid, reported): hid for hid, mid, reported in session.execute(
        select(JointHardship.id, JointHardship.member_id, JointHardship.reported_on))}
    actions = []
    for row in acted:
        hid = found[(row["member_id"], row["reported_on"])]
        last = row["resolved_on"] or today
        actions.append({"hardship_id": hid, "action": rng.choice(ACTIONS),
                        "acted_on": row["reported_on"] + dt.timedelta(
                            days=rng.randint(0, max(0, (last - row["reported_on"]).days)))})
    if actions:
        insert_rows(session, JointHardshipAction.__table__, actions)
    # Agreements: each community with two or three of its retirees' former units; some past their review date.
    by_community = {}
    for _member_id, _born, community, unit in retirees:
        if community and unit:
            by_community.setdefault(community, set()).add(unit)
    agreements = []
    for community in sorted(by_community):
        units = sorted(by_community[community])
        for unit in rng.sample(units, min(len(units), rng.randint(2, 3))):
            signed = today - dt.timedelta(days=rng.randint(60, 1500))
            review = signed + dt.timedelta(days=365 * rng.choice((1, 2, 3)))
            agreements.append({"org_id": community, "work_unit_id": unit, "signed_on": signed, "review_on": review,
                               "community_duties": "负责日常教育管理、组织生活和走访慰问",
                               "unit_duties": "通报离退休党员情况，参与节日慰问和困难帮扶",
                               "community_contact": fake.name(), "unit_contact": fake.name(),
                               "unit_contact_phone": fake.phone_number()})
    if agreements:
        insert_rows(session, JointAgreement.__table__, agreements)
