"""Four-party meetings (DESIGN §5): create with the default seats, record attendance, hold, and
track the resolutions to completion. Holding a meeting and completing a resolution are events on
the cases they concern, written through the lifecycle service."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Area, Estate, User
from disputes.models import AgendaItem, Case, CaseEvent, Meeting, MeetingSeat, Resolution, SeatTemplate
from disputes.services.cases import CaseError, case_event_record


@transaction.atomic
def meeting_create(
    *,
    community: Area,
    topic: str,
    scheduled_at: datetime,
    place: str,
    actor: User | None,
    estate: Estate | None = None,
    cases: list[Case] | tuple = (),
    **fields,
) -> Meeting:
    """A scheduled meeting with the active default seats copied in and one agenda item per case."""
    if community.kind != Area.Kind.COMMUNITY:
        raise CaseError(_("A four-party meeting is convened by a community."))
    if not topic.strip() or not place.strip():
        raise CaseError(_("Give the topic and the place of the meeting."))
    meeting_check_estate(community=community, estate=estate)
    meeting = Meeting.objects.create(
        community=community,
        estate=estate,
        topic=topic,
        scheduled_at=scheduled_at,
        place=place,
        created_by=actor,
        **fields,
    )
    MeetingSeat.objects.bulk_create(
        MeetingSeat(
            meeting=meeting,
            role=t.name,
            organisation=_seat_organisation(t, estate),
            required=t.required,
            order=t.order,
        )
        for t in SeatTemplate.objects.filter(is_active=True)
    )
    AgendaItem.objects.bulk_create(AgendaItem(meeting=meeting, case=case, order=i) for i, case in enumerate(cases))
    return meeting


def meeting_check_estate(*, community: Area, estate: Estate | None) -> None:
    """An estate of another community would fill the seats with its owners' committee and property
    manager: refuse it."""
    if estate is not None and estate.community_id != community.pk:
        raise CaseError(
            _("The estate %(estate)s is not in %(community)s.") % {"estate": estate.name, "community": community.name}
        )


def _seat_organisation(template: SeatTemplate, estate: Estate | None):
    # The estate knows its property manager and owners' committee: fill them in.
    if estate is None:
        return None
    return {
        "property_manager": estate.property_manager,
        "owners_committee": estate.owners_committee,
    }.get(template.organisation_kind)


def meeting_seat_record(
    *, seat: MeetingSeat, attendance: str, attendee_name: str = "", absence_reason: str = ""
) -> MeetingSeat:
    """Record who sat in a seat, or why it was empty."""
    if attendance == MeetingSeat.Attendance.EXCUSED and not absence_reason.strip():
        raise CaseError(_("Give the reason for the absence."))
    seat.attendance, seat.attendee_name, seat.absence_reason = attendance, attendee_name, absence_reason
    seat.save(update_fields=["attendance", "attendee_name", "absence_reason"])
    return seat


def meeting_cases(meeting: Meeting) -> list[Case]:
    """Every case the meeting concerns: on its agenda or named by one of its resolutions."""
    ids = set(meeting.agenda_items.filter(case__isnull=False).values_list("case_id", flat=True))
    ids |= set(meeting.resolutions.filter(case__isnull=False).values_list("case_id", flat=True))
    return list(Case.objects.filter(pk__in=ids).order_by("pk"))


def _meeting_note(meeting: Meeting) -> str:
    # Public: the date and the place, never the internal minutes.
    return _("Four-party meeting on %(date)s at %(place)s") % {
        "date": formats.date_format(timezone.localtime(meeting.held_at or meeting.scheduled_at), "DATE_FORMAT"),
        "place": meeting.place,
    }


@transaction.atomic
def meeting_record_held(*, meeting: Meeting, actor: User, held_at: datetime | None = None) -> Meeting:
    """Record that the meeting took place.

    1. Refuse unless it is still scheduled.
    2. Refuse while a required seat is neither present nor excused (absent with a reason).
    3. Mark it held and write a public MEETING event on every case it concerns.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise CaseError(
            _("This meeting is “%(status)s” and cannot be recorded as held.")
            % {"status": meeting.get_status_display()}
        )
    missing = [seat.role for seat in meeting.seats.filter(required=True) if not seat.is_satisfied]
    if missing:
        raise CaseError(
            _("The meeting cannot be recorded as held: required seats are neither present nor excused: %(seats)s.")
            % {"seats": ", ".join(missing)}
        )
    # Held when it was scheduled, unless the user enters another time (or it was scheduled later).
    held_at = held_at or min(meeting.scheduled_at, timezone.now())
    if held_at > timezone.now() + timedelta(minutes=5):
        raise CaseError(_("A meeting cannot be recorded as held in the future."))
    meeting.status = Meeting.Status.HELD
    meeting.held_at = held_at
    meeting.save(update_fields=["status", "held_at"])
    note = _meeting_note(meeting)
    for case in meeting_cases(meeting):
        case_event_record(case=case, actor=actor, kind=CaseEvent.Kind.MEETING, note=note, data={"meeting": meeting.pk})
    return meeting


def meeting_cancel(*, meeting: Meeting, actor: User) -> Meeting:
    if meeting.status != Meeting.Status.SCHEDULED:
        raise CaseError(_("Only a scheduled meeting can be cancelled."))
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    meeting.status = Meeting.Status.CANCELLED
    return meeting


def resolution_add(
    *,
    meeting: Meeting,
    text: str,
    due_date: date | None,
    actor: User | None,
    owner: User | None = None,
    owner_name: str = "",
    case: Case | None = None,
) -> Resolution:
    """A resolution needs what it is, who owns it and by when."""
    if not text.strip():
        raise CaseError(_("Write what was resolved."))
    if owner is None and not owner_name.strip():
        raise CaseError(_("Name who is responsible for this resolution."))
    if due_date is None:
        raise CaseError(_("Set a due date for this resolution."))
    return Resolution.objects.create(
        meeting=meeting, text=text, due_date=due_date, owner=owner, owner_name=owner_name, case=case
    )


def resolution_set_status(*, resolution: Resolution, status: str, actor: User | None) -> Resolution:
    """Open, in progress or cancelled; completion goes through resolution_complete."""
    if status == Resolution.Status.DONE:
        raise CaseError(_("Record the completion with a note."))
    resolution.status = status
    resolution.save(update_fields=["status"])
    return resolution


@transaction.atomic
def resolution_complete(*, resolution: Resolution, actor: User, note: str) -> Resolution:
    """Mark a resolution done with a note, and write a public RESOLUTION event on the case it names
    (or, for a general estate topic, on every case of its meeting)."""
    if not note.strip():
        raise CaseError(_("Say how the resolution was completed."))
    claimed = (
        Resolution.objects.filter(pk=resolution.pk)
        .exclude(status__in=[Resolution.Status.DONE, Resolution.Status.CANCELLED])
        .update(status=Resolution.Status.DONE, completion_note=note, completed_at=timezone.now())
    )
    if claimed != 1:
        raise CaseError(_("This resolution is already done or cancelled."))
    resolution.refresh_from_db()
    cases = [resolution.case] if resolution.case_id else meeting_cases(resolution.meeting)
    event_note = _("Resolution done: %(text)s — %(note)s") % {"text": resolution.text, "note": note}
    for case in cases:
        case.refresh_from_db()  # the version may have moved since the caller loaded it
        case_event_record(
            case=case, actor=actor, kind=CaseEvent.Kind.RESOLUTION, note=event_note, data={"resolution": resolution.pk}
        )
    return resolution
