import socket
import threading

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils.translation import gettext, override

pytestmark = pytest.mark.django_db


class LanguageTests:
    def test_the_home_page_is_in_chinese_by_default(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert response["Content-Language"] == "zh-hans"
        with override("zh-hans"):
            assert gettext("Register with your mobile number") in response.content.decode()
        assert '<html lang="zh-hans">' in response.content.decode()

    def test_the_switcher_changes_the_language(self, client):
        response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
        assert response.status_code == 302
        page = client.get("/").content.decode()
        assert "Register with your mobile number" in page
        assert '<html lang="en">' in page

    def test_chinese_catalogue_is_complete_for_the_home_page(self, client):
        with override("zh-hans"):
            assert gettext("Register with your mobile number") != "Register with your mobile number"


@pytest.fixture
def hanging_port():
    """A TCP server that accepts connections and never answers, like a Redis that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class HealthTests:
    def test_it_reports_database_and_broker_ok(self, client):
        response = client.get(reverse("healthz"))
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}

    def test_it_reports_a_broker_that_is_down(self, client):
        with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
            response = client.get(reverse("healthz"))
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "ok", "broker": "error"}

    def test_it_gives_up_on_a_hanging_broker_by_its_timeout(self, client, hanging_port, caplog):
        # Not a stopwatch (a loaded machine would fail it): the check ends because its socket
        # timeout fired on a connection that was accepted and never answered.
        with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{hanging_port}/0"):
            response = client.get(reverse("healthz"))
        assert response.status_code == 503
        assert response.json()["broker"] == "error"
        failures = [r.getMessage() for r in caplog.records if "broker check failed" in r.getMessage()]
        assert len(failures) == 1 and "timeout" in failures[0].lower(), failures
