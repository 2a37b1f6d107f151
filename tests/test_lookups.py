"""config.lookups.AnyOf (`field__any_of=[ids]`): the rows `__in` finds, with one array parameter
on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Area
from disputes.models import Case
from tests.factories import make_case


@pytest.mark.django_db
def test_it_finds_what_in_finds_on_a_field_and_a_foreign_key(areas, alice, bob):
    g1 = make_case(applicant=alice, respondent=bob, area=areas["G1"])
    make_case(applicant=alice, respondent=bob, area=areas["G2"])
    ids = [areas["G1"].pk, areas["C1"].pk]
    assert set(Case.objects.filter(area_id__any_of=ids)) == set(Case.objects.filter(area_id__in=ids)) == {g1}
    assert set(Case.objects.filter(area__any_of=ids)) == {g1}
    assert set(Area.objects.filter(pk__any_of=ids)) == {areas["G1"], areas["C1"]}
    assert list(Case.objects.filter(area_id__any_of=[])) == []


@pytest.mark.django_db
def test_five_hundred_ids_are_one_parameter_on_postgresql(areas):
    ids = list(range(1, 501))
    with CaptureQueriesContext(connection) as queries:
        list(Area.objects.filter(pk__any_of=ids))
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        # The logged SQL shows the bound array: one literal, not 500 placeholders.
        assert "= ANY('{1,2,3," in sql and " IN (" not in sql
    else:
        assert " IN (1, 2, 3," in sql
