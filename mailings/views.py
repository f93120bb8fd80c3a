"""Public pages of the newsletter: sign-up, confirmation of the address, unsubscribe.

The unsubscribe view is exempt from CSRF on purpose: mail clients send the RFC 8058
one-click POST without a session or token; the signed link is the proof.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from crm.shared_cache import CacheUnavailable, cache_call
from mailings.forms import SubscriptionForm
from mailings.services import (
    ConfirmationOutcome,
    subscription_confirm,
    subscription_request,
    unsubscribe,
)
from mailings.tokens import TokenInvalid, unsubscribe_token_read

LANGUAGES = dict(settings.LANGUAGES)


def _language(request: HttpRequest) -> str:
    posted = request.POST.get("language")
    if request.GET.get("lang") not in LANGUAGES and posted in LANGUAGES:
        return posted
    return (translation.get_language() or "en")[:2]


def _page(request: HttpRequest, template: str, context: dict | None = None, status: int = 200):
    response = render(request, f"mailings/{template}", context or {}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@never_cache
def subscribe(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        if request.method == "POST":
            try:
                limited = cache_call(
                    lambda: is_ratelimited(
                        request,
                        group="newsletter-signup",
                        key="ip",
                        rate=settings.NEWSLETTER_SIGNUP_RATE,
                        method=["POST"],
                        increment=True,
                    ),
                    what="rate limit newsletter-signup",
                )
            except CacheUnavailable:
                return _page(request, "unavailable.html", status=503)
            if limited:
                return _page(request, "too_many.html", status=429)
            form = SubscriptionForm(request.POST)
            if form.is_valid():
                # A bot that filled the hidden field is told the same and nothing is stored.
                if not form.cleaned_data["website"]:
                    subscription_request(
                        email=form.cleaned_data["email"], language=language, source="sign-up page"
                    )
                return redirect(f"{reverse('newsletter_check_inbox')}?lang={language}")
        else:
            form = SubscriptionForm()
        return _page(
            request,
            "subscribe.html",
            {"form": form, "language": language},
            status=400 if form.is_bound else 200,
        )


@require_GET
def check_inbox(request: HttpRequest) -> HttpResponse:
    return _page(request, "check_inbox.html", {"days": settings.NEWSLETTER_CONFIRM_DAYS})


@require_GET
@never_cache
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    outcome = subscription_confirm(token=token)
    if outcome in (ConfirmationOutcome.CONFIRMED, ConfirmationOutcome.ALREADY):
        return _page(request, "confirmed.html", {"already": outcome == ConfirmationOutcome.ALREADY})
    status = 410 if outcome == ConfirmationOutcome.EXPIRED else 400
    return _page(
        request,
        "link_expired.html",
        {
            "expired": outcome == ConfirmationOutcome.EXPIRED,
            "days": settings.NEWSLETTER_CONFIRM_DAYS,
        },
        status=status,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@never_cache
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (link scanners must not unsubscribe anyone); POST, from that
    button or from the mail client's one-click, unsubscribes at once."""
    try:
        wish = unsubscribe_token_read(token)
    except TokenInvalid:
        return _page(request, "link_expired.html", {"invalid_unsubscribe": True}, status=400)
    if request.method == "GET":
        return _page(request, "unsubscribe.html", {"email": wish.email, "test": wish.is_test})
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    unsubscribe(request=wish, source="one-click (mail client)" if one_click else "unsubscribe page")
    return _page(request, "unsubscribed.html", {"email": wish.email, "test": wish.is_test})
