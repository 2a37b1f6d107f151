"""Writes of grid work: diary entries (once per phone-made key), entry → case, screening reports,
late-report notices (claimed once)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Area, Estate, User
from disputes.models import Case, Party
from disputes.services.cases import PartyData, case_submit
from grid.models import Campaign, DiaryEntry, DiaryPhoto, ScreeningReport


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
    DiaryEntry.objects.filter(pk=entry.pk, hazard_removed_at__isnull=True).update(hazard_removed_at=now)
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
