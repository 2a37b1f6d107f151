"""{% dashboard_rows %} (disputes/templatetags/dashboard_tags.py) renders a table body byte for byte
as the template loop it replaced did, escaping and localisation included."""

from django.template import Context, Template
from django.test import SimpleTestCase, override_settings
from django.utils import translation

# The loop of templates/disputes/dashboard_table.html before the tag, kept here as the reference.
TEMPLATE_LOOP = (
    "{% load i18n %}"
    '{% for row in rows %}<tr><th scope="row" class="fw-normal">{{ row.label }}</th>{% for cell in row.cells %}'
    '<td class="text-end"><a href="{{ cell.url }}">{{ cell.value }}</a></td>{% endfor %}</tr>'
    '{% empty %}<tr><td colspan="{{ headers|length|add:1 }}" class="text-body-secondary">'
    '{% translate "Nothing in this period." %}</td></tr>{% endfor %}'
)
TAG = "{% load dashboard_tags %}{% dashboard_rows rows headers %}"


class Named:
    """A row label that is a model instance in the dashboard (an area, a category)."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name


ROWS = [
    {
        "label": "<b>王某</b> & 李某",
        "cells": [{"value": 3, "url": "/admin/?a=1&b=<2>"}, {"value": 0, "url": "/x/?q=\"'"}],
    },
    {"label": Named("西山社区"), "cells": [{"value": 1234567, "url": "/admin/disputes/case/?area=3"}]},
    {
        "label": "2026-11",
        "cells": [{"value": None, "url": ""}, {"value": 2.5, "url": "/y/"}, {"value": 3, "url": "/z/"}],
    },
]


class DashboardRowsTests(SimpleTestCase):
    def render(self, source, rows, headers=("a", "b")):
        return Template(source).render(Context({"rows": rows, "headers": list(headers)}))

    def test_the_tag_renders_what_the_template_loop_rendered(self):
        for language in ("zh-hans", "en"):
            for thousands in (False, True):
                with (
                    translation.override(language),
                    override_settings(USE_THOUSAND_SEPARATOR=thousands),
                    self.subTest(language=language, thousands=thousands),
                ):
                    self.assertEqual(self.render(TAG, ROWS), self.render(TEMPLATE_LOOP, ROWS))

    def test_an_empty_table_says_so_across_every_column(self):
        with translation.override("zh-hans"):
            html = self.render(TAG, [], headers=("a", "b", "c"))
            self.assertEqual(html, self.render(TEMPLATE_LOOP, [], headers=("a", "b", "c")))
        self.assertIn('colspan="4"', html)
        self.assertNotIn("Nothing in this period", html)  # translated

    def test_markup_in_labels_and_urls_is_escaped(self):
        html = self.render(TAG, ROWS)
        self.assertIn("&lt;b&gt;王某&lt;/b&gt; &amp; 李某", html)
        self.assertIn('href="/admin/?a=1&amp;b=&lt;2&gt;"', html)
        self.assertNotIn("<b>", html)
