"""Reminders through a real Celery worker and a real Redis (not eager): the worker writes its
mail to files (tests/conftest.py), which the test reads by Message-ID."""

import time
from datetime import timedelta
from email.header import decode_header, make_header

import pytest

from disputes import services
from disputes.models import Case, Category, Reminder
from disputes.services.reminders import reminders_dispatch_due, reminders_scan
from tests.factories import make_case
from tests.mail_files import read_mail_dir, reminder_ids

HOUR = timedelta(hours=1)


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.1)


def settled(**filters) -> bool:
    return not Reminder.objects.filter(**filters, state__in=[Reminder.State.PENDING, Reminder.State.SENDING]).exists()


@pytest.fixture
def overdue_case(celery_worker_process, areas, alice, bob, mia):
    # transactional_db empties every table after a test, the seeded categories too.
    Category.objects.get_or_create(code="neighbours", defaults={"name": "Neighbours"})
    case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
    return case


@pytest.mark.celery_worker
class ReminderWorkerTests:
    def test_an_overdue_case_produces_exactly_one_email(self, celery_worker_process, overdue_case, mia):
        reminders_scan(now=overdue_case.next_due_at + HOUR)
        reminders_dispatch_due()

        wait_for(lambda: settled(rule="overdue"))
        email = Reminder.objects.get(case=overdue_case, rule="overdue", channel=Reminder.Channel.EMAIL)
        assert email.state == Reminder.State.SENT
        sent = reminder_ids(read_mail_dir(celery_worker_process.mail_dir))
        assert sent[email.pk] == 1
        message_id = f"<linli-reminder-{email.pk}@"
        messages = [m for m in read_mail_dir(celery_worker_process.mail_dir) if m["Message-ID"].startswith(message_id)]
        assert messages[0]["To"] == mia.email
        subject = str(make_header(decode_header(messages[0]["Subject"])))
        assert subject == email.subject
        assert overdue_case.number in subject

    def test_a_second_scan_in_the_same_period_produces_none(self, celery_worker_process, overdue_case):
        reminders_scan(now=overdue_case.next_due_at + HOUR)
        reminders_dispatch_due()
        wait_for(lambda: settled(rule="overdue"))
        rows = Reminder.objects.filter(case=overdue_case, rule="overdue").count()

        reminders_scan(now=overdue_case.next_due_at + 2 * HOUR)
        result = reminders_dispatch_due()
        time.sleep(1.0)

        assert result["pending"] == 0
        assert Reminder.objects.filter(case=overdue_case, rule="overdue").count() == rows
        email = Reminder.objects.get(case=overdue_case, rule="overdue", channel=Reminder.Channel.EMAIL)
        assert reminder_ids(read_mail_dir(celery_worker_process.mail_dir))[email.pk] == 1

    def test_a_case_resolved_before_the_send_produces_none(self, celery_worker_process, overdue_case, mia):
        reminders_scan(now=overdue_case.next_due_at + HOUR)
        services.case_resolve(case=overdue_case, actor=mia, outcome=Case.Outcome.RECONCILED, summary="Agreed.")

        reminders_dispatch_due()

        wait_for(lambda: settled(rule="overdue"))
        email = Reminder.objects.get(case=overdue_case, rule="overdue", channel=Reminder.Channel.EMAIL)
        assert email.state == Reminder.State.CANCELLED
        assert reminder_ids(read_mail_dir(celery_worker_process.mail_dir))[email.pk] == 0
