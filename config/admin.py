"""The admin site of Linli: Django's own, with the to-do queue as its index (issue 14).

Installed through LinliAdminConfig (INSTALLED_APPS), Django's documented way to replace the
default site: `admin.site`, `admin:index` and every breadcrumb then lead to the queue.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class LinliAdminSite(admin.AdminSite):
    def index(self, request, extra_context=None):
        from disputes.admin.todo import todo_view

        return todo_view(request, site=self, extra_context=extra_context)


class LinliAdminConfig(AdminConfig):
    default_site = "config.admin.LinliAdminSite"
