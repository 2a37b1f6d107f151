"""The case search (disputes.selectors.case_search): what people type finds the case, through
an index every time (the admin list, its autocomplete and a related-case suggestion call it)."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from disputes.models import Case
from disputes.selectors import case_search
from tests.factories import make_case, make_user

CHANGELIST = reverse("admin:disputes_case_changelist")


@pytest.fixture
def three(areas, alice, bob):
    wang = make_user("wangwei", full_name="王伟", phone="13912345678")
    return {
        "alice": make_case(applicant=alice, respondent=bob, area=areas["G1"]),
        "wang": make_case(applicant=wang, area=areas["G1"]),
        "other": make_case(applicant=make_user("li", full_name="李娜", phone="15011112222"), area=areas["G2"]),
    }


def found(term: str) -> set[str]:
    return set(case_search(Case.objects.all(), term).values_list("number", flat=True))


def plan(term: str) -> str:
    """The query plan of the search; on PostgreSQL with sequential scans priced out, so that a Seq
    Scan left in the plan means no index could answer (tiny test tables would be scanned anyway)."""
    queryset = case_search(Case.objects.all(), term)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_seqscan")
    return queryset.explain()


@pytest.mark.django_db
class CaseSearchTests:
    def test_it_finds_a_case_by_its_whole_number_typed_any_way(self, three):
        number = three["wang"].number  # LL-<year>-000002
        year, serial = number.split("-")[1:]
        for term in (number, number.lower(), f" {year}-{int(serial)} ", f"LL {year} {serial}"):
            assert found(term) == {number}, term

    def test_it_finds_cases_by_the_tail_and_the_beginning_of_the_number(self, three):
        number = three["wang"].number
        assert found(str(int(number[-6:]))) == {number}
        assert found(number[-6:]) == {number}
        assert found(number[:-1]) == {c.number for c in three.values()}
        assert found("LL-1999-") == set()

    def test_it_finds_a_party_by_a_whole_phone_number_its_beginning_or_its_last_four(self, three):
        alice_case = three["alice"].number
        assert found("138 0013 8001") == {alice_case}
        assert found("+86 13800138001") == {alice_case}
        assert found("8002") == {alice_case}  # Bob, the respondent
        assert found("1391234") == {three["wang"].number}
        assert found("5678") == {three["wang"].number}
        assert found("13800000000") == set()

    def test_it_finds_a_party_by_the_beginning_of_the_name(self, three):
        assert found("王伟") == {three["wang"].number}
        assert found("王") == set()  # a surname alone: 2% of everyone, too broad to list
        assert found("Bob Wang") == {three["alice"].number}
        assert found("Alice") == {three["alice"].number}
        assert found("伟") == set()  # not a substring search: no index could answer it

    def test_odd_input_finds_nothing_and_does_not_fail(self, three):
        for term in ("%", "_", "'; DROP TABLE x; --", "²²²²", "LL-%", "\\", "x" * 500):
            assert found(term) == set(), term
        assert found("   ") == {c.number for c in three.values()}  # no term: no filter

    @pytest.mark.parametrize(
        "term", ["LL-2026-000002", "LL-2026-00", "123", "13800138001", "1380013", "8001", "王伟", "Alice"]
    )
    def test_every_kind_of_search_reads_an_index_not_the_tables(self, three, term):
        text = plan(term)
        if connection.vendor == "postgresql":
            assert "Seq Scan" not in text, text
        else:
            # SQLite: SEARCH is an index lookup; SCAN reads a whole table or index.
            assert not re.search(r"\bSCAN\b", text), text

    def test_the_admin_list_and_its_autocomplete_search_the_same_way(self, client, sam, three):
        client.force_login(sam)
        response = client.get(CHANGELIST, {"q": "5678"})
        assert [c.number for c in response.context["cl"].result_list] == [three["wang"].number]
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "disputes", "model_name": "mediationsession", "field_name": "case", "term": "王伟"},
        )
        assert [r["id"] for r in response.json()["results"]] == [str(three["wang"].pk)]
