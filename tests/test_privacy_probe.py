"""Every screen, export and download, walked as staffers of two sibling communities and a read-only one:
none shows a member of the other community, or a full 身份证 or phone the staffer may not see.

The walk is `core.testing.privacy_leaks`, so a new screen is covered without a new test."""
import datetime as dt

import pytest
from sqlalchemy import select

from core import demo
from core.models import Organization


@pytest.fixture
def city(db):
    """The demo city at its smallest: two communities of one street, every mode's records in both."""
    demo.load(today=dt.date(2026, 11, 2), members=1000)
    return db.session.scalars(select(Organization).where(Organization.kind == "community")
                              .order_by(Organization.id)).all()


def test_no_response_shows_what_the_staffer_may_not_see(city, staff_client, privacy_probe):
    first, second = city[:2]
    assert first.parent_id == second.parent_id
    for role, community, sibling in (("community", first, second), ("community", second, first),
                                     ("readonly", first, second)):
        assert privacy_probe(staff_client(role, community), sibling) == set()
