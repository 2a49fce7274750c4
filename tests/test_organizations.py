import pytest
from sqlalchemy import event, select

from core.errors import ValidationError
from core.models import Member, Organization
from factories import member, org_tree


def test_paths_follow_the_tree(db):
    tree = org_tree()
    d, s, c, b = tree["district"], tree["street"], tree["community"], tree["branch"]
    assert d.path == f".{d.id}."
    assert b.path == f".{d.id}.{s.id}.{c.id}.{b.id}."
    assert (d.depth, s.depth, c.depth, b.depth) == (0, 1, 2, 3)
    assert b.ancestor_ids() == [d.id, s.id, c.id, b.id]


def test_subtree_is_one_statement(db):
    tree = org_tree()
    # ids 1..n: make sure "1." does not also match "11.", "12." ...
    extra = [Organization(kind="branch", name=f"支部{n}", code=f"X{n}", parent=tree["other"]) for n in range(12)]
    db.session.add_all(extra)
    db.session.commit()
    community_path = tree["community"].path
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        names = set(db.session.scalars(
            select(Organization.name).where(Organization.in_subtree(community_path))))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert names == {"和平社区党委", "和平社区第一党支部", "1-2号楼党员联络小组"}
    assert len(statements) == 1
    street = set(db.session.scalars(select(Organization.id).where(Organization.in_subtree(tree["street"].path))))
    assert len(street) == 5 + 12


def test_members_of_a_subtree_by_join(db):
    tree = org_tree()
    db.session.add(member(tree))
    db.session.commit()
    query = (select(Member.name).join(Organization, Member.affiliation_id == Organization.id)
             .where(Organization.in_subtree(tree["street"].path)))
    assert db.session.scalars(query).all() == ["张三"]
    query = (select(Member.name).join(Organization, Member.affiliation_id == Organization.id)
             .where(Organization.in_subtree(tree["other"].path)))
    assert db.session.scalars(query).all() == []


def test_moving_a_community_moves_its_subtree(db):
    tree = org_tree()
    new_street = Organization(kind="street", name="桂林路街道党工委", code="S2", parent=tree["district"])
    db.session.add(new_street)
    db.session.commit()
    tree["community"].move_to(new_street)
    db.session.commit()
    branch = db.session.get(Organization, tree["branch"].id)
    db.session.refresh(branch)
    assert branch.path.startswith(new_street.path)
    assert branch.depth == 3
    assert tree["community"].parent_id == new_street.id
    under_old = db.session.scalars(select(Organization.code).where(Organization.in_subtree(tree["street"].path)))
    assert set(under_old) == {"S1", "C2"}


def test_cannot_move_under_own_descendant(db):
    tree = org_tree()
    with pytest.raises(ValidationError, match="下级"):
        tree["street"].move_to(tree["branch"])
