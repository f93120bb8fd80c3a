"""The resources exchange knows: by command-line name, by model, and each member kind's.

A resource registers itself when its module is imported, by declaring `name` (and, for
a member resource, `kind`); `ExchangeConfig.ready()` imports every app's resources.py.
So exchange never names the kind apps: each kind app brings its own resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from exchange.base import NetworkResource
    from exchange.members import MemberResource

_by_name: dict[str, type[NetworkResource]] = {}
_by_kind: dict[str, type[MemberResource]] = {}


def resource_register(resource_class: type[NetworkResource]) -> None:
    """Record `resource_class` under the `name` and `kind` it declares itself."""
    name = resource_class.__dict__.get("name")
    kind = resource_class.__dict__.get("kind")
    for registry, key in ((_by_name, name), (_by_kind, kind)):
        if not key:
            continue
        known = registry.setdefault(key, resource_class)
        if known is not resource_class:
            raise ImproperlyConfigured(
                f"{resource_class.__qualname__} and {known.__qualname__} both claim {key!r}."
            )


def resource_for_name(name: str) -> type[NetworkResource] | None:
    """The resource with this command-line name ("schools"), or None."""
    return _by_name.get(name.lower())


def resource_for_model(label: str) -> type[NetworkResource] | None:
    """The resource of the model "app_label.Model" (any case), or None."""
    for resource in _by_name.values():
        if resource._meta.model._meta.label_lower == label.lower():
            return resource
    return None


def member_resource_for_kind(kind: str) -> type[MemberResource]:
    """The resource of a member kind ("school"); every kind app registers one."""
    try:
        return _by_kind[kind]
    except KeyError:
        raise ImproperlyConfigured(f"No resource is registered for kind {kind!r}.") from None


def member_resources() -> dict[str, type[MemberResource]]:
    """Each member kind's resource, by kind."""
    return dict(_by_kind)
