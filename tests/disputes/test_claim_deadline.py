"""Issue 17 item 4: a collective claim's own deadline and 督办. The claim is due to be resolved by
its creation plus the strictest resolve days of its members' policies; past it, the scan reminds
the claim's mediator and the supervisors of its subdistrict once per 3-day period, cancelled at
send time once the claim is resolved. A supervisor of the claim's area orders supervision (a claim
event and a reminder row); a supervisor of another subdistrict is refused."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import User
from disputes.models import Case, ClaimEvent, CollectiveClaim, DeadlinePolicy, Reminder, Rule
from disputes.services.cases import CaseError
from disputes.services.collective import claim_create
from disputes.services.reminders import reminders_scan, reminders_send
from disputes.services.supervision import claim_supervision_order
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture
def claim(areas, mia):
    cases = [
        make_case(applicant=make_user(f"resident{i}"), area=areas["G1"], status=Case.Status.IN_MEDIATION, mediator=mia)
        for i in range(3)
    ]
    return claim_create(
        cases=cases, actor=mia, title="小区水压不足", facts="Low pressure.", demand="Fix the pumps.", mediator=mia
    )


def _claim_rows(rule=Rule.CLAIM_OVERDUE):
    return Reminder.objects.filter(rule=rule)


class ClaimDeadlineTests:
    def test_the_deadline_is_the_strictest_resolve_days_of_the_members(self, areas, mia):
        strict = make_case(applicant=make_user("r1"), area=areas["G1"])
        other = make_case(applicant=make_user("r2"), area=areas["G1"])
        DeadlinePolicy.objects.create(category=strict.category, tier=Case.Tier.COMMUNITY, resolve_days=10)
        claim = claim_create(cases=[strict, other], actor=mia, title="t", facts="f", demand="d")
        assert claim.due_at == claim.created_at + timedelta(days=10)

    def test_the_migration_gives_older_claims_the_same_deadline(self, claim, areas, mia):
        from importlib import import_module

        from django.apps import apps

        DeadlinePolicy.objects.create(category=claim.cases.first().category, tier=None, resolve_days=12)
        CollectiveClaim.objects.filter(pk=claim.pk).update(due_at=None)
        import_module("disputes.migrations.0024_claim_due_and_supervision").due_at_backfill(apps, None)
        claim.refresh_from_db()
        assert claim.due_at == claim.created_at + timedelta(days=12)

    def test_past_due_one_row_per_recipient_after_two_scans(self, claim, mia, sue, sam):
        # sue serves the claim's subdistrict; sam (district) is above it and not reminded.
        reminders_scan(now=claim.due_at + HOUR)
        reminders_scan(now=claim.due_at + 2 * HOUR)
        inbox = _claim_rows().filter(channel=Reminder.Channel.INBOX)
        assert sorted(inbox.values_list("recipient__username", flat=True)) == ["mia", "sue"]
        assert _claim_rows().count() == 4  # inbox and email each, once
        assert all(r.case_id is None and r.period == f"claim-{claim.pk}/{r.period.split('/')[1]}" for r in inbox)
        assert {r.period.split("#")[1] for r in inbox} == {"0"}
        # Three days on: the next period, once again.
        reminders_scan(now=claim.due_at + timedelta(days=3) + HOUR)
        assert _claim_rows().filter(channel=Reminder.Channel.INBOX).count() == 4

    def test_it_is_sent_while_the_claim_is_open(self, claim, sue):
        reminders_scan(now=claim.due_at + HOUR)
        ids = list(_claim_rows().values_list("pk", flat=True))
        assert reminders_send(reminder_ids=ids)["sent"] == len(ids)
        row = _claim_rows().get(recipient=sue, channel=Reminder.Channel.INBOX)
        assert claim.number in row.subject and claim.number in row.body

    def test_a_resolved_claim_cancels_it_at_send_time(self, claim):
        reminders_scan(now=claim.due_at + HOUR)
        CollectiveClaim.objects.filter(pk=claim.pk).update(status=CollectiveClaim.Status.RESOLVED)
        ids = list(_claim_rows().values_list("pk", flat=True))
        assert ids and reminders_send(reminder_ids=ids)["cancelled"] == len(ids)
        assert set(_claim_rows().values_list("state", flat=True)) == {Reminder.State.CANCELLED}

    def test_a_resolved_claim_is_not_found_by_the_scan(self, claim):
        CollectiveClaim.objects.filter(pk=claim.pk).update(status=CollectiveClaim.Status.RESOLVED)
        reminders_scan(now=claim.due_at + HOUR)
        assert not _claim_rows().exists()


class ClaimSupervisionTests:
    def test_a_supervisor_of_the_area_orders_it(self, claim, mia, sue, client, django_capture_on_commit_callbacks):
        client.force_login(sue)
        url = reverse("admin:disputes_collectiveclaim_supervise", args=[claim.pk])
        assert client.get(url).status_code == 200
        assert url in client.get(reverse("admin:disputes_collectiveclaim_change", args=[claim.pk])).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"note": "Report by Friday."})
        assert response.status_code == 302
        event = claim.events.get(kind=ClaimEvent.Kind.SUPERVISION)
        assert event.actor == sue and not event.is_public and event.note == "Report by Friday."
        rows = _claim_rows(Rule.CLAIM_SUPERVISION)
        assert {r.recipient for r in rows} == {mia} and Reminder.Channel.INBOX in {r.channel for r in rows}
        inbox = rows.get(channel=Reminder.Channel.INBOX)
        assert inbox.state == Reminder.State.SENT and claim.number in inbox.subject and "Friday" in inbox.body
        # A second order the same day is refused with a message, nothing more written.
        client.post(url, {"note": ""})
        assert claim.events.filter(kind=ClaimEvent.Kind.SUPERVISION).count() == 1
        assert _claim_rows(Rule.CLAIM_SUPERVISION).count() == rows.count()

    def test_a_supervisor_of_another_subdistrict_gets_404(self, claim, areas, client):
        stranger = make_user("sven", role=User.Role.SUPERVISOR, areas=[areas["S2"]])
        client.force_login(stranger)
        url = reverse("admin:disputes_collectiveclaim_supervise", args=[claim.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"note": "x"}).status_code == 404
        assert not claim.events.filter(kind=ClaimEvent.Kind.SUPERVISION).exists()
        assert not _claim_rows(Rule.CLAIM_SUPERVISION).exists()

    def test_a_mediator_of_the_area_is_refused(self, claim, mia, client):
        client.force_login(mia)
        url = reverse("admin:disputes_collectiveclaim_supervise", args=[claim.pk])
        assert client.post(url, {"note": "x"}).status_code == 403
        assert (
            url not in client.get(reverse("admin:disputes_collectiveclaim_change", args=[claim.pk])).content.decode()
        )

    def test_a_claim_without_a_mediator_or_no_longer_open_is_refused(self, claim, sue):
        CollectiveClaim.objects.filter(pk=claim.pk).update(mediator=None)
        claim.refresh_from_db()
        with pytest.raises(CaseError):
            claim_supervision_order(claim=claim, actor=sue)
        claim.status = CollectiveClaim.Status.RESOLVED
        with pytest.raises(CaseError):
            claim_supervision_order(claim=claim, actor=sue)
        assert not claim.events.filter(kind=ClaimEvent.Kind.SUPERVISION).exists()


class ClaimFiguresByAreaTests:
    def test_the_area_table_counts_the_claims_of_each_row_with_their_list(self, claim, areas, mia, sam, client):
        # A second claim in the other community, resolved: C1 received one, C2 received and resolved one.
        otto = make_user("otto2", role=User.Role.MEDIATOR, areas=[areas["C2"]])
        other = claim_create(
            cases=[make_case(applicant=make_user(f"other{i}"), area=areas["G2"]) for i in range(2)],
            actor=otto,
            title="停车难",
            facts="f",
            demand="d",
        )
        CollectiveClaim.objects.filter(pk=other.pk).update(
            status=CollectiveClaim.Status.RESOLVED, resolved_at=other.created_at
        )
        client.force_login(sam)
        board = client.get(reverse("disputes:dashboard"), {"period": "year"}).context["board"]
        rows = {str(r["label"]): [c["value"] for c in r["cells"][-2:]] for r in board.area_rows()}
        assert rows == {str(areas["C1"]): [1, 0], str(areas["C2"]): [1, 1]}
        assert (board.claims["total"]["claims_received"], board.claims["total"]["claims_resolved"]) == (2, 1)
        # Each number opens the claim list of its row and period, which lists that many claims.
        c2 = next(r for r in board.area_rows() if str(r["label"]) == str(areas["C2"]))
        listed = client.get(c2["cells"][-1]["url"]).context["cl"]
        assert [c.pk for c in listed.result_list] == [other.pk]
