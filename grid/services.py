"""Writes of grid work: diary entries (once per phone-made key), entry → case, screening reports,
late-report notices (claimed once)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Area, Estate, User
from disputes.models import Case, InboxMessage, Party
from disputes.services.cases import PartyData, case_submit
from grid import stats
from grid.models import (
    ORDER_TRANSITIONS,
    Campaign,
    CampaignNotice,
    DiaryEntry,
    DiaryPhoto,
    GridMember,
    OrderNotice,
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
        upload.seek(0)
        DiaryPhoto.objects.create(
            entry=entry,
            file=upload,
            original_name=upload.name[:200],
            content_type=upload.content_type,
            size=upload.size,
        )
    return entry, True


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
def hazard_mark_removed(*, entry: DiaryEntry) -> DiaryEntry:
    if entry.kind != DiaryEntry.Kind.HAZARD:
        raise GridError(_("Only a hazard can be marked as removed."))
    now = timezone.now()
    if DiaryEntry.objects.filter(pk=entry.pk, hazard_removed_at__isnull=True).update(hazard_removed_at=now):
        stats.stat_add(grid_id=entry.grid_id, day=stats.local_day(now), hazards_removed=1)
    entry.refresh_from_db(fields=["hazard_removed_at"])
    return entry


# ---------------------------------------------------------------------------------------------
# Screening campaigns


@transaction.atomic
def campaign_start(
    *, actor: User, area: Area, title: str, period_start, period_end, due_at: datetime, checklist: str
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
    )


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
# Late screening reports: reminded once, then put before the tier above


# A grid that has not reported by the due time is reminded (the first miss); if it still has not
# reported this long after the due time (the second miss), the staff of the community above it
# are told. Kept in code so it gets reviewed, like the beat schedule.
ESCALATE_AFTER = timedelta(days=2)
# Campaigns older than this are not scanned any more (the scan stays cheap as campaigns pile up).
SCAN_WINDOW = timedelta(days=90)


def campaign_late_scan(*, now: datetime | None = None) -> int:
    """Create the notices late grids are due (one row per campaign, grid and stage: the unique
    constraint makes a second scan or a concurrent worker a no-op), then deliver each unsent one.
    Returns the number of notices delivered by this call."""
    now = now or timezone.now()
    campaigns = Campaign.objects.filter(due_at__lte=now, due_at__gte=now - SCAN_WINDOW).select_related("area")
    rows = []
    for campaign in campaigns:
        reported = ScreeningReport.objects.filter(campaign=campaign).values("grid_id")
        late = campaign_grids(campaign).exclude(pk__in=reported).values_list("pk", flat=True)
        reminded = set(
            CampaignNotice.objects.filter(campaign=campaign, stage=CampaignNotice.Stage.REMINDER).values_list(
                "grid_id", flat=True
            )
        )
        for grid_id in late:
            rows.append(CampaignNotice(campaign=campaign, grid_id=grid_id, stage=CampaignNotice.Stage.REMINDER))
            if grid_id in reminded and now >= campaign.due_at + ESCALATE_AFTER:
                rows.append(CampaignNotice(campaign=campaign, grid_id=grid_id, stage=CampaignNotice.Stage.ESCALATION))
    CampaignNotice.objects.bulk_create(rows, ignore_conflicts=True)
    sent = 0
    for notice_id in CampaignNotice.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        sent += campaign_notice_send(notice_id=notice_id)
    return sent


def _notice_recipients(notice: CampaignNotice) -> list[User]:
    if notice.stage == CampaignNotice.Stage.REMINDER:
        # The grid's own workers and heads (a head of the community's grids too).
        ids = [m.user_id for m in GridMember.objects.filter(role__in=GridMember.DIARY_ROLES).select_related("area")
               if notice.grid.path.startswith(m.area.path)]  # fmt: skip
        return list(User.objects.filter(pk__in=ids, is_active=True))
    # The tier above: staff who serve the grid's community (or an area above it).
    community = notice.grid.parent
    return list(
        User.objects.filter(is_active=True, role__in=User.STAFF_ROLES, areas__pk=community.pk).distinct()
    ) or list(User.objects.filter(is_active=True, role=User.Role.SUPERVISOR, areas__pk=community.parent_id).distinct())


def campaign_notice_send(*, notice_id: int) -> bool:
    """Claim the notice and write its inbox messages in one transaction: both happen or neither,
    and a second worker finds the claim taken."""
    with transaction.atomic():
        claimed = CampaignNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(sent_at=timezone.now())
        if claimed != 1:
            return False
        notice = CampaignNotice.objects.select_related("campaign", "grid", "grid__parent").get(pk=notice_id)
        recipients = _notice_recipients(notice)
        with translation.override(settings.LANGUAGE_CODE):
            params = {"campaign": notice.campaign.title, "grid": notice.grid.name}
            if notice.stage == CampaignNotice.Stage.REMINDER:
                subject = _("Screening report late: %(grid)s, %(campaign)s") % params
                body = _("The report of %(grid)s for “%(campaign)s” was due and has not been filed. "
                         "File it now, or a zero report if nothing was found.") % params  # fmt: skip
            else:
                subject = _("Still no screening report from %(grid)s: %(campaign)s") % params
                body = _("%(grid)s was reminded and has still not filed its report for “%(campaign)s”. "
                         "It is now before you, the tier above.") % params  # fmt: skip
        for user in recipients:
            InboxMessage.objects.get_or_create(
                recipient=user, source_key=f"grid-notice-{notice.pk}", defaults={"subject": subject, "body": body}
            )
        CampaignNotice.objects.filter(pk=notice.pk).update(recipients=[u.pk for u in recipients])
    return True


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
        photo.seek(0)
        order.done_photo.save(photo.name, photo, save=False)
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


# Unaccepted orders are reminded after this long; open orders past their "needed by" are reminded,
# and put before the community's staff this long after it.
ORDER_UNACCEPTED_AFTER = timedelta(hours=24)
ORDER_ESCALATE_AFTER = timedelta(days=1)


def order_late_scan(*, now: datetime | None = None) -> int:
    """Create the notices late orders are due (one row per order and stage), then deliver them."""
    now = now or timezone.now()
    rows = []
    unaccepted = ServiceOrder.objects.filter(
        status__in=[ServiceOrder.Status.POSTED, ServiceOrder.Status.DISPATCHED],
        posted_at__lte=now - ORDER_UNACCEPTED_AFTER,
    )
    rows += [
        OrderNotice(order_id=pk, stage=OrderNotice.Stage.UNACCEPTED) for pk in unaccepted.values_list("pk", flat=True)
    ]
    overdue = ServiceOrder.objects.filter(status__in=ServiceOrder.OPEN_STATUSES, needed_by__lte=now)
    rows += [OrderNotice(order_id=pk, stage=OrderNotice.Stage.OVERDUE) for pk in overdue.values_list("pk", flat=True)]
    escalate = overdue.filter(needed_by__lte=now - ORDER_ESCALATE_AFTER)
    rows += [
        OrderNotice(order_id=pk, stage=OrderNotice.Stage.ESCALATION) for pk in escalate.values_list("pk", flat=True)
    ]
    OrderNotice.objects.bulk_create(rows, ignore_conflicts=True)
    sent = 0
    for notice_id in OrderNotice.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        sent += order_notice_send(notice_id=notice_id)
    return sent


def _grid_workers_of(grid: Area) -> list[int]:
    return [m.user_id for m in GridMember.objects.filter(role__in=GridMember.DIARY_ROLES).select_related("area")
            if grid.path.startswith(m.area.path)]  # fmt: skip


def _community_staff_of(grid: Area) -> list[int]:
    return list(
        User.objects.filter(is_active=True, role__in=User.STAFF_ROLES, areas__pk=grid.parent_id)
        .distinct()
        .values_list("pk", flat=True)
    )


def order_notice_send(*, notice_id: int) -> bool:
    """Claim the notice and write its inbox messages in one transaction."""
    with transaction.atomic():
        claimed = OrderNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(sent_at=timezone.now())
        if claimed != 1:
            return False
        notice = OrderNotice.objects.select_related("order__grid").get(pk=notice_id)
        order = notice.order
        if notice.stage == OrderNotice.Stage.ESCALATION:
            recipients = _community_staff_of(order.grid)
        elif notice.stage == OrderNotice.Stage.OVERDUE and order.helper_id:
            recipients = [order.helper_id]
        else:
            recipients = _grid_workers_of(order.grid)
        with translation.override(settings.LANGUAGE_CODE):
            params = {"what": order.what[:40], "grid": order.grid.name, "stage": notice.get_stage_display()}
            subject = _("Help request %(stage)s: %(what)s") % params
            body = _("The help request “%(what)s” in %(grid)s: %(stage)s.") % params
        for user_id in recipients:
            InboxMessage.objects.get_or_create(
                recipient_id=user_id, source_key=f"grid-order-{notice.pk}", defaults={"subject": subject, "body": body}
            )
        OrderNotice.objects.filter(pk=notice.pk).update(recipients=recipients)
    return True
