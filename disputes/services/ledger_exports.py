"""The ledger as a Celery job: the XLSX always, the CSV when it has more rows than
LEDGER_DIRECT_MAX_ROWS (a longer download would outlast the web's 30 s timeout and be cut
short). The web records the request and returns at once; a worker claims the row (pending →
running, a conditional UPDATE, so a second message does nothing), writes the file with
disputes/exports.py (the workbook page by page, noting its progress after every page; the CSV in
one COPY on PostgreSQL), and marks the row done (or failed with the error).

Every ledger with full phone and ID numbers (an administrator's) writes a PersonalDataView row:
who, when, which cases (the scope and filters) and how many rows (ledger_export_log).

Publishing never makes the web wait on a broker that is down: it is tried once, after commit, and a
failure only logs. The row stays pending and the per-minute beat task publishes it again.
"""

import logging
import tempfile
from datetime import timedelta

from celery import signature
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from config.inputs import parse_date
from disputes import broker, exports
from disputes.dashboard import period_from, scope_for
from disputes.models import LedgerExport, PersonalDataView

logger = logging.getLogger(__name__)

REQUEUE_AFTER = timedelta(minutes=1)
# A running row older than this lost its worker (the task's hard time limit is shorter).
STUCK_AFTER = timedelta(hours=2)
PARAMS = ("period", "from", "to", "area", "status", "category", "figure", "format")


def ledger_export_request(user: User, params: dict) -> LedgerExport:
    """Record an export of the ledger the user's dashboard filters select, and queue it after
    commit. The period is resolved now (this month stays the month it was requested in), and the
    area is checked against the user's scope now (PermissionDenied) and again when it runs."""
    period = period_from(params.get("period"), start=parse_date(params.get("from")), end=parse_date(params.get("to")))
    scope = scope_for(user, params.get("area"))
    export = LedgerExport.objects.create(
        requested_by=user,
        params={
            "period": period.key,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "area": scope.area.pk if scope.area else "",
            "status": str(params.get("status", "")),
            "category": str(params.get("category", "")),
            "figure": str(params.get("figure", "")),
        },
        format=params.get("format")
        if params.get("format") in LedgerExport.Format.values
        else LedgerExport.Format.XLSX,
    )
    pk = export.pk
    transaction.on_commit(lambda: ledger_export_enqueue(pk))
    return export


# Published by name: the tasks module imports this one, not the other way round.
EXPORT_TASK = signature("disputes.tasks.ledger_export_task")


def ledger_export_enqueue(export_id: int) -> bool:
    """Publish the job once, quickly; a broker failure is logged, not raised (call after commit)."""
    return broker.publish(EXPORT_TASK, args=[export_id], what=f"ledger export {export_id}")


def ledger_export_run(export_id: int) -> bool:
    """Claim the row and write the file. False if another run has claimed it (or it is finished)."""
    claimed = LedgerExport.objects.filter(pk=export_id, state=LedgerExport.State.PENDING).update(
        state=LedgerExport.State.RUNNING, rows_done=0
    )
    if not claimed:
        return False
    export = LedgerExport.objects.select_related("requested_by").get(pk=export_id)
    user = export.requested_by
    try:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            params = export.params
            period = period_from("custom", start=parse_date(params.get("from")), end=parse_date(params.get("to")))
            cases = ledger_cases(user, period=period, **_filters(params))
            total = cases.count()
            LedgerExport.objects.filter(pk=export_id).update(rows_total=total)

            def progress(done: int) -> None:
                LedgerExport.objects.filter(pk=export_id).update(rows_done=done)

            with tempfile.TemporaryFile() as out:
                if export.format == LedgerExport.Format.CSV:
                    done = exports.ledger_csv_write(cases, out, user=user)
                else:
                    done = exports.ledger_xlsx_write(cases, out, user=user, title=_("Ledger"), progress=progress)
                out.seek(0)
                export.file.save(f"ledger.{export.format}", File(out), save=False)
            ledger_export_log(
                user,
                where=f"ledger {export.format.upper()} export {export_id}",
                scope=ledger_scope_label(user, period=period, **_filters(params)),
                rows=done,
            )
    except Exception as exc:
        logger.exception("ledger export %s failed", export_id)
        if export.file:
            export.file.delete(save=False)
        LedgerExport.objects.filter(pk=export_id).update(
            state=LedgerExport.State.FAILED,
            error=str(exc)[:2000] or exc.__class__.__name__,
            finished_at=timezone.now(),
        )
        return False
    LedgerExport.objects.filter(pk=export_id).update(
        state=LedgerExport.State.DONE,
        file=export.file.name,
        rows_done=done,
        rows_total=done,
        finished_at=timezone.now(),
    )
    return True


def ledger_exports_dispatch(*, now=None) -> dict[str, int]:
    """Beat, every minute: publish pending rows older than a minute again (the broker was down or
    lost the message; a duplicate is harmless, the claim decides), and fail rows stuck running."""
    now = now or timezone.now()
    stuck = LedgerExport.objects.filter(state=LedgerExport.State.RUNNING, created_at__lt=now - STUCK_AFTER).update(
        state=LedgerExport.State.FAILED, error="interrupted", finished_at=now
    )
    ids = list(
        LedgerExport.objects.filter(state=LedgerExport.State.PENDING, created_at__lt=now - REQUEUE_AFTER).values_list(
            "pk", flat=True
        )[:100]
    )
    published = sum(1 for pk in ids if ledger_export_enqueue(pk))
    return {"exports_published": published, "exports_stuck": stuck}


def ledger_cases(user: User, *, period, area=None, status: str = "", category: str = "", figure: str = ""):
    """The cases of a ledger: the dashboard's filters, within the user's scope (PermissionDenied
    for an area outside it). The CSV view and the XLSX job both read them here."""
    scope = scope_for(user, area)
    return exports.ledger_queryset(
        area_ids=scope.area_ids,
        period=period,
        figure=figure,
        status=status,
        category=category,
    )


def ledger_direct_count(cases) -> int | None:
    """The rows of a ledger the web may write itself, or None when there are more than
    LEDGER_DIRECT_MAX_ROWS: a count that stops there (LIMIT), so it stays cheap at any size."""
    limit = settings.LEDGER_DIRECT_MAX_ROWS
    n = cases.order_by()[: limit + 1].count()
    return None if n > limit else n


def ledger_scope_label(
    user: User, *, period, area=None, status: str = "", category: str = "", figure: str = ""
) -> str:
    """Which cases a ledger holds, for the access log: the area, the period and the filters."""
    parts = [scope_for(user, area).name, f"{period.start.isoformat()}..{period.end.isoformat()}"]
    filters = (("figure", figure), ("status", status), ("category", category))
    parts += [f"{name}={value}" for name, value in filters if value]
    return "; ".join(parts)[:300]


def ledger_export_log(user: User, *, where: str, scope: str, rows: int) -> PersonalDataView | None:
    """Record that `user` took full phone and ID numbers out in a ledger (nothing when the
    ledger masks them)."""
    if not exports.shows_personal_data(user):
        return None
    return PersonalDataView.objects.create(user=user, where=where[:100], scope=scope, rows=rows)


def _filters(params: dict) -> dict:
    return {
        "area": params.get("area") or None,
        "status": params.get("status", ""),
        "category": params.get("category", ""),
        "figure": params.get("figure", ""),
    }
