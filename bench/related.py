"""How fast is the filing form's related-case suggestion? (issue 17)

    DATABASE_URL=postgres://.../linli_bench HTTPS=0 .venv/bin/python bench/related.py [--runs 11]

Runs on a database filled by `manage.py seed_bulk` (1,000,000 cases on PostgreSQL). seed_bulk
places no case in an estate, so the first run gives every area that has cases --estates estates
and spreads its cases over them (one UPDATE per area, then VACUUM ANALYZE: a few minutes at
1,000,000; later runs find the estates and skip it). Then, for the --pairs busiest (estate,
category) pairs and as a resident of the data, it times selectors.related_open_cases with the
rows the form shows (related_case_row: the parties' names for the court style), and the JSON
endpoint itself: the first call and the median of --runs warm ones, with the query count; and it
prints the EXPLAIN (ANALYZE, BUFFERS) of the suggestion's query for the busiest pair.
Target: the suggestion under 20 ms; exits 0 when it holds.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("HTTPS", "0")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"  # plain static files, fast hasher
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
if "DATABASE_URL" not in os.environ:
    sys.exit("Set DATABASE_URL to a database filled by manage.py seed_bulk.")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Area, Estate, User  # noqa: E402
from disputes import selectors  # noqa: E402
from disputes.models import Case  # noqa: E402

TARGET_MS = 20


def place_cases_in_estates(per_area: int) -> None:
    if Case.objects.filter(estate__isnull=False).exists():
        return
    started = time.perf_counter()
    areas = Area.objects.filter(pk__in=Case.objects.values("area_id").distinct())
    table = Case._meta.db_table
    for area in areas:
        community_id = area.parent_id if area.kind == Area.Kind.GRID else area.pk
        grid_id = area.pk if area.kind == Area.Kind.GRID else None
        estates = [
            Estate.objects.create(name=f"{area.name} 小区{i + 1}", community_id=community_id, grid_id=grid_id).pk
            for i in range(per_area)
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET estate_id = (%s::bigint[])[1 + id %% %s] WHERE area_id = %s",
                [estates, per_area, area.pk],
            )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"placed the cases in {per_area} estates per area: {time.perf_counter() - started:.0f} s")


def timed(fn, runs: int) -> dict:
    with CaptureQueriesContext(connection) as queries:
        t = time.perf_counter()
        fn()
        first = (time.perf_counter() - t) * 1000
    warm = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - t) * 1000)
    return {"first": first, "median": statistics.median(warm), "queries": len(queries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--estates", type=int, default=4)
    args = parser.parse_args()
    if connection.vendor == "postgresql":
        place_cases_in_estates(args.estates)
    db = connection.settings_dict
    print(f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}, {Case.objects.count()} cases")
    since = timezone.now() - timedelta(days=settings.RELATED_CASES_DAYS)
    pairs = list(
        Case.objects.filter(status__in=Case.OPEN_STATUSES, submitted_at__gte=since, estate__isnull=False)
        .values("estate_id", "category_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[: args.pairs]
    )
    resident = User.objects.filter(role=User.Role.RESIDENT).order_by("pk").first()
    client = Client()
    client.force_login(resident)
    url = reverse("disputes:case_related")
    missed = []
    print(
        f"{'estate':>8}{'category':>10}{'open':>6}{'shown':>7}{'first ms':>10}{'median ms':>11}{'queries':>9}"
        f"{'endpoint first':>16}{'endpoint median':>17}"
    )
    for pair in pairs:
        estate_id, category_id = pair["estate_id"], pair["category_id"]

        def suggest(estate_id=estate_id, category_id=category_id):
            rows = selectors.related_open_cases(estate_id=estate_id, category_id=category_id, exclude_user=resident)
            return [selectors.related_case_row(c) for c in rows]

        r = timed(suggest, args.runs)
        e = timed(lambda q={"estate": estate_id, "category": category_id}: client.get(url, q), args.runs)
        worst = max(r["first"], r["median"])
        if worst >= TARGET_MS:
            missed.append(f"estate {estate_id} category {category_id}: {worst:.1f} ms")
        print(
            f"{estate_id:>8}{category_id:>10}{pair['n']:>6}{len(suggest()):>7}{r['first']:>10.1f}"
            f"{r['median']:>11.1f}{r['queries']:>9}{e['first']:>16.1f}{e['median']:>17.1f}"
        )
    if pairs and connection.vendor == "postgresql":
        busiest = pairs[0]
        qs = (
            Case.objects.filter(
                estate_id=busiest["estate_id"],
                category_id=busiest["category_id"],
                status__in=Case.OPEN_STATUSES,
                submitted_at__gte=since,
            )
            .only("pk", "number", "title", "building", "households", "submitted_at")
            .order_by("-submitted_at")[: selectors.RELATED_LIMIT * 4]
        )
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the suggestion for the busiest pair:")
        print(qs.explain(analyze=True, buffers=True))
    print(f"\ntarget: the suggestion under {TARGET_MS} ms (first and median): " + ("met" if not missed else "MISSED"))
    for line in missed:
        print(f"  missed: {line}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
