"""The hottest member-list queries can use indexes on PostgreSQL (no sequential scan of members).

With sequential scans disabled, a plan that still scans `member` sequentially has no
usable index: that is what these tests catch, whatever the table's size.
"""
import pytest
from sqlalchemy import select, text

from core import scope
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
    text_plan = plan(pg, members_page(Member.search(term)))
    assert "Seq Scan on member" not in text_plan, text_plan


def test_subtree_uses_the_path_index(pg):
    tree = org_tree()
    text_plan = plan(pg, select(Organization.id).where(Organization.in_subtree(tree["street"].path)))
    assert "Seq Scan on organization" not in text_plan, text_plan
