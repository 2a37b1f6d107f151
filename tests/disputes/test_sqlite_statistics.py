"""After migrations, SQLite's planner statistics are renewed (disputes.apps.sqlite_statistics_renew):
a table rebuilt by a migration loses them, and the admin list then sorted every case."""

import pytest
from django.db import connection

from disputes.apps import sqlite_statistics_renew
from tests.factories import make_case

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's autovacuum keeps its own")


def case_statistics() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'disputes_case'")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_migration_that_ran_renews_the_statistics_and_none_leaves_them(areas, alice, bob):
    make_case(applicant=alice, respondent=bob, area=areas["G1"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # sqlite_stat1 exists from here on
        cursor.execute("DELETE FROM sqlite_stat1")  # what a table rebuild leaves behind

    sqlite_statistics_renew(sender=None, using="default", plan=[])  # nothing migrated: nothing done
    assert case_statistics() == 0

    sqlite_statistics_renew(sender=None, using="default", plan=[("a migration", False)])
    assert case_statistics() > 0
