"""Geocoding in the staff interface: the pieces that `crm.admin` composes into the member
admins (the map field and its "set by hand" rule, the geocode action, the landmarks of
the offline map). Geocoding's own tables have no admin page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.models import GEOCODE_FIELDS, GeocodeStatus, Member
from geocoding.gazetteer import gazetteer_places_within
from geocoding.services import members_geocode_enqueue
from geocoding.widgets import MAP_PLACES_URL_NAME, MemberMapWidget

GEOCODING_FIELDSET = (
    _("Map"),
    {
        "fields": [
            "show_on_map",
            "location_map",
            ("latitude", "longitude"),
            "geocode_status",
            ("geocode_precision", "geocode_provider"),
            ("geocoded_at", "geocode_attempts"),
            "geocode_error",
            "geocode_seen",
        ],
        "description": _(
            "Coordinates are found automatically from the address. Drag the marker (or "
            "type the coordinates) to set them by hand: 'Set by hand' is never overwritten."
        ),
    },
)


class MemberAdminForm(forms.ModelForm):
    """Adds the manual-override map; typed or dragged coordinates mean "set by hand"."""

    location_map = forms.CharField(
        label=_("Place on the map"),
        required=False,
        widget=MemberMapWidget,
        help_text=_("Drag the marker or click the map to set the coordinates by hand."),
    )

    # The coordinates this form showed. Geocoding may have written new ones since: only
    # coordinates that differ from what was *shown* were set by hand.
    geocode_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["geocode_seen"].initial = f"{instance.latitude}|{instance.longitude}"
        self.placed_by_hand = False

    def clean(self):
        cleaned = super().clean()
        seen = self.data.get(self.add_prefix("geocode_seen"))
        if seen is None:  # a post without the field (not from this form): compare with now
            shown = (self.instance.latitude, self.instance.longitude)
        else:
            values = [*seen.split("|"), "None", "None"][:2]
            shown = tuple(None if value in ("None", "") else _float(value) for value in values)
        typed = (cleaned.get("latitude"), cleaned.get("longitude"))
        if None not in typed and typed != shown:
            cleaned["geocode_status"] = GeocodeStatus.MANUAL
            self.placed_by_hand = True
        return cleaned


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _geocode_queued_message(count: int, manual: int) -> str:
    text = ngettext(
        "Geocoding of %(n)d member queued.", "Geocoding of %(n)d members queued.", count
    ) % {"n": count}
    if manual:
        text += " " + ngettext(
            "%(n)d set by hand is left alone.", "%(n)d set by hand are left alone.", manual
        ) % {"n": manual}
    return text


class MemberGeocodingAdminMixin:
    """For each kind's member admin: "set by hand" on save, and the geocode action."""

    form = MemberAdminForm
    actions = ["geocode_selected"]

    def save_model(self, request, obj: Member, form, change: bool) -> None:
        if getattr(form, "placed_by_hand", False) and obj.coordinates:
            obj.geocode_set_by_hand(latitude=obj.latitude, longitude=obj.longitude)
        elif change:
            # Not placed by hand: what geocoding wrote since the form was opened stays
            # (a form opened while pending must not wipe the coordinates found meanwhile).
            fresh = type(obj).objects.filter(pk=obj.pk).values(*GEOCODE_FIELDS).first() or {}
            for name, value in fresh.items():
                setattr(obj, name, value)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Geocode selected members"), permissions=["change"])
    def geocode_selected(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        manual = queryset.filter(geocode_status=GeocodeStatus.MANUAL).count()
        members_geocode_enqueue(member_ids=ids)
        self.message_user(request, _geocode_queued_message(len(ids), manual), messages.SUCCESS)


class MemberListGeocodingAdminMixin:
    """For the read-only list of all members: the geocode action for staff who may change
    members, and the landmarks that the map widget draws when it has no tiles."""

    actions = ["geocode_selected"]

    def has_geocode_permission(self, request) -> bool:
        # This list is read-only, but staff who may change members may have them geocoded.
        return request.user.has_perm("crm.change_member")

    @admin.action(description=_("Geocode selected members"), permissions=["geocode"])
    def geocode_selected(self, request, queryset) -> None:
        MemberGeocodingAdminMixin.geocode_selected(self, request, queryset)

    def get_urls(self):
        landmarks = path(
            "map-places/",
            self.admin_site.admin_view(self.map_places_view),
            name=MAP_PLACES_URL_NAME,
        )
        return [landmarks, *super().get_urls()]

    def map_places_view(self, request) -> JsonResponse:
        """Towns inside the visible box, drawn on the admin map when it has no tiles."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            box = {k: float(request.GET[k]) for k in ("south", "west", "north", "east")}
        except (KeyError, ValueError):
            return JsonResponse(
                {"error": _("Give south, west, north and east as numbers.")}, status=400
            )
        places = gazetteer_places_within(**box)
        return JsonResponse(
            {"places": [[p.latitude, p.longitude, p.name, p.population] for p in places]}
        )
