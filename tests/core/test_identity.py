"""GB 11643 resident IDs, other documents and phone numbers: what staff type, what is stored, what is shown."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from fangkong.core.identity import (
    DocumentType,
    mask_document,
    mask_name,
    mask_phone,
    normalize_document,
    normalize_phone,
    normalize_resident_id,
    resident_id_check_char,
    resident_id_facts,
)

TODAY = datetime.date(2024, 6, 1)


def with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def refused(raw, today=TODAY) -> str:
    with pytest.raises(ValidationError) as caught:
        normalize_resident_id(raw, today=today)
    return caught.value.messages[0]


def test_a_valid_number_is_kept_as_is(new_resident_id):
    number = new_resident_id("1985-06-12")
    assert normalize_resident_id(number, today=TODAY) == number
    assert normalize_resident_id(f" {number[:6]} {number[6:14]} {number[14:]} ", today=TODAY) == number


def test_the_check_character_follows_gb_11643():
    # The worked example of the standard: 11010519491231002 → X.
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"


def test_a_lowercase_x_is_normalised_to_uppercase():
    first17 = next(candidate for candidate in (f"41010519850612{n:03d}" for n in range(1000))
                   if resident_id_check_char(candidate) == "X")
    assert normalize_resident_id(first17 + "x", today=TODAY) == first17 + "X"


def test_a_15_digit_legacy_number_is_converted_to_18_characters():
    legacy = "410105850612123"
    assert normalize_resident_id(legacy, today=TODAY) == with_check("41010519850612123")


def test_birth_date_and_sex_come_from_the_number():
    man, woman = with_check("41010519560312431"), with_check("41010519560312428")
    assert resident_id_facts(man) == (datetime.date(1956, 3, 12), "M")
    assert resident_id_facts(woman) == (datetime.date(1956, 3, 12), "F")


def test_a_wrong_check_character_is_refused():
    number = with_check("41010519850612123")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert refused(wrong) == "身份证号码校验位错误"


@pytest.mark.parametrize("raw", ["4101051985061212", "4101051985061212345", "41010519850612123Y", "", "abc"])
def test_a_number_of_the_wrong_length_or_shape_is_refused(raw):
    assert refused(raw) == "身份证号码应为18位（最后一位可为X）或15位数字"


def test_an_unknown_region_is_refused():
    assert refused(with_check("91010519850612123")) == "身份证号码的地区码无效"


@pytest.mark.parametrize("born", ["19850230", "19851301", "19850631", "20230229"])
def test_a_birth_date_that_does_not_exist_is_refused(born):
    assert refused(with_check(f"410105{born}123")) == "身份证号码中的出生日期不存在"


@pytest.mark.parametrize("born", ["20240602", "20300101", "18890101"])
def test_a_birth_date_in_the_future_or_too_long_ago_is_refused(born):
    assert refused(with_check(f"410105{born}123")) == "身份证号码中的出生日期不可能"


def test_a_birth_date_of_today_is_accepted():
    number = with_check("41010520240601123")
    assert normalize_resident_id(number, today=TODAY) == number


def test_other_documents_are_letters_and_digits():
    assert normalize_document(DocumentType.PASSPORT, " e1234 5678 ") == "E12345678"
    with pytest.raises(ValidationError) as caught:
        normalize_document(DocumentType.PASSPORT, "E1")
    assert caught.value.messages == ["证件号码应为5到20位字母或数字"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("0371-12345678", "0371-12345678"),
    ("(0371)12345678", "0371-12345678"),
    ("010-1234567", "010-1234567"),
])
def test_valid_phone_numbers_are_normalised(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "12812345678", "1381234567", "138123456789", "phone", "0371-123"])
def test_invalid_phone_numbers_are_refused_in_chinese(raw):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(raw)
    assert caught.value.messages == ["手机号码应为11位，以1开头；固定电话请写区号，如 0371-12345678"]


def test_masks_keep_only_what_staff_need_to_tell_people_apart():
    assert mask_document("410105198506121234") == "4101**********1234"
    assert mask_document("E12345678") == "E1*****78"
    assert mask_document("") == ""
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0371-12345678") == "0371-****5678"
    assert mask_phone("") == ""
    assert mask_name("王秀英") == "王*英"
    assert mask_name("王伟") == "王*"
    assert mask_name("欧阳修文") == "欧**文"
