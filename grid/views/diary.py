"""The field diary on a phone (民情日记): write an entry (also from the phone's outbox, see
static/grid/diary.js), read one, turn it into a case."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Estate
from config.inputs import parse_id
from disputes.services.cases import CaseError
from grid import access, lists, selectors, services
from grid.forms import DiaryEntryForm, EntryToCaseForm, HazardRemovedForm
from grid.models import DiaryEntry

# The outbox script sends this header: it wants JSON, not a page.
OUTBOX_HEADER = "X-Linli-Outbox"


def _diary_keeper_required(request):
    if not access.keeps_diary(request.user):
        raise PermissionDenied


def _get_entry(request, pk) -> DiaryEntry:
    entry_id = parse_id(pk)
    related = ("grid", "estate", "case", "author", "hazard_removed_by")
    entry = access.diary_entries_visible_to(request.user).select_related(*related)
    entry = entry.filter(pk=entry_id).first() if entry_id else None
    if entry is None:
        raise Http404
    return entry


def _entry_data(form: DiaryEntryForm) -> services.EntryData:
    data = form.cleaned_data
    fields = ("grid", "kind", "happened_at", "contact", "estate", "building", "household", "people", "found")
    return services.EntryData(**{f: data[f] for f in fields}, action=data["action"], result=data["result"])


@login_required
def diary(request):
    _diary_keeper_required(request)
    grids = access.grids_for_diary(request.user).order_by("path")
    outbox = request.headers.get(OUTBOX_HEADER) == "1"
    if request.method == "POST":
        form = DiaryEntryForm(request.POST, request.FILES, grids=grids)
        if form.is_valid():
            entry, created = services.diary_entry_create(
                author=request.user,
                data=_entry_data(form),
                idempotency_key=form.cleaned_data["idempotency_key"],
                photos=form.accepted_photos,
            )
            if outbox:
                return JsonResponse({"id": entry.pk, "created": created}, status=201 if created else 200)
            messages.success(request, _("The entry was saved in your diary."))
            return redirect("grid:diary")
        if outbox:
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
            return JsonResponse({"errors": errors}, status=400)
        status = 400
    else:
        form = DiaryEntryForm(grids=grids)
        status = 200
    estates = Estate.objects.filter(grid__in=grids).order_by("name")
    context = {"form": form, "entries": selectors.diary_list_for(request.user), "estates": estates}
    return render(request, "grid/diary.html", context, status=status)


def _entry_page(request, entry, *, case_form=None, removed_form=None, status=200):
    context = {
        "entry": entry,
        "case_form": case_form or EntryToCaseForm(initial={"title": (entry.found or entry.get_kind_display())[:100]}),
        "photos": list(entry.photos.order_by("pk").values("original_name", "removal")),
    }
    open_hazard = entry.kind == DiaryEntry.Kind.HAZARD and entry.hazard_removed_at is None
    if open_hazard and access.can_follow_up(request.user, entry):
        context["removed_form"] = removed_form or HazardRemovedForm()
    return render(request, "grid/entry_detail.html", context, status=status)


@login_required
def entry_detail(request, pk):
    return _entry_page(request, _get_entry(request, pk))


@login_required
@require_POST
def entry_hazard_removed(request, pk):
    """整改完成: the grid worker marks the hazard the entry found as removed, with a note and a photo."""
    entry = _get_entry(request, pk)
    if entry.kind != DiaryEntry.Kind.HAZARD or not access.can_follow_up(request.user, entry):
        raise PermissionDenied
    form = HazardRemovedForm(request.POST, request.FILES)
    if not form.is_valid():
        return _entry_page(request, entry, removed_form=form, status=400)
    if entry.hazard_removed_at is not None:
        messages.info(request, _("This hazard was already marked as removed."))
        return redirect("grid:entry_detail", pk=entry.pk)
    services.hazard_mark_removed(
        entry=entry, actor=request.user, note=form.cleaned_data["note"], photo=form.cleaned_data["photo"]
    )
    messages.success(request, _("The hazard is marked as removed."))
    return redirect("grid:entry_detail", pk=entry.pk)


@login_required
@require_POST
def entry_to_case(request, pk):
    entry = _get_entry(request, pk)
    if not access.keeps_diary(request.user) or entry.case_id:
        raise PermissionDenied
    form = EntryToCaseForm(request.POST)
    if not form.is_valid():
        return _entry_page(request, entry, case_form=form, status=400)
    try:
        case = services.diary_entry_to_case(
            entry=entry,
            actor=request.user,
            category_id=form.cleaned_data["category"].pk,
            title=form.cleaned_data["title"],
        )
    except CaseError as exc:
        messages.error(request, str(exc))
        return redirect("grid:entry_detail", pk=entry.pk)
    messages.success(request, _("Case %(number)s was filed from this entry.") % {"number": case.number})
    return redirect("grid:entry_detail", pk=entry.pk)


@login_required
def entry_list(request):
    """The entries of the user's areas (a supervisor's, a grid head's), filtered by kind, period
    and grid: the list behind the dashboard's diary figures. Names and households are masked (the
    entry's page shows them to whom grid.access lets in); one page at a time, in constant queries."""
    if not access.work_areas(request.user):
        raise PermissionDenied
    f = lists.GridFilter.from_query(request.user, request.GET)
    entries, more = lists.page_of(lists.diary_entries_for(request.user, f), f.page)
    context = {
        "entries": entries,
        "filter": f,
        "kinds": DiaryEntry.Kind.choices,
        "next_query": f.query(page=f.page + 1) if more else "",
        "previous_query": f.query(page=f.page - 1) if f.page > 1 else "",
    }
    return render(request, "grid/entry_list.html", context)
