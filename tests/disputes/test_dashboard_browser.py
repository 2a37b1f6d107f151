"""Screenshots of the dashboard and the period report in Chinese (tests/screenshots/)."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.browser


def _signed_in_page(browser_page, username: str, path: str):
    client = Client()
    client.force_login(User.objects.get(username=username))
    page = browser_page.new()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": browser_page.base_url}]
    )  # fmt: skip
    page.goto(browser_page.url(path))
    return page


class DashboardBrowserTests:
    def test_dashboard_and_report_screenshots(self, browser_page):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_bulk", cases=3000, stdout=io.StringIO())

        page = _signed_in_page(browser_page, "supervisor1", "/dashboard/?period=year")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        received = int(page.locator("#kpi-received").inner_text())
        assert received > 0
        charts = page.locator("figure.chart img")
        assert charts.count() == 4
        # Each SVG image decoded and drew (a broken data: URI has no natural size).
        assert all(w > 0 for w in charts.evaluate_all("images => images.map(i => i.naturalWidth)"))
        page.locator("#rate-cards details summary").first.click()
        assert page.locator("#rate-cards details[open] p").first.is_visible()
        browser_page.screenshot(page, "dashboard")
        browser_page.screenshot(page, "dashboard_top", full_page=False)

        page.goto(browser_page.url("/dashboard/report/?period=year"))
        summary = page.locator("#report-summary").inner_text()
        assert str(received) in summary
        browser_page.screenshot(page, "report")

        page.goto(browser_page.url("/dashboard/supervision/?list=overdue"))
        assert page.locator("#supervision-table tbody tr").count() >= 1
        browser_page.screenshot(page, "supervision")
