import pytest

from config.celery import ping


@pytest.mark.celery_worker
class CeleryWorkerTests:
    def test_it_runs_a_task_sent_through_redis(self, celery_worker_process):
        result = ping.delay()

        match = celery_worker_process.wait_for_log(rf"Task linli\.ping\[{result.id}\] succeeded in \S+: '(\w+)'")
        assert match.group(1) == "pong"

    def test_it_answers_a_control_ping(self, celery_worker_process):
        from config.celery import app

        replies = app.control.ping(destination=[celery_worker_process.hostname], timeout=2)

        assert replies == [{celery_worker_process.hostname: {"ok": "pong"}}]
