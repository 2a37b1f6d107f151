"""The field diary's pages: write once per key, refuse outsiders, turn an entry into a case."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from disputes.models import Case, CaseEvent
from disputes.visibility import cases_visible_to
from grid.models import DiaryEntry
from tests.factories import neighbours_category
from tests.grid.conftest import make_entry


def entry_post(grid, key=None, **extra) -> dict:
    return {
        "idempotency_key": str(key or uuid.uuid4()),
        "contact": "visit",
        "happened_at": "2026-11-30T10:15",
        "grid": grid.pk,
        "building": " 3号楼 ",
        "household": "302",
        "people": "王阿姨",
        "kind": "dispute",
        "found": "楼上漏水，两家吵架。",
        "action": "上门了解情况",
        "result": "约定明天再谈",
        **extra,
    }


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile("leak.jpg", buffer.getvalue(), content_type="image/jpeg")


class DiaryViewTests:
    def test_it_saves_an_entry_with_a_photo(self, client, areas, gina, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        client.force_login(gina)
        response = client.post(reverse("grid:diary"), {**entry_post(areas["G1"]), "photos": [jpeg()]})
        assert response.status_code == 302 and response["Location"] == reverse("grid:diary")
        entry = DiaryEntry.objects.get()
        assert (entry.author, entry.grid, entry.kind, entry.building) == (gina, areas["G1"], "dispute", "3号楼")
        assert entry.photos.get().content_type == "image/jpeg"

    def test_it_refuses_a_file_that_is_not_a_photo_and_keeps_the_input(self, client, areas, gina):
        client.force_login(gina)
        fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
        response = client.post(reverse("grid:diary"), {**entry_post(areas["G1"]), "photos": [fake]})
        assert response.status_code == 400
        assert not DiaryEntry.objects.exists()
        assert "楼上漏水" in response.content.decode()

    def test_the_same_key_twice_makes_one_row(self, client, areas, gina):
        client.force_login(gina)
        key = uuid.uuid4()
        first = client.post(reverse("grid:diary"), entry_post(areas["G1"], key), headers={"X-Linli-Outbox": "1"})
        again = client.post(reverse("grid:diary"), entry_post(areas["G1"], key), headers={"X-Linli-Outbox": "1"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        assert DiaryEntry.objects.filter(idempotency_key=key).count() == 1

    def test_the_outbox_gets_errors_as_json(self, client, areas, gina):
        client.force_login(gina)
        response = client.post(
            reverse("grid:diary"), entry_post(areas["G1"], kind="nonsense"), headers={"X-Linli-Outbox": "1"}
        )
        assert response.status_code == 400 and "kind" in response.json()["errors"]
        assert not DiaryEntry.objects.exists()

    def test_it_refuses_a_grid_outside_the_workers_own(self, client, areas, gina):
        client.force_login(gina)
        response = client.post(reverse("grid:diary"), entry_post(areas["G2"]))
        assert response.status_code == 400
        assert not DiaryEntry.objects.exists()

    @pytest.mark.parametrize("who", ["alice", "mia", "bella", "vic"])
    def test_only_grid_workers_and_heads_keep_a_diary(self, client, areas, who, request):
        client.force_login(request.getfixturevalue(who))
        assert client.get(reverse("grid:diary")).status_code == 403
        assert client.post(reverse("grid:diary"), entry_post(areas["G1"])).status_code == 403
        assert not DiaryEntry.objects.exists()

    def test_another_grids_entry_is_not_found(self, client, areas, gina, gus):
        entry = make_entry(gina, areas["G1"])
        client.force_login(gus)
        assert client.get(reverse("grid:entry_detail", args=[entry.pk])).status_code == 404
        assert client.get(reverse("grid:entry_detail", args=["²"])).status_code == 404
        response = client.post(reverse("grid:entry_to_case", args=[entry.pk]), {"title": "x"})
        assert response.status_code == 404


class EntryToCaseTests:
    def test_an_entry_becomes_a_case_the_communitys_mediator_sees(self, client, areas, gina, mia, otto, estate):
        entry = make_entry(gina, areas["G1"], kind="dispute", people="王阿姨", found="漏水", estate=estate)
        client.force_login(gina)
        data = {"category": neighbours_category().pk, "title": "楼上漏水"}
        response = client.post(reverse("grid:entry_to_case", args=[entry.pk]), data)
        assert response.status_code == 302
        entry.refresh_from_db()
        case = entry.case
        assert (case.source, case.area, case.estate, case.title) == (
            Case.Source.GRID_SCREENING,
            areas["G1"],
            estate,
            "楼上漏水",
        )
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SUBMITTED, actor=gina).exists()
        assert case in cases_visible_to(mia) and case not in cases_visible_to(otto)
        # A second click (a resent form) files nothing more.
        again = client.post(reverse("grid:entry_to_case", args=[entry.pk]), data)
        assert again.status_code == 403 and Case.objects.count() == 1

    def test_the_service_twice_returns_the_same_case(self, areas, gina):
        from grid import services

        entry = make_entry(gina, areas["G1"], kind="dispute")
        first = services.diary_entry_to_case(entry=entry, actor=gina, category_id=neighbours_category().pk, title="a")
        entry = DiaryEntry.objects.get(pk=entry.pk)
        second = services.diary_entry_to_case(entry=entry, actor=gina, category_id=neighbours_category().pk, title="a")
        assert first == second and Case.objects.count() == 1


class DiaryListQueryTests:
    def test_the_diary_page_runs_the_same_queries_for_1_or_40_entries(self, client, areas, gina):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(gina)
        make_entry(gina, areas["G1"])
        client.get(reverse("grid:diary"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("grid:diary"))
        for _ in range(39):
            make_entry(gina, areas["G1"], kind="dispute")
        with CaptureQueriesContext(connection) as many:
            html = client.get(reverse("grid:diary")).content.decode()
        assert html.count('class="list-group-item list-group-item-action py-3"') == 30
        assert len(many) == len(few)


class HazardFollowUpTests:
    def test_the_worker_marks_a_hazard_removed_with_a_note_and_photo(
        self, client, areas, gina, sam, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        from grid import stats
        from grid.models import GridDayStat

        hazard = make_entry(gina, areas["G1"], kind="hazard", found="电动车楼道充电")
        client.force_login(gina)
        url = reverse("grid:entry_detail", args=[hazard.pk])
        assert 'id="hazard-removed-form"' in client.get(url).content.decode()
        removed = reverse("grid:entry_hazard_removed", args=[hazard.pk])
        response = client.post(removed, {"note": ""})
        assert response.status_code == 400  # how it was removed is asked for, in words
        response = client.post(removed, {"note": "已清理，张贴告示", "photo": jpeg()})
        assert response.status_code == 302
        hazard.refresh_from_db()
        assert hazard.hazard_removed_at and hazard.hazard_removed_by == gina
        assert hazard.hazard_removed_note == "已清理，张贴告示"
        assert hazard.photos.get().removal is True
        client.post(removed, {"note": "again"})  # a second mark changes nothing
        hazard.refresh_from_db()
        assert hazard.hazard_removed_note == "已清理，张贴告示"
        assert sum(GridDayStat.objects.values_list("hazards_removed", flat=True)) == 1
        before = set(GridDayStat.objects.values_list("grid_id", "day", "hazards_removed"))
        stats.grid_stats_rebuild()
        assert set(GridDayStat.objects.values_list("grid_id", "day", "hazards_removed")) == before
        html = client.get(url).content.decode()
        assert 'id="hazard-removed"' in html and "已清理" in html
        # Counted on the dashboard as removed.
        client.force_login(sam)
        assert 'id="kpi-grid-hazards-removed" href=' in client.get(reverse("disputes:dashboard")).content.decode()

    def test_only_the_grids_workers_mark_it_and_only_a_hazard(self, client, areas, gina, gus, sue):
        hazard = make_entry(gina, areas["G1"], kind="hazard")
        opinion = make_entry(gina, areas["G1"], kind="opinion")
        for user in (gus, sue):  # another grid's worker; a supervisor reads, the grid acts
            client.force_login(user)
            response = client.post(reverse("grid:entry_hazard_removed", args=[hazard.pk]), {"note": "x"})
            assert response.status_code in (403, 404)
        client.force_login(sue)
        assert 'id="hazard-open"' in client.get(reverse("grid:entry_detail", args=[hazard.pk])).content.decode()
        client.force_login(gina)
        assert client.post(reverse("grid:entry_hazard_removed", args=[opinion.pk]), {"note": "x"}).status_code == 403
        hazard.refresh_from_db()
        assert hazard.hazard_removed_at is None
