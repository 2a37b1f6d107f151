"""The malformed inputs that answered 500 (issue 12): each now gets a 404, a redirect with a
message or a form error. tests/test_no_server_errors.py looks for more of them at random."""

import uuid

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from config.inputs import parse_date, parse_id, parse_uuid, parse_year
from disputes.models import Case, CaseEvent, Meeting
from tests.factories import make_case

CHANGELIST = reverse("admin:disputes_case_changelist")


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # a 500 is then a status code the test can assert on
    return client


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-Linli-2026")


@pytest.fixture
def submitted(alice, bob, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"])


class ParseTests:
    @pytest.mark.parametrize("value", ["²", "١٢", "-1", "0", " 1", "1.0", "99999999999999999999", "", None, "1e3"])
    def test_it_refuses_what_is_not_an_id(self, value):
        assert parse_id(value) is None

    def test_it_reads_ids(self):
        assert parse_id("42") == 42
        assert parse_id(42) == 42
        assert parse_id(str(2**63 - 1)) == 2**63 - 1

    @pytest.mark.parametrize(
        "value", ["9999-12-31", "99999999999999999999-01-01", "0001-01-01", "2026-02-30", "20260101"]
    )
    def test_it_refuses_dates_out_of_range_or_shape(self, value):
        assert parse_date(value) is None

    def test_it_reads_dates_and_years(self):
        assert str(parse_date("2026-03-01")) == "2026-03-01"
        assert parse_year("2026") == 2026
        assert parse_year("9999") is None

    def test_it_reads_uuids_and_refuses_the_rest(self):
        key = uuid.uuid4()
        assert parse_uuid(str(key)) == key
        assert parse_uuid(key.hex) == key
        for bad in ("not-a-uuid", "²" * 32, "x" * 5000, "00000000-0000-0000-0000-00000000000g", None):
            assert parse_uuid(bad) is None


@pytest.mark.django_db
class AdminIdTests:
    @pytest.mark.parametrize("path", ["step/accept/", "note/"])
    def test_a_superscript_id_in_a_step_url_is_not_found(self, client, mia, submitted, path):
        client.force_login(mia)
        response = client.get(f"/admin/disputes/case/%C2%B2/{path}")
        assert response.status_code == 404

    def test_a_superscript_area_filters_to_nothing(self, client, mia, submitted):
        client.force_login(mia)
        response = client.get(CHANGELIST, {"area": "²"})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0
        assert client.get(CHANGELIST, {"area": str(submitted.area.parent_id)}).context["cl"].result_count == 1

    @pytest.mark.parametrize("selected", [["²"], ["abc"], [""], ["99999999999999999999"]])
    def test_an_action_on_a_malformed_selection_changes_nothing(self, client, mia, submitted, selected):
        client.force_login(mia)
        response = client.post(
            CHANGELIST, {"action": "accept_with_suggested_mediator", "index": "0", "_selected_action": selected}
        )
        assert response.status_code == 302
        submitted.refresh_from_db()
        assert submitted.status == Case.Status.SUBMITTED
        assert not CaseEvent.objects.filter(case=submitted, kind=CaseEvent.Kind.ASSIGNED).exists()

    def test_an_action_keeps_the_valid_part_of_a_selection(self, client, mia, submitted):
        client.force_login(mia)
        client.post(
            CHANGELIST,
            {"action": "accept_with_suggested_mediator", "index": "0", "_selected_action": ["²", str(submitted.pk)]},
        )
        submitted.refresh_from_db()
        assert submitted.status == Case.Status.ASSIGNED

    def test_a_group_action_on_a_malformed_selection_changes_nothing(self, client, root):
        client.force_login(root)
        response = client.post(
            reverse("admin:auth_group_changelist"), {"action": "delete_selected", "_selected_action": ["x"]}
        )
        assert response.status_code == 302


@pytest.mark.django_db
class AdminDateDrillDownTests:
    @pytest.mark.parametrize(
        "params",
        [
            {"scheduled_at__year": "9999"},
            {"scheduled_at__year": "99999999999999999999"},
            {"scheduled_at__year": "²"},
            {"scheduled_at__year": "2026", "scheduled_at__month": "99999999999999999999"},
            {"scheduled_at__year": "2026", "scheduled_at__month": "13"},
            {"scheduled_at__year": "2026", "scheduled_at__month": "12", "scheduled_at__day": "99999999999999999999"},
        ],
    )
    def test_an_impossible_drill_down_redirects_to_the_error_flag(self, client, root, params):
        client.force_login(root)
        response = client.get(reverse("admin:disputes_meeting_changelist"), params)
        assert response.status_code == 302
        assert response["Location"].endswith("?e=1")

    def test_a_real_drill_down_still_filters(self, client, root, areas):
        client.force_login(root)
        response = client.get(reverse("admin:disputes_meeting_changelist"), {"scheduled_at__year": "2026"})
        assert response.status_code == 200
        assert response.context["cl"].result_count == Meeting.objects.filter(scheduled_at__year=2026).count()

    @pytest.mark.parametrize(
        "name", ["admin:disputes_reminder_changelist", "admin:disputes_personaldataview_changelist"]
    )
    def test_every_drill_down_admin_is_guarded(self, client, root, name):
        field = {"admin:disputes_reminder_changelist": "created_at"}.get(name, "viewed_at")
        client.force_login(root)
        for year in ("9999", "99999999999999999999"):
            response = client.get(reverse(name), {f"{field}__year": year})
            assert response.status_code == 302


@pytest.mark.django_db
class DashboardYearTests:
    @pytest.mark.parametrize("name", ["disputes:dashboard", "disputes:period_report"])
    @pytest.mark.parametrize("bad", ["9999-12-31", "99999999999999999999-01-01", "0001-01-01", "2026-02-30"])
    def test_an_impossible_custom_date_shows_this_month_with_a_message(self, client, sam, name, bad):
        client.force_login(sam)
        response = client.get(reverse(name), {"period": "custom", "from": "2026-01-01", "to": bad})
        assert response.status_code == 200
        assert response.context["period"].key == "month"
        expected = zh(
            "A custom period needs two dates between %(first)s and %(last)s; this month is shown instead."
        ) % {"first": 1900, "last": 2100}
        assert expected in messages_of(response)

    @pytest.mark.parametrize("bad", ["9999-12-31", "99999999999999999999-01-01"])
    def test_the_ledger_with_an_impossible_date_is_this_months(self, client, sam, bad):
        client.force_login(sam)
        response = client.get(reverse("disputes:ledger_export"), {"period": "custom", "from": bad, "to": bad})
        assert response.status_code == 200
        assert b"".join(response.streaming_content)  # the header line at least

    @pytest.mark.parametrize("category", ["²", "99999999999999999999", "-1"])
    def test_a_malformed_ledger_category_is_no_filter(self, client, sam, submitted, category):
        client.force_login(sam)
        response = client.get(reverse("disputes:ledger_export"), {"category": category})
        assert response.status_code == 200
        assert submitted.number in b"".join(response.streaming_content).decode()

    def test_a_malformed_area_is_refused(self, client, sam):
        client.force_login(sam)
        assert client.get(reverse("disputes:dashboard"), {"area": "²"}).status_code == 403


@pytest.mark.django_db
class FilingKeyTests:
    @pytest.mark.parametrize("key", ["not-a-uuid", "²", "x" * 5000, "00000000-0000-0000-0000-00000000000g", ""])
    def test_a_damaged_key_keeps_what_was_typed_and_gives_a_fresh_key(self, client, alice, key):
        client.force_login(alice)
        response = client.post(reverse("disputes:case_new"), {"idempotency_key": key, "title": "Noise at night"})
        assert response.status_code == 200
        form = response.context["form"]
        assert zh("The form arrived incomplete. Check what you entered and send it again.") in form.non_field_errors()
        assert form["title"].value() == "Noise at night"
        assert parse_uuid(form["idempotency_key"].value()) is not None
        assert not Case.objects.exists()
