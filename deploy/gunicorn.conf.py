"""gunicorn's configuration for Kindnet: `gunicorn -c deploy/gunicorn.conf.py`.

Every value can be changed by an environment variable of the same service, so the same
file serves a laptop's `make prod-check` and a production host.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "kindnet.wsgi:application"
bind = os.environ.get("KINDNET_BIND", "127.0.0.1:8000")
# Synchronous workers: the views are short database work; 2 per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", "1"))
# A request that takes longer than this is killed (and its worker replaced).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Replace workers now and then, so a slow leak never grows into an outage.
max_requests = 2000
max_requests_jitter = 200
# Only the proxy's X-Forwarded-Proto sets the scheme; Django decides the client's address
# itself from TRUSTED_PROXIES (kindnet.client_address).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1") or "127.0.0.1"
# One JSON line per request comes from Django (kindnet.request_log): no access log here.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Uploads (join requests' PDFs) are streamed to a temporary file in memory first.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
