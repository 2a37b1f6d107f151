"""seed_demo_cases: the demo resident's own cases, filed through the services."""

import io

import pytest
from django.core.management import call_command

from disputes.models import Case, CaseEvent, Party

pytestmark = pytest.mark.django_db


def test_it_files_two_cases_for_resident1_once():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo_cases", stdout=io.StringIO())
    call_command("seed_demo_cases", stdout=io.StringIO())  # `make setup` runs it every time

    cases = Case.objects.filter(parties__user__username="resident1").order_by("submitted_at")
    assert [(c.title, c.status, c.mediator.username if c.mediator else None) for c in cases] == [
        ("楼上深夜噪音", Case.Status.IN_MEDIATION, "mediator1"),
        ("电梯经常停运", Case.Status.SUBMITTED, None),
    ]
    assert Party.objects.filter(user__username="resident2", role=Party.Role.RESPONDENT).count() == 1
    events = CaseEvent.objects.filter(case=cases[0]).exclude(new_status="").order_by("pk")
    assert list(events.values_list("new_status", flat=True)) == [
        Case.Status.SUBMITTED,
        Case.Status.ASSIGNED,
        Case.Status.IN_MEDIATION,
    ]


def test_without_the_demo_users_it_files_nothing(alice, areas):
    out = io.StringIO()
    call_command("seed_demo_cases", stdout=out)  # `make setup` on a real database must not fail
    assert "nothing filed" in out.getvalue()
    assert not Case.objects.exists()
