"""grid1 on a phone: three diary entries, one typed offline with a photo and sent once the signal is back; one
entry becomes a case that mediator1 sees (screenshots in tests/screenshots/grid_diary_*.png)."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from accounts.models import User
from disputes.models import Case
from grid.models import DiaryEntry

pytestmark = pytest.mark.browser


def signed_in(browser_page, username: str, path: str, *, phone: bool):
    client = Client()
    client.force_login(User.objects.get(username=username))
    page = browser_page.new(phone=phone)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": browser_page.base_url}]
    )  # fmt: skip
    page.goto(browser_page.url(path))
    return page


def fill_entry(page, *, kind: str, people: str, found: str) -> str:
    page.select_option("#id_kind", kind)
    page.fill("#id_people", people)
    page.fill("#id_found", found)
    page.fill("#id_action", "上门了解")
    return page.input_value("input[name=idempotency_key]")


class DiaryBrowserTests:
    def test_grid1_files_three_entries_one_offline_and_one_becomes_a_case(self, browser_page, tmp_path, settings):
        settings.MEDIA_ROOT = tmp_path / "media"
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_demo_grid", stdout=io.StringIO())
        grid1 = User.objects.get(username="grid1")
        page = signed_in(browser_page, "grid1", "/grid/diary/", phone=True)
        assert page.locator("#nav-diary").count() == 1
        browser_page.screenshot(page, "grid_diary_1_form")

        fill_entry(page, kind="opinion", people="王阿姨", found="希望小区多装路灯。")
        page.click("#diary-form [type=submit]")
        page.wait_for_selector("#diary-list")
        assert DiaryEntry.objects.filter(author=grid1).count() == 1

        # No signal: the entry waits on the phone, with its photo (kept in IndexedDB).
        page.context.set_offline(True)
        key = fill_entry(page, kind="hazard", people="3号楼住户", found="楼道堆放杂物，堵住消防通道。")
        photo = tmp_path / "corridor.jpg"
        Image.new("RGB", (160, 120), (200, 120, 40)).save(photo, "JPEG")
        page.set_input_files("#id_photos", str(photo))
        page.click("#diary-form [type=submit]")
        waiting = page.locator(f"#outbox-list li[data-key='{key}'][data-photos='1']")
        waiting.wait_for()
        with translation.override("zh-hans"):
            assert gettext("Waiting to send") in page.inner_text("#outbox")
        assert page.input_value("input[name=idempotency_key]") != key  # the next entry gets its own key
        browser_page.screenshot(page, "grid_diary_2_waiting_offline")
        assert not DiaryEntry.objects.filter(idempotency_key=key).exists()

        # Back online: sent once, the outbox empties and the list shows it.
        page.context.set_offline(False)
        page.wait_for_selector(f"#outbox-list li[data-key='{key}']", state="detached")
        page.wait_for_selector("#outbox", state="hidden")
        assert DiaryEntry.objects.filter(idempotency_key=key).count() == 1
        sent = DiaryEntry.objects.get(idempotency_key=key).photos.get()
        assert (sent.original_name, sent.content_type, sent.removal) == ("corridor.jpg", "image/jpeg", False)
        # A reload sends nothing again.
        page.reload()
        assert DiaryEntry.objects.filter(idempotency_key=key).count() == 1

        fill_entry(page, kind="dispute", people="5号楼张先生、李女士", found="楼上漏水，两家争执。")
        page.click("#diary-form [type=submit]")
        page.wait_for_selector("#diary-list a >> nth=2")
        assert DiaryEntry.objects.filter(author=grid1).count() == 3
        browser_page.screenshot(page, "grid_diary_3_three_entries")

        dispute = DiaryEntry.objects.get(author=grid1, kind=DiaryEntry.Kind.DISPUTE)
        page.click(f"#diary-list a[href='/grid/diary/{dispute.pk}/']")
        page.select_option("#id_category", index=1)
        page.fill("#id_title", "5号楼漏水纠纷")
        browser_page.screenshot(page, "grid_diary_4_make_case")
        page.click("#entry-to-case [type=submit]")
        page.wait_for_selector("#entry-case")
        dispute.refresh_from_db()
        case = dispute.case
        assert case.source == Case.Source.GRID_SCREENING and case.number in page.inner_text("#entry-case")
        browser_page.screenshot(page, "grid_diary_5_case_filed")

        desk = signed_in(browser_page, "mediator1", f"/admin/disputes/case/?q={case.number}", phone=False)
        assert case.number in desk.inner_text("#result_list")
        browser_page.screenshot(desk, "grid_diary_6_mediator1_sees_the_case")
