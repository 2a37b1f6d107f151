"""The named cast of the tests, as pytest fixtures.

- alice: a resident who files cases; bob: the resident on the other side; carol: another resident
- mia: mediator of Community 1; otto: mediator of Community 2 (an outsider to Community 1's cases)
- sam: supervisor of the whole district; sue: supervisor of Subdistrict 1
"""

import pytest

from accounts.models import User
from tests.factories import make_area_tree, make_user


@pytest.fixture
def areas(db):
    return make_area_tree()


@pytest.fixture
def alice(db):
    return make_user("alice", full_name="Alice Zhang", phone="13800138001")


@pytest.fixture
def bob(db):
    return make_user("bob", full_name="Bob Wang", phone="13800138002")


@pytest.fixture
def carol(db):
    return make_user("carol", full_name="Carol Li", phone="13800138003")


@pytest.fixture
def mia(areas):
    return make_user("mia", role=User.Role.MEDIATOR, areas=[areas["C1"]], full_name="Mia Chen")


@pytest.fixture
def otto(areas):
    return make_user("otto", role=User.Role.MEDIATOR, areas=[areas["C2"]], full_name="Otto Sun")


@pytest.fixture
def sam(areas):
    return make_user("sam", role=User.Role.SUPERVISOR, areas=[areas["D"]], full_name="Sam Zhao")


@pytest.fixture
def sue(areas):
    return make_user("sue", role=User.Role.SUPERVISOR, areas=[areas["S1"]], full_name="Sue Qian")
