"""The front page: the network's figures, a preview of the map, the ways in."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe
from django_countries import countries

from crm.models import Member, MemberKind
from frontpage.selectors import NetworkFigures, PreviewCell, network_figures

#: The preview's width in SVG units; its height follows the map's default box.
PREVIEW_WIDTH = 600
PREVIEW_MAX_RADIUS = 24


@dataclass(frozen=True)
class Headline:
    """One figure in the front page's row of large numbers. More (the impact totals) are
    appended to `_headlines` as they come: the template shows whatever the list holds."""

    value: int
    label: str
    emphasis: bool = False


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    figures = network_figures()
    plurals = _kind_plurals()
    kinds = [
        {"value": kind, "label": plurals.get(kind, MemberKind(kind).label), "count": count}
        for kind, count in figures.by_kind().items()
    ]
    rows = [
        {
            "code": code,
            "name": countries.name(code) or code,
            "counts": list(counts.values()),
            "total": sum(counts.values()),
        }
        for code, counts in figures.by_country().items()
    ]
    return render(
        request,
        "frontpage/home.html",
        {
            "figures": figures,
            "headlines": _headlines(figures, countries_count=len(rows)),
            "kinds": kinds,
            "country_rows": rows,
            "preview": _preview(figures.preview),
        },
    )


def _kind_plurals() -> dict[str, str]:
    """ "Schools", "Companies", …: each kind's model names itself (no kind app imported)."""
    return {
        model.KIND: capfirst(model._meta.verbose_name_plural)
        for model in apps.get_models()
        if issubclass(model, Member) and getattr(model, "KIND", None)
    }


def _headlines(figures: NetworkFigures, *, countries_count: int) -> list[Headline]:
    joined = figures.municipalities_joined_this_year
    year = figures.day.year
    return [
        Headline(
            figures.members,
            ngettext("active member", "active members", figures.members),
            emphasis=True,
        ),
        Headline(
            countries_count,
            ngettext("country with members", "countries with members", countries_count),
        ),
        Headline(
            joined,
            ngettext("municipality joined in %(year)s", "municipalities joined in %(year)s", joined)
            % {"year": year},
        ),
        *_impact_headlines(figures, year),
    ]


def _impact_headlines(figures: NetworkFigures, year: int) -> list[Headline]:
    """The programmes' year, once there is one to show (a small group is withheld)."""
    reach = figures.reach
    lines = []
    if reach.people:
        lines.append(
            Headline(
                reach.people,
                ngettext(
                    "person reached by our programmes in %(year)s",
                    "people reached by our programmes in %(year)s",
                    reach.people,
                )
                % {"year": year},
            )
        )
    if reach.programmes:
        lines.append(
            Headline(
                reach.programmes,
                ngettext(
                    "programme delivered in %(year)s",
                    "programmes delivered in %(year)s",
                    reach.programmes,
                )
                % {"year": year},
            )
        )
    return lines


def _preview(cells: list[PreviewCell]) -> dict:
    """The cells placed on an equirectangular drawing of the map's default box (scaled by
    the cosine of its middle latitude, so that the shape of the land looks right)."""
    min_lon, min_lat, max_lon, max_lat = settings.MAP_DEFAULT_BOUNDS
    squeeze = math.cos(math.radians((min_lat + max_lat) / 2))
    scale = PREVIEW_WIDTH / (max_lon - min_lon)
    height = round((max_lat - min_lat) * scale / squeeze)
    dots = [
        {
            "x": round((cell.longitude - min_lon) * scale, 1),
            "y": round((max_lat - cell.latitude) * scale / squeeze, 1),
            "r": round(min(PREVIEW_MAX_RADIUS, 5.0 + 2.5 * math.sqrt(cell.members)), 1),
            "members": cell.members,
        }
        for cell in cells
    ]
    meridians = [
        round((lon - min_lon) * scale, 1)
        for lon in range(math.ceil(min_lon), math.floor(max_lon) + 1, 2)
    ]
    parallels = [
        round((max_lat - lat) * scale / squeeze, 1)
        for lat in range(math.ceil(min_lat), math.floor(max_lat) + 1, 2)
    ]
    members = sum(cell.members for cell in cells)
    margin = PREVIEW_MAX_RADIUS  # a dot on the box's edge is drawn whole
    return {
        "width": PREVIEW_WIDTH,
        "height": height,
        "view_box": f"-{margin} -{margin} {PREVIEW_WIDTH + 2 * margin} {height + 2 * margin}",
        "dots": dots,
        "meridians": meridians,
        "parallels": parallels,
        "description": ngettext(
            "%(count)s member on the map", "%(count)s members on the map", members
        )
        % {"count": members}
        if members
        else _("No member on the map yet"),
    }
