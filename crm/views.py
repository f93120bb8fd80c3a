"""Private documents (signed agreements, council resolutions): one permission-checked download.

Files live in the private storage (crm/storage.py), under generated names, with no URL;
staff download them here only if they may view the record and it lies in their chapters
(another chapter's record is a 404, as everywhere).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from crm.models import Agreement
from crm.scope import scope_queryset


def private_document_response(
    request: HttpRequest,
    *,
    queryset: models.QuerySet,
    lookup: dict,
    field: str,
    filename: str | Callable[[models.Model], str],
    content_type: str | Callable[[models.Model], str] = "application/pdf",
) -> FileResponse:
    """The file in `field` of the row `lookup` finds, for a user who may view that row.
    Always a download (`as_attachment`, nosniff): never shown inline in the admin's origin."""
    model = queryset.model
    if not request.user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
        raise PermissionDenied
    row = get_object_or_404(scope_queryset(queryset, request.user), **lookup)
    document = getattr(row, field)
    if not document:
        raise Http404
    try:
        handle = document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename(row) if callable(filename) else filename.format(row=row),
        content_type=content_type(row) if callable(content_type) else content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@staff_member_required
@require_GET
def agreement_document(request: HttpRequest, pk: int) -> FileResponse:
    return private_document_response(
        request,
        queryset=Agreement.objects.all(),
        lookup={"pk": pk},
        field="document",
        filename="agreement-{row.reference}.pdf",
    )
