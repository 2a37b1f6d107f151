import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "SECRET_KEY": "Zq8w!r2Lm_p0Vx7sT4yBn9c-aH3jK5lP7oI9uY1tR3eW5qA7sD9fG1hJ3kL5zX",
    "ALLOWED_HOSTS": "linli.example.gov.cn",
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "HTTPS": "1",  # explicit: a developer's .env says HTTPS=0, and the environment wins over it
}


def _manage(*args, env: dict) -> subprocess.CompletedProcess:
    unset = {"HTTPS", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "LINLI_STAFF_MFA"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


class SettingsTests:
    def test_production_mode_passes_the_deploy_check_with_nothing_silenced(self):
        result = _manage("check", "--deploy", env=PRODUCTION_ENV)
        assert result.returncode == 0, result.stderr
        output = result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in output, output

    def test_production_mode_has_staff_mfa_lockout_and_short_staff_sessions(self):
        code = (
            "from django.conf import settings as s; "
            "print(s.STAFF_MFA, s.AUTHENTICATION_BACKENDS[0], s.STAFF_SESSION_IDLE_SECONDS, s.SESSION_COOKIE_SECURE)"
        )
        result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[-4:] == ["True", "axes.backends.AxesStandaloneBackend", "1800", "True"]

    def test_production_mode_refuses_to_start_without_a_secret_key(self):
        env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
        result = _manage("check", env=env)
        assert result.returncode != 0
        assert "Set the environment variable SECRET_KEY." in result.stderr

    def test_a_bad_boolean_names_the_variable(self):
        result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
        assert result.returncode != 0
        assert "DEBUG='maybe' is not a boolean" in result.stderr

    def test_sqlite_is_set_up_for_concurrent_writers(self):
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
            assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
            return
        options = settings.DATABASES["default"]["OPTIONS"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in options["init_command"]
        assert options["timeout"] >= 5
