"""A small fake of Nominatim's /search JSON API on loopback, for tests and the benchmark.

It speaks enough of the real protocol for geopy's Nominatim class: query-string in,
a JSON list of places out. Its behaviour is set per test: answer, answer nothing, be slow
(so the client times out), or fail with HTTP 429 or 500. Every request is recorded
(path, parameters, headers, time) so tests can assert what left the application.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from crm.names import place_name_normalize

#: The Italian cities of the demo network: name -> (lat, lon).
ITALIAN_CITIES = {
    "Roma": (41.8933, 12.4829),
    "Milano": (45.4643, 9.1895),
    "Torino": (45.0705, 7.6868),
    "Napoli": (40.8522, 14.2681),
    "Bologna": (44.4938, 11.3426),
    "Firenze": (43.7793, 11.2463),
    "Genova": (44.4072, 8.9340),
    "Bari": (41.1177, 16.8512),
    "Palermo": (38.1157, 13.3615),
    "Verona": (45.4385, 10.9924),
    "Padova": (45.4064, 11.8768),
    "Trieste": (45.6495, 13.7768),
    "Brescia": (45.5416, 10.2118),
    "Parma": (44.8015, 10.3279),
    "Perugia": (43.1122, 12.3888),
    "Bergamo": (45.6950, 9.6700),
    "Lecce": (40.3515, 18.1750),
    "Città di Castello": (43.4573, 12.2396),
    "Lugano": (46.0037, 8.9511),
    "Bellinzona": (46.1955, 9.0240),
    "Locarno": (46.1709, 8.7995),
    "Zürich": (47.3769, 8.5417),
    "Genève": (46.2044, 6.1432),
    "Bern": (46.9480, 7.4474),
}

#: Known cities: normalised name -> (lat, lon). Streets are placed a little off the centre.
CITIES = {
    **{place_name_normalize(name): ITALIAN_CITIES[name] for name in ("Roma", "Milano", "Bologna")},
    "lugano": (46.0101, 8.96),
    "geneve": (46.2022, 6.1457),
}


#: Towns that share a name: normalised name -> [(county, county code, state, lat, lon)].
#: A structured query's county (name or code) or state tells them apart.
HOMONYMS = {
    "castro": [
        ("Bergamo", "BG", "Lombardia", 45.8038, 10.0659),
        ("Lecce", "LE", "Puglia", 40.0070, 18.4257),
    ],
    "samone": [
        ("Torino", "TO", "Piemonte", 45.4491, 7.8420),
        ("Trento", "TN", "Trentino-Alto Adige/Südtirol", 46.0816, 11.5226),
    ],
    "peglio": [
        ("Como", "CO", "Lombardia", 46.1604, 9.2947),
        ("Pesaro e Urbino", "PU", "Marche", 43.6965, 12.4979),
    ],
}


class _StampingServer(ThreadingHTTPServer):
    """Notes when each connection is accepted, before its thread starts: a request's time
    is when it reached the server, not when a busy machine got round to parsing it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.accepted: dict = {}

    def process_request(self, request, client_address) -> None:
        self.accepted[request] = time.monotonic()
        super().process_request(request, client_address)


@dataclass
class Request:
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    at: float
    raw_query: str


@dataclass
class FakeNominatim:
    """`mode` is one of ok, empty, slow, 429, 500; `script` overrides it request by request."""

    mode: str = "ok"
    script: list[str] = field(default_factory=list)
    slow_seconds: float = 2.0
    cities: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(CITIES))
    requests: list[Request] = field(default_factory=list)
    port: int = 0  # 0: a free port chosen by the system

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.server = _StampingServer(("127.0.0.1", self.port), self._handler_class())
        self.server.daemon_threads = True
        # shutdown() waits for the serving loop's next poll: 0.5 s by default, per test.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeNominatim:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def searches(self) -> list[Request]:
        return [request for request in self.requests if request.path == "/search"]

    def _next_mode(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.mode

    def homonyms(self, city: str, params: dict[str, str]) -> list[dict]:
        county = place_name_normalize(params.get("county", ""))
        state = place_name_normalize(params.get("state", ""))
        found = []
        for name, code, region, lat, lon in HOMONYMS[city]:
            if county and county not in (place_name_normalize(name), place_name_normalize(code)):
                continue
            if state and state != place_name_normalize(region):
                continue
            found.append(
                {
                    "place_id": len(found) + 1,
                    "lat": f"{lat:.7f}",
                    "lon": f"{lon:.7f}",
                    "name": params.get("city", ""),
                    "display_name": f"{params.get('city', '')}, {name}, {region}, Italia",
                    "class": "place",
                    "type": "village",
                    "addresstype": "village",
                    "place_rank": 16,
                    "importance": 0.4,
                    "address": {"county": name, "state": region},
                }
            )
        return found

    def answer(self, params: dict[str, str]) -> list[dict]:
        city = place_name_normalize(params.get("city") or params.get("q") or "")
        if city in HOMONYMS:
            return self.homonyms(city, params)
        if city not in self.cities:
            return []
        lat, lon = self.cities[city]
        street = params.get("street", "")
        if street:
            # Each street somewhere else in town, at house precision (place_rank 30).
            offset = (sum(street.encode()) % 100) / 10000
            lat, lon, rank, kind = lat + offset, lon + offset, 30, "house"
        else:
            rank, kind = 16, "city"
        return [
            {
                "place_id": 1,
                "lat": f"{lat:.7f}",
                "lon": f"{lon:.7f}",
                "display_name": f"{street + ', ' if street else ''}{params.get('city', '')}",
                "class": "place",
                "type": kind,
                "addresstype": kind,
                "place_rank": rank,
                "importance": 0.5,
                "boundingbox": [str(lat - 0.01), str(lat + 0.01), str(lon - 0.01), str(lon + 0.01)],
            }
        ]

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                arrived = fake.server.accepted.pop(self.request, None) or time.monotonic()
                with fake._lock:
                    headers = dict(self.headers)
                    fake.requests.append(Request(parts.path, params, headers, arrived, parts.query))
                if parts.path != "/search":
                    return self._send(404, {"error": "not found"})
                mode = fake._next_mode()
                if mode == "429":
                    return self._send(429, {"error": "Too many requests"}, {"Retry-After": "0"})
                if mode.startswith("429:"):  # "429:2": Retry-After 2 s; "429:": no header
                    after = mode.split(":", 1)[1]
                    return self._send(
                        429, {"error": "Too many requests"}, {"Retry-After": after} if after else {}
                    )
                if mode == "500":
                    return self._send(500, {"error": "Internal error"})
                if mode == "slow":
                    time.sleep(fake.slow_seconds)
                body = [] if mode == "empty" else fake.answer(params)
                return self._send(200, body)

            def _send(self, status: int, body, headers: dict | None = None) -> None:
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, format, *args) -> None:
                pass

        return Handler
