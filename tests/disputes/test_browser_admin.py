"""A mediator works the case list and a case page in the admin, in Chinese (screenshots)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import sync_role_groups
from disputes.models import Case, Category
from tests.factories import make_area_tree, make_case, make_estate, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def workbench(transactional_db):
    # A transactional test empties the tables the data migrations filled: put back what we need.
    sync_role_groups()
    Category.objects.get_or_create(code="neighbours", defaults={"name": "邻里纠纷", "order": 1})
    areas = make_area_tree()
    estate = make_estate(areas["C1"], grid=areas["G1"], name="阳光花园")
    mia = make_user("mia", role=User.Role.MEDIATOR, areas=[areas["C1"]], full_name="陈米娅")
    residents = [
        make_user(name, full_name=full, phone=phone)
        for name, full, phone in [
            ("alice", "张爱丽", "13800138001"),
            ("bob", "王博", "13800138002"),
            ("carol", "李卡罗", "13800138003"),
        ]
    ]
    alice, bob, carol = residents
    cases = {
        "submitted": make_case(
            applicant=alice, respondent=bob, area=areas["G1"], estate_id=estate.pk, title="楼上装修噪音"
        ),
        "assigned": make_case(
            applicant=bob,
            respondent=carol,
            area=areas["G1"],
            status=Case.Status.ASSIGNED,
            actor=mia,
            title="停车位纠纷",
        ),
        "in_mediation": make_case(
            applicant=carol,
            respondent=alice,
            area=areas["C1"],
            status=Case.Status.IN_MEDIATION,
            actor=mia,
            title="漏水",
        ),
        "closed": make_case(applicant=alice, area=areas["G1"], status=Case.Status.CLOSED, actor=mia, title="宠物扰民"),
    }
    Case.objects.filter(pk=cases["assigned"].pk).update(next_due_at=timezone.now() - timedelta(hours=5))
    # Due tomorrow: inside the 3-day due-soon window, which is stamped on the case with its deadline.
    due = timezone.now() + timedelta(days=1)
    Case.objects.filter(pk=cases["in_mediation"].pk).update(next_due_at=due, due_soon_at=due - timedelta(days=3))
    # Otto's case in Community 2 must not show up.
    make_case(applicant=carol, area=areas["G2"], title="其他社区的案件")
    return mia, cases


class BrowserAdminTests:
    def test_a_mediator_sees_the_queue_and_a_case_page_in_chinese(self, browser_page, workbench):
        mia, cases = workbench
        page = browser_page.new("/admin/login/?next=/admin/disputes/case/")
        page.fill("#id_username", "mia")
        page.fill("#id_password", "pw-Linli-2026")
        page.click("input[type=submit]")
        page.wait_for_url(browser_page.url("/admin/disputes/case/"))
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        rows = page.locator("#result_list tbody tr")
        assert rows.count() == 4
        assert "138****8001" in page.content()
        assert "13800138001" not in page.content()
        assert page.locator(".linli-deadline-red").count() == 1
        # The new case's 3-day accept clock is already inside the 3-day due-soon window.
        assert page.locator(".linli-deadline-yellow").count() == 2
        assert page.locator(".linli-deadline-green").count() == 1
        assert page.locator("#result_list th.column-age_days").count() == 1
        # Ten columns and the filters: the admin's navigation sidebar is off (config/urls.py).
        assert page.locator("#toggle-nav-sidebar").count() == 0
        browser_page.screenshot(page, "admin_changelist")

        page.goto(browser_page.url(f"/admin/disputes/case/{cases['assigned'].pk}/change/"))
        assert "13800138002" in page.content()  # full numbers for the area's staff, and logged
        assert page.locator(".linli-step-acknowledge").count() == 1
        browser_page.screenshot(page, "admin_case_page")

        page.click(".linli-step-acknowledge")
        page.click("input[type=submit].default")
        page.wait_for_url(browser_page.url(f"/admin/disputes/case/{cases['assigned'].pk}/change/"))
        cases["assigned"].refresh_from_db()
        assert cases["assigned"].status == Case.Status.IN_MEDIATION
        browser_page.screenshot(page, "admin_case_page_acknowledged")
