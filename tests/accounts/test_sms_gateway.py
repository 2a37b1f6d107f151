"""The HTTP SMS gateway backend against a fake gateway on 127.0.0.1, and the outbox's retries."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from accounts import sms_outbox
from accounts.models import OutboundSms, User

pytestmark = pytest.mark.django_db


class FakeGateway:
    """Answers each POST with the next of `answers`: "ok", "error" or "hang" (longer than the timeout)."""

    def __init__(self):
        self.answers: list[str] = []
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
                answer = gateway.answers.pop(0) if gateway.answers else "ok"
                if answer == "hang":
                    time.sleep(1.5)
                    return
                payload = (
                    {"code": "OK"} if answer == "ok" else {"code": "isv.BUSINESS_LIMIT_CONTROL", "message": "limit"}
                )
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.SMS_BACKEND = "accounts.sms.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = fake.url
    settings.SMS_GATEWAY_KEY_ID = "key-1"
    settings.SMS_GATEWAY_SECRET = "secret-1"
    settings.SMS_GATEWAY_SIGNATURE = "邻里"
    settings.SMS_GATEWAY_TEMPLATES = {"code": "SMS_0001", "case_link": "SMS_0002"}
    settings.SMS_GATEWAY_TIMEOUT = 0.5
    settings.SMS_MAX_ATTEMPTS = 3
    settings.SMS_RETRY_SECONDS = 30
    yield fake
    fake.server.shutdown()


def _queue(django_capture_on_commit_callbacks, **kw) -> OutboundSms:
    with django_capture_on_commit_callbacks(execute=True):
        return sms_outbox.sms_queue(
            key=kw.get("key", "case_link:1:0"),
            phone="13800138000",
            template="case_link",
            params={"number": "LL-2026-000001", "link": "https://linli.example/c/x/"},
        )


def _due_again(row):
    OutboundSms.objects.filter(pk=row.pk).update(available_at=timezone.now())


class GatewayTests:
    def test_it_sends_a_signed_template_message(self, gateway, django_capture_on_commit_callbacks):
        row = _queue(django_capture_on_commit_callbacks)

        row.refresh_from_db()
        assert row.state == OutboundSms.State.SENT
        (request,) = gateway.requests
        assert request["json"] == {
            "phone": "13800138000",
            "sign_name": "邻里",
            "template_id": "SMS_0002",
            "params": {"number": "LL-2026-000001", "link": "https://linli.example/c/x/"},
            "reference": "case_link:1:0",
        }
        headers = request["headers"]
        expected = hmac.new(
            b"secret-1", headers["X-Sms-Timestamp"].encode() + b"." + request["body"], hashlib.sha256
        ).hexdigest()
        assert (headers["X-Sms-Key"], headers["X-Sms-Signature"]) == ("key-1", expected)

    def test_an_error_answer_is_retried_with_back_off_then_failed(self, gateway, django_capture_on_commit_callbacks):
        gateway.answers = ["error", "error", "error"]
        before = timezone.now()
        row = _queue(django_capture_on_commit_callbacks)

        row.refresh_from_db()
        assert (row.state, row.attempts) == (OutboundSms.State.PENDING, 1)
        assert "BUSINESS_LIMIT_CONTROL" in row.last_error
        assert row.available_at >= before + timedelta(seconds=30)
        # not before its time, however often it is asked
        assert sms_outbox.sms_send(sms_id=row.pk) is False
        _due_again(row)
        sms_outbox.sms_send(sms_id=row.pk)
        row.refresh_from_db()
        assert (row.state, row.attempts) == (OutboundSms.State.PENDING, 2)
        assert row.available_at >= timezone.now() + timedelta(seconds=55)  # doubled: 60 s
        _due_again(row)
        sms_outbox.sms_send(sms_id=row.pk)

        row.refresh_from_db()
        assert (row.state, row.attempts) == (OutboundSms.State.FAILED, 3)
        assert len(gateway.requests) == 3
        assert sms_outbox.sms_send(sms_id=row.pk) is False  # FAILED stays failed, visibly

    def test_a_timeout_is_retried_and_then_sent_once(self, gateway, django_capture_on_commit_callbacks):
        gateway.answers = ["hang", "ok"]
        row = _queue(django_capture_on_commit_callbacks)

        row.refresh_from_db()
        assert row.state == OutboundSms.State.PENDING
        assert "timed out" in row.last_error or "unreachable" in row.last_error
        _due_again(row)
        assert sms_outbox.sms_send(sms_id=row.pk) is True
        assert sms_outbox.sms_send(sms_id=row.pk) is False
        row.refresh_from_db()
        assert (row.state, row.attempts) == (OutboundSms.State.SENT, 2)

    def test_a_template_without_a_gateway_id_fails_visibly(
        self, gateway, django_capture_on_commit_callbacks, settings
    ):
        settings.SMS_GATEWAY_TEMPLATES = {}
        settings.SMS_MAX_ATTEMPTS = 1
        row = _queue(django_capture_on_commit_callbacks)

        row.refresh_from_db()
        assert row.state == OutboundSms.State.FAILED
        assert "SMS_GATEWAY_TEMPLATES" in row.last_error

    def test_the_same_key_is_one_row_and_one_message(self, gateway, django_capture_on_commit_callbacks):
        _queue(django_capture_on_commit_callbacks)
        _queue(django_capture_on_commit_callbacks)

        assert OutboundSms.objects.count() == 1
        assert len(gateway.requests) == 1

    def test_the_dispatch_returns_stuck_rows_and_sends_due_ones(self, gateway, settings):
        row = OutboundSms.objects.create(
            key="case_link:9:0",
            phone="13800138000",
            template="case_link",
            params={"number": "LL-2026-000009", "link": "x"},
            state=OutboundSms.State.SENDING,
            claimed_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1),
        )

        result = sms_outbox.sms_dispatch_due()

        row.refresh_from_db()
        assert result["reset"] == 1
        assert row.state == OutboundSms.State.SENT
        assert len(gateway.requests) == 1


class OutboxAdminTests:
    def test_an_administrator_sees_failed_sms_with_the_number_masked(self, client, settings):
        from django.urls import reverse

        from tests.factories import make_user

        root = make_user("root", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
        OutboundSms.objects.create(
            key="case_link:1:0",
            phone="13800138000",
            template="case_link",
            state=OutboundSms.State.FAILED,
            attempts=3,
            last_error="SmsError: gateway refused: isv.BUSINESS_LIMIT_CONTROL",
        )
        client.force_login(root)

        response = client.get(reverse("admin:accounts_outboundsms_changelist") + "?state__exact=failed")

        content = response.content.decode()
        assert response.status_code == 200
        assert "BUSINESS_LIMIT_CONTROL" in content
        assert "138****8000" in content
        assert "13800138000" not in content
        row = OutboundSms.objects.get()
        assert client.get(reverse("admin:accounts_outboundsms_change", args=[row.pk])).status_code == 200
        assert (
            "13800138000"
            not in client.get(reverse("admin:accounts_outboundsms_change", args=[row.pk])).content.decode()
        )
