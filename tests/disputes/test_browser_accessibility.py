"""A resident on a phone, as an older resident or a screen reader meets the site.

The browser_page fixture (tests/conftest.py) runs axe-core and the 24 px tap-target check on every
page these tests open and fails on a serious or critical violation or a CSP violation; these tests
add what axe does not see: a visible label on the language menu and no sideways scrolling at 200%
text.
"""

import pytest
from django.utils import timezone

from accounts.models import User
from disputes.models import Case, Category, InboxMessage
from tests.factories import make_area_tree, make_case, make_estate, make_user

pytestmark = pytest.mark.browser
PASSWORD = "pw-Linli-2026"  # tests.factories.make_user


@pytest.fixture
def resident(transactional_db):
    # A transactional test empties the tables the data migrations filled: put back what we need.
    Category.objects.get_or_create(code="neighbours", defaults={"name": "邻里纠纷", "order": 1})
    areas = make_area_tree()
    make_estate(areas["C1"], grid=areas["G1"], name="幸福小区")
    mia = make_user("mia", role=User.Role.MEDIATOR, areas=[areas["C1"]], full_name="陈调解")
    alice = make_user("alice", full_name="张丽", phone="13800138001")
    bob = make_user("bob", full_name="王强", phone="13800138002")
    case = make_case(
        applicant=alice,
        respondent=bob,
        area=areas["G1"],
        status=Case.Status.IN_MEDIATION,
        actor=mia,
        title="楼上深夜装修噪音，已经持续三个月，影响老人和孩子休息",
    )
    make_case(applicant=alice, area=areas["G1"], title="小区停车位被长期占用")
    message = InboxMessage.objects.create(
        recipient=alice,
        case=case,
        subject=f"案件 {case.number} 已进入调解阶段，请留意调解员的电话和短信通知",
        body="调解员陈调解已签收您的案件。",
        created_at=timezone.now(),
        source_key="test:1",
    )
    return {"alice": alice, "case": case, "message": message}


def _sign_in(browser_page, username: str):
    page = browser_page.new("/accounts/login/", phone=True)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


class BrowserAccessibilityTests:
    def test_a_residents_phone_pages_pass_axe(self, browser_page, resident):
        page = browser_page.new("/", phone=True)
        browser_page.screenshot(page, "a11y_1_home_anonymous")
        page.goto(browser_page.url("/accounts/register/"))
        page = _sign_in(browser_page, "alice")
        case, message = resident["case"], resident["message"]
        for path, name in [
            ("/", "a11y_2_home"),
            ("/cases/", "a11y_3_case_list"),
            (case.get_absolute_url(), "a11y_4_case_page"),
            ("/inbox/", "a11y_5_inbox"),
            (f"/inbox/{message.pk}/", "a11y_6_inbox_message"),
            ("/accounts/profile/", "a11y_7_profile"),
        ]:
            page.goto(browser_page.url(path))
            browser_page.screenshot(page, name)

        # The filing form sent empty: the errors must be as readable as the rest.
        page.goto(browser_page.url("/cases/new/"))
        page.click("#case-form [type=submit]")
        page.wait_for_selector(".invalid-feedback")
        assert page.locator(".invalid-feedback").count() >= 3
        browser_page.screenshot(page, "a11y_8_filing_errors")

    def test_the_language_menu_has_a_visible_label(self, browser_page, resident):
        page = browser_page.new("/", phone=True)
        page.click(".navbar-toggler")
        label = page.locator("label[for=language-select]")
        label.wait_for(state="visible")
        box = label.bounding_box()
        # A visually-hidden label is 1 x 1 px: an older resident cannot see what the menu is for.
        assert box["width"] >= 16 and box["height"] >= 16
        browser_page.screenshot(page, "a11y_9_menu_open", full_page=False)

    def test_pages_do_not_scroll_sideways_at_200_percent_text(self, browser_page, resident):
        page = _sign_in(browser_page, "alice")
        for path in [
            "/",
            "/inbox/",
            f"/inbox/{resident['message'].pk}/",
            "/cases/",
            resident["case"].get_absolute_url(),
        ]:
            page.goto(browser_page.url(path))
            assert not _scrolls_sideways(page), path
            # Text at 200% (every size in rem follows the root font size), as a phone's large-text setting.
            page.evaluate("document.documentElement.style.fontSize = '200%'")
            assert not _scrolls_sideways(page), f"{path} scrolls sideways at 200% text"
        browser_page.screenshot(page, "a11y_10_case_page_200_percent_text")
