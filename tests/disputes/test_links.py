"""The links in emails (issue 11): a real address from SITE_URL, opened through the one door."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from disputes import services
from disputes.models import Case, CaseEvent, Reminder
from disputes.services.reminders import reminders_scan, sending
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(areas, alice, bob, mia):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


class EmailLinkTests:
    def test_a_reminder_email_links_to_the_case_on_the_site(self, case, settings):
        settings.SITE_URL = "https://linli.example.gov.cn"
        Reminder.objects.filter(rule="event").update(state=Reminder.State.SENT)
        mail.outbox.clear()
        reminders_scan(now=case.next_due_at + timedelta(hours=1))
        row = Reminder.objects.get(rule="overdue", channel=Reminder.Channel.EMAIL)
        sending.reminders_send(reminder_ids=[row.pk])
        link = f"https://linli.example.gov.cn/cases/{case.number}/open/"
        message = mail.outbox[0]
        assert link in message.body
        assert f'href="{link}"' in message.alternatives[0][0]

    def test_an_event_email_links_to_the_case_too(self, case, mia, django_capture_on_commit_callbacks):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.case_event_record(case=case, actor=mia, kind=CaseEvent.Kind.NOTE, note="Meeting on Monday.")
        assert mail.outbox
        assert any(f"{settings.SITE_URL}/cases/{case.number}/open/" in m.body for m in mail.outbox)


class CaseOpenTests:
    def test_staff_land_on_the_workbench_and_parties_on_their_page(self, client, case, mia, alice):
        url = reverse("disputes:case_open", args=[case.number])
        client.force_login(mia)
        assert client.get(url)["Location"] == reverse("admin:disputes_case_change", args=[case.pk])
        client.force_login(alice)
        assert client.get(url)["Location"] == case.get_absolute_url()

    def test_anyone_else_gets_404(self, client, case, otto, carol):
        url = reverse("disputes:case_open", args=[case.number])
        for user in (otto, carol):
            client.force_login(user)
            assert client.get(url).status_code == 404
        client.logout()
        assert client.get(url).status_code == 302  # to the login page first
