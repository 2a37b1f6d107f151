"""The indexes the grid lists and figures are written for, as PostgreSQL's planner takes them with
statistics over a few thousand seeded entries (as it does at 2,000,000, bench/grid.py)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grid import lists, stats

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")


@pytest.fixture
def seeded(areas, sam):
    call_command("seed_bulk_grid", grids=60, entries=30000, stdout=io.StringIO())
    with connection.cursor() as cursor:
        for table in ("grid_diaryentry", "grid_griddaystat", "grid_gridmonthstat", "accounts_area"):
            cursor.execute(f"ANALYZE {table}")


def plan(sql: str) -> str:
    """The plan of a captured statement (its parameters already in it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


class GridPlanTests:
    def test_an_areas_lists_walk_their_newest_first_indexes(self, seeded, sam):
        today = timezone.localdate()
        year = lists.GridFilter(start=today - timedelta(days=365), end=today)
        removed = lists.diary_entries_for(sam, lists.GridFilter(start=year.start, end=year.end, removed=True))[:51]
        assert "diary_hazard_removed" in removed.explain()
        opinions = lists.diary_entries_for(sam, lists.GridFilter(start=year.start, end=year.end, kind="opinion"))
        assert "diary_kind_newest" in opinions[:51].explain()

    def test_the_figures_read_the_period_from_the_covering_indexes(self, seeded, areas):
        today = timezone.localdate()
        start = (today - timedelta(days=400)).replace(day=15)  # whole months and edge days
        with CaptureQueriesContext(connection) as captured:
            stats.grid_figures(areas=[areas["D"]], start=start, end=today)
        sums = plan(captured.captured_queries[0]["sql"])
        assert "grid_day_stat_day_cover" in sums and "grid_gridmonthstat" in sums, sums
