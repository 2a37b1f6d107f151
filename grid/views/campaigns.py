"""Screening campaigns: supervisors start them and watch the overview; grid workers file each
grid's report (or a zero report)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Area
from config.inputs import parse_id
from disputes.visibility import areas_visible_to
from grid import access, lists, selectors, services, stats
from grid.forms import CampaignForm, GridReportForm
from grid.models import Campaign


def _get_campaign(request, pk) -> Campaign:
    campaign_id = parse_id(pk)
    campaign = access.campaigns_visible_to(request.user).select_related("area").filter(pk=campaign_id).first()
    if campaign_id is None or campaign is None:
        raise Http404
    return campaign


def _report_grids(request, campaign: Campaign):
    """The campaign's grids this user files for."""
    if not access.keeps_diary(request.user):
        return Area.objects.none()  # a supervisor: no need to walk the campaign's grids
    # The campaign's grids that are the user's diary grids (access.can_report_for), in one query.
    return services.campaign_grids(campaign).filter(pk__in=access.grids_for_diary(request.user)).order_by("path")


def _supervised_areas(request):
    if not (request.user.is_supervisor or request.user.is_superuser):
        return Area.objects.none()
    return areas_visible_to(request.user).exclude(kind=Area.Kind.GRID).order_by("path")


@login_required
def campaign_list(request):
    areas = _supervised_areas(request)
    can_start = areas.exists()
    if not can_start and not access.keeps_diary(request.user):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, areas=areas) if can_start else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            if not access.can_start_campaign(request.user, data["area"]):
                raise PermissionDenied
            campaign = services.campaign_start(actor=request.user, **data)
            messages.success(request, _("The campaign was started."))
            return redirect("grid:campaign_detail", pk=campaign.pk)
    f = lists.GridFilter.from_query(request.user, request.GET)
    campaigns = access.campaigns_visible_to(request.user).filter(stats.due_in(f.start, f.end))
    # Each campaign with its report figures within the filter's area (those the dashboard sums,
    # grid.stats.report_counts), and the number in the chosen state.
    areas = [f.area] if f.area else access.work_areas(request.user)
    campaigns, more = lists.page_of(
        stats.campaigns_with_counts(campaigns, areas).select_related("area").order_by("-due_at", "-id"), f.page
    )
    now = timezone.now()
    for c in campaigns:
        figures = stats.report_counts(due_at=c.due_at, grids=c.grids, filed=c.filed, zero=c.zero, now=now)
        c.in_state = figures.get(f.state)
    context = {
        "campaigns": campaigns,
        "form": form,
        "filter": f,
        "state_label": STATE_FILTER_LABELS.get(f.state),
        "detail_query": f.query(page=1, start=None, end=None),
        "next_query": f.query(page=f.page + 1) if more else "",
        "previous_query": f.query(page=f.page - 1) if f.page > 1 else "",
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "grid/campaign_list.html", context, status=status)


STATE_FILTER_LABELS = {
    "due": gettext_lazy("Reports due"),
    "filed": gettext_lazy("Reports filed"),
    "zero": gettext_lazy("Zero reports"),
    "late": gettext_lazy("Reports late"),
}


@login_required
def campaign_detail(request, pk):
    campaign = _get_campaign(request, pk)
    return _detail(request, campaign, GridReportForm(grids=_report_grids(request, campaign)))


def _detail(request, campaign, report_form, status=200):
    f = lists.GridFilter.from_query(request.user, request.GET)
    user = request.user
    # The grids the user covers (a grid worker their own; a community's supervisor those of their
    # community in a district's campaign), narrowed to the dashboard's area when it links here.
    within = [f.area] if f.area else None if user.is_superuser else access.work_areas(user)
    rows, counts = selectors.campaign_overview(campaign, within=within)
    if f.state:
        rows = [r for r in rows if r.state in lists.REPORT_STATES[f.state]]
    context = {
        "campaign": campaign,
        "rows": rows,
        "filter": f,
        "state_label": STATE_FILTER_LABELS.get(f.state),
        "counts": [(selectors.STATE_LABELS[k], k, v) for k, v in counts.items()],
        "report_form": report_form if report_form.fields["grid"].queryset.exists() else None,
    }
    return render(request, "grid/campaign_detail.html", context, status=status)


@login_required
@require_POST
def campaign_report(request, pk):
    campaign = _get_campaign(request, pk)
    grids = _report_grids(request, campaign)
    if not grids:
        raise PermissionDenied
    form = GridReportForm(request.POST, grids=grids)
    if not form.is_valid():
        return _detail(request, campaign, form, status=400)
    data = form.cleaned_data
    try:
        report = services.screening_report_file(
            campaign=campaign,
            grid=data["grid"],
            actor=request.user,
            checked=data["checked"],
            found=data["found"],
            fixed=data["fixed"],
            notes=data["notes"],
        )
    except services.GridError as exc:
        form.add_error(None, str(exc))
        return _detail(request, campaign, form, status=400)
    if report.is_zero:
        messages.success(request, _("Zero report filed for %(grid)s.") % {"grid": report.grid})
    else:
        messages.success(request, _("Report filed for %(grid)s.") % {"grid": report.grid})
    return redirect("grid:campaign_detail", pk=campaign.pk)
