"""Malformed changelist input answered like any other bad filter, not with a 500.

Every ModelAdmin of the project mixes in SafeInputsAdmin (tests/test_no_server_errors.py walks all
registered admins). Django's changelist
- filters the selection of an action with `pk__in=<the posted values>`: "²" or "abc" raise
  ValueError when the query is built, and a number past the database's integer overflows;
- turns the date drill-down (`<field>__year=`, `__month=`, `__day=`) into datetimes with only
  ValueError caught: year 9999 (whose next year does not exist) or 99999999999999999999
  (OverflowError) escape.
Malformed selections are dropped (none left: Django's own "Items must be selected" message), and a
bad drill-down is an incorrect lookup (Django redirects to the list with ?e=1).
"""

from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import models

from config.inputs import parse_id, parse_year


class SafeChangeList(ChangeList):
    def get_filters(self, request):
        if self.date_hierarchy:
            field = self.date_hierarchy
            year, month, day = (self.params.get(f"{field}__{part}") for part in ("year", "month", "day"))
            if year is not None and parse_year(year) is None:
                raise IncorrectLookupParameters(f"{field}__year")
            for value, top in ((month, 12), (day, 31)):
                number = parse_id(value) if value is not None else 1
                if number is None or number > top:
                    raise IncorrectLookupParameters(field)
        return super().get_filters(request)


class SafeInputsAdmin:
    """Mix in before admin.ModelAdmin (or a subclass of it)."""

    def get_changelist(self, request, **kwargs):
        return SafeChangeList

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        valid = [value for value in selected if _valid_pk(self.model._meta.pk, value)]
        if valid != selected:
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, valid)
        return super().response_action(request, queryset)


def _valid_pk(field, value: str) -> bool:
    if isinstance(field, models.AutoField | models.BigAutoField | models.IntegerField):
        return parse_id(value) is not None
    try:
        field.to_python(value)
    except Exception:  # noqa: BLE001 - ValidationError, ValueError: any refusal means "not a key"
        return False
    return True
