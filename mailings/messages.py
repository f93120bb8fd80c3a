"""The e-mails of a mailing: Markdown rendered once per language and batch, then each
recipient's copy with their own unsubscribe link and the RFC 8058 one-click headers."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from markdown_it import MarkdownIt

from mailings.models import Mailing
from mailings.tokens import unsubscribe_token

#: CommonMark without raw HTML: what staff type is shown, never run (links are checked too).
_markdown = MarkdownIt("commonmark", {"html": False})
_LINK = "__UNSUBSCRIBE_URL__"


def unsubscribe_url(*, delivery_id: int, email: str, prefix: str | None = None) -> str:
    """The recipient's own unsubscribe page; `prefix` (the URL without the token) may be
    passed by a caller that makes many, so the URL is resolved once."""
    if prefix is None:
        prefix = _unsubscribe_prefix()
    return prefix.replace(_TOKEN, unsubscribe_token(delivery_id=delivery_id, email=email))


_TOKEN = "__TOKEN__"


def _unsubscribe_prefix() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("newsletter_unsubscribe", args=[_TOKEN])


class MailingComposer:
    """Builds the messages of one mailing; each language's text and HTML are made once."""

    def __init__(self, mailing: Mailing) -> None:
        self.mailing = mailing
        self._versions: dict[str, tuple[str, str, str]] = {}
        self._url = _unsubscribe_prefix()

    def _version(self, language: str) -> tuple[str, str, str]:
        if language not in self._versions:
            subject, body = self.mailing.version(language)
            with translation.override(language):
                context = {"subject": subject, "body": body, "unsubscribe_url": _LINK}
                text = render_to_string("mailings/email/mailing.txt", context)
                context["html"] = _markdown.render(body)
                html = render_to_string("mailings/email/mailing.html", context)
            self._versions[language] = (subject, text, html)
        return self._versions[language]

    def message(self, *, delivery_id: int, email: str, language: str) -> EmailMultiAlternatives:
        subject, text, html = self._version(language)
        url = unsubscribe_url(delivery_id=delivery_id, email=email, prefix=self._url)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text.replace(_LINK, url),
            to=[email],
            headers={
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.attach_alternative(html.replace(_LINK, url), "text/html")
        return message
