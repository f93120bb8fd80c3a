"""Who an audience reaches: the one place that decides who may be written to."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from crm.models import Agreement, Contact, Member, MemberKind
from mailings.models import Audience, Subscriber, SubscriberStatus, Suppression


@dataclass
class Recipients:
    """Each consenting address once (lower case), with the language it is written to in,
    and how many came from each group (an address in two groups counts in the first)."""

    languages: dict[str, str] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.languages)


def _member_language(prefix: str = "") -> Case:
    """The language of people of the network: Italian in Italy and in Ticino, else English."""
    italian = Q(**{f"{prefix}country": "IT"}) | Q(
        **{f"{prefix}country": "CH", f"{prefix}province__iexact": "TI"}
    )
    return Case(
        When(italian, then=Value("it")),
        default=Value("en"),
        output_field=CharField(),
    )


def _members(audience: Audience) -> QuerySet[Member]:
    members = Member.objects.all()
    if audience.chapter_id:
        members = members.filter(chapter_id=audience.chapter_id)
    if audience.country:
        members = members.filter(country=audience.country)
    if audience.region:
        members = members.filter(
            Q(region__iexact=audience.region) | Q(province__iexact=audience.region)
        )
    if audience.sector_id:
        members = members.filter(sectors=audience.sector_id)
    if audience.membership_status:
        members = members.with_membership_status(audience.membership_status)
    if audience.agreement_expiring_within_days is not None:
        expiring = Agreement.objects.expiring_within(audience.agreement_expiring_within_days)
        members = members.filter(Exists(expiring.filter(member=OuterRef("pk"))))
    return members


def _consenting(queryset: QuerySet, *, email: str, language) -> QuerySet:
    """(address, language) of the rows of `queryset`, without empty or suppressed ones."""
    suppressed = Suppression.objects.filter(email=OuterRef("address"))
    return (
        queryset.exclude(**{email: ""})
        .annotate(address=Lower(email), lang=language)
        .filter(~Exists(suppressed))
        .values_list("address", "lang")
    )


def audience_recipients(audience: Audience) -> Recipients:
    """Everyone the audience reaches now: confirmed subscribers, contacts and ambassadors
    with the e-mail consent, minus every suppressed address; each address once."""
    sources: list[tuple[str, QuerySet]] = []
    if audience.include_subscribers:
        subscribers = Subscriber.objects.filter(status=SubscriberStatus.CONFIRMED)
        sources.append(
            ("subscribers", _consenting(subscribers, email="email", language=F("language")))
        )
    if audience.include_ambassadors and audience.member_kind in ("", MemberKind.AMBASSADOR):
        ambassadors = _members(audience).filter(
            kind=MemberKind.AMBASSADOR, ambassador__email_consent=True
        )
        sources.append(
            ("ambassadors", _consenting(ambassadors, email="email", language=_member_language()))
        )
    if audience.include_contacts:
        members = _members(audience).exclude(kind=MemberKind.AMBASSADOR)
        if audience.member_kind:
            members = members.filter(kind=audience.member_kind)
        contacts = Contact.objects.filter(email_consent=True, member__in=members.values("pk"))
        language = _member_language("member__")
        sources.append(("contacts", _consenting(contacts, email="email", language=language)))
    found = Recipients()
    for name, rows in sources:
        count = 0
        for address, language in rows.iterator(chunk_size=5000):
            if audience.language and language != audience.language:
                continue
            if address not in found.languages:
                found.languages[address] = language
                count += 1
        found.by_source[name] = count
    return found
