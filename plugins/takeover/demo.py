"""接管's part of the demo set: the seed city's 128 laid-off and 173 other members, mostly taken over into the
branch nearest their building, with 五个一 progress, trainings and referrals, and a few gaps for every check."""
import datetime as dt

from sqlalchemy import select

from core.plugin_api import Member, Transfer, insert_rows

from .models import CATEGORIES, FIVE_ONES, BranchDistance, FiveOnes, Referral, TakeoverRecord, Training

FROM = {
    "laid_off": ["金川集团选矿厂", "金昌市纺织厂", "金昌市化工总厂", "金昌市百货公司", "金昌市水泥厂"],
    "contract_ended": ["金昌某物流公司", "金昌某建筑公司", "金昌某商贸公司", "金昌某餐饮公司"],
    "demobilized": ["武警甘肃总队", "兰州军区某部", "新疆军区某部"],
    "graduate": ["兰州大学", "西北师范大学", "兰州理工大学", "河西学院", "金昌职业学院"],
}
COURSES = [("电工上岗培训", "金昌市职业技能培训中心"), ("家政服务员", "金川区人社局"), ("焊工", "金昌市技工学校"),
           ("电子商务", "金昌职业学院"), ("中式烹调师", "金川区人社局"), ("汽车驾驶", "金昌市驾驶员培训学校")]
EMPLOYERS = [("金川集团股份有限公司", "操作工"), ("金昌市物业公司", "物业管理员"), ("金昌某超市", "收银员"),
             ("金昌市环卫处", "保洁员"), ("金昌某快递公司", "快递员"), ("金昌市人民医院", "护工")]
EVIDENCE = {"life_meeting": "支部组织生活会记录", "thought_report": "书面思想汇报", "skill": "技能培训结业证书",
            "job": "劳动合同或用工证明", "contribution": "社区志愿服务记录"}


def load(session, demo):
    rng, today = demo.random, demo.today
    ids = [mid for category in CATEGORIES for mid in demo.members.get(category, [])]
    if not ids:
        return
    members = session.execute(select(Member.id, Member.category, Member.location_id, Member.building)
                              .where(Member.category.in_(CATEGORIES)).order_by(Member.id)).all()
    # The distance table: every building of each community to each of its branches.
    branch_ids = {cid: [b for role, b in roles.items() if role != "mobile"] for cid, roles in demo.branches.items()}
    distances, nearest = [], {}
    for cid, buildings in demo.buildings.items():
        for building in buildings:
            for branch in branch_ids[cid]:
                metres = rng.randint(80, 2400)
                distances.append({"community_id": cid, "building": building, "branch_id": branch, "metres": metres})
                if (cid, building) not in nearest or metres < nearest[(cid, building)][1]:
                    nearest[(cid, building)] = (branch, metres)
    insert_rows(session, BranchDistance.__table__, distances)

    records, five_ones, trainings, referrals, letters = [], [], [], [], []
    gaps = {"unassigned": 0, "pocket": 0, "behind": 0, "hired": 0}
    for mid, category, community, building in members:
        arrived = today - dt.timedelta(days=rng.randint(45, 900))
        roll = rng.random()
        if roll < 0.06 or gaps["unassigned"] < 3:  # 漏管: relationship here, no branch yet
            gaps["unassigned"] += 1
            branch, taken = None, None
        else:
            branch = nearest[(community, building)][0] if rng.random() < 0.9 else rng.choice(branch_ids[community])
            taken = min(today, arrived + dt.timedelta(days=rng.randint(1, 25)))
        records.append({"member_id": mid, "reason": category, "from_unit": rng.choice(FROM[category]),
                        "arrived_on": arrived, "taken_over_on": taken, "branch_id": branch,
                        "assigned_by": demo.faker.name() if branch else None, "notes": None})
        # 五个一: last year mostly complete; this year in progress, a few clearly behind.
        for year, progress in ((today.year - 1, 1.0), (today.year, (today.timetuple().tm_yday / 366))):
            behind = year == today.year and (rng.random() < 0.12 or gaps["behind"] < 3)
            gaps["behind"] += behind
            row = {"member_id": mid, "year": year}
            for key, _title in FIVE_ONES:
                done = not behind and rng.random() < min(1.0, 0.25 + progress)
                day = None
                if done:
                    last = min(dt.date(year, 12, 31), today)
                    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, (last - dt.date(year, 1, 1)).days))
                row[f"{key}_on"], row[f"{key}_evidence"] = day, EVIDENCE[key] if day else None
            five_ones.append(row)
        for _n in range(rng.choice((0, 0, 1, 1, 2))):
            course, provider = rng.choice(COURSES)
            starts = today - dt.timedelta(days=rng.randint(10, 700))
            ends = starts + dt.timedelta(days=rng.randint(5, 60))
            completed = ends < today and rng.random() < 0.8
            trainings.append({"member_id": mid, "course": course, "provider": provider, "starts_on": starts,
                              "ends_on": ends, "completed": completed,
                              "certificate": f"{course}结业证" if completed else None})
        for _n in range(rng.choice((0, 1, 1, 2))):
            employer, post = rng.choice(EMPLOYERS)
            referred = today - dt.timedelta(days=rng.randint(5, 700))
            outcome = rng.choice(("pending", "declined", "declined", "no_answer", "no_answer"))
            if gaps["hired"] < 4 and referred < today - dt.timedelta(days=60):
                outcome = "hired"  # hired, but still in this mode: takeover.employed_not_reclassified
                gaps["hired"] += 1
            outcome_on = None if outcome == "pending" else min(today, referred + dt.timedelta(days=rng.randint(3, 20)))
            referrals.append({"member_id": mid, "employer": employer, "post": post, "referred_on": referred,
                              "outcome": outcome, "outcome_on": outcome_on})
        if gaps["pocket"] < 4 and rng.random() < 0.05:  # 口袋党员: a letter to this community never received
            gaps["pocket"] += 1
            issued = today - dt.timedelta(days=rng.randint(60, 150))
            letters.append({"member_id": mid, "direction": "in", "within_city": False, "from_org_id": None,
                            "from_org_name": rng.choice(["兰州市城关区", "武威市凉州区", "张掖市甘州区"]) + "某党组织",
                            "to_org_id": community, "to_org_name": None,
                            "letter_no": f"甘接转〔{issued.year}〕{len(letters) + 1:04d}号", "issued_on": issued,
                            "valid_until": issued + dt.timedelta(days=30), "received_on": None,
                            "receipt_returned_on": None, "state": "issued"})
    for table, rows in ((TakeoverRecord, records), (FiveOnes, five_ones), (Training, trainings),
                        (Referral, referrals), (Transfer, letters)):
        if rows:
            insert_rows(session, table.__table__, rows)
