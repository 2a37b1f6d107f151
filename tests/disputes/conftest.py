"""Fixtures shared by the ledger tests (test_exports.py: CSV; test_ledger_export.py: the XLSX job)."""

import pytest

from disputes.models import Case
from tests.factories import make_case


@pytest.fixture
def cases(areas, alice, bob, carol, mia, otto, sam):
    """c1: Mia's case in Community 1, in mediation; c2: Otto's case in Community 2, assigned."""
    return {
        "c1": make_case(
            applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=sam, mediator=mia
        ),
        "c2": make_case(applicant=carol, area=areas["C2"], status=Case.Status.ASSIGNED, actor=sam, mediator=otto),
    }
