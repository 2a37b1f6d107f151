"""The ledger (台账): the filtered cases as CSV or XLSX, streamed, never all rows in memory.

Cases are read in keyset pages of 2,000 (`pk > last`, values() only); for each page the parties,
sessions, agreements and latest follow-ups come in one query each, so a ledger of any size runs
a fixed number of queries per page and holds one page at a time. CSV streams straight to the
client; XLSX is a Celery job (disputes/services/ledger_exports.py) that openpyxl writes in
write-only mode to a file the requester downloads when it is done.

Phone and ID numbers are masked in every export unless the user is an administrator: a ledger
leaves the system, and the per-case "staff of the case's area" rule of the case page would need a
check per row for little gain.
"""

import csv
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import mask_id_number, mask_phone
from config.inputs import parse_id
from disputes.models import Agreement, Case, Category, FollowUp, MediationSession, Party

PAGE = 2000


def ledger_columns() -> list[str]:
    return [
        _("Case number"),
        _("Source"),
        _("Registered at"),
        _("Area"),
        _("Parties"),
        _("Category"),
        _("Summary"),
        _("Risk level"),
        _("Measures taken"),
        _("Mediator"),
        _("Deadline"),
        _("Progress"),
        _("Outcome"),
        _("Agreement"),
        _("Follow-up and satisfaction"),
        _("Collective claim"),
    ]


def shows_personal_data(user: User) -> bool:
    return user.is_superuser or user.role == User.Role.ADMINISTRATOR


CASE_FIELDS = (
    "pk",
    "number",
    "source",
    "submitted_at",
    "area__name",
    "category_id",
    "title",
    "summary",
    "risk",
    "mediator__full_name",
    "mediator__username",
    "next_due_at",
    "status",
    "outcome",
    "outcome_summary",
    "is_collective",
    "households",
)


def ledger_rows(cases, *, user: User) -> Iterator[list[str]]:
    """The ledger rows of a case queryset (already filtered and scoped), page by page."""
    unmasked = shows_personal_data(user)
    categories = dict(Category.objects.values_list("pk", "name"))
    sources, statuses = _labels(Case.Source), _labels(Case.Status)
    risks, outcomes = _labels(Case.Risk), _labels(Case.Outcome)
    roles = _labels(Party.Role)
    satisfaction, performing = _labels(FollowUp.Satisfaction), _labels(FollowUp.Performing)
    agreement_kinds = _labels(Agreement.Kind)
    yes, no = _("Yes"), _("No")
    last = 0
    base = cases.order_by("pk").values(*CASE_FIELDS)
    while True:
        page = list(base.filter(pk__gt=last)[:PAGE])
        if not page:
            return
        last = page[-1]["pk"]
        ids = [row["pk"] for row in page]
        parties = defaultdict(list)
        for p in (
            Party.objects.filter(case_id__in=ids)
            .order_by("case_id", "role", "pk")
            .values_list("case_id", "role", "name", "phone", "id_number")
        ):
            case_id, role, name, phone, id_number = p
            if not unmasked:
                phone, id_number = mask_phone(phone), mask_id_number(id_number)
            parties[case_id].append(" ".join(filter(None, [f"{roles.get(role, role)}:", name, phone, id_number])))
        sessions = dict(
            MediationSession.objects.filter(case_id__in=ids)
            .values("case_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("case_id", "n")
        )
        agreements = {
            case_id: (kind, effective)
            for case_id, kind, effective in Agreement.objects.filter(case_id__in=ids).values_list(
                "case_id", "kind", "effective_at"
            )
        }
        follow_ups = {}
        for case_id, visited, perf, sat in (
            FollowUp.objects.filter(case_id__in=ids)
            .order_by("case_id", "visited_at", "pk")
            .values_list("case_id", "visited_at", "performing", "satisfaction")
        ):
            follow_ups[case_id] = (visited, perf, sat)  # the latest wins
        for row in page:
            pk = row["pk"]
            agreement = agreements.get(pk)
            follow = follow_ups.get(pk)
            yield [
                row["number"],
                sources.get(row["source"], row["source"]),
                _local(row["submitted_at"]),
                row["area__name"],
                "; ".join(parties[pk]),
                categories.get(row["category_id"], ""),
                f"{row['title']}: {row['summary']}",
                risks.get(row["risk"], row["risk"]),
                _("%(n)s mediation sessions") % {"n": sessions.get(pk, 0)},
                row["mediator__full_name"] or row["mediator__username"] or "",
                _local(row["next_due_at"]),
                statuses.get(row["status"], row["status"]),
                " ".join(filter(None, [outcomes.get(row["outcome"], ""), row["outcome_summary"]])),
                ""
                if agreement is None
                else " ".join(filter(None, [agreement_kinds.get(agreement[0], ""), _local(agreement[1])])),
                ""
                if follow is None
                else " ".join(
                    filter(None, [_local(follow[0]), performing.get(follow[1], ""), satisfaction.get(follow[2], "")])
                ),
                yes if row["is_collective"] else no,
            ]


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class _Echo:
    def write(self, value: str) -> str:
        return value


def ledger_csv(cases, *, user: User) -> Iterator[str]:
    """CSV lines, a BOM first so that Excel reads the UTF-8 Chinese text."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(ledger_columns())
    for row in ledger_rows(cases, user=user):
        yield writer.writerow(row)


def ledger_xlsx_write(cases, out, *, user: User, title: str, progress=None) -> int:
    """Write an XLSX ledger to the binary file `out` (write-only workbook: rows go to disk as they
    come). `progress(rows_done)` is called after every page. Returns the number of rows."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "ledger")
    sheet.append(ledger_columns())
    done = 0
    for row in ledger_rows(cases, user=user):
        sheet.append(row)
        done += 1
        if progress is not None and done % PAGE == 0:
            progress(done)
    workbook.save(out)
    return done


def ledger_queryset(*, area_ids: list[int], start_at=None, end_before=None, status: str = "", category: str = ""):
    """The cases of a ledger: the areas of the scope, registered within the period."""
    q = Q(area_id__in=area_ids)
    if start_at is not None:
        q &= Q(submitted_at__gte=start_at, submitted_at__lt=end_before)
    if status in Case.Status.values:
        q &= Q(status=status)
    if category_id := parse_id(category):
        q &= Q(category_id=category_id)
    return Case.objects.filter(q)
