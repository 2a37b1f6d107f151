"""A Redis server and Celery workers that a test owns outright: it stops, kills and restarts
them (never the machine's shared Redis, never the session's worker)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

from config.celery import app as celery_app
from config.embedded_redis import BASE_DIR, SHARED_REDIS_PORT, die_with_parent, redis_executable, stop_process_group


def free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port != SHARED_REDIS_PORT:
            return port


class PrivateRedis:
    """redis-server on a fixed free port, so a restarted server has the same URL. Nothing is
    kept on disk: a restart loses every queued message, as a crash without persistence would."""

    def __init__(self, work_dir: Path):
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> None:
        args = [
            redis_executable(), "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.work_dir),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(self.work_dir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + 15
        try:
            while time.monotonic() < deadline:
                with contextlib.suppress(redis.RedisError):
                    if client.ping():
                        return
                time.sleep(0.05)
        finally:
            client.close()
        raise RuntimeError(f"private redis-server on {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()
        self.restarts += 1


def reset_app_broker(url: str) -> None:
    """Point this process's Celery app at another broker (publishing and control)."""
    # kombu keeps one pool per broker URL (kombu.pools): dropping the app's references is enough.
    celery_app.conf.CELERY_BROKER_URL = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def app_broker(url: str):
    old = celery_app.conf.broker_url
    reset_app_broker(url)
    try:
        yield
    finally:
        reset_app_broker(old)


class Worker:
    """`celery worker` processes on the private broker, killed with SIGKILL and restarted."""

    def __init__(self, *, broker_url: str, database_url: str, log_dir: Path, mail_dir: Path, concurrency=1, env=None):
        self.broker_url, self.database_url = broker_url, database_url
        self.log_dir, self.mail_dir = Path(log_dir), Path(mail_dir)
        self.concurrency, self.extra_env = concurrency, env or {}
        self.process: subprocess.Popen | None = None
        self.kills = 0
        self.hostname = ""

    def start(self, *, wait: bool = True) -> None:
        self.hostname = f"fault-{uuid.uuid4().hex[:8]}@localhost"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.broker_url,
            "LINLI_TEST_EAGER": "0",
            "PYTHONUNBUFFERED": "1",
            "LINLI_TEST_EMAIL_FILE_PATH": str(self.mail_dir),
            **self.extra_env,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
            "--concurrency", str(self.concurrency), "--loglevel", "warning", "--hostname", self.hostname,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        log = (self.log_dir / "worker.log").open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        log.close()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if celery_app.control.ping(destination=[self.hostname], timeout=0.5):
                    return
            except Exception:  # a pooled connection to a Redis that was restarted: take new ones
                reset_app_broker(self.broker_url)
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.log_dir / "worker.log").read_text(errors="replace")[-3000:])

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): no shutdown, no acks."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, timeout=10)
            self.process = None
