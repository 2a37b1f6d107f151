"""The follow-up visit page of the workbench: it can be saved (issue 14's blocker)."""

import re

import pytest
from django.urls import reverse

from disputes.models import Case
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(alice, bob, mia, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)


class FollowUpPageTests:
    def test_the_add_page_has_a_save_button(self, client, mia, resolved):
        client.force_login(mia)
        html = client.get(reverse("admin:disputes_followup_add")).content.decode()
        assert re.search(r'<input type="submit"[^>]*name="_save"', html), "no save button on the follow-up page"
