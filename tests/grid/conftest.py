"""The grid cast: gina walks Grid 1, gus walks Grid 2, hank heads Community 1's grids, bella is a
building head in Grid 1 (a resident), vic a volunteer of Community 1."""

import uuid

import pytest
from django.utils import timezone

from accounts.models import Area
from grid import services
from grid.models import DiaryEntry, GridMember
from tests.factories import make_estate, make_user


def make_member(username: str, role: str, area: Area, **extra) -> GridMember:
    user = make_user(username, full_name=username.title())
    return GridMember.objects.create(user=user, role=role, area=area, **extra)


def make_entry(author, grid, *, kind=DiaryEntry.Kind.OPINION, **fields) -> DiaryEntry:
    data = services.EntryData(grid=grid, kind=kind, happened_at=fields.pop("happened_at", timezone.now()), **fields)
    return services.diary_entry_create(author=author, data=data, idempotency_key=uuid.uuid4())[0]


@pytest.fixture
def estate(areas):
    return make_estate(areas["C1"], grid=areas["G1"])


@pytest.fixture
def gina(areas):
    return make_member("gina", GridMember.Role.GRID_WORKER, areas["G1"]).user


@pytest.fixture
def gus(areas):
    return make_member("gus", GridMember.Role.GRID_WORKER, areas["G2"]).user


@pytest.fixture
def hank(areas):
    return make_member("hank", GridMember.Role.GRID_HEAD, areas["C1"]).user


@pytest.fixture
def bella(areas, estate):
    return make_member("bella", GridMember.Role.BUILDING_HEAD, areas["G1"], estate=estate, building="1号楼").user


@pytest.fixture
def vic(areas):
    return make_member("vic", GridMember.Role.VOLUNTEER, areas["C1"]).user
