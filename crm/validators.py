"""The rules every value obeys wherever it enters: admin, API, imports, the join form.

Models call these from `normalize()` (silent canonical forms: control characters out,
phone numbers in E.164 when they parse) and from `clean_fields()` (field errors: a phone
number that does not parse, a date out of bounds). Every entry path runs the model's
validation, so one rule here is the same rule everywhere; see README, "Clean data".
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django_countries import countries

#: No date of the movement's life (resolutions, agreements, titles, appointments) is older.
EARLIEST_DATE = datetime.date(1990, 1, 1)
#: How far ahead a planned date (an agreement's end, a term's end) may reach.
PLAN_HORIZON_YEARS = 30

# Control characters (Unicode category Cc) and the invisible format characters that
# reorder or hide text (bidi overrides, zero-width); tab and newline survive in long text.
_INVISIBLE_FORMATS = "\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE_FORMATS}]")
_CONTROLS_LONG_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE_FORMATS}]")


_ONE_LINE_BREAKS = re.compile(r"[\t\n\r\v\f]+")


def text_clean(value: str, *, multiline: bool = False) -> str:
    """`value` without control characters and surrounding blanks.

    One-line text loses every control character (a tab or newline becomes a space);
    long text (`multiline`) keeps newlines and tabs, with Windows and old Mac line ends
    turned into plain newlines.
    """
    if not value:
        return value
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROLS_LONG_TEXT.sub("", value).strip()
    if _CONTROLS.search(value) is None:  # nearly always: one scan instead of two rewrites
        return value.strip()
    value = _ONE_LINE_BREAKS.sub(" ", value)
    return _CONTROLS.sub("", value).strip()


@functools.cache
def _text_fields(model: type[models.Model]) -> tuple[tuple[str, bool], ...]:
    """(attname, keeps newlines) of every free-text field of `model` (no choices)."""
    return tuple(
        (field.attname, isinstance(field, models.TextField))
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and not field.choices
    )


def text_fields_clean(instance: models.Model) -> None:
    """Apply `text_clean` to every text field of `instance` (TextField keeps newlines)."""
    values = instance.__dict__
    for attname, multiline in _text_fields(type(instance)):
        value = values.get(attname)
        if isinstance(value, str) and value:
            cleaned = text_clean(value, multiline=multiline)
            if cleaned is not value:
                setattr(instance, attname, cleaned)


def _country_code(country: object) -> str:
    code = str(getattr(country, "code", country) or "").upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else ""


def phone_example(country: object) -> str:
    """A fixed-line number of `country` in international form: +39 02 1234 5678."""
    code = _country_code(country) or "IT"
    example = phonenumbers.example_number_for_type(code, phonenumbers.PhoneNumberType.FIXED_LINE)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


#: E.164 forms already computed, by (value as typed, country); bounded. An import asks the
#: same row's number several times (normalise, validate, write): phonenumbers parses once.
_E164_SEEN: dict[tuple[str, str], str] = {}
_E164_SEEN_MAX = 8192


def phone_e164(value: str, country: object) -> str:
    """`value` as an E.164 number (+390212345678), read as a number of `country` unless
    it starts with +; "" stays "". Raises ValidationError naming the expected form."""
    value = text_clean(value or "")
    if not value:
        return ""
    code = _country_code(country)
    known = _E164_SEEN.get((value, code))
    if known is not None:
        return known
    try:
        number = phonenumbers.parse(value, code or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Enter a valid phone number for %(country)s, e.g. %(example)s.")
            % {"country": countries.name(code or "IT"), "example": phone_example(code)},
            code="invalid_phone",
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(_E164_SEEN) >= _E164_SEEN_MAX:
        _E164_SEEN.clear()
    # The E.164 form reads back as itself, so the next call with it needs no parse either.
    _E164_SEEN[(value, code)] = _E164_SEEN[(e164, code)] = e164
    return e164


def phone_normalize(value: str, country: object) -> str:
    """`value` in E.164 when it parses; otherwise as typed (validation will refuse it)."""
    try:
        return phone_e164(value, country)
    except ValidationError:
        return text_clean(value or "")


def fields_clean_with_phones(
    instance: models.Model,
    clean_fields: Callable[..., None],
    *,
    exclude: Iterable[str] | None,
    phones: dict[str, object],
) -> None:
    """A model's `clean_fields`: Django's own checks (`clean_fields`, the super method),
    then each phone field of `phones` (name: its country) stored in E.164 or reported.
    One ValidationError with every field's errors."""
    exclude = set(exclude or ())
    errors: dict = {}
    try:
        clean_fields(exclude=exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    for name, country in phones.items():
        if name in exclude or name in errors:
            continue
        try:
            setattr(instance, name, phone_e164(getattr(instance, name), country))
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.error_list)
    if errors:
        raise ValidationError(errors)


def website_normalize(value: str) -> str:
    """A website typed without its scheme (www.example.org) gets https://."""
    value = text_clean(value or "")
    if value and "://" not in value and "." in value and " " not in value:
        return f"https://{value}"
    return value


@deconstructible
class DateNotBeforeValidator:
    """A date on or after `earliest` (1 January 1990 unless told)."""

    code = "date_too_early"

    def __init__(self, earliest: datetime.date = EARLIEST_DATE) -> None:
        self.earliest = earliest

    def __call__(self, value: datetime.date | None) -> None:
        if value is not None and value < self.earliest:
            raise ValidationError(
                _("Enter a date on or after %(earliest)s (YYYY-MM-DD).")
                % {"earliest": self.earliest.isoformat()},
                code=self.code,
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateNotBeforeValidator) and self.earliest == other.earliest

    def __hash__(self) -> int:
        return hash(self.earliest)


@deconstructible
class DateNotAfterValidator:
    """A date at most `years_ahead` years after today (0: not in the future).

    `message` names the field when a generic sentence would be vague ("The signing date
    cannot be in the future.").
    """

    code = "date_too_late"

    def __init__(self, years_ahead: int = 0, message: str | None = None) -> None:
        self.years_ahead = years_ahead
        self.message = message

    def latest(self) -> datetime.date:
        today = timezone.localdate()
        try:
            return today.replace(year=today.year + self.years_ahead)
        except ValueError:  # 29 February
            return today.replace(year=today.year + self.years_ahead, day=28)

    def __call__(self, value: datetime.date | None) -> None:
        if value is None or value <= self.latest():
            return
        if self.message:
            message = self.message
        elif self.years_ahead:
            message = _("Enter a date at most %(years)d years from today.") % {
                "years": self.years_ahead
            }
        else:
            message = _("The date cannot be in the future.")
        raise ValidationError(message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DateNotAfterValidator)
            and self.years_ahead == other.years_ahead
            and str(self.message or "") == str(other.message or "")
        )

    def __hash__(self) -> int:
        return hash(self.years_ahead)


date_not_before_1990 = DateNotBeforeValidator()
date_not_in_future = DateNotAfterValidator()
date_within_plan_horizon = DateNotAfterValidator(years_ahead=PLAN_HORIZON_YEARS)

#: The validators of a date that has happened (a resolution, a signature, an award).
PAST_DATE_VALIDATORS = [date_not_before_1990, date_not_in_future]
#: The validators of a date that may be planned ahead (a start, an end, a term).
PLANNED_DATE_VALIDATORS = [date_not_before_1990, date_within_plan_horizon]


def date_in_range(value: datetime.date | None, validators: list) -> list[str]:
    """The messages of every validator `value` fails (for forms that are not model forms)."""
    messages: list[str] = []
    for validator in validators:
        try:
            validator(value)
        except ValidationError as exc:
            messages.extend(exc.messages)
    return messages
