"""Telling apart the on-commit callbacks that a save registers (geocoding, map feed, …)."""

from __future__ import annotations

from collections.abc import Callable

from geocoding import services as geocoding_services


def geocoding_batches(callbacks: list[Callable]) -> list[Callable]:
    """The callbacks that enqueue a geocoding task, one per batch of members."""
    return [c for c in callbacks if getattr(c, "func", None) is geocoding_services._enqueue]
