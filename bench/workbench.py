"""How fast are the to-do queue and the case page on 1,000,000 cases? (issue 14)

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_workbench_bench \
        .venv/bin/python bench/workbench.py [--runs 11]

Runs on the database DATABASE_URL names, seeded beforehand with `manage.py seed_demo` and
`manage.py seed_bulk --cases 1000000`. Signed in as the mediator with the most running cases,
it times the to-do queue (/admin/) and the page of one of their cases in mediation: the median
of warm runs and the number of queries of each. Target: each under 150 ms.
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
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"  # fast hasher, eager tasks, plain static files
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from disputes.admin.cases import case_scope_q  # noqa: E402
from disputes.models import Case  # noqa: E402

TARGET_MS = 150


def timed(client, url, runs):
    """Median wall time, median CPU time of this process, SQL time and the query count.

    The machine is shared: under load the wall time counts time spent waiting for a core, so the
    CPU time of the Django process plus the database's own time is printed beside it."""
    client.get(url)  # warm
    walls, cpus, sqls = [], [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        sqls.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(walls), statistics.median(cpus), statistics.median(sqls), len(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    total = Case.objects.count()
    busiest = (
        User.objects.filter(role=User.Role.MEDIATOR, groups__isnull=False)
        .annotate(n=Count("mediated_cases"))
        .order_by("-n")
        .values_list("pk", "n")
        .first()
    )
    mediator = User.objects.get(pk=busiest[0])
    case = (
        Case.objects.filter(case_scope_q(mediator), mediator=mediator, status=Case.Status.IN_MEDIATION)
        .order_by("-pk")
        .first()
    )
    client = Client()
    client.force_login(mediator)
    print(f"{total:,} cases on {connection.vendor}; mediator {mediator.username} has {busiest[1]:,} cases")
    failed = False
    for name, url in [
        ("to-do queue /admin/", reverse("admin:index")),
        (f"case page {case.number}", reverse("admin:disputes_case_change", args=[case.pk])),
    ]:
        wall, cpu, sql, queries = timed(client, url, args.runs)
        ok = wall < TARGET_MS
        failed |= not ok
        print(
            f"  {name:<30} wall {wall:6.1f} ms  (python cpu {cpu:6.1f} ms + sql {sql:5.1f} ms)  "
            f"{queries:3d} queries  {'ok' if ok else 'SLOW'}"
        )
    print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
