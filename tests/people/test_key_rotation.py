"""Field key rotation: a new key in front, old rows still readable and findable, then re-encrypted."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from fangkong.audit.models import AuditEvent
from fangkong.core import crypto
from fangkong.core.identity import DocumentType
from fangkong.people.models import Person

OTHER, NEW = crypto.generate_key(), crypto.generate_key()


def found(number):
    return list(Person.objects.with_document(DocumentType.RESIDENT_ID, number))


def test_encryption_is_randomised_and_indexes_are_keyed(settings):
    settings.FANGKONG_FIELD_KEYS = [OTHER]
    one, two = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert one != two and crypto.decrypt(one) == crypto.decrypt(two) == "13812345678"
    index = crypto.blind_index("phone", "13812345678")
    assert index == crypto.blind_index("phone", "13812345678") != crypto.blind_index("phone4", "13812345678")
    settings.FANGKONG_FIELD_KEYS = [NEW]
    assert crypto.blind_index("phone", "13812345678") != index
    with pytest.raises(ValueError, match="FANGKONG_FIELD_KEYS"):
        crypto.decrypt(one)


def test_rows_under_the_old_key_work_after_a_new_key_is_prepended(settings, district, make_person, new_resident_id):
    old = list(settings.FANGKONG_FIELD_KEYS)  # the fixture's persons are under these too
    number = new_resident_id("1970-07-07")
    person = make_person("钱一", district.community_a, number=number, phone="13512345678")

    settings.FANGKONG_FIELD_KEYS = [NEW, *old]
    person = Person.objects.get(pk=person.pk)
    assert (person.id_number, person.phone) == (number, "13512345678")
    assert found(number) == [person]
    assert person in Person.objects.search(number[-6:]) and person in Person.objects.search("13512345678")
    with pytest.raises(ValidationError, match="已登记"):
        make_person("钱一", district.community_a, number=number)
    # Rows written now are under the new key and readable with it alone.
    newer = make_person("孙二", district.community_a, number=new_resident_id("1971-07-07"))
    settings.FANGKONG_FIELD_KEYS = [NEW]
    assert Person.objects.get(pk=newer.pk).id_number == newer.id_number
    # Dropping the old key before rotating loses the old rows: that is why the command exists.
    assert found(number) == []
    with pytest.raises(ValueError):
        Person.objects.get(pk=person.pk).id_number  # noqa: B018


def test_rotate_field_keys_reencrypts_and_reindexes(settings, district, make_person, new_resident_id):
    old = list(settings.FANGKONG_FIELD_KEYS)
    number = new_resident_id("1970-07-07")
    person = make_person("钱一", district.community_a, number=number, phone="13512345678")
    without_phone = make_person("孙二", district.community_a, number=new_resident_id("1971-07-07"))

    settings.FANGKONG_FIELD_KEYS = [NEW, *old]
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "完成" in out.getvalue()
    assert AuditEvent.objects.filter(object_repr="field key rotation").exists()

    settings.FANGKONG_FIELD_KEYS = [NEW]  # the old key is gone
    person = Person.objects.get(pk=person.pk)
    assert (person.id_number, person.phone) == (number, "13512345678")
    assert found(number) == [person]
    assert person in Person.objects.search(number[-6:]) and person in Person.objects.search(number[-4:])
    assert person in Person.objects.search("13512345678") and person in Person.objects.search("5678")
    assert Person.objects.get(pk=without_phone.pk).phone == ""
    # Every fixture person was rotated too.
    assert found(district.numbers["b"]) == [district.person_b]
    assert Person.objects.get(pk=district.person_b.pk).phone == district.numbers["phone_b"]
    with pytest.raises(ValidationError, match="已登记"):
        make_person("钱一", district.community_a, number=number)
