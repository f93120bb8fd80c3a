"""A realistic demo network (Italy and Switzerland) and large synthetic ones for benchmarks.

Everything is generated from a fixed seed and keyed by natural keys (school code,
VAT number, municipal code, e-mail, name + city), so loading twice adds nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from stdnum import luhn
from stdnum.ch import uid

from ambassadors.models import Ambassador, AmbassadorStatus
from crm.bulk import members_bulk_create
from crm.models import (
    Agreement,
    AgreementType,
    Chapter,
    Contact,
    GeocodeStatus,
    Member,
    Recognition,
    Sector,
)
from crm.signals import network_changed_send
from municipalities.models import Municipality
from partners.models import (
    Company,
    CompanySize,
    Organization,
    OrganizationType,
    School,
    SchoolLevel,
)


@dataclass(frozen=True)
class Place:
    city: str
    province: str
    region: str
    country: str
    postal_code: str
    official_code: str  # ISTAT code (IT) or BFS number (CH)
    population: int


PLACES = [
    Place("Roma", "RM", "Lazio", "IT", "00184", "058091", 2749031),
    Place("Milano", "MI", "Lombardia", "IT", "20121", "015146", 1354196),
    Place("Torino", "TO", "Piemonte", "IT", "10121", "001272", 841600),
    Place("Napoli", "NA", "Campania", "IT", "80133", "063049", 913462),
    Place("Bologna", "BO", "Emilia-Romagna", "IT", "40121", "037006", 387971),
    Place("Firenze", "FI", "Toscana", "IT", "50122", "048017", 360930),
    Place("Genova", "GE", "Liguria", "IT", "16121", "010025", 558745),
    Place("Bari", "BA", "Puglia", "IT", "70121", "072006", 316015),
    Place("Palermo", "PA", "Sicilia", "IT", "90133", "082053", 630828),
    Place("Verona", "VR", "Veneto", "IT", "37121", "023091", 255588),
    Place("Padova", "PD", "Veneto", "IT", "35122", "028060", 206496),
    Place("Trieste", "TS", "Friuli-Venezia Giulia", "IT", "34121", "032006", 198668),
    Place("Brescia", "BS", "Lombardia", "IT", "25121", "017029", 196567),
    Place("Parma", "PR", "Emilia-Romagna", "IT", "43121", "034027", 195998),
    Place("Perugia", "PG", "Umbria", "IT", "06121", "054039", 162467),
    Place("Bergamo", "BG", "Lombardia", "IT", "24121", "016024", 120207),
    Place("Lecce", "LE", "Puglia", "IT", "73100", "075035", 94773),
    Place("Città di Castello", "PG", "Umbria", "IT", "06012", "054013", 38599),
    Place("Lugano", "TI", "Ticino", "CH", "6900", "5192", 62315),
    Place("Bellinzona", "TI", "Ticino", "CH", "6500", "5002", 43360),
    Place("Locarno", "TI", "Ticino", "CH", "6600", "5113", 16012),
    Place("Zürich", "ZH", "Zürich", "CH", "8001", "261", 421878),
    Place("Genève", "GE", "Genève", "CH", "1204", "6621", 203856),
    Place("Bern", "BE", "Bern", "CH", "3011", "351", 134591),
]

STREETS = [
    "Via Roma",
    "Via Garibaldi",
    "Via Dante",
    "Corso Italia",
    "Via Mazzini",
    "Piazza della Libertà",
    "Via Verdi",
    "Viale Europa",
    "Via San Francesco",
]
CH_STREETS = ["Via Cantonale", "Bahnhofstrasse", "Rue du Rhône", "Via Nassa", "Marktgasse"]
FIRST_NAMES = [
    "Giulia",
    "Marco",
    "Chiara",
    "Luca",
    "Francesca",
    "Andrea",
    "Sara",
    "Matteo",
    "Elena",
    "Davide",
    "Laura",
    "Simone",
    "Anna",
    "Lukas",
    "Léa",
    "Noah",
    "Mia",
]
LAST_NAMES = [
    "Rossi",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "Müller",
    "Meier",
    "Favre",
    "Bernasconi",
    "Rezzonico",
]
SCHOOL_NAMES = [
    "Istituto Comprensivo {c} {n}",
    "Liceo Scientifico Galileo Galilei {c}",
    "Scuola Primaria Gianni Rodari {c} {n}",
    "Istituto Tecnico Leonardo da Vinci {c}",
    "Scuola dell'Infanzia Arcobaleno {c} {n}",
    "Liceo Classico Manzoni {c}",
    "Scuola media {c} {n}",
]
COMPANY_NAMES = [
    "{c} Solidale S.r.l.",
    "Gentilezza & Co. {c}",
    "Tecnologie Gentili {c} S.p.A.",
    "Cooperativa Sorriso {c}",
    "{c} Green Energy SA",
    "Panificio Buono {c}",
    "Studio Architetti Aperti {c}",
]
ORG_NAMES = [
    ("Radio Gentile {c}", OrganizationType.MEDIA),
    ("Centro Ricerche Benessere {c}", OrganizationType.RESEARCH),
    ("Ospedale Civile di {c}", OrganizationType.HEALTH),
    ("Biblioteca Civica di {c}", OrganizationType.CULTURE),
    ("Associazione Mani Tese {c}", OrganizationType.ASSOCIATION),
    ("Prefettura di {c}", OrganizationType.INSTITUTION),
]
RECOGNITIONS = ["Kind School", "Kind Company", "Kind Island", "Kind City"]


def _street(rng: random.Random, place: Place) -> str:
    streets = CH_STREETS if place.country == "CH" else STREETS
    return f"{rng.choice(streets)} {rng.randint(1, 120)}"


def _vat(rng: random.Random, place: Place, index: int) -> str:
    if place.country == "CH":
        # Some 8-digit bodies have no valid check digit ("10"); take the next one that has.
        base = 10_000_000 + index * 7919
        while (check := uid.calc_check_digit(f"{base:08d}")) == "10":
            base += 1
        return f"CHE{base:08d}{check}"
    body = f"{1_000_000 + index * 7919:07d}"[:7] + "058"
    return f"IT{body}{luhn.calc_check_digit(body)}"


def _agreement_plan(rng: random.Random, today: datetime.date, index: int) -> dict:
    """Dates that cycle through every derived status, so the demo shows them all."""
    shape = index % 8
    start = today - datetime.timedelta(days=rng.randint(30, 700))
    plan = {
        "signed_on": start - datetime.timedelta(days=10),
        "starts_on": start,
        "ends_on": start + datetime.timedelta(days=3 * 365),
    }
    if shape == 1:  # expiring soon
        plan["ends_on"] = today + datetime.timedelta(days=rng.randint(5, 55))
    elif shape == 2:  # expired
        plan["starts_on"] = today - datetime.timedelta(days=900)
        plan["signed_on"] = plan["starts_on"]
        plan["ends_on"] = today - datetime.timedelta(days=rng.randint(10, 200))
    elif shape == 3:  # signed, starts next month
        plan["signed_on"] = today - datetime.timedelta(days=5)
        plan["starts_on"] = today + datetime.timedelta(days=30)
        plan["ends_on"] = plan["starts_on"] + datetime.timedelta(days=365)
    elif shape == 4:  # open-ended
        plan["ends_on"] = None
    elif shape == 5 and index % 16 == 5:  # terminated
        plan["terminated_on"] = today - datetime.timedelta(days=20)
        plan["termination_reason"] = "The school merged into another institute."
    elif shape == 6 and index % 24 == 6:  # draft
        plan["signed_on"] = None
    return plan


class DemoLoader:
    """Loads the demo network; `counts` tells what it created."""

    def __init__(self, *, seed: int = 2026) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.today = timezone.localdate()
        self.sectors = {sector.slug: sector for sector in Sector.objects.all()}
        self.counts: dict[str, int] = {}
        self.index = 0

    @transaction.atomic
    def load(self) -> dict[str, int]:
        for i in range(84):
            self._school(i)
        for i in range(50):
            self._company(i)
        for i in range(36):
            self._organization(i)
        for place in PLACES:
            self._municipality(place)
        for i in range(40):
            self._ambassador(i)
        self.counts.update(impact_demo_create(today=self.today, seed=self.seed))
        self.counts.update(activities_demo_create(today=self.today))
        return self.counts

    def _reseed(self, kind: str, key: object) -> None:
        # One stream per member: what exists already cannot shift what comes next.
        self.rng = random.Random(f"{self.seed}:{kind}:{key}")

    def _place(self) -> Place:
        # Two in three members in Italy, the rest in Switzerland, as in the real network.
        return self.rng.choice(PLACES)

    def _create(self, model, lookup: dict, fields: dict, sectors: list[str]) -> Member | None:
        self.index += 1
        if model.objects.filter(**lookup).exists():
            return None
        member = model(**lookup, **fields)
        member.save()
        member.sectors.set([self.sectors[s] for s in sectors if s in self.sectors])
        self._agreements(member)
        self.counts[model._meta.model_name] = self.counts.get(model._meta.model_name, 0) + 1
        return member

    def _address(self, place: Place) -> dict:
        return {
            "street": _street(self.rng, place),
            "postal_code": place.postal_code,
            "city": place.city,
            "province": place.province,
            "region": place.region,
            "country": place.country,
        }

    def _agreements(self, member: Member) -> None:
        plan = _agreement_plan(self.rng, self.today, self.index)
        kind = {
            "ambassador": AgreementType.AMBASSADOR_CHARTER,
            "company": AgreementType.PARTNERSHIP,
        }.get(member.kind, AgreementType.MEMBERSHIP)
        Agreement.objects.create(
            member=member,
            type=kind,
            auto_renew=self.index % 3 == 0,
            signatories=f"{member.name}\nKindnet {member.country}",
            **plan,
        )
        if self.index % 7 == 0:
            Recognition.objects.create(
                member=member,
                title=RECOGNITIONS[self.index % len(RECOGNITIONS)],
                awarded_on=self.today - datetime.timedelta(days=self.rng.randint(10, 400)),
            )

    def _contact(self, member: Member, role: str) -> None:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        Contact.objects.create(
            member=member,
            name=f"{first} {last}",
            role=role,
            is_primary=True,
            email=f"{first}.{last}@example.org".lower(),
            phone=f"{'+41 91' if member.country == 'CH' else '+39 06'} "
            f"{self.rng.randint(1000000, 9999999)}",
        )

    def _school(self, i: int) -> None:
        self._reseed("school", i)
        place = self._place()
        code = f"{place.province}IC{i:03d}{'X' if place.country == 'CH' else 'A'}"
        name = SCHOOL_NAMES[i % len(SCHOOL_NAMES)].format(c=place.city, n=i % 9 + 1)
        member = self._create(
            School,
            {"school_code": code},
            {
                "name": name,
                **self._address(place),
                "level": list(SchoolLevel.values)[i % 7],
                "students": self.rng.randint(80, 1400),
                "email": f"school{i}@scuole.example",
                "website": f"https://school{i}.example.org",
                "description": "A school that runs a kindness programme in every class.",
            },
            ["education"] + (["culture"] if i % 3 == 0 else []),
        )
        if member:
            self._contact(member, "Head teacher")

    def _company(self, i: int) -> None:
        self._reseed("company", i)
        place = self._place()
        member = self._create(
            Company,
            {"vat_number": _vat(self.rng, place, i)},
            {
                "name": COMPANY_NAMES[i % len(COMPANY_NAMES)].format(c=place.city),
                **self._address(place),
                "size": list(CompanySize.values)[i % 4],
                "employees": self.rng.randint(3, 900),
                "website": f"https://company{i}.example.com",
                "description": "A company that brings kindness into the workplace.",
            },
            ["business", "economy"] + (["environment"] if i % 4 == 0 else []),
        )
        if member:
            self._contact(member, "HR manager")

    def _organization(self, i: int) -> None:
        self._reseed("organization", i)
        place = self._place()
        template, org_type = ORG_NAMES[i % len(ORG_NAMES)]
        name = template.format(c=place.city)
        sector = {
            "media": "culture",
            "research": "education",
            "health": "health",
            "culture": "culture",
            "association": "justice",
            "institution": "justice",
        }
        self._create(
            Organization,
            {"name": name, "city": place.city, "country": place.country},
            {
                **{k: v for k, v in self._address(place).items() if k not in {"city", "country"}},
                "type": org_type,
                "website": f"https://org{i}.example.org",
                "description": "A partner organisation of the movement.",
            },
            [sector[org_type]],
        )

    def _municipality(self, place: Place) -> None:
        self._reseed("municipality", place.official_code)
        resolution = self.today - datetime.timedelta(days=self.rng.randint(60, 900))
        member = self._create(
            Municipality,
            {"official_code": place.official_code, "country": place.country},
            {
                "name": place.city,
                "city": place.city,
                "province": place.province,
                "region": place.region,
                "postal_code": place.postal_code,
                "population": place.population,
                "mayor": f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                "resolution_number": f"{self.rng.randint(1, 250)}/{resolution.year}",
                "resolution_date": resolution,
                "joined_on": resolution,
                "website": f"https://www.comune.{place.city.lower().replace(' ', '')}.example",
                "description": "A municipality that adopted the kindness charter.",
            },
            ["justice", "culture"],
        )
        if member:
            self._contact(member, "Councillor for social policies")

    def _ambassador(self, i: int) -> None:
        self._reseed("ambassador", i)
        place = self._place()
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
        appointed = self.today - datetime.timedelta(days=self.rng.randint(30, 800))
        self._create(
            Ambassador,
            {"email": f"{first}.{last}.{i}@volunteers.example".lower()},
            {
                "first_name": first,
                "last_name": last,
                **self._address(place),
                "status": list(AmbassadorStatus.values)[i % 4],
                "appointed_on": appointed,
                "term_ends_on": appointed + datetime.timedelta(days=730),
                "map_consent": i % 3 != 0,
                "phone": f"+41 79 {self.rng.randint(1000000, 9999999)}",
            },
            ["education"],
        )


def synthetic_network_create(*, members: int, seed: int = 1, geocoded: bool = True) -> int:
    """Add `members` synthetic members (schools, companies, …) with active agreements.

    Coordinates are scattered around the demo places and marked located, so the map
    feed and its benchmark have something to draw without a geocoder.
    """
    rng = random.Random(seed)
    today = timezone.localdate()
    start = Member.objects.count()
    kinds = [School, Company, Organization, Municipality]
    made = 0
    batch = 5000
    for offset in range(0, members, batch):
        size = min(batch, members - offset)
        by_kind: dict[type, list[Member]] = {}
        for n in range(start + offset, start + offset + size):
            place = PLACES[n % len(PLACES)]
            model = kinds[n % len(kinds)]
            fields = {
                "name": f"Synthetic {model.__name__} {n}",
                "city": place.city,
                "province": place.province,
                "region": place.region,
                "country": place.country,
                "postal_code": place.postal_code,
                "description": "Synthetic member for benchmarks.",
            }
            if geocoded:
                fields.update(
                    latitude=36 + rng.random() * 11,
                    longitude=6 + rng.random() * 12,
                    geocode_status=GeocodeStatus.OK,
                    geocode_precision="city",
                    geocode_provider="synthetic",
                )
            by_kind.setdefault(model, []).append(model(**fields))
        with transaction.atomic():
            created = [m for rows in by_kind.values() for m in members_bulk_create(rows)]
            Agreement.objects.bulk_create(
                Agreement(
                    member_id=m.pk,
                    reference=f"SYN-{m.pk:08d}",
                    type=AgreementType.MEMBERSHIP,
                    signed_on=today - datetime.timedelta(days=40),
                    starts_on=today - datetime.timedelta(days=30),
                    ends_on=today + datetime.timedelta(days=700),
                )
                for m in created
            )
            # Bulk writes send no model signal: tell the map (and anyone listening) now.
            network_changed_send(sender=Member, member_ids=[m.pk for m in created])
        made += size
    return made


# --- Impact (issue 16): programmes, deliveries, measurements, recognition rules ----------

#: (name, type, chapter's country, sectors, target, kind of target, member kind,
#:  participant kind and range, sessions range, accreditation)
DEMO_PROGRAMMES = [
    (
        "Gentilezza a scuola",
        "course",
        "IT",
        ["education"],
        5000,
        "students",
        "school",
        ("students", 60, 320),
        (3, 8),
        ("Accredited training course", "Ministry of Education"),
    ),
    (
        "Kindness in care",
        "training",
        "CH",
        ["health"],
        6000,
        "health_workers",
        "organization",
        ("health_workers", 40, 260),
        (2, 6),
        None,
    ),
    (
        "Kind workplace",
        "workshop",
        "IT",
        ["business", "economy"],
        None,
        "",
        "company",
        ("employees", 12, 140),
        (1, 4),
        None,
    ),
    (
        "Kindness festival",
        "festival",
        "IT",
        ["culture"],
        None,
        "",
        "municipality",
        ("citizens", 300, 2500),
        (1, 3),
        None,
    ),
    (
        "Kind city",
        "campaign",
        "CH",
        ["justice"],
        20000,
        "citizens",
        "municipality",
        ("citizens", 200, 1800),
        (1, 2),
        None,
    ),
    (
        "B-Kind study",
        "study",
        "IT",
        ["education", "health"],
        1200,
        "students",
        "school",
        ("students", 20, 70),
        (2, 2),
        None,
    ),
]
DEMO_RULES = [
    (
        "Kind School",
        "school",
        1,
        12,
        "A school with an active agreement that delivered a programme in the last 12 months.",
    ),
    (
        "Kind Company",
        "company",
        1,
        12,
        "A company with an active agreement that ran a workshop or training in the last 12 months.",
    ),
    (
        "Kind City",
        "municipality",
        2,
        24,
        "A municipality with an active agreement that held two programmes in the last 24 months.",
    ),
]


def impact_demo_create(*, today: datetime.date, seed: int = 2026) -> dict[str, int]:
    """Programmes delivered at the demo members over three years, B-Kind Test results
    for most school and care deliveries, and the rules of the demo's recognitions, so
    that the impact report and the public figures are meaningful. Added once."""
    from impact.models import (
        Delivery,
        Instrument,
        Measurement,
        Programme,
        RecognitionRule,
    )

    if Programme.objects.filter(name=DEMO_PROGRAMMES[0][0]).exists():
        return {}
    rng = random.Random(f"{seed}:impact")
    chapters = {chapter.country: chapter for chapter in Chapter.objects.all()}
    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    instrument, _ = Instrument.objects.get_or_create(name="B-Kind Test")
    members_by_kind: dict[str, list[int]] = {}
    for pk, kind in Member.objects.order_by("pk").values_list("pk", "kind"):
        members_by_kind.setdefault(kind, []).append(pk)
    members_by_kind["organization"] = members_by_kind.get("organization", []) + [
        pk for pk in members_by_kind.get("company", []) if pk % 4 == 0
    ]
    deliveries: list[Delivery] = []
    programmes = 0
    for spec in DEMO_PROGRAMMES:
        name, kind, country, slugs, target, target_kind, member_kind = spec[:7]
        (participant, low, high), (few, many), accreditation = spec[7], spec[8], spec[9]
        chapter = chapters.get(country)
        if chapter is None:
            continue
        programme = Programme.objects.create(
            name=name,
            programme_type=kind,
            chapter=chapter,
            starts_on=today.replace(year=today.year - 3, month=1, day=15),
            description=f"{name}: a programme of the kindness movement.",
            target_participants=target,
            target_kind=target_kind,
            accreditation=accreditation[0] if accreditation else "",
            accredited_by=accreditation[1] if accreditation else "",
            accredited_on=today.replace(year=today.year - 3, month=1, day=10)
            if accreditation
            else None,
        )
        programme.sectors.set([sectors[slug] for slug in slugs if slug in sectors])
        programmes += 1
        hosts = members_by_kind.get(member_kind, [])
        for member_id in rng.sample(hosts, k=min(len(hosts), max(3, len(hosts) * 2 // 3))):
            started = today - datetime.timedelta(days=rng.randint(5, 3 * 365))
            counts = {participant: rng.randint(low, high)}
            if participant == "students":
                counts["teachers"] = rng.randint(2, 25)
            deliveries.append(
                Delivery(
                    programme=programme,
                    member_id=member_id,
                    started_on=started,
                    ended_on=min(today, started + datetime.timedelta(days=rng.randint(0, 90))),
                    sessions=rng.randint(few, many),
                    **counts,
                )
            )
    created = Delivery.objects.bulk_create(deliveries)
    measurements = []
    for delivery in created:
        measured = delivery.programme.programme_type in {"course", "training", "study"}
        if not measured or rng.random() < 0.25:
            continue
        before = rng.uniform(52, 64)
        measurements.append(
            Measurement(
                delivery=delivery,
                instrument=instrument,
                measured_on=delivery.ended_on or delivery.started_on,
                respondents=max(1, min(delivery.participants, rng.randint(15, 120))),
                mean_before=round(before, 1),
                mean_after=round(before + rng.uniform(1.5, 8.5), 1),
                sd_before=round(rng.uniform(8, 14), 1),
                sd_after=round(rng.uniform(8, 13), 1),
            )
        )
    Measurement.objects.bulk_create(measurements)
    for title, member_kind, needed, months, description in DEMO_RULES:
        RecognitionRule.objects.get_or_create(
            title=title,
            defaults={
                "member_kind": member_kind,
                "deliveries_required": needed,
                "within_months": months,
                "description": description,
            },
        )
    # Most hosts let the public map list their programmes; ambassadors are never asked here.
    hosts = sorted({d.member_id for d in created})
    Member.objects.filter(pk__in=hosts[::3] + hosts[1::3]).exclude(kind="ambassador").update(
        show_programmes=True
    )
    # Bulk writes send no model signal: tell the map and the public figures now.
    network_changed_send(sender=Member, member_ids=hosts)
    return {
        "programme": programmes,
        "delivery": len(created),
        "measurement": len(measurements),
    }


def synthetic_deliveries_create(*, deliveries: int, seed: int = 1) -> int:
    """Add `deliveries` synthetic deliveries of a few programmes at existing members (with
    participants of every kind and a B-Kind Test result on one in four), for benchmarks."""
    from impact.models import Delivery, Instrument, Measurement, Programme

    rng = random.Random(seed)
    chapter = Chapter.objects.order_by("pk").first()
    sectors = list(Sector.objects.all())
    programmes = []
    for n, kind in enumerate(["course", "training", "workshop", "festival", "campaign"]):
        programme, _ = Programme.objects.get_or_create(
            chapter=chapter,
            name=f"Synthetic programme {n}",
            defaults={"programme_type": kind, "starts_on": datetime.date(2020, 1, 1)},
        )
        programme.sectors.set(sectors[n % len(sectors) :][:2])
        programmes.append(programme)
    member_ids = list(Member.objects.order_by("pk").values_list("pk", flat=True))
    instrument, _ = Instrument.objects.get_or_create(name="B-Kind Test")
    today = timezone.localdate()
    made = 0
    taken: set[tuple[int, int, int]] = set()  # (programme, member, days ago): unique
    for offset in range(0, deliveries, 5000):
        rows = []
        for n in range(offset, min(deliveries, offset + 5000)):
            programme, member_id = n % len(programmes), member_ids[n % len(member_ids)]
            ago = rng.randint(0, 1500)
            while (programme, member_id, ago) in taken:
                ago += 1
            taken.add((programme, member_id, ago))
            rows.append(
                Delivery(
                    programme=programmes[programme],
                    member_id=member_id,
                    started_on=today - datetime.timedelta(days=ago),
                    sessions=rng.randint(1, 6),
                    students=rng.randint(0, 300),
                    teachers=rng.randint(0, 20),
                    health_workers=rng.randint(0, 50),
                    employees=rng.randint(0, 80),
                    citizens=rng.randint(0, 500),
                )
            )
        with transaction.atomic():
            created = Delivery.objects.bulk_create(rows)
            Measurement.objects.bulk_create(
                Measurement(
                    delivery=delivery,
                    instrument=instrument,
                    measured_on=delivery.started_on,
                    respondents=rng.randint(5, 80),
                    mean_before=55.0,
                    mean_after=60.0,
                    sd_before=10.0,
                    sd_after=9.0,
                )
                for delivery in created[::4]
            )
        made += len(created)
    network_changed_send(sender=Member, member_ids=None)
    return made


#: The demo's activities: (member kind, activity kind, days ago, summary, follow-up title,
#: due in days, done).
#: Some follow-ups are overdue, one is due today, one is done, so the dashboard's
#: "Follow-ups due to me" panel and the members' timelines show each case.
DEMO_ACTIVITIES = [
    (
        "school",
        "meeting",
        40,
        "Met the head teacher: the kindness week is planned for the spring.",
        "Send the kindness week materials",
        -12,
        False,
    ),
    (
        "school",
        "call",
        21,
        "Called about renewing the agreement; they want to go on.",
        "Send the renewal to sign",
        -5,
        False,
    ),
    (
        "organization",
        "visit",
        14,
        "Visited the workshop with two volunteers; forty people took part.",
        "Share the workshop photos with the member",
        -2,
        False,
    ),
    (
        "school",
        "email",
        7,
        "Wrote about the B-Kind Test results of last term.",
        "Call back about the B-Kind Test results",
        0,
        False,
    ),
    (
        "company",
        "workshop",
        60,
        "Ran a training for the staff on kind communication.",
        "Collect the participants' feedback",
        -45,
        True,
    ),
    (
        "municipality",
        "meeting",
        3,
        "Met the councillor: the council votes on the charter next month.",
        "Prepare the charter's presentation for the council",
        10,
        False,
    ),
    (
        "company",
        "call",
        2,
        "Introductory call: interested in the kindness programme for employees.",
        "Propose dates for a first workshop",
        25,
        False,
    ),
]


def activities_demo_create(*, today: datetime.date) -> dict[str, int]:
    """A few activities with their follow-ups at demo members, assigned to the first
    superuser (the `admin` of `manage.py ensure_admin`, which `make data` runs before
    `load_demo`), unassigned when there is none. Added once."""
    from django.contrib.auth import get_user_model

    from activities.models import Activity, FollowUp

    if Activity.objects.filter(summary=DEMO_ACTIVITIES[0][3]).exists():
        return {}
    admin = (
        get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    )
    used: dict[str, int] = {}
    activities = follow_ups = 0
    for member_kind, kind, days_ago, summary, title, due_in, done in DEMO_ACTIVITIES:
        index = used[member_kind] = used.get(member_kind, -1) + 1
        of_kind = Member.objects.filter(kind=member_kind).order_by("pk")
        member = of_kind.prefetch_related("contacts")[index : index + 1].first()
        if member is None:
            continue
        happened_on = today - datetime.timedelta(days=days_ago)
        activity = Activity.objects.create(
            member=member, kind=kind, happened_on=happened_on, staff=admin, summary=summary
        )
        activity.contacts.set([c for c in member.contacts.all() if c.is_primary])
        FollowUp.objects.create(
            member=member,
            activity=activity,
            title=title,
            due_on=today + datetime.timedelta(days=due_in),
            assignee=admin,
            done_on=today - datetime.timedelta(days=1) if done else None,
        )
        activities += 1
        follow_ups += 1
    return {"activity": activities, "follow-up": follow_ups} if activities else {}
