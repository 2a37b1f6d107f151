"""The dashboard's figures on a constructed data set where every number is known."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from disputes import dashboard as dash
from disputes import services, stats
from disputes.models import Case, CaseDayStat, CaseMonthStat
from tests.factories import backdate, make_case, make_user

pytestmark = pytest.mark.django_db

URL = "/dashboard/"


def _period(days_back: int = 40) -> dash.Period:
    today = timezone.localdate()
    return dash.Period("custom", today - timedelta(days=days_back), today)


def _stat_rows() -> set[tuple]:
    """Both figure tables, without rows that have dropped to zero."""
    rows = set()
    for model, key in ((CaseDayStat, "day"), (CaseMonthStat, "month")):
        fields = (key, "area_id", "category_id", *stats.COUNTER_FIELDS)
        rows |= {(key, *r) for r in model.objects.values_list(*fields) if any(r[3:])}
    return rows


@pytest.fixture
def cast(areas, alice, bob, mia, otto, sam):
    """Six cases: A resolved, B closed, C unassigned, D rejected, E reopened (in C1's grid),
    F assigned in Community 2."""
    G1, C2 = areas["G1"], areas["C2"]
    cases = {
        "A": make_case(applicant=alice, area=G1, status=Case.Status.RESOLVED, actor=sam, mediator=mia),
        "B": make_case(applicant=alice, area=G1, status=Case.Status.CLOSED, actor=sam, mediator=mia),
        "C": make_case(applicant=bob, area=G1),
        "D": make_case(applicant=bob, area=G1, status=Case.Status.REJECTED, actor=sam),
        "E": make_case(applicant=alice, area=G1, status=Case.Status.CLOSED, actor=sam, mediator=mia),
        "F": make_case(applicant=bob, area=C2, status=Case.Status.ASSIGNED, actor=sam, mediator=otto),
    }
    services.case_reopen(case=cases["E"], actor=mia, reason="The agreement was not kept.")
    return cases


class DashboardFiguresTests:
    def test_it_counts_flows_and_rates_exactly(self, cast, sam):
        board = dash.dashboard_build(user=sam, period=_period())
        t = board.flows.totals
        assert (t["received"], t["accepted"], t["resolved"], t["closed"]) == (6, 4, 2, 1)
        rates = {r["key"]: r["rate"] for r in board.rates}
        # Mediation ended for A and B, both resolved; E was resolved, then reopened: it no longer counts.
        assert (rates["resolution_rate"].numerator, rates["resolution_rate"].denominator) == (2, 2)
        assert rates["resolution_rate"].percent == "100.0%"
        assert rates["on_time_rate"].value == 1.0
        assert rates["timely_acceptance_rate"].value == 1.0
        assert board.flows.average_days == 0.0

    def test_it_counts_the_open_cases_now(self, cast, sam):
        board = dash.dashboard_build(user=sam, period=_period())
        assert board.stock.totals == {
            "open": 3,  # C submitted, E reopened, F assigned
            "overdue": 0,
            "due_soon": 2,  # C must be accepted and F acknowledged within 3 days
            "unassigned": 1,
            "legacy": 0,
            "suspended": 0,
            "collective": 0,
        }
        by_mediator = {m["name"]: (m["open"], m["overdue"]) for m in board.stock.by_mediator}
        assert by_mediator == {"Mia Chen": (1, 0), "Otto Sun": (1, 0)}

    def test_a_reopened_case_stops_counting_as_resolved_and_closed(self, cast, sam):
        e = cast["E"]
        e.refresh_from_db()
        assert e.status == Case.Status.IN_MEDIATION and e.resolved_at is None
        board = dash.dashboard_build(user=sam, period=_period())
        assert board.flows.totals["closed"] == 1  # B only

    def test_the_daily_figures_kept_by_the_services_equal_a_rebuild(self, cast):
        kept = _stat_rows()
        assert kept
        stats.stats_rebuild()
        assert _stat_rows() == kept

    def test_late_work_lowers_the_timeliness_rates_and_raises_the_average(self, cast, sam):
        now = timezone.now()
        a = cast["A"]
        # A: submitted 12 days ago, accepted after its 3-day deadline, resolved after its 30-day one.
        Case.objects.filter(pk=a.pk).update(
            submitted_at=now - timedelta(days=12),
            accept_due_at=now - timedelta(days=9),
            accepted_at=now - timedelta(days=5),
            resolve_due_at=now - timedelta(hours=1),
        )
        stats.stats_rebuild()
        board = dash.dashboard_build(user=sam, period=_period())
        rates = {r["key"]: r["rate"] for r in board.rates}
        assert (rates["timely_acceptance_rate"].numerator, rates["timely_acceptance_rate"].denominator) == (3, 4)
        assert (rates["on_time_rate"].numerator, rates["on_time_rate"].denominator) == (1, 2)
        # A took 12 days, B none: 6.0 days on average.
        assert board.flows.average_days == 6.0

    def test_all_overdue(self, cast, sam):
        past = timezone.now() - timedelta(days=2)
        Case.objects.filter(status__in=Case.OPEN_STATUSES).update(next_due_at=past)
        Case.objects.filter(status=Case.Status.RESOLVED).update(next_due_at=None)
        board = dash.dashboard_build(user=sam, period=_period())
        assert board.stock.totals["overdue"] == board.stock.totals["open"] == 3
        assert dash.supervision_list(board.scope, "overdue")[0].days_overdue == 2

    def test_legacy_and_collective(self, cast, sam):
        backdate(cast["C"], submitted_at=timezone.now() - timedelta(days=91), is_collective=True)
        board = dash.dashboard_build(user=sam, period=_period())
        assert board.stock.totals["legacy"] == 1
        assert board.stock.totals["collective"] == 1

    def test_nothing_received(self, cast, sam):
        today = timezone.localdate()
        period = dash.Period("custom", today - timedelta(days=800), today - timedelta(days=700))
        board = dash.dashboard_build(user=sam, period=period)
        assert all(v == 0 for v in board.flows.totals.values())
        assert [r["rate"].percent for r in board.rates] == ["—"] * 5
        assert board.flows.average_days is None

    def test_follow_ups_give_performance_and_satisfaction(self, cast, sam, mia):
        from disputes.services.closure import follow_up_record

        for case, performing, satisfaction in [
            ("B", "yes", "satisfied"),
            ("A", "no", "basically_satisfied"),
            ("A", "", "dissatisfied"),
        ]:
            cast[case].refresh_from_db()
            follow_up_record(
                case=cast[case], actor=mia, method="phone", performing=performing, satisfaction=satisfaction
            )
        board = dash.dashboard_build(user=sam, period=_period())
        rates = {r["key"]: r["rate"] for r in board.rates}
        assert (rates["performance_rate"].numerator, rates["performance_rate"].denominator) == (1, 2)
        assert (rates["satisfaction_rate"].numerator, rates["satisfaction_rate"].denominator) == (2, 3)
        kept = _stat_rows()
        stats.stats_rebuild()
        assert _stat_rows() == kept

    def test_periods(self):
        from datetime import date

        today = date(2026, 11, 22)  # a Sunday
        assert dash.period_from("week", today=today) == dash.Period("week", date(2026, 11, 16), today)
        assert dash.period_from("month", today=today).start == date(2026, 11, 1)
        assert dash.period_from("quarter", today=today).start == date(2026, 10, 1)
        assert dash.period_from("year", today=today).start == date(2026, 1, 1)
        custom = dash.period_from("custom", start=date(2026, 3, 9), end=date(2026, 2, 1), today=today)
        assert (custom.start, custom.end) == (date(2026, 2, 1), date(2026, 3, 9))


class DashboardScopeTests:
    @pytest.fixture
    def cathy(self, areas):
        return make_user("cathy", role=User.Role.SUPERVISOR, areas=[areas["C1"]], full_name="Cathy Ma")

    def test_a_community_supervisor_sees_only_their_community(self, cast, cathy, areas, client):
        board = dash.dashboard_build(user=cathy, period=_period())
        assert board.flows.totals["received"] == 5  # not F in Community 2
        assert board.stock.totals["open"] == 2
        assert [m["name"] for m in board.stock.by_mediator] == ["Mia Chen"]
        assert [r["area"] for r in board.flows.by_area] == [areas["G1"]]  # grids of Community 1
        assert all(f"area={areas['C1'].pk}" in card["url"] for card in board.flow_cards() + board.stock_cards())
        client.force_login(cathy)
        page = client.get(URL, {"period": "custom", "from": _period().start, "to": _period().end})
        assert page.status_code == 200
        assert 'id="kpi-received" href="' in page.content.decode()
        assert page.context["board"].flows.totals["received"] == 5
        assert "Community 2" not in page.content.decode()

    def test_another_area_is_refused(self, cast, cathy, areas, client):
        client.force_login(cathy)
        assert client.get(URL, {"area": areas["C2"].pk}).status_code == 403

    def test_subdistrict_supervisor_gets_communities_rows(self, cast, sue, areas):
        board = dash.dashboard_build(user=sue, period=_period())
        assert [r["area"] for r in board.flows.by_area] == [areas["C1"]]
        assert board.flows.totals["received"] == 5

    def test_area_selector_narrows_a_district_supervisor(self, cast, sam, areas):
        board = dash.dashboard_build(user=sam, area_id=str(areas["C2"].pk), period=_period())
        assert board.flows.totals["received"] == 1
        assert board.stock.totals["open"] == 1

    def test_the_selector_offers_the_grids_of_the_chosen_community_only(self, cast, sam, areas, client):
        # A district has hundreds of grids: the selector lists every level down to the
        # communities, and the grids of the community in view; any of them can still be asked for.
        def offered(**query) -> list[str]:
            page = client.get(URL, query)
            assert page.status_code == 200
            return [a.name for a in page.context["board"].scope.menu]

        client.force_login(sam)
        assert offered() == ["District", "Sub 1", "Community 1", "Sub 2", "Community 2"]
        assert offered(area=areas["C1"].pk) == ["District", "Sub 1", "Community 1", "Grid 1", "Sub 2", "Community 2"]
        assert "Grid 2" in offered(area=areas["G2"].pk)
        page = client.get(URL, {"area": areas["G2"].pk})
        assert f'<option value="{areas["G2"].pk}" selected>' in page.content.decode()


class DashboardPageTests:
    def test_it_shows_every_kpi_with_definition_and_links(self, cast, sam, client):
        client.force_login(sam)
        page = client.get(URL, {"period": "custom", "from": _period().start, "to": _period().end})
        html = page.content.decode()
        for key in (
            "received",
            "accepted",
            "resolved",
            "closed",
            "overdue",
            "due_soon",
            "unassigned",
            "legacy",
            "suspended",
        ):
            assert f'id="kpi-{key}"' in html
        # flows, stock figures (suspended included), rates, and the five claim figures
        assert html.count("<details>") == 4 + 7 + 6 + 5
        # Weekly, monthly, category and source charts, as SVG images (inline SVG would need inline styles).
        assert html.count('src="data:image/svg+xml;base64,') == 4
        assert "cdn" not in html.lower() and "kozea.github.io" not in html
        changelist = reverse("admin:disputes_case_changelist")
        assert f'href="{changelist}?area=' in html and "submitted_at__gte=" in html
        assert "deadline=overdue" in html and "assigned=unassigned" in html

    def test_the_links_lead_to_lists_with_the_same_numbers(self, cast, sam, client, areas):
        client.force_login(sam)
        board = dash.dashboard_build(user=sam, period=_period())
        for card in board.flow_cards() + board.stock_cards():
            listing = client.get(card["url"])
            assert listing.status_code == 200, card["url"]
            assert listing.context["cl"].result_count == card["value"], card["key"]

    def test_residents_and_mediators_are_refused(self, alice, mia, client):
        for user in (alice, mia):
            client.force_login(user)
            assert client.get(URL).status_code == 403

    def test_anonymous_users_are_sent_to_sign_in(self, client):
        response = client.get(URL)
        assert response.status_code == 302 and "login" in response["Location"]


class DashboardQueryCountTests:
    def test_the_query_count_does_not_grow_with_the_data(self, areas, sam, client):
        client.force_login(sam)
        call_command("seed_bulk", cases=10, stdout=io.StringIO())
        client.get(URL, {"period": "year"})  # warm the session and content types
        with CaptureQueriesContext(connection) as small:
            assert client.get(URL, {"period": "year"}).status_code == 200
        call_command("seed_bulk", cases=990, stdout=io.StringIO())
        with CaptureQueriesContext(connection) as large:
            assert client.get(URL, {"period": "year"}).status_code == 200
        assert Case.objects.count() == 1000
        assert len(large) == len(small)
        # 13 for the disputes' figures (the mediators' names apart from the grouped stock), +2 for
        # the grid figures beside them (grid.stats.grid_figures), +1 for the menu's "field diary"
        # link (grid.access.keeps_diary), +1 for the collective claims received and resolved
        # (disputes.dashboard.claims).
        assert len(small) <= 17
