"""Late screening reports and late help requests are reminded by the reminder service's rules
(disputes.services.reminders.rules); their own notice tables go."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0021_grid_reminder_rules"),
        ("grid", "0003_grid_day_stats"),
    ]

    operations = [
        migrations.DeleteModel(name="CampaignNotice"),
        migrations.DeleteModel(name="OrderNotice"),
        migrations.AddIndex(
            model_name="serviceorder",
            index=models.Index(fields=["status", "needed_by"], name="order_status_needed_by"),
        ),
    ]
