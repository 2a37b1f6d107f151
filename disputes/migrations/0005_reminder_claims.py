# Reminders: claim tokens for batch sends, back-off, re-queue marks, and the scan's indexes.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0004_meetings_closure"),
    ]

    operations = [
        migrations.AddField(
            model_name="reminder",
            name="available_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="send from"),
        ),
        migrations.AddField(
            model_name="reminder",
            name="claim_token",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="reminder",
            name="queued_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="queued at"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["status", "status_changed_at"], name="case_status_changed"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["status", "last_activity_at"], name="case_status_activity"),
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(fields=["state", "available_at"], name="reminder_state_available"),
        ),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.UniqueConstraint(
                condition=models.Q(("case__isnull", True)),
                fields=("rule", "period", "recipient", "channel"),
                name="reminder_once_per_period_no_case",
            ),
        ),
    ]
