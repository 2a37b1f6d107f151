"""The supervisor's pages: dashboard, supervision lists, ledger export and the period report."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.redirects import safe_next
from config.inputs import MAX_YEAR, MIN_YEAR, parse_date
from disputes import dashboard as dash
from disputes import exports
from disputes.models import LedgerExport
from disputes.services import ledger_exports
from disputes.services.cases import CaseError
from disputes.services.supervision import case_supervision_order
from disputes.visibility import cases_visible_to


def _require_supervisor(request) -> None:
    if not (request.user.is_superuser or request.user.is_supervisor):
        raise PermissionDenied


def _period(request, *, warn: bool = True) -> dash.Period:
    """The period of the query string; a page (warn) says so when custom dates were unusable."""
    g = request.GET
    start, end = parse_date(g.get("from")), parse_date(g.get("to"))
    if warn and g.get("period") == "custom" and not (start and end):
        messages.warning(
            request,
            _("A custom period needs two dates between %(first)s and %(last)s; this month is shown instead.")
            % {"first": MIN_YEAR, "last": MAX_YEAR},
        )
    return dash.period_from(g.get("period"), start=start, end=end)


def _filter_query(request, period: dash.Period, scope: dash.Scope) -> str:
    from urllib.parse import urlencode

    params = {"period": period.key}
    if period.key == "custom":
        params.update({"from": period.start.isoformat(), "to": period.end.isoformat()})
    if scope.area:
        params["area"] = scope.area.pk
    return urlencode(params)


def _headers() -> dict:
    flow = [_("Received"), _("Accepted"), pgettext("cases", "Resolved"), pgettext("cases", "Closed")]
    now = [_("Open"), _("Overdue")]
    return {
        "flow_headers": flow,
        "area_headers": [*flow, *now, _("Collective claims received"), _("Collective claims resolved")],
        "mediator_headers": now,
        "source_headers": [_("Received")],
    }


@login_required
def dashboard(request):
    _require_supervisor(request)
    period = _period(request)
    board = dash.dashboard_build(user=request.user, area_id=request.GET.get("area"), period=period)
    return render(
        request,
        "disputes/dashboard.html",
        {
            "board": board,
            "period": period,
            "periods": dash.PERIODS,
            "charts": dash.charts_for(board),
            "query": _filter_query(request, period, board.scope),
            "definitions": board.definitions,
            **_headers(),
        },
    )


@login_required
def supervision(request):
    _require_supervisor(request)
    scope = dash.scope_for(request.user, request.GET.get("area"))
    kind = request.GET.get("list") if request.GET.get("list") in dash.SUPERVISION_LISTS else "overdue"
    now = timezone.now()
    cases = dash.supervision_list(scope, kind, now=now)
    return render(
        request,
        "disputes/supervision.html",
        {
            "scope": scope,
            "kind": kind,
            "lists": dash.SUPERVISION_LISTS,
            "cases": cases,
            "now": now,
            "list_url": dash.case_list_url(scope, **dash.STOCK_PARAMS[kind]),
        },
    )


@login_required
@require_POST
def supervision_order(request, number: str):
    _require_supervisor(request)
    case = get_object_or_404(cases_visible_to(request.user).select_related("mediator"), number=number)
    try:
        case_supervision_order(case=case, actor=request.user, note=request.POST.get("note", "").strip()[:500])
    except CaseError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Supervision of case %(number)s ordered; %(mediator)s has been notified.")
            % {"number": case.number, "mediator": case.mediator},
        )
    return redirect(safe_next(request, "disputes:supervision", prefix="/dashboard/"))


@login_required
def ledger_export(request):
    """The CSV ledger, streamed, up to LEDGER_DIRECT_MAX_ROWS rows; a larger one is refused with a
    page that offers the job (a download past the server's timeout would arrive cut short). The
    XLSX ledger is always a job: see ledger_export_request."""
    _require_supervisor(request)
    period = _period(request, warn=False)  # a download: no page to show the message on
    filters = {
        "area": request.GET.get("area"),
        "status": request.GET.get("status", ""),
        "category": request.GET.get("category", ""),
        "figure": request.GET.get("figure", ""),
    }
    cases = ledger_exports.ledger_cases(request.user, period=period, **filters)
    rows = ledger_exports.ledger_direct_count(cases)
    if rows is None:
        job = {key: request.GET.get(key, "") for key in ledger_exports.PARAMS if key != "format"}
        job.update(period=period.key, **{"from": period.start.isoformat(), "to": period.end.isoformat()})
        return render(
            request,
            "disputes/ledger_too_large.html",
            {"limit": settings.LEDGER_DIRECT_MAX_ROWS, "job": job, "period": period},
        )
    ledger_exports.ledger_export_log(
        request.user,
        where="ledger CSV download",
        scope=ledger_exports.ledger_scope_label(request.user, period=period, **filters),
        rows=rows,
    )
    name = f"ledger-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    response = StreamingHttpResponse(exports.ledger_csv(cases, user=request.user), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
@require_POST
def ledger_export_request(request):
    """Queue an XLSX ledger of the dashboard's filters and show its progress."""
    _require_supervisor(request)
    params = {key: request.POST.get(key, "") for key in ledger_exports.PARAMS}
    export = ledger_exports.ledger_export_request(request.user, params)
    return redirect("disputes:ledger_export_status", pk=export.pk)


@login_required
def ledger_export_status(request, pk: int):
    export = get_object_or_404(LedgerExport, pk=pk, requested_by=request.user)
    return render(request, "disputes/ledger_export.html", {"export": export})


@login_required
def ledger_export_download(request, pk: int):
    export = get_object_or_404(LedgerExport, pk=pk, requested_by=request.user, state=LedgerExport.State.DONE)
    if not export.file:
        raise Http404
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:  # the nightly housekeeping deleted it after this row was loaded
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export.filename,
        content_type=export.content_type,
    )


@login_required
def period_report(request):
    _require_supervisor(request)
    period = _period(request)
    report = dash.report_build(user=request.user, area_id=request.GET.get("area"), period=period)
    return render(
        request,
        "disputes/report.html",
        {
            "report": report,
            "period": period,
            "periods": dash.PERIODS,
            "query": _filter_query(request, period, report.scope),
            "definitions": report.definitions,
            **_headers(),
        },
    )
