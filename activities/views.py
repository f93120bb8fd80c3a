"""The download of an activity's attachment: the core's one permission-checked view."""

from __future__ import annotations

import mimetypes

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from activities.models import Activity
from crm.views import private_document_response


@staff_member_required
@require_GET
def activity_attachment(request: HttpRequest, pk: int) -> FileResponse:
    activity = Activity.objects.filter(pk=pk).values("attachment", "attachment_name").first()
    name = (activity and (activity["attachment_name"] or activity["attachment"])) or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return private_document_response(
        request,
        queryset=Activity.objects.all(),
        lookup={"pk": pk},
        field="attachment",
        filename=f"activity-{{row.pk}}.{extension}" if extension else "activity-{row.pk}",
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
