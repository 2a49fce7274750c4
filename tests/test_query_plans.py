"""The hottest member-list queries can use indexes on PostgreSQL (no sequential scan of members).

With sequential scans disabled, a plan that still scans `member` sequentially has no
usable index: that is what these tests catch, whatever the table's size.
"""
import datetime as dt

import pytest
from sqlalchemy import insert, select, text

from core import idcard, scope
from core.models import Member, Organization, Staff
from factories import member, org_tree


@pytest.fixture
def pg(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL (WUGUAN_TEST_DATABASE_URL)")
    return db


def plan(db, statement):
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        rows = conn.execute(text(f"EXPLAIN {compiled}")).all()
    return "\n".join(r[0] for r in rows)


def members_page(where):
    return select(Member).where(where).order_by(Member.id).limit(50)


def test_one_communitys_page_uses_indexes(pg):
    tree = org_tree()
    pg.session.add(member(tree))
    pg.session.commit()
    staff = Staff(username="c", display_name="c", role="community", org=tree["community"])
    text_plan = plan(pg, members_page(scope.clause(Member, staff)))
    assert "Seq Scan on member" not in text_plan, text_plan
    text_plan = plan(pg, members_page(Member.location_id == tree["community"].id))
    assert "Seq Scan on member" not in text_plan, text_plan


@pytest.mark.parametrize("term", ["zs", "zhangsan", "张", "620302", "1391234"])
def test_search_uses_indexes(pg, term):
    """As staff with the right to see numbers search them: by prefix (core.privacy.matches)."""
    text_plan = plan(pg, members_page(Member.search(term, Staff(role="admin"))))
    assert "Seq Scan on member" not in text_plan, text_plan


def test_subtree_uses_the_path_index(pg):
    tree = org_tree()
    text_plan = plan(pg, select(Organization.id).where(Organization.in_subtree(tree["street"].path)))
    assert "Seq Scan on organization" not in text_plan, text_plan


def test_a_streets_pinyin_search_starts_from_the_search_index(pg):
    """A street's few matches among a city's come from the search's index, not from a walk of the
    member table in id order testing every row against the scope's subquery (260 ms at a million).
    The street holds 1 member in 20, and 1 in 20 is called 张三, as unrelated as in life."""
    tree = org_tree()
    elsewhere = Organization(kind="community", name="远方社区党委", code="F1",
                             parent=Organization(kind="street", name="远方街道党工委", code="F", parent=tree["district"]))
    pg.session.add(elsewhere)
    pg.session.commit()
    rows = []
    for n in range(4000):
        home = tree["community"] if n % 20 == 0 else elsewhere
        name = ("张三", "zhangsan", "zs") if n // 20 % 20 == 0 else ("李四", "lisi", "ls")
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=n)
        rows.append(dict(zip(("name", "name_pinyin", "name_initials"), name), gender="female", birth_date=birth,
                         id_number=idcard.make_number("620302", birth, 1, "female"), joined_on=dt.date(1990, 1, 1),
                         category="retired", location_id=home.id, affiliation_id=home.id))
    pg.session.execute(insert(Member.__table__), rows)
    pg.session.commit()
    with pg.engine.connect() as conn:
        conn.execute(text("ANALYZE member"))
        conn.commit()
    staff = Staff(username="s", display_name="s", role="street", org=tree["street"])
    text_plan = plan(pg, members_page(scope.clause(Member, staff) & Member.search("zs")))
    assert "Seq Scan on member" not in text_plan, text_plan
    assert "SubPlan" not in text_plan, text_plan
    assert "using pk_member" not in text_plan, text_plan
    assert "ix_member_name_initials" in text_plan, text_plan
