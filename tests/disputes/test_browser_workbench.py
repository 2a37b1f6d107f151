"""mediator1 carries one case from submitted to closed using only the to-do queue and the case
page's buttons (issue 14), in Chinese at 1366×768; a screenshot of every step."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import sync_role_groups
from disputes.models import Agreement, Case, Category, FollowUp, MediationSession, Meeting, SeatTemplate
from tests.conftest import SCREENSHOT_DIR
from tests.factories import make_area_tree, make_case, make_estate, make_user

pytestmark = pytest.mark.browser
PASSWORD = "pw-Linli-2026"  # tests.factories.make_user
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def submitted_case(transactional_db):
    # A transactional test empties the tables the data migrations filled: put back what we need.
    sync_role_groups()
    Category.objects.get_or_create(code="neighbours", defaults={"name": "邻里纠纷", "order": 1})
    for order, (name, kind) in enumerate(
        [("居委会/社区党组织", "residents_committee"), ("业主委员会", "owners_committee"),
         ("物业服务企业", "property_manager"), ("居民代表", "")]
    ):  # fmt: skip
        SeatTemplate.objects.get_or_create(name=name, defaults={"organisation_kind": kind, "order": order})
    areas = make_area_tree()
    estate = make_estate(areas["C1"], grid=areas["G1"], name="幸福小区")
    make_user("mediator1", role=User.Role.MEDIATOR, areas=[areas["C1"]], full_name="陈调解")
    alice = make_user("alice", full_name="张丽", phone="13800138001")
    bob = make_user("bob", full_name="王强", phone="13800138002")
    return make_case(
        applicant=alice,
        respondent=bob,
        area=areas["G1"],
        estate_id=estate.pk,
        title="楼上深夜装修噪音",
        summary="楼上每晚十点后仍在电钻施工。",
        request="晚上十点后停止施工。",
    )


class BrowserWorkbenchTests:
    def test_mediator1_carries_a_case_from_submitted_to_closed(self, browser_page, submitted_case):
        case = submitted_case
        context = browser_page.browser.new_context(
            viewport=VIEWPORT, locale="zh-CN", base_url=browser_page.base_url, reduced_motion="reduce"
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        shots = []

        def shot(name):
            SCREENSHOT_DIR.mkdir(exist_ok=True)
            path = SCREENSHOT_DIR / f"workbench_{len(shots) + 1:02d}_{name}.png"
            page.screenshot(path=str(path), full_page=True)
            shots.append(path)

        def status():
            case.refresh_from_db()
            return case.status

        def step(name):
            page.click(f".linli-step-{name}")

        def submit():
            page.click("input[type=submit].default")
            page.wait_for_selector(".messagelist .success")
            assert page.url.endswith(f"/admin/disputes/case/{case.pk}/change/"), page.url

        # Login lands on the to-do queue; the new case waits there.
        page.goto(browser_page.url("/accounts/login/"))
        page.fill("#id_username", "mediator1")
        page.fill("#id_password", PASSWORD)
        page.click("main form [type=submit]")
        page.wait_for_url(browser_page.url("/admin/"))
        assert "陈调解" in page.inner_text("#user-tools")
        shot("todo")
        page.click(f"#todo-unassigned a:text('{case.number}')")
        shot("case_submitted")

        step("accept")
        assert page.locator("#id_mediator option:checked").inner_text() == "陈调解"
        shot("accept")
        submit()
        assert status() == Case.Status.ASSIGNED

        # Back through the queue: the case now waits for acknowledgement.
        page.goto(browser_page.url("/admin/"))
        page.click(f"#todo-to-acknowledge a:text('{case.number}')")
        step("acknowledge")
        submit()
        assert status() == Case.Status.IN_MEDIATION
        shot("case_in_mediation")

        step("session")
        assert "张丽" in page.input_value("#id_attendees")
        page.fill("#id_place", "社区调解室")
        page.fill("#id_content", "双方陈述意见，王强同意晚上八点后停止施工。")
        shot("session")
        submit()
        assert MediationSession.objects.filter(case=case).count() == 1

        step("meeting")
        assert page.input_value("#id_topic") == case.title
        earlier = timezone.localtime() - timedelta(hours=1)
        page.fill("#id_scheduled_at", earlier.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#id_place", "社区党群服务中心二楼会议室")
        shot("meeting_schedule")
        submit()
        meeting = Meeting.objects.get()
        assert meeting.estate is not None and meeting.seats.count() == 4

        page.click(".linli-meeting-link")
        for i, name in enumerate(["李主任", "刘主任", "赵经理", "孙阿姨"]):
            page.fill(f"#id_seats-{i}-attendee_name", name)
            page.select_option(f"#id_seats-{i}-attendance", "present")
        page.select_option("#id_resolutions-0-case", str(case.pk))
        page.fill("#id_resolutions-0-text", "物业在电梯内张贴装修时间公告")
        page.fill("#id_resolutions-0-owner_name", "赵经理")
        page.fill("#id_resolutions-0-due_date", (timezone.localdate() + timedelta(days=7)).isoformat())
        shot("meeting_attendance")
        page.click("input[name=_mark_held]")
        page.wait_for_selector(".messagelist .success")
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.HELD
        assert abs(meeting.held_at - earlier) < timedelta(minutes=1)
        assert meeting.resolutions.count() == 1
        shot("case_after_meeting")

        step("agreement")
        assert page.input_value("#id_facts") == case.summary
        assert "王强" in page.input_value("#id_parties_details")
        page.fill("#id_responsibilities", "王强夜间施工噪音扰民，负主要责任。")
        page.fill("#id_terms", "王强于每日20时后停止电钻施工。")
        page.fill("#id_performance_method", "王强自行遵守，物业监督。")
        page.fill("#id_performance_place", "幸福小区3号楼")
        page.fill("#id_performance_deadline", (timezone.localdate() + timedelta(days=7)).isoformat())
        shot("agreement")
        submit()

        step("signatures")
        today = timezone.localdate().isoformat()
        for field in page.locator("input[type=date]").all():
            field.fill(today)
        shot("signatures")
        submit()
        assert Agreement.objects.get(case=case).is_effective

        step("print")
        page.wait_for_selector("section.sheet")
        assert "王强" in page.inner_text("body")
        shot("print")
        page.go_back()

        step("resolve")
        page.fill("#id_summary", "双方达成书面调解协议。")
        shot("resolve")
        submit()
        assert status() == Case.Status.RESOLVED

        # The follow-up waits in the queue.
        page.goto(browser_page.url("/admin/"))
        page.click(f"#todo-follow-ups a:text('{case.number}')")
        step("follow_up")
        page.select_option("#id_performing", "yes")
        page.select_option("#id_satisfaction", "satisfied")
        page.uncheck("#id_close_case")
        shot("follow_up")
        submit()
        assert FollowUp.objects.filter(case=case).count() == 1

        step("close")
        submit()
        assert status() == Case.Status.CLOSED
        shot("case_closed")
        context.close()
        assert len(shots) == 14
