"""Included before the admin's own URLs (kindnet/urls.py): /admin/ is the dashboard."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from dashboard import views

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="dashboard"),
]
