"""No malformed input answers 5xx (issue 12, item 6): hypothesis walks every URL pattern of the
URLconf, the admin's included, with malformed path values, query strings and form fields (GET and
POST, sometimes with a file), as each role: anonymous, resident, mediator, supervisor, administrator.

The URL patterns are resolved from the URLconf, so a new page is walked without touching this file;
the field names are those of every form class of the project, of the models the admin edits and of
the query parameters the pages read. The run is bounded (EXAMPLES per role) and prints the number
of requests it made.
"""

import sys
import uuid
from urllib.parse import quote

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from config.admin_inputs import SafeInputsAdmin
from disputes.models import Case, InboxMessage
from tests.factories import make_case, make_user

EXAMPLES = 120  # per role: five roles make 600 requests, about 20 s on a loaded two-core machine
ROLES = ["anonymous", "resident", "mediator", "supervisor", "administrator"]

NASTY = [
    "",
    "0",
    "-1",
    "²",
    "١٢",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999",
    "9999",
    "9999-12-31",
    "99999999999999999999-01-01",
    "0001-01-01",
    "2026-02-30",
    "2026-13-01T25:61:61+99:00",
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000g",
    "' OR 1=1 --",
    '"><script>alert(1)</script>',
    "../../etc/passwd",
    "%",
    "%00",
    "\u202e\u0000",
    "🙂" * 20,
    "x" * 2000,
    "https://evil.example/",
    "//evil.example",
    "true",
    "on",
    "custom",
    "[]",
    "{}",
]
# Parameters the pages read from the query string (besides form fields and model fields).
QUERY_PARAMS = [
    "period", "from", "to", "area", "list", "status", "category", "next", "page", "q", "o", "p", "e",
    "action", "index", "select_across", "_selected_action", "_changelist_filters", "_popup", "_to_field",
    "term", "app_label", "model_name", "field_name", "deadline", "assigned", "language", "apply", "post",
    "status__exact", "status__in", "submitted_at__gte", "submitted_at__lt", "is_collective__exact",
    "area__id__exact", "mediator__id__exact", "category__id__exact", "kind__exact", "role__exact",
]  # fmt: skip
REQUESTS = {"count": 0, "by_status": {}}


def _project_form_fields() -> set[str]:
    names = set()
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(("accounts.", "disputes.")) or module is None:
            continue
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, forms.BaseForm) and obj.__module__ == module_name:
                names |= set(obj.base_fields)
    return names


def _admin_fields() -> set[str]:
    names = set()
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        names |= {f.name for f in model._meta.get_fields() if isinstance(f, models.Field)}
        hierarchy = admin.site.get_model_admin(model).date_hierarchy
        if hierarchy:
            names |= {f"{hierarchy}__year", f"{hierarchy}__month", f"{hierarchy}__day"}
    return names


def _url_templates() -> list[list[tuple[str, str]]]:
    """Each URL pattern as a list of parts: ("text", literal) or (group name, group regex)."""
    templates = []

    def walk(patterns, prefix):
        for pattern in patterns:
            regex = pattern.pattern.regex.pattern
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, [*prefix, regex])
            else:
                templates.append(
                    _split("".join(r.lstrip("^").removesuffix("\\Z").rstrip("$") for r in [*prefix, regex]))
                )

    walk(get_resolver().url_patterns, [])
    return templates


def _split(regex: str) -> list[tuple[str, str]]:
    parts, i, text = [], 0, ""
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name_end = regex.index(">", i)
            depth, j = 1, name_end + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(regex[j], 0) if regex[j - 1] != "\\" else 0
                j += 1
            parts += [("text", text), (regex[i + 4 : name_end], regex[name_end + 1 : j - 1])]
            text, i = "", j
        elif regex[i] == "\\":
            text, i = text + regex[i + 1], i + 2
        else:
            text, i = text + regex[i], i + 1
    return [*parts, ("text", text)]


TEMPLATES = _url_templates()
text_values = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@pytest.fixture
def world(areas, alice, bob, mia, sam):
    """A little of everything, so that valid ids reach deep into the views."""
    root = User.objects.create_superuser("root", "root@example.com", "pw-Linli-2026")
    make_user("ada", role=User.Role.ADMINISTRATOR, areas=[areas["D"]])
    cases = [
        make_case(applicant=alice, respondent=bob, area=areas["G1"]),
        make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia),
        make_case(applicant=bob, area=areas["C2"], status=Case.Status.CLOSED, actor=sam, mediator=mia),
    ]
    ids = sorted({str(o.pk) for model in apps.get_models() for o in model.objects.all()[:5]})
    return {
        "users": {"resident": alice, "mediator": mia, "supervisor": sam, "administrator": root},
        "values": [
            *ids,
            *(c.number for c in cases),
            *(str(m.pk) for m in InboxMessage.objects.all()),
            urlsafe_base64_encode(force_bytes(alice.pk)),
            default_token_generator.make_token(alice),
            "disputes",
            "case",
            str(uuid.uuid4()),
        ],
        "fields": sorted(_project_form_fields() | _admin_fields() | set(QUERY_PARAMS)),
    }


@st.composite
def requests(draw, world):
    template = draw(st.sampled_from(TEMPLATES))
    path = "/"
    for name, regex in template:
        if name == "text":
            path += regex
        elif regex == "[0-9]+":  # <int:...>: only digits reach the view
            ids = st.sampled_from(world["values"]).filter(str.isdecimal)
            path += draw(st.one_of(ids, st.sampled_from(["0", "99999999999999999999"])))
        else:
            value = draw(
                st.one_of(st.sampled_from(world["values"]), text_values, st.from_regex(regex, fullmatch=True))
            )
            path += quote(value, safe="")
    fields = st.dictionaries(
        st.sampled_from(world["fields"]),
        st.one_of(st.sampled_from(world["values"]), text_values, st.lists(text_values, max_size=3)),
        max_size=6,
    )
    method = draw(st.sampled_from(["get", "post"]))
    data = draw(fields)
    if method == "post" and draw(st.booleans()):
        name = draw(st.sampled_from(["evidence", "files", "file", "scan"]))
        data[name] = SimpleUploadedFile(draw(text_values) or "f", draw(st.binary(max_size=64)))
    return method, path, data


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_malformed_request_answers_5xx(client, world, role, request):
    client.raise_request_exception = False  # a 500 is a status code to assert on
    if role != "anonymous":
        client.force_login(world["users"][role])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,  # the same examples on every machine and run
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests(world))
    def walk(req):
        method, path, data = req
        response = getattr(client, method)(path, data)
        REQUESTS["count"] += 1
        REQUESTS["by_status"][response.status_code] = REQUESTS["by_status"].get(response.status_code, 0) + 1
        assert response.status_code < 500, f"{method.upper()} {path} {data!r} as {role}: {response.status_code}"

    walk()
    # The figure the issue asks for, shown without -s: requests so far in this run, by status.
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(REQUESTS["by_status"].items()))
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(
            f"\nno-5xx walk as {role}: {REQUESTS['count']} requests so far, {len(TEMPLATES)} URL patterns ({statuses})"
        )


def test_every_registered_admin_guards_its_changelist_input():
    unguarded = [
        model.__name__
        for model in apps.get_models()
        if admin.site.is_registered(model) and not isinstance(admin.site.get_model_admin(model), SafeInputsAdmin)
    ]
    assert unguarded == []
