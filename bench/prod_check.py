"""The production profile on loopback, under load, with faults: `make prod-check`.

Starts what docs/deploy.md describes, on this machine only: a PostgreSQL database of its
own (on the server of DATABASE_SERVER, dropped and created anew), its own redis-server on
--redis-port (never the machine's), `collectstatic`, gunicorn with 2 workers
(deploy/gunicorn.conf.py) and one `db_worker`. Then --users concurrent clients run for
--seconds over the public map feed (several zooms and boxes), the map page, the
municipality search, the staff API lists (with a token), staff moving schools to another
city (each move queues a geocoding task for the worker) and join requests with a valid
PDF. Each client comes through "the proxy" (loopback is TRUSTED_PROXIES) with an address
of its own in X-Forwarded-For, so the limits count per client as in production.

Fault drills during the run: Redis stopped (and started again, empty), the db_worker
killed with SIGKILL (and started again), every connection of the web processes to
PostgreSQL cut with pg_terminate_backend. 5xx answers to requests in flight during a
drill (or up to --grace seconds after it) are counted apart; outside them there must be none. Every
join request answered 201 must be in the database at the end, and the restarted worker
must have emptied the queue.

Last line: `RESULT requests=… errors_5xx=… errors_5xx_in_faults=… p50_ms=… p95_ms=…
lost_join_requests=… tasks_left=…`; exit status 0 only with no 5xx outside the drills,
nothing lost and no task left waiting.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
#: Italy and its neighbours, where the demo network lives.
BOXES = [(6.6, 36.6, 18.6, 47.1), (11.0, 43.0, 13.5, 44.5), (7.0, 44.5, 10.0, 46.5)]
ZOOMS = [5, 7, 9, 12, 15]
SEARCHES = ["ro", "mil", "tor", "nap", "castro", "san", "bol", "ven", "gen", "pal"]
STAFF_LISTS = ["members", "schools", "agreements", "contacts", "municipalities"]
#: Where staff move schools to: each move queues a geocoding task for the db_worker.
CITIES = ["Roma", "Milano", "Torino", "Bologna", "Firenze", "Napoli", "Bari", "Genova"]


@dataclass
class Sample:
    started: float
    ms: float
    status: int
    kind: str


@dataclass
class Drill:
    name: str
    start: float
    end: float = 0.0


@dataclass
class Run:
    base: str
    token: str
    codes: list[list[str]]
    schools: list[int]
    stop_at: float
    samples: list[Sample] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_code: int = 0

    def code(self) -> list[str]:
        with self.lock:
            self.next_code += 1
            return self.codes[self.next_code % len(self.codes)]


def pdf_bytes() -> bytes:
    """A one-page PDF that pypdf reads, made here (as tests/factories.py does)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.2)
    raise SystemExit(f"prod-check: {what} did not come up within {seconds:.0f} s")


class Services:
    """The processes of the profile, each started and stopped by its pid."""

    def __init__(self, env: dict[str, str], redis_port: int, web_port: int, logs: Path) -> None:
        self.env, self.redis_port, self.web_port, self.logs = env, redis_port, web_port, logs
        self.redis: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the process)
        return subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=log)

    def redis_start(self) -> None:
        self.redis = self._start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        wait_for(
            lambda: socket.create_connection(("127.0.0.1", self.redis_port), 0.2),
            seconds=10,
            what="redis-server",
        )

    def redis_stop(self) -> None:
        if self.redis and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(10)

    def web_start(self) -> None:
        self.web = self._start("gunicorn", [GUNICORN, "-c", "deploy/gunicorn.conf.py"])
        wait_for(
            lambda: (
                requests.get(
                    f"http://127.0.0.1:{self.web_port}/health/", headers=PROXY_HEADERS, timeout=2
                ).status_code
                == 200
            ),
            seconds=60,
            what="gunicorn",
        )

    def worker_start(self) -> None:
        self.worker = self._start(
            "db_worker",
            [PYTHON, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
        )

    def worker_kill(self) -> None:
        if self.worker and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGKILL)
            self.worker.wait(10)

    def stop(self) -> None:
        for process in (self.worker, self.web, self.redis):
            if process and process.poll() is None:
                process.terminate()
        for process in (self.worker, self.web, self.redis):
            if process:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()


PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.9.9.9"}


def manage(env: dict[str, str], *args: str, input_text: str | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=input_text,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"prod-check: manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def database_recreate(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def client_loop(run: Run, number: int, pdf: bytes) -> None:
    session = requests.Session()
    session.headers.update(
        {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": f"10.{number // 250}.{number % 250}.7",
            "Accept-Encoding": "gzip",
        }
    )
    rng = random.Random(number)
    while time.monotonic() < run.stop_at:
        kind = rng.choices(
            ["feed", "page", "search", "staff", "move", "join", "health"], [40, 8, 17, 19, 3, 8, 5]
        )[0]
        started = time.monotonic()
        try:
            response = request_one(run, session, rng, kind, pdf)
            status = response.status_code
            if kind == "join" and status == 201:
                with run.lock:
                    run.accepted.append(response.json()["reference"])
        except requests.RequestException:
            status = 599  # no answer at all: counted as a server error
        with run.lock:
            run.samples.append(Sample(started, (time.monotonic() - started) * 1000, status, kind))
        time.sleep(rng.uniform(0.05, 0.3))  # a person's pause, short


def request_one(
    run: Run, session: requests.Session, rng: random.Random, kind: str, pdf: bytes
) -> requests.Response:
    base, timeout = run.base, 30
    if kind == "feed":
        west, south, east, north = rng.choice(BOXES)
        zoom = rng.choice(ZOOMS)
        span = max(0.05, (east - west) / (1 + zoom / 3))
        lon, lat = rng.uniform(west, east - span), rng.uniform(south, north - span / 2)
        bbox = f"{lon:.3f},{lat:.3f},{lon + span:.3f},{lat + span / 2:.3f}"
        return session.get(
            f"{base}/api/v1/map/", params={"zoom": zoom, "bbox": bbox}, timeout=timeout
        )
    if kind == "page":
        return session.get(
            f"{base}/map/", params={"lang": rng.choice(["en", "it"])}, timeout=timeout
        )
    if kind == "search":
        return session.get(
            f"{base}/join/municipalities/", params={"q": rng.choice(SEARCHES)}, timeout=timeout
        )
    if kind == "staff":
        return session.get(
            f"{base}/api/v1/{rng.choice(STAFF_LISTS)}/",
            params={"page_size": 50},
            headers={"Authorization": f"Token {run.token}"},
            timeout=timeout,
        )
    if kind == "move":
        return session.patch(
            f"{base}/api/v1/schools/{rng.choice(run.schools)}/",
            json={"city": rng.choice(CITIES), "street": ""},
            headers={"Authorization": f"Token {run.token}"},
            timeout=timeout,
        )
    if kind == "health":
        return session.get(f"{base}/health/", timeout=timeout)
    code, name = run.code()
    data = {
        "language": rng.choice(["en", "it"]),
        "country": "IT",
        "municipality_code": code,
        "municipality_name": name,
        "submitter_name": "Maria Bianchi",
        "submitter_role": "Councillor",
        "submitter_email": f"load-{code}@comune.example.it",
        "submitter_phone": "+39 035 123456",
        "mayor_name": "Giovanni Verdi",
        "resolution_number": f"{code}/2026",
        "resolution_date": "2026-01-15",
        "privacy_consent": "true",
    }
    files = {"resolution_file": ("delibera.pdf", pdf, "application/pdf")}
    return session.post(f"{base}/api/v1/join-requests/", data=data, files=files, timeout=timeout)


def drills_run(
    services: Services,
    run: Run,
    database_url: str,
    plan: dict[str, float],
    drills: list[Drill],
    t0: float,
) -> None:
    """At the planned offsets: Redis down for a while, the worker killed, PostgreSQL cut."""

    def at(offset: float) -> None:
        time.sleep(max(0.0, t0 + offset - time.monotonic()))

    at(plan["redis"])
    drill = Drill("redis stopped", time.monotonic())
    drills.append(drill)
    services.redis_stop()
    at(plan["redis"] + plan["redis_down"])
    services.redis_start()
    drill.end = time.monotonic()

    at(plan["worker"])
    drill = Drill("db_worker killed", time.monotonic())
    drills.append(drill)
    services.worker_kill()
    time.sleep(2)
    services.worker_start()
    drill.end = time.monotonic()

    at(plan["postgres"])
    drill = Drill("PostgreSQL connections cut", time.monotonic())
    drills.append(drill)
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url, autocommit=True) as conn:
        cut = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchone()[0]
    drill.end = time.monotonic()
    print(f"  cut {cut} PostgreSQL connection(s)", flush=True)


def tasks_drain(database_url: str, *, seconds: float) -> tuple[int, int]:
    """Waits for the (restarted) worker to empty the queue: (tasks still waiting, tasks
    left RUNNING by the killed worker, which nobody will finish)."""
    deadline = time.monotonic() + seconds
    while True:
        with psycopg.connect(database_url) as conn:
            ready, running = conn.execute(
                "SELECT count(*) FILTER (WHERE status = 'READY'), "
                "count(*) FILTER (WHERE status = 'RUNNING') FROM django_tasks_database_dbtaskresult"
            ).fetchone()
        if ready == 0 or time.monotonic() > deadline:
            return ready, running
        time.sleep(1)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI's shorter run: 20 clients for 25 s, the same drills",
    )
    parser.add_argument(
        "--database-server",
        default=os.environ.get("DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432"),
    )
    parser.add_argument(
        "--database", default=os.environ.get("PROD_CHECK_DATABASE", "kindnet_prod_check")
    )
    parser.add_argument(
        "--redis-port", type=int, default=int(os.environ.get("PROD_CHECK_REDIS_PORT", 6390))
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=3.0,
        help="seconds after a drill during which 5xx still count as the drill's",
    )
    args = parser.parse_args()
    users, seconds = (20, 25) if args.quick else (args.users, args.seconds)
    plan = {
        "redis": seconds * 0.25,
        "redis_down": max(4.0, seconds * 0.12),
        "worker": seconds * 0.5,
        "postgres": seconds * 0.7,
    }

    workdir = Path(tempfile.mkdtemp(prefix="kindnet-prod-check-"))
    web_port = free_port()
    database_url = f"{args.database_server}/{args.database}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KINDNET_"))},
        "KINDNET_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXIES": "127.0.0.1",
        "DATABASE_URL": database_url,
        "CACHE_URL": f"redis://127.0.0.1:{args.redis_port}/0",
        "TASKS_BACKEND": "database",
        "STATIC_ROOT": str(workdir / "static"),
        "PRIVATE_ROOT": str(workdir / "private"),
        "MEDIA_ROOT": str(workdir / "media"),
        "KINDNET_BIND": f"127.0.0.1:{web_port}",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "warning",
        # One proxy's worth of town halls, each with its own address: the per-address
        # limit is proved by the suite; here it must not hide the accepted requests.
        "JOIN_REQUEST_RATE": "1000/hour",
        "JOIN_SEARCH_RATE": "6000/minute",
        "MAP_THROTTLE_RATE": "6000/minute",
    }
    print(f"prod-check: {users} clients for {seconds} s; logs in {workdir}", flush=True)
    database_recreate(args.database_server, args.database)
    services = Services(env, args.redis_port, web_port, workdir)
    try:
        setup_started = time.monotonic()
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        manage(env, "check", "--deploy", "--fail-level", "WARNING")
        manage(env, "load_gazetteer", "--if-empty")
        manage(env, "load_municipalities", "--if-empty", "--countries", "IT")
        services.redis_start()
        manage(env, "load_demo")
        manage(env, "geocode", "--pending", "--no-progress")
        out = manage(
            env,
            "shell",
            "-c",
            (
                "from django.contrib.auth import get_user_model;"
                "from rest_framework.authtoken.models import Token;"
                "from municipalities.models import MunicipalityReference as R;"
                "u=get_user_model().objects.create_superuser('loadtest','l@example.org',None);"
                "import json;"
                "from partners.models import School;"
                "print(json.dumps([Token.objects.create(user=u).key, list(R.objects.filter("
                "country='IT').order_by('?').values_list('official_code', 'name')[:4000]),"
                "list(School.objects.values_list('pk', flat=True)[:200])]))"
            ),
        )
        token, codes, schools = json.loads(out.strip().splitlines()[-1])
        services.web_start()
        services.worker_start()
        print(f"  set up in {time.monotonic() - setup_started:.0f} s", flush=True)

        t0 = time.monotonic()
        run = Run(
            base=f"http://127.0.0.1:{web_port}",
            token=token,
            codes=codes,
            schools=schools,
            stop_at=t0 + seconds,
        )
        pdf = pdf_bytes()
        clients = [
            threading.Thread(target=client_loop, args=(run, n, pdf), daemon=True)
            for n in range(users)
        ]
        for thread in clients:
            thread.start()
        drills: list[Drill] = []
        drills_run(services, run, database_url, plan, drills, t0)
        for thread in clients:
            thread.join(seconds + 60)

        tasks_left, tasks_stuck = tasks_drain(database_url, seconds=30)
        with psycopg.connect(database_url) as conn:
            present = {
                row[0]
                for row in conn.execute(
                    "SELECT reference FROM municipalities_joinrequest WHERE reference = ANY(%s)",
                    [run.accepted],
                )
            }
        lost = len(set(run.accepted) - present)
    finally:
        services.stop()

    def overlaps(sample: Sample, drill: Drill) -> bool:
        # In flight during the drill: a request sent just before Redis stopped may be
        # handled after it did.
        finished = sample.started + sample.ms / 1000
        return sample.started <= drill.end + args.grace and finished >= drill.start

    def in_drill(sample: Sample) -> bool:
        return any(overlaps(sample, d) for d in drills)

    outside = [s for s in run.samples if not in_drill(s)]
    errors = [s for s in outside if s.status >= 500]
    during = [s for s in run.samples if in_drill(s) and s.status >= 500]
    latencies = [s.ms for s in outside]
    by_kind: dict[str, list[Sample]] = {}
    for sample in run.samples:
        by_kind.setdefault(sample.kind, []).append(sample)
    for kind, samples in sorted(by_kind.items()):
        statuses = statistics.multimode([s.status for s in samples])
        p95 = percentile([s.ms for s in samples], 0.95)
        print(
            f"  {kind:7} {len(samples):6} requests, p95 {p95:7.0f} ms, mostly {statuses}",
            flush=True,
        )
    for drill in drills:
        hit = [s for s in run.samples if overlaps(s, drill)]
        failed = sorted({(s.kind, s.status) for s in hit if s.status >= 500})
        print(
            f"  drill: {drill.name}: {drill.end - drill.start:.1f} s, {len(hit)} requests, "
            f"{sum(s.status >= 500 for s in hit)} answered 5xx {failed or ''}",
            flush=True,
        )
    if errors:
        print(f"  5xx outside the drills: {sorted({(s.kind, s.status) for s in errors})}")
    print(f"  join requests accepted: {len(run.accepted)}, found afterwards: {len(present)}")
    print(
        f"  tasks: {tasks_left} still waiting after the run, {tasks_stuck} left RUNNING "
        "by the killed worker (geocode_sweep queues their members again)"
    )
    print(
        f"RESULT requests={len(run.samples)} errors_5xx={len(errors)} "
        f"errors_5xx_in_faults={len(during)} p50_ms={percentile(latencies, 0.5):.0f} "
        f"p95_ms={percentile(latencies, 0.95):.0f} lost_join_requests={lost} "
        f"tasks_left={tasks_left}",
        flush=True,
    )
    return 0 if run.samples and not errors and lost == 0 and tasks_left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
