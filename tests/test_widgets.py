"""config.widgets.QuickSelect draws what Django's Select draws through its templates."""

import pytest
from django import forms
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Area
from config.widgets import QuickSelect

CHOICES = [
    ("", "---------"),
    ("a", "<b>Alice</b> & Bob"),
    (3, _("Community")),
    ('Group "one"', [("g1", "One"), ("g2", mark_safe("<i>Two</i>"))]),
    (1234567, 1234567),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        (None, None),
        ("a", {"class": "form-select", "required": True, "disabled": False}),
        ("g2", {"aria-describedby": 'x"y', "data-n": 5, "data-none": None}),
        (3, {"id": "id_place"}),
    ],
)
def test_quick_select_draws_what_the_templates_draw(value, attrs):
    for language in ("zh-hans", "en"):
        with translation.override(language):
            expected = forms.Select(choices=CHOICES).render("place", value, attrs)
            assert QuickSelect(choices=CHOICES).render("place", value, attrs) == expected


@pytest.mark.django_db
def test_a_model_choice_field_draws_the_same(areas):
    field = forms.ModelChoiceField(queryset=Area.objects.order_by("path"), empty_label="选择")
    field.widget.attrs = {"class": "form-select"}
    expected = field.widget.render("community", areas["C1"].pk)
    field.widget = QuickSelect(attrs={"class": "form-select"}, choices=field.choices)
    assert field.widget.render("community", areas["C1"].pk) == expected
    assert f'<option value="{areas["C1"].pk}" selected>' in expected
