"""Language from the query string, so a shared link (`?lang=it`) opens in that language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class QueryLanguageMiddleware:
    """`?lang=xx` wins over Accept-Language and the cookie for this request only.

    Placed after LocaleMiddleware; an unknown code is ignored (the page still opens).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            language = request.GET.get("lang", "")[:5].lower()
        except SuspiciousOperation:
            # A query Django refuses (too many fields): the view that reads it answers 400,
            # inside the middleware that puts the site's security headers on every answer.
            language = ""
        if language in self.languages:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
