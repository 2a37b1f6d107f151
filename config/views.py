import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def home(request):
    from disputes.deadlines import PolicyBook

    # The general acceptance deadline (a category's own policy may differ; the filing page says which).
    accept_days = PolicyBook().get(category_id=None, tier=None).accept_days
    return render(request, "home.html", {"accept_days": accept_days})


def healthz(request):
    """The state of the database and the broker: 200 when both answer, 503 otherwise.

    Each check has a short timeout, so a Redis that hangs (accepts the connection, never answers)
    still gives an answer within about two seconds.
    """
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure means "not ok"; the reason goes to the log
        logger.warning("healthz: database check failed: %s", exc)
        return "error"


def _check_broker() -> str:
    timeout = min(settings.BROKER_TIMEOUT, 0.9)
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        client.ping()
        client.close()
        return "ok"
    except Exception as exc:
        logger.warning("healthz: broker check failed: %s", exc)
        return "error"
