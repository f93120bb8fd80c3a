"""The whole join request workflow: submit, review, approve, reject, withdraw.

The public form, the API, the admin and the tests all call these functions, so a
rule lives here once. Each decision runs in one transaction; e-mails (and geocoding)
happen after commit, so a failing mail server never undoes a decision.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.models import (
    Agreement,
    AgreementType,
    Chapter,
    ConsentAction,
    ConsentEvent,
    ConsentPurpose,
    Contact,
    GeocodeStatus,
)
from crm.names import place_name_normalize
from crm.signals import members_moved_send
from crm.validators import date_in_range, phone_e164
from municipalities.models import (
    PENDING_STATUSES,
    RESOLUTION_DATE_VALIDATORS,
    JoinRequest,
    JoinRequestChannel,
    JoinRequestStatus,
    Municipality,
    MunicipalityReference,
)
from municipalities.uploads import resolution_pdf_validate, too_large_message

logger = logging.getLogger(__name__)

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone


def chapter_contact_email(*, country: str) -> str:
    """Whom a municipality of `country` writes to: its chapter, else the network's mailbox."""
    chapter = Chapter.objects.filter(country=country).only("email").first()
    if chapter is not None and chapter.email:
        return chapter.email
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _reference_new() -> str:
    year = timezone.localdate().year
    while True:
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        reference = f"JR-{year}-{code}"
        if not JoinRequest.objects.filter(reference=reference).exists():
            return reference


def _municipality_resolve(
    *, country: str, code: str, name: str
) -> tuple[MunicipalityReference | None, str]:
    """The official municipality chosen (by code, or by an unambiguous name), or the free name.

    A country with an official list only accepts a municipality of that list; one
    without a list accepts the name as typed.
    """
    code, name = code.strip(), " ".join(name.split())
    listed = MunicipalityReference.objects.filter(country=country)
    if code:
        reference = listed.filter(official_code=code).first()
        if reference is None:
            raise ValidationError(
                {"municipality_name": _("Choose your municipality from the list.")}
            )
        return reference, reference.name
    if not name:
        raise ValidationError({"municipality_name": _("Give the name of your municipality.")})
    if not listed.exists():
        return None, name
    matches = _references_named(listed, name)
    if len(matches) == 1:
        return matches[0], matches[0].name
    if matches:
        raise ValidationError(
            {
                "municipality_name": _(
                    "Several municipalities are called %(name)s: choose yours from the list "
                    "(%(labels)s)."
                )
                % {"name": name, "labels": ", ".join(m.label for m in matches)}
            }
        )
    raise ValidationError(
        {
            "municipality_name": _(
                "%(name)s is not in the official list of municipalities: check the spelling "
                "and choose it from the list."
            )
            % {"name": name}
        }
    )


def _references_named(listed, name: str) -> list[MunicipalityReference]:
    """Municipalities called `name`; "Castro (LE)", as the list shows it, picks one."""
    province = ""
    if name.endswith(")") and "(" in name:
        name, _sep, province = name[:-1].rpartition("(")
        province = province.strip().upper()
    matches = listed.filter(search_name=place_name_normalize(name))
    if province:
        matches = matches.filter(province_code=province)
    return list(matches.order_by("province_code")[:10])


def _municipality_key(*, country: str, reference: MunicipalityReference | None, name: str) -> str:
    if reference is not None:
        return f"{country}:{reference.official_code}"
    return f"{country}:name:{place_name_normalize(name)}"


def _duplicate_refusal(
    *, country: str, reference: MunicipalityReference | None, name: str, key: str
) -> str | None:
    """Why a request for this municipality cannot be received now, or None."""
    if reference is not None:
        members = Municipality.objects.filter(
            code_country=country, official_code=reference.official_code
        )
    else:
        members = Municipality.objects.filter(country=country, name__iexact=name)
    label = reference.label if reference is not None else name
    email = chapter_contact_email(country=country)
    if members.active_on().exists():
        return _(
            "%(name)s is already a member of the movement. To update its details or for any "
            "question, write to %(email)s."
        ) % {"name": label, "email": email}
    if JoinRequest.objects.filter(municipality_key=key, status__in=PENDING_STATUSES).exists():
        return _(
            "A request for %(name)s has already been received and is being reviewed. For news "
            "about it, write to %(email)s."
        ) % {"name": label, "email": email}
    return None


def join_request_check(
    *, country: str, municipality_code: str = "", municipality_name: str = ""
) -> tuple[MunicipalityReference | None, str]:
    """Resolve the municipality and refuse duplicates; the form calls it for early feedback."""
    reference, name = _municipality_resolve(
        country=country, code=municipality_code, name=municipality_name
    )
    key = _municipality_key(country=country, reference=reference, name=name)
    refusal = _duplicate_refusal(country=country, reference=reference, name=name, key=key)
    if refusal:
        raise ValidationError({"municipality_name": refusal}, code="duplicate")
    return reference, name


def join_request_problems(
    *,
    country: str,
    municipality_code: str = "",
    municipality_name: str = "",
    resolution_date: datetime.date | None = None,
    resolution_file: UploadedFile | None = None,
    privacy_consent: bool = False,
    upload_too_large: bool = False,
    submitter_phone: str | None = None,
) -> tuple[dict[str, list[str]], MunicipalityReference | None, str]:
    """Every rule of a join request, by field: (errors, listed municipality, its name).

    The form and the API call it for feedback in one round beside their own parsing
    errors; `join_request_submit` calls it again before it stores anything. A value
    that failed parsing is passed as None and its rule is skipped (its field already
    has an error).
    """
    errors: dict[str, list[str]] = {}
    if not privacy_consent:
        errors["privacy_consent"] = [
            _("Please accept the privacy notice: we cannot handle the request without it.")
        ]
    if upload_too_large:
        errors["resolution_file"] = [too_large_message()]
    elif resolution_file is None:
        errors["resolution_file"] = [_("Attach the council resolution as a PDF.")]
    else:
        try:
            resolution_pdf_validate(resolution_file)
        except ValidationError as exc:
            errors["resolution_file"] = exc.messages
    # The model's own rules (crm.validators), so the form, the API and the admin agree.
    if resolution_date:
        messages = date_in_range(resolution_date, RESOLUTION_DATE_VALIDATORS)
        if messages:
            errors["resolution_date"] = messages
    if submitter_phone:
        try:
            phone_e164(submitter_phone, country or "IT")
        except ValidationError as exc:
            errors["submitter_phone"] = exc.messages
    reference, name = None, municipality_name
    if country:
        try:
            reference, name = join_request_check(
                country=country, municipality_code=municipality_code, municipality_name=name
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return errors, reference, name


def join_request_submit(
    *,
    country: str,
    municipality_code: str = "",
    municipality_name: str = "",
    submitter_name: str,
    submitter_role: str,
    submitter_email: str,
    submitter_phone: str,
    mayor_name: str,
    resolution_number: str,
    resolution_date: datetime.date,
    resolution_file: UploadedFile | None,
    privacy_consent: bool,
    message: str = "",
    language: str = "en",
    channel: str = JoinRequestChannel.FORM,
) -> JoinRequest:
    """Validate and store a join request; acknowledge it and tell the chapter after commit.

    Raises ValidationError (by field) and then stores nothing: no row and no file.
    """
    country = str(country).upper()
    errors, reference, name = join_request_problems(
        country=country,
        municipality_code=municipality_code,
        municipality_name=municipality_name,
        resolution_date=resolution_date,
        resolution_file=resolution_file,
        privacy_consent=privacy_consent,
        submitter_phone=submitter_phone,
    )
    join_request = JoinRequest(
        channel=channel,
        language=language if language in dict(settings.LANGUAGES) else "en",
        country=country,
        municipality_reference=reference,
        municipality_name=name,
        official_code=reference.official_code if reference else "",
        municipality_key=_municipality_key(country=country, reference=reference, name=name),
        submitter_name=submitter_name.strip(),
        submitter_role=submitter_role.strip(),
        submitter_email=submitter_email.strip(),
        submitter_phone=submitter_phone.strip(),
        mayor_name=mayor_name.strip(),
        resolution_number=resolution_number.strip(),
        resolution_date=resolution_date,
        message=message.strip(),
        privacy_consent_at=timezone.now(),
        reference=_reference_new(),
    )
    try:
        join_request.full_clean(
            exclude=["resolution_file", *errors], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    _store(join_request, resolution_file, country=country, reference=reference, name=name)
    transaction.on_commit(lambda: _after_submit(join_request.pk))
    return join_request


def _store(
    join_request: JoinRequest,
    upload: UploadedFile,
    *,
    country: str,
    reference: MunicipalityReference | None,
    name: str,
) -> None:
    """Write the file and the row together: if the row fails, the file goes too."""
    try:
        with transaction.atomic():
            join_request.resolution_file.save("resolution.pdf", upload, save=False)
            join_request.save()
            ConsentEvent.objects.create(
                email=join_request.submitter_email,
                purpose=ConsentPurpose.PRIVACY_NOTICE,
                action=ConsentAction.GIVEN,
                wording_version=settings.CONSENT_WORDING_VERSION,
                source=join_request.reference,
            )
    except BaseException as exc:
        if join_request.resolution_file.name:
            join_request.resolution_file.storage.delete(join_request.resolution_file.name)
        if isinstance(exc, IntegrityError):
            # Two submissions for one municipality at the same moment: the database kept one.
            refusal = _duplicate_refusal(
                country=country, reference=reference, name=name, key=join_request.municipality_key
            )
            raise ValidationError(
                {"municipality_name": refusal or _("This request could not be stored.")}
            ) from exc
        raise


def join_request_review_start(*, join_request: JoinRequest, by: AbstractBaseUser) -> JoinRequest:
    """Mark a submitted request as being reviewed, so colleagues know someone has it."""
    with transaction.atomic():
        join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
        if join_request.status == JoinRequestStatus.SUBMITTED:
            join_request.status = JoinRequestStatus.IN_REVIEW
            join_request.save(update_fields=["status", "updated_at"])
    return join_request


def _decision_due(join_request: JoinRequest, status: str, verb: str) -> bool:
    """True when the request waits for a decision; False when it already has `status` (the
    same decision again changes nothing); a ValidationError after another decision."""
    if join_request.status == status:
        return False
    if not join_request.is_pending:
        raise ValidationError(
            _("%(ref)s is %(status)s: only a submitted or in-review request can be %(verb)s.")
            % {
                "ref": join_request.reference,
                "status": join_request.get_status_display().lower(),
                "verb": verb,
            }
        )
    return True


def join_request_approve(*, join_request: JoinRequest, by: AbstractBaseUser) -> Municipality:
    """Welcome the municipality: member, membership agreement and primary contact, at once.

    Creates the Municipality, or links to the one with the same official code; the
    agreement is signed on the resolution date and starts that day. Idempotent: an
    approved request returns its municipality and creates nothing.
    """
    with transaction.atomic():
        join_request = (
            # of=self: PostgreSQL cannot lock the nullable side of the outer joins.
            JoinRequest.objects.select_for_update(of=("self",))
            .select_related("municipality_reference", "municipality")
            .get(pk=join_request.pk)
        )
        if not _decision_due(join_request, JoinRequestStatus.APPROVED, _("approved")):
            return join_request.municipality
        municipality = _municipality_upsert(join_request)
        _membership_agreement(municipality, join_request)
        _primary_contact(municipality, join_request)
        join_request.municipality = municipality
        join_request.decide(JoinRequestStatus.APPROVED, by=by)
        join_request.save()
        pk = join_request.pk
        transaction.on_commit(lambda: _after_approval(pk))
    return municipality


def _municipality_upsert(join_request: JoinRequest) -> Municipality:
    country = str(join_request.country)
    if join_request.official_code:
        existing = Municipality.objects.filter(
            code_country=country, official_code=join_request.official_code
        )
    else:
        existing = Municipality.objects.filter(
            country=country, official_code="", name__iexact=join_request.municipality_name
        )
    municipality = existing.first() or Municipality(
        name=join_request.municipality_name,
        city=join_request.municipality_name,
        country=country,
    )
    reference = join_request.municipality_reference
    if reference is not None:
        municipality.official_code = reference.official_code
        municipality.province = reference.province_code
        municipality.region = reference.region
        municipality.city = municipality.city or reference.name
        municipality.postal_code = municipality.postal_code or reference.postal_code
        municipality.population = reference.population or municipality.population
    municipality.mayor = join_request.mayor_name
    municipality.resolution_number = join_request.resolution_number
    municipality.resolution_date = join_request.resolution_date
    municipality.joined_on = municipality.joined_on or join_request.resolution_date
    municipality.full_clean(exclude=["sectors"])
    created = municipality._state.adding
    municipality.save()
    # Placed by the geocoding pipeline, which asks Municipality.geocode_fixed_point (the
    # official list) first. Saving a new member already says it moved; a linked one is
    # announced here, since its place may now come from the list.
    if not created and municipality.geocode_status != GeocodeStatus.MANUAL:
        members_moved_send(sender=Municipality, member_ids=[municipality.pk])
    return municipality


def _membership_agreement(municipality: Municipality, join_request: JoinRequest) -> Agreement:
    day = join_request.resolution_date
    agreement = Agreement.objects.filter(
        member=municipality, type=AgreementType.MEMBERSHIP, starts_on=day
    ).first()
    if agreement is None:
        agreement = Agreement(
            member=municipality,
            type=AgreementType.MEMBERSHIP,
            signed_on=day,
            starts_on=day,
            signatories=join_request.mayor_name,
        )
        agreement.full_clean(exclude=["reference", "document"])
        agreement.save()
    return agreement


def _primary_contact(municipality: Municipality, join_request: JoinRequest) -> Contact:
    """The submitter, as primary contact unless staff already chose another one."""
    contact = municipality.contacts.filter(email__iexact=join_request.submitter_email).first()
    others_primary = municipality.contacts.filter(is_primary=True)
    if contact is not None:
        others_primary = others_primary.exclude(pk=contact.pk)
    else:
        contact = Contact(member=municipality, email=join_request.submitter_email)
    contact.name = join_request.submitter_name
    contact.role = join_request.submitter_role
    contact.phone = join_request.submitter_phone
    # They wrote in this language: Kindnet's reminders reach them in it.
    contact.language = contact.language or join_request.language
    contact.is_primary = contact.is_primary or not others_primary.exists()
    contact.save()
    return contact


def join_request_reject(
    *, join_request: JoinRequest, by: AbstractBaseUser, reason: str
) -> JoinRequest:
    """Decline the request; the reason is required and goes into the e-mail to the submitter."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give the reason for the rejection: it is sent to the submitter.")}
        )
    with transaction.atomic():
        join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
        if _decision_due(join_request, JoinRequestStatus.REJECTED, _("rejected")):
            join_request.rejection_reason = reason
            join_request.decide(JoinRequestStatus.REJECTED, by=by)
            join_request.save()
            pk = join_request.pk
            transaction.on_commit(lambda: _email_to_submitter(pk, "rejected"))
    return join_request


def join_request_withdraw(*, join_request: JoinRequest, by: AbstractBaseUser) -> JoinRequest:
    """Record that the municipality withdrew its request (it asked staff to)."""
    with transaction.atomic():
        join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
        if _decision_due(join_request, JoinRequestStatus.WITHDRAWN, _("withdrawn")):
            join_request.decide(JoinRequestStatus.WITHDRAWN, by=by)
            join_request.save()
    return join_request


# After commit: e-mails and geocoding, never inside the transaction.


def _after_submit(pk: int) -> None:
    join_request = JoinRequest.objects.select_related("municipality_reference").get(pk=pk)
    _email_send(join_request, "acknowledgement", [join_request.submitter_email])
    _email_send(
        join_request,
        "staff_notification",
        [chapter_contact_email(country=str(join_request.country))],
        reply_to=[join_request.submitter_email],
    )


def _after_approval(pk: int) -> None:
    _email_to_submitter(pk, "approved")


def _email_to_submitter(pk: int, template: str) -> None:
    join_request = JoinRequest.objects.select_related("municipality_reference").get(pk=pk)
    _email_send(join_request, template, [join_request.submitter_email])


def _email_send(
    join_request: JoinRequest, template: str, to: list[str], reply_to: list[str] | None = None
) -> None:
    """Render `template` in the submitter's language and send it; a failure is only logged."""
    language = join_request.language
    names = [f"municipalities/email/{language}/{template}", f"municipalities/email/en/{template}"]
    contact = chapter_contact_email(country=str(join_request.country))
    context = {
        "join_request": join_request,
        "contact_email": contact,
        "admin_url": settings.SITE_URL
        + reverse("admin:municipalities_joinrequest_change", args=[join_request.pk]),
    }
    with translation.override(language):
        subject = select_template([f"{n}_subject.txt" for n in names]).render(context)
        body = select_template([f"{n}_body.txt" for n in names]).render(context)
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        to=to,
        reply_to=reply_to or [contact],
    )
    try:
        message.send()
    except Exception:
        logger.exception("Could not send the %s e-mail of %s", template, join_request.reference)


def join_requests_retention_apply(
    *, dry_run: bool = False, now: datetime.datetime | None = None
) -> list[str]:
    """Delete rejected and withdrawn join requests decided JOIN_REQUEST_RETENTION_DAYS ago or
    more, with their history and consent records; their PDFs go when the deletion commits
    (crm.signals). Returns their references. Idempotent and safe to run concurrently."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.JOIN_REQUEST_RETENTION_DAYS)
    due = JoinRequest.objects.filter(
        status__in=[JoinRequestStatus.REJECTED, JoinRequestStatus.WITHDRAWN]
    ).filter(Q(decided_at__lt=cutoff) | Q(decided_at__isnull=True, updated_at__lt=cutoff))
    references = list(due.order_by("reference").values_list("reference", flat=True))
    if dry_run or not references:
        return references
    with transaction.atomic():
        ids = list(due.filter(reference__in=references).values_list("pk", flat=True))
        JoinRequest.objects.filter(pk__in=ids).delete()
        # After the rows: their deletion is itself recorded in the history.
        JoinRequest.history.model.objects.filter(id__in=ids).delete()
        ConsentEvent.objects.filter(
            purpose=ConsentPurpose.PRIVACY_NOTICE, source__in=references
        ).delete()
    return references
