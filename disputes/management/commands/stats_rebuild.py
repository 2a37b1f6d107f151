from django.core.management.base import BaseCommand

from disputes.stats import stats_rebuild


class Command(BaseCommand):
    help = "Recompute the dashboard's daily and monthly figures from the cases and follow-ups."

    def handle(self, *args, **options):
        rows = stats_rebuild()
        self.stdout.write(self.style.SUCCESS(f"{rows} daily figure rows rebuilt."))
