"""Follow-up visits, the resident's online rating and reopening the same case."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from disputes.models import Case, CaseEvent, FollowUp
from disputes.services import closure as svc
from disputes.services.cases import CaseError
from tests.factories import make_case

pytestmark = pytest.mark.django_db
Sat, Perf = FollowUp.Satisfaction, FollowUp.Performing


@pytest.fixture
def case(alice, bob, mia, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)


class FollowUpTests:
    def test_a_visit_is_recorded_with_an_internal_event_and_may_close_the_case(self, case, mia):
        visit = svc.follow_up_record(
            case=case,
            actor=mia,
            method=FollowUp.Method.PHONE,
            satisfaction=Sat.SATISFIED,
            performing=Perf.YES,
            new_risk="None",
            close_case=True,
        )
        assert not visit.reopen_suggested and visit.by == mia
        event = case.events.get(kind=CaseEvent.Kind.FOLLOW_UP)
        assert not event.is_public and event.data["follow_up"] == visit.pk
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED

    def test_non_performance_suggests_reopening_and_keeps_the_case_open(self, case, mia):
        visit = svc.follow_up_record(
            case=case,
            actor=mia,
            method=FollowUp.Method.VISIT,
            satisfaction=Sat.BASICALLY,
            performing=Perf.NO,
            close_case=True,
        )
        assert visit.reopen_suggested
        case.refresh_from_db()
        assert case.status == Case.Status.RESOLVED

    def test_a_case_still_in_mediation_gets_no_follow_up(self, alice, mia, areas):
        open_case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        with pytest.raises(CaseError):
            svc.follow_up_record(case=open_case, actor=mia, method="phone", satisfaction=Sat.SATISFIED)
        assert not FollowUp.objects.exists()


class ResidentRatingTests:
    def test_a_party_rates_once(self, case, alice):
        rating = svc.follow_up_rate_by_resident(case=case, user=alice, satisfaction=Sat.SATISFIED, comment="Thanks")
        assert rating.source == FollowUp.Source.RESIDENT and rating.party.user == alice
        assert case.events.get(kind=CaseEvent.Kind.RATING).actor == alice
        with pytest.raises(CaseError) as exc:
            svc.follow_up_rate_by_resident(case=case, user=alice, satisfaction=Sat.DISSATISFIED)
        assert str(exc.value) == gettext("You have already rated this case.")
        assert FollowUp.objects.count() == 1

    def test_each_party_rates_and_strangers_cannot(self, case, alice, bob, carol):
        svc.follow_up_rate_by_resident(case=case, user=alice, satisfaction=Sat.SATISFIED)
        svc.follow_up_rate_by_resident(case=case, user=bob, satisfaction=Sat.BASICALLY)
        with pytest.raises(CaseError):
            svc.follow_up_rate_by_resident(case=case, user=carol, satisfaction=Sat.SATISFIED)
        assert FollowUp.objects.count() == 2

    def test_the_resident_rates_from_the_case_page(self, case, alice):
        client = Client()
        client.force_login(alice)
        page = client.get(case.get_absolute_url()).content.decode()
        assert reverse("disputes:case_rate", args=[case.number]) in page
        response = client.post(
            reverse("disputes:case_rate", args=[case.number]), {"satisfaction": "dissatisfied", "performing": "no"}
        )
        assert response.status_code == 302 and response.url.endswith("#rating")
        rating = FollowUp.objects.get()
        assert rating.satisfaction == Sat.DISSATISFIED and rating.reopen_suggested
        page = client.get(case.get_absolute_url()).content.decode()
        assert reverse("disputes:case_rate", args=[case.number]) not in page
        assert gettext("Your rating") in page

    def test_the_rating_view_refuses_outsiders_and_get(self, case, carol, alice):
        client = Client()
        client.force_login(carol)
        assert (
            client.post(reverse("disputes:case_rate", args=[case.number]), {"satisfaction": "satisfied"}).status_code
            == 404
        )
        client.force_login(alice)
        assert client.get(reverse("disputes:case_rate", args=[case.number])).status_code == 405
        assert not FollowUp.objects.exists()


class ReopenTests:
    def test_a_dissatisfied_rating_leads_to_reopening_the_same_case(self, case, alice, mia):
        number = case.number
        rating = svc.follow_up_rate_by_resident(case=case, user=alice, satisfaction=Sat.DISSATISFIED)
        assert rating.reopen_suggested
        svc.follow_up_reopen(follow_up=rating, actor=mia)
        case.refresh_from_db()
        assert case.status == Case.Status.IN_MEDIATION and case.number == number and case.outcome == ""
        assert case.events.filter(old_status=Case.Status.RESOLVED, new_status=Case.Status.IN_MEDIATION).exists()
        assert Case.objects.count() == 1
        with pytest.raises(CaseError):
            svc.follow_up_reopen(follow_up=rating, actor=mia)

    def test_the_admin_offers_and_performs_the_reopening(self, case, alice, mia):
        rating = svc.follow_up_rate_by_resident(case=case, user=alice, satisfaction=Sat.DISSATISFIED)
        client = Client()
        client.force_login(mia)
        listing = client.get(reverse("admin:disputes_followup_changelist") + "?reopen_suggested__exact=1")
        assert case.number in listing.content.decode()
        url = reverse("admin:disputes_followup_change", args=[rating.pk])
        assert 'name="_reopen_case"' in client.get(url).content.decode()
        response = client.post(url, {"_reopen_case": "1"})
        assert response.status_code == 302
        case.refresh_from_db()
        rating.refresh_from_db()
        assert case.status == Case.Status.IN_MEDIATION and rating.reopened_at is not None
        assert 'name="_reopen_case"' not in client.get(url).content.decode()

    def test_a_mediator_records_a_visit_in_the_admin(self, case, mia, otto):
        client = Client()
        client.force_login(otto)
        add = reverse("admin:disputes_case_document", args=[case.pk, "follow_up"])
        data = {
            "version": case.version,
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "method": "phone",
            "performing": "yes",
            "satisfaction": "satisfied",
        }
        assert client.post(add, data).status_code == 404  # out of otto's scope
        assert not FollowUp.objects.exists()
        client.force_login(mia)
        assert client.post(add, data).status_code == 302
        assert FollowUp.objects.get().by == mia
        assert case.events.filter(kind=CaseEvent.Kind.FOLLOW_UP).exists()
