"""The reminder rules as a registry (issue 11, What to build 3): one entry per Rule, one template per
rule, and no import circle between the reminder service and the tasks."""

import ast
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template

from disputes.models import Reminder, Rule
from disputes.services.reminders import RULES


def test_every_rule_has_one_entry_with_its_own_template():
    assert set(RULES) == set(Rule.values)
    templates = [spec.template for spec in RULES.values()]
    assert len(set(templates)) == len(templates)
    for template in templates:
        get_template(template)  # exists and compiles
    written_by_their_cause = {
        Rule.EVENT,
        Rule.HIGH_RISK,
        Rule.CLAIM_HIGH_RISK,
        Rule.CLAIM_NOTICE,
        Rule.CLAIM_SUPERVISION,
    }
    assert all((spec.find is None) == (rule in written_by_their_cause) for rule, spec in RULES.items())
    assert Reminder._meta.get_field("rule").choices == Rule.choices


def test_the_services_never_import_the_tasks():
    """tasks.py imports the services; the services publish tasks by name (the circle is gone)."""
    offenders = []
    for path in sorted((Path(settings.BASE_DIR) / "disputes" / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n in ("disputes.tasks", "disputes.notifications") for n in names):
                offenders.append(str(path))
    assert not offenders
    assert not (Path(settings.BASE_DIR) / "disputes" / "notifications.py").exists()
