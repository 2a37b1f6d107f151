"""Reminders at scale (issue 6), on PostgreSQL, measured in one run:

1. sending 10,000 due reminders through a real worker (batched, console email backend) against
   Celery's no-op task throughput (config.celery.ping) on the same worker (prefork, 2 processes)
   and broker, in 5 rounds of a no-op run then a send run (the median ratio of the rounds);
2. the reminder scan over 10,000 cases of which 1,000 are due, then over 1,000,000 cases with
   the same 1,000 due: the second should take less than twice the first.

    HTTPS=0 .venv/bin/python bench/reminder_scan.py [--cases 1000000] [--reminders 10000] [--send-only]

Creates its own database (linli_bench_scan on 127.0.0.1:5432, user postgres; BENCH_PG_URL to
change) and drops it at the end; starts a private Redis and its own worker. Cases are loaded
with one INSERT ... SELECT generate_series per batch.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DIR = Path(os.environ.get("LINLI_BENCH_DIR", "/tmp/linli-bench-reminders"))
BENCH_DIR.mkdir(parents=True, exist_ok=True)
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "linli_bench_scan"
os.environ["LINLI_VAR_DIR"] = str(BENCH_DIR)
os.environ["DATABASE_URL"] = f"{PG_SERVER}/{DB_NAME}"
os.environ["HTTPS"] = "0"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import psycopg  # noqa: E402

from config.embedded_redis import die_with_parent, embedded_redis, stop_process_group  # noqa: E402


def admin_sql(sql: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def sql_literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def case_insert_sql(overrides: dict[str, str]) -> str:
    """INSERT INTO case (...) SELECT ... FROM generate_series(%(start)s, %(stop)s) g: every
    concrete column, from `overrides` (SQL expressions on g), else NULL or the field default."""
    from django.utils import timezone

    from disputes.models import Case

    columns, values = [], []
    for f in Case._meta.concrete_fields:
        if f.primary_key or f.generated:
            continue
        columns.append(f'"{f.column}"')
        if f.name in overrides:
            values.append(overrides[f.name])
        elif f.null:
            values.append("NULL")
        elif f.has_default() and not callable(f.default):
            values.append(sql_literal(f.default))
        elif f.has_default() and f.default is timezone.now:
            values.append("now()")
        elif f.empty_strings_allowed and not f.has_default():
            values.append("''")
        else:
            raise SystemExit(f"bench: no value for Case.{f.name}")
    return (
        f'INSERT INTO "{Case._meta.db_table}" ({", ".join(columns)}) '
        f"SELECT {', '.join(values)} FROM generate_series(%(start)s, %(stop)s) AS g"
    )


def load_cases(*, start: int, stop: int, due: bool, category_id: int, area_id: int, mediator_id: int) -> None:
    """Background cases: 80% closed, the rest open with deadlines well ahead (not due by any rule).
    Due cases: in mediation, an hour past their resolution deadline."""
    from django.db import connection

    if due:
        status, next_due = "'in_mediation'", "now() - interval '1 hour'"
    else:
        status = "CASE WHEN g %% 5 = 0 THEN 'in_mediation' ELSE 'closed' END"
        next_due = "CASE WHEN g %% 5 = 0 THEN now() + interval '20 days' + (g %% 1000) * interval '1 minute' END"
    overrides = {
        "number": "'B-' || g",
        "category": str(category_id),
        "area": str(area_id),
        "mediator": str(mediator_id),
        "status": status,
        "title": "'Bench case ' || g",
        "summary": "'s'",
        "request": "'r'",
        "next_due_at": next_due,
        "resolve_due_at": next_due,
        "status_changed_at": "now() - interval '30 days'",
        "submitted_at": "now() - interval '30 days'",
        "last_activity_at": "now() - interval '1 day'",
    }
    sql = case_insert_sql(overrides)
    step = 100_000
    with connection.cursor() as cursor:
        for lo in range(start, stop + 1, step):
            cursor.execute(sql, {"start": lo, "stop": min(lo + step - 1, stop)})
        cursor.execute("ANALYZE disputes_case")


def start_worker(redis_url: str) -> subprocess.Popen:
    # The console email backend writes to the worker's stdout (/dev/null here), not through
    # Celery's stdout-to-logging redirect, which would turn every line of every email into a log record.
    env = {**os.environ, "REDIS_URL": redis_url, "CELERY_WORKER_REDIRECT_STDOUTS": "0"}
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2",
        "--loglevel", "warning", "--hostname", "bench@localhost",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(BENCH_DIR / "worker.log").open("wb"),
        start_new_session=True,
        preexec_fn=die_with_parent,
    )


def wait_worker(app) -> None:
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=["bench@localhost"], timeout=0.5):
        if time.monotonic() > deadline:
            raise SystemExit("bench: the worker did not start:\n" + (BENCH_DIR / "worker.log").read_text()[-2000:])


def processed(app, name: str) -> int:
    # limit=1: back on the worker's reply, not after the whole timeout (it would blur the timing).
    stats = app.control.inspect(destination=["bench@localhost"], timeout=1.0, limit=1).stats() or {}
    return sum(s.get("total", {}).get(name, 0) for s in stats.values())


def noop_rate(app, n: int) -> float:
    from config.celery import ping

    before = processed(app, "linli.ping")
    started = time.perf_counter()
    for _ in range(n):
        ping.apply_async()
    while processed(app, "linli.ping") - before < n:
        time.sleep(0.2)
    return n / (time.perf_counter() - started)


def send_rate(n: int) -> tuple[float, dict]:
    """n due overdue email reminders, one per due or background open case, sent by the worker."""
    from django.db.models import Count

    from disputes.models import Case, Reminder
    from disputes.services.reminders import reminders_dispatch_due, stamp

    Reminder.objects.all().delete()
    cases = list(Case.objects.filter(status="in_mediation").values_list("pk", "next_due_at", "mediator_id"))
    Reminder.objects.bulk_create(
        (
            Reminder(
                case_id=pk,
                recipient_id=mediator_id,
                rule="overdue",
                period=f"bench-{i}",
                channel=Reminder.Channel.EMAIL,
                context={"status": "in_mediation", "due": stamp(due), "due_at": "2030-01-01 09:00", "n": 1},
            )
            for i, (pk, due, mediator_id) in ((i, cases[i % len(cases)]) for i in range(n))
        ),
        batch_size=2000,
    )
    total = Reminder.objects.count()
    started = time.perf_counter()
    reminders_dispatch_due()
    while Reminder.objects.filter(state__in=["pending", "sending"]).exists():
        time.sleep(0.2)
        if time.perf_counter() - started > 600:
            raise SystemExit("bench: sending did not finish in 10 minutes")
    elapsed = time.perf_counter() - started
    states = dict(Reminder.objects.values_list("state").annotate(n=Count("pk")).order_by())
    return total / elapsed, states


def scan_time(runs: int) -> tuple[float, int, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from disputes.models import Reminder
    from disputes.services.reminders import reminders_scan

    times = []
    for _ in range(runs):
        Reminder.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            counts = reminders_scan()
            times.append(time.perf_counter() - started)
    # The median of the runs: other processes on a shared machine make single runs noisy.
    return statistics.median(times), len(queries), counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--pings", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN the queries)")
    parser.add_argument("--send-only", action="store_true", help="measure the throughput only, not the scan")
    args = parser.parse_args()

    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    worker = None
    try:
        with embedded_redis(BENCH_DIR) as redis_url:
            os.environ["REDIS_URL"] = redis_url
            import django

            django.setup()
            from django.core.management import call_command

            from accounts import services as account_services
            from accounts.models import Area, User
            from config.celery import app
            from disputes.models import Category

            call_command("migrate", verbosity=0)
            district = account_services.area_create(name="District", kind=Area.Kind.DISTRICT)
            sub = account_services.area_create(name="Sub", kind=Area.Kind.SUBDISTRICT, parent=district)
            community = account_services.area_create(name="Community", kind=Area.Kind.COMMUNITY, parent=sub)
            grid = account_services.area_create(name="Grid", kind=Area.Kind.GRID, parent=community)
            mediator = User.objects.create_user("bench-mediator", email="m@example.com", role=User.Role.MEDIATOR)
            mediator.areas.set([community])
            supervisor = User.objects.create_user("bench-sup", email="s@example.com", role=User.Role.SUPERVISOR)
            supervisor.areas.set([sub])
            ids = {"category_id": Category.objects.get(code="neighbours").pk, "area_id": grid.pk}
            ids["mediator_id"] = mediator.pk

            started = time.perf_counter()
            load_cases(start=1, stop=args.due, due=True, **ids)
            load_cases(start=args.due + 1, stop=args.small, due=False, **ids)
            print(f"loaded {args.small:,} cases ({args.due:,} due) in {time.perf_counter() - started:.1f} s")

            # 1. Throughput: the no-op floor, then the reminders, on the same worker and broker.
            worker = start_worker(redis_url)
            wait_worker(app)
            # In rounds, each a no-op run then a send run, their ratio taken per round: on a shared
            # machine the load changes over a minute, and a ratio of figures far apart in time is noise.
            noop_rate(app, 200)  # warm-up
            rounds = []
            for _ in range(args.rounds):
                noop = noop_rate(app, args.pings // args.rounds)
                rate, states = send_rate(args.reminders // args.rounds)
                rounds.append((noop, rate))
            noop = statistics.median(n for n, _ in rounds)
            rate = statistics.median(r for _, r in rounds)
            ratio = statistics.median(r / n for n, r in rounds)
            pings, reminders = args.pings // args.rounds, args.reminders // args.rounds
            print(f"{args.rounds} rounds of {pings:,} no-op tasks then {reminders:,} reminders")
            print(f"celery no-op task throughput:      {noop:8.0f} tasks/s ({[round(n) for n, _ in rounds]})")
            print(f"reminder send throughput (batched): {rate:8.0f} reminders/s ({[round(r) for _, r in rounds]})")
            print(f"  ratio to no-op: {ratio:.2f}x (median of the rounds; target >= 1), last round {states}")
            stop_process_group(worker, timeout=10)
            worker = None
            if args.send_only:
                return

            # 2. The scan: its cost follows what is due, not the table size.
            small, small_queries, counts = scan_time(args.runs)
            print(f"scan {args.small:>9,} cases, {args.due:,} due: {small * 1000:7.1f} ms, {small_queries} queries")
            started = time.perf_counter()
            load_cases(start=args.small + 1, stop=args.cases, due=False, **ids)
            print(f"loaded {args.cases - args.small:,} more cases in {time.perf_counter() - started:.1f} s")
            big, big_queries, counts = scan_time(args.runs)
            print(
                f"scan {args.cases:>9,} cases, {args.due:,} due: {big * 1000:7.1f} ms, {big_queries} queries {counts}"
            )
            print(f"  ratio: {big / small:.2f} (target < 2)")
            from django.db import connections

            connections.close_all()
    finally:
        if worker is not None:
            stop_process_group(worker, timeout=10)
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
