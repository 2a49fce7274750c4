"""The grid plugin against a real wuguan, with only the fixtures wuguan ships (its pytest11 entry point)."""
import datetime as dt
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
import pytest
from sqlalchemy import func, select

from core.plugin_api import Member, Organization, make_id_number
from wuguan_grid import GridAssignment, GridCell, GridPatrol

PACKAGE = Path(__file__).parent.parent / "wuguan_grid"
TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def city(db):
    """A street with communities A and B; in A a cell patrolled long ago, and a grid member in no cell."""
    street = Organization(kind="street", name="滨河路街道党工委", code="S1")
    a = Organization(kind="community", name="和平社区党委", code="A", parent=street, email="a@jc.example.cn")
    b = Organization(kind="community", name="建设社区党委", code="B", parent=street, email="b@jc.example.cn")
    old = GridCell(org=a, name="第1网格", worker="李网格员", created_on=dt.date(2025, 1, 1))
    fresh = GridCell(org=b, name="第9网格", worker="王网格员", created_on=dt.date(2025, 1, 1))
    rider, courier = member(a, "骑手甲", 1), member(b, "快递员乙", 2)
    db.session.add_all([street, a, b, old, fresh, rider, courier,
                        GridPatrol(cell=old, patrolled_on=dt.date(2026, 9, 1), notes="巡查楼道"),
                        GridPatrol(cell=fresh, member=courier, patrolled_on=dt.date(2026, 10, 20), notes="走访"),
                        GridAssignment(member=courier, cell=fresh)])
    db.session.commit()
    return {"a": a, "b": b, "old": old, "fresh": fresh, "rider": rider, "courier": courier}


def member(community, name, seq, category="grid_member"):
    birth = dt.date(1992, 4, seq)
    return Member(name=name, gender="male", birth_date=birth, id_number=make_id_number("620302", birth, seq, "male"),
                  joined_on=dt.date(2018, 7, 1), confirmed_on=dt.date(2019, 7, 1), status="full", category=category,
                  affiliation=community, location=community)


def test_the_mode_is_loaded_from_its_entry_point_and_claims_grid_members(app):
    host = app.extensions["wuguan"]
    assert host.records["grid"].source == "entrypoint" and host.records["grid"].state == "loaded"
    assert host.categories["grid_member"][0].key == "grid"
    assert host.activity_kinds()["grid_patrol"] == "网格巡查"
    assert app.config["PLUGINS"]["grid"] == {"patrol_every_days": 30, "notice_days": 7}


def test_its_migration_branch_matches_its_models(app, db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert [d for d in compare_metadata(context, db.metadata) if "grid_" in repr(d)] == []
        assert "grid_0001" in set(context.get_current_heads())


def test_checks_find_members_without_a_cell_and_cells_not_patrolled(city, run_sweep, db):
    found = run_sweep(today=TODAY)
    assert found["grid.unassigned"] == {city["rider"].id: "网格党员尚未划入任何网格"}
    assert found["grid.patrol_overdue"] == {city["old"].id: "网格“第1网格”上次巡查：2026-09-01"}

    db.session.add_all([GridAssignment(member=city["rider"], cell=city["old"]),
                        GridPatrol(cell=city["old"], patrolled_on=TODAY, notes="补巡")])
    db.session.commit()
    found = run_sweep(today=TODAY)
    assert "grid.unassigned" not in found and "grid.patrol_overdue" not in found


def test_patrol_overdue_follows_the_setting(city, run_sweep, app):
    app.config["PLUGINS"]["grid"]["patrol_every_days"] = 10
    try:
        found = run_sweep(today=TODAY)
    finally:
        app.config["PLUGINS"]["grid"]["patrol_every_days"] = 30
    assert set(found["grid.patrol_overdue"]) == {city["old"].id, city["fresh"].id}


def test_the_community_is_reminded_once_per_patrol_cycle(city, remind):
    (message,) = remind("grid.patrol_due", today=TODAY)
    assert remind("grid.patrol_due", today=TODAY) == []
    assert (message.recipient, message.org_id) == ("a@jc.example.cn", city["a"].id)
    assert message.subject == "和平社区党委：第1网格应于近期巡查"
    assert "李网格员" in message.body and "2026-09-01" in message.body
    assert message.state == "sent"


def test_the_bulletin_has_a_grid_section_only_where_there_are_cells(city, db, compile_bulletin):
    bulletin = compile_bulletin(city["a"].parent, "2026-10", kind="street", today=TODAY)
    section = next(s for s in bulletin.sections if s["key"] == "grid.cells")
    assert section["rows"] == [["第1网格", "李网格员", 0, 0], ["第9网格", "王网格员", 1, 1]]
    assert section["figures"] == {"网格数": 2, "本期巡查": 1}
    assert "共2个网格，划入党员1名；本期巡查走访1次，1个网格未巡查。" == section["summary"]

    empty = Organization(kind="community", name="无网格社区党委", code="C", parent_id=city["a"].parent_id)
    db.session.add(empty)
    db.session.commit()
    bulletin = compile_bulletin(empty, "2026-10", today=TODAY)
    assert "grid.cells" not in [s["key"] for s in bulletin.sections]


def test_the_screens_show_a_community_only_its_own_cells_and_patrols(city, staff_client, db):
    client = staff_client("community", city["a"])
    page = client.get("/admin/grid_cell/").get_data(as_text=True)
    assert "网格管" in page and "第1网格" in page and "第9网格" not in page
    assert client.get(f"/admin/grid_cell/details/?id={city['fresh'].id}").status_code == 404
    patrol_b = db.session.scalar(select(GridPatrol.id).where(GridPatrol.cell_id == city["fresh"].id))
    assert client.get(f"/admin/grid_patrol/details/?id={patrol_b}").status_code == 404
    assert "快递员乙" not in client.get("/admin/grid_assignment/").get_data(as_text=True)


def test_a_patrol_takes_its_cells_community(city, db):
    patrol = GridPatrol(cell=city["fresh"], patrolled_on=TODAY)
    db.session.add(patrol)
    db.session.commit()
    assert patrol.org_id == city["b"].id


def test_the_member_page_shows_the_cell_and_visits(city, staff_client):
    client = staff_client("community", city["b"])
    page = client.get(f"/admin/member/details/?id={city['courier'].id}").get_data(as_text=True)
    assert "第9网格 · 网格员 王网格员" in page and "2026-10-20 走访" in page


def test_demo_data_divides_every_community_and_keeps_the_articles_figures(db, load_demo):
    loaded = load_demo(today=TODAY)
    assert db.session.scalar(select(func.count()).select_from(Member)
                             .where(Member.affiliation_id.is_not(None))) == 1952
    assert db.session.scalar(select(func.count(func.distinct(GridCell.org_id)))) == len(loaded.community_ids)
    misplaced = db.session.scalar(
        select(func.count()).select_from(GridAssignment).join(Member).join(GridCell)
        .where(GridCell.org_id != Member.location_id))
    assert misplaced == 0
    assert db.session.scalar(select(func.count()).select_from(GridAssignment)) == 1952
    assert db.session.scalar(select(func.count()).select_from(GridPatrol)) > len(loaded.community_ids)


def test_every_ui_string_has_an_english_translation():
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    strings = {m[2] for m in extract_from_dir(str(PACKAGE), method_map=[("**.py", "python"),
                                                                        ("templates/**.html", "jinja2")],
                                              keywords=keywords)}
    po = read_po(open(PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po", "rb"))
    assert strings and sorted(strings - {m.id for m in po if m.id and m.string}) == []


def test_strings_are_english_at_run_time(app):
    from flask_babel import force_locale
    with app.test_request_context(), force_locale("en"):
        assert str(app.extensions["wuguan"].modes["grid"].title) == "Grid"


def test_no_screen_shows_the_other_communitys_members(city, staff_client, privacy_probe):
    """wuguan's privacy probe walks every screen, the grid's among them, as staff of A and of B."""
    privacy_probe(staff_client("community", city["a"]), city["b"])
    privacy_probe(staff_client("community", city["b"]), city["a"])
