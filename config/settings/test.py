"""Test settings: the base settings with fast hashing, in-memory email and eager tasks.

The Celery integration tests override the eager flag and talk to a real worker and Redis.
"""

import os

os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("LINLI_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "var", "test"))

from config.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The real worker of the Celery tests writes its mail to files the test reads (tests/conftest.py).
if os.environ.get("LINLI_TEST_EMAIL_FILE_PATH"):
    EMAIL_BACKEND = os.environ.get("LINLI_TEST_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = os.environ["LINLI_TEST_EMAIL_FILE_PATH"]
# The real worker the Celery integration tests start gets LINLI_TEST_EAGER=0 (tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = env_bool("LINLI_TEST_EAGER", True)  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LANGUAGE_CODE = "zh-hans"
# Staff MFA is off for the tests at large (they sign staff in with force_login); the MFA tests
# turn it on (tests/accounts/test_mfa.py).
STAFF_MFA = env_bool("LINLI_STAFF_MFA", False)  # noqa: F405

# WhiteNoise warns on every test request when its root is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# That worker is another process: it needs a test database in a file it can open (an in-memory
# SQLite database can't be shared). pytest-django creates and removes the file.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
