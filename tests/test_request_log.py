"""Structured logs: one JSON line per record, each with its request's id."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from kindnet.request_log import JsonFormatter, RequestIdFilter


@pytest.mark.django_db
def test_every_request_has_an_id_logged_with_the_client_address(client: Client, caplog, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    with caplog.at_level(logging.INFO, logger="kindnet.request"):
        given = client.get(
            "/health/", HTTP_X_REQUEST_ID="proxy-id-12345678", HTTP_X_FORWARDED_FOR="203.0.113.4"
        )
        made = client.get("/health/", HTTP_X_REQUEST_ID="bad id\n")

    assert given.headers["X-Request-ID"] == "proxy-id-12345678"
    assert len(made.headers["X-Request-ID"]) == 32  # a new one: the header was not sane
    record = caplog.records[0]
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /health/ 200"
    assert {k: line[k] for k in ("level", "logger", "method", "path", "status", "client")} == {
        "level": "INFO",
        "logger": "kindnet.request",
        "method": "GET",
        "path": "/health/",
        "status": 200,
        "client": "203.0.113.4",
    }
    assert line["ms"] >= 0 and line["user_id"] is None
