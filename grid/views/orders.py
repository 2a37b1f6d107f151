"""群众点单 · 社区派单 · 党员接单 on a phone: post, dispatch, accept, mark done, confirm and rate, or
turn a request that is really a dispute into a case."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from config.inputs import parse_id
from disputes.services.cases import CaseError
from grid import access, lists, services
from grid.forms import DispatchForm, EntryToCaseForm, OrderConfirmForm, OrderDoneForm, OrderForm
from grid.models import GridMember, ServiceOrder


def _get_order(request, pk) -> ServiceOrder:
    order_id = parse_id(pk)
    qs = access.orders_visible_to(request.user).select_related("grid", "estate", "helper", "requester", "case")
    order = qs.filter(pk=order_id).first() if order_id else None
    if order is None:
        raise Http404
    return order


def _initial_place(user) -> dict:
    for m in access.grid_roles(user):
        if m.role in GridMember.REPORTER_ROLES:
            return {"estate": m.estate_id, "building": m.building}
    return {}


@login_required
def order_list(request):
    form = OrderForm(request.POST or None, initial=_initial_place(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_post(posted_by=request.user, **form.cleaned_data)
        except services.GridError as exc:
            form.add_error("estate", str(exc))
        else:
            messages.success(request, _("Your request was posted. The community will find someone to help."))
            return redirect("grid:order_detail", pk=order.pk)
    # The requests the user may see; filtered by the dashboard's figure links (grid.lists).
    f = lists.GridFilter.from_query(request.user, request.GET)
    orders, more = lists.page_of(lists.orders_for(request.user, f), f.page)
    context = {
        "form": form,
        "orders": orders,
        "filter": f,
        "stage_label": STAGE_LABELS.get(f.stage),
        "next_query": f.query(page=f.page + 1) if more else "",
        "previous_query": f.query(page=f.page - 1) if f.page > 1 else "",
    }
    status = 400 if form.errors else 200
    return render(request, "grid/order_list.html", context, status=status)


STAGE_LABELS = {
    "posted": gettext_lazy("Posted in the period"),
    "taken": gettext_lazy("Taken in the period"),
    "done": gettext_lazy("Done and confirmed in the period"),
    "satisfied": gettext_lazy("Confirmed in the period, resident satisfied"),
}


def _dispatch_choices(order, user):
    """The community's volunteers and party members, and the dispatcher (who may take it)."""
    return (services.helpers_for(order) | User.objects.filter(pk=user.pk)).distinct()


def _detail(request, order, forms=None, status=200):
    user = request.user
    forms = forms or {}
    context = {"order": order}
    if order.status in (ServiceOrder.Status.POSTED, ServiceOrder.Status.DISPATCHED) and access.can_dispatch(
        user, order
    ):
        context["dispatch_form"] = forms.get("dispatch") or DispatchForm(helpers=_dispatch_choices(order, user))
    if order.status in ServiceOrder.OPEN_STATUSES and access.can_dispatch(user, order):
        context["case_form"] = forms.get("case") or EntryToCaseForm(initial={"title": order.what[:100]})
    if order.status == ServiceOrder.Status.DISPATCHED and order.helper_id == user.pk:
        context["can_accept"] = True
    if order.status == ServiceOrder.Status.ACCEPTED and order.helper_id == user.pk:
        context["done_form"] = forms.get("done") or OrderDoneForm()
    if order.status == ServiceOrder.Status.DONE and user.pk in (order.requester_id, order.posted_by_id):
        context["confirm_form"] = forms.get("confirm") or OrderConfirmForm()
    return render(request, "grid/order_detail.html", context, status=status)


@login_required
def order_detail(request, pk):
    return _detail(request, _get_order(request, pk))


def _act(request, order, step, success: str):
    """Run one step; a refused step (wrong person, someone was faster) is a message, not a 500."""
    try:
        step()
    except (services.GridError, CaseError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("grid:order_detail", pk=order.pk)


@login_required
@require_POST
def order_dispatch(request, pk):
    order = _get_order(request, pk)
    if not access.can_dispatch(request.user, order):
        raise Http404
    form = DispatchForm(request.POST, helpers=_dispatch_choices(order, request.user))
    if not form.is_valid():
        return _detail(request, order, {"dispatch": form}, status=400)
    helper = form.cleaned_data["helper"]
    step = lambda: services.order_dispatch(order=order, actor=request.user, helper=helper)  # noqa: E731
    return _act(request, order, step, _("The order was dispatched."))


@login_required
@require_POST
def order_accept(request, pk):
    order = _get_order(request, pk)
    return _act(
        request, order, lambda: services.order_accept(order=order, actor=request.user), _("You took the order.")
    )


@login_required
@require_POST
def order_done(request, pk):
    order = _get_order(request, pk)
    form = OrderDoneForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, order, {"done": form}, status=400)
    data = form.cleaned_data
    return _act(
        request,
        order,
        lambda: services.order_done(order=order, actor=request.user, note=data["note"], photo=data["photo"]),
        _("Marked as done. The resident is asked to confirm."),
    )


@login_required
@require_POST
def order_confirm(request, pk):
    order = _get_order(request, pk)
    form = OrderConfirmForm(request.POST)
    if not form.is_valid():
        return _detail(request, order, {"confirm": form}, status=400)
    rating = form.cleaned_data["rating"]
    step = lambda: services.order_confirm(order=order, actor=request.user, rating=rating)  # noqa: E731
    return _act(request, order, step, _("Thank you for your rating."))


@login_required
@require_POST
def order_to_case(request, pk):
    order = _get_order(request, pk)
    if not access.can_dispatch(request.user, order):
        raise Http404
    form = EntryToCaseForm(request.POST)
    if not form.is_valid():
        return _detail(request, order, {"case": form}, status=400)
    data = form.cleaned_data
    return _act(
        request,
        order,
        lambda: services.order_to_case(
            order=order, actor=request.user, category_id=data["category"].pk, title=data["title"]
        ),
        _("The request was filed as a case."),
    )
