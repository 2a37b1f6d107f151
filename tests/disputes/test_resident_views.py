"""Residents' pages: filing, following, acting on a case, the inbox, in Chinese and English."""

import uuid
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from accounts.validators import mask_phone
from disputes import uploads
from disputes.models import Case, CaseEvent, Category, Evidence, InboxMessage, Party
from disputes.pending_uploads import SESSION_KEY
from disputes.views import resident
from tests.factories import make_case, make_estate, make_user

NEW = reverse("disputes:case_new")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def estate(areas):
    return make_estate(areas["C1"], grid=areas["G1"], name="Garden Estate")


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def jpeg(name: str = "photo.jpg", size=(40, 30)) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def filing(areas, estate, **overrides) -> dict:
    data = {
        "applicant_name": "Alice Zhang",
        "applicant_phone": "138 0013 8001",
        "respondent_kind": Party.Kind.PERSON,
        "respondent_name": "The neighbour in 302",
        "respondent_phone": "",
        "community": areas["C1"].pk,
        "grid": areas["G1"].pk,
        "estate": estate.pk,
        "building": "Building 3, Unit 2",
        "category": Category.objects.get(code="neighbours").pk,
        "title": "Water leaking from above",
        "summary": "Since May, water drips through my kitchen ceiling.",
        "request": "Repair the pipe and pay for the ceiling.",
        "households": 1,
        "consent_sensitive": "on",
        "public_mediation": "0",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def pending_files(media_root) -> list:
    return [p for p in (media_root / "pending").rglob("*") if p.is_file()] if (media_root / "pending").exists() else []


class FilingTests:
    def test_the_form_is_prefilled_from_the_account_and_has_a_key(self, as_alice, areas, estate):
        response = as_alice.get(NEW)
        form = response.context["form"]
        assert form.initial["applicant_name"] == "Alice Zhang"
        assert form.initial["applicant_phone"] == "13800138001"
        assert isinstance(form.initial["idempotency_key"], uuid.UUID)
        assert f'value="{form.initial["idempotency_key"]}"' in response.content.decode()
        # The place picker's data: grids and estates with their community.
        tree = response.context["place_tree"]
        assert {"id": areas["G1"].pk, "parent": areas["C1"].pk} in tree["grids"]
        assert {"id": estate.pk, "community": areas["C1"].pk, "grid": areas["G1"].pk} in tree["estates"]
        assert 'id="place-tree"' in response.content.decode()

    def test_it_refuses_a_post_without_the_csrf_token(self, alice, areas, estate):
        # The view is csrf_exempt only so it can catch oversized bodies; the check runs inside.
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(alice)
        response = client.post(NEW, filing(areas, estate))
        assert response.status_code == 403
        assert not Case.objects.exists()

    def test_it_files_a_case_with_parties_and_evidence(self, as_alice, alice, areas, estate, media_root):
        data = filing(areas, estate, respondent_phone="13900139000", households=6)
        data["evidence"] = [jpeg("leak.jpg"), jpeg("ceiling.jpg")]
        response = as_alice.post(NEW, data)
        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("disputes:case_submitted", args=[case.number])
        assert case.area == areas["G1"] and case.estate == estate and case.building == "Building 3, Unit 2"
        assert case.filed_by == alice and case.source == Case.Source.ONLINE and case.status == Case.Status.SUBMITTED
        assert case.is_collective and case.households == 6
        assert case.consent_sensitive_at is not None and case.public_mediation is False
        applicant = case.parties.get(role=Party.Role.APPLICANT)
        assert (applicant.user, applicant.phone, applicant.consents_to_mediation) == (alice, "13800138001", True)
        respondent = case.parties.get(role=Party.Role.RESPONDENT)
        assert (respondent.name, respondent.phone, respondent.user) == ("The neighbour in 302", "13900139000", None)
        assert sorted(case.evidence.values_list("original_name", flat=True)) == ["ceiling.jpg", "leak.jpg"]
        assert set(case.evidence.values_list("content_type", flat=True)) == {"image/jpeg"}
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SUBMITTED).count() == 1
        assert pending_files(media_root) == []

        page = as_alice.get(response["Location"])
        assert page.status_code == 200
        assert case.number in page.content.decode()

    def test_the_same_submission_three_times_makes_one_case(self, as_alice, areas, estate):
        data = filing(areas, estate)
        locations = set()
        for _attempt in range(3):
            data["evidence"] = [jpeg()]
            response = as_alice.post(NEW, data)
            assert response.status_code == 302
            locations.add(response["Location"])
        case = Case.objects.get()
        assert locations == {reverse("disputes:case_submitted", args=[case.number])}
        assert case.evidence.count() == 1
        assert case.parties.count() == 2
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SUBMITTED).count() == 1

    def test_bad_input_keeps_the_typed_values_and_the_accepted_files(self, as_alice, areas, estate, media_root):
        data = filing(areas, estate, title="", applicant_phone="12345")
        data["evidence"] = [jpeg("kept.jpg")]
        response = as_alice.post(NEW, data)
        assert response.status_code == 200
        assert Case.objects.count() == 0
        html = response.content.decode()
        assert "Since May, water drips through my kitchen ceiling." in html
        assert "The neighbour in 302" in html
        form = response.context["form"]
        assert form.errors["title"] == [gettext("This field is required.")]
        assert form.errors["applicant_phone"] == [
            gettext("Enter a mainland China mobile number of 11 digits, such as 13812345678.")
        ]
        assert response.context["pending_names"] == ["kept.jpg"]
        assert 'id="already-attached"' in html and "kept.jpg" in html
        assert len(pending_files(media_root)) == 1

        # Corrected, without choosing the file again: the kept file is attached to the case.
        data = {**data, "title": "Water leaking from above", "applicant_phone": "13800138001"}
        data.pop("evidence")
        response = as_alice.post(NEW, data)
        case = Case.objects.get()
        assert response.status_code == 302
        assert list(case.evidence.values_list("original_name", flat=True)) == ["kept.jpg"]
        assert Evidence.objects.get().file.read()[:3] == b"\xff\xd8\xff"
        assert pending_files(media_root) == []
        assert as_alice.session[SESSION_KEY] == {}

    def test_a_refused_file_is_named_and_the_good_one_kept(self, as_alice, areas, estate):
        data = filing(areas, estate)
        data["evidence"] = [
            jpeg("good.jpg"),
            SimpleUploadedFile("page.jpg", b"<html><script>x</script>", "image/jpeg"),
        ]
        response = as_alice.post(NEW, data)
        assert response.status_code == 200 and Case.objects.count() == 0
        assert response.context["form"].errors["evidence"] == [
            gettext("“%(name)s” is not a photo (JPEG, PNG or WebP) or a PDF document.") % {"name": "page.jpg"}
        ]
        assert response.context["pending_names"] == ["good.jpg"]

    def test_pending_files_of_one_form_are_not_attached_by_another_session(self, client, carol, areas, estate):
        key = str(uuid.uuid4())
        client.force_login(carol)
        client.post(NEW, {**filing(areas, estate, title="", idempotency_key=key), "evidence": [jpeg("mine.jpg")]})
        client.logout()
        other = type(client)()
        other.force_login(make_user("dave"))
        response = other.post(NEW, filing(areas, estate, idempotency_key=key))
        assert response.status_code == 302
        assert Case.objects.get().evidence.count() == 0

    def test_a_grid_or_estate_outside_the_community_is_refused(self, as_alice, areas, estate):
        response = as_alice.post(NEW, filing(areas, estate, community=areas["C2"].pk, grid=areas["G1"].pk))
        assert response.status_code == 200 and Case.objects.count() == 0
        assert response.context["form"].errors["grid"] == [gettext("This grid is not in the chosen community.")]
        assert response.context["form"].errors["estate"] == [gettext("This estate is not in the chosen community.")]

    def test_consent_to_sensitive_information_is_required(self, as_alice, areas, estate):
        response = as_alice.post(NEW, filing(areas, estate, consent_sensitive=None))
        assert Case.objects.count() == 0
        assert response.context["form"].errors["consent_sensitive"] == [
            gettext("We can only handle your complaint with this consent.")
        ]

    def test_an_oversized_file_gets_a_message_not_a_500(self, as_alice, areas, estate):
        big = SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff" + b"0" * uploads.MAX_BYTES, "image/jpeg")
        response = as_alice.post(NEW, {**filing(areas, estate), "evidence": [big]})
        assert response.status_code == 200 and Case.objects.count() == 0
        [message] = response.context["form"].errors["evidence"]
        assert message.startswith("“huge.jpg”")

    def test_a_body_over_the_limit_is_refused_with_a_message(self, as_alice, areas, estate, monkeypatch):
        monkeypatch.setattr(resident, "MAX_FILING_BODY", 1000)
        response = as_alice.post(NEW, {**filing(areas, estate), "evidence": [jpeg(size=(400, 300))]})
        assert response.status_code == 413 and Case.objects.count() == 0
        expected = gettext("The files were too large: attach at most %(count)s files of %(mb)s MB each.") % {
            "count": 5,
            "mb": 10,
        }
        assert expected in [str(m) for m in response.context["messages"]]

    def test_too_many_files_are_refused_with_a_message(self, as_alice, areas, estate, media_root):
        response = as_alice.post(NEW, {**filing(areas, estate), "evidence": [jpeg(f"{i}.jpg") for i in range(11)]})
        assert response.status_code == 413 and Case.objects.count() == 0
        assert pending_files(media_root) == []

    def test_a_sixth_file_is_refused_and_five_kept(self, as_alice, areas, estate):
        data = {**filing(areas, estate), "evidence": [jpeg(f"{i}.jpg") for i in range(6)]}
        response = as_alice.post(NEW, data)
        assert response.status_code == 200
        assert response.context["pending_names"] == [f"{i}.jpg" for i in range(5)]
        data.pop("evidence")
        as_alice.post(NEW, data)
        assert Case.objects.get().evidence.count() == 5

    def test_staff_cannot_file_here_and_anonymous_must_sign_in(self, client, mia):
        response = client.get(NEW)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
        client.force_login(mia)
        assert client.get(NEW).status_code == 403


class FollowingTests:
    def test_my_cases_lists_only_my_own(self, client, alice, bob, carol, areas):
        mine = make_case(applicant=alice, area=areas["G1"], title="Mine")
        against_me = make_case(applicant=carol, respondent=alice, area=areas["G1"], title="Against me")
        others = make_case(applicant=carol, respondent=bob, area=areas["G1"], title="Others")
        client.force_login(alice)
        response = client.get(reverse("disputes:case_list"))
        assert [c.number for c in response.context["cases"]] == [against_me.number, mine.number]
        assert others.number not in response.content.decode()
        roles = {c.number: c.my_role for c in response.context["cases"]}
        assert roles == {mine.number: Party.Role.APPLICANT, against_me.number: Party.Role.RESPONDENT}

    def test_my_cases_runs_a_constant_number_of_queries(self, client, alice, areas, django_assert_max_num_queries):
        for _i in range(5):
            make_case(applicant=alice, area=areas["G1"])
        client.force_login(alice)
        with django_assert_max_num_queries(6):
            response = client.get(reverse("disputes:case_list"))
        assert len(response.context["cases"]) == 5

    def test_the_case_page_shows_the_public_timeline_mediator_and_deadline(self, client, alice, mia, areas):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
        from disputes import services

        services.case_event_record(
            case=case, actor=mia, kind=CaseEvent.Kind.NOTE, note="Internal memo", is_public=False
        )
        client.force_login(alice)
        response = client.get(case.get_absolute_url())
        html = response.content.decode()
        assert response.status_code == 200
        assert "Internal memo" not in html
        assert [e.kind for e in response.context["events"]] == [CaseEvent.Kind.SUBMITTED, CaseEvent.Kind.ASSIGNED]
        assert "Mia Chen" in html and mia.phone in html
        labels = [label for label, _when in response.context["deadlines"]]
        assert labels == [gettext("The mediator takes the case on"), gettext("Mediation deadline")]
        assert response.context["deadlines"][1][1] == resident._due_in_words(case.resolve_due_at)

    def test_a_submitted_case_says_it_is_accepted_within_three_days(self, client, alice, areas):
        case = make_case(applicant=alice, area=areas["G1"])
        client.force_login(alice)
        with translation.override("en"):
            response = client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
            [(label, when)] = response.context["deadlines"]
            assert label == "Acceptance deadline"
            assert when.startswith("within 3 days")
            assert "Acceptance deadline: within 3 days" in response.content.decode()

    def test_other_residents_get_404_and_anonymous_must_sign_in(self, client, alice, carol, areas):
        case = make_case(applicant=alice, area=areas["G1"])
        urls = [
            reverse("disputes:case_detail", args=[case.number]),
            reverse("disputes:case_submitted", args=[case.number]),
        ]
        posts = [
            reverse(f"disputes:{name}", args=[case.number])
            for name in ("case_add_information", "case_withdraw", "case_consent")
        ]
        for url in urls + posts:
            response = client.get(url) if url in urls else client.post(url, {"consents": "0", "text": "x"})
            assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
        client.force_login(carol)
        for url in urls:
            assert client.get(url).status_code == 404
        for url in posts:
            assert client.post(url, {"consents": "0", "text": "x"}).status_code == 404
        case.refresh_from_db()
        assert case.status == Case.Status.SUBMITTED and case.events.count() == 1

    def test_a_respondent_sees_the_case_but_not_the_applicants_contact_details(self, client, alice, bob, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"])
        client.force_login(bob)
        html = client.get(case.get_absolute_url()).content.decode()
        assert "Alice Zhang" in html and case.title in html
        assert alice.phone not in html and mask_phone(alice.phone) not in html
        assert "110101" not in html  # no part of the applicant's ID number
        client.force_login(alice)
        html = client.get(case.get_absolute_url()).content.decode()
        assert mask_phone(bob.phone) in html and bob.phone not in html
        assert "110101********1234" in html and "110101199001011234" not in html

    def test_evidence_is_linked_through_the_checked_view(self, as_alice, alice, areas, estate):
        as_alice.post(NEW, {**filing(areas, estate), "evidence": [jpeg()]})
        case, evidence = Case.objects.get(), Evidence.objects.get()
        html = as_alice.get(case.get_absolute_url()).content.decode()
        assert reverse("disputes:evidence_download", args=[evidence.pk]) in html


class ActingTests:
    def test_the_applicant_withdraws_with_a_confirm_step(self, client, alice, areas):
        case = make_case(applicant=alice, area=areas["G1"])
        client.force_login(alice)
        page = client.get(case.get_absolute_url()).content.decode()
        assert 'id="withdraw"' in page and "<details" in page
        response = client.post(reverse("disputes:case_withdraw", args=[case.number]), {"reason": "Sorted it out."})
        assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
        case.refresh_from_db()
        assert case.status == Case.Status.WITHDRAWN and case.outcome == Case.Outcome.WITHDRAWN
        assert case.events.filter(new_status=Case.Status.WITHDRAWN, note="Sorted it out.", actor=alice).exists()

    def test_withdrawing_twice_shows_a_message_not_a_500(self, client, alice, areas):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.WITHDRAWN)
        client.force_login(alice)
        response = client.post(reverse("disputes:case_withdraw", args=[case.number]), follow=True)
        assert response.status_code == 200
        expected = gettext("A case that is “%(old)s” cannot become “%(new)s”.") % {
            "old": Case.Status.WITHDRAWN.label,
            "new": Case.Status.WITHDRAWN.label,
        }
        assert [str(m) for m in response.context["messages"]] == [expected]
        assert case.events.filter(new_status=Case.Status.WITHDRAWN).count() == 1

    def test_a_stale_case_gives_a_friendly_message(self, client, alice, areas, monkeypatch):
        case = make_case(applicant=alice, area=areas["G1"])
        client.force_login(alice)
        from disputes import selectors, services

        real = selectors.case_get_for_party

        def loaded_before_a_change(user, number):
            found, party = real(user, number)
            Case.objects.filter(pk=found.pk).update(version=found.version + 1)  # another request moved it
            return found, party

        monkeypatch.setattr(selectors, "case_get_for_party", loaded_before_a_change)
        response = client.post(reverse("disputes:case_withdraw", args=[case.number]), follow=True)
        assert [str(m) for m in response.context["messages"]] == [str(services.StaleCase(case.number))]
        case.refresh_from_db()
        assert case.status == Case.Status.SUBMITTED

    def test_the_respondent_cannot_withdraw(self, client, alice, bob, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"])
        client.force_login(bob)
        response = client.post(reverse("disputes:case_withdraw", args=[case.number]), follow=True)
        assert [str(m) for m in response.context["messages"]] == [
            gettext("Only the person who filed the case can withdraw it.")
        ]
        case.refresh_from_db()
        assert case.status == Case.Status.SUBMITTED

    def test_declining_mediation_terminates_it_with_an_event(self, client, alice, bob, mia, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
        client.force_login(bob)
        page = client.get(case.get_absolute_url()).content.decode()
        assert gettext("Decline mediation and end it") in page
        response = client.post(
            reverse("disputes:case_consent", args=[case.number]), {"consents": "0", "note": "I won't talk to them."}
        )
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED and case.outcome == Case.Outcome.TERMINATED
        assert case.routes_advised
        event = case.events.get(new_status=Case.Status.CLOSED)
        assert event.actor == bob and event.is_public
        assert Party.objects.get(case=case, user=bob).consents_to_mediation is False

    def test_accepting_mediation_records_consent(self, client, alice, bob, mia, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
        client.force_login(bob)
        client.post(reverse("disputes:case_consent", args=[case.number]), {"consents": "1"})
        case.refresh_from_db()
        assert case.status == Case.Status.ASSIGNED
        assert case.events.filter(kind=CaseEvent.Kind.CONSENT, actor=bob).exists()
        assert Party.objects.get(case=case, user=bob).consents_to_mediation is True
        assert 'id="consent"' not in client.get(case.get_absolute_url()).content.decode()

    def test_a_party_adds_information_and_evidence(self, client, alice, areas):
        case = make_case(applicant=alice, area=areas["G1"])
        client.force_login(alice)
        response = client.post(
            reverse("disputes:case_add_information", args=[case.number]),
            {"text": "It happened again last night.", "files": [jpeg("night.jpg")]},
        )
        assert response.status_code == 302
        event = case.events.get(kind=CaseEvent.Kind.INFO_ADDED)
        assert (event.note, event.data["files"], event.actor) == (
            "It happened again last night.",
            ["night.jpg"],
            alice,
        )
        assert case.evidence.get().original_name == "night.jpg"

    def test_adding_nothing_or_a_bad_file_shows_the_errors(self, client, alice, areas):
        case = make_case(applicant=alice, area=areas["G1"])
        client.force_login(alice)
        url = reverse("disputes:case_add_information", args=[case.number])
        response = client.post(url, {"text": ""})
        assert response.status_code == 400
        assert response.context["add_form"].non_field_errors() == [gettext("Write something or choose a file to add.")]
        response = client.post(url, {"text": "See file", "files": [SimpleUploadedFile("x.jpg", b"", "image/jpeg")]})
        assert response.status_code == 400 and "See file" in response.content.decode()
        assert case.events.count() == 1 and case.evidence.count() == 0


class InboxTests:
    def test_the_navbar_counts_unread_messages_and_opening_one_marks_it_read(self, client, alice, bob, mia, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
        unread = InboxMessage.objects.filter(recipient=alice, read_at__isnull=True)
        count = unread.count()
        assert count >= 1
        client.force_login(alice)
        response = client.get(reverse("home"))
        assert response.context["inbox_unread"] == count
        assert 'id="inbox-unread"' in response.content.decode()

        inbox = client.get(reverse("disputes:inbox"))
        assert [m.pk for m in inbox.context["items"]] == list(
            InboxMessage.objects.filter(recipient=alice).values_list("pk", flat=True)
        )
        message = unread.first()
        page = client.get(reverse("disputes:inbox_message", args=[message.pk]))
        assert page.status_code == 200 and case.get_absolute_url() in page.content.decode()
        message.refresh_from_db()
        assert message.read_at is not None
        assert client.get(reverse("home")).context["inbox_unread"] == count - 1

    def test_the_unread_count_is_one_query(self, client, alice, areas, django_assert_num_queries):
        make_case(applicant=alice, area=areas["G1"])
        from disputes.context_processors import inbox

        InboxMessage.objects.create(recipient=alice, subject="s", body="b", source_key="test:1")
        expected = InboxMessage.objects.filter(recipient=alice, read_at__isnull=True).count()
        request = type("Request", (), {"user": alice})()
        with django_assert_num_queries(1):
            assert int(str(inbox(request)["inbox_unread"])) == expected

    def test_nobody_reads_another_persons_message(self, client, alice, carol, mia, areas):
        make_case(applicant=alice, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
        message = InboxMessage.objects.filter(recipient=alice).first()
        client.force_login(carol)
        assert client.get(reverse("disputes:inbox_message", args=[message.pk])).status_code == 404
        message.refresh_from_db()
        assert message.read_at is None


@pytest.mark.parametrize("language", ["zh-hans", "en"])
class LanguageTests:
    def test_the_filing_flow_speaks_the_chosen_language(self, client, alice, areas, estate, language):
        client.force_login(alice)
        client.cookies["django_language"] = language
        with translation.override(language):
            form_page = client.get(NEW).content.decode()
            assert gettext("File a complaint") in form_page
            assert gettext("Who you are") in form_page and gettext("Consents") in form_page
            bad = client.post(NEW, filing(areas, estate, title=""))
            assert gettext("Please correct the marked fields below.") in bad.content.decode()
            response = client.post(NEW, filing(areas, estate), follow=True)
            html = response.content.decode()
            assert gettext("Your complaint has been received") in html
            assert Case.objects.get().number in html
            listing = client.get(reverse("disputes:case_list")).content.decode()
            assert gettext("My cases") in listing and str(Case.Status.SUBMITTED.label) in listing
            detail = client.get(Case.objects.get().get_absolute_url()).content.decode()
            assert gettext("Acceptance deadline") in detail and gettext("Timeline") in detail
