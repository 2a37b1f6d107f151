"""The follow-up visit page of the workbench: it can be saved and closes the case (issue 14's blocker)."""

import re

import pytest
from django.urls import reverse

from disputes.models import Case, CaseEvent, FollowUp
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(alice, bob, mia, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)


def follow_up_url(case):
    return reverse("admin:disputes_case_document", args=[case.pk, "follow_up"])


class FollowUpPageTests:
    def test_the_page_has_a_save_button(self, client, mia, resolved):
        client.force_login(mia)
        html = client.get(follow_up_url(resolved)).content.decode()
        assert re.search(r'<input type="submit" class="default"', html), "no save button on the follow-up page"

    def test_saving_it_records_the_visit_and_closes_the_case(self, client, mia, resolved):
        client.force_login(mia)
        data = {
            "version": resolved.version,
            "visited_at": "2026-11-20T10:00",
            "method": "phone",
            "performing": "yes",
            "satisfaction": "satisfied",
            "close_case": "on",
        }
        resolved.resolved_at = resolved.resolved_at.replace(year=2026, month=11, day=1)
        Case.objects.filter(pk=resolved.pk).update(resolved_at=resolved.resolved_at)
        response = client.post(follow_up_url(resolved), data)
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:disputes_case_change", args=[resolved.pk])
        resolved.refresh_from_db()
        assert resolved.status == Case.Status.CLOSED
        assert FollowUp.objects.get(case=resolved).by == mia
        assert resolved.events.filter(kind=CaseEvent.Kind.FOLLOW_UP).exists()

    def test_a_visit_before_the_resolution_is_refused_and_keeps_the_input(self, client, mia, resolved):
        client.force_login(mia)
        data = {
            "version": resolved.version,
            "visited_at": "2020-01-05T10:00",
            "method": "phone",
            "satisfaction": "satisfied",
            "comment": "电话回访",
        }
        response = client.post(follow_up_url(resolved), data)
        assert response.status_code == 200
        assert "电话回访" in response.content.decode()
        assert not FollowUp.objects.exists()

    def test_an_outsider_gets_404(self, client, otto, resolved):
        client.force_login(otto)
        assert client.get(follow_up_url(resolved)).status_code == 404
