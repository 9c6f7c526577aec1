"""core.db: the gates' hot-path queries are prepared (planned once per connection) and still answer
when preparing is switched off (FANGKONG_DB_PREPARED=off, behind a pooler); array parameters quote text."""

from django.db import connection

from fangkong.core.db import fetch_prepared

SQL = "SELECT count(*) FROM people_person WHERE area_id = %s"

def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_hot_path_query_is_prepared_once_per_connection(district):
    assert fetch_prepared(SQL, [district.community_a.pk]) == [(3,)]
    assert fetch_prepared(SQL, [district.community_b.pk]) == [(1,)]
    ours = [s for s in prepared_statements() if "people_person WHERE area_id" in s]
    assert len(ours) == 1


def test_without_preparing_the_query_still_answers(district):
    raw = connection.connection
    threshold, raw.prepare_threshold = raw.prepare_threshold, None
    unprepared = SQL.replace("count(*)", "count(id)")  # a statement text no other test prepares
    try:
        assert fetch_prepared(unprepared, [district.community_a.pk]) == [(3,)]
        assert not [s for s in prepared_statements() if "count(id) FROM people_person" in s]
    finally:
        raw.prepare_threshold = threshold


def test_text_arrays_keep_quotes_and_backslashes(district):
    from fangkong.core.db import text_array
    from fangkong.people.models import Person

    odd = ['a"b', "c\\d", "e,f", "{g}"]
    Person.objects.filter(pk=district.person_a.pk).update(name=odd[0])
    Person.objects.filter(pk=district.person_b.pk).update(name=odd[1])
    found = set(Person.objects.filter(name__in=text_array(odd)).values_list("pk", flat=True))
    assert found == {district.person_a.pk, district.person_b.pk}
