"""Settings for every environment, read from the environment.

Defaults give a working site on a fresh machine (SQLite under var/, DEBUG off); production sets
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL. A bad value stops start-up with a message
that names the variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _read_dotenv(path: Path) -> None:
    """KEY=VALUE lines of a local, untracked .env (made by `make setup` on a developer's machine
    with HTTPS=0), so `manage.py` works there without exporting anything. The real environment
    always wins; production has no .env and stays secure by default."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip())


_read_dotenv(BASE_DIR / ".env")
VAR_DIR = Path(os.environ.get("LINLI_VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# HTTPS: on wherever DEBUG is off, unless the site is deliberately served over plain HTTP
# (the embedded `make run` on 127.0.0.1).
HTTPS = env_bool("HTTPS", not DEBUG)

_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG or not HTTPS else None)
if HTTPS and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or not HTTPS else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS, e.g. ALLOWED_HOSTS=linli.example.gov.cn")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Where the site is reached, for the links in emails (they have no request to ask): `make run`
# sets it to its own address (config/run.py); production must set it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG or not HTTPS else None).rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https://.")

INSTALLED_APPS = [
    "config.admin.LinliAdminConfig",  # django.contrib.admin with the to-do queue as its index
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "disputes",
    "grid",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffSessionMiddleware",
    "accounts.middleware.StaffMfaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as its documentation asks: turns axes' lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "disputes.context_processors.inbox",
            ],
        },
    },
]

# Database: SQLite under var/ by default, PostgreSQL in production (DATABASE_URL).
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'linli.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (web threads, worker, beat): WAL lets readers run beside a writer,
    # IMMEDIATE takes the write lock at BEGIN so two writers queue instead of deadlocking on
    # the lock upgrade, and the timeout makes them wait rather than fail with "database is locked".
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # A connection per request costs about two thirds of a one-query view's time on PostgreSQL:
    # keep connections open and check them before reuse.
    _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 600)
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# AxesBackend first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.PhoneOrUsernameBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Offline: a list of leaked passwords shipped in a PyPI package, no network at run time.
    {"NAME": "accounts.passwords.BreachedPasswordValidator"},
]

# Password guessing (django-axes): after AXES_FAILURE_LIMIT failures an account, and separately an
# address, is locked for AXES_COOLOFF_MINUTES on the site login and the admin login (both call
# authenticate()). The lockout page says how long to wait (accounts/lockout.py).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
# Successful logins are not logged by axes (they would keep typed phone numbers); failures are.
AXES_DISABLE_ACCESS_LOG = True
# Behind a reverse proxy set AXES_IPWARE_PROXY_COUNT=1 so the address is the client's, not the proxy's.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 0) or None

# Staff MFA (TOTP with recovery codes, accounts/mfa.py): on unless LINLI_STAFF_MFA=0 (make run's demo).
STAFF_MFA = env_bool("LINLI_STAFF_MFA", True)
OTP_TOTP_ISSUER = "Linli"
# The admin never shows a device's key, QR code or recovery codes: one look would copy a second factor.
# The device admin's pages with a TOTP secret and its QR code then answer 403 (and no 500 for a missing id).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end after 30 minutes idle and 12 hours in all (accounts/middleware.py); residents
# keep Django's two-week session.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 12 * 60 * 60)

# A case is a collective claim (群体性诉求, DESIGN §3, §9a) from this many households on: the one
# threshold, read by disputes.services.claims whenever a case's households change.
COLLECTIVE_HOUSEHOLDS = env_int("LINLI_COLLECTIVE_HOUSEHOLDS", 5)
# The filing form offers the open cases of the same estate and category from this many days back.
RELATED_CASES_DAYS = env_int("LINLI_RELATED_CASES_DAYS", 90)

# Languages: Simplified Chinese by default, English available; source strings are English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence and scans are personal data: kept outside the static root and served only through
# views that check access (MEDIA_URL is deliberately not routed).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A form takes at most 5 evidence files (disputes.uploads.MAX_FILES); more is refused with a message.
DATA_UPLOAD_MAX_NUMBER_FILES = 10

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "linli@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery with Redis. Short socket timeouts: a request that enqueues on commit must never hang
# on a broker that is down; the database row is the record and the next scan picks it up.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
BROKER_TIMEOUT = float(os.environ.get("BROKER_TIMEOUT", "1.0"))
CELERY_BROKER_URL = REDIS_URL
# The rate limits (accounts/ratelimit.py) count in Redis; they fail open when it is down.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "linli",
        "OPTIONS": {"socket_timeout": BROKER_TIMEOUT, "socket_connect_timeout": BROKER_TIMEOUT},
    },
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", CELERY_TASK_TIME_LIMIT * 4 // 5)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_TIMEOUT,
    "socket_connect_timeout": BROKER_TIMEOUT,
    "max_retries": 0,
    "visibility_timeout": 3600,
}
# Publishing from the web: try once, quickly, and give up (the scan re-sends from the database).
CELERY_TASK_PUBLISH_RETRY = False
# Reminders (disputes/services/reminders.py): the scan creates the rows, the dispatch publishes
# sends for pending rows and returns rows stuck in "sending" past the task time limit.
REMINDER_SCAN_MINUTES = env_int("REMINDER_SCAN_MINUTES", 5)
# How far back a scan looks for deadlines it may have missed (beat down, a deploy).
REMINDER_CATCH_UP_HOURS = env_int("REMINDER_CATCH_UP_HOURS", 24)
REMINDER_BATCH_SIZE = env_int("REMINDER_BATCH_SIZE", 50)
# A pending row whose send message is older than this is published again (the broker may have lost it).
REMINDER_REQUEUE_SECONDS = env_int("REMINDER_REQUEUE_SECONDS", CELERY_TASK_TIME_LIMIT)
# Finished ledger exports are personal data: the nightly housekeeping deletes their files this
# many days after they were written (disputes/services/housekeeping.py).
LEDGER_EXPORT_KEEP_DAYS = env_int("LEDGER_EXPORT_KEEP_DAYS", 7)
# A CSV ledger of more rows is a job with a progress page, not a download (disputes/exports.py):
# written by the web, a million rows would outlast the server's 30 s timeout and arrive cut short.
LEDGER_DIRECT_MAX_ROWS = env_int("LEDGER_DIRECT_MAX_ROWS", 50_000)
SMS_BACKEND = os.environ.get("SMS_BACKEND", "accounts.sms.ConsoleSmsBackend")
# The HTTP SMS gateway (SMS_BACKEND=accounts.sms.HttpGatewaySmsBackend): where, the key and secret
# that sign each request, the registered signature (签名) and the registered template ids, as
# SMS_GATEWAY_TEMPLATES=code=SMS_0001,case_link=SMS_0002,... (names in accounts/sms.py TEMPLATES).
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_KEY_ID = os.environ.get("SMS_GATEWAY_KEY_ID", "")
SMS_GATEWAY_SECRET = os.environ.get("SMS_GATEWAY_SECRET", "")
SMS_GATEWAY_SIGNATURE = os.environ.get("SMS_GATEWAY_SIGNATURE", "邻里")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 5)
SMS_GATEWAY_TEMPLATES: dict[str, str] = {}
for _item in env_list("SMS_GATEWAY_TEMPLATES"):
    _name, _sep, _template_id = _item.partition("=")
    if not (_sep and _name.strip() and _template_id.strip()):
        raise ImproperlyConfigured(f"SMS_GATEWAY_TEMPLATES: {_item!r} is not name=template_id.")
    SMS_GATEWAY_TEMPLATES[_name.strip()] = _template_id.strip()
# An SMS is tried this many times, with a back-off doubling from SMS_RETRY_SECONDS, then FAILED.
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 3)
SMS_RETRY_SECONDS = env_int("SMS_RETRY_SECONDS", 30)
# The version of the terms of use and privacy notice residents agree to at registration.
TERMS_VERSION = os.environ.get("TERMS_VERSION", "2026-12")
# Where a resident goes once their phone is verified: the parties named with that number.
PHONE_VERIFIED_REDIRECT = "disputes:party_offers"
# A walk-in applicant's SMS link opens their case for this many days (renewable by SMS code).
CASE_LINK_DAYS = env_int("CASE_LINK_DAYS", 30)
# The worker turns print()/stdout into log lines: the console email backend then logs every line
# of every email (bench/reminder_scan.py turns it off to measure sending, not logging).
CELERY_WORKER_REDIRECT_STDOUTS = env_bool("CELERY_WORKER_REDIRECT_STDOUTS", True)
CELERY_BEAT_SCHEDULE: dict = {
    "reminders-scan": {
        "task": "disputes.tasks.reminders_scan_task",
        "schedule": REMINDER_SCAN_MINUTES * 60.0,
    },
    "reminders-dispatch-due": {
        "task": "disputes.tasks.reminders_dispatch_due_task",
        "schedule": 60.0,
    },
    "ledger-exports-dispatch": {
        "task": "disputes.tasks.ledger_exports_dispatch_task",
        "schedule": 60.0,
    },
    "clocks-restamp-dispatch": {
        "task": "disputes.tasks.clocks_restamp_dispatch_task",
        "schedule": 60.0,
    },
    # Nightly, in TIME_ZONE (CELERY_TIMEZONE): a quiet hour for deleting files.
    "sms-dispatch-due": {
        "task": "accounts.tasks.sms_dispatch_due_task",
        "schedule": 60.0,
    },
    # Monthly screening campaigns start again for the next month (grid.services.campaigns_repeat).
    "grid-campaigns-repeat": {
        "task": "grid.tasks.campaigns_repeat_task",
        "schedule": crontab(hour=0, minute=10),
    },
    "housekeeping": {
        "task": "disputes.tasks.housekeeping_run_task",
        "schedule": crontab(hour=3, minute=30),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp; a view's own header wins, as the evidence
# download's sandbox does). Scripts, styles, fonts and images come from our origin only: no inline
# script, style or event handler anywhere (tests/test_csp.py walks every page as each role).
# data: images are Bootstrap's icons in its CSS (select arrows, ticked boxes) and the dashboard's
# charts (SVG drawn on the server).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Phone and ID numbers in request lines are masked (config/access_log.py; gunicorn does the same).
    "filters": {"mask_numbers": {"()": "config.access_log.MaskNumbersFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "filters": ["mask_numbers"], "propagate": False},
        # pikepdf (disputes/uploads.py) announces its logger bridge at INFO when first imported.
        "pikepdf": {"level": "WARNING"},
    },
}

# Rate-limit counters are keyed under this namespace (tests give each test its own).
RATELIMIT_NAMESPACE = os.environ.get("RATELIMIT_NAMESPACE", "v1")
# Per-scope overrides of the limits in accounts/ratelimit.py, e.g. RATE_LIMITS=register=20,filing=40
RATE_LIMITS: dict[str, int] = {}
for _item in env_list("RATE_LIMITS"):
    _scope, _sep, _count = _item.partition("=")
    if not (_sep and _count.isascii() and _count.isdecimal()):
        raise ImproperlyConfigured(f"RATE_LIMITS: {_item!r} is not scope=number.")
    RATE_LIMITS[_scope.strip()] = int(_count)
