"""Twenty people at work on a million cases, against the production shape (issue 13).

    DATABASE_URL=postgres://.../linli_bench REDIS_URL=redis://127.0.0.1:6379/3 HTTPS=0 \
        .venv/bin/python bench/load.py [--seconds 60] [--users 20]

Starts the shape the README deploys: two gunicorn web servers (config/gunicorn.py, one sync worker
each: two sync workers in all), two Celery workers and two Celery beats, all on the one database
and the one Redis of the environment (a database filled by `manage.py seed_bulk` and
`seed_demo`; demo password `demo12345` or DEMO_PASSWORD). Then, against 127.0.0.1 only and for
a bounded time, 20 signed-in users (supervisors, mediators, residents) send requests back to back,
alternating between the two web servers: the dashboard at their area level, the admin case list,
its filters, searches (about 10% of all requests), case pages, "my cases" and filings.

Staff MFA is off and the per-user filing limit raised for the run (see ENV). Before the load it
adds 20 reminders due now; with two beats publishing them and two workers racing for them,
each must be sent exactly once (state sent, one attempt, one inbox message). Prints requests/s,
latency percentiles per kind and the longest request, the errors and the reminder check.
Targets: at least 30 requests/s, p95 under 1 s, the longest under 2 s, no error, every reminder
sent once; exits 0 when all hold.
"""

import argparse
import html
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict
from http.cookiejar import CookieJar
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
for name in ("DATABASE_URL", "REDIS_URL"):
    if name not in os.environ:
        sys.exit(f"Set {name}: the load runs on one database and one Redis of your own.")
VAR = Path(tempfile.mkdtemp(prefix="linli-load-"))
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "HTTPS": "0",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LINLI_VAR_DIR": str(VAR),
    "LOG_LEVEL": "WARNING",
    # The demo logins have no second factor; and two resident accounts filing for a minute would
    # pass the per-user filing limit (20 an hour) meant for people, not for a bench.
    "LINLI_STAFF_MFA": "0",
    "RATE_LIMITS": "filing=100000",
    "RATELIMIT_NAMESPACE": f"load-{uuid.uuid4().hex[:8]}",
}
os.environ.update(ENV)

import django  # noqa: E402

django.setup()

from accounts.models import User  # noqa: E402
from disputes.models import Case, InboxMessage, Party, Reminder, Rule  # noqa: E402
from disputes.visibility import case_scope_q  # noqa: E402

PASSWORD = os.environ.get("DEMO_PASSWORD", "demo12345")
ROLES = {  # per role: the accounts, and the weights of what they do
    "supervisor": (["supervisor1", "supervisor2", "supervisor3"], {"dashboard": 60, "list": 20, "filter": 20}),
    "mediator": (
        ["mediator1", "mediator2", "mediator3", "gridworker1"],
        {"list": 25, "filter": 25, "search": 17, "case": 33},
    ),
    "resident": (["resident1", "resident2"], {"my_cases": 40, "my_case": 35, "filing": 25}),
}
SHARES = {"supervisor": 4, "mediator": 12, "resident": 4}  # of 20 users
FILTERS = ["status=assigned", "status=in_mediation", "deadline=overdue", "assigned=mine", "status=closed", "tier=1"]
ADMIN_LIST = "/admin/disputes/case/"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Session:
    """One signed-in user: a cookie jar and the two web servers, used in turn."""

    def __init__(self, username: str, ports: list[int]):
        self.username = username
        self.ports = ports
        self.n = random.randrange(len(ports))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        self.n += 1
        url = f"http://127.0.0.1:{self.ports[self.n % len(self.ports)]}{path}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Referer": url} if data is not None else {}
        try:
            with self.opener.open(urllib.request.Request(url, data=body, headers=headers), timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def csrf(self, page: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def login(self) -> None:
        _status, page = self.request("/accounts/login/")
        status, _page = self.request(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf(page)},
        )
        if status != 302:
            sys.exit(f"{self.username} could not sign in ({status}): check the password (DEMO_PASSWORD).")


def case_sample(user: User, n: int = 300) -> list[tuple[int, str]]:
    return list(Case.objects.filter(case_scope_q(user)).order_by("-submitted_at").values_list("pk", "number")[:n])


def search_terms() -> list[str]:
    total = Case.objects.count()
    terms = []
    for case in Case.objects.order_by("pk")[total // 3 : total // 3 + 4]:
        terms += [case.number, str(int(case.number[-6:]))]
    for party in Party.objects.filter(case__pk__gt=total // 2).exclude(phone="").order_by("pk")[:4]:
        terms += [party.phone, party.phone[-4:], party.name]
    return terms


class Load:
    def __init__(self, ports: list[int], seconds: float):
        self.ports, self.seconds = ports, seconds
        self.results: list[tuple[str, float, int]] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.terms = search_terms()

    def user(self, role: str, username: str) -> None:
        session = Session(username, self.ports)
        session.login()
        user = User.objects.get(username=username)
        cases = case_sample(user) if role != "resident" else []
        mine = list(
            Case.objects.filter(parties__user=user).order_by("-submitted_at").values_list("number", flat=True)[:20]
        )
        actions, weights = zip(*ROLES[role][1].items(), strict=True)
        self.ready.wait()
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            kind = random.choices(actions, weights)[0]
            started = time.perf_counter()
            try:
                status, expected = self.act(session, kind, cases, mine)
            except Exception as exc:  # a refused connection, a timeout: an error of the run
                status, expected = 0, {200}
                with self.lock:
                    self.errors.append(f"{kind}: {exc!r}")
            ms = (time.perf_counter() - started) * 1000
            with self.lock:
                self.results.append((kind, ms, status))
                if status not in expected and status:
                    self.errors.append(f"{kind}: HTTP {status}")

    def act(self, session: Session, kind: str, cases: list, mine: list) -> tuple[int, set]:
        if kind == "dashboard":
            return session.request("/dashboard/")[0], {200}
        if kind == "list":
            return session.request(ADMIN_LIST)[0], {200}
        if kind == "filter":
            return session.request(f"{ADMIN_LIST}?{random.choice(FILTERS)}")[0], {200}
        if kind == "search":
            return session.request(f"{ADMIN_LIST}?{urllib.parse.urlencode({'q': random.choice(self.terms)})}")[0], {
                200
            }
        if kind == "case":
            pk = random.choice(cases)[0]
            return session.request(f"{ADMIN_LIST}{pk}/change/")[0], {200}
        if kind == "my_cases":
            return session.request("/cases/")[0], {200}
        if kind == "my_case":
            if not mine:
                return session.request("/cases/")[0], {200}
            return session.request(f"/cases/{urllib.parse.quote(random.choice(mine))}/")[0], {200}
        return self.file(session), {302}

    def file(self, session: Session) -> int:
        status, page = session.request("/cases/new/")
        if status != 200:
            return status

        def first_option(name: str) -> str:
            select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
            return re.findall(r'<option value="(\d+)"', select)[0]

        key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
        status, answer = session.request(
            "/cases/new/",
            {
                "csrfmiddlewaretoken": session.csrf(page),
                "idempotency_key": key.group(1) if key else str(uuid.uuid4()),
                "applicant_name": "压测居民",
                "applicant_phone": "13900000000",
                "respondent_kind": "person",
                "respondent_name": "楼上住户",
                "community": first_option("community"),
                "category": first_option("category"),
                "title": "压测：楼上噪音",
                "summary": "每晚十一点后仍有噪音。",
                "request": "希望晚上十点后保持安静。",
                "households": "1",
                "consent_sensitive": "on",
                "public_mediation": "0",
            },
        )
        if status == 200:  # the form came back with errors
            errors = re.findall(r'class="invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?([^<]+)', answer)
            with self.lock:
                self.errors.append(f"filing refused: {html.unescape('; '.join(errors))[:200]}")
        return status

    def run(self) -> float:
        self.ready = threading.Event()
        threads = []
        for role, share in SHARES.items():
            names = ROLES[role][0]
            for i in range(share):
                t = threading.Thread(target=self.user, args=(role, names[i % len(names)]), daemon=True)
                t.start()
                threads.append(t)
        time.sleep(2)  # all signed in
        started = time.monotonic()
        self.ready.set()
        for t in threads:
            t.join()
        return time.monotonic() - started


def start(processes: list, name: str, args: list[str], env: dict) -> None:
    log = open(VAR / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    processes.append((name, subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)))


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5).read()
            return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the web server on {port} did not answer")


def reminders_add(n: int) -> list[int]:
    """n inbox reminders due now for mediator1, on cases of the run."""
    mediator = User.objects.get(username="mediator1")
    period = f"load-{uuid.uuid4().hex[:8]}"
    cases = Case.objects.order_by("-pk").values_list("pk", flat=True)[:n]
    rows = Reminder.objects.bulk_create(
        [
            Reminder(
                case_id=pk,
                recipient=mediator,
                # A supervision a supervisor ordered: its own text, due until sent (rules.py).
                rule=Rule.SUPERVISION,
                period=period,
                channel=Reminder.Channel.INBOX,
                subject="压测提醒",
                body="这是压测提醒。",
            )
            for pk in cases
        ]
    )
    return [r.pk for r in rows]


def reminders_check(ids: list[int], timeout: float) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Reminder.objects.filter(pk__in=ids).exclude(state=Reminder.State.SENT).exists():
            break
        time.sleep(2)
    states = Counter(Reminder.objects.filter(pk__in=ids).values_list("state", flat=True))
    attempts = Counter(Reminder.objects.filter(pk__in=ids).values_list("attempts", flat=True))
    inbox = Counter(
        InboxMessage.objects.filter(source_key__in=[f"reminder:{pk}" for pk in ids]).values_list(
            "source_key", flat=True
        )
    )
    once = states == Counter({Reminder.State.SENT: len(ids)}) and set(attempts) == {1} and len(inbox) == len(ids)
    once = once and set(inbox.values()) == {1}
    return once, f"states {dict(states)}, attempts {dict(attempts)}, inbox messages {sum(inbox.values())}"


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8310)
    parser.add_argument("--reminder-wait", type=float, default=150)
    args = parser.parse_args()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=ENV, check=True
    )
    ports = [args.port, args.port + 1]
    processes: list = []
    py = sys.executable
    try:
        for i, port in enumerate(ports):
            env = {**ENV, "WEB_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
            start(processes, f"web{i + 1}", [py, "-m", "gunicorn", "-c", "config/gunicorn.py"], env)
        for i in (1, 2):
            start(processes, f"worker{i}", [py, "-m", "celery", "-A", "config", "worker", "-c", "1", "-n",
                                            f"load{i}@%h", "-l", "warning"], ENV)  # fmt: skip
            start(processes, f"beat{i}", [py, "-m", "celery", "-A", "config", "beat", "-l", "warning", "-s",
                                          str(VAR / f"beat{i}-schedule")], ENV)  # fmt: skip
        for port in ports:
            wait_for(port)
        reminder_ids = reminders_add(20)
        print(f"shape: 2 gunicorn (1 sync worker each) on {ports}, 2 celery workers, 2 beats; logs in {VAR}")
        load = Load(ports, args.seconds)
        elapsed = load.run()
        once, reminder_note = reminders_check(reminder_ids, args.reminder_wait)
    finally:
        for _name, process in processes:
            process.send_signal(signal.SIGTERM)
        for _name, process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    times = [ms for _k, ms, _s in load.results]
    by_kind = defaultdict(list)
    for kind, ms, _status in load.results:
        by_kind[kind].append(ms)
    total = len(times)
    rate = total / elapsed
    p95 = percentile(times, 95)
    longest = max(times, default=0)
    print(f"{total} requests in {elapsed:.0f} s: {rate:.1f} requests/s; p50 {percentile(times, 50):.0f} ms, "
          f"p95 {p95:.0f} ms, longest {longest:.0f} ms; errors {len(load.errors)}")  # fmt: skip
    print(f"{'kind':<10}{'share':>7}{'n':>7}{'median':>8}{'p95':>8}{'max':>8}  (ms)")
    for kind, values in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        print(f"{kind:<10}{len(values) / total:>7.0%}{len(values):>7}{statistics.median(values):>8.0f}"
              f"{percentile(values, 95):>8.0f}{max(values):>8.0f}")  # fmt: skip
    for error, n in Counter(load.errors).most_common(5):
        print(f"  error x{n}: {error}")
    tracebacks = {name: (VAR / f"{name}.log").read_text(errors="replace").count("Traceback") for name, _p in processes}
    print(f"tracebacks in the process logs: {tracebacks}")
    print(f"reminders: {reminder_note}")
    targets = {
        ">= 30 requests/s": rate >= 30,
        "p95 < 1 s": p95 < 1000,
        "longest < 2 s": longest < 2000,
        "0 errors": not load.errors and not any(tracebacks.values()),
        "each reminder sent once": once,
    }
    print("targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in targets.items()))
    sys.exit(0 if all(targets.values()) else 1)


if __name__ == "__main__":
    main()
