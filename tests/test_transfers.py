import datetime as dt

import pytest

from core.errors import ValidationError
from core.models import Transfer
from factories import member, org_tree

ISSUED = dt.date(2026, 3, 2)


def letter(db, **fields):
    tree = org_tree()
    m = member(tree)
    db.session.add(m)
    values = dict(member=m, direction="out", from_org=tree["branch"], to_org_name="兰州市城关区某社区党委",
                  letter_no="甘金组转〔2026〕0001号", issued_on=ISSUED)
    values.update(fields)
    transfer = Transfer(**values)
    db.session.add(transfer)
    return transfer


def test_letter_within_the_city_is_valid_ten_days(db):
    t = letter(db, within_city=True)
    db.session.commit()
    assert t.valid_until == dt.date(2026, 3, 12)


def test_letter_outside_the_city_is_valid_thirty_days(db):
    t = letter(db, within_city=False)
    db.session.commit()
    assert t.valid_until == dt.date(2026, 4, 1)


def test_validity_follows_the_rules_setting(app, db):
    app.config["RULES"] = {**app.config["RULES"], "transfer_valid_days_local": 15}
    try:
        t = letter(db, within_city=True)
        db.session.commit()
        assert t.valid_until == dt.date(2026, 3, 17)
    finally:
        app.config["RULES"] = {**app.config["RULES"], "transfer_valid_days_local": 10}


def test_validity_beyond_three_months_is_refused(db):
    letter(db, valid_until=ISSUED + dt.timedelta(days=91))
    with pytest.raises(ValidationError) as err:
        db.session.commit()
    assert "最长90天" in err.value.errors["valid_until"][0]


def test_receipt_before_issue_is_refused(db):
    letter(db, received_on=ISSUED - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="早于开具日期"):
        db.session.commit()


def test_destination_is_required(db):
    letter(db, to_org_name=None)
    with pytest.raises(ValidationError) as err:
        db.session.commit()
    assert "接收党组织" in err.value.errors["to_org"][0]


def test_open_case_is_past_validity_without_receipt(db):
    t = letter(db, issued_on=dt.date.today() - dt.timedelta(days=40), within_city=False)
    db.session.commit()
    assert t.is_open
    t.state = "completed"
    assert not t.is_open
