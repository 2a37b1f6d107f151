"""The case list counts up to a cap, not every case (disputes/admin/paging.py)."""

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.admin import paging
from disputes.models import Case
from tests.factories import make_case

CHANGELIST = reverse("admin:disputes_case_changelist")


@pytest.fixture
def five_cases(alice, areas):
    return [make_case(applicant=alice, area=areas["G1"], title=f"Case {n}") for n in range(5)]


@pytest.mark.django_db
class CappedCountTests:
    def test_past_the_cap_the_list_says_more_than_and_offers_no_select_all(self, client, mia, five_cases, monkeypatch):
        monkeypatch.setattr(paging, "COUNT_CAP", 3)
        monkeypatch.setattr(site._registry[Case], "list_per_page", 2)  # the cap is 100 pages of 100
        client.force_login(mia)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST + "?q=Alice")
        cl = response.context["cl"]
        html = response.content.decode()
        assert cl.paginator.capped
        assert cl.result_count == 3
        assert cl.paginator.num_pages == 2  # the pages of the first 3 cases, newest first
        assert [c.pk for c in cl.result_list] == [c.pk for c in reversed(five_cases)][:2]
        assert [c.pk for c in cl.paginator.page(2)] == [five_cases[2].pk]
        assert "超过 3 件纠纷案件，请用过滤器或搜索缩小范围。" in html
        assert "超过 3 条结果" in html
        assert 'class="question' not in html  # no "select all 3": there are more
        count_sql = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        assert len(count_sql) == 1 and "LIMIT 4" in count_sql[0]

    def test_under_the_cap_the_list_counts_exactly(self, client, mia, five_cases, monkeypatch):
        monkeypatch.setattr(paging, "COUNT_CAP", 5)
        client.force_login(mia)
        response = client.get(CHANGELIST + "?q=Alice")
        cl = response.context["cl"]
        html = response.content.decode()
        assert not cl.paginator.capped
        assert cl.result_count == 5 == Case.objects.count()
        assert "5 条结果" in html and "超过 5" not in html
        assert "5 纠纷案件" in html
