"""VAT and company tax numbers: validated and stored with their country prefix.

Storing "IT01234567890" rather than "01234567890" makes one unique column mean
"unique per country", which a constraint can enforce on the company table alone.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

# Swiss numbers are often written with the tax's name after them: CHE-123.456.789 MWST.
SWISS_SUFFIXES = ("MWST", "TVA", "IVA", "VAT")


def _reason(exc: StdnumError) -> str:
    """Why python-stdnum refused a number, in the user's language (its own text is English)."""
    if isinstance(exc, InvalidLength):
        return _("wrong number of digits")
    if isinstance(exc, InvalidChecksum):
        return _("the check digit does not match")
    return _("unexpected characters or format")


def vat_normalize(number: str, country: str) -> str:
    """`number` in its canonical form with the country prefix, or ValidationError.

    EU countries and Switzerland are checked with their official rules; for other
    countries the number is only tidied and prefixed, since we cannot check it.
    """
    raw = "".join(char for char in number.upper() if char.isalnum())
    if not raw:
        return ""
    country = (country or "").upper()
    if country == "CH":
        for suffix in SWISS_SUFFIXES:
            raw = raw.removesuffix(suffix)
        candidate = raw if raw.startswith("CHE") else f"CHE{raw.removeprefix('CH')}"
        try:
            return ch_uid.compact(ch_uid.validate(candidate))
        except StdnumError as exc:
            raise ValidationError(
                _("%(number)s is not a valid Swiss UID/VAT number: %(why)s.")
                % {"number": number, "why": _reason(exc)}
            ) from exc
    prefix = "EL" if country == "GR" else country
    candidate = raw if raw[:2].isalpha() else f"{prefix}{raw}"
    if country and not candidate.startswith(prefix):
        raise ValidationError(
            _("%(number)s is a VAT number of another country than %(country)s.")
            % {"number": number, "country": country}
        )
    if prefix.lower() not in eu_vat.MEMBER_STATES:
        return candidate
    try:
        return eu_vat.compact(eu_vat.validate(candidate))
    except StdnumError as exc:
        raise ValidationError(
            _("%(number)s is not a valid VAT number for %(country)s: %(why)s.")
            % {"number": number, "country": country, "why": _reason(exc)}
        ) from exc
