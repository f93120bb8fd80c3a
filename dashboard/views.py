"""The dashboard: the admin's home page, in place of Django's list of apps."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from dashboard.panels import panels_for


def dashboard(request: HttpRequest) -> HttpResponse:
    """The panels the user may see, then every section of the admin (Django's app list)."""
    site = admin.site
    context = site.each_context(request)
    context.update(
        title=site.index_title,  # "Network administration", as Django's index said
        subtitle=None,
        panels=panels_for(request, timezone.localdate()),
        # The sections of the nav sidebar, listed again below the panels.
        app_list=context["available_apps"],
    )
    request.current_app = site.name
    return TemplateResponse(request, "dashboard/index.html", context)
