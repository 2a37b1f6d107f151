"""Grid work in bulk for the benchmark (issue 16): grids in one district, a grid worker each,
diary entries over the last two years, a screening campaign over the district with most grids
reported, then the grid figures rebuilt from the rows (grid.stats.grid_stats_rebuild).

    python manage.py seed_demo && python manage.py seed_bulk --cases 1000000
    python manage.py seed_bulk_grid --grids 500 --entries 2000000

Rows are written with disputes' bulk writer (COPY on PostgreSQL) with explicit ids.
"""

import random
import time
import uuid
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Area, User
from disputes.management.commands.seed_bulk import _write
from grid import stats
from grid.models import Campaign, DiaryEntry, GridDayStat, GridMember, GridMonthStat, ScreeningReport

KINDS = [("opinion", 40), ("nothing", 35), ("hazard", 12), ("help", 8), ("dispute", 5)]
DAYS = 730


class Command(BaseCommand):
    help = "Generate grids, grid workers, diary entries and a screening campaign in bulk."

    def add_arguments(self, parser):
        parser.add_argument("--grids", type=int, default=500, help="grids in the district, in total")
        parser.add_argument("--entries", type=int, required=True)
        parser.add_argument("--batch", type=int, default=50000)
        parser.add_argument("--seed", type=int, default=16)

    def handle(self, *args, grids: int, entries: int, batch: int, seed: int, **options):
        rng = random.Random(seed)
        communities = list(Area.objects.filter(kind=Area.Kind.COMMUNITY).order_by("path"))
        if not communities:
            raise CommandError("No communities: run seed_demo first.")
        started = time.monotonic()
        with transaction.atomic():
            grid_areas = self._grids(communities, grids)
            workers = self._workers(grid_areas)
        self.stdout.write(f"  {len(grid_areas)} grids with a worker each ({time.monotonic() - started:.0f} s)")
        self._entries(rng, grid_areas, workers, entries, batch, started)
        self._campaign(rng, grid_areas, workers)
        rows = stats.grid_stats_rebuild()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # VACUUM too: the figures read the counters from covering indexes, which answer
                # from the index alone once the visibility map is set (autovacuum would, later).
                # Not inside a transaction (a test's), where PostgreSQL refuses it.
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                for model in (GridDayStat, GridMonthStat, ScreeningReport):
                    cursor.execute(f"{command} {model._meta.db_table}")
        self.stdout.write(
            self.style.SUCCESS(f"Done: {rows} grid-day figures rebuilt ({time.monotonic() - started:.0f} s)")
        )

    def _grids(self, communities, total: int) -> list[Area]:
        existing = list(Area.objects.filter(kind=Area.Kind.GRID).order_by("path"))
        n = len(existing)
        while n < total:
            community = communities[n % len(communities)]
            existing.append(
                account_services.area_create(
                    name=f"{community.name}第{n + 1}网格", kind=Area.Kind.GRID, parent=community
                )
            )
            n += 1
        return existing[:total]

    def _workers(self, grid_areas) -> dict[int, int]:
        workers = {m.area_id: m.user_id for m in GridMember.objects.filter(role=GridMember.Role.GRID_WORKER)}
        password = make_password("bench-grid-2026")
        for grid in grid_areas:
            if grid.pk in workers:
                continue
            user = User.objects.create(username=f"gridbench{grid.pk}", full_name=f"网格员{grid.pk}", password=password)
            GridMember.objects.create(user=user, role=GridMember.Role.GRID_WORKER, area=grid)
            workers[grid.pk] = user.pk
        return workers

    def _entries(self, rng, grid_areas, workers, total, batch, started) -> None:
        now = timezone.now()
        next_id = (DiaryEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        kinds, weights = zip(*KINDS, strict=True)
        done = 0
        while done < total:
            n = min(batch, total - done)
            rows = []
            for kind in rng.choices(kinds, weights=weights, k=n):
                grid = grid_areas[rng.randrange(len(grid_areas))]
                at = now - timedelta(seconds=rng.randrange(DAYS * 86400))
                rows.append({
                    "id": next_id, "author_id": workers[grid.pk], "grid_id": grid.pk, "contact": "visit",
                    "happened_at": at, "kind": kind, "people": "居民", "found": "走访记录",
                    "idempotency_key": uuid.UUID(int=rng.getrandbits(128), version=4), "created_at": at,
                    "hazard_removed_at": at + timedelta(days=3) if kind == "hazard" and rng.random() < 0.8 else None,
                })  # fmt: skip
                next_id += 1
            with transaction.atomic():
                _write(DiaryEntry, rows)
            done += n
            self.stdout.write(f"  {done} entries ({time.monotonic() - started:.0f} s)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = DiaryEntry._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
                cursor.execute(f"ANALYZE {table}")

    def _campaign(self, rng, grid_areas, workers) -> None:
        district = Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("pk").first()
        supervisor = User.objects.filter(role=User.Role.SUPERVISOR, areas=district).first() or User.objects.first()
        today = timezone.localdate()
        campaign = Campaign.objects.create(
            title="安全大排查（基准）", area=district, period_start=today.replace(day=1), period_end=today,
            due_at=timezone.now() - timedelta(hours=1), checklist="燃气\n消防通道", created_by=supervisor,
        )  # fmt: skip
        reports = []
        for grid in grid_areas:
            if rng.random() < 0.85:
                found = rng.choice([0, 0, 0, 1, 2, 5])
                reports.append(ScreeningReport(
                    campaign=campaign, grid=grid, checked=rng.randrange(5, 60), found=found, fixed=found // 2,
                    filed_by_id=workers[grid.pk], filed_at=timezone.now(),
                ))  # fmt: skip
        ScreeningReport.objects.bulk_create(reports)
        self.stdout.write(f"  campaign {campaign.pk}: {len(reports)} of {len(grid_areas)} grids reported")
