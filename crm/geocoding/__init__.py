"""Geocoding of members: providers (Nominatim, offline gazetteer), shared rate limit,
result cache, the pipeline and its background tasks.

Public entry points for other apps:

- ``crm.geocoding.services.members_geocode_enqueue(member_ids=...)``: schedule one task
  for a batch of members once the surrounding transaction commits;
- ``Member.geocode_fixed_point()``: a model hook the pipeline asks first;
- ``crm.geocoding.result.GeocodeResult``: what a provider or the hook returns.

This package's ``__init__`` imports nothing, so ``crm.models`` can import ``result``.
"""
