"""The shared core of the network: every kind of member, their agreements and contacts."""

from .access import (
    ChapterScope,
    ConsentAction,
    ConsentEvent,
    ConsentPurpose,
    PersonalDataAccess,
    Role,
)
from .agreement import (
    AGREEMENT_TERMS_FIELDS,
    Agreement,
    AgreementNotice,
    AgreementNoticeKind,
    AgreementQuerySet,
    AgreementStatus,
    AgreementType,
)
from .member import (
    GEOCODE_FIELDS,
    KIND_APP_LABELS,
    MEMBER_EDITABLE_FIELDS,
    Contact,
    FixedPoint,
    GeocodePrecision,
    GeocodeStatus,
    Member,
    MemberKind,
    MemberQuerySet,
    MembershipStatus,
    Recognition,
)
from .reference import Chapter, Sector

__all__ = [
    "AGREEMENT_TERMS_FIELDS",
    "GEOCODE_FIELDS",
    "KIND_APP_LABELS",
    "MEMBER_EDITABLE_FIELDS",
    "Agreement",
    "AgreementNotice",
    "AgreementNoticeKind",
    "AgreementQuerySet",
    "AgreementStatus",
    "AgreementType",
    "Chapter",
    "ChapterScope",
    "ConsentAction",
    "ConsentEvent",
    "ConsentPurpose",
    "Contact",
    "FixedPoint",
    "GeocodePrecision",
    "GeocodeStatus",
    "Member",
    "MemberKind",
    "MemberQuerySet",
    "MembershipStatus",
    "PersonalDataAccess",
    "Recognition",
    "Role",
    "Sector",
]
