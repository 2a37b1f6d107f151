"""A respondent named in a case joins online from a phone, refuses mediation, and the mediator
sees the case terminated with the routes advised (issue 15; screenshots in tests/screenshots/)."""

import pytest

from accounts.models import User
from accounts.roles import sync_role_groups
from disputes.models import Case, Category, Party
from tests.factories import make_area_tree, make_case, make_user

pytestmark = pytest.mark.browser

RESPONDENT_PHONE = "13900002222"


@pytest.fixture
def named_case(transactional_db):
    sync_role_groups()
    Category.objects.get_or_create(code="neighbours", defaults={"name": "邻里纠纷", "order": 1})
    areas = make_area_tree()
    mia = make_user("mia", role=User.Role.MEDIATOR, areas=[areas["C1"]], full_name="陈米娅")
    alice = make_user("alice", full_name="张爱丽", phone="13800138001")
    case = make_case(
        applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia, title="楼上装修噪音"
    )
    Party.objects.create(case=case, role=Party.Role.RESPONDENT, name="王博", phone=RESPONDENT_PHONE)
    return case


class RespondentOnlineTests:
    def test_a_respondent_registers_verifies_confirms_and_refuses(self, browser_page, named_case, sms_outbox):
        case = named_case
        page = browser_page.new("/accounts/register/", phone=True)
        page.fill("#id_phone", "139 0000 2222")
        page.fill("#id_full_name", "王博")
        page.fill("#id_password1", "Linli-garden-2026")
        page.fill("#id_password2", "Linli-garden-2026")
        page.check("#id_agree_terms")
        browser_page.screenshot(page, "respondent_1_register")
        page.click("main form [type=submit]")
        page.wait_for_url(browser_page.url("/accounts/phone/verify/"))
        assert "139****2222" in page.content()

        page.fill("#id_code", sms_outbox.code_for(RESPONDENT_PHONE))
        browser_page.screenshot(page, "respondent_2_code")
        page.click("main form [type=submit].btn-success")
        page.wait_for_url(browser_page.url("/cases/joining/"))
        question = page.locator(".offer h2").inner_text()
        assert question == f"您是 {case.number} 的被申请人吗？"
        browser_page.screenshot(page, "respondent_3_offer")

        page.click(".offer button[type=submit]")
        page.wait_for_url(browser_page.url(f"/cases/{case.number}/"))
        assert "13800138001" not in page.content()  # nothing of the applicant's contact details
        assert "138****8001" not in page.content()
        assert page.locator("#consent").count() == 1
        browser_page.screenshot(page, "respondent_4_case")

        page.click("#consent summary")
        page.fill("#consent [name=note]", "我不同意调解，准备去法院。")
        browser_page.screenshot(page, "respondent_5_refusing")
        page.click("#consent .btn-danger[type=submit]")
        page.wait_for_url(browser_page.url(f"/cases/{case.number}/"))
        assert page.locator("#case-status").inner_text() == "已结案"
        browser_page.screenshot(page, "respondent_6_refused")

        case.refresh_from_db()
        assert (case.status, case.outcome) == (Case.Status.CLOSED, Case.Outcome.TERMINATED)
        respondent = case.parties.get(role=Party.Role.RESPONDENT)
        assert respondent.user.phone == RESPONDENT_PHONE
        assert respondent.consents_to_mediation is False

        staff = browser_page.new("/admin/login/?next=/admin/disputes/case/")
        staff.fill("#id_username", "mia")
        staff.fill("#id_password", "pw-Linli-2026")
        staff.click("input[type=submit]")
        staff.wait_for_url(browser_page.url("/admin/disputes/case/"))
        staff.goto(browser_page.url(f"/admin/disputes/case/{case.pk}/change/"))
        staff.locator("summary", has_text="办理结果").first.click()
        outcome = staff.locator("details", has_text="办理结果").first.inner_text()
        assert "调解终止" in outcome
        assert case.routes_advised.split("，")[0] in outcome
        browser_page.screenshot(staff, "respondent_7_mediator_sees_termination")
