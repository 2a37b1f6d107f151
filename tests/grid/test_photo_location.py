"""Grid photos (diary entries, a hazard's removal, a finished help request) are stored without
their location, as case evidence is (disputes.uploads.stored_file): a grid worker's photo of a
resident's door would otherwise carry where the resident lives."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from grid import services
from grid.models import DiaryEntry
from tests.disputes.test_upload_hardening import location_of, photo_with_location
from tests.grid.conftest import make_entry


def photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("door.jpg", photo_with_location(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
class GridPhotoLocationTests:
    def test_the_test_photo_has_a_location(self):
        assert location_of(photo_with_location())

    def test_a_diary_photo_and_a_removal_photo_lose_theirs(self, areas, gina):
        data = services.EntryData(grid=areas["G1"], kind=DiaryEntry.Kind.HAZARD, happened_at=timezone.now())
        entry, _ = services.diary_entry_create(author=gina, data=data, idempotency_key=uuid.uuid4(), photos=[photo()])
        services.hazard_mark_removed(entry=entry, actor=gina, note="修好了", photo=photo())
        photos = list(entry.photos.order_by("pk"))
        assert [p.removal for p in photos] == [False, True]
        for stored in photos:
            with stored.file.open("rb") as handle:
                assert location_of(handle.read()) == {}

    def test_a_done_order_photo_loses_it(self, alice, estate, gina, vic):
        order = services.order_post(
            posted_by=alice,
            estate=estate,
            building="1号楼",
            what="楼道灯坏了",
            needed_by=timezone.now() + timedelta(days=3),
        )
        services.order_dispatch(order=order, actor=gina, helper=vic)
        services.order_accept(order=order, actor=vic)
        order = services.order_done(order=order, actor=vic, note="换好了", photo=photo())
        with order.done_photo.open("rb") as handle:
            assert location_of(handle.read()) == {}

    def test_entries_without_photos_are_unchanged(self, areas, gina):
        assert make_entry(gina, areas["G1"]).photos.count() == 0
