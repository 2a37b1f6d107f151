"""The mediators' workbench: the case list, the case page and its scope (disputes/admin/cases.py)."""

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages import get_messages
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from disputes.admin.case_filters import AreaFilter
from disputes.models import Case, CaseEvent, PersonalDataView
from tests.factories import backdate, make_case, make_estate, make_user

CHANGELIST = reverse("admin:disputes_case_changelist")


def change_url(case: Case) -> str:
    return reverse("admin:disputes_case_change", args=[case.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def listed_numbers(response) -> set[str]:
    return {case.number for case in response.context["cl"].result_list}


@pytest.fixture
def mia_case(alice, bob, areas, mia):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)


@pytest.fixture
def otto_case(carol, areas, otto):
    return make_case(applicant=carol, area=areas["G2"], status=Case.Status.SUBMITTED, title="Leaking pipe")


@pytest.mark.django_db
class CaseChangelistTests:
    def test_it_lists_only_cases_in_the_mediators_areas(self, client, mia, mia_case, otto_case):
        client.force_login(mia)
        response = client.get(CHANGELIST)
        assert response.status_code == 200
        assert listed_numbers(response) == {mia_case.number}

    def test_it_is_titled_as_the_queue_of_cases_not_a_choice_to_change(self, client, mia, mia_case):
        client.force_login(mia)
        html = client.get(CHANGELIST).content.decode()
        assert "<h1>纠纷案件</h1>" in html
        assert "<h1>纠纷案件</h1>" in client.get(change_url(mia_case)).content.decode()

    def test_it_masks_the_applicants_phone(self, client, mia, mia_case):
        client.force_login(mia)
        html = client.get(CHANGELIST).content.decode()
        assert "138****8001" in html
        assert "13800138001" not in html
        assert "Alice Zhang" in html

    def test_it_badges_an_overdue_case_red(self, client, mia, mia_case):
        Case.objects.filter(pk=mia_case.pk).update(next_due_at=timezone.now() - timedelta(hours=1))
        client.force_login(mia)
        assert "linli-deadline-red" in client.get(CHANGELIST).content.decode()

    def test_it_searches_by_number_name_and_phone(self, client, mia, sam, mia_case, alice, areas):
        other = make_case(applicant=make_user("dan", full_name="Dan Wu", phone="13900139000"), area=areas["G1"])
        client.force_login(sam)
        for term, expected in [
            (mia_case.number, {mia_case.number}),
            ("Alice", {mia_case.number}),
            ("Bob Wang", {mia_case.number}),  # the respondent's name
            ("138 0013 8001", {mia_case.number}),
            ("9000", {other.number}),
        ]:
            response = client.get(CHANGELIST, {"q": term})
            assert listed_numbers(response) == expected, term

    def test_search_lists_a_case_once_when_several_parties_match(self, client, sam, alice, areas):
        case = make_case(applicant=alice, respondent=make_user("al2", full_name="Alice Wang"), area=areas["G1"])
        client.force_login(sam)
        response = client.get(CHANGELIST, {"q": "Alice"})
        assert [c.number for c in response.context["cl"].result_list] == [case.number]

    def test_it_filters_my_cases_unassigned_and_overdue(self, client, mia, mia_case, alice, areas):
        unassigned = make_case(applicant=alice, area=areas["C1"])
        Case.objects.filter(pk=unassigned.pk).update(next_due_at=timezone.now() - timedelta(days=1))
        client.force_login(mia)
        assert listed_numbers(client.get(CHANGELIST, {"assigned": "mine"})) == {mia_case.number}
        assert listed_numbers(client.get(CHANGELIST, {"assigned": "unassigned"})) == {unassigned.number}
        assert listed_numbers(client.get(CHANGELIST, {"deadline": "overdue"})) == {unassigned.number}

    def test_it_filters_legacy_cases(self, client, mia, mia_case, alice, areas):
        old = make_case(applicant=alice, area=areas["G1"])
        backdate(old, submitted_at=timezone.now() - timedelta(days=91))
        client.force_login(mia)
        assert listed_numbers(client.get(CHANGELIST, {"deadline": "legacy"})) == {old.number}

    def test_the_area_filter_takes_the_subtree_and_ignores_foreign_areas(
        self, client, sue, mia_case, otto_case, areas
    ):
        client.force_login(sue)
        assert listed_numbers(client.get(CHANGELIST, {"area": areas["C1"].pk})) == {mia_case.number}
        # Community 2 is outside Sue's subdistrict: filtering by it shows nothing, not Otto's case.
        assert listed_numbers(client.get(CHANGELIST, {"area": areas["C2"].pk})) == set()

    def test_the_area_filter_drills_down_instead_of_listing_the_whole_tree(self, client, sam, areas):
        client.force_login(sam)

        def offered(query):
            specs = client.get(CHANGELIST, query).context["cl"].filter_specs
            spec = next(f for f in specs if isinstance(f, AreaFilter))
            return [label.strip("\u3000") for _value, label in spec.lookup_choices]

        assert offered({}) == ["District", "Sub 1", "Sub 2"]
        assert offered({"area": areas["S1"].pk}) == ["District", "Sub 1", "Community 1"]
        assert offered({"area": areas["C1"].pk}) == ["District", "Sub 1", "Community 1", "Grid 1"]

    def test_it_runs_the_same_number_of_queries_for_10_and_100_rows(self, client, sam, mia, alice, bob, areas):
        estate = make_estate(areas["C1"], grid=areas["G1"])

        def add_cases(n: int) -> None:
            for i in range(n):
                status = Case.Status.ASSIGNED if i % 3 == 0 else Case.Status.SUBMITTED
                make_case(
                    applicant=alice, respondent=bob, area=areas["G1"], status=status, actor=mia, estate_id=estate.pk
                )

        client.force_login(sam)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(CHANGELIST)
            assert response.status_code == 200
            return len(response.context["cl"].result_list), len(queries)

        add_cases(10)
        rows_10, queries_10 = count_queries()
        add_cases(90)
        rows_100, queries_100 = count_queries()
        assert (rows_10, rows_100) == (10, 100)
        assert queries_10 == queries_100


@pytest.mark.django_db
class CaseScopeTests:
    def test_another_communitys_mediator_cannot_open_the_case(self, client, otto, mia_case):
        client.force_login(otto)
        response = client.get(change_url(mia_case))
        assert response.status_code == 302
        assert response.url == reverse("admin:index")
        assert not PersonalDataView.objects.filter(case=mia_case).exists()

    def test_another_communitys_mediator_cannot_run_a_step(self, client, otto, mia_case):
        client.force_login(otto)
        url = reverse("admin:disputes_case_step", args=[mia_case.pk, "acknowledge"])
        assert client.get(url).status_code == 404
        assert client.post(url, {"version": mia_case.version}).status_code == 404
        mia_case.refresh_from_db()
        assert mia_case.status == Case.Status.ASSIGNED

    def test_another_communitys_mediator_cannot_add_a_note(self, client, otto, mia_case):
        client.force_login(otto)
        response = client.post(reverse("admin:disputes_case_note", args=[mia_case.pk]), {"note": "Hello"})
        assert response.status_code == 404
        assert not CaseEvent.objects.filter(case=mia_case, kind=CaseEvent.Kind.NOTE).exists()

    def test_actions_skip_cases_outside_the_users_areas(self, client, otto, mia_case):
        client.force_login(otto)
        client.post(
            CHANGELIST, {"action": "acknowledge_cases", "_selected_action": [mia_case.pk], "index": 0}, follow=True
        )
        mia_case.refresh_from_db()
        assert mia_case.status == Case.Status.ASSIGNED
        assert not CaseEvent.objects.filter(case=mia_case, actor=otto).exists()

    def test_search_does_not_reach_other_areas(self, client, otto, mia_case):
        client.force_login(otto)
        assert listed_numbers(client.get(CHANGELIST, {"q": mia_case.number})) == set()
        assert listed_numbers(client.get(CHANGELIST, {"q": "Alice"})) == set()

    def test_autocomplete_returns_only_cases_in_scope(self, client, otto, mia_case, otto_case):
        client.force_login(otto)
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "disputes", "model_name": "mediationsession", "field_name": "case", "term": "LL-"},
        )
        assert response.status_code == 200
        assert [r["id"] for r in response.json()["results"]] == [str(otto_case.pk)]

    def test_get_search_results_is_scoped(self, otto, mia_case, otto_case):
        request = RequestFactory().get(CHANGELIST)
        request.user = otto
        model_admin = site._registry[Case]
        found, may_have_duplicates = model_admin.get_search_results(request, model_admin.get_queryset(request), "LL-")
        assert list(found.values_list("pk", flat=True)) == [otto_case.pk]
        assert may_have_duplicates is False

    def test_mediator_choices_are_limited_to_staff_in_scope(self, mia, otto, sue):
        request = RequestFactory().get(CHANGELIST)
        request.user = sue
        model_admin = site._registry[Case]
        field = model_admin.formfield_for_foreignkey(Case._meta.get_field("mediator"), request)
        assert set(field.queryset) == {mia, sue}


@pytest.mark.django_db
class CaseChangePageTests:
    def test_it_shows_full_numbers_to_area_staff_and_logs_the_view(self, client, mia, mia_case):
        client.force_login(mia)
        response = client.get(change_url(mia_case))
        html = response.content.decode()
        assert response.status_code == 200
        assert "13800138001" in html
        assert "110101199001011234" in html
        view = PersonalDataView.objects.get(case=mia_case)
        assert view.user == mia

    def test_it_logs_each_view(self, client, mia, mia_case):
        client.force_login(mia)
        client.get(change_url(mia_case))
        client.get(change_url(mia_case))
        assert PersonalDataView.objects.filter(case=mia_case, user=mia).count() == 2

    def test_a_superuser_without_the_area_sees_masked_numbers_and_no_view_is_logged(self, client, mia_case):
        root = User.objects.create_superuser("root", "root@example.com", "pw-Linli-2026")
        client.force_login(root)
        html = client.get(change_url(mia_case)).content.decode()
        assert "138****8001" in html
        assert "13800138001" not in html
        assert "110101********1234" in html
        assert not PersonalDataView.objects.exists()

    def test_it_shows_the_timeline_and_the_steps_of_the_status(self, client, mia, mia_case):
        client.force_login(mia)
        html = client.get(change_url(mia_case)).content.decode()
        assert reverse("admin:disputes_case_step", args=[mia_case.pk, "acknowledge"]) in html
        assert reverse("admin:disputes_case_step", args=[mia_case.pk, "accept"]) not in html
        # Reassigning is for supervisors.
        assert reverse("admin:disputes_case_step", args=[mia_case.pk, "reassign"]) not in html
        assert 'id="events-group"' in html
        with translation.override("zh-hans"):
            assert str(CaseEvent.Kind.ASSIGNED.label) in html

    def test_posting_the_change_form_changes_nothing(self, client, mia, mia_case):
        client.force_login(mia)
        response = client.post(change_url(mia_case), {"title": "Changed"})
        assert response.status_code == 302
        mia_case.refresh_from_db()
        assert mia_case.title == "Noise from upstairs"


@pytest.mark.django_db
class CaseNoteTests:
    def test_it_adds_an_internal_note(self, client, mia, mia_case):
        client.force_login(mia)
        response = client.post(reverse("admin:disputes_case_note", args=[mia_case.pk]), {"note": "Called Bob."})
        assert response.url == change_url(mia_case)
        event = CaseEvent.objects.get(case=mia_case, kind=CaseEvent.Kind.NOTE)
        assert (event.note, event.is_public, event.actor) == ("Called Bob.", False, mia)

    def test_it_adds_a_public_note(self, client, mia, mia_case):
        client.force_login(mia)
        client.post(
            reverse("admin:disputes_case_note", args=[mia_case.pk]), {"note": "Visit on Monday.", "is_public": "on"}
        )
        assert CaseEvent.objects.get(case=mia_case, kind=CaseEvent.Kind.NOTE).is_public is True

    def test_it_refuses_an_empty_note(self, client, mia, mia_case):
        client.force_login(mia)
        client.post(reverse("admin:disputes_case_note", args=[mia_case.pk]), {"note": "  "})
        assert not CaseEvent.objects.filter(case=mia_case, kind=CaseEvent.Kind.NOTE).exists()


@pytest.mark.django_db
class PersonalDataViewAdminTests:
    def test_administrators_browse_the_log(self, client, mia, mia_case, areas):
        PersonalDataView.objects.create(user=mia, case=mia_case, where="admin case page")
        admin_user = make_user("ada", role=User.Role.ADMINISTRATOR, areas=[areas["D"]])
        client.force_login(admin_user)
        response = client.get(reverse("admin:disputes_personaldataview_changelist"))
        assert response.status_code == 200
        assert mia_case.number in response.content.decode()

    def test_mediators_cannot_browse_it(self, client, mia):
        client.force_login(mia)
        assert client.get(reverse("admin:disputes_personaldataview_changelist")).status_code == 403

    def test_nobody_edits_it(self, client, mia, mia_case):
        row = PersonalDataView.objects.create(user=mia, case=mia_case)
        root = User.objects.create_superuser("root", "root@example.com", "pw-Linli-2026")
        client.force_login(root)
        url = reverse("admin:disputes_personaldataview_change", args=[row.pk])
        client.post(url, {"where": "edited"})
        row.refresh_from_db()
        assert row.where == ""
