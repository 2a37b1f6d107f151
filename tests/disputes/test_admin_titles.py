"""The worker's lists are titled by what they hold (disputes.admin.titles.PlainListTitle), not with
Django's stock "选择 … 来修改" (issue 14 found "选择 回访 来修改")."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils.text import capfirst

from accounts.models import User
from disputes.admin.scoped import ScopedAdmin
from disputes.admin.titles import PlainListTitle
from tests.factories import make_user

TITLED = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, PlainListTitle)
]


def test_every_list_of_case_work_is_titled_plainly():
    scoped = {model for model, model_admin in admin.site._registry.items() if isinstance(model_admin, ScopedAdmin)}
    assert scoped and scoped <= {model for model, _admin in TITLED}
    assert {m._meta.model_name for m, _a in TITLED} >= {"case", "collectiveclaim", "followup", "meeting", "agreement"}


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), TITLED, ids=lambda v: getattr(v, "__name__", ""))
def test_the_list_says_what_it_holds(client, model, model_admin):
    client.force_login(make_user("root", role=User.Role.ADMINISTRATOR, is_superuser=True))
    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{capfirst(model._meta.verbose_name_plural)}</h1>" in html
    assert "来修改" not in html
