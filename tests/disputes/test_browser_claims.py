"""Issue 17 on a phone: a second resident of the same building starts a complaint of the same
category, is offered the first one and joins it; the first resident's page counts the co-applicant."""

import pytest
from django.utils import timezone

from disputes.models import Case, Category, Party
from tests.factories import make_area_tree, make_case, make_estate, make_user

pytestmark = pytest.mark.browser
PASSWORD = "pw-Linli-2026"  # tests.factories.make_user


@pytest.fixture
def scene(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    category = Category.objects.get_or_create(code="property_services", defaults={"name": "物业服务", "order": 13})[0]
    areas = make_area_tree()
    estate = make_estate(areas["C1"], grid=areas["G1"], name="幸福花园")
    first = make_user("wang", full_name="王建国", phone="13912340001")
    second = make_user("li", full_name="李秀英", phone="13912340002", phone_verified_at=timezone.now())
    case = make_case(
        applicant=first,
        area=areas["G1"],
        category=category,
        estate_id=estate.pk,
        building="3号楼",
        title="王建国家所在3号楼二次供水水压不足",
    )
    return {"areas": areas, "estate": estate, "category": category, "first": first, "second": second, "case": case}


def _sign_in(browser_page, phone: str):
    page = browser_page.new("/accounts/login/", phone=True)
    page.fill("#id_username", phone)
    page.fill("#id_password", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


class BrowserClaimsTests:
    def test_a_neighbour_is_offered_the_open_case_and_joins_it(self, browser_page, scene):
        areas, estate, case = scene["areas"], scene["estate"], scene["case"]
        page = _sign_in(browser_page, "13912340002")
        page.goto(browser_page.url("/cases/new/"))
        assert page.is_hidden("#related-cases")
        page.select_option("#id_community", str(areas["C1"].pk))
        page.select_option("#id_grid", str(areas["G1"].pk))
        page.select_option("#id_estate", str(estate.pk))
        page.fill("#id_building", "3号楼")
        page.select_option("#id_category", label="物业服务")
        page.wait_for_selector("#related-cases:not([hidden]) #related-list li")
        offer = page.inner_text("#related-cases")
        assert case.number in offer and "王某" in offer and "王建国" not in offer and "139" not in offer
        assert "我也遇到这个问题" in offer
        browser_page.screenshot(page, "claims_1_offer_on_the_form")

        page.click("#related-list button")
        page.wait_for_url(browser_page.url(case.get_absolute_url()))
        assert Party.objects.filter(case=case, user=scene["second"], role=Party.Role.APPLICANT).exists()
        assert Case.objects.count() == 1
        assert case.number in page.inner_text("main")
        browser_page.screenshot(page, "claims_2_joined_case_page")

        first = _sign_in(browser_page, "13912340001")
        first.goto(browser_page.url(case.get_absolute_url()))
        assert "1 位邻居作为共同申请人加入" in first.inner_text("#co-applicants")
        browser_page.screenshot(first, "claims_3_first_resident_sees_the_co_applicant")
