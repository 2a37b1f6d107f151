from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and areas")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import staff_session_start
        from accounts.roles import sync_role_groups

        # Permissions of every app exist only after migrate has run, so the role groups get
        # their permissions then (the groups themselves are created by a migration).
        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
        # Django's public hook for "a user has just signed in": the staff session clock starts here.
        user_logged_in.connect(staff_session_start, dispatch_uid="accounts.staff_session_start")
