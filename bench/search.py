"""How fast is every kind of admin case search? (issue 13)

    DATABASE_URL=postgres://.../linli_bench HTTPS=0 .venv/bin/python bench/search.py [--runs 11]
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 HTTPS=0 .venv/bin/python bench/search.py

Runs on a database filled by `manage.py seed_bulk` (1,000,000 cases on PostgreSQL, 100,000 on
SQLite; it never writes to it). Takes its search terms from the data (a case's number, its serial
tail, a party's phone whole, its first seven digits and last four, a full name and its first two
characters) and,
signed in as the district supervisor and as a community mediator, times the admin case list with
each search: the first request of the term, then the median of --runs warm ones, with the page's
query count, its SQL time and the part of it that is the list's own queries (count, page,
applicants; the rest is the session and permissions), beside the same list without a search.
Target: every kind under 100 ms; exits 0 when all hold.
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

from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()  # response.context, for the number of cases found

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from disputes.models import Case, Party  # noqa: E402
from disputes.visibility import case_scope_q  # noqa: E402

TARGET_MS = 100


def terms(user: User) -> list[tuple[str, str]]:
    """(kind, term) pairs taken from a case the user may see, in the middle of the table (not the
    newest, which the list shows first anyway)."""
    mine = Case.objects.filter(case_scope_q(user))
    case = mine.filter(pk__gte=Case.objects.count() // 2).order_by("pk").first()
    party = Party.objects.filter(case=case, kind=Party.Kind.PERSON).exclude(phone="").order_by("pk")[0]
    return [
        ("case number", case.number),
        ("number tail", str(int(case.number[-6:]))),
        ("number prefix", case.number[:-2]),
        ("phone, whole", party.phone),
        ("phone, first 7", party.phone[:7]),
        ("phone, last 4", party.phone[-4:]),
        ("name", party.name),
        ("name, first 2", party.name[:2]),
    ]


def timed(client: Client, url: str, params: dict, runs: int) -> dict:
    started = time.perf_counter()
    response = client.get(url, params)
    first = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    cl = response.context["cl"]
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    # The queries of the list itself (count, page, applicants), not the session and permissions.
    case_ms = sum(float(q["time"]) for q in queries.captured_queries if '"disputes_case"' in q["sql"]) * 1000
    return {
        "first": first,
        "median": statistics.median(times),
        "queries": len(queries),
        "sql": sql_ms,
        "case_sql": case_ms,
        "found": f"{'>' if cl.paginator.capped else ''}{cl.result_count}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--users", default="supervisor1,mediator1")
    args = parser.parse_args()
    settings = connection.settings_dict
    print(f"database: {settings['ENGINE'].rsplit('.', 1)[-1]} {settings['NAME']}, {Case.objects.count()} cases")
    url = reverse("admin:disputes_case_changelist")
    missed = []
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        base = timed(client, url, {}, args.runs)
        print(f"\n{username} ({user.get_role_display()})")
        header = f"{'kind':<16}{'term':<18}{'found':>8}{'first ms':>10}{'median ms':>11}{'SQL ms':>8}{'list SQL':>10}"
        print(header + f"{'queries':>9}")
        print(
            f"{'(no search)':<16}{'':<18}{base['found']:>8}{base['first']:>10.1f}{base['median']:>11.1f}"
            f"{base['sql']:>8.1f}{base['case_sql']:>10.1f}{base['queries']:>9}"
        )
        for kind, term in terms(user):
            r = timed(client, url, {"q": term}, args.runs)
            worst = max(r["first"], r["median"])
            if worst >= TARGET_MS:
                missed.append(f"{username} {kind} {worst:.0f} ms")
            print(
                f"{kind:<16}{term:<18}{r['found']:>8}{r['first']:>10.1f}{r['median']:>11.1f}"
                f"{r['sql']:>8.1f}{r['case_sql']:>10.1f}{r['queries']:>9}"
            )
    print(f"\ntarget: every search under {TARGET_MS} ms (first and median): " + ("met" if not missed else "MISSED"))
    for line in missed:
        print(f"  missed: {line}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
