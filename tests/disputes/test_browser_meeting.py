"""A mediator records a four-party meeting in the admin; a party then sees its resolutions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from disputes.models import AgreementSignature, Case, CaseEvent, Category, Meeting, Resolution, SeatTemplate
from disputes.services import closure
from tests.factories import make_area_tree, make_case, make_estate, make_user

pytestmark = pytest.mark.browser
PASSWORD = "pw-Linli-2026"  # tests.factories.make_user


@pytest.fixture
def cast(transactional_db):
    # A transactional test empties the tables the data migrations filled: put back what we need.
    Category.objects.get_or_create(code="neighbours", defaults={"name": "邻里纠纷", "order": 1})
    for order, (name, kind) in enumerate(
        [
            ("居委会/社区党组织", "residents_committee"),
            ("业主委员会", "owners_committee"),
            ("物业服务企业", "property_manager"),
            ("居民代表", ""),
        ]
    ):
        SeatTemplate.objects.get_or_create(name=name, defaults={"organisation_kind": kind, "order": order})
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
        title="楼上深夜装修噪音",
        summary="楼上每晚十点后仍在电钻施工。",
        request="晚上十点后停止施工。",
    )
    return {"areas": areas, "mia": mia, "alice": alice, "case": case}


def _screenshot_whole(browser_page, page, name):
    # The admin's sticky sidebar toggle smears over a full-page capture: grow the viewport instead.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    browser_page.screenshot(page, name, full_page=False)
    page.set_viewport_size({"width": 1280, "height": 800})


class BrowserMeetingTests:
    def test_a_mediator_records_a_meeting_and_the_party_sees_its_resolutions(self, browser_page, cast):
        case, areas = cast["case"], cast["areas"]
        due = timezone.localdate() + timedelta(days=7)

        # The mediator signs in to the admin and schedules the meeting about the case.
        page = browser_page.new("/admin/login/")
        page.fill("#id_username", "mia")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        # From the case page's button: the case's community and the case itself are filled in.
        page.goto(browser_page.url(f"/admin/disputes/case/{case.pk}/change/"))
        page.click(".linli-step-meeting")
        assert page.input_value("#id_community") == str(areas["C1"].pk)
        page.fill("#id_topic", "3号楼噪音问题四方议事会")
        now = timezone.localtime()
        page.fill("#id_scheduled_at", now.strftime("%Y-%m-%dT19:30"))
        page.fill("#id_place", "社区党群服务中心二楼会议室")
        page.click("input[type=submit].default")
        page.click(".linli-meeting-link")
        page.wait_for_selector("#seats-group")
        meeting = Meeting.objects.get()
        assert meeting.seats.count() == 4

        # Attendance: three present, the owners' committee excused with a reason.
        attendees = ["李主任", "", "赵经理", "孙阿姨"]
        for i, name in enumerate(attendees):
            if name:
                page.fill(f"#id_seats-{i}-attendee_name", name)
                page.select_option(f"#id_seats-{i}-attendance", "present")
            else:
                page.select_option(f"#id_seats-{i}-attendance", "absent_excused")
                page.fill(f"#id_seats-{i}-absence_reason", "业委会主任出差，书面意见已提交")
        page.fill("#id_minutes", "内部纪要：双方情绪较激动。")
        page.fill("#id_decisions", "装修施工时间限定为工作日8:00-20:00。")
        page.fill("#id_votes_for", "4")
        page.fill("#id_votes_against", "0")
        page.fill("#id_votes_abstain", "0")

        # Two resolutions, each with its owner and due date.
        resolutions = [("晚上八点后停止电钻施工", "王强"), ("物业在电梯内张贴装修时间公告", "幸福小区物业")]
        page.click("#resolutions-group .add-row a")
        for i, (text, owner) in enumerate(resolutions):
            page.select_option(f"#id_resolutions-{i}-case", str(case.pk))
            page.fill(f"#id_resolutions-{i}-text", text)
            page.fill(f"#id_resolutions-{i}-owner_name", owner)
            page.fill(f"#id_resolutions-{i}-due_date", due.isoformat())
        _screenshot_whole(browser_page, page, "meeting_1_admin_before_held")
        page.click("input[name=_mark_held]")
        page.wait_for_selector(".messagelist .success")
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.HELD
        assert sorted(Resolution.objects.values_list("text", flat=True)) == sorted(t for t, _ in resolutions)
        assert case.events.filter(kind=CaseEvent.Kind.MEETING).exists()
        _screenshot_whole(browser_page, page, "meeting_2_admin_held")

        # The agreement that came of it, signed by all, in its print view.
        case.refresh_from_db()
        agreement = closure.agreement_create(
            case=case,
            actor=cast["mia"],
            facts="被申请人王强自2026年10月起每晚22时后在室内使用电钻装修。",
            issues="夜间施工噪音是否超出合理限度。",
            responsibilities="王强对夜间噪音负主要责任。",
            terms="一、王强自即日起每日20时后不再进行产生噪音的施工。\n二、王强一次性补偿张丽人民币500元。",
            performance_method="现金当面支付",
            performance_place="社区人民调解委员会办公室",
            performance_deadline=due,
        )
        for party in case.parties.all():
            closure.agreement_sign(
                agreement=agreement,
                signer=AgreementSignature.Signer.PARTY,
                party=party,
                actor=cast["mia"],
                signed_on=timezone.localdate(),
            )
        closure.agreement_sign(
            agreement=agreement,
            signer=AgreementSignature.Signer.MEDIATOR,
            actor=cast["mia"],
            signed_on=timezone.localdate(),
        )
        closure.agreement_sign(
            agreement=agreement,
            signer=AgreementSignature.Signer.COMMITTEE_SEAL,
            actor=cast["mia"],
            signed_on=timezone.localdate(),
        )
        page.goto(browser_page.url(f"/admin/disputes/agreement/{agreement.pk}/print/"))
        assert page.locator("section.sheet").count() == 3
        shot = browser_page.screenshot(page, "meeting_3_agreement_print")
        page.emulate_media(media="print")
        page.pdf(path=str(shot.with_suffix(".pdf")), prefer_css_page_size=True)

        # The applicant opens her case on her phone and sees the meeting and its resolutions.
        resident = browser_page.new("/accounts/login/", phone=True)
        resident.fill("#id_username", "13800138001")
        resident.fill("#id_password", PASSWORD)
        resident.click("main form [type=submit]")
        resident.wait_for_url(lambda url: "/login" not in url)
        resident.goto(browser_page.url(case.get_absolute_url()))
        meetings = resident.inner_text("#meetings")
        for text, owner in resolutions:
            assert text in meetings and owner in meetings
        assert "社区党群服务中心二楼会议室" in meetings
        assert "内部纪要" not in resident.inner_text("main")
        browser_page.screenshot(resident, "meeting_4_resident_case_page")
