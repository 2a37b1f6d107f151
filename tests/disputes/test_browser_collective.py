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

    def test_a_supervisor_reads_the_claim_figures_and_the_report_sentence(self, browser_page, six):
        from disputes.services.collective import claim_create, claim_step

        mia, cases = six
        sue = make_user("sue", role=User.Role.SUPERVISOR, areas=[cases[0].area.parent.parent], full_name="钱素")
        claim = claim_create(cases=cases, actor=mia, title="水压不足", facts="五层以上水压不足。", demand="检修泵。")
        claim_step(claim=claim, step="accept", actor=mia, mediator=mia)
        claim_step(claim=claim, step="acknowledge", actor=mia)
        claim_step(claim=claim, step="conclude", actor=mia, outcome=Case.Outcome.RECONCILED, summary="已更换加压泵。")
        page = browser_page.new("/admin/login/?next=/dashboard/%3Fperiod%3Dyear")
        page.fill("#id_username", sue.username)
        page.fill("#id_password", "pw-Linli-2026")
        page.click("input[type=submit]")
        page.wait_for_selector("#claim-cards")
        assert page.inner_text("#kpi-claims-resolved") == "1" and page.inner_text("#kpi-resolved-collective") == "6"
        browser_page.screenshot(page, "collective_6_dashboard")
        page.click("#kpi-claims-resolved")
        page.wait_for_selector("#result_list")
        assert claim.number in page.inner_text("#result_list")
        page.goto(browser_page.url("/dashboard/report/?period=year"))
        assert "共化解矛盾纠纷 6 起，其中历史积案 0 起，群体性诉求 1 件" in page.inner_text("#report-claims-sentence")
        browser_page.screenshot(page, "collective_7_report")

    def test_a_resident_sees_the_claim_and_its_meeting_on_a_phone(self, browser_page, six):
        from datetime import timedelta

        from django.utils import timezone

        from disputes.services.collective import claim_create, claim_meeting_create, claim_step

        mia, cases = six
        claim = claim_create(cases=cases, actor=mia, title="水压不足", facts="五层以上水压不足。", demand="检修泵。")
        claim_step(claim=claim, step="accept", actor=mia, mediator=mia, note="合并受理。")
        community = cases[0].area.parent
        claim_meeting_create(
            claim=claim,
            community=community,
            topic="二次供水四方议事会",
            scheduled_at=timezone.now() + timedelta(days=2),
            place="社区议事厅",
            actor=mia,
        )
        page = browser_page.new("/accounts/login/", phone=True)
        page.fill("#id_username", "13912340003")
        page.fill("#id_password", "pw-Linli-2026")
        page.click("main form [type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(browser_page.url(cases[3].get_absolute_url()))
        card = page.inner_text("#collective-claim")
        assert claim.number in card and "6 户" in card and "合并受理" in card
        assert "二次供水四方议事会" in page.inner_text("#meetings")
        browser_page.screenshot(page, "collective_8_resident_phone")
