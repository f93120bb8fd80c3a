"""The public member map's pages; its feed is routed by `api.urls` (/api/v1/map/)."""

from __future__ import annotations

from django.urls import path

from publicmap import views

urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("map/embed/", views.map_embed, name="map-embed"),
]
