from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from frontpage import views as frontpage_views
from kindnet import views

admin.site.site_header = _("Kindnet")
admin.site.site_title = _("Kindnet")
admin.site.index_title = _("Network administration")

urlpatterns = [
    path("", frontpage_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The staff's second factor (kindnet.second_factor), before the admin they lead to.
    path("account/second-factor/", views.second_factor_verify, name="second_factor_verify"),
    path("account/second-factor/setup/", views.second_factor_setup, name="second_factor_setup"),
    path("health/", views.health, name="health"),
    # The dashboard is the admin's home (/admin/): before the admin's own index.
    path("admin/", include("dashboard.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    # Join requests of municipalities: public form, search, staff download (issue 5).
    path("", include("municipalities.urls")),
    # Signed agreements: the staff download (crm/views.py).
    path("", include("crm.urls")),
    # The public member map and its embeddable widget.
    path("", include("publicmap.urls")),
    # The newsletter's public pages: sign-up, confirmation, unsubscribe (mailings).
    path("", include("mailings.urls")),
    # Attachments of activities: the staff download (activities/views.py).
    path("", include("activities.urls")),
]
