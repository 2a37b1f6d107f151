from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Dispute mediation")

    def ready(self):
        # Register the Celery tasks in every process (web, worker, tests): the services publish
        # them by name (disputes.services.reminders.sending.SEND_TASK), never importing tasks.py.
        from disputes import tasks  # noqa: F401
