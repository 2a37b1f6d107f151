"""Upkeep of the dashboard's figures (CaseDayStat and CaseMonthStat).

A case's contribution to the figures is a pure function of its own fields (`contributions`):
+1 received on the day it was submitted, +1 accepted on the day it was accepted, and so on; a
follow-up visit or rating adds to the day of the visit (`follow_up_contributions`). Every case
write passes through `stats_apply` (one call each in services.cases._case_write and case_submit,
inside their transaction), which adds the difference between the contributions after and before
the write, to the day and to the month. So the tables always equal what `stats_rebuild()`
computes from the cases, and a reopened case simply stops counting as resolved.

Follow-ups are counted when their event is recorded (services.closure records FOLLOW_UP/RATING
events with data={"follow_up": pk}). Writes that bypass the lifecycle (a bulk import, an edit
in the database, a deleted follow-up) are repaired by `stats_rebuild()` (`manage.py stats_rebuild`),
which seed_bulk runs.
"""

from collections import defaultdict
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from disputes.models import Case, CaseDayStat, CaseEvent, CaseMonthStat, FollowUp
from disputes.models.stats import COUNTER_FIELDS, SOURCE_FIELDS

# The case fields the contributions read (attnames).
FIELDS = (
    "area_id",
    "category_id",
    "source",
    "status",
    "outcome",
    "is_collective",
    "submitted_at",
    "accepted_at",
    "accept_due_at",
    "resolved_at",
    "resolve_due_at",
    "closed_at",
    "resolved_as_legacy",
)
SATISFIED = (FollowUp.Satisfaction.SATISFIED, FollowUp.Satisfaction.BASICALLY)
PERFORMING = FollowUp.Performing.YES
FOLLOW_UP_KINDS = (CaseEvent.Kind.FOLLOW_UP, CaseEvent.Kind.RATING)
# Mediation ended without agreement: these closings count towards the resolution rate's denominator.
UNRESOLVED_ENDINGS = (Case.Outcome.TERMINATED, Case.Outcome.REFERRED)

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
        add(accepted, accepted=1, accepted_on_time=int(due is None or accepted <= due))
    if resolved is not None:
        due = row["resolve_due_at"]
        hours = int((resolved - submitted).total_seconds() // 3600) if submitted else 0
        add(
            resolved,
            resolved=1,
            concluded=1,
            resolved_on_time=int(due is None or resolved <= due),
            resolve_hours=hours,
            resolved_legacy=int(bool(row["resolved_as_legacy"])),
            resolved_collective=int(bool(row["is_collective"])),
        )
    if row["status"] == Case.Status.CLOSED and row["closed_at"] is not None:
        unresolved = resolved is None and row["outcome"] in UNRESOLVED_ENDINGS
        add(row["closed_at"], closed=1, concluded=int(unresolved))
    return out


def follow_up_contributions(*, visited_at: datetime, performing: str, satisfaction: str) -> dict[str, int]:
    return {
        "performance_checked": int(bool(performing)),
        "performing": int(performing == PERFORMING),
        "rated": int(bool(satisfaction)),
        "satisfied": int(satisfaction in SATISFIED),
    }


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


def stats_apply(
    *, case: Case, changes: dict | None = None, created: bool = False, kind: str = "", data: dict | None = None
) -> None:
    """Add to the figures what a case write changes. Called inside the write's transaction with
    the case as it was loaded (before the change), the changed fields, and the event's kind and
    data (a follow-up event names its FollowUp). created=True: a new case, nothing to subtract.
    One upsert per table and affected day, usually one."""
    old = None if created else case_row(case)
    new = case_row(case, changes)
    delta = _difference(old, new)
    follow_up_id = (data or {}).get("follow_up") if kind in FOLLOW_UP_KINDS else None
    if follow_up_id:
        visit = FollowUp.objects.filter(pk=follow_up_id).values("visited_at", "performing", "satisfaction").first()
        if visit:
            key = (_day(visit["visited_at"]), new["area_id"], new["category_id"])
            bucket = delta.setdefault(key, {})
            for name, n in follow_up_contributions(**visit).items():
                if n:
                    bucket[name] = bucket.get(name, 0) + n
    for (day, area_id, category_id), counts in delta.items():
        if counts:
            _upsert(CaseDayStat, "day", day, area_id, category_id, counts)
            _upsert(CaseMonthStat, "month", day.replace(day=1), area_id, category_id, counts)


def _upsert(model, key: str, when: date, area_id: int, category_id: int, counts: dict[str, int]) -> None:
    table = model._meta.db_table
    names = sorted(counts)
    zero = [n for n in COUNTER_FIELDS if n not in counts]
    columns = [key, "area_id", "category_id", *names, *zero]
    params = [when, area_id, category_id, *(counts[n] for n in names), *(0 for _ in zero)]
    updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names)
    # INSERT ... ON CONFLICT DO UPDATE: PostgreSQL and SQLite (3.24+) both take this form, and
    # concurrent writers of the same day never lose an increment.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({key}, area_id, category_id) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def stats_rebuild(*, batch_size: int = 5000) -> int:
    """Recompute every figure from the cases and follow-ups (operators: after a bulk import or a
    repair); returns the number of daily rows. PostgreSQL: INSERT ... SELECT ... GROUP BY (about
    half a minute at a million cases); elsewhere the cases are read in chunks through
    `contributions`, never all at once."""
    CaseDayStat.objects.all().delete()
    CaseMonthStat.objects.all().delete()
    if connection.vendor == "postgresql":
        return _rebuild_postgresql()
    days: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in Case.objects.order_by().values(*FIELDS).iterator(chunk_size=batch_size):
        for key, counts in contributions(row).items():
            bucket = days[key]
            for name, n in counts.items():
                bucket[name] += n
    visits = FollowUp.objects.order_by().values(
        "visited_at", "performing", "satisfaction", "case__area_id", "case__category_id"
    )
    for v in visits.iterator(chunk_size=batch_size):
        bucket = days[(_day(v["visited_at"]), v["case__area_id"], v["case__category_id"])]
        for name, n in follow_up_contributions(
            visited_at=v["visited_at"], performing=v["performing"], satisfaction=v["satisfaction"]
        ).items():
            bucket[name] += n
    months: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, area_id, category_id), counts in days.items():
        bucket = months[(day.replace(day=1), area_id, category_id)]
        for name, n in counts.items():
            bucket[name] += n
    created = _bulk_insert(CaseDayStat, "day", days, batch_size)
    _bulk_insert(CaseMonthStat, "month", months, batch_size)
    return created


def _bulk_insert(model, key: str, rows: dict, batch_size: int) -> int:
    objects = (model(**{key: k[0], "area_id": k[1], "category_id": k[2]}, **counts) for k, counts in rows.items())
    created, batch = 0, []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= batch_size:
            created += len(model.objects.bulk_create(batch))
            batch = []
    if batch:
        created += len(model.objects.bulk_create(batch))
    return created


def _rebuild_postgresql() -> int:
    names = ", ".join(COUNTER_FIELDS)
    sums = ", ".join(f"SUM({n})" for n in COUNTER_FIELDS)
    day_table, month_table = CaseDayStat._meta.db_table, CaseMonthStat._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(_rebuild_days_sql(), {"tz": timezone.get_current_timezone_name()})
        created = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {month_table} (month, area_id, category_id, {names}) "
            f"SELECT date_trunc('month', day)::date, area_id, category_id, {sums} FROM {day_table} "
            f"GROUP BY 1, area_id, category_id"
        )
    return created


def _rebuild_days_sql() -> str:
    """`contributions` in SQL: one SELECT per kind of day (received, accepted, resolved, closed,
    followed up), summed per day, area and category."""
    case, stat, visits = Case._meta.db_table, CaseDayStat._meta.db_table, FollowUp._meta.db_table
    others = ", ".join(f"'{v}'" for v in SOURCE_FIELDS if v != Case.Source.ONLINE)
    received = {"received": "1", "received_collective": "is_collective::int"}
    for value, name in SOURCE_FIELDS.items():
        online = value == Case.Source.ONLINE
        received[name] = f"(source NOT IN ({others}))::int" if online else f"(source = '{value}')::int"
    satisfied = ", ".join(f"'{v}'" for v in SATISFIED)
    unresolved = ", ".join(f"'{v}'" for v in UNRESOLVED_ENDINGS)
    parts = [
        (case, "submitted_at", "TRUE", received),
        (
            case,
            "accepted_at",
            "accepted_at IS NOT NULL",
            {
                "accepted": "1",
                "accepted_on_time": "(accept_due_at IS NULL OR accepted_at <= accept_due_at)::int",
            },
        ),
        (
            case,
            "resolved_at",
            "resolved_at IS NOT NULL",
            {
                "resolved": "1",
                "concluded": "1",
                "resolved_on_time": "(resolve_due_at IS NULL OR resolved_at <= resolve_due_at)::int",
                "resolve_hours": "floor(extract(epoch FROM resolved_at - submitted_at) / 3600)::bigint",
                "resolved_legacy": "resolved_as_legacy::int",
                "resolved_collective": "is_collective::int",
            },
        ),
        (
            case,
            "closed_at",
            f"status = '{Case.Status.CLOSED}' AND closed_at IS NOT NULL",
            {"closed": "1", "concluded": f"(resolved_at IS NULL AND outcome IN ({unresolved}))::int"},
        ),
        (
            f"{visits} f JOIN {case} c ON c.id = f.case_id",
            "f.visited_at",
            "TRUE",
            {
                "performance_checked": "(f.performing <> '')::int",
                "performing": f"(f.performing = '{PERFORMING}')::int",
                "rated": "(f.satisfaction <> '')::int",
                "satisfied": f"(f.satisfaction IN ({satisfied}))::int",
            },
        ),
    ]
    selects = []
    for source, column, where, values in parts:
        area = "c.area_id, c.category_id" if " JOIN " in source else "area_id, category_id"
        exprs = ", ".join(f"{values.get(n, '0')} AS {n}" for n in COUNTER_FIELDS)
        selects.append(
            f"SELECT ({column} AT TIME ZONE %(tz)s)::date AS day, {area}, {exprs} FROM {source} WHERE {where}"
        )
    names = ", ".join(COUNTER_FIELDS)
    sums = ", ".join(f"SUM({n})" for n in COUNTER_FIELDS)
    return (
        f"INSERT INTO {stat} (day, area_id, category_id, {names}) "
        f"SELECT day, area_id, category_id, {sums} FROM ({' UNION ALL '.join(selects)}) t "
        f"GROUP BY day, area_id, category_id"
    )
