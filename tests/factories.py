"""Builders with sensible defaults for tests (no JSON fixtures)."""

import itertools

from accounts import services as account_services
from accounts.models import Area, Estate, Organisation, User
from disputes import services
from disputes.models import Case, Category, Party

_seq = itertools.count(1)


def make_user(username: str, *, role: str = User.Role.RESIDENT, areas=(), phone: str | None = None, **extra) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        username=username,
        password="pw-Linli-2026",
        email=f"{username}@example.com",
        phone=phone or f"137{n:08d}",
        full_name=extra.pop("full_name", username.title()),
        **extra,
    )
    account_services.user_set_role(user=user, role=role)
    if areas:
        user.areas.set(areas)
    return user


def make_area_tree() -> dict[str, Area]:
    """district D → subdistricts S1, S2 → communities C1 (in S1), C2 (in S2) → grids G1 (C1), G2 (C2)."""
    d = account_services.area_create(name="District", kind=Area.Kind.DISTRICT)
    s1 = account_services.area_create(name="Sub 1", kind=Area.Kind.SUBDISTRICT, parent=d)
    s2 = account_services.area_create(name="Sub 2", kind=Area.Kind.SUBDISTRICT, parent=d)
    c1 = account_services.area_create(name="Community 1", kind=Area.Kind.COMMUNITY, parent=s1)
    c2 = account_services.area_create(name="Community 2", kind=Area.Kind.COMMUNITY, parent=s2)
    g1 = account_services.area_create(name="Grid 1", kind=Area.Kind.GRID, parent=c1)
    g2 = account_services.area_create(name="Grid 2", kind=Area.Kind.GRID, parent=c2)
    return {"D": d, "S1": s1, "S2": s2, "C1": c1, "C2": c2, "G1": g1, "G2": g2}


def make_estate(community: Area, *, grid: Area | None = None, name: str = "Garden Estate") -> Estate:
    pm = Organisation.objects.create(name=f"{name} Property Co", kind=Organisation.Kind.PROPERTY_MANAGER)
    oc = Organisation.objects.create(name=f"{name} Owners", kind=Organisation.Kind.OWNERS_COMMITTEE)
    return Estate.objects.create(name=name, community=community, grid=grid, property_manager=pm, owners_committee=oc)


def neighbours_category() -> Category:
    # get_or_create: transactional tests flush the tables, including the rows migrations seeded.
    return Category.objects.get_or_create(code="neighbours", defaults={"name": "邻里纠纷"})[0]


def make_case(
    *,
    applicant: User,
    area: Area,
    respondent: User | None = None,
    status: str = Case.Status.SUBMITTED,
    actor=None,
    mediator: User | None = None,
    category: Category | None = None,
    **fields,
) -> Case:
    """A case filed by `applicant`, walked through the real lifecycle service up to `status`."""
    parties = [
        services.PartyData(
            role=Party.Role.APPLICANT,
            name=applicant.full_name,
            phone=applicant.phone or "",
            id_number="110101199001011234",
            user=applicant,
        )
    ]
    if respondent is not None:
        parties.append(
            services.PartyData(
                role=Party.Role.RESPONDENT, name=respondent.full_name, phone=respondent.phone or "", user=respondent
            )
        )
    case, _ = services.case_submit(
        filed_by=applicant,
        parties=parties,
        category_id=(category or neighbours_category()).pk,
        area_id=area.pk,
        title=fields.pop("title", "Noise from upstairs"),
        summary=fields.pop("summary", "Drilling every night after 22:00."),
        request=fields.pop("request", "Stop the noise at night."),
        **fields,
    )
    S = Case.Status
    path = {
        S.SUBMITTED: [],
        S.ASSIGNED: ["accept"],
        S.IN_MEDIATION: ["accept", "ack"],
        S.RESOLVED: ["accept", "ack", "resolve"],
        S.CLOSED: ["accept", "ack", "resolve", "close"],
        S.REJECTED: ["reject"],
        S.WITHDRAWN: ["withdraw"],
    }[status]
    mediator = mediator or actor
    for step in path:
        if step == "accept":
            services.case_accept(case=case, actor=actor, mediator=mediator)
        elif step == "ack":
            services.case_acknowledge(case=case, actor=mediator)
        elif step == "resolve":
            services.case_resolve(case=case, actor=mediator, outcome=Case.Outcome.RECONCILED, summary="Agreed.")
        elif step == "close":
            services.case_close(case=case, actor=mediator)
        elif step == "reject":
            services.case_reject(case=case, actor=actor, reason="Not a civil dispute.", advice="Call 12345.")
        elif step == "withdraw":
            services.case_withdraw(case=case, actor=applicant)
    case.refresh_from_db()
    return case


def backdate(case: Case, **fields) -> Case:
    """Move a case's start times into the past (e.g. submitted_at=now - 91 days) and stamp its
    clocks again as the lifecycle service would have (disputes.deadlines.stamps)."""
    from disputes import deadlines

    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    stamped = deadlines.stamps(case, deadlines.policy_for(category_id=case.category_id, tier=case.tier))
    Case.objects.filter(pk=case.pk).update(**stamped)
    case.refresh_from_db()
    return case


def agreement_contents(**overrides) -> dict:
    """Everything a written agreement must state (2002 rules Art. 35), for agreement_create."""
    from datetime import timedelta

    from django.utils import timezone

    return {
        "facts": "Drilling at night.",
        "issues": "Hours of work.",
        "responsibilities": "Bob caused the noise.",
        "terms": "No drilling after 20:00; Bob pays 500 yuan.",
        "performance_method": "Cash",
        "performance_place": "Community office",
        "performance_deadline": timezone.localdate() + timedelta(days=10),
        **overrides,
    }
