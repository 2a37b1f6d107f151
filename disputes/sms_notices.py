"""Which case events reach the parties by SMS (issue 15), as outbox rows written in the event's
transaction (accounts.sms_outbox: claimed once, retried with back-off, FAILED visible).

- filing: a receipt to the applicant who filed online (a staff-registered applicant gets the
  case link instead, disputes.services.parties.case_link_send);
- acceptance: the case number and the mediator's name;
- a four-party meeting's invitation with its time and place (meeting_sms);
- a written agreement ready to sign (agreement_sms);
- closure; and, on resolution, a satisfaction SMS queued for the follow-up day (15 days by default).

Who: parties whose account has a verified phone and keeps "Tell me by SMS" on (their link is the
case page), and the applicant of a staff-registered case without an account (their link is their
signed case link). SMS carry the number and a link, never case contents (accounts/sms.py).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import formats, timezone, translation

from accounts.sms_outbox import sms_queue
from disputes import deadlines
from disputes.models import Case, CaseEvent, Party


def _template_for(event: CaseEvent) -> str:
    if event.kind == CaseEvent.Kind.SUBMITTED:
        return "case_receipt"
    if event.kind == CaseEvent.Kind.ASSIGNED and event.new_status == Case.Status.ASSIGNED:
        return "case_accepted"
    if event.new_status == Case.Status.RESOLVED:
        return "satisfaction"
    if event.new_status == Case.Status.CLOSED:
        return "case_closed"
    return ""


def _recipients(case: Case, *, template: str) -> list[tuple[Party, str]]:
    """(party, link) for each party who hears about the case by SMS."""
    from disputes.services.parties import case_link_url  # parties imports the lifecycle, which imports us

    result = []
    for party in case.parties.select_related("user"):
        if template == "case_receipt" and party.role != Party.Role.APPLICANT:
            continue
        user = party.user
        if user is not None:
            if user.is_active and user.notify_sms and user.has_verified_phone:
                result.append((party, settings.SITE_URL + case.get_absolute_url()))
        elif _walk_in_applicant(case, party) and template != "case_receipt":  # the case link was their receipt
            result.append((party, case_link_url(party)))
    return result


def _walk_in_applicant(case: Case, party: Party) -> bool:
    return party.role == Party.Role.APPLICANT and case.source != Case.Source.ONLINE and bool(party.phone)


def event_sms(*, event: CaseEvent) -> None:
    from disputes.services.parties import satisfaction_url

    template = _template_for(event)
    if not template:
        return
    case = event.case
    params = {"number": case.number}
    available_at = None
    if template == "case_accepted":
        params["mediator"] = str(case.mediator) if case.mediator_id else ""
    if template == "satisfaction":
        policy = deadlines.policy_for(category_id=case.category_id, tier=case.tier)
        available_at = event.created_at + timedelta(days=policy.follow_up_days)
    for party, link in _recipients(case, template=template):
        phone = party.user.phone if party.user_id else party.phone
        if template == "satisfaction" and party.phone:
            link = satisfaction_url(party)  # one click, no sign-in (FixMyStreet's questionnaire)
        sms_queue(
            key=f"event:{event.pk}:{party.pk}",
            phone=phone,
            template=template,
            params={**params, "link": link},
            available_at=available_at,
        )


def meeting_sms(*, meeting, cases) -> None:
    """The invitation to a four-party meeting, with its time and place, to the parties of each
    case on its agenda (once per meeting and party)."""
    with translation.override(settings.LANGUAGE_CODE):  # the SMS is rendered in the site's language
        when = formats.date_format(timezone.localtime(meeting.scheduled_at), "SHORT_DATETIME_FORMAT")
    for case in cases:
        for party, link in _recipients(case, template="meeting"):
            sms_queue(
                key=f"meeting:{meeting.pk}:{party.pk}",
                phone=party.user.phone if party.user_id else party.phone,
                template="meeting",
                params={"number": case.number, "when": when, "place": meeting.place, "link": link},
            )


def agreement_sms(*, agreement) -> None:
    """A written agreement is drafted: the parties are asked to come and sign (once per agreement)."""
    case = agreement.case
    for party, link in _recipients(case, template="agreement_ready"):
        sms_queue(
            key=f"agreement:{agreement.pk}:{party.pk}",
            phone=party.user.phone if party.user_id else party.phone,
            template="agreement_ready",
            params={"number": case.number, "link": link},
        )
