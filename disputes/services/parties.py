"""The parties of a case: linking them to accounts, adding them, their consent on paper, and the
SMS link that opens a case for a walk-in applicant without a password.

- A party is linked to an account only when the account has *verified* the party's phone by SMS
  code (accounts.phone_verification) and the holder confirms "this is me" (`party_link`). Nothing
  links a party to an account by a phone number alone: that was the takeover of issue 15.
- Staff record consent or refusal given on paper with its date and scan
  (`party_record_paper_consent`): a refusal ends mediation through the lifecycle
  (services.cases.party_record_consent, Art. 17). Staff add parties with services.party_add
  (the workbench's parties document); nothing there links an account either.
- A walk-in or hotline applicant gets an SMS with a signed, expiring link to their one case
  (`case_link_send`); an expired link is renewed by a code sent to the party's phone.
"""

from datetime import date

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.sms_outbox import sms_queue
from disputes.models import Case, CaseEvent, Party
from disputes.services.cases import CaseError, case_event_record, evidence_attach, party_record_consent

CASE_LINK_SALT = "disputes.case_link"


# --- Linking a party to an account -------------------------------------------------------------


@transaction.atomic
def party_link(*, party: Party, user: User) -> CaseEvent:
    """The holder of a verified phone confirms they are `party`: link it, record the event.

    Refused unless the account's verified phone is the party's, the party has no account yet and
    the case is open. The conditional UPDATE makes two confirmations (or two accounts) race safely.
    """
    if not user.has_verified_phone or party.phone != user.phone:
        raise CaseError(_("Verify your mobile number first: only the number named in the case can be linked."))
    if party.case.status not in Case.OPEN_STATUSES:
        raise CaseError(_("This case has ended; it can no longer be linked."))
    if Party.objects.filter(case_id=party.case_id, user=user).exists():
        raise CaseError(_("You already take part in this case."))
    now = timezone.now()
    linked = Party.objects.filter(pk=party.pk, user__isnull=True, phone=user.phone).update(user=user, linked_at=now)
    if linked != 1:
        raise CaseError(_("This party was already confirmed by an account."))
    party.user, party.linked_at = user, now
    return case_event_record(
        case=party.case,
        actor=user,
        kind=CaseEvent.Kind.PARTY_LINKED,
        note=_("%(role)s %(name)s now follows the case online.")
        % {"role": party.get_role_display(), "name": party.name},
        data={"party": party.pk},
    )


# --- Staff: consent on paper ------------------------------------------------------------------


@transaction.atomic
def party_record_paper_consent(
    *, party: Party, actor: User, consents: bool, given_on: date, scan=None, note: str = ""
) -> CaseEvent:
    """Consent or refusal a party signed on paper: the date and the scan are kept with the party,
    then the lifecycle records it (a refusal ends mediation, Art. 17)."""
    if given_on > timezone.localdate():
        raise CaseError(_("The date the party signed cannot be in the future."))
    evidence = None
    if scan is not None:
        description = _("Consent to mediation of %(name)s") if consents else _("Refusal of mediation of %(name)s")
        evidence = evidence_attach(
            case=party.case, upload=scan, uploaded_by=actor, description=description % {"name": party.name}
        )
    Party.objects.filter(pk=party.pk).update(consent_given_on=given_on, consent_scan=evidence)
    party.consent_given_on, party.consent_scan = given_on, evidence
    return party_record_consent(party=party, consents=consents, actor=actor, note=note)


# --- The walk-in applicant's SMS link ----------------------------------------------------------


def case_link_token(party: Party) -> str:
    """A signed token naming one party of one case (and its phone: a corrected number voids it)."""
    return signing.dumps({"p": party.pk, "t": party.phone}, salt=CASE_LINK_SALT, compress=True)


def satisfaction_url(party: Party) -> str:
    """The satisfaction SMS's link: the party's rating page, without signing in (a case link)."""
    return settings.SITE_URL + reverse("disputes:case_link_rate", args=[case_link_token(party)])


def case_link_url(party: Party) -> str:
    return settings.SITE_URL + reverse("disputes:case_link", args=[case_link_token(party)])


class CaseLinkInvalid(Exception):
    pass


def case_link_party(token: str) -> tuple[Party, bool]:
    """(party, expired) for a token this site signed; CaseLinkInvalid for anything else.

    An expired token still names its party (the signature is checked): its page offers a code to
    that party's phone for a new link, and shows nothing of the case.
    """
    expired = False
    try:
        value = signing.loads(token, salt=CASE_LINK_SALT, max_age=settings.CASE_LINK_DAYS * 86400)
    except signing.SignatureExpired:
        expired = True
        value = signing.loads(token, salt=CASE_LINK_SALT)
    except signing.BadSignature as exc:
        raise CaseLinkInvalid from exc
    if not isinstance(value, dict):
        raise CaseLinkInvalid
    party = (
        Party.objects.select_related("case", "case__category", "case__area", "case__mediator")
        .filter(pk=value.get("p"))
        .first()
    )
    if party is None or not party.phone or party.phone != value.get("t"):
        raise CaseLinkInvalid
    return party, expired


def case_link_send(*, party: Party, renewal: int = 0) -> None:
    """The SMS with the case number and the party's link (once per party; a renewal is its own)."""
    if not party.phone:
        return
    sms_queue(
        key=f"case_link:{party.pk}:{renewal}",
        phone=party.phone,
        template="case_link",
        params={"number": party.case.number, "link": case_link_url(party)},
    )
