from __future__ import annotations

from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path(
        "staff/agreements/<int:pk>/document.pdf",
        views.agreement_document,
        name="agreement_document",
    ),
]
