"""Every HTML page carries a Content-Security-Policy, and nothing on it needs an inline exception.

The test client walks the site as each role (anonymous, both parties of a case, a mediator, a
supervisor, an administrator), following the links of each HTML page it reaches, from the home
page and the admin index. Each page must send the policy, and its HTML must hold nothing the
policy blocks: no inline <script> body, no <style> element, no style="" attribute, no on*="" event
handler and no javascript: URL. Pages added later are checked as soon as a link leads to them.
"""

from collections import Counter, deque
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from accounts.models import User
from disputes.models import AgreementSignature, Case, LedgerExport
from disputes.services import closure, meetings
from tests.factories import make_case, make_estate, make_user

pytestmark = pytest.mark.django_db

# Script types a browser does not run (data blocks), so the policy does not apply to them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}
# Links the walk does not follow: they change state on GET or leave the HTML pages.
SKIP_PREFIXES = ("/i18n/", "/admin/logout/", "/accounts/logout/", "/evidence/", "/static/", "/media/")
URL_ATTRIBUTES = ("href", "src", "action", "formaction")
PAGES_PER_VIEW = 2  # a few instances of each view (two case pages, two filtered lists), not every row
PAGE_LIMIT = 250


class InlineFinder(HTMLParser):
    """Collects what a policy without 'unsafe-inline' blocks in one HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.links: list[str] = []
        self._script: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            script_url = name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:")
            if name == "style" or name.startswith("on") or script_url:
                self.found.append(f'<{tag} {name}="{value}">')
        if tag == "style":
            self.found.append("<style> element")
        elif tag == "script" and not attributes.get("src"):
            self._script = ((attributes.get("type") or "").lower(), [])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            kind, body = self._script
            if "".join(body).strip() and kind not in DATA_SCRIPT_TYPES:
                self.found.append(f"inline <script>: {''.join(body).strip()[:80]}")
            self._script = None


def _view_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl(client: Client, starts: list[str]) -> list[tuple[str, object, InlineFinder]]:
    """(url, response, findings) of every HTML page reached from `starts` by following links."""
    queue, seen, per_view, pages = deque(starts), set(), Counter(), []
    while queue and len(pages) < PAGE_LIMIT:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc or url in seen or parts.path.startswith(SKIP_PREFIXES):
            continue
        seen.add(url)
        view = _view_name(parts.path)
        # A few pages per view, with and without a query: the dashboard links to dozens of filtered
        # lists that share one template.
        key = (view, bool(parts.query))
        if view is None or per_view[key] >= PAGES_PER_VIEW:
            continue
        per_view[key] += 1
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if "text/html" not in response.get("Content-Type", ""):
            continue
        finder = InlineFinder()
        finder.feed(response.content.decode())
        pages.append((url, response, finder))
        for href in finder.links:
            target = urljoin(url, href.strip()).split("#")[0]
            if target.startswith(("mailto:", "tel:", "javascript:")):
                continue
            queue.append(target)
    return pages


@pytest.fixture
def site(areas, alice, bob, carol, mia, sam):
    """Cases in each stage (with an agreement, a meeting and an export), so the pages have content."""
    estate = make_estate(areas["C1"], grid=areas["G1"])
    root = make_user("root", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    make_case(applicant=alice, respondent=bob, area=areas["G1"], estate_id=estate.pk, title="New case")
    make_case(applicant=bob, respondent=carol, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
    working = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
    make_case(applicant=alice, area=areas["G1"], status=Case.Status.CLOSED, actor=mia)
    make_case(applicant=carol, area=areas["G1"], status=Case.Status.REJECTED, actor=mia)
    Case.objects.filter(pk=working.pk).update(next_due_at=timezone.now() - timedelta(days=2))
    agreement = closure.agreement_create(
        case=working,
        actor=mia,
        facts="Drilling at night.",
        issues="Hours of work.",
        responsibilities="Bob caused the noise.",
        terms="No drilling after 20:00.",
        performance_method="In person",
        performance_place="Community office",
        performance_deadline=timezone.localdate() + timedelta(days=10),
    )
    closure.agreement_sign(
        agreement=agreement,
        signer=AgreementSignature.Signer.MEDIATOR,
        party=None,
        actor=mia,
        signed_on=timezone.localdate(),
    )
    meetings.meeting_create(
        community=areas["C1"],
        topic="Parking",
        scheduled_at=timezone.now() + timedelta(days=3),
        place="Community hall",
        actor=mia,
        cases=[working],
    )
    export = LedgerExport.objects.create(
        requested_by=sam, params={"from": "2026-01-01", "to": "2026-12-31"}, rows_total=10, rows_done=3
    )
    return {"root": root, "working": working, "agreement": agreement, "export": export}


def _starts(role: str, user, site) -> list[str]:
    starts = ["/", "/accounts/login/", "/accounts/register/", "/accounts/password/reset/"]
    if user is None:
        return starts + ["/admin/login/"]
    starts += ["/inbox/", "/accounts/profile/", "/accounts/password/change/"]
    if user.is_staff:
        starts += ["/admin/", f"/admin/disputes/agreement/{site['agreement'].pk}/print/"]
    if role in ("sam", "root"):
        starts += [f"/dashboard/exports/{site['export'].pk}/", "/dashboard/report/", "/dashboard/supervision/"]
    return starts


# The views each walk must reach, so that a walk that stops early cannot pass.
EXPECTED_VIEWS = {
    "anonymous": {"home", "accounts:login", "accounts:register", "admin:login"},
    "alice": {"disputes:case_list", "disputes:case_detail", "disputes:case_new", "disputes:inbox"},
    "bob": {"disputes:case_list", "disputes:case_detail"},
    "mia": {
        "admin:index",
        "admin:disputes_case_changelist",
        "admin:disputes_case_change",
        "admin:disputes_agreement_print",
    },
    "sam": {"disputes:dashboard", "disputes:supervision", "disputes:period_report", "disputes:ledger_export_status"},
    "root": {
        "admin:index",
        "admin:disputes_case_change",
        "admin:accounts_user_changelist",
        "admin:accounts_user_change",
    },
}


class ContentSecurityPolicyTests:
    @pytest.mark.parametrize("role", list(EXPECTED_VIEWS))
    def test_every_page_has_a_policy_and_nothing_inline_it_would_block(self, role, site, alice, bob, mia, sam):
        user = {"anonymous": None, "alice": alice, "bob": bob, "mia": mia, "sam": sam, "root": site["root"]}[role]
        client = Client()
        if user is not None:
            client.force_login(user)
        pages = crawl(client, _starts(role, user, site))

        reached = {_view_name(urlsplit(url).path) for url, _, _ in pages}
        assert EXPECTED_VIEWS[role] <= reached, f"the walk missed {EXPECTED_VIEWS[role] - reached}"
        problems = []
        for url, response, finder in pages:
            policy = response.get("Content-Security-Policy", "")
            if not policy:
                problems.append(f"{url}: no Content-Security-Policy header")
                continue
            directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";") if d.strip())
            for name in ("script-src", "style-src"):
                sources = directives.get(name, directives.get("default-src", ""))
                if "'unsafe-inline'" in sources or "*" in sources.split() or not sources:
                    problems.append(f"{url}: {name} is {sources!r}")
            problems += [f"{url}: {found}" for found in finder.found]
        assert not problems, f"{len(problems)} problems on {len(pages)} pages:\n" + "\n".join(problems[:60])

    def test_the_policy_allows_only_our_own_origin(self, client, alice):
        client.force_login(alice)
        policy = client.get("/cases/new/")["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "base-uri 'self'" in policy and "form-action 'self'" in policy
