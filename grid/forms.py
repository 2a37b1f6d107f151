"""Grid workers' forms: a diary entry, turning it into a case, a screening report."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Estate
from disputes import uploads
from disputes.forms import MultipleFileField
from disputes.models import Category
from grid.models import DiaryEntry, ServiceOrder

MAX_PHOTOS = 3


def _clean_text(value: str) -> str:
    return "\n".join(" ".join(line.split()) for line in (value or "").strip().splitlines()).strip()


def check_photo(upload) -> None:
    """The upload checks of evidence (disputes.uploads.check_upload), and a photo, not a PDF."""
    uploads.check_upload(upload)
    if not upload.content_type.startswith("image/"):
        raise forms.ValidationError(_("“%(name)s” is not a photo."), params={"name": upload.name})


class DiaryEntryForm(forms.Form):
    """The phone form. Its idempotency key is made on the phone (static/grid/diary.js) or, without
    JavaScript, in the page: a resent form finds the row the first one made."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    contact = forms.ChoiceField(label=_("Visit or call"), choices=DiaryEntry.Contact.choices, widget=forms.RadioSelect)
    happened_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None)
    estate = forms.ModelChoiceField(label=_("Estate"), queryset=None, required=False)
    building = forms.CharField(label=_("Building"), max_length=50, required=False)
    household = forms.CharField(label=_("Household"), max_length=50, required=False)
    people = forms.CharField(label=_("Who"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("What was found"), choices=DiaryEntry.Kind.choices)
    found = forms.CharField(
        label=_("What was found, in words"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    action = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    photos = MultipleFileField(label=_("Photos"), required=False)

    def __init__(self, *args, grids, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4())
        kwargs["initial"].setdefault("happened_at", timezone.localtime().replace(second=0, microsecond=0))
        kwargs["initial"].setdefault("contact", DiaryEntry.Contact.VISIT)
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["estate"].queryset = Estate.objects.filter(grid__in=grids).order_by("name")
        if len(grids) == 1:
            self.fields["grid"].initial = grids[0].pk
        self.fields["people"].widget.attrs["placeholder"] = _("e.g. Mrs Wang, room 302")
        self.accepted_photos: list = []

    def clean_building(self) -> str:
        return _clean_text(self.cleaned_data["building"])

    def clean_household(self) -> str:
        return _clean_text(self.cleaned_data["household"])

    def clean_people(self) -> str:
        return _clean_text(self.cleaned_data["people"])

    def clean_found(self) -> str:
        return self.cleaned_data["found"].strip()

    def clean_action(self) -> str:
        return self.cleaned_data["action"].strip()

    def clean_result(self) -> str:
        return self.cleaned_data["result"].strip()

    def clean_photos(self) -> list:
        photos = self.cleaned_data["photos"]
        if len(photos) > MAX_PHOTOS:
            raise forms.ValidationError(_("Attach at most %(count)s photos."), params={"count": MAX_PHOTOS})
        errors = []
        for upload in photos:
            try:
                check_photo(upload)
            except forms.ValidationError as exc:
                errors.extend(exc.error_list)
                continue
            self.accepted_photos.append(upload)
        if errors:
            raise forms.ValidationError(errors)
        return self.accepted_photos

    def clean(self):
        data = super().clean()
        estate, grid = data.get("estate"), data.get("grid")
        if estate is not None and grid is not None and estate.grid_id != grid.pk:
            self.add_error("estate", _("This estate is not in the chosen grid."))
        return data


class EntryToCaseForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    title = forms.CharField(label=_("Subject"), max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by("order")

    def clean_title(self) -> str:
        return _clean_text(self.cleaned_data["title"])


class ScreeningReportForm(forms.Form):
    checked = forms.IntegerField(label=_("Places checked"), min_value=0, max_value=100000)
    found = forms.IntegerField(label=_("Problems found"), min_value=0, max_value=100000, initial=0)
    fixed = forms.IntegerField(label=_("Problems fixed"), min_value=0, max_value=100000, initial=0)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean(self):
        data = super().clean()
        if data.get("fixed") is not None and data.get("found") is not None and data["fixed"] > data["found"]:
            self.add_error("fixed", _("More problems fixed than found: check the numbers."))
        return data


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    area = forms.ModelChoiceField(label=_("Area"), queryset=None)
    period_start = forms.DateField(label=_("Period starts"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period ends"), widget=forms.DateInput(attrs={"type": "date"}))
    due_at = forms.DateTimeField(
        label=_("Reports due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    checklist = forms.CharField(
        label=_("Checklist"), widget=forms.Textarea(attrs={"rows": 4}), help_text=_("One item a line.")
    )
    repeats_monthly = forms.BooleanField(
        label=_("Repeat every month"),
        required=False,
        help_text=_("When the period ends, the same campaign starts again for the next month."),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas

    def clean_title(self) -> str:
        return _clean_text(self.cleaned_data["title"])

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period must end on or after its first day."))
        return data


class GridReportForm(ScreeningReportForm):
    """A screening report with the grid it is for (a grid head may file for several)."""

    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None)
    field_order = ["grid", "checked", "found", "fixed", "notes"]

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        if len(grids) == 1:
            self.fields["grid"].initial = grids[0].pk


class OrderForm(forms.Form):
    """A resident's request for help (群众点单); a building head may post it for a neighbour."""

    what = forms.CharField(label=_("What do you need help with?"), widget=forms.Textarea(attrs={"rows": 3}))
    estate = forms.ModelChoiceField(label=_("Estate"), queryset=Estate.objects.filter(grid__isnull=False))
    building = forms.CharField(label=_("Building"), max_length=50, required=False)
    needed_by = forms.DateTimeField(
        label=_("Needed by"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    on_behalf_of = forms.CharField(
        label=_("For a neighbour (name)"),
        max_length=50,
        required=False,
        help_text=_("Building heads: the neighbour you post this for."),
    )

    def clean_what(self) -> str:
        return self.cleaned_data["what"].strip()

    def clean_building(self) -> str:
        return _clean_text(self.cleaned_data["building"])

    def clean_on_behalf_of(self) -> str:
        return _clean_text(self.cleaned_data["on_behalf_of"])


class DispatchForm(forms.Form):
    helper = forms.ModelChoiceField(label=_("Give it to"), queryset=None)

    def __init__(self, *args, helpers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = helpers


class OrderDoneForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("Photo (optional)"), required=False)

    def clean_note(self) -> str:
        return self.cleaned_data["note"].strip()

    def clean_photo(self):
        photo = self.cleaned_data["photo"]
        if photo:
            check_photo(photo)
        return photo or None


class HazardRemovedForm(OrderDoneForm):
    """整改完成: how the hazard was removed, and a photo of the place now."""

    note = forms.CharField(label=_("How it was removed"), widget=forms.Textarea(attrs={"rows": 2}))


class OrderConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"), choices=ServiceOrder.Rating.choices, coerce=int, widget=forms.RadioSelect
    )
