"""Re-stamping the clocks when a deadline policy changes (DESIGN §4).

Saving or deleting a DeadlinePolicy records a ClockRestamp row for the category and tier it covers
and publishes its task after commit. A worker claims the row (pending → running, a conditional
UPDATE: a second message does nothing), walks the cases with a running clock that the policy may
govern in keyset batches, stamps each with disputes.deadlines.stamps under the policies as they now
are, and notes its progress after every batch. Each case is written by a conditional UPDATE on its
version (bumped, as every lifecycle write does): a case changed meanwhile was stamped by that change
under the new policy already and is left alone. The per-minute beat publishes rows whose message
was lost and hands rows whose worker died back to pending; the keyset position lets the next run
go on where the last stopped.
"""

import logging
from datetime import timedelta

from celery import signature
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from disputes import broker, deadlines
from disputes.models import Case, ClockRestamp, DeadlinePolicy

logger = logging.getLogger(__name__)

BATCH = 1000
REQUEUE_AFTER = timedelta(minutes=1)
# A running row not heard of for this long lost its worker (a batch takes a few seconds).
STUCK_AFTER = timedelta(minutes=15)
# What a stamp reads besides the stamped columns.
_READ = (
    "pk", "version", "status", "category_id", "tier", "submitted_at", "status_changed_at", "resolve_started_at",
    "resolved_at", "extended", "suspended_total", *deadlines.STAMPED,
)  # fmt: skip


@transaction.atomic
def deadline_policy_save(*, policy: DeadlinePolicy, old: tuple | None = None) -> ClockRestamp:
    """Save a policy (new or edited) and re-stamp the cases it governs, and those the row governed
    before an edit of its category or tier (`old`: (category_id, tier) as loaded)."""
    policy.save()
    keys = {(policy.category_id, policy.tier)}
    if old is not None and old != (policy.category_id, policy.tier):
        keys.add(old)
    return _restamp_request(keys)


@transaction.atomic
def deadline_policy_delete(*, policy: DeadlinePolicy) -> ClockRestamp:
    key = (policy.category_id, policy.tier)
    policy.delete()
    return _restamp_request({key})


def _restamp_request(keys: set[tuple]) -> ClockRestamp:
    # One key: its category and tier. Two (an edit moved the row): the widest of them.
    category_id, tier = next(iter(keys)) if len(keys) == 1 else (None, None)
    job = ClockRestamp.objects.create(category_id=category_id, tier=tier)
    pk = job.pk
    transaction.on_commit(lambda: clocks_restamp_enqueue(pk))
    return job


# Published by name: the tasks module imports this one, not the other way round.
RESTAMP_TASK = signature("disputes.tasks.clocks_restamp_task")


def clocks_restamp_enqueue(job_id: int) -> bool:
    """Publish the job once, quickly; a broker failure is logged, not raised (call after commit)."""
    return broker.publish(RESTAMP_TASK, args=[job_id], what=f"clock re-stamping {job_id}")


def _governed(job: ClockRestamp) -> Q:
    q = Q(status__in=Case.RUNNING_STATUSES)
    if job.category_id is not None:
        q &= Q(category_id=job.category_id)
    if job.tier is not None:
        q &= Q(tier=job.tier)
    return q


def clocks_restamp_run(job_id: int) -> bool:
    """Claim the job and re-stamp its cases batch by batch. False if it is not pending."""
    now = timezone.now()
    claimed = ClockRestamp.objects.filter(pk=job_id, state=ClockRestamp.State.PENDING).update(
        state=ClockRestamp.State.RUNNING, claimed_at=now
    )
    if not claimed:
        return False
    job = ClockRestamp.objects.get(pk=job_id)
    governed = Case.objects.filter(_governed(job))
    try:
        if job.cases_total is None:
            job.cases_total = governed.count()
            ClockRestamp.objects.filter(pk=job_id).update(cases_total=job.cases_total)
        book = deadlines.PolicyBook()
        while True:
            batch = list(governed.filter(pk__gt=job.last_case_id).order_by("pk").only(*_READ)[:BATCH])
            if not batch:
                break
            changed = _restamp_batch(batch, book)
            job.last_case_id = batch[-1].pk
            job.cases_done += len(batch)
            job.cases_changed += changed
            ClockRestamp.objects.filter(pk=job_id).update(
                last_case_id=job.last_case_id,
                cases_done=job.cases_done,
                cases_changed=job.cases_changed,
                claimed_at=timezone.now(),  # the heartbeat the beat's stuck check reads
            )
    except Exception as exc:
        logger.exception("clock re-stamping %s failed", job_id)
        ClockRestamp.objects.filter(pk=job_id).update(
            state=ClockRestamp.State.FAILED, error=str(exc)[:2000] or exc.__class__.__name__
        )
        return False
    ClockRestamp.objects.filter(pk=job_id).update(state=ClockRestamp.State.DONE, finished_at=timezone.now())
    return True


@transaction.atomic
def _restamp_batch(cases: list[Case], book: deadlines.PolicyBook) -> int:
    """Write the batch's new stamps, each case only if its version is still the one read. Only the
    stamped columns change (never a status or a start time), so the dashboard's counters, which
    read neither, need no update."""
    changes = []
    for case in cases:
        fields = deadlines.stamps(case, book.for_case(case))
        if any(getattr(case, name) != value for name, value in fields.items()):
            changes.append((case, fields))
    if not changes:
        return 0
    if connection.vendor == "postgresql":
        return _write_postgresql(changes)
    return sum(
        Case.objects.filter(pk=case.pk, version=case.version).update(**fields, version=F("version") + 1)
        for case, fields in changes
    )


def _write_postgresql(changes: list[tuple[Case, dict]]) -> int:
    """One UPDATE ... FROM (VALUES ...) for the batch (a row per case was 50 times slower)."""
    table = Case._meta.db_table
    columns = deadlines.STAMPED
    row = "(%s, %s, " + ", ".join(["%s::timestamptz"] * len(columns)) + ")"
    params = []
    for case, fields in changes:
        params += [case.pk, case.version, *(fields.get(name, getattr(case, name)) for name in columns)]
    sets = ", ".join(f"{name} = v.{name}" for name in columns)
    sql = (
        f"UPDATE {table} AS c SET {sets}, version = c.version + 1 "  # noqa: S608 (no input in it)
        f"FROM (VALUES {', '.join([row] * len(changes))}) AS v(id, version, {', '.join(columns)}) "
        "WHERE c.id = v.id AND c.version = v.version"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def clocks_restamp_dispatch(*, now=None) -> dict[str, int]:
    """Beat, every minute: running rows whose worker went quiet go back to pending (they go on
    from their keyset position), and pending rows older than a minute are published again."""
    now = now or timezone.now()
    reset = ClockRestamp.objects.filter(state=ClockRestamp.State.RUNNING, claimed_at__lt=now - STUCK_AFTER).update(
        state=ClockRestamp.State.PENDING
    )
    ids = list(
        ClockRestamp.objects.filter(state=ClockRestamp.State.PENDING, created_at__lt=now - REQUEUE_AFTER).values_list(
            "pk", flat=True
        )[:20]
    )
    published = sum(1 for pk in ids if clocks_restamp_enqueue(pk))
    return {"restamps_published": published, "restamps_reset": reset}
