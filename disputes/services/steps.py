"""Case steps that were missing (issue 11): set the risk level, report to the police (Art. 25),
and the "allowed now?" predicate of each, next to its service. The case page's buttons
(disputes/admin/case_steps.py) show a step when its predicate says yes, and the service refuses
when it says no, so the two cannot disagree. Every step writes through the lifecycle service
(`_case_write`): a stale page loses the race and writes nothing.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from disputes.models import Case, CaseEvent, PoliceReport, Reminder, Rule
from disputes.services.cases import CaseError, _case_write, case_event_record
from disputes.services.reminders import RULES, reminder_create

# --- Risk level ---------------------------------------------------------------------------------


def risk_set_allowed(case: Case) -> bool:
    """The risk of a case can be reassessed until it is finished."""
    return case.status not in Case.TERMINAL_STATUSES


@transaction.atomic
def case_set_risk(*, case: Case, actor: User, risk: str, reason: str) -> CaseEvent:
    """Set the risk level with its reason:

    1. refuse a finished case, an unknown level, the same level again or a missing reason;
    2. write the level through the lifecycle (refused if the case changed since it was loaded)
       with an internal RISK event;
    3. high risk: the supervisors of the case's subdistrict get an inbox message and an SMS
       (DESIGN §7), rows written in this transaction and sent after commit.
    """
    if not risk_set_allowed(case):
        raise CaseError(_("Case %(number)s is already finished.") % {"number": case.number})
    if risk not in Case.Risk.values:
        raise CaseError(_("Choose a risk level."))
    if risk == case.risk:
        raise CaseError(_("The risk level is already “%(risk)s”.") % {"risk": Case.Risk(risk).label})
    if not reason.strip():
        raise CaseError(_("Say why the risk level changes."))
    old = case.risk
    event = _case_write(
        case=case,
        fields={"risk": risk},
        actor=actor,
        kind=CaseEvent.Kind.RISK,
        note=reason,
        is_public=False,
        data={"from": old, "to": risk},
    )
    if risk == Case.Risk.HIGH:
        _notify_high_risk(case=case, event=event, reason=reason)
    return event


def _notify_high_risk(*, case: Case, event: CaseEvent, reason: str) -> None:
    # Its rule's template (templates/reminders/high_risk.txt) names no party: an SMS carries the
    # number and the reason, never the contents.
    spec = RULES[Rule.HIGH_RISK]
    for supervisor in spec.recipients(case):
        channels = [Reminder.Channel.INBOX] + ([Reminder.Channel.SMS] if supervisor.phone else [])
        for channel in channels:
            reminder_create(
                case=case,
                recipient=supervisor,
                rule=Rule.HIGH_RISK,
                period=str(event.pk),
                channel=channel,
                context={"reason": reason.strip()[:120]},
            )


# --- Report to the police (People's Mediation Law Art. 25) --------------------------------------


def police_report_allowed(case: Case) -> bool:
    """A dispute that may turn into a public-order or criminal case is reported while it is handled."""
    return case.status not in Case.TERMINAL_STATUSES


@transaction.atomic
def case_report_to_police(
    *,
    case: Case,
    actor: User,
    reported_by: str,
    reported_at: datetime,
    police_station: str,
    receipt_number: str,
    note: str = "",
) -> PoliceReport:
    """Record who reported the case to which police station, when, and the receipt number, with an
    internal POLICE_REPORT event (refused, with the report, if the case changed since it was loaded)."""
    if not police_report_allowed(case):
        raise CaseError(_("Case %(number)s is already finished.") % {"number": case.number})
    given = [
        (_("reported by"), reported_by),
        (_("reported at"), reported_at),
        (_("police station"), police_station),
        (_("receipt number"), receipt_number),
    ]
    missing = [label for label, value in given if not str(value or "").strip()]
    if missing:
        raise CaseError(_("Fill in: %(missing)s.") % {"missing": _("; ").join(missing)})
    if reported_at > timezone.now():
        raise CaseError(_("The report cannot be dated in the future."))
    report = PoliceReport.objects.create(
        case=case,
        reported_by=reported_by.strip(),
        reported_at=reported_at,
        police_station=police_station.strip(),
        receipt_number=receipt_number.strip(),
        note=note,
        recorded_by=actor,
    )
    case_event_record(
        case=case,
        actor=actor,
        kind=CaseEvent.Kind.POLICE_REPORT,
        note=_("Reported to %(station)s by %(who)s, receipt %(receipt)s.")
        % {"station": report.police_station, "who": report.reported_by, "receipt": report.receipt_number},
        is_public=False,
        data={"police_report": report.pk},
    )
    return report
