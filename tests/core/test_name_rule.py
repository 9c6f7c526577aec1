"""姓名: what people type, what is stored, and the plain Chinese reason a name is refused."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.core.identity import normalize_person_name


@pytest.mark.parametrize("typed, stored", [
    ("王秀英", "王秀英"),
    ("欧阳娜娜", "欧阳娜娜"),
    ("阿卜杜热合曼·买买提", "阿卜杜热合曼·买买提"),
    ("阿卜杜热合曼•买买提", "阿卜杜热合曼·买买提"),  # the bullet a phone keyboard offers
    ("阿卜杜热合曼・买买提", "阿卜杜热合曼·买买提"),  # the Japanese middle dot
    ("阿卜杜热合曼‧买买提", "阿卜杜热合曼·买买提"),
    ("买买提.艾力", "买买提·艾力"),  # a full stop typed for the interpunct
    (" 买买提 · 艾力 ", "买买提·艾力"),
    ("王 秀英", "王秀英"),
    ("John Smith", "John Smith"),
    ("  John \t Smith ", "John Smith"),
    ("Anne-Marie O'Neil", "Anne-Marie O'Neil"),
    ("Anne-Marie O’Neil", "Anne-Marie O'Neil"),
    ("José", "José"),
    ("Ｊｏｈｎ　Ｓｍｉｔｈ", "John Smith"),  # full-width letters and space from a Chinese keyboard
    ("John F. Kennedy", "John F. Kennedy"),
    ("王" * 30, "王" * 30),
    ("A" * 40, "A" * 40),
])
def test_names_people_have_are_accepted_and_stored_in_one_form(typed, stored):
    assert normalize_person_name(typed) == stored


@pytest.mark.parametrize("typed, message", [
    ("", "请填写姓名"),
    ("   ", "请填写姓名"),
    ("<script>alert(1)</script>", '姓名不能包含 < > & " ` 等符号'),
    ("Tom & Jerry", '姓名不能包含 < > & " ` 等符号'),
    ('"王秀英"', '姓名不能包含 < > & " ` 等符号'),
    ("=1+1", "姓名不能以 = + - @ 开头"),
    ("+王秀英", "姓名不能以 = + - @ 开头"),
    ("-Anne", "姓名不能以 = + - @ 开头"),
    ("@王秀英", "姓名不能以 = + - @ 开头"),
    ("王秀英2", "姓名不能包含数字"),
    ("王\x07秀英", "姓名不能包含控制字符或看不见的字符"),
    ("王\x1c秀英", "姓名不能包含控制字符或看不见的字符"),
    ("王秀英🙂", "姓名不能包含“🙂”：请用汉字或拉丁字母，少数民族姓名用间隔号“·”分隔"),
    ("王秀英John", "姓名请只用汉字或只用拉丁字母，不要混写"),
    ("王", "中文姓名应为2到30个字"),
    ("王" * 31, "中文姓名应为2到30个字"),
    ("王" * 50, "中文姓名应为2到30个字"),
    ("A", "外文姓名应为2到40个字母"),
    ("A" * 41, "外文姓名应为2到40个字母"),
    ("·买买提", "间隔号“·”只能写在两个字之间"),
    ("买买提··艾力", "间隔号“·”只能写在两个字之间"),
    ("Anne--Marie", "空格、连字符和撇号只能写在两个字母之间"),
    ("'Neil", "空格、连字符和撇号只能写在两个字母之间"),
])
def test_unusable_names_are_refused_with_the_reason(typed, message):
    with pytest.raises(ValidationError) as refused:
        normalize_person_name(typed)
    assert refused.value.messages == [message]
