"""The one door (disputes.visibility): every URL pattern and every registered admin model refuses
a user outside the case's scope, so a new page cannot forget the check.

The world: cases in Community 1 (Sub 1) with everything that hangs off a case. The outsiders: a
mediator of Community 2, a supervisor of Sub 2 and an unrelated resident. For every URL the
resolver knows (the site's and the admin's, custom admin views included), filled with the ids and
numbers of the world's rows, each outsider's GET and POST must be refused (403, 404, 405, a
redirect away) or answer a page that shows nothing of the world; and nothing about the world may
change. Every admin action and autocomplete is tried the same way. A positive control proves the
same pages show the world to its own mediator, so the markers are real.
"""

import itertools
import uuid

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import User
from disputes import services
from disputes.admin.case_steps import STEPS
from disputes.admin.workbench import CaseDocumentViews
from disputes.models import (
    Agreement,
    AgreementSignature,
    Case,
    CaseEvent,
    FollowUp,
    InboxMessage,
    LedgerExport,
    MediationSession,
    PersonalDataView,
    Reminder,
    Resolution,
)
from disputes.services import closure, collective
from disputes.services import meetings as meeting_services
from disputes.services.sessions import mediation_session_record
from disputes.visibility import case_visible_to, cases_visible_to
from grid import services as grid_services
from grid.models import DiaryEntry, GridMember
from tests.factories import agreement_contents, make_case, make_estate, make_user

pytestmark = pytest.mark.django_db

SECRET = "Zephyr-7Q"  # in titles, terms, minutes and file contents of the world


@pytest.fixture
def world(settings, tmp_path, areas, alice, bob, mia, sue, sam):
    settings.MEDIA_ROOT = tmp_path
    title = f"{SECRET} leaking pipe"
    mediating = make_case(
        applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=sam, mediator=mia
    )
    # A title with the marker, through the model (the lifecycle has no "rename" step).
    Case.objects.filter(pk=mediating.pk).update(title=title)
    mediating.refresh_from_db()
    submitted = make_case(applicant=alice, area=areas["C1"], title=title)
    resolved = make_case(
        applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=sam, mediator=mia, title=title
    )
    evidence = services.evidence_attach(
        case=mediating,
        upload=SimpleUploadedFile("quote.pdf", f"%PDF-1.4 {SECRET}".encode(), content_type="application/pdf"),
        uploaded_by=alice,
    )
    session = mediation_session_record(
        case=mediating,
        actor=mia,
        held_at=timezone.now(),
        attendees=f"{SECRET} attendees",
        content=f"{SECRET} content",
        scan=SimpleUploadedFile("record.pdf", f"%PDF-1.4 {SECRET}".encode(), content_type="application/pdf"),
    )
    mediating.refresh_from_db()
    agreement = closure.agreement_create(
        case=mediating, actor=mia, **agreement_contents(facts=f"{SECRET} facts", terms=f"{SECRET} terms")
    )
    party = mediating.parties.first()
    closure.agreement_sign(
        agreement=agreement,
        signer=AgreementSignature.Signer.PARTY,
        party=party,
        actor=mia,
        signed_on=timezone.localdate(),
    )
    follow_up = closure.follow_up_record(
        case=resolved, actor=mia, method=FollowUp.Method.PHONE, satisfaction="satisfied", comment=SECRET
    )
    estate = make_estate(areas["C1"], grid=areas["G1"])
    mediating.refresh_from_db()
    meeting = meeting_services.meeting_create(
        community=areas["C1"],
        estate=estate,
        topic=f"{SECRET} meeting",
        scheduled_at=timezone.now(),
        place="Community hall",
        actor=mia,
        cases=[mediating],
    )
    resolution = meeting_services.resolution_add(
        meeting=meeting,
        text=f"{SECRET} resolution",
        due_date=timezone.localdate(),
        actor=mia,
        owner_name="Li",
        case=mediating,
    )
    reminder = Reminder.objects.create(
        case=mediating, recipient=mia, rule="visibility-test", period="p", channel=Reminder.Channel.INBOX
    )
    message = InboxMessage.objects.create(
        recipient=alice, case=mediating, subject=SECRET, body=SECRET, source_key="visibility-test"
    )
    view = PersonalDataView.objects.create(user=mia, case=mediating, where="test")
    export = LedgerExport.objects.create(requested_by=sue, params={})
    # Grid work (issue 16): a diary entry of Grid 1, behind the grid's own door (grid.access).
    diary_entry = grid_services.diary_entry_create(
        author=GridMember.objects.create(
            user=make_user("gwen", full_name="Gwen Grid"), role=GridMember.Role.GRID_WORKER, area=areas["G1"]
        ).user,
        data=grid_services.EntryData(grid=areas["G1"], kind="dispute", happened_at=timezone.now(), found=SECRET),
        idempotency_key=uuid.uuid4(),
    )[0]
    # A collective claim (issue 17) of two of the cases, behind the same door (claims_visible_to).
    mediating.refresh_from_db()
    claim = collective.claim_create(
        cases=[mediating, submitted], actor=mia, title=f"{SECRET} claim", facts=SECRET, demand=SECRET
    )
    mediating.refresh_from_db()
    submitted.refresh_from_db()
    cases = [mediating, submitted, resolved]
    return {
        "diary_entry": diary_entry,
        "cases": cases,
        "markers": [SECRET, *(c.number for c in cases), alice.full_name, bob.full_name],
        # The row each admin model's pages and each site view are tried with.
        "rows": {
            Case: mediating,
            Agreement: agreement,
            FollowUp: follow_up,
            MediationSession: session,
            type(meeting): meeting,
            Resolution: resolution,
            Reminder: reminder,
            PersonalDataView: view,
            type(claim): claim,
        },
        "evidence": evidence,
        "message": message,
        "export": export,
    }


@pytest.fixture
def outsiders(areas, otto, carol):
    sid = make_user("sid", role=User.Role.SUPERVISOR, areas=[areas["S2"]], full_name="Sid Wu")
    return {"mediator of another community": otto, "supervisor of another subdistrict": sid, "resident": carol}


# --- Walking the URL patterns ----------------------------------------------------------------


def url_patterns(resolver=None, namespace=""):
    """(name with namespace, parameter names) of every named URL pattern, admin included."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, ns)
        elif isinstance(entry, URLPattern):
            params = set(entry.pattern.regex.groupindex)
            if entry.name is None:
                # Only the admin's catch-all (404) and its redirect from the old change URL to the
                # named change page (walked below) have no name.
                assert params in ({"url"}, {"object_id"}), entry
                continue
            yield f"{namespace}{entry.name}", params


def registered_models() -> list:
    return [m for m in apps.get_models() if admin.site.is_registered(m)]


def _admin_model_of(name: str):
    for model in registered_models():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model
    return None


def kwargs_for(name: str, params: set, world) -> list[dict]:
    """Every way to fill the pattern's parameters with the world's rows."""
    if not params:
        return [{}]
    model = _admin_model_of(name)
    row = world["rows"].get(model) if model else None
    choices = {
        "number": [c.number for c in world["cases"]],
        "step": list(STEPS),
        "doc": list(CaseDocumentViews.DOCUMENTS),
        "app_label": ["disputes", "accounts"],
        "uidb64": ["MQ"],
        "id": [world["cases"][0].mediator_id],  # the user admin's password page
        "token": ["set-password"],
        "content_type_id": [ContentType.objects.get_for_model(m).pk for m in world["rows"]],
    }
    if model is not None:
        choices["object_id"] = [row.pk] if row is not None else [1]
        choices["pk"] = choices["object_id"]
    elif name in ("admin:view_on_site", "admin_view_on_site"):
        choices["object_id"] = sorted({r.pk for r in world["rows"].values()})
    elif name == "disputes:evidence_download":
        choices["pk"] = [world["evidence"].pk]
    elif name == "disputes:party_confirm":
        choices["pk"] = sorted(p.pk for c in world["cases"] for p in c.parties.all())
    elif name == "disputes:inbox_message":
        choices["pk"] = [world["message"].pk]
    elif name.startswith("disputes:ledger_export"):
        choices["pk"] = [world["export"].pk]
    elif name.startswith("grid:"):
        choices["pk"] = [world["diary_entry"].pk]
    missing = params - set(choices)
    assert not missing, f"{name}: teach this test how to fill {missing}"
    names = sorted(params)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(choices[n] for n in names))]


def post_data(world, target: Case) -> dict:
    """Plausible input for any form, aimed at the world's rows."""
    data = {
        "case": target.pk,
        "version": target.version,
        "mediator": target.mediator_id or "",
        "reason": "x",
        "note": "x",
        "advice": "x",
        "text": "x",
        "consent_note": "x",
        "routes_advised": "x",
        "summary": "x",
        "target": "x",
        "satisfaction": "satisfied",
        "consents": "no",
        "is_public": "on",
        "apply": "1",
    }
    for model, row in world["rows"].items():
        data[f"{model._meta.model_name}"] = row.pk
    return data


def world_state(world) -> tuple:
    """What an outsider's request must leave unchanged."""
    ids = [c.pk for c in world["cases"]]
    return (
        list(Case.objects.filter(pk__in=ids).order_by("pk").values_list("version", "status", "mediator_id")),
        CaseEvent.objects.filter(case_id__in=ids).count(),
        AgreementSignature.objects.count(),
        FollowUp.objects.count(),
        MediationSession.objects.count(),
        Resolution.objects.count(),
        Reminder.objects.filter(case_id__in=ids).count(),
        list(InboxMessage.objects.filter(pk=world["message"].pk).values_list("read_at", flat=True)),
        list(DiaryEntry.objects.order_by("pk").values_list("pk", "case_id")),
    )


def content_of(response) -> str:
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return body.decode("utf-8", "replace") + response.get("Location", "")


def leaks(response, markers, *, asked: str) -> list[str]:
    """The markers a response shows, except those the request itself carried (a search box
    shows its own term back)."""
    if response.status_code in (400, 403, 404, 405):
        return []
    text = content_of(response)
    return [m for m in markers if m in text and m not in asked]


def requests_for(world):
    """(method, url, data) for every URL pattern, every admin action and every autocomplete."""
    target = world["cases"][0]
    for name, params in url_patterns():
        for kwargs in kwargs_for(name, params, world):
            url = reverse(name, kwargs=kwargs)
            yield "get", url, None
            if name in ("accounts:logout",):
                continue
            yield "post", url, post_data(world, target)
        model = _admin_model_of(name)
        if model is not None and name.endswith("_changelist"):
            row = world["rows"].get(model)
            for query in [f"?q={target.number}", f"?q={SECRET}"] + ([f"?case__id__exact={target.pk}"] if row else []):
                yield "get", reverse(name) + query, None
    for model in registered_models():
        model_admin = admin.site.get_model_admin(model)
        row = world["rows"].get(model)
        if row is None:
            continue
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for action in model_admin.actions or ():
            action_name = action if isinstance(action, str) else action.__name__
            yield "post", changelist, {"action": action_name, "_selected_action": [row.pk], "apply": "1"}
    for model in registered_models():
        for field_name in admin.site.get_model_admin(model).autocomplete_fields:
            query = (
                f"?app_label={model._meta.app_label}&model_name={model._meta.model_name}&field_name={field_name}&term="
            )
            for term in ["", target.number, SECRET, "Alice"]:
                yield "get", reverse("admin:autocomplete") + query + term, None


def walk(client, user, world) -> tuple[list[str], int]:
    found, count = [], 0
    before = world_state(world)
    for method, url, data in requests_for(world):
        client.force_login(user)  # a logout or a password form must not end the walk as anonymous
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        count += 1
        for marker in leaks(response, world["markers"], asked=url + str(data or "")):
            found.append(f"{method.upper()} {url} -> {response.status_code} shows {marker!r}")
        after = world_state(world)
        if after != before:
            found.append(f"{method.upper()} {url} changed the world: {before} -> {after}")
            before = after
    return found, count


class VisibilityDoorTests:
    @pytest.mark.parametrize("who", ["mediator of another community", "supervisor of another subdistrict", "resident"])
    def test_every_page_refuses_an_outsider(self, client, world, outsiders, who):
        found, count = walk(client, outsiders[who], world)
        assert count > 200  # the walk reached the admin's pages too
        assert found == [], "\n".join(found)

    def test_the_same_pages_show_the_world_to_its_mediator(self, client, world, mia, alice):
        # The positive control: the markers are on these pages when the door opens.
        case = world["rows"][Case]
        client.force_login(mia)
        pages = [
            reverse("admin:disputes_case_change", args=[case.pk]),
            reverse("admin:disputes_case_changelist") + f"?q={case.number}",
            reverse("admin:disputes_agreement_print", args=[world["rows"][Agreement].pk]),
            reverse("admin:disputes_mediationsession_scan", args=[world["rows"][MediationSession].pk]),
            reverse("admin:disputes_meeting_change", args=[world["rows"][type(world["rows"][Resolution].meeting)].pk]),
            reverse("disputes:evidence_download", args=[world["evidence"].pk]),
        ]
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            assert SECRET in content_of(response) or case.number in content_of(response), url
        client.force_login(alice)
        assert SECRET in content_of(client.get(reverse("disputes:case_detail", args=[case.number])))

    def test_the_door_agrees_with_itself(self, world, mia, sue, sam, outsiders, alice, bob):
        for user in [mia, sue, sam, alice, bob, *outsiders.values()]:
            listed = set(cases_visible_to(user).values_list("pk", flat=True))
            for case in Case.objects.select_related("area"):
                assert case_visible_to(user, case) == (case.pk in listed), (user, case.number)

    def test_a_grid_worker_named_on_a_community_case_sees_it(self, areas, alice, sam):
        grid_worker = make_user("gw", role=User.Role.MEDIATOR, areas=[areas["G2"]])
        case = make_case(
            applicant=alice, area=areas["C1"], status=Case.Status.ASSIGNED, actor=sam, mediator=grid_worker
        )
        assert case_visible_to(grid_worker, case)
        assert list(cases_visible_to(grid_worker)) == [case]

    def test_once_it_is_finished_access_follows_the_areas_again(self, areas, alice, sam):
        grid_worker = make_user("gw", role=User.Role.MEDIATOR, areas=[areas["G2"]])
        case = make_case(
            applicant=alice, area=areas["C1"], status=Case.Status.IN_MEDIATION, actor=sam, mediator=grid_worker
        )
        services.case_terminate(case=case, actor=sam, routes_advised="Court.")
        case.refresh_from_db()
        grid_worker = User.objects.get(pk=grid_worker.pk)  # a new request: nothing cached
        assert not case_visible_to(grid_worker, case)
        assert not cases_visible_to(grid_worker).exists()


def test_every_registered_admin_model_is_covered():
    """A new admin model must either hang off a case (and get a row in the world) or hold no case
    data: settings, the area tree, accounts and their sign-in security (lockout logs, MFA devices)."""
    settings_models = {"area", "organisation", "estate", "user", "group", "category", "deadlinepolicy", "seattemplate"}
    settings_models |= {"accessattempt", "accesslog", "accessfailurelog", "staticdevice", "totpdevice"}
    # The re-stampings after a deadline policy changed (category, tier, progress): no case data.
    settings_models |= {"clockrestamp"}
    world_models = {
        "case",
        "agreement",
        "followup",
        "mediationsession",
        "meeting",
        "resolution",
        "reminder",
        "personaldataview",
        "collectiveclaim",
    }
    settings_models |= {"outboundsms"}  # the SMS outbox: administrators only, numbers masked
    registered = {m._meta.model_name for m in registered_models()}
    assert registered - settings_models == world_models
