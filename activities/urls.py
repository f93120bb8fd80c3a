from __future__ import annotations

from django.urls import path

from activities import views

app_name = "activities"

urlpatterns = [
    path(
        "staff/activities/<int:pk>/attachment",
        views.activity_attachment,
        name="activity_attachment",
    ),
]
