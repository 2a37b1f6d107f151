"""How long does the ledger job take for every case? (issue 13)

    DATABASE_URL=postgres://.../linli_bench HTTPS=0 .venv/bin/python bench/ledger.py [--baseline-rows 50000]

On a database filled by `manage.py seed_bulk`, as the administrator (full numbers) of the whole
district: runs the CSV ledger job (disputes/services/ledger_exports.py, one COPY on PostgreSQL)
over every case, and times it with the peak memory of the process; then, as a baseline in the same
run, the Python rows (disputes/exports.ledger_csv, what the web streams up to
LEDGER_DIRECT_MAX_ROWS) for --baseline-rows cases, scaled to the same count. The file goes to a
temporary MEDIA_ROOT and is deleted. Target: the job under 20 s at 1,000,000 rows; exits 0 then.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
if "DATABASE_URL" not in os.environ:
    sys.exit("Set DATABASE_URL to a database filled by manage.py seed_bulk.")
MEDIA = tempfile.mkdtemp(prefix="linli-bench-ledger-")
os.environ["MEDIA_ROOT"] = MEDIA

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from disputes import exports  # noqa: E402
from disputes.dashboard import period_from  # noqa: E402
from disputes.models import LedgerExport, PersonalDataView  # noqa: E402
from disputes.services import ledger_exports  # noqa: E402

TARGET_S = 20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="admin")
    parser.add_argument("--baseline-rows", type=int, default=50_000)
    args = parser.parse_args()
    user = User.objects.get(username=args.user)
    today = date.today()
    params = {"period": "custom", "from": "2000-01-01", "to": today.isoformat(), "format": "csv"}
    period = period_from("custom", start=date(2000, 1, 1), end=today)
    cases = ledger_exports.ledger_cases(user, period=period)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; {args.user}, full numbers: "
          f"{exports.shows_personal_data(user)}")  # fmt: skip

    started = time.perf_counter()
    export = ledger_exports.ledger_export_request(user, params)
    memory_before = peak_mb()
    assert ledger_exports.ledger_export_run(export.pk)
    job_s = time.perf_counter() - started
    export.refresh_from_db()
    size_mb = export.file.size / 2**20
    log = PersonalDataView.objects.filter(user=user).order_by("-pk").first()
    print(f"CSV job: {export.rows_done} rows, {size_mb:.0f} MB in {job_s:.1f} s; peak memory "
          f"{memory_before:.0f} MB before, {peak_mb():.0f} MB after")  # fmt: skip
    print(f"access log: {log.where}, {log.rows} rows, scope {log.scope}")
    export.file.delete(save=False)
    LedgerExport.objects.filter(pk=export.pk).delete()

    # The baseline: the Python rows of the web's CSV, for the first cases by pk.
    first = cases.order_by("pk").values_list("pk", flat=True)[args.baseline_rows - 1 : args.baseline_rows]
    sample = cases.filter(pk__lte=first[0]) if first else cases
    started = time.perf_counter()
    rows = sum(1 for _line in exports.ledger_csv(sample, user=user)) - 1
    python_s = time.perf_counter() - started
    scaled = python_s * export.rows_done / max(rows, 1)
    print(f"baseline, Python rows: {rows} rows in {python_s:.1f} s, {scaled:.0f} s scaled to {export.rows_done}")
    ok = job_s < TARGET_S
    result = f"{'met' if ok else 'MISSED'} ({job_s:.1f} s, {scaled / job_s:.0f}x faster than the Python rows)"
    print(f"target: the job under {TARGET_S} s: {result}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
