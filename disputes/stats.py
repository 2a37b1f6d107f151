"""Upkeep of the dashboard's daily figures (CaseDayStat).

A case's contribution to the figures is a pure function of its own fields (`contributions`):
+1 received on the day it was submitted, +1 accepted on the day it was accepted, and so on. Every
case write passes through `stats_apply` (called by services.cases._case_write and case_submit, in
their transaction), which adds the difference between the contributions after and before the
write. So the table always equals `stats_rebuild()`, which recomputes it from the cases; a
reopened case simply stops counting as resolved. Writes that bypass the lifecycle (a bulk
import, a field edited in the database) are repaired by `manage.py stats_rebuild`-style calls of
`stats_rebuild()` (seed_bulk runs it at the end).
"""

from collections import defaultdict
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from disputes.models import Case, CaseDayStat
from disputes.models.stats import COUNTER_FIELDS, SOURCE_FIELDS

# The case fields the contributions read (attnames).
FIELDS = (
    "area_id",
    "category_id",
    "source",
    "status",
    "is_collective",
    "submitted_at",
    "accepted_at",
    "accept_due_at",
    "resolved_at",
    "resolve_due_at",
    "closed_at",
)

Key = tuple[date, int, int]


def _day(value: datetime) -> date:
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def contributions(row: dict) -> dict[Key, dict[str, int]]:
    """What one case (its FIELDS as a dict) adds to the daily figures, by (day, area, category)."""
    out: dict[Key, dict[str, int]] = {}
    area, category = row["area_id"], row["category_id"]

    def add(when: datetime, **counts: int) -> None:
        bucket = out.setdefault((_day(when), area, category), defaultdict(int))
        for name, n in counts.items():
            bucket[name] += n

    submitted, accepted, resolved = row["submitted_at"], row["accepted_at"], row["resolved_at"]
    if submitted is not None:
        add(submitted, received=1, received_collective=int(bool(row["is_collective"])))
        add(submitted, **{SOURCE_FIELDS.get(row["source"], "received_online"): 1})
    if accepted is not None:
        due = row["accept_due_at"]
        add(
            accepted,
            accepted=1,
            accepted_on_time=int(due is None or accepted <= due),
            accepted_resolved=int(resolved is not None),
        )
    if resolved is not None:
        due = row["resolve_due_at"]
        hours = int((resolved - submitted).total_seconds() // 3600) if submitted else 0
        add(resolved, resolved=1, resolved_on_time=int(due is None or resolved <= due), resolve_hours=hours)
    if row["status"] == Case.Status.CLOSED and row["closed_at"] is not None:
        add(row["closed_at"], closed=1)
    return out


def case_row(case: Case, changes: dict | None = None) -> dict:
    """The FIELDS of a case instance, with `changes` (field name or attname → value) applied."""
    row = {name: getattr(case, name) for name in FIELDS}
    for name, value in (changes or {}).items():
        if name in ("area", "category"):
            row[f"{name}_id"] = getattr(value, "pk", value)
        elif name in row:
            row[name] = value
    return row


def _difference(old: dict | None, new: dict | None) -> dict[Key, dict[str, int]]:
    delta: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sign, row in ((-1, old), (1, new)):
        if row is None:
            continue
        for key, counts in contributions(row).items():
            for name, n in counts.items():
                delta[key][name] += sign * n
    return {k: {n: v for n, v in c.items() if v} for k, c in delta.items() if any(c.values())}


def stats_apply(*, case: Case, changes: dict | None = None, created: bool = False) -> None:
    """Add to the daily figures what a case write changes: called inside the write's transaction,
    with the case as it was loaded (before the change) and the changed fields. created=True: a
    new case (nothing to subtract). One upsert per affected day (usually one)."""
    old = None if created else case_row(case)
    new = case_row(case, changes)
    for (day, area_id, category_id), counts in _difference(old, new).items():
        _upsert(day, area_id, category_id, counts)


def _upsert(day: date, area_id: int, category_id: int, counts: dict[str, int]) -> None:
    table = CaseDayStat._meta.db_table
    names = sorted(counts)
    zero = [n for n in COUNTER_FIELDS if n not in counts]
    columns = ["day", "area_id", "category_id", *names, *zero]
    params = [day, area_id, category_id, *(counts[n] for n in names), *(0 for _ in zero)]
    updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names)
    # INSERT ... ON CONFLICT DO UPDATE: PostgreSQL and SQLite (3.24+) both take this form, and
    # concurrent writers of the same day never lose an increment.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (day, area_id, category_id) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def stats_rebuild(*, batch_size: int = 5000) -> int:
    """Recompute every daily figure from the cases (operators: after a bulk import or a repair).
    Reads the cases in chunks, never all at once; returns the number of rows written."""
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in Case.objects.order_by().values(*FIELDS).iterator(chunk_size=batch_size):
        for key, counts in contributions(row).items():
            bucket = totals[key]
            for name, n in counts.items():
                bucket[name] += n
    CaseDayStat.objects.all().delete()
    rows = (
        CaseDayStat(day=day, area_id=area_id, category_id=category_id, **counts)
        for (day, area_id, category_id), counts in totals.items()
    )
    created = 0
    batch: list[CaseDayStat] = []
    for stat in rows:
        batch.append(stat)
        if len(batch) >= batch_size:
            created += len(CaseDayStat.objects.bulk_create(batch))
            batch = []
    if batch:
        created += len(CaseDayStat.objects.bulk_create(batch))
    return created
