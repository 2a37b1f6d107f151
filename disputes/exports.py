"""The ledger (台账): the filtered cases as CSV or XLSX, streamed, never all rows in memory.

Cases are read in keyset pages of 2,000 (`pk > last`, values() only); for each page the parties,
sessions, agreements and latest follow-ups come in one query each, so a ledger of any size runs
a fixed number of queries per page and holds one page at a time. CSV streams straight to the
client; XLSX is a Celery job (disputes/services/ledger_exports.py) that openpyxl writes in
write-only mode to a file the requester downloads when it is done.

Phone and ID numbers are masked in every export unless the user is an administrator: a ledger
leaves the system, and the per-case "staff of the case's area" rule of the case page would need a
check per row for little gain.

Cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return: a case title "=HYPERLINK(...)" would run when a supervisor opens the ledger) are neutralised:
a leading quote in CSV, a text cell in XLSX.

A ledger of more rows than LEDGER_DIRECT_MAX_ROWS is a Celery job in both formats
(disputes/services/ledger_exports.py). On PostgreSQL the job's CSV is one
`COPY (SELECT ...) TO STDOUT WITH CSV` (ledger_csv_copy): the same columns, labels, masking and
formula quotes, computed by the database, a million rows in seconds instead of minutes of Python.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator

from django.db import connections
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import mask_id_number, mask_phone
from config.inputs import parse_id
from disputes.models import Agreement, Case, Category, CollectiveClaim, FollowUp, MediationSession, Party

PAGE = 2000
# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: str) -> str:
    """A CSV cell a spreadsheet shows as typed: a leading quote before a formula's first sign."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


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
    "collective_claim__number",
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
                # "Yes JT-2026-000001": the flag and the number of the claim the case is handled in.
                " ".join(filter(None, [yes if row["is_collective"] else no, row["collective_claim__number"]])),
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
        yield writer.writerow([formula_safe(cell) for cell in row])


def ledger_csv_write(cases, out, *, user: User) -> int:
    """Write a CSV ledger to the binary file `out`; returns the number of rows. PostgreSQL: one
    COPY; elsewhere the rows of ledger_csv."""
    if connections[cases.db].vendor == "postgresql":
        return ledger_csv_copy(cases, out, user=user)
    rows = -1
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    for line in ledger_csv(cases, user=user):
        text.write(line)
        rows += 1
    text.detach()  # leave `out` open for the caller
    return rows


def ledger_xlsx_write(cases, out, *, user: User, title: str, progress=None) -> int:
    """Write an XLSX ledger to the binary file `out` (write-only workbook: rows go to disk as they
    come). `progress(rows_done)` is called after every page. Returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "ledger")
    sheet.append(ledger_columns())

    def text_cell(value: str):
        # openpyxl stores "=..." as a live formula; a text cell keeps what was typed, inert.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell

    done = 0
    for row in ledger_rows(cases, user=user):
        sheet.append([text_cell(v) if v.startswith(FORMULA_STARTS) else v for v in row])
        done += 1
        if progress is not None and done % PAGE == 0:
            progress(done)
    workbook.save(out)
    return done


# The figures a ledger can list (the dashboard's, by their one definition); "received" by default.
LEDGER_FIGURES = ("received", "accepted", "resolved", "closed", "overdue", "due_soon", "legacy", "suspended")


def ledger_queryset(
    *, area_ids: list[int], period=None, figure: str = "", status: str = "", category: str = "", now=None
):
    """The cases of a ledger: the areas of the scope and the cases of one figure (registered
    within the period unless another figure is named), by disputes.dashboard.figure_q."""
    from disputes.dashboard import figure_q

    q = Q(area_id__in=area_ids)
    figure = figure if figure in LEDGER_FIGURES else "received"
    if period is not None:
        q &= figure_q(figure, period, now or timezone.now())
    if status in Case.Status.values:
        q &= Q(status=status)
    if category_id := parse_id(category):
        q &= Q(category_id=category_id)
    return Case.objects.filter(q)


# --- The CSV ledger in one COPY (PostgreSQL) --------------------------------------------------


def ledger_csv_copy(cases, out, *, user: User) -> int:
    """Write the CSV ledger of `cases` to the binary file `out` with one `COPY (SELECT ...) TO
    STDOUT WITH CSV`: the rows of ledger_rows, in the same order (by pk), with the same labels (in
    the active language), masking and formula quotes, all computed in SQL. Returns the rows."""
    connection = connections[cases.db]
    connection.ensure_connection()
    sql = _ledger_copy_sql(cases, user=user, raw=connection.connection)
    out.write(("\ufeff" + _csv_line(ledger_columns())).encode())
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                out.write(block)
        return cursor.cursor.rowcount  # from the "COPY n" the server answers


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


class _Sql:
    """Builds the COPY's SQL: COPY takes no parameters, so values become literals quoted by the
    driver (psycopg.sql.Literal), never pasted text."""

    def __init__(self, raw):
        self.raw = raw

    def p(self, value) -> str:
        from psycopg import sql

        return sql.Literal(value).as_string(self.raw)

    def label(self, column: str, choices, *, default: str | None = None) -> str:
        """CASE column WHEN value THEN label ... ELSE default (the raw value if None) END."""
        whens = " ".join(f"WHEN {self.p(v)} THEN {self.p(str(label))}" for v, label in choices.choices)
        other = column if default is None else self.p(default)
        return f"(CASE {column} {whens} ELSE {other} END)"

    def local(self, column: str) -> str:
        # timezone.localtime(...).strftime("%Y-%m-%d %H:%M") of _local; NULL is written as empty.
        return f"to_char({column} AT TIME ZONE {self.p(timezone.get_current_timezone_name())}, 'YYYY-MM-DD HH24:MI')"

    def safe(self, expr: str) -> str:
        # formula_safe in SQL: the same FORMULA_STARTS.
        starts = ", ".join(self.p(c) for c in FORMULA_STARTS)
        return f"(CASE WHEN left({expr}, 1) IN ({starts}) THEN '''' || {expr} ELSE {expr} END)"


def _mask_phone_sql(column: str) -> str:
    # accounts.validators.mask_phone: 138****1234; shorter than 7 characters: all stars.
    return f"(CASE WHEN length({column}) < 7 THEN repeat('*', length({column})) ELSE left({column}, 3) || '****' || right({column}, 4) END)"  # noqa: E501


def _mask_id_sql(column: str) -> str:
    # accounts.validators.mask_id_number: the first 6 and last 4 characters; 10 or fewer: all stars.
    return (
        f"(CASE WHEN length({column}) <= 10 THEN repeat('*', length({column})) "
        f"ELSE left({column}, 6) || repeat('*', length({column}) - 10) || right({column}, 4) END)"
    )


def _ledger_copy_sql(cases, *, user: User, raw) -> str:
    from psycopg import ClientCursor

    q = _Sql(raw)
    unmasked = shows_personal_data(user)
    phone = "p.phone" if unmasked else _mask_phone_sql("p.phone")
    id_number = "p.id_number" if unmasked else _mask_id_sql("p.id_number")
    party = (
        f"concat_ws(' ', {q.label('p.role', Party.Role)} || ':', NULLIF(p.name, ''), "
        f"NULLIF({phone}, ''), NULLIF({id_number}, ''))"
    )
    before, _sep, after = _("%(n)s mediation sessions").partition("%(n)s")
    columns = [
        "c.number",
        q.label("c.source", Case.Source),
        q.local("c.submitted_at"),
        "a.name",
        "pa.parties",
        "cat.name",
        "c.title || ': ' || c.summary",
        q.label("c.risk", Case.Risk),
        f"{q.p(before)} || COALESCE(s.n, 0)::text || {q.p(after)}",
        "COALESCE(NULLIF(u.full_name, ''), u.username)",
        q.local("c.next_due_at"),
        q.label("c.status", Case.Status),
        f"concat_ws(' ', NULLIF({q.label('c.outcome', Case.Outcome, default='')}, ''), NULLIF(c.outcome_summary, ''))",
        f"CASE WHEN ag.id IS NOT NULL THEN concat_ws(' ', "
        f"NULLIF({q.label('ag.kind', Agreement.Kind, default='')}, ''), {q.local('ag.effective_at')}) END",
        f"CASE WHEN f.case_id IS NOT NULL THEN concat_ws(' ', {q.local('f.visited_at')}, "
        f"NULLIF({q.label('f.performing', FollowUp.Performing, default='')}, ''), "
        f"NULLIF({q.label('f.satisfaction', FollowUp.Satisfaction, default='')}, '')) END",
        f"concat_ws(' ', CASE WHEN c.is_collective THEN {q.p(_('Yes'))} ELSE {q.p(_('No'))} END, cl.number)",
    ]
    inner = ",\n".join(f"COALESCE(({col})::text, '') AS c{n}" for n, col in enumerate(columns))
    outer = ", ".join(q.safe(f"c{n}") for n in range(len(columns)))
    ids_sql = ClientCursor(raw).mogrify(*cases.order_by().values("pk").query.sql_with_params())
    tables = {
        "case": Case._meta.db_table,
        "party": Party._meta.db_table,
        "session": MediationSession._meta.db_table,
        "agreement": Agreement._meta.db_table,
        "follow_up": FollowUp._meta.db_table,
        "area": Case._meta.get_field("area").related_model._meta.db_table,
        "category": Category._meta.db_table,
        "user": User._meta.db_table,
        "claim": CollectiveClaim._meta.db_table,
    }
    # The cells are computed once in the inner query (OFFSET 0 keeps PostgreSQL from folding it
    # into the outer one, which would compute each cell again for each use in the formula check).
    sql = f"""
        WITH ids (id) AS MATERIALIZED ({ids_sql})
        SELECT {outer} FROM (SELECT {inner}
        FROM ids JOIN "{tables["case"]}" c ON c.id = ids.id
        JOIN "{tables["area"]}" a ON a.id = c.area_id
        LEFT JOIN "{tables["category"]}" cat ON cat.id = c.category_id
        LEFT JOIN "{tables["user"]}" u ON u.id = c.mediator_id
        LEFT JOIN "{tables["claim"]}" cl ON cl.id = c.collective_claim_id
        LEFT JOIN LATERAL (  -- a case's few parties through the case_id index (faster than one big GROUP BY)
            SELECT string_agg({party}, '; ' ORDER BY p.role, p.id) AS parties
            FROM "{tables["party"]}" p WHERE p.case_id = c.id
        ) pa ON true
        LEFT JOIN (
            SELECT case_id, count(*) AS n FROM "{tables["session"]}" GROUP BY case_id
        ) s ON s.case_id = c.id
        LEFT JOIN "{tables["agreement"]}" ag ON ag.case_id = c.id
        LEFT JOIN (
            SELECT DISTINCT ON (case_id) case_id, visited_at, performing, satisfaction
            FROM "{tables["follow_up"]}" ORDER BY case_id, visited_at DESC, id DESC
        ) f ON f.case_id = c.id
        ORDER BY c.id OFFSET 0) cells
    """
    return sql
