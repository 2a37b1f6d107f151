"""A screening campaign with three grids: one zero report, one with findings, one late that is
reminded once and then put before the tier above; the overview shows the three states."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Area, User
from disputes.models import InboxMessage, Reminder, Rule
from disputes.services.reminders import reminders_scan, reminders_send
from disputes.services.reminders.rules import GRID_REPORT_ESCALATE_AFTER
from grid import selectors, services
from grid.models import GridMember, ScreeningReport
from tests.factories import make_user
from tests.grid.conftest import make_member


def late_scan(now=None) -> int:
    """The reminder service's scan, then the send of what it wrote (the scan task does both):
    returns the grid-report reminders delivered (one per rule and grid, on the inbox channel)."""
    reminders_scan(now=now or timezone.now())
    pending = Reminder.objects.filter(state=Reminder.State.PENDING, rule__startswith="grid_report")
    ids = list(pending.values_list("pk", flat=True))
    reminders_send(reminder_ids=ids)
    return Reminder.objects.filter(pk__in=ids, state=Reminder.State.SENT, channel=Reminder.Channel.INBOX).count()


def sent_to(rule: str) -> list[int]:
    rows = Reminder.objects.filter(rule=rule, state=Reminder.State.SENT, channel=Reminder.Channel.INBOX)
    return sorted(rows.values_list("recipient_id", flat=True))


@pytest.fixture
def three_grids(areas):
    """Community 1 has Grid 1 and two more, each with its own worker."""
    g1 = areas["G1"]
    g1b = account_services.area_create(name="Grid 1b", kind=Area.Kind.GRID, parent=areas["C1"])
    g1c = account_services.area_create(name="Grid 1c", kind=Area.Kind.GRID, parent=areas["C1"])
    workers = [make_member(f"worker{i}", GridMember.Role.GRID_WORKER, g).user for i, g in enumerate([g1, g1b, g1c])]
    return [g1, g1b, g1c], workers


@pytest.fixture
def campaign(areas, sue):
    today = timezone.localdate()
    return services.campaign_start(
        actor=sue,
        area=areas["C1"],
        title="11月安全大排查",
        period_start=today - timedelta(days=30),
        period_end=today,
        due_at=timezone.now() + timedelta(hours=1),
        checklist="燃气\n消防通道\n电动车充电",
    )


class CampaignTests:
    def test_zero_found_and_late_grids(self, client, areas, three_grids, campaign, mia):
        (zero_grid, found_grid, late_grid), (zero_worker, found_worker, late_worker) = three_grids
        community_staff = mia  # serves Community 1: the tier above its grids

        client.force_login(zero_worker)
        url = reverse("grid:campaign_report", args=[campaign.pk])
        response = client.post(url, {"grid": zero_grid.pk, "checked": 12, "found": 0, "fixed": 0})
        assert response.status_code == 302
        client.force_login(found_worker)
        client.post(url, {"grid": found_grid.pk, "checked": 30, "found": 4, "fixed": 3, "notes": "楼道堆物"})
        # A worker cannot file for another grid.
        response = client.post(url, {"grid": late_grid.pk, "checked": 1, "found": 0, "fixed": 0})
        assert response.status_code == 400
        assert {(r.grid, r.found, r.fixed) for r in ScreeningReport.objects.all()} == {
            (zero_grid, 0, 0),
            (found_grid, 4, 3),
        }

        # Before the due time nobody is late, and the scan sends nothing.
        assert late_scan() == 0
        rows, counts = selectors.campaign_overview(campaign)
        assert counts["waiting"] == 1

        # First miss: one reminder, to the late grid's worker only; a second scan sends nothing more.
        after_due = campaign.due_at + timedelta(minutes=1)
        assert late_scan(now=after_due) == 1
        assert late_scan(now=after_due + timedelta(hours=1)) == 0
        reminder = Reminder.objects.get(rule=Rule.GRID_REPORT_LATE, channel=Reminder.Channel.INBOX)
        assert reminder.context["grid"] == late_grid.pk and reminder.recipient == late_worker
        assert reminder.period == f"c{campaign.pk}/g{late_grid.pk}" and late_grid.name in reminder.subject
        assert InboxMessage.objects.filter(recipient=late_worker).count() == 1
        assert not InboxMessage.objects.filter(recipient__in=[zero_worker, found_worker]).exists()
        rows, counts = selectors.campaign_overview(campaign, now=after_due)
        assert {r.pk: r.state for r in rows} == {zero_grid.pk: "zero", found_grid.pk: "found", late_grid.pk: "late"}

        # Second miss: the staff of the community are told, once.
        later = campaign.due_at + GRID_REPORT_ESCALATE_AFTER + timedelta(minutes=1)
        assert late_scan(now=later) == 1
        assert late_scan(now=later) == 0
        assert sent_to(Rule.GRID_REPORT_ESCALATED) == [community_staff.pk]
        assert sent_to(Rule.GRID_REPORT_LATE) == [late_worker.pk]
        assert InboxMessage.objects.filter(recipient=community_staff).count() == 1
        assert InboxMessage.objects.filter(recipient=late_worker).count() == 1  # still one reminder
        rows, counts = selectors.campaign_overview(campaign, now=later)
        assert counts == {"zero": 1, "found": 1, "waiting": 0, "late": 0, "escalated": 1}

    def test_the_supervisors_overview_shows_the_three_states(self, client, three_grids, campaign, sue):
        (zero_grid, found_grid, late_grid), (zero_worker, found_worker, _late) = three_grids
        services.screening_report_file(campaign=campaign, grid=zero_grid, actor=zero_worker, checked=5)
        services.screening_report_file(campaign=campaign, grid=found_grid, actor=found_worker, checked=9, found=2)
        campaign.due_at = timezone.now() - timedelta(days=2, hours=12)
        campaign.save(update_fields=["due_at"])
        late_scan(now=timezone.now() - timedelta(days=2))
        late_scan()
        client.force_login(sue)
        html = client.get(reverse("grid:campaign_detail", args=[campaign.pk])).content.decode()
        for grid, state in [(zero_grid, "zero"), (found_grid, "found"), (late_grid, "escalated")]:
            assert f'id="grid-{grid.pk}" data-state="{state}"' in html

    def test_a_report_filed_after_the_scan_cancels_the_reminder(self, three_grids, campaign):
        (g1, g1b, g1c), (w1, w1b, w1c) = three_grids
        reminders_scan(now=campaign.due_at + timedelta(minutes=1))
        services.screening_report_file(campaign=campaign, grid=g1, actor=w1, checked=3)
        ids = list(Reminder.objects.filter(rule=Rule.GRID_REPORT_LATE).values_list("pk", flat=True))
        counts = reminders_send(reminder_ids=ids)
        assert counts["sent"] == 2 * 2 and counts["cancelled"] == 2  # inbox and email each
        assert not InboxMessage.objects.filter(recipient=w1).exists()

    def test_a_supervisor_starts_a_campaign_only_in_their_areas(self, client, areas, sue):
        client.force_login(sue)
        data = {
            "title": "网格摸底",
            "period_start": "2026-12-01",
            "period_end": "2026-12-31",
            "due_at": "2027-01-05T17:00",
            "checklist": "人口\n房屋",
        }
        response = client.post(reverse("grid:campaign_list"), {**data, "area": areas["C1"].pk})
        assert response.status_code == 302
        response = client.post(reverse("grid:campaign_list"), {**data, "area": areas["C2"].pk})
        assert response.status_code == 400  # Sub 2's community is not a choice for Sue
        response = client.post(
            reverse("grid:campaign_list"), {**data, "period_end": "2026-11-01", "area": areas["C1"].pk}
        )
        assert response.status_code == 400 and "网格摸底" in response.content.decode()

    def test_outsiders_see_no_campaign(self, client, campaign, otto, alice, gus):
        for user in (otto, alice, gus):
            client.force_login(user)
            assert client.get(reverse("grid:campaign_detail", args=[campaign.pk])).status_code == 404
        client.force_login(alice)
        assert client.get(reverse("grid:campaign_list")).status_code == 403

    def test_a_plain_resident_cannot_start_one(self, client, areas):
        client.force_login(make_user("rita", role=User.Role.RESIDENT))
        assert client.post(reverse("grid:campaign_list"), {"title": "x"}).status_code == 403


class MonthlyCampaignTests:
    def test_a_monthly_campaign_starts_again_each_month_once(self, client, areas, sue):
        from datetime import date, datetime

        from grid.models import Campaign
        from grid.tasks import campaigns_repeat_task

        client.force_login(sue)
        client.post(
            reverse("grid:campaign_list"),
            {
                "title": "每月安全大走访",
                "area": areas["C1"].pk,
                "period_start": "2026-11-01",
                "period_end": "2026-11-30",
                "due_at": "2026-12-03T17:00",
                "checklist": "燃气\n消防通道",
                "repeats_monthly": "on",
            },
        )
        november = Campaign.objects.get()
        assert november.repeats_monthly
        services.campaign_start(  # not repeating: left alone
            actor=sue, area=areas["C1"], title="网格摸底", period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31), due_at=timezone.now(), checklist="人口",
        )  # fmt: skip
        assert services.campaigns_repeat(today=date(2026, 11, 30)) == 0  # the period has not ended
        assert services.campaigns_repeat(today=date(2026, 12, 1)) == 1
        assert services.campaigns_repeat(today=date(2026, 12, 1)) == 0  # once
        december = november.next_campaign
        assert (december.period_start, december.period_end) == (date(2026, 12, 1), date(2026, 12, 31))
        assert timezone.localtime(december.due_at).replace(tzinfo=None) == datetime(2027, 1, 3, 17, 0)
        assert (december.title, december.checklist, december.area) == (november.title, november.checklist, areas["C1"])
        # Not run for two months: caught up month by month to March, February ending on its last day.
        assert services.campaigns_repeat(today=date(2027, 3, 1)) == 3
        february = december.next_campaign.next_campaign
        assert (february.period_start, february.period_end) == (date(2027, 2, 1), date(2027, 2, 28))
        assert Campaign.objects.filter(title="网格摸底").count() == 1
        assert campaigns_repeat_task.delay().get() == 0  # the beat's task: today, nothing due yet
        html = client.get(reverse("grid:campaign_detail", args=[february.pk])).content.decode()
        assert 'id="campaign-repeats"' in html
