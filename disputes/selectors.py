"""Read queries with more than one caller; each returns rows with their joins already applied."""

import re
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connections
from django.db.models import Case as DbCase
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from accounts.models import Area, User
from accounts.selectors import served_areas
from accounts.validators import normalise_phone
from disputes.models import (
    Agreement,
    Case,
    ClaimEvent,
    CollectiveClaim,
    FollowUp,
    InboxMessage,
    Meeting,
    Party,
    Resolution,
)


def _ancestor_ids(area: Area) -> list[int]:
    # The materialised path "/1/3/5/" lists the area and all its ancestors: no query needed.
    return [int(part) for part in area.path.strip("/").split("/") if part]


def community_of(area: Area) -> Area | None:
    """The community at or above `area` (whose committee convenes meetings and signs agreements)."""
    return Area.objects.filter(pk__in=_ancestor_ids(area), kind=Area.Kind.COMMUNITY).first()


def staff_list_for_case(case: Case) -> QuerySet[User]:
    """Active mediators and supervisors who serve the case's area, one of its ancestors or one of
    the areas below it: the people a case may be assigned to."""
    served = User.areas.through.objects.filter(
        Q(area_id__in=_ancestor_ids(case.area)) | Q(area__path__startswith=case.area.path)
    ).values("user_id")
    return User.objects.filter(
        pk__in=served, is_active=True, role__in=[User.Role.MEDIATOR, User.Role.SUPERVISOR]
    ).order_by("full_name", "username")


# Which level of area serves a case at each handling tier: grid cases go to the grid worker or the
# community's mediators, escalated cases to the staff of the level above (DESIGN §3).
TIER_AREA_KINDS = {
    Case.Tier.GRID: [Area.Kind.GRID, Area.Kind.COMMUNITY],
    Case.Tier.COMMUNITY: [Area.Kind.COMMUNITY],
    Case.Tier.SUBDISTRICT: [Area.Kind.SUBDISTRICT],
    Case.Tier.DISTRICT: [Area.Kind.DISTRICT],
}


def _staff_ids_at(case: Case, kinds) -> QuerySet:
    # The users serving an area of one of these kinds at or above the case's area.
    return User.areas.through.objects.filter(area_id__in=_ancestor_ids(case.area), area__kind__in=kinds).values(
        "user_id"
    )


def _tier_staff_ids(case: Case):
    # The users serving the area (an ancestor of the case's) that handles the case's tier.
    return _staff_ids_at(case, TIER_AREA_KINDS.get(case.tier, []))


def mediator_suggest_for_case(case: Case) -> User | None:
    """The mediator serving the case's grid or community (or the level of its tier) with the fewest
    open cases; ties go to the longest-serving account. One query."""
    return (
        User.objects.filter(pk__in=_tier_staff_ids(case), is_active=True, role=User.Role.MEDIATOR)
        .annotate(open_cases=Count("mediated_cases", filter=Q(mediated_cases__status__in=Case.OPEN_STATUSES)))
        .order_by("open_cases", "pk")
        .first()
    )


def mediator_list_for_case(case: Case, *, first: User | None = None) -> QuerySet[User]:
    """The mediators (not supervisors) who serve the case's area at its tier, as
    mediator_suggest_for_case picks from; `first` (the signed-in user) heads the list."""
    users = User.objects.filter(pk__in=_tier_staff_ids(case), is_active=True, role=User.Role.MEDIATOR)
    if first is not None:
        users = users.annotate(is_me=DbCase(When(pk=first.pk, then=0), default=1))
        return users.order_by("is_me", "full_name", "username")
    return users.order_by("full_name", "username")


def staff_for_tier(case: Case) -> QuerySet[User]:
    """The mediators and supervisors of the area that handles the case's tier (区矛调中心 for a
    district case): an escalated case without a named mediator is theirs to assign, and they hear
    of it and of its reminders (services/reminders.Staff.tier_staff reads the same rule)."""
    return User.objects.filter(
        pk__in=_tier_staff_ids(case), is_active=True, role__in=[User.Role.MEDIATOR, User.Role.SUPERVISOR]
    ).order_by("pk")


def supervisors_of_subdistrict(case: Case) -> QuerySet[User]:
    """The supervisors of the case's subdistrict (街道): high risk is reported to them (DESIGN §7)."""
    return User.objects.filter(
        pk__in=_staff_ids_at(case, [Area.Kind.SUBDISTRICT]), is_active=True, role=User.Role.SUPERVISOR
    ).order_by("pk")


def tiers_handled_by(user: User) -> list[int]:
    """The handling tiers above the grid whose queue the user's served areas hold."""
    kinds = {a.kind for a in served_areas(user)}
    return [tier for tier, tier_kinds in TIER_AREA_KINDS.items() if tier > Case.Tier.GRID and kinds & set(tier_kinds)]


# --- Search -----------------------------------------------------------------------------------

# "LL-2026-000123", "ll 2026 123", "2026-123": a whole case number (the serial is zero-padded).
CASE_NUMBER_RE = re.compile(r"^(?:LL)?[-\s]*(\d{4})[-\s]+(\d{1,6})$", re.IGNORECASE)
SERIAL_DIGITS = 6
# One character is a surname: 2% of all parties, 40,000 at a million cases, which no index makes
# cheap to sort and count; two ("王伟") already narrow it to a few hundred.
NAME_MIN_CHARS = 2


def case_search(cases: QuerySet[Case], term: str) -> QuerySet[Case]:
    """The cases of `cases` that a search term finds: the one search of the admin case list, the
    case autocompletes and a related-case suggestion. What people type, and the index each uses:

    - a whole case number ("LL-2026-000123", "2026-123"): equality on the unique number;
    - its beginning ("LL-2026-00"): a prefix of the number;
    - its tail ("123", "000123"): equality on Case.number_serial, the zero-padded six digits;
    - a whole phone number, spaces and +86 allowed: equality on Party.phone; its first digits
      (5 to 10): a prefix; its last four: equality on Party.phone_last4;
    - anything else of two characters or more: the beginning of a party's name ("王伟", "Alice").

    Every kind is an index lookup that returns the matching case ids; they are combined in one
    UNION subquery, so the database finds the few matching cases first and sorts only those (an
    OR of subqueries made PostgreSQL walk every case newest-first: 1-4 s at 1,000,000 cases).
    Text is matched as typed: no substring search, which no B-tree index can answer (and
    trigrams cannot index two-character Chinese names)."""
    term = " ".join(str(term).split())
    if not term:
        return cases
    vendor = connections[cases.db].vendor
    by_case, by_party = [], []  # Q objects on Case and on Party
    number = CASE_NUMBER_RE.match(term)
    digits = normalise_phone(term)
    if number:
        year, serial = number.groups()
        by_case.append(Q(number=f"LL-{year}-{serial.zfill(SERIAL_DIGITS)}"))
    if term.upper().startswith("LL"):  # also a number still being typed: "LL-2026-0001"
        by_case.append(_prefix_q("number", term.upper().replace(" ", ""), vendor))
    elif number:
        pass  # "2026-123" is a case number, not a phone number
    elif digits.isascii() and digits.isdigit():
        if len(digits) <= SERIAL_DIGITS:
            by_case.append(Q(number_serial=digits.zfill(SERIAL_DIGITS)))
        if len(digits) == 4:
            by_party.append(Q(phone_last4=digits))
        elif 5 <= len(digits) < 11:
            by_party.append(_prefix_q("phone", digits, vendor))
        elif len(digits) == 11:
            by_party.append(Q(phone=digits))
    elif len(term) >= NAME_MIN_CHARS:
        by_party.append(_prefix_q("name", term, vendor))
    ids = [Case.objects.filter(q).order_by().values("pk") for q in by_case]
    ids += [Party.objects.filter(q).order_by().values("case_id") for q in by_party]
    if not ids:
        return cases.none()
    return cases.filter(pk__in=ids[0].union(*ids[1:]) if len(ids) > 1 else ids[0])


def _prefix_q(field: str, prefix: str, vendor: str) -> Q:
    if vendor == "postgresql":
        # LIKE 'x%' on the varchar_pattern_ops index (any collation).
        return Q(**{f"{field}__startswith": prefix})
    # SQLite's LIKE ignores case and so its BINARY indexes; a range of the same strings uses them.
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


# --- Residents ---------------------------------------------------------------------------------


def case_list_for_resident(user: User) -> QuerySet[Case]:
    """The cases where `user` is a party, newest first, with what "my cases" shows (one query).

    `my_role` is the user's role in the case and `has_unread` whether an inbox message about it
    is unread.
    """
    mine = Party.objects.filter(case=OuterRef("pk"), user=user)
    return (
        Case.objects.filter(pk__in=Party.objects.filter(user=user).values("case_id"))
        .select_related("category", "area", "mediator")
        .annotate(
            my_role=Subquery(mine.order_by("pk").values("role")[:1]),
            has_unread=Exists(InboxMessage.objects.filter(recipient=user, case=OuterRef("pk"), read_at__isnull=True)),
        )
        .order_by("-submitted_at")
    )


def case_get_for_party(user: User, number: str):
    """(case, party) for a user who is a party to case `number`; 404 for anyone else, so that
    the existence of other people's cases is not revealed."""
    party = (
        Party.objects.filter(case__number=number, user=user)
        .select_related("case", "case__category", "case__area", "case__estate", "case__mediator")
        .order_by("pk")
        .first()
        if user.is_authenticated
        else None
    )
    if party is None:
        raise Http404("No such case.")
    return party.case, party


def inbox_unread_count(user: User) -> int:
    """The navbar badge: one COUNT on the (recipient, read_at) index."""
    return InboxMessage.objects.filter(recipient=user, read_at__isnull=True).count()


# --- Meetings and closure ----------------------------------------------------------------------


def meeting_list_for_case(case: Case) -> QuerySet:
    """The scheduled and held four-party meetings about a case, for its parties' page: each with
    the resolutions on this case or on the general estate topic, never those on other cases.
    Constant queries (one for the meetings, one for the resolutions)."""
    return (
        Meeting.objects.filter(
            Q(agenda_items__case=case)
            | Q(resolutions__case=case)
            # The claim's meeting, also for a case added to the claim after it was scheduled.
            | (Q(claim_id=case.collective_claim_id) if case.collective_claim_id else Q(pk__in=[]))
        )
        .exclude(status=Meeting.Status.CANCELLED)
        .distinct()
        .order_by("-scheduled_at")
        .prefetch_related(
            Prefetch(
                "resolutions",
                queryset=Resolution.objects.filter(Q(case=case) | Q(case__isnull=True)).order_by("due_date", "pk"),
                to_attr="case_resolutions",
            )
        )
    )


def case_follow_through_for_party(case: Case, party: Party | None) -> dict:
    """What a party sees after mediation starts: meetings (date, place, resolutions; never the
    minutes), the agreement once drafted, and their own rating or whether they may rate now.
    Four queries at most, whatever the number of meetings."""
    rating = None
    if party is not None:
        rating = FollowUp.objects.filter(case=case, party=party, source=FollowUp.Source.RESIDENT).first()
    return {
        "meetings": list(meeting_list_for_case(case)),
        "agreement": Agreement.objects.filter(case=case).first(),
        "my_rating": rating,
        "can_rate": party is not None and rating is None and case.status in (Case.Status.RESOLVED, Case.Status.CLOSED),
    }


# --- The mediator's to-do queue (the admin's landing page) --------------------------------------

TODO_LIMIT = 25


def todo_for_user(user: User, *, now, limit: int = TODO_LIMIT) -> dict:
    """What waits for a staff user, each list at most `limit` rows, by what is due first.
    A fixed number of queries however many cases there are (each on an index: case_mediator_status,
    case_status_next_due, resolution_status_due, the reminders' recipient)."""
    from django.utils import timezone

    from disputes.models import Reminder
    from disputes.visibility import area_rows_visible_to, case_scope_q

    today = timezone.localdate(now)
    day_end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    week_end = day_end + timedelta(days=6)
    cases = Case.objects.select_related("category").only(
        "pk", "number", "title", "status", "next_due_at", "follow_up_due_at", "suspended_at", "category__name"
    )
    running = [Case.Status.ASSIGNED, Case.Status.IN_MEDIATION]
    mine = list(
        cases.filter(mediator=user, status__in=running, next_due_at__lt=week_end).order_by("next_due_at")[:limit]
    )
    return {
        "overdue": [c for c in mine if c.next_due_at < now],
        "due_today": [c for c in mine if now <= c.next_due_at < day_end],
        "due_this_week": [c for c in mine if day_end <= c.next_due_at],
        "to_acknowledge": list(
            cases.filter(mediator=user, status=Case.Status.ASSIGNED).order_by("acknowledge_due_at")[:limit]
        ),
        "meetings": list(
            area_rows_visible_to(user, Meeting.objects.all(), area_path="community")
            .filter(
                status=Meeting.Status.SCHEDULED,
                scheduled_at__gte=timezone.make_aware(datetime.combine(today, time.min)),
                scheduled_at__lt=week_end,
            )
            .select_related("community")
            .prefetch_related(Prefetch("agenda_items", queryset=_agenda_with_cases()))
            .order_by("scheduled_at")[:limit]
        ),
        "resolutions": list(
            Resolution.objects.filter(owner=user, status__in=[Resolution.Status.OPEN, Resolution.Status.IN_PROGRESS])
            .select_related("case", "meeting")
            .order_by("due_date")[:limit]
        ),
        "follow_ups": list(
            cases.filter(mediator=user, status=Case.Status.RESOLVED).order_by("follow_up_due_at")[:limit]
        ),
        "unassigned": list(
            cases.filter(case_scope_q(user), status=Case.Status.SUBMITTED).order_by("next_due_at")[:limit]
        ),
        "supervision": list(
            Reminder.objects.filter(recipient=user, rule="supervision", created_at__gte=now - timedelta(days=14))
            .select_related("case")
            .order_by("-created_at")[:limit]
        ),
    }


def _agenda_with_cases():
    from disputes.models import AgendaItem

    return AgendaItem.objects.select_related("case").only("meeting_id", "topic", "case__number", "case__title")


# --- Related cases while filing (issue 17) ----------------------------------------------------

RELATED_LIMIT = 5
_DIGITS = re.compile(r"\d{5,}")


def related_open_cases(
    *,
    estate_id: int,
    category_id: int,
    building: str = "",
    exclude_user: User | None = None,
    exclude_case_id: int | None = None,
    within: QuerySet[Case] | None = None,
):
    """The open cases of an estate and category filed in the last settings.RELATED_CASES_DAYS days,
    newest first, those of the same building before the others: what the filing form offers to
    join. One range read on the index case_related (estate, category, status, submitted_at), at
    most RELATED_LIMIT rows, their parties' names fetched in one more query for `court_style`.
    Staff's case page passes `within` (the cases they may see) and the case itself to leave out."""
    since = timezone.now() - timedelta(days=settings.RELATED_CASES_DAYS)
    qs = (Case.objects if within is None else within).filter(
        estate_id=estate_id, category_id=category_id, status__in=Case.OPEN_STATUSES, submitted_at__gte=since
    )
    if exclude_user is not None:
        qs = qs.exclude(pk__in=Party.objects.filter(user=exclude_user).values("case_id"))
    if exclude_case_id is not None:
        qs = qs.exclude(pk=exclude_case_id)
    rows = list(
        qs.select_related("estate", "category")
        .prefetch_related(Prefetch("parties", queryset=Party.objects.only("case_id", "name", "role")))
        .only("pk", "number", "title", "building", "households", "submitted_at", "estate__name", "category__name")
        .order_by("-submitted_at")[: RELATED_LIMIT * 4]
    )
    building = building.strip()
    rows.sort(key=lambda c: (not (building and c.building.strip() == building), -c.submitted_at.timestamp()))
    return rows[:RELATED_LIMIT]


def court_style(text: str, names) -> str:
    """A text with the parties' names as a court writes them (张三 → 张某) and long numbers hidden:
    what a neighbour may read of someone else's case."""
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = text.replace(name, f"{name[0]}某")
    return _DIGITS.sub("…", text)


def related_case_row(case: Case) -> dict:
    """A related case as the form shows it: no names, no phones, no summary."""
    names = [p.name for p in case.parties.all()]
    applicants = sum(1 for p in case.parties.all() if p.role == Party.Role.APPLICANT)
    return {
        "number": case.number,
        "title": court_style(case.title, names),
        "place": " ".join(
            x for x in (case.estate.name if case.estate else "", court_style(case.building, names)) if x
        ),
        "category": case.category.name,
        "households": case.households,
        "applicants": applicants,
        "submitted": timezone.localtime(case.submitted_at).date().isoformat(),
        "meta": " · ".join(
            [
                case.number,
                case.category.name,
                ngettext("%(n)s household", "%(n)s households", case.households) % {"n": case.households},
                date_format(timezone.localtime(case.submitted_at), "SHORT_DATE_FORMAT"),
            ]
        ),
        "join_url": reverse("disputes:case_join", args=[case.number]),
    }


def case_get_joinable(user: User, number: str) -> Case:
    """An open case the filing form offers `user` to join (related_open_cases' rule: in an estate,
    filed in the last months, not already theirs); 404 otherwise, like any case that is not theirs."""
    if not re.fullmatch(r"LL-\d{4}-\d{6}", number):
        raise Http404("No such case.")  # nothing malformed reaches the database (a NUL byte is a 500 on PostgreSQL)
    since = timezone.now() - timedelta(days=settings.RELATED_CASES_DAYS)
    case = (
        Case.objects.filter(
            number=number, status__in=Case.OPEN_STATUSES, estate__isnull=False, submitted_at__gte=since
        )
        .exclude(pk__in=Party.objects.filter(user=user).values("case_id"))
        .first()
    )
    if case is None:
        raise Http404("No such case.")
    return case


def co_applicant_count(case: Case) -> int:
    """The applicants who joined the case after the first one (我也遇到这个问题)."""
    return max(0, Party.objects.filter(case=case, role=Party.Role.APPLICANT).count() - 1)


def party_is_first_applicant(party: Party) -> bool:
    """The applicant who filed (the first one): co-applicants cannot withdraw the whole case."""
    if party.role != Party.Role.APPLICANT:
        return False
    return not Party.objects.filter(case_id=party.case_id, role=Party.Role.APPLICANT, pk__lt=party.pk).exists()


# --- Parties joining a case --------------------------------------------------------------------


def party_offers_for_user(user: User) -> QuerySet:
    """Parties of open cases named with the user's *verified* phone and not yet linked to any
    account, where the user does not already take part (disputes.services.parties.party_link)."""
    if not user.is_authenticated or not user.has_verified_phone:
        return Party.objects.none()
    return (
        Party.objects.filter(phone=user.phone, user__isnull=True, case__status__in=Case.OPEN_STATUSES)
        .exclude(case__parties__user=user)
        .select_related("case", "case__category")
        .order_by("case__submitted_at", "pk")
    )


# --- Collective claims ---------------------------------------------------------------------------


def claim_for_case(case: Case, *, public_only: bool = False) -> CollectiveClaim | None:
    """The collective claim a case is handled in, with its timeline (`timeline`: the public events
    only for the parties) and its members (number, status); three queries, none without a claim."""
    if not case.collective_claim_id:
        return None
    events = ClaimEvent.objects.select_related("actor").order_by("created_at", "pk")
    if public_only:
        events = events.filter(is_public=True)
    return (
        CollectiveClaim.objects.select_related("mediator", "area")
        .prefetch_related(
            Prefetch("events", queryset=events, to_attr="timeline"),
            Prefetch(
                "cases",
                queryset=Case.objects.order_by("pk").only(
                    "pk", "number", "status", "households", "collective_claim_id"
                ),
                to_attr="members",
            ),
        )
        .filter(pk=case.collective_claim_id)
        .first()
    )
