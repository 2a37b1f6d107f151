"""The grid figures: kept in the services' transactions, equal to a rebuild from the rows, shown on
the dashboard beside the dispute figures, in a constant number of queries."""

import importlib
import re
from datetime import timedelta

from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grid import services, stats
from grid.models import GridDayStat, GridMonthStat
from tests.grid.conftest import make_entry


def kept() -> set:
    days = set(GridDayStat.objects.values_list("grid_id", "day", *GridDayStat.FIGURES))
    return days | set(GridMonthStat.objects.values_list("grid_id", "month", *GridMonthStat.FIGURES))


def world(areas, gina, gus, vic, alice, estate, sue):
    make_entry(gina, areas["G1"], kind="opinion")
    make_entry(gina, areas["G1"], kind="opinion", happened_at=timezone.now() - timedelta(days=40))
    hazard = make_entry(gina, areas["G1"], kind="hazard")
    services.hazard_mark_removed(entry=hazard)
    services.hazard_mark_removed(entry=hazard)  # twice: counted once
    make_entry(gina, areas["G1"], kind="nothing")
    make_entry(gus, areas["G2"], kind="opinion")
    order = services.order_post(
        posted_by=alice, estate=estate, building="1", what="x", needed_by=timezone.now() + timedelta(days=3)
    )
    services.order_dispatch(order=order, actor=gina, helper=vic)
    services.order_accept(order=order, actor=vic)
    services.order_done(order=order, actor=vic, note="ok")
    services.order_confirm(order=order, actor=alice, rating=3)
    services.campaign_start(
        actor=sue,
        area=areas["S1"],
        title="c",
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        due_at=timezone.now() - timedelta(hours=1),
        checklist="x",
    )


class GridStatsTests:
    def test_the_kept_counters_equal_a_rebuild(self, areas, gina, gus, vic, alice, estate, sue):
        world(areas, gina, gus, vic, alice, estate, sue)
        before = kept()
        assert before  # something was counted
        stats.grid_stats_rebuild()
        assert kept() == before

    def test_the_upgrade_fills_the_monthly_counters_from_the_daily_ones(
        self, areas, gina, gus, vic, alice, estate, sue
    ):
        # A site that kept only daily counters before 0006: the migration 0009 sums them by month.
        world(areas, gina, gus, vic, alice, estate, sue)
        expected = set(GridMonthStat.objects.values_list("grid_id", "month", *GridMonthStat.FIGURES))
        GridMonthStat.objects.all().delete()
        backfill = importlib.import_module("grid.migrations.0009_grid_month_stats_backfill").backfill

        backfill(django_apps, None)

        assert set(GridMonthStat.objects.values_list("grid_id", "month", *GridMonthStat.FIGURES)) == expected
        backfill(django_apps, None)  # kept rows already there: left alone, nothing doubled
        assert GridMonthStat.objects.count() == len(expected)

    def test_the_figures_of_a_scope_and_period(self, areas, gina, gus, vic, alice, estate, sue):
        world(areas, gina, gus, vic, alice, estate, sue)
        today = timezone.localdate()
        figures = stats.grid_figures(areas=[areas["C1"]], start=today.replace(day=1), end=today)
        assert figures["opinions"] == (2 if (today - timedelta(days=40)) >= today.replace(day=1) else 1)
        assert (figures["hazards_found"], figures["hazards_removed"]) == (1, 1)
        assert (figures["orders_posted"], figures["orders_taken"], figures["orders_done"]) == (1, 1, 1)
        assert figures["orders_satisfied"] == 1
        assert (figures["reports_due"], figures["reports_filed"], figures["reports_late"]) == (1, 0, 1)
        everywhere = stats.grid_figures(areas=[areas["D"]], start=today - timedelta(days=60), end=today)
        assert everywhere["opinions"] == 3
        # Whole months come from the monthly rows: a period of whole months only gives the same.
        last_month_end = today.replace(day=1) - timedelta(days=1)
        forty = timezone.localdate(timezone.now() - timedelta(days=40))
        months = stats.grid_figures(areas=[areas["D"]], start=forty.replace(day=1), end=last_month_end)
        assert months["opinions"] == (1 if forty <= last_month_end else 0)

    def test_the_dashboard_shows_them_in_constant_queries(
        self, client, areas, gina, gus, vic, alice, estate, sue, sam
    ):
        client.force_login(sam)
        url = reverse("disputes:dashboard") + "?period=year"
        with CaptureQueriesContext(connection) as empty:
            client.get(url)
        world(areas, gina, gus, vic, alice, estate, sue)
        with CaptureQueriesContext(connection) as full:
            html = client.get(url).content.decode()
        assert re.search(r'id="kpi-grid-hazards-found" href="[^"]+">1<', html)
        assert html.count('<details class="grid-definition">') == 4  # each figure says what it counts
        assert len(full) == len(empty)
