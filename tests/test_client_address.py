"""The client's address in one place (TRUSTED_PROXIES): limits cannot be dodged by a
header, and behind a trusted proxy every visitor has a budget of their own."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from kindnet.client_address import client_address, trusted_proxies_parse
from municipalities.models import JoinRequest

PROXY = "10.0.0.5"


@pytest.fixture
def tight_limits(settings):
    settings.MAP_THROTTLE_RATE = "3/minute"
    settings.JOIN_REQUEST_RATE = "2/hour"
    settings.JOIN_SEARCH_RATE = "3/minute"
    return settings


def _feed(client: Client, forwarded_for: str, peer: str = "127.0.0.1") -> int:
    return client.get(
        "/api/v1/map/?zoom=5", HTTP_X_FORWARDED_FOR=forwarded_for, REMOTE_ADDR=peer
    ).status_code


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_from_an_untrusted_client_changes_no_limit(
    tight_limits, client: Client
):
    statuses = [_feed(client, f"198.51.100.{n}") for n in range(4)]
    assert statuses == [200, 200, 200, 429]

    # The join form's and the join API's limits too: each POST counts, whatever it says.
    join = [
        client.post("/join/", {}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(3)
    ]
    assert join[-1] == 429
    api = [
        client.post("/api/v1/join-requests/", {}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(3)
    ]
    assert [r.status_code for r in api] == [400, 400, 429]
    assert not JoinRequest.objects.exists()


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(tight_limits, client: Client):
    tight_limits.TRUSTED_PROXIES = ["10.0.0.0/8"]

    first = [_feed(client, "203.0.113.1", peer=PROXY) for _ in range(4)]
    second = [_feed(client, "203.0.113.2", peer=PROXY) for _ in range(3)]
    # A client that prepends a forged address is still counted as itself.
    forged = _feed(client, "198.51.100.9, 203.0.113.1", peer=PROXY)

    assert first == [200, 200, 200, 429]
    assert second == [200, 200, 200]
    assert forged == 429


@pytest.mark.django_db
def test_the_join_form_limit_is_per_visitor_behind_the_proxy(tight_limits, client: Client):
    tight_limits.TRUSTED_PROXIES = [PROXY]

    def post(address: str) -> int:
        return client.post(
            "/join/", {}, HTTP_X_FORWARDED_FOR=address, REMOTE_ADDR=PROXY
        ).status_code

    assert [post("203.0.113.1") for _ in range(3)] == [400, 400, 429]
    assert post("203.0.113.2") == 400  # another town hall: not refused


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("198.51.100.7", "203.0.113.1", "198.51.100.7"),  # not a proxy: header ignored
        ("10.0.0.5", "203.0.113.1", "203.0.113.1"),
        ("10.0.0.5", "198.51.100.9, 203.0.113.1", "203.0.113.1"),  # forged left part
        ("10.0.0.5", "203.0.113.1, 10.0.0.4", "203.0.113.1"),  # two proxies
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "garbage", "10.0.0.5"),
        ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_walks_the_chain_from_the_right(peer, forwarded_for, expected):
    proxies = trusted_proxies_parse(["10.0.0.0/8"])
    assert client_address(peer=peer, forwarded_for=forwarded_for, proxies=proxies) == expected


def test_a_bad_trusted_proxy_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match=r"TRUSTED_PROXIES: 'proxy\.local'"):
        trusted_proxies_parse(["127.0.0.1", "proxy.local"])
