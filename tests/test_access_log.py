"""Phone and ID numbers never reach the access log (config/access_log.py), neither gunicorn's
(config/gunicorn.py, the production server) nor the development server's."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from config.access_log import mask_numbers

BASE_DIR = Path(__file__).resolve().parent.parent


class MaskNumbersTests:
    @pytest.mark.parametrize(
        "query",
        [
            "q=13800138001",
            "q=138+0013+8001",  # typed with spaces, as a form sends them
            "q=138%200013%208001",
            "q=%2B86+138-0013-8001",
            "q=008613800138001",
        ],
    )
    def test_it_masks_a_phone_number_however_it_was_typed(self, query):
        masked = mask_numbers(f"GET /admin/disputes/case/?{query} HTTP/1.1")
        assert "0013" not in masked and "8001" in masked and "****" in masked, masked

    def test_it_masks_an_id_number(self):
        assert mask_numbers("q=110101199001011234") == "q=110****1234"

    def test_it_leaves_dates_case_numbers_and_short_numbers_readable(self):
        for text in (
            "/dashboard/?period=custom&from=2026-12-01&to=2026-12-31",
            "q=LL-2026-000123",
            "q=8001",
            "/admin/disputes/case/123/change/",
            '"Mozilla/5.0 Chrome/120.0.6099.109"',
        ):
            assert mask_numbers(text) == text


class DevelopmentServerLogTests:
    def test_the_request_log_of_runserver_is_masked(self):
        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logger = logging.getLogger("django.server")
        logger.addHandler(handler)
        try:
            logger.info('"%s" %s %s', "GET /admin/disputes/case/?q=13800138001 HTTP/1.1", "200", "5120")
        finally:
            logger.removeHandler(handler)
        assert [r.getMessage() for r in records] == ['"GET /admin/disputes/case/?q=138****8001 HTTP/1.1" 200 5120']


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GunicornTests:
    def test_the_config_takes_workers_from_the_cores_and_a_30_second_timeout(self, monkeypatch):
        import importlib
        import multiprocessing

        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
        import config.gunicorn as conf

        conf = importlib.reload(conf)
        assert conf.workers == multiprocessing.cpu_count() * 2 + 1
        assert (conf.timeout, conf.graceful_timeout, conf.worker_class) == (30, 30, "sync")
        monkeypatch.setenv("WEB_CONCURRENCY", "2")
        assert importlib.reload(conf).workers == 2

    def test_gunicorn_serves_the_site_and_logs_requests_with_masked_numbers(self, tmp_path):
        port = _free_port()
        env = {**os.environ, "WEB_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "HTTPS": "0"}
        log = tmp_path / "gunicorn.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py"],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                status = None
                for _ in range(100):  # up to 20 s for the worker to boot on a busy machine
                    try:
                        url = f"http://127.0.0.1:{port}/admin/disputes/case/?q=138+0013+8001"
                        with urllib.request.urlopen(url, timeout=5) as response:
                            status = response.status  # the login page, after the redirect
                        break
                    except OSError:
                        time.sleep(0.2)
                assert status == 200
            finally:
                server.terminate()
                server.wait(timeout=30)
        text = log.read_text()
        assert "GET /admin/disputes/case/?q=138****8001 HTTP/1.1" in text, text
        assert "0013" not in text
        assert "Booting worker" in text
