"""Each threshold and clock decided once (issue 11): the policy in force is stamped on the case, and
every reader — the reminder scan, the admin badge and filter, the Case properties, the dashboard
figure and its list, the ledger — counts the same cases; editing a policy re-stamps open cases."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from disputes import dashboard as dash
from disputes import deadlines, exports, services
from disputes.models import Case, ClockRestamp, DeadlinePolicy, Reminder
from disputes.services import clocks
from disputes.services.reminders import reminders_scan
from tests.factories import backdate, make_case, make_user, neighbours_category

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:disputes_case_changelist")
DAY = timedelta(days=1)


def _listed(client, **params) -> set[str]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {case.number for case in response.context["cl"].result_list}


def _ledger(client, figure: str) -> set[str]:
    response = client.get(reverse("disputes:ledger_export"), {"period": "year", "figure": figure})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return {row[0] for row in rows[1:]}


@pytest.fixture
def admin_user(areas):
    return make_user("root", role=User.Role.ADMINISTRATOR, areas=[areas["D"]], is_superuser=True, is_staff=True)


@pytest.fixture
def clock_cast(areas, alice, bob, mia, sam):
    """Three cases in mediation, stamped under the default policy (90 days legacy, 3 days due soon):
    old: submitted 60 days and an hour ago; soon: its resolution deadline 4 days away; fresh."""
    now = timezone.now()
    make = lambda: make_case(applicant=alice, respondent=bob, area=areas["G1"], status="in_mediation", actor=mia)  # noqa: E731
    old, soon, fresh = make(), make(), make()
    backdate(old, submitted_at=now - 60 * DAY - timedelta(hours=1), resolve_started_at=now - 10 * DAY)
    backdate(soon, resolve_started_at=now - 26 * DAY)
    return {"old": old, "soon": soon, "fresh": fresh}


class PolicyInForceTests:
    def test_one_function_picks_the_most_specific_policy(self, areas):
        category = neighbours_category()
        DeadlinePolicy.objects.create(category=None, tier=None, legacy_days=100)
        DeadlinePolicy.objects.create(category=None, tier=Case.Tier.COMMUNITY, legacy_days=80)
        DeadlinePolicy.objects.create(category=category, tier=None, legacy_days=60)
        book = deadlines.PolicyBook()

        assert book.get(category_id=category.pk, tier=Case.Tier.COMMUNITY).legacy_days == 60
        assert book.get(category_id=None, tier=Case.Tier.COMMUNITY).legacy_days == 80
        assert book.get(category_id=None, tier=Case.Tier.GRID).legacy_days == 100
        assert deadlines.policy_for(category_id=category.pk, tier=Case.Tier.GRID).legacy_days == 60
        with translation.override("en"):
            assert book.days_text("legacy_days") == "100 (all categories / Community: 80; 邻里纠纷 / all tiers: 60)"

    def test_non_default_days_count_the_same_cases_everywhere_and_an_edit_restamps(
        self, clock_cast, admin_user, sam, client, django_capture_on_commit_callbacks
    ):
        old, soon, fresh = clock_cast["old"], clock_cast["soon"], clock_cast["fresh"]
        # Under the defaults nothing is legacy and the deadline 4 days away is not yet due soon.
        assert not old.is_legacy and not soon.is_due_soon

        # The administrator adds a policy in the admin: 60 days legacy, 5 days due soon.
        client.force_login(admin_user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:disputes_deadlinepolicy_add"),
                {**_policy_form(category=old.category_id), "legacy_days": 60, "due_soon_days": 5},
            )
        assert response.status_code == 302
        job = ClockRestamp.objects.get()
        assert (job.state, job.cases_total, job.cases_done, job.cases_changed) == ("done", 3, 3, 3)

        now = timezone.now()
        for case in clock_cast.values():
            case.refresh_from_db()
        # The Case properties read the stamped columns.
        assert [c.is_legacy for c in (old, soon, fresh)] == [True, False, False]
        assert [c.is_due_soon for c in (old, soon, fresh)] == [False, True, False]
        assert old.legacy_at == old.submitted_at + 60 * DAY
        assert soon.due_soon_at == soon.next_due_at - 5 * DAY

        # The reminder scan.
        reminders_scan(now=now)
        assert set(Reminder.objects.filter(rule="legacy").values_list("case__number", flat=True)) == {old.number}
        assert set(Reminder.objects.filter(rule="due_soon").values_list("case__number", flat=True)) == {soon.number}

        # The admin list: the filters and the badge.
        client.force_login(sam)
        assert _listed(client, deadline="legacy") == {old.number}
        assert _listed(client, deadline="due_soon") == {soon.number}
        page = client.get(CHANGELIST).content.decode()
        assert page.count("linli-deadline-yellow") == 1

        # The dashboard figures, and the lists behind them.
        board = dash.dashboard_build(user=sam, period=dash.period_from("year"))
        assert (board.stock.totals["legacy"], board.stock.totals["due_soon"]) == (1, 1)
        cards = {card["key"]: card for card in board.stock_cards()}
        for key, case in (("legacy", old), ("due_soon", soon)):
            listing = client.get(cards[key]["url"])
            assert {c.number for c in listing.context["cl"].result_list} == {case.number}
            assert [c.number for c in dash.supervision_list(board.scope, key)] == [case.number]
        # The definitions quote the configured days.
        assert "60" in board.definitions["legacy"] and "5" in board.definitions["due_soon"]

        # The ledger of each figure.
        assert _ledger(client, "legacy") == {old.number}
        assert _ledger(client, "due_soon") == {soon.number}

        # Editing the policy back to 90 days re-stamps the open cases: nothing is legacy now.
        client.force_login(admin_user)
        policy = DeadlinePolicy.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("admin:disputes_deadlinepolicy_change", args=[policy.pk]),
                {**_policy_form(category=old.category_id), "legacy_days": 90, "due_soon_days": 5},
            )
        assert ClockRestamp.objects.filter(state="done").count() == 2
        old.refresh_from_db()
        assert old.legacy_at == old.submitted_at + 90 * DAY and not old.is_legacy
        client.force_login(sam)
        assert _listed(client, deadline="legacy") == set()
        assert dash.dashboard_build(user=sam, period=dash.period_from("year")).stock.totals["legacy"] == 0

    def test_a_restamping_is_claimed_once_and_goes_on_after_a_lost_worker(self, clock_cast):
        policy = DeadlinePolicy(category=clock_cast["old"].category, legacy_days=60)
        job = clocks.deadline_policy_save(policy=policy)
        # A worker died after the first case: the beat hands the row back, the next run goes on.
        first = min(c.pk for c in clock_cast.values())
        ClockRestamp.objects.filter(pk=job.pk).update(
            state="running", claimed_at=timezone.now() - timedelta(hours=1), last_case_id=first, cases_done=1
        )
        assert clocks.clocks_restamp_run(job.pk) is False  # running elsewhere: not claimed twice
        assert clocks.clocks_restamp_dispatch()["restamps_reset"] == 1
        assert clocks.clocks_restamp_run(job.pk) is True
        assert clocks.clocks_restamp_run(job.pk) is False
        job.refresh_from_db()
        assert (job.state, job.cases_done, job.percent) == ("done", 3, 100)

    def test_a_restamping_is_a_write_so_a_form_loaded_before_it_is_refused(self, clock_cast, mia):
        old = clock_cast["old"]
        stale = Case.objects.get(pk=old.pk)
        policy = DeadlinePolicy(category=old.category, legacy_days=60)
        job = clocks.deadline_policy_save(policy=policy)
        clocks.clocks_restamp_run(job.pk)
        old.refresh_from_db()
        assert old.version == stale.version + 1  # the re-stamping is a write: a stale form is refused
        with pytest.raises(services.StaleCase):
            services.case_extend(case=stale, actor=mia, consent_note="Both agreed by phone.")


def _policy_form(*, category) -> dict:
    return {
        "category": category,
        "tier": "",
        "accept_days": 3,
        "acknowledge_days": 1,
        "resolve_days": 30,
        "extension_days": 30,
        "follow_up_days": 15,
        "confirmation_days": 30,
        "legacy_days": 90,
        "due_soon_days": 3,
    }


class ResolvedCountTests:
    """化解 has one definition: the card, the rate, the breakdowns, the report's sentence, the
    list behind the card and the ledger give the same count."""

    def test_the_card_the_rate_the_report_and_the_ledger_agree(self, areas, alice, bob, mia, otto, sam, client):
        def case(status, area="G1", mediator=mia):
            return make_case(
                applicant=alice, respondent=bob, area=areas[area], status=status, actor=sam, mediator=mediator
            )

        case("resolved")
        case("closed")
        case("resolved", area="C2", mediator=otto)
        reopened = case("closed")
        services.case_reopen(case=reopened, actor=mia, reason="The agreement was not kept.")
        terminated = case("in_mediation")
        services.case_terminate(case=terminated, actor=mia, routes_advised="Court.")
        case("in_mediation")
        case("submitted")

        client.force_login(sam)
        period = dash.period_from("year")
        board = dash.dashboard_build(user=sam, period=period)
        resolved = 3  # the two in Community 1 and the one in Community 2; the reopened one no longer counts
        card = next(c for c in board.flow_cards() if c["key"] == "resolved")
        rate = next(r for r in board.rates if r["key"] == "resolution_rate")["rate"]
        assert card["value"] == resolved
        assert (rate.numerator, rate.denominator) == (resolved, resolved + 1)  # + the terminated one
        resolved_column = list(dash.TREND_MEASURES).index("resolved")
        assert sum(row["cells"][resolved_column]["value"] for row in board.category_rows()) == resolved
        assert sum(row["cells"][resolved_column]["value"] for row in board.area_rows()) == resolved
        assert client.get(card["url"]).context["cl"].result_count == resolved

        report = client.get(reverse("disputes:period_report"), {"period": "year"})
        sentence = report.content.decode().split('id="report-summary">')[1].split("</p>")[0]
        assert f"其中化解 {resolved} 件" in sentence and "75.0%" in sentence

        assert len(_ledger(client, "resolved")) == resolved
        scope = dash.scope_for(sam)
        assert exports.ledger_queryset(area_ids=scope.area_ids, period=period, figure="resolved").count() == resolved
