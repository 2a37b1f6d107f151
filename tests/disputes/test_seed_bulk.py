"""seed_bulk: realistic synthetic cases, consistent figures, numbers that keep counting."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Area
from disputes import services, stats
from disputes.models import Case, CaseDayStat, CaseEvent, CaseMonthStat, FollowUp, Party
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _figures() -> set[tuple]:
    rows = set()
    for model, key in ((CaseDayStat, "day"), (CaseMonthStat, "month")):
        rows |= set(model.objects.values_list(key, "area_id", "category_id", *stats.COUNTER_FIELDS))
    return rows


class SeedBulkTests:
    def test_it_makes_cases_with_parties_events_and_follow_ups(self):
        call_command("seed_bulk", cases=400, stdout=io.StringIO())
        assert Area.objects.filter(kind=Area.Kind.GRID).exists()  # ran seed_demo first
        assert Case.objects.count() == 400
        assert Party.objects.count() == 800
        assert CaseEvent.objects.filter(kind=CaseEvent.Kind.SUBMITTED).count() == 400
        assert FollowUp.objects.exists()
        statuses = dict(Case.objects.values_list("status").annotate(n=Count("pk")))
        assert statuses[Case.Status.CLOSED] > 200
        assert {Case.Status.IN_MEDIATION, Case.Status.REJECTED} <= set(statuses)
        assert Case.objects.values("number").distinct().count() == 400
        # Every closed case has its dates in order.
        for c in Case.objects.filter(status=Case.Status.CLOSED, resolved_at__isnull=False)[:50]:
            assert c.submitted_at <= c.accepted_at <= c.resolved_at <= c.closed_at
            assert c.mediator_id is not None and c.next_due_at is None

    def test_its_figures_equal_a_rebuild_and_the_services_carry_on(self, alice, areas):
        call_command("seed_bulk", cases=300, stdout=io.StringIO())
        seeded = _figures()
        assert sum(r[3] for r in CaseDayStat.objects.values_list("day", "area_id", "category_id", "received")) == 300
        stats.stats_rebuild()
        assert _figures() == seeded
        # A case filed afterwards gets the next number of its year, not one seed_bulk used.
        grid = Area.objects.filter(kind=Area.Kind.GRID).first()
        case = make_case(applicant=alice, area=grid)
        assert Case.objects.filter(number=case.number).count() == 1
        services.case_withdraw(case=case, actor=alice)
        kept = _figures()
        stats.stats_rebuild()
        assert _figures() == kept
