"""Issue 17 at a desk: a mediator selects six related cases in the admin list, groups them into a
collective claim, accepts them all at once (one case changed meanwhile: reported, not hidden) and
sees the claim on a member case page. Screenshots: tests/screenshots/collective_*.png."""

import pytest

from accounts.models import User
from accounts.roles import sync_role_groups
from disputes import services
from disputes.models import Case, CaseEvent, Category, CollectiveClaim
from tests.factories import make_area_tree, make_case, make_estate, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def six(transactional_db):
    sync_role_groups()
    category = Category.objects.get_or_create(code="property_services", defaults={"name": "物业服务", "order": 13})[0]
    areas = make_area_tree()
    estate = make_estate(areas["C1"], grid=areas["G1"], name="幸福花园")
    mia = make_user("mia", role=User.Role.MEDIATOR, areas=[areas["C1"]], full_name="陈米娅")
    names = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆"]
    cases = [
        make_case(
            applicant=make_user(f"r{i}", full_name=name, phone=f"1391234000{i}"),
            area=areas["G1"],
            category=category,
            estate_id=estate.pk,
            building="5号楼",
            title=f"5号楼{i + 1}0{i + 1}室二次供水水压不足",
        )
        for i, name in enumerate(names)
    ]
    return mia, cases


class BrowserCollectiveTests:
    def test_a_mediator_groups_six_cases_and_accepts_them_as_one(self, browser_page, six):
        mia, cases = six
        page = browser_page.new("/admin/login/?next=/admin/disputes/case/")
        page.fill("#id_username", "mia")
        page.fill("#id_password", "pw-Linli-2026")
        page.click("input[type=submit]")
        page.wait_for_url(browser_page.url("/admin/disputes/case/"))
        for case in cases:
            page.check(f"#result_list input.action-select[value='{case.pk}']")
        page.select_option("select[name=action]", "create_collective_claim")
        page.click("button[name=index]")
        page.wait_for_selector("#linli-claim-cases")
        assert page.locator("#linli-claim-cases li").count() == 6
        page.fill("#id_title", "幸福花园5号楼二次供水水压不足")
        page.fill("#id_facts", "今年五月以来，5号楼五层以上住户水压不足。")
        page.fill("#id_demand", "物业公司检修二次供水加压泵。")
        browser_page.screenshot(page, "collective_1_create_form")
        page.click("main input[type=submit].default, #content-main input[type=submit].default")
        page.wait_for_selector("#linli-claim-members")
        claim = CollectiveClaim.objects.get()
        assert claim.households == 6 and Case.objects.filter(collective_claim=claim, is_collective=True).count() == 6
        assert claim.number in page.inner_text("#content")
        browser_page.screenshot(page, "collective_2_claim_page")

        page.click(".linli-claim-step-accept")
        page.wait_for_selector("#id_mediator")
        page.select_option("#id_mediator", str(mia.pk))
        # Meanwhile a colleague adds a note to the third case: its version moves on.
        services.case_event_record(
            case=Case.objects.get(pk=cases[2].pk), actor=mia, kind=CaseEvent.Kind.NOTE, note="电话联系申请人"
        )
        browser_page.screenshot(page, "collective_3_step_form")
        page.click("#content-main input[type=submit].default")
        page.wait_for_selector("ul.messagelist")
        messages = page.inner_text("ul.messagelist")
        assert cases[2].number in messages and "刚被他人改动" in messages
        assert Case.objects.filter(collective_claim=claim, status=Case.Status.ASSIGNED).count() == 5
        browser_page.screenshot(page, "collective_4_step_reported")

        page.goto(browser_page.url(f"/admin/disputes/case/{cases[0].pk}/change/"))
        box = page.inner_text("#linli-case-claim")
        assert claim.number in box and "对成员案件办理" in box
        browser_page.screenshot(page, "collective_5_member_case_page")
