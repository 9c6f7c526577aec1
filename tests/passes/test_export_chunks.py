"""The passage export reads in chunks and keeps bounded caches of names: neither may change the file."""

from office_helpers import exported_rows, make_place, many_passages, passage

from fangkong.passes import exports
from fangkong.passes.models import Channel, Verdict
from tests.conftest import stored_before_names_were_checked


def export(user) -> list[list]:
    return exported_rows(user)[:-1]  # the footer carries the minute of the export


def test_tiny_chunks_and_caches_write_the_same_rows(district, users, make_person, monkeypatch):
    gate = make_place(district.community_a, "幸福里小区北门")
    shop = make_place(district.community_a, "=幸福里超市")
    trick = stored_before_names_were_checked("{=SUM(A1)}", district.community_a)
    many_passages([district.person_a, district.person_a_neighbour, trick], gate, 40)
    many_passages([trick, district.person_a], shop, 25)
    first = passage(district.person_a, gate, verdict=Verdict.DENY, reasons=["体温 37.9℃ 偏高", "@x"],
                    channel=Channel.VEHICLE, vehicle_plate="豫A12345", recorder=users.worker_a)
    passage(district.person_a, gate, corrects=first, channel=Channel.ASSISTED, recorder=users.worker_a,
            temperature=None)
    whole = export(users.worker_a)
    assert len(whole) == 1 + 67  # the header and the passages (the footer follows at once)
    assert {row[3] for row in whole[1:]} == {"王秀英", "王志强", "{=SUM(A1)}"}
    assert "=幸福里超市" in {row[1] for row in whole[1:]}
    newest = whole[1]
    assert newest[9:] == [None, "代登记", None, str(users.worker_a), f"更正第 {first.pk} 条"]
    monkeypatch.setattr(exports, "CHUNK", 7)
    monkeypatch.setattr(exports, "NAME_CACHE", 1)
    assert export(users.worker_a) == whole
