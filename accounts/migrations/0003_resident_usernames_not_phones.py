"""Residents registered before issue 12 have their phone number as user name; give them a random
one (they sign in by phone, which stays; the number is the phone field too). See accounts.services.resident_username_new."""

import re
import secrets

from django.db import migrations
from django.db.models import F

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def rename(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set(User.objects.values_list("username", flat=True))
    # Only where the user name IS the account's phone: those users can still sign in by phone.
    for user in User.objects.filter(username=F("phone")).only("pk", "username").iterator():
        if not MOBILE_RE.match(user.username):
            continue
        username = f"r{secrets.token_hex(5)}"
        while username in taken:
            username = f"r{secrets.token_hex(5)}"
        taken.add(username)
        User.objects.filter(pk=user.pk).update(username=username)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_role_groups")]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
