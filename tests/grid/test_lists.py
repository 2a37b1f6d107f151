"""Every grid figure on the dashboard links to the list behind it (DESIGN §8), and the list shows
that many rows; the lists are scoped by grid.access, mask names, page in constant queries."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Area
from grid import lists, services
from grid.models import DiaryEntry, GridMember
from tests.grid.conftest import make_entry, make_member
from tests.grid.test_stats import world

FIGURES = [
    "opinions",
    "hazards-found",
    "hazards-removed",
    "orders-posted",
    "orders-taken",
    "orders-done",
    "orders-satisfied",
    "reports-due",
    "reports-filed",
    "reports-zero",
    "reports-late",
]


def figure_links(html: str) -> dict[str, tuple[int, str]]:
    """Each grid figure's number and link, read from the dashboard."""
    found = {}
    for name in FIGURES:
        match = re.search(rf'id="kpi-grid-{name}" href="([^"]+)">(\d+)<', html)
        assert match, name
        found[name] = (int(match.group(2)), unescape(match.group(1)))
    return found


def rows_in(html: str, name: str) -> int:
    """The rows a list page shows for the figure."""
    if name.startswith("reports"):
        return sum(int(n) for n in re.findall(r'data-count="(\d+)"', html))
    if name.startswith("orders"):
        return len(re.findall(r'class="list-group-item list-group-item-action', html))
    return len(re.findall(r'<tr id="entry-\d+"', html))


@pytest.fixture
def late_grid(areas):
    return account_services.area_create(name="Grid 1b", kind=Area.Kind.GRID, parent=areas["C1"])


class FigureLinkTests:
    @pytest.mark.parametrize("who", ["sam", "sue"])
    def test_every_figure_links_to_a_list_of_that_many(
        self, request, client, who, areas, gina, gus, vic, alice, estate, sue, late_grid
    ):
        world(areas, gina, gus, vic, alice, estate, sue)
        hazard = make_entry(gina, areas["G1"], kind="hazard")  # found, not removed
        make_entry(gus, areas["G2"], kind="hazard")
        campaign = services.campaign_start(
            actor=sue,
            area=areas["C1"],
            title="楼栋摸底",
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
            due_at=timezone.now() - timedelta(minutes=5),
            checklist="x",
        )
        services.screening_report_file(campaign=campaign, grid=areas["G1"], actor=gina, checked=4)
        client.force_login(request.getfixturevalue(who))
        html = client.get(reverse("disputes:dashboard") + "?period=year").content.decode()
        links = figure_links(html)
        assert links["hazards-found"][0] == {"sam": 3, "sue": 2}[who] and links["hazards-removed"][0] == 1
        assert links["reports-due"][0] >= 3 and links["reports-zero"][0] == 1 and links["reports-late"][0] >= 2
        for name, (count, url) in links.items():
            response = client.get(url)
            assert response.status_code == 200, (name, url)
            assert rows_in(response.content.decode(), name) == count, (name, url)
        # The removed hazard's list does not hold the one still to follow up.
        removed = client.get(links["hazards-removed"][1]).content.decode()
        assert f'id="entry-{hazard.pk}"' not in removed

    def test_a_late_figure_opens_the_campaign_overview_with_the_late_grids(self, client, areas, gina, sue, late_grid):
        campaign = services.campaign_start(
            actor=sue,
            area=areas["C1"],
            title="安全大走访",
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
            due_at=timezone.now() - timedelta(minutes=5),
            checklist="x",
        )
        services.screening_report_file(campaign=campaign, grid=areas["G1"], actor=gina, checked=4)
        client.force_login(sue)
        today = timezone.localdate().isoformat()
        listing = client.get(reverse("grid:campaign_list"), {"state": "late", "from": today, "to": today})
        detail_url = unescape(re.search(rf'id="campaign-{campaign.pk}" href="([^"]+)"', listing.content.decode())[1])
        assert "state=late" in detail_url
        html = client.get(detail_url).content.decode()
        assert f'id="grid-{late_grid.pk}" data-state="late"' in html
        assert f'id="grid-{areas["G1"].pk}"' not in html


class EntryListTests:
    def test_a_supervisor_sees_the_entries_of_their_area_masked(self, client, areas, gina, gus, sue, otto):
        make_entry(gina, areas["G1"], kind="opinion", people="张大爷", household="502室", found="楼道堆物")
        make_entry(gus, areas["G2"], kind="opinion", people="李阿姨")
        client.force_login(sue)
        html = client.get(reverse("grid:entry_list"), {"kind": "opinion"}).content.decode()
        assert "张**" in html and "5**" in html and "楼道堆物" in html
        assert "张大爷" not in html and "502室" not in html
        assert "李" not in html  # Grid 2 is in Subdistrict 2
        # An area outside the user's is a 404, not a wider list.
        assert client.get(reverse("grid:entry_list"), {"grid": areas["G2"].pk}).status_code == 404
        client.force_login(otto)  # Community 2's mediator
        assert "张**" not in client.get(reverse("grid:entry_list")).content.decode()
        assert client.get(reverse("grid:entry_list"), {"area": areas["C1"].pk}).status_code == 404

    def test_residents_have_no_entry_list_and_bad_filters_are_dropped(self, client, alice, sue, areas, gina):
        client.force_login(alice)
        assert client.get(reverse("grid:entry_list")).status_code == 403
        make_entry(gina, areas["G1"], kind="opinion")
        client.force_login(sue)
        response = client.get(
            reverse("grid:entry_list"), {"kind": "x", "from": "2026-13-45", "page": "²", "area": "\x00"}
        )
        assert response.status_code == 200 and '<tr id="entry-' in response.content.decode()

    def test_pages_cost_the_same_queries_for_few_and_many_entries(self, client, areas, sam, gina, gus):
        make_entry(gina, areas["G1"], kind="opinion")
        client.force_login(sam)
        url = reverse("grid:entry_list")
        with CaptureQueriesContext(connection) as few:
            client.get(url, {"kind": "opinion"})
        for i in range(lists.PAGE + 5):
            make_entry(gina if i % 2 else gus, areas["G1" if i % 2 else "G2"], kind="opinion")
        with CaptureQueriesContext(connection) as many:
            first = client.get(url, {"kind": "opinion"}).content.decode()
        assert len(many) == len(few)
        assert first.count('<tr id="entry-') == lists.PAGE and 'rel="next"' in first
        second = client.get(url, {"kind": "opinion", "page": 2}).content.decode()
        assert second.count('<tr id="entry-') == 6 and 'rel="prev"' in second

    def test_a_grid_head_sees_their_communitys_grids(self, client, areas, gina, hank):
        make_entry(gina, areas["G1"], kind="help")
        client.force_login(hank)
        assert '<tr id="entry-' in client.get(reverse("grid:entry_list")).content.decode()
        worker = make_member("walt", GridMember.Role.GRID_WORKER, areas["G2"]).user
        client.force_login(worker)  # Grid 2's worker: Grid 1's entries are not theirs
        assert '<tr id="entry-' not in client.get(reverse("grid:entry_list")).content.decode()
        assert DiaryEntry.objects.count() == 1
