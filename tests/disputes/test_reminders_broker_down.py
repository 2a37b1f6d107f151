"""The web never waits on Redis (DESIGN §7): with the broker stopped or hanging, filing a
complaint still succeeds within 2 seconds; its notification row waits in the database and goes
out once Redis is back and the dispatch runs."""

import socket
import threading
import time

import pytest

from config.celery import app as celery_app
from disputes import broker
from disputes.models import Case, Category, Reminder
from disputes.services.reminders import reminders_dispatch_due
from tests.conftest import _test_database_url
from tests.factories import make_case
from tests.mail_files import read_mail_dir, reminder_ids
from tests.private_redis import PrivateRedis, Worker, app_broker, free_port


@pytest.fixture
def fresh_breaker():
    """The broker breaker closed, and tasks published (not eager) as in production."""
    broker._broker_down_until = 0.0
    eager = celery_app.conf.CELERY_TASK_ALWAYS_EAGER
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
    yield
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = eager
    broker._broker_down_until = 0.0


@pytest.fixture
def setup_cast(transactional_db, areas, alice, bob):
    # transactional_db empties every table after a test, the seeded categories too.
    Category.objects.get_or_create(code="neighbours", defaults={"name": "Neighbours"})


@pytest.fixture
def hanging_broker():
    """A socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", free_port()))
    server.listen(50)
    held = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for conn in held:
        conn.close()


def file_complaint(areas, alice, bob) -> tuple[Case, float]:
    started = time.monotonic()
    case = make_case(applicant=alice, respondent=bob, area=areas["G1"])
    return case, time.monotonic() - started


def bobs_email(case: Case) -> Reminder:
    return Reminder.objects.get(case=case, rule="event", channel=Reminder.Channel.EMAIL)


@pytest.mark.celery_worker
class BrokerDownTests:
    def test_filing_with_redis_stopped_succeeds_and_the_notification_goes_out_after_it_returns(
        self, setup_cast, fresh_breaker, areas, alice, bob, tmp_path
    ):
        private = PrivateRedis(tmp_path / "redis")
        private.start()
        worker = Worker(
            broker_url=private.url,
            database_url=_test_database_url(),
            log_dir=tmp_path,
            mail_dir=tmp_path / "mail",
        )
        try:
            with app_broker(private.url):
                private.stop()

                case, seconds = file_complaint(areas, alice, bob)

                assert seconds < 2.0
                assert Case.objects.filter(pk=case.pk, status=Case.Status.SUBMITTED).exists()
                row = bobs_email(case)
                assert (row.state, row.queued_at) == (Reminder.State.PENDING, None)

                private.start()
                worker.start()
                broker._broker_down_until = 0.0  # the next minute's dispatch
                assert reminders_dispatch_due()["published"] >= 1
                deadline = time.monotonic() + 30
                while bobs_email(case).state != Reminder.State.SENT and time.monotonic() < deadline:
                    time.sleep(0.1)
        finally:
            worker.stop()
            private.stop()

        assert bobs_email(case).state == Reminder.State.SENT
        assert reminder_ids(read_mail_dir(tmp_path / "mail"))[bobs_email(case).pk] == 1

    def test_filing_with_a_hanging_broker_succeeds_within_two_seconds(
        self, setup_cast, fresh_breaker, hanging_broker, areas, alice, bob
    ):
        with app_broker(hanging_broker):
            case, seconds = file_complaint(areas, alice, bob)
            # While the broker is marked down the next request does not wait at all.
            _, second = file_complaint(areas, alice, bob)

        assert seconds < 2.0
        assert second < 0.5
        assert bobs_email(case).state == Reminder.State.PENDING
