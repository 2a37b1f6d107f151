"""SMS with a real Celery worker on a private Redis (the reminders' fault harness, issue 15):

- each kind of SMS (code, case link, receipt, acceptance, closure, satisfaction) is handed to the
  gateway once;
- 300 SMS go out while the worker is SIGKILLed again and again mid-send: every row ends SENT and
  every message was handed over; a second hand-off can only come from a kill between the
  gateway's acceptance and the SENT mark (that window cannot be closed at an HTTP edge), and it
  carries the same reference (the row's key), which the gateway uses to drop it. The test counts
  distinct deliveries (must equal the rows) and raw hand-offs (bounded by the kills).
"""

import json
import random
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts import phone_verification
from accounts.models import OutboundSms, PhoneCode
from accounts.sms_outbox import sms_dispatch_due
from disputes import broker, services
from disputes.models import Case, Party
from disputes.services import parties as party_services
from tests.conftest import _test_database_url
from tests.factories import make_case
from tests.private_redis import PrivateRedis, Worker, app_broker
from tests.sms_files import deliveries, read_sms_dir

pytestmark = pytest.mark.celery_worker
SHORT = timedelta(seconds=3)


def sms_counts() -> dict[str, int]:
    result = dict.fromkeys(OutboundSms.State.values, 0)
    for row in OutboundSms.objects.values("state").annotate(n=Count("pk")):
        result[row["state"]] = row["n"]
    return result


@pytest.fixture
def harness(transactional_db, tmp_path, monkeypatch):
    redis_server = PrivateRedis(tmp_path / "redis")
    redis_server.start()
    monkeypatch.setattr(broker, "BROKER_BACKOFF_SECONDS", 0.5)
    monkeypatch.setattr(broker, "_broker_down_until", 0.0)
    sms_dir = tmp_path / "sms"

    def worker(*, concurrency=1, delay_ms=0):
        return Worker(
            broker_url=redis_server.url,
            database_url=_test_database_url(),
            log_dir=tmp_path,
            mail_dir=tmp_path / "mail",
            concurrency=concurrency,
            env={
                "SMS_BACKEND": "tests.sms_files.FileSmsBackend",
                "LINLI_TEST_SMS_DIR": str(sms_dir),
                "LINLI_TEST_SMS_DELAY_MS": str(delay_ms),
            },
        )

    from config.celery import app as celery_app

    eager = celery_app.conf.CELERY_TASK_ALWAYS_EAGER
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
    try:
        with app_broker(redis_server.url):
            yield worker, sms_dir
    finally:
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER = eager
        redis_server.stop()


def wait_all_sent(timeout=60):
    deadline = time.monotonic() + timeout
    while sms_counts()["pending"] or sms_counts()["sending"]:
        assert time.monotonic() < deadline, sms_counts()
        sms_dispatch_due(stuck_after=SHORT, requeue_after=SHORT)
        time.sleep(0.2)


def test_each_sms_is_sent_once_by_a_real_worker(harness, alice, bob, mia, areas):
    make_worker, sms_dir = harness
    worker = make_worker()
    worker.start()
    try:
        for user in (alice, bob):
            user.phone_verified_at = timezone.now()
            user.save()
        phone_verification.phone_code_send(phone="13900009999", purpose=PhoneCode.Purpose.REGISTER)
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        with transaction.atomic():
            walk_in = Party.objects.create(case=case, role=Party.Role.APPLICANT, name="Dora", phone="13900001111")
            party_services.case_link_send(party=walk_in)
        services.case_resolve(case=case, actor=mia, outcome=Case.Outcome.RECONCILED, summary="Agreed.")
        services.case_close(case=case, actor=mia)
        # The satisfaction SMS waits for the follow-up day: bring the day forward.
        OutboundSms.objects.filter(template="satisfaction").update(available_at=timezone.now())
        # A second dispatch and a re-published message change nothing.
        sms_dispatch_due()
        wait_all_sent()
        time.sleep(1)  # any duplicate message still in the queue has had time to run
    finally:
        worker.stop()

    handed = deliveries(sms_dir)
    rows = dict(OutboundSms.objects.values_list("key", "template"))
    assert set(handed) == set(rows)
    assert set(handed.values()) == {1}
    assert set(rows.values()) >= {"code", "case_link", "case_receipt", "case_accepted", "satisfaction", "case_closed"}
    assert sms_counts()["sent"] == len(rows)


def test_sms_are_sent_through_worker_kills(harness, areas, mia, alice):
    rows, kills = 300, 5
    make_worker, sms_dir = harness
    case = make_case(applicant=alice, area=areas["G1"])
    OutboundSms.objects.bulk_create(
        OutboundSms(
            key=f"fault:{i}",
            phone=f"139{i:08d}",
            template="case_link",
            params={"number": case.number, "link": f"https://linli.example/c/{i}/"},
        )
        for i in range(rows)
    )
    worker = make_worker(concurrency=2, delay_ms=20)
    rng = random.Random(15)
    started = time.monotonic()
    try:
        worker.start()
        sms_dispatch_due(stuck_after=SHORT, requeue_after=SHORT)
        life_start, kill_at = 0, None
        while True:
            assert time.monotonic() - started < 240, sms_counts()
            state = sms_counts()
            if state["pending"] == state["sending"] == 0:
                break
            if kill_at is None and state["sent"] > life_start:
                kill_at = time.monotonic() + rng.uniform(0.05, 0.4)
            if worker.kills < kills and kill_at is not None and time.monotonic() >= kill_at:
                worker.kill()
                worker.start(wait=False)
                life_start, kill_at = sms_counts()["sent"], None
            sms_dispatch_due(stuck_after=SHORT, requeue_after=SHORT)
            time.sleep(0.1)
    finally:
        worker.stop()

    handed = deliveries(sms_dir)
    raw = sum(handed.values())
    summary = {"sms": rows, "kills": worker.kills, "states": sms_counts(), "handoffs": raw, "duplicates": raw - rows}
    print("sms fault run:", json.dumps(summary))
    assert worker.kills == kills
    assert sms_counts()["sent"] == rows
    assert set(handed) == {f"fault:{i}" for i in range(rows)}  # every SMS reached the gateway
    assert raw - rows <= kills * worker.concurrency
    assert len(read_sms_dir(sms_dir)) == raw
