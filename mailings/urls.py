from __future__ import annotations

from django.urls import path

from mailings import views

urlpatterns = [
    path("newsletter/", views.subscribe, name="newsletter_subscribe"),
    path("newsletter/check-your-inbox/", views.check_inbox, name="newsletter_check_inbox"),
    path("newsletter/confirm/<str:token>/", views.confirm, name="newsletter_confirm"),
    path(
        "newsletter/unsubscribe/<str:token>/",
        views.unsubscribe_view,
        name="newsletter_unsubscribe",
    ),
]
