"""双管's part of the demo data set: the 214 community in-service members and the 12,990 members of city
employers, with posts, registrations, service, evaluations, feedback, opinion requests and meetings, and
gaps for every check. Bulk inserts only; `demo.random` and `demo.faker` only."""
import datetime as dt

from sqlalchemy import select

from core.plugin_api import (Activity, Attendance, Member, Organization, WorkUnit, add_months, insert_rows,
                             make_id_number)

from . import rules
from .models import (POST_NAMES, Evaluation, Feedback, OpinionRequest, Post, Registration, Service, Signup,
                     feedback_member)

ACTIVITIES = ["政策宣传进楼院", "矛盾纠纷调解", "环境卫生整治", "夜间治安巡逻", "关爱空巢老人志愿服务",
              "文明交通劝导", "社区图书角值守", "垃圾分类宣传"]
GRADE_WEIGHTS = [("excellent", 20), ("qualified", 70), ("basic", 8), ("unqualified", 2)]


def load(session, demo):
    rng, today = demo.random, demo.today
    settings = dict(rules.DEFAULTS)
    grades = [g for g, w in GRADE_WEIGHTS for _ in range(w)]
    members = session.execute(select(Member.id, Member.location_id, Member.work_unit_id)
                              .where(Member.category == "in_service", Member.location_id.is_not(None))
                              .order_by(Member.id)).all()
    codes = dict(session.execute(select(Organization.id, Organization.code)
                                 .where(Organization.id.in_(demo.community_ids))).all())

    # 设岗: five posts per community; the last one needs more people than claim it.
    post_rows, post_keys = [], []
    for cid in demo.community_ids:
        for n, name in enumerate(POST_NAMES):
            needed = 500 if n == len(POST_NAMES) - 1 and rng.random() < 0.5 else rng.randint(3, 30)
            post_rows.append({"org_id": cid, "name": name, "duties": f"在业余时间参加社区{name}工作",
                              "needed": needed, "active": True})
            post_keys.append(cid)
    post_ids = insert_rows(session, Post.__table__, return_ids=True, rows=post_rows)
    posts_of = {}
    for cid, pid in zip(post_keys, post_ids):
        posts_of.setdefault(cid, []).append(pid)

    # 到社区报到: about 94% registered; most before last year, some this year; a few left.
    this_year = dt.date(today.year, 1, 1)
    reg_rows, registered = [], []
    for n, (mid, cid, unit) in enumerate(members, 1):
        if rng.random() < 0.06:
            continue
        if rng.random() < 0.85:
            day = this_year - dt.timedelta(days=rng.randint(30, 1500))
        else:
            day = today - dt.timedelta(days=rng.randint(40, max(41, (today - this_year).days)))
        post = rng.choice(posts_of[cid]) if rng.random() < 0.7 else None
        reg_rows.append({"member_id": mid, "org_id": cid, "registered_on": day,
                         "card_no": f"{codes[cid]}-{n:05d}", "post_id": post, "state": "registered",
                         "left_on": None})
        registered.append((mid, cid, unit, day))
    insert_rows(session, Registration.__table__, reg_rows)

    # 服务记录: the examined quarter (about 9 in 10 serve) and the quarter before it.
    quarter, q_start, q_end = rules.service_window(today, settings)
    previous = quarter.previous()
    service_rows = []

    def serve(mid, cid, start, end, times):
        span = max(1, (end - start).days)
        for _ in range(times):
            service_rows.append({"member_id": mid, "org_id": cid, "served_on": start + dt.timedelta(days=rng.randrange(span)),
                                 "activity": rng.choice(ACTIVITIES), "hours": rng.choice((1.0, 1.5, 2.0, 2.5, 3.0, 4.0)),
                                 "verified_by": "社区党委"})

    for mid, cid, unit, day in registered:
        if day > today - dt.timedelta(days=settings["no_service_grace_days"]) or rng.random() < 0.9:
            serve(mid, cid, max(q_start, day), q_end, rng.randint(1, 3))
        if day < previous.start:
            serve(mid, cid, previous.start, previous.end, rng.randint(0, 2))
    insert_rows(session, Service.__table__, service_rows)

    # 社区评价 for the last complete period: about 97% of those registered in it.
    period = rules.evaluation_due_period(today, settings)
    eval_rows = [{"member_id": mid, "org_id": cid, "period": period.label, "grade": rng.choice(grades),
                  "comment": None, "evaluated_on": period.end - dt.timedelta(days=rng.randint(1, 20))}
                 for mid, cid, unit, day in registered if day < period.end and rng.random() < 0.97]
    insert_rows(session, Evaluation.__table__, eval_rows)

    # 双向反馈 for the last quarter that is due: nine in ten (community, unit) pairs sent.
    fq = rules.feedback_due_quarter(today, settings)
    pairs = {}
    for mid, cid, unit, day in registered:
        if unit is not None and day < fq.end:
            pairs.setdefault((cid, unit), []).append(mid)
    sent = [(key, mids) for key, mids in sorted(pairs.items()) if rng.random() < 0.9]
    feedback_ids = insert_rows(session, Feedback.__table__, return_ids=True, rows=[
        {"org_id": cid, "work_unit_id": unit, "period": fq.label,
         "content": f"{fq.title}，贵单位{len(mids)}名在职党员在社区认领岗位、参加服务，表现良好。",
         "sent_on": fq.end + dt.timedelta(days=rng.randint(1, settings["feedback_due_days"] - 1)),
         "acknowledged_on": None, "acknowledgement": None} for (cid, unit), mids in sent])
    links = [{"feedback_id": fid, "member_id": mid} for fid, (_, mids) in zip(feedback_ids, sent) for mid in mids]
    insert_rows(session, feedback_member, links)

    # 听取意见: 60 requests from employers; a few left unanswered past the deadline.
    units = dict(session.execute(select(WorkUnit.id, WorkUnit.name)).all())
    opinions = []
    for mid, cid, unit, day in rng.sample(registered, min(60, len(registered))):
        received = today - dt.timedelta(days=rng.randint(1, 90))
        answered = None if rng.random() < 0.2 else min(today, received + dt.timedelta(days=rng.randint(2, 12)))
        opinions.append({"member_id": mid, "org_id": cid, "work_unit_id": unit,
                         "purpose": f"{units.get(unit, '')}拟提拔任用考察", "received_on": received,
                         "answered_on": answered, "opinion": "该同志在社区表现良好，积极参加志愿服务。" if answered else None})
    opinions[0].update(received_on=today - dt.timedelta(days=40), answered_on=None, opinion=None)
    insert_rows(session, OpinionRequest.__table__, opinions)

    # 定期例会: a meeting of each community's in-service members each of the last three months.
    by_community = {}
    for mid, cid, unit, day in registered:
        by_community.setdefault(cid, []).append(mid)
    activity_rows, attendees = [], []
    for cid in demo.community_ids:
        for months in (1, 2, 3):
            held = add_months(today, -months).replace(day=rng.randint(1, 28))
            activity_rows.append({"org_id": demo.branches[cid]["in_service"], "kind": "dual_meeting", "held_on": held,
                                  "topic": f"{held:%Y年%m月}在职党员例会", "notes": None})
            attendees.append(rng.sample(by_community.get(cid, []), min(40, len(by_community.get(cid, [])))))
    activity_ids = insert_rows(session, Activity.__table__, return_ids=True, rows=activity_rows)
    attendance = [{"activity_id": aid, "member_id": mid, "present": True, "absence_reason": None}
                  for aid, mids in zip(activity_ids, attendees) for mid in mids]
    insert_rows(session, Attendance.__table__, attendance)

    # Self-service registrations waiting for staff.
    signups = []
    for n in range(8):
        gender = rng.choice(("male", "female"))
        birth = dt.date(rng.randint(1970, 1998), rng.randint(1, 12), rng.randint(1, 28))
        signups.append({"org_id": rng.choice(demo.community_ids),
                        "name": demo.faker.last_name() + (demo.faker.first_name_male() if gender == "male"
                                                          else demo.faker.first_name_female()),
                        "id_number": make_id_number("620302", birth, 400 + n, gender),
                        "phone": demo.faker.phone_number(), "employer": rng.choice(list(units.values())),
                        "submitted_at": dt.datetime.combine(today - dt.timedelta(days=rng.randint(0, 10)), dt.time(10)),
                        "address": "demo", "state": "pending", "registration_id": None, "note": None})
    insert_rows(session, Signup.__table__, signups)
