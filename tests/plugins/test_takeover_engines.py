"""接管's reminders (decided once), its bulletin section's numbers, and its part of the demo set."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import bulletins, demo, reminders
from core.models import Bulletin, OutboxMessage
from factories import member, org_tree
from plugins.takeover.models import BranchDistance, FiveOnes, Referral, TakeoverRecord, Training

# 2026-11-02 is a Monday; 09:00 in Shanghai is 01:00 UTC.
MONDAY_9AM = dt.datetime(2026, 11, 2, 1, 0)
TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def tree(db):
    tree = org_tree()
    tree["community"].email = "c1@example.org"
    tree["branch"].email = "b1@example.org"
    db.session.commit()
    return tree


def _outbox(code):
    return {row.dedup_key: row for row in reminders.db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.rule_code == code))}


def test_assign_reminder_goes_to_the_community_once(db, tree):
    waiting = member(tree, name="待编", category="laid_off", building="5号楼")
    just_in = member(tree, name="刚到", category="laid_off")
    placed = member(tree, name="已编", category="laid_off")
    db.session.add_all([waiting, just_in, placed])
    db.session.flush()
    db.session.add_all([
        TakeoverRecord(member=waiting, reason="laid_off", arrived_on=TODAY - dt.timedelta(days=8)),
        TakeoverRecord(member=just_in, reason="laid_off", arrived_on=TODAY - dt.timedelta(days=2)),
        TakeoverRecord(member=placed, reason="laid_off", arrived_on=TODAY - dt.timedelta(days=60),
                       taken_over_on=TODAY - dt.timedelta(days=50), branch=tree["branch"]),
    ])
    db.session.commit()

    ids = reminders.decide("takeover.assign_due", now=MONDAY_9AM)
    rows = _outbox("takeover.assign_due")
    assert len(ids) == 1 and set(rows) == {f"assign:{waiting.id}"}
    row = rows[f"assign:{waiting.id}"]
    assert row.recipient == "c1@example.org" and row.org_id == tree["community"].id
    assert row.subject == "接管党员待编尚未编入党支部" and "5号楼" in row.body
    assert reminders.decide("takeover.assign_due", now=MONDAY_9AM) == []
    # A week later the one who had just arrived is due too; the first is not reminded again.
    assert len(reminders.decide("takeover.assign_due", now=MONDAY_9AM + dt.timedelta(days=7))) == 1
    assert set(_outbox("takeover.assign_due")) == {f"assign:{waiting.id}", f"assign:{just_in.id}"}


def test_five_ones_reminder_once_mid_year_and_once_in_q4(db, tree):
    behind = member(tree, name="落后", category="graduate")
    fine = member(tree, name="过半", category="graduate")
    db.session.add_all([behind, fine])
    db.session.flush()
    db.session.add_all([
        FiveOnes(member=behind, year=2026, skill_on=dt.date(2026, 3, 1), skill_evidence="证书"),
        FiveOnes(member=fine, year=2026, skill_on=dt.date(2026, 3, 1), skill_evidence="证书",
                 life_meeting_on=dt.date(2026, 4, 1), life_meeting_evidence="记录",
                 job_on=dt.date(2026, 5, 1), job_evidence="合同"),
    ])
    db.session.commit()

    june = dt.datetime(2026, 6, 1, 1, 0)  # a Monday
    assert len(reminders.decide("takeover.five_ones_behind", now=june)) == 1
    assert reminders.decide("takeover.five_ones_behind", now=june + dt.timedelta(days=1)) == []
    q4 = reminders.decide("takeover.five_ones_behind", now=MONDAY_9AM)  # all five are due: both are behind
    assert len(q4) == 2
    assert reminders.decide("takeover.five_ones_behind", now=MONDAY_9AM) == []
    rows = _outbox("takeover.five_ones_behind")
    assert set(rows) == {f"five:2026:mid:{behind.id}", f"five:2026:q4:{behind.id}", f"five:2026:q4:{fine.id}"}
    assert rows[f"five:2026:q4:{fine.id}"].subject == "过半2026年“五个一”已完成3项"


def test_thought_report_reminder_to_the_member_once_a_year(db, tree):
    due = member(tree, name="未汇报", category="demobilized", phone="09357654321", mobile="13800001111")
    done = member(tree, name="已汇报", category="demobilized")
    unassigned = member(tree, name="未编入", category="demobilized")
    db.session.add_all([due, done, unassigned])
    db.session.flush()
    for m in (due, done):
        db.session.add(TakeoverRecord(member=m, reason="demobilized", arrived_on=dt.date(2026, 1, 1),
                                      taken_over_on=dt.date(2026, 1, 5), branch=tree["branch"]))
    db.session.add_all([TakeoverRecord(member=unassigned, reason="demobilized", arrived_on=dt.date(2026, 10, 1)),
                        FiveOnes(member=done, year=2026, thought_report_on=dt.date(2026, 7, 1),
                                 thought_report_evidence="书面汇报")])
    db.session.commit()

    assert len(reminders.decide("takeover.thought_report_due", now=MONDAY_9AM)) == 1
    assert reminders.decide("takeover.thought_report_due", now=MONDAY_9AM + dt.timedelta(days=30)) == []
    (row,) = _outbox("takeover.thought_report_due").values()
    assert row.dedup_key == f"thought:2026:{due.id}" and (row.channel, row.recipient) == ("sms", "13800001111")
    assert row.subject == "请在年底前向和平社区第一党支部作2026年度思想汇报" and row.body.startswith("未汇报同志：")


def _section(result):
    sections = reminders.db.session.get(Bulletin, result.bulletin_id).sections
    return {s["key"]: s for s in sections}.get("takeover.summary")


def test_bulletin_section_counts_this_period_against_the_previous(app, db, tree):
    people = [member(tree, name=f"接管{i}", category=c)
              for i, c in enumerate(["laid_off", "laid_off", "graduate", "contract_ended"])]
    db.session.add_all(people)
    db.session.flush()
    a, b, c, d = people
    db.session.add_all([
        TakeoverRecord(member=a, reason="laid_off", arrived_on=dt.date(2026, 9, 20), taken_over_on=dt.date(2026, 10, 3),
                       branch=tree["branch"]),
        TakeoverRecord(member=b, reason="laid_off", arrived_on=dt.date(2026, 10, 1), taken_over_on=dt.date(2026, 10, 9),
                       branch=tree["branch"]),
        TakeoverRecord(member=c, reason="graduate", arrived_on=dt.date(2026, 9, 1), taken_over_on=dt.date(2026, 9, 5),
                       branch=tree["branch"]),
        FiveOnes(member=a, year=2026, **{f"{k}_on": dt.date(2026, 5, 1) for k in
                                          ("life_meeting", "thought_report", "skill", "job", "contribution")},
                 **{f"{k}_evidence": "记录" for k in ("life_meeting", "thought_report", "skill", "job", "contribution")}),
        FiveOnes(member=b, year=2026, skill_on=dt.date(2026, 5, 1), skill_evidence="证书",
                 job_on=dt.date(2026, 6, 1), job_evidence="合同"),
        Training(member=a, course="焊工", starts_on=dt.date(2026, 10, 2), completed=True, certificate="证"),
        Training(member=b, course="电工", starts_on=dt.date(2026, 10, 12)),
        Training(member=c, course="家政", starts_on=dt.date(2026, 9, 12)),
        # October: 4 referrals, 1 hire (25%); September: 2 referrals, 1 hire (50%).
        Referral(member=a, employer="甲", referred_on=dt.date(2026, 10, 1), outcome="hired", outcome_on=dt.date(2026, 10, 8)),
        Referral(member=b, employer="乙", referred_on=dt.date(2026, 10, 2), outcome="declined", outcome_on=dt.date(2026, 10, 5)),
        Referral(member=c, employer="丙", referred_on=dt.date(2026, 10, 3)),
        Referral(member=d, employer="丁", referred_on=dt.date(2026, 10, 4), outcome="no_answer", outcome_on=dt.date(2026, 10, 20)),
        Referral(member=c, employer="戊", referred_on=dt.date(2026, 9, 1), outcome="hired", outcome_on=dt.date(2026, 9, 10)),
        Referral(member=d, employer="己", referred_on=dt.date(2026, 9, 2), outcome="declined", outcome_on=dt.date(2026, 9, 8)),
    ])
    db.session.commit()
    scope = f"org:{tree['community'].id}"

    section = _section(bulletins.compile_bulletin("community", scope, "2026-10", now=MONDAY_9AM))

    assert section["title"] == "接管党员管理" and section["columns"] == ["项目", "本期", "上期"]
    rows = {r[0]: r[1:] for r in section["rows"]}
    assert rows["新接管：下岗待岗"] == [2, 0]
    assert rows["新接管：未就业大中专毕业生"] == [0, 1]
    assert rows["新接管合计"] == [2, 1]
    assert rows["“五个一”全部完成（2026年度）"][0] == 1
    assert rows["“五个一”完成2项以上（2026年度）"][0] == 2
    assert rows["参加技能培训（人次）"] == [2, 1] and rows["培训结业（人次）"] == [1, 0]
    assert rows["就业推荐（人次）"] == [4, 2] and rows["推荐后就业（人）"] == [1, 1]
    assert rows["再就业率（%）"] == [25.0, 50.0]
    assert section["figures"]["再就业率"] == 25.0 and section["figures"]["再就业率比上期"] == -25.0
    assert "再就业率25.0%（上期50.0%）" in section["summary"]
    # The other community's bulletin has nobody of this mode: the section is left out.
    other = bulletins.compile_bulletin("community", f"org:{tree['other'].id}", "2026-10", now=MONDAY_9AM)
    assert other.state == "compiled" and _section(other) is None


@pytest.fixture
def loaded(db):
    return demo.load(today=dt.date(2026, 11, 29))


def test_demo_has_takeover_records_and_every_check_fires(db, loaded, run_sweep):
    ids = [i for c in ("laid_off", "contract_ended", "demobilized", "graduate") for i in loaded.members[c]]
    assert len(ids) == 128 + 173
    taken = db.session.scalar(select(func.count(func.distinct(TakeoverRecord.member_id))))
    assigned = db.session.scalar(select(func.count()).select_from(TakeoverRecord)
                                 .where(TakeoverRecord.branch_id.is_not(None)))
    assert taken == len(ids) and 0.85 * len(ids) <= assigned < len(ids)
    for model in (FiveOnes, Training, Referral, BranchDistance):
        assert db.session.scalar(select(func.count()).select_from(model)) > 100, model
    # Most members are in the branch nearest their building (就近).
    from core.models import Member
    distances = {}
    for community, building, branch, metres in db.session.execute(
            select(BranchDistance.community_id, BranchDistance.building, BranchDistance.branch_id,
                   BranchDistance.metres)):
        distances.setdefault((community, building), []).append((metres, branch))
    placed = db.session.execute(select(Member.location_id, Member.building, TakeoverRecord.branch_id)
                                .join(Member, Member.id == TakeoverRecord.member_id)
                                .where(TakeoverRecord.branch_id.is_not(None))).all()
    nearest = sum(1 for c, b, branch in placed if min(distances[(c, b)])[1] == branch)
    assert nearest >= 0.8 * len(placed)
    found = run_sweep(today=loaded.today)
    for code in ("takeover.not_assigned", "takeover.pocket_member", "takeover.five_ones_behind",
                 "takeover.employed_not_reclassified"):
        assert found.get(code), code
    assert set(found["takeover.not_assigned"]) <= set(ids)
