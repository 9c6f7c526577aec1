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


def test_rotate_field_keys_covers_every_encrypted_column(settings, district, users, gate):
    """Staff phones, place contacts, landlords and the SMS outbox too: after rotation no number needs the old key."""
    from fangkong.core import sms
    from fangkong.core.management.commands.rotate_field_keys import encrypted_fields
    from fangkong.people.models import Rental

    old = list(settings.FANGKONG_FIELD_KEYS)
    gate.set_contact_phone("13600001111")
    gate.save(update_fields=["contact_phone_encrypted"])
    rental = Rental(household=district.person_a.household, landlord_name="房东甲")
    rental.set_landlord_phone("13700002222")
    rental.save()
    users.worker_a.set_phone("13900003333")
    users.worker_a.save()
    sms.send("13800004444", "验证码 123456")

    settings.FANGKONG_FIELD_KEYS = [NEW, *old]
    call_command("rotate_field_keys", stdout=StringIO())
    settings.FANGKONG_FIELD_KEYS = [NEW]

    from django.apps import apps
    checked = set()
    for model in apps.get_models():
        for field in encrypted_fields(model):
            for token in model._base_manager.exclude(**{field: ""}).values_list(field, flat=True):
                crypto.decrypt(token)  # raises under a key that is gone
                checked.add(f"{model._meta.label}.{field}")
    assert {"passes.Place.contact_phone_encrypted", "people.Rental.landlord_phone_encrypted",
            "accounts.User.phone_encrypted", "core.SmsMessage.phone_encrypted",
            "people.Person.id_number_encrypted"} <= checked
    assert type(gate).objects.get(pk=gate.pk).contact_phone_masked.endswith("1111")
    from fangkong.accounts.models import PHONE_FULL, User
    assert User.objects.get(pk=users.worker_a.pk).phone == "13900003333"
    assert list(User.objects.filter(phone_index=crypto.blind_index(PHONE_FULL, "13900003333"))) == [users.worker_a]
