"""On a phone, grid1 marks a hazard from the diary removed (整改完成) with a note and a photo; on a
desktop, supervisor1 follows the dashboard's "hazards removed" figure to the list behind it, and
the "reports late" figure to the campaign's late grids."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from accounts.models import Area, User
from grid import services
from tests.grid.conftest import make_entry
from tests.grid.test_browser_orders import signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo_grid", stdout=io.StringIO())
    return Area.objects.get(name="桂花社区第一网格")


class HazardAndListBrowserTests:
    def test_a_hazard_is_removed_on_a_phone_and_found_from_the_dashboard(self, browser_page, demo, tmp_path):
        worker = User.objects.get(username="grid1")
        hazard = make_entry(worker, demo, kind="hazard", found="3号楼楼道电动车充电", people="王阿姨")
        photo = tmp_path / "after.jpg"
        Image.new("RGB", (120, 90), (40, 160, 90)).save(photo, "JPEG")

        phone = signed_in(browser_page, "grid1", f"/grid/diary/{hazard.pk}/")
        phone.fill("#hazard-removed-form textarea[name=note]", "已劝离充电车辆，张贴安全告示。")
        phone.set_input_files("#hazard-removed-form input[name=photo]", str(photo))
        browser_page.screenshot(phone, "grid_hazard_1_form")
        phone.click("#hazard-removed-form [type=submit]")
        phone.wait_for_selector("#hazard-removed")
        browser_page.screenshot(phone, "grid_hazard_2_removed")
        hazard.refresh_from_db()
        assert hazard.hazard_removed_by == worker and hazard.photos.get().removal

        campaign = services.campaign_start(
            actor=User.objects.get(username="supervisor1"),
            area=demo.parent,
            title="十二月安全大走访",
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
            due_at=timezone.now() - timedelta(minutes=5),
            checklist="燃气\n消防通道",
        )
        desk = signed_in(browser_page, "supervisor1", "/dashboard/?period=year", phone=False)
        assert desk.inner_text("#kpi-grid-hazards-removed") == "1"
        desk.locator("#grid-figures").scroll_into_view_if_needed()
        browser_page.screenshot(desk, "grid_list_0_dashboard_figures", full_page=False)
        desk.click("#kpi-grid-hazards-removed")
        desk.wait_for_selector(f"#entry-{hazard.pk}")
        assert "王*" in desk.inner_text(f"#entry-{hazard.pk}")  # names are masked in lists
        browser_page.screenshot(desk, "grid_list_1_hazards_removed")

        desk.goto(browser_page.url("/dashboard/?period=year"))
        late = int(desk.inner_text("#kpi-grid-reports-late"))
        assert late >= 1
        desk.click("#kpi-grid-reports-late")
        desk.wait_for_selector(f"#campaign-{campaign.pk}")
        desk.click(f"#campaign-{campaign.pk}")
        desk.wait_for_selector(f"#grid-{demo.pk}[data-state=late]")
        browser_page.screenshot(desk, "grid_list_2_late_grids")
