import datetime as dt

import pytest

from core import idcard
from core.errors import ValidationError


def test_valid_number_gives_birth_date_and_gender():
    card = idcard.parse("360426199101010071")
    assert card.birth_date == dt.date(1991, 1, 1)
    assert card.gender == "male"
    assert card.region_known


def test_lower_case_x_and_spaces_are_accepted():
    n = next(n for seq in range(500)
             if (n := idcard.make_number("620302", dt.date(1970, 1, 1), seq, "male")).endswith("X"))
    assert idcard.parse(" " + n.lower() + " ").number == n


def test_wrong_check_digit_names_the_right_one():
    good = "360426199101010071"
    bad = good[:-1] + "2"
    with pytest.raises(ValidationError) as err:
        idcard.parse(bad)
    assert "校验位" in err.value.errors["id_number"][0]
    assert "1" in err.value.errors["id_number"][0]


def test_impossible_birth_date():
    body = "62030219990230001"
    number = body + idcard.ric.calc_check_digit(body + "0")
    with pytest.raises(ValidationError) as err:
        idcard.parse(number)
    assert "19990230" in err.value.errors["id_number"][0]
    assert "不存在" in err.value.errors["id_number"][0]


def test_future_birth_date_is_refused():
    number = idcard.make_number("620302", dt.date.today() + dt.timedelta(days=40), 1, "male")
    with pytest.raises(ValidationError, match="不合理"):
        idcard.parse(number)


@pytest.mark.parametrize("number, words", [("36042619910101007", "18位"), ("3604261991010100711", "18位"),
                                            ("3604261991A1010071", "数字")])
def test_length_and_format(number, words):
    with pytest.raises(ValidationError) as err:
        idcard.parse(number)
    assert words in err.value.errors["id_number"][0]


def test_region_created_after_birth_is_only_a_warning():
    # 620302 金川区 was created in 1984; older members' cards carry it all the same.
    number = idcard.make_number("620302", dt.date(1950, 3, 4), 12, "female")
    card = idcard.parse(number)
    assert card.region_known is False
    assert card.gender == "female"
    assert idcard.ric.is_valid(number) is False  # stdnum alone would reject it

