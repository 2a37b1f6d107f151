"""A screening campaign with three grids: one zero report, one with findings, one late that is
reminded once and then put before the tier above; the overview shows the three states."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Area, User
from disputes.models import InboxMessage
from grid import selectors, services
from grid.models import CampaignNotice, GridMember, ScreeningReport
from tests.factories import make_user
from tests.grid.conftest import make_member


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
        assert services.campaign_late_scan() == 0
        rows, counts = selectors.campaign_overview(campaign)
        assert counts["waiting"] == 1

        # First miss: one reminder, to the late grid's worker only; a second scan sends nothing more.
        after_due = campaign.due_at + timedelta(minutes=1)
        assert services.campaign_late_scan(now=after_due) == 1
        assert services.campaign_late_scan(now=after_due + timedelta(hours=1)) == 0
        reminder = CampaignNotice.objects.get(stage=CampaignNotice.Stage.REMINDER)
        assert reminder.grid == late_grid and reminder.recipients == [late_worker.pk]
        assert InboxMessage.objects.filter(recipient=late_worker).count() == 1
        assert not InboxMessage.objects.filter(recipient__in=[zero_worker, found_worker]).exists()
        rows, counts = selectors.campaign_overview(campaign, now=after_due)
        assert {r.pk: r.state for r in rows} == {zero_grid.pk: "zero", found_grid.pk: "found", late_grid.pk: "late"}

        # Second miss: the staff of the community are told, once.
        later = campaign.due_at + services.ESCALATE_AFTER + timedelta(minutes=1)
        assert services.campaign_late_scan(now=later) == 1
        assert services.campaign_late_scan(now=later) == 0
        escalation = CampaignNotice.objects.get(stage=CampaignNotice.Stage.ESCALATION)
        assert community_staff.pk in escalation.recipients
        assert InboxMessage.objects.filter(recipient=community_staff).count() == 1
        assert InboxMessage.objects.filter(recipient=late_worker).count() == 1  # still one reminder
        rows, counts = selectors.campaign_overview(campaign, now=later)
        assert counts == {"zero": 1, "found": 1, "waiting": 0, "late": 0, "escalated": 1}

    def test_the_supervisors_overview_shows_the_three_states(self, client, three_grids, campaign, sue):
        (zero_grid, found_grid, late_grid), (zero_worker, found_worker, _late) = three_grids
        services.screening_report_file(campaign=campaign, grid=zero_grid, actor=zero_worker, checked=5)
        services.screening_report_file(campaign=campaign, grid=found_grid, actor=found_worker, checked=9, found=2)
        campaign.due_at = timezone.now() - timedelta(days=3)
        campaign.save(update_fields=["due_at"])
        services.campaign_late_scan(now=timezone.now() - timedelta(days=2))
        services.campaign_late_scan()
        client.force_login(sue)
        html = client.get(reverse("grid:campaign_detail", args=[campaign.pk])).content.decode()
        for grid, state in [(zero_grid, "zero"), (found_grid, "found"), (late_grid, "escalated")]:
            assert f'id="grid-{grid.pk}" data-state="{state}"' in html

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
