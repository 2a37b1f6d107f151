"""The beat entries and the task wrappers of the reminders."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from config.celery import app
from disputes.models import Case, Reminder
from disputes.tasks import reminders_dispatch_due_task, reminders_scan_task
from tests.factories import make_case
from tests.test_settings import PRODUCTION_ENV, _manage


class BeatScheduleTests:
    def test_every_beat_entry_names_a_registered_task(self):
        app.loader.import_default_modules()

        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            assert entry["task"] in app.tasks

    def test_the_scan_runs_every_five_minutes_unless_configured_and_the_dispatch_every_minute(self):
        # In a fresh process, so that the environment really goes through config/settings/base.py.
        show = (
            "from django.conf import settings as s; b = s.CELERY_BEAT_SCHEDULE; "
            "print(b['reminders-scan']['schedule'], b['reminders-dispatch-due']['schedule'])"
        )
        assert _manage("shell", "--no-imports", "-c", show, env=PRODUCTION_ENV).stdout.split() == ["300.0", "60.0"]
        configured = _manage("shell", "--no-imports", "-c", show, env={**PRODUCTION_ENV, "REMINDER_SCAN_MINUTES": "2"})
        assert configured.stdout.split() == ["120.0", "60.0"]


@pytest.mark.django_db
class ReminderTaskTests:
    def test_the_scan_task_writes_the_rows_and_sends_them(self, areas, alice, mia):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        Case.objects.filter(pk=case.pk).update(next_due_at=timezone.now() - timedelta(hours=1))
        mail.outbox.clear()

        result = reminders_scan_task.apply().get()

        assert result["overdue"] == 1
        email = Reminder.objects.get(case=case, rule="overdue", channel=Reminder.Channel.EMAIL)
        assert email.state == Reminder.State.SENT
        assert [m.to for m in mail.outbox if m.subject == email.subject] == [[mia.email]]

    def test_the_dispatch_task_reports_what_it_did(self, areas, alice, mia):
        make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)

        result = reminders_dispatch_due_task.apply().get()

        assert set(result) == {"reset", "failed", "pending", "published"}
        assert not Reminder.objects.filter(state=Reminder.State.PENDING).exists()
