from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def sqlite_statistics_renew(sender, using="default", plan=None, **kwargs):
    """On SQLite, ANALYZE after migrations that changed something: a migration that rebuilds a
    table (SQLite's way of altering one) drops its planner statistics, and without them SQLite
    sorted the whole case table for the admin list instead of walking its newest-first index
    (bench/search.py, 100,000 cases: 36 ms -> 174 ms after the collective-claims migration).
    PostgreSQL's autovacuum keeps its own statistics."""
    connection = connections[using]
    if connection.vendor == "sqlite" and plan:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Dispute mediation")

    def ready(self):
        # Register the Celery tasks in every process (web, worker, tests): the services publish
        # them by name (disputes.services.reminders.sending.SEND_TASK), never importing tasks.py.
        from config import lookups  # noqa: F401  (registers field__any_of)
        from disputes import tasks  # noqa: F401

        post_migrate.connect(sqlite_statistics_renew, sender=self, dispatch_uid="disputes.sqlite_statistics_renew")
