"""Identity documents and phone numbers: validation, normalisation and masking."""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO = "hk_macao", _("港澳居民来往内地通行证")
    TAIWAN = "taiwan", _("台湾居民来往大陆通行证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
    OTHER = "other", _("其他证件")


_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
_CHECK_CHARS = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    return _CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize_resident_id(raw: str, today: datetime.date | None = None) -> str:
    """A valid 18-character resident ID (GB 11643-1999), or ValidationError in Chinese.

    Lowercase x becomes X; a 15-digit legacy number (born 19xx, no check character) is converted.
    """
    number = re.sub(r"\s+", "", raw or "").upper()
    if re.fullmatch(r"\d{15}", number):
        number = number[:6] + "19" + number[6:]
        number += resident_id_check_char(number)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(_("身份证号码应为18位（最后一位可为X）或15位数字"), code="id_length")
    if number[0] not in "12345678":
        raise ValidationError(_("身份证号码的地区码无效"), code="id_region")
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期不存在"), code="id_birth_date") from None
    today = today or datetime.date.today()
    if born > today or born.year < 1890:
        raise ValidationError(_("身份证号码中的出生日期不可能"), code="id_birth_date")
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验位错误"), code="id_checksum")
    return number


def resident_id_facts(number: str) -> tuple[datetime.date, str]:
    """Birth date and sex ("M"/"F") encoded in a normalised resident ID."""
    born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return born, "M" if int(number[16]) % 2 else "F"


def normalize_document(doc_type: str, raw: str) -> str:
    if doc_type == DocumentType.RESIDENT_ID:
        return normalize_resident_id(raw)
    number = re.sub(r"\s+", "", raw or "").upper()
    if not re.fullmatch(r"[A-Z0-9-]{5,20}", number):
        raise ValidationError(_("证件号码应为5到20位字母或数字"), code="doc_format")
    return number


# Person names ----------------------------------------------------------------------------------------
# Han: the CJK unified ideographs with extensions A-G and the compatibility block (rare characters in names).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Latin letters with accents (José, Müller, Nguyễn), without × and ÷ which sit in the same blocks.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_HAN_CHAR, _LATIN_CHAR = re.compile(f"[{_HAN}]"), re.compile(f"[{_LATIN}]")
_NAME_LETTER = re.compile(f"[{_HAN}{_LATIN}]")
_HAN_NAME = re.compile(f"[{_HAN}]+(?:·[{_HAN}]+)*")
_LATIN_NAME = re.compile(f"[{_LATIN}]+(?:(?:[ '-]|\\. ?)[{_LATIN}]+)*\\.?")
_NAME_DOTS = str.maketrans({dot: "·" for dot in "•・‧∙⋅.．。"})  # separators people type for ·
_NAME_MARKS = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-", "\u200b": " ",
                             "\ufeff": " ", "\u3000": " "})
_CONTROL = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]")  # tabs and line breaks are spaces
HAN_NAME_LENGTH, LATIN_NAME_LENGTH = (2, 30), (2, 40)


def normalize_person_name(raw) -> str:
    """A person's name as it is stored, or ValidationError with a Chinese message.

    Every channel a name enters by (declaration, station, people pages, API, imports, rentals) uses it.
    Accepted, after NFKC (full-width letters become ASCII), trimming and collapsing spaces:
    - a Chinese name: 2-30 Han characters; a minority name's parts joined by the interpunct ·, which
      is also what • ・ ‧ ∙ ⋅ . ． 。 typed between the parts become (阿卜杜热合曼·买买提); spaces removed;
    - a foreign name in Latin letters (accents allowed): 2-40 characters, words separated by one
      space, a hyphen or an apostrophe (Anne-Marie O'Neil), initials with a dot (John F. Kennedy).
    Refused: markup or quote characters (< > & " `), a leading = + - @ (a spreadsheet would read a
    formula), digits, control and invisible characters, anything else (emoji, symbols, other
    scripts), Han and Latin mixed in one name, separators not between two letters, and other lengths.
    """
    name = unicodedata.normalize("NFKC", raw or "").translate(_NAME_MARKS)
    if _CONTROL.search(name):  # before split(), which would quietly turn some of them into spaces
        raise ValidationError(_("姓名不能包含控制字符或看不见的字符"), code="person_name")
    name = " ".join(name.split())
    han = _HAN_CHAR.search(name) is not None
    if han:
        name = re.sub(r"\s+", "", name.translate(_NAME_DOTS))
        if _HAN_NAME.fullmatch(name) and HAN_NAME_LENGTH[0] <= len(name) <= HAN_NAME_LENGTH[1]:
            return name
    elif _LATIN_NAME.fullmatch(name) and LATIN_NAME_LENGTH[0] <= len(name) <= LATIN_NAME_LENGTH[1]:
        return name
    raise ValidationError(_name_problem(name, han), code="person_name")


def _name_problem(name: str, han: bool) -> str:
    """Why a name that did not match is refused, in the words a person at a gate understands."""
    if not name:
        return _("请填写姓名")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn") for ch in name):
        return _("姓名不能包含控制字符或看不见的字符")
    if any(ch in '<>&"`' for ch in name):
        return _("姓名不能包含 < > & \" ` 等符号")
    if name[0] in "=+-@":
        return _("姓名不能以 = + - @ 开头")
    if any(ch.isdigit() for ch in name):
        return _("姓名不能包含数字")
    other = next((ch for ch in name if ch not in " ·'-." and not _NAME_LETTER.match(ch)), None)
    if other is not None:
        return _("姓名不能包含“%(char)s”：请用汉字或拉丁字母，少数民族姓名用间隔号“·”分隔") % {"char": other}
    if han and _LATIN_CHAR.search(name):
        return _("姓名请只用汉字或只用拉丁字母，不要混写")
    low, high = HAN_NAME_LENGTH if han else LATIN_NAME_LENGTH
    if not low <= len(name) <= high:
        return (_("中文姓名应为%(low)d到%(high)d个字") if han else _("外文姓名应为%(low)d到%(high)d个字母")) % {
            "low": low, "high": high}
    if han:
        return _("间隔号“·”只能写在两个字之间")
    return _("空格、连字符和撇号只能写在两个字母之间")


def normalize_phone(raw: str) -> str:
    """A mainland mobile (11 digits) or a landline with area code, digits and one dash."""
    phone = re.sub(r"[\s()（）]", "", raw or "")
    phone = re.sub(r"^(\+?86)(?=1\d{10}$)", "", phone)
    if re.fullmatch(r"1[3-9]\d{9}", phone):
        return phone
    landline = re.fullmatch(r"(0\d{2,3})-?(\d{7,8})", phone)
    if landline:
        return f"{landline[1]}-{landline[2]}"
    raise ValidationError(_("手机号码应为11位，以1开头；固定电话请写区号，如 0371-12345678"), code="phone")


def mask_document(number: str) -> str:
    """4101**********1234 for resident IDs; first and last two characters for other documents."""
    if not number:
        return ""
    if len(number) == 18:
        return number[:4] + "*" * 10 + number[-4:]
    keep = 2 if len(number) > 6 else 1
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_phone(phone: str) -> str:
    """138****5678 for mobiles; area code and the last four digits for landlines."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.isdigit():
        return phone[:3] + "****" + phone[-4:]
    area, _sep, local = phone.partition("-")
    return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}" if local else "*" * (len(phone) - 4) + phone[-4:]


def mask_search(text: str) -> str:
    """A searched-for number as audit rows and job pages keep it, masked like on screen; other text as is."""
    query = (text or "").replace(" ", "").upper()
    if not any(ch.isdigit() for ch in query) or "*" in query:  # no number, or masked already
        return text
    if len(query) >= 15:
        return mask_document(query)
    if len(query) == 11 and query.isdigit():
        return mask_phone(query)
    return "*" * len(query)


# A run of letters and digits with at least seven digits: an identity document, a phone, a bank card.
_NUMBER_LIKE = re.compile(r"(?<![0-9A-Za-z*])(?=(?:[A-Za-z]*\d){7})[0-9A-Za-z]+(?![0-9A-Za-z*])")


def mask_numbers(text: str) -> str:
    """Free text (an import's error, a file's message) with every number in it that could be a person's masked
    as on screen: “410105198506121234”不在您的管辖范围内 → “4101**********1234”不在您的管辖范围内."""
    def masked(match):
        number = match.group(0)
        return mask_phone(number) if len(number) == 11 and number.isdigit() else mask_document(number)

    return _NUMBER_LIKE.sub(masked, str(text or ""))


def mask_name(name: str) -> str:
    """王*英: the first and last characters of a Chinese name (two-character names: 王*)."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# Who a resident's pass code (or printed pass card) names. The app that issues the codes registers its reader
# at start-up, so that apps below it (sampling in testing) take a scanned code without importing it.
PASS_CODE_READERS = []


def person_for_pass_code(code: str):
    """The person behind a valid pass code or card, or None when no reader knows it; a reader raises
    ValidationError in its own words for an expired, forged or used code."""
    for reader in PASS_CODE_READERS:
        person = reader(code)
        if person is not None:
            return person
    return None
