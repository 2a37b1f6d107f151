"""Registration and change of number with a code sent by SMS (issue 15, parts 1 and 7)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from accounts import phone_verification
from accounts.models import OutboundSms, PhoneCode, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(committing_client):
    return committing_client


REGISTER = reverse("accounts:register")
VERIFY = reverse("accounts:phone_verify")
PHONE = "13800138000"


def _register(client, **overrides):
    data = {
        "phone": "138 0013 8000",
        "full_name": "Wang Fang",
        "email": "",
        "password1": "Quiet-Neighbour-42",
        "password2": "Quiet-Neighbour-42",
        "agree_terms": "on",
        **overrides,
    }
    return client.post(REGISTER, data)


class RegistrationVerificationTests:
    def test_nothing_is_created_until_the_code_is_typed(self, client, sms_outbox, settings):
        response = _register(client)

        assert response.status_code == 302
        assert response["Location"] == VERIFY
        assert not User.objects.exists()
        code = sms_outbox.code_for(PHONE)
        response = client.post(VERIFY, {"code": code})

        user = User.objects.get(phone=PHONE)
        assert user.phone_verified_at is not None
        assert (user.terms_version, user.terms_accepted_at is not None) == (settings.TERMS_VERSION, True)
        assert user.full_name == "Wang Fang"
        assert user.check_password("Quiet-Neighbour-42")
        assert int(client.session["_auth_user_id"]) == user.pk
        assert response.status_code == 302

    def test_the_code_is_stored_hashed_and_wiped_from_the_sms_row(self, client, sms_outbox):
        _register(client)
        code = sms_outbox.code_for(PHONE)

        row = PhoneCode.objects.get()
        assert code not in row.code_hash
        sms = OutboundSms.objects.get(template="code")
        assert sms.state == OutboundSms.State.SENT
        assert sms.params == {}

    def test_a_wrong_code_is_refused_and_five_kill_it(self, client, sms_outbox):
        _register(client)
        code = sms_outbox.code_for(PHONE)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            response = client.post(VERIFY, {"code": wrong})
            assert response.status_code == 200
            assert response.context["form"].has_error("code")
        client.post(VERIFY, {"code": code})  # right, but too late

        assert not User.objects.exists()

    def test_a_code_is_single_use_and_expires(self, sms_outbox, django_capture_on_commit_callbacks):
        def send():
            with django_capture_on_commit_callbacks(execute=True):
                phone_verification.phone_code_send(phone=PHONE, purpose=PhoneCode.Purpose.CHANGE)

        send()
        code = sms_outbox.code_for(PHONE)
        assert phone_verification.phone_code_check(phone=PHONE, purpose=PhoneCode.Purpose.CHANGE, code=code)
        assert not phone_verification.phone_code_check(phone=PHONE, purpose=PhoneCode.Purpose.CHANGE, code=code)

        send()
        code = sms_outbox.code_for(PHONE)
        PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert not phone_verification.phone_code_check(phone=PHONE, purpose=PhoneCode.Purpose.CHANGE, code=code)
        # and a code of one purpose does not serve another
        send()
        code = sms_outbox.code_for(PHONE)
        assert not phone_verification.phone_code_check(phone=PHONE, purpose=PhoneCode.Purpose.REGISTER, code=code)

    def test_a_taken_number_answers_the_same_and_tells_its_owner(self, client, alice, sms_outbox):
        alice.phone_verified_at = timezone.now()
        alice.save()

        response = _register(client, phone=alice.phone)

        assert response.status_code == 302
        assert response["Location"] == VERIFY
        page = client.get(VERIFY)
        assert page.status_code == 200
        assert [m["template"] for m in sms_outbox.to(alice.phone)] == ["phone_taken"]
        assert client.post(VERIFY, {"code": "123456"}).status_code == 200
        assert User.objects.filter(phone=alice.phone).get() == alice
        assert User.objects.count() == 1

    def test_a_number_held_unverified_goes_to_whoever_verifies_it(self, client, alice, sms_outbox):
        # alice's account predates verification: her number was never proved.
        _register(client, phone=alice.phone)
        client.post(VERIFY, {"code": sms_outbox.code_for(alice.phone)})

        alice.refresh_from_db()
        assert alice.phone is None
        assert User.objects.get(phone="13800138001").phone_verified_at is not None

    @pytest.mark.parametrize(
        "typed", ["13８00138000", "+86 138 0013 8000", "１３８００１３８０００", "＋８６13800138000"]
    )
    def test_phones_are_normalised(self, client, sms_outbox, typed):
        _register(client, phone=typed)
        assert sms_outbox.code_for(PHONE)

    def test_terms_must_be_agreed_to(self, client, sms_outbox):
        response = _register(client, agree_terms="")

        assert response.status_code == 200
        with override("zh-hans"):
            expected = gettext("To register, agree to the terms of use and the privacy notice.")
        assert response.context["form"].errors["agree_terms"] == [expected]
        assert sms_outbox.messages == type(sms_outbox.messages)()  # nothing sent
        assert 'value="Wang Fang"' in response.content.decode()

    def test_code_requests_are_limited_per_phone(self, client, sms_outbox):
        for _ in range(5):
            assert _register(client).status_code == 302
        assert _register(client).status_code == 429
        assert len(sms_outbox.to(PHONE)) == 5

    def test_code_requests_are_limited_per_address(self, client, settings, sms_outbox):
        settings.RATE_LIMITS = {"sms_code_addr": 3, "register": 100}
        for n in range(3):
            assert _register(client, phone=f"1390000000{n}").status_code == 302
        assert _register(client, phone="13900000009").status_code == 429

    def test_resending_is_limited_too(self, client, sms_outbox):
        _register(client)
        for _ in range(4):
            assert client.post(VERIFY, {"resend": "1"}).status_code == 302
        assert client.post(VERIFY, {"resend": "1"}).status_code == 429


class PhoneChangeTests:
    def test_a_resident_changes_their_number_with_a_code(self, client, alice, sms_outbox):
        client.force_login(alice)
        response = client.post(reverse("accounts:phone_change"), {"phone": "139 1111 2222"})
        assert response["Location"] == VERIFY
        alice.refresh_from_db()
        assert alice.phone == "13800138001"  # not yet

        client.post(VERIFY, {"code": sms_outbox.code_for("13911112222")})

        alice.refresh_from_db()
        assert (alice.phone, alice.phone_verified_at is not None) == ("13911112222", True)

    def test_an_older_account_verifies_its_own_number(self, client, alice, sms_outbox):
        client.force_login(alice)
        client.post(reverse("accounts:phone_change"), {"phone": alice.phone})
        client.post(VERIFY, {"code": sms_outbox.code_for(alice.phone)})

        alice.refresh_from_db()
        assert alice.has_verified_phone

    def test_a_number_verified_by_another_account_is_not_taken(self, client, alice, bob, sms_outbox):
        bob.phone_verified_at = timezone.now()
        bob.save()
        client.force_login(alice)
        response = client.post(reverse("accounts:phone_change"), {"phone": bob.phone})

        assert response["Location"] == VERIFY  # the same answer
        assert [m["template"] for m in sms_outbox.to(bob.phone)] == ["phone_taken"]
        alice.refresh_from_db()
        assert alice.phone == "13800138001"

    def test_the_verify_page_needs_a_pending_number(self, client):
        assert client.get(VERIFY)["Location"] == REGISTER


class NotificationChoiceTests:
    def test_a_resident_turns_sms_and_email_off_in_their_profile(self, client, alice):
        client.force_login(alice)
        response = client.post(
            reverse("accounts:profile"), {"full_name": "Alice Zhang", "email": alice.email, "language": ""}
        )  # unticked boxes are not sent

        assert response.status_code == 302
        alice.refresh_from_db()
        assert (alice.notify_sms, alice.notify_email) == (False, False)
