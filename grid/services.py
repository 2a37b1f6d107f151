"""Writes of grid work: diary entries (once per phone-made key), entry → case, screening reports,
help requests. Late reports and late help requests are reminded by the reminder service's rules
(disputes.services.reminders.rules: GRID_REPORT_*, ORDER_*)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Area, Estate, User
from disputes import uploads
from disputes.models import Case, Party
from disputes.services.cases import PartyData, case_submit
from grid import stats
from grid.models import (
    ORDER_TRANSITIONS,
    Campaign,
    DiaryEntry,
    DiaryPhoto,
    GridMember,
    ScreeningReport,
    ServiceOrder,
)


class GridError(Exception):
    """A step that cannot be done; the message is shown to the user."""


@dataclass
class EntryData:
    grid: Area
    kind: str
    happened_at: datetime
    contact: str = DiaryEntry.Contact.VISIT
    estate: Estate | None = None
    building: str = ""
    household: str = ""
    people: str = ""
    found: str = ""
    action: str = ""
    result: str = ""


@transaction.atomic
def diary_entry_create(
    *, author: User, data: EntryData, idempotency_key: uuid.UUID, photos: list | None = None
) -> tuple[DiaryEntry, bool]:
    """Record an entry once per key: a phone that resends after a lost answer (or sends from two
    tabs) gets the row the first request made. Photos must have passed disputes.uploads.check_upload."""
    existing = DiaryEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    entry = DiaryEntry(author=author, idempotency_key=idempotency_key, **data.__dict__)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # The same key committed by a concurrent request between our check and our insert.
        return DiaryEntry.objects.get(idempotency_key=idempotency_key), False
    if entry.kind in stats.KIND_FIGURE:  # dashboard figures, same transaction
        stats.stat_add(
            grid_id=entry.grid_id, day=stats.local_day(entry.happened_at), **{stats.KIND_FIGURE[entry.kind]: 1}
        )
    for upload in photos or ():
        _photo_add(entry, upload)
    return entry, True


def _photo_add(entry: DiaryEntry, upload, *, removal: bool = False) -> DiaryPhoto:
    """A checked photo (forms: check_photo) stored with the entry, without its location (as
    evidence is); removal: of the hazard's removal."""
    stored = uploads.stored_file(upload)
    return DiaryPhoto.objects.create(
        entry=entry,
        removal=removal,
        file=stored,
        original_name=upload.name[:200],
        content_type=upload.content_type,
        size=stored.size,
    )


def diary_entry_to_case(*, entry: DiaryEntry, actor: User, category_id: int, title: str) -> Case:
    """Turn an entry into a case in one step: filed through case_submit with source "grid
    screening", the people met as applicant, the entry linked. A second click returns the same case
    (its idempotency key derives from the entry's)."""
    key = uuid.uuid5(entry.idempotency_key, "case")
    with transaction.atomic():
        case, _created = case_submit(
            filed_by=actor,
            parties=[PartyData(role=Party.Role.APPLICANT, name=entry.people or _("Residents met by the grid worker"))],
            category_id=category_id,
            area_id=entry.grid_id,
            estate_id=entry.estate_id,
            building=entry.building,
            address=entry.household,
            title=title,
            summary=entry.found or entry.get_kind_display(),
            request=entry.result or entry.action or "-",
            source=Case.Source.GRID_SCREENING,
            consent_sensitive=False,
            idempotency_key=key,
        )
        DiaryEntry.objects.filter(pk=entry.pk, case__isnull=True).update(case=case)
    entry.case = case
    return case


@transaction.atomic
def hazard_mark_removed(*, entry: DiaryEntry, actor: User | None = None, note: str = "", photo=None) -> DiaryEntry:
    """整改完成: the hazard an entry found is marked removed, once (a second mark changes nothing),
    with how and a photo; counted as "hazards removed" on the day (grid.stats)."""
    if entry.kind != DiaryEntry.Kind.HAZARD:
        raise GridError(_("Only a hazard can be marked as removed."))
    now = timezone.now()
    marked = DiaryEntry.objects.filter(pk=entry.pk, hazard_removed_at__isnull=True).update(
        hazard_removed_at=now, hazard_removed_by=actor, hazard_removed_note=note
    )
    if marked:
        stats.stat_add(grid_id=entry.grid_id, day=stats.local_day(now), hazards_removed=1)
        if photo is not None:
            _photo_add(entry, photo, removal=True)
    entry.refresh_from_db(fields=["hazard_removed_at", "hazard_removed_by", "hazard_removed_note"])
    return entry


# ---------------------------------------------------------------------------------------------
# Screening campaigns


@transaction.atomic
def campaign_start(
    *,
    actor: User,
    area: Area,
    title: str,
    period_start,
    period_end,
    due_at: datetime,
    checklist: str,
    repeats_monthly: bool = False,
) -> Campaign:
    if period_end < period_start:
        raise GridError(_("The period must end on or after its first day."))
    return Campaign.objects.create(
        created_by=actor,
        area=area,
        title=title,
        period_start=period_start,
        period_end=period_end,
        due_at=due_at,
        checklist=checklist,
        repeats_monthly=repeats_monthly,
    )


def _month_later(day: date) -> date:
    """The same day a month later; the last day of a month stays the last day (Jan 31 -> Feb 28
    -> Mar 31), so a period of whole months stays whole."""
    following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (following + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if (day + timedelta(days=1)).month != day.month:
        return last
    return following.replace(day=min(day.day, last.day))


def campaigns_repeat(*, today: date | None = None) -> int:
    """Start the next month of every monthly campaign whose period has ended: the same area,
    title and checklist, the period a month later, reports due as long after its end as before.
    Once per campaign (Campaign.previous is unique: a second run, or a second worker, makes
    nothing); a campaign missed for months is caught up month by month. Returns those made."""
    today = today or timezone.localdate()
    made = 0
    ended = Campaign.objects.filter(repeats_monthly=True, period_end__lt=today, next_campaign__isnull=True)
    for campaign in ended.order_by("pk"):
        while campaign is not None and campaign.period_end < today:
            end = _month_later(campaign.period_end)
            try:
                with transaction.atomic():
                    campaign = Campaign.objects.create(
                        previous=campaign,
                        created_by_id=campaign.created_by_id,
                        area_id=campaign.area_id,
                        title=campaign.title,
                        period_start=_month_later(campaign.period_start),
                        period_end=end,
                        due_at=campaign.due_at + (end - campaign.period_end),
                        checklist=campaign.checklist,
                        repeats_monthly=True,
                    )
            except IntegrityError:
                campaign = None  # another run made it
            else:
                made += 1
    return made


def campaign_grids(campaign: Campaign):
    """The grids a campaign covers: every grid in its area's subtree."""
    return Area.objects.filter(kind=Area.Kind.GRID, path__startswith=campaign.area.path)


def screening_report_file(
    *, campaign: Campaign, grid: Area, actor: User, checked: int, found: int = 0, fixed: int = 0, notes: str = ""
) -> ScreeningReport:
    """File (or correct) a grid's report; found == 0 is a zero report (零报告)."""
    if not grid.path.startswith(campaign.area.path) or grid.kind != Area.Kind.GRID:
        raise GridError(_("This grid is not part of the campaign."))
    if fixed > found:
        raise GridError(_("More problems fixed than found: check the numbers."))
    report, _created = ScreeningReport.objects.update_or_create(
        campaign=campaign,
        grid=grid,
        defaults={
            "checked": checked,
            "found": found,
            "fixed": fixed,
            "notes": notes,
            "filed_by": actor,
            "filed_at": timezone.now(),
        },
    )
    return report


# ---------------------------------------------------------------------------------------------
# 群众点单 · 社区派单 · 党员接单


@transaction.atomic
def order_post(
    *,
    posted_by: User,
    estate: Estate,
    building: str,
    what: str,
    needed_by: datetime,
    on_behalf_of: str = "",
) -> ServiceOrder:
    if estate.grid_id is None:
        raise GridError(_("This estate has no grid yet: ask the community office."))
    order = ServiceOrder.objects.create(
        requester=posted_by,
        posted_by=posted_by,
        on_behalf_of=on_behalf_of,
        grid_id=estate.grid_id,
        estate=estate,
        building=building,
        what=what,
        needed_by=needed_by,
    )
    stats.stat_add(grid_id=order.grid_id, day=stats.local_day(order.posted_at), orders_posted=1)
    return order


def _order_move(*, order: ServiceOrder, to: str, **fields) -> ServiceOrder:
    """The one writer of ServiceOrder.status: a conditional UPDATE on the status read with the
    order, so two people acting at once cannot both win."""
    old = order.status
    if to not in ORDER_TRANSITIONS.get(old, ()):
        raise GridError(
            _("An order that is “%(old)s” cannot become “%(new)s”.")
            % {"old": ServiceOrder.Status(old).label, "new": ServiceOrder.Status(to).label}
        )
    moved = ServiceOrder.objects.filter(pk=order.pk, status=old).update(status=to, **fields)
    if moved != 1:
        raise GridError(_("Someone else changed this order a moment ago. Reload it and try again."))
    order.status = to
    for name, value in fields.items():
        setattr(order, name, value)
    return order


def helpers_for(order: ServiceOrder):
    """Volunteers and party members registered with the order's community (or an area above it)."""
    paths = _ancestor_paths(order.grid.path)
    ids = GridMember.objects.filter(role__in=GridMember.HELPER_ROLES, area__path__in=paths).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "pk")


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


@transaction.atomic
def order_dispatch(*, order: ServiceOrder, actor: User, helper: User) -> ServiceOrder:
    """Give the order to a registered volunteer or party member, or to the dispatcher themselves."""
    if helper != actor and not helpers_for(order).filter(pk=helper.pk).exists():
        raise GridError(_("This person is not registered with the community as a volunteer."))
    return _order_move(
        order=order, to=ServiceOrder.Status.DISPATCHED, helper=helper, dispatched_at=timezone.now(), accepted_at=None
    )


@transaction.atomic
def order_accept(*, order: ServiceOrder, actor: User) -> ServiceOrder:
    if order.helper_id != actor.pk:
        raise GridError(_("Only the person the order was given to can take it."))
    now = timezone.now()
    order = _order_move(order=order, to=ServiceOrder.Status.ACCEPTED, accepted_at=now)
    stats.stat_add(grid_id=order.grid_id, day=stats.local_day(now), orders_taken=1)
    return order


@transaction.atomic
def order_done(*, order: ServiceOrder, actor: User, note: str, photo=None) -> ServiceOrder:
    if order.helper_id != actor.pk:
        raise GridError(_("Only the person who took the order can mark it done."))
    order = _order_move(order=order, to=ServiceOrder.Status.DONE, done_at=timezone.now(), done_note=note)
    if photo is not None:
        order.done_photo.save(photo.name, uploads.stored_file(photo), save=False)
        ServiceOrder.objects.filter(pk=order.pk).update(done_photo=order.done_photo.name)
    return order


@transaction.atomic
def order_confirm(*, order: ServiceOrder, actor: User, rating: int) -> ServiceOrder:
    if actor.pk not in (order.requester_id, order.posted_by_id):
        raise GridError(_("Only the resident who asked can confirm the order."))
    now = timezone.now()
    order = _order_move(order=order, to=ServiceOrder.Status.CONFIRMED, confirmed_at=now, rating=rating)
    satisfied = int(rating >= ServiceOrder.Rating.FAIR)
    stats.stat_add(grid_id=order.grid_id, day=stats.local_day(now), orders_done=1, orders_satisfied=satisfied)
    return order


def order_to_case(*, order: ServiceOrder, actor: User, category_id: int, title: str) -> Case:
    """A request that is really a dispute becomes a case in one step: the resident who asked is the
    applicant (their own account, so they follow it on their pages); the order is closed as "case"."""
    requester = order.requester
    with transaction.atomic():
        case, _created = case_submit(
            filed_by=actor,
            parties=[
                PartyData(
                    role=Party.Role.APPLICANT,
                    name=order.on_behalf_of or requester.full_name or requester.username,
                    phone="" if order.on_behalf_of else (requester.phone or ""),
                    user=None if order.on_behalf_of else requester,
                )
            ],
            category_id=category_id,
            area_id=order.grid_id,
            estate_id=order.estate_id,
            building=order.building,
            title=title,
            summary=order.what,
            request=order.what,
            source=Case.Source.GRID_SCREENING,
            consent_sensitive=False,
            idempotency_key=uuid.uuid5(uuid.NAMESPACE_URL, f"linli-order-{order.pk}"),
        )
        _order_move(order=order, to=ServiceOrder.Status.CASE, case_id=case.pk)
    return case
