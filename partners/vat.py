"""VAT and company tax numbers: validated and stored with their country prefix.

Storing "IT01234567890" rather than "01234567890" makes one unique column mean
"unique per country", which a constraint can enforce on the company table alone.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import ch, eu
from stdnum.exceptions import ValidationError as StdnumError


def vat_normalize(number: str, country: str) -> str:
    """`number` in its canonical form with the country prefix, or ValidationError."""
    raw = "".join(ch_ for ch_ in number.upper() if ch_.isalnum())
    if not raw:
        return ""
    country = (country or "").upper()
    if country == "CH":
        candidate = raw if raw.startswith("CHE") else f"CHE{raw.removeprefix('CH')}"
        module = ch.uid
        try:
            return module.compact(module.validate(candidate))
        except StdnumError as exc:
            raise ValidationError(
                _("%(number)s is not a valid Swiss UID/VAT number (%(why)s).")
                % {"number": number, "why": exc.message}
            ) from exc
    prefix = "EL" if country == "GR" else country
    candidate = raw if raw[:2].isalpha() else f"{prefix}{raw}"
    if not candidate.startswith(prefix) and country:
        raise ValidationError(
            _("%(number)s is a VAT number of another country than %(country)s.")
            % {"number": number, "country": country}
        )
    try:
        return eu.vat.compact(eu.vat.validate(candidate))
    except StdnumError as exc:
        raise ValidationError(
            _("%(number)s is not a valid VAT number for %(country)s (%(why)s).")
            % {"number": number, "country": country or "?", "why": exc.message}
        ) from exc
