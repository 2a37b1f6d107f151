"""Role groups and their permissions.

The groups are created by a migration; their permissions are (re)synced after every migrate,
because the permissions of models added later exist only then. A user's groups follow their
role (`accounts.services.user_set_role`).
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

ROLE_GROUPS = {
    "resident": "Residents",
    "mediator": "Mediators",
    "supervisor": "Supervisors",
    "administrator": "Administrators",
}

# disputes models whose rows are settings: only administrators change them.
SETTINGS_MODELS = {"category", "deadlinepolicy", "seattemplate"}
# Append-only logs: staff may read them, nobody edits them through the admin (clockrestamp: the
# re-stampings after deadline policy changes, no case data).
LOG_MODELS = {"caseevent", "reminder", "personaldataview", "inboxmessage", "clockrestamp"}


def permissions_for_role(role: str):
    disputes = Permission.objects.filter(content_type__app_label="disputes")
    if role == "resident":
        return Permission.objects.none()
    if role == "administrator":
        return Permission.objects.filter(Q(content_type__app_label__in=["accounts", "disputes"]))
    work = (
        disputes.exclude(content_type__model__in=SETTINGS_MODELS | LOG_MODELS)
        .exclude(codename__startswith="delete_")
        .exclude(codename__startswith="supervise_")
    )
    readable = disputes.filter(content_type__model__in=SETTINGS_MODELS | LOG_MODELS, codename__startswith="view_")
    areas = Permission.objects.filter(
        content_type__app_label="accounts",
        content_type__model__in=["area", "estate", "organisation"],
        codename__startswith="view_",
    )
    perms = work | readable | areas
    if role == "supervisor":
        perms = perms | disputes.filter(codename__startswith="supervise_")
    return perms


def sync_role_groups(**kwargs) -> None:
    for role, name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions_for_role(role))
