"""How fast are the grid pages at 1,000,000 cases, 2,000,000 diary entries and 500 grids? (issue 16)

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_grid_bench manage.py migrate
    ... manage.py seed_demo && manage.py seed_bulk --cases 1000000
    ... manage.py seed_bulk_grid --grids 500 --entries 2000000
    HTTPS=0 .venv/bin/python bench/grid.py --database-url postgres://postgres@127.0.0.1:5432/linli_grid_bench

Times, for each page, the median of warm runs, its queries, the same SQL re-run raw
(bench/dashboard.py's measure) and the ratio: the campaign overview (500 grids), the dashboard
with the grid figures (district supervisor1, subdistrict supervisor2, community supervisor3), the
busiest and the quietest grid worker's diary, and the lists behind the district's figures
(opinions, hazards removed, late reports). Targets: pages under 300 ms and within 1.5x their own
SQL (or, where the SQL takes a few ms, the page minus its SQL under 50 ms, as bench/dashboard.py
explains); the diary under 100 ms with the same number of queries for every worker.
"""

import argparse
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("HTTPS", "0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from dashboard import measure  # bench/dashboard.py
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Area, User
    from disputes.models import Case
    from grid.models import Campaign, DiaryEntry

    # Form choices iterate with a server-side cursor on PostgreSQL, whose DECLARE cannot be re-run
    # raw: plain cursors give the same rows.
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True

    def client_for(user):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user if isinstance(user, User) else User.objects.get(username=user))
        return client

    campaign = Campaign.objects.order_by("-pk").first()
    authors = list(
        DiaryEntry.objects.values("author_id").annotate(n=Count("pk")).order_by("-n").values_list("author_id", "n")[:1]
    ) + list(
        DiaryEntry.objects.values("author_id").annotate(n=Count("pk")).order_by("n").values_list("author_id", "n")[:1]
    )
    (busy, busy_n), (quiet, quiet_n) = authors
    today = timezone.localdate()
    year = f"from={today.replace(month=1, day=1).isoformat()}&to={today.isoformat()}"
    district = client_for("supervisor1")
    pages = [
        ("campaign overview (district, 500 grids)", district, f"/grid/campaigns/{campaign.pk}/", 300),
        ("dashboard + grid figures (district, year)", district, "/dashboard/?period=year", 300),
        ("dashboard + grid figures (subdistrict, year)", client_for("supervisor2"), "/dashboard/?period=year", 300),
        ("dashboard + grid figures (community, year)", client_for("supervisor3"), "/dashboard/?period=year", 300),
        (f"diary list (worker with {busy_n} entries)", client_for(User.objects.get(pk=busy)), "/grid/diary/", 100),
        (f"diary list (worker with {quiet_n} entries)", client_for(User.objects.get(pk=quiet)), "/grid/diary/", 100),
        ("district's opinions of the year (entry list)", district, "/grid/entries/?kind=opinion&" + year, 300),
        ("district's hazards removed (entry list)", district, "/grid/entries/?kind=hazard&removed=1&" + year, 300),
        ("district's late reports (campaign list)", district, "/grid/campaigns/?state=late&" + year, 300),
    ]
    grids = Area.objects.filter(kind=Area.Kind.GRID).count()
    print(
        f"{connection.vendor}, {Case.objects.count():,} cases, {DiaryEntry.objects.count():,} diary entries, "
        f"{grids} grids; median of {args.runs} warm runs"
    )
    print(f"{'page':<44} {'page ms':>8} {'queries':>8} {'raw SQL ms':>11} {'page-raw':>9} {'page/raw':>9}")
    missed, diary_queries = [], set()
    for name, client, url, target in pages:
        m = measure(client, url, args.runs)
        ratio = m["page"] / m["raw"] if m["raw"] else float("inf")
        page_ms, rest_ms = m["page"] * 1000, (m["page"] - m["raw"]) * 1000
        print(f"{name:<44} {page_ms:8.0f} {m['queries']:8d} {m['raw'] * 1000:11.0f} {rest_ms:9.0f} {ratio:9.2f}")
        for q in m["slowest"]:
            print(f"    {float(q['time']) * 1000:6.0f} ms  {q['sql'][:110]}")
        if page_ms >= target:
            missed.append(f"{name}: {page_ms:.0f} ms >= {target} ms")
        if target == 300 and ratio > 1.5 and rest_ms >= 50:
            missed.append(f"{name}: {ratio:.2f}x its SQL and {rest_ms:.0f} ms over it")
        if url.startswith("/grid/diary/"):
            diary_queries.add(m["queries"])
    if len(diary_queries) != 1:
        missed.append(f"diary list: query counts differ between workers: {sorted(diary_queries)}")
    print("targets: " + ("met" if not missed else "MISSED"))
    for line in missed:
        print(f"  missed: {line}")


if __name__ == "__main__":
    main()
