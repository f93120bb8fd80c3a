"""Public pages of the join request (form, thanks, privacy, search) and the staff download."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
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


@csrf_exempt  # CSRF is checked by join_form_protected, after the size guard is installed
@require_http_methods(["GET", "POST"])
@never_cache
def join_form(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Counted before the body is read: a flood costs no parsing.
        try:
            limited = _rate_limited(request, group="join-request", rate=settings.JOIN_REQUEST_RATE)
        except CacheUnavailable:
            # Fails closed: without the cache nothing can count submissions, and an
            # unlimited form is a spam gate. Nothing is read or stored.
            return _unavailable(request)
        if limited:
            return _too_many(request)  # in the language of ?lang= or the browser
        guard = upload_size_guard_install(request)
    else:
        guard = None
    return _join_form_protected(request, guard)


@csrf_protect
def _join_form_protected(request: HttpRequest, guard: UploadSizeGuard | None) -> HttpResponse:
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
                    url = reverse("municipalities:join_thanks", args=[join_request.reference])
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


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "municipalities/join_too_many.html",
        {
            "rate": settings.JOIN_REQUEST_RATE,
            "contact_email": chapter_contact_email(country="IT"),
        },
        status=429,
    )


def _unavailable(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "municipalities/join_unavailable.html",
        {"contact_email": chapter_contact_email(country="IT")},
        status=503,
    )
    response["Retry-After"] = str(JOIN_RETRY_AFTER_SECONDS)
    return response


@require_GET
def join_thanks(request: HttpRequest, reference: str) -> HttpResponse:
    join_request = get_object_or_404(JoinRequest, reference=reference)
    with translation.override(_language(request)):
        return render(
            request,
            "municipalities/join_thanks.html",
            {
                "join_request": join_request,
                "contact_email": chapter_contact_email(country=str(join_request.country)),
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
