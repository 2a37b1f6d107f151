"""Claim-then-send of reminder rows (eager tasks, locmem email): once per row, in the
recipient's language, cancelled when no longer true, backed off and failed after three tries."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation

from disputes import services
from disputes.models import Case, InboxMessage, Reminder, Rule
from disputes.services.reminders import reminders_dispatch_due, reminders_retry, reminders_scan, sending
from tests.factories import backdate, make_case
from tests.mail_files import RecordingSmsBackend

HOUR = timedelta(hours=1)


@pytest.fixture
def overdue(areas, alice, bob, mia):
    case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
    Reminder.objects.filter(rule="event").update(state=Reminder.State.SENT)
    mail.outbox.clear()
    reminders_scan(now=case.next_due_at + HOUR)
    return case


def overdue_email() -> Reminder:
    return Reminder.objects.get(rule="overdue", channel=Reminder.Channel.EMAIL)


@pytest.mark.django_db
class ReminderSendTests:
    def test_it_sends_one_email_in_the_recipients_language(self, overdue, mia):
        mia.language = "en"
        mia.save(update_fields=["language"])

        counts = sending.reminders_send(reminder_ids=[overdue_email().pk])

        assert counts["sent"] == 1
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [mia.email]
        with translation.override("en"):
            expected = translation.gettext("Overdue (reminder %(n)s): case %(number)s") % {
                "n": 1,
                "number": overdue.number,
            }
        assert message.subject == expected
        assert message.extra_headers["Message-ID"] == sending.message_id(overdue_email().pk)
        row = overdue_email()
        assert row.state == Reminder.State.SENT and row.sent_at is not None and row.attempts == 1

    def test_a_second_send_of_the_same_row_sends_nothing(self, overdue):
        pk = overdue_email().pk
        sending.reminders_send(reminder_ids=[pk])

        again = sending.reminders_send(reminder_ids=[pk])

        assert again["sent"] == 0
        assert len(mail.outbox) == 1

    def test_a_row_of_a_rule_that_no_longer_exists_fails_and_the_batch_goes_on(self, overdue):
        # A release removed a rule while its rows waited (the load bench once wrote such rows):
        # the row ends failed with the reason; the rest of its batch is sent, none left claimed.
        gone = Reminder.objects.create(
            case=overdue, recipient=overdue.mediator, rule="retired_rule", period="p", channel=Reminder.Channel.INBOX
        )
        ids = sorted([gone.pk, overdue_email().pk])

        counts = sending.reminders_send(reminder_ids=ids)

        assert counts["failed"] == 1 and counts["sent"] == 1
        gone.refresh_from_db()
        assert gone.state == Reminder.State.FAILED and "retired_rule" in gone.last_error
        assert overdue_email().state == Reminder.State.SENT
        assert not Reminder.objects.filter(pk__in=ids, state=Reminder.State.SENDING).exists()

    def test_a_case_resolved_before_the_send_is_cancelled(self, overdue, mia):
        services.case_resolve(case=overdue, actor=mia, outcome=Case.Outcome.RECONCILED, summary="Agreed.")
        mail.outbox.clear()

        counts = sending.reminders_send(reminder_ids=[overdue_email().pk])

        assert counts["cancelled"] == 1
        assert mail.outbox == []
        assert overdue_email().state == Reminder.State.CANCELLED

    def test_a_batch_sends_only_the_rows_it_claimed(self, overdue):
        email = overdue_email()
        inbox = Reminder.objects.get(rule="overdue", channel=Reminder.Channel.INBOX)
        # Another task holds the email row.
        Reminder.objects.filter(pk=email.pk).update(state=Reminder.State.SENDING, claim_token=uuid.uuid4())

        counts = sending.reminders_send(reminder_ids=[email.pk, inbox.pk])

        assert counts["sent"] == 1
        assert mail.outbox == []
        assert InboxMessage.objects.filter(source_key=f"reminder:{inbox.pk}").count() == 1
        assert overdue_email().state == Reminder.State.SENDING

    def test_an_inbox_reminder_is_written_once(self, overdue, mia):
        inbox = Reminder.objects.get(rule="overdue", channel=Reminder.Channel.INBOX)
        sending.reminders_send(reminder_ids=[inbox.pk])
        Reminder.objects.filter(pk=inbox.pk).update(state=Reminder.State.PENDING)

        sending.reminders_send(reminder_ids=[inbox.pk])

        assert InboxMessage.objects.filter(recipient=mia, source_key=f"reminder:{inbox.pk}").count() == 1

    def test_a_failed_send_backs_off_and_fails_after_three_tries(self, overdue, settings):
        settings.EMAIL_BACKEND = "tests.mail_files.FailingBackend"
        pk = overdue_email().pk

        first = sending.reminders_send(reminder_ids=[pk])
        row = overdue_email()
        assert first["retry"] == 1
        assert row.state == Reminder.State.PENDING and row.attempts == 1
        assert row.available_at > timezone.now() + timedelta(seconds=20)
        assert "mail server down" in row.last_error
        for _ in range(2):
            Reminder.objects.filter(pk=pk).update(available_at=timezone.now())
            sending.reminders_send(reminder_ids=[pk])

        row = overdue_email()
        assert row.state == Reminder.State.FAILED and row.attempts == 3

    def test_retry_gives_a_failed_row_new_tries(self, overdue):
        Reminder.objects.filter(pk=overdue_email().pk).update(state=Reminder.State.FAILED, attempts=3)

        count = reminders_retry(reminder_ids=[overdue_email().pk])

        assert count == 1
        row = overdue_email()
        assert (row.state, row.attempts) == (Reminder.State.PENDING, 0)

    def test_high_risk_supervision_also_goes_by_sms(self, overdue, sue, settings):
        settings.SMS_BACKEND = "tests.mail_files.RecordingSmsBackend"
        RecordingSmsBackend.sent.clear()
        Case.objects.filter(pk=overdue.pk).update(risk=Case.Risk.HIGH)
        reminders_scan(now=overdue.next_due_at + timedelta(days=6, hours=1))
        sms = Reminder.objects.get(rule="supervision", channel=Reminder.Channel.SMS)

        sending.reminders_send(reminder_ids=[sms.pk])

        assert [phone for phone, _ in RecordingSmsBackend.sent] == [sue.phone]
        assert overdue.number in RecordingSmsBackend.sent[0][1]


@pytest.mark.django_db
class ReminderDispatchTests:
    def test_it_sends_pending_rows_in_batches(self, overdue, settings):
        settings.REMINDER_BATCH_SIZE = 1

        result = reminders_dispatch_due()

        assert result["published"] == result["pending"] == 2
        assert len(mail.outbox) == 1
        assert not Reminder.objects.exclude(state=Reminder.State.SENT).exists()

    def test_it_returns_rows_stuck_in_sending_to_pending(self, overdue, settings):
        long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 65)
        Reminder.objects.filter(rule="overdue").update(
            state=Reminder.State.SENDING, claimed_at=long_ago, claim_token=uuid.uuid4(), attempts=1
        )

        result = reminders_dispatch_due()

        assert result["reset"] == 2
        assert len(mail.outbox) == 1
        assert overdue_email().state == Reminder.State.SENT

    def test_it_leaves_a_row_that_is_being_sent(self, overdue):
        Reminder.objects.filter(rule="overdue").update(
            state=Reminder.State.SENDING, claimed_at=timezone.now(), claim_token=uuid.uuid4()
        )

        result = reminders_dispatch_due()

        assert result["reset"] == 0
        assert mail.outbox == []

    def test_it_does_not_republish_a_row_queued_a_moment_ago(self, overdue):
        Reminder.objects.update(queued_at=timezone.now())

        result = reminders_dispatch_due()

        assert result["pending"] == 0
        assert mail.outbox == []

    def test_a_task_whose_claim_was_taken_over_writes_no_inbox_message(self, overdue):
        # The first task's claim was reset and another task claimed the row: the first task's
        # conditional "sent" mark (its token) matches nothing, and its message rolls back.
        row = Reminder.objects.get(rule="overdue", channel=Reminder.Channel.INBOX)
        Reminder.objects.filter(pk=row.pk).update(state=Reminder.State.SENDING, claim_token=uuid.uuid4())
        row.refresh_from_db()

        outcome = sending._send_claimed(row, token=uuid.uuid4(), related=sending._load_related([row]), connection=None)

        assert outcome == "lost"
        assert not InboxMessage.objects.filter(source_key=f"reminder:{row.pk}").exists()


@pytest.mark.django_db
class EnqueueTests:
    def test_the_rows_of_one_transaction_are_published_as_one_message(
        self, areas, alice, bob, mia, sue, monkeypatch, django_capture_on_commit_callbacks
    ):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"])  # its rows never commit here
        published = []
        real = sending.enqueue_send
        monkeypatch.setattr(sending, "enqueue_send", lambda ids, **kw: published.append(ids) or real(ids, **kw))

        with django_capture_on_commit_callbacks(execute=True):
            event = services.case_accept(case=case, actor=sue, mediator=mia)

        rows = set(Reminder.objects.filter(rule="event", period=str(event.pk)).values_list("pk", flat=True))
        assert len(rows) == 3
        assert [set(ids) for ids in published] == [rows]

    def test_a_rolled_back_savepoint_leaves_its_rows_out(
        self, areas, alice, mia, monkeypatch, django_capture_on_commit_callbacks
    ):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        published = []
        monkeypatch.setattr(sending, "enqueue_send", lambda ids, **kw: published.append(set(ids)))
        with django_capture_on_commit_callbacks(execute=True):
            kept = sending.reminder_create(
                case=case, recipient=mia, rule="note", period="kept", channel=Reminder.Channel.INBOX
            )
            try:
                with transaction.atomic():
                    sending.reminder_create(
                        case=case, recipient=mia, rule="note", period="lost", channel=Reminder.Channel.INBOX
                    )
                    raise RuntimeError("roll the savepoint back")
            except RuntimeError:
                pass
        assert published == [{kept.pk}]


@pytest.mark.django_db
class PresetMessageTests:
    def test_a_row_written_with_its_text_is_sent_as_written(
        self, areas, alice, mia, django_capture_on_commit_callbacks
    ):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            row = sending.reminder_create(
                case=case,
                recipient=mia,
                rule=Rule.SUPERVISION,
                period="1",
                channel=Reminder.Channel.EMAIL,
                subject="Call the applicant",
                body="Today, please.",
            )

        row.refresh_from_db()
        assert row.state == Reminder.State.SENT
        sent = [(m.subject, m.body) for m in mail.outbox if m.to == [mia.email] and "applicant" in m.subject]
        assert sent == [("Call the applicant", "Today, please.")]


@pytest.mark.django_db
class EveryRuleRendersTests:
    def test_every_rule_renders_and_sends_in_both_languages(self, areas, alice, bob, mia, sue, sam, carol):
        from datetime import date, datetime

        from disputes.models.closure import Agreement
        from disputes.models.meetings import Meeting, Resolution

        sue.language = "en"
        sue.save(update_fields=["language"])
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        submitted = make_case(applicant=alice, area=areas["G1"])
        meeting = Meeting.objects.create(
            community=areas["C1"], topic="Parking", scheduled_at=timezone.now(), place="Hall"
        )
        Resolution.objects.create(meeting=meeting, text="Repaint the lines", owner=carol, due_date=date(2030, 1, 8))
        monday = timezone.make_aware(datetime(2030, 1, 7, 9, 0))
        backdate(case, submitted_at=monday - timedelta(days=90, hours=1))  # legacy an hour ago
        Case.objects.filter(pk=case.pk).update(
            next_due_at=monday - timedelta(days=6, hours=1),
            last_activity_at=monday - timedelta(days=7, hours=1),
        )
        Case.objects.filter(pk=submitted.pk).update(status_changed_at=monday - timedelta(days=1, hours=1))
        Agreement.objects.create(
            case=case,
            terms="Quiet",
            effective_at=monday - timedelta(days=20, hours=1),
            confirmation_wanted=True,
            confirmation_window_ends_at=monday + timedelta(days=10) - timedelta(hours=1),
        )
        Reminder.objects.all().delete()
        mail.outbox.clear()

        reminders_scan(now=monday)
        rules = set(Reminder.objects.values_list("rule", flat=True))
        sending.reminders_send(reminder_ids=list(Reminder.objects.values_list("pk", flat=True)))

        assert rules >= {
            "overdue",
            "supervision",
            "stale",
            "legacy",
            "unassigned",
            "resolution_due",
            "confirmation_window",
            "digest",
        }
        assert not Reminder.objects.exclude(state=Reminder.State.SENT).exists()
        assert all(m.subject.strip() and m.body.strip() for m in mail.outbox)
        with translation.override("en"):
            digest = translation.ngettext(
                "Week %(week)s: %(count)s overdue case in your area",
                "Week %(week)s: %(count)s overdue cases in your area",
                2,
            ) % {"week": "2030-W02", "count": 2}  # both cases are past their deadlines by 2030
        assert digest in [m.subject for m in mail.outbox if m.to == [sue.email]]


class EmailSerialisationTests:
    @pytest.mark.parametrize(
        "subject",
        ["逾期（第 1 次提醒）：案件 B-123", "Overdue (reminder 1): case B-123", "A subject long enough to fold " * 4],
    )
    def test_a_reminder_email_is_written_byte_for_byte_as_django_writes_it(self, subject):
        def build(cls):
            message = cls(
                subject,
                "案件 B-123 已超过期限。\nOpen the case.",
                "Linli <noreply@example.com>",
                # Long enough for compat32 to fold the To header.
                ["米娅 <mia@example.com>", "bob@example.com", "carol.long.address@example.com", "dan@example.com"],
                headers={"Message-ID": "<linli-reminder-1@host>", "Date": "Sun, 22 Nov 2026 04:00:00 -0000"},
            )
            message.attach_alternative("<p>案件 B-123 已超过期限。</p>", "text/html")
            mime = message.message()
            mime.set_boundary("=_boundary")  # ours picks a random one
            return mime

        ours, django = build(sending._Email), build(EmailMultiAlternatives)

        assert ours.as_bytes(linesep="\r\n") == django.as_bytes(linesep="\r\n")  # as the SMTP backend sends it
        assert ours.as_string() == django.as_string()
