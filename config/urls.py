from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config import views
from disputes.admin.todo import todo_view

admin.site.site_header = _("Linli dispute mediation")
# The case list has many columns: the page needs the width more than a second menu.
admin.site.enable_nav_sidebar = False
admin.site.site_title = _("Linli")
admin.site.index_title = _("Mediation workbench")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    # The admin's landing page for staff is their to-do queue (issue 14); it shadows Django's
    # model index at the same address, so admin:index and every breadcrumb lead there too.
    path("admin/", admin.site.admin_view(todo_view), name="admin_todo"),
    path("admin/", admin.site.urls),
    path("", include("disputes.urls")),
]
