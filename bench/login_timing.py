"""Does the login page's answer time tell which phone numbers are registered? (issue 15)

    HTTPS=0 .venv/bin/python bench/login_timing.py [--runs 20]

Sets Django up on its own SQLite file (/tmp/linli-bench-login/), with Django's production password
hasher (PBKDF2, not the tests' MD5), one resident with a known phone, and times POSTs to the login
page with a wrong password for that phone and for an unknown phone, interleaved, median of --runs
each. django-axes' failure records are cleared between attempts (outside the timed part) so the
lockout does not turn the measurement into lockout pages. Target: medians within 10%.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DIR = Path(os.environ.get("LINLI_BENCH_DIR", "/tmp/linli-bench-login"))
BENCH_DIR.mkdir(parents=True, exist_ok=True)
os.environ["LINLI_VAR_DIR"] = str(BENCH_DIR)
os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
os.environ.setdefault("HTTPS", "0")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from axes.utils import reset as axes_reset  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

KNOWN, UNKNOWN = "13800138000", "13900139000"
# Django's default hashers: what production uses (config/settings/base.py sets none).
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from accounts.services import resident_register

    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
        if not User.objects.filter(phone=KNOWN).exists():
            resident_register(phone=KNOWN, password="Quiet-Neighbour-42", full_name="Bench")
        client = Client()
        url = reverse("accounts:login")
        client.get(url)  # warm up templates and the connection
        times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
        for _ in range(args.runs):
            for phone in (KNOWN, UNKNOWN):
                axes_reset()
                start = time.perf_counter()
                response = client.post(url, {"username": phone, "password": "wrong-password-1"})
                times[phone].append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
    known, unknown = statistics.median(times[KNOWN]), statistics.median(times[UNKNOWN])
    gap = abs(known - unknown) / min(known, unknown)
    print(f"login, wrong password, median of {args.runs}:")
    print(f"  registered phone: {known * 1000:7.1f} ms")
    print(f"  unknown phone:    {unknown * 1000:7.1f} ms")
    print(f"  difference:       {gap * 100:5.1f} %  (target: within 10 %) {'OK' if gap <= 0.10 else 'TOO FAR'}")


if __name__ == "__main__":
    main()
