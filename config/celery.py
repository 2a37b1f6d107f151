import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("linli")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="linli.ping")
def ping() -> str:
    """A no-op the health check, the tests and the benchmarks use to see a worker answer."""
    return "pong"
