"""{% quick_result_list cl %}: Django's result_list with the rows of disputes/admin/quick_rows.py."""

from django import template
from django.contrib.admin.templatetags.admin_list import ResultList, result_headers, result_list

from disputes.admin.quick_rows import quick_rows, quick_rows_supported

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def quick_result_list(cl) -> dict:
    if not quick_rows_supported(cl):
        return result_list(cl)
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        # One item per row: the template's inner loop then runs once per row, not per cell.
        # ResultList: the template asks each row for its list_editable form (none here).
        "results": [ResultList(None, [row]) for row in quick_rows(cl)],
    }
