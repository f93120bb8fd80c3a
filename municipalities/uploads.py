"""Checks on the council resolution upload: size while it streams in, then content.

The size is counted by an upload handler placed first in the request's chain, so a
file over the limit is dropped chunk by chunk while it arrives (SkipFile) and never
reaches a temporary file that outlives the request, let alone the private storage.
"""

from __future__ import annotations

import logging
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

PDF_SIGNATURE = b"%PDF-"


def max_upload_bytes() -> int:
    return settings.JOIN_REQUEST_MAX_UPLOAD_MB * 1024 * 1024


class UploadSizeGuard(FileUploadHandler):
    """Drops any uploaded file larger than JOIN_REQUEST_MAX_UPLOAD_MB and remembers its field."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes()
        self.too_large: set[str] = set()
        self._received = 0

    def new_file(self, field_name, *args, **kwargs) -> None:
        super().new_file(field_name, *args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self._received += len(raw_data)
        if self._received > self.limit:
            self.too_large.add(self.field_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        # The next handler (memory or temporary file) builds the file.
        return None


def upload_size_guard_install(request: HttpRequest) -> UploadSizeGuard:
    """Put the size guard first; call before anything reads request.POST or FILES."""
    guard = UploadSizeGuard(request)
    request.upload_handlers.insert(0, guard)
    return guard


def too_large_message() -> str:
    return _("The file is larger than %(mb)d MB. Send a smaller PDF.") % {
        "mb": settings.JOIN_REQUEST_MAX_UPLOAD_MB
    }


def resolution_pdf_validate(upload: UploadedFile) -> None:
    """Refuse anything that is not a readable PDF, whatever its name or Content-Type says."""
    if upload.size is not None and upload.size > max_upload_bytes():
        raise ValidationError(too_large_message(), code="too_large")
    upload.seek(0)
    head = upload.read(len(PDF_SIGNATURE))
    upload.seek(0)
    if head != PDF_SIGNATURE:
        raise ValidationError(
            _("This file is not a PDF. Send the council resolution as a PDF document."),
            code="not_pdf",
        )
    if not _pdf_parses(upload):
        raise ValidationError(
            _("This PDF cannot be read: it may be damaged. Save it again as PDF and send it."),
            code="bad_pdf",
        )


def _pdf_parses(upload: UploadedFile) -> bool:
    from pypdf import PdfReader

    # pypdf reports damaged files through its logger; keep them out of the server log noise.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(upload, strict=False)
            return len(reader.pages) > 0
    except Exception:
        return False
    finally:
        upload.seek(0)
