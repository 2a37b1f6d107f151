"""The web never waits on Redis (DESIGN §7): with the broker stopped or hanging, filing a
complaint still succeeds after one publish attempt (bounded by the broker's socket timeout), and
later requests do not try the broker at all until the back-off ends; the notification row waits
in the database and goes out once Redis is back and the dispatch runs. The asserts count attempts
and connections, not seconds, so a loaded machine cannot fail them."""

import socket
import threading
import time
from dataclasses import dataclass

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


@dataclass
class HangingBroker:
    url: str
    connections: list  # the connections it accepted (and never answered)


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
    yield HangingBroker(f"redis://127.0.0.1:{server.getsockname()[1]}/0", held)
    server.close()
    for conn in held:
        conn.close()


def file_complaint(areas, alice, bob) -> Case:
    return make_case(applicant=alice, respondent=bob, area=areas["G1"])


def breaker_open() -> bool:
    return broker._broker_down_until > time.monotonic()


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

                case = file_complaint(areas, alice, bob)

                assert breaker_open()  # the failed publish was noticed: the next requests skip Redis
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

    def test_filing_with_a_hanging_broker_tries_it_once_then_not_at_all(
        self, setup_cast, fresh_breaker, hanging_broker, areas, alice, bob, caplog
    ):
        with app_broker(hanging_broker.url):
            case = file_complaint(areas, alice, bob)
            tried = len(hanging_broker.connections)
            # While the broker is marked down the next request does not even connect.
            second = file_complaint(areas, alice, bob)

        assert tried >= 1 and len(hanging_broker.connections) == tried
        assert breaker_open()
        logged = [r.getMessage() for r in caplog.records if r.name == "disputes.broker"]
        assert sum("broker unavailable" in m for m in logged) == 1
        assert sum("broker marked down" in m for m in logged) >= 1
        assert bobs_email(case).state == bobs_email(second).state == Reminder.State.PENDING
