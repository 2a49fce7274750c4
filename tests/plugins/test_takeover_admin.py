"""接管's screens: scoped lists, details, edits and exports; bad input refused; the nearest-branch proposal;
moving a member who found work to another mode, with the history kept; the member page's panel."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from core import idcard
from core.models import AuditEntry, Member, Organization
from core.testing import csrf_token
from plugins.takeover.models import BranchDistance, FiveOnes, Referral, TakeoverRecord, Training
from plugins.takeover.proposal import proposed_branches

BIRTH = dt.date(1975, 5, 17)
ENDPOINTS = ("takeover_record", "takeover_five_ones", "takeover_training", "takeover_referral", "takeover_distance")


@pytest.fixture
def city(db):
    """Street S with communities A and B; each has two branches, a liaison group, a laid-off member and one
    record of each of 接管's kinds, marked with the community's letter."""
    street = Organization(kind="street", name="滨河路街道党工委", code="S")
    db.session.add(street)
    db.session.flush()
    world = {"street": street}
    for key, seq in (("A", 1), ("B", 101)):
        community = Organization(kind="community", name=f"社区{key}", code=key, parent=street)
        near = Organization(kind="branch", name=f"社区{key}第二党支部", code=f"{key}B2", parent=community)
        far = Organization(kind="branch", name=f"社区{key}第一党支部", code=f"{key}B1", parent=community)
        group = Organization(kind="liaison_group", name=f"社区{key}联络小组", code=f"{key}L", parent=community)
        m = Member(name=f"{key}下岗党员", gender="female", birth_date=BIRTH,
                   id_number=idcard.make_number("620302", BIRTH, seq, "female"), joined_on=dt.date(2000, 7, 1),
                   confirmed_on=dt.date(2001, 7, 1), status="full", category="laid_off", affiliation=far,
                   location=community, liaison_group=group, building="3号楼")
        db.session.add_all([community, near, far, group, m])
        db.session.flush()
        rows = {
            "takeover_record": TakeoverRecord(member=m, reason="laid_off", from_unit=f"{key}原单位纺织厂",
                                              arrived_on=dt.date(2026, 1, 5), taken_over_on=dt.date(2026, 1, 20),
                                              branch=far, assigned_by="王书记"),
            "takeover_five_ones": FiveOnes(member=m, year=2026, skill_on=dt.date(2026, 4, 1),
                                           skill_evidence=f"{key}焊工证"),
            "takeover_training": Training(member=m, course=f"{key}焊工培训", provider="技校",
                                          starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 30),
                                          completed=True, certificate="焊工证"),
            "takeover_referral": Referral(member=m, employer=f"{key}物业公司", post="保安",
                                          referred_on=dt.date(2026, 5, 1), outcome="hired",
                                          outcome_on=dt.date(2026, 5, 10)),
            "takeover_distance": BranchDistance(community=community, building=f"{key}9号楼", branch=near, metres=5),
        }
        db.session.add_all(rows.values())
        db.session.add_all([BranchDistance(community=community, building="3号楼", branch=near, metres=200),
                            BranchDistance(community=community, building="3号楼", branch=far, metres=900)])
        world[key] = {"community": community, "near": near, "far": far, "group": group, "member": m, "rows": rows}
    db.session.commit()
    return world


MARK = {"takeover_record": "{k}原单位纺织厂", "takeover_five_ones": "{k}下岗党员", "takeover_training": "{k}焊工培训",
        "takeover_referral": "{k}物业公司", "takeover_distance": "{k}9号楼"}


def body(response):
    return response.get_data(as_text=True)


def test_each_screen_is_under_the_takeover_menu(city, staff_client):
    page = body(staff_client("admin", None).get("/admin/"))
    assert "接管" in page
    for name in ("接管登记", "五个一", "技能培训", "就业推荐", "楼栋与支部距离"):
        assert name in page


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_community_sees_only_its_own_rows(city, staff_client, endpoint):
    a = staff_client("community", city["A"]["community"])
    mine, theirs = MARK[endpoint].format(k="A"), MARK[endpoint].format(k="B")
    listing = body(a.get(f"/admin/{endpoint}/"))
    assert mine in listing and theirs not in listing
    exported = a.get(f"/admin/{endpoint}/export/csv/")
    assert exported.status_code == 200
    text = exported.get_data().decode("utf-8-sig")
    assert mine in text and theirs not in text
    b_row = city["B"]["rows"][endpoint]
    assert a.get(f"/admin/{endpoint}/details/?id={b_row.id}").status_code == 404
    assert a.get(f"/admin/{endpoint}/edit/?id={b_row.id}").status_code == 404
    a_row = city["A"]["rows"][endpoint]
    assert a.get(f"/admin/{endpoint}/details/?id={a_row.id}").status_code == 200


def test_street_staff_see_both_communities(city, staff_client):
    s = staff_client("street", city["street"])
    listing = body(s.get("/admin/takeover_training/"))
    assert "A焊工培训" in listing and "B焊工培训" in listing


def test_bad_five_ones_are_refused_in_chinese_and_nothing_is_saved(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    url = "/admin/takeover_five_ones/new/"
    before = db.session.scalar(select(func.count()).select_from(FiveOnes))
    response = a.post(url, data={"csrf_token": csrf_token(a, url), "member": str(city["A"]["member"].id),
                                 "year": "2025", "thought_report_on": "2026-02-01", "thought_report_evidence": ""})
    page = body(response)
    assert "“作一次思想汇报”的完成日期 2026-02-01 不在2025年度内" in page
    assert "“作一次思想汇报”须填写佐证材料" in page
    assert db.session.scalar(select(func.count()).select_from(FiveOnes)) == before


def test_bad_takeover_is_refused_in_chinese_and_nothing_is_saved(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    m = city["A"]["member"]
    url = f"/admin/takeover_record/new/?member_id={m.id}"
    response = a.post(url, data={"csrf_token": csrf_token(a, url), "member": str(m.id), "reason": "laid_off",
                                 "arrived_on": "2026-03-01", "taken_over_on": "2026-02-01",
                                 "branch": str(city["A"]["near"].id)})
    assert "接管日期不能早于组织关系转入日期" in body(response)
    assert db.session.scalar(select(func.count()).select_from(TakeoverRecord)) == 2


def test_a_takeover_saved_from_the_form_names_who_assigned_it(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    m = city["A"]["member"]
    url = f"/admin/takeover_record/new/?member_id={m.id}"
    response = a.post(url, data={"csrf_token": csrf_token(a, url), "member": str(m.id), "reason": "laid_off",
                                 "from_unit": "金昌市水泥厂", "arrived_on": "2026-03-01",
                                 "taken_over_on": "2026-03-05", "branch": str(city["A"]["near"].id)})
    assert response.status_code == 302, body(response)[:2000]
    saved = db.session.scalar(select(TakeoverRecord).where(TakeoverRecord.from_unit == "金昌市水泥厂"))
    assert saved.branch_id == city["A"]["near"].id and saved.assigned_by == a.staff.display_name


def test_orm_refuses_a_branch_outside_the_members_community(city, db):
    from core.errors import ValidationError
    m = city["A"]["member"]
    db.session.add(TakeoverRecord(member=m, reason="laid_off", taken_over_on=dt.date(2026, 2, 1),
                                  branch=city["B"]["near"]))
    with pytest.raises(ValidationError) as caught:
        db.session.commit()
    assert caught.value.errors["branch"] == ["支部“社区B第二党支部”不在党员所在社区“社区A”之下"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(TakeoverRecord)) == 2


def test_referral_with_an_outcome_needs_its_date(city, db):
    from core.errors import ValidationError
    db.session.add(Referral(member=city["A"]["member"], employer="金川集团", referred_on=dt.date(2026, 5, 1),
                            outcome="hired"))
    with pytest.raises(ValidationError) as caught:
        db.session.commit()
    assert caught.value.errors == {"outcome_on": ["已有推荐结果的须填写结果日期"]}
    db.session.rollback()


def test_branches_are_proposed_nearest_first(city, staff_client, db, app):
    a_side = city["A"]
    extra = Organization(kind="branch", name="社区A甲党支部", code="AB3", parent=a_side["community"])
    db.session.add(extra)
    db.session.commit()
    with app.test_request_context():
        from flask_login import login_user
        from core.models import Staff
        admin = Staff(username="boss", display_name="boss", role="admin")
        admin.set_password("x")
        db.session.add(admin)
        db.session.commit()
        login_user(admin)
        proposals = proposed_branches(a_side["member"])
    assert [(o.name, metres) for o, metres in proposals] == [
        ("社区A第二党支部", 200), ("社区A第一党支部", 900), ("社区A甲党支部", None)]
    # The form lists them in that order, with the distance, and nothing of community B.
    a = staff_client("community", a_side["community"])
    page = body(a.get(f"/admin/takeover_record/new/?member_id={a_side['member'].id}"))
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    branch_options = [o for o in options if "支部" in o]
    assert branch_options == ["社区A第二党支部（约200米）", "社区A第一党支部（约900米）", "社区A甲党支部"]
    assert "社区B" not in "".join(branch_options)


def test_another_communitys_member_is_not_prefilled(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get(f"/admin/takeover_record/new/?member_id={city['B']['member'].id}"))
    assert "B下岗党员" not in page and "社区B第二党支部" not in page


def _action(client, action, record_id):
    url = "/admin/takeover_record/"
    return client.post("/admin/takeover_record/action/",
                       data={"csrf_token": csrf_token(client, url), "action": action, "rowid": str(record_id)})


def test_a_member_who_found_work_moves_to_another_mode_with_history_kept(city, staff_client, db, run_sweep):
    m, record = city["A"]["member"], city["A"]["rows"]["takeover_record"]
    assert "takeover.employed_not_reclassified" in run_sweep(today=dt.date(2026, 11, 2))
    a = staff_client("community", city["A"]["community"])
    response = _action(a, "to_in_service", record.id)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, m.id).category == "in_service"
    history = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "member",
                                                          AuditEntry.record_id == str(m.id),
                                                          AuditEntry.action == "update")).all()
    assert any(e.before.get("category") == "laid_off" and e.after.get("category") == "in_service" for e in history)
    assert history[-1].actor == a.staff.username or history[-1].actor_id == a.staff.id
    # The takeover record stays; the member is now another mode's, so 接管's checks let go of them.
    assert db.session.get(TakeoverRecord, record.id) is not None
    assert m.id not in run_sweep(today=dt.date(2026, 11, 2)).get("takeover.employed_not_reclassified", {})


def test_reclassifying_another_communitys_member_is_404(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    b_record = city["B"]["rows"]["takeover_record"]
    assert _action(a, "to_resident", b_record.id).status_code == 404
    db.session.expire_all()
    assert db.session.get(Member, city["B"]["member"].id).category == "laid_off"


def test_read_only_staff_cannot_reclassify(city, staff_client, db):
    viewer = staff_client("readonly", city["A"]["community"])
    assert _action(viewer, "to_resident", city["A"]["rows"]["takeover_record"].id).status_code == 403
    db.session.expire_all()
    assert db.session.get(Member, city["A"]["member"].id).category == "laid_off"


def test_member_page_shows_the_takeover_panel(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get(f"/admin/member/details/?id={city['A']['member'].id}"))
    assert "takeover-panel" in page
    for text in ("A原单位纺织厂", "社区A第一党支部", "A焊工培训", "A物业公司", "已录用", "A焊工证"):
        assert text in page
