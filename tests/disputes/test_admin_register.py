"""Staff register walk-in, phone, 12345 and grid-screening cases for residents."""

import pytest
from django.urls import reverse

from accounts.models import User
from disputes.models import Case, Category, Party

REGISTER = reverse("admin:disputes_case_register")


def form_data(area, **extra):
    return {
        "source": Case.Source.WALK_IN,
        "applicant_phone": "139 0000 1111",
        "applicant_name": "Dora Xu",
        "applicant_id_number": "",
        "respondent_name": "Eddie Ma",
        "respondent_phone": "",
        "category": Category.objects.get(code="neighbours").pk,
        "area": area.pk,
        "title": "Dog barking",
        "summary": "The dog next door barks all night.",
        "request": "Keep the dog quiet at night.",
        "households": 1,
        **extra,
    }


@pytest.mark.django_db
class CaseRegisterTests:
    def test_it_registers_a_walk_in_case_without_making_an_account(self, client, mia, areas):
        client.force_login(mia)
        response = client.post(REGISTER, form_data(areas["G1"]))
        case = Case.objects.get()
        assert response.url == reverse("admin:disputes_case_change", args=[case.pk])
        assert (case.source, case.filed_by, case.area) == (Case.Source.WALK_IN, mia, areas["G1"])
        # No account with a random password (issue 15): the applicant gets an SMS link instead.
        assert not User.objects.filter(phone="13900001111").exists()
        applicant = case.parties.get(role=Party.Role.APPLICANT)
        assert (applicant.user, applicant.name, applicant.phone) == (None, "Dora Xu", "13900001111")
        assert case.parties.filter(role=Party.Role.RESPONDENT, name="Eddie Ma").exists()

    def test_it_does_not_link_the_account_that_has_the_phone(self, client, mia, alice, areas):
        # The account must verify the number and confirm (tests/disputes/test_parties.py).
        client.force_login(mia)
        client.post(REGISTER, form_data(areas["G1"], applicant_phone="13800138001", source=Case.Source.HOTLINE_12345))
        case = Case.objects.get()
        assert case.source == Case.Source.HOTLINE_12345
        assert case.parties.get(role=Party.Role.APPLICANT).user is None
        assert User.objects.filter(phone="13800138001").count() == 1

    def test_it_refuses_an_area_outside_the_staff_users_subtree(self, client, mia, areas):
        client.force_login(mia)
        response = client.post(REGISTER, form_data(areas["C2"]))
        assert "area" in response.context["form"].errors
        assert not Case.objects.exists()

    def test_it_refuses_an_online_source(self, client, mia, areas):
        client.force_login(mia)
        response = client.post(REGISTER, form_data(areas["G1"], source=Case.Source.ONLINE))
        assert "source" in response.context["form"].errors

    def test_residents_cannot_register_cases(self, client, alice, areas):
        client.force_login(alice)
        response = client.get(REGISTER)
        assert response.status_code == 302  # to the admin login
        assert not Case.objects.exists()


@pytest.mark.django_db
class RegisterRelatedTests:
    """Issue 17: the register form shows the open cases of the estate and category (the filing
    form's selector, within the user's cases) once, before registering a walk-in anyway."""

    def test_it_shows_the_related_open_cases_then_registers_anyway(self, client, mia, alice, areas):
        from tests.factories import make_case, make_estate, neighbours_category

        estate = make_estate(areas["C1"], grid=areas["G1"])
        open_case = make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk, building="3号楼")
        client.force_login(mia)
        data = form_data(areas["G1"], category=neighbours_category().pk, estate=estate.pk, building="3号楼")
        response = client.post(REGISTER, data)
        assert response.status_code == 200 and Case.objects.count() == 1
        assert [c.pk for c in response.context["related"]] == [open_case.pk]
        assert open_case.number in response.content.decode()
        assert response.context["form"]["related_seen"].value() == "1"
        response = client.post(REGISTER, {**data, "related_seen": "1"})
        case = Case.objects.exclude(pk=open_case.pk).get()
        assert response.status_code == 302 and (case.estate, case.building) == (estate, "3号楼")

    def test_an_estate_outside_the_area_is_refused(self, client, mia, areas):
        from tests.factories import make_estate

        other = make_estate(areas["C2"], name="Far Estate")
        client.force_login(mia)
        response = client.post(REGISTER, form_data(areas["G1"], estate=other.pk))
        assert "estate" in response.context["form"].errors and not Case.objects.exists()
