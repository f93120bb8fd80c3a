from __future__ import annotations

from django.urls import path

from municipalities import views

app_name = "municipalities"

urlpatterns = [
    path("join/", views.join_form, name="join_form"),
    path("join/thanks/<str:reference>/", views.join_thanks, name="join_thanks"),
    path("join/embed/", views.join_form_embed, name="join_form_embed"),
    path("join/embed/thanks/<str:reference>/", views.join_thanks_embed, name="join_embed_thanks"),
    path("join/privacy/", views.privacy_notice, name="privacy_notice"),
    path("join/municipalities/", views.municipality_search, name="municipality_search"),
    path(
        "staff/join-requests/<str:reference>/resolution.pdf",
        views.resolution_download,
        name="join_request_resolution",
    ),
]
