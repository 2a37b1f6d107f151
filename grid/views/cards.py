"""The printable contact card of a building (A6, for the notice board), with a QR code that opens
the filing page with the building's grid, estate and building already chosen."""

from urllib.parse import urlencode

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from accounts.models import Estate
from config.inputs import parse_id
from grid import access, selectors


def filing_url(request, *, estate: Estate, building: str) -> str:
    query = urlencode({"grid": estate.grid_id, "estate": estate.pk, "building": building})
    return request.build_absolute_uri(f"{reverse('disputes:case_new')}?{query}")


@login_required
def building_card(request):
    estate_id = parse_id(request.GET.get("estate"))
    estate = Estate.objects.select_related("grid__parent", "community").filter(pk=estate_id).first()
    # Those whose grid work covers the estate's grid: its workers and heads, and the staff above.
    if estate is None or estate.grid is None or not access.covers_area(request.user, estate.grid):
        raise Http404
    building = " ".join(request.GET.get("building", "").split())[:50]
    url = filing_url(request, estate=estate, building=building)
    qr = segno.make(url, error="m")
    context = {
        "estate": estate,
        "building": building,
        "card": selectors.contact_card_for(grid=estate.grid),
        "qr_uri": qr.svg_data_uri(scale=4, border=2),
        "filing_url": url,
    }
    return render(request, "grid/building_card.html", context)
