"""Signed links: the sign-up confirmation (expires) and the personal unsubscribe (does not).

Signed with SECRET_KEY and a salt per purpose, so a token of one kind is never valid as the
other, and nothing needs to be stored to check one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "mailings.confirm"
UNSUBSCRIBE_SALT = "mailings.unsubscribe"
#: What a test message's unsubscribe link carries: it shows the page and changes nothing.
TEST_DELIVERY = 0


class ConfirmationExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def confirmation_token(*, subscriber_id: int, email: str) -> str:
    return signing.dumps([subscriber_id, email], salt=CONFIRM_SALT, compress=True)


def confirmation_token_read(token: str) -> tuple[int, str]:
    """(subscriber id, e-mail); ConfirmationExpired after NEWSLETTER_CONFIRM_DAYS days."""
    try:
        subscriber_id, email = signing.loads(
            token, salt=CONFIRM_SALT, max_age=settings.NEWSLETTER_CONFIRM_DAYS * 86400
        )
    except signing.SignatureExpired:
        raise ConfirmationExpired from None
    except (signing.BadSignature, ValueError, TypeError):
        raise TokenInvalid from None
    return int(subscriber_id), str(email)


@dataclass(frozen=True)
class UnsubscribeRequest:
    delivery_id: int  # TEST_DELIVERY for a staff member's test message
    email: str

    @property
    def is_test(self) -> bool:
        return self.delivery_id == TEST_DELIVERY


def _unsubscribe_signer() -> signing.Signer:
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(*, delivery_id: int, email: str) -> str:
    # "<delivery>.<address in URL-safe base64>:<signature>": one HMAC, made per recipient.
    address = signing.b64_encode(email.encode()).decode()
    return _unsubscribe_signer().sign(f"{delivery_id}.{address}")


def unsubscribe_token_read(token: str) -> UnsubscribeRequest:
    try:
        delivery_id, address = _unsubscribe_signer().unsign(token).split(".", 1)
        return UnsubscribeRequest(
            delivery_id=int(delivery_id), email=signing.b64_decode(address.encode()).decode()
        )
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise TokenInvalid from None
