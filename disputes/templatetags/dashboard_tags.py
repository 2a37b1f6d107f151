"""{% dashboard_rows rows headers %}: the body of a dashboard or report table in one pass.

A district's year has about 2,000 linked figures; rendered cell by cell through the template
language they were most of the page's time that is not SQL (bench/dashboard.py). Each row here
is one string join; every value goes through the same localisation and escaping that
`{{ cell.value }}` and `{{ cell.url }}` gave (tests/disputes/test_dashboard_rows.py compares).
"""

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def dashboard_rows(rows, headers) -> str:
    if not rows:
        empty = gettext("Nothing in this period.")
        return format_html('<tr><td colspan="{}" class="text-body-secondary">{}</td></tr>', len(headers) + 1, empty)
    shown: dict = {}  # a table repeats the same few numbers: localise and escape each once

    def text(value) -> str:
        key = (type(value), value)
        if key not in shown:
            shown[key] = conditional_escape(str(localize(value)))
        return shown[key]

    out = []
    for row in rows:
        out.append(f'<tr><th scope="row" class="fw-normal">{conditional_escape(row["label"])}</th>')
        out.extend(
            f'<td class="text-end"><a href="{conditional_escape(cell["url"])}">{text(cell["value"])}</a></td>'
            for cell in row["cells"]
        )
        out.append("</tr>")
    return mark_safe("".join(out))
