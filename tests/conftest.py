"""Shared fixtures: a real Celery worker process and a headless Chromium page.

Model fixtures (the named cast, factories) live in tests/base.py and tests/factories.py.
"""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection, connections

from config.celery import app as celery_app
from config.embedded_redis import BASE_DIR, die_with_parent, stop_process_group

pytest_plugins = ["tests.base"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOT_DIR = Path(__file__).resolve().parent / "screenshots"
WORKER_START_TIMEOUT = 30.0


def pytest_collection_modifyitems(items):
    # Tests that use these fixtures carry their marker even if the author forgot it, so
    # `pytest -m "not browser"` and `-m celery_worker` select what they say.
    for item in items:
        if "celery_worker_process" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.celery_worker)
        if "browser_page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        # A transactional test empties every table afterwards, including the rows migrations
        # seeded (categories, role groups, default seats): restore them for the tests after it.
        names = getattr(item, "fixturenames", None)
        marker = item.get_closest_marker("django_db")
        transactional = marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
        if names is not None and (transactional or {"transactional_db", "live_server"} & set(names)):
            names.append("django_db_serialized_rollback")


# --- A real Celery worker --------------------------------------------------------------------


def _test_database_url() -> str:
    """A DATABASE_URL for the test database pytest-django created, for the worker process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            pytest.fail("The test database is in memory: a worker process cannot open it (config/settings/test.py).")
        return f"sqlite:///{Path(name).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = quote(db["USER"] or "", safe="")
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        credentials = f"{user}{password}@" if user else ""
        host = quote(db["HOST"] or "", safe="")
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"
    pytest.fail(f"No worker DATABASE_URL for the {db['ENGINE']} backend.")


@dataclass
class CeleryWorker:
    """A `celery -A config worker` process; its output goes to log_path."""

    process: subprocess.Popen
    log_path: Path
    hostname: str
    # The worker's email backend writes here (one file per connection; see read_mail_dir in
    # tests/disputes/test_reminders_worker.py).
    mail_dir: Path | None = None
    _log_offset: int = field(default=0)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 20.0) -> re.Match:
        """Wait until the worker logs a line matching the regex (searched from the current test on)."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.log()[self._log_offset :])
            if match:
                return match
            if self.process.poll() is not None:
                pytest.fail(f"The Celery worker exited ({self.process.returncode}):\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"The Celery worker never logged {pattern!r} in {timeout}s:\n{self.log()[-4000:]}")
            time.sleep(0.1)


def _require_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
        error = None
    except redis.RedisError as exc:
        error = exc
    finally:
        client.close()
    if error is not None:
        pytest.fail(
            f"Redis at {url} is not reachable ({error}). The Celery tests need a real Redis: run "
            "`make test` (it starts a private one) or set REDIS_URL to a running server.",
            pytrace=False,
        )


def _start_worker(log_dir: Path) -> CeleryWorker:
    hostname = f"pytest-{os.getpid()}@localhost"
    log_path = log_dir / "celery-worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "LINLI_TEST_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
        "LINLI_TEST_EMAIL_FILE_PATH": str(log_dir / "mail"),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool", "prefork", "--concurrency", "1", "--loglevel", "info", "--hostname", hostname,
        # No chatter with other workers on the same Redis, and a faster start.
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    worker = CeleryWorker(process=process, log_path=log_path, hostname=hostname, mail_dir=log_dir / "mail")
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while not celery_app.control.ping(destination=[hostname], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process_group(process)
            pytest.fail(f"The Celery worker did not answer a ping:\n{worker.log()[-4000:]}", pytrace=False)
    return worker


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, tmp_path_factory):
    # One worker for the session: it starts after the test database exists and stops before it is
    # dropped (this fixture depends on django_db_setup, so it is torn down first).
    _require_redis(settings.CELERY_BROKER_URL)
    log_dir = tmp_path_factory.mktemp("celery")
    workers: list[CeleryWorker] = []

    def get() -> CeleryWorker:
        if not workers or workers[-1].process.poll() is not None:  # first use, or a test killed it
            workers.append(_start_worker(log_dir))
        return workers[-1]

    yield get
    for worker in workers:
        stop_process_group(worker.process, timeout=10)


@pytest.fixture
def celery_worker_process(transactional_db, _celery_worker_session) -> Iterator[CeleryWorker]:
    """A real worker on a real Redis; tasks sent in the test go through the broker to it.

    transactional_db: the worker's own connection sees only committed rows.
    """
    _require_redis(settings.CELERY_BROKER_URL)
    worker = _celery_worker_session()
    celery_app.control.purge()  # leftovers from an earlier test must not run in this one
    worker._log_offset = len(worker.log())
    # The app reads Django settings under the CELERY_ namespace: the override goes under that key.
    eager = celery_app.conf.CELERY_TASK_ALWAYS_EAGER
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
    assert not celery_app.conf.task_always_eager
    try:
        yield worker
    finally:
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER = eager


# --- Headless Chromium -----------------------------------------------------------------------


# axe-core from the npm registry (package.json; `make test` runs npm ci), injected into every page
# the browser tests visit. A serious or critical violation of WCAG 2.1 AA (and 2.2 AA's 24 px tap
# targets) fails the test.
AXE_SCRIPT = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_FAILING_IMPACTS = {"serious", "critical"}
AXE_RUN = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " ")),
        count: v.nodes.length,
    }));
}"""
# On phone pages every control and every link that is not part of a sentence must be at least
# 24 x 24 CSS px (WCAG 2.2 target size; axe's rule passes small targets that have room around
# them, older fingers need the size itself).
MIN_TARGET_PX = 24
SMALL_TARGETS = """(minimum) => {
    const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]";
    const small = [];
    for (const el of document.querySelectorAll(selector)) {
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (!box.width || !box.height || style.visibility === "hidden" || el.closest(".visually-hidden-focusable")) {
            continue;  // not shown (a collapsed menu, the skip link until it has the focus)
        }
        if (el.tagName === "A" && style.display === "inline") {
            // A link inside a sentence is exempt (WCAG 2.5.8's inline exception).
            const block = el.parentElement.closest("p, li, td, th, dd, div");
            if (block && block.textContent.trim().length > el.textContent.trim().length) continue;
        }
        if (box.width < minimum || box.height < minimum) {
            const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.type ? `[type=${el.type}]` : "");
            const text = (el.textContent || el.value || "").trim().slice(0, 30);
            small.push(`${name} "${text}" ${Math.round(box.width)}x${Math.round(box.height)}`);
        }
    }
    return small;
}"""
# Page methods after which a new document may have loaded: the page is checked when they return.
SETTLING_METHODS = (
    "goto", "reload", "go_back", "go_forward", "wait_for_url", "wait_for_load_state", "wait_for_selector",
)  # fmt: skip


@dataclass
class AxeCheck:
    test: str
    url: str
    viewport: str
    violations: list[dict]

    @property
    def failing(self) -> list[dict]:
        return [v for v in self.violations if v["impact"] in AXE_FAILING_IMPACTS]


# Every axe run of the session, for the summary at the end (pytest_terminal_summary).
AXE_CHECKS: list[AxeCheck] = []


class BrowserPages:
    """Opens pages on the live server; phone=True gives a 390x844 touch viewport.

    Every page is watched: when a new document has loaded and the test's next goto/wait_for_*
    returns, and at every screenshot, axe-core checks it; a Content-Security-Policy violation in the
    console or a serious/critical axe violation fails the test.
    """

    def __init__(self, browser, base_url: str, test_name: str = ""):
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        self.test_name = test_name
        self.pages = []
        self.csp_violations: list[str] = []
        # axe itself adds a <style> element on some pages, which the CSP refuses: not the site's fault.
        self._axe_running = False
        if not AXE_SCRIPT.is_file():
            pytest.fail(f"{AXE_SCRIPT} is missing: run `make test` (it runs npm ci).", pytrace=False)
        self._axe_source = AXE_SCRIPT.read_text()

    def new(self, path: str | None = None, *, phone: bool = False, locale: str = "zh-CN"):
        context = self.browser.new_context(
            viewport=PHONE_VIEWPORT if phone else DESKTOP_VIEWPORT,
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
            locale=locale,
            base_url=self.base_url,
            # Bootstrap then switches its transitions off: axe reads the colours a person sees at
            # rest, not a button caught halfway through its hover fade (CI once measured 4.23:1
            # on an outline button between its two states, each of which passes).
            reduced_motion="reduce",
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        self._watch(page, "phone" if phone else "desktop")
        if path is not None:
            page.goto(self.url(path))
        return page

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def screenshot(self, page, name: str, *, full_page: bool = True) -> Path:
        """Save tests/screenshots/<name>.png (gitignored) and return its path; then axe checks the
        page (after the screenshot, so a failing page can be seen)."""
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.check(page)
        return path

    def _watch(self, page, viewport: str) -> None:
        state = {"loads": 0, "checked": 0}
        page._linli_state = state  # documents loaded and checked, and the viewport's name
        page._linli_viewport = viewport
        self.pages.append(page)

        def on_console(message):
            if "Content Security Policy" in message.text and not self._axe_running:
                where = message.location or {}
                source = f" ({where.get('url')}:{where.get('lineNumber')})" if where.get("url") else ""
                self.csp_violations.append(f"{page.url}: {message.text}{source}")

        def on_load(_page):
            state["loads"] += 1

        page.on("console", on_console)
        page.on("load", on_load)
        for name in SETTLING_METHODS:
            method = getattr(page, name)

            def settled(*args, _method=method, **kwargs):
                result = _method(*args, **kwargs)
                if state["loads"] > state["checked"]:
                    self.check(page)
                return result

            setattr(page, name, settled)

    def check(self, page) -> None:
        """Run axe-core on the page as it is now; fail on a CSP or a serious/critical axe violation."""
        page._linli_state["checked"] = page._linli_state["loads"]
        page.wait_for_load_state()
        self._fail_on_csp_violations()
        self._axe_running = True
        try:
            if not page.evaluate("typeof window.axe !== 'undefined'"):
                # Evaluated through the DevTools protocol, which the page's CSP does not govern (an
                # injected <script> would be refused, as it should be).
                page.evaluate(self._axe_source)
            violations = page.evaluate(AXE_RUN, AXE_TAGS)
            page.evaluate("0")  # a round trip: the console messages axe caused are in before it returns
        finally:
            self._axe_running = False
        if page._linli_viewport == "phone":
            small = page.evaluate(SMALL_TARGETS, MIN_TARGET_PX)
            if small:
                violations.append({
                    "id": "target-size-24px", "impact": "serious", "help": f"Tap targets under {MIN_TARGET_PX} px",
                    "nodes": small, "count": len(small),
                })  # fmt: skip
        check = AxeCheck(self.test_name, page.url, page._linli_viewport, violations)
        AXE_CHECKS.append(check)
        if check.failing:
            lines = [f"{v['impact']} {v['id']} ({v['count']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
                     for v in check.failing]  # fmt: skip
            pytest.fail(f"axe-core on {page.url} ({check.viewport}):\n" + "\n".join(lines), pytrace=False)

    def _fail_on_csp_violations(self) -> None:
        if self.csp_violations:
            violations, self.csp_violations = self.csp_violations, []
            pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)

    def finish(self) -> None:
        """At the end of the test: check pages whose last document was not checked yet."""
        for page in self.pages:
            if not page.is_closed() and page._linli_state["loads"] > page._linli_state["checked"]:
                self.check(page)
        self._fail_on_csp_violations()


def pytest_terminal_summary(terminalreporter):
    if not AXE_CHECKS:
        return
    failing = [c for c in AXE_CHECKS if c.failing]
    pages = {(c.url.split("?")[0], c.viewport) for c in AXE_CHECKS}
    minor = sum(len(c.violations) - len(c.failing) for c in AXE_CHECKS)
    # Every check, for a closer look: tests/screenshots/axe-checks.json (gitignored, like the screenshots).
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    (SCREENSHOT_DIR / "axe-checks.json").write_text(json.dumps([asdict(c) for c in AXE_CHECKS], indent=1))
    terminalreporter.write_line(
        f"axe-core {AXE_TAGS}: {len(AXE_CHECKS)} checks of {len(pages)} pages (path and viewport); "
        f"{sum(len(c.failing) for c in failing)} serious or critical violations on {len(failing)} checks; "
        f"{minor} minor or moderate violations."
    )


@pytest.fixture
def browser_page(transactional_db, live_server, monkeypatch, request) -> Iterator[BrowserPages]:
    """Headless Debian Chromium driven by Playwright against pytest-django's live server.

    transactional_db: rows the test creates are committed, so the server thread sees them.
    """
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: run `make test` (as root it installs it; see `make browser-deps`), or "
            "`sudo apt-get install chromium fonts-noto-cjk` (Playwright's own browser download is not used).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and Django then refuses ORM calls
    # from the test ("SynchronousOnlyOperation"); the test code itself is synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            pages = BrowserPages(browser, live_server.url, request.node.nodeid)
            yield pages
            pages.finish()
        finally:
            try:
                browser.close()
            finally:
                # While Playwright marks its loop as running in this thread, Django's connection
                # handler (an asgiref Local, thread_critical) keeps this thread's connections in a
                # separate context-local slot: the ORM calls of the test and of the fixtures set up
                # after this one get connections of their own there. Once the loop is gone, nothing
                # sees that slot again (the transactional teardown and pytest-django close only the
                # plain thread-local ones), so on PostgreSQL such a connection stayed open to the end
                # and the test database could not be dropped. Close them here, with the loop still set.
                connections.close_all()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Each test counts its rate limits afresh (the counters live in a shared Redis)."""
    import uuid

    settings.RATELIMIT_NAMESPACE = uuid.uuid4().hex


# --- SMS ---------------------------------------------------------------------------------------


class SmsOutbox:
    """What the console SMS backend "sent" in this test (accounts.sms.ConsoleSmsBackend.outbox)."""

    def __init__(self, messages):
        self.messages = messages

    def to(self, phone: str) -> list[dict]:
        return [m for m in self.messages if m["phone"] == phone]

    def code_for(self, phone: str) -> str:
        texts = [m["text"] for m in self.to(phone) if m["template"] == "code"]
        assert texts, f"no code SMS to {phone}"
        return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


@pytest.fixture
def sms_outbox():
    from accounts.sms import ConsoleSmsBackend

    ConsoleSmsBackend.outbox.clear()
    yield SmsOutbox(ConsoleSmsBackend.outbox)
    ConsoleSmsBackend.outbox.clear()


@pytest.fixture
def committing_client(client, django_capture_on_commit_callbacks):
    """The test client, with each POST's on-commit work (SMS and email sends) run as after a
    real commit."""
    post = client.post

    def post_and_commit(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(*args, **kwargs)

    client.post = post_and_commit
    return client
