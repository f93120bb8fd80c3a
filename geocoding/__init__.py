"""Geocoding of members: providers (Nominatim, offline gazetteer), shared rate limit,
result cache, the pipeline and its background tasks.

Public entry points for other apps:

- ``geocoding.services.members_geocode_enqueue(member_ids=...)``: schedule one task
  for a batch of members once the surrounding transaction commits;
- ``Member.geocode_fixed_point()``: a model hook of the core that the pipeline asks
  first; it returns the core's ``crm.models.member.FixedPoint`` (or None);
- ``geocoding.result.GeocodeResult``: what a provider returns.

The core never imports this app: it learns of moved members through
``crm.signals.members_moved`` (see ``receivers``).
"""
