from django.core.management.base import BaseCommand
from django.db import transaction

from disputes.deadlines import resolved_legacy_backfill
from disputes.stats import stats_rebuild


class Command(BaseCommand):
    help = (
        "Mark the cases resolved before the 'resolved as a legacy case' column existed (or loaded in bulk) "
        "that were legacy cases when resolved, then rebuild the dashboard's figures (issue 17)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            marked = resolved_legacy_backfill()
            rows = stats_rebuild()
        self.stdout.write(self.style.SUCCESS(f"{marked} cases marked; {rows} daily figure rows rebuilt."))
