"""The case list's rows rendered in one pass (disputes/admin/quick_rows.py) are Django's rows."""

from datetime import timedelta

import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.urls import reverse
from django.utils import timezone

from disputes.admin.quick_rows import quick_rows, quick_rows_supported
from disputes.models import Case
from tests.factories import make_case, make_estate, make_user

CHANGELIST = reverse("admin:disputes_case_changelist")


@pytest.fixture
def varied_cases(alice, bob, mia, areas):
    """Cases that take every branch of the cells: estate or not, mediator or not, each badge."""
    now = timezone.now()
    odd = make_user("odd", full_name='<b>"Odd" & Co</b>', phone="13900001111")
    estate = make_estate(areas["C1"], name="<Rose> Court")
    cases = [
        make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia),
        make_case(applicant=odd, area=areas["G1"], estate_id=estate.pk, title="<i>x</i>"),
        make_case(applicant=alice, area=areas["G1"], status=Case.Status.CLOSED, actor=mia),
        make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia),
        make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia),
    ]
    Case.objects.filter(pk=cases[0].pk).update(next_due_at=now - timedelta(hours=2))
    Case.objects.filter(pk=cases[3].pk).update(next_due_at=now + timedelta(hours=20))
    Case.objects.filter(pk=cases[4].pk).update(suspended_at=now)
    return cases


@pytest.mark.django_db
class QuickRowsTests:
    @pytest.mark.parametrize("query", ["", "?deadline=overdue", "?q=1111&o=-9", "?status=in_mediation&assigned=mine"])
    def test_each_row_is_the_markup_django_renders(self, client, mia, varied_cases, query):
        client.force_login(mia)
        response = client.get(CHANGELIST + query)
        cl = response.context["cl"]
        assert quick_rows_supported(cl)
        expected = ["".join(items_for_result(cl, obj, None)) for obj in cl.result_list]
        assert expected, "the filter should list some cases"
        assert quick_rows(cl) == expected
        for row in expected:
            assert row in response.content.decode()

    def test_a_row_links_to_the_case_page_keeping_the_filters(self, client, mia, varied_cases):
        client.force_login(mia)
        html = client.get(CHANGELIST + "?deadline=overdue").content.decode()
        case = varied_cases[0]
        link = reverse("admin:disputes_case_change", args=[case.pk]) + "?_changelist_filters=deadline%3Doverdue"
        assert f'<a href="{link}">{case.number}</a>' in html

    def test_the_popup_list_keeps_djangos_rendering(self, client, mia, varied_cases):
        client.force_login(mia)
        response = client.get(CHANGELIST + "?_popup=1&_to_field=id")
        assert response.status_code == 200
        assert not quick_rows_supported(response.context["cl"])
        assert f'data-popup-opener="{varied_cases[0].pk}"' in response.content.decode()
