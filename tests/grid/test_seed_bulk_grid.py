import io

from django.core.management import call_command

from accounts.models import Area
from grid.models import Campaign, DiaryEntry, GridDayStat, GridMember


class SeedBulkGridTests:
    def test_it_makes_grids_entries_a_campaign_and_the_figures(self, db):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_bulk_grid", grids=30, entries=700, batch=300, stdout=io.StringIO())
        assert Area.objects.filter(kind=Area.Kind.GRID).count() == 30
        assert GridMember.objects.filter(role=GridMember.Role.GRID_WORKER).count() == 30
        assert DiaryEntry.objects.count() == 700
        campaign = Campaign.objects.get()
        assert 0 < campaign.reports.count() <= 30
        opinions = DiaryEntry.objects.filter(kind="opinion").count()
        assert sum(GridDayStat.objects.values_list("opinions", flat=True)) == opinions
