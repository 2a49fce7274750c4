"""The fixtures wuguan ships to plugin authors (core.testing), each used as a plugin's test would."""
import datetime as dt

from core.plugin_api import Organization, parse_id_number

TODAY = dt.date(2026, 11, 2)  # a Monday


def test_make_member_gives_valid_members_in_a_new_or_a_given_organization(db, make_member):
    first, second = make_member("retired"), make_member("retired", name="李四")
    assert first.location.kind == "community" and first.location_id != second.location_id
    assert second.name == "李四" and parse_id_number(first.id_number).birth_date == first.birth_date
    branch = Organization(kind="branch", name="第一党支部", code="B1", parent=first.location)
    in_branch = make_member("resident", org=branch)
    assert in_branch.affiliation == branch and in_branch.location is None and in_branch.state == "active"


def test_login_as_sees_only_the_staffers_community(make_member, login_as):
    mine, theirs = make_member("retired", name="和平党员"), make_member("retired", name="幸福党员")
    client = login_as("community", mine.location)
    page = client.get("/admin/member/").get_data(as_text=True)
    assert client.staff.org_id == mine.location_id
    assert "和平党员" in page and "幸福党员" not in page


def test_remind_decides_delivers_and_never_repeats(make_member, remind):
    member = make_member("resident", name="王五", status="probationary", confirmed_on=None,
                         joined_on=dt.date(2025, 11, 20))  # the 预备期 ends on 2026-11-20, within 30 days
    (message,) = remind("core.probation_notice", today=TODAY)
    assert message.state == "sent" and message.recipient == member.affiliation.email
    assert "王五" in message.subject + message.body
    assert remind("core.probation_notice", today=TODAY) == []


def test_compile_bulletin_returns_the_compiled_bulletin(make_member, compile_bulletin):
    member = make_member("retired")
    make_member("retired", org=member.location)
    bulletin = compile_bulletin(member.location, "2026-10", today=TODAY)
    assert bulletin.state == "compiled" and bulletin.org_id == member.location_id
    (coverage,) = [s for s in bulletin.sections if s["key"] == "core.coverage"]
    assert coverage["figures"]["在册党员"] == 2
