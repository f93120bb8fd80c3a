"""The download of an activity's attachment: the core's one permission-checked view."""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from activities.models import Activity
from crm.views import private_document_response


def _extension(activity: Activity) -> str:
    return PurePath(activity.attachment_name or activity.attachment.name).suffix.lower()


@staff_member_required
@require_GET
def activity_attachment(request: HttpRequest, pk: int) -> FileResponse:
    return private_document_response(
        request,
        queryset=Activity.objects.all(),
        lookup={"pk": pk},
        field="attachment",
        filename=lambda activity: f"activity-{activity.pk}{_extension(activity)}",
        content_type=lambda activity: (
            mimetypes.guess_type(f"x{_extension(activity)}")[0] or "application/octet-stream"
        ),
    )
