"""The reminder scan: which rows each rule writes, for whom, and that a scan is idempotent and
reads no case by itself (DESIGN §4, §7)."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from disputes.models import Case, CaseEvent, Category, DeadlinePolicy, Reminder
from disputes.models.closure import Agreement
from disputes.models.meetings import Meeting, Resolution
from disputes.services import clocks
from disputes.services.reminders import reminders_scan
from tests.factories import make_case, make_user

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def rows(**filters) -> list[tuple]:
    return sorted(Reminder.objects.filter(**filters).values_list("rule", "recipient__username", "channel", "period"))


@pytest.fixture
def in_mediation(areas, alice, bob, mia):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


@pytest.mark.django_db
class ReminderScanTests:
    def test_it_reminds_the_mediator_of_an_overdue_case_by_email_and_inbox(self, in_mediation):
        reminders_scan(now=in_mediation.next_due_at + HOUR)

        overdue = rows(rule="overdue")
        assert [(r[0], r[1], r[2]) for r in overdue] == [("overdue", "mia", "email"), ("overdue", "mia", "inbox")]
        assert overdue[0][3].endswith("#0")
        assert Reminder.objects.get(rule="overdue", channel="email").case == in_mediation

    def test_a_second_scan_in_the_same_period_writes_nothing(self, in_mediation):
        reminders_scan(now=in_mediation.next_due_at + HOUR)
        before = Reminder.objects.count()

        reminders_scan(now=in_mediation.next_due_at + 2 * HOUR)

        assert Reminder.objects.count() == before

    def test_overdue_repeats_every_three_days(self, in_mediation):
        due = in_mediation.next_due_at
        for days in (0, 1, 3, 4, 6):
            reminders_scan(now=due + days * DAY + HOUR)

        periods = sorted(
            p.split("#")[1]
            for p in Reminder.objects.filter(rule="overdue", channel="inbox").values_list("period", flat=True)
        )
        assert periods == ["0", "1", "2"]

    def test_it_warns_three_days_before_a_deadline(self, in_mediation):
        reminders_scan(now=in_mediation.next_due_at - 2 * DAY)

        assert {r[0] for r in rows()} - {"event"} == {"due_soon"}
        assert Reminder.objects.filter(rule="due_soon", recipient__username="mia").count() == 2

    def test_a_policy_can_shorten_the_due_soon_window(self, in_mediation):
        policy = DeadlinePolicy(category=in_mediation.category, tier=None, due_soon_days=1)
        clocks.clocks_restamp_run(clocks.deadline_policy_save(policy=policy).pk)

        reminders_scan(now=in_mediation.next_due_at - 2 * DAY)

        assert not Reminder.objects.filter(rule="due_soon").exists()

    def test_an_unassigned_case_goes_to_the_community_staff(self, areas, alice, mia, otto):
        case = make_case(applicant=alice, area=areas["G1"])

        reminders_scan(now=case.status_changed_at + DAY + HOUR)

        assert {r[1] for r in rows(rule="unassigned")} == {"mia"}

    def test_an_unacknowledged_case_goes_to_its_mediator(self, areas, alice, mia, sue):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.ASSIGNED, actor=sue, mediator=mia)

        reminders_scan(now=case.status_changed_at + DAY + 10 * timedelta(minutes=1))

        assert {r[1] for r in rows(rule="unacknowledged")} == {"mia"}

    def test_a_week_without_activity_is_stale(self, in_mediation):
        reminders_scan(now=in_mediation.last_activity_at + 7 * DAY + HOUR)

        assert {r[1] for r in rows(rule="stale")} == {"mia"}

    def test_a_case_open_ninety_days_is_legacy_for_its_mediator_and_the_supervisors_above(self, in_mediation, sue):
        reminders_scan(now=in_mediation.submitted_at + 90 * DAY + HOUR)

        assert {r[1] for r in rows(rule="legacy")} == {"mia", "sue"}

    def test_a_resolved_case_is_reminded_of_its_follow_up_visit(self, areas, alice, mia):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)

        reminders_scan(now=case.follow_up_due_at - DAY)
        reminders_scan(now=case.follow_up_due_at + HOUR)

        assert {r[0] for r in rows(recipient__username="mia")} >= {"follow_up_due", "follow_up_overdue"}

    def test_two_overdue_reminders_without_progress_put_the_case_before_the_supervisors_above(
        self, in_mediation, sue, sam
    ):
        due = in_mediation.next_due_at
        for days in (0, 3, 6, 6.5):
            reminders_scan(now=due + days * DAY + HOUR)

        events = CaseEvent.objects.filter(case=in_mediation, kind=CaseEvent.Kind.SUPERVISION)
        assert events.count() == 1
        assert not events.get().is_public
        # A grid-tier case goes to the supervisors of the community or, failing one, the nearest above.
        assert {r[1] for r in rows(rule="supervision")} == {"sue"}

    def test_activity_after_the_deadline_holds_supervision_back(self, in_mediation, mia, sue):
        from disputes import services

        due = in_mediation.next_due_at
        services.case_event_record(case=in_mediation, actor=mia, kind=CaseEvent.Kind.NOTE, note="Called both sides.")
        Case.objects.filter(pk=in_mediation.pk).update(last_activity_at=due + DAY)

        reminders_scan(now=due + 6 * DAY + HOUR)

        assert not CaseEvent.objects.filter(case=in_mediation, kind=CaseEvent.Kind.SUPERVISION).exists()

    def test_supervisors_get_a_weekly_digest_of_their_subtrees_overdue_cases(self, in_mediation, areas, sam, sue):
        monday = timezone.make_aware(datetime(2030, 1, 7, 9, 0))
        Case.objects.filter(pk=in_mediation.pk).update(next_due_at=monday - 5 * DAY)

        reminders_scan(now=monday)
        reminders_scan(now=monday + HOUR)

        digests = Reminder.objects.filter(rule="digest", channel="inbox")
        assert sorted(digests.values_list("recipient__username", flat=True)) == ["sam", "sue"]
        assert digests.get(recipient=sue).context["count"] == 1
        assert digests.get(recipient=sue).context["cases"][0][0] == in_mediation.number

    def test_a_meeting_resolution_is_chased_before_and_after_its_due_date(self, in_mediation, areas, mia, carol):
        meeting = Meeting.objects.create(
            community=areas["C1"], topic="Parking", scheduled_at=timezone.now(), place="Community hall"
        )
        due = date(2030, 3, 10)
        resolution = Resolution.objects.create(
            meeting=meeting, case=in_mediation, text="Repaint the lines", owner=carol, due_date=due
        )
        noon = timezone.make_aware(datetime(2030, 3, 8, 12, 0))

        reminders_scan(now=noon)
        reminders_scan(now=noon + 3 * DAY)

        assert {(r[0], r[1]) for r in rows(channel="inbox", rule__startswith="resolution")} == {
            ("resolution_due", "carol"),
            ("resolution_due", "mia"),
            ("resolution_overdue", "carol"),
            ("resolution_overdue", "mia"),
        }
        assert Reminder.objects.filter(rule="resolution_due").first().context["resolution"] == resolution.pk

    def test_day_twenty_of_the_confirmation_window_reminds_parties_and_mediator(self, in_mediation, alice, bob, mia):
        effective = timezone.now()
        Agreement.objects.create(
            case=in_mediation,
            terms="Quiet after 22:00.",
            effective_at=effective,
            confirmation_wanted=True,
            confirmation_window_ends_at=effective + 30 * DAY,
        )

        reminders_scan(now=effective + 19 * DAY)
        assert not Reminder.objects.filter(rule="confirmation_window").exists()
        reminders_scan(now=effective + 20 * DAY + HOUR)

        assert {r[1] for r in rows(rule="confirmation_window")} == {"alice", "bob", "mia"}

    def test_nothing_is_written_for_closed_cases(self, areas, alice, mia):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.CLOSED, actor=mia)

        reminders_scan(now=case.submitted_at + 100 * DAY)

        assert not Reminder.objects.filter(case=case).exclude(rule="event").exists()

    def test_its_query_count_does_not_grow_with_the_due_cases(self, areas, alice, mia):
        category = Category.objects.get(code="neighbours")
        now = timezone.now()

        def add_overdue(n: int, start: int) -> None:
            Case.objects.bulk_create(
                Case(
                    number=f"T-{start + i}",
                    category=category,
                    area=areas["G1"],
                    title="t",
                    summary="s",
                    request="r",
                    status=Case.Status.IN_MEDIATION,
                    mediator=mia,
                    next_due_at=now - HOUR,
                    status_changed_at=now - 20 * DAY,
                    last_activity_at=now - 2 * DAY,
                    submitted_at=now - 20 * DAY,
                )
                for i in range(n)
            )

        add_overdue(2, 0)
        with CaptureQueriesContext(connection) as few:
            reminders_scan(now=now)
        add_overdue(40, 100)
        with CaptureQueriesContext(connection) as many:
            reminders_scan(now=now + timedelta(minutes=5))

        assert Reminder.objects.filter(rule="overdue", channel="email").count() == 42
        assert len(many) <= len(few) + 1  # bulk inserts may take one more batch

    def test_a_user_without_email_gets_only_the_inbox(self, areas, alice):
        mediator = make_user("nomail", role=User.Role.MEDIATOR, areas=[areas["C1"]])
        User.objects.filter(pk=mediator.pk).update(email="")
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mediator)

        reminders_scan(now=case.next_due_at + HOUR)

        assert rows(rule="overdue", recipient=mediator)[0][2] == "inbox"
        assert len(rows(rule="overdue", recipient=mediator)) == 1
