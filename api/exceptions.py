"""Errors the database raises that are the client's doing: answered, never a 500."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    if isinstance(exc, ProtectedError | RestrictedError):
        count = len(
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        return Response(
            {
                "detail": _(
                    "Cannot delete: %(count)d other record(s) still refer to it. "
                    "Move or delete them first."
                )
                % {"count": count}
            },
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
