"""Synthetic cases in bulk, for load tests and the dashboard benchmark.

    python manage.py seed_demo            # areas and users first (seed_bulk runs it if there are none)
    python manage.py seed_bulk --cases 1000000

Each case gets a plausible timeline over the last two years (submitted → accepted → acknowledged →
resolved → closed, or rejected / withdrawn / terminated), cut at "now": the stage reached by now is
its status, so old cases are mostly closed and recent ones still open, with a few legacy cases.
Parties, events and follow-up visits come with them. Rows are written in large batches (COPY on
PostgreSQL, multi-row INSERTs elsewhere) with explicit ids, bypassing the lifecycle service, so the
dashboard's daily figures are rebuilt from the cases at the end (disputes.stats.stats_rebuild).
"""

import json
import random
import time
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Area, User
from disputes import deadlines, stats
from disputes.models import Case, CaseEvent, CaseNumberCounter, Category, FollowUp, Party

DAYS = 730
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志"
TITLES = {
    "neighbours": ["楼上噪音扰民", "邻里占用公共通道", "宠物扰邻", "空调外机噪音"],
    "property": ["物业费纠纷", "电梯长期故障", "小区停车位争议", "公共收益分配"],
    "family": ["赡养老人费用", "家庭财产分割", "婚姻家庭矛盾"],
    "damage": ["楼上漏水损坏", "装修损坏邻居墙体", "车辆剐蹭赔偿"],
}
SOURCES = [
    (Case.Source.ONLINE, 35),
    (Case.Source.WALK_IN, 20),
    (Case.Source.PHONE, 15),
    (Case.Source.HOTLINE_12345, 15),
    (Case.Source.GRID_SCREENING, 12),
    (Case.Source.MEETING, 3),
]
SATISFACTION = [("satisfied", 70), ("basically_satisfied", 22), ("dissatisfied", 8)]
PERFORMING = [("yes", 85), ("partly", 10), ("no", 5)]


def _weighted(pairs, rng, k):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=k)


class Command(BaseCommand):
    help = "Generate N realistic synthetic cases (with parties, events, follow-ups) over the demo areas."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--batch", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any case exists (make run).")

    def handle(self, *args, cases: int, batch: int, seed: int, if_empty: bool = False, **options):
        if if_empty and Case.objects.exists():
            self.stdout.write("Demo cases: the database already has cases; nothing generated.")
            return
        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        if not Area.objects.exists():
            call_command("seed_demo", stdout=self.stdout)
        started = time.monotonic()
        gen = _Generator(rng=random.Random(seed), now=timezone.now())
        made = 0
        while made < cases:
            n = min(batch, cases - made)
            with transaction.atomic():
                gen.write_batch(n)
            made += n
            self.stdout.write(f"  {made} cases ({time.monotonic() - started:.0f} s)")
        with transaction.atomic():
            gen.finish()
        rows = stats.stats_rebuild()
        with connection.cursor() as cursor:
            # Fresh statistics for the planners; on PostgreSQL the visibility map also lets the
            # dashboard read the partial index case_running_clock alone.
            # VACUUM cannot run inside a transaction (a test, or a caller's atomic block): ANALYZE then.
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(f"{cases} cases in {time.monotonic() - started:.0f} s; {rows} daily figure rows.")
        )


class _Generator:
    def __init__(self, *, rng: random.Random, now: datetime):
        self.rng, self.now = rng, now
        self.areas = list(Area.objects.filter(kind__in=[Area.Kind.GRID, Area.Kind.COMMUNITY]))
        if not self.areas:
            raise CommandError("No communities or grids: run seed_demo first.")
        self.community_of = {a.pk: a for a in self.areas if a.kind == Area.Kind.COMMUNITY}
        self.mediators = self._mediators()
        self.categories = list(Category.objects.filter(is_active=True))
        weights = {"neighbours": 30, "property": 25, "family": 10, "damage": 12}
        self.category_weights = [weights.get(c.code, 3) for c in self.categories]
        self.next_id = {m: (m.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1 for m in (Case, Party, CaseEvent)}
        self.next_id[FollowUp] = (FollowUp.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self.numbers = {c.year: c.last for c in CaseNumberCounter.objects.all()}
        self.policy = deadlines.DEFAULT_POLICY
        self.policies = deadlines.PolicyBook()  # each case is stamped with the policy in force for it

    def _mediators(self) -> dict[int, list[int]]:
        """Mediators by community (two per community, created if missing)."""
        by_community: dict[int, list[int]] = {}
        for community in (a for a in self.areas if a.kind == Area.Kind.COMMUNITY):
            ids = list(
                User.objects.filter(role=User.Role.MEDIATOR, areas__path__startswith=community.path)
                .values_list("pk", flat=True)
                .distinct()[:3]
            )
            while len(ids) < 2:
                user = User.objects.create(
                    username=f"bulk-mediator-{community.pk}-{len(ids) + 1}",
                    full_name=f"{community.name}调解员{len(ids) + 1}",
                    role=User.Role.MEDIATOR,
                    is_staff=True,
                )
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.areas.set([community])
                ids.append(user.pk)
            by_community[community.pk] = ids
        return by_community

    def _community(self, area: Area) -> int:
        if area.kind == Area.Kind.COMMUNITY:
            return area.pk
        return next(pk for pk, c in self.community_of.items() if area.path.startswith(c.path))

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.randint(1, 2)))

    def write_batch(self, n: int) -> None:
        rng, now, p = self.rng, self.now, self.policy
        day = timedelta(days=1)
        cases, parties, events, follow_ups = [], [], [], []
        sources = _weighted(SOURCES, rng, n)
        categories = rng.choices(self.categories, weights=self.category_weights, k=n)
        for i in range(n):
            area = rng.choice(self.areas)
            category = categories[i]
            # More recent days are busier (the service grew): a triangular spread over two years.
            submitted = now - timedelta(days=DAYS * rng.triangular(0, 1, 0), seconds=rng.randint(0, 86399))
            households = 1 if rng.random() < 0.96 else rng.randint(5, 40)
            c = {
                "id": self.next_id[Case],
                "number": self._number(submitted),
                "category_id": category.pk,
                "source": sources[i],
                "title": rng.choice(TITLES.get(category.code, [category.name])),
                "summary": "（批量生成的测试数据）" + category.name,
                "request": "请求调解",
                "area_id": area.pk,
                "risk": rng.choices(["low", "medium", "high"], weights=[80, 16, 4])[0],
                "households": households,
                "is_collective": households >= Case.COLLECTIVE_HOUSEHOLDS,
                "submitted_at": submitted,
                "consent_sensitive_at": submitted,
                "accept_due_at": submitted + p.accept_days * day,
            }
            self.next_id[Case] += 1
            ev = [(submitted, CaseEvent.Kind.SUBMITTED, "", Case.Status.SUBMITTED)]
            self._timeline(c, ev, area)
            cases.append(c)
            for role in (Party.Role.APPLICANT, Party.Role.RESPONDENT):
                parties.append(
                    {
                        "id": self.next_id[Party],
                        "case_id": c["id"],
                        "role": role,
                        "name": self._name(),
                        "phone": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                        "id_number": f"110101{rng.randint(19500101, 20041228)}{rng.randint(0, 9999):04d}",
                        "consents_to_mediation": True if role == Party.Role.APPLICANT else None,
                    }
                )
                self.next_id[Party] += 1
            for at, kind, old, new in ev:
                events.append(
                    {
                        "id": self.next_id[CaseEvent],
                        "case_id": c["id"],
                        "kind": kind,
                        "actor_id": c.get("mediator_id"),
                        "created_at": at,
                        "old_status": old,
                        "new_status": new,
                    }
                )
                self.next_id[CaseEvent] += 1
            if c["status"] == Case.Status.CLOSED and c.get("resolved_at") and rng.random() < 0.7:
                follow_ups.append(
                    {
                        "id": self.next_id[FollowUp],
                        "case_id": c["id"],
                        "visited_at": c["closed_at"],
                        "created_at": c["closed_at"],
                        "performing": _weighted(PERFORMING, rng, 1)[0],
                        "satisfaction": _weighted(SATISFACTION, rng, 1)[0],
                        "by_id": c.get("mediator_id"),
                    }
                )
                self.next_id[FollowUp] += 1
        _write(Case, cases)
        _write(Party, parties)
        _write(CaseEvent, events)
        _write(FollowUp, follow_ups)

    def _number(self, submitted: datetime) -> str:
        year = timezone.localtime(submitted).year
        self.numbers[year] = self.numbers.get(year, 0) + 1
        return f"LL-{year}-{self.numbers[year]:06d}"

    def _timeline(self, c: dict, ev: list, area: Area) -> None:
        """Walk the case forward with random delays; stop at the first step later than now."""
        rng, now, p, S = self.rng, self.now, self.policy, Case.Status
        day = timedelta(days=1)
        c["status"], at = S.SUBMITTED, c["submitted_at"]

        def step(delay_days: float) -> datetime | None:
            nonlocal at
            nxt = at + timedelta(days=delay_days)
            if nxt > now:
                return None
            at = nxt
            return at

        roll = rng.random()
        if roll < 0.05:  # not accepted
            if step(rng.uniform(0.2, 4)):
                c.update(status=S.REJECTED, outcome="rejected", closed_at=at, rejection_reason="不属于民间纠纷")
                c["rejection_advice"] = "建议向有关部门反映"
                ev.append((at, CaseEvent.Kind.STATUS, S.SUBMITTED, S.REJECTED))
            return self._finish(c, at)
        if roll < 0.08:  # withdrawn before acceptance
            if step(rng.uniform(0.2, 3)):
                c.update(status=S.WITHDRAWN, outcome="withdrawn", closed_at=at)
                ev.append((at, CaseEvent.Kind.STATUS, S.SUBMITTED, S.WITHDRAWN))
            return self._finish(c, at)
        # 1 in 100 cases lingers before acceptance: unassigned and overdue if still recent.
        if not step(rng.uniform(3, 12) if rng.random() < 0.01 else rng.uniform(0.05, 3.3)):
            return self._finish(c, at)
        c["mediator_id"] = rng.choice(self.mediators[self._community(area)])
        c.update(status=S.ASSIGNED, accepted_at=at, resolve_started_at=at)
        c["acknowledge_due_at"] = at + p.acknowledge_days * day
        c["resolve_due_at"] = at + p.resolve_days * day
        c["tier"] = Case.Tier.GRID if area.kind == Area.Kind.GRID else Case.Tier.COMMUNITY
        ev.append((at, CaseEvent.Kind.ASSIGNED, S.SUBMITTED, S.ASSIGNED))
        if not step(rng.uniform(0.05, 1.2)):
            return self._finish(c, at)
        c.update(status=S.IN_MEDIATION, acknowledged_at=at)
        ev.append((at, CaseEvent.Kind.STATUS, S.ASSIGNED, S.IN_MEDIATION))
        legacy = rng.random() < 0.004
        if rng.random() < 0.08 and not legacy:  # mediation fails
            if step(rng.uniform(5, 35)):
                c.update(status=S.CLOSED, outcome="terminated", closed_at=at, routes_advised="建议通过诉讼解决")
                ev.append((at, CaseEvent.Kind.STATUS, S.IN_MEDIATION, S.CLOSED))
            return self._finish(c, at)
        took = rng.uniform(200, 400) if legacy else rng.gammavariate(2.2, 7)
        if not step(took):
            return self._finish(c, at)
        outcome = rng.choices(["written_agreement", "oral_agreement", "reconciled"], weights=[50, 25, 25])[0]
        c.update(status=S.RESOLVED, resolved_at=at, outcome=outcome, outcome_summary="双方达成一致")
        c["follow_up_due_at"] = at + p.follow_up_days * day
        ev.append((at, CaseEvent.Kind.STATUS, S.IN_MEDIATION, S.RESOLVED))
        if step(rng.uniform(3, 20)):
            c.update(status=S.CLOSED, closed_at=at)
            ev.append((at, CaseEvent.Kind.STATUS, S.RESOLVED, S.CLOSED))
        return self._finish(c, at)

    def _finish(self, c: dict, at: datetime) -> None:
        c["status_changed_at"] = c["last_activity_at"] = at
        c["version"] = 1
        # The instants of the policy in force, as the lifecycle service stamps them.
        case = SimpleNamespace(
            **{name: c.get(name) for name in (*deadlines.STAMPED, "resolve_started_at", "resolved_at")},
            status=c["status"],
            submitted_at=c["submitted_at"],
            status_changed_at=at,
            extended=False,
            suspended_total=timedelta(0),
        )
        policy = self.policies.get(category_id=c["category_id"], tier=c.get("tier", Case.Tier.GRID))
        c.update(deadlines.stamps(case, policy))

    def finish(self) -> None:
        for year, last in self.numbers.items():
            CaseNumberCounter.objects.update_or_create(year=year, defaults={"last": last})
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Case, Party, CaseEvent, FollowUp):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                    )


def _defaults(model) -> list[tuple[str, object]]:
    out = []
    for f in model._meta.concrete_fields:
        if f.generated:  # computed by the database (e.g. Case.number_serial)
            continue
        if f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        else:
            value = ""
        out.append((f.attname, value))
    return out


_DEFAULTS: dict = {}


def _write(model, rows: list[dict]) -> None:
    """Insert rows (dicts of attname → value; the rest take the field default): COPY on
    PostgreSQL, batched INSERTs elsewhere."""
    if not rows:
        return
    defaults = _DEFAULTS.setdefault(model, _defaults(model))
    columns = [name for name, _ in defaults]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    table = model._meta.db_table

    if connection.vendor == "postgresql":
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([_copy_value(row.get(name, default)) for name, default in defaults])
        return
    model.objects.bulk_create(
        [model(**{name: row.get(name, default) for name, default in defaults if name in fields}) for row in rows],
        batch_size=500,
    )


def _copy_value(value):
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
