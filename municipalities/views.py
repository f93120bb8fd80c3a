"""Public pages of the join request (form, thanks, privacy, search) and the staff download."""

from __future__ import annotations

from functools import wraps

from csp.constants import NONE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from crm.shared_cache import CacheUnavailable, cache_call
from crm.views import private_document_response
from municipalities.forms import JoinRequestForm, form_started_token
from municipalities.models import JoinRequest, JoinRequestChannel
from municipalities.selectors import municipality_references_search
from municipalities.services import chapter_contact_email, join_request_submit
from municipalities.uploads import UploadSizeGuard, upload_size_guard_install

SUPPORTED_LANGUAGES = dict(settings.LANGUAGES)
#: What a refused submission is told to wait while the shared cache is down.
JOIN_RETRY_AFTER_SECONDS = 300


def _language(request: HttpRequest) -> str:
    """?lang=it (already active, see kindnet.middleware), else the language posted with the
    form, else Accept-Language / cookie."""
    if request.GET.get("lang") not in SUPPORTED_LANGUAGES:
        posted = request.POST.get("language")
        if posted in SUPPORTED_LANGUAGES:
            return posted
    return translation.get_language()[:2] if translation.get_language() else "en"


def _rate_limited(request: HttpRequest, *, group: str, rate: str) -> bool:
    """Counted per client address (kindnet.client_address) in the shared cache; raises
    CacheUnavailable when the cache cannot count."""
    return cache_call(
        lambda: is_ratelimited(
            request, group=group, key="ip", rate=rate, method=["GET", "POST"], increment=True
        ),
        what=f"rate limit {group}",
    )


def embeddable(view):
    """The site's Content-Security-Policy with `frame-ancestors` replaced by
    JOIN_EMBED_ALLOWED_ORIGINS, and no X-Frame-Options: the join form's embed, like the
    map's (publicmap.views.embed_frame_ancestors)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        ancestors = list(settings.JOIN_EMBED_ALLOWED_ORIGINS) or [NONE]
        return csp_replace({"frame-ancestors": ancestors})(view)(request, *args, **kwargs)

    return xframe_options_exempt(wrapped)


@csrf_exempt  # CSRF is checked by join_form_protected, after the size guard is installed
@require_http_methods(["GET", "POST"])
@never_cache
def join_form(request: HttpRequest) -> HttpResponse:
    return _join_form(request, embed=False)


@csrf_exempt  # checked by the Origin of the post, see _join_form_embedded
@require_http_methods(["GET", "POST"])
@never_cache
@embeddable
def join_form_embed(request: HttpRequest) -> HttpResponse:
    """The join form alone, for an <iframe> on the movement's website."""
    return _join_form(request, embed=True)


def _join_form(request: HttpRequest, *, embed: bool) -> HttpResponse:
    if request.method == "POST":
        # Counted before the body is read: a flood costs no parsing.
        try:
            limited = _rate_limited(request, group="join-request", rate=settings.JOIN_REQUEST_RATE)
        except CacheUnavailable:
            # Fails closed: without the cache nothing can count submissions, and an
            # unlimited form is a spam gate. Nothing is read or stored.
            return _unavailable(request, embed=embed)
        if limited:
            return _too_many(request, embed=embed)  # in the language of ?lang= or the browser
        guard = upload_size_guard_install(request)
    else:
        guard = None
    if embed:
        return _join_form_embedded(request, guard)
    return _join_form_protected(request, guard)


@csrf_protect
def _join_form_protected(request: HttpRequest, guard: UploadSizeGuard | None) -> HttpResponse:
    return _join_form_page(request, guard, embed=False)


def _join_form_embedded(request: HttpRequest, guard: UploadSizeGuard | None) -> HttpResponse:
    """Inside a frame on another site the CSRF cookie is a third-party cookie, which
    browsers hold back (SameSite) or block: the post is checked by its Origin instead.
    The form is anonymous, so a forged post could act for nobody; what the check keeps
    out is a post made by another site's page, as csrf_protect does."""
    if request.method == "POST" and not _posted_from_this_site(request):
        return csrf_failure(request, reason="the post did not come from this site")
    return _join_form_page(request, guard, embed=True)


def _posted_from_this_site(request: HttpRequest) -> bool:
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    if not source or source == "null":
        return False
    return url_has_allowed_host_and_scheme(
        source, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _join_form_page(
    request: HttpRequest, guard: UploadSizeGuard | None, *, embed: bool
) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        if request.method == "POST":
            form = JoinRequestForm(
                request.POST,
                request.FILES,
                started_token=request.POST.get("started", ""),
                too_large=bool(guard and guard.too_large),
            )
            if form.is_valid():
                join_request = _submit(form, language)
                if join_request is not None:
                    thanks = "join_embed_thanks" if embed else "join_thanks"
                    url = reverse(f"municipalities:{thanks}", args=[join_request.reference])
                    return redirect(f"{url}?lang={language}")
        else:
            form = JoinRequestForm(initial={"language": language, "country": "IT"})
        status = 400 if form.is_bound else 200
        return render(
            request,
            "municipalities/join_form.html",
            {
                "form": form,
                "language": language,
                "started_token": form_started_token(),
                "file_lost": form.is_bound and bool(form.errors),
                "search_url": reverse("municipalities:municipality_search"),
                "max_upload_mb": settings.JOIN_REQUEST_MAX_UPLOAD_MB,
                "review_days": settings.JOIN_REQUEST_REVIEW_DAYS,
                **_frame_context(embed),
            },
            status=status,
        )


def _submit(form: JoinRequestForm, language: str) -> JoinRequest | None:
    data = form.cleaned_data
    try:
        return join_request_submit(
            country=data["country"],
            municipality_code=data.get("municipality_code", ""),
            municipality_name=data["municipality_name"],
            submitter_name=data["submitter_name"],
            submitter_role=data["submitter_role"],
            submitter_email=data["submitter_email"],
            submitter_phone=data["submitter_phone"],
            mayor_name=data["mayor_name"],
            resolution_number=data["resolution_number"],
            resolution_date=data["resolution_date"],
            resolution_file=data["resolution_file"],
            privacy_consent=data["privacy_consent"],
            message=data.get("message", ""),
            language=language,
            channel=JoinRequestChannel.FORM,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
        return None


def _too_many(request: HttpRequest, *, embed: bool) -> HttpResponse:
    return render(
        request,
        "municipalities/join_too_many.html",
        {
            "rate": settings.JOIN_REQUEST_RATE,
            "contact_email": chapter_contact_email(country="IT"),
            **_frame_context(embed),
        },
        status=429,
    )


def _unavailable(request: HttpRequest, *, embed: bool) -> HttpResponse:
    response = render(
        request,
        "municipalities/join_unavailable.html",
        {"contact_email": chapter_contact_email(country="IT"), **_frame_context(embed)},
        status=503,
    )
    response["Retry-After"] = str(JOIN_RETRY_AFTER_SECONDS)
    return response


def _frame_context(embed: bool) -> dict:
    """`frame_origins` tells the site's base template to draw the page for a frame."""
    return {"frame_origins": list(settings.JOIN_EMBED_ALLOWED_ORIGINS)} if embed else {}


@require_GET
def join_thanks(request: HttpRequest, reference: str) -> HttpResponse:
    return _join_thanks(request, reference, embed=False)


@require_GET
@embeddable
def join_thanks_embed(request: HttpRequest, reference: str) -> HttpResponse:
    return _join_thanks(request, reference, embed=True)


def _join_thanks(request: HttpRequest, reference: str, *, embed: bool) -> HttpResponse:
    join_request = get_object_or_404(JoinRequest, reference=reference)
    with translation.override(_language(request)):
        return render(
            request,
            "municipalities/join_thanks.html",
            {
                "join_request": join_request,
                "contact_email": chapter_contact_email(country=str(join_request.country)),
                "review_days": settings.JOIN_REQUEST_REVIEW_DAYS,
                **_frame_context(embed),
            },
        )


@require_GET
def privacy_notice(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        return render(
            request,
            "municipalities/privacy.html",
            {"language": language, "contact_email": chapter_contact_email(country="IT")},
        )


@require_GET
def municipality_search(request: HttpRequest) -> JsonResponse:
    """Search-as-you-type over the official list: ?q=citta di c&country=IT."""
    with translation.override(_language(request)):
        try:
            limited = _rate_limited(request, group="join-search", rate=settings.JOIN_SEARCH_RATE)
        except CacheUnavailable:
            limited = False  # fails open: a read of the public official list
        if limited:
            return JsonResponse(
                {"detail": _("Too many searches from your address. Wait a minute and retry.")},
                status=429,
            )
        results = municipality_references_search(
            query=request.GET.get("q", "")[:100], country=request.GET.get("country", "IT")[:2]
        )
    return JsonResponse(
        {
            "results": [
                {
                    "code": m.official_code,
                    "name": m.name,
                    "label": m.label,
                    "province": m.province,
                    "province_code": m.province_code,
                    "region": m.region,
                }
                for m in results
            ]
        }
    )


@staff_member_required
@require_GET
def resolution_download(request: HttpRequest, reference: str) -> FileResponse:
    """The council resolution of a join request, for staff who may view join requests."""
    return private_document_response(
        request,
        queryset=JoinRequest.objects.all(),
        lookup={"reference": reference},
        field="resolution_file",
        filename="resolution-{row.reference}.pdf",
    )
