"""Each closing outcome and its required fields, through the lifecycle service."""

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from disputes.models import Agreement, Case, CaseEvent
from disputes.services import closure as svc
from disputes.services.cases import CaseError
from tests.factories import agreement_contents, make_case

pytestmark = pytest.mark.django_db
Out = Case.Outcome


@pytest.fixture
def case(alice, bob, mia, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


def _refused(case, mia, message, **kwargs):
    events = case.events.count()
    with pytest.raises(CaseError) as exc:
        svc.case_close_with_outcome(case=case, actor=mia, **kwargs)
    assert str(exc.value) == gettext(message)
    case.refresh_from_db()
    assert case.status == Case.Status.IN_MEDIATION and case.outcome == ""
    assert case.events.count() == events


class ClosureTests:
    def test_reconciled_needs_a_summary(self, case, mia):
        _refused(case, mia, "Write a closing summary.", outcome=Out.RECONCILED, summary=" ")
        svc.case_close_with_outcome(case=case, actor=mia, outcome=Out.RECONCILED, summary="Shook hands.")
        case.refresh_from_db()
        assert case.status == Case.Status.RESOLVED and case.outcome == Out.RECONCILED
        assert case.outcome_summary == "Shook hands." and case.follow_up_due_at is not None

    def test_a_written_agreement_outcome_needs_an_effective_agreement_and_a_summary(self, case, mia):
        message = "Record the agreement and let it take effect before closing with it."
        _refused(case, mia, message, outcome=Out.WRITTEN_AGREEMENT, summary="Signed.")
        svc.agreement_create(case=case, actor=mia, **agreement_contents(terms="Quiet after 20:00"))
        _refused(case, mia, message, outcome=Out.WRITTEN_AGREEMENT, summary="Signed.")
        Agreement.objects.filter(case=case).update(effective_at="2026-01-01T00:00Z")
        _refused(case, mia, "Write a closing summary.", outcome=Out.WRITTEN_AGREEMENT, summary="")
        svc.case_close_with_outcome(case=case, actor=mia, outcome=Out.WRITTEN_AGREEMENT, summary="Signed.")
        case.refresh_from_db()
        assert case.status == Case.Status.RESOLVED and case.outcome == Out.WRITTEN_AGREEMENT

    def test_an_oral_agreement_outcome_needs_the_recorded_oral_agreement(self, case, mia):
        _refused(
            case,
            mia,
            "Record the agreement and let it take effect before closing with it.",
            outcome=Out.ORAL_AGREEMENT,
            summary="Agreed orally.",
        )
        svc.agreement_create(
            case=case,
            actor=mia,
            kind=Agreement.Kind.ORAL,
            oral_content="Bob apologised.",
            reached_on=timezone.localdate(),
        )
        case.refresh_from_db()
        svc.case_close_with_outcome(case=case, actor=mia, outcome=Out.ORAL_AGREEMENT, summary="Agreed orally.")
        case.refresh_from_db()
        assert case.outcome == Out.ORAL_AGREEMENT and case.status == Case.Status.RESOLVED

    def test_terminated_needs_the_routes_advised(self, case, mia):
        _refused(
            case,
            mia,
            "Record which other routes (arbitration, administrative, court) the parties were told of.",
            outcome=Out.TERMINATED,
            summary="Bob refused.",
        )
        svc.case_close_with_outcome(
            case=case, actor=mia, outcome=Out.TERMINATED, summary="Bob refused.", routes_advised="Court"
        )
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED and case.outcome == Out.TERMINATED
        assert case.routes_advised == "Court"
        assert case.events.filter(kind=CaseEvent.Kind.STATUS, new_status=Case.Status.CLOSED).exists()

    def test_referred_needs_the_target(self, case, mia):
        _refused(case, mia, "Say where the case is referred to.", outcome=Out.REFERRED, referral_target=" ")
        svc.case_close_with_outcome(case=case, actor=mia, outcome=Out.REFERRED, referral_target="Labour arbitration")
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED and case.outcome == Out.REFERRED
        assert case.referral_target == "Labour arbitration"

    def test_an_unknown_outcome_is_refused(self, case, mia):
        _refused(case, mia, "Choose how the case ends.", outcome=Out.WITHDRAWN, summary="x")
