"""On phones: resident1 asks for help, grid1 dispatches it to volunteer1, who takes it and marks it
done, and resident1 confirms and rates it; then the building's printed contact card, whose QR code
(read from the screenshot with zxing-cpp) opens the filing page with the grid chosen."""

import io

import pytest
import zxingcpp
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from PIL import Image

from accounts.models import Estate, User
from grid.models import ServiceOrder

pytestmark = pytest.mark.browser


def signed_in(browser_page, username: str, path: str, *, phone: bool = True):
    client = Client()
    client.force_login(User.objects.get(username=username))
    page = browser_page.new(phone=phone)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": browser_page.base_url}]
    )  # fmt: skip
    page.goto(browser_page.url(path))
    return page


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo_grid", stdout=io.StringIO())
    return Estate.objects.filter(grid__name="桂花社区第一网格").first()


class OrderBrowserTests:
    def test_an_order_from_post_to_rating(self, browser_page, demo):
        resident = signed_in(browser_page, "resident1", "/grid/orders/")
        resident.fill("#id_what", "楼道灯坏了，老人晚上看不见。")
        resident.select_option("#id_estate", str(demo.pk))
        resident.fill("#id_building", "2号楼")
        resident.fill("#id_needed_by", "2030-01-01T18:00")
        browser_page.screenshot(resident, "grid_order_1_posted_form")
        resident.click("#order-form [type=submit]")
        resident.wait_for_selector("#order-status[data-status=posted]")
        order = ServiceOrder.objects.get()
        path = f"/grid/orders/{order.pk}/"

        worker = signed_in(browser_page, "grid1", path)
        worker.select_option("#id_helper", str(User.objects.get(username="volunteer1").pk))
        browser_page.screenshot(worker, "grid_order_2_dispatch")
        worker.click("#dispatch-form [type=submit]")
        worker.wait_for_selector("#order-status[data-status=dispatched]")

        volunteer = signed_in(browser_page, "volunteer1", path)
        volunteer.click("#accept-form [type=submit]")
        volunteer.wait_for_selector("#order-status[data-status=accepted]")
        volunteer.fill("#id_note", "已更换灯泡。")
        volunteer.click("#done-form [type=submit]")
        volunteer.wait_for_selector("#order-status[data-status=done]")
        browser_page.screenshot(volunteer, "grid_order_3_done")

        resident.goto(browser_page.url(path))
        resident.check("input[name=rating][value='3']")
        resident.click("#confirm-form [type=submit]")
        resident.wait_for_selector("#order-status[data-status=confirmed]")
        browser_page.screenshot(resident, "grid_order_4_confirmed")
        order.refresh_from_db()
        assert (order.status, order.helper.username, order.done_note, order.rating) == (
            "confirmed",
            "volunteer1",
            "已更换灯泡。",
            3,
        )

    def test_the_printed_cards_qr_opens_the_filing_page_with_the_grid_chosen(self, browser_page, demo):
        worker = signed_in(
            browser_page, "grid1", f"/grid/cards/building/?estate={demo.pk}&building=2号楼", phone=False
        )
        browser_page.screenshot(worker, "grid_card_1_building")
        png = worker.locator("#card-qr").screenshot()
        decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
        assert len(decoded) == 1 and "/cases/new/?" in decoded[0]

        resident = signed_in(browser_page, "resident1", "/")
        resident.goto(decoded[0])
        assert resident.input_value("#id_grid") == str(demo.grid_id)
        assert resident.input_value("#id_community") == str(demo.community_id)
        assert resident.input_value("#id_estate") == str(demo.pk)
        assert resident.input_value("#id_building") == "2号楼"
        browser_page.screenshot(resident, "grid_card_2_filing_page_from_qr")
