from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config import views
from disputes.admin.scoped import view_on_site

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
    # Before the admin's own: its "view on site" redirect, through the one door (disputes.visibility).
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("grid/", include("grid.urls")),
    path("", include("disputes.urls")),
]
