"""Issue 17, first parts: joining an open case as a co-applicant, the collective flag following the
households (one threshold, settings.COLLECTIVE_HOUSEHOLDS), staff correcting the households, and the
related-case suggestion of the filing form with its index."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from disputes import selectors, services, stats
from disputes.models import Case, CaseDayStat, CaseEvent, Party
from disputes.services import CaseError, StaleCase
from disputes.services.claims import NotVerified, case_correct_households, case_join
from disputes.visibility import case_visible_to
from tests.disputes.test_resident_views import filing
from tests.factories import backdate, make_case, make_estate, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(areas):
    return make_estate(areas["C1"], grid=areas["G1"])


@pytest.fixture(autouse=True)
def phones_verified(alice, carol):
    # Joining needs a verified phone (DESIGN §3); the cast's residents have verified theirs.
    verified(alice)
    verified(carol)


def verified(user):
    User.objects.filter(pk=user.pk).update(phone_verified_at=timezone.now())
    user.refresh_from_db()
    return user


def _received_collective() -> int:
    return sum(CaseDayStat.objects.values_list("received_collective", flat=True))


class JoinTests:
    def test_a_neighbour_joins_as_a_co_applicant_and_sees_the_case(self, areas, alice, carol, estate):
        case = make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk, building="3号楼")
        assert not case_visible_to(carol, case)
        party = case_join(case=case, user=carol, name=carol.full_name)
        case.refresh_from_db()
        assert party.role == Party.Role.APPLICANT and party.user == carol and party.consents_to_mediation
        assert party.phone == carol.phone and party.linked_at is not None
        assert case.parties.filter(role=Party.Role.APPLICANT).count() == 2
        assert case.households == 2 and not case.is_collective
        event = case.events.get(kind=CaseEvent.Kind.JOINED)
        assert event.actor == carol and event.is_public and event.data["party"] == party.pk
        assert case_visible_to(carol, case)
        assert case in selectors.case_list_for_resident(carol)

    def test_an_account_without_a_verified_phone_cannot_join(self, areas, alice, client):
        case = make_case(applicant=alice, area=areas["G1"], estate_id=make_estate(areas["C1"]).pk)
        dan = make_user("dan", phone="13800138009")
        with pytest.raises(NotVerified):
            case_join(case=case, user=dan, name="Dan")
        client.force_login(dan)
        response = client.post(reverse("disputes:case_join", args=[case.number]))
        assert response.status_code == 302 and response.url == reverse("accounts:phone_verify")
        assert not case.parties.filter(user=dan).exists()

    def test_joining_twice_or_a_finished_case_is_refused(self, areas, alice, carol, mia):
        case = make_case(applicant=alice, area=areas["G1"])
        case_join(case=case, user=carol, name="Carol Li")
        with pytest.raises(CaseError):
            case_join(case=case, user=carol, name="Carol Li")
        with pytest.raises(CaseError):
            case_join(case=case, user=alice, name="Alice")
        done = make_case(applicant=alice, area=areas["G1"], status=Case.Status.WITHDRAWN)
        with pytest.raises(CaseError):
            case_join(case=done, user=carol, name="Carol Li")
        assert not done.parties.filter(user=carol).exists()

    def test_a_stale_case_is_refused_and_nothing_is_written(self, areas, alice, carol):
        case = make_case(applicant=alice, area=areas["G1"])
        stale = Case.objects.get(pk=case.pk)
        case_join(case=case, user=verified(make_user("dan", phone="13800138009")), name="Dan")
        with pytest.raises(StaleCase):
            case_join(case=stale, user=carol, name="Carol Li")
        assert not Party.objects.filter(case=case, user=carol).exists()

    def test_the_fifth_household_flips_the_flag_with_an_event_and_the_figures_follow(self, areas, alice):
        case = make_case(applicant=alice, area=areas["G1"])
        assert _received_collective() == 0
        for i in range(3):
            user = verified(make_user(f"n{i}", phone=f"1380013810{i}"))
            case_join(case=case, user=user, name=f"N{i}")
        case.refresh_from_db()
        assert case.households == 4 and not case.is_collective
        assert not case.events.filter(kind=CaseEvent.Kind.COLLECTIVE).exists()
        fifth = verified(make_user("n5", phone="13800138105"))
        case_join(case=case, user=fifth, name="N5")
        case.refresh_from_db()
        assert case.households == 5 and case.is_collective
        flip = case.events.get(kind=CaseEvent.Kind.COLLECTIVE)
        assert flip.data == {"collective": True, "households": 5} and not flip.is_public
        # The dashboard's counters moved in the same transaction and still equal a rebuild.
        assert _received_collective() == 1
        before = list(CaseDayStat.objects.values_list("day", "area_id", "received", "received_collective"))
        stats.stats_rebuild()
        assert list(CaseDayStat.objects.values_list("day", "area_id", "received", "received_collective")) == before

    def test_the_threshold_is_one_setting(self, areas, alice, carol, settings):
        settings.COLLECTIVE_HOUSEHOLDS = 2
        case = make_case(applicant=alice, area=areas["G1"])
        assert not case.is_collective
        case_join(case=case, user=carol, name="Carol Li")
        case.refresh_from_db()
        assert case.is_collective
        assert make_case(applicant=alice, area=areas["G1"], households=2).is_collective
        # The dashboard's definition of the figure says the same threshold.
        from disputes.dashboard.figures import definitions

        assert "涉及 2 户及以上" in definitions()["collective"]


class CorrectHouseholdsTests:
    def test_staff_correct_the_households_and_the_flag_flips_both_ways(self, areas, alice, mia):
        case = make_case(applicant=alice, area=areas["G1"], households=3)
        case_correct_households(case=case, actor=mia, households=12, reason="Counted at the meeting.")
        case.refresh_from_db()
        assert case.households == 12 and case.is_collective
        event = case.events.get(kind=CaseEvent.Kind.HOUSEHOLDS)
        assert event.data == {"from": 3, "to": 12} and event.note == "Counted at the meeting." and not event.is_public
        case_correct_households(case=case, actor=mia, households=4, reason="Eight were one family each.")
        case.refresh_from_db()
        assert not case.is_collective
        flips = list(case.events.filter(kind=CaseEvent.Kind.COLLECTIVE).values_list("data__collective", flat=True))
        assert flips == [True, False]
        assert _received_collective() == 0

    def test_an_applicant_added_by_staff_is_counted(self, areas, alice, mia):
        case = make_case(applicant=alice, area=areas["G1"], households=4)
        services.party_add(case=case, actor=mia, data=services.PartyData(role=Party.Role.RESPONDENT, name="物业公司"))
        case.refresh_from_db()
        assert case.households == 4 and not case.is_collective
        for name in ("赵一", "钱二", "孙三", "李四"):
            services.party_add(case=case, actor=mia, data=services.PartyData(role=Party.Role.APPLICANT, name=name))
        case.refresh_from_db()
        assert case.households == 5 and case.is_collective
        assert case.events.filter(kind=CaseEvent.Kind.COLLECTIVE).count() == 1

    @pytest.mark.parametrize("households,reason", [(0, "x"), (3, "same"), (7, "  ")])
    def test_bad_corrections_are_refused(self, areas, alice, mia, households, reason):
        case = make_case(applicant=alice, area=areas["G1"], households=3)
        with pytest.raises(CaseError):
            case_correct_households(case=case, actor=mia, households=households, reason=reason)
        case.refresh_from_db()
        assert case.households == 3 and not case.events.filter(kind=CaseEvent.Kind.HOUSEHOLDS).exists()


class RelatedCasesTests:
    def test_open_cases_of_the_estate_and_category_building_first_without_personal_data(
        self, areas, alice, bob, carol, estate
    ):
        other_estate = make_estate(areas["C1"], name="Other Estate")
        title = "张三家13912345678漏水"
        old = make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk, building="1号楼", title="Old")
        backdate(old, submitted_at=timezone.now() - timedelta(days=200))
        same_estate = make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk, building="1号楼", title="A")
        same_building = make_case(
            applicant=make_user("zs", full_name="张三", phone="13912345678"),
            area=areas["G1"],
            estate_id=estate.pk,
            building="3号楼",
            title=title,
        )
        make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk, status=Case.Status.WITHDRAWN)
        make_case(applicant=alice, area=areas["G1"], estate_id=other_estate.pk)
        category = same_estate.category
        rows = selectors.related_open_cases(estate_id=estate.pk, category_id=category.pk, building="3号楼")
        assert [c.pk for c in rows] == [same_building.pk, same_estate.pk]
        shown = selectors.related_case_row(rows[0])
        assert shown["title"] == "张某家…漏水"
        assert "张三" not in str(shown) and "13912345678" not in str(shown)
        # A resident is not offered the cases they are already a party to.
        mine = selectors.related_open_cases(estate_id=estate.pk, category_id=category.pk, exclude_user=alice)
        assert [c.pk for c in mine] == [same_building.pk]

    def test_the_suggestion_reads_its_index(self, areas, alice, estate):
        case = make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk)
        qs = Case.objects.filter(
            estate_id=estate.pk,
            category_id=case.category_id,
            status__in=Case.OPEN_STATUSES,
            submitted_at__gte=timezone.now() - timedelta(days=90),
        ).order_by("-submitted_at")[:20]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # On a table of a few rows the planner prices every index alike and may take any of
                # them. With a few thousand cases (seed_bulk's have no estate) and their statistics
                # it takes the composite index, as it does at 1,000,000 (bench/related.py).
                call_command("seed_bulk", cases=3000, stdout=io.StringIO())
                cursor.execute("ANALYZE disputes_case")
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
        assert "case_related" in plan, plan


# --- The resident's pages -----------------------------------------------------------------------

NEW = reverse("disputes:case_new")
RELATED = reverse("disputes:case_related")


@pytest.fixture
def first_case(areas, alice, estate):
    return make_case(
        applicant=alice, area=areas["G1"], estate_id=estate.pk, building="Building 3, Unit 2", title="张三家楼上漏水"
    )


class RelatedViewTests:
    def test_the_endpoint_offers_the_case_without_personal_data(self, client, carol, first_case, estate):
        client.force_login(carol)
        response = client.get(RELATED, {"estate": estate.pk, "category": first_case.category_id})
        assert response.status_code == 200
        [row] = response.json()["cases"]
        assert row["number"] == first_case.number and row["join_url"].endswith(f"/{first_case.number}/join/")
        assert "Alice" not in str(row) and "138" not in str(row)

    @pytest.mark.parametrize("params", [{}, {"estate": "x", "category": "1"}, {"estate": "9" * 30}, {"estate": "-1"}])
    def test_bad_input_answers_an_empty_offer(self, client, carol, first_case, params):
        client.force_login(carol)
        response = client.get(RELATED, params)
        assert response.status_code == 200 and response.json() == {"cases": []}

    def test_staff_are_refused(self, client, mia):
        client.force_login(mia)
        assert client.get(RELATED).status_code == 403

    def test_without_the_script_the_offer_comes_after_the_first_submit(self, client, carol, areas, estate, first_case):
        client.force_login(carol)
        data = filing(areas, estate, applicant_name="Carol Li", applicant_phone="13800138003")
        response = client.post(NEW, data)
        assert response.status_code == 200
        assert [r["number"] for r in response.context["related"]] == [first_case.number]
        assert Case.objects.count() == 1
        html = response.content.decode()
        assert f'formaction="/cases/{first_case.number}/join/"' in html
        assert 'value="Water leaking from above"' in html  # what was typed is kept
        # "File anyway" files a new case.
        response = client.post(NEW, {**data, "related_seen": ["", "1"]})
        assert response.status_code == 302 and Case.objects.count() == 2

    def test_join_adds_the_resident_and_the_first_resident_sees_the_count(self, client, carol, alice, first_case):
        client.force_login(carol)
        response = client.post(reverse("disputes:case_join", args=[first_case.number]))
        assert response.status_code == 302 and response.url == first_case.get_absolute_url()
        assert first_case.parties.filter(user=carol, role=Party.Role.APPLICANT).exists()
        # Carol now sees the case as a party, but cannot withdraw it for everyone.
        page = client.get(first_case.get_absolute_url())
        assert page.status_code == 200 and not page.context["can_withdraw"]
        client.post(reverse("disputes:case_withdraw", args=[first_case.number]), {"reason": "x"})
        first_case.refresh_from_db()
        assert first_case.status == Case.Status.SUBMITTED
        client.force_login(alice)
        page = client.get(first_case.get_absolute_url())
        assert page.context["co_applicants"] == 1 and 'id="co-applicants"' in page.content.decode()
        assert page.context["can_withdraw"]

    def test_join_is_only_for_offered_cases(self, client, carol, alice, areas, first_case):
        client.force_login(carol)
        no_estate = make_case(applicant=alice, area=areas["G1"])
        for number in (no_estate.number, "LL-0000-000000", "%00"):
            assert client.post(f"/cases/{number}/join/").status_code == 404
        assert client.get(reverse("disputes:case_join", args=[first_case.number])).status_code == 405
        client.post(reverse("disputes:case_join", args=[first_case.number]))
        assert client.post(reverse("disputes:case_join", args=[first_case.number])).status_code == 404
        assert first_case.parties.filter(user=carol).count() == 1


class HouseholdsButtonTests:
    def test_staff_correct_the_households_from_the_case_page(self, client, mia, areas, alice):
        case = make_case(applicant=alice, area=areas["G1"], households=2)
        client.force_login(mia)
        url = reverse("admin:disputes_case_step", args=[case.pk, "households"])
        page = client.get(reverse("admin:disputes_case_change", args=[case.pk]))
        assert url in page.content.decode()
        assert client.get(url).status_code == 200
        # Bad input keeps what was typed, with a message, and writes nothing.
        response = client.post(url, {"version": case.version, "households": "abc", "reason": "Counted."})
        assert response.status_code == 200 and response.context["form"].errors["households"]
        case.refresh_from_db()
        assert case.households == 2
        response = client.post(url, {"version": case.version, "households": "6", "reason": "Counted at the meeting."})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.households == 6 and case.is_collective
        assert list(case.events.values_list("kind", flat=True))[-2:] == [
            CaseEvent.Kind.HOUSEHOLDS,
            CaseEvent.Kind.COLLECTIVE,
        ]

    def test_a_stale_form_is_refused(self, client, mia, areas, alice):
        case = make_case(applicant=alice, area=areas["G1"], households=2)
        client.force_login(mia)
        url = reverse("admin:disputes_case_step", args=[case.pk, "households"])
        response = client.post(url, {"version": case.version - 1, "households": "6", "reason": "Counted."})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.households == 2


class StaffRelatedTests:
    def test_the_staff_case_page_lists_the_related_open_cases_they_may_see(
        self, client, mia, otto, areas, alice, estate
    ):
        case = make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk)
        other = make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk, title="同楼漏水")
        make_case(applicant=alice, area=areas["G1"], estate_id=estate.pk, status=Case.Status.WITHDRAWN)
        client.force_login(mia)
        response = client.get(reverse("admin:disputes_case_change", args=[case.pk]))
        assert [c.pk for c in response.context["related"]] == [other.pk]
        assert 'id="linli-related"' in response.content.decode()
        # Without an estate there is nothing to relate.
        alone = make_case(applicant=alice, area=areas["G1"])
        response = client.get(reverse("admin:disputes_case_change", args=[alone.pk]))
        assert response.context["related"] == [] and 'id="linli-related"' not in response.content.decode()
        # Only the cases the user may see: a case of the estate filed in another community's area.
        hidden = make_case(applicant=alice, area=areas["G2"], estate_id=estate.pk)
        response = client.get(reverse("admin:disputes_case_change", args=[case.pk]))
        assert hidden.pk not in [c.pk for c in response.context["related"]]
