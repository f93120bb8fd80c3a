"""The client's address, decided once per request (TRUSTED_PROXIES).

`X-Forwarded-For` is believed only when the peer that sent the request is one of
TRUSTED_PROXIES, and then only as far back as the chain stays within them: the first
address from the right that is not a trusted proxy is the client. From anyone else the
forwarding headers are dropped, so a client cannot choose its address by sending them.

`ClientAddressMiddleware` writes the result into `REMOTE_ADDR` (the peer stays in
`KINDNET_PEER_ADDR`), which is what DRF's throttles (`NUM_PROXIES = 0`),
django-ratelimit (`key="ip"`), django-axes and the request log all read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Headers only a trusted proxy may set; dropped from every other peer.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def trusted_proxies_parse(values: Iterable[str], *, name: str = "TRUSTED_PROXIES") -> list[Network]:
    """Addresses or networks (`10.0.0.0/8`, `127.0.0.1`); a bad one names the variable."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an IP address or network such as 10.0.0.0/8."
            ) from None
    return networks


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> list[Network]:
    return trusted_proxies_parse(values)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address, proxies: list[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(*, peer: str, forwarded_for: str, proxies: list[Network]) -> str:
    """The client's address given the connection's peer and its X-Forwarded-For header."""
    if not _trusted(_address(peer), proxies):
        return peer
    client = peer
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        address = _address(hop)
        if address is None:  # garbage written by someone outside: stop at the last good hop
            break
        client = str(address)
        if not _trusted(address, proxies):
            break
    return client


class ClientAddressMiddleware:
    """First in the stack: every later part reads the client's address from REMOTE_ADDR."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "") or ""
        proxies = _networks(tuple(settings.TRUSTED_PROXIES))
        meta["KINDNET_PEER_ADDR"] = peer
        if _trusted(_address(peer), proxies):
            meta["REMOTE_ADDR"] = client_address(
                peer=peer, forwarded_for=meta.get("HTTP_X_FORWARDED_FOR", ""), proxies=proxies
            )
        else:
            for header in FORWARDING_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)


def request_client_address(request: HttpRequest) -> str:
    """For django-axes (AXES_CLIENT_IP_CALLABLE): the address the middleware decided."""
    return request.META.get("REMOTE_ADDR", "")
