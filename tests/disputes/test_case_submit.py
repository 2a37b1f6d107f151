"""Filing a case: numbering, idempotency, the collective flag and who hears about it."""

import threading
import uuid

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from disputes import services
from disputes.models import Case, CaseEvent, CaseNumberCounter, Category, Evidence, InboxMessage, Party, Reminder
from tests.disputes.test_uploads import JPEG, upload
from tests.factories import make_case, make_user


def submit(user, area, *, key=None, households=1, respondent=None, files=None, category=None):
    parties = [services.PartyData(role=Party.Role.APPLICANT, name=user.full_name, phone=user.phone, user=user)]
    if respondent is not None:
        parties.append(services.PartyData(role=Party.Role.RESPONDENT, name=respondent.full_name, user=respondent))
    return services.case_submit(
        filed_by=user,
        parties=parties,
        category_id=(category or Category.objects.get(code="neighbours")).pk,
        area_id=area.pk,
        title="Water leaking from upstairs",
        summary="The ceiling of the bathroom drips since Monday.",
        request="Repair the pipe and pay for the ceiling.",
        households=households,
        idempotency_key=key,
        files=files,
    )


@pytest.mark.django_db
class CaseSubmitTests:
    def test_numbers_are_consecutive_per_year(self, alice, areas):
        year = timezone.localtime().year

        numbers = [submit(alice, areas["G1"])[0].number for _ in range(3)]

        assert numbers == [f"LL-{year}-000001", f"LL-{year}-000002", f"LL-{year}-000003"]
        assert CaseNumberCounter.objects.get(year=year).last == 3

    def test_a_number_is_never_reused_after_a_case_is_deleted(self, alice, areas):
        first, _ = submit(alice, areas["G1"])
        first.delete()

        second, _ = submit(alice, areas["G1"])

        assert second.number.endswith("-000002")

    def test_the_same_submission_three_times_makes_one_case(self, alice, bob, areas, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        key = uuid.uuid4()

        results = [
            submit(alice, areas["G1"], key=key, respondent=bob, files=[upload("leak.jpg", JPEG)]) for _ in range(3)
        ]

        cases = {case.pk for case, _ in results}
        assert len(cases) == 1
        assert [created for _, created in results] == [True, False, False]
        case = Case.objects.get()
        assert case.idempotency_key == key
        assert case.parties.count() == 2
        assert Evidence.objects.filter(case=case).count() == 1
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SUBMITTED).count() == 1
        assert CaseNumberCounter.objects.get().last == 1

    def test_different_keys_make_different_cases(self, alice, areas):
        first, _ = submit(alice, areas["G1"], key=uuid.uuid4())
        second, _ = submit(alice, areas["G1"], key=uuid.uuid4())

        assert first.pk != second.pk and first.number != second.number

    @pytest.mark.parametrize(("households", "collective"), [(1, False), (4, False), (5, True), (40, True)])
    def test_five_households_make_a_collective_claim(self, alice, areas, households, collective):
        case, _ = submit(alice, areas["G1"], households=households)

        case.refresh_from_db()
        assert (case.households, case.is_collective) == (households, collective)

    def test_it_records_the_submitted_event_parties_and_accept_clock(self, alice, bob, areas):
        case, created = submit(alice, areas["G1"], respondent=bob)

        event = CaseEvent.objects.get(case=case)
        assert created
        assert (event.kind, event.actor, event.old_status, event.new_status) == (
            CaseEvent.Kind.SUBMITTED,
            alice,
            "",
            Case.Status.SUBMITTED,
        )
        applicant = case.parties.get(role=Party.Role.APPLICANT)
        assert (applicant.user, applicant.consents_to_mediation) == (alice, True)
        assert case.parties.get(role=Party.Role.RESPONDENT).consents_to_mediation is None
        assert (case.status, case.filed_by, case.tier, case.source) == (
            Case.Status.SUBMITTED,
            alice,
            Case.Tier.GRID,
            Case.Source.ONLINE,
        )
        assert case.next_due_at == case.accept_due_at is not None

    def test_the_other_party_hears_of_the_filing_and_the_filer_does_not(
        self, alice, bob, areas, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            case, _ = submit(alice, areas["G1"], respondent=bob)

        event = CaseEvent.objects.get(case=case)
        assert list(InboxMessage.objects.values_list("recipient__username", "case", "source_key")) == [
            ("bob", case.pk, f"event:{event.pk}")
        ]
        reminder = Reminder.objects.get()
        assert (reminder.recipient, reminder.rule, reminder.period, reminder.channel, reminder.state) == (
            bob,
            "event",
            str(event.pk),
            Reminder.Channel.EMAIL,
            Reminder.State.SENT,
        )
        assert [m.to for m in mail.outbox] == [[bob.email]]
        assert case.number in mail.outbox[0].subject + mail.outbox[0].body

    def test_acceptance_reaches_both_parties_and_the_mediator_but_not_the_actor(
        self, alice, bob, mia, sue, areas, django_capture_on_commit_callbacks
    ):
        # The submission's own notices go out at its commit, as they would in production (the test's
        # transaction never commits, so without this they would ride along with the acceptance's).
        with django_capture_on_commit_callbacks(execute=True):
            case = make_case(applicant=alice, respondent=bob, area=areas["G1"])
        InboxMessage.objects.all().delete()
        mail.outbox.clear()

        with django_capture_on_commit_callbacks(execute=True):
            event = services.case_accept(case=case, actor=sue, mediator=mia)

        inbox = InboxMessage.objects.filter(source_key=f"event:{event.pk}")
        assert sorted(inbox.values_list("recipient__username", flat=True)) == ["alice", "bob", "mia"]
        assert sorted(Reminder.objects.filter(period=str(event.pk)).values_list("recipient__username", flat=True)) == [
            "alice",
            "bob",
            "mia",
        ]
        assert sorted(m.to[0] for m in mail.outbox) == [alice.email, bob.email, mia.email]

    def test_an_internal_event_reaches_only_the_mediator(self, alice, bob, mia, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        sam = make_user("sam2")

        event = services.case_event_record(case=case, actor=sam, kind=CaseEvent.Kind.NOTE, note="x", is_public=False)

        assert list(
            InboxMessage.objects.filter(source_key=f"event:{event.pk}").values_list("recipient__username", flat=True)
        ) == ["mia"]


def _in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads started together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
class ConcurrentSubmitTests:
    """Real concurrent transactions on the test database file: each thread has its own
    connection. On SQLite, BEGIN IMMEDIATE serialises the writers; on PostgreSQL the row lock
    on the year's counter does."""

    @pytest.fixture(autouse=True)
    def _category(self):
        # A transactional test empties every table afterwards, the migration-seeded categories
        # too: a transactional test that ran before this one may have removed them.
        Category.objects.get_or_create(code="neighbours", defaults={"name": "Neighbours"})

    def test_many_filers_at_once_get_distinct_consecutive_numbers(self, alice, areas):
        year = timezone.localtime().year

        results = _in_threads(8, lambda i: [submit(alice, areas["G1"])[0].number for _ in range(3)])

        assert all(not isinstance(r, Exception) for r in results), results
        numbers = [n for result in results for n in result]
        assert sorted(numbers) == [f"LL-{year}-{n:06d}" for n in range(1, 25)]
        assert Case.objects.count() == 24

    def test_the_same_key_from_many_requests_at_once_makes_one_case(self, alice, areas):
        key = uuid.uuid4()

        results = _in_threads(6, lambda i: submit(alice, areas["G1"], key=key))

        assert all(not isinstance(r, Exception) for r in results), results
        assert len({case.pk for case, _ in results}) == 1
        assert sorted(created for _, created in results) == [False] * 5 + [True]
        assert Case.objects.count() == 1
        assert CaseEvent.objects.filter(kind=CaseEvent.Kind.SUBMITTED).count() == 1
