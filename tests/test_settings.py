import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "SECRET_KEY": "Zq8w!r2Lm_p0Vx7sT4yBn9c-aH3jK5lP7oI9uY1tR3eW5qA7sD9fG1hJ3kL5zX",
    "ALLOWED_HOSTS": "linli.example.gov.cn",
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "SITE_URL": "https://linli.example.gov.cn",
    "HTTPS": "1",  # explicit: a developer's .env says HTTPS=0, and the environment wins over it
}


def _manage(*args, env: dict) -> subprocess.CompletedProcess:
    unset = {"HTTPS", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "LINLI_STAFF_MFA", "SITE_URL"}
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

    def test_production_mode_needs_the_site_url_for_the_links_in_emails(self):
        env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SITE_URL"}
        result = _manage("check", env=env)
        assert result.returncode != 0
        assert "Set the environment variable SITE_URL." in result.stderr
        result = _manage("check", env={**PRODUCTION_ENV, "SITE_URL": "linli.example.gov.cn"})
        assert result.returncode != 0 and "must start with http" in result.stderr

    def test_a_bad_boolean_names_the_variable(self):
        result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
        assert result.returncode != 0
        assert "DEBUG='maybe' is not a boolean" in result.stderr

    def test_sqlite_writers_queue_at_begin_instead_of_deadlocking(self, tmp_path):
        # Behaviour, not the settings' own values: a connection of the settings runs in WAL mode,
        # and a transaction that has only read already holds the write lock (BEGIN IMMEDIATE), so
        # another writer waits at its BEGIN instead of failing later on the lock upgrade.
        database = tmp_path / "writers.sqlite3"
        script = (
            "import sqlite3; from django.db import connection, transaction\n"
            "cursor = connection.cursor(); cursor.execute('CREATE TABLE t (x int)')\n"
            "print(cursor.execute('PRAGMA journal_mode').fetchone()[0])\n"
            "with transaction.atomic():\n"
            "    connection.cursor().execute('SELECT count(*) FROM t')\n"
            f"    other = sqlite3.connect({str(database)!r}, timeout=0)\n"
            "    try:\n"
            "        other.execute('INSERT INTO t VALUES (1)'); print('other wrote')\n"
            "    except sqlite3.OperationalError as exc:\n"
            "        print(exc)\n"
        )
        env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{database}"}
        result = _manage("shell", "--no-imports", "-c", script, env=env)
        assert result.stdout.split("\n")[:2] == ["wal", "database is locked"], result.stdout + result.stderr

    def test_postgresql_connections_are_kept_open_as_configured(self):
        url = {**PRODUCTION_ENV, "DATABASE_URL": "postgres://linli@db.internal:5432/linli"}
        show = (
            "from django.db import connection\n"
            "print(connection.settings_dict['CONN_MAX_AGE'], connection.settings_dict['CONN_HEALTH_CHECKS'])"
        )
        assert _manage("shell", "--no-imports", "-c", show, env=url).stdout.split() == ["600", "True"]
        assert _manage("shell", "--no-imports", "-c", show, env={**url, "DB_CONN_MAX_AGE": "30"}).stdout.split() == [
            "30",
            "True",
        ]
        refused = _manage("check", env={**url, "DB_CONN_MAX_AGE": "long"})
        assert refused.returncode != 0
        assert "DB_CONN_MAX_AGE='long' is not a whole number." in refused.stderr
