"""System checks of the geocoding set-up (`manage.py check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register


@register(deploy=True)
def geocoding_runs_in_the_background(app_configs=None, **kwargs) -> list[CheckWarning]:
    """With Nominatim and the immediate backend, a save would wait for the geocoder."""
    if "nominatim" in settings.GEOCODERS and settings.TASKS_BACKEND == "immediate":
        return [
            CheckWarning(
                "GEOCODERS includes nominatim but TASKS_BACKEND is immediate: each save "
                "would wait for Nominatim (and its rate limit) after the commit.",
                hint="Set TASKS_BACKEND=database and run `manage.py db_worker`.",
                id="kindnet.W301",
            )
        ]
    return []
